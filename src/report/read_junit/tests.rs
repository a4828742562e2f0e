//! Reading the JUnit files of fixtures/collect/: real files from cargo-nextest and Node, and
//! the shapes Surefire, pytest, go-junit-report and PHPUnit write.

use std::path::Path;

use super::*;

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/collect")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn read(name: &str) -> Vec<Suite> {
    read_junit(&fixture(name), &format!("/reports/{name}"))
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn case<'a>(suites: &'a [Suite], name: &str) -> &'a Case {
    suites
        .iter()
        .flat_map(|s| &s.cases)
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no case {name} in {suites:#?}"))
}

#[test]
fn nextest_suites_keep_names_classnames_times_and_output() {
    let suites = read("nextest.xml");
    let names: Vec<&str> = suites.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["tiny", "tiny::api", "tiny::quiet"]);
    assert_eq!(suites[0].cases.len(), 5);
    assert_eq!(
        suites.iter().map(Suite::failures).sum::<usize>(),
        3,
        "{suites:#?}"
    );
    let wrong = case(&suites, "tests::adds_wrong");
    assert_eq!(wrong.classname.as_deref(), Some("tiny"));
    assert_eq!(wrong.time, Some(Duration::from_millis(4)));
    let failure = &wrong.problems[0];
    assert_eq!(failure.kind, ProblemKind::Failure);
    assert_eq!(
        failure.message.as_deref(),
        Some("thread 'tests::adds_wrong' (2989) panicked at src/lib.rs:33:9")
    );
    assert_eq!(
        failure.type_.as_deref(),
        Some("test failure with exit code 101")
    );
    assert!(
        failure.text.contains("two and two make four"),
        "{}",
        failure.text
    );
    assert!(
        wrong
            .system_out
            .as_deref()
            .is_some_and(|o| o.contains("adding 2 and 2")),
        "{wrong:?}"
    );
    assert!(
        wrong
            .system_err
            .as_deref()
            .is_some_and(|o| o.contains("left: 4")),
        "{wrong:?}"
    );
}

#[test]
fn node_test_cases_right_under_testsuites_get_a_suite_named_after_the_file() {
    let suites = read("node-test.xml");
    let names: Vec<&str> = suites.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["node-test.xml", "config"]);
    assert_eq!(suites[0].cases.len(), 4);
    assert_eq!(suites[1].cases.len(), 2);
    let skipped = case(&suites, "reads the cache");
    assert_eq!(skipped.skipped.as_deref(), Some("no cache in CI"));
    // A TODO test that failed is skipped, as Node counts it, but keeps its failure.
    let todo = case(&suites, "handles unicode");
    assert_eq!(todo.skipped.as_deref(), Some("not yet"));
    assert_eq!(todo.problems.len(), 1);
    assert!(!todo.failed());
    assert_eq!(suites[0].failures(), 1);
    assert_eq!(suites[0].skipped(), 2);
    let failed = case(&suites, "rejects a bad port");
    assert_eq!(
        failed.problems[0].message.as_deref(),
        Some("port 99999 accepted")
    );
    // `&lt;` in the text comes back as `<`.
    assert!(
        failed.problems[0]
            .text
            .contains("TestContext.<anonymous> (file:///tmp/taptest/js/app.test.mjs:23:11)"),
        "{}",
        failed.problems[0].text
    );
}

#[test]
fn a_bare_surefire_testsuite_keeps_properties_errors_and_cdata() {
    let suites = read("surefire.xml");
    assert_eq!(suites.len(), 1);
    let suite = &suites[0];
    assert_eq!(suite.name, "com.example.shop.CartTest");
    assert_eq!(suite.time, Some(Duration::from_millis(67)));
    assert_eq!(
        suite.properties,
        [
            ("java.version".to_string(), "17.0.9".to_string()),
            ("user.dir".to_string(), "/app".to_string())
        ]
    );
    assert_eq!(
        (
            suite.cases.len(),
            suite.failures(),
            suite.errors(),
            suite.skipped()
        ),
        (5, 1, 1, 1)
    );
    let failure = &case(&suites, "totalsPrices").problems[0];
    assert_eq!(
        failure.message.as_deref(),
        Some("expected: <42> but was: <41>")
    );
    assert!(failure.text.starts_with(
        "org.opentest4j.AssertionFailedError: expected: <42> but was: <41>\n\tat com.example"
    ));
    let error = &case(&suites, "talksToDatabase").problems[0];
    assert_eq!(error.kind, ProblemKind::Error);
    assert_eq!(error.type_.as_deref(), Some("java.net.ConnectException"));
    assert_eq!(
        case(&suites, "exportsCsv").skipped.as_deref(),
        Some("not ready")
    );
    // A flaky failure that passed on a rerun is a pass: the schema has no place for it.
    assert!(case(&suites, "checksOutEventually").problems.is_empty());
}

