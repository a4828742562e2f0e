//! Engines reached with ssh, as the docker CLI reaches them: each connection is an
//! `ssh HOST docker system dial-stdio` process whose standard input and output carry the
//! engine's API. Connections are kept and reused, so a run starts a handful of ssh processes,
//! not one per call. What ssh says on standard error is kept, so a failed first contact can
//! tell a refused key from an unknown host or a missing docker command.

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bollard::Docker;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::{Connected, Connection};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, Join, ReadBuf};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::sync::watch;

use super::choice::{EngineChoice, EngineHost};
use super::transport::{IDLE, RequestBody, kept_connections};

/// What the ssh processes of one engine said when they failed, for the first contact's error.
#[derive(Debug, Clone, Default)]
pub(super) struct SshLog {
    failure: Arc<Mutex<Option<SshFailure>>>,
    /// Counts the ssh processes whose standard error has been read to its end.
    ended: Arc<watch::Sender<u64>>,
}

/// How an ssh process failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum SshFailure {
    /// The program could not be started (`ssh` not installed).
    Spawn {
        /// The program.
        program: String,
        /// Why, as the system says.
        message: String,
    },
    /// It ran and printed this on standard error.
    Said(String),
}

impl SshLog {
    /// The failure of an ssh process, waiting up to `wait` for one whose standard error is
    /// still being read.
    pub(super) async fn failure(&self, wait: Duration) -> Option<SshFailure> {
        let mut ended = self.ended.subscribe();
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(f) = self.failure.lock().ok()?.clone() {
                return Some(f);
            }
            if tokio::time::timeout_at(deadline, ended.changed())
                .await
                .is_err()
            {
                return None;
            }
        }
    }

    /// Keeps the latest failure: a later process may say more than an earlier one.
    fn record(&self, failure: SshFailure) {
        if let Ok(mut slot) = self.failure.lock() {
            *slot = Some(failure);
        }
        self.ended.send_modify(|n| *n += 1);
    }
}

/// The ssh command line that reaches `host`'s engine: the configured command, options that
/// keep it from prompting, then `docker system dial-stdio` on the far side.
pub(super) fn command_line(
    ssh_command: &[String],
    host: &EngineHost,
    control: Option<&Path>,
) -> Vec<String> {
    let mut words: Vec<String> = ssh_command.to_vec();
    if words.is_empty() {
        words.push("ssh".into());
    }
    words.extend(multiplexing(control));
    // No prompt can be answered: a password or passphrase prompt must fail, not hang.
    // Warnings (a host key added to known_hosts) stay off standard error, which is read for
    // the reason of a failure.
    words.extend(
        [
            "-o",
            "BatchMode=yes",
            "-o",
            "ConnectTimeout=15",
            "-o",
            "LogLevel=ERROR",
            "-T",
        ]
        .map(String::from),
    );
    if let EngineHost::Ssh { user, host, port } = host {
        if let Some(user) = user {
            words.extend(["-l".to_string(), user.clone()]);
        }
        if let Some(port) = port {
            words.extend(["-p".to_string(), port.to_string()]);
        }
        words.extend(["--".to_string(), host.clone()]);
    }
    words.extend(["docker", "system", "dial-stdio"].map(String::from));
    words
}

/// How long the shared ssh connection outlives its last user: its owner ends it at once when
/// it is done, so this bounds only what a killed dockhand leaves behind.
const CONTROL_PERSIST: &str = "60";

/// The options that share one ssh connection (one login) among the processes of an engine,
/// through a control socket in `control`.
fn multiplexing(control: Option<&Path>) -> Vec<String> {
    let Some(dir) = control else {
        return Vec::new();
    };
    vec![
        "-o".into(),
        "ControlMaster=auto".into(),
        "-o".into(),
        format!("ControlPath={}/%C", dir.display()),
        "-o".into(),
        format!("ControlPersist={CONTROL_PERSIST}"),
    ]
}

/// The shared ssh connection of one engine: its control socket's folder, and the command that
/// ends it when the engine is dropped.
#[derive(Debug)]
struct SharedLogin {
    dir: tempfile::TempDir,
    exit: Vec<String>,
}

impl SharedLogin {
    fn new(choice: &EngineChoice) -> Option<SharedLogin> {
        let EngineHost::Ssh { user, host, port } = &choice.host else {
            return None;
        };
        // Short, since a unix socket's path is limited to about a hundred bytes.
        let dir = tempfile::Builder::new().prefix("dh-ssh").tempdir().ok()?;
        let mut exit = choice.ssh_command.clone();
        if exit.is_empty() {
            exit.push("ssh".into());
        }
        exit.extend(multiplexing(Some(dir.path())));
        exit.extend(["-O".to_string(), "exit".to_string()]);
        if let Some(user) = user {
            exit.extend(["-l".to_string(), user.clone()]);
        }
        if let Some(port) = port {
            exit.extend(["-p".to_string(), port.to_string()]);
        }
        exit.extend(["--".to_string(), host.clone()]);
        Some(SharedLogin { dir, exit })
    }
}

impl Drop for SharedLogin {
    /// Ends the shared connection now rather than after its persist time; a quick exchange
    /// with the control socket.
    fn drop(&mut self) {
        if self
            .dir
            .path()
            .read_dir()
            .is_ok_and(|mut d| d.next().is_some())
        {
            let _ = std::process::Command::new(&self.exit[0])
                .args(&self.exit[1..])
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status();
        }
    }
}

