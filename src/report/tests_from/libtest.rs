//! The human output of Rust's test harness (`cargo test`, `cargo bench`, a test binary run by
//! hand): one suite per test binary, one case per `test NAME ... RESULT` line, the
//! `---- NAME stdout ----` sections as each case's output and failure.

use std::collections::VecDeque;
use std::time::Duration;

use crate::report::suite::{Case, Problem, Suite};

/// The suites in `output`. Cargo's `Running unittests src/lib.rs (target/...)`,
/// `Running tests/api.rs (...)` and `Doc-tests NAME` lines name the suite of the binary that
/// follows and the class of its cases; a binary run without cargo gives a suite `libtest`.
pub fn read_libtest(output: &str) -> Vec<Suite> {
    let mut reader = Reader::default();
    for line in output.lines() {
        reader.line(line.trim_end_matches('\r'));
    }
    reader.finish()
}

/// Where the reader is in the output.
#[derive(Default)]
struct Reader {
    suites: Vec<Suite>,
    /// The name cargo printed for the next binary.
    label: Option<String>,
    /// The binary being read: between `running N tests` and `test result:`.
    current: Option<Suite>,
    /// Cases whose name was printed but not yet their result (`--nocapture` prints the test's
    /// own output in between), oldest first, each with the output seen so far.
    pending: VecDeque<(usize, Vec<String>)>,
    /// After `failures:` or `successes:`: the sections of captured output.
    in_sections: bool,
    /// The section being read: the case's name and its lines.
    section: Option<(String, Vec<String>)>,
}

impl Reader {
    fn line(&mut self, line: &str) {
        let trimmed = line.trim_start();
        let indented = trimmed.len() < line.len();
        if indented && let Some(target) = trimmed.strip_prefix("Running ") {
            self.end_binary();
            // `unittests src/lib.rs (target/debug/deps/tiny-b84...)`: the path is noise.
            let target = target.split(" (").next().unwrap_or(target);
            self.label = Some(target.trim().to_string());
            return;
        }
        if indented && trimmed.starts_with("Doc-tests ") {
            self.end_binary();
            self.label = Some(trimmed.trim().to_string());
            return;
        }
        if is_running_line(line) {
            self.end_binary();
            let name = self
                .label
                .take()
                .unwrap_or_else(|| self.unnamed_suite_name());
            self.current = Some(Suite::named(name));
            return;
        }
        if self.current.is_none() {
            return;
        }
        if line.starts_with("test result: ") {
            self.end_binary();
            return;
        }
        if line == "failures:" || line == "successes:" {
            self.end_section();
            self.in_sections = true;
            return;
        }
        if self.in_sections {
            if let Some(name) = section_header(line) {
                self.end_section();
                self.section = Some((name.to_string(), Vec::new()));
            } else if let Some((_, lines)) = &mut self.section {
                lines.push(line.to_string());
            }
            return;
        }
        if let Some((name, result)) = test_line(line) {
            let Some(suite) = &mut self.current else {
                return;
            };
            let mut case = Case::passed(name, suite.name.clone());
            case.time = split_time(result).1;
            match Outcome::parse(result) {
                Some(outcome) => {
                    outcome.apply(&mut case, Vec::new());
                    suite.cases.push(case);
                }
                // The test's own output follows its name (`--nocapture`).
                None => {
                    suite.cases.push(case);
                    let index = suite.cases.len() - 1;
                    self.pending.push_back((index, vec![result.to_string()]));
                }
            }
            return;
        }
        match Outcome::parse(line) {
            Some(outcome) => {
                if let Some((index, lines)) = self.pending.pop_front()
                    && let Some(suite) = &mut self.current
                {
                    outcome.apply(&mut suite.cases[index], lines);
                }
            }
            None => {
                if let Some((_, lines)) = self.pending.back_mut() {
                    lines.push(line.to_string());
                }
            }
        }
    }

    /// `libtest`, `libtest 2`, ...: the name of a binary no cargo line named.
    fn unnamed_suite_name(&self) -> String {
        let taken = self
            .suites
            .iter()
            .filter(|s| s.name == "libtest" || s.name.starts_with("libtest "))
            .count();
        if taken == 0 {
            "libtest".into()
        } else {
            format!("libtest {}", taken + 1)
        }
    }

    /// The captured output of one case, given to it: its output, and for a failure the panic.
    fn end_section(&mut self) {
        let Some((name, lines)) = self.section.take() else {
            return;
        };
        let Some(suite) = &mut self.current else {
            return;
        };
        let text = trimmed_block(&lines);
        if let Some(case) = suite.cases.iter_mut().find(|c| c.name == name) {
            if case.failed() {
                case.problems = vec![failure_of(&lines)];
            }
            case.system_out = Some(text);
        }
    }

