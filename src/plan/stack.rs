//! The stack plan: what a run creates on the engine, as plain data derived from the project.
//!
//! Nothing here talks to Docker, so naming, labels, aliases and port rewriting are tested
//! without an engine. The executor in `run` carries the plan out and makes no decisions.

use std::collections::BTreeMap;
use std::fmt;

use indexmap::IndexMap;
use sha2::{Digest, Sha256};

use crate::compose::{DependsOn, Port, Project, Service, ServiceVolume, VolumeKind};
use crate::engine::labels;

/// Who owns a run: written into every resource's labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunIdentity {
    /// Short unique id, also the suffix of the project name.
    pub id: String,
    pub owner_pid: u32,
    pub owner_host: String,
    /// The owner's start time in clock ticks since boot (see `cleanup::owner`).
    pub owner_start: Option<u64>,
    /// The stack outlives its owner on purpose; only `dockhand down` removes it.
    pub keep: bool,
}

impl RunIdentity {
    /// A fresh identity for a run started by this process.
    pub fn new() -> Self {
        let id = uuid::Uuid::new_v4().simple().to_string()[..8].to_string();
        RunIdentity {
            id,
            owner_pid: std::process::id(),
            owner_host: crate::cleanup::owner::this_host(),
            owner_start: crate::cleanup::owner::start_time(std::process::id()),
            keep: false,
        }
    }

    /// The labels that tie a resource to this run.
    pub fn labels(&self, project: &str) -> BTreeMap<String, String> {
        let mut labels = BTreeMap::from([
            (labels::PROJECT.to_string(), project.to_string()),
            (labels::RUN.to_string(), self.id.clone()),
            (labels::OWNER_PID.to_string(), self.owner_pid.to_string()),
            (labels::OWNER_HOST.to_string(), self.owner_host.clone()),
            (labels::MANAGED.to_string(), "true".to_string()),
        ]);
        if let Some(start) = self.owner_start {
            labels.insert(labels::OWNER_START.to_string(), start.to_string());
        }
        if self.keep {
            labels.insert(labels::KEEP.to_string(), "true".to_string());
        }
        labels
    }
}

impl Default for RunIdentity {
    fn default() -> Self {
        RunIdentity::new()
    }
}

/// Choices that shape the plan beyond the compose file.
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    /// Services to bring up; empty means all services of the project.
    pub services: Vec<String>,
    /// Keep the host ports written in the file instead of ephemeral ones.
    pub keep_host_ports: bool,
    /// Publish every exposed port of each started service on an ephemeral host port, so the
    /// host can reach it (the library's `Stack::endpoint`).
    pub publish_all: bool,
    /// The exact tag for images built from `build:` (commit hash, build number).
    pub tag: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NetworkSpec {
    pub key: String,
    pub name: String,
    pub driver: Option<String>,
    pub driver_opts: BTreeMap<String, String>,
    pub internal: bool,
    pub attachable: bool,
    pub external: bool,
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VolumeSpec {
    pub key: String,
    pub name: String,
    pub driver: Option<String>,
    pub driver_opts: BTreeMap<String, String>,
    pub external: bool,
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BuildSpec {
    pub context: std::path::PathBuf,
    pub dockerfile: Option<String>,
    pub dockerfile_inline: Option<String>,
    pub args: BTreeMap<String, String>,
    pub target: Option<String>,
    pub labels: BTreeMap<String, String>,
}

/// A network the container joins, by engine name, with its aliases there.
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    pub network: String,
    pub aliases: Vec<String>,
    pub ipv4_address: Option<String>,
}

/// One container to create: everything the engine needs, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct ContainerSpec {
    pub name: String,
    pub service: String,
    pub image: String,
    pub command: Option<Vec<String>>,
    /// `KEY=VALUE` pairs.
    pub env: Vec<String>,
    pub labels: BTreeMap<String, String>,
    pub endpoints: Vec<Endpoint>,
    /// Volumes with named-volume sources turned into engine names.
    pub mounts: Vec<ServiceVolume>,
    pub ports: Vec<Port>,
    pub publish_all: bool,
    /// `network_mode` for the engine: `service:NAME` turned into `container:<its container>`.
    pub network_mode: Option<String>,
    /// The service as the file describes it, for the remaining settings.
    pub config: Service,
}

