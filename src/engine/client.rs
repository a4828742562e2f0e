//! The connection to the engine and the single-call operations dockhand uses.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use bollard::Docker;
use bollard::models::{
    ContainerInspectResponse, ContainerStateStatusEnum, HealthStatusEnum, Ipam, IpamConfig,
    NetworkCreateRequest, VolumeCreateRequest,
};
use bollard::query_parameters::{
    InspectContainerOptions, KillContainerOptionsBuilder, ListContainersOptionsBuilder,
    ListNetworksOptionsBuilder, ListVolumesOptionsBuilder, LogsOptionsBuilder,
    RemoveContainerOptionsBuilder, RemoveVolumeOptionsBuilder,
};
use futures_util::StreamExt;

use super::choice::EngineChoice;
use super::error::{EngineError, is_not_found};
use super::types::{
    ContainerInfo, ContainerState, ContainerStatus, HealthStatus, ImageFacts, ResourceInfo,
};
use crate::plan::{NetworkSpec, VolumeSpec};

/// A connected Docker Engine. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Engine {
    docker: Docker,
    choice: Arc<EngineChoice>,
    host: String,
    published_host: String,
}

/// The address of the engine the environment chooses (`DOCKER_HOST`, `DOCKER_CONTEXT`, the
/// Docker config's current context), else the local socket.
pub fn docker_host() -> String {
    EngineChoice::from_env()
        .unwrap_or_default()
        .host
        .to_string()
}

impl Engine {
    /// An engine reached through `docker`, as `choice` chose it; its published ports are on
    /// `published_host`, else on the address's host.
    pub(super) fn from_parts(
        docker: Docker,
        choice: EngineChoice,
        published_host: Option<String>,
    ) -> Engine {
        Engine {
            docker,
            host: choice.host.to_string(),
            published_host: published_host.unwrap_or_else(|| choice.host.published_host()),
            choice: Arc::new(choice),
        }
    }

    pub(super) fn docker(&self) -> &Docker {
        &self.docker
    }

    /// The engine's address (`unix:///var/run/docker.sock`, `tcp://build-box:2376`,
    /// `ssh://ci@build-box`).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// How this engine was chosen; a process started to act on it (the reaper) is told the
    /// same with [`EngineChoice::child_env`].
    pub fn choice(&self) -> &EngineChoice {
        &self.choice
    }

    /// Whether the engine runs on this machine, so that a port bound to loopback, a
    /// container's own address and a local folder are within its reach: from its address (a
    /// socket, TCP to loopback), unless the user said otherwise.
    pub fn is_local(&self) -> bool {
        self.choice.is_local()
    }

    /// The host name at which published ports are reached from this machine: loopback for a
    /// local socket, the address's host for TCP, and for ssh the host ssh connects to (the
    /// `HostName` of an alias in the ssh config).
    pub fn published_host(&self) -> String {
        self.published_host.clone()
    }

    /// Whether the image is present on the engine.
    pub async fn image_exists(&self, image: &str) -> Result<bool, EngineError> {
        Ok(self.image_facts(image).await?.is_some())
    }

