//! `include`: other compose applications loaded on their own (own folder, own `.env`) and
//! their resources copied into this one.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::context::{Ctx, index, join};
use super::diagnostic::Pos;
use super::merge::merge_root;
use super::yaml::{Key, Node, Value};

const SECTIONS: &[&str] = &["services", "networks", "volumes", "secrets", "configs"];

/// Loads every `include` entry of `root` and copies its resources in; `stack` holds the files
/// being included, against cycles.
pub fn resolve_includes(
    ctx: &mut Ctx,
    root: &mut Node,
    env: &HashMap<String, String>,
    stack: &mut Vec<PathBuf>,
) {
    let Some(map) = root.map_mut() else { return };
    let Some(i) = map.iter().position(|(k, _)| k.name == "include") else {
        return;
    };
    let (_, inc) = map.remove(i);
    let items: Vec<Node> = match inc.value {
        Value::Seq(items) => items,
        Value::Null => return,
        _ => {
            ctx.error(
                inc.pos,
                "include",
                format!("must be a list, found {}", inc.kind_name()),
            );
            return;
        }
    };
    for (i, item) in items.iter().enumerate() {
        let path = index("include", i);
        let dir = ctx
            .file_of(item.pos)
            .and_then(Path::parent)
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let (files, project_dir, env_files) = match &item.value {
            Value::Scalar(s) => (vec![(ctx.absolute(&dir, s), item.pos)], None, None),
            Value::Map(_) => {
                let Some(p) = item.get("path") else {
                    ctx.error(item.pos, &path, "an include entry needs a path");
                    continue;
                };
                let nodes: Vec<&Node> = match &p.value {
                    Value::Seq(s) => s.iter().collect(),
                    _ => vec![p],
                };
                let mut files = Vec::new();
                for n in nodes {
                    if let Some(s) = ctx.string(n, &join(&path, "path")) {
                        files.push((ctx.absolute(&dir, &s), n.pos));
                    }
                }
                let pd = item
                    .get("project_directory")
                    .and_then(|n| ctx.string(n, &join(&path, "project_directory")))
                    .map(|s| ctx.absolute(&dir, &s));
                let ef = item.get("env_file").map(|n| {
                    ctx.string_or_list(n, &join(&path, "env_file"))
                        .into_iter()
                        .map(|s| (ctx.absolute(&dir, &s), true))
                        .collect::<Vec<_>>()
                });
                (files, pd, ef)
            }
            _ => {
                ctx.error(
                    item.pos,
                    &path,
                    format!("must be a string or a mapping, found {}", item.kind_name()),
                );
                continue;
            }
        };
        let Some((first, _)) = files.first() else {
            ctx.error(item.pos, &path, "an include entry needs a path");
            continue;
        };
        if stack.contains(first) {
            ctx.error(
                item.pos,
                &path,
                format!(
                    "include cycle: {} is already being included",
                    first.display()
                ),
            );
            continue;
        }
        let project_dir = project_dir
            .unwrap_or_else(|| first.parent().map(Path::to_path_buf).unwrap_or_default());
        let env_files = env_files.unwrap_or_else(|| vec![(project_dir.join(".env"), false)]);
        let sub_env = match super::file::read_env_files(ctx, &env_files, env) {
            Ok(e) => e,
            Err(e) => {
                ctx.error(item.pos, &path, e.to_string());
                continue;
            }
        };
        stack.push(first.clone());
        let mut sub = Node::new(Value::Map(Vec::new()), Pos::default());
        for (f, pos) in &files {
            match std::fs::read_to_string(f) {
                Ok(text) => {
                    if let Some(tree) =
                        super::file::read_tree(ctx, f.clone(), project_dir.clone(), text, &sub_env)
                    {
                        merge_root(&mut sub, tree);
                    }
                }
                Err(e) => ctx.error(
                    *pos,
                    &path,
                    format!("cannot read included file {}: {e}", f.display()),
                ),
            }
        }
        resolve_includes(ctx, &mut sub, &sub_env, stack);
        stack.pop();
        super::extends::resolve_extends(ctx, &mut sub, &sub_env);
        copy_resources(ctx, root, sub);
    }
}

fn copy_resources(ctx: &mut Ctx, root: &mut Node, sub: Node) {
    let Value::Map(entries) = sub.value else {
        return;
    };
    for (k, v) in entries {
        if !SECTIONS.contains(&k.name.as_str()) {
            continue;
        }
        let Value::Map(items) = v.value else { continue };
        let Some(map) = root.map_mut() else { return };
        let section = match map.iter().position(|(e, _)| e.name == k.name) {
            Some(i) => &mut map[i].1,
            None => {
                map.push((
                    Key {
                        name: k.name.clone(),
                        pos: k.pos,
                    },
                    Node::new(Value::Map(Vec::new()), v.pos),
                ));
                let last = map.len() - 1;
                &mut map[last].1
            }
        };
        if section.is_null() {
            section.value = Value::Map(Vec::new());
        }
        let Some(target) = section.map_mut() else {
            continue;
        };
        let mut conflicts = Vec::new();
        for (name, node) in items {
            if target.iter().any(|(e, _)| e.name == name.name) {
                conflicts.push(name);
            } else {
                target.push((name, node));
            }
        }
        for name in conflicts {
            let p = join(&k.name, &name.name);
            if k.name == "services" {
                ctx.error_hint(
                    name.pos,
                    &p,
                    format!("service \"{}\" from an included file conflicts with a service of the same name", name.name),
                    "rename one of them; include does not merge definitions",
                );
            } else {
                ctx.warn_once(format!("{p} from an included file is already defined; keeping the including file's definition"));
            }
        }
    }
}
