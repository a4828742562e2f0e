//! The resolved compose project: plain data that the loader produces and everything else reads.
//!
//! Shapes follow what `docker compose config` prints: long forms throughout, environment as a
//! map, absolute paths for build contexts and bind mounts.

use std::path::PathBuf;
use std::time::Duration;

use indexmap::IndexMap;
use serde::Serialize;

pub use super::model_runtime::*;

/// A fully loaded, interpolated, merged and validated compose project.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Project {
    /// The project name (`-p`, `COMPOSE_PROJECT_NAME`, the file's `name:` or the folder name),
    /// without a run's suffix.
    pub name: String,
    /// The project folder: relative paths in the files were resolved against it.
    #[serde(skip)]
    pub working_dir: PathBuf,
    /// The services, in file order, by name.
    pub services: IndexMap<String, Service>,
    /// Top-level `networks:`, by key (the loader adds `default` when a service uses it).
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub networks: IndexMap<String, Network>,
    /// Top-level named `volumes:`, by key.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub volumes: IndexMap<String, Volume>,
    /// Top-level `secrets:`, by key.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub secrets: IndexMap<String, FileObject>,
    /// Top-level `configs:`, by key.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub configs: IndexMap<String, FileObject>,
    /// Non-fatal findings (unset variables, ignored keys), each said once.
    #[serde(skip)]
    pub warnings: Vec<String>,
    /// The compose files read, in order.
    #[serde(skip)]
    pub files: Vec<PathBuf>,
    /// Top-level `x-` extension fields, kept as written (after interpolation).
    #[serde(flatten)]
    pub extensions: IndexMap<String, serde_json::Value>,
}

