//! Remote engines, made on this machine: this engine behind a TLS endpoint (certificates made
//! here with openssl, socat terminating TLS on 127.0.0.1) and behind an sshd started here, and
//! Docker contexts pointing at the TLS endpoint. The runs are told the engine is remote, so
//! they take the remote path: secrets copied in, ports published and probed on the engine's
//! host. The engine's environment is set on the dockhand process only.
//!
//! Needs root (sshd), socat, openssl, openssh-server and the docker CLI (`scripts/setup`).

mod endpoints;

use std::collections::BTreeMap;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use dockhand::labels;

use super::support::*;
use endpoints::{ALIAS, Sshd, TlsEndpoint, dockhand_with, free_port, make_ca};

/// A compose file with a file-backed secret and config, a service that stays up to be looked
/// at, and a Redis whose published port the test talks to.
fn secrets_stack(dir: &Path) -> PathBuf {
    std::fs::write(dir.join("token.txt"), "s3cret-token\n").unwrap();
    std::fs::write(dir.join("settings.conf"), "mode=remote\n").unwrap();
    let file = dir.join("compose.yml");
    std::fs::write(
        &file,
        "services:\n  app:\n    image: dockhand-fixture/toolbox:1\n    command: [\"sleep\", \"infinity\"]\n    secrets:\n      - token\n      - source: token\n        target: /etc/app/token\n    configs: [settings]\n    depends_on:\n      cache: {condition: service_healthy}\n  cache:\n    image: dockhand-fixture/redis:1\nsecrets:\n  token:\n    file: ./token.txt\nconfigs:\n  settings:\n    file: ./settings.conf\n",
    )
    .unwrap();
    file
}

fn seed_args(project: &str) -> Vec<String> {
    [
        "test",
        "-f",
        "compose/seed/compose.yml",
        "-p",
        project,
        "--service",
        "app",
        "-e",
        "ENVIRONMENT=testing",
        "-e",
        "API_KEY=12345",
        "--tag",
        "it",
        "--",
        "/opt/awesome_app/test.sh",
    ]
    .map(String::from)
    .to_vec()
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn assert_seed_passed(out: &Output) {
    let (o, e) = (stdout(out), stderr(out));
    assert_eq!(out.status.code(), Some(0), "{e}\n{o}");
    for line in [
        "app | ok: SQL round trip",
        "app | ok: INCR",
        "app | ok: set then get",
        "app | Result: SUCCESS!",
    ] {
        assert!(o.contains(line), "{line:?} missing:\n{o}");
    }
}

#[tokio::test]
async fn the_seed_stack_passes_through_a_tls_endpoint() {
    require_fixtures().await;
    let tls = TlsEndpoint::start();
    let project = unique("tls-seed");
    let mut args = vec!["--engine-is-remote".to_string()];
    args.extend(seed_args(&project));
    let out = dockhand_with(&strs(&args), &tls.env(), &["DOCKER_CONTEXT"]);
    assert_seed_passed(&out);
    assert_clean(&project).await;
}

/// Asks the Redis at `addr` for a PONG.
fn assert_pong(addr: &str) {
    let mut conn = TcpStream::connect(addr).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    std::io::Write::write_all(&mut conn, b"PING\r\n").unwrap();
    let mut answer = [0u8; 7];
    std::io::Read::read_exact(&mut conn, &mut answer).unwrap();
    assert_eq!(&answer, b"+PONG\r\n", "from {addr}");
}

/// Runs `dockhand down -p PROJECT` on drop, so a failed assertion leaves nothing up.
struct DownOnDrop<'a> {
    project: &'a str,
    env: &'a [(String, String)],
}

impl Drop for DownOnDrop<'_> {
    fn drop(&mut self) {
        let out = dockhand_with(
            &["down", "--engine-is-remote", "-p", self.project],
            self.env,
            &[],
        );
        if !std::thread::panicking() {
            assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        }
    }
}

