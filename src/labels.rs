//! The labels every resource dockhand creates carries: compose's own, so docker compose users see
//! the stack, and dockhand's, so teardown and the sweep find a run's resources by label.

/// compose's project name; dockhand's includes the run's suffix (`seed-1a2b3c4d`).
pub const PROJECT: &str = "com.docker.compose.project";
/// compose's service name.
pub const SERVICE: &str = "com.docker.compose.service";
/// `True` on the test command's one-off container, `False` on the services' containers.
pub const ONEOFF: &str = "com.docker.compose.oneoff";
/// The replica number of a service's container, from 1.
pub const CONTAINER_NUMBER: &str = "com.docker.compose.container-number";
/// A hash of the service's configuration, as compose computes it.
pub const CONFIG_HASH: &str = "com.docker.compose.config-hash";
/// On a network: its key in the compose file.
pub const NETWORK: &str = "com.docker.compose.network";
/// On a volume: its key in the compose file.
pub const VOLUME: &str = "com.docker.compose.volume";
/// The service's `depends_on`, as compose writes it (`db:service_healthy:false`).
pub const DEPENDS_ON: &str = "com.docker.compose.depends_on";
/// The compose files of the project, comma-separated absolute paths.
pub const CONFIG_FILES: &str = "com.docker.compose.project.config_files";
/// The project folder.
pub const WORKING_DIR: &str = "com.docker.compose.project.working_dir";
/// The compose version that made the resource (see [`COMPOSE_VERSION`]).
pub const VERSION: &str = "com.docker.compose.version";
/// The Docker Compose release whose behaviour dockhand follows, written in the version label
/// so compose's own commands (`ls`, `ps`) read dockhand's stacks as their own.
pub const COMPOSE_VERSION: &str = "2.40.3";

/// The run that created the resource; teardown removes exactly what carries its run id.
pub const RUN: &str = "io.dockhand.run";
/// Process id of the dockhand process that owns the run.
pub const OWNER_PID: &str = "io.dockhand.owner-pid";
/// Start time of the owner process (clock ticks since boot), so a reused pid is not mistaken
/// for the owner.
pub const OWNER_START: &str = "io.dockhand.owner-start";
/// Host name of the machine that process runs on (a pid means nothing elsewhere).
pub const OWNER_HOST: &str = "io.dockhand.owner-host";
/// Set on every resource dockhand creates, whatever the run.
pub const MANAGED: &str = "io.dockhand.managed";
/// Set when the user asked to keep the stack (`--keep`, `dockhand up`): sweeps leave it alone.
pub const KEEP: &str = "io.dockhand.keep";
/// Set on the resources of a reused stack (`dockhand test --reuse`), whose value names the
/// stack; runs find it by this label and leave it up after them.
pub const REUSE: &str = "io.dockhand.reuse";
/// On a reused stack's containers: what the container was created from (its settings, its
/// image and its dependencies'), so a run knows whether it may reuse it.
pub const FINGERPRINT: &str = "io.dockhand.fingerprint";
/// On containers of a service with `pre_stop` hooks: the hooks as JSON, so whoever stops or
/// removes the stack runs them from the container itself, with or without its compose file
/// (`dockhand down -p`).
pub const PRE_STOP: &str = "io.dockhand.pre-stop";