#[test]
fn pytest_reasons_join_message_and_text_and_char_references_resolve() {
    let suites = read("pytest.xml");
    assert_eq!(suites.len(), 1);
    assert_eq!(suites[0].name, "pytest");
    assert_eq!(suites[0].hostname.as_deref(), Some("ci-runner"));
    assert_eq!(
        suites[0].timestamp.as_deref(),
        Some("2025-03-14T09:26:53.589865+00:00")
    );
    assert_eq!(
        case(&suites, "test_export").skipped.as_deref(),
        Some("needs S3\ntests/test_orders.py:12: needs S3")
    );
    let failure = &case(&suites, "test_total").problems[0];
    assert_eq!(
        failure.message.as_deref(),
        Some("assert 41 == 42\n +  where 41 = total([20, 21])")
    );
    assert!(
        failure.text.contains(">       assert total"),
        "{}",
        failure.text
    );
    let error = &case(&suites, "test_db").problems[0];
    assert_eq!(
        error.message.as_deref(),
        Some("failed on setup with \"ConnectionRefusedError: [Errno 111] Connection refused\"")
    );
}

#[test]
fn go_junit_report_keeps_suite_output() {
    let suites = read("go-junit-report.xml");
    assert_eq!(suites[0].name, "example.com/shop/cart");
    assert_eq!(
        suites[0].system_out.as_deref(),
        Some("ok  \texample.com/shop/cart\t0.012s")
    );
    assert_eq!(
        case(&suites, "TestExport").skipped.as_deref(),
        Some("Skipped\n    cart_test.go:25: needs S3")
    );
}

#[test]
fn nested_suites_come_out_flat_keeping_their_names() {
    let suites = read("phpunit-nested.xml");
    let names: Vec<&str> = suites.iter().map(|s| s.name.as_str()).collect();
    // The outer suites hold only suites, so they are not written themselves.
    assert_eq!(names, ["Tests\\Unit\\CartTest", "Tests\\Unit\\PriceTest"]);
    assert_eq!(
        case(&suites, "testTotal").classname.as_deref(),
        Some("Tests.Unit.CartTest")
    );
    assert_eq!(suites[0].failures(), 1);
}

#[test]
fn a_file_cut_off_names_the_file_and_line() {
    let err = read_junit(&fixture("broken.xml"), "/reports/broken.xml").unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("/reports/broken.xml:"), "{text}");
    assert!(
        matches!(
            err,
            JunitReadError::Xml { line: 8..=9, .. } | JunitReadError::Unclosed { .. }
        ),
        "{err:?}"
    );
}

#[test]
fn a_coverage_report_is_not_junit() {
    let err = read_junit(&fixture("not-junit.xml"), "/reports/coverage.xml").unwrap_err();
    assert_eq!(
        err.to_string(),
        "/reports/coverage.xml: not a JUnit report: the root element is <coverage>, not \
         <testsuites> or <testsuite>"
    );
}

#[test]
fn text_that_is_not_xml_an_empty_file_and_unclosed_elements_are_errors() {
    let empty = read_junit("", "/r/empty.xml").unwrap_err();
    assert!(matches!(empty, JunitReadError::Empty { .. }), "{empty:?}");
    let text = read_junit("Result: SUCCESS!\n", "/r/out.xml").unwrap_err();
    assert!(matches!(text, JunitReadError::Empty { .. }), "{text:?}");
    let unclosed = read_junit(
        "<testsuite name=\"a\" tests=\"1\">\n<testcase name=\"x\">",
        "/r/u.xml",
    )
    .unwrap_err();
    assert!(unclosed.to_string().starts_with("/r/u.xml:"), "{unclosed}");
    let mismatched = read_junit("<testsuite>\n\n</testsuites>", "/r/m.xml").unwrap_err();
    assert!(
        mismatched
            .to_string()
            .starts_with("/r/m.xml:3: not well-formed"),
        "{mismatched}"
    );
    let two = read_junit("<testsuite/>\n<testsuite/>", "/r/two.xml").unwrap_err();
    assert_eq!(
        two.to_string(),
        "/r/two.xml:2: a second root element <testsuite> after the first one closed"
    );
}

#[test]
fn missing_names_and_odd_times_get_sensible_values() {
    let suites = read_junit(
        "<testsuite time=\"1,234.5\">\n<testcase time=\"0,25\"/>\n<testcase name=\"n\" classname=\"\" time=\"-1\"/>\n</testsuite>",
        "/reports/TEST-odd.xml",
    )
    .unwrap();
    assert_eq!(suites[0].name, "TEST-odd.xml");
    assert_eq!(suites[0].time, Some(Duration::from_millis(1_234_500)));
    assert_eq!(suites[0].cases[0].name, "testcase at line 2");
    assert_eq!(suites[0].cases[0].time, Some(Duration::from_millis(250)));
    assert_eq!(
        suites[0].cases[1].classname.as_deref(),
        Some("TEST-odd.xml")
    );
    assert_eq!(suites[0].cases[1].time, None);
}
