//! `dockhand test` end to end: the verdict cases, dependency failures, JUnit and teardown.

use super::support::*;

#[tokio::test]
async fn seed_stack_passes_end_to_end() {
    let r = run_test(
        "seed",
        "compose/seed/compose.yml",
        &[
            "-e",
            "ENVIRONMENT=testing",
            "-e",
            "API_KEY=12345",
            "--tag",
            "it",
        ],
        &["/opt/awesome_app/test.sh"],
    )
    .await;
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stdout.contains("app | ok: SQL round trip"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("app | ok: INCR"), "{}", r.stdout);
    assert!(r.stdout.contains("app | ok: set then get"), "{}", r.stdout);
    assert!(r.stdout.contains("app | Result: SUCCESS!"), "{}", r.stdout);
    for service in ["db", "cache", "memcache"] {
        assert!(
            r.junit.contains(&format!("name=\"{service}\"")),
            "no set-up case for {service}:\n{}",
            r.junit
        );
    }
    assert!(
        r.junit.contains("awesome-app:it"),
        "image property missing:\n{}",
        r.junit
    );
    assert!(!r.junit.contains("<failure"), "{}", r.junit);
    assert!(!r.junit.contains("<error"), "{}", r.junit);
}

#[tokio::test]
async fn seed_refuses_to_run_outside_testing() {
    let r = run_test("seedenv", "compose/seed/compose.yml", &["--tag", "it"], &[]).await;
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert!(r.stdout.contains("refusing to run"), "{}", r.stdout);
    assert!(r.junit.contains("<failure"), "{}", r.junit);
}

#[tokio::test]
async fn success_marker_and_exit_zero_pass() {
    let r = run_test(
        "pass",
        "tests/stacks/basic.yml",
        &["-e", "GREETING=hello there"],
        &sh("test \"$GREETING\" = 'hello there' && redis-cli -h \"$REDIS_HOST\" ping && echo 'Result: SUCCESS!'"),
    )
    .await;
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(r.stdout.contains("app | PONG"), "{}", r.stdout);
    assert!(r.junit.contains("name=\"cache\""), "{}", r.junit);
    assert!(!r.junit.contains("<failure"), "{}", r.junit);
}

#[tokio::test]
async fn failure_marker_fails() {
    let r = run_test(
        "failmark",
        "tests/stacks/basic.yml",
        &[],
        &sh("echo running; echo 'Result: FAILURE!'"),
    )
    .await;
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert!(r.stderr.contains("failure marker"), "{}", r.stderr);
    assert!(r.junit.contains("<failure"), "{}", r.junit);
    assert!(
        r.junit.contains("running"),
        "output missing from system-out:\n{}",
        r.junit
    );
}

#[tokio::test]
async fn success_marker_followed_by_output_fails() {
    let r = run_test(
        "trailing",
        "tests/stacks/basic.yml",
        &[],
        &sh("echo 'Result: SUCCESS!'; echo 'one more line'"),
    )
    .await;
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert!(
        r.stderr.contains("no result marker on the last line"),
        "{}",
        r.stderr
    );
    assert!(r.junit.contains("<failure"), "{}", r.junit);
}

#[tokio::test]
async fn exit_code_three_after_success_marker_fails() {
    let r = run_test(
        "exit3",
        "tests/stacks/basic.yml",
        &[],
        &sh("echo 'Result: SUCCESS!'; exit 3"),
    )
    .await;
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert!(r.stderr.contains("exit code 3"), "{}", r.stderr);
    assert!(r.junit.contains("<failure"), "{}", r.junit);
    assert!(r.junit.contains("exit code 3"), "{}", r.junit);
}

#[tokio::test]
async fn no_marker_fails_unless_no_marker_is_asked_for() {
    let r = run_test(
        "nomark",
        "tests/stacks/basic.yml",
        &[],
        &sh("echo all good"),
    )
    .await;
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert!(r.stderr.contains("no result marker"), "{}", r.stderr);
    assert!(r.junit.contains("<failure"), "{}", r.junit);

    let r = run_test(
        "nomark-ok",
        "tests/stacks/basic.yml",
        &["--no-marker"],
        &sh("echo all good"),
    )
    .await;
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(!r.junit.contains("<failure"), "{}", r.junit);
}

