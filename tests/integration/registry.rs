//! Registries: `--push` after a pass (exact tag, `--also-tag`, never on a fail, credentials from
//! the Docker config and from a credential helper), and pulls with progress and
//! `pull_policy`. Each test starts its own registry (Debian's `docker-registry`) on 127.0.0.1
//! with a free port and a temporary storage folder; the engine takes plain HTTP from
//! 127.0.0.0/8 without configuration.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;

use super::support::*;

/// A registry on 127.0.0.1, stopped and its storage removed when dropped.
struct Registry {
    child: Child,
    port: u16,
    /// `user:password` when it asks for basic auth.
    login: Option<String>,
    dir: tempfile::TempDir,
}

impl Registry {
    /// Starts one, anonymous or asking for `user` and `password` (an htpasswd file with a
    /// bcrypt entry).
    fn start(login: Option<(&str, &str)>) -> Registry {
        let dir = tempfile::tempdir().unwrap();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut config = format!(
            "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n  secret: dockhand-tests\n",
            dir.path().join("data").display()
        );
        if let Some((user, password)) = login {
            let out = Command::new("htpasswd")
                .args(["-Bbn", user, password])
                .output()
                .unwrap_or_else(|e| {
                    panic!(
                        "htpasswd is needed ({e}): apt-get install apache2-utils (scripts/setup)"
                    )
                });
            assert!(out.status.success(), "htpasswd failed: {out:?}");
            let htpasswd = dir.path().join("htpasswd");
            std::fs::write(&htpasswd, &out.stdout).unwrap();
            config.push_str(&format!(
                "auth:\n  htpasswd:\n    realm: dockhand-tests\n    path: {}\n",
                htpasswd.display()
            ));
        }
        let config_path = dir.path().join("config.yml");
        std::fs::write(&config_path, config).unwrap();
        let log = std::fs::File::create(dir.path().join("registry.log")).unwrap();
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(&config_path)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "docker-registry is needed ({e}): apt-get install docker-registry (scripts/setup)"
                )
            });
        let registry = Registry {
            child,
            port,
            login: login.map(|(u, p)| format!("{u}:{p}")),
            dir,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while registry.get("/v2/").is_none() {
            assert!(
                Instant::now() < deadline,
                "the registry did not answer on port {port}; its log:\n{}",
                registry.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        registry
    }

    /// `127.0.0.1:PORT`.
    fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
    }

    /// The status and body of `GET path`, with the registry's own login: a tiny HTTP/1.0
    /// request. `None` while nothing listens.
    fn get(&self, path: &str) -> Option<(u16, String)> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .ok()?;
        let mut request = format!("GET {path} HTTP/1.0\r\nHost: {}\r\n", self.host());
        if let Some(login) = &self.login {
            let encoded = base64::engine::general_purpose::STANDARD.encode(login);
            request.push_str(&format!("Authorization: Basic {encoded}\r\n"));
        }
        request.push_str("\r\n");
        stream.write_all(request.as_bytes()).ok()?;
        let mut response = String::new();
        stream.read_to_string(&mut response).ok()?;
        let status = response.split(' ').nth(1)?.parse().ok()?;
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())?;
        Some((status, body))
    }

    /// The tags of repository `name`, sorted; none when it does not exist.
    fn tags(&self, name: &str) -> Vec<String> {
        let (status, body) = self
            .get(&format!("/v2/{name}/tags/list"))
            .expect("the registry answers");
        eprintln!("--- GET /v2/{name}/tags/list: {status} {body}");
        if status == 404 {
            return Vec::new();
        }
        assert_eq!(status, 200, "{body}");
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        let mut tags: Vec<String> = json["tags"]
            .as_array()
            .map(|t| {
                t.iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        tags.sort();
        tags
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Images a test made, removed from the engine when dropped (pass or fail).
struct Images(Vec<String>);

impl Drop for Images {
    fn drop(&mut self) {
        if !self.0.is_empty() {
            let _ = Command::new("docker")
                .args(["rmi", "-f"])
                .args(&self.0)
                .output();
        }
    }
}

/// A Docker config folder of the test's own, holding `config` as its config.json.
fn docker_config(config: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.json"), config).unwrap();
    dir
}

/// `auths` with `user:password` for `registry`.
fn auths(registry: &str, login: &str) -> String {
    let auth = base64::engine::general_purpose::STANDARD.encode(login);
    format!(r#"{{"auths": {{"{registry}": {{"auth": "{auth}"}}}}}}"#)
}

/// What one `dockhand test` run gave.
struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    junit: String,
}

/// Runs `dockhand test -f FILE -p PROJECT --service app --junit ... ARGS` with `env` set on the
/// child alone (DOCKER_CONFIG, REGISTRY, ...), then checks that nothing of the run is left and
/// that the report validates.
async fn dockhand_test(
    project: &str,
    file: &str,
    args: &[&str],
    env: &[(&str, &str)],
    docker_config: &Path,
) -> Ran {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("junit.xml");
    let out: Output = Command::new(env!("CARGO_BIN_EXE_dockhand"))
        .args(["test", "-f", file, "-p", project, "--service", "app"])
        .arg("--junit")
        .arg(&junit)
        .arg("--artifacts")
        .arg(dir.path().join("artifacts"))
        .args(args)
        .current_dir(root())
        .env("CI", "true")
        .env_remove("DOCKHAND_TAG")
        .env("DOCKER_CONFIG", docker_config)
        .envs(env.iter().copied())
        .output()
        .expect("run dockhand");
    let ran = Ran {
        code: out.status.code(),
        stdout: stdout(&out),
        stderr: stderr(&out),
        junit: std::fs::read_to_string(&junit).unwrap_or_default(),
    };
    eprintln!(
        "--- dockhand test {file} {}\n--- exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        args.join(" "),
        ran.code,
        ran.stdout,
        ran.stderr
    );
    assert_clean(project).await;
    if !ran.junit.is_empty() {
        assert_valid_junit(&junit);
    }
    ran
}

/// Runs the docker CLI (test set-up only), failing the test when it fails.
fn docker_cli(args: &[&str], stdin: Option<&str>) -> String {
    let mut child = Command::new("docker")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the docker CLI");
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).unwrap();
    }
    drop(input);
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "docker {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The image id a reference names on the engine.
fn image_id(reference: &str) -> String {
    docker_cli(&["image", "inspect", "-f", "{{.Id}}", reference], None)
}

const APP: &str = "tests/stacks/registry/compose.yml";
const PULL: &str = "tests/stacks/registry/pull.yml";

#[tokio::test]
async fn a_pass_pushes_the_exact_tag_and_nothing_else() {
    require_fixtures().await;
    let registry = Registry::start(None);
    let project = unique("push");
    let host = registry.host();
    let image = format!("{host}/team/app");
    let _images = Images(vec![format!("{image}:abc123")]);
    let config = docker_config("{}");
    let r = dockhand_test(
        &project,
        APP,
        &["--tag", "abc123", "--push"],
        &[("REGISTRY", &host), ("NONCE", &project)],
        config.path(),
    )
    .await;
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(r.stdout.contains("app | tests ran"), "{}", r.stdout);
    assert_eq!(registry.tags("team/app"), ["abc123"]);
    // Progress as for pulls: a line per finished layer, then the end.
    assert!(
        r.stderr
            .contains(&format!("app: pushing {image}:abc123: layer pushed (")),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains(&format!("app: pushed {image}:abc123 in ")),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("dockhand: PASS"), "{}", r.stderr);
    assert!(
        r.junit.contains(&format!(
            "<testcase name=\"push {image}:abc123\" classname=\"{project}.push\""
        )),
        "{}",
        r.junit
    );
    assert!(!r.junit.contains("<failure"), "{}", r.junit);
}

#[tokio::test]
async fn also_tag_tags_the_same_image_and_pushes_it_too() {
    require_fixtures().await;
    let registry = Registry::start(None);
    let project = unique("alsotag");
    let host = registry.host();
    let image = format!("{host}/team/app");
    let _images = Images(
        ["abc123", "stable", "v1"]
            .iter()
            .map(|t| format!("{image}:{t}"))
            .collect(),
    );
    let config = docker_config("{}");
    let r = dockhand_test(
        &project,
        APP,
        &[
            "--tag",
            "abc123",
            "--push",
            "--also-tag",
            "stable",
            "--also-tag",
            "v1",
        ],
        &[("REGISTRY", &host), ("NONCE", &project)],
        config.path(),
    )
    .await;
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(registry.tags("team/app"), ["abc123", "stable", "v1"]);
    let id = image_id(&format!("{image}:abc123"));
    assert_eq!(image_id(&format!("{image}:stable")), id);
    assert_eq!(image_id(&format!("{image}:v1")), id);
    for tag in ["abc123", "stable", "v1"] {
        assert!(
            r.junit.contains(&format!("name=\"push {image}:{tag}\"")),
            "{}",
            r.junit
        );
    }
}

#[tokio::test]
async fn a_failed_test_pushes_nothing() {
    require_fixtures().await;
    let registry = Registry::start(None);
    let project = unique("pushfail");
    let host = registry.host();
    let _images = Images(vec![format!("{host}/team/app:abc123")]);
    let config = docker_config("{}");
    let r = dockhand_test(
        &project,
        APP,
        &[
            "--tag",
            "abc123",
            "--push",
            "--also-tag",
            "stable",
            "--",
            "sh",
            "-c",
            "echo 'Result: FAILURE!'; exit 1",
        ],
        &[("REGISTRY", &host), ("NONCE", &project)],
        config.path(),
    )
    .await;
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert_eq!(registry.tags("team/app"), Vec::<String>::new());
    assert!(!r.stderr.contains("pushing"), "{}", r.stderr);
    assert!(!r.junit.contains(".push\""), "{}", r.junit);
}

#[tokio::test]
async fn wrong_credentials_fail_the_push_and_a_credential_helper_gives_the_right_ones() {
    require_fixtures().await;
    let registry = Registry::start(Some(("alice", "s3cret")));
    let project = unique("pushauth");
    let host = registry.host();
    let image = format!("{host}/team/app:abc123");
    let _images = Images(vec![image.clone()]);
    let env = [("REGISTRY", host.as_str()), ("NONCE", project.as_str())];

    let wrong = docker_config(&auths(&host, "alice:wrong"));
    let r = dockhand_test(
        &project,
        APP,
        &["--tag", "abc123", "--push"],
        &env,
        wrong.path(),
    )
    .await;
    assert_eq!(r.code, Some(3), "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!(
            "error: the test passed, but {image} was not pushed"
        )),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains(&format!("caused by: could not push {image} to {host}: ")),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("unauthorized"), "{}", r.stderr);
    assert!(!r.stderr.contains("s3cret"), "{}", r.stderr);
    // The report: the test passed, the push failed, with the registry's word for it.
    let push_case = r
        .junit
        .split("<testcase ")
        .find(|c| c.starts_with(&format!("name=\"push {image}\"")))
        .unwrap_or_else(|| panic!("no push case:\n{}", r.junit));
    assert!(push_case.contains("<failure"), "{}", r.junit);
    assert!(push_case.contains("unauthorized"), "{}", r.junit);
    assert_eq!(
        r.junit.matches("<failure").count(),
        1,
        "only the push failed:\n{}",
        r.junit
    );
    assert_eq!(registry.tags("team/app"), Vec::<String>::new());

    // A credential helper on PATH, named for this registry, answers with the right ones.
    let bin = tempfile::tempdir().unwrap();
    let helper = bin.path().join("docker-credential-dhtest");
    std::fs::write(
        &helper,
        format!(
            "#!/bin/sh\nread server\n[ \"$1\" = get ] && [ \"$server\" = {host} ] || exit 1\necho '{{\"ServerURL\":\"{host}\",\"Username\":\"alice\",\"Secret\":\"s3cret\"}}'\n"
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}",
        bin.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let helped = docker_config(&format!(
        r#"{{"auths": {{"{host}": {{}}}}, "credHelpers": {{"{host}": "dhtest"}}}}"#
    ));
    let mut env = env.to_vec();
    env.push(("PATH", &path));
    // The same project, so the build gives the same image (its labels name the project).
    let r = dockhand_test(
        &project,
        APP,
        &["--tag", "abc123", "--push"],
        &env,
        helped.path(),
    )
    .await;
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(registry.tags("team/app"), ["abc123"]);
}

#[tokio::test]
async fn push_refuses_a_tag_nobody_asked_for() {
    let project = unique("pushlatest");
    let config = docker_config("{}");
    let r = dockhand_test(
        &project,
        APP,
        &["--push"],
        &[("REGISTRY", "127.0.0.1:1"), ("NONCE", &project)],
        config.path(),
    )
    .await;
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(
        r.stderr.contains(
            "--push: service app builds 127.0.0.1:1/team/app:latest, a tag that was not asked for; set --tag"
        ),
        "{}",
        r.stderr
    );
}

/// Builds a small image of its own (a layer no other image has) as `reference`.
fn build_unique(reference: &str, nonce: &str) {
    docker_cli(
        &[
            "build",
            "-q",
            "-t",
            reference,
            "--build-arg",
            &format!("NONCE={nonce}"),
            "-",
        ],
        Some("FROM dockhand-fixture/toolbox:1\nARG NONCE\nRUN echo \"$NONCE\" > /nonce\n"),
    );
}

#[tokio::test]
async fn a_missing_image_is_pulled_with_progress_and_always_refreshes() {
    require_fixtures().await;
    let registry = Registry::start(None);
    let host = registry.host();
    let name = format!("team/pulled:{}", unique("t"));
    let reference = format!("{host}/{name}");
    let config = docker_config("{}");
    let first = unique("first");
    let second = unique("second");
    let mut images = Images(vec![reference.clone()]);

    // In the registry, not on the engine.
    build_unique(&reference, &first);
    images.0.push(image_id(&reference));
    docker_cli(&["push", &reference], None);
    docker_cli(&["rmi", &reference], None);

    let env = |policy: &'static str| {
        vec![
            ("REGISTRY", host.clone()),
            ("IMAGE", name.clone()),
            ("PULL_POLICY", policy.to_string()),
        ]
    };
    let run = |policy: &'static str| {
        let env = env(policy);
        let project = unique("pull");
        let config = config.path().to_path_buf();
        async move {
            let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
            dockhand_test(&project, PULL, &[], &env, &config).await
        }
    };
    let r = run("missing").await;
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stdout.contains(&format!("app | nonce {first}")),
        "{}",
        r.stdout
    );
    // One line per finished layer (CI=true: no live line), the new one downloaded, the
    // fixture's found already there.
    let layer_lines: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.starts_with(&format!("dockhand: app: pulling {reference}: layer ")))
        .collect();
    assert!(
        layer_lines.iter().any(|l| l.contains(" pull complete (")),
        "{}",
        r.stderr
    );
    assert!(
        layer_lines.iter().any(|l| l.contains(" already exists (")),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains(&format!("app: pulled {reference} in ")),
        "{}",
        r.stderr
    );
    let pulled = image_id(&reference);

    // A newer image under the same name in the registry; the engine keeps the first.
    build_unique(&reference, &second);
    images.0.push(image_id(&reference));
    docker_cli(&["push", &reference], None);
    docker_cli(&["tag", &pulled, &reference], None);

    // `missing` uses what is there; `always` fetches the registry's.
    let r = run("missing").await;
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stdout.contains(&format!("app | nonce {first}")),
        "{}",
        r.stdout
    );
    assert!(!r.stderr.contains("pulling"), "{}", r.stderr);
    let r = run("always").await;
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stdout.contains(&format!("app | nonce {second}")),
        "{}",
        r.stdout
    );
    assert!(
        r.stderr.contains(&format!("app: pulled {reference} in ")),
        "{}",
        r.stderr
    );
}
