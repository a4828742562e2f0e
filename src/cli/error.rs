//! The command line's one error type, each failure mapped to its documented exit status.

use thiserror::Error;

use crate::engine::EngineError;
use crate::run::{RunError, exit};

/// Why a command failed; [`CliError::exit_code`] gives the documented exit status.
#[derive(Debug, Error)]
pub enum CliError {
    /// A run or a load failed (its own exit status).
    #[error(transparent)]
    Run(#[from] RunError),
    /// The engine could not be reached or refused a call (exit 3).
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// An argument's value is malformed (exit 2).
    #[error("invalid {arg} {value:?}: {problem}")]
    InvalidArgument {
        /// The option (`--tag`).
        arg: &'static str,
        /// The value given.
        value: String,
        /// What a valid value looks like.
        problem: String,
    },
    /// The success or failure marker can never equal an output line (empty, padded, holding
    /// control characters), or the two are the same (exit 2).
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
