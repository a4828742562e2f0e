//! `dockhand test`: load, build, bring the dependencies up, run the test command in the stack,
//! judge it, report it, and tear everything down on every path.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use futures_util::{FutureExt, StreamExt};
use tokio::io::AsyncWriteExt;

use super::error::RunError;
use super::events::{Event, Reporter};
use super::fault;
use super::up::{
    SetupRecord, Stop, await_conditions, create_resources, mark_failed, prepare_images,
    start_services,
};
use crate::cleanup::{Reaper, stop_run, sweep, teardown_run};
use crate::compose::{self, LoadOptions, Project};
use crate::engine::Engine;
use crate::plan::graph::Graph;
use crate::plan::{PlanOptions, RunIdentity, StackPlan};
use crate::ready::{ContainerState, ReadyError, observe};
use crate::verdict::{LineScanner, MarkerPolicy, Verdict, judge};

/// Everything `dockhand test` needs, validated.
#[derive(Debug, Clone)]
pub struct TestSettings {
    pub load: LoadOptions,
    /// The service whose image holds the test command.
    pub service: String,
    /// Replaces the service's command; empty keeps it.
    pub command: Vec<String>,
    /// Added over the service's environment, in order (later wins).
    pub env: Vec<(String, String)>,
    pub markers: MarkerPolicy,
    pub junit: Option<PathBuf>,
    /// Where logs go; default a folder under the temp dir named after the project.
    pub artifacts: Option<PathBuf>,
    pub tag: Option<String>,
    pub keep: bool,
    pub keep_host_ports: bool,
    pub ready_timeout: Duration,
    /// The whole run, bring-up included.
    pub timeout: Option<Duration>,
    /// Names of variables whose values are secret, besides the default secret-looking names
    /// (`--mask NAME`; `*` allowed).
    pub masks: Vec<String>,
    /// Stop the containers gracefully (stop signal, then the grace period) before removing
    /// them, instead of killing them.
    pub graceful_stop: bool,
    /// The dockhand binary to start as this run's reaper (the CLI sets it; the library cannot,
    /// its executable being the user's test binary).
    pub reaper: Option<PathBuf>,
}

impl Default for TestSettings {
    /// The compose file from the current folder, markers on, 120 s per dependency, no reaper.
    fn default() -> Self {
        TestSettings {
            load: LoadOptions::default(),
            service: String::new(),
            command: Vec::new(),
            env: Vec::new(),
            markers: MarkerPolicy::default(),
            junit: None,
            artifacts: None,
            tag: None,
            keep: false,
            keep_host_ports: false,
            ready_timeout: Duration::from_secs(120),
            timeout: None,
            masks: Vec::new(),
            graceful_stop: false,
            reaper: None,
        }
    }
}

/// The test command's run, for reports.
#[derive(Debug, Clone)]
pub struct TestRecord {
    pub command: Vec<String>,
    pub duration: Duration,
    pub verdict: Verdict,
    /// The whole raw output.
    pub output_path: PathBuf,
    /// Its last bytes, for reports.
    pub output_tail: crate::report::OutputTail,
}

/// The output of a test command that is still running.
#[derive(Debug, Clone)]
pub struct PartialOutput {
    pub started: Instant,
    pub path: PathBuf,
    pub tail: crate::report::OutputTail,
}

/// What a run did, whether it finished or not.
#[derive(Debug, Clone, Default)]
pub struct RunRecord {
    /// The project name as the file gives it: stable from run to run, so it names the suite.
    pub project: String,
    /// The name on the engine, with the run's suffix.
    pub run_project: String,
    pub service: String,
    /// The test command as it runs (the override, or the service's own command).
    pub command: Vec<String>,
    pub image: String,
    pub tag: Option<String>,
    pub started_at: Option<SystemTime>,
    pub duration: Duration,
    pub setup: Vec<SetupRecord>,
    pub test: Option<TestRecord>,
    /// Every `KEY=VALUE` the compose file sets on the run's services: the values of
    /// secret-looking names are masked in reports.
    pub environment: Vec<(String, String)>,
    /// The test command's output while it runs; becomes `test` when it ends.
    pub partial: Option<PartialOutput>,
    /// Why the run ended before a verdict, if it did.
    pub error: Option<String>,
    pub artifacts: PathBuf,
}

