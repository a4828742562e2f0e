//! Reading real TAP (fixtures/tests-from/): Test::More, prove, `node --test`, and the TAP 14
//! specification's examples.

use std::path::Path;

use super::*;
use crate::report::suite::ProblemKind;

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/tests-from")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn names(suite: &Suite) -> Vec<&str> {
    suite.cases.iter().map(|c| c.name.as_str()).collect()
}

fn case<'a>(suite: &'a Suite, name: &str) -> &'a Case {
    suite
        .cases
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no case {name} in {:?}", names(suite)))
}

#[test]
fn test_more_tests_skips_todos_and_subtests_each_become_a_case() {
    let read = read_tap(&fixture("perl-test-more.tap"));
    assert_eq!(read.warnings, Vec::<String>::new());
    assert_eq!(read.suites.len(), 1);
    let suite = &read.suites[0];
    assert_eq!(suite.name, "tap");
    assert_eq!(
        names(suite),
        [
            "the server starts",
            "two and two make five",
            "lists compare",
            "test 4",
            "names fold to lower case",
            "config / reads the file",
            "config / port is 8080",
            "nested / outer",
            "nested / inner / deep",
        ]
    );
    // The subtest `config` failed because its test did: one failure, not two.
    assert_eq!((suite.failures(), suite.skipped()), (2, 2));
    assert_eq!(
        case(suite, "test 4").skipped.as_deref(),
        Some("no database here")
    );
    let todo = case(suite, "names fold to lower case");
    assert_eq!(todo.skipped.as_deref(), Some("TODO unicode names"));
    assert!(
        todo.system_out
            .as_deref()
            .is_some_and(|o| o.contains("Failed (TODO) test")),
        "{todo:?}"
    );
}

#[test]
fn diagnostics_after_a_failed_test_are_its_failure_text() {
    let read = read_tap(&fixture("perl-test-more.tap"));
    let suite = &read.suites[0];
    let failure = &case(suite, "two and two make five").problems[0];
    assert_eq!(failure.kind, ProblemKind::Failure);
    assert_eq!(
        failure.message.as_deref(),
        Some("not ok: two and two make five")
    );
    assert_eq!(
        failure.text,
        "  Failed test 'two and two make five'\n  at t/basic.t line 6.\n         got: '4'\n    expected: '5'"
    );
    let nested = &case(suite, "config / port is 8080").problems[0];
    assert!(
        nested.text.contains("doesn't match '(?^:port=8080)'"),
        "{}",
        nested.text
    );
    // A passing test gets no diagnostics, even the comments printed after it.
    assert!(
        case(suite, "nested / inner / deep").system_out.is_none(),
        "{suite:?}"
    );
}

#[test]
fn bail_out_is_an_error_case_and_a_warning_and_ends_the_stream() {
    let read = read_tap(&fixture("perl-bail-out.tap"));
    assert_eq!(read.warnings, ["tap: Bail out! the database is gone"]);
    let suite = &read.suites[0];
    assert_eq!(names(suite), ["connects", "Bail out!"]);
    assert!(case(suite, "Bail out!").errored());
    // The plan of 3 is not reported as well: the bail-out says why.
    assert_eq!(suite.errors(), 1);
}

#[test]
fn prove_headers_make_a_suite_per_file_and_an_unmet_plan_is_an_error() {
    let read = read_tap(&fixture("prove-verbose-merge.txt"));
    let shape: Vec<(&str, usize, usize, usize)> = read
        .suites
        .iter()
        .map(|s| (s.name.as_str(), s.cases.len(), s.failures(), s.errors()))
        .collect();
    assert_eq!(shape, [("t/basic.t", 9, 2, 0), ("t/bail.t", 2, 0, 1)]);
    assert_eq!(read.warnings, ["t/bail.t: planned 3 tests but ran 1"]);
    let plan = case(&read.suites[1], "plan");
    assert_eq!(
        plan.problems[0].message.as_deref(),
        Some("planned 3 tests but ran 1")
    );
    assert_eq!(plan.classname.as_deref(), Some("t/bail.t"));
}

