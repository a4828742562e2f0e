//! `dockhand test`: the library's stack brought up for the service's dependencies, the test
//! command in a one-off container of the service, the verdict, the report, and teardown on
//! every path.

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use futures_util::FutureExt;

use super::error::RunError;
use super::oneoff::{collect_reports, read_tests_from, run_one_off, warn_of_failures_under_a_pass};
use super::ship::Shipment;
use super::stack::{Stack, load_project, sweep_abandoned};
use crate::cleanup::Reaper;
use crate::compose::LoadOptions;
use crate::engine::{Engine, EngineChoice};
use crate::fault;
use crate::plan::{PlanOptions, RunIdentity, StackPlan, reuse, split_tag};
use crate::report::{Event, Masker, Reporter, RunRecord, TestsFrom};
use crate::signal::Stop;
use crate::verdict::{MarkerPolicy, Verdict};

/// Everything `dockhand test` needs, validated.
#[derive(Debug, Clone)]
pub struct TestSettings {
    /// Which compose files, project name and profiles to load (`-f`, `-p`, `--profile`).
    pub load: LoadOptions,
    /// The service whose image holds the test command.
    pub service: String,
    /// Replaces the service's command; empty keeps it.
    pub command: Vec<String>,
    /// Added over the service's environment, in order (later wins).
    pub env: Vec<(String, String)>,
    /// How the output's last line decides the verdict; the default requires a marker.
    pub markers: MarkerPolicy,
    /// Where to write the JUnit report; `None` writes none.
    pub junit: Option<PathBuf>,
    /// Where logs go; default a folder under the temp dir named after the project.
    pub artifacts: Option<PathBuf>,
    /// The exact tag of the images built from `build:` (`--tag`); `None` keeps the file's.
    pub tag: Option<String>,
    /// Leave the stack up afterwards (`--keep`).
    pub keep: bool,
    /// Keep the file's fixed host ports instead of ephemeral ones (`--keep-host-ports`).
    pub keep_host_ports: bool,
    /// How long each dependency may take to become ready (default 120 s).
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
    /// Reuse the dependencies an earlier `reuse` run left up where they still match, and
    /// leave them up after this run (`--reuse`, `DOCKHAND_REUSE=1`).
    pub reuse: bool,
    /// After a pass, push each image built for the run to its registry (`--push`).
    pub push: bool,
    /// Further tags given to the built images and pushed with them (`--also-tag`).
    pub also_tags: Vec<String>,
    /// Report files to copy out of the test container when the command ends (`--collect`):
    /// absolute globs, besides the service's own `x-dockhand.collect`. Their JUnit suites go
    /// into the report.
    pub collect: Vec<String>,
    /// Read each test's result from the command's output in this format (`--tests-from`),
    /// each a case of the report.
    pub tests_from: Option<TestsFrom>,
    /// The engine to run on (`-H`, `--context`); `None` is the one the environment chooses.
    pub engine: Option<EngineChoice>,
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
            reuse: false,
            push: false,
            also_tags: Vec::new(),
            collect: Vec::new(),
            tests_from: None,
            engine: None,
        }
    }
}

