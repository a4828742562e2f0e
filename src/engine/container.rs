//! Containers from plan specs: the create request, and the output stream of a one-off run.

use std::collections::HashMap;
use std::time::Duration;

use bollard::models::{
    ContainerCreateBody, EndpointIpamConfig, EndpointSettings, HealthConfig, HostConfig, Mount,
    MountBindOptions, MountBindOptionsPropagationEnum, MountTmpfsOptions, MountType,
    MountVolumeOptions, NetworkingConfig, PortBinding, ResourcesUlimits, RestartPolicy,
    RestartPolicyNameEnum,
};
use bollard::query_parameters::{AttachContainerOptionsBuilder, CreateContainerOptionsBuilder};
use bytes::Bytes;
use futures_util::{Stream, StreamExt};

use super::client::Engine;
use super::error::EngineError;
use crate::plan::{ContainerSpec, Health, MountKind, Networking, Restart, RestartName};

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

fn non_empty<T: Clone>(v: &[T]) -> Option<Vec<T>> {
    (!v.is_empty()).then(|| v.to_vec())
}

/// The create request for `spec`.
pub(crate) fn create_body(spec: &ContainerSpec) -> ContainerCreateBody {
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
                host_ip: Some(p.host_ip.clone()),
                host_port: Some(p.host_port.clone().unwrap_or_default()),
            });
    }
    exposed.extend(spec.expose.iter().cloned());

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
            eps.iter()
                .map(|ep| {
                    (
                        ep.network.clone(),
                        EndpointSettings {
                            aliases: Some(ep.aliases.clone()),
                            ipam_config: (ep.ipv4_address.is_some() || ep.ipv6_address.is_some())
                                .then(|| EndpointIpamConfig {
                                    ipv4_address: ep.ipv4_address.clone(),
                                    ipv6_address: ep.ipv6_address.clone(),
                                    ..Default::default()
                                }),
                            ..Default::default()
                        },
                    )
                })
                .collect(),
        ),
    };

    let host_config = HostConfig {
        mounts: Some(mounts),
        port_bindings: Some(bindings),
        publish_all_ports: Some(spec.publish_all),
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

impl Engine {
    /// Creates the container; returns its id.
    pub async fn create(&self, spec: &ContainerSpec) -> Result<String, EngineError> {
        let mut opts = CreateContainerOptionsBuilder::default().name(&spec.name);
        if let Some(platform) = &spec.platform {
            opts = opts.platform(platform);
        }
        let opts = opts.build();
        let resp = self
            .docker()
            .create_container(Some(opts), create_body(spec))
            .await
            .map_err(EngineError::api(format!(
                "creating container {} for service {}",
                spec.name, spec.service
            )))?;
        Ok(resp.id)
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
                host_ip: "127.0.0.1".into(),
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
        }
    }

    #[test]
    fn create_body_carries_the_spec() {
        let body = create_body(&spec());
        assert_eq!(body.image.as_deref(), Some("postgres:15"));
        assert_eq!(body.env, Some(vec!["A=1".to_string()]));
        assert_eq!(body.exposed_ports, Some(vec!["5432/tcp".to_string()]));
        let host = body.host_config.unwrap();
        let binding = &host.port_bindings.unwrap()["5432/tcp"].clone().unwrap()[0];
        // Ephemeral and on loopback unless the file says otherwise.
        assert_eq!(binding.host_ip.as_deref(), Some("127.0.0.1"));
        assert_eq!(binding.host_port.as_deref(), Some(""));
        assert_eq!(host.publish_all_ports, Some(true));
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
        let body = create_body(&s);
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
