//! dockhand tests an application the way it ships: inside its own Docker image, next to the real
//! databases and caches it talks to, all described by the compose file the team already has.
//!
//! # In a `cargo test` suite
//!
//! ```no_run
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! let stack = dockhand::Stack::builder().file("compose/redis.yml").up().await?;
//! let addr = stack.endpoint("cache", 6379)?; // 127.0.0.1:49153, the published host port
//! // ... talk to Redis at addr ...
//! stack.down().await?; // dropping the stack tears it down as well
//! # Ok(()) }
//! ```
//!
//! # The whole `dockhand test` workflow
//!
//! ```no_run
//! # async fn example() -> Result<(), dockhand::RunError> {
//! use dockhand::report::Console;
//! use dockhand::run::{TestSettings, run_test};
//! use dockhand::signal::Stop;
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
//! The modules follow the pipeline; each imports only modules listed before it (a test checks
//! this), and only `engine` talks to Docker.
//!
//! - [`labels`], [`owner`]: what every resource carries, and who owns a run.
//! - [`compose`]: the loader, compose files to a typed [`compose::Project`], and the
//!   dependency graph (no Docker).
//! - [`plan`]: what a run builds, creates and starts, in which order, as plain data (no
//!   Docker); the one place where a compose key becomes a container setting.
//! - [`engine`]: the only door to the Docker Engine, answering in dockhand's own types.
//! - [`ready`]: when a started container counts as ready, and the watch on dependencies.
//! - [`cleanup`]: teardown by label, the reaper and the sweep of abandoned runs.
//! - [`verdict`]: the last-line marker and the pass/fail decision (no Docker).
//! - [`report`]: progress on the console, the run's record, JUnit and secret masking.
//! - [`fault`], [`signal`]: fault injection for dockhand's own tests; stopping a run.
//! - [`run`]: the orchestration: [`Stack`] for library use, and `dockhand test` built on it.
//! - [`cli`]: the command line, a thin shell over the rest.
#![forbid(unsafe_code)]

pub mod labels;
pub mod owner;

pub mod compose;
pub mod plan;

pub mod engine;
pub mod ready;

pub mod cleanup;
pub mod verdict;

pub mod report;

pub mod fault;
pub mod signal;

pub mod run;

#[cfg(feature = "cli")]
pub mod cli;

pub use engine::ExecOutput;
pub use plan::ReadyCheck;
pub use run::{Endpoint, EndpointError, RunError, SharedStack, Stack, StackBuilder};
