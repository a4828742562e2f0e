//! dockhand tests an application the way it ships: inside its own Docker image, next to the real
//! databases and caches it talks to, all described by the compose file the team already has.
//! It reads compose files as docker compose does and talks to the Docker Engine API directly.
//!
//! It serves two uses:
//!
//! - **A library for `cargo test` suites** that need real services: [`Stack`] brings a compose
//!   stack up, waits until each service is ready, gives the host address of every published
//!   port, runs commands in its containers, and tears it all down, even when a test panics. See
//!   [The library](https://github.com/dockhand/dockhand#the-library) and
//!   [Working on a running stack](https://github.com/dockhand/dockhand#working-on-a-running-stack)
//!   in the README.
//! - **A command line for CI and developers**: `dockhand test` builds the images, brings the
//!   dependencies up, runs the test command in the application's image, judges it by exit code
//!   and result marker, writes a JUnit report and tears down on every path; `up`, `down`, `ps`,
//!   `config` and `prune` go with it. See
//!   [Install](https://github.com/dockhand/dockhand#install),
//!   [Usage](https://github.com/dockhand/dockhand#usage) and
//!   [Exit status](https://github.com/dockhand/dockhand#exit-status). The binary is a thin
//!   shell over this crate: [`run::run_test`] is what `dockhand test` calls.
//!
//! How a service counts as ready, what decides pass or fail, and what dockhand promises about
//! cleanup are in the README's [Readiness](https://github.com/dockhand/dockhand#readiness),
//! [The verdict](https://github.com/dockhand/dockhand#the-verdict) and
//! [Guarantees](https://github.com/dockhand/dockhand#guarantees); which compose keys are
//! carried out is in [Compose support](https://github.com/dockhand/dockhand#compose-support).
//!
//! # Features
//!
//! - `cli` (on by default): the `dockhand` binary and the [`cli`] module, with clap, shell
//!   completions and the man page. A test suite that only needs the library leaves it out and
//!   compiles faster:
//!
//!   ```toml
//!   [dev-dependencies]
//!   dockhand = { version = "0.1", default-features = false }
//!   ```
//!
//! The library needs a tokio runtime (`#[tokio::test]`, either flavour) and a Docker daemon,
//! chosen as the docker CLI chooses it (`DOCKER_HOST`, `DOCKER_CONTEXT`, the Docker config's
//! current context, else the local socket) or given with [`StackBuilder::engine`]; it may run
//! on another machine, reached over TLS or ssh (see
//! [Remote engines](https://github.com/dockhand/dockhand#remote-engines)).
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
//! The builder picks what comes up and how long it may take; what it leaves unset is what
//! `dockhand test` would do with the same file:
//!
//! ```no_run
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//!
//! use dockhand::{ReadyCheck, Stack};
//!
//! let stack = Stack::builder()
//!     .file("compose.yml")
//!     .file("compose.test.yml") // merged over the first, as `docker compose -f -f` does
//!     .service("api") // only api and what it depends on
//!     .ready("api", ReadyCheck::Tcp(8080)) // instead of its healthcheck
//!     .ready_timeout(Duration::from_secs(60)) // per service; default 120 s
//!     .up()
//!     .await?;
//! let url = format!("http://{}/health", stack.endpoint("api", 8080)?);
//! // A command in a container of the stack (db: a service api depends on).
//! let out = stack.exec("db", ["psql", "-U", "app", "-c", "select 1"]).await?;
//! assert!(out.success(), "{}", out.stderr);
//! # let _ = url;
//! stack.down().await?;
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
//! - [`signal`]: stopping a run (and `fault`, the crate's own fault injection for its tests,
//!   not part of the API).
//! - [`run`]: the orchestration: [`Stack`] for library use, and `dockhand test` built on it.
//! - [`cli`]: the command line, a thin shell over the rest (the `cli` feature).
//!
//! # Versioning
//!
//! dockhand follows Semantic Versioning; what counts as a breaking change for the library, the
//! command line and the exit codes is written in the
//! [changelog](https://github.com/dockhand/dockhand/blob/main/CHANGELOG.md#versioning-policy).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod labels;
pub mod owner;

pub mod compose;
pub mod plan;

pub mod engine;
pub mod ready;

pub mod cleanup;
pub mod verdict;

pub mod report;

pub(crate) mod fault;
pub mod signal;

pub mod run;

#[cfg(feature = "cli")]
pub mod cli;

pub use engine::ExecOutput;
pub use plan::ReadyCheck;
pub use run::{Endpoint, EndpointError, RunError, SharedStack, Stack, StackBuilder};
