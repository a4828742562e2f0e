//! The config parity suite: each real compose file under `fixtures/parity/config/<case>/` is
//! printed by `dockhand config --format json` and by `docker compose config --format json`,
//! and the two documents must be equal once the differences that must exist are normalised
//! (the README beside the suite lists each one and why it is honest).
//!
//! `docker compose config` reads files only; `DOCKER_HOST` points nowhere, so nothing can be
//! created on an engine.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use serde_json::Value;

use super::support::*;

/// Cases run at once (each is two short-lived processes).
const PARALLEL: usize = 8;

struct Case {
    name: String,
    dir: PathBuf,
    /// `-f`, `--profile` and the like, for both tools.
    args: Vec<String>,
    /// Variables set for both tools, over a cleared environment.
    vars: Vec<(String, String)>,
}

fn suite_dir() -> PathBuf {
    root().join("fixtures/parity/config")
}

/// Each case folder, with its `args` file read (`file=`, `profile=`, `env=K=V` lines).
fn cases() -> Vec<Case> {
    let readme = std::fs::read_to_string(suite_dir().join("README.md")).unwrap();
    let excluded = readme.split("## Excluded cases").nth(1).unwrap_or("");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(suite_dir())
        .unwrap()
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    let mut out = Vec::new();
    for dir in dirs {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            dir.join("SOURCE").is_file(),
            "case {name} has no SOURCE file (repository, path, commit, licence)"
        );
        if dir.join("excluded").exists() {
            assert!(
                excluded.contains(&format!("`{name}`")),
                "case {name} is excluded but the README gives no reason under \"Excluded cases\""
            );
            continue;
        }
        let mut args = Vec::new();
        let mut vars = Vec::new();
        let text = std::fs::read_to_string(dir.join("args")).unwrap_or_default();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            match line.split_once('=') {
                Some(("file", f)) => args.extend(["-f".to_string(), f.to_string()]),
                Some(("profile", p)) => args.extend(["--profile".to_string(), p.to_string()]),
                Some(("env", kv)) => {
                    let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                    vars.push((k.to_string(), v.to_string()));
                }
                _ => panic!("case {name}: unknown args line {line:?}"),
            }
        }
        out.push(Case {
            name,
            dir,
            args,
            vars,
        });
    }
    out
}