/// One service of the project, with every short form expanded and every path resolved.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Service {
    /// The service's key under `services:`.
    #[serde(skip)]
    pub name: String,
    /// `image:`: the image to run, and the tag given to what `build:` produces.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// `build:`: how to build the image, if the service builds one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build: Option<Build>,
    /// `command:` as words (a string is split as a shell would); `None` keeps the image's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<Vec<String>>,
    /// `entrypoint:` as words; `None` keeps the image's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entrypoint: Option<Vec<String>>,
    /// `None` value: a bare key whose variable is not set anywhere (left out of the container).
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub environment: IndexMap<String, Option<String>>,
    /// `depends_on:`: the services to start first, and what to wait for from each.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub depends_on: IndexMap<String, DependsOn>,
    /// `healthcheck:`, overriding the image's; `None` keeps the image's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<Healthcheck>,
    /// `ports:`, one entry per container port.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<Port>,
    /// `expose:`: ports (`"80"`, `"53/udp"`) open to other services, not to the host.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub expose: Vec<String>,
    /// `volumes:`: the service's mounts, long form.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<ServiceVolume>,
    /// Networks the service joins; the loader fills in `default` when the file names none
    /// (and `network_mode` is not set).
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub networks: IndexMap<String, ServiceNetwork>,
    /// `network_mode:` (`host`, `none`, `service:NAME`, `container:NAME`), if set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_mode: Option<String>,
    /// `links:` entries as `service` or `service:alias`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<String>,
    /// `labels:` of the container.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub labels: IndexMap<String, String>,
    /// `container_name:`; dockhand adds the run's suffix so parallel runs never collide.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container_name: Option<String>,
    /// `hostname:` inside the container.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// `working_dir:` inside the container; `None` keeps the image's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
    /// `user:` (`name`, `uid`, `uid:gid`); `None` keeps the image's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// `profiles:`: the service starts only when one of them is turned on (none: always).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub profiles: Vec<String>,
    /// `host:ip` pairs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extra_hosts: Vec<String>,
    /// `tmpfs:` mount targets, each optionally with `:options`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tmpfs: Vec<String>,
    /// `ulimits:` by name (`nofile`, `nproc`, ...).
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub ulimits: IndexMap<String, Ulimit>,
    /// `secrets:` the container receives.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<ServiceFileRef>,
    /// `configs:` the container receives.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub configs: Vec<ServiceFileRef>,
    /// `cap_add:`: Linux capabilities added.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cap_add: Vec<String>,
    /// `cap_drop:`: Linux capabilities dropped.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cap_drop: Vec<String>,
    /// `dns:` servers.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dns: Vec<String>,
    /// `privileged:`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub privileged: bool,
    /// `init:`: run an init process as PID 1; `None` leaves it to the engine.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub init: Option<bool>,
    /// `read_only:`: the root file system is mounted read-only.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub read_only: bool,
    /// `tty:`: allocate a pseudo-terminal.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub tty: bool,
    /// `stdin_open:`: keep standard input open.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub stdin_open: bool,
    /// `stop_signal:` (default `SIGTERM`), used by `--graceful-stop`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_signal: Option<String>,
    /// `stop_grace_period:` (default 10 s): how long a graceful stop waits before killing.
    #[serde(skip_serializing_if = "Option::is_none", with = "duration_opt")]
    pub stop_grace_period: Option<Duration>,
    /// Bytes (printed as a string of digits, as compose does).
    #[serde(skip_serializing_if = "Option::is_none", with = "bytes_opt_u64")]
    pub shm_size: Option<u64>,
    /// `platform:` (`linux/amd64`, ...) of the image.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// `pull_policy:` (`always`, `never`, `missing`, `build`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pull_policy: Option<String>,
    /// `restart:` policy (`no`, `always`, `on-failure[:N]`, `unless-stopped`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restart: Option<String>,
    /// `domainname:` inside the container.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domainname: Option<String>,
    /// `dns_search:` domains.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dns_search: Vec<String>,
    /// `dns_opt:` resolver options.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dns_opt: Vec<String>,
    /// `group_add:`: extra groups of the container's user.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub group_add: Vec<String>,
    /// `security_opt:` (`no-new-privileges`, `seccomp=...`, ...).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub security_opt: Vec<String>,
    /// `sysctls:` set in the container's namespaces.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub sysctls: IndexMap<String, String>,
    /// Bytes (printed as a string of digits, as compose does).
    #[serde(skip_serializing_if = "Option::is_none", with = "bytes_opt")]
    pub mem_limit: Option<i64>,
    /// `mem_reservation:` in bytes: the soft memory limit.
    #[serde(skip_serializing_if = "Option::is_none", with = "bytes_opt")]
    pub mem_reservation: Option<i64>,
    /// Bytes; -1 for unlimited swap.
    #[serde(skip_serializing_if = "Option::is_none", with = "bytes_opt")]
    pub memswap_limit: Option<i64>,
    /// `mem_swappiness:`, 0 to 100.
    #[serde(skip_serializing_if = "Option::is_none", with = "bytes_opt")]
    pub mem_swappiness: Option<i64>,
    /// `pids_limit:`: most processes in the container; -1 for unlimited.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pids_limit: Option<i64>,
    /// `cpus:`: CPU time as a number of CPUs (`1.5`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpus: Option<f64>,
    /// `cpu_shares:`: relative CPU weight.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_shares: Option<i64>,
    /// `cpu_quota:` in microseconds per `cpu_period`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_quota: Option<i64>,
    /// `cpu_period:` in microseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_period: Option<i64>,
    /// `cpu_rt_runtime:` in microseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_rt_runtime: Option<i64>,
    /// `cpu_rt_period:` in microseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_rt_period: Option<i64>,
    /// `cpuset:`: the CPUs the container may use (`0-2`, `0,1`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpuset: Option<String>,
    /// `oom_score_adj:`, -1000 to 1000.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oom_score_adj: Option<i64>,
    /// `oom_kill_disable:`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub oom_kill_disable: bool,
    /// `deploy:`: replicas and resources.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deploy: Option<Deploy>,
    /// `scale:`: how many containers of the service (default 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scale: Option<u64>,
    /// `service[:ro|:rw]` or `container:name[:ro|:rw]`, as written.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub volumes_from: Vec<String>,
    /// `logging:`: the log driver and its options.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logging: Option<Logging>,
    /// `devices:`: host devices made available in the container.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<Device>,
    /// `device_cgroup_rules:` (`c 1:3 mr`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub device_cgroup_rules: Vec<String>,
    /// `ipc:` namespace mode (`host`, `shareable`, `service:NAME`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ipc: Option<String>,
    /// `pid:` namespace mode (`host`, `service:NAME`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pid: Option<String>,
    /// `uts:` namespace mode (`host`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uts: Option<String>,
    /// `userns_mode:` (`host`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub userns_mode: Option<String>,
    /// `cgroup_parent:`: the parent cgroup of the container.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cgroup_parent: Option<String>,
    /// `cgroup:` namespace mode (`host` or `private`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cgroup: Option<String>,
    /// `mac_address:` of the container.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mac_address: Option<String>,
    /// `runtime:`: the OCI runtime (`runc`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime: Option<String>,
    /// `storage_opt:`: storage driver options.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub storage_opt: IndexMap<String, String>,
    /// `blkio_config:`: block I/O weights and limits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blkio_config: Option<BlkioConfig>,
    /// Commands run in the container right after it starts, in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub post_start: Vec<ServiceHook>,
    /// Commands run in the container right before it is stopped or removed, in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pre_stop: Vec<ServiceHook>,
    /// `external_links:`: containers outside the project, `name` or `name:alias`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub external_links: Vec<String>,
    /// `gpus:`: GPU devices the container asks the engine for (`all` is a count of -1).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub gpus: Vec<DeviceRequest>,
    /// `use_api_socket:`: the engine's API socket and the user's registry credentials are
    /// given to the container.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub use_api_socket: bool,
    /// How dockhand decides the service is ready, from its `x-dockhand` field (which
    /// `extensions` keeps as written).
    #[serde(skip)]
    pub ready: Option<Ready>,
    /// Commands run in the service's container before a run reuses it (`x-dockhand.reset`),
    /// each a list of words.
    #[serde(skip)]
    pub reset: Vec<Vec<String>>,
    /// Globs of report files to copy out of the service's container after its test command
    /// (`x-dockhand.collect`), absolute paths inside the container.
    #[serde(skip)]
    pub collect: Vec<String>,
    /// `x-` extension fields of the service, kept as written (after interpolation).
    #[serde(flatten)]
    pub extensions: IndexMap<String, serde_json::Value>,
    /// Keys of the specification that dockhand does not act on (`develop`, `attach`, ...),
    /// kept in the shape `docker compose config` prints them.
    #[serde(flatten)]
    pub unused: IndexMap<String, serde_json::Value>,
}