/// One service of the plan: how to get its image and how to run it.
#[derive(Debug, Clone, PartialEq)]
pub struct ServicePlan {
    pub name: String,
    pub build: Option<BuildSpec>,
    /// Whether the image tag was chosen explicitly (`--tag` or a tag in `image:`).
    pub tag_is_explicit: bool,
    pub container: ContainerSpec,
    pub depends_on: IndexMap<String, DependsOn>,
}

/// Everything a run creates.
#[derive(Debug, Clone, PartialEq)]
pub struct StackPlan {
    /// The project name on the engine: the file's name plus the run's suffix.
    pub project: String,
    /// The project name as the file gives it.
    pub base_project: String,
    pub run: RunIdentity,
    pub networks: Vec<NetworkSpec>,
    pub volumes: Vec<VolumeSpec>,
    /// Services to start, in the project's order.
    pub services: IndexMap<String, ServicePlan>,
}

/// Compose's project-name rule: lowercase letters, digits, dashes and underscores.
pub fn normalize_project_name(name: &str) -> String {
    let s: String = name
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-' || *c == '_')
        .collect();
    let s = s.trim_start_matches(['-', '_']).to_string();
    if s.is_empty() { "dockhand".into() } else { s }
}

/// The image a service runs: its `image:` (with `tag` replacing the tag of built images),
/// or `<project>-<service>` for a build without `image:`.
pub fn image_reference(base_project: &str, service: &Service, tag: Option<&str>) -> (String, bool) {
    let built = service.build.is_some();
    let (repo, file_tag) = match &service.image {
        Some(image) => split_tag(image),
        None => (format!("{base_project}-{}", service.name), None),
    };
    match (tag.filter(|_| built), file_tag) {
        (Some(t), _) => (format!("{repo}:{t}"), true),
        (None, Some(t)) => (format!("{repo}:{t}"), t != "latest"),
        (None, None) => (format!("{repo}:latest"), false),
    }
}

/// Splits `repo[:tag][@digest]` into repo and tag, minding registry ports (`host:5000/x`).
pub fn split_tag(image: &str) -> (String, Option<String>) {
    let without_digest = image.split('@').next().unwrap_or(image);
    let last_slash = without_digest.rfind('/').map(|i| i + 1).unwrap_or(0);
    match without_digest[last_slash..].rfind(':') {
        Some(i) => {
            let at = last_slash + i;
            (
                without_digest[..at].to_string(),
                Some(without_digest[at + 1..].to_string()),
            )
        }
        None => (without_digest.to_string(), None),
    }
}

