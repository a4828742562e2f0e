//! dockhand tests an application the way it ships: inside its own Docker image, next to the real
//! databases and caches it talks to, all described by the compose file the team already has.
//!
//! # In a `cargo test` suite
//!
//! ```no_run
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! let stack = dockhand::Stack::builder().file("compose/redis.yml").up().await?;
//! let addr = stack.endpoint("cache", 6379)?; // "127.0.0.1:49153": the published host port
//! // ... talk to Redis at addr ...
//! stack.down().await?; // dropping the stack tears it down as well
//! # Ok(()) }
//! ```
//!
//! # The whole `dockhand test` workflow
//!
//! ```no_run
//! # async fn example() -> Result<(), dockhand::RunError> {
//! use dockhand::run::{Console, Stop, TestSettings, run_test};
//!
//! let settings = TestSettings {
//!     service: "app".into(),
//!     command: vec!["/opt/awesome_app/test.sh".into()],
//!     env: vec![("ENVIRONMENT".into(), "testing".into())],
//!     junit: Some("reports/junit.xml".into()),
//!     ..TestSettings::default()
//! };
//! let outcome = run_test(&settings, &Console::new(false), &Stop::new()).await?;
//! println!("{}", outcome.verdict.reason);
//! # Ok(()) }
//! ```
//!
//! # Layout
//!
//! - [`compose`]: the loader, compose files to a typed [`compose::Project`] (no Docker).
//! - [`plan`]: the dependency graph and what a run creates, as plain data (no Docker).
//! - [`engine`]: the only module that talks to the Docker Engine (through bollard).
//! - [`ready`]: when a started container counts as ready.
//! - [`run`]: bring-up, the test command, teardown, signals; [`Stack`] for library use.
//! - [`verdict`]: the last-line marker and the pass/fail decision (no Docker).
//! - [`report`]: the JUnit report and secret masking (no Docker).
//! - [`cleanup`]: teardown by label, the reaper and the sweep of abandoned runs.
//! - [`cli`]: the command line, a thin shell over the rest.
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