/// The verdict and where the evidence is.
#[derive(Debug, Clone)]
pub struct TestOutcome {
    pub record: RunRecord,
    pub verdict: Verdict,
}

/// Loads the project, checks `service` exists (turning its profiles on), and returns it with the
/// services it depends on, transitively.
pub fn load_for_service(
    load: &LoadOptions,
    service: &str,
) -> Result<(Project, Vec<String>), RunError> {
    let mut load = load.clone();
    if !load.enable_services.iter().any(|s| s == service) {
        load.enable_services.push(service.to_string());
    }
    let project = compose::load(&load)?;
    if !project.services.contains_key(service) {
        let known: Vec<&str> = project.services.keys().map(String::as_str).collect();
        return Err(RunError::Usage(format!(
            "no service named {service} in {}; services: {}",
            project
                .files
                .iter()
                .map(|f| f.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            known.join(", ")
        )));
    }
    let deps = Graph::of_services(&project)
        .closure([service])
        .into_iter()
        .filter(|d| d != service)
        .collect();
    Ok((project, deps))
}

/// Runs the whole `dockhand test` workflow. The stack is torn down before this returns, on
/// every path (unless `keep`), including a panic inside.
pub async fn run_test(
    settings: &TestSettings,
    reporter: &dyn Reporter,
    stop: &Stop,
) -> Result<TestOutcome, RunError> {
    let (project, deps) = load_for_service(&settings.load, &settings.service)?;
    for w in &project.warnings {
        reporter.event(Event::Warning { message: w });
    }
    let mut wanted = deps.clone();
    wanted.push(settings.service.clone());
    let mut run = RunIdentity::new();
    run.keep = settings.keep;
    let plan = StackPlan::new(
        &project,
        run,
        &PlanOptions {
            services: wanted,
            keep_host_ports: settings.keep_host_ports,
            publish_all: false,
            tag: settings.tag.clone(),
        },
    );
    let app = &plan.services[&settings.service];
    if app.build.is_none() && !app.tag_is_explicit {
        reporter.event(Event::Warning {
            message: &format!(
                "service {} runs {}: a tag another build or pull can move; pin it to a version, commit or build number",
                settings.service, app.container.image
            ),
        });
    }
    let engine = Engine::connect().await?;
    sweep_abandoned(&engine, reporter).await;
    let reaper = match &settings.reaper {
        Some(exe) => Some(
            Reaper::spawn(exe, &plan.run.id).map_err(|source| RunError::Write {
                what: "the reaper process",
                path: exe.display().to_string(),
                source,
            })?,
        ),
        None => None,
    };

    let artifacts = settings
        .artifacts
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join("dockhand").join(&plan.project));
    std::fs::create_dir_all(&artifacts).map_err(|source| RunError::Write {
        what: "artifacts",
        path: artifacts.display().to_string(),
        source,
    })?;

    let app = &plan.services[&settings.service];
    let mut record = RunRecord {
        project: plan.base_project.clone(),
        run_project: plan.project.clone(),
        service: settings.service.clone(),
        command: if settings.command.is_empty() {
            app.container.config.command.clone().unwrap_or_default()
        } else {
            settings.command.clone()
        },
        image: app.container.image.clone(),
        tag: crate::plan::stack::split_tag(&app.container.image).1,
        started_at: Some(SystemTime::now()),
        artifacts: artifacts.clone(),
        environment: plan
            .services
            .values()
            .flat_map(|s| s.container.env.iter())
            .filter_map(|e| e.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..Default::default()
    };
    let t0 = Instant::now();

    let body = std::panic::AssertUnwindSafe(run_stack(
        &engine,
        &plan,
        &deps,
        settings,
        reporter,
        stop,
        &mut record,
    ))
    .catch_unwind();
    let result = match settings.timeout {
        Some(limit) => match tokio::time::timeout(limit, body).await {
            Ok(r) => r,
            Err(_) => Ok(Err(RunError::Timeout(limit.as_secs()))),
        },
        None => body.await,
    };
    let finished = Instant::now();
    record.duration = finished.duration_since(t0);

    // A graceful stop (if asked for) so the logs include each shutdown, then the logs (the
    // containers are about to go), then the stack. Nothing here may skip the teardown.
    if settings.graceful_stop
        && !settings.keep
        && let Err(e) = stop_run(&engine, &plan.run.id).await
    {
        reporter.event(Event::Warning {
            message: &format!("could not stop the stack gracefully, killing it: {e}"),
        });
    }
    save_logs(&engine, &plan, &artifacts).await;
    if settings.keep {
        if let Some(r) = reaper {
            r.keep();
        }
        reporter.event(Event::Note {
            message: &format!(
                "--keep: the stack {} is still up; remove it with `dockhand down -p {}`",
                plan.project, plan.project
            ),
        });
    } else {
        reporter.event(Event::TearingDown {
            project: &plan.project,
        });
        teardown_run(&engine, &plan.run.id).await?;
        drop(reaper);
    }

    // A panic inside dockhand is still reported (as an error) before it goes on unwinding.
    let (result, panic) = match result {
        Ok(r) => (r, None),
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".into());
            (Err(RunError::Internal(what)), Some(panic))
        }
    };
    if let Err(e) = &result {
        record.error = Some(e.to_string());
        // A test command cut short is reported with what it printed, as a failure saying why.
        if let Some(p) = record.partial.take() {
            record.test = Some(TestRecord {
                command: record.command.clone(),
                duration: finished.duration_since(p.started),
                verdict: Verdict {
                    passed: false,
                    marker: crate::verdict::MarkerFound::NotChecked,
                    exit_code: -1,
                    reason: format!("the test command did not finish: {e}"),
                },
                output_path: p.path,
                output_tail: p.tail,
            });
        }
    }
    let written = match &settings.junit {
        Some(path) => {
            let mut masker = super::junit::masker(settings);
            masker.add_env(
                record
                    .environment
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str())),
            );
            super::junit::write(path, &record, &masker)
        }
        None => Ok(()),
    };
    if let Some(panic) = panic {
        std::panic::resume_unwind(panic);
    }
    written?;
    reporter.event(Event::Note {
        message: &format!("logs saved in {}", artifacts.display()),
    });
    let verdict = result?;
    Ok(TestOutcome { record, verdict })
}

