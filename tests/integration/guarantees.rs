//! The README's guarantees, proved against the real engine: nothing leaks on any way a run can
//! end, no output is lost however large, the reports stay valid and keep secrets out, parallel
//! runs never collide, and daemon trouble is explained.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use super::support::*;

/// `dockhand test` arguments for `project` from `file`, with `extra` options and `command`.
fn test_args(project: &str, file: &str, extra: &[&str], command: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = ["test", "-f", file, "-p", project, "--service", "app"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    args.push("--".into());
    args.extend(command.iter().map(|s| s.to_string()));
    args
}

fn sh(script: &str) -> Vec<&str> {
    vec!["sh", "-c", script]
}

fn path_arg(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

// 1. Teardown on every path.

#[tokio::test]
async fn whole_run_timeout_tears_down_and_exits_3() {
    require_fixtures().await;
    let project = unique("g-timeout");
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("junit.xml");
    let artifacts = dir.path().join("artifacts");
    let t0 = Instant::now();
    let out = dockhand(
        &test_args(
            &project,
            "tests/stacks/basic.yml",
            &[
                "--timeout",
                "20",
                "--junit",
                &path_arg(&junit),
                "--artifacts",
                &path_arg(&artifacts),
            ],
            &sh("echo test-begins; sleep 300"),
        )
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>(),
    );
    let elapsed = t0.elapsed();
    assert_clean(&project).await;
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("longer than its timeout of 20s"),
        "the message must say the run timed out:\n{}",
        stderr(&out)
    );
    assert!(
        stdout(&out).contains("app | test-begins"),
        "the timeout should hit while the test command runs:\n{}",
        stdout(&out)
    );
    assert!(
        elapsed < Duration::from_secs(90),
        "the run went on for {elapsed:?} despite --timeout 20"
    );
    assert_valid_junit(&junit);
    let report = std::fs::read_to_string(&junit).unwrap();
    assert!(report.contains("timeout of 20s"), "{report}");
    // The report carries what the command printed before the deadline, as a failure.
    assert!(
        report.contains("<failure message=\"the test command did not finish"),
        "{report}"
    );
    assert!(report.contains("<system-out>test-begins"), "{report}");
    // What the command printed before the deadline is kept.
    let log = std::fs::read_to_string(artifacts.join("app-test.log")).unwrap();
    assert_eq!(log, "test-begins\n");
}

#[tokio::test]
async fn sighup_during_test_command_tears_down_and_exits_129() {
    require_fixtures().await;
    let project = unique("g-hup");
    let mut run = Running::spawn(&test_args(
        &project,
        "tests/stacks/basic.yml",
        &[],
        &sh("echo test-begins; sleep 120"),
    ));
    run.wait_for("app | test-begins");
    run.signal("HUP");
    let (code, out) = run.finish();
    assert_clean(&project).await;
    assert_eq!(code, Some(129), "{out}");
    assert!(out.contains("interrupted by SIGHUP"), "{out}");
}

#[tokio::test]
async fn second_sigint_during_teardown_still_removes_everything() {
    require_fixtures().await;
    let project = unique("g-int2");
    let mut run = Running::spawn(&test_args(
        &project,
        "tests/stacks/basic.yml",
        &[],
        &sh("echo test-begins; sleep 120"),
    ));
    run.wait_for("app | test-begins");
    run.signal("INT");
    run.wait_for("tearing down");
    run.signal("INT");
    let (code, out) = run.finish();
    assert_clean(&project).await;
    assert_eq!(code, Some(130), "{out}");
    assert!(
        out.contains("SIGINT received again; still removing the stack"),
        "the second SIGINT must arrive while dockhand still listens:\n{out}"
    );
    let again = out.find("received again").unwrap();
    let saved = out.find("logs saved in").expect("no end-of-run note");
    assert!(
        again < saved,
        "the second SIGINT should land during teardown, before the run's last note:\n{out}"
    );
}

#[tokio::test]
async fn panic_inside_dockhand_after_bring_up_tears_down() {
    require_fixtures().await;
    let project = unique("g-panic");
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("junit.xml");
    let out = Command::new(env!("CARGO_BIN_EXE_dockhand"))
        .args(test_args(
            &project,
            "tests/stacks/basic.yml",
            &["--junit", &path_arg(&junit)],
            &sh("echo 'Result: SUCCESS!'"),
        ))
        .current_dir(root())
        .env("CI", "true")
        .env("DOCKHAND_FAULT", "panic:after-up")
        .output()
        .unwrap();
    eprintln!(
        "--- exit {:?}\n{}\n{}",
        out.status.code(),
        stdout(&out),
        stderr(&out)
    );
    assert_clean(&project).await;
    assert_eq!(out.status.code(), Some(101), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("injected panic at after-up"), "{err}");
    assert!(
        err.contains("cache: ready"),
        "the panic must come after bring-up:\n{err}"
    );
    // dockhand's own teardown, not a reaper after the process died.
    let torn = err.find("tearing down").expect("no teardown message");
    let panicked = err.find("injected panic").unwrap();
    assert!(torn > panicked, "teardown must follow the panic:\n{err}");
    assert!(!stdout(&out).contains("app | Result"), "{}", stdout(&out));
    // The report is still written, and says what happened.
    assert_valid_junit(&junit);
    let report = std::fs::read_to_string(&junit).unwrap();
    assert!(
        report.contains("dockhand itself failed: DOCKHAND_FAULT: injected panic at after-up"),
        "{report}"
    );
}

// 2. Output never lost, never balloons.

/// 1 GiB of output in lines of 1 KiB, then the marker: dockhand keeps every byte in the
/// artifacts log and on stdout, judges by the real last line, and its peak RSS stays small.
#[tokio::test]
async fn one_gib_of_output_is_kept_whole_in_bounded_memory() {
    const GIB: u64 = 1 << 30;
    const LINE: u64 = 1024;
    const MARKER: &str = "Result: SUCCESS!\n";
    require_fixtures().await;
    let time = Path::new("/usr/bin/time");
    assert!(
        time.exists(),
        "/usr/bin/time is needed to measure dockhand's peak memory: apt-get install time"
    );
    let project = unique("g-1gib");
    let dir = tempfile::tempdir().unwrap();
    let artifacts = dir.path().join("artifacts");
    let rss_file = dir.path().join("peak-rss-kib");
    let script = format!(
        "line=$(head -c {} /dev/zero | tr '\\0' x); yes \"$line\" | head -c {GIB}; echo 'Result: SUCCESS!'",
        LINE - 1
    );
    let t0 = Instant::now();
    let mut child = Command::new(time)
        .args(["-f", "%M", "-o"])
        .arg(&rss_file)
        .arg(env!("CARGO_BIN_EXE_dockhand"))
        .args(test_args(
            &project,
            "tests/stacks/basic.yml",
            &["--artifacts", &path_arg(&artifacts)],
            &sh(&script),
        ))
        .current_dir(root())
        .env("CI", "true")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let counter = std::thread::spawn(move || {
        let mut buf = vec![0u8; 1 << 16];
        let (mut bytes, mut lines) = (0u64, 0u64);
        let mut last = Vec::new();
        loop {
            let n = out.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            bytes += n as u64;
            lines += memchr::memchr_iter(b'\n', &buf[..n]).count() as u64;
            last.extend_from_slice(&buf[..n]);
            last.drain(..last.len().saturating_sub(64));
        }
        (bytes, lines, last)
    });
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    let elapsed = t0.elapsed();
    let (out_bytes, out_lines, out_last) = counter.join().unwrap();
    eprintln!("--- exit {:?} after {elapsed:?}\n{err}", status.code());
    assert_clean(&project).await;
    assert_eq!(status.code(), Some(0), "{err}");
    assert!(err.contains("PASS"), "{err}");

    let peak_kib: u64 = std::fs::read_to_string(&rss_file)
        .unwrap()
        .trim()
        .parse()
        .expect("peak RSS in KiB");
    eprintln!("1 GiB run: {elapsed:?}, dockhand peak RSS {peak_kib} KiB");
    assert!(
        peak_kib < 64 * 1024,
        "dockhand's peak RSS was {peak_kib} KiB for 1 GiB of output"
    );

    let lines = GIB / LINE + 1;
    let log = artifacts.join("app-test.log");
    let size = std::fs::metadata(&log).unwrap().len();
    assert_eq!(
        size,
        GIB + MARKER.len() as u64,
        "{} is not whole",
        log.display()
    );
    let expected_end = format!("xxx\n{MARKER}");
    let mut f = std::fs::File::open(&log).unwrap();
    std::io::Seek::seek(&mut f, std::io::SeekFrom::End(-(expected_end.len() as i64))).unwrap();
    let mut end = String::new();
    f.read_to_string(&mut end).unwrap();
    assert_eq!(end, expected_end);
    std::fs::remove_file(&log).unwrap();

    // Every line reached the console too, prefixed with the service name.
    assert_eq!(out_lines, lines, "lines on stdout");
    assert_eq!(
        out_bytes,
        GIB + MARKER.len() as u64 + lines * "app | ".len() as u64
    );
    assert!(
        out_last.ends_with(b"xxx\napp | Result: SUCCESS!\n"),
        "{:?}",
        String::from_utf8_lossy(&out_last)
    );
}

#[tokio::test]
async fn coloured_marker_with_crlf_and_no_final_newline_passes_and_log_keeps_raw_bytes() {
    require_fixtures().await;
    let project = unique("g-ansi");
    let dir = tempfile::tempdir().unwrap();
    let artifacts = dir.path().join("artifacts");
    let out = dockhand(
        &test_args(
            &project,
            "tests/stacks/basic.yml",
            &["--artifacts", &path_arg(&artifacts)],
            &sh("printf 'checking\\r\\n'; printf '\\033[32mResult: SUCCESS!\\033[0m\\r'"),
        )
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>(),
    );
    assert_clean(&project).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let log = std::fs::read(artifacts.join("app-test.log")).unwrap();
    assert_eq!(
        log,
        b"checking\r\n\x1b[32mResult: SUCCESS!\x1b[0m\r",
        "raw bytes: {:?}",
        String::from_utf8_lossy(&log)
    );
}

// 3. Every service's log saved.

#[tokio::test]
async fn every_container_log_is_saved_under_artifacts() {
    require_fixtures().await;
    let project = unique("g-logs");
    let dir = tempfile::tempdir().unwrap();
    let artifacts = dir.path().join("artifacts");
    let out = dockhand(
        &test_args(
            &project,
            "tests/stacks/basic.yml",
            &["--artifacts", &path_arg(&artifacts)],
            &sh("echo from-the-app; echo 'Result: SUCCESS!'"),
        )
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>(),
    );
    assert_clean(&project).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let names: Vec<String> = std::fs::read_dir(&artifacts)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let find = |suffix: &str| -> PathBuf {
        let name = names
            .iter()
            .find(|n| n.starts_with(&format!("{project}-")) && n.ends_with(suffix))
            .unwrap_or_else(|| panic!("no *{suffix} in {}: {names:?}", artifacts.display()));
        artifacts.join(name)
    };
    let cache = std::fs::read_to_string(find("-cache-1.log")).unwrap();
    assert!(
        cache.contains("Ready to accept connections"),
        "the dependency's log is not in its file:\n{cache}"
    );
    let app_run = names
        .iter()
        .find(|n| n.contains("-app-run-") && n.ends_with(".log"))
        .unwrap_or_else(|| panic!("no log of the test container: {names:?}"));
    let app = std::fs::read_to_string(artifacts.join(app_run)).unwrap();
    assert!(app.contains("from-the-app"), "{app}");
}

// 4. JUnit valid whatever the output holds.

#[tokio::test]
async fn junit_stays_valid_and_small_for_hostile_output() {
    require_fixtures().await;
    let project = unique("g-junit");
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("junit.xml");
    let artifacts = dir.path().join("artifacts");
    let nasty = "printf 'ctl \\000\\001\\002\\010\\013\\014\\033[1mbold\\033[0m \\037\\177 cdata ]]> amp & lt < \\n'; \
                 printf 'bad utf8 \\377\\376 \\300\\200 \\355\\240\\200 \\357\\277\\276 end\\n'";
    let script = format!(
        "{nasty}; head -c 3145728 /dev/zero | tr '\\0' y | fold -w 120; echo; {nasty}; echo 'Result: FAILURE!'"
    );
    let out = dockhand(
        &test_args(
            &project,
            "tests/stacks/basic.yml",
            &[
                "--junit",
                &path_arg(&junit),
                "--artifacts",
                &path_arg(&artifacts),
            ],
            &sh(&script),
        )
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>(),
    );
    assert_clean(&project).await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_valid_junit(&junit);
    let size = std::fs::metadata(&junit).unwrap().len();
    assert!(
        size < (3 << 20) / 2,
        "the report is {size} bytes for 3 MiB of output: system-out was not cut"
    );
    let report = std::fs::read_to_string(&junit).unwrap();
    let full_log = artifacts.join("app-test.log");
    assert!(
        report.contains(&format!("full output in {}]", full_log.display())),
        "system-out must name the full log:\n{}",
        &report[..report.len().min(4000)]
    );
    assert!(report.contains("<failure"), "no failure element");
    assert!(
        report.contains("cdata ]]&gt; amp &amp; lt &lt;"),
        "the text near the end must be kept, escaped"
    );
    let log_size = std::fs::metadata(&full_log).unwrap().len();
    assert!(log_size > 3 << 20, "the full log has {log_size} bytes");
}

// 5. Secrets masked.

#[tokio::test]
async fn secret_values_never_reach_the_junit_or_stderr() {
    require_fixtures().await;
    let project = unique("g-secret");
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("junit.xml");
    let artifacts = dir.path().join("artifacts");
    let out = dockhand(
        &test_args(
            &project,
            "tests/stacks/basic.yml",
            &[
                "-e",
                "API_KEY=supersecret123",
                "-e",
                "DB_PASSWORD=hunter2hunter2",
                "--junit",
                &path_arg(&junit),
                "--artifacts",
                &path_arg(&artifacts),
            ],
            // The last line is a secret, so the verdict's reason quotes it.
            &sh("echo \"key=$API_KEY\"; echo \"connecting with $DB_PASSWORD\"; echo \"$DB_PASSWORD\""),
        )
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>(),
    );
    assert_clean(&project).await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let raw = std::fs::read_to_string(artifacts.join("app-test.log")).unwrap();
    assert!(
        raw.contains("key=supersecret123") && raw.contains("connecting with hunter2hunter2"),
        "the command must have printed the secrets:\n{raw}"
    );
    assert_valid_junit(&junit);
    let report = std::fs::read_to_string(&junit).unwrap();
    let err = stderr(&out);
    for secret in ["supersecret123", "hunter2hunter2"] {
        assert!(!report.contains(secret), "{secret} in the JUnit:\n{report}");
        assert!(!err.contains(secret), "{secret} on stderr:\n{err}");
    }
    assert!(report.contains("key=****"), "{report}");
    assert!(err.contains("FAIL"), "{err}");
}

#[tokio::test]
async fn secret_in_a_failing_dependency_log_is_masked() {
    require_fixtures().await;
    let project = unique("g-secretdep");
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("junit.xml");
    let out = dockhand(
        &test_args(
            &project,
            "tests/stacks/crash-secret.yml",
            &[
                "-e",
                "DB_PASSWORD=hunter2hunter2",
                "--junit",
                &path_arg(&junit),
            ],
            &sh("echo 'Result: SUCCESS!'"),
        )
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>(),
    );
    assert_clean(&project).await;
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.contains("fatal: access denied"),
        "the log tail must be shown:\n{err}"
    );
    assert!(err.contains("password ****"), "{err}");
    assert!(!err.contains("hunter2hunter2"), "{err}");
    assert_valid_junit(&junit);
    let report = std::fs::read_to_string(&junit).unwrap();
    assert!(report.contains("fatal: access denied"), "{report}");
    assert!(!report.contains("hunter2hunter2"), "{report}");
}

