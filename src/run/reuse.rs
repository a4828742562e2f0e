//! Finding a reused stack (`dockhand test --reuse`, `StackBuilder::reuse`): the identity of the
//! stack an earlier run left up, or a new one, and the lock that makes runs of it take turns.

use std::collections::{BTreeMap, HashMap};

use super::bringup::{Images, Reuse};
use super::error::{RunError, share_dir_error};
use crate::cleanup::shared::{Locked, ShareDir};
use crate::engine::{ContainerInfo, Engine};
use crate::labels;
use crate::plan::{RunIdentity, StackPlan, reuse};

/// Takes the lock of reused stack `key` (waiting for a run holding it) and reads the identity
/// of the stack an earlier run left up under that name, or makes a new one.
pub(super) async fn reused_identity(
    engine: &Engine,
    key: &str,
) -> Result<(RunIdentity, Locked), RunError> {
    let dir = ShareDir::for_fingerprint(&format!("reuse-{key}"));
    let lock = dir
        .lock_async()
        .await
        .map_err(|e| share_dir_error(&dir, e))?;
    let selector = BTreeMap::from([
        (labels::MANAGED.to_string(), "true".to_string()),
        (labels::REUSE.to_string(), key.to_string()),
    ]);
    let left_up = engine.containers_with(&selector).await?;
    let run = left_up
        .iter()
        .find_map(|c| reuse::identity_of(&c.labels))
        .unwrap_or_else(|| {
            let mut run = RunIdentity::new();
            run.keep = true;
            run.reuse = Some(key.to_string());
            run
        });
    Ok((run, lock))
}

/// What a reused stack's bring-up compares: the fingerprints this run wants, and the
/// containers of the stack an earlier run left up.
pub(super) async fn reuse_of(
    engine: &Engine,
    plan: &StackPlan,
    images: &Images,
) -> Result<Reuse, RunError> {
    let fingerprints = reuse::fingerprints(plan, |s| images.get(s).map(|f| f.id.clone()));
    let mut selector = BTreeMap::from([(labels::RUN.to_string(), plan.run.id.clone())]);
    if let Some(key) = &plan.run.reuse {
        selector.insert(labels::REUSE.to_string(), key.clone());
    }
    Ok(Reuse {
        fingerprints,
        existing: by_service(engine.containers_with(&selector).await?),
    })
}

/// A stack's containers found on the engine, by service, each service's in container number
/// order; one-off containers (the test command's) left out.
pub(super) fn by_service(found: Vec<ContainerInfo>) -> HashMap<String, Vec<ContainerInfo>> {
    let mut services: HashMap<String, Vec<ContainerInfo>> = HashMap::new();
    for c in found {
        if c.labels.get(labels::ONEOFF).is_some_and(|v| v == "True") {
            continue;
        }
        if let Some(service) = c.labels.get(labels::SERVICE) {
            services.entry(service.clone()).or_default().push(c);
        }
    }
    for containers in services.values_mut() {
        containers.sort_by_key(|c| {
            c.labels
                .get(labels::CONTAINER_NUMBER)
                .and_then(|n| n.parse::<u32>().ok())
                .unwrap_or(0)
        });
    }
    services
}

/// Whether a network or volume the reused stack of `plan` left on the engine was made from
/// other settings than `plan` asks for (or by a dockhand that did not label them).
pub(super) async fn resources_changed(engine: &Engine, plan: &StackPlan) -> Result<bool, RunError> {
    let selector = BTreeMap::from([(labels::RUN.to_string(), plan.run.id.clone())]);
    let wanted = |labels: &BTreeMap<String, String>| labels.get(labels::FINGERPRINT).cloned();
    let networks = engine.networks_with(&selector).await?;
    let volumes = engine.volumes_with(&selector).await?;
    let differs = |found: &[crate::engine::ResourceInfo], name: &str, want: Option<String>| {
        found
            .iter()
            .find(|r| r.name == name)
            .is_some_and(|r| r.labels.get(labels::FINGERPRINT).cloned() != want)
    };
    let changed = plan
        .networks
        .iter()
        .filter(|n| !n.external)
        .any(|n| differs(&networks, &n.name, wanted(&n.labels)))
        || plan
            .volumes
            .iter()
            .filter(|v| !v.external)
            .any(|v| differs(&volumes, &v.name, wanted(&v.labels)));
    Ok(changed)
}
