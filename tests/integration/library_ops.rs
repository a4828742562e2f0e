//! The library around a running stack, as a test of failure handling uses it against a real
//! Redis: commands and logs, files in and out, and faults injected by stop, start, kill and
//! pause.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use dockhand::{Endpoint, Stack};

use super::support::*;

/// A Redis stack of its own for one test, and its project name.
async fn redis_stack(name: &str) -> (Stack, String) {
    require_fixtures().await;
    let project = unique(name);
    let stack = Stack::builder()
        .file("compose/redis.yml")
        .project_name(&project)
        .up()
        .await
        .unwrap();
    (stack, project)
}

/// Sends `PING` to Redis at `addr` and returns the reply line, or why there was none within
/// a second.
fn ping(addr: &Endpoint) -> std::io::Result<String> {
    let mut s = TcpStream::connect_timeout(&addr.socket_addr()?, Duration::from_secs(1))?;
    s.set_read_timeout(Some(Duration::from_secs(1)))?;
    s.write_all(b"PING\r\n")?;
    let mut buf = [0u8; 64];
    let n = s.read(&mut buf)?;
    if n == 0 {
        return Err(ErrorKind::UnexpectedEof.into());
    }
    Ok(String::from_utf8_lossy(&buf[..n]).trim_end().to_string())
}

/// The engine's word for the state of `service`'s container, and its exit code.
async fn state(stack: &Stack, service: &str) -> (String, i64) {
    let c = docker()
        .inspect_container(stack.container_id(service).unwrap(), None)
        .await
        .unwrap();
    let state = c.state.unwrap();
    (
        state.status.unwrap().to_string(),
        state.exit_code.unwrap_or_default(),
    )
}

#[tokio::test]
async fn exec_gives_the_exit_code_and_stdout_and_stderr_apart() {
    let (stack, project) = redis_stack("ops-exec").await;

    let ok = stack.exec("cache", ["redis-cli", "ping"]).await.unwrap();
    assert_eq!(
        (ok.exit_code, ok.stdout.as_str(), ok.stderr.as_str()),
        (0, "PONG\n", "")
    );
    assert!(ok.success());

    let failed = stack
        .exec("cache", ["sh", "-c", "echo out; echo err >&2; exit 3"])
        .await
        .unwrap();
    assert_eq!(
        (
            failed.exit_code,
            failed.stdout.as_str(),
            failed.stderr.as_str()
        ),
        (3, "out\n", "err\n")
    );
    assert!(!failed.success());

    // Far beyond the 4 KiB a readiness check keeps.
    let big = stack
        .exec(
            "cache",
            ["sh", "-c", "head -c 200000 /dev/zero | tr '\\0' a"],
        )
        .await
        .unwrap();
    assert_eq!(big.stdout.len(), 200_000);
    assert!(big.stdout.bytes().all(|b| b == b'a'));

    // A program that cannot start is the command's failure: 126 and the engine's reason.
    let missing = stack.exec("cache", ["no-such-program"]).await.unwrap();
    assert_eq!(missing.exit_code, 126, "{missing:?}");
    assert!(
        missing.stdout.contains("executable file not found"),
        "{missing:?}"
    );

    stack.down().await.unwrap();
    assert_clean(&project).await;
}

#[tokio::test]
async fn logs_hold_everything_the_service_printed_so_far() {
    let (stack, project) = redis_stack("ops-logs").await;
    let logs = stack.logs("cache").await.unwrap();
    assert!(logs.contains("Ready to accept connections"), "{logs}");

    // Written to the main process's stdout and stderr now: the log grows.
    stack
        .exec(
            "cache",
            [
                "sh",
                "-c",
                "echo marker-out > /proc/1/fd/1; echo marker-err > /proc/1/fd/2",
            ],
        )
        .await
        .unwrap();
    let logs = stack.logs("cache").await.unwrap();
    assert!(logs.contains("marker-out\n"), "{logs}");
    assert!(logs.contains("marker-err\n"), "{logs}");
    assert!(logs.contains("Ready to accept connections"), "{logs}");

    stack.down().await.unwrap();
    assert_clean(&project).await;
}

