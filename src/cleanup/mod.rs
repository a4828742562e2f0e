//! Teardown by label, the reaper for owners killed outright, and the sweep of abandoned runs:
//! what a run created is found on the engine, never remembered.

pub mod reaper;
pub mod shared;
pub mod sweep;
pub mod teardown;

pub use reaper::Reaper;
pub use sweep::{RunOwner, sweep};
pub use teardown::{Removed, stop_run, teardown, teardown_run};