#[tokio::test]
async fn on_a_remote_engine_secrets_are_copied_in_and_endpoints_are_on_the_engines_host() {
    require_fixtures().await;
    let tls = TlsEndpoint::start();
    let dir = tempfile::tempdir().unwrap();
    let file = secrets_stack(dir.path());
    let file = file.to_str().unwrap();
    let project = unique("tls-secrets");
    let env = tls.env();
    let up = dockhand_with(
        &["up", "--engine-is-remote", "-f", file, "-p", &project],
        &env,
        &[],
    );
    let stack = DownOnDrop {
        project: &project,
        env: &env,
    };
    let text = stdout(&up);
    assert_eq!(up.status.code(), Some(0), "{}", stderr(&up));
    let run_project = text
        .lines()
        .find_map(|l| l.strip_prefix("project ")?.strip_suffix(" is up"))
        .unwrap_or_else(|| panic!("no project line:\n{text}"))
        .to_string();

    // The endpoint is on the engine's host, and answers.
    let cache = text
        .lines()
        .find_map(|l| l.strip_prefix("cache\t6379/tcp\t"))
        .unwrap_or_else(|| panic!("no endpoint for cache:\n{text}"));
    assert!(cache.starts_with("127.0.0.1:"), "{cache}");
    assert_pong(cache);

    // The secrets and the config are in the container, and none is a bind mount.
    let engine = engine().await;
    let selector = BTreeMap::from([
        (labels::PROJECT.to_string(), run_project),
        (labels::SERVICE.to_string(), "app".to_string()),
    ]);
    let app = engine.containers_with(&selector).await.unwrap();
    let app = &app.first().expect("the app container").id;
    let inspect = docker()
        .inspect_container(
            app,
            None::<bollard::query_parameters::InspectContainerOptions>,
        )
        .await
        .unwrap();
    let binds: Vec<String> = inspect
        .mounts
        .unwrap_or_default()
        .iter()
        .filter(|m| m.typ.as_deref() == Some("bind"))
        .map(|m| format!("{:?} -> {:?}", m.source, m.destination))
        .collect();
    assert!(
        binds.is_empty(),
        "bind mounts on a remote engine: {binds:?}"
    );
    let script = "cat /run/secrets/token /etc/app/token /settings; stat -c %a /run/secrets/token";
    let read = engine
        .exec(
            app,
            &["sh".into(), "-c".into(), script.into()],
            Duration::from_secs(10),
        )
        .await
        .unwrap();
    assert_eq!(read.exit_code, Some(0), "{}", read.output);
    assert_eq!(
        read.output,
        "s3cret-token\ns3cret-token\nmode=remote\n444\n"
    );

    drop(stack);
    assert_clean(&project).await;
}

#[tokio::test]
async fn remote_containers_are_probed_through_their_published_ports() {
    require_fixtures().await;
    let tls = TlsEndpoint::start();
    let project = unique("tls-probes");
    let out = dockhand_with(
        &[
            "--engine-is-remote",
            "test",
            "-f",
            "tests/stacks/ready/probes.yml",
            "-p",
            &project,
            "--service",
            "app",
            "--",
            "sh",
            "-c",
            "psql -h db -U postgres -tAc 'select 40 + 2' && redis-cli -h cache ping && echo 'Result: SUCCESS!'",
        ],
        &tls.env(),
        &[],
    );
    let (o, e) = (stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(0), "{e}\n{o}");
    assert!(o.contains("app | 42"), "{o}");
    for (service, check) in [
        ("db", "postgres protocol"),
        ("cache", "redis protocol"),
        ("memcache", "memcached protocol"),
        ("plain", "tcp 7000"),
    ] {
        assert!(
            e.contains(&format!("{service}: ready ({check}) in")),
            "{service} not probed by {check}:\n{e}"
        );
    }
    assert_clean(&project).await;
}

#[tokio::test]
async fn a_bind_mount_of_this_machine_is_refused_on_a_remote_engine_unless_allowed() {
    require_fixtures().await;
    let tls = TlsEndpoint::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("data")).unwrap();
    std::fs::write(dir.path().join("data/hello.txt"), "from this machine\n").unwrap();
    let file = dir.path().join("compose.yml");
    std::fs::write(
        &file,
        "services:\n  app:\n    image: dockhand-fixture/toolbox:1\n    volumes: ['./data:/data:ro']\n",
    )
    .unwrap();
    let file = file.to_str().unwrap();
    let project = unique("tls-binds");
    let test = |extra: &[&str]| {
        let mut args = vec!["--engine-is-remote"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&[
            "test",
            "-f",
            file,
            "-p",
            &project,
            "--service",
            "app",
            "--",
            "sh",
            "-c",
            "cat /data/hello.txt && echo 'Result: SUCCESS!'",
        ]);
        dockhand_with(&args, &tls.env(), &[])
    };
    let refused = test(&[]);
    let e = stderr(&refused);
    assert_eq!(refused.status.code(), Some(2), "{e}");
    assert!(e.contains("service app:"), "{e}");
    assert!(
        e.contains(&format!("{}/data at /data", dir.path().display())),
        "{e}"
    );
    assert!(e.contains("--allow-remote-binds"), "{e}");
    // Here the engine's host is this machine, so the path does exist there.
    let allowed = test(&["--allow-remote-binds"]);
    assert_eq!(allowed.status.code(), Some(0), "{}", stderr(&allowed));
    assert!(stdout(&allowed).contains("app | from this machine"));
    assert_clean(&project).await;
}

