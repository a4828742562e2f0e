//! Containers from plan specs: the create request, and the output stream of a one-off run.

use std::collections::HashMap;
use std::time::Duration;

use bollard::body_full;
use bollard::models::{
    ContainerCreateBody, DeviceMapping, EndpointIpamConfig, EndpointSettings, HealthConfig,
    HostConfig, HostConfigCgroupnsModeEnum, HostConfigLogConfig, Mount, MountBindOptions,
    MountBindOptionsPropagationEnum, MountTmpfsOptions, MountType, MountVolumeOptions,
    NetworkConnectRequest, NetworkingConfig, PortBinding, ResourcesBlkioWeightDevice,
    ResourcesUlimits, RestartPolicy, RestartPolicyNameEnum, ThrottleDevice,
};
use bollard::query_parameters::{
    AttachContainerOptionsBuilder, CreateContainerOptionsBuilder, UploadToContainerOptionsBuilder,
};
use bytes::Bytes;
use futures_util::{Stream, StreamExt};

use super::client::Engine;
use super::error::EngineError;
use crate::plan::{
    ContainerSpec, DeviceLimit, Endpoint, FileContent, FileCopy, Health, MountKind, Networking,
    Restart, RestartName,
};

fn nanos(d: Option<Duration>) -> Option<i64> {
    d.map(|d| d.as_nanos().min(i64::MAX as u128) as i64)
}

/// The engine's healthcheck from the plan's; `None` keeps the image's.
fn health_config(h: &Health) -> Option<HealthConfig> {
    match h {
        Health::FromImage => None,
        Health::Disabled => Some(HealthConfig {
            test: Some(vec!["NONE".into()]),
            ..Default::default()
        }),
        Health::Set(h) => Some(HealthConfig {
            test: h.test.clone(),
            interval: nanos(h.interval),
            timeout: nanos(h.timeout),
            retries: h.retries.map(|r| r as i64),
            start_period: nanos(h.start_period),
            start_interval: nanos(h.start_interval),
        }),
    }
}

fn restart_policy(r: Restart) -> RestartPolicy {
    RestartPolicy {
        name: Some(match r.name {
            RestartName::No => RestartPolicyNameEnum::NO,
            RestartName::Always => RestartPolicyNameEnum::ALWAYS,
            RestartName::OnFailure => RestartPolicyNameEnum::ON_FAILURE,
            RestartName::UnlessStopped => RestartPolicyNameEnum::UNLESS_STOPPED,
        }),
        maximum_retry_count: r.max_retries,
    }
}

fn propagation(p: &str) -> Option<MountBindOptionsPropagationEnum> {
    match p {
        "private" => Some(MountBindOptionsPropagationEnum::PRIVATE),
        "rprivate" => Some(MountBindOptionsPropagationEnum::RPRIVATE),
        "shared" => Some(MountBindOptionsPropagationEnum::SHARED),
        "rshared" => Some(MountBindOptionsPropagationEnum::RSHARED),
        "slave" => Some(MountBindOptionsPropagationEnum::SLAVE),
        "rslave" => Some(MountBindOptionsPropagationEnum::RSLAVE),
        _ => None,
    }
}

/// Rate limits per device; `None` when there are none.
fn throttles(limits: &[DeviceLimit]) -> Option<Vec<ThrottleDevice>> {
    (!limits.is_empty()).then(|| {
        limits
            .iter()
            .map(|l| ThrottleDevice {
                path: Some(l.path.clone()),
                rate: Some(l.value.min(i64::MAX as u64) as i64),
            })
            .collect()
    })
}

fn non_empty<T: Clone>(v: &[T]) -> Option<Vec<T>> {
    (!v.is_empty()).then(|| v.to_vec())
}

/// Where the engine binds a port dockhand publishes on its own: loopback when the engine runs
/// on this machine (a test database must not be reachable from the network), every interface
/// on a remote engine (where loopback would be out of the client's reach).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OwnPorts {
    Loopback,
    AllInterfaces,
}

impl OwnPorts {
    fn address(self) -> &'static str {
        match self {
            OwnPorts::Loopback => "127.0.0.1",
            OwnPorts::AllInterfaces => "",
        }
    }
}

