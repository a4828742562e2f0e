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

/// The plan of the compose file `yaml`, written as `compose.yml` into `dir` (beside whatever
/// files the test put there), with no variables from the environment.
#[cfg(test)]
pub(crate) fn plan_in(dir: &std::path::Path, yaml: &str) -> StackPlan {
    use crate::compose::{LoadOptions, load};
    std::fs::write(dir.join("compose.yml"), yaml).unwrap();
    let project = load(&LoadOptions {
        files: vec![dir.join("compose.yml")],
        environment: Some(Default::default()),
        ..Default::default()
    })
    .unwrap();
    StackPlan::new(&project, RunIdentity::new(), &PlanOptions::default())
}
