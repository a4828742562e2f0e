//! Readiness: when a started container counts as ready, how it fails, and the watch on
//! dependencies while the test command runs.

mod health;
mod probe;
mod watch;

pub use health::{LOG_TAIL_LINES, ReadyError, Target, wait_for};
pub use probe::{Probe, Protocol, recognise, try_once};
pub use watch::first_failure;
