//! Checks the schema cannot make: references between services and to top-level resources,
//! `depends_on` cycles, profiles, service names.

use std::collections::{HashMap, HashSet};

use super::context::{Ctx, index, join};
use super::diagnostic::Pos;
use super::graph::{Graph, format_cycle};
use super::model::{Network, Project, VolumeKind};
use super::yaml::{Node, Value};

/// Names listed by a key written as a list of names or as a mapping, with positions and paths.
pub fn named_entries(node: &Node, path: &str) -> Vec<(String, Pos, String)> {
    match &node.value {
        Value::Seq(items) => items
            .iter()
            .enumerate()
            .filter_map(|(i, n)| n.str().map(|s| (s.to_string(), n.pos, index(path, i))))
            .collect(),
        Value::Map(entries) => entries
            .iter()
            .map(|(k, _)| (k.name.clone(), k.pos, join(path, &k.name)))
            .collect(),
        _ => Vec::new(),
    }
}

pub fn valid_service_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

fn valid_profile(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

impl Ctx {
    /// Reference checks over the loaded project; `raw` is the merged services mapping, for
    /// positions.
    pub fn validate(&mut self, project: &Project, raw: &Node, disabled: &HashSet<String>) {
        let known: Vec<&str> = project.services.keys().map(String::as_str).collect();
        let hint_known = || {
            format!(
                "known services: {}",
                if known.is_empty() {
                    "(none)".to_string()
                } else {
                    known.join(", ")
                }
            )
        };
        let mut container_names: HashMap<&str, &str> = HashMap::new();
        for (name, svc) in &project.services {
            let Some(cn) = svc.container_name.as_deref() else {
                continue;
            };
            if let Some(first) = container_names.insert(cn, name)
                && let Some(n) = raw.get(name).and_then(|n| n.get("container_name"))
            {
                self.error_hint(
                    n.pos,
                    &format!("services.{name}.container_name"),
                    format!("container name \"{cn}\" is already used by service \"{first}\""),
                    "container names must be unique; remove container_name from one of them",
                );
            }
        }
        for (name, svc) in &project.services {
            let Some(node) = raw.get(name) else { continue };
            let path = format!("services.{name}");
            for (p, prof) in svc.profiles.iter().enumerate() {
                if !valid_profile(prof) {
                    let pos = node
                        .get("profiles")
                        .and_then(|n| n.seq())
                        .and_then(|s| s.get(p))
                        .map(|n| n.pos)
                        .unwrap_or(node.pos);
                    self.error(
                        pos,
                        &index(&join(&path, "profiles"), p),
                        format!("invalid profile name \"{prof}\""),
                    );
                }
            }
            if let Some(deps) = node.get("depends_on") {
                for (dep, pos, p) in named_entries(deps, &join(&path, "depends_on")) {
                    let required = svc.depends_on.get(&dep).is_none_or(|d| d.required);
                    if project.services.contains_key(&dep) {
                        continue;
                    }
                    if disabled.contains(&dep) {
                        if required {
                            self.error_hint(
                                pos,
                                &p,
                                format!("service \"{name}\" depends on \"{dep}\", which is not enabled by the active profiles"),
                                "enable one of its profiles with --profile, or name the service explicitly",
                            );
                        }
                    } else if required {
                        self.error_hint(
                            pos,
                            &p,
                            format!("service \"{name}\" depends on undefined service \"{dep}\""),
                            hint_known(),
                        );
                    } else {
                        self.warn_once(format!("service \"{name}\" depends on undefined service \"{dep}\" (not required, ignored)"));
                    }
                }
            }
            if let Some(links) = node.get("links").and_then(Node::seq) {
                for (i, l) in links.iter().enumerate() {
                    let Some(s) = l.str() else { continue };
                    let target = s.split(':').next().unwrap_or(s);
                    let p = index(&join(&path, "links"), i);
                    if project.services.contains_key(target) {
                        continue;
                    }
                    if disabled.contains(target) {
                        self.error_hint(
                            l.pos,
                            &p,
                            format!("service \"{name}\" links to \"{target}\", which is not enabled by the active profiles"),
                            "enable one of its profiles with --profile, or name the service explicitly",
                        );
                    } else {
                        self.error_hint(
                            l.pos,
                            &p,
                            format!("service \"{name}\" links to undefined service \"{target}\""),
                            hint_known(),
                        );
                    }
                }
            }
            if let Some(mode) = &svc.network_mode
                && let Some(target) = mode.strip_prefix("service:")
                && let Some(n) = node.get("network_mode")
            {
                let p = join(&path, "network_mode");
                if !project.services.contains_key(target) {
                    self.error_hint(
                        n.pos,
                        &p,
                        format!("network_mode refers to undefined service \"{target}\""),
                        hint_known(),
                    );
                }
            }
            if let Some(nets) = node.get("networks") {
                for (net, pos, p) in named_entries(nets, &join(&path, "networks")) {
                    if !project.networks.contains_key(&net) && net != "default" {
                        self.error_hint(
                            pos,
                            &p,
                            format!("service \"{name}\" refers to undefined network \"{net}\""),
                            "declare it under the top-level `networks:` key".to_string(),
                        );
                    }
                }
            }
            if let Some(vols) = node.get("volumes").and_then(Node::seq) {
                for (i, (v, n)) in svc.volumes.iter().zip(vols.iter()).enumerate() {
                    if v.kind == VolumeKind::Volume
                        && let Some(src) = &v.source
                        && !project.volumes.contains_key(src)
                    {
                        self.error_hint(
                            n.pos,
                            &index(&join(&path, "volumes"), i),
                            format!("service \"{name}\" refers to undefined volume \"{src}\""),
                            "declare it under the top-level `volumes:` key, or write a path (./dir) for a bind mount",
                        );
                    }
                }
            }
            for (section, refs, declared) in [
                ("secrets", &svc.secrets, &project.secrets),
                ("configs", &svc.configs, &project.configs),
            ] {
                let nodes = node.get(section).and_then(Node::seq);
                for (i, r) in refs.iter().enumerate() {
                    if !declared.contains_key(&r.source) {
                        let pos = nodes
                            .and_then(|s| s.get(i))
                            .map(|n| n.pos)
                            .unwrap_or(node.pos);
                        self.error_hint(
                            pos,
                            &index(&join(&path, section), i),
                            format!(
                                "service \"{name}\" refers to undefined {} \"{}\"",
                                &section[..section.len() - 1],
                                r.source
                            ),
                            format!("declare it under the top-level `{section}:` key"),
                        );
                    }
                }
            }
        }
        if let Some(cycle) = Graph::of_project(project).find_cycle() {
            let first = cycle.first().cloned().unwrap_or_default();
            let second = cycle.get(1).cloned().unwrap_or_default();
            let (pos, p) = raw
                .get(&first)
                .and_then(|n| {
                    n.get("depends_on")
                        .and_then(|d| {
                            named_entries(d, &format!("services.{first}.depends_on"))
                                .into_iter()
                                .find(|(n, _, _)| *n == second)
                        })
                        .map(|(_, pos, p)| (pos, p))
                        .or(Some((n.pos, format!("services.{first}"))))
                })
                .unwrap_or((raw.pos, "services".to_string()));
            self.error_hint(
                pos,
                &p,
                format!("dependency cycle: {}", format_cycle(&cycle)),
                "remove one of the depends_on (or links) entries in the cycle",
            );
        }
    }

    /// Joins services that name no network to `default`, and declares `default` if used. A
    /// service run by a provider plugin joins none, as in compose.
    pub fn default_network(&mut self, project: &mut Project) {
        let mut used = false;
        for svc in project.services.values_mut() {
            if svc.networks.is_empty()
                && svc.network_mode.is_none()
                && !svc.unused.contains_key("provider")
            {
                svc.networks.insert("default".into(), Default::default());
            }
            used |= svc.networks.contains_key("default");
        }
        if used && !project.networks.contains_key("default") {
            project
                .networks
                .insert("default".into(), Network::default());
        }
    }
}
