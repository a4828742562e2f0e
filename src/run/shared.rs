//! Shared stacks: every test, in every process of a suite, that asks for the same stack gets
//! the same running one; the last user out removes it after a linger (see
//! [`crate::cleanup::shared`] for the folder and the keeper that make this work).

use std::io::{BufRead, BufReader};
use std::ops::Deref;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use indexmap::IndexMap;
use sha2::{Digest, Sha256};

use super::bringup::{Images, prepare_images};
use super::error::{RunError, share_dir_error};
use super::reuse::by_service;
use super::stack::{Stack, StackBuilder, load_project, sweep_abandoned};
use crate::cleanup::shared::{
    DEFAULT_LINGER, KEEPER_READY, LINGER_ENV, Lease, Locked, SUBCOMMAND, ShareDir, SharedState,
    Status, parse_linger,
};
use crate::cleanup::teardown_run;
use crate::compose::{ConfigFormat, Project, render_config};
use crate::engine::{Engine, EngineChoice};
use crate::owner;
use crate::plan::{RunIdentity, StackPlan};
use crate::report::Silent;
use crate::signal::Stop;

/// The environment variable that gives shared stacks a key, so that suites (or branches) with
/// the same compose files do not share one stack.
pub const SHARE_KEY_ENV: &str = "DOCKHAND_SHARE_KEY";
/// The environment variable that names the `dockhand` binary run as a shared stack's keeper.
pub const BIN_ENV: &str = "DOCKHAND_BIN";

/// How long the keeper may take to say it runs.
const KEEPER_START: Duration = Duration::from_secs(10);

/// A stack shared with every other test, in this process or another, that asked for the same
/// one; get it with [`StackBuilder::shared`]. It dereferences to [`Stack`]. Dropping it gives
/// back this test's lease; the stack stays up for the others and goes once the last lease has
/// been gone for the linger.
#[derive(Debug)]
pub struct SharedStack {
    stack: Stack,
    _lease: Lease,
}

impl Deref for SharedStack {
    type Target = Stack;

    fn deref(&self) -> &Stack {
        &self.stack
    }
}

impl StackBuilder {
    /// For [`shared`](Self::shared): a key that tells stacks apart beyond their compose
    /// configuration and images (default `DOCKHAND_SHARE_KEY`, else none).
    pub fn share_key(mut self, key: impl Into<String>) -> Self {
        self.share_key = Some(key.into());
        self
    }

    /// For [`shared`](Self::shared): how long the stack outlives its last user, so the next
    /// test process finds it up (default `DOCKHAND_LINGER`, else 5 s).
    pub fn linger(mut self, linger: Duration) -> Self {
        self.linger = Some(linger);
        self
    }

