//! The library's entry point: a compose stack brought up for a test and torn down after it.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use indexmap::IndexMap;

use super::error::RunError;
use super::events::{Reporter, Silent};
use super::up::{Stop, create_resources, prepare_images, start_services};
use crate::cleanup::{Removed, teardown_run};
use crate::compose::{self, LoadOptions};
use crate::engine::Engine;
use crate::plan::{PlanOptions, RunIdentity, StackPlan};

/// The environment variable that keeps stacks up after the test (for debugging); `dockhand down
/// -p NAME` removes them.
pub const KEEP_ENV: &str = "DOCKHAND_KEEP";

/// Settings for [`Stack`]; start with [`Stack::builder`].
#[derive(Debug, Clone)]
pub struct StackBuilder {
    load: LoadOptions,
    services: Vec<String>,
    ready_timeout: Duration,
    tag: Option<String>,
    keep: bool,
}

impl Default for StackBuilder {
    fn default() -> Self {
        StackBuilder {
            load: LoadOptions::default(),
            services: Vec::new(),
            ready_timeout: Duration::from_secs(120),
            tag: None,
            keep: std::env::var(KEEP_ENV).is_ok_and(|v| !v.is_empty() && v != "0"),
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
        let name = name.into();
        self.load.enable_services.push(name.clone());
        self.services.push(name);
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

    /// Leaves the stack up when the [`Stack`] is dropped (also set by `DOCKHAND_KEEP=1`).
    pub fn keep(mut self, keep: bool) -> Self {
        self.keep = keep;
        self
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
        let project = compose::load(&self.load)?;
        let mut services: Vec<String> = Vec::new();
        if self.services.is_empty() {
            services.extend(project.services.keys().cloned());
        } else {
            for s in &self.services {
                let (_, deps) = super::test::load_for_service(&self.load, s)?;
                services.extend(deps);
                services.push(s.clone());
            }
        }
        // In the project's order; the scheduler follows depends_on.
        services = project
            .services
            .keys()
            .filter(|s| services.contains(s))
            .cloned()
            .collect();
        let mut run = RunIdentity::new();
        run.keep = self.keep;
        let plan = StackPlan::new(
            &project,
            run,
            &PlanOptions {
                services: services.clone(),
                keep_host_ports: false,
                publish_all: true,
                tag: self.tag.clone(),
            },
        );
        let engine = Engine::connect().await?;
        super::test::sweep_abandoned(&engine, reporter).await;
        let mut stack = Stack {
            engine,
            plan,
            containers: IndexMap::new(),
            ports: HashMap::new(),
            done: false,
            keep: self.keep,
        };
        let brought_up = stack
            .bring_up(&services, self.ready_timeout, reporter, stop)
            .await;
        if let Err(e) = brought_up {
            // Kept or not, a stack that did not come up is removed.
            stack.done = true;
            teardown_run(&stack.engine, &stack.plan.run.id).await?;
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
/// let addr = stack.endpoint("cache", 6379)?; // "127.0.0.1:49153"
/// // ... talk to Redis at addr ...
/// stack.down().await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Stack {
    engine: Engine,
    plan: StackPlan,
    containers: IndexMap<String, String>,
    /// (service, "port/proto") -> host port.
    ports: HashMap<(String, String), u16>,
    done: bool,
    keep: bool,
}

impl Stack {
    pub fn builder() -> StackBuilder {
        StackBuilder::default()
    }

    /// The project name on the engine (the file's name plus a unique suffix).
    pub fn project(&self) -> &str {
        &self.plan.project
    }

    /// The run id every resource of this stack is labelled with.
    pub fn run_id(&self) -> &str {
        &self.plan.run.id
    }

    /// The container id of `service`.
    pub fn container_id(&self, service: &str) -> Option<&str> {
        self.containers.get(service).map(String::as_str)
    }

    /// The host address (`127.0.0.1:PORT`) where the container port `port`/tcp of `service` is
    /// published.
    pub fn endpoint(&self, service: &str, port: u16) -> Result<String, RunError> {
        self.endpoint_proto(service, port, "tcp")
    }

    /// [`endpoint`](Self::endpoint) for another protocol (`udp`, `sctp`).
    pub fn endpoint_proto(
        &self,
        service: &str,
        port: u16,
        proto: &str,
    ) -> Result<String, RunError> {
        if !self.containers.contains_key(service) {
            let known: Vec<&str> = self.containers.keys().map(String::as_str).collect();
            return Err(RunError::Usage(format!(
                "no service named {service} in stack {}; services: {}",
                self.plan.project,
                known.join(", ")
            )));
        }
        match self
            .ports
            .get(&(service.to_string(), format!("{port}/{proto}")))
        {
            Some(host_port) => Ok(format!("{}:{host_port}", self.engine.published_host())),
            None => Err(RunError::Usage(format!(
                "service {service} does not publish port {port}/{proto}; list it under ports: or EXPOSE it in the image"
            ))),
        }
    }

    /// Every published port: (service, container port/proto, host address).
    pub fn endpoints(&self) -> Vec<(String, String, String)> {
        let mut out: Vec<_> = self
            .ports
            .iter()
            .map(|((s, p), hp)| {
                (
                    s.clone(),
                    p.clone(),
                    format!("{}:{hp}", self.engine.published_host()),
                )
            })
            .collect();
        out.sort();
        out
    }

    async fn bring_up(
        &mut self,
        services: &[String],
        ready_timeout: Duration,
        reporter: &dyn Reporter,
        stop: &Stop,
    ) -> Result<(), RunError> {
        prepare_images(&self.engine, &self.plan, services, reporter, stop).await?;
        create_resources(&self.engine, &self.plan).await?;
        let (started, result) = start_services(
            &self.engine,
            &self.plan,
            services,
            ready_timeout,
            reporter,
            stop,
        )
        .await;
        self.containers = started.containers;
        result?;
        self.read_ports().await
    }

    async fn read_ports(&mut self) -> Result<(), RunError> {
        for (service, id) in &self.containers {
            let resp = self.engine.inspect(id).await?;
            let ports = resp
                .network_settings
                .and_then(|n| n.ports)
                .unwrap_or_default();
            for (key, bindings) in ports {
                let Some(port) = bindings
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|b| b.host_port.as_deref()?.parse::<u16>().ok())
                    .next()
                else {
                    continue;
                };
                self.ports.insert((service.clone(), key), port);
            }
        }
        Ok(())
    }

    /// Leaves the stack running after this value is gone (what `dockhand up` does); `dockhand
    /// down -p NAME` removes it. Marks its resources so sweeps of dead runs leave them alone.
    pub async fn keep_up(mut self) -> Result<(), RunError> {
        self.done = true;
        Ok(())
    }

    /// Removes every container, network and volume of the stack.
    pub async fn down(mut self) -> Result<Removed, RunError> {
        self.done = true;
        Ok(teardown_run(&self.engine, &self.plan.run.id).await?)
    }
}

impl Drop for Stack {
    /// Tears down when `down()` was not called (a failed assertion, an early `?`). Works on
    /// both tokio runtimes: the teardown runs on a thread of its own with its own runtime, and
    /// this waits for it.
    fn drop(&mut self) {
        if self.done || self.keep {
            return;
        }
        let run_id = self.plan.run.id.clone();
        let handle = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(async {
                let engine = Engine::connect().await.map_err(std::io::Error::other)?;
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
