//! Waiting for a started container: until it runs, completes, passes its healthcheck (run by
//! dockhand itself the moment the container runs, not on Docker's schedule) or a readiness
//! check, failing at once when it exits or Docker finds it unhealthy.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use regex::Regex;
use thiserror::Error;

use super::probe::{Probe, try_once_at};
use crate::engine::{ContainerState, ContainerStatus, Engine, EngineError, HealthStatus};

/// Lines of the service's log shown when it fails.
pub const LOG_TAIL_LINES: usize = 20;

/// The first pause between tries; each pause is half as long again, up to [`MAX_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_millis(20);
const MAX_PAUSE: Duration = Duration::from_millis(100);
/// One try of a probe from the host.
const PROBE_TRY: Duration = Duration::from_secs(1);
/// One try of an `exec` readiness command.
const EXEC_TRY: Duration = Duration::from_secs(10);
/// Lines of output a `log` check searches.
const LOG_LINES: usize = 10_000;

/// When a container counts as ready.
#[derive(Debug, Clone)]
pub enum Check {
    /// It runs.
    Running,
    /// It exited with code 0.
    Completed,
    /// Its healthcheck passes: dockhand runs the test itself with exec, and Docker's own
    /// status counts too (healthy passes, unhealthy fails at once).
    Health {
        /// The command to exec (`CMD-SHELL` already turned into `/bin/sh -c`).
        command: Vec<String>,
        /// Each try's bound: the healthcheck's timeout.
        timeout: Duration,
    },
    /// A probe from the host to the container's address.
    Probe(Probe),
    /// A line of the container's output matches.
    Log(Regex),
    /// A command exits 0 inside the container.
    Exec(Vec<String>),
}

impl Check {
    /// The check's name as the output shows it: `db: ready (postgres protocol) in 1.3s`.
    pub fn name(&self) -> String {
        match self {
            Check::Running => "running".into(),
            Check::Completed => "completed".into(),
            Check::Health { .. } => "healthcheck".into(),
            Check::Probe(p) => p.name(),
            Check::Log(re) => format!("log /{}/", re.as_str()),
            Check::Exec(cmd) => format!("exec {}", shell_words::join(cmd)),
        }
    }

    /// The healthcheck test of a container as the exec it runs: `CMD` runs its words,
    /// `CMD-SHELL` runs through `/bin/sh -c` as Docker does.
    pub fn health(test: &[String], timeout: Duration) -> Option<Check> {
        let command = match test.split_first()? {
            (kind, rest) if kind == "CMD" => rest.to_vec(),
            (kind, rest) if kind == "CMD-SHELL" => {
                vec!["/bin/sh".into(), "-c".into(), rest.join(" ")]
            }
            _ => return None,
        };
        (!command.is_empty()).then_some(Check::Health { command, timeout })
    }

    /// What a timeout says the service was not.
    fn wanted(&self) -> Wanted {
        Wanted(match self {
            Check::Running => "running".into(),
            Check::Completed => "completed".into(),
            Check::Health { .. } => "healthy".into(),
            other => format!("ready ({})", other.name()),
        })
    }
}

/// Why a service did not become ready; each carries the tail of its log for the report.
#[derive(Debug, Error)]
pub enum ReadyError {
    /// The container exited while dockhand waited for it.
    #[error("service {service} exited with code {code}{}", last_suffix("last health check", .health_output))]
    Exited {
        /// The service.
        service: String,
        /// Its exit code.
        code: i64,
        /// The output of its last health check, if one ran.
        health_output: Option<String>,
        /// The last lines of its log.
        log_tail: String,
    },
    /// The engine reported the container unhealthy.
    #[error("service {service} is unhealthy{}", last_suffix("last health check", .health_output))]
    Unhealthy {
        /// The service.
        service: String,
        /// The output of its last health check, if one ran.
        health_output: Option<String>,
        /// The last lines of its log.
        log_tail: String,
    },
    /// Its check did not pass within the ready timeout.
    #[error("service {service} was not {what} after {}s{}", .waited.as_secs_f64().round(), last_suffix(.what.last_label(), .last_try))]
    Timeout {
        /// The service.
        service: String,
        /// What it was waited for.
        what: Wanted,
        /// How long dockhand waited.
        waited: Duration,
        /// Why the last try failed, if one was made.
        last_try: Option<String>,
        /// The last lines of its log.
        log_tail: String,
    },
    /// A `service_healthy` condition names a service without a healthcheck.
    #[error(
        "service {service} has no healthcheck, but a service depends on it with condition service_healthy; add a healthcheck: to it or use condition: service_started"
    )]
    NoHealthcheck {
        /// The service.
        service: String,
    },
    /// The engine could not be asked.
    #[error(transparent)]
    Engine(#[from] EngineError),
}