#[test]
fn node_yaml_blocks_give_the_message_the_text_and_the_time() {
    let read = read_tap(&fixture("node-test.tap"));
    let suite = &read.suites[0];
    assert_eq!(
        names(suite),
        [
            "adds numbers",
            "parses a port",
            "reads the cache",
            "handles unicode",
            "config / has a default port",
            "config / rejects a bad port",
        ]
    );
    assert_eq!(
        case(suite, "adds numbers").time,
        Some(Duration::from_nanos(876_059))
    );
    let port = &case(suite, "parses a port").problems[0];
    assert_eq!(
        port.message.as_deref(),
        Some("Expected values to be strictly equal:")
    );
    assert!(port.text.contains("actual: NaN"), "{}", port.text);
    assert!(
        port.text.starts_with("duration_ms: 1.064879\n"),
        "{}",
        port.text
    );
    let bad = &case(suite, "config / rejects a bad port").problems[0];
    assert_eq!(bad.message.as_deref(), Some("port 99999 accepted"));
    assert_eq!(
        case(suite, "reads the cache").skipped.as_deref(),
        Some("no cache in CI")
    );
    assert_eq!((suite.failures(), suite.skipped()), (2, 2));
}

#[test]
fn the_tap14_specification_examples() {
    let read = read_tap(&fixture("tap14-spec-harness.tap"));
    let suite = &read.suites[0];
    assert_eq!(
        names(suite),
        [
            "foo.tap / test 1",
            "foo.tap / this passed",
            "bar.tap / object should be a Bar",
            "bar.tap / object.isBar should return true",
            "bar.tap / object can bar bears",
        ]
    );
    let bar = &case(suite, "bar.tap / object.isBar should return true").problems[0];
    assert_eq!(
        bar.text,
        "found: false\nwanted: true\nat:\n  file: test/bar.ts\n  line: 43\n  column: 8"
    );
    // `ok # TODO`: a TODO that passes is a pass.
    assert!(
        case(suite, "bar.tap / object can bar bears")
            .skipped
            .is_none()
    );
    assert_eq!(suite.failures(), 1);
    assert!(read.warnings.is_empty(), "{:?}", read.warnings);

    let read = read_tap(&fixture("tap14-spec-commented-subtests.tap"));
    assert_eq!(
        names(&read.suites[0]),
        [
            "in the parent",
            "nested / in the subtest",
            "empty",
            "test 4 / name is optional"
        ]
    );
    assert!(read.warnings.is_empty(), "{:?}", read.warnings);
}

#[test]
fn bare_subtests_escapes_and_a_subtest_failing_on_its_own() {
    let read = read_tap(
        "TAP version 14\n        ok 1 - nested twice\n        1..1\n    ok 1 - nested parent\n    1..1\n\
         ok 1 - double nest passing\n\
         ok 2 - a \\# is not a directive \\\\ # skip not today\n\
         not ok 3 - issue #42 stays\n\
         # Subtest: short\n    1..2\n    ok 1 - only one\nnot ok 4 - short\n\
         pragma +strict\n1..4\n",
    );
    let suite = &read.suites[0];
    assert_eq!(
        names(suite),
        [
            "double nest passing / nested parent / nested twice",
            "a # is not a directive \\",
            "issue #42 stays",
            "short / only one",
            "short",
        ]
    );
    assert_eq!(
        case(suite, "a # is not a directive \\").skipped.as_deref(),
        Some("not today")
    );
    // Its one test passed, yet `short` failed (its plan was 2): the subtest is a case too.
    assert!(case(suite, "short").failed());
    assert_eq!(suite.failures(), 2);
}

#[test]
fn output_that_is_not_tap_gives_nothing() {
    let read = read_tap("Compiling...\nall fine\nResult: SUCCESS!\n");
    assert_eq!(read, ReadTests::default());
}
