//! Bring-up: images, networks and volumes, then the services in dependency order, independent
//! ones in parallel, each waited on until ready. The one path for the library's `Stack` and for
//! `dockhand test`.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use indexmap::IndexMap;
use tokio::sync::watch;

use super::error::RunError;
use super::hooks::post_start;
use crate::engine::{ContainerInfo, Engine, EngineError, ImageFacts};
use crate::labels;
use crate::plan::{ImageSource, PullPolicy, ServicePlan, StackPlan, Until};
use crate::ready::{Check, ReadyError, health_check, own_check, wait_ready};
use crate::report::{Event, Reporter, SetupRecord, SetupResult, mark_failed};
use crate::signal::Stop;

/// The containers a bring-up started, by service, and how each set-up went.
#[derive(Debug, Clone, Default)]
pub struct Started {
    pub containers: IndexMap<String, String>,
    pub setup: Vec<SetupRecord>,
}

/// What the images of a run hold, by service.
pub type Images = HashMap<String, ImageFacts>;

/// What a run reusing a stack knows before it starts anything: the fingerprint each service
/// must carry to be reused, and the containers an earlier run left up, by service (ordered by
/// container number).
#[derive(Debug, Clone, Default)]
pub struct Reuse {
    pub fingerprints: BTreeMap<String, String>,
    pub existing: HashMap<String, Vec<ContainerInfo>>,
}

/// Builds, or checks for (pulling if allowed, or always with `pull_policy: always`), the image
/// of each of `services`, in parallel, showing each pull's progress.
/// Warns when a built image's tag is not explicit.
pub async fn prepare_images(
    engine: &Engine,
    plan: &StackPlan,
    services: &[String],
    reporter: &dyn Reporter,
    stop: &Stop,
) -> Result<Images, RunError> {
    let tasks = services
        .iter()
        .filter_map(|s| plan.services.get(s))
        .map(|sp| async move {
            let facts = prepare_image(engine, sp, reporter).await?;
            Ok::<_, RunError>((sp.name.clone(), facts))
        });
    tokio::select! {
        results = join_all(tasks) => results.into_iter().collect(),
        _ = stop.token().cancelled() => Err(RunError::stopped(stop)),
    }
}

async fn prepare_image(
    engine: &Engine,
    sp: &ServicePlan,
    reporter: &dyn Reporter,
) -> Result<ImageFacts, RunError> {
    let image = &sp.image.reference;
    match &sp.image.source {
        ImageSource::Build(build) => {
            if !sp.image.tag_is_explicit {
                reporter.event(Event::Warning {
                    message: &format!(
                        "service {} builds {image}: a tag another build can move; set --tag (or DOCKHAND_TAG) to a commit or build number",
                        sp.name
                    ),
                });
            }
            let t0 = Instant::now();
            reporter.event(Event::Building {
                service: &sp.name,
                image,
            });
            engine
                .build(&sp.name, image, build, |line| {
                    reporter.event(Event::BuildOutput {
                        service: &sp.name,
                        line,
                    })
                })
                .await?;
            reporter.event(Event::Built {
                service: &sp.name,
                image,
                elapsed: t0.elapsed(),
            });
        }
        ImageSource::Pull(policy) => {
            if *policy != PullPolicy::Always
                && let Some(facts) = engine.image_facts(image).await?
            {
                return Ok(facts);
            }
            if *policy == PullPolicy::Never {
                return Err(EngineError::ImageNotLocal {
                    service: sp.name.clone(),
                    image: image.clone(),
                }
                .into());
            }
            super::transfer::pull(engine, &sp.name, image, reporter).await?;
        }
    }
    engine.image_facts(image).await?.ok_or_else(|| {
        RunError::Engine(EngineError::ImageNotLocal {
            service: sp.name.clone(),
            image: image.clone(),
        })
    })
}

/// Creates the plan's networks and volumes; checks that external ones exist.
pub async fn create_resources(engine: &Engine, plan: &StackPlan) -> Result<(), RunError> {
    for n in &plan.networks {
        if !n.external {
            // A reused stack's networks are there already.
            if plan.run.reuse.is_some() && engine.network_exists(&n.name).await? {
                continue;
            }
            engine.create_network(n).await?;
        } else if !engine.network_exists(&n.name).await? {
            return Err(RunError::ExternalMissing {
                kind: "network",
                name: n.name.clone(),
            });
        }
    }
    for v in &plan.volumes {
        if !v.external {
            engine.create_volume(v).await?;
        } else if !engine.volume_exists(&v.name).await? {
            return Err(RunError::ExternalMissing {
                kind: "volume",
                name: v.name.clone(),
            });
        }
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq)]
enum Phase {
    Pending,
    Started(String),
    /// Ready; `true` when its readiness was its healthcheck passing.
    Ready(String, bool),
    Failed,
}

