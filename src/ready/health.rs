//! Waits on a container's state and healthcheck, failing at once when it exits or turns
//! unhealthy.

use std::time::{Duration, Instant};

use thiserror::Error;

use crate::engine::{ContainerState, Engine, EngineError, HealthStatus};

/// How often the container's state is read while waiting.
const POLL: Duration = Duration::from_millis(100);

/// Lines of the service's log shown when it fails.
pub const LOG_TAIL_LINES: usize = 20;

/// What dockhand waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The container is running.
    Running,
    /// The healthcheck reports healthy.
    Healthy,
    /// The container exited with code 0.
    Completed,
}

#[derive(Debug, Error)]
pub enum ReadyError {
    #[error("service {service} exited with code {code}{}", health_suffix(.health_output))]
    Exited {
        service: String,
        code: i64,
        health_output: Option<String>,
        log_tail: String,
    },
    #[error("service {service} is unhealthy{}", health_suffix(.health_output))]
    Unhealthy {
        service: String,
        health_output: Option<String>,
        log_tail: String,
    },
    #[error("service {service} was not {what} after {}s{}", .waited.as_secs_f64().round(), health_suffix(.health_output))]
    Timeout {
        service: String,
        what: &'static str,
        waited: Duration,
        health_output: Option<String>,
        log_tail: String,
    },
    #[error(
        "service {service} has no healthcheck, but a service depends on it with condition service_healthy; add a healthcheck: to it or use condition: service_started"
    )]
    NoHealthcheck { service: String },
    #[error(transparent)]
    Engine(#[from] EngineError),
}

fn health_suffix(output: &Option<String>) -> String {
    match output.as_deref().map(str::trim) {
        Some(o) if !o.is_empty() => format!(" (last health check: {o})"),
        _ => String::new(),
    }
}

impl ReadyError {
    /// The tail of the service's log, when the failure has one.
    pub fn log_tail(&self) -> Option<&str> {
        match self {
            ReadyError::Exited { log_tail, .. }
            | ReadyError::Unhealthy { log_tail, .. }
            | ReadyError::Timeout { log_tail, .. } => Some(log_tail),
            _ => None,
        }
    }
}

/// Waits until container `id` of `service` reaches `target`, at most `timeout`.
pub async fn wait_for(
    engine: &Engine,
    service: &str,
    id: &str,
    target: Target,
    timeout: Duration,
) -> Result<(), ReadyError> {
    let start = Instant::now();
    loop {
        let status = engine.status(id).await?;
        let health_output = status.health_output;
        let has_healthcheck = status.has_healthcheck;
        match (&status.state, target) {
            (ContainerState::Exited { code: 0 }, Target::Completed) => return Ok(()),
            (ContainerState::Exited { code }, _) => {
                return Err(ReadyError::Exited {
                    service: service.to_string(),
                    code: *code,
                    health_output,
                    log_tail: engine.log_tail(id, LOG_TAIL_LINES).await,
                });
            }
            (ContainerState::Running { .. }, Target::Running) => return Ok(()),
            (ContainerState::Running { .. }, Target::Healthy) if !has_healthcheck => {
                return Err(ReadyError::NoHealthcheck {
                    service: service.to_string(),
                });
            }
            (
                ContainerState::Running {
                    health: Some(HealthStatus::Healthy),
                },
                Target::Healthy,
            ) => return Ok(()),
            (
                ContainerState::Running {
                    health: Some(HealthStatus::Unhealthy),
                },
                Target::Healthy,
            ) => {
                return Err(ReadyError::Unhealthy {
                    service: service.to_string(),
                    health_output,
                    log_tail: engine.log_tail(id, LOG_TAIL_LINES).await,
                });
            }
            _ => {}
        }
        if start.elapsed() >= timeout {
            return Err(ReadyError::Timeout {
                service: service.to_string(),
                what: match target {
                    Target::Running => "running",
                    Target::Healthy => "healthy",
                    Target::Completed => "completed",
                },
                waited: start.elapsed(),
                health_output,
                log_tail: engine.log_tail(id, LOG_TAIL_LINES).await,
            });
        }
        tokio::time::sleep(POLL).await;
    }
}
