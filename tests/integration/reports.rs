//! The tests' own reports in the JUnit report: JUnit files collected from the test container
//! and tests read from the command's output, on the real engine.

use std::path::Path;

use super::support::*;

const REPORTS: &str = "tests/stacks/reports/compose.yml";
const TESTS_FROM: &str = "tests/stacks/reports/tests-from.yml";

/// How many `<testcase` elements the report holds.
fn cases(junit: &str) -> usize {
    junit.matches("<testcase ").count()
}

/// Runs `dockhand test` on `file` with its artifacts kept in `dir`, checks the report against
/// the schema and nothing of the run left on the engine. Returns the exit code, stderr and
/// the report.
async fn run_in(
    dir: &Path,
    name: &str,
    file: &str,
    extra: &[&str],
    command: &[&str],
) -> (Option<i32>, String, String) {
    let run = run_test_in(dir, name, file, extra, command).await;
    assert!(!run.junit.is_empty(), "no report written:\n{}", run.stderr);
    (run.code, run.stderr, run.junit)
}

#[tokio::test]
async fn collected_reports_merge_into_the_junit_report_beside_dockhands_cases() {
    let dir = tempfile::tempdir().unwrap();
    // The service's own glob, and one more from the command line naming a file it already
    // names: each file comes once.
    let (code, stderr, junit) = run_in(
        dir.path(),
        "collect",
        REPORTS,
        &["--collect", "/reports/api.xml"],
        &[],
    )
    .await;
    assert_eq!(code, Some(0), "{stderr}");
    for name in [
        "sh /write-reports.sh",
        "adds items",
        "totals prices",
        "exports csv",
        "creates an order",
        "lists orders",
    ] {
        assert!(
            junit.contains(&format!("name=\"{name}\"")),
            "no case {name}:\n{junit}"
        );
    }
    assert_eq!(cases(&junit), 6, "{junit}");
    assert!(
        junit.contains(" tests=\"6\" failures=\"1\" errors=\"0\" time="),
        "{junit}"
    );
    assert!(
        junit.contains(
            "<failure message=\"expected 42, got 41\" type=\"AssertionError\">cart_test.py:14: expected 42, got 41</failure>"
        ),
        "{junit}"
    );
    assert!(
        junit.contains("<system-out>computing the total of 2 items</system-out>"),
        "{junit}"
    );
    assert!(junit.contains("<skipped>needs S3</skipped>"), "{junit}");
    // The schema has no `file` or `line` on a test case.
    assert!(!junit.contains("file=\"cart_test.py\""), "{junit}");
    // The verdict stays the command's, and the failure underneath it is told.
    assert!(
        stderr.contains(
            "warning: the verdict is a pass, yet 1 test in the tests' own reports failed: totals prices"
        ),
        "{stderr}"
    );
    assert!(
        junit.contains("name=\"warning.1\" value=\"the verdict is a pass, yet 1 test"),
        "{junit}"
    );
    let collected = dir.path().join("artifacts/collected/reports");
    assert!(collected.join("unit/TEST-cart.xml").is_file());
    assert!(collected.join("api.xml").is_file());
    assert!(stderr.contains("collected 2 report files into"), "{stderr}");
}

#[tokio::test]
async fn reports_are_collected_from_a_failed_command_too() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stderr, junit) = run_in(
        dir.path(),
        "collectfail",
        REPORTS,
        &[],
        &sh("sh /write-reports.sh > /dev/null; echo 'Result: FAILURE!'; exit 3"),
    )
    .await;
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(cases(&junit), 6, "{junit}");
    // dockhand's own case fails, and the collected failure is there; no pass to warn about.
    assert!(junit.contains("failures=\"2\""), "{junit}");
    assert!(!stderr.contains("the verdict is a pass"), "{stderr}");
}

