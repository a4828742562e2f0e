//! One compose service turned into the plan's service: the single place where a compose key
//! becomes a container setting.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use super::access::{device_requests, give_api_socket};
use super::naming::{container_name, image_reference};
use super::spec::{
    Blkio, BuildSpec, ContainerSpec, Device, DeviceLimit, Endpoint, FileContent, FileCopy, Health,
    Healthcheck, Hook, ImagePlan, ImageSource, Isolation, LogConfig, Mount, MountKind, NetworkSpec,
    Networking, PortBinding, PullPolicy, ReadyCheck, Resources, Restart, RestartName, ServicePlan,
    Ulimit, Until, VolumeSpec, Wait,
};
use crate::compose::graph::Graph;
use crate::compose::{self, Condition, Project, Service, ServiceVolume, VolumeKind};
use crate::labels;

/// What every service of one plan shares.
pub(super) struct Context<'a> {
    pub project: &'a Project,
    pub graph: &'a Graph,
    /// The project name as the file gives it.
    pub base: &'a str,
    /// The project name on the engine.
    pub name: &'a str,
    pub run_id: &'a str,
    pub run_labels: &'a BTreeMap<String, String>,
    /// compose's project labels for containers (config files, working dir, version).
    pub project_labels: &'a BTreeMap<String, String>,
    pub networks: &'a [NetworkSpec],
    pub volumes: &'a [VolumeSpec],
    /// Services of the plan.
    pub selected: &'a [String],
    /// `links: [db:database]` on any service makes `database` an alias of db.
    pub link_aliases: BTreeMap<String, Vec<String>>,
    pub keep_host_ports: bool,
    pub publish_all: bool,
    pub tag: Option<&'a str>,
}

/// The network aliases that `links:` give each linked service.
pub(super) fn link_aliases(project: &Project) -> BTreeMap<String, Vec<String>> {
    let mut aliases: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for s in project.services.values() {
        for link in &s.links {
            let (target, alias) = link.split_once(':').unwrap_or((link, link));
            aliases
                .entry(target.to_string())
                .or_default()
                .push(alias.to_string());
        }
    }
    aliases
}