/// The create request for `spec`. `image_exposed` are the ports the image EXPOSEs (`80/tcp`),
/// published when the spec publishes all; the container joins its first network only (the
/// others are connected after create: engines before API 1.44 take one endpoint at create).
pub(crate) fn create_body(
    spec: &ContainerSpec,
    image_exposed: &[String],
    own: OwnPorts,
) -> ContainerCreateBody {
    let mut exposed = Vec::new();
    let mut bindings: HashMap<String, Option<Vec<PortBinding>>> = HashMap::new();
    for p in &spec.ports {
        let key = format!("{}/{}", p.container_port, p.protocol);
        exposed.push(key.clone());
        bindings
            .entry(key)
            .or_insert_with(|| Some(Vec::new()))
            .get_or_insert_with(Vec::new)
            .push(PortBinding {
                host_ip: Some(
                    p.host_ip
                        .clone()
                        .unwrap_or_else(|| own.address().to_string()),
                ),
                host_port: Some(p.host_port.clone().unwrap_or_default()),
            });
    }
    exposed.extend(spec.expose.iter().cloned());
    // Publishing every exposed port: on loopback, port by port, since the engine's
    // PublishAllPorts binds every interface.
    let publish_all = spec.publish_all && own == OwnPorts::AllInterfaces;
    if spec.publish_all && own == OwnPorts::Loopback {
        for key in exposed.iter().chain(image_exposed) {
            bindings.entry(key.clone()).or_insert_with(|| {
                Some(vec![PortBinding {
                    host_ip: Some(own.address().to_string()),
                    host_port: Some(String::new()),
                }])
            });
        }
    }

    let mounts: Vec<Mount> = spec
        .mounts
        .iter()
        .map(|m| Mount {
            target: Some(m.target.clone()),
            source: m.source.clone(),
            typ: Some(match m.kind {
                MountKind::Bind => MountType::BIND,
                MountKind::Volume => MountType::VOLUME,
                MountKind::Tmpfs => MountType::TMPFS,
                MountKind::Npipe => MountType::NPIPE,
                MountKind::Cluster => MountType::CLUSTER,
            }),
            read_only: Some(m.read_only),
            bind_options: (m.kind == MountKind::Bind).then(|| MountBindOptions {
                propagation: m.bind_propagation.as_deref().and_then(propagation),
                create_mountpoint: m.bind_create_host_path,
                ..Default::default()
            }),
            volume_options: (m.kind == MountKind::Volume).then(|| MountVolumeOptions {
                no_copy: m.volume_nocopy,
                subpath: m.volume_subpath.clone(),
                ..Default::default()
            }),
            tmpfs_options: (m.kind == MountKind::Tmpfs).then(|| MountTmpfsOptions {
                size_bytes: m.tmpfs_size.map(|s| s as i64),
                mode: m.tmpfs_mode.map(|m| m as i64),
                ..Default::default()
            }),
            ..Default::default()
        })
        .collect();

    let tmpfs: HashMap<String, String> = spec.tmpfs.iter().cloned().collect();

    // Containers sharing another's network stack take no endpoints of their own.
    let (network_mode, endpoints) = match &spec.networking {
        Networking::Mode(mode) => (Some(mode.clone()), HashMap::new()),
        Networking::Networks(eps) => (
            eps.first().map(|ep| ep.network.clone()),
            eps.first()
                .map(|ep| {
                    // Engines read a MAC address per endpoint from API 1.44 on only; bollard
                    // no longer writes the older container-wide field.
                    let settings = EndpointSettings {
                        mac_address: spec.mac_address.clone(),
                        ..endpoint_settings(ep)
                    };
                    (ep.network.clone(), settings)
                })
                .into_iter()
                .collect(),
        ),
    };
    let r = &spec.resources;
    let iso = &spec.isolation;

    let host_config = HostConfig {
        mounts: Some(mounts),
        port_bindings: Some(bindings),
        publish_all_ports: Some(publish_all),
        network_mode,
        extra_hosts: non_empty(&spec.extra_hosts),
        tmpfs: (!tmpfs.is_empty()).then_some(tmpfs),
        ulimits: (!spec.ulimits.is_empty()).then(|| {
            spec.ulimits
                .iter()
                .map(|(name, u)| ResourcesUlimits {
                    name: Some(name.clone()),
                    soft: Some(u.soft),
                    hard: Some(u.hard),
                })
                .collect()
        }),
        privileged: Some(spec.privileged),
        init: spec.init,
        readonly_rootfs: Some(spec.read_only),
        cap_add: non_empty(&spec.cap_add),
        cap_drop: non_empty(&spec.cap_drop),
        dns: non_empty(&spec.dns),
        shm_size: spec.shm_size.map(|s| s as i64),
        restart_policy: spec.restart.map(restart_policy),
        dns_search: non_empty(&spec.dns_search),
        dns_options: non_empty(&spec.dns_opt),
        memory: r.memory,
        memory_reservation: r.memory_reservation,
        memory_swap: r.memory_swap,
        memory_swappiness: r.memory_swappiness,
        nano_cpus: r.nano_cpus,
        cpu_shares: r.cpu_shares,
        cpu_quota: r.cpu_quota,
        cpu_period: r.cpu_period,
        cpu_realtime_runtime: r.cpu_realtime_runtime,
        cpu_realtime_period: r.cpu_realtime_period,
        cpuset_cpus: r.cpuset_cpus.clone(),
        pids_limit: r.pids_limit,
        oom_kill_disable: r.oom_kill_disable.then_some(true),
        cgroup_parent: r.cgroup_parent.clone(),
        device_cgroup_rules: non_empty(&r.device_cgroup_rules),
        blkio_weight: r.blkio.weight,
        blkio_weight_device: (!r.blkio.weight_device.is_empty()).then(|| {
            r.blkio
                .weight_device
                .iter()
                .map(|w| ResourcesBlkioWeightDevice {
                    path: Some(w.path.clone()),
                    weight: Some(w.value as usize),
                })
                .collect()
        }),
        blkio_device_read_bps: throttles(&r.blkio.read_bps),
        blkio_device_read_iops: throttles(&r.blkio.read_iops),
        blkio_device_write_bps: throttles(&r.blkio.write_bps),
        blkio_device_write_iops: throttles(&r.blkio.write_iops),
        ipc_mode: iso.ipc.clone(),
        pid_mode: iso.pid.clone(),
        uts_mode: iso.uts.clone(),
        userns_mode: iso.userns_mode.clone(),
        cgroupns_mode: iso.cgroup.as_deref().and_then(|c| match c {
            "host" => Some(HostConfigCgroupnsModeEnum::HOST),
            "private" => Some(HostConfigCgroupnsModeEnum::PRIVATE),
            _ => None,
        }),
        security_opt: non_empty(&iso.security_opt),
        sysctls: (!iso.sysctls.is_empty()).then(|| iso.sysctls.clone().into_iter().collect()),
        group_add: non_empty(&iso.group_add),
        devices: (!iso.devices.is_empty()).then(|| {
            iso.devices
                .iter()
                .map(|d| DeviceMapping {
                    path_on_host: Some(d.source.clone()),
                    path_in_container: Some(d.target.clone()),
                    cgroup_permissions: Some(d.permissions.clone()),
                })
                .collect()
        }),
        oom_score_adj: iso.oom_score_adj,
        runtime: iso.runtime.clone(),
        storage_opt: (!iso.storage_opt.is_empty())
            .then(|| iso.storage_opt.clone().into_iter().collect()),
        volumes_from: non_empty(&spec.volumes_from),
        log_config: spec.logging.as_ref().map(|l| HostConfigLogConfig {
            typ: Some(l.driver.clone()),
            config: Some(l.options.clone().into_iter().collect()),
        }),
        ..Default::default()
    };

    ContainerCreateBody {
        image: Some(spec.image.clone()),
        cmd: spec.command.clone(),
        entrypoint: spec.entrypoint.clone(),
        env: Some(spec.env.iter().map(|(k, v)| format!("{k}={v}")).collect()),
        labels: Some(spec.labels.clone().into_iter().collect()),
        exposed_ports: (!exposed.is_empty()).then_some(exposed),
        healthcheck: health_config(&spec.health),
        hostname: spec.hostname.clone(),
        domainname: spec.domainname.clone(),
        working_dir: spec.working_dir.clone(),
        user: spec.user.clone(),
        tty: Some(spec.tty),
        open_stdin: Some(spec.stdin_open),
        stop_signal: spec.stop_signal.clone(),
        stop_timeout: spec.stop_grace_period.map(|d| d.as_secs() as i64),
        host_config: Some(host_config),
        networking_config: Some(NetworkingConfig {
            endpoints_config: Some(endpoints),
        }),
        ..Default::default()
    }
}