    /// The image's id and whether it defines a healthcheck; `None` when it is not present.
    pub async fn image_facts(&self, image: &str) -> Result<Option<ImageFacts>, EngineError> {
        match self.docker.inspect_image(image).await {
            Ok(info) => {
                let config = info.config.unwrap_or_default();
                let health = config.healthcheck.unwrap_or_default();
                let test = health.test.filter(|t| !t.is_empty() && t[0] != "NONE");
                let mut exposed_tcp: Vec<u16> = config
                    .exposed_ports
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|p| p.strip_suffix("/tcp")?.parse().ok())
                    .collect();
                exposed_tcp.sort_unstable();
                Ok(Some(ImageFacts {
                    id: info.id.unwrap_or_default(),
                    has_healthcheck: test.is_some(),
                    healthcheck_test: test,
                    healthcheck_timeout: health
                        .timeout
                        .filter(|t| *t > 0)
                        .map(|t| Duration::from_nanos(t as u64)),
                    exposed_tcp,
                }))
            }
            Err(e) if is_not_found(&e) => Ok(None),
            Err(e) => Err(EngineError::Api {
                action: format!("inspecting image {image}"),
                source: e,
            }),
        }
    }

    /// Creates a network as the plan specifies it, labels and IPAM pools included.
    pub async fn create_network(&self, spec: &NetworkSpec) -> Result<(), EngineError> {
        let req = NetworkCreateRequest {
            name: spec.name.clone(),
            driver: spec.driver.clone(),
            internal: Some(spec.internal),
            attachable: Some(spec.attachable),
            options: Some(spec.driver_opts.clone().into_iter().collect()),
            labels: Some(spec.labels.clone().into_iter().collect()),
            enable_ipv6: spec.enable_ipv6.then_some(true),
            ipam: (!spec.ipam.is_empty()).then(|| Ipam {
                config: Some(
                    spec.ipam
                        .iter()
                        .map(|p| IpamConfig {
                            subnet: Some(p.subnet.clone()),
                            ip_range: p.ip_range.clone(),
                            gateway: p.gateway.clone(),
                            ..Default::default()
                        })
                        .collect(),
                ),
                ..Default::default()
            }),
            ..Default::default()
        };
        self.docker
            .create_network(req)
            .await
            .map_err(EngineError::api(format!("creating network {}", spec.name)))?;
        Ok(())
    }

    /// Whether a network of that name or id exists.
    pub async fn network_exists(&self, name: &str) -> Result<bool, EngineError> {
        match self
            .docker
            .inspect_network(
                name,
                None::<bollard::query_parameters::InspectNetworkOptions>,
            )
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if is_not_found(&e) => Ok(false),
            Err(e) => Err(EngineError::Api {
                action: format!("inspecting network {name}"),
                source: e,
            }),
        }
    }

    /// Whether a volume of that name exists.
    pub async fn volume_exists(&self, name: &str) -> Result<bool, EngineError> {
        match self.docker.inspect_volume(name).await {
            Ok(_) => Ok(true),
            Err(e) if is_not_found(&e) => Ok(false),
            Err(e) => Err(EngineError::Api {
                action: format!("inspecting volume {name}"),
                source: e,
            }),
        }
    }

    /// Creates a named volume as the plan specifies it.
    pub async fn create_volume(&self, spec: &VolumeSpec) -> Result<(), EngineError> {
        let req = VolumeCreateRequest {
            name: Some(spec.name.clone()),
            driver: spec.driver.clone(),
            driver_opts: Some(spec.driver_opts.clone().into_iter().collect()),
            labels: Some(spec.labels.clone().into_iter().collect()),
            ..Default::default()
        };
        self.docker
            .create_volume(req)
            .await
            .map_err(EngineError::api(format!("creating volume {}", spec.name)))?;
        Ok(())
    }

    /// Starts a created (or stopped) container.
    pub async fn start(&self, id: &str) -> Result<(), EngineError> {
        self.docker
            .start_container(id, None::<bollard::query_parameters::StartContainerOptions>)
            .await
            .map_err(EngineError::api(format!("starting container {id}")))
    }

    /// Starts container `id`, created from `spec`; an error names the container and its
    /// service.
    pub async fn start_spec(
        &self,
        id: &str,
        spec: &crate::plan::ContainerSpec,
    ) -> Result<(), EngineError> {
        self.docker
            .start_container(id, None::<bollard::query_parameters::StartContainerOptions>)
            .await
            .map_err(EngineError::api(format!(
                "starting container {} of service {}",
                spec.name, spec.service
            )))
    }

    /// The container's state, health and published ports.
    pub async fn status(&self, id: &str) -> Result<ContainerStatus, EngineError> {
        let resp = self
            .docker
            .inspect_container(id, None::<InspectContainerOptions>)
            .await
            .map_err(EngineError::api(format!("inspecting container {id}")))?;
        Ok(status_of(resp))
    }

    /// Stops a container gracefully: its stop signal, then SIGKILL after its grace period
    /// (`stop_grace_period`, default 10 s). A container that already stopped is fine.
    pub async fn stop(&self, id: &str) -> Result<(), EngineError> {
        match self
            .docker
            .stop_container(id, None::<bollard::query_parameters::StopContainerOptions>)
            .await
        {
            Ok(()) => Ok(()),
            Err(e) if is_not_found(&e) || super::error::is_conflict(&e) => Ok(()),
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 304, ..
            }) => Ok(()),
            Err(e) => Err(EngineError::Api {
                action: format!("stopping container {id}"),
                source: e,
            }),
        }
    }

    /// Sends `signal` to a running container; a container that already stopped is fine.
    pub async fn kill(&self, id: &str, signal: &str) -> Result<(), EngineError> {
        let opts = KillContainerOptionsBuilder::default()
            .signal(signal)
            .build();
        match self.docker.kill_container(id, Some(opts)).await {
            Ok(()) => Ok(()),
            Err(e) if is_not_found(&e) || super::error::is_conflict(&e) => Ok(()),
            Err(e) => Err(EngineError::Api {
                action: format!("killing container {id}"),
                source: e,
            }),
        }
    }

    /// Removes a container with its anonymous volumes, killing it if it runs.
    pub async fn remove_container(&self, id: &str) -> Result<(), EngineError> {
        let opts = RemoveContainerOptionsBuilder::default()
            .force(true)
            .v(true)
            .build();
        match self.docker.remove_container(id, Some(opts)).await {
            Ok(()) => Ok(()),
            Err(e) if is_not_found(&e) => Ok(()),
            // 409: removal already in progress (another teardown path got there first).
            Err(e) if super::error::is_conflict(&e) => Ok(()),
            Err(e) => Err(EngineError::Api {
                action: format!("removing container {id}"),
                source: e,
            }),
        }
    }

    /// Removes a network; one already gone is not an error.
    pub async fn remove_network(&self, id: &str) -> Result<(), EngineError> {
        match self.docker.remove_network(id).await {
            Ok(()) => Ok(()),
            Err(e) if is_not_found(&e) => Ok(()),
            Err(e) => Err(EngineError::Api {
                action: format!("removing network {id}"),
                source: e,
            }),
        }
    }

    /// Removes a volume, forcibly; one already gone is not an error.
    pub async fn remove_volume(&self, name: &str) -> Result<(), EngineError> {
        let opts = RemoveVolumeOptionsBuilder::default().force(true).build();
        match self.docker.remove_volume(name, Some(opts)).await {
            Ok(()) => Ok(()),
            Err(e) if is_not_found(&e) => Ok(()),
            Err(e) => Err(EngineError::Api {
                action: format!("removing volume {name}"),
                source: e,
            }),
        }
    }

    /// Containers (running or not) carrying every label in `labels`.
    pub async fn containers_with(
        &self,
        labels: &BTreeMap<String, String>,
    ) -> Result<Vec<ContainerInfo>, EngineError> {
        let opts = ListContainersOptionsBuilder::default()
            .all(true)
            .filters(&label_filter(labels))
            .build();
        let found = self
            .docker
            .list_containers(Some(opts))
            .await
            .map_err(EngineError::api("listing containers"))?;
        Ok(found
            .into_iter()
            .filter_map(|c| {
                Some(ContainerInfo {
                    id: c.id?,
                    name: c
                        .names
                        .and_then(|n| n.into_iter().next())
                        .map(|n| n.trim_start_matches('/').to_string())
                        .unwrap_or_default(),
                    labels: c.labels.unwrap_or_default().into_iter().collect(),
                    state: c.state.map(|s| s.to_string()).unwrap_or_default(),
                    ports: c
                        .ports
                        .unwrap_or_default()
                        .iter()
                        .filter_map(|p| Some(format!("{}->{}", p.public_port?, p.private_port)))
                        .collect(),
                })
            })
            .collect())
    }

    /// Networks carrying every label in `labels`.
    pub async fn networks_with(
        &self,
        labels: &BTreeMap<String, String>,
    ) -> Result<Vec<ResourceInfo>, EngineError> {
        let opts = ListNetworksOptionsBuilder::default()
            .filters(&label_filter(labels))
            .build();
        let found = self
            .docker
            .list_networks(Some(opts))
            .await
            .map_err(EngineError::api("listing networks"))?;
        Ok(found
            .into_iter()
            .filter_map(|n| {
                Some(ResourceInfo {
                    id: n.id?,
                    name: n.name.unwrap_or_default(),
                    labels: n.labels.unwrap_or_default().into_iter().collect(),
                })
            })
            .collect())
    }

    /// Volumes carrying every label in `labels`.
    pub async fn volumes_with(
        &self,
        labels: &BTreeMap<String, String>,
    ) -> Result<Vec<ResourceInfo>, EngineError> {
        let opts = ListVolumesOptionsBuilder::default()
            .filters(&label_filter(labels))
            .build();
        let resp = self
            .docker
            .list_volumes(Some(opts))
            .await
            .map_err(EngineError::api("listing volumes"))?;
        Ok(resp
            .volumes
            .unwrap_or_default()
            .into_iter()
            .map(|v| ResourceInfo {
                id: v.name.clone(),
                name: v.name,
                labels: v.labels.into_iter().collect(),
            })
            .collect())
    }

    /// The last `lines` lines of a container's log (stdout and stderr), lossy UTF-8.
    pub async fn log_tail(&self, id: &str, lines: usize) -> String {
        let opts = LogsOptionsBuilder::default()
            .stdout(true)
            .stderr(true)
            .tail(&lines.to_string())
            .build();
        let mut out = Vec::new();
        let mut stream = self.docker.logs(id, Some(opts));
        while let Some(Ok(chunk)) = stream.next().await {
            out.extend_from_slice(&chunk.into_bytes());
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    /// The container's whole log so far (stdout and stderr as they came), lossy UTF-8.
    pub async fn log(&self, id: &str) -> Result<String, EngineError> {
        let opts = LogsOptionsBuilder::default()
            .stdout(true)
            .stderr(true)
            .build();
        let mut out = Vec::new();
        let mut stream = self.docker.logs(id, Some(opts));
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(EngineError::api(format!(
                "reading the log of container {id}"
            )))?;
            out.extend_from_slice(&chunk.into_bytes());
        }
        Ok(String::from_utf8_lossy(&out).into_owned())
    }

    /// The container's whole log written to `path`.
    pub async fn save_log(&self, id: &str, path: &std::path::Path) -> std::io::Result<()> {
        use tokio::io::AsyncWriteExt;
        let opts = LogsOptionsBuilder::default()
            .stdout(true)
            .stderr(true)
            .build();
        let mut file = tokio::fs::File::create(path).await?;
        let mut stream = self.docker.logs(id, Some(opts));
        while let Some(Ok(chunk)) = stream.next().await {
            file.write_all(&chunk.into_bytes()).await?;
        }
        file.flush().await
    }
}