pub(super) fn plan_service(cx: &Context<'_>, s: &Service) -> ServicePlan {
    let (reference, tag_is_explicit) = image_reference(cx.base, s, cx.tag);
    let source = match &s.build {
        Some(b) => ImageSource::Build(build_spec(cx, s, b)),
        None => ImageSource::Pull(pull_policy(s.pull_policy.as_deref())),
    };

    let mut labels = cx.run_labels.clone();
    labels.extend(s.labels.iter().map(|(k, v)| (k.clone(), v.clone())));
    labels.insert(labels::SERVICE.into(), s.name.clone());
    labels.insert(labels::ONEOFF.into(), "False".into());
    labels.insert(labels::CONTAINER_NUMBER.into(), "1".into());
    labels.insert(labels::CONFIG_HASH.into(), config_hash(s));
    labels.extend(
        cx.project_labels
            .iter()
            .map(|(k, v)| (k.clone(), v.clone())),
    );
    labels.insert(labels::DEPENDS_ON.into(), depends_on_label(s));

    let waits = cx
        .graph
        .edges(&s.name)
        .filter(|(dep, _)| cx.selected.iter().any(|x| x == dep))
        .map(|(dep, kind)| Wait {
            service: dep.to_string(),
            until: match kind.condition() {
                Condition::ServiceStarted => Until::Started,
                Condition::ServiceHealthy => Until::Healthy,
                Condition::ServiceCompletedSuccessfully => Until::CompletedSuccessfully,
            },
        })
        .collect();

    let mut mounts: Vec<Mount> = s.volumes.iter().map(|m| mount(cx, m)).collect();
    mounts.extend(file_mounts(cx.project, s));

    let mut container = ContainerSpec {
        name: container_name(cx.name, cx.run_id, s),
        service: s.name.clone(),
        image: reference.clone(),
        platform: s.platform.clone(),
        command: s.command.clone(),
        entrypoint: s.entrypoint.clone(),
        env: s
            .environment
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), v.clone()?)))
            .collect(),
        labels,
        networking: networking(cx, s),
        ports: s.ports.iter().map(|p| port(cx, p)).collect(),
        expose: s
            .expose
            .iter()
            .map(|e| {
                if e.contains('/') {
                    e.clone()
                } else {
                    format!("{e}/tcp")
                }
            })
            .collect(),
        publish_all: cx.publish_all,
        mounts,
        tmpfs: s
            .tmpfs
            .iter()
            .map(|t| match t.split_once(':') {
                Some((path, opts)) => (path.to_string(), opts.to_string()),
                None => (t.clone(), String::new()),
            })
            .collect(),
        health: health(s.healthcheck.as_ref()),
        hostname: s.hostname.clone(),
        working_dir: s.working_dir.clone(),
        user: s.user.clone(),
        tty: s.tty,
        stdin_open: s.stdin_open,
        stop_signal: s.stop_signal.clone(),
        stop_grace_period: s.stop_grace_period,
        extra_hosts: s.extra_hosts.clone(),
        ulimits: s
            .ulimits
            .iter()
            .map(|(name, u)| {
                (
                    name.clone(),
                    Ulimit {
                        soft: u.soft,
                        hard: u.hard,
                    },
                )
            })
            .collect(),
        privileged: s.privileged,
        init: s.init,
        read_only: s.read_only,
        cap_add: s.cap_add.clone(),
        cap_drop: s.cap_drop.clone(),
        dns: s.dns.clone(),
        shm_size: s.shm_size,
        restart: s.restart.as_deref().map(restart),
        domainname: s.domainname.clone(),
        dns_search: s.dns_search.clone(),
        dns_opt: s.dns_opt.clone(),
        mac_address: s.mac_address.clone(),
        resources: resources(s),
        isolation: isolation(cx, s),
        volumes_from: s
            .volumes_from
            .iter()
            .map(|from| volumes_from(cx, from))
            .collect(),
        logging: s.logging.as_ref().map(|l| LogConfig {
            driver: l.driver.clone().unwrap_or_else(|| "json-file".into()),
            options: l
                .options
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }),
        files: file_copies(cx.project, s),
        post_start: s.post_start.iter().map(hook).collect(),
        pre_stop: s.pre_stop.iter().map(hook).collect(),
        links: s
            .external_links
            .iter()
            .map(|l| match l.split_once(':') {
                Some(_) => l.clone(),
                None => format!("{l}:{l}"),
            })
            .collect(),
    };
    if s.use_api_socket {
        give_api_socket(&mut container);
    }
    if !container.pre_stop.is_empty() {
        let hooks = serde_json::to_string(&container.pre_stop).expect("hooks are strings");
        container.labels.insert(labels::PRE_STOP.into(), hooks);
    }
    let extra_replicas = (2..=replicas(s))
        .map(|n| {
            let mut replica = container.clone();
            replica.name = format!("{}-{}-{n}", cx.name, s.name);
            replica
                .labels
                .insert(labels::CONTAINER_NUMBER.into(), n.to_string());
            replica
        })
        .collect();

    ServicePlan {
        name: s.name.clone(),
        image: ImagePlan {
            reference: reference.clone(),
            tag_is_explicit,
            source,
        },
        waits,
        container,
        extra_replicas,
        ready: s.ready.as_ref().map(ready_check),
        reset: s.reset.clone(),
        collect: s.collect.clone(),
        provider: s.unused.get("provider").map(|p| {
            p.get("type")
                .and_then(|t| t.as_str())
                .unwrap_or("unnamed")
                .to_string()
        }),
    }
}

/// The file's readiness strategy in the plan's terms.
pub(super) fn ready_check(r: &compose::extension::Ready) -> ReadyCheck {
    use compose::extension::Ready;
    match r {
        Ready::None => ReadyCheck::Running,
        Ready::Tcp(p) => ReadyCheck::Tcp(*p),
        Ready::Http { port, path, status } => ReadyCheck::Http {
            port: *port,
            path: path.clone(),
            status: *status,
        },
        Ready::Log(re) => ReadyCheck::Log(re.clone()),
        Ready::Exec(cmd) => ReadyCheck::Exec(cmd.clone()),
    }
}

