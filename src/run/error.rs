//! What can end a run early, and the exit status each maps to.

use thiserror::Error;

use crate::compose::LoadError;
use crate::engine::EngineError;
use crate::ready::ReadyError;

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

/// A signal that ended the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interrupt {
    Hangup,
    Interrupt,
    Terminate,
}

impl Interrupt {
    pub fn name(self) -> &'static str {
        match self {
            Interrupt::Hangup => "SIGHUP",
            Interrupt::Interrupt => "SIGINT",
            Interrupt::Terminate => "SIGTERM",
        }
    }

    pub fn exit_code(self) -> i32 {
        match self {
            Interrupt::Hangup => exit::SIGHUP,
            Interrupt::Interrupt => exit::SIGINT,
            Interrupt::Terminate => exit::SIGTERM,
        }
    }
}

#[derive(Debug, Error)]
pub enum RunError {
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error(transparent)]
    Dependency(ReadyError),
    #[error("the run took longer than its timeout of {0}s")]
    Timeout(u64),
    #[error("interrupted by {}", .0.name())]
    Interrupted(Interrupt),
    #[error(transparent)]
    Report(Box<crate::report::ReportError>),
    #[error("dockhand itself failed: {0}")]
    Internal(String),
    #[error("error writing {what} to {path}")]
    Write {
        what: &'static str,
        path: String,
        #[source]
        source: std::io::Error,
    },
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
            RunError::Load(_) | RunError::Usage(_) => exit::BAD_INPUT,
            RunError::Interrupted(sig) => sig.exit_code(),
            RunError::Engine(_)
            | RunError::Dependency(_)
            | RunError::Timeout(_)
            | RunError::Write { .. }
            | RunError::Report(_)
            | RunError::Internal(_) => exit::INFRASTRUCTURE,
        }
    }
}
