//! Removes every container, network and volume carrying a set of labels.

use std::collections::BTreeMap;
use std::time::Duration;

use futures_util::future::join_all;

use crate::engine::{Engine, EngineError};
use crate::labels;

/// What a teardown removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Removed {
    /// Containers removed.
    pub containers: usize,
    /// Networks removed.
    pub networks: usize,
    /// Volumes removed.
    pub volumes: usize,
}

impl Removed {
    /// Whether nothing was removed.
    pub fn is_empty(&self) -> bool {
        self.containers == 0 && self.networks == 0 && self.volumes == 0
    }
}

/// Stops every container of run `run_id` gracefully, in parallel (before a teardown, for
/// services that must shut down cleanly; teardown alone kills them).
pub async fn stop_run(engine: &Engine, run_id: &str) -> Result<(), EngineError> {
    let selector = BTreeMap::from([
        (labels::RUN.to_string(), run_id.to_string()),
        (labels::MANAGED.to_string(), "true".to_string()),
    ]);
    let ids: Vec<String> = engine
        .containers_with(&selector)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    for r in join_all(ids.iter().map(|id| engine.stop(id))).await {
        r?;
    }
    Ok(())
}

/// Removes everything of run `run_id`.
pub async fn teardown_run(engine: &Engine, run_id: &str) -> Result<Removed, EngineError> {
    teardown(
        engine,
        &BTreeMap::from([(labels::RUN.to_string(), run_id.to_string())]),
    )
    .await
}

/// Removes the containers (killed, with their anonymous volumes, in parallel), then the
/// networks, then the volumes that carry every label in `selector`. Only resources dockhand
/// labelled are touched, so external networks and volumes are never removed.
pub async fn teardown(
    engine: &Engine,
    selector: &BTreeMap<String, String>,
) -> Result<Removed, EngineError> {
    let mut selector = selector.clone();
    selector.insert(labels::MANAGED.into(), "true".into());
    let mut removed = Removed::default();

    // Two passes: a create that was in flight when teardown began shows up in the second.
    for _ in 0..2 {
        let containers = engine.containers_with(&selector).await?;
        let ids: Vec<String> = containers.into_iter().map(|c| c.id).collect();
        let results = join_all(ids.iter().map(|id| engine.remove_container(id))).await;
        for r in results {
            r?;
            removed.containers += 1;
        }
        if ids.is_empty() {
            break;
        }
    }

    let networks = engine.networks_with(&selector).await?;
    let results = join_all(networks.iter().map(|n| n.id.clone()).map(|id| {
        let engine = engine.clone();
        async move {
            // A container's removal can still be releasing its endpoint: retry briefly.
            let mut last = Ok(());
            for attempt in 0..10 {
                last = engine.remove_network(&id).await;
                if last.is_ok() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100 * (attempt + 1))).await;
            }
            last
        }
    }))
    .await;
    for r in results {
        r?;
        removed.networks += 1;
    }

    let volumes = engine.volumes_with(&selector).await?;
    let results = join_all(volumes.iter().map(|v| engine.remove_volume(&v.id))).await;
    for r in results {
        r?;
        removed.volumes += 1;
    }
    Ok(removed)
}