#[tokio::test]
async fn custom_markers() {
    let r = run_test(
        "custom",
        "tests/stacks/basic.yml",
        &["--success-marker", "ALL GREEN", "--failure-marker", "RED"],
        &sh("echo 'Result: SUCCESS!'; echo 'ALL GREEN'"),
    )
    .await;
    assert_eq!(r.code, Some(0), "{}", r.stderr);
}

#[tokio::test]
async fn dependency_crashing_on_start_is_an_infrastructure_error() {
    let r = run_test(
        "crash",
        "tests/stacks/crash.yml",
        &[],
        &sh("echo 'Result: SUCCESS!'"),
    )
    .await;
    assert_eq!(r.code, Some(3), "{}", r.stderr);
    assert!(
        r.stderr.contains("broken exited with code 3"),
        "{}",
        r.stderr
    );
    assert!(r.junit.contains("<error"), "{}", r.junit);
    assert!(
        r.junit.contains("fatal: cannot open /etc/broken.conf"),
        "log tail missing:\n{}",
        r.junit
    );
    assert!(
        !r.stdout.contains("app | Result"),
        "the test command must not run:\n{}",
        r.stdout
    );
}

#[tokio::test]
async fn dependency_dying_after_start_is_an_infrastructure_error() {
    let r = run_test(
        "crash2",
        "tests/stacks/crash-started.yml",
        &[],
        &sh("sleep 30; echo 'Result: SUCCESS!'"),
    )
    .await;
    assert_eq!(r.code, Some(3), "{}", r.stderr);
    assert!(
        r.stderr.contains("flaky exited with code 139"),
        "{}",
        r.stderr
    );
    assert!(r.junit.contains("<error"), "{}", r.junit);
    assert!(r.junit.contains("segfault"), "{}", r.junit);
}

