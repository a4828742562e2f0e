//! The command line's one error type, each failure mapped to its documented exit status.

use thiserror::Error;

use crate::engine::EngineError;
use crate::run::{RunError, exit};

#[derive(Debug, Error)]
pub enum CliError {
    #[error(transparent)]
    Run(#[from] RunError),
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error("invalid {arg} {value:?}: {problem}")]
    InvalidArgument {
        arg: &'static str,
        value: String,
        problem: String,
    },
    #[error("invalid marker")]
    Marker(#[source] crate::verdict::MarkerError),
    /// Listening for SIGINT, SIGTERM and SIGHUP failed: without it a Ctrl-C would leave the
    /// stack behind, so nothing starts.
    #[error("cannot listen for signals")]
    Signals(#[source] std::io::Error),
    /// Printing a completion script or the man page failed.
    #[error("cannot write to standard output")]
    Output(#[source] std::io::Error),
}

impl CliError {
    /// The exit status this error maps to.
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Run(e) => e.exit_code(),
            CliError::InvalidArgument { .. } | CliError::Marker(_) => exit::BAD_INPUT,
            CliError::Engine(_) | CliError::Signals(_) | CliError::Output(_) => {
                exit::INFRASTRUCTURE
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signal_listener_failure_is_infrastructure_not_bad_input() {
        let e = CliError::Signals(std::io::Error::other("no signal driver"));
        assert_eq!(e.exit_code(), exit::INFRASTRUCTURE);
        let bad = CliError::InvalidArgument {
            arg: "--tag",
            value: "a b".into(),
            problem: "a tag is 1 to 128 letters".into(),
        };
        assert_eq!(bad.exit_code(), exit::BAD_INPUT);
        assert_eq!(
            bad.to_string(),
            "invalid --tag \"a b\": a tag is 1 to 128 letters"
        );
    }
}
