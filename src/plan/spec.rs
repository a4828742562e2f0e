//! The plan's data: every value the engine needs to create a network, a volume, an image or a
//! container, resolved. The engine carries these out and reads nothing else.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use indexmap::IndexMap;

use super::identity::RunIdentity;

/// A network of the stack, by its engine name.
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkSpec {
    /// The key in the compose file.
    pub key: String,
    pub name: String,
    pub driver: Option<String>,
    pub driver_opts: BTreeMap<String, String>,
    pub internal: bool,
    pub attachable: bool,
    /// Made by someone else: checked, never created or removed.
    pub external: bool,
    pub labels: BTreeMap<String, String>,
    pub enable_ipv6: bool,
    /// IPAM pools (`ipam.config`); empty leaves the engine's defaults.
    pub ipam: Vec<IpamPool>,
}

/// One IPAM pool of a network.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IpamPool {
    pub subnet: String,
    pub ip_range: Option<String>,
    pub gateway: Option<String>,
}

/// A named volume of the stack, by its engine name.
#[derive(Debug, Clone, PartialEq)]
pub struct VolumeSpec {
    pub key: String,
    pub name: String,
    pub driver: Option<String>,
    pub driver_opts: BTreeMap<String, String>,
    pub external: bool,
    pub labels: BTreeMap<String, String>,
}

/// How to build an image.
#[derive(Debug, Clone, PartialEq)]
pub struct BuildSpec {
    pub context: PathBuf,
    /// The Dockerfile's path in the context (default `Dockerfile`).
    pub dockerfile: Option<String>,
    /// A Dockerfile given as text in the compose file.
    pub dockerfile_inline: Option<String>,
    pub args: BTreeMap<String, String>,
    pub target: Option<String>,
    pub labels: BTreeMap<String, String>,
}

/// When an image that is not local may be pulled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PullPolicy {
    /// Pull when the image is not present (compose's default, `missing`, `if_not_present`).
    Missing,
    /// Never pull: a missing image is an error.
    Never,
}

/// Where a service's image comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum ImageSource {
    Build(BuildSpec),
    Pull(PullPolicy),
}

/// The image a service runs.
#[derive(Debug, Clone, PartialEq)]
pub struct ImagePlan {
    /// `repo:tag`.
    pub reference: String,
    /// Whether the tag was chosen on purpose (`--tag`, or a tag other than `latest` in
    /// `image:`), rather than a `latest` another build or pull can move.
    pub tag_is_explicit: bool,
    pub source: ImageSource,
}

/// A network the container joins, by engine name, with its aliases there.
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    pub network: String,
    pub aliases: Vec<String>,
    pub ipv4_address: Option<String>,
    pub ipv6_address: Option<String>,
}

/// How the container is networked.
#[derive(Debug, Clone, PartialEq)]
pub enum Networking {
    /// On the stack's networks, the first one primary.
    Networks(Vec<Endpoint>),
    /// Another container's network stack (`container:<engine name>`), `host`, `none` or
    /// another engine network mode, with no endpoints of its own.
    Mode(String),
}

/// A container port published on the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortBinding {
    pub container_port: u16,
    /// `tcp`, `udp` or `sctp`.
    pub protocol: String,
    /// The address the file gives (`""`: all interfaces, as compose binds a port written
    /// without one); `None` for a port dockhand publishes on its own, bound to loopback on a
    /// local engine.
    pub host_ip: Option<String>,
    /// A port or range (`8080`, `8000-8010`); `None` is an ephemeral port.
    pub host_port: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MountKind {
    Bind,
    Volume,
    Tmpfs,
    Npipe,
    Cluster,
}

/// One mount, its source resolved: an absolute host path for binds, an engine volume name for
/// named volumes, `None` for anonymous volumes and tmpfs.
#[derive(Debug, Clone, PartialEq)]
pub struct Mount {
    pub kind: MountKind,
    pub source: Option<String>,
    pub target: String,
    pub read_only: bool,
    /// `private`, `rprivate`, `shared`, `rshared`, `slave`, `rslave`.
    pub bind_propagation: Option<String>,
    /// Whether a missing bind source is created (the engine's default is an error).
    pub bind_create_host_path: Option<bool>,
    pub volume_nocopy: Option<bool>,
    pub volume_subpath: Option<String>,
    pub tmpfs_size: Option<u64>,
    pub tmpfs_mode: Option<u32>,
}

impl Mount {
    /// A mount of `kind` at `target` with no source and every option unset.
    pub fn new(kind: MountKind, target: impl Into<String>) -> Mount {
        Mount {
            kind,
            source: None,
            target: target.into(),
            read_only: false,
            bind_propagation: None,
            bind_create_host_path: None,
            volume_nocopy: None,
            volume_subpath: None,
            tmpfs_size: None,
            tmpfs_mode: None,
        }
    }
}

