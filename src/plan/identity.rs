//! Who owns a run: the identity written into the labels of everything the run creates.

use std::collections::BTreeMap;

use crate::{labels, owner};

/// Who owns a run: written into every resource's labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunIdentity {
    /// Short unique id, also the suffix of the project name.
    pub id: String,
    /// Process id of the dockhand process that owns the run.
    pub owner_pid: u32,
    /// Host name of the machine it runs on.
    pub owner_host: String,
    /// The owner's start time in clock ticks since boot (see [`crate::owner`]).
    pub owner_start: Option<u64>,
    /// The stack outlives its owner on purpose; only `dockhand down` removes it.
    pub keep: bool,
    /// A reused stack's name (`dockhand test --reuse`): later runs find it by it.
    pub reuse: Option<String>,
}

impl RunIdentity {
    /// A fresh identity for a run started by this process.
    pub fn new() -> Self {
        let id = uuid::Uuid::new_v4().simple().to_string()[..8].to_string();
        RunIdentity {
            id,
            owner_pid: std::process::id(),
            owner_host: owner::this_host(),
            owner_start: owner::start_time(std::process::id()),
            keep: false,
            reuse: None,
        }
    }

    /// The labels that tie a resource to this run.
    pub fn labels(&self, project: &str) -> BTreeMap<String, String> {
        let mut labels = BTreeMap::from([
            (labels::PROJECT.to_string(), project.to_string()),
            (labels::RUN.to_string(), self.id.clone()),
            (labels::OWNER_PID.to_string(), self.owner_pid.to_string()),
            (labels::OWNER_HOST.to_string(), self.owner_host.clone()),
            (labels::MANAGED.to_string(), "true".to_string()),
        ]);
        if let Some(start) = self.owner_start {
            labels.insert(labels::OWNER_START.to_string(), start.to_string());
        }
        if self.keep {
            labels.insert(labels::KEEP.to_string(), "true".to_string());
        }
        if let Some(stack) = &self.reuse {
            labels.insert(labels::REUSE.to_string(), stack.clone());
        }
        labels
    }
}

impl Default for RunIdentity {
    fn default() -> Self {
        RunIdentity::new()
    }
}
