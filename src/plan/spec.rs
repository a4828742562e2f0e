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
    /// The name on the engine (`<project>_<key>`, or the file's `name:`).
    pub name: String,
    /// The driver; `None` is the engine's default (`bridge`).
    pub driver: Option<String>,
    /// The driver's options.
    pub driver_opts: BTreeMap<String, String>,
    /// No route outside the network.
    pub internal: bool,
    /// Containers outside the stack may join it.
    pub attachable: bool,
    /// Made by someone else: checked, never created or removed.
    pub external: bool,
    /// Labels on the network: compose's and dockhand's (see [`crate::labels`]).
    pub labels: BTreeMap<String, String>,
    /// Give the network an IPv6 subnet.
    pub enable_ipv6: bool,
    /// IPAM pools (`ipam.config`); empty leaves the engine's defaults.
    pub ipam: Vec<IpamPool>,
}

/// One IPAM pool of a network.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IpamPool {
    /// The subnet in CIDR form (`172.16.5.0/24`).
    pub subnet: String,
    /// The part of the subnet containers get addresses from.
    pub ip_range: Option<String>,
    /// The gateway address.
    pub gateway: Option<String>,
}

/// A named volume of the stack, by its engine name.
#[derive(Debug, Clone, PartialEq)]
pub struct VolumeSpec {
    /// The key in the compose file.
    pub key: String,
    /// The name on the engine (`<project>_<key>`, or the file's `name:`).
    pub name: String,
    /// The driver; `None` is the engine's default (`local`).
    pub driver: Option<String>,
    /// The driver's options.
    pub driver_opts: BTreeMap<String, String>,
    /// Made by someone else: checked, never created or removed.
    pub external: bool,
    /// Labels on the volume: compose's and dockhand's.
    pub labels: BTreeMap<String, String>,
}

/// How to build an image.
#[derive(Debug, Clone, PartialEq)]
pub struct BuildSpec {
    /// The absolute path of the build context, sent to the engine as a tar stream.
    pub context: PathBuf,
    /// The Dockerfile's path in the context (default `Dockerfile`).
    pub dockerfile: Option<String>,
    /// A Dockerfile given as text in the compose file.
    pub dockerfile_inline: Option<String>,
    /// Build arguments (those whose variable is unset are left out).
    pub args: BTreeMap<String, String>,
    /// The stage of a multi-stage Dockerfile to build.
    pub target: Option<String>,
    /// Labels of the built image.
    pub labels: BTreeMap<String, String>,
}

/// When an image that is not local may be pulled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PullPolicy {
    /// Pull when the image is not present (compose's default, `missing`, `if_not_present`).
    Missing,
    /// Never pull: a missing image is an error.
    Never,
    /// Pull on every run, so the image is the registry's current one (`always`).
    Always,
}

/// Where a service's image comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum ImageSource {
    /// Built from a context.
    Build(BuildSpec),
    /// Used as found on the engine, pulled when missing if the policy allows.
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
    /// Where the image comes from.
    pub source: ImageSource,
}

/// A network the container joins, by engine name, with its aliases there.
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    /// The network's engine name.
    pub network: String,
    /// Names the container answers to on it (the service name among them).
    pub aliases: Vec<String>,
    /// A fixed IPv4 address.
    pub ipv4_address: Option<String>,
    /// A fixed IPv6 address.
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
    /// The container port.
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

/// What a mount is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MountKind {
    /// A host path.
    Bind,
    /// A named or anonymous volume.
    Volume,
    /// A tmpfs in memory.
    Tmpfs,
    /// A Windows named pipe.
    Npipe,
    /// A Swarm cluster volume.
    Cluster,
}

/// One mount, its source resolved: an absolute host path for binds, an engine volume name for
/// named volumes, `None` for anonymous volumes and tmpfs.
#[derive(Debug, Clone, PartialEq)]
pub struct Mount {
    /// What is mounted.
    pub kind: MountKind,
    /// Where from: see the type's description.
    pub source: Option<String>,
    /// The absolute path in the container.
    pub target: String,
    /// Mounted read-only.
    pub read_only: bool,
    /// `private`, `rprivate`, `shared`, `rshared`, `slave`, `rslave`.
    pub bind_propagation: Option<String>,
    /// Whether a missing bind source is created (the engine's default is an error).
    pub bind_create_host_path: Option<bool>,
    /// Do not copy the image's files into a new volume.
    pub volume_nocopy: Option<bool>,
    /// Mount only this folder of the volume.
    pub volume_subpath: Option<String>,
    /// Size of a tmpfs in bytes; `None` is unlimited.
    pub tmpfs_size: Option<u64>,
    /// File mode of a tmpfs root.
    pub tmpfs_mode: Option<u32>,
    /// The secret or config a bind mount carries (`secret "token"`); `None` for the file's
    /// own volumes. On a remote engine such a file is copied in instead.
    pub carries: Option<String>,
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
            carries: None,
        }
    }
}

