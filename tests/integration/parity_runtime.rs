//! The runtime parity suite: each stack under `tests/parity/runtime/<case>/` runs under
//! `docker compose run --rm` and under `dockhand test`, a probe prints what the test container
//! observes, and the two outputs must match once the differences that must exist (ids,
//! engine-assigned addresses, project names) are normalised. See the README beside the suite.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use regex::Regex;
use tokio::sync::Semaphore;

use super::support::*;

/// Cases run at once (each brings up a small stack twice, one tool after the other).
const PARALLEL: usize = 4;

struct Case {
    name: String,
    dir: PathBuf,
    /// The probe's arguments: the sections to print.
    args: Vec<String>,
    /// Variables set for both tools (`vars`, one `KEY=VALUE` a line).
    vars: Vec<(String, String)>,
}

fn suite_dir() -> PathBuf {
    root().join("tests/parity/runtime")
}

fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(suite_dir())
        .unwrap()
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    let readme = std::fs::read_to_string(suite_dir().join("README.md")).unwrap();
    let excluded_section = readme.split("## Excluded cases").nth(1).unwrap_or("");
    for dir in dirs {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        // A case kept out of the comparison must say why in the README, under its name.
        if dir.join("excluded").exists() {
            assert!(
                excluded_section.contains(&format!("`{name}`")),
                "case {name} is excluded but the README gives no reason under \"Excluded cases\""
            );
            continue;
        }
        let probe = std::fs::read_to_string(dir.join("probe"))
            .unwrap_or_else(|_| panic!("case {name} has no probe file"));
        let mut vars: Vec<(String, String)> = std::fs::read_to_string(dir.join("vars"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        // blkio_config needs a block device of this host; which one differs between hosts.
        vars.push(("BLOCK_DEVICE".into(), super::support::root_block_device()));
        out.push(Case {
            name,
            args: probe.split_whitespace().map(String::from).collect(),
            vars,
            dir,
        });
    }
    out
}

fn short_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..6].to_string()
}

fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).into_owned()
}

/// `docker compose run --rm app <probe>`, then `down -v`; the probe's output.
fn run_compose(case: &Case, project: &str) -> Result<String, String> {
    let file = case.dir.join("compose.yml");
    let compose = |args: &[&str]| {
        let mut cmd = Command::new("docker");
        cmd.arg("compose")
            .args(["-p", project, "-f"])
            .arg(&file)
            .args(args)
            .current_dir(&case.dir)
            .env_remove("COMPOSE_PROJECT_NAME");
        for (k, v) in &case.vars {
            cmd.env(k, v);
        }
        cmd.output().expect("run docker compose")
    };
    let mut args = vec!["run", "--rm", "-T", "app", "sh", "/probe.sh"];
    args.extend(case.args.iter().map(String::as_str));
    let out = compose(&args);
    let down = compose(&["down", "-v", "--remove-orphans"]);
    if !down.status.success() {
        return Err(format!(
            "docker compose down failed:\n{}",
            text(&down.stderr)
        ));
    }
    if !out.status.success() {
        return Err(format!(
            "docker compose run exited {:?}:\n{}{}",
            out.status.code(),
            text(&out.stdout),
            text(&out.stderr)
        ));
    }
    Ok(text(&out.stdout))
}

/// What compose left of `project`: containers, networks, volumes by its label.
fn compose_leftovers(project: &str) -> Vec<String> {
    let filter = format!("label=com.docker.compose.project={project}");
    let mut left = Vec::new();
    for what in [
        &["ps", "-aq"][..],
        &["network", "ls", "-q"][..],
        &["volume", "ls", "-q"][..],
    ] {
        let out = Command::new("docker")
            .args(what)
            .args(["--filter", &filter])
            .output()
            .expect("run docker");
        left.extend(
            text(&out.stdout)
                .lines()
                .map(|l| format!("{} {l}", what[0])),
        );
    }
    left
}

/// `dockhand test ... -- <probe>`; the probe's output as saved in the artifacts.
fn run_dockhand(case: &Case, project: &str) -> Result<String, String> {
    let artifacts = tempfile::tempdir().unwrap();
    let file = case.dir.join("compose.yml");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dockhand"));
    cmd.arg("test")
        .arg("-f")
        .arg(&file)
        .args([
            "-p",
            project,
            "--service",
            "app",
            "--no-marker",
            "--artifacts",
        ])
        .arg(artifacts.path())
        .args(["--", "sh", "/probe.sh"])
        .args(&case.args)
        .current_dir(&case.dir)
        .env("CI", "true")
        .env_remove("DOCKHAND_TAG")
        .env_remove("COMPOSE_PROJECT_NAME");
    for (k, v) in &case.vars {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run dockhand");
    if !out.status.success() {
        return Err(format!(
            "dockhand test exited {:?}:\n{}{}",
            out.status.code(),
            text(&out.stdout),
            text(&out.stderr)
        ));
    }
    std::fs::read_to_string(artifacts.path().join("app-test.log"))
        .map_err(|e| format!("no test output saved: {e}"))
}

/// The IPv4 addresses written in the case's files: fixed, so compared as they are.
fn fixed_addresses(dir: &Path) -> BTreeSet<String> {
    let ip = Regex::new(r"\b\d{1,3}(\.\d{1,3}){3}\b").unwrap();
    let mut out = BTreeSet::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        if let Ok(t) = std::fs::read_to_string(entry.path()) {
            out.extend(ip.find_iter(&t).map(|m| m.as_str().to_string()));
        }
    }
    out
}

