//! What can end a run early, and the exit status each maps to, in one place.

use thiserror::Error;

use crate::compose::LoadError;
use crate::engine::EngineError;
use crate::ready::ReadyError;
use crate::signal::Interrupt;

/// Exit statuses of the `dockhand` binary, as the README documents them.
pub mod exit {
    /// The test passed (or the command succeeded).
    pub const PASS: i32 = 0;
    /// The test ran and failed.
    pub const TEST_FAILED: i32 = 1;
    /// Bad input: compose file or arguments.
    pub const BAD_INPUT: i32 = 2;
    /// Infrastructure: daemon unreachable, image missing, a dependency that failed.
    pub const INFRASTRUCTURE: i32 = 3;
    /// Interrupted by SIGHUP, after teardown.
    pub const SIGHUP: i32 = 129;
    /// Interrupted by SIGINT (Ctrl-C), after teardown.
    pub const SIGINT: i32 = 130;
    /// Interrupted by SIGTERM, after teardown.
    pub const SIGTERM: i32 = 143;
}

/// Why bringing a stack up, or a whole `dockhand test` run, ended without a verdict.
#[derive(Debug, Error)]
pub enum RunError {
    /// The compose files could not be loaded (bad input: syntax, unknown key, cycle, ...).
    #[error(transparent)]
    Load(#[from] LoadError),
    /// A service named in the settings (`--service`, the builder's `service`) is not in the
    /// project.
    #[error("no service named {service} in {files}; services: {known}")]
    NoSuchService {
        /// The name given.
        service: String,
        /// The compose files read, comma-separated.
        files: String,
        /// The project's services, comma-separated.
        known: String,
    },
    /// A service named to a running [`Stack`](super::Stack) is not one it started.
    #[error("no service named {service} in stack {stack}; services: {known}")]
    NotInStack {
        /// The name asked for.
        service: String,
        /// The stack's project name.
        stack: String,
        /// The services the stack started, comma-separated.
        known: String,
    },
    /// The engine refused or failed what a test asked of a service of a running stack.
    #[error("could not {action} service {service} of stack {stack}")]
    ServiceOperation {
        /// What was asked: `pause`, `copy /tmp/x into`, "run `redis-cli ping` in".
        action: String,
        /// The service.
        service: String,
        /// The stack's project name.
        stack: String,
        /// The engine's error.
        #[source]
        source: Box<EngineError>,
    },
    /// A network or volume declared `external: true` does not exist on the engine.
    #[error(
        "{kind} {name} is declared external but does not exist; create it with `docker {kind} create {name}`"
    )]
    ExternalMissing {
        /// `network` or `volume`.
        kind: &'static str,
        /// Its name on the engine.
        name: String,
    },
    /// The engine could not be reached, or refused or failed a call.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// A dependency did not become ready: it exited, turned unhealthy, or its check timed out.
    #[error(transparent)]
    Dependency(ReadyError),
    /// A `post_start` hook exited non-zero, which fails the set-up as in compose, or a
    /// `pre_stop` hook did (or ran past its time), which stops [`Stack::stop`](crate::Stack::stop).
    #[error(
        "{which} hook {number} of service {service} (`{command}`) exited with status {code}{}",
        printed(output)
    )]
    Hook {
        /// `post_start` or `pre_stop`.
        which: &'static str,
        /// The service whose hook it is.
        service: String,
        /// 1-based, in the file's order.
        number: usize,
        /// The hook's command, as written.
        command: String,
        /// Its exit status.
        code: i64,
        /// What it printed.
        output: String,
    },
    /// A service of the run is run by a provider plugin (`provider:`), outside the engine.
    #[error(
        "service {service} is run by the provider plugin `{provider}`, outside the engine, which dockhand cannot stand in for; for tests, give it an image, or leave it out with a profile"
    )]
    Provider {
        /// The service.
        service: String,
        /// The provider's `type`.
        provider: String,
    },
    /// The whole run took longer than `--timeout` (seconds).
    #[error("the run took longer than its timeout of {0}s")]
    Timeout(u64),
    /// A signal stopped the run; the stack was torn down.
    #[error("interrupted by {}", .0.name())]
    Interrupted(Interrupt),
    /// The run was cancelled through its [`Stop`](crate::signal::Stop) without a signal.
    #[error("the run was stopped before it finished")]
    Cancelled,
    /// The JUnit report could not be written.
    #[error(transparent)]
    Report(Box<crate::report::ReportError>),
    /// A bug in dockhand (a panic, a broken invariant), said as such.
    #[error("dockhand itself failed: {0}")]
    Internal(String),
    /// A file, folder or process dockhand needs (the artifacts folder, the test output, the reaper)
    /// could not be made.
    #[error("error writing {what} to {path}")]
    Write {
        /// What was being written (`artifacts`, `the test output`, ...).
        what: &'static str,
        /// Where.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// An environment variable dockhand reads holds a value it cannot use.
    #[error("{name}={value:?} is not valid: expected {expected}")]
    BadSetting {
        /// The variable.
        name: &'static str,
        /// Its value.
        value: String,
        /// What it should hold.
        expected: &'static str,
    },
    /// The shared stack asked for failed to come up, in this process or in another one.
    #[error("the shared stack failed to come up: {message}")]
    SharedFailed {
        /// The bring-up's error, as its process reported it.
        message: String,
    },
    /// The keeper process of a shared stack could not be started.
    #[error("cannot keep a shared stack: {reason}")]
    Keeper {
        /// What went wrong and what to do.
        reason: String,
    },
    /// `--push` would push a built image under a tag nobody asked for (`latest`, or none).
    #[error(
        "--push: service {service} builds {image}, a tag that was not asked for; set --tag (or DOCKHAND_TAG) to the tag to push, such as the commit"
    )]
    PushUnasked {
        /// The service that builds it.
        service: String,
        /// The image reference it builds.
        image: String,
    },
    /// The test passed, and pushing or tagging one of its images failed.
    #[error("the test passed, but {image} was not pushed")]
    Push {
        /// The reference that was not pushed.
        image: String,
        /// Why.
        #[source]
        source: Box<EngineError>,
    },
    /// Bind mounts of this machine's paths, on an engine that runs on another machine.
    #[error(
        "the engine at {host} runs on another machine, where these bind mounts would mount whatever lies at the same paths on its disk, not this machine's files: {binds}; put the files in a named volume or the image, or pass --allow-remote-binds if the same paths exist on the engine's host"
    )]
    RemoteBinds {
        /// The engine's address.
        host: String,
        /// Each bind (`service app: /home/u/app/data at /data`), `; `-separated.
        binds: String,
    },
    /// The folder that coordinates a shared stack could not be used.
    #[error("cannot use the shared stack's folder {path}")]
    ShareDir {
        /// The folder.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// What a failed hook printed, for its message.
fn printed(output: &str) -> String {
    match output.trim() {
        "" => "; it printed nothing".into(),
        text => format!("; it printed:\n{text}"),
    }
}

impl From<ReadyError> for RunError {
    fn from(e: ReadyError) -> Self {
        match e {
            ReadyError::Engine(e) => RunError::Engine(e),
            other => RunError::Dependency(other),
        }
    }
}

impl RunError {
    /// The exit status this error maps to.
    pub fn exit_code(&self) -> i32 {
        match self {
            RunError::Load(_)
            | RunError::NoSuchService { .. }
            | RunError::NotInStack { .. }
            | RunError::ExternalMissing { .. }
            | RunError::BadSetting { .. }
            | RunError::PushUnasked { .. }
            | RunError::RemoteBinds { .. }
            | RunError::Provider { .. } => exit::BAD_INPUT,
            RunError::Interrupted(sig) => 128 + sig.number(),
            RunError::Engine(_)
            | RunError::ServiceOperation { .. }
            | RunError::Dependency(_)
            | RunError::Hook { .. }
            | RunError::Timeout(_)
            | RunError::Cancelled
            | RunError::Write { .. }
            | RunError::SharedFailed { .. }
            | RunError::Keeper { .. }
            | RunError::ShareDir { .. }
            | RunError::Push { .. }
            | RunError::Report(_)
            | RunError::Internal(_) => exit::INFRASTRUCTURE,
        }
    }

    /// The error of a run stopped by `stop`: the signal, or a cancel.
    pub fn stopped(stop: &crate::signal::Stop) -> RunError {
        match stop.interrupted() {
            Some(sig) => RunError::Interrupted(sig),
            None => RunError::Cancelled,
        }
    }
}

/// Why [`Stack::endpoint`](super::Stack::endpoint) has no address to give.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum EndpointError {
    /// The stack has no service of that name.
    #[error("no service named {service} in stack {stack}; services: {known}")]
    NoSuchService {
        /// The name asked for.
        service: String,
        /// The stack's project name.
        stack: String,
        /// The services the stack started, comma-separated.
        known: String,
    },
    /// The service does not publish that container port.
    #[error(
        "service {service} does not publish port {port}/{protocol}; list it under ports: or EXPOSE it in the image"
    )]
    NotPublished {
        /// The service.
        service: String,
        /// The container port asked for.
        port: u16,
        /// `tcp`, `udp` or `sctp`.
        protocol: String,
    },
}