/// How many containers the service runs: `scale`, else `deploy.replicas`, else one.
fn replicas(s: &Service) -> u64 {
    s.scale
        .or_else(|| s.deploy.as_ref().and_then(|d| d.replicas))
        .unwrap_or(1)
        .max(1)
}

/// A port of the file. A fixed host port turned ephemeral is dockhand's own choice, so it
/// binds where dockhand's own ports bind (loopback on a local engine) unless the file gives an
/// address; every other port binds where the file says, all interfaces when it says nothing.
fn port(cx: &Context<'_>, p: &compose::Port) -> PortBinding {
    let host_port = p.published.clone().filter(|_| cx.keep_host_ports);
    let turned_ephemeral = p.published.is_some() && host_port.is_none();
    PortBinding {
        container_port: p.target,
        protocol: p.protocol.clone(),
        host_ip: match &p.host_ip {
            Some(ip) => Some(ip.clone()),
            None if turned_ephemeral => None,
            None => Some(String::new()),
        },
        host_port,
    }
}

/// compose's depends_on label: `service:condition:restart`, comma-separated.
fn depends_on_label(s: &Service) -> String {
    s.depends_on
        .iter()
        .map(|(dep, d)| {
            let condition = match d.condition {
                Condition::ServiceStarted => "service_started",
                Condition::ServiceHealthy => "service_healthy",
                Condition::ServiceCompletedSuccessfully => "service_completed_successfully",
            };
            format!("{dep}:{condition}:{}", d.restart)
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// The cgroup limits: the service keys, then `deploy.resources` over them where set (compose
/// has checked that the two agree).
fn resources(s: &Service) -> Resources {
    let nanos = |cpus: f64| (cpus * 1e9).round() as i64;
    let limits = s
        .deploy
        .as_ref()
        .and_then(|d| d.resources.as_ref())
        .and_then(|r| r.limits.as_ref());
    let reservations = s
        .deploy
        .as_ref()
        .and_then(|d| d.resources.as_ref())
        .and_then(|r| r.reservations.as_ref());
    Resources {
        memory: limits.and_then(|l| l.memory).or(s.mem_limit),
        memory_reservation: reservations.and_then(|r| r.memory).or(s.mem_reservation),
        memory_swap: s.memswap_limit,
        memory_swappiness: s.mem_swappiness,
        nano_cpus: limits.and_then(|l| l.cpus).or(s.cpus).map(nanos),
        cpu_shares: s.cpu_shares,
        cpu_quota: s.cpu_quota,
        cpu_period: s.cpu_period,
        cpu_realtime_runtime: s.cpu_rt_runtime,
        cpu_realtime_period: s.cpu_rt_period,
        cpuset_cpus: s.cpuset.clone(),
        pids_limit: limits.and_then(|l| l.pids).or(s.pids_limit),
        oom_kill_disable: s.oom_kill_disable,
        cgroup_parent: s.cgroup_parent.clone(),
        device_cgroup_rules: s.device_cgroup_rules.clone(),
        blkio: s.blkio_config.as_ref().map(blkio).unwrap_or_default(),
        device_requests: device_requests(s, reservations),
    }
}

/// A lifecycle hook in the plan's terms; bare variables with no value are left out.
fn hook(h: &compose::ServiceHook) -> Hook {
    Hook {
        command: h.command.clone(),
        user: h.user.clone(),
        privileged: h.privileged,
        working_dir: h.working_dir.clone(),
        env: h
            .environment
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), v.clone()?)))
            .collect(),
    }
}

/// `blkio_config` in the engine's terms; a weight of 0 is unset, as compose reads it.
fn blkio(b: &compose::BlkioConfig) -> Blkio {
    let rates = |rs: &[compose::BlkioRate]| {
        rs.iter()
            .map(|r| DeviceLimit {
                path: r.path.clone(),
                value: r.rate,
            })
            .collect()
    };
    Blkio {
        weight: (b.weight != 0).then_some(b.weight),
        weight_device: b
            .weight_device
            .iter()
            .map(|w| DeviceLimit {
                path: w.path.clone(),
                value: u64::from(w.weight),
            })
            .collect(),
        read_bps: rates(&b.device_read_bps),
        read_iops: rates(&b.device_read_iops),
        write_bps: rates(&b.device_write_bps),
        write_iops: rates(&b.device_write_iops),
    }
}