/// Only what must differ between two runs of one stack: the project names (each tool's run has
/// its own), container ids and the one-off container's suffix, and the addresses the engine
/// hands out. See tests/parity/runtime/README.md.
fn normalise(output: &str, projects: &[&str], fixed: &BTreeSet<String>) -> String {
    let mut s = output.replace("\r\n", "\n");
    for p in projects {
        let re = Regex::new(&format!(r"{}(-[0-9a-f]{{8}})?", regex::escape(p))).unwrap();
        s = re.replace_all(&s, "<project>").into_owned();
    }
    let run = Regex::new(r"-run-[0-9a-f]{6,12}\b").unwrap();
    s = run.replace_all(&s, "-run-<id>").into_owned();
    let id = Regex::new(r"\b[0-9a-f]{64}\b|\b[0-9a-f]{12}\b").unwrap();
    s = id.replace_all(&s, "<id>").into_owned();
    let ip = Regex::new(r"\b\d{1,3}(\.\d{1,3}){3}\b").unwrap();
    s = ip
        .replace_all(&s, |c: &regex::Captures| {
            let a = &c[0];
            if fixed.contains(a) || a.starts_with("127.") || a.starts_with("0.") {
                a.to_string()
            } else {
                "<ip>".to_string()
            }
        })
        .into_owned();
    s
}

struct Outcome {
    name: String,
    problems: Vec<String>,
    seconds: f64,
}

async fn run_case(case: Case) -> Outcome {
    let t0 = Instant::now();
    let compose_project = format!("prc-{}-{}", case.name, short_id());
    let dockhand_project = format!("prd-{}-{}", case.name, short_id());
    let mut problems = Vec::new();
    let (case, compose_out, cp) = tokio::task::spawn_blocking(move || {
        let out = run_compose(&case, &compose_project);
        (case, out, compose_project)
    })
    .await
    .unwrap();
    let left = compose_leftovers(&cp);
    if !left.is_empty() {
        problems.push(format!("docker compose left: {left:?}"));
    }
    let (case, dockhand_out, dp) = tokio::task::spawn_blocking(move || {
        let out = run_dockhand(&case, &dockhand_project);
        (case, out, dockhand_project)
    })
    .await
    .unwrap();
    let left = leftovers(&dp).await;
    if !left.is_empty() {
        problems.push(format!("dockhand left: {left:?}"));
    }
    match (compose_out, dockhand_out) {
        (Ok(c), Ok(d)) => {
            let fixed = fixed_addresses(&case.dir);
            let projects = [cp.as_str(), dp.as_str()];
            let (c, d) = (
                normalise(&c, &projects, &fixed),
                normalise(&d, &projects, &fixed),
            );
            if c.trim().is_empty() {
                problems.push("the probe printed nothing under docker compose".into());
            }
            if c != d {
                problems.push(format!(
                    "outputs differ\n--- docker compose\n{c}\n--- dockhand\n{d}"
                ));
            }
        }
        (c, d) => {
            if let Err(e) = c {
                problems.push(e);
            }
            if let Err(e) = d {
                problems.push(e);
            }
        }
    }
    Outcome {
        name: case.name,
        problems,
        seconds: t0.elapsed().as_secs_f64(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stacks_observe_the_same_under_compose_and_dockhand() {
    require_fixtures().await;
    let cases = cases();
    assert!(cases.len() >= 30, "only {} cases", cases.len());
    let only = std::env::var("PARITY_CASE").ok();
    let permits = Arc::new(Semaphore::new(PARALLEL));
    let t0 = Instant::now();
    let tasks: Vec<_> = cases
        .into_iter()
        .filter(|c| only.as_deref().is_none_or(|o| o == c.name))
        .map(|case| {
            let permits = permits.clone();
            tokio::spawn(async move {
                let _permit = permits.acquire().await.unwrap();
                run_case(case).await
            })
        })
        .collect();
    let mut failures = Vec::new();
    let mut count = 0;
    for t in tasks {
        let o = t.await.unwrap();
        count += 1;
        eprintln!(
            "case {} in {:.1} s: {} problem(s)",
            o.name,
            o.seconds,
            o.problems.len()
        );
        if !o.problems.is_empty() {
            failures.push(format!("case {}:\n{}", o.name, o.problems.join("\n")));
        }
    }
    eprintln!("{count} cases in {:.1} s", t0.elapsed().as_secs_f64());
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn normalising_keeps_what_the_file_fixes() {
    let fixed = BTreeSet::from(["172.28.5.3".to_string()]);
    let out = "prd-x-abc123-1a2b3c4d_data /data\n172.28.5.3 db\n172.18.0.2 web\nhostname: 0123456789ab\nprc-x-ffffff-app-run-0123456789ab\n";
    assert_eq!(
        normalise(out, &["prc-x-ffffff", "prd-x-abc123"], &fixed),
        "<project>_data /data\n172.28.5.3 db\n<ip> web\nhostname: <id>\n<project>-app-run-<id>\n"
    );
}
