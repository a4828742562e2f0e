//! The parts of a service that set how its container runs beyond its own settings: `deploy`
//! and its resources, device requests, logging, block I/O, lifecycle hooks and devices, and
//! how dockhand decides it is ready.

use indexmap::IndexMap;
use serde::Serialize;

/// `deploy:`, the parts a single engine carries out (replicas, resources); the rest of the
/// section is kept as written for `config`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Deploy {
    /// `replicas:`: how many containers of the service.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replicas: Option<u64>,
    /// `resources:`: limits and reservations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resources: Option<DeployResources>,
    /// Swarm's keys (mode, placement, update_config, ...): nothing to carry out on one engine.
    #[serde(flatten)]
    pub other: IndexMap<String, serde_json::Value>,
}

/// `deploy.resources:`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DeployResources {
    /// `limits:`: hard limits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limits: Option<ResourceLimits>,
    /// `reservations:`: what the container is guaranteed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reservations: Option<ResourceLimits>,
}

/// CPU, memory and process limits, under `limits:` or `reservations:`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ResourceLimits {
    /// CPU time as a number of CPUs (`0.5`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpus: Option<f64>,
    /// Bytes.
    #[serde(
        skip_serializing_if = "Option::is_none",
        with = "super::model::bytes_opt"
    )]
    pub memory: Option<i64>,
    /// Most processes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pids: Option<i64>,
    /// Devices reserved for the container (`reservations.devices`: GPUs and the like).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<DeviceRequest>,
}

/// A request for devices of a kind (`gpus:`, `deploy.resources.reservations.devices`), which
/// the engine hands to the driver that offers them.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DeviceRequest {
    /// What the devices must offer (`gpu`, `compute`, `utility`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub capabilities: Vec<String>,
    /// The driver (`nvidia`, `cdi`); `None` lets the engine pick one by capabilities.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    /// How many devices; -1 is all of them (`all`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<i64>,
    /// Particular devices by id.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub device_ids: Vec<String>,
    /// The driver's options.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub options: IndexMap<String, String>,
}

/// `logging:`: the container's log driver and its options.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Logging {
    /// The log driver (`json-file`, `local`, ...); `None` is the engine's default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    /// The driver's options (`max-size`, ...).
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub options: IndexMap<String, String>,
}

/// `blkio_config:`: block I/O weights and rate limits, per device where a path is given.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BlkioConfig {
    /// 0 is unset (compose leaves it out).
    #[serde(skip_serializing_if = "is_zero_u16")]
    pub weight: u16,
    /// Weights of single devices.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub weight_device: Vec<BlkioWeight>,
    /// Read limits in bytes per second, per device.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub device_read_bps: Vec<BlkioRate>,
    /// Read limits in operations per second, per device.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub device_read_iops: Vec<BlkioRate>,
    /// Write limits in bytes per second, per device.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub device_write_bps: Vec<BlkioRate>,
    /// Write limits in operations per second, per device.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub device_write_iops: Vec<BlkioRate>,
}

fn is_zero_u16(n: &u16) -> bool {
    *n == 0
}

/// A block device's relative weight. Serialized in `render.rs` (compose's JSON spells the keys
/// as Go does).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BlkioWeight {
    /// The device (`/dev/sda`).
    pub path: String,
    /// Its weight, 10 to 1000.
    pub weight: u16,
}

/// A block device's rate limit: bytes or operations per second. Serialized in `render.rs`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BlkioRate {
    /// The device (`/dev/sda`).
    pub path: String,
    /// Bytes or operations per second.
    pub rate: u64,
}

/// A lifecycle hook: a command run in the service's container (`post_start`, `pre_stop`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ServiceHook {
    /// The command, as words.
    pub command: Vec<String>,
    /// The user it runs as; `None` is the container's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Run it with extended privileges.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub privileged: bool,
    /// Its working folder; `None` is the container's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
    /// `None` value: a bare key whose variable is not set anywhere (left out).
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub environment: IndexMap<String, Option<String>>,
}

/// A host device made available in the container.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Device {
    /// The device's path on the host.
    pub source: String,
    /// Its path in the container.
    pub target: String,
    /// `r`, `w` and `m` (mknod), as a cgroup rule spells them.
    pub permissions: String,
}

/// How dockhand decides a service is ready (`x-dockhand.ready`), overriding its healthcheck
/// and the built-in probes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ready {
    /// Running is enough.
    None,
    /// The container port accepts a TCP connection.
    Tcp(u16),
    /// A GET of `path` on the container port answers `status`, or any 2xx when `None`.
    Http {
        /// The container port.
        port: u16,
        /// The request path (`/health`).
        path: String,
        /// The status expected; `None` accepts any 2xx.
        status: Option<u16>,
    },
    /// A line of the container's output matches this regular expression.
    Log(String),
    /// This command exits 0 inside the container.
    Exec(Vec<String>),
}
