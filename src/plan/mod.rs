//! The dependency graph of a project and the ordered operations for up and down.

pub mod graph;
pub mod stack;

pub use stack::{ContainerSpec, PlanOptions, RunIdentity, ServicePlan, StackPlan};