impl StackPlan {
    /// Derives the plan for `project` under a fresh run identity.
    pub fn new(project: &Project, run: RunIdentity, opts: &PlanOptions) -> StackPlan {
        let base = normalize_project_name(&project.name);
        let name = format!("{base}-{}", run.id);
        let run_labels = run.labels(&name);

        let selected: Vec<&Service> = if opts.services.is_empty() {
            project.services.values().collect()
        } else {
            project
                .services
                .values()
                .filter(|s| opts.services.contains(&s.name))
                .collect()
        };

        let mut networks = Vec::new();
        for (key, net) in &project.networks {
            let used = selected.iter().any(|s| s.networks.contains_key(key));
            if !used {
                continue;
            }
            let mut labels = run_labels.clone();
            labels.insert(labels::NETWORK.into(), key.clone());
            labels.extend(net.labels.iter().map(|(k, v)| (k.clone(), v.clone())));
            let engine_name = match (&net.name, net.external) {
                (Some(n), _) => n.clone(),
                (None, true) => key.clone(),
                (None, false) => format!("{name}_{key}"),
            };
            networks.push(NetworkSpec {
                key: key.clone(),
                name: engine_name,
                driver: net.driver.clone(),
                driver_opts: net
                    .driver_opts
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
                internal: net.internal,
                attachable: net.attachable,
                external: net.external,
                labels,
            });
        }

        let mut volumes = Vec::new();
        for (key, vol) in &project.volumes {
            let used = selected.iter().any(|s| {
                s.volumes
                    .iter()
                    .any(|m| m.kind == VolumeKind::Volume && m.source.as_deref() == Some(key))
            });
            if !used {
                continue;
            }
            let mut labels = run_labels.clone();
            labels.insert(labels::VOLUME.into(), key.clone());
            labels.extend(vol.labels.iter().map(|(k, v)| (k.clone(), v.clone())));
            // A `name:` is unique to the run unless the volume is external: two runs at once
            // must not share state.
            let engine_name = match (&vol.name, vol.external) {
                (Some(n), true) => n.clone(),
                (None, true) => key.clone(),
                (Some(n), false) => format!("{n}-{}", run.id),
                (None, false) => format!("{name}_{key}"),
            };
            volumes.push(VolumeSpec {
                key: key.clone(),
                name: engine_name,
                driver: vol.driver.clone(),
                driver_opts: vol
                    .driver_opts
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
                external: vol.external,
                labels,
            });
        }

        // `links: [db:database]` on any service makes `database` an alias of db.
        let mut link_aliases: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for s in project.services.values() {
            for link in &s.links {
                let (target, alias) = link.split_once(':').unwrap_or((link, link));
                link_aliases
                    .entry(target.to_string())
                    .or_default()
                    .push(alias.to_string());
            }
        }

        let mut services = IndexMap::new();
        for s in &selected {
            let plan = plan_service(
                project,
                s,
                &base,
                &name,
                &run_labels,
                &networks,
                &volumes,
                &link_aliases,
                &run,
                opts,
            );
            services.insert(s.name.clone(), plan);
        }

        StackPlan {
            project: name,
            base_project: base,
            run,
            networks,
            volumes,
            services,
        }
    }

    /// The labels that mark a resource as this run's.
    pub fn run_labels(&self) -> BTreeMap<String, String> {
        self.run.labels(&self.project)
    }

    /// A one-off container of `service` running `command` (None: the service's own command)
    /// with `extra_env` added over the service's environment.
    pub fn one_off(
        &self,
        service: &str,
        command: Option<Vec<String>>,
        extra_env: &[(String, String)],
    ) -> Option<ContainerSpec> {
        let base = self.services.get(service)?;
        let mut spec = base.container.clone();
        spec.name = format!(
            "{}-{}-run-{}",
            self.project,
            service,
            &uuid::Uuid::new_v4().simple().to_string()[..6]
        );
        if command.is_some() {
            spec.command = command;
        }
        for (k, v) in extra_env {
            spec.env
                .retain(|e| e.split_once('=').map(|(ek, _)| ek) != Some(k.as_str()));
            spec.env.push(format!("{k}={v}"));
        }
        spec.labels.insert(labels::ONEOFF.into(), "True".into());
        spec.labels.remove(labels::CONTAINER_NUMBER);
        // A one-off container answers to its own name only; the service's aliases stay with it.
        for ep in &mut spec.endpoints {
            ep.aliases.clear();
        }
        spec.publish_all = false;
        spec.ports.clear();
        Some(spec)
    }
}