/// `build:`: how a service's image is built.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Build {
    /// Absolute path of the build context.
    pub context: PathBuf,
    /// `dockerfile:`, relative to the context; `None` means `Dockerfile`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dockerfile: Option<String>,
    /// `dockerfile_inline:`: the Dockerfile's text, instead of a file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dockerfile_inline: Option<String>,
    /// `args:`: build arguments; `None` value: a bare name whose variable is not set.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub args: IndexMap<String, Option<String>>,
    /// `target:`: the stage of a multi-stage Dockerfile to build.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// `labels:` of the built image.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub labels: IndexMap<String, String>,
    /// `extra_hosts:` during the build, `host:ip` pairs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extra_hosts: Vec<String>,
    /// `network:` the build's `RUN` steps use.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
}

/// One `depends_on:` entry: what to wait for from a dependency.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DependsOn {
    /// What counts as the dependency being there (default: started).
    pub condition: Condition,
    /// `required:` (default true): a dependency left out by profiles is an error.
    pub required: bool,
    /// `restart:`: compose restarts the dependent when the dependency is updated.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub restart: bool,
}

impl Default for DependsOn {
    fn default() -> Self {
        DependsOn {
            condition: Condition::ServiceStarted,
            required: true,
            restart: false,
        }
    }
}

/// `depends_on.condition:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// `service_started`: the container runs.
    ServiceStarted,
    /// `service_healthy`: its healthcheck passes.
    ServiceHealthy,
    /// `service_completed_successfully`: it exited with status 0.
    ServiceCompletedSuccessfully,
}