/// What a dependency's start shares with the services that wait for it.
struct Shared<'a> {
    engine: &'a Engine,
    plan: &'a StackPlan,
    images: &'a Images,
    receivers: HashMap<String, watch::Receiver<Phase>>,
    ready_timeout: Duration,
    reporter: &'a dyn Reporter,
    stop: &'a Stop,
    reuse: Option<&'a Reuse>,
}

/// Starts `services` (names in the plan) in dependency order, independent ones in parallel, and
/// waits for each to be ready. On the first failure the rest stop where they are; the engine
/// calls in flight finish, so teardown by label then finds everything.
#[allow(clippy::too_many_arguments)]
pub async fn start_services(
    engine: &Engine,
    plan: &StackPlan,
    services: &[String],
    images: &Images,
    reuse: Option<&Reuse>,
    ready_timeout: Duration,
    reporter: &dyn Reporter,
    stop: &Stop,
) -> (Started, Result<(), RunError>) {
    let mut senders = HashMap::new();
    let mut receivers = HashMap::new();
    for s in services {
        let (tx, rx) = watch::channel(Phase::Pending);
        senders.insert(s.clone(), tx);
        receivers.insert(s.clone(), rx);
    }
    let shared = Shared {
        engine,
        plan,
        images,
        receivers,
        ready_timeout,
        reporter,
        stop,
        reuse,
    };
    let first_error: Mutex<Option<RunError>> = Mutex::new(None);
    let fail = |e: RunError| {
        if let Ok(mut slot) = first_error.lock()
            && slot.is_none()
        {
            *slot = Some(e);
        }
        stop.cancel();
    };

    let tasks = services.iter().map(|name| {
        let tx = &senders[name];
        let shared = &shared;
        let fail = &fail;
        async move {
            let result = start_one(shared, &plan.services[name], tx).await;
            let _ = tx.send_if_modified(|p| {
                if matches!(p, Phase::Ready(..)) {
                    false
                } else {
                    *p = Phase::Failed;
                    true
                }
            });
            match result {
                Ok(record) => record,
                Err((record, Some(e))) => {
                    if let SetupResult::Failed { message, .. } = &record.result {
                        reporter.event(Event::Failed {
                            service: name,
                            reason: message,
                        });
                    }
                    fail(e);
                    record
                }
                Err((record, None)) => record,
            }
        }
    });
    let records = join_all(tasks).await;

    let mut started = Started::default();
    for name in services {
        if let Phase::Ready(id, _) | Phase::Started(id) = &*shared.receivers[name].borrow() {
            started.containers.insert(name.clone(), id.clone());
        }
    }
    started.setup = records;
    let result = match first_error.into_inner().ok().flatten() {
        Some(e) => Err(e),
        None if stop.is_stopped() => Err(RunError::stopped(stop)),
        None => Ok(()),
    };
    (started, result)
}

type Failure = (SetupRecord, Option<RunError>);

fn record(service: &str, duration: Duration, result: SetupResult) -> SetupRecord {
    SetupRecord::new(service, duration, result)
}

/// What a `depends_on` condition waits for beyond the dependency's start, given the
/// dependency's plan and image; an error when it asks for health the dependency cannot have.
fn condition_check(
    until: Until,
    dep: &ServicePlan,
    image: Option<&ImageFacts>,
) -> Result<Option<Check>, ReadyError> {
    match until {
        Until::Started => Ok(None),
        Until::CompletedSuccessfully => Ok(Some(Check::Completed)),
        Until::Healthy => health_check(dep, image.unwrap_or(&ImageFacts::default()))
            .map(Some)
            .ok_or_else(|| ReadyError::NoHealthcheck {
                service: dep.name.clone(),
            }),
    }
}

