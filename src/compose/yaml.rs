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

    /// The value as JSON, scalars as strings (as they were written, after interpolation).
    pub fn to_json(&self) -> serde_json::Value {
        match &self.value {
            Value::Null => serde_json::Value::Null,
            Value::Scalar(s) => serde_json::Value::String(s.clone()),
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
                let value = if style == ScalarStyle::Plain
                    && matches!(text.as_ref(), "" | "~" | "null" | "Null" | "NULL")
                {
                    Value::Null
                } else {
                    Value::Scalar(text.into_owned())
                };
                let node = Node {
                    value,
                    pos,
                    tag: merge_tag,
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
}