#[tokio::test]
async fn dependency_never_healthy_times_out() {
    let r = run_test(
        "stuck",
        "tests/stacks/unhealthy.yml",
        &["--ready-timeout", "3"],
        &sh("echo 'Result: SUCCESS!'"),
    )
    .await;
    assert_eq!(r.code, Some(3), "{}", r.stderr);
    assert!(
        r.stderr.contains("stuck was not healthy after 3s"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("waiting for the moon"),
        "last health output missing: {}",
        r.stderr
    );
    assert!(r.junit.contains("<error"), "{}", r.junit);
}

#[tokio::test]
async fn dependency_turning_unhealthy_fails_at_once() {
    let r = run_test(
        "sick",
        "tests/stacks/unhealthy-fast.yml",
        &[],
        &sh("echo 'Result: SUCCESS!'"),
    )
    .await;
    assert_eq!(r.code, Some(3), "{}", r.stderr);
    assert!(r.stderr.contains("sick is unhealthy"), "{}", r.stderr);
    assert!(r.stderr.contains("disk full"), "{}", r.stderr);
}

#[tokio::test]
async fn missing_image_names_service_and_image() {
    let r = run_test("ghost", "tests/stacks/missing-image.yml", &[], &sh("true")).await;
    assert_eq!(r.code, Some(3), "{}", r.stderr);
    assert!(
        r.stderr.contains("dockhand-fixture/does-not-exist:1"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("service ghost"), "{}", r.stderr);
    let _ = r.project;
}

#[tokio::test]
async fn completed_dependency_volume_and_link_alias() {
    let r = run_test(
        "order",
        "tests/stacks/order.yml",
        &[],
        &sh("cat /shared/done && redis-cli -h kv ping && echo 'Result: SUCCESS!'"),
    )
    .await;
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(r.stdout.contains("app | schema v42"), "{}", r.stdout);
    assert!(r.stdout.contains("app | PONG"), "{}", r.stdout);
    for service in ["migrate", "worker", "cache"] {
        assert!(
            r.junit.contains(&format!("name=\"{service}\"")),
            "{}",
            r.junit
        );
    }
}

#[tokio::test]
async fn failed_one_shot_dependency_stops_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("compose.yml");
    let text = std::fs::read_to_string(root().join("tests/stacks/order.yml"))
        .unwrap()
        .replace(
            "echo 'schema v42' > /shared/done",
            "echo 'migration 7 failed' >&2; exit 5",
        );
    std::fs::write(&file, text).unwrap();
    let r = run_test(
        "order-fail",
        file.to_str().unwrap(),
        &[],
        &sh("echo 'Result: SUCCESS!'"),
    )
    .await;
    assert_eq!(r.code, Some(3), "{}", r.stderr);
    assert!(
        r.stderr.contains("migrate exited with code 5"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("migration 7 failed"), "{}", r.stderr);
}

#[tokio::test]
async fn build_honours_dockerignore_args_and_target() {
    let r = run_test(
        "build",
        "tests/stacks/build/compose.yml",
        &["--tag", "t1"],
        &sh("ls -a /ctx; cat /greeting /stage; echo 'Result: SUCCESS!'"),
    )
    .await;
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(r.stdout.contains("app | keep.txt"), "{}", r.stdout);
    assert!(
        !r.stdout.contains("secret.txt"),
        "ignored file was sent: {}",
        r.stdout
    );
    assert!(
        !r.stdout.contains("app | logs"),
        "ignored folder was sent: {}",
        r.stdout
    );
    assert!(r.stdout.contains("app | built-with-args"), "{}", r.stdout);
    assert!(r.stdout.contains("app | test-stage"), "{}", r.stdout);
    assert!(r.junit.contains("dockhand-build-test:t1"), "{}", r.junit);
    assert!(
        !r.stderr.contains("warning"),
        "an explicit tag must not warn: {}",
        r.stderr
    );
}

#[tokio::test]
async fn unpinned_build_tag_warns() {
    let r = run_test(
        "build-latest",
        "tests/stacks/build/compose.yml",
        &[],
        &sh("echo 'Result: SUCCESS!'"),
    )
    .await;
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("warning: service app builds dockhand-build-test:latest"),
        "{}",
        r.stderr
    );
}

#[tokio::test]
async fn failing_build_is_an_infrastructure_error() {
    let r = run_test(
        "build-fail",
        "tests/stacks/build/compose.yml",
        &["--profile", "broken"],
        &sh("echo 'Result: SUCCESS!'"),
    )
    .await;
    // `--service app` does not depend on broken: it is not built.
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let project = unique("build-fail");
    let out = dockhand(&[
        "test",
        "-f",
        "tests/stacks/build/compose.yml",
        "-p",
        &project,
        "--service",
        "broken",
        "--",
        "true",
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("could not build image"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("| compiling..."),
        "build output missing: {}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("service broken"), "{}", stderr(&out));
    assert_clean(&project).await;
}

#[tokio::test]
async fn failing_app_build_stops_the_bring_up_it_overlaps() {
    require_fixtures().await;
    let project = unique("build-overlap");
    let out = dockhand(&[
        "test",
        "-f",
        "tests/stacks/build/compose.yml",
        "-p",
        &project,
        "--service",
        "broken-app",
        "--ready-timeout",
        "60",
        "--",
        "true",
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("could not build image"), "{err}");
    assert!(err.contains("| linker error"), "{err}");
    // The dependency was still waiting when the build failed: it must not have been waited out.
    assert!(!err.contains("was not healthy"), "{err}");
    assert_clean(&project).await;
}

#[tokio::test]
async fn file_secrets_and_configs_are_mounted() {
    let r = run_test(
        "files",
        "tests/stacks/files/compose.yml",
        &[],
        &sh("cat /run/secrets/db_password /etc/app/password /app_conf && echo 'Result: SUCCESS!'"),
    )
    .await;
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(
        r.stdout.matches("app | s3cr3t-value").count(),
        2,
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("app | log_level = debug"), "{}", r.stdout);
}

#[tokio::test]
async fn network_mode_service_shares_the_network_stack() {
    require_fixtures().await;
    let project = unique("netmode");
    let out = dockhand(&[
        "test",
        "-f",
        "tests/stacks/files/compose.yml",
        "-p",
        &project,
        "--service",
        "sidecar",
        "--no-marker",
        "--",
        "redis-cli",
        "-h",
        "127.0.0.1",
        "ping",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("sidecar | PONG"), "{}", stdout(&out));
    assert_clean(&project).await;
}

/// A command that prints at once and exits is the case where output could be missed (read too
/// late) or repeated (replayed from the log as well as streamed). Repeated, since it is a race.
#[tokio::test]
async fn fast_output_is_captured_exactly_once() {
    require_fixtures().await;
    let project = unique("fast");
    for _ in 0..25 {
        let out = dockhand(&[
            "test",
            "-f",
            "tests/stacks/solo.yml",
            "-p",
            &project,
            "--service",
            "app",
            "--",
            "sh",
            "-c",
            "echo first; echo second; echo 'Result: SUCCESS!'",
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert_eq!(
            stdout(&out),
            "app | first\napp | second\napp | Result: SUCCESS!\n"
        );
    }
    assert_clean(&project).await;
}

#[tokio::test]
async fn secrets_from_the_compose_file_are_masked_in_the_junit() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("compose.yml");
    std::fs::write(
        &file,
        "services:\n  app:\n    image: dockhand-fixture/toolbox:1\n    environment:\n      DB_PASSWORD: hunter2hunter2\n",
    )
    .unwrap();
    let r = run_test(
        "compose-secret",
        file.to_str().unwrap(),
        &[],
        &sh("echo \"connecting with $DB_PASSWORD\"; echo 'Result: FAILURE!'"),
    )
    .await;
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert!(r.junit.contains("connecting with ****"), "{}", r.junit);
    assert!(!r.junit.contains("hunter2hunter2"), "{}", r.junit);
}

#[tokio::test]
async fn test_command_waits_for_its_own_depends_on_conditions() {
    // Nothing else keeps the bring-up busy: the test command must still not start before the
    // one-shot dependency has finished, and its failure must stop the run.
    let r = run_test(
        "one-shot",
        "tests/stacks/one-shot.yml",
        &[],
        &sh("echo 'Result: SUCCESS!'"),
    )
    .await;
    assert_eq!(r.code, Some(3), "{}", r.stderr);
    assert!(
        r.stderr.contains("migrate exited with code 5"),
        "{}",
        r.stderr
    );
    assert!(
        !r.stdout.contains("app | Result"),
        "the test command ran: {}",
        r.stdout
    );
    assert!(r.junit.contains("migration failed"), "{}", r.junit);
}

#[tokio::test]
async fn links_start_the_linked_service_and_its_alias_resolves() {
    let r = run_test(
        "links",
        "tests/stacks/links.yml",
        &[],
        &sh("redis-cli -h kv ping && echo 'Result: SUCCESS!'"),
    )
    .await;
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(r.stdout.contains("app | PONG"), "{}", r.stdout);
    assert!(r.junit.contains("name=\"cache\""), "{}", r.junit);
    // Only what the service needs is started.
    assert!(!r.junit.contains("name=\"unrelated\""), "{}", r.junit);
}

#[tokio::test]
async fn dry_run_prints_the_plan_and_touches_nothing() {
    let project = unique("dry");
    let out = dockhand(&[
        "test",
        "-f",
        "tests/stacks/order.yml",
        "-p",
        &project,
        "--service",
        "app",
        "--dry-run",
        "--",
        "/test.sh",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let plan = stdout(&out);
    let at = |text: &str| {
        plan.find(text)
            .unwrap_or_else(|| panic!("{text:?} not in the plan:\n{plan}"))
    };
    at(&format!("project {project}-"));
    at("create volume");
    // cache comes before worker (healthy first), migrate and cache start together.
    let level1 = at("level 1 (in parallel):");
    let level2 = at("level 2 (in parallel):");
    let cache = at("start ");
    assert!(level1 < cache && cache < level2, "{plan}");
    at("after cache service_healthy; ready once healthy if its image has a healthcheck");
    at(
        "run the test command in a one-off container of app (dockhand-fixture/toolbox:1) after migrate service_completed_successfully, worker service_started, cache service_started: /test.sh",
    );
    at("remove everything labelled io.dockhand.run=");
    assert_clean(&project).await;

    let out = dockhand(&[
        "up",
        "-f",
        "tests/stacks/links.yml",
        "-p",
        &project,
        "--dry-run",
        "app",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let plan = stdout(&out);
    assert!(plan.contains("level 1 (in parallel):\n  start "), "{plan}");
    assert!(plan.contains("after cache service_started"), "{plan}");
    assert!(!plan.contains("unrelated"), "{plan}");
    assert_clean(&project).await;
}