#[tokio::test]
async fn wrong_tls_files_and_an_unreachable_host_fail_with_exit_3_naming_what_to_fix() {
    let tls = TlsEndpoint::start();
    let d = tls.dir.path();
    // A CA that did not sign the engine's certificate, beside the right client files.
    let wrong_ca = d.join("wrong-ca");
    std::fs::create_dir(&wrong_ca).unwrap();
    make_ca(&wrong_ca, "another CA");
    for f in ["cert.pem", "key.pem"] {
        std::fs::copy(tls.client_dir().join(f), wrong_ca.join(f)).unwrap();
    }
    let out = dockhand_with(&["ps"], &tls.env_with(&wrong_ca), &[]);
    let e = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{e}");
    assert!(
        e.contains(&format!(
            "presented a certificate that the CA in {} did not sign",
            wrong_ca.join("ca.pem").display()
        )),
        "{e}"
    );

    // No client certificate.
    let no_cert = d.join("no-cert");
    std::fs::create_dir(&no_cert).unwrap();
    for f in ["ca.pem", "key.pem"] {
        std::fs::copy(tls.client_dir().join(f), no_cert.join(f)).unwrap();
    }
    let out = dockhand_with(&["ps"], &tls.env_with(&no_cert), &[]);
    let e = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{e}");
    assert!(
        e.contains(&format!(
            "the client certificate {} is missing",
            no_cert.join("cert.pem").display()
        )),
        "{e}"
    );

    // A client certificate the engine's CA did not sign.
    let stranger = d.join("stranger");
    std::fs::create_dir(&stranger).unwrap();
    make_ca(&stranger, "self-signed client");
    std::fs::rename(stranger.join("ca.pem"), stranger.join("cert.pem")).unwrap();
    std::fs::rename(stranger.join("ca.key"), stranger.join("key.pem")).unwrap();
    std::fs::copy(tls.client_dir().join("ca.pem"), stranger.join("ca.pem")).unwrap();
    // The engine's alert can reach the connection pool as a bare "connection closed": the
    // refusal must be named every time, so it is asked several times.
    for _ in 0..8 {
        let out = dockhand_with(&["ps"], &tls.env_with(&stranger), &[]);
        let e = stderr(&out);
        assert_eq!(out.status.code(), Some(3), "{e}");
        assert!(
            e.contains(&format!(
                "refused the client certificate {}",
                stranger.join("cert.pem").display()
            )),
            "{e}"
        );
    }

    // Nothing listens there.
    let closed = format!("tcp://127.0.0.1:{}", free_port());
    let out = dockhand_with(
        &["-H", &closed, "ps"],
        &[],
        &["DOCKER_TLS_VERIFY", "DOCKER_CONTEXT"],
    );
    let e = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{e}");
    assert!(
        e.contains(&format!(
            "no Docker engine answers at {closed} (from --host)"
        )),
        "{e}"
    );
}

#[tokio::test]
async fn the_seed_stack_passes_over_ssh() {
    require_fixtures().await;
    let sshd = Sshd::start();
    let project = unique("ssh-seed");
    // ssh counts as remote without being told.
    let out = dockhand_with(
        &strs(&seed_args(&project)),
        &sshd.env("ssh_config"),
        &["DOCKER_TLS_VERIFY", "DOCKER_CONTEXT"],
    );
    assert_seed_passed(&out);
    assert_clean(&project).await;
}

#[tokio::test]
async fn an_ssh_alias_is_followed_to_the_host_the_ports_are_published_on() {
    require_fixtures().await;
    let sshd = Sshd::start();
    let project = unique("ssh-alias");
    let env = sshd.env_at(&format!("ssh://{ALIAS}"), "ssh_config");
    let up = dockhand_with(
        &["up", "-f", "compose/redis.yml", "-p", &project],
        &env,
        &["DOCKER_TLS_VERIFY", "DOCKER_CONTEXT"],
    );
    let stack = DownOnDrop {
        project: &project,
        env: &env,
    };
    assert_eq!(up.status.code(), Some(0), "{}", stderr(&up));
    let text = stdout(&up);
    // Not engine-box, which only the ssh config knows: the host it stands for.
    let cache = text
        .lines()
        .find_map(|l| l.strip_prefix("cache\t6379/tcp\t"))
        .unwrap_or_else(|| panic!("no endpoint for cache:\n{text}"));
    assert!(cache.starts_with("127.0.0.1:"), "{cache}");
    assert_pong(cache);
    drop(stack);
    assert_clean(&project).await;
}