#[allow(clippy::too_many_arguments)]
fn plan_service(
    project: &Project,
    s: &Service,
    base: &str,
    name: &str,
    run_labels: &BTreeMap<String, String>,
    networks: &[NetworkSpec],
    volumes: &[VolumeSpec],
    link_aliases: &BTreeMap<String, Vec<String>>,
    run: &RunIdentity,
    opts: &PlanOptions,
) -> ServicePlan {
    let (image, tag_is_explicit) = image_reference(base, s, opts.tag.as_deref());

    let mut labels = run_labels.clone();
    labels.extend(s.labels.iter().map(|(k, v)| (k.clone(), v.clone())));
    labels.insert(labels::SERVICE.into(), s.name.clone());
    labels.insert(labels::ONEOFF.into(), "False".into());
    labels.insert(labels::CONTAINER_NUMBER.into(), "1".into());
    labels.insert(labels::CONFIG_HASH.into(), config_hash(s));

    let mut endpoints = Vec::new();
    for (key, sn) in &s.networks {
        let Some(net) = networks.iter().find(|n| &n.key == key) else {
            continue;
        };
        let mut aliases = vec![s.name.clone()];
        aliases.extend(sn.aliases.iter().cloned());
        if let Some(extra) = link_aliases.get(&s.name) {
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
        });
    }

    let mut mounts: Vec<ServiceVolume> = s
        .volumes
        .iter()
        .map(|m| {
            let mut m = m.clone();
            if m.kind == VolumeKind::Volume
                && let Some(v) = volumes.iter().find(|v| Some(&v.key) == m.source.as_ref())
            {
                m.source = Some(v.name.clone());
            }
            m
        })
        .collect();
    mounts.extend(file_mounts(project, s));

    // `network_mode: service:x` shares x's network stack, so x starts first.
    let mut depends_on = s.depends_on.clone();
    let network_mode = match s
        .network_mode
        .as_deref()
        .and_then(|m| m.strip_prefix("service:"))
    {
        Some(other) => {
            depends_on.entry(other.to_string()).or_default();
            let other_name = match project
                .services
                .get(other)
                .and_then(|o| o.container_name.as_ref())
            {
                Some(cn) => format!("{cn}-{}", run.id),
                None => format!("{name}-{other}-1"),
            };
            Some(format!("container:{other_name}"))
        }
        None => s.network_mode.clone(),
    };

    let ports = s
        .ports
        .iter()
        .map(|p| {
            let mut p = p.clone();
            if !opts.keep_host_ports {
                p.published = None;
            }
            p
        })
        .collect();

    let env = s
        .environment
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={v}")))
        .collect();

    // A container_name is global on the engine: give it the run's suffix so runs never collide.
    let container_name = match &s.container_name {
        Some(cn) => format!("{cn}-{}", run.id),
        None => format!("{name}-{}-1", s.name),
    };

    let build = s.build.as_ref().map(|b| {
        let mut blabels: BTreeMap<String, String> = b
            .labels
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        blabels.insert(labels::PROJECT.into(), base.to_string());
        blabels.insert(labels::SERVICE.into(), s.name.clone());
        blabels.insert(labels::MANAGED.into(), "true".into());
        BuildSpec {
            context: b.context.clone(),
            dockerfile: b.dockerfile.clone(),
            dockerfile_inline: b.dockerfile_inline.clone(),
            args: b
                .args
                .iter()
                .filter_map(|(k, v)| v.as_ref().map(|v| (k.clone(), v.clone())))
                .collect(),
            target: b.target.clone(),
            labels: blabels,
        }
    });

    ServicePlan {
        name: s.name.clone(),
        build,
        tag_is_explicit,
        depends_on,
        container: ContainerSpec {
            name: container_name,
            service: s.name.clone(),
            image,
            command: s.command.clone(),
            env,
            labels,
            endpoints,
            mounts,
            ports,
            publish_all: opts.publish_all,
            network_mode,
            config: s.clone(),
        },
    }
}

