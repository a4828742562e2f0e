//! The run: up -> wait -> test -> collect -> down, with signals and cancellation.

pub mod error;
pub mod events;
pub mod fault;
pub mod junit;
pub mod signal;
pub mod stack;
pub mod test;
pub mod up;

pub use error::{Interrupt, RunError, exit};
pub use events::{Console, Event, Reporter, Silent};
pub use stack::{Stack, StackBuilder};
pub use test::{TestOutcome, TestSettings, run_test};
pub use up::Stop;