/// The engine name of the first container of service `name` of this run.
fn first_container(cx: &Context<'_>, name: &str) -> String {
    match cx.project.services.get(name) {
        Some(o) => container_name(cx.name, cx.run_id, o),
        None => format!("{}-{name}-1", cx.name),
    }
}

/// `service:x` names x's first container, as compose does for ipc and pid.
fn shared_mode(cx: &Context<'_>, mode: &Option<String>) -> Option<String> {
    let mode = mode.as_ref()?;
    Some(match mode.strip_prefix("service:") {
        Some(other) => format!("container:{}", first_container(cx, other)),
        None => mode.clone(),
    })
}

fn isolation(cx: &Context<'_>, s: &Service) -> Isolation {
    Isolation {
        ipc: shared_mode(cx, &s.ipc),
        pid: shared_mode(cx, &s.pid),
        uts: s.uts.clone(),
        userns_mode: s.userns_mode.clone(),
        cgroup: s.cgroup.clone(),
        security_opt: s.security_opt.clone(),
        sysctls: s
            .sysctls
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        group_add: s.group_add.clone(),
        devices: s
            .devices
            .iter()
            .map(|d| Device {
                source: d.source.clone(),
                target: d.target.clone(),
                permissions: d.permissions.clone(),
            })
            .collect(),
        oom_score_adj: s.oom_score_adj,
        runtime: s.runtime.clone(),
        storage_opt: s
            .storage_opt
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    }
}

/// `service[:ro]` names that service's first container of this run; `container:name[:ro]` a
/// container outside the stack.
fn volumes_from(cx: &Context<'_>, entry: &str) -> String {
    let (source, read_only) = compose::split_volumes_from(entry);
    let container = match source.strip_prefix("container:") {
        Some(name) => name.to_string(),
        None => first_container(cx, source),
    };
    if read_only {
        format!("{container}:ro")
    } else {
        format!("{container}:rw")
    }
}

/// Secrets from an environment variable and configs from inline content or a variable: docker
/// compose writes them into the container before it starts (mode 0444 unless the reference
/// sets one), secrets under `/run/secrets/`, configs at `/<name>`, unless a target is given.
fn file_copies(project: &Project, s: &Service) -> Vec<FileCopy> {
    let secrets = s.secrets.iter().filter_map(|r| {
        let o = project.secrets.get(&r.source)?;
        if o.file.is_some() || o.external || o.environment.is_none() {
            return None;
        }
        let target = match &r.target {
            Some(t) if t.starts_with('/') => t.clone(),
            Some(t) => format!("/run/secrets/{t}"),
            None => format!("/run/secrets/{}", r.source),
        };
        let content = match (&o.value, &o.environment) {
            (Some(v), _) => Ok(v.clone()),
            (None, var) => Err(var.clone().unwrap_or_default()),
        };
        Some((format!("secret \"{}\"", r.source), content, target, r.mode))
    });
    let configs = s.configs.iter().filter_map(|r| {
        let o = project.configs.get(&r.source)?;
        if o.file.is_some() || o.external {
            return None;
        }
        let content = match (&o.content, &o.environment, &o.value) {
            (Some(c), _, _) => Ok(c.clone()),
            (None, Some(_), Some(v)) => Ok(v.clone()),
            (None, Some(var), None) => Err(var.clone()),
            (None, None, _) => return None,
        };
        let target = r.target.clone().unwrap_or_else(|| format!("/{}", r.source));
        Some((format!("config \"{}\"", r.source), content, target, r.mode))
    });
    secrets
        .chain(configs)
        .map(|(what, content, target, mode)| FileCopy {
            target,
            what,
            content: match content {
                Ok(text) => FileContent::Bytes(text.into_bytes()),
                Err(variable) => FileContent::UnsetVariable(variable),
            },
            mode: mode.unwrap_or(0o444),
            uid: 0,
            gid: 0,
        })
        .collect()
}

