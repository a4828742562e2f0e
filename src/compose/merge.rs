//! Merging of compose trees (several `-f` files, `extends`) by the specification's rules:
//! mappings merged, sequences appended, some keys replaced, unique resources merged by key,
//! `!reset` and `!override` honoured.

use super::diagnostic::Pos;
use super::yaml::{Key, MergeTag, Node, ScalarKind, Value};

/// Service keys whose value replaces the earlier one.
const REPLACED: &[&str] = &["command", "entrypoint"];
/// Service keys written as a list or a mapping, merged as mappings.
const LIST_OR_DICT: &[&str] = &["environment", "labels", "annotations", "sysctls"];
/// Service keys that hold a string or a list, merged as lists.
const STRING_OR_LIST: &[&str] = &["dns", "dns_search", "env_file", "tmpfs", "label_file"];
/// Service keys written as a list of names or a mapping, merged as mappings.
const NAMES_OR_MAP: &[&str] = &["depends_on", "networks"];
/// Service keys whose entries are unique by a key.
const UNIQUE: &[&str] = &["ports", "volumes", "secrets", "configs"];

/// Merges the top level of `over` into `base`.
pub fn merge_root(base: &mut Node, over: Node) {
    let (Some(_), Value::Map(entries)) = (base.map(), over.value) else {
        return;
    };
    for (k, v) in entries {
        if k.name == "services" {
            merge_services(base, k, v);
        } else {
            merge_entry(base, k, v, merge_any);
        }
    }
}

fn merge_services(base: &mut Node, k: Key, v: Node) {
    if v.tag != MergeTag::None
        || !matches!(v.value, Value::Map(_))
        || base.get("services").and_then(Node::map).is_none()
    {
        merge_entry(base, k, v, merge_any);
        return;
    }
    let Some(services) = base.get_mut("services") else {
        return;
    };
    if let Value::Map(over_services) = v.value {
        for (sk, sv) in over_services {
            merge_entry(services, sk, sv, merge_service);
        }
    }
}

/// Puts `key: value` into the mapping `base`, merging with `merge` when both sides have it.
fn merge_entry(base: &mut Node, key: Key, value: Node, merge: fn(&mut Node, Node)) {
    let Some(map) = base.map_mut() else { return };
    let existing = map.iter().position(|(k, _)| k.name == key.name);
    match value.tag {
        MergeTag::Reset => {
            if let Some(i) = existing {
                map.remove(i);
            }
        }
        MergeTag::Override => {
            let mut value = value;
            value.tag = MergeTag::None;
            let value = strip(value);
            match existing {
                Some(i) => map[i].1 = value,
                None => map.push((key, value)),
            }
        }
        MergeTag::None => match existing {
            Some(i) => merge(&mut map[i].1, value),
            None => map.push((key, strip(value))),
        },
    }
}

/// Removes `!reset` entries from a subtree that has nothing under it to reset.
pub fn strip(mut node: Node) -> Node {
    strip_in_place(&mut node);
    node
}

fn strip_in_place(node: &mut Node) {
    node.tag = MergeTag::None;
    match &mut node.value {
        Value::Map(m) => {
            m.retain(|(_, v)| v.tag != MergeTag::Reset);
            m.iter_mut().for_each(|(_, v)| strip_in_place(v));
        }
        Value::Seq(s) => {
            s.retain(|v| v.tag != MergeTag::Reset);
            s.iter_mut().for_each(strip_in_place);
        }
        _ => {}
    }
}

/// The default rule: mappings merged, sequences appended, anything else replaced.
fn merge_any(base: &mut Node, over: Node) {
    match (&mut base.value, over.value) {
        (Value::Map(_), Value::Map(entries)) => {
            for (k, v) in entries {
                merge_entry(base, k, v, merge_any);
            }
        }
        (Value::Seq(items), Value::Seq(more)) => {
            items.extend(
                more.into_iter()
                    .filter(|v| v.tag != MergeTag::Reset)
                    .map(strip),
            );
        }
        (_, value) => {
            *base = strip(Node {
                value,
                pos: over.pos,
                tag: MergeTag::None,
                kind: over.kind,
            });
        }
    }
}