/// File-backed secrets and configs as read-only bind mounts, where docker compose puts them:
/// secrets under `/run/secrets/`, configs at `/<name>`, unless a target is given. Secrets and
/// configs from an environment variable or inline content have no file to mount; the loader
/// warns about them.
fn file_mounts(project: &Project, s: &Service) -> Vec<ServiceVolume> {
    let secrets = s.secrets.iter().filter_map(|r| {
        let file = project.secrets.get(&r.source)?.file.as_ref()?;
        let target = match &r.target {
            Some(t) if t.starts_with('/') => t.clone(),
            Some(t) => format!("/run/secrets/{t}"),
            None => format!("/run/secrets/{}", r.source),
        };
        Some((file, target))
    });
    let configs = s.configs.iter().filter_map(|r| {
        let file = project.configs.get(&r.source)?.file.as_ref()?;
        let target = r.target.clone().unwrap_or_else(|| format!("/{}", r.source));
        Some((file, target))
    });
    secrets
        .chain(configs)
        .map(|(file, target)| ServiceVolume {
            source: Some(file.display().to_string()),
            read_only: true,
            bind_create_host_path: Some(false),
            ..ServiceVolume::new(VolumeKind::Bind, target)
        })
        .collect()
}

/// A stable hash of the service's resolved configuration (compose's config-hash label).
fn config_hash(s: &Service) -> String {
    let text = serde_json::to_string(s).unwrap_or_default();
    hex::encode(Sha256::digest(format!("{}{text}", s.name).as_bytes()))
}

