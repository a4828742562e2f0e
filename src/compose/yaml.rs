//! A YAML tree that keeps the position of every key and value, with anchors, aliases and `<<`
//! merge keys resolved and duplicate keys rejected.

use std::collections::HashMap;

use serde_saphyr::granit_parser::{Event, Parser, ScalarStyle};

use super::diagnostic::Pos;

/// Deeper documents are refused rather than risking the stack in the recursive passes.
const MAX_DEPTH: usize = 64;
/// Alias expansion budget, in nodes, against "billion laughs" documents.
const MAX_ALIAS_NODES: usize = 200_000;

/// The compose-specific tags that change how files are merged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MergeTag {
    #[default]
    None,
    Reset,
    Override,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub pos: Pos,
    pub tag: MergeTag,
    /// What YAML makes of a scalar: a plain `1.50` is a number, a quoted one a string.
    pub kind: ScalarKind,
}

/// The type YAML 1.2 (as Go's yaml.v3, which compose uses, resolves it) gives a scalar. The
/// text of a typed scalar is rewritten to what compose prints for it (`1.50` -> `1.5`,
/// `0x10` -> `16`, `True` -> `true`), so every reader sees the string compose would pass on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ScalarKind {
    #[default]
    Str,
    Int,
    Float,
    Bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    /// Every scalar stays a string; typed reading happens after interpolation, as compose does.
    Scalar(String),
    Seq(Vec<Node>),
    Map(Vec<(Key, Node)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    pub name: String,
    pub pos: Pos,
}

/// A YAML problem with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct YamlError {
    pub pos: Pos,
    pub message: String,
}

impl Node {
    pub fn new(value: Value, pos: Pos) -> Node {
        Node {
            value,
            pos,
            tag: MergeTag::None,
            kind: ScalarKind::Str,
        }
    }

    pub fn map(&self) -> Option<&Vec<(Key, Node)>> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn map_mut(&mut self) -> Option<&mut Vec<(Key, Node)>> {
        match &mut self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn seq(&self) -> Option<&Vec<Node>> {
        match &self.value {
            Value::Seq(s) => Some(s),
            _ => None,
        }
    }

    pub fn str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(s) => Some(s),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    /// The value under `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.map()?
            .iter()
            .find(|(k, _)| k.name == key)
            .map(|(_, v)| v)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Node> {
        self.map_mut()?
            .iter_mut()
            .find(|(k, _)| k.name == key)
            .map(|(_, v)| v)
    }

    /// The value as JSON: plain numbers and booleans typed as YAML reads them, other scalars
    /// as strings (after interpolation).
    pub fn to_json(&self) -> serde_json::Value {
        match &self.value {
            Value::Null => serde_json::Value::Null,
            Value::Scalar(s) => typed_json(s, self.kind),
            Value::Seq(items) => {
                serde_json::Value::Array(items.iter().map(Node::to_json).collect())
            }
            Value::Map(entries) => serde_json::Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.name.clone(), v.to_json()))
                    .collect(),
            ),
        }
    }

    /// A word for error messages: "a string", "a mapping", ...
    pub fn kind_name(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Scalar(_) => "a scalar",
            Value::Seq(_) => "a sequence",
            Value::Map(_) => "a mapping",
        }
    }

    fn count(&self) -> usize {
        match &self.value {
            Value::Null | Value::Scalar(_) => 1,
            Value::Seq(s) => 1 + s.iter().map(Node::count).sum::<usize>(),
            Value::Map(m) => 1 + m.iter().map(|(_, v)| 1 + v.count()).sum::<usize>(),
        }
    }
}

enum Frame {
    Seq {
        items: Vec<Node>,
        pos: Pos,
        anchor: usize,
        tag: MergeTag,
    },
    Map {
        entries: Vec<(Node, Node)>,
        pending_key: Option<Node>,
        pos: Pos,
        anchor: usize,
        tag: MergeTag,
    },
}