#[tokio::test]
async fn a_broken_or_foreign_collected_file_is_a_warning_and_the_report_stays_valid() {
    let dir = tempfile::tempdir().unwrap();
    let script = "mkdir -p /reports \
        && printf '<testsuite name=\"cut\">\\n<testcase name=\"a\">\\n<failure mess' > /reports/broken.xml \
        && printf '<coverage line-rate=\"0.8\"/>\\n' > /reports/coverage.xml \
        && printf '<testsuite name=\"fine\"><testcase name=\"readable\"/></testsuite>' > /reports/fine.xml \
        && echo 'Result: SUCCESS!'";
    let (code, stderr, junit) = run_in(
        dir.path(),
        "collectbad",
        REPORTS,
        &["--collect", "/nowhere/*.xml"],
        &sh(script),
    )
    .await;
    assert_eq!(code, Some(0), "{stderr}");
    for warning in [
        "warning: collected report left out of the JUnit report: /reports/broken.xml:3: not well-formed XML",
        "warning: collected report left out of the JUnit report: /reports/coverage.xml: not a JUnit report: the root element is <coverage>",
        "warning: collect glob /nowhere/*.xml matched no file: the test container has no /nowhere",
    ] {
        assert!(stderr.contains(warning), "no {warning:?} in:\n{stderr}");
    }
    assert!(junit.contains("name=\"readable\""), "{junit}");
    assert_eq!(cases(&junit), 2, "{junit}");
    for n in 1..=3 {
        assert!(
            junit.contains(&format!("<property name=\"warning.{n}\"")),
            "warning.{n} missing:\n{junit}"
        );
    }
    assert!(junit.contains("/reports/broken.xml:3"), "{junit}");
    // The broken file is still saved for a person to look at.
    assert!(
        dir.path()
            .join("artifacts/collected/reports/broken.xml")
            .is_file()
    );
}

#[tokio::test]
async fn tests_from_libtest_give_one_case_per_test() {
    let r = run_test(
        "libtest",
        TESTS_FROM,
        &["--tests-from", "libtest"],
        &sh("cat /fixtures/tests-from/cargo-test-failing.txt; echo 'Result: SUCCESS!'"),
    )
    .await;
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    // 12 tests in four binaries, and dockhand's own case for the command.
    assert_eq!(cases(&r.junit), 13, "{}", r.junit);
    for suite in [
        "unittests src/lib.rs",
        "tests/api.rs",
        "tests/quiet.rs",
        "Doc-tests tiny",
    ] {
        assert!(
            r.junit.contains(&format!("<testsuite name=\"{suite}\"")),
            "no suite {suite}:\n{}",
            r.junit
        );
    }
    for text in [
        "<testcase name=\"tests::adds_wrong\" classname=\"unittests src/lib.rs\">",
        "<failure message=\"assertion `left == right` failed: two and two make four\">",
        "<testcase name=\"tests::online\" classname=\"unittests src/lib.rs\">",
        "<skipped>needs a network</skipped>",
    ] {
        assert!(r.junit.contains(text), "no {text:?} in:\n{}", r.junit);
    }
    assert!(
        r.stderr.contains(
            "the verdict is a pass, yet 4 tests in the tests' own reports failed: tests::adds_wrong, tests::panics_with_a_message, public_port_rejects_words, src/lib.rs - port (line 14)"
        ),
        "{}",
        r.stderr
    );
}

#[tokio::test]
async fn tests_from_tap_give_one_case_per_test_and_subtest() {
    let r = run_test(
        "tap",
        TESTS_FROM,
        &["--tests-from", "tap"],
        &sh("cat /fixtures/tests-from/perl-test-more.tap; exit 2"),
    )
    .await;
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert_eq!(cases(&r.junit), 10, "{}", r.junit);
    assert!(
        r.junit.contains("name=\"config / port is 8080\""),
        "{}",
        r.junit
    );
    assert!(
        r.junit.contains("name=\"nested / inner / deep\""),
        "{}",
        r.junit
    );
    assert!(
        r.junit.contains("<skipped>TODO unicode names</skipped>"),
        "{}",
        r.junit
    );
}

#[tokio::test]
async fn tests_from_with_no_tests_in_the_output_is_a_warning() {
    let r = run_test(
        "tapnone",
        TESTS_FROM,
        &["--tests-from", "tap"],
        &sh("echo 'nothing here'; echo 'Result: SUCCESS!'"),
    )
    .await;
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("warning: --tests-from tap: no test found in the output of the test command"),
        "{}",
        r.stderr
    );
    assert_eq!(cases(&r.junit), 1, "{}", r.junit);
}
