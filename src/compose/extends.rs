//! `extends`: a service built on another one, from the same file or another file, nested,
//! with cycles reported.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::context::{Ctx, join};
use super::merge::merge_service;
use super::yaml::{Node, Value};

/// Longer `extends` chains are refused rather than risking the stack.
const MAX_CHAIN: usize = 64;

struct Extender<'a> {
    env: &'a HashMap<String, String>,
    /// Other files read for `extends.file`, by path; `None` when they could not be read.
    files: HashMap<PathBuf, Option<Node>>,
    done: HashMap<(PathBuf, String), Node>,
    stack: Vec<(PathBuf, String)>,
    /// Services already reported as part of a cycle, said once.
    failed: Vec<(PathBuf, String)>,
}

/// Replaces every service that has `extends` by its merged result.
pub fn resolve_extends(ctx: &mut Ctx, root: &mut Node, env: &HashMap<String, String>) {
    let Some(slot) = root.get_mut("services").filter(|s| s.map().is_some()) else {
        return;
    };
    // Taken out while resolving (bases are read from it), put back with the results.
    let pos = slot.pos;
    let mut services = std::mem::replace(slot, Node::new(Value::Null, pos));
    let mut ex = Extender {
        env,
        files: HashMap::new(),
        done: HashMap::new(),
        stack: Vec::new(),
        failed: Vec::new(),
    };
    let names: Vec<String> = services
        .map()
        .map(|m| {
            m.iter()
                .filter(|(_, v)| v.get("extends").is_some())
                .map(|(k, _)| k.name.clone())
                .collect()
        })
        .unwrap_or_default();
    let mut resolved = Vec::new();
    for name in names {
        if let Some(n) = ex.resolve(ctx, Path::new(""), &services, &name) {
            resolved.push((name, n));
        }
    }
    if let Some(target) = services.map_mut() {
        for (name, node) in resolved {
            if let Some(slot) = target.iter_mut().find(|(k, _)| k.name == name) {
                slot.1 = node;
            }
        }
    }
    if let Some(slot) = root.get_mut("services") {
        *slot = services;
    }
}

impl Extender<'_> {
    /// The service `name` of `services` (from `file`, empty for the main model), extended.
    fn resolve(&mut self, ctx: &mut Ctx, file: &Path, services: &Node, name: &str) -> Option<Node> {
        let key = (file.to_path_buf(), name.to_string());
        if let Some(n) = self.done.get(&key) {
            return Some(n.clone());
        }
        if self.failed.contains(&key) {
            return None;
        }
        let node = services.get(name)?;
        let Some(ext) = node.get("extends") else {
            return Some(node.clone());
        };
        let path = format!("services.{name}.extends");
        if self.stack.len() >= MAX_CHAIN {
            ctx.error(
                ext.pos,
                &path,
                format!("extends chain longer than {MAX_CHAIN} services"),
            );
            return None;
        }
        if self.stack.contains(&key) {
            let in_cycle: Vec<(PathBuf, String)> = self
                .stack
                .iter()
                .skip_while(|k| **k != key)
                .cloned()
                .collect();
            let mut names: Vec<&str> = in_cycle.iter().map(|(_, n)| n.as_str()).collect();
            names.push(name);
            ctx.error(
                ext.pos,
                &path,
                format!("circular extends: {}", names.join(" -> ")),
            );
            self.failed.extend(in_cycle);
            return None;
        }
        let (base_name, base_file) = match &ext.value {
            Value::Scalar(s) => (s.clone(), None),
            Value::Map(_) => {
                let Some(s) = ext
                    .get("service")
                    .and_then(|n| ctx.string(n, &join(&path, "service")))
                else {
                    ctx.error(ext.pos, &path, "extends needs a service");
                    return None;
                };
                let f = ext
                    .get("file")
                    .and_then(|n| ctx.string(n, &join(&path, "file")).map(|f| (f, n.pos)));
                (s, f)
            }
            _ => {
                ctx.error(
                    ext.pos,
                    &path,
                    format!("must be a string or a mapping, found {}", ext.kind_name()),
                );
                return None;
            }
        };
        self.stack.push(key.clone());
        let base = match base_file {
            None => {
                if services.get(&base_name).is_none() {
                    let known: Vec<&str> = services
                        .map()
                        .map(|m| m.iter().map(|(k, _)| k.name.as_str()).collect())
                        .unwrap_or_default();
                    ctx.error_hint(
                        ext.pos,
                        &path,
                        format!("service \"{name}\" extends undefined service \"{base_name}\""),
                        format!("known services: {}", known.join(", ")),
                    );
                    None
                } else {
                    self.resolve(ctx, file, services, &base_name)
                }
            }
            Some((f, pos)) => {
                let dir = ctx
                    .file_of(pos)
                    .and_then(Path::parent)
                    .map(Path::to_path_buf)
                    .unwrap_or_default();
                let full = ctx.absolute(&dir, &f);
                let tree = self.file(ctx, &full, pos, &path);
                match tree
                    .as_ref()
                    .and_then(|t| t.get("services"))
                    .filter(|s| s.get(&base_name).is_some())
                {
                    Some(other) => {
                        let other = other.clone();
                        self.resolve(ctx, &full, &other, &base_name)
                    }
                    None => {
                        if tree.is_some() {
                            ctx.error(
                                pos,
                                &path,
                                format!("service \"{base_name}\" not found in {}", full.display()),
                            );
                        }
                        None
                    }
                }
            }
        };
        self.stack.pop();
        let mut merged = base?;
        let mut local = node.clone();
        if let Some(m) = local.map_mut() {
            m.retain(|(k, _)| k.name != "extends");
        }
        if let Some(m) = merged.map_mut() {
            m.retain(|(k, _)| k.name != "extends");
        }
        merge_service(&mut merged, local);
        merged.pos = node.pos;
        // Kept only when this service is some other service's base: a top-level result is
        // asked for once.
        if !self.stack.is_empty() {
            self.done.insert(key, merged.clone());
        }
        Some(merged)
    }

    fn file(
        &mut self,
        ctx: &mut Ctx,
        full: &Path,
        pos: super::diagnostic::Pos,
        path: &str,
    ) -> Option<Node> {
        if let Some(t) = self.files.get(full) {
            return t.clone();
        }
        let tree = match std::fs::read_to_string(full) {
            Ok(text) => {
                let base = full.parent().map(Path::to_path_buf).unwrap_or_default();
                super::file::read_tree(ctx, full.to_path_buf(), base, text, self.env)
            }
            Err(e) => {
                ctx.error(
                    pos,
                    &join(path, "file"),
                    format!("cannot read {}: {e}", full.display()),
                );
                None
            }
        };
        self.files.insert(full.to_path_buf(), tree.clone());
        tree
    }
}
