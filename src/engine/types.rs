//! What the engine tells dockhand, in dockhand's own types: the rest of the crate never sees a
//! bollard model.

use std::collections::BTreeMap;

/// A container's health as its healthcheck last reported it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HealthStatus {
    /// Within its start period, or no check has passed or failed enough yet.
    Starting,
    /// The last check passed.
    Healthy,
    /// Checks failed `retries` times in a row.
    Unhealthy,
}

/// Where a container is in its life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContainerState {
    /// Running; `health` is `None` when it has no healthcheck (or none reported yet).
    Running {
        /// Its health, if it has a healthcheck that reported.
        health: Option<HealthStatus>,
    },
    /// Exited or dead.
    Exited {
        /// The exit code.
        code: i64,
    },
    /// Created, restarting, paused, removing: the engine's word for it.
    Other(String),
}

/// One reading of a container's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerStatus {
    /// Running, exited, or something else.
    pub state: ContainerState,
    /// The output of the last health check, if any ran.
    pub health_output: Option<String>,
    /// Whether the container runs a healthcheck (its own or its image's).
    pub has_healthcheck: bool,
    /// Published ports: `port/proto` to the host port.
    pub published: BTreeMap<String, u16>,
    /// The container's addresses on its networks, the first network's first.
    pub addresses: Vec<std::net::IpAddr>,
}

/// A container found by label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerInfo {
    /// The container's id.
    pub id: String,
    /// Its name, without the leading `/`.
    pub name: String,
    /// Its labels.
    pub labels: BTreeMap<String, String>,
    /// `running`, `exited`, ...
    pub state: String,
    /// `host port->container port` for each published port.
    pub ports: Vec<String>,
}

/// A network or volume found by label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceInfo {
    /// The network's id, or the volume's name (what removal takes).
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its labels.
    pub labels: BTreeMap<String, String>,
}

/// What an image holds that the run needs to know before starting a container of it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageFacts {
    /// The image's id (`sha256:...`).
    pub id: String,
    /// The image defines a healthcheck.
    pub has_healthcheck: bool,
    /// The image's healthcheck test (`["CMD", ...]` or `["CMD-SHELL", "..."]`), if it has one.
    pub healthcheck_test: Option<Vec<String>>,
    /// The image's healthcheck timeout, if it sets one.
    pub healthcheck_timeout: Option<std::time::Duration>,
    /// The TCP ports the image exposes.
    pub exposed_tcp: Vec<u16>,
}

/// One progress message of a pull or a push, as the engine sends it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransferUpdate<'a> {
    /// The layer it is about (a short id), when the engine says (it does in pulls).
    pub layer: Option<&'a str>,
    /// The engine's word for it: `Downloading`, `Pull complete`, `Pushed`, ...
    pub status: &'a str,
    /// Bytes moved so far, for `Downloading`, `Extracting` and `Pushing`.
    pub current: Option<u64>,
    /// Bytes to move, for the same.
    pub total: Option<u64>,
}
