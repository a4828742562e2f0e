//! `${VAR}` interpolation as the compose specification defines it: defaults, required values,
//! replacements, nesting and `$$`.

/// Deeper `${A:-${B:-...}}` nesting is refused rather than risking the stack.
const MAX_NESTING: usize = 32;

/// A parsed template piece.
#[derive(Debug, Clone, PartialEq)]
enum Part {
    Lit(String),
    Var {
        name: String,
        op: Option<(Op, Vec<Part>)>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    /// `:-` (unset or empty) and `-` (unset).
    Default { empty_counts: bool },
    /// `:?` and `?`.
    Required { empty_counts: bool },
    /// `:+` and `+`.
    Replace { empty_counts: bool },
}

/// What can go wrong while interpolating one value.
#[derive(Debug, Clone, PartialEq)]
pub enum InterpolateError {
    /// The template itself is malformed; `offset` counts characters from the start of the
    /// value to the `${` at fault.
    Syntax { message: String, offset: usize },
    /// A `${VAR?message}` variable is missing.
    Required { name: String, message: String },
}

/// Substitutes variables in `text`. `lookup` answers a variable; `unset` is told about every
/// variable that was used without a value and without a default.
pub fn interpolate(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    unset: &mut dyn FnMut(&str),
) -> Result<String, InterpolateError> {
    if !text.contains('$') {
        return Ok(text.to_string());
    }
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    let parts = parse(&chars, &mut i, 0, text)?;
    let mut out = String::with_capacity(text.len());
    eval(&parts, lookup, unset, &mut out)?;
    Ok(out)
}

fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Parses until the end of input or, when `nested`, until the `}` closing the enclosing `${`.
fn parse(
    chars: &[char],
    i: &mut usize,
    depth: usize,
    whole: &str,
) -> Result<Vec<Part>, InterpolateError> {
    let nested = depth > 0;
    if depth > MAX_NESTING {
        return Err(InterpolateError::Syntax {
            message: format!(
                "invalid interpolation format in \"{whole}\": nested deeper than {MAX_NESTING} levels"
            ),
            offset: i.saturating_sub(2),
        });
    }
    let mut parts = Vec::new();
    let mut lit = String::new();
    while *i < chars.len() {
        let c = chars[*i];
        if nested && c == '}' {
            break;
        }
        if c != '$' {
            lit.push(c);
            *i += 1;
            continue;
        }
        match chars.get(*i + 1) {
            Some('$') => {
                lit.push('$');
                *i += 2;
            }
            Some('{') => {
                if !lit.is_empty() {
                    parts.push(Part::Lit(std::mem::take(&mut lit)));
                }
                *i += 2;
                parts.push(parse_braced(chars, i, depth, whole)?);
            }
            Some(&n) if is_name_start(n) => {
                if !lit.is_empty() {
                    parts.push(Part::Lit(std::mem::take(&mut lit)));
                }
                *i += 1;
                let start = *i;
                while *i < chars.len() && is_name_char(chars[*i]) {
                    *i += 1;
                }
                parts.push(Part::Var {
                    name: chars[start..*i].iter().collect(),
                    op: None,
                });
            }
            _ => {
                // A `$` that starts no variable stays as it is.
                lit.push('$');
                *i += 1;
            }
        }
    }
    if !lit.is_empty() {
        parts.push(Part::Lit(lit));
    }
    Ok(parts)
}

fn parse_braced(
    chars: &[char],
    i: &mut usize,
    depth: usize,
    whole: &str,
) -> Result<Part, InterpolateError> {
    let start = *i;
    let bad = |why: &str| InterpolateError::Syntax {
        message: format!("invalid interpolation format in \"{whole}\": {why}"),
        offset: start.saturating_sub(2),
    };
    while *i < chars.len() && is_name_char(chars[*i]) {
        *i += 1;
    }
    let name: String = chars[start..*i].iter().collect();
    let Some(&next) = chars.get(*i) else {
        return Err(bad("missing closing brace"));
    };
    if name.is_empty() {
        return Err(bad(if next == '}' {
            "empty variable name"
        } else {
            "a variable name must start with a letter or an underscore"
        }));
    }
    if !is_name_start(name.chars().next().unwrap_or('0')) {
        return Err(bad(
            "a variable name must start with a letter or an underscore",
        ));
    }
    if next == '}' {
        *i += 1;
        return Ok(Part::Var { name, op: None });
    }
    let colon = next == ':';
    let op_char = if colon {
        chars.get(*i + 1).copied()
    } else {
        Some(next)
    };
    let op = match op_char {
        Some('-') => Op::Default {
            empty_counts: colon,
        },
        Some('?') => Op::Required {
            empty_counts: colon,
        },
        Some('+') => Op::Replace {
            empty_counts: colon,
        },
        _ => {
            return Err(bad(&format!(
                "unexpected character after variable name \"{name}\""
            )));
        }
    };
    *i += if colon { 2 } else { 1 };
    let inner = parse(chars, i, depth + 1, whole)?;
    if chars.get(*i) != Some(&'}') {
        return Err(bad("missing closing brace"));
    }
    *i += 1;
    Ok(Part::Var {
        name,
        op: Some((op, inner)),
    })
}

fn eval(
    parts: &[Part],
    lookup: &dyn Fn(&str) -> Option<String>,
    unset: &mut dyn FnMut(&str),
    out: &mut String,
) -> Result<(), InterpolateError> {
    for part in parts {
        match part {
            Part::Lit(s) => out.push_str(s),
            Part::Var { name, op } => {
                let value = lookup(name);
                let missing = |empty_counts: bool| match &value {
                    None => true,
                    Some(v) => empty_counts && v.is_empty(),
                };
                match op {
                    None => match &value {
                        Some(v) => out.push_str(v),
                        None => unset(name),
                    },
                    Some((Op::Default { empty_counts }, inner)) => {
                        if missing(*empty_counts) {
                            eval(inner, lookup, unset, out)?;
                        } else if let Some(v) = &value {
                            out.push_str(v);
                        }
                    }
                    Some((Op::Required { empty_counts }, inner)) => {
                        if missing(*empty_counts) {
                            let mut message = String::new();
                            eval(inner, lookup, unset, &mut message)?;
                            return Err(InterpolateError::Required {
                                name: name.clone(),
                                message,
                            });
                        }
                        if let Some(v) = &value {
                            out.push_str(v);
                        }
                    }
                    Some((Op::Replace { empty_counts }, inner)) => {
                        if !missing(*empty_counts) {
                            eval(inner, lookup, unset, out)?;
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn run(text: &str) -> Result<(String, Vec<String>), InterpolateError> {
        let env: HashMap<&str, &str> = [("FOO", "foo"), ("EMPTY", ""), ("BAR", "bar")].into();
        let lookup = |k: &str| env.get(k).map(|v| v.to_string());
        let mut missing = Vec::new();
        let out = interpolate(text, &lookup, &mut |n| missing.push(n.to_string()))?;
        Ok((out, missing))
    }

    fn ok(text: &str) -> String {
        run(text).expect("interpolates").0
    }

    #[test]
    fn plain_forms() {
        assert_eq!(ok("$FOO-${BAR}"), "foo-bar");
        assert_eq!(ok("a$$FOO"), "a$FOO");
        assert_eq!(ok("cost: 5$"), "cost: 5$");
        assert_eq!(ok("$1"), "$1");
    }

    #[test]
    fn defaults_and_replacements() {
        assert_eq!(ok("${EMPTY:-d}"), "d");
        assert_eq!(ok("${EMPTY-d}"), "");
        assert_eq!(ok("${NOPE-d}"), "d");
        assert_eq!(ok("${FOO:+r}"), "r");
        assert_eq!(ok("${EMPTY:+r}"), "");
        assert_eq!(ok("${EMPTY+r}"), "r");
        assert_eq!(ok("${NOPE:-${NADA:-${FOO}}}"), "foo");
        assert_eq!(ok("${NOPE:-a}}"), "a}");
    }

    #[test]
    fn required() {
        assert_eq!(
            run("${NOPE:?need $FOO}"),
            Err(InterpolateError::Required {
                name: "NOPE".into(),
                message: "need foo".into()
            })
        );
        assert_eq!(ok("${EMPTY?x}"), "");
        assert!(run("${EMPTY:?x}").is_err());
    }

    #[test]
    fn unset_is_reported() {
        let (out, missing) = run("a${NOPE}b").expect("ok");
        assert_eq!(out, "ab");
        assert_eq!(missing, vec!["NOPE"]);
        let (_, missing) = run("${NOPE:-x}").expect("ok");
        assert!(missing.is_empty());
    }

    #[test]
    fn syntax_errors_point_at_their_template() {
        match run("ok ${A} then ${ bad}") {
            Err(InterpolateError::Syntax { offset, .. }) => assert_eq!(offset, 13),
            other => panic!("expected a syntax error, got {other:?}"),
        }
    }

    #[test]
    fn malformed() {
        for bad in [
            "${", "${}", "${ foo}", "${foo!}", "${FOO", "${FOO:-x", "${9a}",
        ] {
            assert!(
                matches!(run(bad), Err(InterpolateError::Syntax { .. })),
                "{bad}"
            );
        }
    }
}
