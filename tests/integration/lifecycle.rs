//! Keys that act around the stack rather than in one container's settings, checked on the
//! engine: `pre_stop` hooks at teardown and at a library stop, `external_links` to a container
//! outside the stack, and `gpus` asked of the engine as docker compose asks for them.
//! `dockhand down` runs the hooks of a stack `dockhand up` left, from its labels.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use dockhand::Stack;

use super::support::*;

fn write(dir: &Path, yaml: &str) -> String {
    let file = dir.join("compose.yml");
    std::fs::write(&file, yaml).unwrap();
    file.to_string_lossy().into_owned()
}

/// A folder holding the stack's file, and an `out` folder in it for hooks to write to;
/// `yaml` is given the out folder's path.
fn with_out_folder(yaml: impl FnOnce(&str) -> String) -> (tempfile::TempDir, PathBuf, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let file = write(dir.path(), &yaml(&out.display().to_string()));
    (dir, out, file)
}

const SLEEPER: &str = r#"image: dockhand-fixture/toolbox:1
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 600 & wait"]"#;

/// `docker compose -p project -f file run --rm -T app args...`, then `down -v`.
fn compose_run(file: &str, project: &str, args: &[&str]) -> Output {
    let mut run = vec![
        "compose", "-p", project, "-f", file, "run", "--rm", "-T", "app",
    ];
    run.extend_from_slice(args);
    let out = Command::new("docker").args(&run).output().unwrap();
    let down = Command::new("docker")
        .args([
            "compose", "-p", project, "-f", file, "down", "-v", "-t", "0",
        ])
        .output()
        .unwrap();
    assert!(down.status.success(), "{}", stderr(&down));
    out
}

#[tokio::test]
async fn pre_stop_hooks_run_at_teardown_and_a_failing_one_only_warns() {
    let (_dir, out, file) = with_out_folder(|out| {
        format!(
            "services:\n  dep:\n    {SLEEPER}\n    user: \"1000\"\n    volumes: [\"{out}:/out\"]\n    pre_stop:\n      - command: [\"sh\", \"-c\", \"echo $$(id -u) $$(pwd) $$FAREWELL > /out/dep\"]\n        user: root\n        working_dir: /tmp\n        environment:\n          FAREWELL: bye\n      - command: sh -c 'echo second >> /out/dep'\n        user: root\n  stubborn:\n    {SLEEPER}\n    pre_stop:\n      - command: [\"sh\", \"-c\", \"echo cannot flush; exit 5\"]\n  app:\n    image: dockhand-fixture/toolbox:1\n    volumes: [\"{out}:/out\"]\n    depends_on: [dep, stubborn]\n    pre_stop:\n      - command: [\"sh\", \"-c\", \"echo app > /out/app\"]\n"
        )
    });
    let run = run_test(
        "prestop",
        &file,
        &["--no-marker"],
        &sh("test ! -e /out/dep"),
    )
    .await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    // Run as root in /tmp with the hook's own variable, then the second hook, in order.
    assert_eq!(
        std::fs::read_to_string(out.join("dep")).unwrap(),
        "0 /tmp bye\nsecond\n"
    );
    // The test command's one-off container is no service container: as with `docker compose
    // run --rm`, its service's hooks do not run.
    assert!(!out.join("app").exists());
    assert!(
        run.stderr.contains(
            "pre_stop hook 1 of service stubborn (`sh -c echo cannot flush; exit 5`) exited with status 5"
        ),
        "{}",
        run.stderr
    );
}

#[tokio::test]
async fn stopping_a_service_runs_its_pre_stop_hooks_and_a_failing_one_keeps_it_running() {
    require_fixtures().await;
    let (_dir, out, file) = with_out_folder(|out| {
        format!(
            "services:\n  dep:\n    {SLEEPER}\n    volumes: [\"{out}:/out\"]\n    pre_stop:\n      - command: [\"sh\", \"-c\", \"echo stopping > /out/dep\"]\n  stubborn:\n    {SLEEPER}\n    pre_stop:\n      - command: [\"sh\", \"-c\", \"exit 7\"]\n"
        )
    });
    let project = unique("prestop-lib");
    let stack = Stack::builder()
        .file(&file)
        .project_name(&project)
        .up()
        .await
        .unwrap();
    stack.stop("dep").await.unwrap();
    assert_eq!(
        std::fs::read_to_string(out.join("dep")).unwrap(),
        "stopping\n"
    );
    let err = stack.stop("stubborn").await.unwrap_err().to_string();
    assert!(
        err.contains("pre_stop hook 1 of service stubborn (`sh -c exit 7`) exited with status 7"),
        "{err}"
    );
    let still = stack.exec("stubborn", ["true"]).await.unwrap();
    assert!(
        still.success(),
        "stubborn was stopped after its hook failed"
    );
    // down runs the hooks of what still runs: stubborn's fails again, and only warns.
    stack.down().await.unwrap();
    assert_clean(&project).await;
}

