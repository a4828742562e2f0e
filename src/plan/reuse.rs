//! Reused stacks (`dockhand test --reuse`): which stack a run reuses, what each of its
//! containers must have been created from to be reused, and the labels of a run's own test
//! container beside a stack that belongs to no run.

use std::collections::{BTreeMap, HashMap};

use sha2::{Digest, Sha256};

use super::identity::RunIdentity;
use super::spec::{ContainerSpec, StackPlan};
use crate::labels;

/// The name of the reused stack of `plan`'s project running `service`'s tests: the project's
/// name and the services it brings up.
pub fn stack_key(plan: &StackPlan, service: &str) -> String {
    let mut hash = Sha256::new();
    hash.update(format!("reuse 1\n{}\n{service}\n", plan.base_project));
    let mut names: Vec<&String> = plan.services.keys().collect();
    names.sort();
    for n in names {
        hash.update(format!("{n}\n"));
    }
    format!(
        "{}-{}",
        plan.base_project,
        hex::encode(&hash.finalize()[..4])
    )
}

/// Each service's fingerprint: its containers' settings (less who created them), its image's
/// id, and the fingerprints of the services it waits for, so that a changed service changes
/// the fingerprints of everything that depends on it. `image_id` gives a service's image id.
pub fn fingerprints(
    plan: &StackPlan,
    image_id: impl Fn(&str) -> Option<String>,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for name in plan.levels.iter().flatten() {
        let Some(sp) = plan.services.get(name) else {
            continue;
        };
        let mut hash = Sha256::new();
        hash.update(format!("{:?}\n", without_owner(&sp.container)));
        for replica in &sp.extra_replicas {
            hash.update(format!("{:?}\n", without_owner(replica)));
        }
        hash.update(format!("image {:?}\n", image_id(name)));
        for wait in &sp.waits {
            hash.update(format!(
                "after {} {:?} {:?}\n",
                wait.service,
                wait.until,
                out.get(&wait.service)
            ));
        }
        out.insert(name.clone(), hex::encode(&hash.finalize()[..8]));
    }
    out
}

/// `spec` without the labels naming the process that created it, which changes from run to
/// run while the container stays the same.
fn without_owner(spec: &ContainerSpec) -> ContainerSpec {
    ContainerSpec {
        labels: without_owner_labels(&spec.labels),
        ..spec.clone()
    }
}

/// Labels a network or volume of a reused stack with the fingerprint of its settings, less
/// who created it, so a later run sees a setting changed in the file. `labels` gives the
/// spec's labels.
pub fn add_fingerprint<T: std::fmt::Debug + Clone>(
    spec: &mut T,
    labels: impl Fn(&mut T) -> &mut std::collections::BTreeMap<String, String>,
) {
    let mut bare = spec.clone();
    let bare_labels = labels(&mut bare);
    *bare_labels = without_owner_labels(bare_labels);
    let fp = hex::encode(&Sha256::digest(format!("resource 1\n{bare:?}"))[..8]);
    labels(spec).insert(labels::FINGERPRINT.into(), fp);
}

/// `labels` less those naming the process that created the resource, and less its
/// fingerprint.
fn without_owner_labels(
    labels: &std::collections::BTreeMap<String, String>,
) -> std::collections::BTreeMap<String, String> {
    let mut labels = labels.clone();
    for l in [
        labels::OWNER_PID,
        labels::OWNER_START,
        labels::OWNER_HOST,
        labels::FINGERPRINT,
    ] {
        labels.remove(l);
    }
    labels
}

/// Gives a container of a reused stack (the run's test container) the labels of run `run`,
/// so that the run's teardown, reaper and sweep remove it and nothing of the stack.
pub fn relabel(spec: &mut ContainerSpec, run: &RunIdentity) {
    for l in [labels::KEEP, labels::REUSE, labels::OWNER_START] {
        spec.labels.remove(l);
    }
    let project = spec
        .labels
        .get(labels::PROJECT)
        .cloned()
        .unwrap_or_default();
    spec.labels.extend(run.labels(&project));
}

