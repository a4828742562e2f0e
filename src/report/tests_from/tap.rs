//! The Test Anything Protocol, versions 13 and 14, as test commands print it: `ok`/`not ok`
//! lines with `# SKIP` and `# TODO` directives, YAML diagnostic blocks, `#` diagnostics,
//! subtests (indented, after `# Subtest: NAME`), plans and `Bail out!`. Each test becomes a
//! case; a subtest's tests become cases named `SUBTEST / TEST`.

use std::sync::LazyLock;
use std::time::Duration;

use regex::Regex;

use super::ReadTests;
use crate::report::suite::{Case, Problem, Suite};

/// `ok`, `not ok`, an optional number, an optional `-`, the rest.
static TEST_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(not )?ok\b(?:\s+(\d+))?\s*(?:-\s*)?(.*)$").expect("a valid regular expression")
});

/// `1..N`, perhaps with a reason after `#`.
static PLAN_LINE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^1\.\.(\d+)\b").expect("a valid regular expression"));

/// prove's header of each file in verbose mode: `t/basic.t .. `.
static PROVE_HEADER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(\S*/\S+|\S+\.\w+) \.{2,} ?$").expect("a valid regular expression")
});

/// The suites in `output`: one per file when prove's headers (`t/basic.t .. `) say which
/// file printed what, else one named `tap`. A plan the tests did not meet is an error case
/// named `plan`; `Bail out!` is an error case, and ends the reading.
pub fn read_tap(output: &str) -> ReadTests {
    let mut reader = Reader::new("tap");
    for line in output.lines() {
        if reader.line(line.trim_end_matches('\r')) == Flow::Stop {
            break;
        }
    }
    reader.finish()
}

#[derive(Debug, PartialEq, Eq)]
enum Flow {
    Go,
    Stop,
}

/// One level of nesting: the top level, or a subtest.
#[derive(Debug, Default)]
struct Level {
    /// How far its lines are indented.
    indent: usize,
    /// The name a `# Subtest:` line gave it.
    name: Option<String>,
    /// Its cases so far, its subtests' cases among them.
    cases: Vec<Case>,
    /// The case of its last test line, which diagnostics that follow belong to, and whether
    /// that line said `not ok`.
    last: Option<(usize, bool)>,
    /// `1..N`.
    planned: Option<usize>,
    /// Its test lines so far.
    ran: usize,
}

struct Reader {
    suite: Suite,
    suites: Vec<Suite>,
    warnings: Vec<String>,
    levels: Vec<Level>,
    /// Inside a YAML block: its indentation and lines.
    yaml: Option<(usize, Vec<String>)>,
    /// Whether the last line that mattered was a test line (a YAML block may follow).
    after_test: bool,
    bailed: bool,
}

impl Reader {
    fn new(name: &str) -> Reader {
        Reader {
            suite: Suite::named(name),
            suites: Vec::new(),
            warnings: Vec::new(),
            levels: vec![Level::default()],
            yaml: None,
            after_test: false,
            bailed: false,
        }
    }

    fn line(&mut self, line: &str) -> Flow {
        let content = line.trim_start();
        let indent = line.len() - content.len();
        if let Some((at, lines)) = &mut self.yaml {
            if content == "..." && indent <= *at {
                let (_, lines) = self.yaml.take().unwrap_or_default();
                self.attach_yaml(&lines);
            } else {
                let cut = line.len().min(*at);
                let text = if line[..cut].trim().is_empty() {
                    &line[cut..]
                } else {
                    content
                };
                lines.push(text.to_string());
            }
            return Flow::Go;
        }
        if content.is_empty() {
            return Flow::Go;
        }
        if content == "---" && self.after_test && indent > self.top().indent {
            self.yaml = Some((indent, Vec::new()));
            return Flow::Go;
        }
        self.after_test = false;
        if indent == 0
            && let Some(header) = PROVE_HEADER.captures(line)
        {
            self.end_suite();
            self.suite = Suite::named(&header[1]);
            return Flow::Go;
        }
        if let Some(reason) = content.strip_prefix("Bail out!") {
            self.bail_out(reason.trim());
            return Flow::Stop;
        }
        if let Some(name) = content.strip_prefix("# Subtest") {
            let name = name.trim_start_matches(':').trim();
            self.levels.push(Level {
                indent: indent + 4,
                name: (!name.is_empty()).then(|| name.to_string()),
                ..Level::default()
            });
            return Flow::Go;
        }
        if let Some(comment) = content.strip_prefix('#') {
            self.attach_comment(indent, comment);
            return Flow::Go;
        }
        if let Some(plan) = PLAN_LINE.captures(content) {
            self.enter_indent(indent);
            self.top_mut().planned = plan[1].parse().ok();
            return Flow::Go;
        }
        if let Some(test) = TEST_LINE.captures(content) {
            let children = self.enter_indent(indent);
            let not_ok = test.get(1).is_some();
            let number = test.get(2).map(|n| n.as_str().to_string());
            self.test_line(not_ok, number, &test[3], children);
            self.after_test = true;
        }
        Flow::Go
    }