    /// The stack shared by every test of the suite that asks for the same one: the same
    /// resolved compose configuration, the same image ids and the same share key. The first
    /// request brings it up; requests arriving meanwhile, in any process, wait for it; a
    /// failed bring-up fails them all with its error and leaves nothing behind. A detached
    /// `dockhand` process (the keeper, found as `DOCKHAND_BIN`, beside the test binary or on
    /// `PATH`) removes the stack once no test process has held it for the linger, even when
    /// they were killed.
    ///
    /// ```no_run
    /// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
    /// let stack = dockhand::Stack::builder().file("compose/redis.yml").shared().await?;
    /// let addr = stack.endpoint("cache", 6379)?; // the same stack in every test
    /// # Ok(()) }
    /// ```
    pub async fn shared(self) -> Result<SharedStack, RunError> {
        let linger = self.linger_setting()?;
        let (project, services) = load_project(&self.load, &self.services)?;
        let probe_plan = self.plan_from(&project, services.clone(), RunIdentity::new())?;
        let engine =
            Engine::connect_to(&super::remote::engine_choice(self.engine.as_ref())?).await?;
        sweep_abandoned(&engine, &Silent).await;
        let stop = Stop::new();
        let images = prepare_images(&engine, &probe_plan, &services, &Silent, &stop).await?;
        let share_key = self
            .share_key
            .clone()
            .or_else(|| std::env::var(SHARE_KEY_ENV).ok().filter(|k| !k.is_empty()));
        let fingerprint = fingerprint(
            &project,
            &probe_plan,
            &images,
            share_key.as_deref(),
            engine.host(),
        );
        let dir = ShareDir::for_fingerprint(&fingerprint);

        let locked = dir
            .lock_async()
            .await
            .map_err(|e| share_dir_error(&dir, e))?;
        let lease = locked.add_lease().map_err(|e| share_dir_error(&dir, e))?;

        if let Some(state) = locked.state().filter(SharedState::keeper_alive) {
            match state.status {
                Status::Failed(message) => return Err(RunError::SharedFailed { message }),
                Status::Up => {
                    let run = RunIdentity {
                        id: state.run.clone(),
                        owner_pid: state.keeper_pid,
                        owner_host: owner::this_host(),
                        owner_start: state.keeper_start,
                        keep: false,
                        reuse: None,
                    };
                    let plan = self.plan_from(&project, services.clone(), run)?;
                    if let Some(stack) = attach(engine.clone(), plan, images.clone()).await? {
                        return Ok(SharedStack {
                            stack,
                            _lease: lease,
                        });
                    }
                    // Its containers are gone (removed by hand): start afresh.
                    teardown_run(&engine, &state.run).await?;
                }
            }
        }
        let stack = self
            .bring_up_shared(&locked, engine, &project, services, linger, &dir)
            .await?;
        Ok(SharedStack {
            stack,
            _lease: lease,
        })
    }

    /// Brings the stack up under the lock, owned by a keeper started for it, and records how
    /// that went for the processes waiting on the lock.
    async fn bring_up_shared(
        &self,
        locked: &Locked,
        engine: Engine,
        project: &Project,
        services: Vec<String>,
        linger: Duration,
        dir: &ShareDir,
    ) -> Result<Stack, RunError> {
        let mut run = RunIdentity::new();
        let (keeper_pid, keeper_start) =
            spawn_keeper(dir.path(), &run.id, linger, engine.choice()).await?;
        run.owner_pid = keeper_pid;
        run.owner_start = keeper_start;
        let run_id = run.id.clone();
        let plan = self.plan_from(project, services.clone(), run)?;
        let mut stack = Stack::planned(engine, plan);
        let brought_up = stack
            .bring_up(
                &services,
                &[],
                None,
                self.ready_timeout,
                &Silent,
                &Stop::new(),
            )
            .await;
        let status = match &brought_up {
            Ok(()) => Status::Up,
            Err(e) => {
                let _ = teardown_run(stack.engine(), &run_id).await;
                Status::Failed(e.to_string())
            }
        };
        stack.disown();
        let state = SharedState {
            run: run_id,
            keeper_pid,
            keeper_start,
            status,
        };
        locked
            .write_state(&state)
            .map_err(|e| share_dir_error(dir, e))?;
        brought_up.map(|()| stack)
    }

    fn linger_setting(&self) -> Result<Duration, RunError> {
        if let Some(linger) = self.linger {
            return Ok(linger);
        }
        match std::env::var(LINGER_ENV) {
            Ok(text) if !text.trim().is_empty() => {
                parse_linger(&text).ok_or_else(|| RunError::BadSetting {
                    name: LINGER_ENV,
                    value: text.clone(),
                    expected: "seconds, or a number with ms, s or m (for example 5, 0.5, 500ms)",
                })
            }
            _ => Ok(DEFAULT_LINGER),
        }
    }
}

/// The stack of `plan` as another process brought it up, or `None` when its containers are
/// gone.
async fn attach(
    engine: Engine,
    plan: StackPlan,
    images: Images,
) -> Result<Option<Stack>, RunError> {
    let found = by_service(engine.containers_with(&plan.run_labels()).await?);
    let mut containers = IndexMap::new();
    for service in plan.services.keys() {
        if let Some(first) = found.get(service).and_then(|cs| cs.first()) {
            containers.insert(service.clone(), first.id.clone());
        }
    }
    if containers.is_empty() {
        return Ok(None);
    }
    let mut stack = Stack::planned(engine, plan);
    stack.adopt(containers, images);
    stack.disown();
    stack.read_ports().await?;
    Ok(Some(stack))
}

