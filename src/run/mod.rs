//! The run's orchestration: the stack brought up (the one bring-up, for the library and the
//! CLI), the test command in it, the verdict and the report, teardown on every path.

mod bringup;
mod endpoint;
mod error;
mod hooks;
mod oneoff;
mod ops;
mod remote;
mod reuse;
mod shared;
mod ship;
mod stack;
mod test;
mod transfer;

pub use endpoint::Endpoint;
pub use error::{EndpointError, RunError, exit};
pub use hooks::pre_stop_hooks;
pub use shared::{BIN_ENV, SHARE_KEY_ENV, SharedStack};
pub use stack::{KEEP_ENV, Stack, StackBuilder};
pub use test::{TestOutcome, TestSettings, run_test};