/// The identity of a reused stack found on the engine, read back from one of its resources'
/// labels; `None` when they do not name a run.
pub fn identity_of(found: &BTreeMap<String, String>) -> Option<RunIdentity> {
    Some(RunIdentity {
        id: found.get(labels::RUN)?.clone(),
        owner_pid: found.get(labels::OWNER_PID)?.parse().ok()?,
        owner_host: found.get(labels::OWNER_HOST).cloned().unwrap_or_default(),
        owner_start: found.get(labels::OWNER_START).and_then(|s| s.parse().ok()),
        keep: true,
        reuse: Some(found.get(labels::REUSE)?.clone()),
    })
}

/// Image ids by service, for [`fingerprints`].
pub type ImageIds = HashMap<String, String>;

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::compose::{LoadOptions, load_from_str};
    use crate::plan::PlanOptions;

    fn plan(yaml: &str, run: RunIdentity) -> StackPlan {
        let opts = LoadOptions {
            working_dir: Some("/work/app".into()),
            environment: Some(HashMap::new()),
            ..Default::default()
        };
        let project = load_from_str("compose.yml", yaml, &opts).expect("valid compose file");
        StackPlan::new(&project, run, &PlanOptions::default())
    }

    const STACK: &str = "name: shop
services:
  db:
    image: postgres:16
    environment: {POSTGRES_DB: shop}
  cache:
    image: redis:7
  api:
    image: api:1
    depends_on: [db]
";

    fn reused() -> RunIdentity {
        RunIdentity {
            id: "r1".into(),
            owner_pid: 10,
            owner_host: "h".into(),
            owner_start: Some(5),
            keep: true,
            reuse: Some("shop-x".into()),
        }
    }

    fn ids(_: &str) -> Option<String> {
        Some("sha256:1".into())
    }

    #[test]
    fn the_same_stack_from_another_process_has_the_same_fingerprints() {
        let a = fingerprints(&plan(STACK, reused()), ids);
        let mut later = reused();
        later.owner_pid = 99;
        later.owner_start = Some(77);
        let b = fingerprints(&plan(STACK, later), ids);
        assert_eq!(a, b);
        assert_eq!(a.len(), 3);
    }

    #[test]
    fn a_change_reaches_the_service_and_its_dependents_only() {
        let before = fingerprints(&plan(STACK, reused()), ids);
        let changed = STACK.replace("POSTGRES_DB: shop", "POSTGRES_DB: shop2");
        let after = fingerprints(&plan(&changed, reused()), ids);
        assert_ne!(before["db"], after["db"]);
        assert_ne!(before["api"], after["api"], "api depends on db");
        assert_eq!(before["cache"], after["cache"]);
        let new_image = fingerprints(&plan(STACK, reused()), |s| {
            Some(if s == "cache" { "sha256:2" } else { "sha256:1" }.into())
        });
        assert_ne!(before["cache"], new_image["cache"]);
        assert_eq!(before["db"], new_image["db"]);
    }

    #[test]
    fn the_stack_key_names_the_project_and_its_services() {
        let p = plan(STACK, reused());
        let key = stack_key(&p, "api");
        assert!(key.starts_with("shop-"), "{key}");
        assert_eq!(key, stack_key(&plan(STACK, RunIdentity::new()), "api"));
        assert_ne!(key, stack_key(&p, "db"));
    }

    #[test]
    fn identity_reads_back_from_labels_and_relabel_moves_a_container_to_a_run() {
        let r = reused();
        let labels = r.labels("shop-r1");
        assert_eq!(identity_of(&labels), Some(r.clone()));
        let p = plan(STACK, r);
        let mut spec = p.services["api"].container.clone();
        let own = RunIdentity::new();
        relabel(&mut spec, &own);
        assert_eq!(spec.labels[labels::RUN], own.id);
        assert_eq!(spec.labels[labels::PROJECT], "shop-r1");
        assert!(!spec.labels.contains_key(labels::KEEP));
        assert!(!spec.labels.contains_key(labels::REUSE));
    }
}
