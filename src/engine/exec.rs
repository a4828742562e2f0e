//! Commands run inside a running container (readiness checks, lifecycle hooks, a library
//! user's commands): exit code and output.

use std::time::Duration;

use bollard::container::LogOutput;
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

/// How a command run to its end in a container ended, with all it printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecOutput {
    /// Its exit code (non-zero is a result, not an error); -1 if the engine recorded none.
    pub exit_code: i64,
    /// Everything it wrote to stdout, lossy UTF-8.
    pub stdout: String,
    /// Everything it wrote to stderr, lossy UTF-8.
    pub stderr: String,
}

impl ExecOutput {
    /// Whether it exited with code 0.
    pub fn success(&self) -> bool {
        self.exit_code == 0
    }
}

/// How long to wait for the engine to record an exec's exit code once its output has ended.
const EXIT_CODE_WAIT: Duration = Duration::from_secs(5);

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

    /// Runs `cmd` in container `id`, waits for it to end however long it takes, and keeps
    /// all it prints, stdout and stderr apart (unlike [`exec`](Self::exec), which keeps 4 KiB
    /// of both together).
    pub async fn exec_output(&self, id: &str, cmd: &[String]) -> Result<ExecOutput, EngineError> {
        let action = || format!("running `{}` in container {id}", shell_words::join(cmd));
        let created = self
            .docker()
            .create_exec(
                id,
                CreateExecOptions {
                    cmd: Some(cmd.to_vec()),
                    attach_stdout: Some(true),
                    attach_stderr: Some(true),
                    ..Default::default()
                },
            )
            .await
            .map_err(EngineError::api(action()))?;
        let started = self
            .docker()
            .start_exec(&created.id, None::<StartExecOptions>)
            .await
            .map_err(EngineError::api(action()))?;
        let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
        if let StartExecResults::Attached {
            output: mut stream, ..
        } = started
        {
            while let Some(chunk) = stream.next().await {
                match chunk.map_err(EngineError::api(action()))? {
                    LogOutput::StdErr { message } => stderr.extend_from_slice(&message),
                    LogOutput::StdOut { message } | LogOutput::Console { message } => {
                        stdout.extend_from_slice(&message)
                    }
                    LogOutput::StdIn { .. } => {}
                }
            }
        }
        // The output ends when the process does; the engine may record its code a moment later.
        let deadline = tokio::time::Instant::now() + EXIT_CODE_WAIT;
        let exit_code = loop {
            let inspected =
                self.docker()
                    .inspect_exec(&created.id)
                    .await
                    .map_err(EngineError::api(format!(
                        "reading a command's exit code in container {id}"
                    )))?;
            match inspected.exit_code {
                Some(code) if inspected.running != Some(true) => break code,
                _ if tokio::time::Instant::now() >= deadline => break -1,
                _ => tokio::time::sleep(Duration::from_millis(10)).await,
            }
        };
        Ok(ExecOutput {
            exit_code,
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
        })
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
