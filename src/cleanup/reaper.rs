//! The reaper: a detached dockhand process that removes a run's resources when its owner dies,
//! even by SIGKILL.
//!
//! The owner starts `dockhand __reap --run ID` in a process group of its own (so a Ctrl-C in the
//! terminal does not reach it) with a pipe on its stdin and keeps the write end. The kernel
//! closes that pipe however the owner ends. On end of input the reaper removes the run by
//! label, unless the owner first wrote `keep` (a stack left up on purpose). It needs no image
//! and no Docker socket inside a container: it is the same binary, talking to the same engine.

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::Duration;

use tokio::io::AsyncReadExt;

use super::teardown::teardown_run;
use crate::engine::{Engine, EngineChoice};

/// The hidden subcommand that runs the reaper.
pub const SUBCOMMAND: &str = "__reap";

/// The owner's end of the pipe. Dropping it (or the owner dying) sets the reaper off.
#[derive(Debug)]
pub struct Reaper {
    stdin: Option<ChildStdin>,
    child: Child,
}

impl Reaper {
    /// Starts `exe __reap --run RUN` detached from the terminal's process group, told to
    /// reach the engine `engine` names (however it was chosen here: an option, a context).
    pub fn spawn(exe: &Path, run: &str, engine: &EngineChoice) -> std::io::Result<Reaper> {
        let mut command = Command::new(exe);
        for (name, value) in engine.child_env() {
            match value {
                Some(v) => command.env(name, v),
                None => command.env_remove(name),
            };
        }
        let mut child = command
            .arg(SUBCOMMAND)
            .arg("--run")
            .arg(run)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()?;
        let stdin = child.stdin.take();
        Ok(Reaper { stdin, child })
    }

    /// The stack stays up on purpose: the reaper exits without removing anything.
    pub fn keep(mut self) {
        if let Some(mut stdin) = self.stdin.take() {
            let _ = stdin.write_all(b"keep\n");
        }
    }
}

impl Drop for Reaper {
    fn drop(&mut self) {
        drop(self.stdin.take());
        // Not waited for: it outlives a fast exit of the owner on purpose. Reap it if it is
        // already done so no zombie stays while the owner keeps running (library use).
        let _ = self.child.try_wait();
    }
}

/// The reaper's side: waits for end of input, then removes run `run` unless told to keep it.
pub async fn run(run: &str) -> i32 {
    // A hangup or Ctrl-C meant for the owner must not stop the reaper before it has done its
    // work; listening replaces the default action (terminate) with nothing.
    let _int = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt());
    let _hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup());
    let mut input = Vec::new();
    let _ = tokio::io::stdin().read_to_end(&mut input).await;
    if String::from_utf8_lossy(&input)
        .lines()
        .any(|l| l.trim() == "keep")
    {
        return 0;
    }
    let Ok(engine) = Engine::connect().await else {
        return 3;
    };
    // Engine calls the owner had in flight may still land: remove, wait, remove again.
    let mut code = 0;
    for pause in [Duration::from_millis(200), Duration::from_secs(2)] {
        tokio::time::sleep(pause).await;
        if teardown_run(&engine, run).await.is_err() {
            code = 3;
        }
    }
    code
}
