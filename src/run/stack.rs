//! The library's entry point, and the one bring-up `dockhand test` uses too: a compose stack
//! brought up for a test and torn down after it.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use indexmap::IndexMap;

use super::bringup::{Images, Started, create_resources, prepare_images, start_services};
use super::endpoint::Endpoint;
use super::error::{EndpointError, RunError};
use super::hooks;
use super::reuse::{resources_changed, reuse_of, reused_identity};
use crate::cleanup::{Removed, stop_run, sweep, teardown_run};
use crate::compose::{self, LoadOptions, Project};
use crate::engine::{Engine, EngineChoice, EngineError};
use crate::plan::{
    ContainerSpec, PlanOptions, ReadyCheck, RunIdentity, StackPlan, reuse, with_dependencies,
};
use crate::report::{Event, Reporter, SetupRecord, Silent};
use crate::signal::Stop;

/// The environment variable that keeps stacks up after the test (for debugging); `dockhand down
/// -p NAME` removes them.
pub const KEEP_ENV: &str = "DOCKHAND_KEEP";

/// Loads the project once, with `roots` enabled whatever their profiles, checks each exists,
/// and returns it with the services to plan: the roots and everything they need started first
/// (all services when `roots` is empty), in the project's order.
pub fn load_project(
    load: &LoadOptions,
    roots: &[String],
) -> Result<(Project, Vec<String>), RunError> {
    let mut load = load.clone();
    for r in roots {
        if !load.enable_services.contains(r) {
            load.enable_services.push(r.clone());
        }
    }
    let project = compose::load(&load)?;
    if let Some(missing) = roots.iter().find(|r| !project.services.contains_key(*r)) {
        let files: Vec<String> = project
            .files
            .iter()
            .map(|f| f.display().to_string())
            .collect();
        let known: Vec<&str> = project.services.keys().map(String::as_str).collect();
        return Err(RunError::NoSuchService {
            service: missing.clone(),
            files: files.join(", "),
            known: known.join(", "),
        });
    }
    let wanted = with_dependencies(&project, roots);
    Ok((project, wanted))
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

/// Settings for [`Stack`]; start with [`Stack::builder`]. What is not set is what
/// `dockhand up` does with the same file: every service, the compose file of the current
/// folder, 120 s per service to become ready.
///
/// ```no_run
/// use std::time::Duration;
///
/// use dockhand::{ReadyCheck, Stack};
///
/// #[tokio::test]
/// async fn orders_are_stored() -> Result<(), Box<dyn std::error::Error>> {
///     let stack = Stack::builder()
///         .file("compose.yml")
///         .service("api") // api and what it depends on
///         .profile("test")
///         .ready(
///             "api",
///             ReadyCheck::Http {
///                 port: 8080,
///                 path: "/health".into(),
///                 status: Some(200),
///             },
///         )
///         .ready_timeout(Duration::from_secs(60))
///         .up()
///         .await?;
///     let base = format!("http://{}", stack.endpoint("api", 8080)?);
///     // ... post an order to base, read it back ...
///     # let _ = base;
///     stack.down().await?;
///     Ok(())
/// }
/// ```
#[derive(Debug, Clone)]
pub struct StackBuilder {
    pub(super) load: LoadOptions,
    pub(super) services: Vec<String>,
    pub(super) ready_timeout: Duration,
    pub(super) tag: Option<String>,
    pub(super) keep: bool,
    pub(super) ready: Vec<(String, ReadyCheck)>,
    /// For [`shared`](Self::shared): what else tells stacks apart.
    pub(super) share_key: Option<String>,
    /// For [`shared`](Self::shared): how long the stack outlives its last user.
    pub(super) linger: Option<Duration>,
    /// See [`reuse`](Self::reuse).
    pub(super) reuse: bool,
    /// See [`engine`](Self::engine); `None` is the environment's.
    pub(super) engine: Option<EngineChoice>,
}

impl Default for StackBuilder {
    fn default() -> Self {
        StackBuilder {
            load: LoadOptions::default(),
            services: Vec::new(),
            ready_timeout: Duration::from_secs(120),
            tag: None,
            keep: std::env::var(KEEP_ENV).is_ok_and(|v| !v.is_empty() && v != "0"),
            ready: Vec::new(),
            share_key: None,
            linger: None,
            reuse: false,
            engine: None,
        }
    }
}

impl StackBuilder {
    /// Adds a compose file (repeatable, merged in order like `-f`). Relative paths are resolved
    /// against the current directory, which under `cargo test` is the package root.
    pub fn file(mut self, path: impl Into<PathBuf>) -> Self {
        self.load.files.push(path.into());
        self
    }

    /// The project name (a unique suffix is added for each stack).
    pub fn project_name(mut self, name: impl Into<String>) -> Self {
        self.load.project_name = Some(name.into());
        self
    }

    /// Brings up only this service and what it depends on (repeatable); default all services.
    pub fn service(mut self, name: impl Into<String>) -> Self {
        self.services.push(name.into());
        self
    }

    /// Turns on a compose profile (repeatable).
    pub fn profile(mut self, name: impl Into<String>) -> Self {
        self.load.profiles.push(name.into());
        self
    }

    /// Variables for interpolation, instead of the process environment.
    pub fn environment(mut self, vars: HashMap<String, String>) -> Self {
        self.load.environment = Some(vars);
        self
    }

    /// How long each service may take to become ready (default 120 s).
    pub fn ready_timeout(mut self, timeout: Duration) -> Self {
        self.ready_timeout = timeout;
        self
    }

    /// The tag for images built from `build:`.
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.tag = Some(tag.into());
        self
    }

    /// Decides `service`'s readiness by `check`, over its `x-dockhand` strategy, healthcheck
    /// and built-in probe (repeatable, one per service).
    ///
    /// ```no_run
    /// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
    /// use dockhand::{ReadyCheck, Stack};
    /// let stack = Stack::builder()
    ///     .file("compose/redis.yml")
    ///     .ready("cache", ReadyCheck::Exec(vec!["redis-cli".into(), "ping".into()]))
    ///     .up()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn ready(mut self, service: impl Into<String>, check: ReadyCheck) -> Self {
        self.ready.push((service.into(), check));
        self
    }

    /// Reuses the stack an earlier `reuse(true)` stack (or `dockhand test --reuse` run) of the
    /// same project and services left up: services whose settings and image still match are
    /// kept, after their `x-dockhand.reset` commands, the rest recreated with what depends on
    /// them. Dropping the [`Stack`] leaves it up for the next test run;
    /// [`down`](Stack::down) or `dockhand down --reused` removes it.
    ///
    /// ```no_run
    /// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
    /// let stack = dockhand::Stack::builder()
    ///     .file("compose/redis.yml")
    ///     .reuse(true)
    ///     .up()
    ///     .await?; // a second run finds it up and ready at once
    /// # Ok(()) }
    /// ```
    pub fn reuse(mut self, reuse: bool) -> Self {
        self.reuse = reuse;
        self
    }

    /// The engine to bring the stack up on, instead of the one the environment chooses
    /// (`DOCKER_HOST`, `DOCKER_CONTEXT`, the Docker config's current context). On an engine
    /// that is not local, file-backed secrets and configs are copied into the containers,
    /// every exposed port is published on the engine's host, and a bind mount of a folder of
    /// this machine is refused unless the choice allows it.
    ///
    /// ```no_run
    /// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
    /// use dockhand::engine::EngineChoice;
    /// let stack = dockhand::Stack::builder()
    ///     .file("compose/redis.yml")
    ///     .engine(EngineChoice::host("ssh://ci@build-box")?)
    ///     .up()
    ///     .await?;
    /// let addr = stack.endpoint("cache", 6379)?; // build-box:49153
    /// # Ok(()) }
    /// ```
    pub fn engine(mut self, choice: EngineChoice) -> Self {
        self.engine = Some(choice);
        self
    }

    /// Leaves the stack up when the [`Stack`] is dropped (also set by `DOCKHAND_KEEP=1`).
    pub fn keep(mut self, keep: bool) -> Self {
        self.keep = keep;
        self
    }

    /// Loads the compose files and derives what would be built, created and started, touching
    /// nothing on the engine (what `dockhand up --dry-run` prints).
    pub fn plan(&self) -> Result<StackPlan, RunError> {
        let (project, services) = load_project(&self.load, &self.services)?;
        let mut run = RunIdentity::new();
        run.keep = self.keep;
        self.plan_from(&project, services, run)
    }

    /// The plan of `services` of the loaded `project` for run `run`, with the builder's tag
    /// and readiness checks.
    pub(super) fn plan_from(
        &self,
        project: &Project,
        services: Vec<String>,
        run: RunIdentity,
    ) -> Result<StackPlan, RunError> {
        let mut plan = StackPlan::new(
            project,
            run,
            &PlanOptions {
                services,
                keep_host_ports: false,
                publish_all: true,
                tag: self.tag.clone(),
            },
        );
        for (service, check) in &self.ready {
            let Some(sp) = plan.services.get_mut(service) else {
                let known: Vec<&str> = plan.services.keys().map(String::as_str).collect();
                return Err(RunError::NoSuchService {
                    service: service.clone(),
                    files: "the stack".into(),
                    known: known.join(", "),
                });
            };
            sp.ready = Some(check.clone());
        }
        let choice = super::remote::engine_choice(self.engine.as_ref())?;
        super::remote::fit_to_engine(&mut plan, &choice)?;
        Ok(plan)
    }

    /// Loads the compose files, builds what needs building, starts every selected service in
    /// dependency order and waits until each is ready. On failure nothing is left behind.
    pub async fn up(self) -> Result<Stack, RunError> {
        self.up_with(&Silent).await
    }

    /// [`up`](Self::up), reporting progress to `reporter`.
    pub async fn up_with(self, reporter: &dyn Reporter) -> Result<Stack, RunError> {
        self.up_until(reporter, &Stop::new()).await
    }

    /// [`up_with`](Self::up_with) that gives up, tearing down, when `stop` is triggered.
    pub async fn up_until(self, reporter: &dyn Reporter, stop: &Stop) -> Result<Stack, RunError> {
        let mut plan = self.plan()?;
        let engine =
            Engine::connect_to(&super::remote::engine_choice(self.engine.as_ref())?).await?;
        sweep_abandoned(&engine, reporter).await;
        // A reused stack: its identity, and its lock until it is up.
        let _reuse_lock = if self.reuse {
            let key = reuse::stack_key(&plan, "");
            let (run, lock) = reused_identity(&engine, &key).await?;
            let (project, services) = load_project(&self.load, &self.services)?;
            plan = self.plan_from(&project, services, run)?;
            Some(lock)
        } else {
            None
        };
        let mut stack = Stack::planned(engine, plan);
        let services: Vec<String> = stack.plan.services.keys().cloned().collect();
        let brought_up = stack
            .bring_up(&services, &[], None, self.ready_timeout, reporter, stop)
            .await;
        if let Err(e) = brought_up {
            // Kept or not, a stack that did not come up is removed (a reused one stays, for
            // the next run to check and recreate what does not match).
            if !self.reuse {
                stack.down().await?;
            }
            return Err(e);
        }
        Ok(stack)
    }
}