/// A healthcheck the file sets; unset fields keep the image's.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Healthcheck {
    /// `["CMD", ...]` or `["CMD-SHELL", "..."]`; `None` keeps the image's test.
    pub test: Option<Vec<String>>,
    /// Time between checks.
    pub interval: Option<Duration>,
    /// Time one check may take.
    pub timeout: Option<Duration>,
    /// Failures in a row that make the container unhealthy.
    pub retries: Option<u64>,
    /// Time after start during which failures do not count.
    pub start_period: Option<Duration>,
    /// Time between checks during the start period.
    pub start_interval: Option<Duration>,
}

/// The container's healthcheck.
#[derive(Debug, Clone, PartialEq)]
pub enum Health {
    /// Whatever the image defines, if anything.
    FromImage,
    /// Turned off (`disable: true`, or a test of `NONE`).
    Disabled,
    /// Set by the file; its unset fields keep the image's.
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

/// A restart policy's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestartName {
    /// Never restart (`no`).
    No,
    /// Always restart (`always`).
    Always,
    /// Restart after a non-zero exit (`on-failure`).
    OnFailure,
    /// Restart unless stopped on purpose (`unless-stopped`).
    UnlessStopped,
}

/// The engine's restart policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Restart {
    /// Which policy.
    pub name: RestartName,
    /// For `on-failure`: at most this many restarts.
    pub max_retries: Option<i64>,
}

/// A soft and hard resource limit (`ulimits:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ulimit {
    /// The soft limit.
    pub soft: i64,
    /// The hard limit.
    pub hard: i64,
}

/// The container's cgroup limits (compose's service keys and `deploy.resources`, merged).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Resources {
    /// Bytes.
    pub memory: Option<i64>,
    /// The soft memory limit, bytes.
    pub memory_reservation: Option<i64>,
    /// Memory plus swap, bytes; -1 is unlimited.
    pub memory_swap: Option<i64>,
    /// 0 to 100.
    pub memory_swappiness: Option<i64>,
    /// CPUs in billionths (`cpus: 0.5` is 500000000).
    pub nano_cpus: Option<i64>,
    /// Relative CPU weight.
    pub cpu_shares: Option<i64>,
    /// Microseconds of CPU time per `cpu_period`.
    pub cpu_quota: Option<i64>,
    /// The CFS period in microseconds.
    pub cpu_period: Option<i64>,
    /// Real-time scheduler runtime, microseconds.
    pub cpu_realtime_runtime: Option<i64>,
    /// Real-time scheduler period, microseconds.
    pub cpu_realtime_period: Option<i64>,
    /// The CPUs it may use (`0-2`).
    pub cpuset_cpus: Option<String>,
    /// Most processes; -1 is unlimited.
    pub pids_limit: Option<i64>,
    /// The kernel's OOM killer spares it.
    pub oom_kill_disable: bool,
    /// The parent cgroup.
    pub cgroup_parent: Option<String>,
    /// Device cgroup rules (`c 1:3 mr`).
    pub device_cgroup_rules: Vec<String>,
    /// Block I/O weights and rates.
    pub blkio: Blkio,
    /// Devices of a kind asked of the engine (`gpus`, `reservations.devices`).
    pub device_requests: Vec<DeviceRequest>,
}

/// Devices of a kind the container asks the engine for, which hands them over through the
/// driver that offers them (GPUs through the NVIDIA runtime, say).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceRequest {
    /// The driver; empty lets the engine pick one by capabilities.
    pub driver: String,
    /// How many devices; -1 is all of them.
    pub count: i64,
    /// Particular devices by id.
    pub device_ids: Vec<String>,
    /// Sets of capabilities, any one of which a device must offer in full.
    pub capabilities: Vec<Vec<String>>,
    /// The driver's options.
    pub options: BTreeMap<String, String>,
}

/// Block I/O weights and rate limits (`blkio_config`). The device paths are the engine host's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Blkio {
    /// 10 to 1000; `None` leaves the engine's default.
    pub weight: Option<u16>,
    /// Weights of single devices, 10 to 1000.
    pub weight_device: Vec<DeviceLimit>,
    /// Bytes per second.
    pub read_bps: Vec<DeviceLimit>,
    /// Operations per second.
    pub read_iops: Vec<DeviceLimit>,
    /// Bytes per second.
    pub write_bps: Vec<DeviceLimit>,
    /// Operations per second.
    pub write_iops: Vec<DeviceLimit>,
}

/// A block device and a number for it: a weight or a rate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceLimit {
    /// The device (`/dev/sda`).
    pub path: String,
    /// The weight or rate.
    pub value: u64,
}