async fn run_stack(
    engine: &Engine,
    plan: &StackPlan,
    deps: &[String],
    settings: &TestSettings,
    reporter: &dyn Reporter,
    stop: &Stop,
    record: &mut RunRecord,
) -> Result<Verdict, RunError> {
    prepare_images(engine, plan, deps, reporter, stop).await?;
    create_resources(engine, plan).await?;
    // The app's image builds while its dependencies come up; a failed build stops the bring-up.
    let bring_up = stop.child();
    let app = [settings.service.clone()];
    let build = async {
        let built = prepare_images(engine, plan, &app, reporter, stop).await;
        if built.is_err() {
            bring_up.token().cancel();
        }
        built
    };
    let up = start_services(
        engine,
        plan,
        deps,
        settings.ready_timeout,
        reporter,
        &bring_up,
    );
    let (built, (started, result)) = tokio::join!(build, up);
    let mut started = started;
    let conditions = match (&built, &result) {
        (Ok(()), Ok(())) => {
            let app = &plan.services[&settings.service];
            await_conditions(engine, app, &mut started, settings.ready_timeout, stop).await
        }
        _ => Ok(()),
    };
    record.setup = started.setup.clone();
    built?;
    result?;
    conditions?;
    fault::inject("after-up");
    if stop.is_stopped() {
        return Err(stop.stopped_error());
    }

    let command = (!settings.command.is_empty()).then(|| settings.command.clone());
    let Some(spec) = plan.one_off(&settings.service, command, &settings.env) else {
        return Err(RunError::Usage(format!(
            "no service named {}",
            settings.service
        )));
    };
    let output_path = record
        .artifacts
        .join(format!("{}-test.log", settings.service));

    let t0 = Instant::now();
    let id = engine.create(&spec).await?;
    let mut output = engine.attach_output(&id).await?;
    engine.start(&id).await?;
    reporter.event(Event::TestStarted {
        service: &settings.service,
        container: &spec.name,
    });

    let mut file = tokio::fs::File::create(&output_path)
        .await
        .map_err(|source| RunError::Write {
            what: "the test output",
            path: output_path.display().to_string(),
            source,
        })?;
    let write_err = |source| RunError::Write {
        what: "the test output",
        path: output_path.display().to_string(),
        source,
    };
    let mut scanner = LineScanner::default();
    // Kept in the record as it grows, so a run cut short (timeout, signal) still reports it.
    record.partial = Some(PartialOutput {
        started: t0,
        path: output_path.clone(),
        tail: crate::report::OutputTail::default(),
    });
    let service = settings.service.as_str();
    let watch_deps = watch_dependencies(engine, &started.containers);
    tokio::pin!(watch_deps);
    loop {
        tokio::select! {
            chunk = output.next() => match chunk {
                Some(Ok(bytes)) => {
                    file.write_all(&bytes).await.map_err(write_err)?;
                    if let Some(p) = &mut record.partial {
                        p.tail.push(&bytes);
                    }
                    scanner.push(&bytes, |line| reporter.event(Event::Output { service, line }));
                    reporter.event(Event::OutputFlush);
                }
                Some(Err(e)) => return Err(e.into()),
                None => break,
            },
            e = &mut watch_deps => {
                engine.kill(&id, "SIGKILL").await?;
                if let ReadyError::Exited { service, log_tail, .. } = &e {
                    let message = format!("{e}, while the test command ran");
                    mark_failed(&mut record.setup, service, message, log_tail);
                }
                return Err(RunError::Dependency(e));
            }
            _ = stop.token().cancelled() => {
                engine.kill(&id, "SIGKILL").await?;
                return Err(stop.stopped_error());
            }
        }
    }
    scanner.finish(|line| reporter.event(Event::Output { service, line }));
    reporter.event(Event::OutputFlush);
    file.flush().await.map_err(write_err)?;
    let exit_code = engine.wait_exit(&id).await?;
    let verdict = judge(exit_code, scanner.last_line(), &settings.markers);
    let tail = record.partial.take().map(|p| p.tail).unwrap_or_default();
    record.test = Some(TestRecord {
        command: record.command.clone(),
        duration: t0.elapsed(),
        verdict: verdict.clone(),
        output_path,
        output_tail: tail,
    });
    Ok(verdict)
}