/// What makes two requests the same stack: the resolved configuration of the services, the
/// readiness checks and tag the builder adds, the image ids, the share key and the engine.
fn fingerprint(
    project: &Project,
    plan: &StackPlan,
    images: &Images,
    key: Option<&str>,
    engine: &str,
) -> String {
    let mut hash = Sha256::new();
    hash.update(b"dockhand shared stack 1\n");
    hash.update(render_config(project, ConfigFormat::Json));
    for (name, sp) in &plan.services {
        hash.update(format!(
            "\nservice {name} {:?} {}",
            sp.ready, sp.image.reference
        ));
        if let Some(facts) = images.get(name) {
            hash.update(format!(" {}", facts.id));
        }
    }
    hash.update(format!("\nkey {key:?}"));
    // The same images on two engines (pulled ones have the same ids) are two stacks.
    hash.update(format!("\nengine {engine:?}"));
    hex::encode(&hash.finalize()[..8])
}

/// The `dockhand` binary that keeps shared stacks: `DOCKHAND_BIN`, this process when it is
/// dockhand, the package's binary beside a cargo test binary (`target/debug/deps/..`), or
/// `dockhand` on `PATH`.
fn keeper_exe() -> Result<PathBuf, RunError> {
    if let Some(path) = std::env::var_os(BIN_ENV).filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(path));
    }
    if let Ok(me) = std::env::current_exe() {
        if me.file_stem().is_some_and(|s| s == "dockhand") {
            return Ok(me);
        }
        for dir in me.ancestors().skip(1).take(2) {
            let candidate = dir.join("dockhand");
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join("dockhand"))
        .find(|c| c.is_file())
        .ok_or_else(|| RunError::Keeper {
            reason: format!(
                "no dockhand binary found to keep it: install it (cargo install dockhand) or set {BIN_ENV} to its path"
            ),
        })
}

/// Starts the keeper of run `run` detached from the terminal's process group and waits until
/// it says it runs; its pid and start time.
async fn spawn_keeper(
    dir: &Path,
    run: &str,
    linger: Duration,
    engine: &EngineChoice,
) -> Result<(u32, Option<u64>), RunError> {
    let exe = keeper_exe()?;
    let failed = |reason: String| RunError::Keeper {
        reason: format!("{} {SUBCOMMAND}: {reason}", exe.display()),
    };
    let mut command = Command::new(&exe);
    // The keeper removes the stack from the same engine, whatever chose it here.
    for (name, value) in engine.child_env() {
        match value {
            Some(v) => command.env(name, v),
            None => command.env_remove(name),
        };
    }
    let mut child = command
        .arg(SUBCOMMAND)
        .arg("--dir")
        .arg(dir)
        .arg("--run")
        .arg(run)
        .arg("--linger-ms")
        .arg(linger.as_millis().to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .map_err(|e| failed(format!("cannot start it: {e}")))?;
    let stdout = child.stdout.take();
    let said = tokio::time::timeout(
        KEEPER_START,
        tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            if let Some(out) = stdout {
                let _ = BufReader::new(out).read_line(&mut line);
            }
            line
        }),
    )
    .await;
    let pid = child.id();
    let start = owner::start_time(pid);
    match said {
        Ok(Ok(line)) if line.trim() == KEEPER_READY => {
            // Reaps it when it ends while this process still runs, so no zombie passes for
            // a live keeper.
            std::thread::spawn(move || child.wait());
            Ok((pid, start))
        }
        _ => {
            let _ = child.kill();
            let _ = child.wait();
            Err(failed(
                "it did not start (is it an older dockhand? set DOCKHAND_BIN to this version's binary)".into(),
            ))
        }
    }
}