/// What the container shares with the host or with other containers, and what it may do.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Isolation {
    /// `host`, `shareable`, `private`, `none`, or `container:<engine name>`.
    pub ipc: Option<String>,
    /// `host` or `container:<engine name>`.
    pub pid: Option<String>,
    /// `host` to share the host's hostname namespace.
    pub uts: Option<String>,
    /// `host` to leave user namespace remapping off.
    pub userns_mode: Option<String>,
    /// `host` or `private`.
    pub cgroup: Option<String>,
    /// Security options (`no-new-privileges`, `seccomp=...`).
    pub security_opt: Vec<String>,
    /// Kernel parameters set in its namespaces.
    pub sysctls: BTreeMap<String, String>,
    /// Extra groups of its user.
    pub group_add: Vec<String>,
    /// Host devices made available in it.
    pub devices: Vec<Device>,
    /// -1000 to 1000: how readily the OOM killer picks it.
    pub oom_score_adj: Option<i64>,
    /// The OCI runtime (`runc`, ...).
    pub runtime: Option<String>,
    /// Storage driver options.
    pub storage_opt: BTreeMap<String, String>,
}

/// A host device made available in the container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// Its path on the host.
    pub source: String,
    /// Its path in the container.
    pub target: String,
    /// `rwm` or a subset.
    pub permissions: String,
}

/// The container's log driver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogConfig {
    /// The driver (`json-file`, `local`, ...).
    pub driver: String,
    /// The driver's options (`max-size`, ...).
    pub options: BTreeMap<String, String>,
}

/// Where the content of a file written into a container comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileContent {
    /// Known when planning: an environment variable's value, inline content.
    Bytes(Vec<u8>),
    /// A file of this machine, read when the container is created: a file-backed secret or
    /// config on a remote engine, which could not bind-mount it.
    HostFile(PathBuf),
    /// The environment variable it is read from is not set.
    UnsetVariable(String),
    /// The user's registry credentials as a Docker config file (`auths` only), read when the
    /// container is created: what `use_api_socket` gives the container.
    RegistryCredentials,
}

/// A file written into the container before it starts: a secret or config whose content
/// comes from the environment or the compose file, where docker compose puts it (or from a
/// file of this machine, on a remote engine).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileCopy {
    /// Absolute path in the container.
    pub target: String,
    /// What the file says where it comes from: `secret "token"`, `config "app"`.
    pub what: String,
    /// Its content, or where to read it.
    pub content: FileContent,
    /// File mode (`0o444` unless the file says).
    pub mode: u32,
    /// Owner's user id.
    pub uid: u64,
    /// Owner's group id.
    pub gid: u64,
}

/// One container to create: everything the engine needs, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct ContainerSpec {
    /// The container's engine name.
    pub name: String,
    /// The compose service it belongs to.
    pub service: String,
    /// The image reference (`repo:tag`).
    pub image: String,
    /// The image's platform (`linux/amd64`), when the file sets one.
    pub platform: Option<String>,
    /// Replaces the image's command; `None` keeps it.
    pub command: Option<Vec<String>>,
    /// Replaces the image's entrypoint; `None` keeps it.
    pub entrypoint: Option<Vec<String>>,
    /// Variables set in the container, in the file's order; bare keys with no value are left
    /// out.
    pub env: IndexMap<String, String>,
    /// Labels on the container: compose's and dockhand's.
    pub labels: BTreeMap<String, String>,
    /// The networks it joins, or another network mode.
    pub networking: Networking,
    /// Container ports published on the host.
    pub ports: Vec<PortBinding>,
    /// Container ports exposed without publishing (`port/proto`).
    pub expose: Vec<String>,
    /// Publish every exposed port on an ephemeral host port.
    pub publish_all: bool,
    /// Binds, volumes and tmpfs mounts, sources resolved.
    pub mounts: Vec<Mount>,
    /// `tmpfs:` entries: path and mount options.
    pub tmpfs: Vec<(String, String)>,
    /// Its healthcheck.
    pub health: Health,
    /// Its hostname; `None` is the engine's (the container id).
    pub hostname: Option<String>,
    /// Working folder; `None` keeps the image's.
    pub working_dir: Option<String>,
    /// User (`name`, `uid`, `uid:gid`); `None` keeps the image's.
    pub user: Option<String>,
    /// Allocate a pseudo-terminal.
    pub tty: bool,
    /// Keep standard input open.
    pub stdin_open: bool,
    /// The signal a graceful stop sends; `None` is the image's (or SIGTERM).
    pub stop_signal: Option<String>,
    /// How long a graceful stop waits before killing; `None` is the engine's 10 s.
    pub stop_grace_period: Option<Duration>,
    /// `host:ip` pairs for /etc/hosts.
    pub extra_hosts: Vec<String>,
    /// Resource limits by name (`nofile`, ...).
    pub ulimits: BTreeMap<String, Ulimit>,
    /// Extended privileges.
    pub privileged: bool,
    /// Run an init process as PID 1; `None` leaves it to the engine.
    pub init: Option<bool>,
    /// The root file system is read-only.
    pub read_only: bool,
    /// Linux capabilities added.
    pub cap_add: Vec<String>,
    /// Linux capabilities dropped.
    pub cap_drop: Vec<String>,
    /// DNS servers.
    pub dns: Vec<String>,
    /// Bytes.
    pub shm_size: Option<u64>,
    /// The engine's restart policy; `None` never restarts.
    pub restart: Option<Restart>,
    /// Its domain name.
    pub domainname: Option<String>,
    /// DNS search domains.
    pub dns_search: Vec<String>,
    /// Resolver options.
    pub dns_opt: Vec<String>,
    /// A fixed MAC address.
    pub mac_address: Option<String>,
    /// Its cgroup limits.
    pub resources: Resources,
    /// Namespaces shared, security options, devices.
    pub isolation: Isolation,
    /// Containers whose volumes this one mounts: `name` or `name:ro`.
    pub volumes_from: Vec<String>,
    /// Its log driver; `None` is the engine's default.
    pub logging: Option<LogConfig>,
    /// Written into the container after it is created, before it starts.
    pub files: Vec<FileCopy>,
    /// Run in the container, in order, right after it starts (`post_start`).
    pub post_start: Vec<Hook>,
    /// Run in the container, in order, right before the stack stops or removes it
    /// (`pre_stop`).
    pub pre_stop: Vec<Hook>,
    /// Containers outside the project it reaches by another name (`external_links`), as
    /// `container:alias`.
    pub links: Vec<String>,
}

