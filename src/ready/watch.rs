//! Watching dependencies that came up while the test command runs: one that dies fails the run.

use std::time::Duration;

use super::wait::{LOG_TAIL_LINES, ReadyError};
use crate::engine::{ContainerState, Engine};

/// How often the dependencies' state is read.
const POLL: Duration = Duration::from_millis(250);

/// Resolves when one of `containers` (service, container id) has exited with a non-zero code,
/// or when reading its state fails; never otherwise.
pub async fn first_failure<'a>(
    engine: &Engine,
    containers: impl IntoIterator<Item = (&'a String, &'a String)> + Clone,
) -> ReadyError {
    loop {
        for (service, id) in containers.clone() {
            match engine.status(id).await {
                Ok(status) => {
                    if let ContainerState::Exited { code } = status.state
                        && code != 0
                    {
                        return ReadyError::Exited {
                            service: service.clone(),
                            code,
                            health_output: status.health_output,
                            log_tail: engine.log_tail(id, LOG_TAIL_LINES).await,
                        };
                    }
                }
                Err(e) => return ReadyError::Engine(e),
            }
        }
        tokio::time::sleep(POLL).await;
    }
}
