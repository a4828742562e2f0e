//! Unknown-key checks against the Compose Specification's JSON schema, embedded unchanged from
//! `compose-spec.json` (Apache-2.0, see `compose-spec.LICENSE`).
//!
//! Only the shape of mappings is checked here (which keys may appear where); value types are
//! checked where the loader reads them, with the same positions.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::OnceLock;

use regex::Regex;
use serde_json::Value as Json;

use super::context::{Ctx, join};
use super::service::IGNORED_SERVICE_KEYS;
use super::yaml::{Node, Value};

const SPEC: &str = include_str!("compose-spec.json");

fn spec() -> Option<&'static Json> {
    static CELL: OnceLock<Option<Json>> = OnceLock::new();
    CELL.get_or_init(|| serde_json::from_str(SPEC).ok())
        .as_ref()
}

fn pattern(p: &str) -> Option<&'static Regex> {
    static CELL: OnceLock<HashMap<String, Regex>> = OnceLock::new();
    let map = CELL.get_or_init(|| {
        let mut m = HashMap::new();
        if let Some(root) = spec() {
            collect_patterns(root, &mut m);
        }
        m
    });
    map.get(p)
}

fn collect_patterns(v: &Json, out: &mut HashMap<String, Regex>) {
    match v {
        Json::Object(o) => {
            if let Some(Json::Object(pp)) = o.get("patternProperties") {
                for k in pp.keys() {
                    if let Ok(re) = Regex::new(k) {
                        out.insert(k.clone(), re);
                    }
                }
            }
            for child in o.values() {
                collect_patterns(child, out);
            }
        }
        Json::Array(a) => a.iter().for_each(|c| collect_patterns(c, out)),
        _ => {}
    }
}

/// Follows `$ref` (only local `#/definitions/...` references appear in the spec).
fn resolve<'a>(root: &'a Json, mut s: &'a Json) -> &'a Json {
    for _ in 0..16 {
        let Some(r) = s.get("$ref").and_then(Json::as_str) else {
            return s;
        };
        let Some(name) = r.strip_prefix("#/definitions/") else {
            return s;
        };
        match root.get("definitions").and_then(|d| d.get(name)) {
            Some(next) => s = next,
            None => return s,
        }
    }
    s
}

/// The schema and every `oneOf`/`anyOf`/`allOf` alternative under it, references followed.
fn alternatives<'a>(root: &'a Json, s: &'a Json, out: &mut Vec<&'a Json>, depth: usize) {
    let s = resolve(root, s);
    if depth > 8 {
        return;
    }
    out.push(s);
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(Json::Array(branches)) = s.get(key) {
            for b in branches {
                alternatives(root, b, out, depth + 1);
            }
        }
    }
}

fn allows_type(s: &Json, t: &str) -> bool {
    match s.get("type") {
        Some(Json::String(x)) => x == t,
        Some(Json::Array(xs)) => xs.iter().any(|x| x.as_str() == Some(t)),
        _ => false,
    }
}

fn is_object_schema(s: &Json) -> bool {
    allows_type(s, "object")
        || s.get("properties").is_some()
        || s.get("patternProperties").is_some()
}

/// Reports every key the schema does not allow, at its position.
pub fn check(ctx: &mut Ctx, root: &Node) {
    let Some(spec) = spec() else { return };
    walk(ctx, root, &[spec], spec, &mut String::new(), 0, false);
}