    fn top(&self) -> &Level {
        self.levels.last().expect("the top level is never popped")
    }

    fn top_mut(&mut self) -> &mut Level {
        self.levels
            .last_mut()
            .expect("the top level is never popped")
    }

    /// Makes the level at `indent` the current one: deeper levels end (their cases are
    /// returned, for the subtest line that follows them), a deeper line starts a subtest that
    /// had no `# Subtest:` line.
    fn enter_indent(&mut self, indent: usize) -> Option<Level> {
        let mut ended: Option<Level> = None;
        while self.levels.len() > 1 && self.top().indent > indent {
            let level = self.levels.pop().expect("more than one level");
            if let Some(inner) = ended.take() {
                // A subtest that ended without its summary line: its cases go to its parent.
                let mut level = level;
                let prefix = inner.name.clone();
                level.cases.extend(prefixed(inner.cases, prefix.as_deref()));
                ended = Some(level);
            } else {
                ended = Some(level);
            }
        }
        if self.top().indent < indent {
            self.levels.push(Level {
                indent,
                ..Level::default()
            });
        }
        ended
    }

    fn test_line(
        &mut self,
        not_ok: bool,
        number: Option<String>,
        rest: &str,
        children: Option<Level>,
    ) {
        let (description, directive) = split_directive(rest);
        let level_ran = self.top().ran + 1;
        let name = if description.is_empty() {
            format!("test {}", number.unwrap_or_else(|| level_ran.to_string()))
        } else {
            description
        };
        let mut case = Case::passed(name.clone(), self.suite.name.clone());
        match directive {
            Some(Directive::Skip(reason)) => case.skipped = Some(reason),
            Some(Directive::Todo(reason)) if not_ok => {
                case.skipped = Some(format!("TODO {reason}"))
            }
            _ if not_ok => case.problems = vec![Problem::failure(format!("not ok: {name}"), "")],
            _ => {}
        }
        let top = self.top_mut();
        top.ran += 1;
        match children {
            Some(sub) if !sub.cases.is_empty() => {
                let any_failed = sub.cases.iter().any(|c| c.failed() || c.errored());
                let prefix = sub.name.clone().unwrap_or_else(|| name.clone());
                top.cases.extend(prefixed(sub.cases, Some(&prefix)));
                // The subtest failed for a reason none of its tests shows (a plan not met):
                // it is a case of its own.
                if case.failed() && !any_failed {
                    top.cases.push(case);
                    top.last = Some((top.cases.len() - 1, not_ok));
                } else {
                    top.last = None;
                }
            }
            _ => {
                top.cases.push(case);
                top.last = Some((top.cases.len() - 1, not_ok));
            }
        }
    }

    /// A `#` line: a diagnostic of the `not ok` test before it at the same level.
    fn attach_comment(&mut self, indent: usize, comment: &str) {
        let Some(level) = self.levels.iter_mut().rev().find(|l| l.indent <= indent) else {
            return;
        };
        if let Some((index, true)) = level.last {
            append(
                &mut level.cases[index],
                comment.strip_prefix(' ').unwrap_or(comment),
            );
        }
    }

    /// A YAML block: the diagnostics of the test before it, its message and its duration.
    fn attach_yaml(&mut self, lines: &[String]) {
        let level = self.top_mut();
        let Some((index, not_ok)) = level.last else {
            return;
        };
        let case = &mut level.cases[index];
        if let Some(ms) = yaml_value(lines, "duration_ms").and_then(|v| v.parse::<f64>().ok()) {
            case.time = Duration::try_from_secs_f64(ms / 1000.0).ok();
        }
        if !not_ok {
            return;
        }
        if let Some(problem) = case.problems.first_mut()
            && let Some(message) =
                yaml_value(lines, "message").or_else(|| yaml_value(lines, "error"))
        {
            problem.message = Some(message);
        }
        append(case, &lines.join("\n"));
    }