/// The host name ssh really connects to for an ssh address, after its config (the `HostName`
/// of an alias), as `ssh -G` prints it: where the engine's published ports are. `None` when
/// ssh cannot say.
pub(super) async fn real_host_name(choice: &EngineChoice) -> Option<String> {
    let EngineHost::Ssh { user, host, port } = &choice.host else {
        return None;
    };
    let mut words = choice.ssh_command.clone();
    if words.is_empty() {
        words.push("ssh".into());
    }
    words.push("-G".into());
    if let Some(user) = user {
        words.extend(["-l".to_string(), user.clone()]);
    }
    if let Some(port) = port {
        words.extend(["-p".to_string(), port.to_string()]);
    }
    words.extend(["--".to_string(), host.clone()]);
    let run = Command::new(&words[0])
        .args(&words[1..])
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(5), run)
        .await
        .ok()?
        .ok()?;
    if !out.status.success() {
        return None;
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("hostname "))
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
}

/// Starts an ssh process per connection.
#[derive(Debug, Clone)]
struct SshConnector {
    command: Arc<Vec<String>>,
    log: SshLog,
    /// Kept while any connection or clone of the client may still use it.
    _login: Option<Arc<SharedLogin>>,
}

/// One connection: the ssh process's standard output and input, the process killed when the
/// connection goes.
struct SshStream {
    io: Join<ChildStdout, ChildStdin>,
    _child: Child,
}

impl AsyncRead for SshStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl AsyncWrite for SshStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

impl Connection for SshStream {
    fn connected(&self) -> Connected {
        Connected::new()
    }
}

impl tower_service::Service<hyper::Uri> for SshConnector {
    type Response = TokioIo<SshStream>;
    type Error = std::io::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: hyper::Uri) -> Self::Future {
        let command = self.command.clone();
        let log = self.log.clone();
        Box::pin(async move {
            let spawned = Command::new(&command[0])
                .args(&command[1..])
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .kill_on_drop(true)
                .spawn();
            let mut child = match spawned {
                Ok(child) => child,
                Err(e) => {
                    log.record(SshFailure::Spawn {
                        program: command[0].clone(),
                        message: e.to_string(),
                    });
                    return Err(e);
                }
            };
            if let Some(mut stderr) = child.stderr.take() {
                let log = log.clone();
                tokio::spawn(async move {
                    let mut said = Vec::new();
                    let _ = stderr.read_to_end(&mut said).await;
                    let said = String::from_utf8_lossy(&said).trim().to_string();
                    if said.is_empty() {
                        log.ended.send_modify(|n| *n += 1);
                    } else {
                        log.record(SshFailure::Said(said));
                    }
                });
            }
            let (Some(stdout), Some(stdin)) = (child.stdout.take(), child.stdin.take()) else {
                return Err(std::io::Error::other("ssh started without its pipes"));
            };
            Ok(TokioIo::new(SshStream {
                io: tokio::io::join(stdout, stdin),
                _child: child,
            }))
        })
    }
}

/// A client of the engine `choice` names by ssh, and the log of its ssh processes.
pub(super) fn connect(
    choice: &EngineChoice,
    timeout: u64,
) -> Result<(Docker, SshLog), bollard::errors::Error> {
    let log = SshLog::default();
    let login = SharedLogin::new(choice).map(Arc::new);
    let control = login.as_ref().map(|l| l.dir.path());
    let connector = SshConnector {
        command: Arc::new(command_line(&choice.ssh_command, &choice.host, control)),
        log: log.clone(),
        _login: login.clone(),
    };
    let client: Client<SshConnector, RequestBody> = Client::builder(TokioExecutor::new())
        .pool_idle_timeout(IDLE)
        .build(connector);
    // The address only names the connection pool's one host; the connector ignores it.
    let docker = kept_connections(client, "http://docker.ssh", timeout)?;
    Ok((docker, log))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_never_prompts_and_dials_the_far_engine() {
        let host = EngineHost::parse("ssh://ci@box:2222", false).unwrap();
        assert_eq!(
            command_line(&["ssh".into(), "-F".into(), "cfg".into()], &host, None).join(" "),
            "ssh -F cfg -o BatchMode=yes -o ConnectTimeout=15 -o LogLevel=ERROR -T -l ci -p 2222 -- box docker system dial-stdio"
        );
        let plain = EngineHost::parse("ssh://box", false).unwrap();
        assert_eq!(
            command_line(&[], &plain, Some(Path::new("/tmp/dh"))).join(" "),
            "ssh -o ControlMaster=auto -o ControlPath=/tmp/dh/%C -o ControlPersist=60 -o BatchMode=yes -o ConnectTimeout=15 -o LogLevel=ERROR -T -- box docker system dial-stdio"
        );
    }

    #[tokio::test]
    async fn what_a_failed_ssh_said_is_kept() {
        let log = SshLog::default();
        assert_eq!(log.failure(Duration::from_millis(10)).await, None);
        let later = log.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            later.record(SshFailure::Said("Permission denied (publickey).".into()));
        });
        assert_eq!(
            log.failure(Duration::from_secs(5)).await,
            Some(SshFailure::Said("Permission denied (publickey).".into()))
        );
    }
}
