//! The stack plan: what a run creates on the engine, as plain data derived from the project.
//!
//! Nothing here talks to Docker, so naming, labels, aliases, waits and port rewriting are
//! tested without an engine. The executor in `run` carries the plan out and makes no decisions.

use indexmap::IndexMap;

use super::identity::RunIdentity;
use super::naming::{network_name, one_off_name, volume_name};
use super::reuse;
use super::service::{Context, link_aliases, plan_service};
use super::spec::{ContainerSpec, IpamPool, NetworkSpec, Networking, StackPlan, VolumeSpec};
use crate::compose::graph::Graph;
use crate::compose::{Project, Service, VolumeKind};
use crate::labels;

/// Choices that shape the plan beyond the compose file.
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    /// Exactly the services to plan (see [`with_dependencies`]); empty means all services.
    pub services: Vec<String>,
    /// Keep the host ports written in the file instead of ephemeral ones.
    pub keep_host_ports: bool,
    /// Publish every exposed port of each started service on an ephemeral host port, so the
    /// host can reach it (the library's `Stack::endpoint`).
    pub publish_all: bool,
    /// The exact tag for images built from `build:` (commit hash, build number).
    pub tag: Option<String>,
}

/// `roots` and every service they need started first (`depends_on`, `links`,
/// `network_mode: service:x`), transitively, in the project's order. Empty roots: every service.
pub fn with_dependencies(project: &Project, roots: &[String]) -> Vec<String> {
    if roots.is_empty() {
        return project.services.keys().cloned().collect();
    }
    let needed = Graph::of_project(project).closure(roots.iter().map(String::as_str));
    project
        .services
        .keys()
        .filter(|s| roots.contains(s) || needed.contains(*s))
        .cloned()
        .collect()
}

impl StackPlan {
    /// Derives the plan for `project` under the run identity `run`.
    pub fn new(project: &Project, run: RunIdentity, opts: &PlanOptions) -> StackPlan {
        let base = project.name.clone();
        let name = format!("{base}-{}", run.id);
        let run_labels = run.labels(&name);

        let selected: Vec<String> = if opts.services.is_empty() {
            project.services.keys().cloned().collect()
        } else {
            project
                .services
                .keys()
                .filter(|s| opts.services.contains(s))
                .cloned()
                .collect()
        };
        let services_of: Vec<&Service> = selected.iter().map(|s| &project.services[s]).collect();

        let networks: Vec<NetworkSpec> = project
            .networks
            .iter()
            .filter(|(key, _)| services_of.iter().any(|s| s.networks.contains_key(*key)))
            .map(|(key, net)| {
                let mut labels = run_labels.clone();
                labels.insert(labels::VERSION.into(), labels::COMPOSE_VERSION.into());
                labels.insert(labels::NETWORK.into(), key.clone());
                labels.extend(net.labels.iter().map(|(k, v)| (k.clone(), v.clone())));
                NetworkSpec {
                    key: key.clone(),
                    name: network_name(&name, key, net.name.as_deref(), net.external),
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
                    enable_ipv6: net.enable_ipv6,
                    ipam: net
                        .subnets
                        .iter()
                        .map(|subnet| IpamPool {
                            subnet: subnet.clone(),
                            ..IpamPool::default()
                        })
                        .collect(),
                }
            })
            .collect();

        let volumes: Vec<VolumeSpec> = project
            .volumes
            .iter()
            .filter(|(key, _)| {
                services_of.iter().any(|s| {
                    s.volumes.iter().any(|m| {
                        m.kind == VolumeKind::Volume && m.source.as_deref() == Some(key.as_str())
                    })
                })
            })
            .map(|(key, vol)| {
                let mut labels = run_labels.clone();
                labels.insert(labels::VERSION.into(), labels::COMPOSE_VERSION.into());
                labels.insert(labels::VOLUME.into(), key.clone());
                labels.extend(vol.labels.iter().map(|(k, v)| (k.clone(), v.clone())));
                VolumeSpec {
                    key: key.clone(),
                    name: volume_name(&name, &run.id, key, vol.name.as_deref(), vol.external),
                    driver: vol.driver.clone(),
                    driver_opts: vol
                        .driver_opts
                        .iter()
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect(),
                    external: vol.external,
                    labels,
                }
            })
            .collect();

        // A reused stack's networks and volumes carry what they were made from, so a later
        // run sees a changed setting.
        let (mut networks, mut volumes) = (networks, volumes);
        if run.reuse.is_some() {
            for n in &mut networks {
                reuse::add_fingerprint(n, |n| &mut n.labels);
            }
            for v in &mut volumes {
                reuse::add_fingerprint(v, |v| &mut v.labels);
            }
        }
        let graph = Graph::of_project(project);
        let config_files: Vec<String> = project
            .files
            .iter()
            .map(|f| f.display().to_string())
            .collect();
        let project_labels = std::collections::BTreeMap::from([
            (labels::CONFIG_FILES.to_string(), config_files.join(",")),
            (
                labels::WORKING_DIR.to_string(),
                project.working_dir.display().to_string(),
            ),
            (
                labels::VERSION.to_string(),
                labels::COMPOSE_VERSION.to_string(),
            ),
        ]);
        let cx = Context {
            project,
            graph: &graph,
            base: &base,
            name: &name,
            run_id: &run.id,
            run_labels: &run_labels,
            project_labels: &project_labels,
            networks: &networks,
            volumes: &volumes,
            selected: &selected,
            link_aliases: link_aliases(project),
            keep_host_ports: opts.keep_host_ports,
            publish_all: opts.publish_all,
            tag: opts.tag.as_deref(),
        };
        let services: IndexMap<_, _> = services_of
            .iter()
            .map(|s| (s.name.clone(), plan_service(&cx, s)))
            .collect();
        let levels = graph.levels(&selected);

        StackPlan {
            project: name,
            base_project: base,
            run,
            networks,
            volumes,
            services,
            levels,
        }
    }

