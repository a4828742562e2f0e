//! The plan for an engine on another machine: what lies on this machine's disk cannot be
//! bind-mounted there, and what dockhand reaches from here must be published on the engine's
//! host.

use super::access::API_SOCKET;
use super::spec::{ContainerSpec, FileContent, FileCopy, MountKind, ReadyCheck, StackPlan};

/// A bind mount of a path of this machine, which a remote engine would look for on its own
/// host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalBind {
    /// The service that mounts it.
    pub service: String,
    /// The path on this machine.
    pub source: String,
    /// Where it would appear in the container.
    pub target: String,
}

impl StackPlan {
    /// Fits the plan to an engine on another machine, and returns the bind mounts left: paths
    /// of this machine, which the caller refuses unless the same paths exist on the engine's
    /// host.
    ///
    /// - File-backed secrets and configs are copied into their containers after create and
    ///   before start (the archive API), instead of bind-mounted.
    /// - Every service publishes its exposed ports, and the port its readiness check connects
    ///   to, on ephemeral ports of the engine's host: probes from here cannot reach a
    ///   container's own address there.
    pub fn for_remote_engine(&mut self) -> Vec<LocalBind> {
        let mut binds = Vec::new();
        for sp in self.services.values_mut() {
            let probed = match &sp.ready {
                Some(ReadyCheck::Tcp(port)) | Some(ReadyCheck::Http { port, .. }) => Some(*port),
                _ => None,
            };
            for spec in std::iter::once(&mut sp.container).chain(sp.extra_replicas.iter_mut()) {
                copy_instead_of_binding(spec);
                spec.publish_all = true;
                if let Some(port) = probed {
                    let key = format!("{port}/tcp");
                    let listed = spec.expose.contains(&key)
                        || spec
                            .ports
                            .iter()
                            .any(|p| p.container_port == port && p.protocol == "tcp");
                    if !listed {
                        spec.expose.push(key);
                    }
                }
            }
            binds.extend(
                sp.container
                    .mounts
                    .iter()
                    // The engine's socket is its own host's, wherever the engine runs.
                    .filter(|m| {
                        m.kind == MountKind::Bind && m.source.as_deref() != Some(API_SOCKET)
                    })
                    .map(|m| LocalBind {
                        service: sp.name.clone(),
                        source: m.source.clone().unwrap_or_default(),
                        target: m.target.clone(),
                    }),
            );
        }
        binds
    }
}

/// Turns the bind mounts that carry a secret or config into files copied in.
fn copy_instead_of_binding(spec: &mut ContainerSpec) {
    let mut kept = Vec::with_capacity(spec.mounts.len());
    for m in std::mem::take(&mut spec.mounts) {
        match (&m.carries, &m.source, m.kind) {
            (Some(what), Some(source), MountKind::Bind) => spec.files.push(FileCopy {
                target: m.target.clone(),
                what: what.clone(),
                content: FileContent::HostFile(source.into()),
                mode: 0o444,
                uid: 0,
                gid: 0,
            }),
            _ => kept.push(m),
        }
    }
    spec.mounts = kept;
}

#[cfg(test)]
mod tests {
    use crate::plan::{FileContent, MountKind, ReadyCheck, StackPlan};

    fn plan_of(yaml: &str) -> (tempfile::TempDir, StackPlan) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("token.txt"), "s3cret").unwrap();
        let plan = crate::plan::plan_in(dir.path(), yaml);
        (dir, plan)
    }

    #[test]
    fn file_secrets_are_copied_in_and_other_binds_are_reported() {
        let (dir, mut plan) = plan_of(
            "services:\n  app:\n    image: alpine\n    secrets: [token]\n    configs: [{source: settings, target: /etc/app.conf}]\n    volumes: [./data:/data, cache:/cache]\nsecrets:\n  token:\n    file: ./token.txt\nconfigs:\n  settings:\n    file: ./token.txt\nvolumes:\n  cache: {}\n",
        );
        let app = &plan.services["app"].container;
        assert_eq!(
            app.mounts
                .iter()
                .filter(|m| m.kind == MountKind::Bind)
                .count(),
            3,
            "locally the secret, the config and the folder are bind mounts"
        );
        let binds = plan.for_remote_engine();
        let app = &plan.services["app"].container;
        assert_eq!(binds.len(), 1, "{binds:?}");
        assert_eq!(binds[0].service, "app");
        assert_eq!(binds[0].target, "/data");
        assert!(binds[0].source.ends_with("data"), "{binds:?}");
        let copied: Vec<(&str, &str)> = app
            .files
            .iter()
            .map(|f| (f.target.as_str(), f.what.as_str()))
            .collect();
        assert_eq!(
            copied,
            [
                ("/run/secrets/token", "secret \"token\""),
                ("/etc/app.conf", "config \"settings\"")
            ]
        );
        assert_eq!(
            app.files[0].content,
            FileContent::HostFile(dir.path().join("token.txt"))
        );
        assert!(app.mounts.iter().any(|m| m.kind == MountKind::Volume));
        assert!(app.publish_all);
    }

    #[test]
    fn the_port_a_probe_connects_to_is_published() {
        let (_dir, mut plan) = plan_of(
            "services:\n  api:\n    image: alpine\n    expose: ['9000']\n  web:\n    image: alpine\n    ports: ['8080']\n",
        );
        plan.services.get_mut("api").unwrap().ready = Some(ReadyCheck::Tcp(8080));
        plan.services.get_mut("web").unwrap().ready = Some(ReadyCheck::Http {
            port: 8080,
            path: "/".into(),
            status: None,
        });
        assert!(plan.for_remote_engine().is_empty());
        assert_eq!(
            plan.services["api"].container.expose,
            ["9000/tcp", "8080/tcp"]
        );
        assert!(plan.services["web"].container.expose.is_empty());
    }
}