/// The endpoint of one network: aliases and fixed addresses.
fn endpoint_settings(ep: &Endpoint) -> EndpointSettings {
    EndpointSettings {
        aliases: Some(ep.aliases.clone()),
        ipam_config: (ep.ipv4_address.is_some() || ep.ipv6_address.is_some()).then(|| {
            EndpointIpamConfig {
                ipv4_address: ep.ipv4_address.clone(),
                ipv6_address: ep.ipv6_address.clone(),
                ..Default::default()
            }
        }),
        ..Default::default()
    }
}

/// A tar archive of `files`, each at its absolute path, for extraction at `/`.
fn files_archive(files: &[(&FileCopy, &[u8])]) -> std::io::Result<Vec<u8>> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let mut builder = tar::Builder::new(Vec::new());
    for (f, content) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(f.mode);
        header.set_uid(f.uid);
        header.set_gid(f.gid);
        header.set_mtime(now);
        header.set_entry_type(tar::EntryType::Regular);
        builder.append_data(&mut header, f.target.trim_start_matches('/'), *content)?;
    }
    builder.into_inner()
}

impl Engine {
    /// Creates the container, connects it to its further networks and writes its files;
    /// returns its id. The container is not started.
    pub async fn create(&self, spec: &ContainerSpec) -> Result<String, EngineError> {
        let action = || {
            format!(
                "creating container {} for service {}",
                spec.name, spec.service
            )
        };
        let mut opts = CreateContainerOptionsBuilder::default().name(&spec.name);
        if let Some(platform) = &spec.platform {
            opts = opts.platform(platform);
        }
        let opts = opts.build();
        let own = if self.is_local() {
            OwnPorts::Loopback
        } else {
            OwnPorts::AllInterfaces
        };
        let image_exposed = if spec.publish_all && own == OwnPorts::Loopback {
            self.exposed_ports(&spec.image).await?
        } else {
            Vec::new()
        };
        let resp = self
            .docker()
            .create_container(Some(opts), create_body(spec, &image_exposed, own))
            .await
            .map_err(EngineError::api(action()))?;
        let id = resp.id;
        if let Networking::Networks(eps) = &spec.networking {
            for ep in eps.iter().skip(1) {
                let req = NetworkConnectRequest {
                    container: id.clone(),
                    endpoint_config: Some(endpoint_settings(ep)),
                };
                self.docker()
                    .connect_network(&ep.network, req)
                    .await
                    .map_err(EngineError::api(format!(
                        "connecting container {} of service {} to network {}",
                        spec.name, spec.service, ep.network
                    )))?;
            }
        }
        let mut read = Vec::new();
        for f in &spec.files {
            match &f.content {
                FileContent::Bytes(content) => read.push((f, content.clone())),
                FileContent::HostFile(path) => match tokio::fs::read(path).await {
                    Ok(content) => read.push((f, content)),
                    Err(source) => {
                        return Err(EngineError::HostFile {
                            what: f.what.clone(),
                            service: spec.service.clone(),
                            path: path.clone(),
                            source,
                        });
                    }
                },
                FileContent::UnsetVariable(variable) => {
                    return Err(EngineError::UnsetVariable {
                        variable: variable.clone(),
                        what: f.what.clone(),
                        service: spec.service.clone(),
                    });
                }
            }
        }
        let files: Vec<(&FileCopy, &[u8])> = read.iter().map(|(f, c)| (*f, c.as_slice())).collect();
        if !files.is_empty() {
            let archive = files_archive(&files).map_err(|source| EngineError::Archive {
                what: format!("the secrets and configs of service {}", spec.service),
                source,
            })?;
            let opts = UploadToContainerOptionsBuilder::default().path("/").build();
            self.docker()
                .upload_to_container(&id, Some(opts), body_full(Bytes::from(archive)))
                .await
                .map_err(EngineError::api(format!(
                    "writing the secrets and configs of service {} into container {}",
                    spec.service, spec.name
                )))?;
        }
        Ok(id)
    }

