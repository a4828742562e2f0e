//! Errors from writing reports.

use std::io;
use std::path::PathBuf;

use thiserror::Error;

/// Writing a JUnit report failed.
#[derive(Debug, Error)]
pub enum ReportError {
    /// The folder for the report could not be created.
    #[error("error creating folder {} for the JUnit report", .path.display())]
    CreateFolder {
        /// The folder.
        path: PathBuf,
        /// What the file system said.
        #[source]
        source: io::Error,
    },
    /// The report file could not be written, synced or moved into place.
    #[error("error writing JUnit report to {}", .path.display())]
    Write {
        /// The report file.
        path: PathBuf,
        /// What the file system said.
        #[source]
        source: io::Error,
    },
}