/// A healthcheck the file sets; unset fields keep the image's.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Healthcheck {
    /// `["CMD", ...]` or `["CMD-SHELL", "..."]`; `None` keeps the image's test.
    pub test: Option<Vec<String>>,
    pub interval: Option<Duration>,
    pub timeout: Option<Duration>,
    pub retries: Option<u64>,
    pub start_period: Option<Duration>,
    pub start_interval: Option<Duration>,
}

/// The container's healthcheck.
#[derive(Debug, Clone, PartialEq)]
pub enum Health {
    /// Whatever the image defines, if anything.
    FromImage,
    /// Turned off (`disable: true`, or a test of `NONE`).
    Disabled,
    Set(Healthcheck),
}

impl Health {
    /// Whether the container will run a healthcheck, given whether its image defines one.
    pub fn is_active(&self, image_has_one: bool) -> bool {
        match self {
            Health::FromImage => image_has_one,
            Health::Disabled => false,
            Health::Set(h) => match &h.test {
                Some(test) => !test.is_empty(),
                None => image_has_one,
            },
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestartName {
    No,
    Always,
    OnFailure,
    UnlessStopped,
}

/// The engine's restart policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Restart {
    pub name: RestartName,
    pub max_retries: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ulimit {
    pub soft: i64,
    pub hard: i64,
}

/// The container's cgroup limits (compose's service keys and `deploy.resources`, merged).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Resources {
    /// Bytes.
    pub memory: Option<i64>,
    pub memory_reservation: Option<i64>,
    /// Memory plus swap, bytes; -1 is unlimited.
    pub memory_swap: Option<i64>,
    pub memory_swappiness: Option<i64>,
    /// CPUs in billionths (`cpus: 0.5` is 500000000).
    pub nano_cpus: Option<i64>,
    pub cpu_shares: Option<i64>,
    pub cpu_quota: Option<i64>,
    pub cpu_period: Option<i64>,
    pub cpu_realtime_runtime: Option<i64>,
    pub cpu_realtime_period: Option<i64>,
    pub cpuset_cpus: Option<String>,
    pub pids_limit: Option<i64>,
    pub oom_kill_disable: bool,
    pub cgroup_parent: Option<String>,
    pub device_cgroup_rules: Vec<String>,
    pub blkio: Blkio,
}

/// Block I/O weights and rate limits (`blkio_config`). The device paths are the engine host's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Blkio {
    /// 10 to 1000; `None` leaves the engine's default.
    pub weight: Option<u16>,
    pub weight_device: Vec<DeviceLimit>,
    /// Bytes per second.
    pub read_bps: Vec<DeviceLimit>,
    /// Operations per second.
    pub read_iops: Vec<DeviceLimit>,
    pub write_bps: Vec<DeviceLimit>,
    pub write_iops: Vec<DeviceLimit>,
}

/// A block device and a number for it: a weight or a rate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceLimit {
    pub path: String,
    pub value: u64,
}

/// What the container shares with the host or with other containers, and what it may do.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Isolation {
    /// `host`, `shareable`, `private`, `none`, or `container:<engine name>`.
    pub ipc: Option<String>,
    /// `host` or `container:<engine name>`.
    pub pid: Option<String>,
    pub uts: Option<String>,
    pub userns_mode: Option<String>,
    /// `host` or `private`.
    pub cgroup: Option<String>,
    pub security_opt: Vec<String>,
    pub sysctls: BTreeMap<String, String>,
    pub group_add: Vec<String>,
    pub devices: Vec<Device>,
    pub oom_score_adj: Option<i64>,
    pub runtime: Option<String>,
    pub storage_opt: BTreeMap<String, String>,
}

/// A host device made available in the container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub source: String,
    pub target: String,
    /// `rwm` or a subset.
    pub permissions: String,
}

/// The container's log driver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogConfig {
    pub driver: String,
    pub options: BTreeMap<String, String>,
}

/// A file written into the container before it starts: a secret or config whose content
/// comes from the environment or the compose file, where docker compose puts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileCopy {
    /// Absolute path in the container.
    pub target: String,
    /// What the file says where it comes from: `secret "token"`, `config "app"`.
    pub what: String,
    /// `Err(variable)` when the environment variable it is read from is not set.
    pub content: Result<Vec<u8>, String>,
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
}