    /// The ports `image` EXPOSEs (`80/tcp`).
    async fn exposed_ports(&self, image: &str) -> Result<Vec<String>, EngineError> {
        let info = self
            .docker()
            .inspect_image(image)
            .await
            .map_err(EngineError::api(format!("inspecting image {image}")))?;
        Ok(info
            .config
            .and_then(|c| c.exposed_ports)
            .unwrap_or_default())
    }

    /// Attaches to stdout and stderr; yields raw chunks until the container stops.
    ///
    /// Call it before starting the container: the engine subscribes the attach to the
    /// container's streams before it answers, so nothing printed after the start is missed.
    /// The log is not replayed (`logs=false`): the replay runs after the answer and would
    /// repeat what a fast command printed meanwhile. (Following the log instead is no
    /// substitute: the engine may end a follow before it has read a large log to its end.)
    pub async fn attach_output(
        &self,
        id: &str,
    ) -> Result<impl Stream<Item = Result<Bytes, EngineError>> + use<>, EngineError> {
        let opts = AttachContainerOptionsBuilder::default()
            .stdout(true)
            .stderr(true)
            .stream(true)
            .logs(false)
            .build();
        let attached = self
            .docker()
            .attach_container(id, Some(opts))
            .await
            .map_err(EngineError::api(format!("attaching to container {id}")))?;
        let id = id.to_string();
        Ok(attached.output.map(move |item| {
            item.map(|chunk| chunk.into_bytes())
                .map_err(|source| EngineError::Api {
                    action: format!("reading the output of container {id}"),
                    source,
                })
        }))
    }