fn build_spec(cx: &Context<'_>, s: &Service, b: &compose::Build) -> BuildSpec {
    let mut labels: BTreeMap<String, String> = b
        .labels
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    labels.insert(labels::PROJECT.into(), cx.base.to_string());
    labels.insert(labels::SERVICE.into(), s.name.clone());
    labels.insert(labels::MANAGED.into(), "true".into());
    BuildSpec {
        context: b.context.clone(),
        dockerfile: b.dockerfile.clone(),
        dockerfile_inline: b.dockerfile_inline.clone(),
        args: b
            .args
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), v.clone()?)))
            .collect(),
        target: b.target.clone(),
        labels,
    }
}

/// The service's networks with their aliases, or the mode it shares another's stack by
/// (`network_mode: service:x` names x's container).
fn networking(cx: &Context<'_>, s: &Service) -> Networking {
    if let Some(mode) = &s.network_mode {
        return Networking::Mode(match mode.strip_prefix("service:") {
            Some(other) => format!("container:{}", first_container(cx, other)),
            None => mode.clone(),
        });
    }
    let mut endpoints = Vec::new();
    for (key, sn) in &s.networks {
        let Some(net) = cx.networks.iter().find(|n| &n.key == key) else {
            continue;
        };
        let mut aliases = vec![s.name.clone()];
        aliases.extend(sn.aliases.iter().cloned());
        if let Some(extra) = cx.link_aliases.get(&s.name) {
            aliases.extend(extra.iter().cloned());
        }
        if let Some(cn) = &s.container_name {
            aliases.push(cn.clone());
        }
        aliases.dedup();
        endpoints.push(Endpoint {
            network: net.name.clone(),
            aliases,
            ipv4_address: sn.ipv4_address.clone(),
            ipv6_address: sn.ipv6_address.clone(),
        });
    }
    Networking::Networks(endpoints)
}

/// A mount of the file, a named volume's source turned into its engine name.
fn mount(cx: &Context<'_>, m: &ServiceVolume) -> Mount {
    let mut source = m.source.clone();
    if m.kind == VolumeKind::Volume
        && let Some(v) = cx
            .volumes
            .iter()
            .find(|v| Some(&v.key) == m.source.as_ref())
    {
        source = Some(v.name.clone());
    }
    Mount {
        kind: match m.kind {
            VolumeKind::Bind => MountKind::Bind,
            VolumeKind::Volume => MountKind::Volume,
            VolumeKind::Tmpfs => MountKind::Tmpfs,
            VolumeKind::Npipe => MountKind::Npipe,
            VolumeKind::Cluster => MountKind::Cluster,
        },
        source,
        target: m.target.clone(),
        read_only: m.read_only,
        bind_propagation: m.bind_propagation.clone(),
        bind_create_host_path: m.bind_create_host_path,
        volume_nocopy: m.volume_nocopy,
        volume_subpath: m.volume_subpath.clone(),
        tmpfs_size: m.tmpfs_size,
        tmpfs_mode: m.tmpfs_mode,
        carries: None,
    }
}

/// File-backed secrets and configs as read-only bind mounts, where docker compose puts them:
/// secrets under `/run/secrets/`, configs at `/<name>`, unless a target is given. Secrets and
/// configs from an environment variable or inline content have no file to mount; the loader
/// warns about them.
fn file_mounts(project: &Project, s: &Service) -> Vec<Mount> {
    let secrets = s.secrets.iter().filter_map(|r| {
        let file = project.secrets.get(&r.source)?.file.as_ref()?;
        let target = match &r.target {
            Some(t) if t.starts_with('/') => t.clone(),
            Some(t) => format!("/run/secrets/{t}"),
            None => format!("/run/secrets/{}", r.source),
        };
        Some((file, target, format!("secret \"{}\"", r.source)))
    });
    let configs = s.configs.iter().filter_map(|r| {
        let file = project.configs.get(&r.source)?.file.as_ref()?;
        let target = r.target.clone().unwrap_or_else(|| format!("/{}", r.source));
        Some((file, target, format!("config \"{}\"", r.source)))
    });
    secrets
        .chain(configs)
        .map(|(file, target, what)| Mount {
            source: Some(file.display().to_string()),
            read_only: true,
            bind_create_host_path: Some(false),
            carries: Some(what),
            ..Mount::new(MountKind::Bind, target)
        })
        .collect()
}

