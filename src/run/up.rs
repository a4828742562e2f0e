//! Bring-up: images, networks and volumes, then the services in dependency order, independent
//! ones in parallel, each waited on until ready.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use indexmap::IndexMap;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::error::{Interrupt, RunError};
use super::events::{Event, Reporter};
use crate::compose::Condition;
use crate::engine::{Engine, EngineError};
use crate::plan::StackPlan;
use crate::ready::{ReadyError, Target, wait_for};

/// How the set-up of one service went, for reports.
#[derive(Debug, Clone)]
pub struct SetupRecord {
    pub service: String,
    /// From the create call to ready.
    pub duration: Duration,
    pub outcome: SetupOutcome,
}

#[derive(Debug, Clone)]
pub enum SetupOutcome {
    Ready,
    Failed {
        message: String,
        log_tail: String,
    },
    /// Not started because the run stopped first (another service failed, or a signal).
    NotStarted {
        reason: String,
    },
}

/// The containers a bring-up started, by service.
#[derive(Debug, Clone, Default)]
pub struct Started {
    pub containers: IndexMap<String, String>,
    pub setup: Vec<SetupRecord>,
}

/// Why the run is being stopped, shared by every task of a bring-up.
#[derive(Debug, Clone, Default)]
pub struct Stop {
    token: CancellationToken,
    interrupt: std::sync::Arc<std::sync::Mutex<Option<Interrupt>>>,
}

impl Stop {
    pub fn new() -> Stop {
        Stop::default()
    }

    /// A stop of its own for part of the run: stopping it leaves this one running, stopping
    /// this one (or a signal) stops it too.
    pub fn child(&self) -> Stop {
        Stop {
            token: self.token.child_token(),
            interrupt: self.interrupt.clone(),
        }
    }

    pub fn token(&self) -> &CancellationToken {
        &self.token
    }

    /// Stops the run because of a signal.
    pub fn interrupt(&self, sig: Interrupt) {
        if let Ok(mut i) = self.interrupt.lock() {
            i.get_or_insert(sig);
        }
        self.token.cancel();
    }

    pub fn interrupted(&self) -> Option<Interrupt> {
        self.interrupt.lock().ok().and_then(|i| *i)
    }

    pub fn is_stopped(&self) -> bool {
        self.token.is_cancelled()
    }

    /// The error to return when the run was stopped by someone else.
    pub fn stopped_error(&self) -> RunError {
        match self.interrupted() {
            Some(sig) => RunError::Interrupted(sig),
            None => RunError::Usage("the run was stopped".into()),
        }
    }
}

/// Builds or checks the image of each of `services`. Warns when a built image's tag is not
/// explicit.
pub async fn prepare_images(
    engine: &Engine,
    plan: &StackPlan,
    services: &[String],
    reporter: &dyn Reporter,
    stop: &Stop,
) -> Result<(), RunError> {
    let tasks = services.iter().filter_map(|s| plan.services.get(s)).map(|sp| async move {
        let image = &sp.container.image;
        match &sp.build {
            Some(build) => {
                if !sp.tag_is_explicit {
                    reporter.event(Event::Warning {
                        message: &format!(
                            "service {} builds {image}: a tag another build can move; set --tag (or DOCKHAND_TAG) to a commit or build number",
                            sp.name
                        ),
                    });
                }
                let t0 = Instant::now();
                reporter.event(Event::Building { service: &sp.name, image });
                engine
                    .build(&sp.name, image, build, |line| {
                        reporter.event(Event::BuildOutput { service: &sp.name, line })
                    })
                    .await?;
                reporter.event(Event::Built {
                    service: &sp.name,
                    image,
                    elapsed: t0.elapsed(),
                });
            }
            None => {
                if !engine.image_exists(image).await? {
                    if sp.container.config.pull_policy.as_deref() == Some("never") {
                        return Err(RunError::Engine(EngineError::ImageMissing {
                            service: sp.name.clone(),
                            image: image.clone(),
                            source: bollard::errors::Error::DockerResponseServerError {
                                status_code: 404,
                                message: "pull_policy is never".into(),
                            },
                        }));
                    }
                    engine.pull(&sp.name, image).await?;
                }
            }
        }
        Ok::<(), RunError>(())
    });
    let build_all = join_all(tasks);
    tokio::select! {
        results = build_all => results.into_iter().collect::<Result<Vec<_>, _>>().map(|_| ()),
        _ = stop.token().cancelled() => Err(stop.stopped_error()),
    }
}

