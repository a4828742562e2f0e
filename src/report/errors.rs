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

/// A collected file that is not a JUnit report dockhand can read.
#[derive(Debug, Error)]
pub enum JunitReadError {
    /// The file is not well-formed XML.
    #[error("{file}:{line}: not well-formed XML")]
    Xml {
        /// The file, as its path inside the container.
        file: String,
        /// The line where reading stopped.
        line: usize,
        /// What the XML reader said.
        #[source]
        source: quick_xml::Error,
    },
    /// The file has no element at all.
    #[error("{file}: no XML element in it; a JUnit report starts with <testsuites> or <testsuite>")]
    Empty {
        /// The file.
        file: String,
    },
    /// The file ends inside an element.
    #[error("{file}:{line}: <{element}> is not closed before the file ends")]
    Unclosed {
        /// The file.
        file: String,
        /// The line where the element opens.
        line: usize,
        /// The element.
        element: String,
    },
    /// The file has a second root element.
    #[error("{file}:{line}: a second root element <{element}> after the first one closed")]
    SecondRoot {
        /// The file.
        file: String,
        /// The line where the second root opens.
        line: usize,
        /// Its name.
        element: String,
    },
    /// The file is XML but not JUnit.
    #[error(
        "{file}: not a JUnit report: the root element is <{root}>, not <testsuites> or <testsuite>"
    )]
    NotJunit {
        /// The file.
        file: String,
        /// Its root element.
        root: String,
    },
}

/// A report file to collect from the test container could not be named or saved.
#[derive(Debug, Error)]
pub enum CollectError {
    /// The glob is not an absolute path.
    #[error("collect glob {pattern} is not an absolute path inside the container")]
    NotAbsolute {
        /// The glob.
        pattern: String,
    },
    /// The glob does not parse.
    #[error("collect glob {pattern} is not a valid glob")]
    BadGlob {
        /// The glob.
        pattern: String,
        /// What the glob parser said.
        #[source]
        source: globset::Error,
    },
    /// A matching file could not be unpacked or written.
    #[error("error saving collected reports under {}", .dir.display())]
    Save {
        /// The folder the files go to.
        dir: PathBuf,
        /// What the archive or the file system said.
        #[source]
        source: io::Error,
    },
}
