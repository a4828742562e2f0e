//! Shared stacks: test processes (the `shared_lessee` example, one per process) asking for
//! the same stack share one bring-up, the last one out removes it after the linger, a killed
//! one neither keeps it nor removes it, a failed bring-up fails them all.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use dockhand::Stack;
use futures_util::StreamExt;

use crate::support::{assert_clean, docker, leftovers, require_fixtures, root, unique};

/// The lessee example, built once if this run did not build it already.
fn lessee() -> PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let exe = std::env::current_exe().unwrap();
        let profile_dir = exe.parent().unwrap().parent().unwrap();
        let path = profile_dir.join("examples").join("shared_lessee");
        if !path.is_file() {
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            let status = Command::new(cargo)
                .args(["build", "--example", "shared_lessee"])
                .current_dir(root())
                .status()
                .expect("cargo builds the shared_lessee example");
            assert!(
                status.success(),
                "building the shared_lessee example failed"
            );
        }
        path
    })
    .clone()
}

/// One lessee process holding the stack of `file` for `hold_ms`.
fn start(file: &str, project: &str, key: &str, linger: &str, hold_ms: u64) -> Child {
    Command::new(lessee())
        .args([file, project, &hold_ms.to_string()])
        .env("DOCKHAND_SHARE_KEY", key)
        .env("DOCKHAND_LINGER", linger)
        .current_dir(root())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the lessee starts")
}

/// The first line a lessee prints: `run ID` or `error MESSAGE`.
fn first_line(child: &mut Child) -> String {
    use std::io::BufRead;
    let out = child.stdout.take().unwrap();
    let mut line = String::new();
    std::io::BufReader::new(out).read_line(&mut line).unwrap();
    line.trim().to_string()
}

/// Watches the engine's container create events live from the moment it starts (a query of
/// past events reads from a buffer of the last 256 and can miss some while other tests run).
pub(crate) struct CreateWatch {
    prefix: String,
    seen: Arc<Mutex<Vec<(String, String)>>>,
    task: tokio::task::JoinHandle<()>,
}

impl CreateWatch {
    /// Starts watching for containers of projects starting with `prefix`.
    pub(crate) fn start(prefix: &str) -> CreateWatch {
        use bollard::query_parameters::EventsOptionsBuilder;
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
        // From this instant: events between it and the stream's start are replayed.
        let since = format!("{}.{:09}", now.as_secs(), now.subsec_nanos());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        let task = tokio::spawn(async move {
            let filters = HashMap::from([("type", vec!["container"]), ("event", vec!["create"])]);
            let options = EventsOptionsBuilder::new()
                .since(&since)
                .filters(&filters)
                .build();
            let mut events = docker().events(Some(options));
            while let Some(Ok(e)) = events.next().await {
                let Some(attributes) = e.actor.and_then(|a| a.attributes) else {
                    continue;
                };
                let get = |k: &str| attributes.get(k).cloned().unwrap_or_default();
                sink.lock().unwrap().push((
                    get("com.docker.compose.project"),
                    get("com.docker.compose.service"),
                ));
            }
        });
        CreateWatch {
            prefix: prefix.to_string(),
            seen,
            task,
        }
    }

    /// The compose service of each container created for the projects watched, once the
    /// events of what already happened have arrived.
    pub(crate) async fn finish(self) -> Vec<String> {
        tokio::time::sleep(Duration::from_millis(500)).await;
        self.task.abort();
        let seen = self.seen.lock().unwrap();
        seen.iter()
            .filter(|(project, _)| project.starts_with(&self.prefix))
            .map(|(_, service)| service.clone())
            .collect()
    }
}

