//! SIGINT and SIGTERM sent to the real process tear the stack down and exit 130 / 143.

use std::time::{Duration, Instant};

use super::support::*;

/// Starts `dockhand test`, waits until `trigger` appears on stdout or stderr, sends `signal`,
/// and returns the exit code.
async fn interrupt(
    name: &str,
    file: &str,
    command: &[&str],
    trigger: &str,
    signal: &str,
) -> (Option<i32>, String) {
    require_fixtures().await;
    let project = unique(name);
    let mut args: Vec<String> = ["test", "-f", file, "-p", &project, "--service", "app", "--"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.extend(command.iter().map(|s| s.to_string()));
    let mut run = Running::spawn(&args);
    run.wait_for(trigger);
    run.signal(signal);
    let (code, seen) = run.finish();
    if signal == "KILL" {
        // Nobody tears down in-process after SIGKILL: the reaper must, within 10 seconds.
        let deadline = Instant::now() + Duration::from_secs(10);
        while !leftovers(&project).await.is_empty() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
    assert_clean(&project).await;
    (code, seen)
}

#[tokio::test]
async fn sigint_during_bring_up_tears_down() {
    let (code, out) = interrupt(
        "int-up",
        "tests/stacks/unhealthy.yml",
        &["true"],
        "stuck: starting",
        "INT",
    )
    .await;
    assert_eq!(code, Some(130), "{out}");
}

#[tokio::test]
async fn sigterm_during_bring_up_tears_down() {
    let (code, out) = interrupt(
        "term-up",
        "tests/stacks/unhealthy.yml",
        &["true"],
        "stuck: starting",
        "TERM",
    )
    .await;
    assert_eq!(code, Some(143), "{out}");
}

#[tokio::test]
async fn sigint_during_test_command_tears_down() {
    let (code, out) = interrupt(
        "int-test",
        "tests/stacks/basic.yml",
        &["sh", "-c", "echo test-begins; sleep 60"],
        "test-begins",
        "INT",
    )
    .await;
    assert_eq!(code, Some(130), "{out}");
}

#[tokio::test]
async fn sigterm_during_test_command_tears_down() {
    let (code, out) = interrupt(
        "term-test",
        "tests/stacks/basic.yml",
        &["sh", "-c", "echo test-begins; sleep 60"],
        "test-begins",
        "TERM",
    )
    .await;
    assert_eq!(code, Some(143), "{out}");
}

#[tokio::test]
async fn sigkill_during_bring_up_is_cleaned_by_the_reaper() {
    let (code, out) = interrupt(
        "kill-up",
        "tests/stacks/unhealthy.yml",
        &["true"],
        "stuck: starting",
        "KILL",
    )
    .await;
    assert_eq!(code, None, "killed by a signal, no exit code: {out}");
}

#[tokio::test]
async fn sigkill_during_test_command_is_cleaned_by_the_reaper() {
    let (code, out) = interrupt(
        "kill-test",
        "tests/stacks/basic.yml",
        &["sh", "-c", "echo test-begins; sleep 60"],
        "test-begins",
        "KILL",
    )
    .await;
    assert_eq!(code, None, "killed by a signal, no exit code: {out}");
}