impl fmt::Display for StackPlan {
    /// The plan as text: one line an operation, in the order they run.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "project {} (run {})", self.project, self.run.id)?;
        for n in &self.networks {
            let verb = if n.external {
                "use network"
            } else {
                "create network"
            };
            writeln!(f, "{verb} {}", n.name)?;
        }
        for v in &self.volumes {
            let verb = if v.external {
                "use volume"
            } else {
                "create volume"
            };
            writeln!(f, "{verb} {}", v.name)?;
        }
        for s in self.services.values() {
            if s.build.is_some() {
                writeln!(f, "build {} for {}", s.container.image, s.name)?;
            }
            let deps: Vec<&str> = s.depends_on.keys().map(String::as_str).collect();
            if deps.is_empty() {
                writeln!(f, "start {} ({})", s.container.name, s.container.image)?;
            } else {
                writeln!(
                    f,
                    "start {} ({}) after {}",
                    s.container.name,
                    s.container.image,
                    deps.join(", ")
                )?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::compose::{LoadOptions, load_from_str};

    fn project(yaml: &str) -> Project {
        let opts = LoadOptions {
            working_dir: Some("/work/app".into()),
            environment: Some(HashMap::new()),
            ..Default::default()
        };
        load_from_str("compose.yml", yaml, &opts).expect("valid compose file")
    }

    fn run() -> RunIdentity {
        RunIdentity {
            id: "abcd1234".into(),
            owner_pid: 42,
            owner_host: "ci-7".into(),
            owner_start: Some(99),
            keep: false,
        }
    }

    const STACK: &str = r#"
name: shop
services:
  app:
    build: .
    depends_on: [db]
    links: ["db:database"]
    environment:
      FROM_FILE: "1"
      UNSET:
  db:
    image: postgres:15
    container_name: the-db
    ports: ["5432:5432", "127.0.0.1:8080:80/udp"]
    volumes: ["data:/var/lib/postgresql/data"]
    networks:
      back:
        aliases: [pg]
networks:
  back:
  unused:
volumes:
  data:
"#;

    #[test]
    fn names_carry_the_run_suffix() {
        let plan = StackPlan::new(&project(STACK), run(), &PlanOptions::default());
        assert_eq!(plan.project, "shop-abcd1234");
        assert_eq!(plan.base_project, "shop");
        assert_eq!(plan.services["app"].container.name, "shop-abcd1234-app-1");
        // A container_name is global: the run's suffix keeps parallel runs apart.
        assert_eq!(plan.services["db"].container.name, "the-db-abcd1234");
        let nets: Vec<&str> = plan.networks.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(nets, ["shop-abcd1234_back", "shop-abcd1234_default"]);
        assert_eq!(plan.volumes[0].name, "shop-abcd1234_data");
        assert_eq!(
            plan.services["db"].container.mounts[0].source.as_deref(),
            Some("shop-abcd1234_data")
        );
    }

    #[test]
    fn every_resource_carries_compose_and_run_labels() {
        let plan = StackPlan::new(&project(STACK), run(), &PlanOptions::default());
        let l = &plan.services["db"].container.labels;
        assert_eq!(l[labels::PROJECT], "shop-abcd1234");
        assert_eq!(l[labels::SERVICE], "db");
        assert_eq!(l[labels::ONEOFF], "False");
        assert_eq!(l[labels::CONTAINER_NUMBER], "1");
        assert_eq!(l[labels::CONFIG_HASH].len(), 64);
        assert_eq!(l[labels::RUN], "abcd1234");
        assert_eq!(l[labels::OWNER_PID], "42");
        assert_eq!(l[labels::OWNER_START], "99");
        assert_eq!(l[labels::OWNER_HOST], "ci-7");
        assert!(!l.contains_key(labels::KEEP));
        for n in &plan.networks {
            assert_eq!(n.labels[labels::RUN], "abcd1234");
            assert_eq!(n.labels[labels::NETWORK], n.key);
        }
        assert_eq!(plan.volumes[0].labels[labels::VOLUME], "data");
    }

    #[test]
    fn aliases_come_from_service_names_links_and_the_file() {
        let plan = StackPlan::new(&project(STACK), run(), &PlanOptions::default());
        let db = &plan.services["db"].container;
        assert_eq!(db.endpoints.len(), 1);
        assert_eq!(db.endpoints[0].network, "shop-abcd1234_back");
        assert_eq!(db.endpoints[0].aliases, ["db", "pg", "database", "the-db"]);
    }

    #[test]
    fn fixed_host_ports_become_ephemeral_unless_kept() {
        let plan = StackPlan::new(&project(STACK), run(), &PlanOptions::default());
        let ports = &plan.services["db"].container.ports;
        assert!(ports.iter().all(|p| p.published.is_none()), "{ports:?}");
        assert_eq!(ports[1].host_ip.as_deref(), Some("127.0.0.1"));
        assert_eq!(ports[1].protocol, "udp");
        let kept = StackPlan::new(
            &project(STACK),
            run(),
            &PlanOptions {
                keep_host_ports: true,
                ..Default::default()
            },
        );
        assert_eq!(
            kept.services["db"].container.ports[0].published.as_deref(),
            Some("5432")
        );
    }

    #[test]
    fn only_selected_services_and_what_they_use() {
        let opts = PlanOptions {
            services: vec!["app".into()],
            ..Default::default()
        };
        let plan = StackPlan::new(&project(STACK), run(), &opts);
        assert_eq!(plan.services.keys().collect::<Vec<_>>(), ["app"]);
        assert_eq!(plan.networks.len(), 1);
        assert_eq!(plan.networks[0].key, "default");
        assert!(plan.volumes.is_empty());
    }

    #[test]
    fn environment_leaves_out_unset_bare_keys() {
        let plan = StackPlan::new(&project(STACK), run(), &PlanOptions::default());
        assert_eq!(plan.services["app"].container.env, ["FROM_FILE=1"]);
    }

    #[test]
    fn image_tags() {
        let p = project(STACK);
        let app = &p.services["app"];
        let db = &p.services["db"];
        assert_eq!(
            image_reference("shop", app, None),
            ("shop-app:latest".into(), false)
        );
        assert_eq!(
            image_reference("shop", app, Some("9f1c2e")),
            ("shop-app:9f1c2e".into(), true)
        );
        // --tag applies to built images only; a pulled image keeps its own tag.
        assert_eq!(
            image_reference("shop", db, Some("9f1c2e")),
            ("postgres:15".into(), true)
        );
        assert_eq!(
            split_tag("registry:5000/team/app"),
            ("registry:5000/team/app".into(), None)
        );
        assert_eq!(
            split_tag("registry:5000/app:1.2"),
            ("registry:5000/app".into(), Some("1.2".into()))
        );
        assert_eq!(split_tag("app@sha256:abc"), ("app".into(), None));
    }

    #[test]
    fn project_names_are_normalized_like_compose() {
        assert_eq!(normalize_project_name("My App.v2"), "myappv2");
        assert_eq!(normalize_project_name("__x"), "x");
        assert_eq!(normalize_project_name("!!!"), "dockhand");
    }

    #[test]
    fn one_off_containers_run_the_given_command_with_overrides() {
        let plan = StackPlan::new(&project(STACK), run(), &PlanOptions::default());
        let spec = plan
            .one_off(
                "app",
                Some(vec!["/test.sh".into()]),
                &[("FROM_FILE".into(), "2".into()), ("X".into(), "y".into())],
            )
            .unwrap();
        assert!(spec.name.starts_with("shop-abcd1234-app-run-"));
        assert_eq!(spec.command, Some(vec!["/test.sh".to_string()]));
        assert_eq!(spec.env, ["FROM_FILE=2", "X=y"]);
        assert_eq!(spec.labels[labels::ONEOFF], "True");
        assert!(spec.endpoints.iter().all(|e| e.aliases.is_empty()));
        assert!(plan.one_off("nope", None, &[]).is_none());
    }

    #[test]
    fn plan_renders_as_text() {
        let plan = StackPlan::new(&project(STACK), run(), &PlanOptions::default());
        let text = plan.to_string();
        assert!(text.contains("create network shop-abcd1234_back"), "{text}");
        assert!(text.contains("create volume shop-abcd1234_data"), "{text}");
        assert!(text.contains("build shop-app:latest for app"), "{text}");
        assert!(
            text.contains("start shop-abcd1234-app-1 (shop-app:latest) after db"),
            "{text}"
        );
    }

    #[test]
    fn network_mode_service_names_the_container_and_orders_the_start() {
        let p = project(
            "services:\n  app:\n    image: a\n    network_mode: service:db\n  db:\n    image: b\n",
        );
        let plan = StackPlan::new(&p, run(), &PlanOptions::default());
        let app = &plan.services["app"];
        assert_eq!(
            app.container.network_mode.as_deref(),
            Some("container:app-abcd1234-db-1")
        );
        assert!(app.depends_on.contains_key("db"));
        assert!(app.container.endpoints.is_empty());
        let deps = crate::plan::graph::Graph::of_services(&p).closure(["app"]);
        assert_eq!(deps.into_iter().collect::<Vec<_>>(), ["db"]);
    }

    #[test]
    fn file_secrets_and_configs_become_read_only_binds() {
        let p = project(
            "services:\n  app:\n    image: a\n    secrets: [pw, {source: pw, target: /etc/pw}]\n    configs: [conf]\nsecrets:\n  pw:\n    file: ./pw.txt\nconfigs:\n  conf:\n    file: ./app.conf\n",
        );
        let plan = StackPlan::new(&p, run(), &PlanOptions::default());
        let mounts: Vec<(String, String, bool)> = plan.services["app"]
            .container
            .mounts
            .iter()
            .map(|m| (m.source.clone().unwrap(), m.target.clone(), m.read_only))
            .collect();
        assert_eq!(
            mounts,
            [
                ("/work/app/pw.txt".into(), "/run/secrets/pw".into(), true),
                ("/work/app/pw.txt".into(), "/etc/pw".into(), true),
                ("/work/app/app.conf".into(), "/conf".into(), true),
            ]
        );
    }
}
