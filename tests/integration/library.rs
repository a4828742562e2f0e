//! The library as a user's `cargo test` uses it: a stack up, a real Redis, down.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};

use dockhand::Stack;

use super::support::*;

/// Sends one Redis command in the inline protocol and returns the reply line.
pub(crate) fn redis(addr: impl ToSocketAddrs, command: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(format!("{command}\r\n").as_bytes()).unwrap();
    let mut buf = [0u8; 128];
    let n = s.read(&mut buf).unwrap();
    String::from_utf8_lossy(&buf[..n]).trim_end().to_string()
}

#[tokio::test]
async fn stack_up_endpoint_down_with_real_redis() {
    require_fixtures().await;
    let project = unique("lib");
    let stack = Stack::builder()
        .file("compose/redis.yml")
        .project_name(&project)
        .up()
        .await
        .unwrap();
    let addr = stack.endpoint("cache", 6379).unwrap();
    assert_eq!(redis(&addr, "INCR hits"), ":1");
    assert_eq!(redis(&addr, "INCR hits"), ":2");
    assert!(stack.endpoint("cache", 1234).is_err());
    assert!(stack.endpoint("nope", 6379).is_err());
    let removed = stack.down().await.unwrap();
    assert_eq!(removed.containers, 1);
    assert_eq!(removed.networks, 1);
    assert_clean(&project).await;
}

#[tokio::test]
async fn dropped_stack_is_torn_down_on_current_thread_runtime() {
    require_fixtures().await;
    let project = unique("drop-ct");
    {
        let stack = Stack::builder()
            .file("compose/redis.yml")
            .project_name(&project)
            .up()
            .await
            .unwrap();
        assert_eq!(
            redis(stack.endpoint("cache", 6379).unwrap(), "PING"),
            "+PONG"
        );
        assert!(!leftovers(&project).await.is_empty());
    }
    assert_clean(&project).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_stack_is_torn_down_on_multi_thread_runtime() {
    require_fixtures().await;
    let project = unique("drop-mt");
    {
        let _stack = Stack::builder()
            .file("compose/redis.yml")
            .project_name(&project)
            .up()
            .await
            .unwrap();
    }
    assert_clean(&project).await;
}

#[tokio::test]
async fn failed_bring_up_leaves_nothing() {
    require_fixtures().await;
    let project = unique("lib-fail");
    let err = Stack::builder()
        .file("tests/stacks/crash.yml")
        .project_name(&project)
        .service("app")
        .up()
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("broken exited with code 3"),
        "{err}"
    );
    assert_clean(&project).await;
}

#[tokio::test]
async fn up_ps_down_from_the_command_line() {
    require_fixtures().await;
    let project = unique("cli-up");
    let out = dockhand(&["up", "-f", "compose/redis.yml", "-p", &project]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let addr = text
        .lines()
        .find(|l| l.starts_with("cache\t6379/tcp\t"))
        .and_then(|l| l.split('\t').nth(2))
        .unwrap_or_else(|| panic!("no endpoint line in:\n{text}"))
        .to_string();
    assert_eq!(redis(&addr, "PING"), "+PONG");

    let ps = dockhand(&["ps"]);
    assert!(stdout(&ps).contains(&project), "{}", stdout(&ps));

    let down = dockhand(&["down", "-p", &project]);
    assert_eq!(down.status.code(), Some(0), "{}", stderr(&down));
    assert!(
        stderr(&down).contains("removed 1 containers, 1 networks"),
        "{}",
        stderr(&down)
    );
    assert_clean(&project).await;
}

#[tokio::test]
async fn a_readiness_check_from_the_builder_decides_and_timings_say_so() {
    require_fixtures().await;
    let project = unique("lib-ready");
    let stack = Stack::builder()
        .file("compose/redis.yml")
        .project_name(&project)
        .ready(
            "cache",
            dockhand::ReadyCheck::Exec(vec!["redis-cli".into(), "ping".into()]),
        )
        .up()
        .await
        .unwrap();
    assert_eq!(
        redis(stack.endpoint("cache", 6379).unwrap(), "PING"),
        "+PONG"
    );
    let phases: Vec<String> = stack.timings().into_iter().map(|(p, _)| p).collect();
    for phase in [
        "images",
        "networks and volumes",
        "cache.create",
        "cache.start",
        "cache.ready",
        "up",
    ] {
        assert!(
            phases.iter().any(|p| p == phase),
            "{phase} not in {phases:?}"
        );
    }
    let unknown = Stack::builder()
        .file("compose/redis.yml")
        .project_name(&project)
        .ready("db", dockhand::ReadyCheck::Tcp(5432))
        .plan()
        .unwrap_err();
    assert!(
        unknown.to_string().contains("no service named db"),
        "{unknown}"
    );
    stack.down().await.unwrap();
    assert_clean(&project).await;
}
