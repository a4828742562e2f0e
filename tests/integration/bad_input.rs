//! Bad input exits 2, names the file and line where there is one, and creates nothing.

use super::support::*;

async fn expect_bad_input(name: &str, file: &str, service: &str, needles: &[&str]) {
    let project = unique(name);
    let out = dockhand(&[
        "test",
        "-f",
        file,
        "-p",
        &project,
        "--service",
        service,
        "--",
        "true",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    for n in needles {
        assert!(err.contains(n), "expected {n:?} in:\n{err}");
    }
    assert_clean(&project).await;
}

#[tokio::test]
async fn yaml_syntax_error_names_file_and_line() {
    expect_bad_input(
        "syntax",
        "tests/stacks/syntax.yml",
        "app",
        &["syntax.yml:5"],
    )
    .await;
}

#[tokio::test]
async fn unknown_service_is_bad_input() {
    expect_bad_input(
        "nosvc",
        "tests/stacks/basic.yml",
        "nope",
        &["nope", "app", "cache"],
    )
    .await;
}

#[tokio::test]
async fn depends_on_missing_service_is_bad_input() {
    expect_bad_input(
        "nodep",
        "tests/stacks/missing-dep.yml",
        "app",
        &["missing-dep.yml:", "db"],
    )
    .await;
}

#[tokio::test]
async fn depends_on_cycle_is_spelled_out() {
    expect_bad_input(
        "cycle",
        "tests/stacks/cycle.yml",
        "app",
        &["cycle.yml:", "db -> cache -> db"],
    )
    .await;
}

#[tokio::test]
async fn missing_compose_file_is_bad_input() {
    expect_bad_input(
        "nofile",
        "tests/stacks/not-there.yml",
        "app",
        &["not-there.yml"],
    )
    .await;
}

#[test]
fn bad_arguments_exit_two() {
    let out = dockhand(&[
        "test",
        "--service",
        "app",
        "--tag",
        "has space",
        "-f",
        "tests/stacks/basic.yml",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--tag"), "{}", stderr(&out));
    let out = dockhand(&["test", "--no-such-flag"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[tokio::test]
async fn a_service_only_a_provider_plugin_runs_is_refused_by_name() {
    // `dockhand config` reads the file as compose does (a fixture checks it); a run cannot
    // start what no engine runs.
    expect_bad_input(
        "provider",
        "fixtures/compose/valid/unused-keys-printed/compose.yaml",
        "app",
        &["service db is run by the provider plugin `awesomecloud`, outside the engine"],
    )
    .await;
}
