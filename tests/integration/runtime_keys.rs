//! Compose keys carried out at run time, checked on the engine where the runtime parity suite
//! cannot: labels compose's own commands read, where ports bind, read-only `volumes_from`,
//! logging, replicas' names and labels, a secret whose variable is unset, block I/O limits
//! and post_start hooks (one that fails).

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

use bollard::query_parameters::InspectContainerOptions;
use dockhand::Stack;

use super::support::*;

fn write(dir: &Path, yaml: &str) -> String {
    let file = dir.join("compose.yml");
    std::fs::write(&file, yaml).unwrap();
    file.to_string_lossy().into_owned()
}

/// Brings up the stack of `file` under a project name unique to this test (from `name`).
async fn up(file: &str, name: &str) -> (Stack, String) {
    let project = unique(name);
    let stack = Stack::builder()
        .file(file)
        .project_name(&project)
        .up()
        .await
        .unwrap();
    (stack, project)
}

async fn inspect(id: &str) -> bollard::models::ContainerInspectResponse {
    docker()
        .inspect_container(id, None::<InspectContainerOptions>)
        .await
        .unwrap()
}

const SLEEPER: &str = r#"image: dockhand-fixture/toolbox:1
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 600 & wait"]"#;

#[tokio::test]
async fn compose_commands_read_dockhand_stacks_without_warnings() {
    require_fixtures().await;
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        &format!(
            "services:\n  cache:\n    image: dockhand-fixture/redis:1\n    networks: [front, back]\n    volumes: [\"store:/data\"]\n  worker:\n    {SLEEPER}\n    scale: 2\nnetworks:\n  front:\n  back:\nvolumes:\n  store:\n"
        ),
    );
    let (stack, project) = up(&file, "labels").await;
    let name = stack.project().to_string();

    let ps = Command::new("docker")
        .args(["compose", "-p", &name, "ps", "--format", "{{.Name}}"])
        .output()
        .unwrap();
    let ls = Command::new("docker")
        .args(["compose", "ls", "--filter", &format!("name={name}")])
        .output()
        .unwrap();
    let (ps_out, ps_err) = (stdout(&ps), stderr(&ps));
    let (ls_out, ls_err) = (stdout(&ls), stderr(&ls));

    // The replicas: numbered from 1, each with its number label.
    let mut numbers = Vec::new();
    for n in 1..=2 {
        let c = inspect(&format!("{name}-worker-{n}")).await;
        numbers
            .push(c.config.unwrap().labels.unwrap()["com.docker.compose.container-number"].clone());
    }
    let cache = inspect(stack.container_id("cache").unwrap()).await;
    let networks = cache.network_settings.unwrap().networks.unwrap_or_default();
    stack.down().await.unwrap();
    assert_clean(&project).await;

    assert!(ps.status.success() && ps_err.trim().is_empty(), "{ps_err}");
    assert!(ps_out.contains(&format!("{name}-cache-1")), "{ps_out}");
    assert!(ps_out.contains(&format!("{name}-worker-2")), "{ps_out}");
    assert!(ls.status.success() && ls_err.trim().is_empty(), "{ls_err}");
    assert!(
        ls_out.contains(&file),
        "config_files label missing: {ls_out}"
    );
    assert_eq!(numbers, ["1", "2"]);
    // Two networks on an engine that takes one at create: the second connected after.
    assert_eq!(networks.len(), 2, "{networks:?}");
}

#[tokio::test]
async fn own_ports_bind_loopback_and_file_ports_bind_where_written() {
    require_fixtures().await;
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "services:\n  own:\n    image: dockhand-fixture/redis:1\n  written:\n    image: dockhand-fixture/redis:1\n    ports: [\"6379\"]\n  fixed:\n    image: dockhand-fixture/redis:1\n    ports: [\"6380:6379\"]\n",
    );
    let (stack, project) = up(&file, "ports").await;
    let mut bound = HashMap::new();
    for service in ["own", "written", "fixed"] {
        let c = inspect(stack.container_id(service).unwrap()).await;
        let bindings = c.host_config.unwrap().port_bindings.unwrap();
        let b = bindings["6379/tcp"].clone().unwrap();
        bound.insert(service, b[0].host_ip.clone().unwrap_or_default());
    }
    let reachable = std::net::TcpStream::connect(stack.endpoint("own", 6379).unwrap()).is_ok();
    stack.down().await.unwrap();
    assert_clean(&project).await;

    // EXPOSEd by the image, published by dockhand: loopback only.
    assert_eq!(bound["own"], "127.0.0.1");
    // A fixed port turned ephemeral is dockhand's choice too.
    assert_eq!(bound["fixed"], "127.0.0.1");
    // Written without an address: every interface, as compose binds it.
    assert_eq!(bound["written"], "");
    assert!(reachable);
}

