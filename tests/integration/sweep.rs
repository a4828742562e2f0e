//! The sweep: runs whose owner process is gone are removed by `dockhand prune` and by the next
//! run; kept stacks and live owners are left alone.

use std::collections::HashMap;

use bollard::models::NetworkCreateRequest;
use dockhand::labels;

use super::support::*;

/// Creates a network labelled as run `run` of `project`, owned by `pid`.
async fn fake_run_network(project: &str, run: &str, pid: u32, keep: bool) {
    let mut l = HashMap::from([
        (labels::MANAGED.to_string(), "true".to_string()),
        (labels::PROJECT.to_string(), project.to_string()),
        (labels::RUN.to_string(), run.to_string()),
        (labels::OWNER_PID.to_string(), pid.to_string()),
        (labels::OWNER_HOST.to_string(), dockhand::owner::this_host()),
    ]);
    if keep {
        l.insert(labels::KEEP.to_string(), "true".to_string());
    }
    docker()
        .create_network(NetworkCreateRequest {
            name: format!("{project}_default"),
            labels: Some(l),
            ..Default::default()
        })
        .await
        .unwrap();
}

/// A pid that belonged to a process that has exited.
fn dead_pid() -> u32 {
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    pid
}

// Every `dockhand test` run sweeps, and other tests run at the same time: one of them may
// remove the abandoned run first. So each scenario is tried until the command under test is
// the one that removed it (a handful of tries at most), and nothing may be left either way.

#[tokio::test]
async fn prune_removes_runs_of_dead_owners_only() {
    let kept = unique("sweep-kept");
    let alive = unique("sweep-alive");
    fake_run_network(&kept, &uuid::Uuid::new_v4().to_string(), dead_pid(), true).await;
    fake_run_network(
        &alive,
        &uuid::Uuid::new_v4().to_string(),
        std::process::id(),
        false,
    )
    .await;

    let mut pruned_by_prune = false;
    for _ in 0..5 {
        let dead = unique("sweep-dead");
        fake_run_network(&dead, &uuid::Uuid::new_v4().to_string(), dead_pid(), false).await;
        let out = dockhand(&["prune"]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert_clean(&dead).await;
        if stderr(&out).contains(&dead) {
            pruned_by_prune = true;
            break;
        }
    }
    assert!(
        pruned_by_prune,
        "dockhand prune never removed the abandoned run itself"
    );
    assert!(!leftovers(&kept).await.is_empty(), "a kept stack was swept");
    assert!(
        !leftovers(&alive).await.is_empty(),
        "a live owner's run was swept"
    );

    let down = dockhand(&["down", "-p", &kept]);
    assert_eq!(down.status.code(), Some(0));
    let engine = engine().await;
    engine
        .remove_network(&format!("{alive}_default"))
        .await
        .unwrap();
    assert_clean(&kept).await;
    assert_clean(&alive).await;
}

#[tokio::test]
async fn a_run_sweeps_abandoned_runs_first() {
    require_fixtures().await;
    let mut swept_by_run = false;
    for _ in 0..5 {
        let dead = unique("sweep-next");
        fake_run_network(&dead, &uuid::Uuid::new_v4().to_string(), dead_pid(), false).await;
        let project = unique("sweeper");
        let out = dockhand(&[
            "test",
            "-f",
            "tests/stacks/basic.yml",
            "-p",
            &project,
            "--service",
            "app",
            "--",
            "echo",
            "Result: SUCCESS!",
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert_clean(&dead).await;
        assert_clean(&project).await;
        if stderr(&out).contains(&format!("removed {dead}")) {
            swept_by_run = true;
            break;
        }
    }
    assert!(swept_by_run, "a run never swept the abandoned run itself");
}