    /// The labels that mark a resource as this run's.
    pub fn run_labels(&self) -> std::collections::BTreeMap<String, String> {
        self.run.labels(&self.project)
    }

    /// A one-off container of `service` running `command` (None: the service's own command)
    /// with `extra_env` set over the service's environment (later wins).
    pub fn one_off(
        &self,
        service: &str,
        command: Option<Vec<String>>,
        extra_env: &[(String, String)],
    ) -> Option<ContainerSpec> {
        let base = self.services.get(service)?;
        let mut spec = base.container.clone();
        spec.name = one_off_name(&self.project, service);
        if command.is_some() {
            spec.command = command;
        }
        for (k, v) in extra_env {
            spec.env.shift_remove(k);
            spec.env.insert(k.clone(), v.clone());
        }
        spec.labels.insert(labels::ONEOFF.into(), "True".into());
        spec.labels.remove(labels::CONTAINER_NUMBER);
        // A one-off container answers to its own name only; the service's aliases stay with it.
        if let Networking::Networks(endpoints) = &mut spec.networking {
            for ep in endpoints {
                ep.aliases.clear();
            }
        }
        spec.publish_all = false;
        spec.ports.clear();
        Some(spec)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::compose::{LoadOptions, load_from_str};
    use crate::plan::{Until, Wait};

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
            reuse: None,
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
    fn report_globs_to_collect_reach_the_plan() {
        let plan = StackPlan::new(
            &project(
                "services:\n  app:\n    image: app:1\n    x-dockhand:\n      collect: [/app/reports/*.xml]\n  db:\n    image: db:1\n",
            ),
            run(),
            &PlanOptions::default(),
        );
        assert_eq!(plan.services["app"].collect, ["/app/reports/*.xml"]);
        assert!(plan.services["db"].collect.is_empty());
    }

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
        let Networking::Networks(endpoints) = &plan.services["db"].container.networking else {
            panic!("db joins networks");
        };
        assert_eq!(endpoints.len(), 1);
        assert_eq!(endpoints[0].network, "shop-abcd1234_back");
        assert_eq!(endpoints[0].aliases, ["db", "pg", "database", "the-db"]);
    }

