//! JUnit XML for CI servers (Jenkins schema): rendering and atomic writing.
//!
//! The document is written with quick-xml's writer rather than with quick-junit 0.8: that
//! crate puts a `skipped` attribute on `<testsuites>`, which the Jenkins schema rejects, and
//! lets U+FFFE/U+FFFF through, which no XML parser accepts.

use std::fmt::Write as _;
use std::io::{self, BufWriter, Write as _};
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, Event};
use time::UtcDateTime;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;

use super::errors::ReportError;
use super::model::{RunReport, SetupCase, SetupOutcome, TestCase, TestStep};
use super::tail::SYSTEM_OUT_LIMIT;
use super::xml::{attribute, text};
use crate::verdict::{MarkerFound, strip_ansi};

/// How many lines of output a `<failure>` element shows (the full tail is in `system-out`).
const FAILURE_BODY_LINES: usize = 30;

/// The `timestamp` format Ant and Jenkins use: UTC, no zone suffix.
const TIMESTAMP: &[BorrowedFormatItem<'_>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");

/// Renders the run as a JUnit XML document valid against the Jenkins JUnit schema.
///
/// Layout: `<testsuites>` with one `<testsuite>` named after the project, holding
///
/// - `<properties>`: `project`, `image`, `tag`, `exit_code`, `marker`, `output_log` (each when
///   known), then [`RunReport::properties`];
/// - one `<testcase classname="PROJECT.setup" name="SERVICE">` per dependency service, with an
///   `<error>` if it did not start;
/// - one `<testcase classname="PROJECT.test" name="COMMAND">` for the test command, with a
///   `<failure>` (message = the verdict's reason) if it failed, or an `<error>` if it never
///   ran, and its output in `<system-out>`.
///
/// Then one `<testsuite>` per suite of [`RunReport::suites`] (the tests' own JUnit files and
/// the tests read from the output), with its properties, cases, failures, errors, skips and
/// output; the counts of every suite and of `<testsuites>` are counted from the cases, and a
/// skip reason is the `<skipped>` element's text, the only form the schema allows.
///
/// Output is decoded as lossy UTF-8 and escape sequences are removed; characters XML forbids
/// are removed and the rest escaped, so any output gives a well-formed document. `system-out`
/// and error details hold at most the last [`SYSTEM_OUT_LIMIT`] bytes (1 MiB); when output
/// was cut, the first line says so and names the full log. The timestamp is UTC without a
/// zone suffix (`2026-11-27T08:23:45`), the format Ant and Jenkins use.
///
/// Nothing is masked here; see [`Masker::mask_report`](super::Masker::mask_report).
///
/// ```no_run
/// use std::path::Path;
/// use std::time::{Duration, SystemTime};
///
/// use dockhand::report::{
///     Masker, OutputTail, RunReport, SetupCase, SetupOutcome, TestCase, TestStep,
///     write_junit_atomic,
/// };
/// use dockhand::verdict::{LineScanner, MarkerPolicy, judge};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let started = SystemTime::now();
/// let mut scanner = LineScanner::default();
/// let mut output = OutputTail::default();
/// for chunk in [&b"12 passed\nResult: SUC"[..], b"CESS!\n"] {
///     output.push(chunk);
///     scanner.push(chunk, |line| println!("app | {line}"));
/// }
/// scanner.finish(|line| println!("app | {line}"));
/// let verdict = judge(0, scanner.last_line(), &MarkerPolicy::default());
///
/// let mut report = RunReport {
///     project: "shop".into(),
///     started,
///     duration: Duration::from_secs(42),
///     image: Some("registry.example/shop".into()),
///     tag: Some("1.4.2".into()),
///     properties: vec![],
///     setup: vec![SetupCase {
///         service: "postgres".into(),
///         duration: Duration::from_secs(3),
///         outcome: SetupOutcome::Ok,
///         note: Some("ready (postgres protocol) in 1.3s".into()),
///     }],
///     test: TestStep::Ran(TestCase {
///         command: "make test".into(),
///         duration: Duration::from_secs(30),
///         verdict,
///         output,
///         output_log: Some("target/dockhand/test.log".into()),
///     }),
///     suites: vec![],
/// };
/// let mut masker = Masker::new(["DATABASE_URL"]);
/// masker.add_env([("POSTGRES_PASSWORD", "hunter22")]);
/// masker.mask_report(&mut report);
/// write_junit_atomic(Path::new("target/junit/dockhand.xml"), &report)?;
/// # Ok(())
/// # }
/// ```
pub fn render_junit(report: &RunReport) -> String {
    let mut xml = Vec::new();
    if let Err(err) = write_junit(&mut xml, report) {
        unreachable!("writing to a Vec<u8> cannot fail: {err}");
    }
    // Everything written came from `&str`, so the bytes are UTF-8.
    String::from_utf8(xml)
        .unwrap_or_else(|err| String::from_utf8_lossy(err.as_bytes()).into_owned())
}

/// Writes [`render_junit`]'s document to `path` atomically.
///
/// Parent folders are created. The document goes to a temporary file in the same folder, is
/// synced to disk and then renamed over `path`, so a reader (or a crash) never sees half a
/// report. The file gets the permissions of a plain new file (`0666` less the umask).
pub fn write_junit_atomic(path: &Path, report: &RunReport) -> Result<(), ReportError> {
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(folder).map_err(|source| ReportError::CreateFolder {
        path: folder.to_owned(),
        source,
    })?;
    let write_error = |source| ReportError::Write {
        path: path.to_owned(),
        source,
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".junit-").suffix(".xml.tmp");
    // Temporary files are private (0600); a report is for others to read (the CI server may
    // run as another user), so it gets the mode of a plain new file.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let mut file = builder.tempfile_in(folder).map_err(write_error)?;
    let mut out = BufWriter::new(file.as_file_mut());
    write_junit(&mut out, report).map_err(write_error)?;
    out.flush().map_err(write_error)?;
    drop(out);
    file.as_file().sync_all().map_err(write_error)?;
    file.persist(path).map_err(|err| write_error(err.error))?;
    // Make the rename itself durable; not every platform can sync a folder, so best effort.
    if let Ok(dir) = std::fs::File::open(folder) {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// Writes the document [`render_junit`] describes to `out`, indented by two spaces.
fn write_junit<W: io::Write>(out: W, report: &RunReport) -> io::Result<()> {
    let setup_errors = report
        .setup
        .iter()
        .filter(|case| matches!(case.outcome, SetupOutcome::Error { .. }))
        .count();
    let (failures, test_errors) = match &report.test {
        TestStep::Ran(case) => (usize::from(!case.verdict.passed), 0),
        TestStep::NotRun { .. } => (0, 1),
    };
    let tests = report.setup.len() + 1;
    let errors = setup_errors + test_errors;
    let (all_tests, all_failures, all_errors) =
        report
            .suites
            .iter()
            .fold((tests, failures, errors), |(t, f, e), suite| {
                (
                    t + suite.cases.len(),
                    f + suite.failures(),
                    e + suite.errors(),
                )
            });
    let (all_tests, all_failures, all_errors) = (
        all_tests.to_string(),
        all_failures.to_string(),
        all_errors.to_string(),
    );
    let (tests, failures, errors) = (tests.to_string(), failures.to_string(), errors.to_string());
    let time = seconds(report.duration);
    let timestamp = utc_timestamp(report.started);
    let setup_class = format!("{}.setup", report.project);

    let mut writer = Writer::new_with_indent(out, b' ', 2);
    writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    writer
        .create_element("testsuites")
        .with_attributes([
            attribute("name", &report.project),
            attribute("tests", &all_tests),
            attribute("failures", &all_failures),
            attribute("errors", &all_errors),
            attribute("time", &time),
        ])
        .write_inner_content(|writer| {
            writer
                .create_element("testsuite")
                .with_attributes([
                    attribute("name", &report.project),
                    attribute("tests", &tests),
                    attribute("failures", &failures),
                    attribute("errors", &errors),
                    attribute("skipped", "0"),
                    attribute("time", &time),
                    attribute("timestamp", &timestamp),
                ])
                .write_inner_content(|writer| {
                    write_properties(writer, report)?;
                    for case in &report.setup {
                        write_setup_case(writer, &setup_class, case)?;
                    }
                    write_test_step(writer, report)
                })?;
            for suite in &report.suites {
                suites::write_suite(writer, suite)?;
            }
            Ok(())
        })?;
    writer.into_inner().write_all(b"\n")
}

fn write_properties<W: io::Write>(writer: &mut Writer<W>, report: &RunReport) -> io::Result<()> {
    let mut properties: Vec<(&str, String)> = vec![("project", report.project.clone())];
    if let Some(image) = &report.image {
        properties.push(("image", image.clone()));
    }
    if let Some(tag) = &report.tag {
        properties.push(("tag", tag.clone()));
    }
    if let TestStep::Ran(case) = &report.test {
        properties.push(("exit_code", case.verdict.exit_code.to_string()));
        properties.push(("marker", case.verdict.marker.to_string()));
        if let Some(log) = &case.output_log {
            properties.push(("output_log", log.display().to_string()));
        }
    }
    properties.extend(
        report
            .properties
            .iter()
            .map(|(name, value)| (name.as_str(), value.clone())),
    );
    writer
        .create_element("properties")
        .write_inner_content(|writer| {
            for (name, value) in &properties {
                writer
                    .create_element("property")
                    .with_attributes([attribute("name", name), attribute("value", value)])
                    .write_empty()?;
            }
            Ok(())
        })?;
    Ok(())
}

fn write_setup_case<W: io::Write>(
    writer: &mut Writer<W>,
    class: &str,
    case: &SetupCase,
) -> io::Result<()> {
    let time = seconds(case.duration);
    let element = writer.create_element("testcase").with_attributes([
        attribute("classname", class),
        attribute("name", &case.service),
        attribute("time", &time),
    ]);
    match &case.outcome {
        SetupOutcome::Ok => match &case.note {
            Some(note) => element.write_inner_content(|writer| {
                writer
                    .create_element("system-out")
                    .write_text_content(text(note))?;
                Ok(())
            })?,
            None => element.write_empty()?,
        },
        SetupOutcome::Error { message, detail } => element.write_inner_content(|writer| {
            let detail = output_text(detail.as_bytes(), None, None);
            writer
                .create_element("error")
                .with_attributes([attribute("message", message), attribute("type", "setup")])
                .write_text_content(text(&detail))?;
            Ok(())
        })?,
    };
    Ok(())
}

fn write_test_step<W: io::Write>(writer: &mut Writer<W>, report: &RunReport) -> io::Result<()> {
    let class = format!("{}.test", report.project);
    let time = match &report.test {
        TestStep::Ran(case) => seconds(case.duration),
        TestStep::NotRun { .. } => seconds(Duration::ZERO),
    };
    writer
        .create_element("testcase")
        .with_attributes([
            attribute("classname", &class),
            attribute("name", report.test.command()),
            attribute("time", &time),
        ])
        .write_inner_content(|writer| match &report.test {
            TestStep::NotRun { reason, .. } => {
                let message = format!("not run: {reason}");
                writer
                    .create_element("error")
                    .with_attributes([attribute("message", &message), attribute("type", "not-run")])
                    .write_empty()?;
                Ok(())
            }
            TestStep::Ran(case) => write_test_case(writer, case),
        })?;
    Ok(())
}

fn write_test_case<W: io::Write>(writer: &mut Writer<W>, case: &TestCase) -> io::Result<()> {
    let output = case.output.to_vec();
    if !case.verdict.passed {
        let kind = match case.verdict.marker {
            MarkerFound::Failure => "failure-marker",
            _ if case.verdict.exit_code != 0 => "exit-code",
            _ => "no-marker",
        };
        let body = last_lines(&output, FAILURE_BODY_LINES);
        writer
            .create_element("failure")
            .with_attributes([
                attribute("message", &case.verdict.reason),
                attribute("type", kind),
            ])
            .write_text_content(text(&body))?;
    }
    let total = case.output.total_bytes();
    let shown = output_text(&output, Some(total), case.output_log.as_deref());
    writer
        .create_element("system-out")
        .write_text_content(text(&shown))?;
    Ok(())
}

/// The last [`SYSTEM_OUT_LIMIT`] bytes of `bytes` as clean text, with a first line saying so
/// when anything was left out. `total` is the size of the whole output if `bytes` is a tail.
fn output_text(bytes: &[u8], total: Option<u64>, full_log: Option<&Path>) -> String {
    let shown = &bytes[bytes.len().saturating_sub(SYSTEM_OUT_LIMIT)..];
    let total = total.unwrap_or(bytes.len() as u64).max(bytes.len() as u64);
    if total == shown.len() as u64 {
        return String::from_utf8_lossy(&strip_ansi(shown)).into_owned();
    }
    // Start at a line boundary near the cut so the first line shown is a whole one.
    let start = shown
        .iter()
        .take(4096)
        .position(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let shown = &shown[start..];
    let mut text = format!(
        "[output cut: showing the last {} of {total} bytes",
        shown.len()
    );
    match full_log {
        Some(path) => {
            let _ = writeln!(text, "; full output in {}]", path.display());
        }
        None => text.push_str("]\n"),
    }
    text.push_str(&String::from_utf8_lossy(&strip_ansi(shown)));
    text
}

/// The last `count` non-empty lines of `bytes`, escape sequences removed.
fn last_lines(bytes: &[u8], count: usize) -> String {
    let text = String::from_utf8_lossy(&strip_ansi(bytes)).into_owned();
    let lines: Vec<&str> = text
        .lines()
        .map(|line| line.trim_end())
        .filter(|line| !line.is_empty())
        .collect();
    lines[lines.len().saturating_sub(count)..].join("\n")
}

/// Seconds with millisecond precision, as JUnit readers expect.
fn seconds(duration: Duration) -> String {
    format!("{:.3}", duration.as_secs_f64())
}

/// `YYYY-MM-DDTHH:MM:SS` in UTC; times before 1970 show as 1970-01-01T00:00:00 and times after
/// 9999 as 9999-12-31T23:59:59, so a clock set wrong still gives a date.
fn utc_timestamp(time: SystemTime) -> String {
    let secs = time
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    let at = i64::try_from(secs)
        .ok()
        .and_then(|secs| UtcDateTime::from_unix_timestamp(secs).ok())
        .unwrap_or(UtcDateTime::MAX);
    // Cannot fail: a UtcDateTime has every component TIMESTAMP names.
    at.format(TIMESTAMP).unwrap_or_default()
}

mod suites;
#[cfg(test)]
mod tests;
