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
use crate::compose::{Healthcheck, VolumeKind};
use crate::plan::ContainerSpec;

fn nanos(d: Option<Duration>) -> Option<i64> {
    d.map(|d| d.as_nanos().min(i64::MAX as u128) as i64)
}

/// The engine's healthcheck from the compose one; `None` keeps the image's.
pub fn health_config(h: &Healthcheck) -> Option<HealthConfig> {
    if h.disable {
        return Some(HealthConfig {
            test: Some(vec!["NONE".into()]),
            ..Default::default()
        });
    }
    let cfg = HealthConfig {
        test: h.test.clone(),
        interval: nanos(h.interval),
        timeout: nanos(h.timeout),
        retries: h.retries.map(|r| r as i64),
        start_period: nanos(h.start_period),
        start_interval: nanos(h.start_interval),
    };
    if cfg == HealthConfig::default() {
        None
    } else {
        Some(cfg)
    }
}

/// Compose's `restart:` as the engine's policy: `no`, `always`, `on-failure[:N]`,
/// `unless-stopped`.
pub fn restart_policy(restart: &str) -> RestartPolicy {
    let (name, retries) = match restart.split_once(':') {
        Some((n, r)) => (n, r.parse().ok()),
        None => (restart, None),
    };
    let name = match name {
        "always" => RestartPolicyNameEnum::ALWAYS,
        "on-failure" => RestartPolicyNameEnum::ON_FAILURE,
        "unless-stopped" => RestartPolicyNameEnum::UNLESS_STOPPED,
        _ => RestartPolicyNameEnum::NO,
    };
    RestartPolicy {
        name: Some(name),
        maximum_retry_count: retries,
    }
}

