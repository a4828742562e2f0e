//! Tests of the JUnit rendering: every report validates against the Jenkins schema.
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
        note: None,
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
        suites: Vec::new(),
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
                note: None,
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
            note: Some(all_chars.clone()),
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
    let err =
        write_junit_atomic(&path, &report(vec![], ran(0, b""))).expect_err("a file is in the way");
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

/// The suites of every readable file in fixtures/collect/.
fn collected_suites() -> Vec<crate::report::Suite> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/collect");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fixtures/collect")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "xml"))
        .collect();
    files.sort();
    let mut suites = Vec::new();
    for file in files {
        let xml = std::fs::read_to_string(&file).expect("fixture");
        if let Ok(read) = crate::report::read_junit(&xml, &file.to_string_lossy()) {
            suites.extend(read);
        }
    }
    suites
}

#[test]
fn collected_suites_of_every_dialect_merge_into_a_valid_report() {
    let mut report = report(vec![ok("postgres")], ran(0, b"Result: SUCCESS!\n"));
    report.suites = collected_suites();
    let cases: usize = report.suites.iter().map(|s| s.cases.len()).sum();
    let failures: usize = report.suites.iter().map(|s| s.failures()).sum();
    assert!(cases > 25, "only {cases} collected cases");
    let (_dir, file) = assert_valid(&report);
    assert_eq!(
        xpath(&file, "count(//testcase)"),
        (cases + 2).to_string(),
        "dockhand's two cases beside the collected ones"
    );
    assert_eq!(
        xpath(&file, "string(/testsuites/@tests)"),
        (cases + 2).to_string()
    );
    assert_eq!(
        xpath(&file, "string(/testsuites/@failures)"),
        failures.to_string()
    );
    assert_eq!(
        xpath(&file, "string(//testsuite[1]/@name)"),
        "shop",
        "dockhand's own suite comes first"
    );
    // What the schema forbids is gone, what it allows is kept.
    assert_eq!(xpath(&file, "count(//testcase[@timestamp or @file])"), "0");
    assert_eq!(
        xpath(
            &file,
            "string(//testsuite[@name='com.example.shop.CartTest']/@skipped)"
        ),
        "1"
    );
    assert_eq!(
        xpath(&file, "string(//testcase[@name='exportsCsv']/skipped)"),
        "not ready"
    );
    assert_eq!(
        xpath(
            &file,
            "string(//testcase[@name='totalsPrices']/failure/@message)"
        ),
        "expected: <42> but was: <41>"
    );
    assert_eq!(
        xpath(&file, "string(//testcase[@name='totalsPrices']/system-out)"),
        "computing the total of 2 items\n"
    );
    assert_eq!(
        xpath(
            &file,
            "string(//testsuite[@name='example.com/shop/cart']//property[@name='go.version']/@value)"
        ),
        "go1.22.1"
    );
    assert_eq!(
        xpath(&file, "string(//testcase[@name='tests::adds_wrong']/@time)"),
        "0.004"
    );
}

#[test]
fn a_suite_without_cases_is_still_valid() {
    let mut report = report(vec![], ran(0, b"Result: SUCCESS!\n"));
    report.suites = vec![crate::report::Suite::named("empty")];
    let (_dir, file) = assert_valid(&report);
    assert_eq!(xpath(&file, "string(//testsuite[2]/@tests)"), "0");
}