#[tokio::test]
async fn copy_to_puts_files_and_directories_where_exec_sees_them() {
    let (stack, project) = redis_stack("ops-copy-to").await;
    let local = tempfile::tempdir().unwrap();
    let file = local.path().join("greeting.txt");
    std::fs::write(&file, "hello from the host\n").unwrap();
    let tree = local.path().join("seed");
    std::fs::create_dir_all(tree.join("nested")).unwrap();
    std::fs::write(tree.join("nested/deep.txt"), "deep down").unwrap();

    stack.copy_to("cache", &file, "/tmp").await.unwrap();
    let cat = stack
        .exec("cache", ["cat", "/tmp/greeting.txt"])
        .await
        .unwrap();
    assert_eq!(
        (cat.exit_code, cat.stdout.as_str()),
        (0, "hello from the host\n")
    );

    stack.copy_to("cache", &tree, "/srv").await.unwrap();
    let cat = stack
        .exec("cache", ["cat", "/srv/seed/nested/deep.txt"])
        .await
        .unwrap();
    assert_eq!((cat.exit_code, cat.stdout.as_str()), (0, "deep down"));

    // A directory that does not exist in the container is named, with what to do.
    let err = stack
        .copy_to("cache", &file, "/no/such/dir")
        .await
        .unwrap_err();
    let text = error_chain(&err);
    assert!(
        text.contains(&format!(
            "could not copy {} into /no/such/dir of service cache of stack {}\n",
            file.display(),
            stack.project()
        )),
        "{text}"
    );
    assert!(text.contains("no /no/such/dir in container"), "{text}");
    assert!(text.contains("must exist there"), "{text}");

    // A local path that does not exist is named too.
    let gone = local.path().join("gone.txt");
    let err = stack.copy_to("cache", &gone, "/tmp").await.unwrap_err();
    let text = error_chain(&err);
    assert!(
        text.contains(&format!("error packing {}", gone.display())),
        "{text}"
    );

    stack.down().await.unwrap();
    assert_clean(&project).await;
}

#[tokio::test]
async fn copy_from_brings_files_out_with_their_content() {
    let (stack, project) = redis_stack("ops-copy-from").await;
    let made = stack
        .exec(
            "cache",
            [
                "sh",
                "-c",
                "printf 'report body' > /tmp/report.xml && mkdir -p /tmp/out/sub && printf inner > /tmp/out/sub/f",
            ],
        )
        .await
        .unwrap();
    assert_eq!(made.exit_code, 0, "{made:?}");
    let local = tempfile::tempdir().unwrap();
    let into = local.path().join("collected");

    let file = stack
        .copy_from("cache", "/tmp/report.xml", &into)
        .await
        .unwrap();
    assert_eq!(file, into.join("report.xml"));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "report body");

    let dir = stack.copy_from("cache", "/tmp/out", &into).await.unwrap();
    assert_eq!(dir, into.join("out"));
    assert_eq!(std::fs::read_to_string(dir.join("sub/f")).unwrap(), "inner");

    let err = stack
        .copy_from("cache", "/tmp/missing.xml", &into)
        .await
        .unwrap_err();
    let text = error_chain(&err);
    assert!(
        text.contains(&format!(
            "could not copy /tmp/missing.xml to {} from service cache of stack {}\n",
            into.display(),
            stack.project()
        )),
        "{text}"
    );
    assert!(text.contains("no /tmp/missing.xml in container"), "{text}");

    // A stopped service's files can still be collected.
    stack.stop("cache").await.unwrap();
    let again = stack
        .copy_from("cache", "/tmp/report.xml", local.path())
        .await
        .unwrap();
    assert_eq!(std::fs::read_to_string(again).unwrap(), "report body");

    stack.down().await.unwrap();
    assert_clean(&project).await;
}

#[tokio::test]
async fn stop_makes_the_service_unreachable_and_start_brings_it_back() {
    let (mut stack, project) = redis_stack("ops-stop").await;
    let before = stack.endpoint("cache", 6379).unwrap();
    assert_eq!(ping(&before).unwrap(), "+PONG");

    stack.stop("cache").await.unwrap();
    assert!(ping(&before).is_err(), "PING answered after stop");
    assert_eq!(state(&stack, "cache").await.0, "exited");
    // Stopping it again is no error.
    stack.stop("cache").await.unwrap();

    stack.start("cache").await.unwrap();
    // Ready when start returns: no retry needed, at whatever port the engine chose now.
    let after = stack.endpoint("cache", 6379).unwrap();
    assert_eq!(ping(&after).unwrap(), "+PONG");
    assert_eq!(state(&stack, "cache").await.0, "running");
    assert_eq!(
        stack.endpoints(),
        vec![("cache".to_string(), "6379/tcp".to_string(), after.clone())]
    );

    stack.down().await.unwrap();
    assert_clean(&project).await;
}

