//! SIGINT and SIGTERM sent to the real process tear the stack down and exit 130 / 143.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
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
    let mut args = vec!["test", "-f", file, "-p", &project, "--service", "app", "--"];
    args.extend_from_slice(command);
    let mut child = Command::new(env!("CARGO_BIN_EXE_dockhand"))
        .args(&args)
        .current_dir(root())
        .env("CI", "true")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let out = child.stdout.take().unwrap();
    let err = child.stderr.take().unwrap();
    let tx2 = tx.clone();
    std::thread::spawn(move || {
        BufReader::new(out)
            .lines()
            .map_while(Result::ok)
            .for_each(|l| drop(tx.send(l)))
    });
    std::thread::spawn(move || {
        BufReader::new(err)
            .lines()
            .map_while(Result::ok)
            .for_each(|l| drop(tx2.send(l)))
    });

    let deadline = Instant::now() + Duration::from_secs(120);
    let mut seen = String::new();
    loop {
        let line = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("trigger never printed");
        seen.push_str(&line);
        seen.push('\n');
        if line.contains(trigger) {
            break;
        }
    }
    let status = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
    let code = child.wait().unwrap().code();
    while let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
        seen.push_str(&line);
        seen.push('\n');
    }
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