/// What a wait that timed out waited for: `healthy`, `running`, `ready (tcp 5432)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wanted(String);

impl Wanted {
    /// How the last failed try is introduced in messages.
    fn last_label(&self) -> &'static str {
        if self.0 == "healthy" {
            "last health check"
        } else {
            "last try"
        }
    }
}

impl std::fmt::Display for Wanted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn last_suffix(label: &str, output: &Option<String>) -> String {
    match output.as_deref().map(str::trim) {
        Some(o) if !o.is_empty() => format!(" ({label}: {o})"),
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

/// Waits until container `id` of `service` passes `check`, at most `timeout`. Tries come
/// at once, then after pauses growing from 20 ms to 100 ms.
pub async fn wait_ready(
    engine: &Engine,
    service: &str,
    id: &str,
    check: &Check,
    timeout: Duration,
) -> Result<(), ReadyError> {
    let start = Instant::now();
    let mut pause = FIRST_PAUSE;
    let mut last_try: Option<String> = None;
    loop {
        let status = engine.status(id).await?;
        let health_output = last_try.clone().or(status.health_output.clone());
        match (&status.state, check) {
            (ContainerState::Exited { code: 0 }, Check::Completed) => return Ok(()),
            (ContainerState::Exited { code }, _) => {
                return Err(ReadyError::Exited {
                    service: service.to_string(),
                    code: *code,
                    health_output: match check {
                        Check::Health { .. } => health_output,
                        _ => status.health_output,
                    },
                    log_tail: engine.log_tail(id, LOG_TAIL_LINES).await,
                });
            }
            (
                ContainerState::Running { health },
                Check::Health {
                    command,
                    timeout: try_bound,
                },
            ) => {
                match health {
                    Some(HealthStatus::Healthy) => return Ok(()),
                    Some(HealthStatus::Unhealthy) => {
                        return Err(ReadyError::Unhealthy {
                            service: service.to_string(),
                            health_output,
                            log_tail: engine.log_tail(id, LOG_TAIL_LINES).await,
                        });
                    }
                    _ => {}
                }
                let bound = (*try_bound).min(remaining(start, timeout));
                if let Some(run) = exec_try(engine, id, command, bound).await? {
                    match run.exit_code {
                        Some(0) => return Ok(()),
                        Some(_) => last_try = Some(run.output.trim().to_string()),
                        None => last_try = Some(format!("timed out after {bound:?}")),
                    }
                }
            }
            (ContainerState::Running { .. }, Check::Running) => return Ok(()),
            (ContainerState::Running { .. }, Check::Probe(probe)) => {
                match probe_address(engine, &status, probe).await {
                    Ok(addr) => match try_once_at(probe, addr, PROBE_TRY, !engine.is_local()).await
                    {
                        Ok(()) => return Ok(()),
                        Err(e) => last_try = Some(e),
                    },
                    Err(why) => last_try = Some(why),
                }
            }
            (ContainerState::Running { .. }, Check::Log(re)) => {
                let log = engine.log_tail(id, LOG_LINES).await;
                if log.lines().any(|l| re.is_match(l)) {
                    return Ok(());
                }
                last_try = Some("no line of the output matches yet".into());
            }
            (ContainerState::Running { .. }, Check::Exec(command)) => {
                let bound = EXEC_TRY.min(remaining(start, timeout));
                if let Some(run) = exec_try(engine, id, command, bound).await? {
                    match run.exit_code {
                        Some(0) => return Ok(()),
                        Some(code) => {
                            last_try = Some(format!("exit {code}: {}", run.output.trim()))
                        }
                        None => last_try = Some(format!("timed out after {bound:?}")),
                    }
                }
            }
            _ => {}
        }
        if start.elapsed() >= timeout {
            return Err(ReadyError::Timeout {
                service: service.to_string(),
                what: check.wanted(),
                waited: start.elapsed(),
                last_try: health_output,
                log_tail: engine.log_tail(id, LOG_TAIL_LINES).await,
            });
        }
        tokio::time::sleep(pause.min(remaining(start, timeout))).await;
        pause = (pause * 3 / 2).min(MAX_PAUSE);
    }
}

/// Where a probe from this machine reaches the container: its own address on a local engine;
/// on a remote one, where the probed port is published on the engine's host (its own address
/// is out of reach there).
async fn probe_address(
    engine: &Engine,
    status: &ContainerStatus,
    probe: &Probe,
) -> Result<SocketAddr, String> {
    if engine.is_local() {
        return status
            .addresses
            .first()
            .map(|ip| SocketAddr::new(*ip, probe.port()))
            .ok_or_else(|| "the container has no address to probe".into());
    }
    let key = format!("{}/tcp", probe.port());
    let Some(port) = status.published.get(&key) else {
        return Err(format!(
            "container port {key} is not published, and on a remote engine dockhand probes through published ports; publish it (ports: or expose:)"
        ));
    };
    let host = engine.published_host();
    match tokio::net::lookup_host((host.as_str(), *port)).await {
        Ok(mut addrs) => addrs
            .next()
            .ok_or_else(|| format!("{host} resolves to no address")),
        Err(e) => Err(format!("cannot resolve {host}: {e}")),
    }
}

/// One exec try. A container that stops between the status reading and the exec makes the
/// engine refuse the exec; that is no engine failure but a state the next reading reports
/// (exited, restarting), so it gives `None` and the loop goes on.
async fn exec_try(
    engine: &Engine,
    id: &str,
    command: &[String],
    bound: Duration,
) -> Result<Option<crate::engine::ExecOutcome>, ReadyError> {
    match engine.exec(id, command, bound).await {
        Ok(run) => Ok(Some(run)),
        Err(e) => match engine.status(id).await?.state {
            ContainerState::Running { .. } => Err(e.into()),
            _ => Ok(None),
        },
    }
}

fn remaining(start: Instant, timeout: Duration) -> Duration {
    timeout
        .saturating_sub(start.elapsed())
        .max(Duration::from_millis(10))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn healthcheck_tests_become_execs_as_docker_runs_them() {
        let t = Duration::from_secs(3);
        let Some(Check::Health { command, timeout }) =
            Check::health(&["CMD-SHELL".into(), "pg_isready -h 127.0.0.1".into()], t)
        else {
            panic!("a shell test is a healthcheck");
        };
        assert_eq!(command, ["/bin/sh", "-c", "pg_isready -h 127.0.0.1"]);
        assert_eq!(timeout, t);
        let Some(Check::Health { command, .. }) =
            Check::health(&["CMD".into(), "redis-cli".into(), "ping".into()], t)
        else {
            panic!("an exec test is a healthcheck");
        };
        assert_eq!(command, ["redis-cli", "ping"]);
        assert!(Check::health(&["NONE".into()], t).is_none());
        assert!(Check::health(&["CMD".into()], t).is_none());
        assert!(Check::health(&[], t).is_none());
    }

    #[test]
    fn timeouts_say_what_was_awaited_and_the_last_try() {
        let e = ReadyError::Timeout {
            service: "stuck".into(),
            what: Check::Health {
                command: vec!["true".into()],
                timeout: Duration::from_secs(1),
            }
            .wanted(),
            waited: Duration::from_millis(3020),
            last_try: Some("waiting for the moon\n".into()),
            log_tail: String::new(),
        };
        assert_eq!(
            e.to_string(),
            "service stuck was not healthy after 3s (last health check: waiting for the moon)"
        );
        let probe = Check::Log(Regex::new("ready to accept").unwrap());
        assert_eq!(probe.wanted().to_string(), "ready (log /ready to accept/)");
        assert_eq!(probe.wanted().last_label(), "last try");
    }
}