/// Merges one service definition over another (also used for `extends`).
pub fn merge_service(base: &mut Node, over: Node) {
    let Value::Map(entries) = over.value else {
        *base = strip(Node {
            value: over.value,
            pos: over.pos,
            tag: MergeTag::None,
            kind: over.kind,
        });
        return;
    };
    if base.map().is_none() {
        base.value = Value::Map(Vec::new());
    }
    for (k, v) in entries {
        let name = k.name.clone();
        let rule: fn(&mut Node, Node) = if REPLACED.contains(&name.as_str()) {
            replace
        } else if LIST_OR_DICT.contains(&name.as_str()) {
            merge_list_or_dict
        } else if STRING_OR_LIST.contains(&name.as_str()) {
            merge_string_or_list
        } else if NAMES_OR_MAP.contains(&name.as_str()) {
            merge_names_or_map
        } else if UNIQUE.contains(&name.as_str()) {
            merge_unique
        } else if name == "extra_hosts" {
            merge_extra_hosts
        } else if name == "build" {
            merge_build
        } else if name == "healthcheck" {
            merge_healthcheck
        } else if name == "profiles"
            || name == "cap_add"
            || name == "cap_drop"
            || name == "expose"
            || name == "links"
        {
            merge_set
        } else {
            merge_any
        };
        merge_entry(base, k, v, rule);
    }
}

fn replace(base: &mut Node, over: Node) {
    *base = strip(over);
}

/// A list of `K=V` (or `K:V` for extra_hosts) turned into a mapping, positions kept.
fn dict_form(node: Node, sep: &[char]) -> Node {
    match node.value {
        Value::Seq(items) => {
            let mut map: Vec<(Key, Node)> = Vec::new();
            for item in items {
                let pos = item.pos;
                let (k, v) = match &item.value {
                    Value::Scalar(s) => match s.split_once(sep) {
                        Some((k, v)) => (k.to_string(), Value::Scalar(v.to_string())),
                        None => (s.clone(), Value::Null),
                    },
                    // Left for the reader to report.
                    _ => {
                        return Node {
                            value: Value::Seq(Vec::new()),
                            pos: node.pos,
                            tag: node.tag,
                            kind: ScalarKind::Str,
                        };
                    }
                };
                map.retain(|(e, _)| e.name != k);
                map.push((Key { name: k, pos }, Node::new(v, pos)));
            }
            Node {
                value: Value::Map(map),
                pos: node.pos,
                tag: node.tag,
                kind: ScalarKind::Str,
            }
        }
        _ => node,
    }
}

fn merge_list_or_dict(base: &mut Node, over: Node) {
    merge_dict_with(base, over, &['=']);
}

/// `extra_hosts` entries are `host=ip` or `host:ip`.
fn merge_extra_hosts(base: &mut Node, over: Node) {
    merge_dict_with(base, over, &['=', ':']);
}

fn merge_dict_with(base: &mut Node, over: Node, seps: &[char]) {
    let b = std::mem::replace(base, Node::new(Value::Null, Pos::default()));
    let mut b = dict_form(b, seps);
    let o = dict_form(over, seps);
    if b.map().is_some() && o.map().is_some() {
        if let Value::Map(entries) = o.value {
            for (k, v) in entries {
                merge_entry(&mut b, k, v, replace);
            }
        }
        *base = b;
    } else {
        *base = strip(o);
    }
}

fn list_form(node: Node) -> Node {
    match node.value {
        Value::Scalar(_) => Node {
            pos: node.pos,
            tag: node.tag,
            kind: ScalarKind::Str,
            value: Value::Seq(vec![Node {
                kind: node.kind,
                ..Node::new(node.value, node.pos)
            }]),
        },
        _ => node,
    }
}

fn merge_string_or_list(base: &mut Node, over: Node) {
    let b = std::mem::replace(base, Node::new(Value::Null, Pos::default()));
    *base = list_form(b);
    merge_set(base, list_form(over));
}

/// Appends the entries of `over` that `base` does not have yet.
fn merge_set(base: &mut Node, over: Node) {
    match (&mut base.value, over.value) {
        (Value::Seq(items), Value::Seq(more)) => {
            for m in more {
                if m.tag == MergeTag::Reset {
                    continue;
                }
                if !items.iter().any(|i| i.value == m.value) {
                    items.push(strip(m));
                }
            }
        }
        (_, value) => {
            *base = strip(Node {
                value,
                pos: over.pos,
                tag: MergeTag::None,
                kind: over.kind,
            })
        }
    }
}