    fn end_binary(&mut self) {
        self.end_section();
        self.in_sections = false;
        if let Some(mut suite) = self.current.take() {
            // A test whose result never came: the binary ended (crashed, was killed) first.
            for (index, lines) in self.pending.drain(..) {
                let case = &mut suite.cases[index];
                case.system_out = Some(trimmed_block(&lines));
                case.problems = vec![Problem::error(
                    "no result: the test binary ended while this test ran",
                    trimmed_block(&lines),
                )];
            }
            if !suite.cases.is_empty() {
                self.suites.push(suite);
            }
        }
    }

    fn finish(mut self) -> Vec<Suite> {
        self.end_binary();
        self.suites
    }
}

/// How a test ended, from the text after ` ... `.
enum Outcome {
    Ok,
    Failed,
    Ignored(String),
    Bench(String),
}

impl Outcome {
    /// `ok`, `FAILED`, `ignored`, `ignored, REASON`, `bench: N ns/iter (+/- M)`, each perhaps
    /// followed by a time (`ok <0.002s>`, with `--report-time`).
    fn parse(text: &str) -> Option<Outcome> {
        let (text, _) = split_time(text);
        match text {
            "ok" => Some(Outcome::Ok),
            "FAILED" => Some(Outcome::Failed),
            "ignored" => Some(Outcome::Ignored(String::new())),
            _ => {
                if let Some(reason) = text.strip_prefix("ignored, ") {
                    Some(Outcome::Ignored(reason.to_string()))
                } else if text.starts_with("bench:") {
                    Some(Outcome::Bench(text.to_string()))
                } else {
                    None
                }
            }
        }
    }

    /// Gives `case` this outcome; `lines` is what the test printed before it.
    fn apply(self, case: &mut Case, lines: Vec<String>) {
        if !lines.is_empty() {
            let text = trimmed_block(&lines);
            if !text.is_empty() {
                case.system_out = Some(text);
            }
        }
        match self {
            Outcome::Ok => {}
            Outcome::Failed => case.problems = vec![failure_of(&lines)],
            Outcome::Ignored(reason) => case.skipped = Some(reason),
            Outcome::Bench(result) => {
                let out = case.system_out.get_or_insert_with(String::new);
                if !out.is_empty() {
                    out.push('\n');
                }
                out.push_str(&result);
            }
        }
    }
}

/// `running 7 tests`, `running 1 test`.
fn is_running_line(line: &str) -> bool {
    line.strip_prefix("running ")
        .and_then(|rest| {
            rest.strip_suffix(" tests")
                .or_else(|| rest.strip_suffix(" test"))
        })
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// `test NAME ... RESULT` as the name and the rest (maybe empty); the name without the
/// padding `cargo bench` adds or the ` - should panic` libtest adds.
fn test_line(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_prefix("test ")?;
    let (name, result) = match rest.split_once(" ... ") {
        Some(split) => split,
        None => (rest.strip_suffix(" ...")?, ""),
    };
    let name = name.trim_end();
    let name = name.strip_suffix(" - should panic").unwrap_or(name);
    Some((name, result.trim()))
}

/// `---- NAME stdout ----`.
fn section_header(line: &str) -> Option<&str> {
    line.strip_prefix("---- ")?.strip_suffix(" stdout ----")
}

/// `ok <0.002s>` as `ok` and 2 ms.
fn split_time(text: &str) -> (&str, Option<Duration>) {
    let text = text.trim();
    if let Some(open) = text.rfind(" <")
        && let Some(secs) = text[open + 2..].strip_suffix("s>")
        && let Ok(secs) = secs.parse::<f64>()
    {
        return (&text[..open], Duration::try_from_secs_f64(secs).ok());
    }
    (text, None)
}

/// The failure a failed test's captured output shows: the panic's message and everything from
/// the panic on (a doc test's section says how its executable failed first).
fn failure_of(lines: &[String]) -> Problem {
    let panic = lines.iter().position(|l| is_panic_line(l));
    match panic {
        Some(at) => {
            let line = &lines[at];
            // Before Rust 1.73: `thread 'x' panicked at 'message', src/lib.rs:3:5`.
            let message = line
                .split_once("panicked at '")
                .and_then(|(_, rest)| rest.rsplit_once("', ").map(|(m, _)| m.to_string()))
                .or_else(|| lines.get(at + 1).map(|l| l.trim().to_string()))
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| line.trim().to_string());
            Problem::failure(message, trimmed_block(&lines[at..]))
        }
        None => {
            let message = lines
                .iter()
                .map(|l| l.trim())
                .find(|l| !l.is_empty())
                .unwrap_or("failed")
                .to_string();
            Problem::failure(message, trimmed_block(lines))
        }
    }
}

/// `thread 'name' (1234) panicked at src/lib.rs:33:9:`.
fn is_panic_line(line: &str) -> bool {
    line.starts_with("thread '") && line.contains(" panicked at ")
}

/// The lines as one text, without the blank lines around it.
fn trimmed_block(lines: &[String]) -> String {
    let start = lines.iter().position(|l| !l.trim().is_empty());
    let end = lines.iter().rposition(|l| !l.trim().is_empty());
    match (start, end) {
        (Some(start), Some(end)) => lines[start..=end].join("\n"),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests;
