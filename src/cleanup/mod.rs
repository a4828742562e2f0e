//! Teardown by label: what a run created is found on the engine, never remembered.

pub mod teardown;

pub use teardown::{Removed, teardown, teardown_run};