/// The file's healthcheck: off, set (unset fields keep the image's), or the image's own.
fn health(h: Option<&compose::Healthcheck>) -> Health {
    let Some(h) = h else {
        return Health::FromImage;
    };
    if h.disable
        || h.test
            .as_ref()
            .is_some_and(|t| t.first().map(String::as_str) == Some("NONE"))
    {
        return Health::Disabled;
    }
    let set = Healthcheck {
        test: h.test.clone(),
        interval: h.interval,
        timeout: h.timeout,
        retries: h.retries,
        start_period: h.start_period,
        start_interval: h.start_interval,
    };
    if set == Healthcheck::default() {
        Health::FromImage
    } else {
        Health::Set(set)
    }
}

/// Compose's `restart:`: `no`, `always`, `on-failure[:N]`, `unless-stopped`.
fn restart(restart: &str) -> Restart {
    let (name, retries) = match restart.split_once(':') {
        Some((n, r)) => (n, r.parse().ok()),
        None => (restart, None),
    };
    Restart {
        name: match name {
            "always" => RestartName::Always,
            "on-failure" => RestartName::OnFailure,
            "unless-stopped" => RestartName::UnlessStopped,
            _ => RestartName::No,
        },
        max_retries: retries,
    }
}

/// When the image of a service without `build:` is pulled, from its `pull_policy:`. A service
/// with `build:` is built on every run, whatever its policy.
fn pull_policy(value: Option<&str>) -> PullPolicy {
    match value {
        Some("never") => PullPolicy::Never,
        Some("always") => PullPolicy::Always,
        // `missing`, `if_not_present`, `build` without a build section, `daily`, `weekly` and
        // `every_<duration>`: the image as found, pulled when missing.
        _ => PullPolicy::Missing,
    }
}

/// A stable hash of the service's resolved configuration (compose's config-hash label).
fn config_hash(s: &Service) -> String {
    let text = serde_json::to_string(s).unwrap_or_default();
    hex::encode(Sha256::digest(format!("{}{text}", s.name).as_bytes()))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn healthchecks() {
        assert_eq!(health(None), Health::FromImage);
        let off = compose::Healthcheck {
            disable: true,
            ..Default::default()
        };
        assert_eq!(health(Some(&off)), Health::Disabled);
        let none = compose::Healthcheck {
            test: Some(vec!["NONE".into()]),
            ..Default::default()
        };
        assert_eq!(health(Some(&none)), Health::Disabled);
        assert_eq!(
            health(Some(&compose::Healthcheck::default())),
            Health::FromImage
        );
        let timing_only = compose::Healthcheck {
            interval: Some(Duration::from_secs(1)),
            ..Default::default()
        };
        let h = health(Some(&timing_only));
        assert!(h.is_active(true) && !h.is_active(false));
        let own = compose::Healthcheck {
            test: Some(vec!["CMD".into(), "true".into()]),
            ..Default::default()
        };
        assert!(health(Some(&own)).is_active(false));
        assert!(!Health::Disabled.is_active(true));
    }

    #[test]
    fn pull_policies() {
        assert_eq!(pull_policy(None), PullPolicy::Missing);
        assert_eq!(pull_policy(Some("missing")), PullPolicy::Missing);
        assert_eq!(pull_policy(Some("never")), PullPolicy::Never);
        assert_eq!(pull_policy(Some("always")), PullPolicy::Always);
        assert_eq!(pull_policy(Some("daily")), PullPolicy::Missing);
    }

    #[test]
    fn restart_policies() {
        assert_eq!(restart("on-failure:3").name, RestartName::OnFailure);
        assert_eq!(restart("on-failure:3").max_retries, Some(3));
        assert_eq!(restart("unless-stopped").name, RestartName::UnlessStopped);
        assert_eq!(restart("no").name, RestartName::No);
    }
}