fn names_form(node: Node) -> Node {
    match node.value {
        Value::Seq(items) => {
            let mut map = Vec::new();
            for item in items {
                match item.value {
                    Value::Scalar(s) => map.push((
                        Key {
                            name: s,
                            pos: item.pos,
                        },
                        Node::new(Value::Null, item.pos),
                    )),
                    _ => {
                        return Node {
                            value: Value::Seq(Vec::new()),
                            pos: node.pos,
                            tag: node.tag,
                            kind: ScalarKind::Str,
                        };
                    }
                }
            }
            Node {
                value: Value::Map(map),
                pos: node.pos,
                tag: node.tag,
                kind: ScalarKind::Str,
            }
        }
        _ => node,
    }
}

fn merge_names_or_map(base: &mut Node, over: Node) {
    let b = std::mem::replace(base, Node::new(Value::Null, Pos::default()));
    let mut b = names_form(b);
    let o = names_form(over);
    if b.map().is_some() && o.map().is_some() {
        if let Value::Map(entries) = o.value {
            for (k, v) in entries {
                merge_entry(&mut b, k, v, merge_null_aware);
            }
        }
        *base = b;
    } else {
        *base = strip(o);
    }
}

/// A null entry (`- db` turned into `db: null`) does not erase the details given before.
fn merge_null_aware(base: &mut Node, over: Node) {
    if over.is_null() {
        return;
    }
    if base.is_null() {
        *base = strip(over);
        return;
    }
    merge_any(base, over);
}

/// The identity of a port, volume, secret or config entry, for merging.
fn unique_key(item: &Node) -> String {
    match &item.value {
        Value::Scalar(s) => {
            if let Ok(ports) = super::ports::parse_short(s)
                && let Some(p) = ports.first()
            {
                return format!(
                    "port:{}:{}:{}/{}",
                    p.host_ip.as_deref().unwrap_or(""),
                    p.published.as_deref().unwrap_or(""),
                    p.target,
                    p.protocol
                );
            }
            let parts: Vec<&str> = s.split(':').collect();
            match parts.as_slice() {
                [_, t] | [_, t, _] => format!("target:{t}"),
                // A lone volume target, or a secret or config named by its source.
                [t] => format!("target:{t}"),
                _ => format!("raw:{s}"),
            }
        }
        Value::Map(_) => {
            let target = item.get("target").and_then(Node::str);
            let published = item.get("published").and_then(Node::str);
            match target {
                Some(t) if published.is_some() || t.chars().all(|c| c.is_ascii_digit()) => format!(
                    "port:{}:{}:{}/{}",
                    item.get("host_ip").and_then(Node::str).unwrap_or(""),
                    published.unwrap_or(""),
                    t,
                    item.get("protocol").and_then(Node::str).unwrap_or("tcp")
                ),
                Some(t) => format!("target:{t}"),
                None => match item.get("source").and_then(Node::str) {
                    Some(s) => format!("target:{s}"),
                    None => format!("pos:{}:{}:{}", item.pos.file, item.pos.line, item.pos.col),
                },
            }
        }
        _ => format!("pos:{}:{}:{}", item.pos.file, item.pos.line, item.pos.col),
    }
}

fn merge_unique(base: &mut Node, over: Node) {
    match (&mut base.value, over.value) {
        (Value::Seq(items), Value::Seq(more)) => {
            for m in more {
                if m.tag == MergeTag::Reset {
                    continue;
                }
                let key = unique_key(&m);
                match items.iter().position(|i| unique_key(i) == key) {
                    Some(i) => items[i] = strip(m),
                    None => items.push(strip(m)),
                }
            }
        }
        (_, value) => {
            *base = strip(Node {
                value,
                pos: over.pos,
                tag: MergeTag::None,
                kind: over.kind,
            })
        }
    }
}

