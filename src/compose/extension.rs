//! dockhand's own settings, in a service's `x-dockhand` extension field, so docker compose still
//! accepts the same file: how dockhand decides the service is ready, how a reused container is
//! reset, and which report files to collect from it.
//!
//! ```yaml
//! services:
//!   db:
//!     x-dockhand:
//!       ready:
//!         tcp: 5432
//!       reset: ["psql", "-U", "postgres", "-c", "DROP SCHEMA public CASCADE; CREATE SCHEMA public"]
//!   app:
//!     x-dockhand:
//!       collect: ["/app/reports/*.xml"]
//! ```

use super::context::{Ctx, join};
use super::model::Project;
pub use super::model::Ready;
use super::yaml::{Node, Value};

/// The extension field's name.
pub const FIELD: &str = "x-dockhand";

const STRATEGIES: &str = "none, tcp, http, log or exec";

impl Ctx {
    /// Reads each service's `x-dockhand`, reporting what is wrong with its position.
    pub fn read_dockhand(&mut self, project: &mut Project, raw_services: &Node) {
        for (name, service) in project.services.iter_mut() {
            let Some(ext) = raw_services.get(name).and_then(|n| n.get(FIELD)) else {
                continue;
            };
            let path = join(&format!("services.{name}"), FIELD);
            let Some(entries) = ext.map() else {
                self.error(
                    ext.pos,
                    &path,
                    format!("must be a mapping, not {}", ext.kind_name()),
                );
                continue;
            };
            for (key, value) in entries {
                let here = join(&path, &key.name);
                match key.name.as_str() {
                    "ready" => service.ready = self.read_ready(value, &here),
                    "reset" => service.reset = self.read_reset(value, &here),
                    "collect" => service.collect = self.read_collect(value, &here),
                    other => self.error_hint(
                        key.pos,
                        &here,
                        format!("unknown key \"{other}\" in {FIELD}"),
                        "x-dockhand knows: ready, reset, collect",
                    ),
                }
            }
        }
    }

    /// `reset`: one command (a string, run by `/bin/sh -c`, or a list of words) or a list of
    /// commands (each a list of words).
    fn read_reset(&mut self, node: &Node, path: &str) -> Vec<Vec<String>> {
        let words = |n: &Node| -> Option<Vec<String>> {
            match &n.value {
                Value::Seq(items) => items
                    .iter()
                    .map(|i| i.str().map(String::from))
                    .collect::<Option<Vec<_>>>()
                    .filter(|w| !w.is_empty()),
                _ => None,
            }
        };
        let commands = match &node.value {
            Value::Scalar(_) => node
                .str()
                .filter(|s| !s.trim().is_empty())
                .map(|s| vec![vec!["/bin/sh".to_string(), "-c".to_string(), s.to_string()]]),
            Value::Seq(items) if !items.is_empty() && items.iter().all(|i| i.str().is_some()) => {
                words(node).map(|w| vec![w])
            }
            Value::Seq(items) if !items.is_empty() => items.iter().map(words).collect(),
            _ => None,
        };
        commands.unwrap_or_else(|| {
            self.error_hint(
                node.pos,
                path,
                "must be a command or a list of commands",
                "for example [\"redis-cli\", \"FLUSHALL\"], or [[\"a\", \"b\"], [\"c\"]]",
            );
            Vec::new()
        })
    }

    /// `collect`: a glob or a list of globs, absolute paths inside the container.
    fn read_collect(&mut self, node: &Node, path: &str) -> Vec<String> {
        let globs: Option<Vec<&Node>> = match &node.value {
            Value::Scalar(_) => Some(vec![node]),
            Value::Seq(items) => Some(items.iter().collect()),
            _ => None,
        };
        let Some(globs) = globs else {
            self.error(node.pos, path, "must be a path glob or a list of them");
            return Vec::new();
        };
        let mut out = Vec::new();
        for g in globs {
            match g.str() {
                Some(p) if p.starts_with('/') && globset::Glob::new(p).is_ok() => {
                    out.push(p.to_string())
                }
                Some(p) if !p.starts_with('/') => self.error_hint(
                    g.pos,
                    path,
                    format!("{p:?} is not an absolute path"),
                    "collect globs name files inside the container, such as /app/reports/*.xml",
                ),
                _ => self.error(g.pos, path, "must be a valid path glob"),
            }
        }
        out
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
    fn reset_takes_one_command_or_several() {
        let reset = |ext: &str| load(ext).unwrap().services["db"].reset.clone();
        let words = |w: &[&str]| w.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            reset("      reset: [redis-cli, FLUSHALL]\n"),
            vec![words(&["redis-cli", "FLUSHALL"])]
        );
        assert_eq!(
            reset("      reset: [[a, b], [c]]\n"),
            vec![words(&["a", "b"]), words(&["c"])]
        );
        assert_eq!(
            reset("      reset: 'rm -rf /data/*'\n"),
            vec![words(&["/bin/sh", "-c", "rm -rf /data/*"])]
        );
        let e = load("      reset: [[a], b]\n").unwrap_err();
        assert!(e.contains("compose.yml:5:"), "{e}");
        assert!(e.contains("must be a command or a list of commands"), "{e}");
        let e = load("      reset: {x: 1}\n").unwrap_err();
        assert!(e.contains("services.db.x-dockhand.reset"), "{e}");
    }

    #[test]
    fn collect_takes_absolute_globs() {
        let collect = |ext: &str| load(ext).unwrap().services["db"].collect.clone();
        assert_eq!(
            collect("      collect: /app/reports/*.xml\n"),
            vec!["/app/reports/*.xml".to_string()]
        );
        assert_eq!(
            collect("      collect: [/a/*.xml, '/b/**/TEST-*.xml']\n"),
            vec!["/a/*.xml".to_string(), "/b/**/TEST-*.xml".to_string()]
        );
        let e = load("      collect: [reports/*.xml]\n").unwrap_err();
        assert!(e.contains("is not an absolute path"), "{e}");
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
