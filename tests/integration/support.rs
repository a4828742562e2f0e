//! What the tests share: the engine check, running the binary, and the leak check.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use dockhand::engine::{Engine, labels};

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
    let matches = |labels: Option<&std::collections::HashMap<String, String>>| {
        labels
            .and_then(|l| l.get(labels::PROJECT))
            .is_some_and(|p| p.starts_with(prefix))
    };
    let mut left = Vec::new();
    for c in engine.containers_with(&managed).await.unwrap() {
        if matches(c.labels.as_ref()) {
            left.push(format!("container {:?}", c.names));
        }
    }
    for n in engine.networks_with(&managed).await.unwrap() {
        if matches(n.labels.as_ref()) {
            left.push(format!("network {:?}", n.name));
        }
    }
    for v in engine.volumes_with(&managed).await.unwrap() {
        if matches(Some(&v.labels)) {
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