/// The create request for `spec`.
pub fn create_body(spec: &ContainerSpec) -> ContainerCreateBody {
    let c = &spec.config;

    let mut exposed = Vec::new();
    let mut bindings: HashMap<String, Option<Vec<PortBinding>>> = HashMap::new();
    for p in &spec.ports {
        let key = format!("{}/{}", p.target, p.protocol);
        exposed.push(key.clone());
        bindings
            .entry(key)
            .or_insert_with(|| Some(Vec::new()))
            .get_or_insert_with(Vec::new)
            .push(PortBinding {
                host_ip: Some(p.host_ip.clone().unwrap_or_else(|| "127.0.0.1".into())),
                host_port: Some(p.published.clone().unwrap_or_default()),
            });
    }
    for e in &c.expose {
        let key = if e.contains('/') {
            e.clone()
        } else {
            format!("{e}/tcp")
        };
        exposed.push(key);
    }

    let mounts: Vec<Mount> = spec
        .mounts
        .iter()
        .map(|m| Mount {
            target: Some(m.target.clone()),
            source: m.source.clone(),
            typ: Some(match m.kind {
                VolumeKind::Bind => MountType::BIND,
                VolumeKind::Volume => MountType::VOLUME,
                VolumeKind::Tmpfs => MountType::TMPFS,
                VolumeKind::Npipe => MountType::NPIPE,
                VolumeKind::Cluster => MountType::CLUSTER,
            }),
            read_only: Some(m.read_only),
            bind_options: (m.kind == VolumeKind::Bind).then(|| MountBindOptions {
                propagation: m.bind_propagation.as_deref().and_then(|p| match p {
                    "private" => Some(MountBindOptionsPropagationEnum::PRIVATE),
                    "rprivate" => Some(MountBindOptionsPropagationEnum::RPRIVATE),
                    "shared" => Some(MountBindOptionsPropagationEnum::SHARED),
                    "rshared" => Some(MountBindOptionsPropagationEnum::RSHARED),
                    "slave" => Some(MountBindOptionsPropagationEnum::SLAVE),
                    "rslave" => Some(MountBindOptionsPropagationEnum::RSLAVE),
                    _ => None,
                }),
                create_mountpoint: m.bind_create_host_path,
                ..Default::default()
            }),
            volume_options: (m.kind == VolumeKind::Volume).then(|| MountVolumeOptions {
                no_copy: m.volume_nocopy,
                subpath: m.volume_subpath.clone(),
                ..Default::default()
            }),
            tmpfs_options: (m.kind == VolumeKind::Tmpfs).then(|| MountTmpfsOptions {
                size_bytes: m.tmpfs_size.map(|s| s as i64),
                mode: m.tmpfs_mode.map(|m| m as i64),
                ..Default::default()
            }),
            ..Default::default()
        })
        .collect();

    let tmpfs: HashMap<String, String> = c
        .tmpfs
        .iter()
        .map(|t| match t.split_once(':') {
            Some((path, opts)) => (path.to_string(), opts.to_string()),
            None => (t.clone(), String::new()),
        })
        .collect();

    let endpoints: HashMap<String, EndpointSettings> = spec
        .endpoints
        .iter()
        .map(|ep| {
            (
                ep.network.clone(),
                EndpointSettings {
                    aliases: Some(ep.aliases.clone()),
                    ipam_config: ep.ipv4_address.as_ref().map(|ip| EndpointIpamConfig {
                        ipv4_address: Some(ip.clone()),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
            )
        })
        .collect();

    let network_mode = spec
        .network_mode
        .clone()
        .or_else(|| spec.endpoints.first().map(|ep| ep.network.clone()));
    // Containers sharing another's network stack take no endpoints of their own.
    let endpoints = if spec
        .network_mode
        .as_deref()
        .is_some_and(|m| m.contains(':') || m == "host" || m == "none")
    {
        HashMap::new()
    } else {
        endpoints
    };

    let host_config = HostConfig {
        mounts: Some(mounts),
        port_bindings: Some(bindings),
        publish_all_ports: Some(spec.publish_all),
        network_mode,
        extra_hosts: (!c.extra_hosts.is_empty()).then(|| c.extra_hosts.clone()),
        tmpfs: (!tmpfs.is_empty()).then_some(tmpfs),
        ulimits: (!c.ulimits.is_empty()).then(|| {
            c.ulimits
                .iter()
                .map(|(name, u)| ResourcesUlimits {
                    name: Some(name.clone()),
                    soft: Some(u.soft),
                    hard: Some(u.hard),
                })
                .collect()
        }),
        privileged: Some(c.privileged),
        init: c.init,
        readonly_rootfs: Some(c.read_only),
        cap_add: (!c.cap_add.is_empty()).then(|| c.cap_add.clone()),
        cap_drop: (!c.cap_drop.is_empty()).then(|| c.cap_drop.clone()),
        dns: (!c.dns.is_empty()).then(|| c.dns.clone()),
        shm_size: c.shm_size.map(|s| s as i64),
        restart_policy: c.restart.as_deref().map(restart_policy),
        ..Default::default()
    };

    ContainerCreateBody {
        image: Some(spec.image.clone()),
        cmd: spec.command.clone(),
        entrypoint: c.entrypoint.clone(),
        env: Some(spec.env.clone()),
        labels: Some(spec.labels.clone().into_iter().collect()),
        exposed_ports: (!exposed.is_empty()).then_some(exposed),
        healthcheck: c.healthcheck.as_ref().and_then(health_config),
        hostname: c.hostname.clone(),
        working_dir: c.working_dir.clone(),
        user: c.user.clone(),
        tty: Some(c.tty),
        open_stdin: Some(c.stdin_open),
        stop_signal: c.stop_signal.clone(),
        stop_timeout: c.stop_grace_period.map(|d| d.as_secs() as i64),
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
        if let Some(platform) = &spec.config.platform {
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
            None => {
                let state = self.inspect(id).await?.state.unwrap_or_default();
                Ok(state.exit_code.unwrap_or(-1))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::compose::{Port, Service, ServiceVolume};
    use crate::plan::stack::Endpoint;

    fn spec() -> ContainerSpec {
        ContainerSpec {
            name: "p-db-1".into(),
            service: "db".into(),
            image: "postgres:15".into(),
            command: Some(vec!["postgres".into()]),
            env: vec!["A=1".into()],
            labels: BTreeMap::from([("k".into(), "v".into())]),
            endpoints: vec![Endpoint {
                network: "p_default".into(),
                aliases: vec!["db".into()],
                ipv4_address: None,
            }],
            mounts: vec![ServiceVolume {
                source: Some("p_data".into()),
                read_only: true,
                ..ServiceVolume::new(VolumeKind::Volume, "/data")
            }],
            ports: vec![Port {
                target: 5432,
                protocol: "tcp".into(),
                ..Default::default()
            }],
            publish_all: true,
            network_mode: None,
            config: Service {
                tmpfs: vec!["/run:size=64m".into()],
                healthcheck: Some(Healthcheck {
                    test: Some(vec!["CMD-SHELL".into(), "pg_isready".into()]),
                    interval: Some(Duration::from_millis(1500)),
                    retries: Some(5),
                    ..Default::default()
                }),
                ..Default::default()
            },
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
        let off = Healthcheck {
            disable: true,
            ..Default::default()
        };
        assert_eq!(
            health_config(&off).unwrap().test,
            Some(vec!["NONE".to_string()])
        );
        assert_eq!(health_config(&Healthcheck::default()), None);
    }
}