/// Runs `program ARGS` in the case folder with only the case's variables set (PATH and HOME
/// kept: the docker CLI finds its compose plugin under HOME, and both tools expand `~` from
/// it alike).
fn config_json(case: &Case, program: &Path, args: &[String]) -> Result<Value, String> {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .current_dir(&case.dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", std::env::var_os("HOME").unwrap_or_default())
        .env("DOCKER_HOST", "unix:///nonexistent/dockhand-parity.sock");
    for (k, v) in &case.vars {
        cmd.env(k, v);
    }
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run {}: {e}", program.display()))?;
    if !out.status.success() {
        return Err(format!(
            "exit {:?}: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("output is not JSON: {e}"))
}

/// Drops what is empty (null, `{}`, `[]`): compose prints `entrypoint: null`, `ipam: {}`
/// and `networks: {default: null}` where dockhand leaves the key out or prints `{}`.
fn drop_empty(v: &mut Value) -> bool {
    match v {
        Value::Null => true,
        Value::Object(map) => {
            map.retain(|_, v| !drop_empty(v));
            map.is_empty()
        }
        Value::Array(items) => {
            for item in items.iter_mut() {
                drop_empty(item);
            }
            items.is_empty()
        }
        _ => false,
    }
}

/// The normalisations of the suite's README, applied to both documents.
fn normalise(mut v: Value, dockhand: bool) -> Value {
    if dockhand && let Some(services) = v.get_mut("services").and_then(Value::as_object_mut) {
        // compose's JSON leaves out a service's `x-` fields (its YAML prints them).
        for svc in services.values_mut().filter_map(Value::as_object_mut) {
            svc.retain(|k, _| !k.starts_with("x-"));
        }
    }
    // A service network without options: compose prints null, dockhand `{}`; both become
    // `true` so that the network itself is still compared.
    if let Some(services) = v.get_mut("services").and_then(Value::as_object_mut) {
        for svc in services.values_mut() {
            if let Some(nets) = svc.get_mut("networks").and_then(Value::as_object_mut) {
                for n in nets.values_mut() {
                    if n.is_null() || n.as_object().is_some_and(|o| o.is_empty()) {
                        *n = Value::Bool(true);
                    }
                }
            }
        }
    }
    drop_empty(&mut v);
    v
}

/// Every JSON path where the two documents differ, with both values.
fn differences(path: &str, compose: &Value, dockhand: &Value, out: &mut Vec<String>) {
    match (compose, dockhand) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for k in keys {
                let p = format!("{path}.{k}");
                match (a.get(k), b.get(k)) {
                    (Some(x), Some(y)) => differences(&p, x, y, out),
                    (Some(x), None) => out.push(format!("{p}: compose {x}, dockhand (absent)")),
                    (None, Some(y)) => out.push(format!("{p}: compose (absent), dockhand {y}")),
                    (None, None) => {}
                }
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                differences(&format!("{path}[{i}]"), x, y, out);
            }
        }
        (a, b) if a != b => out.push(format!("{path}: compose {a}, dockhand {b}")),
        _ => {}
    }
}

/// The case's differences; empty when the two tools agree.
fn check(case: &Case) -> Vec<String> {
    let project = ["-p".to_string(), case.name.clone()];
    let json = ["--format", "json"].map(String::from);
    // compose takes the project options before `config`, dockhand after it.
    let compose_args: Vec<String> = ["compose".to_string()]
        .into_iter()
        .chain(project.clone())
        .chain(case.args.clone())
        .chain(["config".to_string()])
        .chain(json.clone())
        .collect();
    let dockhand_args: Vec<String> = ["config".to_string()]
        .into_iter()
        .chain(project)
        .chain(case.args.clone())
        .chain(json)
        .chain(["--no-mask".to_string()])
        .collect();
    let compose = match config_json(case, Path::new("docker"), &compose_args) {
        Ok(v) => v,
        Err(e) => return vec![format!("docker compose config fails ({e}): fix the case")],
    };
    let dockhand_bin = Path::new(env!("CARGO_BIN_EXE_dockhand"));
    let dockhand = match config_json(case, dockhand_bin, &dockhand_args) {
        Ok(v) => v,
        Err(e) => {
            return vec![format!(
                "compose accepts the file, dockhand rejects it: {e}"
            )];
        }
    };
    let mut out = Vec::new();
    differences(
        "$",
        &normalise(compose, false),
        &normalise(dockhand, true),
        &mut out,
    );
    out
}

#[test]
fn dockhand_config_matches_docker_compose_config() {
    let version = Command::new("docker").args(["compose", "version"]).output();
    assert!(
        version.is_ok_and(|o| o.status.success()),
        "the config parity suite needs Docker Compose v2 as `docker compose` (scripts/setup installs it)"
    );
    let started = Instant::now();
    let cases = cases();
    assert!(cases.len() >= 40, "only {} cases", cases.len());
    let mut results: BTreeMap<String, Vec<String>> = BTreeMap::new();
    std::thread::scope(|s| {
        let chunks: Vec<&[Case]> = cases.chunks(cases.len().div_ceil(PARALLEL)).collect();
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                s.spawn(move || {
                    chunk
                        .iter()
                        .map(|c| (c.name.clone(), check(c)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for h in handles {
            results.extend(h.join().unwrap());
        }
    });
    let failing: Vec<String> = results
        .iter()
        .filter(|(_, d)| !d.is_empty())
        .map(|(name, d)| format!("{name}:\n  {}", d.join("\n  ")))
        .collect();
    eprintln!(
        "config parity: {} cases in {:.1}s",
        cases.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(
        failing.is_empty(),
        "{} of {} cases differ from docker compose config (JSON path: both values):\n{}",
        failing.len(),
        cases.len(),
        failing.join("\n")
    );
}

/// Compose fixtures written for keys none of the public files above uses (lifecycle hooks,
/// devices, the API socket, keys dockhand reads without acting on, a provider's service),
/// compared the same way.
const KEY_FIXTURES: &[&str] = &["pre-stop-gpus-api-socket", "unused-keys-printed"];

#[test]
fn dockhand_config_matches_docker_compose_config_on_keys_no_public_file_uses() {
    let mut failing = Vec::new();
    for name in KEY_FIXTURES {
        let case = Case {
            name: name.to_string(),
            dir: root().join("fixtures/compose/valid").join(name),
            args: Vec::new(),
            vars: Vec::new(),
        };
        let found = check(&case);
        if !found.is_empty() {
            failing.push(format!("{name}:\n  {}", found.join("\n  ")));
        }
    }
    assert!(
        failing.is_empty(),
        "differ from docker compose config:\n{}",
        failing.join("\n")
    );
}