/// Parses one YAML document. An empty document gives `Ok(None)`.
/// Structural problems stop parsing; duplicate keys and the like are collected and all returned.
pub fn parse(text: &str, file: usize) -> Result<Option<Node>, Vec<YamlError>> {
    let mut parser = Parser::new_from_str(text);
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: HashMap<usize, Node> = HashMap::new();
    let mut alias_budget = MAX_ALIAS_NODES;
    let mut errors: Vec<YamlError> = Vec::new();
    let mut root: Option<Node> = None;
    let mut documents = 0usize;

    loop {
        let (event, span) = match parser.next_event() {
            None => break,
            Some(Ok(ev)) => ev,
            Some(Err(e)) => {
                let m = e.marker();
                errors.push(YamlError {
                    pos: Pos {
                        file,
                        line: m.line().max(1),
                        col: m.col() + 1,
                    },
                    message: format!("invalid YAML: {}", e.info()),
                });
                return Err(errors);
            }
        };
        let pos = Pos {
            file,
            line: span.start.line().max(1),
            col: span.start.col() + 1,
        };
        let done: Option<Node> = match event {
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => None,
            Event::DocumentStart(..) => {
                documents += 1;
                if documents > 1 {
                    errors.push(YamlError {
                        pos,
                        message: "a compose file holds one YAML document; found a second one"
                            .into(),
                    });
                    return Err(errors);
                }
                None
            }
            Event::Alias(id) => match anchors.get(&id) {
                Some(n) => {
                    let size = n.count();
                    if size > alias_budget {
                        errors.push(YamlError {
                            pos,
                            message: "too many alias expansions in this document".into(),
                        });
                        return Err(errors);
                    }
                    alias_budget -= size;
                    let mut n = n.clone();
                    n.pos = pos;
                    Some(n)
                }
                None => {
                    errors.push(YamlError {
                        pos,
                        message: "alias refers to an unknown anchor".into(),
                    });
                    return Err(errors);
                }
            },
            Event::Scalar(text, style, anchor, tag) => {
                let merge_tag = merge_tag(tag.as_deref());
                let mut kind = ScalarKind::Str;
                let value = if style == ScalarStyle::Plain
                    && matches!(text.as_ref(), "" | "~" | "null" | "Null" | "NULL")
                {
                    Value::Null
                } else if style == ScalarStyle::Plain
                    && tag.is_none()
                    && let Some((k, canonical)) = resolve_plain(&text)
                {
                    kind = k;
                    Value::Scalar(canonical)
                } else {
                    Value::Scalar(text.into_owned())
                };
                let node = Node {
                    value,
                    pos,
                    tag: merge_tag,
                    kind,
                };
                if anchor != 0 {
                    anchors.insert(anchor, node.clone());
                }
                Some(node)
            }
            Event::SequenceStart(_, anchor, tag) => {
                if stack.len() >= MAX_DEPTH {
                    errors.push(YamlError {
                        pos,
                        message: format!("nesting deeper than {MAX_DEPTH} levels"),
                    });
                    return Err(errors);
                }
                stack.push(Frame::Seq {
                    items: Vec::new(),
                    pos,
                    anchor,
                    tag: merge_tag(tag.as_deref()),
                });
                None
            }
            Event::MappingStart(_, anchor, tag) => {
                if stack.len() >= MAX_DEPTH {
                    errors.push(YamlError {
                        pos,
                        message: format!("nesting deeper than {MAX_DEPTH} levels"),
                    });
                    return Err(errors);
                }
                stack.push(Frame::Map {
                    entries: Vec::new(),
                    pending_key: None,
                    pos,
                    anchor,
                    tag: merge_tag(tag.as_deref()),
                });
                None
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Seq {
                    items,
                    pos,
                    anchor,
                    tag,
                }) => {
                    let node = Node {
                        value: Value::Seq(items),
                        pos,
                        tag,
                        kind: ScalarKind::Str,
                    };
                    if anchor != 0 {
                        anchors.insert(anchor, node.clone());
                    }
                    Some(node)
                }
                _ => None,
            },
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Map {
                    entries,
                    pos,
                    anchor,
                    tag,
                    ..
                }) => {
                    let node = Node {
                        value: Value::Map(build_map(entries, &mut errors)),
                        pos,
                        tag,
                        kind: ScalarKind::Str,
                    };
                    if anchor != 0 {
                        anchors.insert(anchor, node.clone());
                    }
                    Some(node)
                }
                _ => None,
            },
            _ => None,
        };
        if let Some(node) = done {
            match stack.last_mut() {
                None => root = Some(node),
                Some(Frame::Seq { items, .. }) => items.push(node),
                Some(Frame::Map {
                    entries,
                    pending_key,
                    ..
                }) => match pending_key.take() {
                    None => *pending_key = Some(node),
                    Some(k) => entries.push((k, node)),
                },
            }
        }
    }
    if errors.is_empty() {
        Ok(root.filter(|r| !r.is_null()))
    } else {
        Err(errors)
    }
}