#[tokio::test]
async fn mask_option_hides_a_variable_the_default_names_miss() {
    require_fixtures().await;
    let masked = unique("g-mask");
    let plain = unique("g-nomask");
    let dir = tempfile::tempdir().unwrap();
    let secret = "postgres://app:sesame4711@db/app";
    let env = format!("CONN_URL={secret}");
    let run = |project: &str, mask: bool| {
        let junit = dir.path().join(format!("{project}.xml"));
        let mut extra = vec!["-e", &env, "--junit"];
        let junit_arg = path_arg(&junit);
        extra.push(&junit_arg);
        if mask {
            extra.extend(["--mask", "conn_*"]);
        }
        let args = test_args(
            project,
            "tests/stacks/basic.yml",
            &extra,
            &sh("echo \"using $CONN_URL\"; echo \"$CONN_URL\""),
        );
        let out = dockhand(&args.iter().map(String::as_str).collect::<Vec<_>>());
        assert_valid_junit(&junit);
        (out, std::fs::read_to_string(&junit).unwrap())
    };
    let ((out_masked, report_masked), (out_plain, report_plain)) = std::thread::scope(|s| {
        let a = s.spawn(|| run(&masked, true));
        let b = s.spawn(|| run(&plain, false));
        (a.join().unwrap(), b.join().unwrap())
    });
    assert_clean(&masked).await;
    assert_clean(&plain).await;
    assert_eq!(out_masked.status.code(), Some(1), "{}", stderr(&out_masked));
    assert_eq!(out_plain.status.code(), Some(1), "{}", stderr(&out_plain));
    // Without --mask the value shows: the test would notice if masking did nothing.
    assert!(report_plain.contains(secret), "{report_plain}");
    assert!(!report_masked.contains(secret), "{report_masked}");
    assert!(report_masked.contains("using ****"), "{report_masked}");
    assert!(
        !stderr(&out_masked).contains(secret),
        "{}",
        stderr(&out_masked)
    );
}

