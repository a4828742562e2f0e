//! Readiness: which check decides that a started container is ready, the probes dockhand runs
//! itself, waiting with them, and the watch on dependencies while the test command runs.

mod choose;
mod probe;
mod wait;
mod watch;

pub use choose::{health_check, own_check};
pub use probe::{Probe, Protocol, recognise, try_once, try_once_at};
pub use wait::{Check, LOG_TAIL_LINES, ReadyError, wait_ready};
pub use watch::first_failure;