async fn start_one(
    cx: &Shared<'_>,
    sp: &ServicePlan,
    tx: &watch::Sender<Phase>,
) -> Result<SetupRecord, Failure> {
    let name = &sp.name;
    let stop = cx.stop;
    let not_started = |reason: String| {
        (
            record(name, Duration::ZERO, SetupResult::NotStarted { reason }),
            None,
        )
    };
    for wait in &sp.waits {
        let Some(rx) = cx.receivers.get(&wait.service) else {
            continue;
        };
        let mut rx = rx.clone();
        let wanted = |p: &Phase| match wait.until {
            Until::Started => !matches!(p, Phase::Pending),
            _ => matches!(p, Phase::Ready(..) | Phase::Failed),
        };
        let phase = tokio::select! {
            r = rx.wait_for(wanted) => r.map(|p| p.clone()).unwrap_or(Phase::Failed),
            _ = stop.token().cancelled() => return Err(not_started(stop.reason())),
        };
        let (id, healthy) = match phase {
            Phase::Started(id) => (id, false),
            Phase::Ready(id, healthy) => (id, healthy),
            _ => return Err(not_started(format!("dependency {} failed", wait.service))),
        };
        if wait.until == Until::Healthy && healthy {
            continue;
        }
        let dep = &cx.plan.services[&wait.service];
        let check = match condition_check(wait.until, dep, cx.images.get(&wait.service)) {
            Ok(check) => check,
            Err(e) => return Err(not_started_because(name, &wait.service, e)),
        };
        if let Some(check) = check {
            let waited = tokio::select! {
                r = wait_ready(cx.engine, &wait.service, &id, &check, cx.ready_timeout) => r,
                _ = stop.token().cancelled() => return Err(not_started(stop.reason())),
            };
            if let Err(e) = waited {
                // The dependency's own task reports its failure; this one only did not start.
                return Err(not_started_because(name, &wait.service, e));
            }
        }
    }
    if stop.is_stopped() {
        return Err(not_started(stop.reason()));
    }

    let t0 = Instant::now();
    let failed = |e: RunError, log_tail: String| {
        let message = e.to_string();
        (
            record(
                name,
                t0.elapsed(),
                SetupResult::Failed { message, log_tail },
            ),
            Some(e),
        )
    };
    cx.reporter.event(Event::Starting { service: name });
    let fingerprint = cx.reuse.and_then(|r| r.fingerprints.get(name));
    let reused = match cx.reuse {
        Some(reuse) => reuse_containers(cx.engine, sp, reuse)
            .await
            .map_err(|e| failed(e.into(), String::new()))?,
        None => None,
    };
    let was_reused = reused.is_some();
    let (id, replicas, created) = match reused {
        Some((id, replicas)) => (id, replicas, t0.elapsed()),
        None => {
            let labelled = |spec: &crate::plan::ContainerSpec| {
                let mut spec = spec.clone();
                if let Some(fp) = fingerprint {
                    spec.labels.insert(labels::FINGERPRINT.into(), fp.clone());
                }
                spec
            };
            let id = cx
                .engine
                .create(&labelled(&sp.container))
                .await
                .map_err(|e| failed(e.into(), String::new()))?;
            let created = t0.elapsed();
            cx.engine
                .start_spec(&id, &sp.container)
                .await
                .map_err(|e| failed(e.into(), String::new()))?;
            // Hooks run right after each container's start, before the service counts as
            // started for its dependents, as compose runs them.
            tokio::select! {
                r = post_start(cx.engine, sp, &id) => r.map_err(|e| failed(e, String::new()))?,
                _ = stop.token().cancelled() => return Err(not_started(stop.reason())),
            }
            // A scaled service's further replicas; the first one stands for the service in
            // waits.
            let mut replicas = Vec::new();
            for replica in &sp.extra_replicas {
                let rid = cx
                    .engine
                    .create(&labelled(replica))
                    .await
                    .map_err(|e| failed(e.into(), String::new()))?;
                cx.engine
                    .start_spec(&rid, replica)
                    .await
                    .map_err(|e| failed(e.into(), String::new()))?;
                tokio::select! {
                    r = post_start(cx.engine, sp, &rid) => r.map_err(|e| failed(e, String::new()))?,
                    _ = stop.token().cancelled() => return Err(not_started(stop.reason())),
                }
                replicas.push(rid);
            }
            (id, replicas, created)
        }
    };
    let started = t0.elapsed();
    let _ = tx.send(Phase::Started(id.clone()));
    cx.reporter.event(Event::Started { service: name });

    // Its own readiness: the file's strategy, its healthcheck run at once, a built-in probe,
    // or running (a service that ran to completion with exit 0 is fine too, unless it has a
    // healthcheck to pass).
    let check = own_check(sp, cx.images.get(name).unwrap_or(&ImageFacts::default()));
    let is_health = matches!(check, Check::Health { .. });
    for each in std::iter::once(&id).chain(&replicas) {
        let waited = tokio::select! {
            r = wait_ready(cx.engine, name, each, &check, cx.ready_timeout) => r,
            _ = stop.token().cancelled() => return Err(not_started(stop.reason())),
        };
        match waited {
            Ok(()) => {}
            Err(ReadyError::Exited { code: 0, .. }) if !is_health => {}
            Err(e) => {
                let tail = e.log_tail().unwrap_or_default().to_string();
                return Err(failed(e.into(), tail));
            }
        }
    }
    let _ = tx.send(Phase::Ready(id, is_health));
    let elapsed = t0.elapsed();
    let check_name = if was_reused {
        format!("reused, {}", check.name())
    } else {
        check.name()
    };
    cx.reporter.event(Event::Ready {
        service: name,
        check: &check_name,
        elapsed,
    });
    Ok(SetupRecord {
        check: Some(check_name),
        phases: vec![
            ("create", created),
            ("start", started - created),
            ("ready", elapsed - started),
        ],
        ..record(name, elapsed, SetupResult::Ready)
    })
}

