//! The sweep: removes the resources of runs whose owner process is gone from this host.

use std::collections::BTreeMap;

use super::teardown::{Removed, teardown_run};
use crate::engine::{Engine, EngineError};
use crate::{labels, owner};

/// One run found on the engine, from its labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOwner {
    /// The run id (`io.dockhand.run`).
    pub run: String,
    /// The project name on the engine.
    pub project: String,
    /// The owner process's id, if the label is readable.
    pub pid: Option<u32>,
    /// The owner process's start time in clock ticks since boot, if recorded.
    pub start: Option<u64>,
    /// The host the owner runs on.
    pub host: String,
    /// The stack was kept on purpose: never swept.
    pub keep: bool,
}

impl RunOwner {
    fn from_labels(l: &BTreeMap<String, String>) -> Option<RunOwner> {
        Some(RunOwner {
            run: l.get(labels::RUN)?.clone(),
            project: l.get(labels::PROJECT).cloned().unwrap_or_default(),
            pid: l.get(labels::OWNER_PID).and_then(|p| p.parse().ok()),
            start: l.get(labels::OWNER_START).and_then(|p| p.parse().ok()),
            host: l.get(labels::OWNER_HOST).cloned().unwrap_or_default(),
            keep: l.get(labels::KEEP).is_some_and(|v| v == "true"),
        })
    }

    /// Whether the run is abandoned: owned by a process of this host that no longer runs, and
    /// not kept on purpose. Runs of other hosts are never judged from here.
    pub fn is_abandoned(&self, this_host: &str) -> bool {
        if self.keep || self.host != this_host {
            return false;
        }
        match self.pid {
            Some(pid) => !owner::is_alive(pid, self.start),
            None => false,
        }
    }
}

/// Every run that has a container, network or volume on the engine.
pub async fn runs(engine: &Engine) -> Result<Vec<RunOwner>, EngineError> {
    let managed = BTreeMap::from([(labels::MANAGED.to_string(), "true".to_string())]);
    let mut found: BTreeMap<String, RunOwner> = BTreeMap::new();
    let mut add = |l: &BTreeMap<String, String>| {
        if let Some(o) = RunOwner::from_labels(l) {
            found.entry(o.run.clone()).or_insert(o);
        }
    };
    for c in engine.containers_with(&managed).await? {
        add(&c.labels);
    }
    for n in engine.networks_with(&managed).await? {
        add(&n.labels);
    }
    for v in engine.volumes_with(&managed).await? {
        add(&v.labels);
    }
    Ok(found.into_values().collect())
}

/// Removes every abandoned run; returns each with what was removed.
pub async fn sweep(engine: &Engine) -> Result<Vec<(RunOwner, Removed)>, EngineError> {
    let host = owner::this_host();
    let mut swept = Vec::new();
    for run in runs(engine).await? {
        if run.is_abandoned(&host) {
            let removed = teardown_run(engine, &run.run).await?;
            swept.push((run, removed));
        }
    }
    Ok(swept)
}