#[tokio::test]
async fn kill_ends_the_service_with_the_signal_given() {
    let (mut stack, project) = redis_stack("ops-kill").await;

    // SIGTERM: Redis shuts down on its own terms and says so.
    stack.kill("cache", Some("SIGTERM")).await.unwrap();
    let mut exited = state(&stack, "cache").await;
    for _ in 0..100 {
        if exited.0 == "exited" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        exited = state(&stack, "cache").await;
    }
    assert_eq!(exited, ("exited".to_string(), 0));
    let logs = stack.logs("cache").await.unwrap();
    assert!(logs.contains("SIGTERM"), "{logs}");

    stack.start("cache").await.unwrap();
    assert_eq!(
        ping(&stack.endpoint("cache", 6379).unwrap()).unwrap(),
        "+PONG"
    );

    // No signal given: SIGKILL, exit code 137, nothing answers.
    stack.kill("cache", None).await.unwrap();
    assert_eq!(state(&stack, "cache").await, ("exited".to_string(), 137));
    assert!(ping(&stack.endpoint("cache", 6379).unwrap()).is_err());
    // A command in a stopped service is an engine error naming the service.
    let err = stack.exec("cache", ["true"]).await.unwrap_err();
    assert!(
        err.to_string()
            .starts_with("could not run `true` in service cache of stack"),
        "{err}"
    );

    stack.down().await.unwrap();
    assert_clean(&project).await;
}

#[tokio::test]
async fn pause_makes_the_service_hang_and_unpause_thaws_it() {
    let (stack, project) = redis_stack("ops-pause").await;
    let addr = stack.endpoint("cache", 6379).unwrap();
    assert_eq!(ping(&addr).unwrap(), "+PONG");

    stack.pause("cache").await.unwrap();
    assert_eq!(state(&stack, "cache").await.0, "paused");
    let hung = ping(&addr).unwrap_err();
    assert!(
        matches!(hung.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
        "a paused Redis should time out, not {hung:?}"
    );
    // Pausing twice is the engine's error, with the service named.
    let err = stack.pause("cache").await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("could not pause service cache of stack {}", stack.project())
    );

    stack.unpause("cache").await.unwrap();
    assert_eq!(ping(&addr).unwrap(), "+PONG");

    // A stack left paused is still torn down whole.
    stack.pause("cache").await.unwrap();
    stack.down().await.unwrap();
    assert_clean(&project).await;
}

#[tokio::test]
async fn endpoint_is_a_typed_address() {
    let (stack, project) = redis_stack("ops-endpoint").await;
    let cache = stack.endpoint("cache", 6379).unwrap();
    assert_eq!(cache.host(), stack.host());
    assert_eq!(cache.host(), "127.0.0.1");
    assert_ne!(cache.port(), 0);
    assert_eq!(cache.to_string(), format!("127.0.0.1:{}", cache.port()));
    assert_eq!(cache.socket_addr().unwrap().port(), cache.port());
    // std takes it where it takes an address.
    assert!(TcpStream::connect(&cache).is_ok());

    let err = stack.endpoint("cache", 1234).unwrap_err();
    assert_eq!(
        err.to_string(),
        "service cache does not publish port 1234/tcp; list it under ports: or EXPOSE it in the image"
    );

    stack.down().await.unwrap();
    assert_clean(&project).await;
}

#[tokio::test]
async fn an_unknown_service_is_named_with_the_stack_and_its_services() {
    let (mut stack, project) = redis_stack("ops-unknown").await;
    let expected = format!(
        "no service named cahce in stack {}; services: cache",
        stack.project()
    );

    assert_eq!(
        stack.endpoint("cahce", 6379).unwrap_err().to_string(),
        expected
    );
    let dir = tempfile::tempdir().unwrap();
    let errors = [
        stack.exec("cahce", ["true"]).await.unwrap_err(),
        stack.logs("cahce").await.unwrap_err(),
        stack
            .copy_to("cahce", dir.path(), "/tmp")
            .await
            .unwrap_err(),
        stack
            .copy_from("cahce", "/etc/hostname", dir.path())
            .await
            .unwrap_err(),
        stack.stop("cahce").await.unwrap_err(),
        stack.kill("cahce", None).await.unwrap_err(),
        stack.pause("cahce").await.unwrap_err(),
        stack.unpause("cahce").await.unwrap_err(),
        stack.start("cahce").await.unwrap_err(),
    ];
    for err in errors {
        assert_eq!(err.to_string(), expected);
        assert_eq!(err.exit_code(), dockhand::run::exit::BAD_INPUT);
    }
    // Nothing was touched: the real service still answers.
    assert_eq!(
        ping(&stack.endpoint("cache", 6379).unwrap()).unwrap(),
        "+PONG"
    );

    stack.down().await.unwrap();
    assert_clean(&project).await;
}

/// An error and its causes, one per line, as the command line prints them.
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        text.push('\n');
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