fn build_form(node: Node) -> Node {
    match node.value {
        Value::Scalar(_) => Node {
            pos: node.pos,
            tag: node.tag,
            kind: ScalarKind::Str,
            value: Value::Map(vec![(
                Key {
                    name: "context".into(),
                    pos: node.pos,
                },
                Node::new(node.value, node.pos),
            )]),
        },
        _ => node,
    }
}

fn merge_build(base: &mut Node, over: Node) {
    let b = std::mem::replace(base, Node::new(Value::Null, Pos::default()));
    let mut b = build_form(b);
    let o = build_form(over);
    match o.value {
        Value::Map(entries) if b.map().is_some() => {
            for (k, v) in entries {
                let rule: fn(&mut Node, Node) = match k.name.as_str() {
                    "args" | "labels" => merge_list_or_dict,
                    "extra_hosts" => merge_extra_hosts,
                    _ => merge_any,
                };
                merge_entry(&mut b, k, v, rule);
            }
            *base = b;
        }
        value => {
            *base = strip(Node {
                value,
                pos: o.pos,
                tag: MergeTag::None,
                kind: o.kind,
            })
        }
    }
}

fn merge_healthcheck(base: &mut Node, over: Node) {
    match over.value {
        Value::Map(entries) if base.map().is_some() => {
            for (k, v) in entries {
                let rule: fn(&mut Node, Node) = if k.name == "test" { replace } else { merge_any };
                merge_entry(base, k, v, rule);
            }
        }
        value => {
            *base = strip(Node {
                value,
                pos: over.pos,
                tag: MergeTag::None,
                kind: over.kind,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compose::yaml::parse;

    fn tree(s: &str) -> Node {
        parse(s, 0).expect("yaml").expect("doc")
    }

    fn merged(a: &str, b: &str) -> Node {
        let mut base = Node::new(Value::Map(Vec::new()), Pos::default());
        merge_root(&mut base, tree(a));
        merge_root(&mut base, tree(b));
        base
    }

    fn svc<'a>(n: &'a Node, name: &str) -> &'a Node {
        n.get("services")
            .and_then(|s| s.get(name))
            .expect("service")
    }

    #[test]
    fn command_is_replaced_ports_appended() {
        let m = merged(
            "services:\n  a:\n    command: [echo, foo]\n    ports: ['80']\n",
            "services:\n  a:\n    command: [echo, bar]\n    ports: ['81']\n",
        );
        let a = svc(&m, "a");
        assert_eq!(a.get("command").and_then(Node::seq).map(Vec::len), Some(2));
        assert_eq!(
            a.get("command")
                .and_then(Node::seq)
                .and_then(|s| s[1].str()),
            Some("bar")
        );
        assert_eq!(a.get("ports").and_then(Node::seq).map(Vec::len), Some(2));
    }

    #[test]
    fn volumes_merge_by_target() {
        let m = merged(
            "services:\n  a:\n    volumes: ['foo:/work']\n",
            "services:\n  a:\n    volumes: ['bar:/work']\n",
        );
        let v = svc(&m, "a")
            .get("volumes")
            .and_then(Node::seq)
            .expect("volumes");
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].str(), Some("bar:/work"));
    }

    #[test]
    fn reset_and_override() {
        let m = merged(
            "services:\n  a:\n    ports: ['8080:80']\n    environment: {FOO: BAR, X: Y}\n",
            "services:\n  a:\n    ports: !override ['8443:443']\n    environment:\n      FOO: !reset null\n",
        );
        let a = svc(&m, "a");
        let ports = a.get("ports").and_then(Node::seq).expect("ports");
        assert_eq!(ports.len(), 1);
        assert_eq!(ports[0].str(), Some("8443:443"));
        let env = a.get("environment").expect("env");
        assert!(env.get("FOO").is_none());
        assert_eq!(env.get("X").and_then(Node::str), Some("Y"));
    }

    #[test]
    fn environment_list_and_map_merge_by_key() {
        let m = merged(
            "services:\n  a:\n    environment: [A=1, B=2]\n",
            "services:\n  a:\n    environment: {B: '3'}\n",
        );
        let env = svc(&m, "a").get("environment").expect("env");
        assert_eq!(env.get("A").and_then(Node::str), Some("1"));
        assert_eq!(env.get("B").and_then(Node::str), Some("3"));
    }
}
