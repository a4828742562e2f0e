//! What the tests share: the engine check, running the binary, and the leak check.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use dockhand::engine::Engine;
use dockhand::labels;

/// The repository root (tests run the binary from there, like a user would).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A project name unique to this test and this run, so parallel tests never see each other.
pub fn unique(name: &str) -> String {
    format!(
        "t-{name}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..6]
    )
}

/// Connects to the engine, or fails the test saying how to get one.
pub async fn engine() -> Engine {
    match Engine::connect().await {
        Ok(e) => e,
        Err(e) => panic!(
            "these tests need a running Docker daemon: {e}\n\
             start one with `sudo systemctl start docker` (or `dockerd &` as root), \
             then build the fixture images with `fixtures/images/build.sh`"
        ),
    }
}

/// The engine through bollard itself, for what a test sets up outside dockhand (an external
/// network made by someone else, a run faked by its labels).
pub fn docker() -> bollard::Docker {
    bollard::Docker::connect_with_defaults().expect("a Docker client")
}

/// The whole disk holding the root file system (or Docker's data root), as `/dev/NAME`: a
/// device `blkio_config` limits can name. The engine checks that the device exists on its
/// host, and these tests run the engine on this machine.
pub fn root_block_device() -> String {
    use std::os::unix::fs::MetadataExt;
    for dir in ["/", "/var/lib/docker"] {
        let Ok(meta) = std::fs::metadata(dir) else {
            continue;
        };
        let dev = meta.dev();
        let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff);
        let minor = (dev & 0xff) | ((dev >> 12) & !0xff);
        let Ok(mut sys) = std::fs::canonicalize(format!("/sys/dev/block/{major}:{minor}")) else {
            continue;
        };
        // A partition's throttles are refused: limit its disk.
        if sys.join("partition").exists() {
            sys.pop();
        }
        let name = sys.file_name().unwrap().to_string_lossy().into_owned();
        let device = format!("/dev/{name}");
        if Path::new(&device).exists() {
            return device;
        }
    }
    panic!("no block device found under / or /var/lib/docker for the blkio_config tests")
}

/// Fails the test unless the fixture images exist, saying how to build them.
pub async fn require_fixtures() {
    let engine = engine().await;
    for image in [
        "dockhand-fixture/toolbox:1",
        "dockhand-fixture/redis:1",
        "dockhand-fixture/postgres:1",
        "dockhand-fixture/memcached:1",
    ] {
        assert!(
            engine.image_exists(image).await.unwrap(),
            "fixture image {image} is missing: run fixtures/images/build.sh"
        );
    }
}