/// A command run in a started container (a lifecycle hook), as docker compose runs it: exec'd
/// with its own user, privileges, working directory and variables. Serialized into a
/// container's labels for `pre_stop` (see [`labels::PRE_STOP`](crate::labels::PRE_STOP)).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Hook {
    /// The command, as words.
    pub command: Vec<String>,
    /// `None`: the container's user.
    pub user: Option<String>,
    /// Run it with extended privileges.
    pub privileged: bool,
    /// Its working folder; `None`: the container's.
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
    /// The service waited for.
    pub service: String,
    /// What it must reach.
    pub until: Until,
}

/// One service of the plan: how to get its image, how to run it, what it waits for.
#[derive(Debug, Clone, PartialEq)]
pub struct ServicePlan {
    /// The service's name in the compose file.
    pub name: String,
    /// Its image, and how to get it.
    pub image: ImagePlan,
    /// Its (first) container.
    pub container: ContainerSpec,
    /// Further containers of a scaled service (`deploy.replicas`, `scale`), numbered from 2;
    /// `container` is number 1.
    pub extra_replicas: Vec<ContainerSpec>,
    /// Services of the plan that must reach a condition first, in the file's order.
    pub waits: Vec<Wait>,
    /// How dockhand decides the service is ready, when the file says (`x-dockhand.ready`);
    /// `None`: its healthcheck, else a built-in probe, else running.
    pub ready: Option<ReadyCheck>,
    /// Commands run in its containers before a run reuses them (`x-dockhand.reset`).
    pub reset: Vec<Vec<String>>,
    /// Report files to copy out of its test container when the test command ends
    /// (`x-dockhand.collect`): absolute globs inside the container.
    pub collect: Vec<String>,
    /// The provider plugin that runs the service instead of the engine (`provider.type`),
    /// which dockhand cannot stand in for.
    pub provider: Option<String>,
}

impl ContainerSpec {
    /// Whether creating it needs other containers of the stack to exist first: it shares one's
    /// network stack, IPC or PID namespace, or mounts one's volumes.
    pub fn refers_to_containers(&self) -> bool {
        let other = |mode: Option<&str>| mode.is_some_and(|m| m.starts_with("container:"));
        matches!(&self.networking, Networking::Mode(m) if other(Some(m)))
            || other(self.isolation.ipc.as_deref())
            || other(self.isolation.pid.as_deref())
            || !self.volumes_from.is_empty()
    }
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

/// Everything a run creates.
#[derive(Debug, Clone, PartialEq)]
pub struct StackPlan {
    /// The project name on the engine: the file's name plus the run's suffix.
    pub project: String,
    /// The project name as the file gives it.
    pub base_project: String,
    /// The run's id, owner and labels.
    pub run: RunIdentity,
    /// Networks to create (or check, when external), in the file's order.
    pub networks: Vec<NetworkSpec>,
    /// Named volumes to create (or check, when external).
    pub volumes: Vec<VolumeSpec>,
    /// The services of the run, in the project's order.
    pub services: IndexMap<String, ServicePlan>,
    /// The services in start levels: each level needs only earlier ones.
    pub levels: Vec<Vec<String>>,
}