/// `path` is a buffer holding the dotted path of `node`, grown and cut back while walking.
fn walk(
    ctx: &mut Ctx,
    node: &Node,
    schemas: &[&Json],
    root: &Json,
    path: &mut String,
    depth: usize,
    typed: bool,
) {
    if depth > 64 {
        return;
    }
    let mut alts = Vec::new();
    for s in schemas {
        alternatives(root, s, &mut alts, 0);
    }
    if typed && let Some(expected) = type_mismatch(node, &alts) {
        ctx.error(
            node.pos,
            path,
            format!("must be {expected}, found {}", node.kind_name()),
        );
        return;
    }
    match &node.value {
        Value::Map(entries) => {
            let objects: Vec<&Json> = alts
                .iter()
                .copied()
                .filter(|s| is_object_schema(s))
                .collect();
            if objects.is_empty() {
                return;
            }
            for (k, v) in entries {
                let mut subs: Vec<&Json> = Vec::new();
                let mut allowed = false;
                let mut free = false;
                for o in &objects {
                    if let Some(p) = o.get("properties").and_then(|p| p.get(&k.name)) {
                        allowed = true;
                        subs.push(p);
                        continue;
                    }
                    let mut matched = false;
                    if let Some(Json::Object(pp)) = o.get("patternProperties") {
                        for (pat, ps) in pp {
                            if pattern(pat).is_some_and(|re| re.is_match(&k.name)) {
                                matched = true;
                                subs.push(ps);
                            }
                        }
                    }
                    if matched {
                        allowed = true;
                        continue;
                    }
                    match o.get("additionalProperties") {
                        Some(Json::Bool(false)) => {}
                        Some(extra @ Json::Object(_)) => {
                            allowed = true;
                            subs.push(extra);
                        }
                        _ => {
                            allowed = true;
                            free = true;
                        }
                    }
                }
                let len = path.len();
                if !allowed {
                    let p = join(path, &k.name);
                    unknown_key(ctx, k, &objects, &p, path);
                } else if !free && !subs.is_empty() {
                    if len > 0 {
                        path.push('.');
                    }
                    // Values the loader never reads get their types checked here.
                    let child_typed = typed
                        || (depth == 0 && k.name == "models")
                        || (depth == 2
                            && path.starts_with("services.")
                            && IGNORED_SERVICE_KEYS.contains(&k.name.as_str()));
                    path.push_str(&k.name);
                    walk(ctx, v, &subs, root, path, depth + 1, child_typed);
                    path.truncate(len);
                }
            }
        }
        Value::Seq(items) => {
            let item_schemas: Vec<&Json> = alts
                .iter()
                .filter(|s| allows_type(s, "array") || s.get("items").is_some())
                .filter_map(|s| s.get("items"))
                .filter(|i| i.is_object())
                .collect();
            if item_schemas.is_empty() {
                return;
            }
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                let _ = write!(path, "[{i}]");
                walk(ctx, item, &item_schemas, root, path, depth + 1, typed);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

/// The types the schema allows when none of them fits `node`; `None` when one fits or the
/// schema does not say.
fn type_mismatch(node: &Node, alts: &[&Json]) -> Option<String> {
    let open = alts.iter().any(|s| {
        s.get("type").is_none()
            && s.get("oneOf").is_none()
            && s.get("anyOf").is_none()
            && s.get("allOf").is_none()
    });
    if open {
        return None;
    }
    let mut expected: Vec<&str> = Vec::new();
    for s in alts {
        let types: Vec<&str> = match s.get("type") {
            Some(Json::String(t)) => vec![t.as_str()],
            Some(Json::Array(ts)) => ts.iter().filter_map(Json::as_str).collect(),
            _ => continue,
        };
        for t in types {
            let fits = match (&node.value, t) {
                (Value::Null, "null") => true,
                (Value::Scalar(_), "string") => true,
                (Value::Scalar(v), "integer") => v.trim().parse::<i64>().is_ok(),
                (Value::Scalar(v), "number") => v.trim().parse::<f64>().is_ok(),
                (Value::Scalar(v), "boolean") => super::read::parse_bool(v).is_some(),
                (Value::Seq(_), "array") => true,
                (Value::Map(_), "object") => true,
                _ => false,
            };
            if fits {
                return None;
            }
            if !expected.contains(&t) {
                expected.push(t);
            }
        }
    }
    if expected.is_empty() {
        return None;
    }
    let words: Vec<&str> = expected
        .iter()
        .map(|t| match *t {
            "string" => "a string",
            "integer" => "an integer",
            "number" => "a number",
            "boolean" => "a boolean",
            "array" => "a list",
            "object" => "a mapping",
            "null" => "null",
            other => other,
        })
        .collect();
    Some(words.join(" or "))
}

fn unknown_key(ctx: &mut Ctx, k: &super::yaml::Key, objects: &[&Json], p: &str, parent: &str) {
    let known: Vec<&str> = objects
        .iter()
        .filter_map(|o| o.get("properties").and_then(Json::as_object))
        .flat_map(|m| m.keys().map(String::as_str))
        .collect();
    if known.is_empty() {
        let what = parent.rsplit('.').next().unwrap_or(parent);
        ctx.error_hint(
            k.pos,
            p,
            format!("invalid name \"{}\" in {what}", k.name),
            "names use letters, digits, dots, dashes and underscores",
        );
        return;
    }
    let hint = match closest(&k.name, &known) {
        Some(s) => format!("did you mean \"{s}\"? (extension keys must start with x-)"),
        None => "this key is not part of the compose specification here; extension keys must start with x-".into(),
    };
    ctx.error_hint(k.pos, p, format!("unknown key \"{}\"", k.name), hint);
}

fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (distance(word, c), *c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 4) && *d < c.len())
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance, for spelling suggestions.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn errors(text: &str) -> Vec<String> {
        let mut ctx = Ctx::new("/w".into(), HashMap::new());
        let id = ctx.add_source("/w/compose.yaml".into(), "/w".into(), text.into());
        let tree = crate::compose::yaml::parse(text, id)
            .expect("yaml")
            .expect("doc");
        check(&mut ctx, &tree);
        ctx.diags.iter().map(|d| d.headline()).collect()
    }

    #[test]
    fn embedded_schema_parses() {
        assert!(spec().is_some());
    }

    #[test]
    fn unknown_service_key_is_named_with_position() {
        let e = errors("services:\n  app:\n    image: x\n    imagee: y\n");
        assert_eq!(
            e,
            vec!["compose.yaml:4:5: services.app.imagee: unknown key \"imagee\""]
        );
    }

    #[test]
    fn extensions_and_nested_known_keys_pass() {
        let text = "x-common: {a: 1}\nservices:\n  app:\n    x-note: hi\n    image: x\n    healthcheck: {test: [CMD, x], interval: 1s}\n    depends_on: {db: {condition: service_healthy}}\n    deploy: {resources: {limits: {cpus: '1'}}}\n    ports: [{target: 80, published: '8080'}]\n";
        assert!(errors(text).is_empty(), "{:?}", errors(text));
    }

    #[test]
    fn values_of_ignored_keys_are_type_checked() {
        let e = errors(
            "services:\n  app:\n    image: x\n    develop:\n      watch: 1\n    credential_spec: json\n    cpu_count: 2\n",
        );
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(
            e[0].contains("services.app.develop.watch: must be a list"),
            "{e:?}"
        );
        assert!(
            e[1].contains("services.app.credential_spec: must be a mapping"),
            "{e:?}"
        );
    }

    #[test]
    fn unknown_nested_keys() {
        let e = errors(
            "services:\n  app:\n    image: x\n    healthcheck: {tests: [CMD, x]}\n    ports: [{targt: 80}]\n",
        );
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(e[0].contains("services.app.healthcheck.tests"), "{e:?}");
        assert!(e[1].contains("services.app.ports[0].targt"), "{e:?}");
        let e = errors("servics: {}\n");
        assert_eq!(
            e,
            vec!["compose.yaml:1:1: servics: unknown key \"servics\""]
        );
    }
}
