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
///     }],
///     test: TestStep::Ran(TestCase {
///         command: "make test".into(),
///         duration: Duration::from_secs(30),
///         verdict,
///         output,
///         output_log: Some("target/dockhand/test.log".into()),
///     }),
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
    let tests = (report.setup.len() + 1).to_string();
    let failures = failures.to_string();
    let errors = (setup_errors + test_errors).to_string();
    let time = seconds(report.duration);
    let timestamp = utc_timestamp(report.started);
    let setup_class = format!("{}.setup", report.project);

    let mut writer = Writer::new_with_indent(out, b' ', 2);
    writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    writer
        .create_element("testsuites")
        .with_attributes([
            attribute("name", &report.project),
            attribute("tests", &tests),
            attribute("failures", &failures),
            attribute("errors", &errors),
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
        SetupOutcome::Ok => element.write_empty()?,
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

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::process::Command;

    use super::*;
    use crate::report::{OutputTail, SetupCase, TestCase};
    use crate::verdict::{LineScanner, MarkerPolicy, judge};

    /// The Jenkins JUnit schema: the repository's copy, else the shared one next to the repo.
    fn schema_path() -> PathBuf {
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
        let in_repo = manifest.join("fixtures/schemas/jenkins-junit.xsd");
        if in_repo.is_file() {
            in_repo
        } else {
            manifest.join("../shared/schemas/jenkins-junit.xsd")
        }
    }

    fn xmllint(args: &[&str]) -> std::process::Output {
        match Command::new("xmllint").args(args).output() {
            Ok(output) => output,
            Err(err) => panic!(
                "cannot run xmllint ({err}); the JUnit tests need it: apt-get install libxml2-utils"
            ),
        }
    }

    /// Writes the report, validates it against the schema and returns the file for queries.
    fn assert_valid(report: &RunReport) -> (tempfile::TempDir, PathBuf) {
        let schema = schema_path();
        assert!(schema.is_file(), "schema missing: {}", schema.display());
        let dir = tempfile::tempdir().expect("temporary folder");
        let file = dir.path().join("junit.xml");
        write_junit_atomic(&file, report).expect("report written");
        let output = xmllint(&[
            "--noout",
            "--schema",
            &schema.to_string_lossy(),
            &file.to_string_lossy(),
        ]);
        let xml = std::fs::read_to_string(&file).unwrap_or_default();
        assert!(
            output.status.success(),
            "{} does not validate:\n{}\n{}",
            file.display(),
            String::from_utf8_lossy(&output.stderr),
            xml.chars().take(4000).collect::<String>()
        );
        (dir, file)
    }

    /// The string value of an XPath expression over the file, as a parser reads it.
    fn xpath(file: &Path, expression: &str) -> String {
        let output = xmllint(&["--xpath", expression, &file.to_string_lossy()]);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        // xmllint ends what it prints with one newline of its own.
        let mut value = String::from_utf8_lossy(&output.stdout).into_owned();
        if value.ends_with('\n') {
            value.pop();
        }
        value
    }

    fn ran(exit_code: i64, output: &[u8]) -> TestStep {
        let mut scanner = LineScanner::default();
        scanner.push(output, |_| {});
        scanner.finish(|_| {});
        TestStep::Ran(TestCase {
            command: "make test".to_owned(),
            duration: Duration::from_millis(12_345),
            verdict: judge(exit_code, scanner.last_line(), &MarkerPolicy::default()),
            output: OutputTail::from_bytes(output),
            output_log: Some(PathBuf::from("/var/log/dockhand/shop/test.log")),
        })
    }

    fn ok(service: &str) -> SetupCase {
        SetupCase {
            service: service.to_owned(),
            duration: Duration::from_millis(2_500),
            outcome: SetupOutcome::Ok,
        }
    }

    fn report(setup: Vec<SetupCase>, test: TestStep) -> RunReport {
        RunReport {
            project: "shop".to_owned(),
            started: UNIX_EPOCH + Duration::from_secs(1_700_000_000),
            duration: Duration::from_secs(20),
            image: Some("registry.example/shop".to_owned()),
            tag: Some("1.4.2".to_owned()),
            properties: vec![("build".to_owned(), "#81".to_owned())],
            setup,
            test,
        }
    }

    #[test]
    fn all_passed() {
        let report = report(
            vec![ok("postgres"), ok("redis")],
            ran(0, b"12 passed\nResult: SUCCESS!\n"),
        );
        let xml = render_junit(&report);
        let (_dir, file) = assert_valid(&report);
        assert!(
            !xml.contains("<failure") && !xml.contains("<error"),
            "{xml}"
        );
        assert_eq!(xpath(&file, "string(//testsuite/@tests)"), "3");
        assert_eq!(xpath(&file, "string(//testsuite/@failures)"), "0");
        assert_eq!(xpath(&file, "string(//testsuite/@errors)"), "0");
        assert_eq!(
            xpath(&file, "string(//testsuite/@timestamp)"),
            "2023-11-14T22:13:20"
        );
        assert_eq!(xpath(&file, "string(//testsuite/@time)"), "20.000");
        assert_eq!(
            xpath(&file, "string(//testcase[2]/@classname)"),
            "shop.setup"
        );
        assert_eq!(xpath(&file, "string(//testcase[2]/@name)"), "redis");
        assert_eq!(xpath(&file, "string(//testcase[3]/@name)"), "make test");
        assert_eq!(xpath(&file, "string(//testcase[3]/@time)"), "12.345");
        assert_eq!(
            xpath(&file, "string(//testcase[3]/system-out)"),
            "12 passed\nResult: SUCCESS!\n"
        );
        for (name, value) in [
            ("project", "shop"),
            ("image", "registry.example/shop"),
            ("tag", "1.4.2"),
            ("exit_code", "0"),
            ("marker", "success"),
            ("output_log", "/var/log/dockhand/shop/test.log"),
            ("build", "#81"),
        ] {
            assert_eq!(
                xpath(&file, &format!("string(//property[@name='{name}']/@value)")),
                value,
                "property {name}"
            );
        }
    }

    #[test]
    fn failure_marker() {
        let report = report(
            vec![ok("postgres")],
            ran(0, b"1 failed\nResult: FAILURE!\n"),
        );
        let (_dir, file) = assert_valid(&report);
        assert_eq!(xpath(&file, "string(//testsuite/@failures)"), "1");
        assert_eq!(
            xpath(&file, "string(//failure/@message)"),
            "the last line is the failure marker (exit code 0)"
        );
        assert_eq!(xpath(&file, "string(//failure/@type)"), "failure-marker");
        assert_eq!(
            xpath(&file, "string(//failure)"),
            "1 failed\nResult: FAILURE!"
        );
        assert_eq!(
            xpath(&file, "string(//property[@name='marker']/@value)"),
            "failure"
        );
    }

    #[test]
    fn exit_code_non_zero() {
        let report = report(vec![ok("postgres")], ran(3, b"Result: SUCCESS!\n"));
        let (_dir, file) = assert_valid(&report);
        assert_eq!(xpath(&file, "string(//testsuite/@failures)"), "1");
        assert_eq!(
            xpath(&file, "string(//failure/@message)"),
            "exit code 3 (the last line was the success marker)"
        );
        assert_eq!(xpath(&file, "string(//failure/@type)"), "exit-code");
        assert_eq!(
            xpath(&file, "string(//property[@name='exit_code']/@value)"),
            "3"
        );
    }

    #[test]
    fn missing_marker_is_a_failure() {
        let report = report(vec![], ran(0, b"done\n"));
        let (_dir, file) = assert_valid(&report);
        assert_eq!(xpath(&file, "string(//failure/@type)"), "no-marker");
        assert_eq!(xpath(&file, "string(//testsuite/@tests)"), "1");
    }

    #[test]
    fn dependency_failed_to_start() {
        let report = report(
            vec![
                ok("redis"),
                SetupCase {
                    service: "postgres".to_owned(),
                    duration: Duration::from_secs(60),
                    outcome: SetupOutcome::Error {
                        message: "not healthy after 60s".to_owned(),
                        detail: "last log lines:\nFATAL:  data directory has wrong ownership\n"
                            .to_owned(),
                    },
                },
            ],
            TestStep::NotRun {
                command: "make test".to_owned(),
                reason: "dependency postgres did not become healthy".to_owned(),
            },
        );
        let (_dir, file) = assert_valid(&report);
        assert_eq!(xpath(&file, "string(//testsuite/@tests)"), "3");
        assert_eq!(xpath(&file, "string(//testsuite/@errors)"), "2");
        assert_eq!(xpath(&file, "string(//testsuite/@failures)"), "0");
        assert_eq!(
            xpath(&file, "string(//testcase[@name='postgres']/error/@message)"),
            "not healthy after 60s"
        );
        assert!(
            xpath(&file, "string(//testcase[@name='postgres']/error)")
                .contains("FATAL:  data directory has wrong ownership")
        );
        assert_eq!(
            xpath(
                &file,
                "string(//testcase[@name='make test']/error/@message)"
            ),
            "not run: dependency postgres did not become healthy"
        );
        assert_eq!(xpath(&file, "count(//system-out)"), "0");
        assert_eq!(xpath(&file, "count(//property[@name='exit_code'])"), "0");
    }

    #[test]
    fn hostile_output_is_made_valid() {
        let output: &[u8] = b"\x1b[31mred\x1b[0m \x00\x07\x08 bell ]]> <tag> & \"q\"\r\n\
            bad \xff\xfe utf8 \xef\xbf\xbe nonchar\nResult: FAILURE!\n";
        let mut report = report(vec![ok("db]]>\x01")], ran(1, output));
        report
            .properties
            .push(("weird\x02".to_owned(), "a\"b'c<d>\x1b\n]]>".to_owned()));
        if let TestStep::Ran(case) = &mut report.test {
            case.command = "sh -c 'echo \"]]>\" \x03'".to_owned();
        }
        let (_dir, file) = assert_valid(&report);
        assert_eq!(
            xpath(&file, "string(//testcase[2]/system-out)"),
            "red  bell ]]> <tag> & \"q\"\r\nbad \u{fffd}\u{fffd} utf8  nonchar\nResult: FAILURE!\n"
        );
        assert_eq!(xpath(&file, "string(//testcase[1]/@name)"), "db]]>");
        assert_eq!(
            xpath(&file, "string(//testcase[2]/@name)"),
            "sh -c 'echo \"]]>\" '"
        );
        assert_eq!(
            xpath(&file, "string(//property[@name='weird']/@value)"),
            "a\"b'c<d>\n]]>"
        );
    }

    #[test]
    fn every_byte_value_gives_a_valid_document() {
        let bytes: Vec<u8> = (0..=255u8).chain(0..=255u8).collect();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let all_chars: String = (0..0x3000u32)
            .chain([0xD7FF, 0xE000, 0xFFFD, 0xFFFE, 0xFFFF, 0x10000, 0x10FFFF])
            .filter_map(char::from_u32)
            .collect();
        let mut report = report(
            vec![SetupCase {
                service: all_chars.clone(),
                duration: Duration::from_secs(1),
                outcome: SetupOutcome::Error {
                    message: all_chars.clone(),
                    detail: all_chars.clone(),
                },
            }],
            ran(1, &bytes),
        );
        report.properties.push((text.clone(), all_chars.clone()));
        if let TestStep::Ran(case) = &mut report.test {
            case.command = text;
            case.verdict.reason = all_chars;
        }
        assert_valid(&report);
    }

    #[test]
    fn huge_output_is_cut_to_its_tail() {
        let mut tail = OutputTail::new(3 * SYSTEM_OUT_LIMIT);
        let line = b"0123456789 some test output line\n";
        while tail.total_bytes() < 5 * SYSTEM_OUT_LIMIT as u64 {
            tail.push(line);
        }
        tail.push(b"Result: SUCCESS!\n");
        let total = tail.total_bytes();
        let mut step = ran(0, b"Result: SUCCESS!\n");
        if let TestStep::Ran(case) = &mut step {
            case.output = tail;
        }
        let report = report(vec![], step);
        let xml = render_junit(&report);
        assert!(xml.len() < SYSTEM_OUT_LIMIT + 8192, "{} bytes", xml.len());
        let (_dir, file) = assert_valid(&report);
        let system_out = xpath(&file, "string(//system-out)");
        let (first, rest) = system_out.split_once('\n').unwrap_or_default();
        assert_eq!(
            first,
            format!(
                "[output cut: showing the last {} of {total} bytes; full output in \
                 /var/log/dockhand/shop/test.log]",
                rest.len()
            )
        );
        assert!(rest.len() <= SYSTEM_OUT_LIMIT);
        assert!(rest.len() > SYSTEM_OUT_LIMIT - 4096);
        assert!(
            rest.starts_with("0123456789 some"),
            "starts at a whole line"
        );
        assert!(rest.ends_with("line\nResult: SUCCESS!\n"));
    }

    #[test]
    fn huge_setup_detail_is_cut_without_a_log_path() {
        let mut detail = "2026-11-27 LOG: checkpoint starting\n".repeat(SYSTEM_OUT_LIMIT / 20);
        detail.push_str("FATAL: last log line\n");
        let text = output_text(detail.as_bytes(), None, None);
        let (first, rest) = text.split_once('\n').unwrap_or_default();
        assert_eq!(
            first,
            format!(
                "[output cut: showing the last {} of {} bytes]",
                rest.len(),
                detail.len()
            )
        );
        assert!(rest.len() <= SYSTEM_OUT_LIMIT);
        assert!(rest.starts_with("2026-11-27 LOG"), "starts at a whole line");
        assert!(rest.ends_with("checkpoint starting\nFATAL: last log line\n"));
    }

    #[test]
    fn failure_body_shows_the_last_lines_only() {
        let output: String = (1..=100).map(|i| format!("line {i}\n\n")).collect();
        let body = last_lines(output.as_bytes(), FAILURE_BODY_LINES);
        let expected: Vec<String> = (71..=100).map(|i| format!("line {i}")).collect();
        assert_eq!(body, expected.join("\n"));
    }

    #[test]
    fn write_creates_folders_and_replaces_atomically() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let path = dir.path().join("reports/nested/junit.xml");
        let first = report(vec![], ran(0, b"Result: SUCCESS!\n"));
        write_junit_atomic(&path, &first).expect("first write");
        let second = report(vec![ok("redis")], ran(1, b"boom\n"));
        write_junit_atomic(&path, &second).expect("second write");
        assert_eq!(
            std::fs::read_to_string(&path).unwrap_or_default(),
            render_junit(&second)
        );
        let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap_or(dir.path()))
            .expect("folder listing")
            .filter_map(Result::ok)
            .map(|entry| entry.file_name())
            .collect();
        assert_eq!(leftovers, ["junit.xml"]);
    }

    #[cfg(unix)]
    #[test]
    fn written_report_is_readable_like_a_plain_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("temporary folder");
        let plain = dir.path().join("plain");
        std::fs::write(&plain, "").expect("file written");
        let path = dir.path().join("junit.xml");
        write_junit_atomic(&path, &report(vec![], ran(0, b""))).expect("report written");
        let mode = |path: &Path| {
            std::fs::metadata(path)
                .map(|meta| meta.permissions().mode() & 0o777)
                .unwrap_or_default()
        };
        assert_eq!(mode(&path), mode(&plain));
    }

    #[test]
    fn write_error_names_the_path() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let blocker = dir.path().join("not-a-folder");
        std::fs::write(&blocker, "x").expect("file written");
        let path = blocker.join("junit.xml");
        let err = write_junit_atomic(&path, &report(vec![], ran(0, b"")))
            .expect_err("a file is in the way");
        assert_eq!(
            err.to_string(),
            format!(
                "error creating folder {} for the JUnit report",
                blocker.display()
            )
        );
        assert!(std::error::Error::source(&err).is_some());
    }

    #[test]
    fn validation_catches_an_invalid_document() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let file = dir.path().join("bad.xml");
        // What quick-junit 0.8 writes: `skipped` on <testsuites> is not in the Jenkins schema.
        std::fs::write(
            &file,
            "<testsuites skipped=\"0\"><testsuite name=\"x\" tests=\"0\"/></testsuites>",
        )
        .expect("file written");
        let output = xmllint(&[
            "--noout",
            "--schema",
            &schema_path().to_string_lossy(),
            &file.to_string_lossy(),
        ]);
        assert!(!output.status.success());
    }

    #[test]
    fn timestamps_are_utc_calendar_dates() {
        let at = |secs| utc_timestamp(UNIX_EPOCH + Duration::from_secs(secs));
        assert_eq!(at(0), "1970-01-01T00:00:00");
        assert_eq!(at(951_782_400), "2000-02-29T00:00:00");
        assert_eq!(at(1_798_761_599), "2026-12-31T23:59:59");
        assert_eq!(
            utc_timestamp(UNIX_EPOCH - Duration::from_secs(5)),
            "1970-01-01T00:00:00"
        );
    }
}