/// Creates the plan's networks and volumes; checks that external ones exist.
pub async fn create_resources(engine: &Engine, plan: &StackPlan) -> Result<(), RunError> {
    for n in &plan.networks {
        if n.external {
            if !engine.network_exists(&n.name).await? {
                return Err(RunError::Usage(format!(
                    "network {} is declared external but does not exist; create it with `docker network create {}`",
                    n.name, n.name
                )));
            }
        } else {
            engine.create_network(n).await?;
        }
    }
    for v in &plan.volumes {
        if v.external {
            if !engine.volume_exists(&v.name).await? {
                return Err(RunError::Usage(format!(
                    "volume {} is declared external but does not exist; create it with `docker volume create {}`",
                    v.name, v.name
                )));
            }
        } else {
            engine.create_volume(v).await?;
        }
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq)]
enum Phase {
    Pending,
    Started(String),
    Ready(String),
    Failed,
}

/// Starts `services` (names in the plan) in dependency order, independent ones in parallel, and
/// waits for each to be ready. On the first failure the rest stop where they are; the engine
/// calls in flight finish, so teardown by label then finds everything.
pub async fn start_services(
    engine: &Engine,
    plan: &StackPlan,
    services: &[String],
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
    let first_error: std::sync::Mutex<Option<RunError>> = std::sync::Mutex::new(None);
    let fail = |e: RunError| {
        if let Ok(mut slot) = first_error.lock()
            && slot.is_none()
        {
            *slot = Some(e);
        }
        stop.token().cancel();
    };

    let tasks = services.iter().map(|name| {
        let tx = &senders[name];
        let receivers = &receivers;
        let fail = &fail;
        async move {
            let sp = &plan.services[name];
            let result = start_one(engine, sp, receivers, tx, ready_timeout, reporter, stop).await;
            let _ = tx.send_if_modified(|p| {
                if matches!(p, Phase::Ready(_)) {
                    false
                } else {
                    *p = Phase::Failed;
                    true
                }
            });
            match result {
                Ok(record) => record,
                Err((record, Some(e))) => {
                    if let SetupOutcome::Failed { message, .. } = &record.outcome {
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
    for (name, rx) in &receivers {
        if let Phase::Ready(id) | Phase::Started(id) = &*rx.borrow() {
            started.containers.insert(name.clone(), id.clone());
        }
    }
    started.setup = records;
    let err = first_error.into_inner().ok().flatten();
    let result = match err {
        Some(e) => Err(e),
        None if stop.is_stopped() => Err(stop.stopped_error()),
        None => Ok(()),
    };
    (started, result)
}

type Failure = (SetupRecord, Option<RunError>);

async fn start_one(
    engine: &Engine,
    sp: &crate::plan::ServicePlan,
    receivers: &HashMap<String, watch::Receiver<Phase>>,
    tx: &watch::Sender<Phase>,
    ready_timeout: Duration,
    reporter: &dyn Reporter,
    stop: &Stop,
) -> Result<SetupRecord, Failure> {
    let name = &sp.name;
    let not_started = |reason: String| {
        (
            SetupRecord {
                service: name.clone(),
                duration: Duration::ZERO,
                outcome: SetupOutcome::NotStarted { reason },
            },
            None,
        )
    };
    // Wait for each dependency's condition.
    for (dep, d) in &sp.depends_on {
        let Some(rx) = receivers.get(dep) else {
            continue;
        };
        let mut rx = rx.clone();
        let wanted = |p: &Phase| match d.condition {
            Condition::ServiceStarted => !matches!(p, Phase::Pending),
            _ => matches!(p, Phase::Ready(_) | Phase::Failed),
        };
        let phase = tokio::select! {
            r = rx.wait_for(wanted) => r.map(|p| p.clone()).unwrap_or(Phase::Failed),
            _ = stop.token().cancelled() => return Err(not_started(stop_reason(stop))),
        };
        let id = match phase {
            Phase::Started(id) | Phase::Ready(id) => id,
            _ => return Err(not_started(format!("dependency {dep} failed"))),
        };
        if let Some(target) = condition_target(d.condition) {
            let waited = tokio::select! {
                r = wait_for(engine, dep, &id, target, ready_timeout) => r,
                _ = stop.token().cancelled() => return Err(not_started(stop_reason(stop))),
            };
            if let Err(e) = waited {
                // The dependency's own task reports its failure; this one only did not start.
                return Err(not_started_because(name, dep, e));
            }
        }
    }
    if stop.is_stopped() {
        return Err(not_started(stop_reason(stop)));
    }

    let t0 = Instant::now();
    let failed = |e: RunError, log_tail: String| {
        (
            SetupRecord {
                service: name.clone(),
                duration: t0.elapsed(),
                outcome: SetupOutcome::Failed {
                    message: e.to_string(),
                    log_tail,
                },
            },
            Some(e),
        )
    };
    reporter.event(Event::Starting { service: name });
    let id = engine
        .create(&sp.container)
        .await
        .map_err(|e| failed(e.into(), String::new()))?;
    engine
        .start(&id)
        .await
        .map_err(|e| failed(e.into(), String::new()))?;
    let _ = tx.send(Phase::Started(id.clone()));
    reporter.event(Event::Started { service: name });

    // Its own readiness: healthy when it has a healthcheck, else running (or done, exit 0).
    let resp = engine
        .inspect(&id)
        .await
        .map_err(|e| failed(e.into(), String::new()))?;
    let (_, _, has_healthcheck) = crate::ready::observe(&resp);
    let target = if has_healthcheck {
        Target::Healthy
    } else {
        Target::Running
    };
    let waited = tokio::select! {
        r = wait_for(engine, name, &id, target, ready_timeout) => r,
        _ = stop.token().cancelled() => return Err(not_started(stop_reason(stop))),
    };
    match waited {
        Ok(()) => {}
        Err(ReadyError::Exited { code: 0, .. }) if !has_healthcheck => {}
        Err(e) => {
            let tail = e.log_tail().unwrap_or_default().to_string();
            return Err(failed(e.into(), tail));
        }
    }
    let _ = tx.send(Phase::Ready(id));
    let elapsed = t0.elapsed();
    reporter.event(Event::Ready {
        service: name,
        elapsed,
    });
    Ok(SetupRecord {
        service: name.clone(),
        duration: elapsed,
        outcome: SetupOutcome::Ready,
    })
}

/// Marks the set-up of `service` in `setup` failed, when a dependency that came up fails later.
pub fn mark_failed(setup: &mut [SetupRecord], service: &str, message: String, log_tail: &str) {
    if let Some(rec) = setup.iter_mut().find(|r| r.service == service) {
        rec.outcome = SetupOutcome::Failed {
            message,
            log_tail: log_tail.to_string(),
        };
    }
}

/// What a `depends_on` condition waits for beyond the dependency's start.
pub fn condition_target(condition: Condition) -> Option<Target> {
    match condition {
        Condition::ServiceStarted => None,
        Condition::ServiceHealthy => Some(Target::Healthy),
        Condition::ServiceCompletedSuccessfully => Some(Target::Completed),
    }
}

/// Waits until every `depends_on` condition of `sp` holds, for a service that is not started
/// by [`start_services`] (the service whose image runs the test command). A dependency failing
/// its condition marks its set-up record failed.
pub async fn await_conditions(
    engine: &Engine,
    sp: &crate::plan::ServicePlan,
    started: &mut Started,
    ready_timeout: Duration,
    stop: &Stop,
) -> Result<(), RunError> {
    for (dep, d) in &sp.depends_on {
        let (Some(target), Some(id)) = (condition_target(d.condition), started.containers.get(dep))
        else {
            continue;
        };
        let waited = tokio::select! {
            r = wait_for(engine, dep, id, target, ready_timeout) => r,
            _ = stop.token().cancelled() => return Err(stop.stopped_error()),
        };
        if let Err(e) = waited {
            mark_failed(
                &mut started.setup,
                dep,
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
    let message = e.to_string();
    let tail = e.log_tail().unwrap_or_default().to_string();
    let err = RunError::from(e);
    (
        SetupRecord {
            service: name.to_string(),
            duration: Duration::ZERO,
            outcome: SetupOutcome::Failed {
                message: format!("dependency {dep}: {message}"),
                log_tail: tail,
            },
        },
        Some(err),
    )
}

fn stop_reason(stop: &Stop) -> String {
    match stop.interrupted() {
        Some(sig) => format!("interrupted by {}", sig.name()),
        None => "the run stopped before it started".to_string(),
    }
}