/// The containers an earlier run left up for `sp`, when they may serve this run: all there,
/// running, created from this run's settings and image (their fingerprint matches), and their
/// reset commands pass. Otherwise they are removed, and `None` says to create the service anew.
async fn reuse_containers(
    engine: &Engine,
    sp: &ServicePlan,
    reuse: &Reuse,
) -> Result<Option<(String, Vec<String>)>, EngineError> {
    let old = reuse
        .existing
        .get(&sp.name)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    if old.is_empty() {
        return Ok(None);
    }
    let wanted = reuse.fingerprints.get(&sp.name);
    let matches = old.len() == 1 + sp.extra_replicas.len()
        && old
            .iter()
            .all(|c| c.state == "running" && c.labels.get(labels::FINGERPRINT) == wanted);
    let mut reset_ok = matches;
    if matches {
        'containers: for c in old {
            for command in &sp.reset {
                let run = engine.exec(&c.id, command, RESET_TIMEOUT).await?;
                if run.exit_code != Some(0) {
                    reset_ok = false;
                    break 'containers;
                }
            }
        }
    }
    if reset_ok {
        let ids: Vec<String> = old.iter().map(|c| c.id.clone()).collect();
        return Ok(Some((ids[0].clone(), ids[1..].to_vec())));
    }
    for c in old {
        engine.remove_container(&c.id).await?;
    }
    Ok(None)
}

/// How long one reset command of a reused service may take.
const RESET_TIMEOUT: Duration = Duration::from_secs(60);

/// Waits until every wait of `sp` holds, for a service that is not started by
/// [`start_services`] (the service whose image runs the test command). A dependency failing
/// its condition marks its set-up record failed.
#[allow(clippy::too_many_arguments)]
pub async fn await_waits(
    engine: &Engine,
    plan: &StackPlan,
    images: &Images,
    sp: &ServicePlan,
    started: &mut Started,
    ready_timeout: Duration,
    stop: &Stop,
) -> Result<(), RunError> {
    for w in &sp.waits {
        let Some(id) = started.containers.get(&w.service) else {
            continue;
        };
        let dep = &plan.services[&w.service];
        let waited = match condition_check(w.until, dep, images.get(&w.service)) {
            Ok(None) => continue,
            Ok(Some(check)) => tokio::select! {
                r = wait_ready(engine, &w.service, id, &check, ready_timeout) => r,
                _ = stop.token().cancelled() => return Err(RunError::stopped(stop)),
            },
            Err(e) => Err(e),
        };
        if let Err(e) = waited {
            mark_failed(
                &mut started.setup,
                &w.service,
                e.to_string(),
                e.log_tail().unwrap_or_default(),
            );
            return Err(e.into());
        }
    }
    Ok(())
}

fn not_started_because(name: &str, dep: &str, e: ReadyError) -> Failure {
    // A dependent that finds a dependency failing its condition (say, no healthcheck) carries
    // the error: the dependency itself started fine.
    let message = format!("dependency {dep}: {e}");
    let log_tail = e.log_tail().unwrap_or_default().to_string();
    (
        record(
            name,
            Duration::ZERO,
            SetupResult::Failed { message, log_tail },
        ),
        Some(RunError::from(e)),
    )
}