    /// Waits for the container to stop and returns its exit code (non-zero is a result, not an
    /// error).
    pub async fn wait_exit(&self, id: &str) -> Result<i64, EngineError> {
        let mut stream = self
            .docker()
            .wait_container(id, None::<bollard::query_parameters::WaitContainerOptions>);
        match stream.next().await {
            Some(Ok(resp)) => Ok(resp.status_code),
            Some(Err(bollard::errors::Error::DockerContainerWaitError { code, .. })) => Ok(code),
            Some(Err(e)) => Err(EngineError::Api {
                action: format!("waiting for container {id}"),
                source: e,
            }),
            None => match self.status(id).await?.state {
                super::types::ContainerState::Exited { code } => Ok(code),
                _ => Ok(-1),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::plan::{Endpoint, Healthcheck, Mount as PlanMount, PortBinding as PlanPort};

    fn spec() -> ContainerSpec {
        ContainerSpec {
            name: "p-db-1".into(),
            service: "db".into(),
            image: "postgres:15".into(),
            platform: None,
            command: Some(vec!["postgres".into()]),
            entrypoint: None,
            env: [("A".to_string(), "1".to_string())].into_iter().collect(),
            labels: BTreeMap::from([("k".into(), "v".into())]),
            networking: Networking::Networks(vec![Endpoint {
                network: "p_default".into(),
                aliases: vec!["db".into()],
                ipv4_address: None,
                ipv6_address: None,
            }]),
            ports: vec![PlanPort {
                container_port: 5432,
                protocol: "tcp".into(),
                host_ip: None,
                host_port: None,
            }],
            expose: Vec::new(),
            publish_all: true,
            mounts: vec![PlanMount {
                source: Some("p_data".into()),
                read_only: true,
                ..PlanMount::new(MountKind::Volume, "/data")
            }],
            tmpfs: vec![("/run".into(), "size=64m".into())],
            health: Health::Set(Healthcheck {
                test: Some(vec!["CMD-SHELL".into(), "pg_isready".into()]),
                interval: Some(Duration::from_millis(1500)),
                retries: Some(5),
                ..Default::default()
            }),
            hostname: None,
            working_dir: None,
            user: None,
            tty: false,
            stdin_open: false,
            stop_signal: None,
            stop_grace_period: None,
            extra_hosts: Vec::new(),
            ulimits: BTreeMap::new(),
            privileged: false,
            init: None,
            read_only: false,
            cap_add: Vec::new(),
            cap_drop: Vec::new(),
            dns: Vec::new(),
            shm_size: None,
            restart: None,
            domainname: None,
            dns_search: Vec::new(),
            dns_opt: Vec::new(),
            mac_address: None,
            resources: Default::default(),
            isolation: Default::default(),
            volumes_from: Vec::new(),
            logging: None,
            files: Vec::new(),
            post_start: Vec::new(),
        }
    }

    #[test]
    fn create_body_carries_the_spec() {
        let body = create_body(&spec(), &["6000/tcp".to_string()], OwnPorts::Loopback);
        assert_eq!(body.image.as_deref(), Some("postgres:15"));
        assert_eq!(body.env, Some(vec!["A=1".to_string()]));
        assert_eq!(body.exposed_ports, Some(vec!["5432/tcp".to_string()]));
        let host = body.host_config.unwrap();
        let bindings = host.port_bindings.unwrap();
        let binding = &bindings["5432/tcp"].clone().unwrap()[0];
        // dockhand's own ports: ephemeral and on loopback on a local engine.
        assert_eq!(binding.host_ip.as_deref(), Some("127.0.0.1"));
        assert_eq!(binding.host_port.as_deref(), Some(""));
        // Publishing all on loopback is done port by port, the image's ports among them.
        assert_eq!(host.publish_all_ports, Some(false));
        let image_port = &bindings["6000/tcp"].clone().unwrap()[0];
        assert_eq!(image_port.host_ip.as_deref(), Some("127.0.0.1"));
        assert_eq!(host.network_mode.as_deref(), Some("p_default"));
        assert_eq!(host.tmpfs.unwrap()["/run"], "size=64m");
        let mount = &host.mounts.unwrap()[0];
        assert_eq!(mount.typ, Some(MountType::VOLUME));
        assert_eq!(mount.read_only, Some(true));
        let hc = body.healthcheck.unwrap();
        assert_eq!(hc.interval, Some(1_500_000_000));
        assert_eq!(hc.retries, Some(5));
        let eps = body.networking_config.unwrap().endpoints_config.unwrap();
        assert_eq!(eps["p_default"].aliases, Some(vec!["db".to_string()]));
    }

    #[test]
    fn remote_engines_publish_everywhere_and_file_addresses_stay() {
        let mut s = spec();
        s.ports.push(PlanPort {
            container_port: 80,
            protocol: "tcp".into(),
            host_ip: Some(String::new()),
            host_port: Some("8080".into()),
        });
        let body = create_body(&s, &["6000/tcp".to_string()], OwnPorts::AllInterfaces);
        let host = body.host_config.unwrap();
        assert_eq!(host.publish_all_ports, Some(true));
        let bindings = host.port_bindings.unwrap();
        assert!(!bindings.contains_key("6000/tcp"));
        assert_eq!(
            bindings["5432/tcp"].clone().unwrap()[0].host_ip.as_deref(),
            Some("")
        );
        // A port written without an address binds every interface, local engine or not.
        let local = create_body(&s, &[], OwnPorts::Loopback);
        let b = local.host_config.unwrap().port_bindings.unwrap();
        assert_eq!(b["80/tcp"].clone().unwrap()[0].host_ip.as_deref(), Some(""));
        assert_eq!(
            b["80/tcp"].clone().unwrap()[0].host_port.as_deref(),
            Some("8080")
        );
    }

    #[test]
    fn resources_and_isolation_reach_the_host_config() {
        let mut s = spec();
        s.resources.memory = Some(64 << 20);
        s.resources.nano_cpus = Some(500_000_000);
        s.resources.pids_limit = Some(50);
        s.isolation.storage_opt = BTreeMap::from([("size".into(), "1G".into())]);
        s.isolation.ipc = Some("container:p-holder-1".into());
        s.volumes_from = vec!["p-data-1:ro".into()];
        s.logging = Some(crate::plan::LogConfig {
            driver: "json-file".into(),
            options: BTreeMap::from([("max-size".into(), "1m".into())]),
        });
        let host = create_body(&s, &[], OwnPorts::Loopback)
            .host_config
            .unwrap();
        assert_eq!(host.memory, Some(64 << 20));
        assert_eq!(host.nano_cpus, Some(500_000_000));
        assert_eq!(host.pids_limit, Some(50));
        assert_eq!(host.storage_opt.unwrap()["size"], "1G");
        assert_eq!(host.ipc_mode.as_deref(), Some("container:p-holder-1"));
        assert_eq!(host.volumes_from, Some(vec!["p-data-1:ro".to_string()]));
        assert_eq!(host.blkio_weight, None);
        assert_eq!(host.blkio_device_read_bps, None);
        let log = host.log_config.unwrap();
        assert_eq!(log.typ.as_deref(), Some("json-file"));
        assert_eq!(log.config.unwrap()["max-size"], "1m");
    }

    #[test]
    fn blkio_limits_reach_the_host_config() {
        let mut s = spec();
        let limit = |value| DeviceLimit {
            path: "/dev/vda".into(),
            value,
        };
        s.resources.blkio = crate::plan::Blkio {
            weight: Some(300),
            weight_device: vec![limit(400)],
            read_bps: vec![limit(1 << 20)],
            read_iops: vec![limit(100)],
            write_bps: vec![limit(2 << 20)],
            write_iops: vec![limit(200)],
        };
        let host = create_body(&s, &[], OwnPorts::Loopback)
            .host_config
            .unwrap();
        assert_eq!(host.blkio_weight, Some(300));
        let wd = &host.blkio_weight_device.unwrap()[0];
        assert_eq!(
            (wd.path.as_deref(), wd.weight),
            (Some("/dev/vda"), Some(400))
        );
        let rate = |t: Option<Vec<ThrottleDevice>>| {
            let t = &t.unwrap()[0];
            (t.path.clone().unwrap(), t.rate.unwrap())
        };
        assert_eq!(
            rate(host.blkio_device_read_bps),
            ("/dev/vda".into(), 1 << 20)
        );
        assert_eq!(rate(host.blkio_device_read_iops), ("/dev/vda".into(), 100));
        assert_eq!(
            rate(host.blkio_device_write_bps),
            ("/dev/vda".into(), 2 << 20)
        );
        assert_eq!(rate(host.blkio_device_write_iops), ("/dev/vda".into(), 200));
    }

    #[test]
    fn only_the_first_network_at_create() {
        let mut s = spec();
        s.networking = Networking::Networks(vec![
            Endpoint {
                network: "p_front".into(),
                aliases: vec!["db".into()],
                ipv4_address: Some("172.28.0.5".into()),
                ipv6_address: None,
            },
            Endpoint {
                network: "p_back".into(),
                aliases: vec!["db".into()],
                ipv4_address: None,
                ipv6_address: None,
            },
        ]);
        let body = create_body(&s, &[], OwnPorts::Loopback);
        let eps = body.networking_config.unwrap().endpoints_config.unwrap();
        assert_eq!(eps.keys().collect::<Vec<_>>(), ["p_front"]);
        assert_eq!(
            eps["p_front"]
                .ipam_config
                .as_ref()
                .unwrap()
                .ipv4_address
                .as_deref(),
            Some("172.28.0.5")
        );
    }

    #[test]
    fn files_are_packed_at_their_paths_with_their_modes() {
        let file = FileCopy {
            target: "/run/secrets/token".into(),
            what: "secret \"token\"".into(),
            content: FileContent::Bytes(b"s3cret".to_vec()),
            mode: 0o440,
            uid: 0,
            gid: 0,
        };
        let archive = files_archive(&[(&file, b"s3cret")]).unwrap();
        let mut a = tar::Archive::new(archive.as_slice());
        let mut entries = a.entries().unwrap();
        let mut e = entries.next().unwrap().unwrap();
        assert_eq!(e.path().unwrap().to_str(), Some("run/secrets/token"));
        assert_eq!(e.header().mode().unwrap(), 0o440);
        let mut text = String::new();
        std::io::Read::read_to_string(&mut e, &mut text).unwrap();
        assert_eq!(text, "s3cret");
    }

    #[test]
    fn healthcheck_disable_and_image_default() {
        assert_eq!(
            health_config(&Health::Disabled).unwrap().test,
            Some(vec!["NONE".to_string()])
        );
        assert_eq!(health_config(&Health::FromImage), None);
    }

    #[test]
    fn a_shared_network_stack_takes_no_endpoints() {
        let mut s = spec();
        s.networking = Networking::Mode("container:p-app-1".into());
        let body = create_body(&s, &[], OwnPorts::Loopback);
        assert_eq!(
            body.host_config.unwrap().network_mode.as_deref(),
            Some("container:p-app-1")
        );
        assert!(
            body.networking_config
                .unwrap()
                .endpoints_config
                .unwrap()
                .is_empty()
        );
    }
}