/// One container to create: everything the engine needs, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct ContainerSpec {
    /// The container's engine name.
    pub name: String,
    pub service: String,
    pub image: String,
    pub platform: Option<String>,
    /// Replaces the image's command; `None` keeps it.
    pub command: Option<Vec<String>>,
    pub entrypoint: Option<Vec<String>>,
    /// Variables set in the container, in the file's order; bare keys with no value are left
    /// out.
    pub env: IndexMap<String, String>,
    pub labels: BTreeMap<String, String>,
    pub networking: Networking,
    pub ports: Vec<PortBinding>,
    /// Container ports exposed without publishing (`port/proto`).
    pub expose: Vec<String>,
    /// Publish every exposed port on an ephemeral host port.
    pub publish_all: bool,
    pub mounts: Vec<Mount>,
    /// `tmpfs:` entries: path and mount options.
    pub tmpfs: Vec<(String, String)>,
    pub health: Health,
    pub hostname: Option<String>,
    pub working_dir: Option<String>,
    pub user: Option<String>,
    pub tty: bool,
    pub stdin_open: bool,
    pub stop_signal: Option<String>,
    pub stop_grace_period: Option<Duration>,
    /// `host:ip` pairs for /etc/hosts.
    pub extra_hosts: Vec<String>,
    pub ulimits: BTreeMap<String, Ulimit>,
    pub privileged: bool,
    pub init: Option<bool>,
    pub read_only: bool,
    pub cap_add: Vec<String>,
    pub cap_drop: Vec<String>,
    pub dns: Vec<String>,
    /// Bytes.
    pub shm_size: Option<u64>,
    pub restart: Option<Restart>,
    pub domainname: Option<String>,
    pub dns_search: Vec<String>,
    pub dns_opt: Vec<String>,
    pub mac_address: Option<String>,
    pub resources: Resources,
    pub isolation: Isolation,
    /// Containers whose volumes this one mounts: `name` or `name:ro`.
    pub volumes_from: Vec<String>,
    pub logging: Option<LogConfig>,
    /// Written into the container after it is created, before it starts.
    pub files: Vec<FileCopy>,
    /// Run in the container, in order, right after it starts (`post_start`).
    pub post_start: Vec<Hook>,
}

/// A command run in a started container (a lifecycle hook), as docker compose runs it: exec'd
/// with its own user, privileges, working directory and variables.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hook {
    pub command: Vec<String>,
    /// `None`: the container's user.
    pub user: Option<String>,
    pub privileged: bool,
    pub working_dir: Option<String>,
    /// Variables set for the command, in the file's order; bare keys with no value are left
    /// out.
    pub env: IndexMap<String, String>,
}

/// What a service waits for before it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until {
    /// The dependency's container has started.
    Started,
    /// The dependency is healthy.
    Healthy,
    /// The dependency ran to completion with exit code 0.
    CompletedSuccessfully,
}

/// One dependency a service waits for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wait {
    pub service: String,
    pub until: Until,
}

/// One service of the plan: how to get its image, how to run it, what it waits for.
#[derive(Debug, Clone, PartialEq)]
pub struct ServicePlan {
    pub name: String,
    pub image: ImagePlan,
    pub container: ContainerSpec,
    /// Further containers of a scaled service (`deploy.replicas`, `scale`), numbered from 2;
    /// `container` is number 1.
    pub extra_replicas: Vec<ContainerSpec>,
    /// Services of the plan that must reach a condition first, in the file's order.
    pub waits: Vec<Wait>,
    /// How dockhand decides the service is ready, when the file says (`x-dockhand.ready`);
    /// `None`: its healthcheck, else a built-in probe, else running.
    pub ready: Option<ReadyCheck>,
}

/// A readiness strategy the file (or the library) chose for a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadyCheck {
    /// Running is enough.
    Running,
    /// The container port accepts a TCP connection.
    Tcp(u16),
    /// A GET of `path` answers `status`, or any 2xx when `None`.
    Http {
        port: u16,
        path: String,
        status: Option<u16>,
    },
    /// A line of the container's output matches this regular expression.
    Log(String),
    /// This command exits 0 inside the container.
    Exec(Vec<String>),
}

/// Everything a run creates.
#[derive(Debug, Clone, PartialEq)]
pub struct StackPlan {
    /// The project name on the engine: the file's name plus the run's suffix.
    pub project: String,
    /// The project name as the file gives it.
    pub base_project: String,
    pub run: RunIdentity,
    pub networks: Vec<NetworkSpec>,
    pub volumes: Vec<VolumeSpec>,
    /// The services of the run, in the project's order.
    pub services: IndexMap<String, ServicePlan>,
    /// The services in start levels: each level needs only earlier ones.
    pub levels: Vec<Vec<String>>,
}