/// `healthcheck:`: how the engine (and dockhand) checks that a container is healthy.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Healthcheck {
    /// `["CMD", ...]`, `["CMD-SHELL", "..."]` or `["NONE"]`; `None` keeps the image's test.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub test: Option<Vec<String>>,
    /// Time between checks (compose's default 30 s).
    #[serde(skip_serializing_if = "Option::is_none", with = "duration_opt")]
    pub interval: Option<Duration>,
    /// Time one check may take (default 30 s).
    #[serde(skip_serializing_if = "Option::is_none", with = "duration_opt")]
    pub timeout: Option<Duration>,
    /// Failures in a row that make the container unhealthy (default 3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retries: Option<u64>,
    /// Time after start during which failures do not count (default 0).
    #[serde(skip_serializing_if = "Option::is_none", with = "duration_opt")]
    pub start_period: Option<Duration>,
    /// Time between checks during the start period (default 5 s).
    #[serde(skip_serializing_if = "Option::is_none", with = "duration_opt")]
    pub start_interval: Option<Duration>,
    /// `disable: true`: no healthcheck, not even the image's.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub disable: bool,
}

/// One container port; short-syntax ranges are expanded to one entry per port.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Port {
    /// The container port.
    pub target: u16,
    /// Host port or host port range (`"8080"`, `"8000-8010"`); `None` means an ephemeral port.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    /// The host address to bind (`127.0.0.1`); `None` binds every interface.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host_ip: Option<String>,
    /// `tcp`, `udp` or `sctp`.
    pub protocol: String,
    /// `host` or `ingress` (Swarm's; one engine publishes on the host either way).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// A name for the port (`web`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// What a service mount is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VolumeKind {
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

/// Printed in compose's shape: options under `bind:`, `volume:` and `tmpfs:`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(into = "super::render::ComposeMount")]
pub struct ServiceVolume {
    /// What is mounted.
    #[serde(rename = "type")]
    pub kind: VolumeKind,
    /// Absolute host path for binds, volume name for named volumes, `None` for anonymous ones.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The absolute path inside the container.
    pub target: String,
    /// Mounted read-only (`:ro`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub read_only: bool,
    /// Create a missing host path for a bind (compose's default for the short form).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bind_create_host_path: Option<bool>,
    /// Mount propagation of a bind (`rprivate`, `shared`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bind_propagation: Option<String>,
    /// Do not copy the image's files into a new volume.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volume_nocopy: Option<bool>,
    /// Mount only this folder of the volume.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volume_subpath: Option<String>,
    /// Bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tmpfs_size: Option<u64>,
    /// File mode of the tmpfs root (`0o1777`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tmpfs_mode: Option<u32>,
    /// `z` or `Z`: the SELinux label to give a bind mount.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bind_selinux: Option<String>,
}

/// How a service joins one network.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ServiceNetwork {
    /// Further names the service answers to on this network.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// A fixed IPv4 address in the network's subnet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ipv4_address: Option<String>,
    /// A fixed IPv6 address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ipv6_address: Option<String>,
    /// Order in which networks are connected, highest first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<i64>,
}

/// A top-level network.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Network {
    /// The name on the engine when the file sets `name:` (otherwise `<project>_<key>`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `driver:` (`bridge` by default).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    /// `driver_opts:`.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub driver_opts: IndexMap<String, String>,
    /// `external: true`: made outside the project; used, never created or removed.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub external: bool,
    /// `internal: true`: no route outside.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub internal: bool,
    /// `attachable:`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub attachable: bool,
    /// `enable_ipv6:`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub enable_ipv6: bool,
    /// `labels:` of the network.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub labels: IndexMap<String, String>,
    /// IPAM subnets, if any (printed as compose does, under `ipam.config`).
    #[serde(
        rename = "ipam",
        skip_serializing_if = "Vec::is_empty",
        serialize_with = "super::render::ipam"
    )]
    pub subnets: Vec<String>,
}