/// The error of a share folder (a shared or reused stack's) that could not be used.
pub(super) fn share_dir_error(
    dir: &crate::cleanup::shared::ShareDir,
    source: std::io::Error,
) -> RunError {
    RunError::ShareDir {
        path: dir.path().display().to_string(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_map_to_128_plus_their_number() {
        assert_eq!(
            RunError::Interrupted(Interrupt::Interrupt).exit_code(),
            exit::SIGINT
        );
        assert_eq!(
            RunError::Interrupted(Interrupt::Terminate).exit_code(),
            exit::SIGTERM
        );
        assert_eq!(
            RunError::Interrupted(Interrupt::Hangup).exit_code(),
            exit::SIGHUP
        );
    }

    #[test]
    fn bad_input_is_2_and_the_rest_3() {
        let missing = RunError::NoSuchService {
            service: "ap".into(),
            files: "compose.yml".into(),
            known: "app, db".into(),
        };
        assert_eq!(missing.exit_code(), exit::BAD_INPUT);
        assert_eq!(
            missing.to_string(),
            "no service named ap in compose.yml; services: app, db"
        );
        assert_eq!(RunError::Cancelled.exit_code(), exit::INFRASTRUCTURE);
        assert_eq!(RunError::Timeout(5).exit_code(), exit::INFRASTRUCTURE);
    }
}
