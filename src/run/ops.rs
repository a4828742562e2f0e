//! What a test does to a running stack besides reaching its ports: commands in a service,
//! its log, files in and out, and faults (stop, start, kill, pause) injected on purpose.

use std::path::{Path, PathBuf};

use super::error::RunError;
use super::stack::Stack;
use crate::engine::{EngineError, ExecOutput};
use crate::ready::{Check, ReadyError, own_check, wait_ready};

impl Stack {
    /// The host name or address at which this stack's published ports are reached from this
    /// machine: `127.0.0.1` for a local engine, the engine's host for `DOCKER_HOST=tcp://…`.
    ///
    /// ```no_run
    /// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
    /// let stack = dockhand::Stack::builder().file("compose/redis.yml").up().await?;
    /// assert_eq!(stack.endpoint("cache", 6379)?.host(), stack.host());
    /// # Ok(()) }
    /// ```
    pub fn host(&self) -> String {
        self.engine().published_host()
    }

    /// Runs `cmd` (a program and its arguments, no shell) in the container of `service` and
    /// waits for it to end. A non-zero exit code is a result, not an error; stdout and stderr
    /// come apart and whole.
    ///
    /// ```no_run
    /// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
    /// let stack = dockhand::Stack::builder().file("compose/redis.yml").up().await?;
    /// let out = stack.exec("cache", ["redis-cli", "dbsize"]).await?;
    /// assert_eq!(out.exit_code, 0);
    /// assert_eq!(out.stdout.trim(), "0");
    /// let failed = stack.exec("cache", ["sh", "-c", "echo no >&2; exit 3"]).await?;
    /// assert_eq!((failed.exit_code, failed.stderr.as_str()), (3, "no\n"));
    /// # Ok(()) }
    /// ```
    pub async fn exec<I, S>(&self, service: &str, cmd: I) -> Result<ExecOutput, RunError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let cmd: Vec<String> = cmd.into_iter().map(Into::into).collect();
        let id = self.service_id(service)?;
        let action = format!("run `{}` in", shell_words::join(&cmd));
        self.engine()
            .exec_output(id, &cmd)
            .await
            .map_err(self.failed(service, action))
    }

    /// Everything the container of `service` has printed so far, stdout and stderr as they
    /// came.
    ///
    /// ```no_run
    /// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
    /// let stack = dockhand::Stack::builder().file("compose/redis.yml").up().await?;
    /// assert!(stack.logs("cache").await?.contains("Ready to accept connections"));
    /// # Ok(()) }
    /// ```
    pub async fn logs(&self, service: &str) -> Result<String, RunError> {
        let id = self.service_id(service)?;
        self.engine()
            .log(id)
            .await
            .map_err(self.failed(service, "read the log of".into()))
    }

    /// Copies the local file or directory `local` into the directory `container_dir` of
    /// `service`'s container, under its own name, as `docker cp` does; the directory must
    /// exist there. Works on a stopped service too.
    ///
    /// ```no_run
    /// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
    /// let stack = dockhand::Stack::builder().file("compose/redis.yml").up().await?;
    /// stack.copy_to("cache", "tests/data/seed.txt", "/tmp").await?;
    /// let seed = stack.exec("cache", ["cat", "/tmp/seed.txt"]).await?.stdout;
    /// # Ok(()) }
    /// ```
    pub async fn copy_to(
        &self,
        service: &str,
        local: impl AsRef<Path>,
        container_dir: &str,
    ) -> Result<(), RunError> {
        let local = local.as_ref();
        let id = self.service_id(service)?;
        let action = format!("copy {} into {container_dir} of", local.display());
        self.engine()
            .copy_in(id, local, container_dir)
            .await
            .map_err(self.failed(service, action))
    }

    /// Copies the file or directory `container_path` of `service`'s container into the local
    /// directory `local_dir` (created if missing), under its own name, as `docker cp` does.
    /// Returns the local path written. Works on a stopped service too.
    ///
    /// ```no_run
    /// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
    /// let stack = dockhand::Stack::builder().file("compose/redis.yml").up().await?;
    /// let conf = stack.copy_from("cache", "/etc/redis/redis.conf", "target/out").await?;
    /// assert_eq!(conf, std::path::Path::new("target/out/redis.conf"));
    /// # Ok(()) }
    /// ```
    pub async fn copy_from(
        &self,
        service: &str,
        container_path: &str,
        local_dir: impl AsRef<Path>,
    ) -> Result<PathBuf, RunError> {
        let local_dir = local_dir.as_ref();
        let id = self.service_id(service)?;
        let action = format!("copy {container_path} to {} from", local_dir.display());
        self.engine()
            .copy_out(id, container_path, local_dir)
            .await
            .map_err(self.failed(service, action))
    }

    /// Stops `service` gracefully: its `pre_stop` hooks first (as `docker compose stop` runs
    /// them; one that fails is the error and the service is not stopped), then its stop
    /// signal, then SIGKILL after its `stop_grace_period` (10 s by default). Its ports stop
    /// answering until [`start`](Self::start); stopping a stopped service does nothing.
    ///
    /// ```no_run
    /// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
    /// let mut stack = dockhand::Stack::builder().file("compose/redis.yml").up().await?;
    /// stack.stop("cache").await?;
    /// // ... the code under test sees its cache go away ...
    /// stack.start("cache").await?;
    /// # Ok(()) }
    /// ```
    pub async fn stop(&self, service: &str) -> Result<(), RunError> {
        let id = self.service_id(service)?;
        if let Some(sp) = self.plan().services.get(service) {
            super::hooks::pre_stop(self.engine(), service, &sp.container.pre_stop, id).await?;
        }
        self.engine()
            .stop(id)
            .await
            .map_err(self.failed(service, "stop".into()))
    }

    /// Starts `service` again after [`stop`](Self::stop) or [`kill`](Self::kill) and waits
    /// until it is ready, by the check that decided its readiness at bring-up and within the
    /// same timeout. The engine may publish its ports on new host ports: ask
    /// [`endpoint`](Self::endpoint) again afterwards. Its `post_start` hooks do not run again.
    /// Starting a running service only waits for it to be ready.
    ///
    /// ```no_run
    /// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
    /// let mut stack = dockhand::Stack::builder().file("compose/redis.yml").up().await?;
    /// stack.kill("cache", None).await?;
    /// stack.start("cache").await?;
    /// let cache = stack.endpoint("cache", 6379)?; // perhaps another port than before
    /// # Ok(()) }
    /// ```
    pub async fn start(&mut self, service: &str) -> Result<(), RunError> {
        let id = self.service_id(service)?.to_string();
        self.engine()
            .start(&id)
            .await
            .map_err(self.failed(service, "start".into()))?;
        let facts = self.images().get(service).cloned().unwrap_or_default();
        let check = match self.plan().services.get(service) {
            Some(sp) => own_check(sp, &facts),
            None => Check::Running,
        };
        match wait_ready(self.engine(), service, &id, &check, self.ready_timeout()).await {
            Ok(()) => {}
            // A one-shot service that ran to completion again is fine, as at bring-up.
            Err(ReadyError::Exited { code: 0, .. }) if !matches!(check, Check::Health { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        self.reread_ports(service)
            .await
            .map_err(self.failed(service, "read the published ports of".into()))
    }

    /// Sends `signal` (`"SIGTERM"`, `"HUP"`, `"9"`; `None` is SIGKILL) to the main process of
    /// `service`. A service that exits of it stays stopped until [`start`](Self::start);
    /// signalling a stopped service does nothing.
    ///
    /// ```no_run
    /// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
    /// let stack = dockhand::Stack::builder().file("compose/redis.yml").up().await?;
    /// stack.kill("cache", Some("SIGTERM")).await?; // Redis shuts down cleanly
    /// # Ok(()) }
    /// ```
    pub async fn kill(&self, service: &str, signal: Option<&str>) -> Result<(), RunError> {
        let id = self.service_id(service)?;
        let signal = signal.unwrap_or("SIGKILL");
        self.engine()
            .kill(id, signal)
            .await
            .map_err(self.failed(service, format!("send {signal} to")))
    }

    /// Freezes every process of `service`: connections to it still open, but nothing answers
    /// until [`unpause`](Self::unpause), as with a hung server. A paused stack is still torn
    /// down whole.
    ///
    /// ```no_run
    /// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
    /// let stack = dockhand::Stack::builder().file("compose/redis.yml").up().await?;
    /// stack.pause("cache").await?;
    /// // ... the code under test should time out, not hang ...
    /// stack.unpause("cache").await?;
    /// # Ok(()) }
    /// ```
    pub async fn pause(&self, service: &str) -> Result<(), RunError> {
        let id = self.service_id(service)?;
        self.engine()
            .pause(id)
            .await
            .map_err(self.failed(service, "pause".into()))
    }

    /// Thaws `service` after [`pause`](Self::pause); what it was doing carries on.
    ///
    /// ```no_run
    /// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
    /// let stack = dockhand::Stack::builder().file("compose/redis.yml").up().await?;
    /// stack.pause("cache").await?;
    /// stack.unpause("cache").await?;
    /// # Ok(()) }
    /// ```
    pub async fn unpause(&self, service: &str) -> Result<(), RunError> {
        let id = self.service_id(service)?;
        self.engine()
            .unpause(id)
            .await
            .map_err(self.failed(service, "unpause".into()))
    }

    /// The container of `service`, or an error naming the stack's services.
    fn service_id(&self, service: &str) -> Result<&str, RunError> {
        self.container_id(service)
            .ok_or_else(|| RunError::NotInStack {
                service: service.to_string(),
                stack: self.project().to_string(),
                known: self
                    .containers()
                    .keys()
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    /// The error of `action` on `service` failing on the engine.
    fn failed(&self, service: &str, action: String) -> impl FnOnce(EngineError) -> RunError {
        let (service, stack) = (service.to_string(), self.project().to_string());
        move |source| RunError::ServiceOperation {
            action,
            service,
            stack,
            source: Box::new(source),
        }
    }
}
