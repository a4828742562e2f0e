//! dockhand's own settings, in a service's `x-dockhand` extension field, so docker compose still
//! accepts the same file: how dockhand decides the service is ready.
//!
//! ```yaml
//! services:
//!   db:
//!     x-dockhand:
//!       ready:
//!         tcp: 5432
//! ```

use super::context::{Ctx, join};
use super::model::Project;
use super::yaml::{Node, Value};

/// The extension field's name.
pub const FIELD: &str = "x-dockhand";

/// How dockhand decides a service is ready, overriding its healthcheck and the built-in probes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ready {
    /// Running is enough.
    None,
    /// The container port accepts a TCP connection.
    Tcp(u16),
    /// A GET of `path` on the container port answers `status`, or any 2xx when `None`.
    Http {
        port: u16,
        path: String,
        status: Option<u16>,
    },
    /// A line of the container's output matches this regular expression.
    Log(String),
    /// This command exits 0 inside the container.
    Exec(Vec<String>),
}

const STRATEGIES: &str = "none, tcp, http, log or exec";

impl Ctx {
    /// Reads each service's `x-dockhand`, reporting what is wrong with its position.
    pub fn read_dockhand(&mut self, project: &mut Project, raw_services: &Node) {
        for (name, service) in project.services.iter_mut() {
            let Some(ext) = raw_services.get(name).and_then(|n| n.get(FIELD)) else {
                continue;
            };
            let path = join(&format!("services.{name}"), FIELD);
            service.ready = self.read_extension(ext, &path);
        }
    }

    fn read_extension(&mut self, ext: &Node, path: &str) -> Option<Ready> {
        let Some(entries) = ext.map() else {
            self.error(
                ext.pos,
                path,
                format!("must be a mapping, not {}", ext.kind_name()),
            );
            return None;
        };
        let mut ready = None;
        for (key, value) in entries {
            let here = join(path, &key.name);
            match key.name.as_str() {
                "ready" => ready = self.read_ready(value, &here),
                other => self.error_hint(
                    key.pos,
                    &here,
                    format!("unknown key \"{other}\" in {FIELD}"),
                    "x-dockhand knows: ready",
                ),
            }
        }
        ready
    }

    fn read_ready(&mut self, node: &Node, path: &str) -> Option<Ready> {
        if node.str() == Some("none") {
            return Some(Ready::None);
        }
        let Some(entries) = node.map() else {
            self.error_hint(
                node.pos,
                path,
                format!(
                    "a readiness strategy must be `none` or a mapping, not {}",
                    node.kind_name()
                ),
                format!("use one of {STRATEGIES}"),
            );
            return None;
        };
        if entries.len() != 1 {
            let pos = entries.get(1).map_or(node.pos, |(k, _)| k.pos);
            let names: Vec<&str> = entries.iter().map(|(k, _)| k.name.as_str()).collect();
            self.error_hint(
                pos,
                path,
                format!(
                    "one readiness strategy per service, found {}",
                    names.join(", ")
                ),
                format!("keep one of {STRATEGIES}"),
            );
            return None;
        }
        let (key, value) = &entries[0];
        let here = join(path, &key.name);
        match key.name.as_str() {
            "tcp" => self.port(value, &here).map(Ready::Tcp),
            "http" => self.read_http(value, &here),
            "log" => {
                let Some(pattern) = value.str() else {
                    self.error(value.pos, &here, "must be a regular expression (a string)");
                    return None;
                };
                match regex::Regex::new(pattern) {
                    Ok(_) => Some(Ready::Log(pattern.to_string())),
                    Err(e) => {
                        let first = e.to_string();
                        let reason = first.lines().last().unwrap_or(&first).trim().to_string();
                        self.error(
                            value.pos,
                            &here,
                            format!("invalid regular expression: {reason}"),
                        );
                        None
                    }
                }
            }
            "exec" => {
                let words: Option<Vec<String>> = match &value.value {
                    Value::Seq(items) => items.iter().map(|n| n.str().map(String::from)).collect(),
                    Value::Scalar(s) => shell_words::split(s).ok(),
                    _ => None,
                };
                match words.filter(|w| !w.is_empty()) {
                    Some(w) => Some(Ready::Exec(w)),
                    None => {
                        self.error(
                            value.pos,
                            &here,
                            "must be a command: a list of words or a string",
                        );
                        None
                    }
                }
            }
            "none" => Some(Ready::None),
            other => {
                self.error_hint(
                    key.pos,
                    &here,
                    format!("unknown readiness strategy \"{other}\""),
                    format!("use one of {STRATEGIES}"),
                );
                None
            }
        }
    }

