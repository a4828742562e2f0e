//! One file read: a compose file parsed with the position of every value, interpolated and
//! checked against the schema, or env files read in order. The loader, `extends` and
//! `include` all read their files here.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::context::Ctx;
use super::diagnostic::{LoadError, Pos};
use super::interpolate::{InterpolateError, interpolate};
use super::yaml::{self, Node, Value};

pub(super) fn bail(ctx: &mut Ctx) -> Result<(), LoadError> {
    if ctx.diags.is_empty() {
        Ok(())
    } else {
        Err(LoadError::Invalid(std::mem::take(&mut ctx.diags)))
    }
}

/// Reads env files in order; later files see (and override) earlier ones.
pub fn read_env_files(
    ctx: &mut Ctx,
    files: &[(PathBuf, bool)],
    outer: &HashMap<String, String>,
) -> Result<HashMap<String, String>, LoadError> {
    let mut vars: HashMap<String, String> = HashMap::new();
    for (file, required) in files {
        let text = match std::fs::read_to_string(file) {
            Ok(t) => t,
            Err(_) if !required => continue,
            Err(source) => {
                return Err(LoadError::Io {
                    path: file.clone(),
                    source,
                });
            }
        };
        let id = ctx.add_source(
            file.clone(),
            file.parent().map(Path::to_path_buf).unwrap_or_default(),
            text.clone(),
        );
        let lookup = |k: &str| outer.get(k).cloned().or_else(|| vars.get(k).cloned());
        match super::dotenv::parse(&text, &lookup) {
            Ok(v) => vars.extend(v),
            Err(e) => {
                let pos = Pos {
                    file: id,
                    line: e.line,
                    col: 1,
                };
                ctx.error(pos, "", e.message);
                bail(ctx)?;
            }
        }
    }
    for (k, v) in outer {
        vars.insert(k.clone(), v.clone());
    }
    Ok(vars)
}

/// Parses, interpolates and checks one compose file.
pub fn read_tree(
    ctx: &mut Ctx,
    path: PathBuf,
    base_dir: PathBuf,
    text: String,
    env: &HashMap<String, String>,
) -> Option<Node> {
    let id = ctx.add_source(path, base_dir, text);
    let parsed = yaml::parse(&ctx.sources[id].text, id);
    let mut tree = match parsed {
        Ok(Some(t)) => t,
        Ok(None) => {
            ctx.error(
                Pos {
                    file: id,
                    line: 1,
                    col: 1,
                },
                "",
                "the compose file is empty",
            );
            return None;
        }
        Err(errors) => {
            for e in errors {
                ctx.error(e.pos, "", e.message);
            }
            return None;
        }
    };
    if tree.map().is_none() {
        ctx.error(
            tree.pos,
            "",
            format!(
                "the top level of a compose file must be a mapping, found {}",
                tree.kind_name()
            ),
        );
        return None;
    }
    interpolate_tree(ctx, &mut tree, &mut String::new(), env);
    super::schema::check(ctx, &tree);
    Some(tree)
}

/// `path` is a buffer holding the dotted path of `node`, grown and cut back while walking.
fn interpolate_tree(
    ctx: &mut Ctx,
    node: &mut Node,
    path: &mut String,
    env: &HashMap<String, String>,
) {
    match &mut node.value {
        Value::Scalar(s) => {
            if !s.contains('$') {
                return;
            }
            let lookup = |k: &str| env.get(k).cloned();
            let mut unset = Vec::new();
            match interpolate(s, &lookup, &mut |n| unset.push(n.to_string())) {
                Ok(v) => *s = v,
                Err(InterpolateError::Syntax { message, offset }) => {
                    let pos = template_pos(ctx, node.pos, s, offset);
                    ctx.error_hint(pos, path, message, "write $$ for a literal dollar sign");
                }
                Err(InterpolateError::Required { name, message }) => {
                    let msg = if message.is_empty() {
                        format!("required variable {name} is missing a value")
                    } else {
                        format!("required variable {name} is missing a value: {message}")
                    };
                    ctx.error_hint(
                        node.pos,
                        path,
                        msg,
                        format!("set {name} in the environment or in the .env file"),
                    );
                }
            }
            for name in unset {
                ctx.warn_once(format!(
                    "the \"{name}\" variable is not set; defaulting to a blank string"
                ));
            }
        }
        Value::Seq(items) => {
            let len = path.len();
            for (i, item) in items.iter_mut().enumerate() {
                let _ = write!(path, "[{i}]");
                interpolate_tree(ctx, item, path, env);
                path.truncate(len);
            }
        }
        Value::Map(entries) => {
            let len = path.len();
            for (k, v) in entries.iter_mut() {
                if len > 0 {
                    path.push('.');
                }
                path.push_str(&k.name);
                interpolate_tree(ctx, v, path, env);
                path.truncate(len);
            }
        }
        Value::Null => {}
    }
}

/// The position of the character `offset` of a scalar whose value is `value`: exact when the
/// scalar is written on one line without escapes before that point, else the scalar's start.
fn template_pos(ctx: &Ctx, pos: Pos, value: &str, offset: usize) -> Pos {
    let Some(line) = ctx
        .sources
        .get(pos.file)
        .and_then(|s| s.text.lines().nth(pos.line.saturating_sub(1)))
    else {
        return pos;
    };
    let mut written = line.chars().skip(pos.col.saturating_sub(1)).peekable();
    let quoted = matches!(written.peek(), Some('"') | Some('\''));
    if quoted {
        written.next();
    }
    let same = value.chars().take(offset + 2).eq(written.take(offset + 2));
    if same {
        Pos {
            col: pos.col + offset + usize::from(quoted),
            ..pos
        }
    } else {
        pos
    }
}
