//! The plan: what a run builds, creates and starts, in which order and with which waits, as
//! plain data resolved from the compose project. No compose type goes past this module.

mod access;
mod identity;
mod naming;
mod remote;
mod render;
pub mod reuse;
mod service;
mod spec;
mod stack;

pub use identity::RunIdentity;
pub use naming::split_tag;
pub use remote::LocalBind;
pub use spec::*;
pub use stack::{PlanOptions, with_dependencies};