#[tokio::test]
async fn a_key_ssh_cannot_log_in_with_fails_with_exit_3_saying_so() {
    let sshd = Sshd::start();
    let out = dockhand_with(
        &["ps"],
        &sshd.env("stranger_config"),
        &["DOCKER_TLS_VERIFY", "DOCKER_CONTEXT"],
    );
    let e = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{e}");
    assert!(
        e.contains(&format!("ssh could not log in to {}", sshd.address())),
        "{e}"
    );
    assert!(e.contains("Permission denied (publickey)"), "{e}");
    assert!(e.contains("authorized_keys"), "{e}");
}

/// A short run: the app alone, which says it passed.
fn solo_args(project: &str) -> Vec<String> {
    [
        "test",
        "-f",
        "tests/stacks/solo.yml",
        "-p",
        project,
        "--service",
        "app",
        "--",
        "echo",
        "Result: SUCCESS!",
    ]
    .map(String::from)
    .to_vec()
}

/// `docker context create NAME` in the Docker config folder `config`, pointing at `tls` with
/// the TLS files of `certs`.
fn create_context(config: &Path, name: &str, tls: &TlsEndpoint, certs: &Path) {
    let docker = format!(
        "host={},ca={},cert={},key={}",
        tls.address(),
        certs.join("ca.pem").display(),
        certs.join("cert.pem").display(),
        certs.join("key.pem").display()
    );
    let out = Command::new("docker")
        .args(["context", "create", name, "--docker", &docker])
        .env("DOCKER_CONFIG", config)
        .env_remove("DOCKER_HOST")
        .output()
        .expect("the docker CLI is needed to create contexts: run scripts/setup");
    assert!(
        out.status.success(),
        "docker context create: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn docker_contexts_choose_the_engine_by_option_and_as_the_current_one() {
    require_fixtures().await;
    let tls = TlsEndpoint::start();
    let config = tempfile::tempdir().unwrap();
    let wrong_ca = tls.dir.path().join("ctx-wrong-ca");
    std::fs::create_dir(&wrong_ca).unwrap();
    make_ca(&wrong_ca, "another CA");
    for f in ["cert.pem", "key.pem"] {
        std::fs::copy(tls.client_dir().join(f), wrong_ca.join(f)).unwrap();
    }
    create_context(config.path(), "through-tls", &tls, &tls.client_dir());
    create_context(config.path(), "wrong-ca", &tls, &wrong_ca);
    let env = vec![(
        "DOCKER_CONFIG".to_string(),
        config.path().display().to_string(),
    )];
    let unset = [
        "DOCKER_HOST",
        "DOCKER_TLS_VERIFY",
        "DOCKER_CERT_PATH",
        "DOCKER_CONTEXT",
    ];

    // The context's own TLS files are used: its wrong CA is refused, naming its copy.
    let out = dockhand_with(&["--context", "wrong-ca", "ps"], &env, &unset);
    let e = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{e}");
    assert!(e.contains("did not sign"), "{e}");
    assert!(
        e.contains(&dockhand::engine::context_id("wrong-ca")),
        "not the context's own CA file: {e}"
    );

    // A run through the context named by --context.
    let project = unique("ctx-option");
    let mut args = vec![
        "--context".to_string(),
        "through-tls".to_string(),
        "--engine-is-remote".to_string(),
    ];
    args.extend(solo_args(&project));
    let out = dockhand_with(&strs(&args), &env, &unset);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_clean(&project).await;

    // The current context of the config, set by `docker context use`.
    let used = Command::new("docker")
        .args(["context", "use", "wrong-ca"])
        .env("DOCKER_CONFIG", config.path())
        .env_remove("DOCKER_HOST")
        .output()
        .unwrap();
    assert!(
        used.status.success(),
        "{}",
        String::from_utf8_lossy(&used.stderr)
    );
    let out = dockhand_with(&["ps"], &env, &unset);
    let e = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{e}");
    assert!(e.contains("did not sign"), "{e}");
    let used = Command::new("docker")
        .args(["context", "use", "through-tls"])
        .env("DOCKER_CONFIG", config.path())
        .env_remove("DOCKER_HOST")
        .output()
        .unwrap();
    assert!(
        used.status.success(),
        "{}",
        String::from_utf8_lossy(&used.stderr)
    );
    let project = unique("ctx-current");
    let mut args = vec!["--engine-is-remote".to_string()];
    args.extend(solo_args(&project));
    let out = dockhand_with(&strs(&args), &env, &unset);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_clean(&project).await;
    // DOCKER_HOST outranks the current context, as with the docker CLI.
    let mut with_host = env.clone();
    with_host.push((
        "DOCKER_HOST".into(),
        format!("tcp://127.0.0.1:{}", free_port()),
    ));
    let out = dockhand_with(
        &["ps"],
        &with_host,
        &["DOCKER_TLS_VERIFY", "DOCKER_CONTEXT"],
    );
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("(from DOCKER_HOST)"),
        "{}",
        stderr(&out)
    );
}
