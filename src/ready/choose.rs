//! Which check decides that a service is ready: the file's `x-dockhand.ready` strategy, else its
//! healthcheck (the file's or the image's), else a built-in protocol probe for a service
//! dockhand recognises, else a TCP connect to a port it exposes, else running.

use std::time::Duration;

use regex::Regex;

use super::probe::{Probe, recognise};
use super::wait::Check;
use crate::engine::ImageFacts;
use crate::plan::{Health, ReadyCheck, ServicePlan};

/// Docker's default healthcheck timeout.
const DEFAULT_HEALTH_TIMEOUT: Duration = Duration::from_secs(30);

/// The check that makes `sp` ready, given what its image holds.
pub fn own_check(sp: &ServicePlan, image: &ImageFacts) -> Check {
    if let Some(ready) = &sp.ready {
        return strategy(ready);
    }
    if let Some(health) = health_check(sp, image) {
        return health;
    }
    let mut ports: Vec<u16> = sp
        .container
        .ports
        .iter()
        .filter(|p| p.protocol == "tcp")
        .map(|p| p.container_port)
        .chain(
            sp.container
                .expose
                .iter()
                .filter_map(|e| e.strip_suffix("/tcp")?.parse().ok()),
        )
        .chain(image.exposed_tcp.iter().copied())
        .collect();
    ports.dedup();
    match recognise(&sp.image.reference, &ports) {
        Some((protocol, port)) => Check::Probe(Probe::Protocol(protocol, port)),
        None => match ports.first() {
            Some(port) => Check::Probe(Probe::Tcp(*port)),
            None => Check::Running,
        },
    }
}

/// The service's healthcheck as a check, when it has one: the file's test, else the image's.
pub fn health_check(sp: &ServicePlan, image: &ImageFacts) -> Option<Check> {
    let (test, timeout) = match &sp.container.health {
        Health::Disabled => return None,
        Health::FromImage => (image.healthcheck_test.clone()?, image.healthcheck_timeout),
        Health::Set(h) => (
            h.test.clone().or_else(|| image.healthcheck_test.clone())?,
            h.timeout.or(image.healthcheck_timeout),
        ),
    };
    Check::health(&test, timeout.unwrap_or(DEFAULT_HEALTH_TIMEOUT))
}

fn strategy(ready: &ReadyCheck) -> Check {
    match ready {
        ReadyCheck::Running => Check::Running,
        ReadyCheck::Tcp(port) => Check::Probe(Probe::Tcp(*port)),
        ReadyCheck::Http { port, path, status } => Check::Probe(Probe::Http {
            port: *port,
            path: path.clone(),
            status: *status,
        }),
        // The loader checked the expression.
        ReadyCheck::Log(re) => match Regex::new(re) {
            Ok(re) => Check::Log(re),
            Err(_) => Check::Running,
        },
        ReadyCheck::Exec(cmd) => Check::Exec(cmd.clone()),
    }
}
