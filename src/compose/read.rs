//! Typed reading of YAML values (strings, booleans, numbers, durations, byte sizes, the
//! list-or-mapping shapes) with an error at the value's position when the shape is wrong.

use std::time::Duration;

use indexmap::IndexMap;

use super::context::{Ctx, index, join};
use super::yaml::{Node, Value};

impl Ctx {
    /// A scalar as a string; `None` for null. Sequences and mappings are errors.
    pub fn string(&mut self, node: &Node, path: &str) -> Option<String> {
        match &node.value {
            Value::Scalar(s) => Some(s.clone()),
            Value::Null => None,
            _ => {
                self.error(
                    node.pos,
                    path,
                    format!("must be a string, found {}", node.kind_name()),
                );
                None
            }
        }
    }

    pub fn bool(&mut self, node: &Node, path: &str) -> Option<bool> {
        let s = self.string(node, path)?;
        match parse_bool(&s) {
            Some(b) => Some(b),
            None => {
                self.error(
                    node.pos,
                    path,
                    format!("invalid boolean \"{s}\": use true or false"),
                );
                None
            }
        }
    }

    pub fn int(&mut self, node: &Node, path: &str) -> Option<i64> {
        let s = self.string(node, path)?;
        match s.trim().parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                self.error(node.pos, path, format!("invalid integer \"{s}\""));
                None
            }
        }
    }

    pub fn uint(&mut self, node: &Node, path: &str) -> Option<u64> {
        let s = self.string(node, path)?;
        match s.trim().parse::<u64>() {
            Ok(n) => Some(n),
            Err(_) => {
                self.error(
                    node.pos,
                    path,
                    format!("invalid number \"{s}\": expected a whole number, 0 or more"),
                );
                None
            }
        }
    }

    /// A file mode: octal when written with a leading zero (`0440`), as YAML 1.1 reads it.
    pub fn mode(&mut self, node: &Node, path: &str) -> Option<u32> {
        let s = self.string(node, path)?;
        let t = s.trim();
        let parsed = if let Some(o) = t.strip_prefix("0o") {
            u32::from_str_radix(o, 8).ok()
        } else if t.len() > 1 && t.starts_with('0') {
            u32::from_str_radix(&t[1..], 8).ok()
        } else {
            t.parse::<u32>().ok()
        };
        if parsed.is_none() {
            self.error(node.pos, path, format!("invalid file mode \"{s}\""));
        }
        parsed
    }

    pub fn duration(&mut self, node: &Node, path: &str) -> Option<Duration> {
        let s = self.string(node, path)?;
        match parse_duration(&s) {
            Ok(d) => Some(d),
            Err(why) => {
                self.error_hint(
                    node.pos,
                    path,
                    format!("invalid duration \"{s}\": {why}"),
                    "write durations like 10s, 1m30s or 500ms",
                );
                None
            }
        }
    }

    pub fn size(&mut self, node: &Node, path: &str) -> Option<u64> {
        let s = self.string(node, path)?;
        match parse_size(&s) {
            Some(n) => Some(n),
            None => {
                self.error_hint(
                    node.pos,
                    path,
                    format!("invalid size \"{s}\""),
                    "write sizes as a number of bytes or with a unit: 64m, 1gb, 512k",
                );
                None
            }
        }
    }

    /// A string, or a sequence of strings.
    pub fn string_or_list(&mut self, node: &Node, path: &str) -> Vec<String> {
        match &node.value {
            Value::Scalar(s) => vec![s.clone()],
            Value::Null => Vec::new(),
            Value::Seq(items) => self.strings(items, path),
            Value::Map(_) => {
                self.error(
                    node.pos,
                    path,
                    "must be a string or a list of strings, found a mapping",
                );
                Vec::new()
            }
        }
    }

    /// A sequence of strings.
    pub fn list(&mut self, node: &Node, path: &str) -> Vec<String> {
        let items = self.items(node, path);
        self.strings(items, path)
    }

    /// The items of a sequence: none for null; an error (and none) for anything else.
    pub fn items<'n>(&mut self, node: &'n Node, path: &str) -> &'n [Node] {
        match &node.value {
            Value::Seq(items) => items,
            Value::Null => &[],
            _ => {
                self.error(
                    node.pos,
                    path,
                    format!("must be a list, found {}", node.kind_name()),
                );
                &[]
            }
        }
    }

    fn strings(&mut self, items: &[Node], path: &str) -> Vec<String> {
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            match &item.value {
                Value::Scalar(s) => out.push(s.clone()),
                _ => self.error(
                    item.pos,
                    &index(path, i),
                    format!("must be a string, found {}", item.kind_name()),
                ),
            }
        }
        out
    }

    /// A mapping of names to scalars, or a list of `NAME=value` (`NAME` alone gives `None`).
    pub fn list_or_dict(
        &mut self,
        node: &Node,
        path: &str,
        sep: char,
    ) -> IndexMap<String, Option<String>> {
        let mut out = IndexMap::new();
        match &node.value {
            Value::Null => {}
            Value::Map(entries) => {
                for (k, v) in entries {
                    match &v.value {
                        Value::Null => {
                            out.insert(k.name.clone(), None);
                        }
                        Value::Scalar(s) => {
                            out.insert(k.name.clone(), Some(s.clone()));
                        }
                        _ => self.error(
                            v.pos,
                            &join(path, &k.name),
                            format!(
                                "must be a string, a number or a boolean, found {}",
                                v.kind_name()
                            ),
                        ),
                    }
                }
            }
            Value::Seq(items) => {
                for (i, item) in items.iter().enumerate() {
                    match &item.value {
                        Value::Scalar(s) => match s.split_once(sep) {
                            Some((k, v)) => {
                                out.insert(k.to_string(), Some(v.to_string()));
                            }
                            None => {
                                out.insert(s.clone(), None);
                            }
                        },
                        _ => self.error(
                            item.pos,
                            &index(path, i),
                            format!("must be a string, found {}", item.kind_name()),
                        ),
                    }
                }
            }
            Value::Scalar(_) => self.error(
                node.pos,
                path,
                "must be a mapping or a list, found a scalar",
            ),
        }
        out
    }

    /// Like [`Ctx::list_or_dict`], a missing value read as the empty string.
    pub fn labels(&mut self, node: &Node, path: &str) -> IndexMap<String, String> {
        self.list_or_dict(node, path, '=')
            .into_iter()
            .map(|(k, v)| (k, v.unwrap_or_default()))
            .collect()
    }

    /// A mapping node's entries; anything else is an error.
    pub fn entries<'n>(&mut self, node: &'n Node, path: &str) -> &'n [(super::yaml::Key, Node)] {
        match &node.value {
            Value::Map(m) => m,
            Value::Null => &[],
            _ => {
                self.error(
                    node.pos,
                    path,
                    format!("must be a mapping, found {}", node.kind_name()),
                );
                &[]
            }
        }
    }
}

