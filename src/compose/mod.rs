//! Compose files read as docker compose reads them: YAML with positions, interpolation, .env,
//! merge, extends, include, profiles and validation, producing a [`Project`].
//!
//! ```no_run
//! use dockhand::compose::{self, ConfigFormat, LoadOptions};
//!
//! let opts = LoadOptions {
//!     files: vec!["compose.yml".into()],
//!     profiles: vec!["test".into()],
//!     enable_services: vec!["app".into()],
//!     ..LoadOptions::default()
//! };
//! match compose::load(&opts) {
//!     Ok(project) => {
//!         for warning in &project.warnings {
//!             eprintln!("warning: {warning}");
//!         }
//!         print!("{}", compose::render_config(&project, ConfigFormat::Yaml));
//!     }
//!     // Every problem with FILE:LINE:COL, the line quoted and a hint.
//!     Err(e) => eprintln!("{e}"),
//! }
//! ```

mod context;
pub mod diagnostic;
pub mod dotenv;
mod extends;
pub mod extension;
mod file;
pub mod graph;
mod include;
mod interpolate;
mod load;
mod merge;
pub mod model;
mod model_runtime;
mod ports;
mod read;
mod render;
mod resources;
mod schema;
mod service;
mod service_runtime;
mod validate;
mod volumes;
mod yaml;

pub use diagnostic::{Diagnostic, LoadError};
pub use load::{DEFAULT_FILES, LoadOptions, OVERRIDE_FILES, load, load_from_str};
pub use model::*;
pub use render::{ConfigFormat, render_config};
pub use service::split_volumes_from;

#[cfg(test)]
mod fixture_tests;