/// A running compose stack. [`down`](Stack::down) removes it; so does dropping it.
///
/// ```no_run
/// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
/// let stack = dockhand::Stack::builder().file("compose/redis.yml").up().await?;
/// let addr = stack.endpoint("cache", 6379)?; // 127.0.0.1:49153
/// // ... talk to Redis at addr ...
/// stack.down().await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Stack {
    engine: Engine,
    plan: StackPlan,
    containers: IndexMap<String, String>,
    /// How each service's set-up went.
    setup: Vec<SetupRecord>,
    /// What each service's image holds.
    images: Images,
    /// How long each phase took (see [`Stack::timings`]).
    timings: Vec<(String, Duration)>,
    /// (service, "port/proto") -> host port.
    ports: HashMap<(String, String), u16>,
    /// How long a service may take to become ready, at bring-up and after a restart.
    ready_timeout: Duration,
    /// Torn down already, or left up on purpose: `Drop` has nothing to do.
    done: bool,
    /// The test command's container, created during the bring-up (or why it could not be).
    precreated: Option<Result<String, EngineError>>,
    /// The `pre_stop` hooks have run.
    pre_stopped: bool,
}

impl Stack {
    /// A builder for a stack: name the compose files and what to bring up, then
    /// [`StackBuilder::up`].
    ///
    /// ```no_run
    /// # async fn example() -> Result<(), dockhand::RunError> {
    /// let stack = dockhand::Stack::builder()
    ///     .file("compose.yml")
    ///     .service("api")
    ///     .up()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn builder() -> StackBuilder {
        StackBuilder::default()
    }

    /// A stack of `plan` with nothing on the engine yet.
    pub(crate) fn planned(engine: Engine, plan: StackPlan) -> Stack {
        Stack {
            engine,
            plan,
            containers: IndexMap::new(),
            setup: Vec::new(),
            images: Images::new(),
            timings: Default::default(),
            ports: HashMap::new(),
            ready_timeout: StackBuilder::default().ready_timeout,
            done: false,
            pre_stopped: false,
            precreated: None,
        }
    }

    /// The container [`bring_up`](Self::bring_up) created for the test command, if it did.
    pub(crate) fn take_precreated(&mut self) -> Option<Result<String, EngineError>> {
        self.precreated.take()
    }

    /// The project name on the engine (the file's name plus a unique suffix).
    pub fn project(&self) -> &str {
        &self.plan.project
    }

    /// The run id every resource of this stack is labelled with.
    pub fn run_id(&self) -> &str {
        &self.plan.run.id
    }

    /// What the stack was brought up from.
    pub fn plan(&self) -> &StackPlan {
        &self.plan
    }

    pub(crate) fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The container id of `service`.
    pub fn container_id(&self, service: &str) -> Option<&str> {
        self.containers.get(service).map(String::as_str)
    }

    /// The services started, with their container ids.
    pub(crate) fn containers(&self) -> &IndexMap<String, String> {
        &self.containers
    }

    /// How each service's set-up went.
    pub(crate) fn setup(&self) -> &[SetupRecord] {
        &self.setup
    }

    /// The host address (`127.0.0.1:PORT`) where the container port `port`/tcp of `service` is
    /// published.
    pub fn endpoint(&self, service: &str, port: u16) -> Result<Endpoint, EndpointError> {
        self.endpoint_proto(service, port, "tcp")
    }

    /// [`endpoint`](Self::endpoint) for another protocol (`udp`, `sctp`).
    pub fn endpoint_proto(
        &self,
        service: &str,
        port: u16,
        proto: &str,
    ) -> Result<Endpoint, EndpointError> {
        if !self.containers.contains_key(service) {
            let known: Vec<&str> = self.containers.keys().map(String::as_str).collect();
            return Err(EndpointError::NoSuchService {
                service: service.to_string(),
                stack: self.plan.project.clone(),
                known: known.join(", "),
            });
        }
        match self
            .ports
            .get(&(service.to_string(), format!("{port}/{proto}")))
        {
            Some(host_port) => Ok(Endpoint::new(self.engine.published_host(), *host_port)),
            None => Err(EndpointError::NotPublished {
                service: service.to_string(),
                port,
                protocol: proto.to_string(),
            }),
        }
    }

    /// Every published port: (service, container port/proto, host address).
    pub fn endpoints(&self) -> Vec<(String, String, Endpoint)> {
        let host = self.engine.published_host();
        let mut out: Vec<_> = self
            .ports
            .iter()
            .map(|((s, p), hp)| (s.clone(), p.clone(), Endpoint::new(host.clone(), *hp)))
            .collect();
        out.sort();
        out
    }

    /// Builds or checks the images of `start` and `also_build`, creates the networks and
    /// volumes, then starts `start` in dependency order and waits until each is ready. The
    /// images of `also_build` (the service that runs the test command) build while the others
    /// come up; a failed build stops the bring-up.
    ///
    /// `precreate`, the container that will run the test command, is created as soon as its
    /// image is there, while the dependencies get ready (unless it needs their containers to
    /// exist first); [`take_precreated`](Self::take_precreated) gives it.
    pub(crate) async fn bring_up(
        &mut self,
        start: &[String],
        also_build: &[String],
        precreate: Option<&ContainerSpec>,
        ready_timeout: Duration,
        reporter: &dyn Reporter,
        stop: &Stop,
    ) -> Result<(), RunError> {
        self.ready_timeout = ready_timeout;
        let engine = &self.engine;
        let plan = &self.plan;
        // A reused stack whose networks or volumes changed in the file is made anew, whole:
        // every container of it is attached to them.
        if plan.run.reuse.is_some() && resources_changed(engine, plan).await? {
            reporter.event(Event::Note {
                message: "the reused stack's networks or volumes changed: it is made anew",
            });
            teardown_run(engine, &plan.run.id).await?;
        }
        let t0 = Instant::now();
        // Image checks and network creation do not depend on each other.
        let ((mut images, images_took), created_took) = tokio::try_join!(
            async {
                let images = prepare_images(engine, plan, start, reporter, stop).await?;
                Ok::<_, RunError>((images, t0.elapsed()))
            },
            async {
                create_resources(engine, plan).await?;
                Ok::<_, RunError>(t0.elapsed())
            },
        )?;
        self.timings.push(("images".into(), images_took));
        self.timings
            .push(("networks and volumes".into(), created_took));
        let bring_up = stop.child();
        let build_started = Instant::now();
        let build = async {
            let built = prepare_images(engine, plan, also_build, reporter, stop).await;
            if built.is_err() {
                bring_up.cancel();
            }
            let took = build_started.elapsed();
            // A create that fails is reported when the test command would start, as if it
            // had been created then.
            let precreated = match (&built, precreate) {
                (Ok(_), Some(spec)) if !spec.refers_to_containers() && !stop.is_stopped() => {
                    Some(engine.create(spec).await)
                }
                _ => None,
            };
            (built, took, precreated)
        };
        let reuse = match &plan.run.reuse {
            Some(_) => Some(reuse_of(engine, plan, &images).await?),
            None => None,
        };
        let up = start_services(
            engine,
            plan,
            start,
            &images,
            reuse.as_ref(),
            ready_timeout,
            reporter,
            &bring_up,
        );
        let ((built, build_took, precreated), (Started { containers, setup }, result)) =
            tokio::join!(build, up);
        self.precreated = precreated;
        {
            let timings = &mut self.timings;
            for s in also_build {
                timings.push((format!("{s}.image"), build_took));
            }
            for rec in &setup {
                for (phase, took) in &rec.phases {
                    timings.push((format!("{}.{phase}", rec.service), *took));
                }
            }
            timings.push(("up".into(), t0.elapsed()));
        }
        self.containers = containers;
        self.setup = setup;
        images.extend(built?);
        self.images = images;
        result?;
        self.read_ports().await
    }

    /// How long each phase of the bring-up took, in the order they ended: `images`,
    /// `networks and volumes`, then `SERVICE.create`, `SERVICE.start` and `SERVICE.ready` for
    /// each service, and `up` for the whole.
    pub fn timings(&self) -> Vec<(String, Duration)> {
        self.timings.clone()
    }

    /// Waits for the waits of `service`, which this stack does not start itself (it runs as a
    /// one-off container): its `depends_on` conditions on what the stack started.
    pub(crate) async fn await_waits_of(
        &mut self,
        service: &str,
        ready_timeout: Duration,
        stop: &Stop,
    ) -> Result<(), RunError> {
        let Some(sp) = self.plan.services.get(service) else {
            return Ok(());
        };
        let mut started = Started {
            containers: self.containers.clone(),
            setup: std::mem::take(&mut self.setup),
        };
        let result = super::bringup::await_waits(
            &self.engine,
            &self.plan,
            &self.images,
            sp,
            &mut started,
            ready_timeout,
            stop,
        )
        .await;
        self.setup = started.setup;
        result
    }

    /// What each service's image holds.
    pub(super) fn images(&self) -> &Images {
        &self.images
    }

    /// How long a service may take to become ready.
    pub(super) fn ready_timeout(&self) -> Duration {
        self.ready_timeout
    }

    /// Reads the published ports of `service` again: a container started anew gets new host
    /// ports.
    pub(super) async fn reread_ports(&mut self, service: &str) -> Result<(), EngineError> {
        let Some(id) = self.containers.get(service) else {
            return Ok(());
        };
        let status = self.engine.status(id).await?;
        self.ports.retain(|(s, _), _| s != service);
        for (key, port) in status.published {
            self.ports.insert((service.to_string(), key), port);
        }
        Ok(())
    }

    /// Takes over containers a stack of the same plan started earlier (a shared stack brought
    /// up by another process), with what their images hold.
    pub(super) fn adopt(&mut self, containers: IndexMap<String, String>, images: Images) {
        self.containers = containers;
        self.images = images;
    }

    /// The stack belongs to someone else (a shared stack's keeper): dropping this value
    /// leaves it up.
    pub(super) fn disown(&mut self) {
        self.done = true;
    }

    pub(super) async fn read_ports(&mut self) -> Result<(), RunError> {
        for (service, id) in &self.containers {
            let status = self.engine.status(id).await?;
            for (key, port) in status.published {
                self.ports.insert((service.clone(), key), port);
            }
        }
        Ok(())
    }

    /// Stops every container gracefully (its stop signal, then its grace period).
    pub(crate) async fn stop_gracefully(&self) -> Result<(), RunError> {
        Ok(stop_run(&self.engine, &self.plan.run.id).await?)
    }

    /// Saves each container's whole log of the run as `<dir>/<container>.log`.
    pub(crate) async fn save_logs(&self, dir: &Path) {
        let Ok(containers) = self.engine.containers_with(&self.plan.run_labels()).await else {
            return;
        };
        let saves = containers.iter().map(|c| {
            let path = dir.join(format!("{}.log", c.name));
            async move {
                let _ = self.engine.save_log(&c.id, &path).await;
            }
        });
        futures_util::future::join_all(saves).await;
    }

    /// Leaves the stack running after this value is gone (what `dockhand up` does); `dockhand
    /// down -p NAME` removes it. Its resources carry the keep label when the builder asked for
    /// `keep`, so sweeps of dead runs leave them alone.
    pub fn keep_up(mut self) {
        self.done = true;
    }

    /// Runs the `pre_stop` hooks of the stack's running containers, once, as docker compose
    /// runs them before it stops a stack; returns what went wrong with them, a message each.
    pub(crate) async fn run_pre_stop(&mut self) -> Vec<String> {
        if std::mem::replace(&mut self.pre_stopped, true) {
            return Vec::new();
        }
        hooks::pre_stop_hooks(&self.engine, &self.plan.run_labels()).await
    }

    /// Removes every container, network and volume of the stack, after running the `pre_stop`
    /// hooks of its services (a hook that fails is reported on stderr; the teardown goes on).
    pub async fn down(mut self) -> Result<Removed, RunError> {
        for problem in self.run_pre_stop().await {
            eprintln!("dockhand: warning: {problem}");
        }
        self.done = true;
        Ok(teardown_run(&self.engine, &self.plan.run.id).await?)
    }

    /// The labels every resource of this stack carries.
    pub fn labels(&self) -> BTreeMap<String, String> {
        self.plan.run_labels()
    }
}

impl Drop for Stack {
    /// Tears down when `down()` was not called (a failed assertion, an early `?`). Works on
    /// both tokio runtimes: the teardown runs on a thread of its own with its own runtime, and
    /// this waits for it.
    fn drop(&mut self) {
        if self.done || self.plan.run.keep {
            return;
        }
        let run_id = self.plan.run.id.clone();
        let choice = self.engine.choice().clone();
        let hooked = (!self.pre_stopped).then(|| self.plan.run_labels());
        let handle = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(async {
                let engine = Engine::connect_to(&choice)
                    .await
                    .map_err(std::io::Error::other)?;
                if let Some(selector) = hooked {
                    for problem in hooks::pre_stop_hooks(&engine, &selector).await {
                        eprintln!("dockhand: warning: {problem}");
                    }
                }
                teardown_run(&engine, &run_id)
                    .await
                    .map_err(std::io::Error::other)
            })
        });
        match handle.join() {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => eprintln!(
                "dockhand: error tearing down stack {}: {e}",
                self.plan.project
            ),
            Err(_) => eprintln!("dockhand: teardown of stack {} panicked", self.plan.project),
        }
    }
}