    fn read_http(&mut self, node: &Node, path: &str) -> Option<Ready> {
        let Some(entries) = node.map() else {
            self.error(
                node.pos,
                path,
                "must be a mapping with port, and optionally path and status",
            );
            return None;
        };
        let (mut port, mut http_path, mut status) = (None, "/".to_string(), None);
        let mut ok = true;
        for (key, value) in entries {
            let here = join(path, &key.name);
            match key.name.as_str() {
                "port" => port = self.port(value, &here),
                "path" => match value.str() {
                    Some(p) if p.starts_with('/') => http_path = p.to_string(),
                    _ => {
                        self.error(value.pos, &here, "must be a path starting with /");
                        ok = false;
                    }
                },
                "status" => match value.str().and_then(|s| s.parse::<u16>().ok()) {
                    Some(s) if (100..=599).contains(&s) => status = Some(s),
                    _ => {
                        self.error(value.pos, &here, "must be an HTTP status code (100 to 599)");
                        ok = false;
                    }
                },
                other => {
                    self.error_hint(
                        key.pos,
                        &here,
                        format!("unknown key \"{other}\""),
                        "http knows: port, path, status",
                    );
                    ok = false;
                }
            }
        }
        let Some(port) = port else {
            if ok {
                self.error(node.pos, path, "needs a port");
            }
            return None;
        };
        ok.then_some(Ready::Http {
            port,
            path: http_path,
            status,
        })
    }

    fn port(&mut self, node: &Node, path: &str) -> Option<u16> {
        match node.str().and_then(|s| s.parse::<u16>().ok()) {
            Some(p) if p > 0 => Some(p),
            _ => {
                self.error(
                    node.pos,
                    path,
                    format!(
                        "must be a port number (1 to 65535), not {}",
                        node.str()
                            .map_or_else(|| node.kind_name().to_string(), |s| format!("\"{s}\""))
                    ),
                );
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::compose::{LoadOptions, load_from_str};

    fn load(ext: &str) -> Result<Project, String> {
        let opts = LoadOptions {
            working_dir: Some("/work/app".into()),
            environment: Some(HashMap::new()),
            ..Default::default()
        };
        let text = format!("services:\n  db:\n    image: postgres\n    x-dockhand:\n{ext}");
        load_from_str("compose.yml", &text, &opts).map_err(|e| e.to_string())
    }

    #[test]
    fn every_strategy_reads() {
        let ready = |ext: &str| load(ext).unwrap().services["db"].ready.clone();
        assert_eq!(ready("      ready: none\n"), Some(Ready::None));
        assert_eq!(ready("      ready: {tcp: 5432}\n"), Some(Ready::Tcp(5432)));
        assert_eq!(
            ready("      ready:\n        http: {port: 8080, path: /health, status: 204}\n"),
            Some(Ready::Http {
                port: 8080,
                path: "/health".into(),
                status: Some(204)
            })
        );
        assert_eq!(
            ready("      ready:\n        http: {port: 8080}\n"),
            Some(Ready::Http {
                port: 8080,
                path: "/".into(),
                status: None
            })
        );
        assert_eq!(
            ready("      ready: {log: 'ready to accept connections'}\n"),
            Some(Ready::Log("ready to accept connections".into()))
        );
        assert_eq!(
            ready("      ready: {exec: [redis-cli, ping]}\n"),
            Some(Ready::Exec(vec!["redis-cli".into(), "ping".into()]))
        );
        assert_eq!(
            ready("      ready: {exec: 'pg_isready -U app'}\n"),
            Some(Ready::Exec(vec![
                "pg_isready".into(),
                "-U".into(),
                "app".into()
            ]))
        );
    }

    #[test]
    fn bad_input_names_the_place() {
        let e = load("      ready: {tcp: 5432, log: x}\n").unwrap_err();
        assert!(e.contains("compose.yml:5:"), "{e}");
        assert!(
            e.contains("one readiness strategy per service, found tcp, log"),
            "{e}"
        );
        let e = load("      ready: {tcp: db}\n").unwrap_err();
        assert!(
            e.contains(
                "services.db.x-dockhand.ready.tcp: must be a port number (1 to 65535), not \"db\""
            ),
            "{e}"
        );
        let e = load("      ready: {log: '(unclosed'}\n").unwrap_err();
        assert!(e.contains("invalid regular expression"), "{e}");
        let e = load("      ready: {grpc: 50051}\n").unwrap_err();
        assert!(e.contains("unknown readiness strategy \"grpc\""), "{e}");
        let e = load("      wait: {tcp: 1}\n").unwrap_err();
        assert!(e.contains("unknown key \"wait\" in x-dockhand"), "{e}");
        let e = load("      ready:\n        http: {path: /x}\n").unwrap_err();
        assert!(e.contains("needs a port"), "{e}");
    }

    #[test]
    fn config_shows_the_field_as_written() {
        let p = load("      ready: {tcp: 5432}\n").unwrap();
        let json = crate::compose::render_config(&p, crate::compose::ConfigFormat::Json);
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        // Scalars of extension fields print as the loader types them generally.
        let tcp = &v["services"]["db"]["x-dockhand"]["ready"]["tcp"];
        assert_eq!(tcp.to_string().trim_matches('"'), "5432", "{json}");
    }
}
