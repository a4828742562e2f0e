//! Reading real `cargo test` and `cargo bench` output (fixtures/tests-from/).

use std::path::Path;

use super::*;
use crate::report::suite::ProblemKind;

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/tests-from")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn case<'a>(suites: &'a [Suite], suite: &str, name: &str) -> &'a Case {
    suites
        .iter()
        .find(|s| s.name == suite)
        .unwrap_or_else(|| panic!("no suite {suite} in {suites:#?}"))
        .cases
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no case {name} in {suite}"))
}

#[test]
fn every_binary_of_a_cargo_test_run_is_a_suite_named_as_cargo_names_it() {
    let suites = read_libtest(&fixture("cargo-test-failing.txt"));
    let shape: Vec<(&str, usize, usize, usize)> = suites
        .iter()
        .map(|s| (s.name.as_str(), s.cases.len(), s.failures(), s.skipped()))
        .collect();
    assert_eq!(
        shape,
        [
            ("unittests src/lib.rs", 7, 2, 2),
            ("tests/api.rs", 2, 1, 0),
            ("tests/quiet.rs", 1, 0, 0),
            ("Doc-tests tiny", 2, 1, 0),
        ]
    );
    for suite in &suites {
        for case in &suite.cases {
            assert_eq!(case.classname.as_deref(), Some(suite.name.as_str()));
        }
    }
}

#[test]
fn a_failed_test_gets_its_panic_as_the_failure_and_its_section_as_output() {
    let suites = read_libtest(&fixture("cargo-test-failing.txt"));
    let wrong = case(&suites, "unittests src/lib.rs", "tests::adds_wrong");
    assert_eq!(wrong.problems.len(), 1);
    let failure = &wrong.problems[0];
    assert_eq!(failure.kind, ProblemKind::Failure);
    assert_eq!(
        failure.message.as_deref(),
        Some("assertion `left == right` failed: two and two make four")
    );
    assert_eq!(
        failure.text,
        "thread 'tests::adds_wrong' (20153) panicked at src/lib.rs:33:9:\n\
         assertion `left == right` failed: two and two make four\n  left: 4\n right: 5\n\
         note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace"
    );
    let out = wrong.system_out.as_deref().unwrap_or_default();
    assert!(out.starts_with("adding 2 and 2\n\nthread"), "{out}");

    let panicked = case(
        &suites,
        "unittests src/lib.rs",
        "tests::panics_with_a_message",
    );
    assert_eq!(
        panicked.problems[0].message.as_deref(),
        Some("the config file /etc/tiny.toml is missing")
    );
    assert!(
        panicked
            .system_out
            .as_deref()
            .is_some_and(|o| o.starts_with("about to read the config")),
        "{panicked:?}"
    );

    let doc = case(&suites, "Doc-tests tiny", "src/lib.rs - port (line 14)");
    assert_eq!(
        doc.problems[0].message.as_deref(),
        Some("assertion `left == right` failed")
    );
    assert!(
        doc.system_out
            .as_deref()
            .is_some_and(|o| o.starts_with("Test executable failed (exit status: 101).")),
        "{doc:?}"
    );
}

#[test]
fn ignored_tests_are_skipped_with_their_reason_and_should_panic_loses_its_suffix() {
    let suites = read_libtest(&fixture("cargo-test-failing.txt"));
    let lib = "unittests src/lib.rs";
    assert_eq!(
        case(&suites, lib, "tests::online").skipped.as_deref(),
        Some("needs a network")
    );
    assert_eq!(
        case(&suites, lib, "tests::slow").skipped.as_deref(),
        Some("")
    );
    let overflows = case(&suites, lib, "tests::overflows");
    assert!(overflows.problems.is_empty() && overflows.skipped.is_none());
    let ok = case(&suites, lib, "tests::parse::ports");
    assert_eq!(ok.system_out, None);
}

