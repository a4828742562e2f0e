//! The built-in probes from the host against real servers in fixture containers: ready when the
//! server serves, not ready (with a reason) before it does, on a closed port, or on a wrong
//! HTTP status.

use std::net::IpAddr;
use std::process::Command;
use std::time::{Duration, Instant};

use dockhand::labels;
use dockhand::ready::{Probe, Protocol, try_once};

use super::support::*;

/// One try's bound, as dockhand's wait uses it.
const TRY: Duration = Duration::from_secs(1);

/// Containers of one test's project, removed when the test ends, also when it fails.
struct Containers {
    project: String,
    ids: Vec<String>,
}

impl Containers {
    fn new(name: &str) -> Containers {
        Containers {
            project: unique(name),
            ids: Vec::new(),
        }
    }

    /// Starts `image` with `args` after it (`--entrypoint` among `options`) and returns its
    /// address on the default bridge, which the host routes to.
    fn start(&mut self, options: &[&str], image: &str, args: &[&str]) -> IpAddr {
        let project = format!("{}={}", labels::PROJECT, self.project);
        let managed = format!("{}=true", labels::MANAGED);
        let out = Command::new("docker")
            .args(["run", "-d", "--label", &project, "--label", &managed])
            .args(options)
            .arg(image)
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "docker run: {}", stderr(&out));
        let id = stdout(&out).trim().to_string();
        self.ids.push(id.clone());
        let out = Command::new("docker")
            .args([
                "inspect",
                "-f",
                "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
                &id,
            ])
            .output()
            .unwrap();
        let ip = stdout(&out);
        ip.trim()
            .parse()
            .unwrap_or_else(|_| panic!("no address for {image}: {ip:?} {}", stderr(&out)))
    }
}

impl Drop for Containers {
    fn drop(&mut self) {
        if !self.ids.is_empty() {
            let _ = Command::new("docker")
                .args(["rm", "-f", "-v"])
                .args(&self.ids)
                .output();
        }
    }
}

/// Tries `probe` every 50 ms until `done` accepts its answer or `within` has passed; the last
/// answer.
async fn until(
    probe: &Probe,
    ip: IpAddr,
    within: Duration,
    done: impl Fn(&Result<(), String>) -> bool,
) -> Result<(), String> {
    let start = Instant::now();
    loop {
        let answer = try_once(probe, ip, TRY).await;
        if done(&answer) || start.elapsed() > within {
            return answer;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn until_ready(probe: &Probe, ip: IpAddr, within: Duration) -> Result<(), String> {
    until(probe, ip, within, Result::is_ok).await
}

/// Ends the test's containers and checks nothing of its project is left.
async fn finish(containers: Containers) {
    let project = containers.project.clone();
    drop(containers);
    assert_clean(&project).await;
}

#[tokio::test]
async fn postgres_is_not_ready_while_it_sleeps_and_ready_once_it_serves() {
    require_fixtures().await;
    let mut c = Containers::new("probe-pg");
    let started = Instant::now();
    let ip = c.start(
        &["--entrypoint", "sh"],
        "dockhand-fixture/postgres:1",
        &["-c", "sleep 2; exec /usr/local/bin/entrypoint.sh"],
    );
    let probe = Probe::Protocol(Protocol::Postgres, 5432);
    let early = try_once(&probe, ip, TRY).await;
    let ready = until_ready(&probe, ip, Duration::from_secs(30)).await;
    let took = started.elapsed();
    finish(c).await;
    assert_eq!(early, Err("connection refused".into()));
    assert_eq!(ready, Ok(()), "postgres never ready");
    assert!(
        took >= Duration::from_secs(2),
        "ready after {took:?}, during the sleep"
    );
}

#[tokio::test]
async fn redis_and_memcached_are_ready_by_their_protocols() {
    require_fixtures().await;
    let mut c = Containers::new("probe-kv");
    let redis = c.start(&[], "dockhand-fixture/redis:1", &[]);
    let memcached = c.start(&[], "dockhand-fixture/memcached:1", &[]);
    let redis_probe = Probe::Protocol(Protocol::Redis, 6379);
    let memcached_probe = Probe::Protocol(Protocol::Memcached, 11211);
    let redis_ready = until_ready(&redis_probe, redis, Duration::from_secs(10)).await;
    let memcached_ready = until_ready(&memcached_probe, memcached, Duration::from_secs(10)).await;
    // Memcached's question to the redis server: an answer, but not the one that means ready.
    let crossed = try_once(&Probe::Protocol(Protocol::Memcached, 6379), redis, TRY).await;
    finish(c).await;
    assert_eq!(redis_ready, Ok(()));
    assert_eq!(memcached_ready, Ok(()));
    let crossed = crossed.unwrap_err();
    assert!(crossed.starts_with("memcached answered"), "{crossed}");
}

#[tokio::test]
async fn tcp_probe_passes_on_a_listener_and_fails_on_a_closed_port_or_a_silent_server() {
    require_fixtures().await;
    let mut c = Containers::new("probe-tcp");
    let ip = c.start(&[], "dockhand-fixture/toolbox:1", &["nc", "-lk", "8080"]);
    let open = until_ready(&Probe::Tcp(8080), ip, Duration::from_secs(10)).await;
    let closed = try_once(&Probe::Tcp(8081), ip, TRY).await;
    // A server that accepts and never speaks: the try ends at its bound, saying so.
    let bound = Duration::from_millis(300);
    let start = Instant::now();
    let silent = try_once(&Probe::Protocol(Protocol::Mysql, 8080), ip, bound).await;
    let silent_took = start.elapsed();
    finish(c).await;
    assert_eq!(open, Ok(()));
    assert_eq!(closed, Err("connection refused".into()));
    assert_eq!(silent, Err("no answer within 300ms".into()));
    assert!(silent_took < Duration::from_secs(1), "took {silent_took:?}");
}

#[tokio::test]
async fn http_probe_checks_the_status() {
    require_fixtures().await;
    let mut c = Containers::new("probe-http");
    // One-shot responders in a loop: 200 on 8080, 503 on 8081.
    let respond = |port: u16, status: &str| {
        format!(
            "while true; do printf 'HTTP/1.0 {status}\\r\\nContent-Length: 2\\r\\n\\r\\nok' | nc -l -N {port} >/dev/null; done"
        )
    };
    let script = format!(
        "{} & {}",
        respond(8080, "200 OK"),
        respond(8081, "503 Busy")
    );
    let ip = c.start(&[], "dockhand-fixture/toolbox:1", &["sh", "-c", &script]);
    let http = |port: u16, status: Option<u16>| Probe::Http {
        port,
        path: "/health".into(),
        status,
    };
    let within = Duration::from_secs(10);
    // Between two connections a responder is briefly not listening: retry past that.
    let answered = |r: &Result<(), String>| r.as_ref().err().is_none_or(|e| e.starts_with("http"));
    let any_2xx = until_ready(&http(8080, None), ip, within).await;
    let exact = until_ready(&http(8080, Some(200)), ip, within).await;
    let other = until(&http(8080, Some(204)), ip, within, answered).await;
    let busy = until(&http(8081, None), ip, within, answered).await;
    let wanted_busy = until_ready(&http(8081, Some(503)), ip, within).await;
    finish(c).await;
    assert_eq!(any_2xx, Ok(()));
    assert_eq!(exact, Ok(()));
    assert_eq!(other, Err("http answered 200 OK, wanted 204".into()));
    assert_eq!(busy, Err("http answered 503 Busy, wanted 2xx".into()));
    assert_eq!(wanted_busy, Ok(()));
}