/// Resolves when a started dependency has exited with a non-zero code (or vanished); never
/// otherwise.
async fn watch_dependencies(
    engine: &Engine,
    containers: &indexmap::IndexMap<String, String>,
) -> ReadyError {
    loop {
        for (service, id) in containers {
            match engine.inspect(id).await {
                Ok(resp) => {
                    let (state, health_output, _) = observe(&resp);
                    if let ContainerState::Exited { code } = state
                        && code != 0
                    {
                        return ReadyError::Exited {
                            service: service.clone(),
                            code,
                            health_output,
                            log_tail: engine
                                .log_tail(id, crate::ready::health::LOG_TAIL_LINES)
                                .await,
                        };
                    }
                }
                Err(e) => return ReadyError::Engine(e),
            }
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Saves each container's whole log of the run as `<artifacts>/<container>.log`.
async fn save_logs(engine: &Engine, plan: &StackPlan, dir: &Path) {
    let Ok(containers) = engine.containers_with(&plan.run_labels()).await else {
        return;
    };
    let saves = containers.iter().filter_map(|c| {
        let id = c.id.clone()?;
        let name = c
            .names
            .as_ref()?
            .first()?
            .trim_start_matches('/')
            .to_string();
        let path = dir.join(format!("{name}.log"));
        Some(async move {
            let _ = engine.save_log(&id, &path).await;
        })
    });
    futures_util::future::join_all(saves).await;
}

/// Removes what runs whose owner died left behind, saying so; a failure here only warns.
pub async fn sweep_abandoned(engine: &Engine, reporter: &dyn Reporter) {
    match sweep(engine).await {
        Ok(swept) => {
            for (run, removed) in swept {
                reporter.event(Event::Note {
                    message: &format!(
                        "removed {} left by a dockhand process that is gone ({} containers, {} networks, {} volumes)",
                        run.project, removed.containers, removed.networks, removed.volumes
                    ),
                });
            }
        }
        Err(e) => reporter.event(Event::Warning {
            message: &format!("could not sweep abandoned runs: {e}"),
        }),
    }
}