    fn bail_out(&mut self, reason: &str) {
        self.bailed = true;
        let message = if reason.is_empty() {
            "Bail out!".to_string()
        } else {
            format!("Bail out! {reason}")
        };
        self.warnings
            .push(format!("{}: {message}", self.suite.name));
        let mut case = Case::passed("Bail out!", self.suite.name.clone());
        case.problems = vec![Problem::error(message, "")];
        // Open subtests keep their cases: the suite's end closes them.
        let top = self.top_mut();
        top.cases.push(case);
        top.last = None;
    }

    /// The suite read so far, finished: open subtests closed, the plan checked.
    fn end_suite(&mut self) {
        self.yaml = None;
        while self.levels.len() > 1 {
            let level = self.levels.pop().expect("more than one level");
            let prefix = level.name.clone();
            self.top_mut()
                .cases
                .extend(prefixed(level.cases, prefix.as_deref()));
        }
        let root = std::mem::take(&mut self.levels[0]);
        let mut suite = std::mem::replace(&mut self.suite, Suite::named("tap"));
        suite.cases = root.cases;
        if let Some(planned) = root.planned
            && planned != root.ran
            && !self.bailed
        {
            let message = format!("planned {planned} tests but ran {}", root.ran);
            self.warnings.push(format!("{}: {message}", suite.name));
            let mut case = Case::passed("plan", suite.name.clone());
            case.problems = vec![Problem::error(message, "")];
            suite.cases.push(case);
        }
        if !suite.cases.is_empty() {
            self.suites.push(suite);
        }
    }

    fn finish(mut self) -> ReadTests {
        if let Some((_, lines)) = self.yaml.take() {
            self.attach_yaml(&lines);
        }
        self.end_suite();
        ReadTests {
            suites: self.suites,
            warnings: self.warnings,
        }
    }
}

/// `cases` named `PREFIX / NAME`.
fn prefixed(cases: Vec<Case>, prefix: Option<&str>) -> impl Iterator<Item = Case> {
    let prefix = prefix.map(str::to_string);
    cases.into_iter().map(move |mut case| {
        if let Some(prefix) = &prefix {
            case.name = format!("{prefix} / {}", case.name);
        }
        case
    })
}

/// Adds a line of diagnostics to a case: to its failure, else (a TODO test) to its output.
fn append(case: &mut Case, text: &str) {
    let target = match case.problems.first_mut() {
        Some(problem) => &mut problem.text,
        None => case.system_out.get_or_insert_with(String::new),
    };
    if !target.is_empty() {
        target.push('\n');
    }
    target.push_str(text);
}

enum Directive {
    Skip(String),
    Todo(String),
}

/// `description # SKIP reason` as the description and the directive; a `#` that starts no
/// directive stays in the description, and `\#` and `\\` are a `#` and a `\`.
fn split_directive(rest: &str) -> (String, Option<Directive>) {
    let mut description = String::new();
    let mut chars = rest.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some((_, next @ ('#' | '\\'))) => description.push(next),
                Some((_, next)) => {
                    description.push('\\');
                    description.push(next);
                }
                None => description.push('\\'),
            },
            '#' => {
                let after = rest[i + 1..].trim_start();
                let word_end = after.find(char::is_whitespace).unwrap_or(after.len());
                let word = after[..word_end].to_ascii_lowercase();
                let reason = after[word_end..].trim().to_string();
                if word.starts_with("skip") {
                    return (
                        description.trim().to_string(),
                        Some(Directive::Skip(reason)),
                    );
                }
                if word.starts_with("todo") {
                    return (
                        description.trim().to_string(),
                        Some(Directive::Todo(reason)),
                    );
                }
                description.push('#');
            }
            c => description.push(c),
        }
    }
    (description.trim().to_string(), None)
}

/// The value of top-level key `key` of a YAML block, unquoted; for a block scalar (`|-`),
/// its first line.
fn yaml_value(lines: &[String], key: &str) -> Option<String> {
    let at = lines
        .iter()
        .position(|l| l.strip_prefix(key).is_some_and(|r| r.starts_with(':')))?;
    let value = lines[at][key.len() + 1..].trim();
    let value = if value.starts_with('|') || value.starts_with('>') || value.is_empty() {
        lines.get(at + 1)?.trim()
    } else {
        value
    };
    let unquoted = value
        .strip_prefix('\'')
        .and_then(|v| v.strip_suffix('\''))
        .or_else(|| value.strip_prefix('"').and_then(|v| v.strip_suffix('"')))
        .unwrap_or(value);
    (!unquoted.is_empty()).then(|| unquoted.to_string())
}

#[cfg(test)]
mod tests;