/// A plain scalar that YAML reads as a boolean or a number, with the text compose prints for
/// it; `None` for a string. Follows yaml.v3's resolution: `true`/`True`/`TRUE`, integers in
/// decimal, `0x`, `0o`, `0b` or leading-zero octal with `_` ignored, floats with `.inf` and
/// `.nan`; out-of-range floats stay strings.
pub fn resolve_plain(text: &str) -> Option<(ScalarKind, String)> {
    match text {
        "true" | "True" | "TRUE" => return Some((ScalarKind::Bool, "true".into())),
        "false" | "False" | "FALSE" => return Some((ScalarKind::Bool, "false".into())),
        ".nan" | ".NaN" | ".NAN" => return Some((ScalarKind::Float, "NaN".into())),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Some((ScalarKind::Float, "+Inf".into()));
        }
        "-.inf" | "-.Inf" | "-.INF" => return Some((ScalarKind::Float, "-Inf".into())),
        _ => {}
    }
    let first = text.chars().next()?;
    if first == '.' {
        return parse_go_float(text).map(|f| (ScalarKind::Float, format_go_float(f)));
    }
    if !(first.is_ascii_digit() || first == '+' || first == '-') {
        return None;
    }
    let plain = text.replace('_', "");
    if let Some(n) = parse_go_int(&plain) {
        return Some((ScalarKind::Int, n.to_string()));
    }
    if yaml_style_float(&plain) {
        return parse_go_float(&plain).map(|f| (ScalarKind::Float, format_go_float(f)));
    }
    None
}

/// Go's `strconv.ParseInt(s, 0, 64)`, then `ParseUint` for what does not fit: a sign, then
/// `0x`, `0o`, `0b`, a leading `0` (octal) or decimal digits.
fn parse_go_int(s: &str) -> Option<i128> {
    let (neg, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = body.to_ascii_lowercase();
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..])
    } else {
        (10, lower.as_str())
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let n = u128::from_str_radix(digits, radix).ok()?;
    let n = i128::try_from(n).ok()?;
    let n = if neg { -n } else { n };
    // int64, or uint64 when unsigned.
    let fits = (i128::from(i64::MIN)..=i128::from(i64::MAX)).contains(&n)
        || (!neg && !s.starts_with('+') && n <= i128::from(u64::MAX));
    fits.then_some(n)
}

/// yaml.v3's `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn yaml_style_float(s: &str) -> bool {
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some(("", frac)) => digits(frac),
        Some((int, frac)) => digits(int) && (frac.is_empty() || digits(frac)),
        None => digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|e| digits(e.strip_prefix(['-', '+']).unwrap_or(e)));
    mantissa_ok && exponent_ok
}

