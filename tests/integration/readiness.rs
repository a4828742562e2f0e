//! Readiness: the x-dockhand strategies, the built-in protocol probes, eager healthchecks, and a
//! probe that never passes. Each run is checked to leave nothing behind.

use super::support::*;

#[tokio::test]
async fn every_strategy_decides_its_service() {
    let r = run_test(
        "ready-strategies",
        "tests/stacks/ready/strategies.yml",
        &[],
        &sh("echo 'Result: SUCCESS!'"),
    )
    .await;
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    for (service, check) in [
        ("by-tcp", "tcp 6379"),
        ("by-http", "http :8080/health"),
        ("by-log", "log /Ready to accept connections/"),
        ("by-exec", "exec redis-cli ping"),
        ("by-none", "running"),
    ] {
        assert!(
            r.stderr.contains(&format!("{service}: ready ({check}) in")),
            "{service} not ready by {check}:\n{}",
            r.stderr
        );
        // The JUnit set-up case says how it came up.
        assert!(
            r.junit.contains(&format!("ready ({check}) in")),
            "{}",
            r.junit
        );
    }
}

#[tokio::test]
async fn recognised_services_are_probed_by_their_protocol() {
    let r = run_test(
        "ready-probes",
        "tests/stacks/ready/probes.yml",
        &["--timings"],
        // Connects at once: a Postgres that only counted as running would refuse this.
        &sh(
            "psql -h db -U postgres -tAc 'select 40 + 2' && redis-cli -h cache ping \
             && printf 'version\\r\\nquit\\r\\n' | nc -q1 memcache 11211 && echo 'Result: SUCCESS!'",
        ),
    )
    .await;
    assert_eq!(r.code, Some(0), "{}\n{}", r.stderr, r.stdout);
    assert!(r.stdout.contains("app | 42"), "{}", r.stdout);
    for (service, check) in [
        ("db", "postgres protocol"),
        ("cache", "redis protocol"),
        ("memcache", "memcached protocol"),
        ("plain", "tcp 7000"),
    ] {
        assert!(
            r.stderr.contains(&format!("{service}: ready ({check}) in")),
            "{service} not probed by {check}:\n{}",
            r.stderr
        );
    }
    // The timings table and the JUnit properties say where the time went.
    assert!(r.stderr.contains("dockhand: timings"), "{}", r.stderr);
    assert!(r.stderr.contains("  db.ready "), "{}", r.stderr);
    assert!(r.junit.contains("name=\"timing.db.ready\""), "{}", r.junit);
    assert!(r.junit.contains("name=\"timing.teardown\""), "{}", r.junit);
}

#[tokio::test]
async fn running_alone_races_a_server_that_starts_late() {
    // The same Postgres, told that running is enough: the test connects before it listens.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("compose.yml");
    let text = std::fs::read_to_string(root().join("tests/stacks/ready/probes.yml"))
        .unwrap()
        .replace(
            "    healthcheck: {disable: true}\n    entrypoint",
            "    healthcheck: {disable: true}\n    x-dockhand: {ready: none}\n    entrypoint",
        );
    std::fs::write(&file, text).unwrap();
    let r = run_test(
        "ready-race",
        file.to_str().unwrap(),
        &[],
        &sh("psql -h db -U postgres -tAc 'select 1' && echo 'Result: SUCCESS!'"),
    )
    .await;
    assert_eq!(r.code, Some(1), "{}\n{}", r.stderr, r.stdout);
    assert!(r.stderr.contains("db: ready (running) in"), "{}", r.stderr);
}

#[tokio::test]
async fn a_healthcheck_passes_long_before_its_interval() {
    // Docker would run this check first after 30 s; the ready timeout is 15 s.
    let r = run_test(
        "ready-eager",
        "tests/stacks/ready/eager.yml",
        &["--ready-timeout", "15"],
        &sh("redis-cli -h cache ping && echo 'Result: SUCCESS!'"),
    )
    .await;
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stderr.contains("cache: ready (healthcheck) in"),
        "{}",
        r.stderr
    );
}

#[tokio::test]
async fn a_probe_that_never_passes_fails_with_its_last_error() {
    let r = run_test(
        "ready-never",
        "tests/stacks/ready/never.yml",
        &["--ready-timeout", "3"],
        &sh("echo 'Result: SUCCESS!'"),
    )
    .await;
    assert_eq!(r.code, Some(3), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("service deaf was not ready (tcp 9999) after 3s (last try:"),
        "{}",
        r.stderr
    );
    assert!(r.junit.contains("was not ready (tcp 9999)"), "{}", r.junit);
}
