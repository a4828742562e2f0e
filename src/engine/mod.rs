//! The only code that talks to the Docker Engine (through bollard).

pub mod build;
pub mod client;
pub mod container;
pub mod error;
pub mod labels;

pub use client::Engine;
pub use error::EngineError;