/// The container's state as dockhand reads it from an inspect response.
fn status_of(resp: ContainerInspectResponse) -> ContainerStatus {
    let state = resp.state.unwrap_or_default();
    let health = state.health.clone();
    let health_output = health
        .as_ref()
        .and_then(|h| h.log.as_ref())
        .and_then(|log| log.last())
        .and_then(|r| r.output.clone());
    let has_healthcheck = resp
        .config
        .as_ref()
        .and_then(|c| c.healthcheck.as_ref())
        .and_then(|h| h.test.as_ref())
        .is_some_and(|t| !t.is_empty() && t[0] != "NONE");
    let state = if state.running.unwrap_or(false) {
        ContainerState::Running {
            health: health.and_then(|h| h.status).and_then(|s| match s {
                HealthStatusEnum::STARTING => Some(HealthStatus::Starting),
                HealthStatusEnum::HEALTHY => Some(HealthStatus::Healthy),
                HealthStatusEnum::UNHEALTHY => Some(HealthStatus::Unhealthy),
                _ => None,
            }),
        }
    } else if matches!(
        state.status,
        Some(ContainerStateStatusEnum::EXITED) | Some(ContainerStateStatusEnum::DEAD)
    ) {
        ContainerState::Exited {
            code: state.exit_code.unwrap_or(-1),
        }
    } else {
        ContainerState::Other(state.status.map(|s| s.to_string()).unwrap_or_default())
    };
    let settings = resp.network_settings.unwrap_or_default();
    let addresses = settings
        .networks
        .unwrap_or_default()
        .values()
        .filter_map(|n| n.ip_address.as_deref()?.parse().ok())
        .collect();
    let published = settings
        .ports
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(key, bindings)| {
            let port = bindings
                .unwrap_or_default()
                .iter()
                .find_map(|b| b.host_port.as_deref()?.parse::<u16>().ok())?;
            Some((key, port))
        })
        .collect();
    ContainerStatus {
        state,
        health_output,
        has_healthcheck,
        published,
        addresses,
    }
}

/// The engine's `label=k=v` filter for every pair of `labels`.
fn label_filter(labels: &BTreeMap<String, String>) -> HashMap<String, Vec<String>> {
    HashMap::from([(
        "label".to_string(),
        labels.iter().map(|(k, v)| format!("{k}={v}")).collect(),
    )])
}