// 6. Parallel runs.

/// Eight runs of one file under one project name, with a fixed `container_name` and a fixed
/// host port, all at once.
#[tokio::test]
async fn eight_parallel_runs_with_fixed_names_and_ports_all_pass() {
    require_fixtures().await;
    let prefix = unique("g-par");
    let dir = tempfile::tempdir().unwrap();
    let runs: Vec<String> = (0..8).map(|i| format!("run-{i}")).collect();
    let t0 = Instant::now();
    let handles: Vec<_> = runs
        .iter()
        .map(|run| {
            let artifacts = dir.path().join(run);
            let args = test_args(
                &prefix,
                "tests/stacks/fixed-names.yml",
                &["--artifacts", &path_arg(&artifacts)],
                // The fixed name stays reachable as a network alias inside the run.
                &sh("redis-cli -h fixed-cache ping && sleep 4 && echo 'Result: SUCCESS!'"),
            );
            std::thread::spawn(move || {
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                dockhand(&args)
            })
        })
        .collect();

    // Watch the engine while they run: the runs must overlap for the test to mean anything.
    let engine = engine().await;
    let managed = std::collections::BTreeMap::from([(
        dockhand::labels::MANAGED.to_string(),
        "true".to_string(),
    )]);
    let mut most_at_once = 0;
    while handles.iter().any(|h| !h.is_finished()) {
        let caches = engine
            .containers_with(&managed)
            .await
            .unwrap()
            .into_iter()
            .filter(|c| {
                c.name.starts_with("fixed-cache-")
                    && c.labels
                        .get(dockhand::labels::PROJECT)
                        .is_some_and(|p| p.starts_with(&prefix))
            })
            .filter(|c| c.state == "running")
            .count();
        most_at_once = most_at_once.max(caches);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let outputs: Vec<Output> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let wall = t0.elapsed();
    eprintln!("8 parallel runs: {wall:?}, at most {most_at_once} fixed-cache containers at once");
    assert_clean(&prefix).await;
    let mut cache_names = std::collections::BTreeSet::new();
    for (run, out) in runs.iter().zip(&outputs) {
        assert_eq!(out.status.code(), Some(0), "{run}: {}", stderr(out));
        assert!(stdout(out).contains("app | PONG"), "{run}");
        let names: Vec<String> = std::fs::read_dir(dir.path().join(run))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        let cache = names
            .iter()
            .find(|n| n.starts_with("fixed-cache-") && n.ends_with(".log"))
            .unwrap_or_else(|| {
                panic!("{run}: the container_name should carry the run's suffix: {names:?}")
            });
        cache_names.insert(cache.clone());
    }
    assert_eq!(cache_names.len(), 8, "{cache_names:?}");
    assert!(
        most_at_once >= 2,
        "the runs never overlapped (at most {most_at_once} at once)"
    );
}

// 7. Daemon trouble.

#[tokio::test]
async fn unreachable_daemon_exits_3_naming_the_socket_and_the_fix() {
    let project = unique("g-nodaemon");
    let out = Command::new(env!("CARGO_BIN_EXE_dockhand"))
        .args(test_args(
            &project,
            "tests/stacks/basic.yml",
            &[],
            &sh("echo 'Result: SUCCESS!'"),
        ))
        .current_dir(root())
        .env("CI", "true")
        .env("DOCKER_HOST", "unix:///nonexistent.sock")
        .output()
        .unwrap();
    let err = stderr(&out);
    eprintln!("--- exit {:?}\n{err}", out.status.code());
    assert_clean(&project).await;
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("unix:///nonexistent.sock"), "{err}");
    assert!(
        err.contains("systemctl start docker") && err.contains("DOCKER_HOST"),
        "the message must say how to fix it:\n{err}"
    );
}

