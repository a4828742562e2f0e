//! dockhand tests an application the way it ships: inside its own Docker image, next to the real
//! databases and caches it talks to, all described by the compose file the team already has.
#![forbid(unsafe_code)]

pub mod cleanup;
pub mod cli;
pub mod compose;
pub mod engine;
pub mod plan;
pub mod ready;
pub mod report;
pub mod run;
pub mod verdict;

pub use run::{RunError, Stack, StackBuilder};