#[test]
fn a_passing_run_has_no_failures_and_keeps_filtered_names_out() {
    let suites = read_libtest(&fixture("cargo-test-passing.txt"));
    let names: Vec<&str> = suites
        .iter()
        .flat_map(|s| s.cases.iter().map(|c| c.name.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            "tests::online",
            "tests::adds",
            "tests::overflows",
            "tests::slow",
            "tests::parse::ports",
            "nothing_to_say"
        ]
    );
    assert!(suites.iter().all(|s| s.failures() == 0 && s.errors() == 0));
}

#[test]
fn output_printed_between_a_name_and_its_result_belongs_to_that_test() {
    let suites = read_libtest(&fixture("cargo-test-nocapture.txt"));
    assert_eq!(suites.len(), 1);
    let lib = "unittests src/lib.rs";
    assert_eq!(suites[0].cases.len(), 7);
    assert_eq!(suites[0].failures(), 2);
    let wrong = case(&suites, lib, "tests::adds_wrong");
    assert_eq!(
        wrong.problems[0].message.as_deref(),
        Some("assertion `left == right` failed: two and two make four")
    );
    assert!(
        wrong
            .system_out
            .as_deref()
            .is_some_and(|o| o.starts_with("adding 2 and 2")),
        "{wrong:?}"
    );
    let overflows = case(&suites, lib, "tests::overflows");
    assert!(overflows.problems.is_empty(), "{overflows:?}");
    assert!(
        overflows
            .system_out
            .as_deref()
            .is_some_and(|o| o.contains("attempt to add with overflow")),
        "{overflows:?}"
    );
    assert_eq!(
        case(&suites, lib, "tests::online").skipped.as_deref(),
        Some("needs a network")
    );
}

#[test]
fn show_output_gives_a_passing_test_its_output() {
    let suites = read_libtest(&fixture("cargo-test-show-output.txt"));
    let overflows = case(&suites, "unittests src/lib.rs", "tests::overflows");
    assert!(overflows.problems.is_empty());
    assert!(
        overflows
            .system_out
            .as_deref()
            .is_some_and(|o| o.contains("attempt to add with overflow")),
        "{overflows:?}"
    );
}

#[test]
fn benchmarks_pass_with_their_numbers_as_output() {
    let suites = read_libtest(&fixture("cargo-bench.txt"));
    assert_eq!(suites.len(), 1);
    assert_eq!(suites[0].name, "benches/speed.rs");
    let add = case(&suites, "benches/speed.rs", "add_many");
    assert_eq!(
        add.system_out.as_deref(),
        Some("bench:           0.27 ns/iter (+/- 0.19)")
    );
    assert!(add.problems.is_empty());
}

#[test]
fn a_binary_run_without_cargo_and_report_time_and_a_crash() {
    let output = "\nrunning 2 tests\ntest a ... ok <0.250s>\ntest b ... FAILED <1.500s>\n\n\
                  failures:\n\n---- b stdout ----\nthread 'b' panicked at 'boom', src/x.rs:3:5\n\n\
                  failures:\n    b\n\ntest result: FAILED. 1 passed; 1 failed\n\n\
                  running 1 test\ntest c ... \nsome output\n";
    let suites = read_libtest(output);
    let names: Vec<&str> = suites.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["libtest", "libtest 2"]);
    assert_eq!(suites[0].cases[0].time, Some(Duration::from_millis(250)));
    assert_eq!(suites[0].cases[1].time, Some(Duration::from_millis(1500)));
    assert_eq!(
        suites[0].cases[1].problems[0].message.as_deref(),
        Some("boom")
    );
    let crashed = &suites[1].cases[0];
    assert!(crashed.errored(), "{crashed:?}");
    assert_eq!(crashed.system_out.as_deref(), Some("some output"));
}

#[test]
fn output_without_a_test_binary_gives_nothing() {
    assert!(read_libtest("Result: SUCCESS!\ntest this ... ok\n").is_empty());
}
