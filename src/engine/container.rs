//! Containers from plan specs: the create request, and the output stream of a one-off run.

use std::collections::HashMap;
use std::time::Duration;

use bollard::body_full;
use bollard::models::{
    ContainerCreateBody, DeviceMapping, DeviceRequest, EndpointIpamConfig, EndpointSettings,
    HealthConfig, HostConfig, HostConfigCgroupnsModeEnum, HostConfigLogConfig, Mount,
    MountBindOptions, MountBindOptionsPropagationEnum, MountTmpfsOptions, MountType,
    MountVolumeOptions, NetworkConnectRequest, NetworkingConfig, PortBinding,
    ResourcesBlkioWeightDevice, ResourcesUlimits, RestartPolicy, RestartPolicyNameEnum,
    ThrottleDevice,
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
                        ..endpoint_settings(ep, &spec.links)
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
        links: non_empty(&spec.links),
        device_requests: (!r.device_requests.is_empty()).then(|| {
            r.device_requests
                .iter()
                .map(|d| DeviceRequest {
                    driver: Some(d.driver.clone()),
                    count: Some(d.count),
                    device_ids: Some(d.device_ids.clone()),
                    capabilities: Some(d.capabilities.clone()),
                    options: Some(d.options.clone().into_iter().collect()),
                })
                .collect()
        }),
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
fn endpoint_settings(ep: &Endpoint, links: &[String]) -> EndpointSettings {
    EndpointSettings {
        aliases: Some(ep.aliases.clone()),
        links: non_empty(links),
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
                    endpoint_config: Some(endpoint_settings(ep, &spec.links)),
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
                FileContent::RegistryCredentials => {
                    let path = super::auth::config_file();
                    read.push((f, super::auth::credentials_file(path.as_deref()).await?));
                }
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
mod tests;
