//! Readiness: when a started container counts as ready, and how it fails.

pub mod health;

pub use health::{ContainerState, ReadyError, Target, observe, wait_for};