    #[test]
    fn fixed_host_ports_become_ephemeral_unless_kept() {
        let plan = StackPlan::new(&project(STACK), run(), &PlanOptions::default());
        let ports = &plan.services["db"].container.ports;
        assert!(ports.iter().all(|p| p.host_port.is_none()), "{ports:?}");
        // Turned ephemeral by dockhand: its own choice of address (loopback on a local
        // engine), unless the file gives one.
        assert_eq!(ports[0].host_ip, None);
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
            kept.services["db"].container.ports[0].host_port.as_deref(),
            Some("5432")
        );
        // Kept as written: no address in the file is every interface, as compose binds it.
        assert_eq!(
            kept.services["db"].container.ports[0].host_ip.as_deref(),
            Some("")
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
        let env: Vec<(&str, &str)> = plan.services["app"]
            .container
            .env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(env, [("FROM_FILE", "1")]);
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
        let env: Vec<(&str, &str)> = spec
            .env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(env, [("FROM_FILE", "2"), ("X", "y")]);
        assert_eq!(spec.labels[labels::ONEOFF], "True");
        let Networking::Networks(endpoints) = &spec.networking else {
            panic!("the one-off joins the service's networks");
        };
        assert!(!endpoints.is_empty());
        assert!(endpoints.iter().all(|e| e.aliases.is_empty()));
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
            text.contains("level 1 (in parallel):\n  start the-db-abcd1234 (postgres:15); ready once healthy if its image has a healthcheck"),
            "{text}"
        );
        assert!(
            text.contains(
                "level 2 (in parallel):\n  start shop-abcd1234-app-1 (shop-app:latest) after db service_started;"
            ),
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
            app.container.networking,
            Networking::Mode("container:app-abcd1234-db-1".into())
        );
        assert_eq!(
            app.waits,
            [Wait {
                service: "db".into(),
                until: Until::Started
            }]
        );
        assert_eq!(with_dependencies(&p, &["app".into()]), ["app", "db"]);
        assert_eq!(
            plan.levels,
            [vec!["db".to_string()], vec!["app".to_string()]]
        );
    }

    #[test]
    fn links_start_the_linked_service_and_alias_it() {
        let p = project(
            "services:\n  app:\n    image: a\n    links: [cache:redis]\n  cache:\n    image: r\n  other:\n    image: o\n",
        );
        let wanted = with_dependencies(&p, &["app".into()]);
        assert_eq!(wanted, ["app", "cache"]);
        let plan = StackPlan::new(
            &p,
            run(),
            &PlanOptions {
                services: wanted,
                ..Default::default()
            },
        );
        assert_eq!(
            plan.services["app"].waits,
            [Wait {
                service: "cache".into(),
                until: Until::Started
            }]
        );
        let Networking::Networks(eps) = &plan.services["cache"].container.networking else {
            panic!("cache joins the default network");
        };
        assert_eq!(eps[0].aliases, ["cache", "redis"]);
        assert_eq!(
            plan.levels,
            [vec!["cache".to_string()], vec!["app".to_string()]]
        );
    }

    #[test]
    fn waits_carry_the_depends_on_condition_and_only_planned_services() {
        let p = project(
            "services:\n  app:\n    image: a\n    depends_on:\n      db: {condition: service_healthy}\n      seed: {condition: service_completed_successfully}\n  db:\n    image: p\n    healthcheck: {test: 'true'}\n  seed:\n    image: s\n",
        );
        let all = StackPlan::new(&p, run(), &PlanOptions::default());
        let waits: Vec<(&str, Until)> = all.services["app"]
            .waits
            .iter()
            .map(|w| (w.service.as_str(), w.until))
            .collect();
        assert_eq!(
            waits,
            [
                ("db", Until::Healthy),
                ("seed", Until::CompletedSuccessfully)
            ]
        );
        let part = StackPlan::new(
            &p,
            run(),
            &PlanOptions {
                services: vec!["app".into(), "db".into()],
                ..Default::default()
            },
        );
        assert_eq!(part.services["app"].waits.len(), 1);
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