/// A command string split into words as compose splits it (go-shellwords): quotes and
/// backslashes as a shell reads them, and the words end at the first unquoted `;`, `&`, `|`,
/// `<` or `>`, so `a && b` is `["a"]` (compose runs no shell: write `sh -c "a && b"`).
pub fn command_words(s: &str) -> Result<Vec<String>, shell_words::ParseError> {
    let (mut single, mut double, mut escaped) = (false, false, false);
    let mut end = s.len();
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if !single => escaped = true,
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            ';' | '&' | '|' | '<' | '>' if !single && !double => {
                end = i;
                break;
            }
            _ => {}
        }
    }
    shell_words::split(&s[..end])
}

pub fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "y" => Some(true),
        "false" | "no" | "off" | "n" => Some(false),
        _ => None,
    }
}

/// `1m30s`, `10ms`, `1h5m30s20ms`, `1.5s`, `90us`; a bare `0` is allowed.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    if t.is_empty() {
        return Err("empty duration".into());
    }
    if t == "0" {
        return Ok(Duration::ZERO);
    }
    let mut nanos: f64 = 0.0;
    let chars: Vec<char> = t.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let start = i;
        while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
            i += 1;
        }
        let num: String = chars[start..i].iter().collect();
        if num.is_empty() {
            return Err(format!(
                "expected a number at \"{}\"",
                chars[start..].iter().collect::<String>()
            ));
        }
        let n: f64 = num.parse().map_err(|_| format!("bad number \"{num}\""))?;
        let ustart = i;
        while i < chars.len() && chars[i].is_ascii_alphabetic()
            || i < chars.len() && chars[i] == 'µ'
        {
            i += 1;
        }
        let unit: String = chars[ustart..i].iter().collect();
        let scale = match unit.as_str() {
            "ns" => 1.0,
            "us" | "µs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            "" => return Err("missing unit (use h, m, s, ms or us)".into()),
            other => return Err(format!("unknown unit \"{other}\" (use h, m, s, ms or us)")),
        };
        nanos += n * scale;
    }
    if !nanos.is_finite() || nanos > 1e18 {
        return Err("duration is too long".into());
    }
    Ok(Duration::from_nanos(nanos as u64))
}

/// `2b`, `1024kb`, `2048k`, `300m`, `1gb`, or a plain number of bytes.
pub fn parse_size(s: &str) -> Option<u64> {
    let t = s.trim().to_ascii_lowercase();
    let split = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num.parse().ok()?;
    let mult: f64 = match unit.trim() {
        "" | "b" => 1.0,
        "k" | "kb" | "kib" => 1024.0,
        "m" | "mb" | "mib" => 1024.0 * 1024.0,
        "g" | "gb" | "gib" => 1024.0 * 1024.0 * 1024.0,
        "t" | "tb" | "tib" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    let v = n * mult;
    (v.is_finite() && (0.0..1.8e19).contains(&v)).then_some(v as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(
            parse_duration("1h5m30s20ms"),
            Ok(Duration::from_millis(3_930_020))
        );
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert!(parse_duration("10").is_err());
        assert!(parse_duration("10x").is_err());
        assert!(parse_duration("s").is_err());
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("2b"), Some(2));
        assert_eq!(parse_size("64m"), Some(64 * 1024 * 1024));
        assert_eq!(parse_size("1gb"), Some(1 << 30));
        assert_eq!(parse_size("1024"), Some(1024));
        assert_eq!(parse_size("12q"), None);
    }

    #[test]
    fn command_words_end_at_a_shell_operator() {
        let words = |s: &str| command_words(s).expect("splits");
        assert_eq!(
            words("kong migrations up && kong migrations finish"),
            ["kong", "migrations", "up"]
        );
        assert_eq!(words("echo 'x;y' a\\;b c>d"), ["echo", "x;y", "a;b", "c"]);
        assert_eq!(words("sh -c \"a && b\""), ["sh", "-c", "a && b"]);
        assert!(command_words("echo 'open").is_err());
    }
}