/// Waits until nothing of `prefix` is left, at most `within`; how long it took.
async fn gone_within(prefix: &str, within: Duration) -> Duration {
    let t0 = Instant::now();
    loop {
        if leftovers(prefix).await.is_empty() {
            return t0.elapsed();
        }
        assert!(
            t0.elapsed() < within,
            "{prefix} still on the engine after {within:?}: {:?}",
            leftovers(prefix).await
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn processes_started_at_once_share_one_bring_up() {
    require_fixtures().await;
    let project = unique("share");
    let key = project.clone();
    let watch = CreateWatch::start(&project);
    let mut children: Vec<Child> = (0..4)
        .map(|_| start("compose/redis.yml", &project, &key, "1", 3000))
        .collect();
    let runs: Vec<String> = children.iter_mut().map(first_line).collect();
    assert!(runs[0].starts_with("run "), "{runs:?}");
    assert!(
        runs.iter().all(|r| r == &runs[0]),
        "one stack for all: {runs:?}"
    );
    for child in &mut children {
        assert!(child.wait().unwrap().success());
    }
    assert_eq!(
        watch.finish().await,
        ["cache"],
        "one bring-up creates the one Redis container once"
    );
    gone_within(&project, Duration::from_secs(1 + 10)).await;
}

#[tokio::test]
async fn the_last_one_out_removes_it_after_the_linger() {
    require_fixtures().await;
    let project = unique("share-linger");
    let key = project.clone();
    let mut first = start("compose/redis.yml", &project, &key, "4", 0);
    let run = first_line(&mut first);
    assert!(first.wait().unwrap().success());
    // Within the linger the next process finds the same stack.
    let mut second = start("compose/redis.yml", &project, &key, "4", 0);
    assert_eq!(
        first_line(&mut second),
        run,
        "the lingering stack is reused"
    );
    assert!(second.wait().unwrap().success());
    let last_out = Instant::now();
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        !leftovers(&project).await.is_empty(),
        "still up within the linger"
    );
    gone_within(&project, Duration::from_secs(4 + 10)).await;
    assert!(
        last_out.elapsed() >= Duration::from_secs(4),
        "removed only after the linger"
    );
}

#[tokio::test]
async fn a_killed_user_neither_keeps_nor_removes_the_stack() {
    require_fixtures().await;
    let project = unique("share-kill");
    let key = project.clone();
    let mut doomed = start("compose/redis.yml", &project, &key, "1", 60_000);
    let run = first_line(&mut doomed);
    let mut other = start("compose/redis.yml", &project, &key, "1", 4000);
    assert_eq!(first_line(&mut other), run);
    doomed.kill().unwrap(); // SIGKILL
    doomed.wait().unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        !leftovers(&project).await.is_empty(),
        "the stack stays while another user holds it"
    );
    assert!(other.wait().unwrap().success());
    gone_within(&project, Duration::from_secs(1 + 10)).await;
}

#[tokio::test]
async fn a_failed_shared_bring_up_fails_every_waiter_and_leaves_nothing() {
    require_fixtures().await;
    let project = unique("share-fail");
    let key = project.clone();
    let mut children: Vec<Child> = (0..3)
        .map(|_| start("tests/stacks/crash.yml", &project, &key, "1", 0))
        .collect();
    let lines: Vec<String> = children.iter_mut().map(first_line).collect();
    for (line, child) in lines.iter().zip(&mut children) {
        assert!(line.starts_with("error "), "{lines:?}");
        assert!(line.contains("broken exited with code 3"), "{lines:?}");
        assert!(!child.wait().unwrap().success());
    }
    assert_clean(&project).await;
}

#[tokio::test]
async fn tests_of_one_process_share_the_stack_too() {
    require_fixtures().await;
    let project = unique("share-inproc");
    let ask = || {
        Stack::builder()
            .file("compose/redis.yml")
            .project_name(&project)
            .share_key(&project)
            .linger(Duration::from_millis(500))
            .shared()
    };
    let (a, b) = tokio::join!(ask(), ask());
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.run_id(), b.run_id());
    let addr = a.endpoint("cache", 6379).unwrap().to_string();
    assert_eq!(crate::library::redis(&addr, "PING"), "+PONG");
    drop(a);
    assert_eq!(
        crate::library::redis(&addr, "PING"),
        "+PONG",
        "b still holds it"
    );
    drop(b);
    gone_within(
        &project,
        Duration::from_millis(500) + Duration::from_secs(10),
    )
    .await;
}
