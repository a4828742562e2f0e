//! `.env` files as compose reads them: comments, `export`, quotes, escapes, multi-line values
//! and `${VAR}` references to earlier lines and to the environment.

use std::path::Path;

use indexmap::IndexMap;

use super::diagnostic::{Diagnostic, LoadError};
use super::interpolate::{InterpolateError, interpolate};

/// A problem in an env file, with its 1-based line.
#[derive(Debug, Clone, PartialEq)]
pub struct DotenvError {
    /// 1-based line of the problem.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// Parses `text`. `env` answers variables from outside the file; it wins over earlier lines,
/// as it does in compose.
pub fn parse(
    text: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<IndexMap<String, String>, DotenvError> {
    let mut vars: IndexMap<String, String> = IndexMap::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    let mut line = 1;
    while i < chars.len() {
        // Start of a line.
        let line_start = line;
        while i < chars.len() && (chars[i] == ' ' || chars[i] == '\t') {
            i += 1;
        }
        if i >= chars.len() {
            break;
        }
        if chars[i] == '\n' || chars[i] == '\r' {
            if chars[i] == '\n' {
                line += 1;
            }
            i += 1;
            continue;
        }
        if chars[i] == '#' {
            skip_line(&chars, &mut i, &mut line);
            continue;
        }
        let rest: String = chars[i..chars.len().min(i + 7)].iter().collect();
        if rest.starts_with("export ") || rest.starts_with("export\t") {
            i += 7;
            while i < chars.len() && (chars[i] == ' ' || chars[i] == '\t') {
                i += 1;
            }
        }
        let key_start = i;
        while i < chars.len()
            && !matches!(chars[i], '=' | '\n' | '\r')
            && !(chars[i] == ':' && chars.get(i + 1) == Some(&' '))
        {
            i += 1;
        }
        let key: String = chars[key_start..i]
            .iter()
            .collect::<String>()
            .trim()
            .to_string();
        if key.is_empty() {
            return Err(DotenvError {
                line: line_start,
                message: "expected KEY=VALUE".into(),
            });
        }
        if !valid_key(&key) {
            return Err(DotenvError {
                line: line_start,
                message: format!("invalid variable name \"{key}\""),
            });
        }
        if i >= chars.len() || chars[i] == '\n' || chars[i] == '\r' {
            // A bare name takes its value from the environment, if it has one.
            if let Some(v) = env(&key) {
                vars.insert(key, v);
            }
            continue;
        }
        i += 1; // '=' or ':'
        while i < chars.len() && (chars[i] == ' ' || chars[i] == '\t') {
            i += 1;
        }
        let lookup = |name: &str| env(name).or_else(|| vars.get(name).cloned());
        let value = match chars.get(i) {
            Some('\'') => {
                // Literal text: only `\'` is an escape, for a quote inside the value.
                i += 1;
                let mut v = String::new();
                loop {
                    match chars.get(i) {
                        None => {
                            return Err(DotenvError {
                                line: line_start,
                                message: format!("unterminated single-quoted value for \"{key}\""),
                            });
                        }
                        Some('\'') => {
                            i += 1;
                            break;
                        }
                        Some('\\') if chars.get(i + 1) == Some(&'\'') => {
                            v.push('\'');
                            i += 2;
                        }
                        Some(&c) => {
                            if c == '\n' {
                                line += 1;
                            }
                            v.push(c);
                            i += 1;
                        }
                    }
                }
                trailing(&chars, &mut i, &mut line, line_start, &key)?;
                v
            }
            Some('"') => {
                i += 1;
                let mut raw = String::new();
                loop {
                    match chars.get(i) {
                        None => {
                            return Err(DotenvError {
                                line: line_start,
                                message: format!("unterminated double-quoted value for \"{key}\""),
                            });
                        }
                        Some('"') => {
                            i += 1;
                            break;
                        }
                        Some('\\') => {
                            match chars.get(i + 1) {
                                Some('n') => raw.push('\n'),
                                Some('r') => raw.push('\r'),
                                Some('t') => raw.push('\t'),
                                Some('\\') => raw.push('\\'),
                                Some('"') => raw.push('"'),
                                Some('\'') => raw.push('\''),
                                // Kept escaped so that interpolation sees a literal dollar.
                                Some('$') => raw.push_str("$$"),
                                Some(&c) => {
                                    raw.push('\\');
                                    raw.push(c);
                                }
                                None => raw.push('\\'),
                            }
                            i += 2;
                        }
                        Some(&c) => {
                            if c == '\n' {
                                line += 1;
                            }
                            raw.push(c);
                            i += 1;
                        }
                    }
                }
                trailing(&chars, &mut i, &mut line, line_start, &key)?;
                expand(&raw, &lookup, line_start)?
            }
            _ => {
                let start = i;
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
                let mut raw: String = chars[start..i].iter().collect();
                if let Some(p) = raw.find(" #").or_else(|| raw.find("\t#")) {
                    raw.truncate(p);
                }
                expand(raw.trim(), &lookup, line_start)?
            }
        };
        vars.insert(key, value);
    }
    Ok(vars)
}

/// Reads an env file (as `--env-file` or `env_file:` do), `${VAR}` resolved from the process
/// environment and earlier lines. Pairs come in file order.
pub fn read_file(path: &Path) -> Result<Vec<(String, String)>, LoadError> {
    let text = std::fs::read_to_string(path).map_err(|source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let env = |k: &str| std::env::var(k).ok();
    match parse(&text, &env) {
        Ok(vars) => Ok(vars.into_iter().collect()),
        Err(e) => Err(LoadError::Invalid(vec![Diagnostic {
            file: path.to_path_buf(),
            line: e.line,
            col: 1,
            path: String::new(),
            message: e.message,
            hint: None,
            source_line: text
                .lines()
                .nth(e.line.saturating_sub(1))
                .map(str::to_string),
        }])),
    }
}

fn valid_key(key: &str) -> bool {
    let mut chars = key.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

fn skip_line(chars: &[char], i: &mut usize, line: &mut usize) {
    while *i < chars.len() && chars[*i] != '\n' {
        *i += 1;
    }
    if *i < chars.len() {
        *i += 1;
        *line += 1;
    }
}

/// After a closing quote only blanks and a comment may follow.
fn trailing(
    chars: &[char],
    i: &mut usize,
    line: &mut usize,
    line_start: usize,
    key: &str,
) -> Result<(), DotenvError> {
    while *i < chars.len() && (chars[*i] == ' ' || chars[*i] == '\t' || chars[*i] == '\r') {
        *i += 1;
    }
    match chars.get(*i) {
        None | Some('\n') | Some('#') => {
            skip_line(chars, i, line);
            Ok(())
        }
        Some(_) => Err(DotenvError {
            line: line_start,
            message: format!("unexpected text after the quoted value of \"{key}\""),
        }),
    }
}

fn expand(
    raw: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    line: usize,
) -> Result<String, DotenvError> {
    interpolate(raw, lookup, &mut |_| {}).map_err(|e| DotenvError {
        line,
        message: match e {
            InterpolateError::Syntax { message, .. } => message,
            InterpolateError::Required { name, message } => {
                format!("required variable {name} is missing a value: {message}")
            }
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(k: &str) -> Option<String> {
        (k == "HOME").then(|| "/home/u".to_string())
    }

    #[test]
    fn reads_the_usual_forms() {
        let text = "# comment\nexport A=1\nB = two words # trailing\nC='single $A'\nQ='it\\'s'\nD=\"dq \\\"x\\\"\\n$A\"\nE=${A}-${HOME}\nF=\"multi\nline\"\nG=\n";
        let v = parse(text, &env).expect("parses");
        assert_eq!(v["A"], "1");
        assert_eq!(v["B"], "two words");
        assert_eq!(v["C"], "single $A");
        assert_eq!(v["Q"], "it's");
        assert_eq!(v["D"], "dq \"x\"\n1");
        assert_eq!(v["E"], "1-/home/u");
        assert_eq!(v["F"], "multi\nline");
        assert_eq!(v["G"], "");
    }

    #[test]
    fn unterminated_quote_is_an_error() {
        let e = parse("A=1\nB=\"open\n", &env).expect_err("bad");
        assert_eq!(e.line, 2);
    }

    #[test]
    fn bare_key_comes_from_env() {
        let v = parse("HOME\nNOPE\n", &env).expect("parses");
        assert_eq!(v.get("HOME").map(String::as_str), Some("/home/u"));
        assert!(!v.contains_key("NOPE"));
    }
}