#[tokio::test]
async fn volumes_from_read_only_and_from_a_container_outside_the_stack() {
    require_fixtures().await;
    let outside = format!("dockhand-it-{}", &unique("vf")[5..]);
    let made = Command::new("docker")
        .args([
            "create",
            "--name",
            &outside,
            "-v",
            "/outside",
            "dockhand-fixture/toolbox:1",
            "true",
        ])
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", stderr(&made));
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        &format!(
            "services:\n  app:\n    image: dockhand-fixture/toolbox:1\n    volumes_from: [\"data:ro\", \"container:{outside}\"]\n  data:\n    {SLEEPER}\n    volumes: [\"/stash\"]\n"
        ),
    );
    let project = unique("volfrom");
    let script = "grep -q ' /stash ro,' /proc/self/mountinfo && ! touch /stash/x 2>/dev/null && touch /outside/x && echo checked";
    let out = dockhand(&[
        "test",
        "-f",
        &file,
        "-p",
        &project,
        "--service",
        "app",
        "--no-marker",
        "--",
        "sh",
        "-c",
        script,
    ]);
    assert_clean(&project).await;
    Command::new("docker")
        .args(["rm", "-v", &outside])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("checked"), "{}", stdout(&out));
}

#[tokio::test]
async fn logging_reaches_the_engine() {
    require_fixtures().await;
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        &format!(
            "services:\n  quiet:\n    {SLEEPER}\n    logging:\n      driver: json-file\n      options:\n        max-size: 1m\n        max-file: \"2\"\n"
        ),
    );
    let (stack, project) = up(&file, "logging").await;
    let c = inspect(stack.container_id("quiet").unwrap()).await;
    stack.down().await.unwrap();
    assert_clean(&project).await;
    let log = c.host_config.unwrap().log_config.unwrap();
    assert_eq!(log.typ.as_deref(), Some("json-file"));
    let options = log.config.unwrap();
    assert_eq!(options["max-size"], "1m");
    assert_eq!(options["max-file"], "2");
}

#[tokio::test]
async fn a_secret_whose_variable_is_unset_fails_the_run_saying_which() {
    require_fixtures().await;
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "services:\n  app:\n    image: dockhand-fixture/toolbox:1\n    secrets: [token]\nsecrets:\n  token:\n    environment: DOCKHAND_IT_UNSET_TOKEN\n",
    );
    let project = unique("unsetsecret");
    let out = dockhand(&[
        "test",
        "-f",
        &file,
        "-p",
        &project,
        "--service",
        "app",
        "--",
        "true",
    ]);
    assert_clean(&project).await;
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("environment variable DOCKHAND_IT_UNSET_TOKEN required by secret \"token\" of service app is not set"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test]
async fn blkio_limits_reach_the_engine() {
    require_fixtures().await;
    let dir = tempfile::tempdir().unwrap();
    let device = root_block_device();
    let file = write(
        dir.path(),
        &format!(
            "services:\n  worker:\n    {SLEEPER}\n    blkio_config:\n      device_read_bps:\n        - path: {device}\n          rate: 1mb\n      device_write_iops:\n        - path: {device}\n          rate: 200\n"
        ),
    );
    let (stack, project) = up(&file, "blkio").await;
    let host = inspect(stack.container_id("worker").unwrap())
        .await
        .host_config
        .unwrap();
    stack.down().await.unwrap();
    assert_clean(&project).await;

    // (No weight here: engines drop it, with a warning, when the kernel has no CFQ weights.)
    let read = &host.blkio_device_read_bps.unwrap()[0];
    assert_eq!(
        (read.path.as_deref(), read.rate),
        (Some(device.as_str()), Some(1 << 20))
    );
    let write = &host.blkio_device_write_iops.unwrap()[0];
    assert_eq!(
        (write.path.as_deref(), write.rate),
        (Some(device.as_str()), Some(200))
    );
}

#[tokio::test]
async fn post_start_hooks_run_before_dependents_start() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        &format!(
            "services:\n  dep:\n    {SLEEPER}\n    user: \"1000\"\n    volumes: [\"shared:/shared\"]\n    post_start:\n      - command: [\"sh\", \"-c\", \"echo $$(id -u) $$(pwd) $$GREETING > /shared/hook\"]\n        user: root\n        working_dir: /tmp\n        environment:\n          GREETING: hello\n  app:\n    image: dockhand-fixture/toolbox:1\n    volumes: [\"shared:/shared\"]\n    depends_on: [dep]\nvolumes:\n  shared:\n"
        ),
    );
    let run = run_test("hooks", &file, &["--no-marker"], &["cat", "/shared/hook"]).await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    // As root, in its working directory, with its variable; done before app started.
    assert!(run.stdout.contains("0 /tmp hello"), "{}", run.stdout);
}

#[tokio::test]
async fn a_failing_post_start_hook_fails_the_setup_with_its_output() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        &format!(
            "services:\n  dep:\n    {SLEEPER}\n    post_start:\n      - command: [\"sh\", \"-c\", \"echo no database here; exit 4\"]\n  app:\n    image: dockhand-fixture/toolbox:1\n    depends_on: [dep]\n"
        ),
    );
    let run = run_test("hookfail", &file, &["--no-marker"], &["true"]).await;
    assert_eq!(run.code, Some(3), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("post_start hook 1 of service dep (`sh -c echo no database here; exit 4`) exited with status 4"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("no database here"), "{}", run.stderr);
}