impl TestSettings {
    /// What hides the run's secrets: the values of the `-e` variables with secret-looking names
    /// or names given with `--mask`.
    pub fn masker(&self) -> Masker {
        let mut masker = Masker::new(&self.masks);
        masker.add_env(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        masker
    }

    /// The plan of this run, touching nothing on the engine: the stack of the service's
    /// dependencies, and the service itself, whose image runs the test command.
    pub fn plan(&self, run: RunIdentity) -> Result<StackPlan, RunError> {
        let (project, wanted) = load_project(&self.load, std::slice::from_ref(&self.service))?;
        let mut plan = StackPlan::new(
            &project,
            run,
            &PlanOptions {
                services: wanted,
                keep_host_ports: self.keep_host_ports,
                publish_all: false,
                tag: self.tag.clone(),
            },
        );
        let choice = super::remote::engine_choice(self.engine.as_ref())?;
        super::remote::fit_to_engine(&mut plan, &choice)?;
        Ok(plan)
    }

    /// The plan as text, with the test command and the teardown: what `--dry-run` prints.
    pub fn describe(&self) -> Result<String, RunError> {
        let plan = self.plan(RunIdentity::new())?;
        let command = self.command_of(&plan);
        let mut text = plan.describe_test(&self.service, &shell_words::join(&command), self.keep);
        // What comes after the command, before the last line (the teardown).
        let mut after = String::new();
        let globs = self.collect_globs(&plan);
        if !globs.is_empty() {
            after.push_str(&format!(
                "copy {} out of the test container into the artifacts folder\n",
                globs.join(", ")
            ));
        }
        if let Some(format) = self.tests_from {
            after.push_str(&format!("read the tests in its output as {format}\n"));
        }
        let last_line = text.trim_end_matches('\n').rfind('\n').map_or(0, |i| i + 1);
        text.insert_str(last_line, &after);
        Ok(text)
    }

    /// The report globs of this run: the service's `x-dockhand.collect`, then `--collect`.
    fn collect_globs(&self, plan: &StackPlan) -> Vec<String> {
        let mut globs: Vec<String> = plan
            .services
            .get(&self.service)
            .map(|s| s.collect.clone())
            .unwrap_or_default();
        for glob in &self.collect {
            if !globs.contains(glob) {
                globs.push(glob.clone());
            }
        }
        globs
    }

    /// The test command as it runs: the override, or the service's own command.
    fn command_of(&self, plan: &StackPlan) -> Vec<String> {
        if self.command.is_empty() {
            plan.services[&self.service]
                .container
                .command
                .clone()
                .unwrap_or_default()
        } else {
            self.command.clone()
        }
    }
}

/// The verdict and where the evidence is.
#[derive(Debug, Clone)]
pub struct TestOutcome {
    /// What the run did: set-up of each service, the test command, timings.
    pub record: RunRecord,
    /// Pass or fail, and the reason.
    pub verdict: Verdict,
}

/// Runs the whole `dockhand test` workflow. The stack is torn down before this returns, on
/// every path (unless `keep`), including a panic inside.
pub async fn run_test(
    settings: &TestSettings,
    reporter: &dyn Reporter,
    stop: &Stop,
) -> Result<TestOutcome, RunError> {
    let mut run = RunIdentity::new();
    run.keep = settings.keep;
    let loading = Instant::now();
    let plan = settings.plan(run)?;
    let load_took = loading.elapsed();
    let app = plan.services[&settings.service].clone();
    let globs = settings.collect_globs(&plan);
    let shipment = Shipment::plan(settings.push, &settings.also_tags, &plan)?;
    if !app.image.tag_is_explicit && matches!(app.image.source, crate::plan::ImageSource::Pull(_)) {
        reporter.event(Event::Warning {
            message: &format!(
                "service {} runs {}: a tag another build or pull can move; pin it to a version, commit or build number",
                settings.service, app.image.reference
            ),
        });
    }
    let engine =
        Engine::connect_to(&super::remote::engine_choice(settings.engine.as_ref())?).await?;
    sweep_abandoned(&engine, reporter).await;
    // A reused stack belongs to no run: this run owns only its test container, and holds the
    // stack's lock so that no other run resets or recreates it meanwhile.
    let (plan, own, _reuse_lock) = if settings.reuse {
        let (plan, own, lock) = reuse_stack(&engine, settings, &plan).await?;
        (plan, Some(own), Some(lock))
    } else {
        (plan, None, None)
    };
    let owner_run = own.as_ref().unwrap_or(&plan.run).id.clone();
    let reaper = match &settings.reaper {
        Some(exe) => Some(
            Reaper::spawn(exe, &owner_run, engine.choice()).map_err(|source| RunError::Write {
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

    let mut record = RunRecord {
        project: plan.base_project.clone(),
        run_project: plan.project.clone(),
        service: settings.service.clone(),
        command: settings.command_of(&plan),
        image: app.image.reference.clone(),
        tag: split_tag(&app.image.reference).1,
        started_at: Some(SystemTime::now()),
        artifacts: artifacts.clone(),
        environment: plan
            .services
            .values()
            .flat_map(|s| s.container.env.iter())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        ..Default::default()
    };
    let mut stack = Stack::planned(engine, plan);
    let t0 = Instant::now();

    let body = std::panic::AssertUnwindSafe(test_in_stack(
        &mut stack,
        settings,
        own.as_ref(),
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
    record.timings.push(("load".into(), load_took));
    record.timings.extend(stack.timings());
    if let Some(t) = &record.test {
        record.timings.push(("test".into(), t.duration));
    }
    // The test container is still there, stopped or not: its reports come out first.
    if !globs.is_empty() {
        let collecting = Instant::now();
        collect_reports(stack.engine(), &globs, reporter, &mut record).await;
        record
            .timings
            .push(("collect".into(), collecting.elapsed()));
    }

    // The pre_stop hooks and a graceful stop (if asked for), so the logs include each
    // shutdown, then the logs (the containers are about to go), then the stack. Nothing here
    // may skip the teardown.
    if !settings.keep && own.is_none() {
        for problem in stack.run_pre_stop().await {
            reporter.event(Event::Warning { message: &problem });
        }
    }
    if settings.graceful_stop
        && !settings.keep
        && own.is_none()
        && let Err(e) = stack.stop_gracefully().await
    {
        reporter.event(Event::Warning {
            message: &format!("could not stop the stack gracefully, killing it: {e}"),
        });
    }
    let saving = Instant::now();
    stack.save_logs(&artifacts).await;
    record.timings.push(("logs".into(), saving.elapsed()));
    let project = stack.project().to_string();
    let engine = stack.engine().clone();
    if let Some(own) = &own {
        // Only the test container goes; the stack stays for the next run.
        let tearing = Instant::now();
        crate::cleanup::teardown_run(stack.engine(), &own.id).await?;
        record.timings.push(("teardown".into(), tearing.elapsed()));
        stack.keep_up();
        drop(reaper);
        reporter.event(Event::Note {
            message: &format!(
                "--reuse: the stack {project} stays up for the next run; remove it with `dockhand down --reused`"
            ),
        });
    } else if settings.keep {
        if let Some(r) = reaper {
            r.keep();
        }
        stack.keep_up();
        reporter.event(Event::Note {
            message: &format!(
                "--keep: the stack {project} is still up; remove it with `dockhand down -p {project}`"
            ),
        });
    } else {
        reporter.event(Event::TearingDown { project: &project });
        let tearing = Instant::now();
        stack.down().await?;
        record.timings.push(("teardown".into(), tearing.elapsed()));
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
        record.end_with_error(e.to_string(), finished);
    }
    if let Some(format) = settings.tests_from {
        read_tests_from(format, reporter, &mut record);
    }
    if let Ok(verdict) = &result {
        warn_of_failures_under_a_pass(verdict, reporter, &mut record);
    }
    let result = shipment
        .after(result, &engine, reporter, stop, &mut record)
        .await;
    let written = match &settings.junit {
        Some(path) => {
            let mut masker = settings.masker();
            masker.add_env(
                record
                    .environment
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str())),
            );
            record
                .write_junit(path, &masker)
                .map_err(|e| RunError::Report(Box::new(e)))
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

/// Brings the dependencies up (the service's image building meanwhile), waits for the
/// service's own conditions, then runs the test command.
async fn test_in_stack(
    stack: &mut Stack,
    settings: &TestSettings,
    own: Option<&RunIdentity>,
    reporter: &dyn Reporter,
    stop: &Stop,
    record: &mut RunRecord,
) -> Result<Verdict, RunError> {
    let app = std::slice::from_ref(&settings.service);
    let deps: Vec<String> = stack
        .plan()
        .services
        .keys()
        .filter(|s| **s != settings.service)
        .cloned()
        .collect();
    let command = (!settings.command.is_empty()).then(|| settings.command.clone());
    let mut spec = stack
        .plan()
        .one_off(&settings.service, command, &settings.env)
        .ok_or_else(|| {
            RunError::Internal(format!("service {} is not in the plan", settings.service))
        })?;
    if let Some(own) = own {
        reuse::relabel(&mut spec, own);
    }
    let brought_up = stack
        .bring_up(
            &deps,
            app,
            Some(&spec),
            settings.ready_timeout,
            reporter,
            stop,
        )
        .await;
    let waited = match brought_up {
        Ok(()) => {
            stack
                .await_waits_of(&settings.service, settings.ready_timeout, stop)
                .await
        }
        Err(e) => Err(e),
    };
    record.setup = stack.setup().to_vec();
    waited?;
    fault::inject("after-up");
    if stop.is_stopped() {
        return Err(RunError::stopped(stop));
    }

    let precreated = stack.take_precreated().transpose()?;
    let output_path = record
        .artifacts
        .join(format!("{}-test.log", settings.service));
    run_one_off(
        stack,
        &spec,
        precreated,
        &settings.markers,
        output_path,
        reporter,
        stop,
        record,
    )
    .await
}

/// The plan of the reused stack for `settings` (the one an earlier `--reuse` run left up, or a
/// new one), this run's own identity for its test container, and the stack's lock, held until
/// the run ends.
async fn reuse_stack(
    engine: &Engine,
    settings: &TestSettings,
    fresh: &StackPlan,
) -> Result<(StackPlan, RunIdentity, crate::cleanup::shared::Locked), RunError> {
    let key = reuse::stack_key(fresh, &settings.service);
    let (stack_run, lock) = super::reuse::reused_identity(engine, &key).await?;
    let plan = settings.plan(stack_run)?;
    Ok((plan, RunIdentity::new(), lock))
}