#[tokio::test]
async fn external_links_name_a_container_outside_the_stack_as_compose_does() {
    require_fixtures().await;
    let outside = unique("outside");
    let net = unique("extnet");
    let made = Command::new("docker")
        .args(["network", "create", &net])
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", stderr(&made));
    struct Gone<'a>(&'a str, &'a str);
    impl Drop for Gone<'_> {
        fn drop(&mut self) {
            let _ = Command::new("docker").args(["rm", "-f", self.0]).output();
            let _ = Command::new("docker")
                .args(["network", "rm", self.1])
                .output();
        }
    }
    let _gone = Gone(&outside, &net);
    let started = Command::new("docker")
        .args([
            "run",
            "-d",
            "--name",
            &outside,
            "--network",
            &net,
            "dockhand-fixture/toolbox:1",
            "sleep",
            "600",
        ])
        .output()
        .unwrap();
    assert!(started.status.success(), "{}", stderr(&started));

    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        &format!(
            "services:\n  app:\n    image: dockhand-fixture/toolbox:1\n    networks: [ext]\n    external_links: [\"{outside}:legacy\"]\nnetworks:\n  ext:\n    external: true\n    name: {net}\n"
        ),
    );
    let probe = "getent hosts legacy | awk '{print $2, $3}' | tr ' ' '\\n' | sort | tr '\\n' ' '";
    let composed = compose_run(&file, &unique("prc-extlinks"), &["sh", "-c", probe]);
    assert!(composed.status.success(), "{}", stderr(&composed));
    let run = run_test("extlinks", &file, &["--no-marker"], &sh(probe)).await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        stdout(&composed).contains("legacy"),
        "{}",
        stdout(&composed)
    );
    assert!(
        run.stdout.contains(stdout(&composed).trim()),
        "compose saw {:?}, dockhand {:?}",
        stdout(&composed),
        run.stdout
    );
}

#[tokio::test]
async fn gpus_are_asked_of_the_engine_as_compose_asks_for_them() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        &format!(
            "services:\n  trainer:\n    {SLEEPER}\n    gpus: all\n  app:\n    image: dockhand-fixture/toolbox:1\n    depends_on: [trainer]\n"
        ),
    );
    let composed = compose_run(&file, &unique("prc-gpus"), &["true"]);
    let run = run_test("gpus", &file, &["--no-marker"], &["true"]).await;
    // On an engine with a GPU driver both pass; on one without (this CI), both fail with the
    // engine's refusal, which a run that dropped the key would never meet.
    if composed.status.success() {
        assert_eq!(run.code, Some(0), "{}", run.stderr);
    } else {
        let refusal = "could not select device driver";
        assert!(stderr(&composed).contains(refusal), "{}", stderr(&composed));
        assert_eq!(run.code, Some(3), "{}", run.stderr);
        assert!(run.stderr.contains(refusal), "{}", run.stderr);
        assert!(
            run.stderr.contains("error starting container ")
                && run.stderr.contains(" of service trainer"),
            "{}",
            run.stderr
        );
    }
}

#[tokio::test]
async fn dockhand_down_runs_the_pre_stop_hooks_of_a_stack_left_up() {
    require_fixtures().await;
    let (_dir, out, file) = with_out_folder(|out| {
        format!(
            "services:\n  dep:\n    {SLEEPER}\n    scale: 2\n    volumes: [\"{out}:/out\"]\n    pre_stop:\n      - command: [\"sh\", \"-c\", \"hostname >> /out/dep\"]\n"
        )
    });
    let project = unique("prestop-down");
    let up = dockhand(&["up", "-f", &file, "-p", &project]);
    assert_eq!(up.status.code(), Some(0), "{}", stderr(&up));
    assert!(!out.join("dep").exists(), "a hook ran before down");
    // Only the labels tell `down` what to run: no compose file is given.
    let down = dockhand(&["down", "-p", &project]);
    assert_eq!(down.status.code(), Some(0), "{}", stderr(&down));
    let ran = std::fs::read_to_string(out.join("dep")).unwrap();
    assert_eq!(ran.lines().count(), 2, "one line per replica: {ran}");
    assert_clean(&project).await;
}