/// A finite float, as Go's `ParseFloat` gives it; out of range is `None`.
fn parse_go_float(s: &str) -> Option<f64> {
    if !yaml_style_float(s) {
        return None;
    }
    s.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// A float as Go's `%v` prints it: the shortest digits, in exponent form (`1e+06`, `1e-05`)
/// when the exponent is below -4 or 6 and above.
pub fn format_go_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    let sci = format!("{:e}", f.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if f.is_sign_negative() { "-" } else { "" };
    if !(-4..6).contains(&exp) {
        let (head, tail) = digits.split_at(1);
        let frac = if tail.is_empty() {
            String::new()
        } else {
            format!(".{tail}")
        };
        let esign = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{head}{frac}e{esign}{:02}", exp.abs());
    }
    let point = exp + 1;
    let body = if point <= 0 {
        format!("0.{}{digits}", "0".repeat(point.unsigned_abs() as usize))
    } else if point as usize >= digits.len() {
        format!("{digits}{}", "0".repeat(point as usize - digits.len()))
    } else {
        let (int, frac) = digits.split_at(point as usize);
        format!("{int}.{frac}")
    };
    format!("{sign}{body}")
}

/// A scalar as JSON: typed when YAML typed it.
fn typed_json(s: &str, kind: ScalarKind) -> serde_json::Value {
    let typed = match kind {
        ScalarKind::Str => None,
        ScalarKind::Bool => Some(serde_json::Value::Bool(s == "true")),
        ScalarKind::Int => s
            .parse::<i64>()
            .map(serde_json::Value::from)
            .or_else(|_| s.parse::<u64>().map(serde_json::Value::from))
            .ok(),
        ScalarKind::Float => s
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(serde_json::Value::Number),
    };
    typed.unwrap_or_else(|| serde_json::Value::String(s.to_string()))
}

fn merge_tag(tag: Option<&serde_saphyr::granit_parser::Tag>) -> MergeTag {
    match tag {
        Some(t) if t.handle() == "!" && t.suffix() == "reset" => MergeTag::Reset,
        Some(t) if t.handle() == "!" && t.suffix() == "override" => MergeTag::Override,
        _ => MergeTag::None,
    }
}

/// Turns raw pairs into a mapping: string keys, `<<` merges applied (explicit keys win),
/// duplicates reported.
fn build_map(entries: Vec<(Node, Node)>, errors: &mut Vec<YamlError>) -> Vec<(Key, Node)> {
    let mut out: Vec<(Key, Node)> = Vec::with_capacity(entries.len());
    let mut merged: Vec<(Key, Node)> = Vec::new();
    for (k, v) in entries {
        let name = match k.value {
            Value::Scalar(s) => s,
            Value::Null => {
                errors.push(YamlError {
                    pos: k.pos,
                    message: "mapping key is empty".into(),
                });
                continue;
            }
            _ => {
                errors.push(YamlError {
                    pos: k.pos,
                    message: "mapping keys must be strings".into(),
                });
                continue;
            }
        };
        if name == "<<" {
            match v.value {
                Value::Map(m) => merged.extend(m),
                Value::Seq(items) => {
                    for item in items {
                        match item.value {
                            Value::Map(m) => {
                                for (mk, mv) in m {
                                    if !merged.iter().any(|(e, _)| e.name == mk.name) {
                                        merged.push((mk, mv));
                                    }
                                }
                            }
                            _ => errors.push(YamlError {
                                pos: item.pos,
                                message: "a `<<` merge takes mappings only".into(),
                            }),
                        }
                    }
                }
                _ => errors.push(YamlError {
                    pos: v.pos,
                    message: "a `<<` merge takes a mapping or a list of mappings".into(),
                }),
            }
            continue;
        }
        if let Some((first, _)) = out.iter().find(|(e, _)| e.name == name) {
            errors.push(YamlError {
                pos: k.pos,
                message: format!(
                    "duplicate key \"{name}\" (first defined on line {})",
                    first.line_of()
                ),
            });
            continue;
        }
        out.push((Key { name, pos: k.pos }, v));
    }
    for (mk, mv) in merged {
        if !out.iter().any(|(e, _)| e.name == mk.name) {
            out.push((mk, mv));
        }
    }
    out
}

impl Key {
    fn line_of(&self) -> usize {
        self.pos.line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Node {
        parse(text, 0).expect("parses").expect("not empty")
    }

    #[test]
    fn keeps_positions() {
        let n = p("services:\n  db:\n    image: postgres\n");
        let img = n
            .get("services")
            .and_then(|s| s.get("db"))
            .and_then(|d| d.get("image"));
        let img = img.expect("image");
        assert_eq!(img.str(), Some("postgres"));
        assert_eq!((img.pos.line, img.pos.col), (3, 12));
    }

    #[test]
    fn rejects_duplicate_keys() {
        let e = parse("a: 1\nb: 2\na: 3\n", 0).expect_err("duplicate");
        assert_eq!(e[0].pos.line, 3);
        assert!(
            e[0].message.contains("duplicate key \"a\""),
            "{}",
            e[0].message
        );
    }

    #[test]
    fn merge_keys_and_aliases() {
        let n = p("x: &base\n  a: 1\n  b: 2\ny:\n  <<: *base\n  b: 3\n");
        let y = n.get("y").expect("y");
        assert_eq!(y.get("a").and_then(Node::str), Some("1"));
        assert_eq!(y.get("b").and_then(Node::str), Some("3"));
    }

    #[test]
    fn reads_merge_tags() {
        let n = p("ports: !reset []\nenv: !override {a: b}\n");
        assert_eq!(n.get("ports").map(|v| v.tag), Some(MergeTag::Reset));
        assert_eq!(n.get("env").map(|v| v.tag), Some(MergeTag::Override));
    }

    #[test]
    fn syntax_error_has_position() {
        let e = parse("a: [1, 2\nb: c\n", 0).expect_err("bad");
        assert!(e[0].pos.line >= 1);
        assert!(e[0].message.starts_with("invalid YAML"));
    }

    #[test]
    fn plain_scalars_typed_as_compose_types_them() {
        let cases = [
            ("1.50", Some((ScalarKind::Float, "1.5"))),
            ("3.0", Some((ScalarKind::Float, "3"))),
            ("-0.0", Some((ScalarKind::Float, "-0"))),
            ("1e3", Some((ScalarKind::Float, "1000"))),
            ("1e6", Some((ScalarKind::Float, "1e+06"))),
            ("123456789.0", Some((ScalarKind::Float, "1.23456789e+08"))),
            ("0.00001", Some((ScalarKind::Float, "1e-05"))),
            ("0.0001", Some((ScalarKind::Float, "0.0001"))),
            (".5", Some((ScalarKind::Float, "0.5"))),
            ("1.", Some((ScalarKind::Float, "1"))),
            ("08", Some((ScalarKind::Float, "8"))),
            (".inf", Some((ScalarKind::Float, "+Inf"))),
            ("-.Inf", Some((ScalarKind::Float, "-Inf"))),
            (".NaN", Some((ScalarKind::Float, "NaN"))),
            ("0x10", Some((ScalarKind::Int, "16"))),
            ("-0x10", Some((ScalarKind::Int, "-16"))),
            ("0o17", Some((ScalarKind::Int, "15"))),
            ("0755", Some((ScalarKind::Int, "493"))),
            ("0b101", Some((ScalarKind::Int, "5"))),
            ("1_000", Some((ScalarKind::Int, "1000"))),
            ("+5", Some((ScalarKind::Int, "5"))),
            ("-0", Some((ScalarKind::Int, "0"))),
            (
                "9223372036854775808",
                Some((ScalarKind::Int, "9223372036854775808")),
            ),
            ("True", Some((ScalarKind::Bool, "true"))),
            ("FALSE", Some((ScalarKind::Bool, "false"))),
            ("1e400", None),
            ("yes", None),
            ("on", None),
            ("1.2.3", None),
            ("8080:80", None),
            ("v1", None),
        ];
        for (text, want) in cases {
            let got = resolve_plain(text);
            let got = got.as_ref().map(|(k, s)| (*k, s.as_str()));
            assert_eq!(got, want, "{text}");
        }
    }

    #[test]
    fn quoted_scalars_stay_strings() {
        let n = p("a: 1.50\nb: \"1.50\"\nc: !!str 1.50\n");
        assert_eq!(n.get("a").and_then(Node::str), Some("1.5"));
        assert_eq!(n.get("b").and_then(Node::str), Some("1.50"));
        assert_eq!(n.get("c").and_then(Node::str), Some("1.50"));
        assert_eq!(n.to_json()["a"], serde_json::json!(1.5));
        assert_eq!(n.to_json()["b"], serde_json::json!("1.50"));
    }
}