/// A top-level named volume.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Volume {
    /// The name on the engine when the file sets `name:` (otherwise `<project>_<key>`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `driver:` (`local` by default).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    /// `driver_opts:`.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub driver_opts: IndexMap<String, String>,
    /// `external: true`: made outside the project; used, never created or removed.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub external: bool,
    /// `labels:` of the volume.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub labels: IndexMap<String, String>,
}

/// A top-level secret or config backed by a file (absolute path) or an environment variable.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FileObject {
    /// The name on the engine when the file sets `name:`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `file:`: the absolute path of the file holding the value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<PathBuf>,
    /// `environment:`: the variable holding the value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// `content:`: the value itself, written inline (configs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// `external: true`: a Swarm object dockhand cannot provide.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub external: bool,
    /// The value of the `environment` variable, read when the project is loaded (compose
    /// prints the variable's name, not its value).
    #[serde(skip)]
    pub value: Option<String>,
}

/// A secret or config given to a service.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ServiceFileRef {
    /// The key under top-level `secrets:` or `configs:`.
    pub source: String,
    /// Where it appears in the container; `None` is `/run/secrets/<source>` for a secret,
    /// `/<source>` for a config.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// File mode (`0o444` when unset).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<u32>,
}

/// One `ulimits:` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Ulimit {
    /// The soft limit.
    pub soft: i64,
    /// The hard limit.
    pub hard: i64,
}

impl ServiceVolume {
    /// A mount of `kind` at `target` with no source and every option unset.
    pub fn new(kind: VolumeKind, target: impl Into<String>) -> ServiceVolume {
        ServiceVolume {
            kind,
            source: None,
            target: target.into(),
            read_only: false,
            bind_create_host_path: None,
            bind_propagation: None,
            volume_nocopy: None,
            volume_subpath: None,
            tmpfs_size: None,
            tmpfs_mode: None,
            bind_selinux: None,
        }
    }
}

/// Durations print the way compose writes them (`1m30s`, `500ms`).
mod duration_opt {
    use std::time::Duration;

    use serde::Serializer;

    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_str(&super::format_duration(*d)),
            None => s.serialize_none(),
        }
    }
}

/// Unsigned byte counts, likewise.
mod bytes_opt_u64 {
    use serde::Serializer;

    pub fn serialize<S: Serializer>(n: &Option<u64>, s: S) -> Result<S::Ok, S::Error> {
        match n {
            Some(n) => s.serialize_str(&n.to_string()),
            None => s.serialize_none(),
        }
    }
}

/// Byte counts print as compose prints them: a string of digits.
pub(super) mod bytes_opt {
    use serde::Serializer;

    pub fn serialize<S: Serializer>(n: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
        match n {
            Some(n) => s.serialize_str(&n.to_string()),
            None => s.serialize_none(),
        }
    }
}

/// Formats a duration as compose does (Go's `time.Duration`): `1m30s`, `2m0s`, `1h0m0s`,
/// `1.5s`, `500ms`, `0s`.
pub fn format_duration(d: Duration) -> String {
    let nanos = d.as_nanos();
    if nanos == 0 {
        return "0s".into();
    }
    // A fraction without trailing zeros: 1500 ms in seconds is `1.5`.
    let fraction = |whole: u128, unit: u128| {
        let (int, rest) = (whole / unit, whole % unit);
        if rest == 0 {
            return int.to_string();
        }
        let width = unit.to_string().len() - 1;
        let digits = format!("{rest:0width$}");
        format!("{int}.{}", digits.trim_end_matches('0'))
    };
    if nanos < 1_000 {
        return format!("{nanos}ns");
    }
    if nanos < 1_000_000 {
        return format!("{}µs", fraction(nanos, 1_000));
    }
    if nanos < 1_000_000_000 {
        return format!("{}ms", fraction(nanos, 1_000_000));
    }
    let secs = fraction(nanos % 60_000_000_000, 1_000_000_000);
    let minutes = nanos / 60_000_000_000;
    match (minutes / 60, minutes % 60) {
        (0, 0) => format!("{secs}s"),
        (0, m) => format!("{m}m{secs}s"),
        (h, m) => format!("{h}h{m}m{secs}s"),
    }
}
