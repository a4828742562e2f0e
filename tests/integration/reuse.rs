//! `dockhand test --reuse`: the dependencies stay up between runs; a run creates only its test
//! container and what changed (with what depends on it), runs the reset commands first, and
//! `dockhand down --reused` removes the stack.

use crate::shared::CreateWatch;
use crate::support::{assert_clean, dockhand, require_fixtures, stderr, stdout, unique};

/// One `dockhand test --reuse` of tests/stacks/reuse.yml running `script` in `app`; its
/// output, and the services whose containers it created.
async fn reuse_run(project: &str, env_file: Option<&str>, script: &str) -> (String, Vec<String>) {
    let watch = CreateWatch::start(project);
    let mut args = vec![
        "test",
        "-f",
        "tests/stacks/reuse.yml",
        "-p",
        project,
        "--service",
        "app",
        "--reuse",
    ];
    if let Some(file) = env_file {
        args.extend(["--compose-env-file", file]);
    }
    args.extend(["--", "sh", "-c", script]);
    let out = dockhand(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mut created = watch.finish().await;
    created.sort();
    (stdout(&out), created)
}

#[tokio::test]
async fn reuse_creates_only_what_changed_and_resets_first() {
    require_fixtures().await;
    let project = unique("reuse");
    let ok = "; echo 'Result: SUCCESS!'";

    let (_, created) = reuse_run(&project, None, &format!("redis-cli -h cache SET k v{ok}")).await;
    assert_eq!(created, ["app", "cache", "flaky", "follower", "worker"]);

    // The same files again: only the test container, and `flaky`, whose reset fails. The
    // reset commands ran: Redis was flushed, the worker's counted once.
    let script = format!(
        "echo \"k=[$(redis-cli -h cache GET k)]\"; echo resets=$(wc -l < /marks/resets){ok}"
    );
    let (out, created) = reuse_run(&project, None, &script).await;
    assert_eq!(created, ["app", "flaky"]);
    assert!(
        out.contains("k=[]"),
        "FLUSHALL ran before the reuse:\n{out}"
    );
    assert!(out.contains("resets=1"), "{out}");

    // A plain prune leaves the reused stack alone; ps shows it as reused.
    assert_eq!(dockhand(&["prune"]).status.code(), Some(0));
    let ps = stdout(&dockhand(&["ps"]));
    assert!(
        ps.lines()
            .any(|l| l.starts_with(&project) && l.contains("\tcache\t") && l.ends_with("reused")),
        "{ps}"
    );

    // A changed value in `worker`: it and `follower`, which depends on it, are recreated.
    let dir = tempfile::tempdir().unwrap();
    let env = dir.path().join("mode.env");
    std::fs::write(&env, "MODE=two\n").unwrap();
    let (_, created) = reuse_run(&project, Some(env.to_str().unwrap()), &format!("true{ok}")).await;
    assert_eq!(created, ["app", "flaky", "follower", "worker"]);

    // A changed network setting: every container is attached to it, so the stack is made
    // anew, its network with the new label.
    std::fs::write(&env, "MODE=two\nPURPOSE=other\n").unwrap();
    let (_, created) = reuse_run(&project, Some(env.to_str().unwrap()), &format!("true{ok}")).await;
    assert_eq!(created, ["app", "cache", "flaky", "follower", "worker"]);
    let networks = std::process::Command::new("docker")
        .args(["network", "ls", "--format", "{{.Name}} {{.Labels}}"])
        .output()
        .unwrap();
    let ours: Vec<String> = String::from_utf8_lossy(&networks.stdout)
        .lines()
        .filter(|l| l.starts_with(&project))
        .map(str::to_string)
        .collect();
    assert_eq!(ours.len(), 1, "{ours:?}");
    assert!(ours[0].contains("purpose=other"), "{ours:?}");

    let out = dockhand(&["down", "--reused", "-p", &project]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_clean(&project).await;
}

#[tokio::test]
async fn the_library_reuses_a_stack_left_by_a_dropped_one() {
    require_fixtures().await;
    let project = unique("reuse-lib");
    let up = || {
        dockhand::Stack::builder()
            .file("tests/stacks/reuse.yml")
            .project_name(&project)
            .service("cache")
            .reuse(true)
            .up()
    };
    let first = up().await.unwrap();
    let id = first.container_id("cache").unwrap().to_string();
    let addr = first.endpoint("cache", 6379).unwrap().to_string();
    assert_eq!(crate::library::redis(&addr, "SET k v"), "+OK");
    drop(first);
    assert!(
        !crate::support::leftovers(&project).await.is_empty(),
        "dropping a reused stack leaves it up"
    );

    let second = up().await.unwrap();
    assert_eq!(
        second.container_id("cache"),
        Some(id.as_str()),
        "the same container"
    );
    let addr = second.endpoint("cache", 6379).unwrap().to_string();
    assert_eq!(
        crate::library::redis(&addr, "GET k"),
        "$-1",
        "its reset command flushed it"
    );
    second.down().await.unwrap();
    assert_clean(&project).await;
}
