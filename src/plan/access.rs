//! What a container is given of its host beyond its own settings: devices the engine hands
//! over through a driver (`gpus`, `deploy.resources.reservations.devices`) and the engine's
//! own API socket (`use_api_socket`).

use super::spec::{ContainerSpec, DeviceRequest, FileContent, FileCopy, Mount, MountKind};
use crate::compose::{self, Service};

/// `reservations.devices` and then `gpus`, as compose asks the engine for them: a GPU request
/// always asks for the `gpu` capability, on top of those it names.
pub(super) fn device_requests(
    s: &Service,
    reservations: Option<&compose::ResourceLimits>,
) -> Vec<DeviceRequest> {
    let request = |d: &compose::DeviceRequest, extra: Option<&str>| {
        let mut capabilities = d.capabilities.clone();
        capabilities.extend(extra.map(str::to_string));
        DeviceRequest {
            driver: d.driver.clone().unwrap_or_default(),
            count: d.count.unwrap_or(0),
            device_ids: d.device_ids.clone(),
            capabilities: vec![capabilities],
            options: d
                .options
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }
    };
    let reserved = reservations
        .map(|r| r.devices.as_slice())
        .unwrap_or_default();
    reserved
        .iter()
        .map(|d| request(d, None))
        .chain(s.gpus.iter().map(|d| request(d, Some("gpu"))))
        .collect()
}

/// Where `use_api_socket` puts the engine's socket, and the credentials file beside it.
pub(super) const API_SOCKET: &str = "/var/run/docker.sock";
const API_SOCKET_CONFIG_DIR: &str = "/run/secrets/docker";

/// `use_api_socket`, as docker compose carries it out: the engine's socket bind-mounted at
/// its usual path, the user's registry credentials written to
/// `/run/secrets/docker/config.json` and `DOCKER_CONFIG` pointed there unless the service sets
/// it.
pub(super) fn give_api_socket(c: &mut ContainerSpec) {
    c.mounts.push(Mount {
        source: Some(API_SOCKET.to_string()),
        ..Mount::new(MountKind::Bind, API_SOCKET)
    });
    if !c.env.contains_key("DOCKER_CONFIG") {
        c.env
            .insert("DOCKER_CONFIG".into(), API_SOCKET_CONFIG_DIR.into());
    }
    c.files.push(FileCopy {
        target: format!("{API_SOCKET_CONFIG_DIR}/config.json"),
        what: "the registry credentials of use_api_socket".into(),
        content: FileContent::RegistryCredentials,
        mode: 0o444,
        uid: 0,
        gid: 0,
    });
}

#[cfg(test)]
mod tests {
    use indexmap::IndexMap;

    use super::*;

    #[test]
    fn gpus_always_ask_for_the_gpu_capability_and_reservations_as_written() {
        let gpu = compose::DeviceRequest {
            count: Some(-1),
            ..Default::default()
        };
        let named = compose::DeviceRequest {
            driver: Some("nvidia".into()),
            device_ids: vec!["0".into()],
            capabilities: vec!["compute".into()],
            options: IndexMap::from([("mode".to_string(), "shared".to_string())]),
            ..Default::default()
        };
        let reserved = compose::ResourceLimits {
            devices: vec![compose::DeviceRequest {
                driver: Some("cdi".into()),
                count: Some(1),
                capabilities: vec!["tpu".into()],
                ..Default::default()
            }],
            ..Default::default()
        };
        let s = Service {
            gpus: vec![gpu, named],
            ..Default::default()
        };
        let requests = device_requests(&s, Some(&reserved));
        assert_eq!(requests.len(), 3);
        assert_eq!(requests[0].driver, "cdi");
        assert_eq!(requests[0].capabilities, vec![vec!["tpu".to_string()]]);
        assert_eq!(requests[1].count, -1);
        assert_eq!(requests[1].driver, "");
        assert_eq!(requests[1].capabilities, vec![vec!["gpu".to_string()]]);
        assert_eq!(
            requests[2].capabilities,
            vec![vec!["compute".to_string(), "gpu".to_string()]]
        );
        assert_eq!(requests[2].count, 0);
        assert_eq!(requests[2].device_ids, vec!["0".to_string()]);
        assert_eq!(requests[2].options["mode"], "shared");
        assert!(device_requests(&Service::default(), None).is_empty());
    }

    #[test]
    fn the_api_socket_comes_with_the_credentials_and_docker_config_unless_set() {
        let dir = tempfile::tempdir().unwrap();
        let mut plan = crate::plan::plan_in(
            dir.path(),
            "services:\n  app:\n    image: alpine\n    use_api_socket: true\n  own:\n    image: alpine\n    use_api_socket: true\n    environment: [DOCKER_CONFIG=/etc/client]\n  plain:\n    image: alpine\n",
        );
        let c = &plan.services["app"].container;
        let socket = c.mounts.last().unwrap();
        assert_eq!(socket.kind, MountKind::Bind);
        assert_eq!(socket.source.as_deref(), Some(API_SOCKET));
        assert_eq!(socket.target, API_SOCKET);
        assert!(!socket.read_only);
        assert_eq!(c.env["DOCKER_CONFIG"], "/run/secrets/docker");
        let file = c.files.last().unwrap();
        assert_eq!(file.target, "/run/secrets/docker/config.json");
        assert_eq!(file.content, FileContent::RegistryCredentials);
        assert_eq!(file.mode, 0o444);
        assert_eq!(
            plan.services["own"].container.env["DOCKER_CONFIG"],
            "/etc/client"
        );
        let plain = &plan.services["plain"].container;
        assert!(plain.mounts.is_empty() && plain.files.is_empty());
        // The socket is the engine's host's, wherever the engine runs: no local bind to refuse.
        assert!(plan.for_remote_engine().is_empty());
    }
}
