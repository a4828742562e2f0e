//! Commands run inside a running container (readiness checks, lifecycle hooks): exit code and
//! output.

use std::time::Duration;

use bollard::exec::{CreateExecOptions, StartExecOptions, StartExecResults};
use futures_util::StreamExt;

use super::client::Engine;
use super::error::EngineError;
use crate::plan::Hook;

/// How a command run in a container ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecOutcome {
    /// Its exit code; `None` when it did not finish within the time given.
    pub exit_code: Option<i64>,
    /// What it printed (stdout and stderr), at most 4 KiB of it.
    pub output: String,
}

/// Output kept from one exec.
const OUTPUT_LIMIT: usize = 4096;

impl Engine {
    /// Runs `cmd` in container `id` and waits at most `timeout` for it to end. A command still
    /// running then is left to the container (as Docker's own healthcheck does) and reported
    /// as unfinished.
    pub async fn exec(
        &self,
        id: &str,
        cmd: &[String],
        timeout: Duration,
    ) -> Result<ExecOutcome, EngineError> {
        let options = CreateExecOptions {
            cmd: Some(cmd.to_vec()),
            ..Default::default()
        };
        self.run_exec(id, options, Some(timeout)).await
    }

    /// Runs a lifecycle hook in container `id` with its user, privileges, working directory
    /// and variables, and waits for it to end, however long it takes (as compose does).
    pub async fn exec_hook(&self, id: &str, hook: &Hook) -> Result<ExecOutcome, EngineError> {
        let options = CreateExecOptions {
            cmd: Some(hook.command.clone()),
            user: hook.user.clone(),
            privileged: Some(hook.privileged),
            working_dir: hook.working_dir.clone(),
            env: (!hook.env.is_empty())
                .then(|| hook.env.iter().map(|(k, v)| format!("{k}={v}")).collect()),
            ..Default::default()
        };
        self.run_exec(id, options, None).await
    }

    async fn run_exec(
        &self,
        id: &str,
        options: CreateExecOptions<String>,
        timeout: Option<Duration>,
    ) -> Result<ExecOutcome, EngineError> {
        let created = self
            .docker()
            .create_exec(
                id,
                CreateExecOptions {
                    attach_stdout: Some(true),
                    attach_stderr: Some(true),
                    ..options
                },
            )
            .await
            .map_err(EngineError::api(format!(
                "running a command in container {id}"
            )))?;
        let run = async {
            let started = self
                .docker()
                .start_exec(
                    &created.id,
                    Some(StartExecOptions {
                        detach: false,
                        ..Default::default()
                    }),
                )
                .await
                .map_err(EngineError::api(format!(
                    "running a command in container {id}"
                )))?;
            let mut output = Vec::new();
            if let StartExecResults::Attached {
                output: mut stream, ..
            } = started
            {
                while let Some(Ok(chunk)) = stream.next().await {
                    let bytes = chunk.into_bytes();
                    let room = OUTPUT_LIMIT.saturating_sub(output.len());
                    output.extend_from_slice(&bytes[..bytes.len().min(room)]);
                }
            }
            Ok::<_, EngineError>(output)
        };
        let output = match timeout {
            None => run.await?,
            Some(timeout) => match tokio::time::timeout(timeout, run).await {
                Ok(output) => output?,
                Err(_) => {
                    return Ok(ExecOutcome {
                        exit_code: None,
                        output: String::new(),
                    });
                }
            },
        };
        let inspected = self
            .docker()
            .inspect_exec(&created.id)
            .await
            .map_err(EngineError::api(format!(
                "reading a command's exit code in container {id}"
            )))?;
        Ok(ExecOutcome {
            exit_code: inspected.exit_code,
            output: String::from_utf8_lossy(&output).into_owned(),
        })
    }
}