#[tokio::test]
async fn graceful_stop_lets_dependencies_shut_down_and_kill_does_not() {
    require_fixtures().await;
    for (flag, expect_goodbye) in [(Some("--graceful-stop"), true), (None, false)] {
        let project = unique("g-graceful");
        let dir = tempfile::tempdir().unwrap();
        let artifacts = dir.path().join("artifacts");
        let mut args = vec![
            "test".to_string(),
            "-f".into(),
            "tests/stacks/graceful.yml".into(),
            "-p".into(),
            project.clone(),
            "--service".into(),
            "app".into(),
            "--artifacts".into(),
            path_arg(&artifacts),
        ];
        args.extend(flag.map(String::from));
        args.extend(["--".into(), "echo".into(), "Result: SUCCESS!".into()]);
        let out = dockhand(&args.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert_clean(&project).await;
        let log = std::fs::read_dir(&artifacts)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.to_string_lossy().ends_with("-polite-1.log"))
            .expect("the dependency's log is saved");
        let text = std::fs::read_to_string(log).unwrap();
        assert!(text.contains("up"), "{text}");
        assert_eq!(
            text.contains("graceful shutdown"),
            expect_goodbye,
            "{flag:?}: {text}"
        );
    }
}

#[tokio::test]
async fn external_networks_and_volumes_are_used_and_never_removed() {
    require_fixtures().await;
    let project = unique("g-external");
    let net = format!("{project}-shared-net");
    let vol = format!("{project}-shared-vol");
    let engine = engine().await;
    docker()
        .create_network(bollard::models::NetworkCreateRequest {
            name: net.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
    docker()
        .create_volume(bollard::models::VolumeCreateRequest {
            name: Some(vol.clone()),
            ..Default::default()
        })
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("compose.yml");
    std::fs::write(
        &file,
        format!(
            "services:\n  app:\n    image: dockhand-fixture/toolbox:1\n    networks: [shared]\n    volumes: [\"data:/data\"]\n\
             networks:\n  shared:\n    external: true\n    name: {net}\n\
             volumes:\n  data:\n    external: true\n    name: {vol}\n"
        ),
    )
    .unwrap();
    let out = dockhand(&[
        "test",
        "-f",
        file.to_str().unwrap(),
        "-p",
        &project,
        "--service",
        "app",
        "--",
        "sh",
        "-c",
        "echo kept > /data/mark && echo 'Result: SUCCESS!'",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_clean(&project).await;
    assert!(
        engine.network_exists(&net).await.unwrap(),
        "the external network was removed"
    );
    assert!(
        engine.volume_exists(&vol).await.unwrap(),
        "the external volume was removed"
    );
    engine.remove_network(&net).await.unwrap();
    engine.remove_volume(&vol).await.unwrap();

    // A missing external network is bad input, said before anything is created.
    let out = dockhand(&[
        "test",
        "-f",
        file.to_str().unwrap(),
        "-p",
        &project,
        "--service",
        "app",
        "--",
        "true",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains(&net), "{}", stderr(&out));
    assert_clean(&project).await;
}

#[tokio::test]
async fn a_failure_to_listen_for_signals_is_an_infrastructure_error() {
    let project = unique("signals");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_dockhand"))
        .args([
            "test",
            "-f",
            "tests/stacks/basic.yml",
            "-p",
            &project,
            "--service",
            "app",
        ])
        .current_dir(root())
        .env("CI", "true")
        .env("DOCKHAND_FAULT", "fail:signals")
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("error: cannot listen for signals"), "{err}");
    assert!(err.contains("injected failure at signals"), "{err}");
    assert_clean(&project).await;
}