/// Runs `dockhand ARGS` from the repository root and waits for it.
pub fn dockhand(args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_dockhand"))
        .args(args)
        .current_dir(root())
        .env("CI", "true")
        .env_remove("DOCKHAND_TAG")
        .output()
        .expect("run dockhand");
    eprintln!(
        "--- dockhand {}\n--- exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        args.join(" "),
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Names of every container, network and volume whose compose project label starts with
/// `prefix` (a test's project name, to which each run adds its suffix).
pub async fn leftovers(prefix: &str) -> Vec<String> {
    let engine = engine().await;
    let managed = BTreeMap::from([(labels::MANAGED.to_string(), "true".to_string())]);
    let matches = |l: &BTreeMap<String, String>| {
        l.get(labels::PROJECT)
            .is_some_and(|p| p.starts_with(prefix))
    };
    let mut left = Vec::new();
    for c in engine.containers_with(&managed).await.unwrap() {
        if matches(&c.labels) {
            left.push(format!("container {:?}", c.name));
        }
    }
    for n in engine.networks_with(&managed).await.unwrap() {
        if matches(&n.labels) {
            left.push(format!("network {:?}", n.name));
        }
    }
    for v in engine.volumes_with(&managed).await.unwrap() {
        if matches(&v.labels) {
            left.push(format!("volume {}", v.name));
        }
    }
    left
}

/// Asserts nothing of project `prefix` is left on the engine.
pub async fn assert_clean(prefix: &str) {
    let left = leftovers(prefix).await;
    assert!(
        left.is_empty(),
        "left on the engine after the run: {left:?}"
    );
}

/// Validates a JUnit file against the Jenkins schema with xmllint.
pub fn assert_valid_junit(path: &Path) {
    let xsd = root().join("fixtures/schemas/jenkins-junit.xsd");
    let out = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&xsd)
        .arg(path)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "xmllint is needed to validate JUnit reports ({e}): apt-get install libxml2-utils"
            )
        });
    assert!(
        out.status.success(),
        "{} does not validate against {}:\n{}",
        path.display(),
        xsd.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A running `dockhand test` whose stdout and stderr lines arrive on one channel, for tests
/// that act on what it prints.
pub struct Running {
    child: Child,
    lines: Receiver<String>,
    seen: String,
}

impl Running {
    pub fn spawn(args: &[String]) -> Running {
        let mut child = Command::new(env!("CARGO_BIN_EXE_dockhand"))
            .args(args)
            .current_dir(root())
            .env("CI", "true")
            .env_remove("DOCKHAND_TAG")
            .env_remove("DOCKHAND_FAULT")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run dockhand");
        let (tx, lines) = channel::<String>();
        let out = child.stdout.take().unwrap();
        let err = child.stderr.take().unwrap();
        let tx2 = tx.clone();
        std::thread::spawn(move || {
            BufReader::new(out)
                .lines()
                .map_while(Result::ok)
                .for_each(|l| drop(tx.send(l)))
        });
        std::thread::spawn(move || {
            BufReader::new(err)
                .lines()
                .map_while(Result::ok)
                .for_each(|l| drop(tx2.send(l)))
        });
        Running {
            child,
            lines,
            seen: String::new(),
        }
    }

    /// Waits (up to two minutes) until a line containing `text` is printed.
    pub fn wait_for(&mut self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let line = self
                .lines
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .unwrap_or_else(|_| panic!("{text:?} never printed; printed:\n{}", self.seen));
            self.seen.push_str(&line);
            self.seen.push('\n');
            if line.contains(text) {
                return;
            }
        }
    }

    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        assert!(status.success(), "kill -{signal} failed");
    }

    /// Waits for the process to exit; its exit code and everything it printed.
    pub fn finish(mut self) -> (Option<i32>, String) {
        let code = self.child.wait().unwrap().code();
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(2)) {
            self.seen.push_str(&line);
            self.seen.push('\n');
        }
        eprintln!("--- exit {code:?}\n{}", self.seen);
        (code, self.seen)
    }
}

/// What a `dockhand test` run gave.
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub junit: String,
    pub project: String,
}

/// Runs `dockhand test` on `file` with `extra` arguments and `command` after `--`, writing
/// JUnit to a temp file, then checks nothing of the run is left.
pub async fn run_test(name: &str, file: &str, extra: &[&str], command: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    run_test_in(dir.path(), name, file, extra, command).await
}

/// [`run_test`] with the report and the artifacts kept in `dir`, for a test that reads them.
pub async fn run_test_in(
    dir: &Path,
    name: &str,
    file: &str,
    extra: &[&str],
    command: &[&str],
) -> Run {
    require_fixtures().await;
    let project = unique(name);
    let junit = dir.join("junit.xml");
    let junit_arg = junit.to_string_lossy().into_owned();
    let artifacts = dir.join("artifacts");
    let artifacts_arg = artifacts.to_string_lossy().into_owned();
    let mut args = vec![
        "test",
        "-f",
        file,
        "-p",
        &project,
        "--service",
        "app",
        "--junit",
        &junit_arg,
        "--artifacts",
        &artifacts_arg,
    ];
    args.extend_from_slice(extra);
    if !command.is_empty() {
        args.push("--");
        args.extend_from_slice(command);
    }
    let out = dockhand(&args);
    assert_clean(&project).await;
    let junit_text = std::fs::read_to_string(&junit).unwrap_or_default();
    if !junit_text.is_empty() {
        assert_valid_junit(&junit);
    }
    Run {
        code: out.status.code(),
        stdout: stdout(&out),
        stderr: stderr(&out),
        junit: junit_text,
        project,
    }
}

pub fn sh(script: &str) -> Vec<&str> {
    vec!["sh", "-c", script]
}
