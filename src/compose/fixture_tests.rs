//! Runs every fixture under `fixtures/compose/`: valid ones against their rendered snapshot,
//! invalid ones against their expected error text.
//!
//! A fixture is a folder holding `compose.yaml` (or the files named in `args`), optional
//! `.env` and other files, an optional `args` file (`profile=`, `file=`, `env=K=V`,
//! `env_file=`, `project=`, `service=` lines) and `expected.yaml` (valid; `$DIR` stands for the
//! fixture folder) or `expected` (invalid). `UPDATE_SNAPSHOTS=1` rewrites the expectations.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::{ConfigFormat, LoadOptions, load, render_config};

fn fixtures_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join("compose")
}

fn options(dir: &Path) -> LoadOptions {
    let mut env: HashMap<String, String> = HashMap::new();
    env.insert("HOME".into(), "/home/tester".into());
    let mut opts = LoadOptions {
        working_dir: Some(dir.to_path_buf()),
        ..LoadOptions::default()
    };
    if let Ok(args) = std::fs::read_to_string(dir.join("args")) {
        for line in args
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        {
            let (k, v) = line.split_once('=').unwrap_or((line, ""));
            match k {
                "profile" => opts.profiles.push(v.into()),
                "file" => opts.files.push(v.into()),
                "env_file" => opts.env_files.push(v.into()),
                "project" => opts.project_name = Some(v.into()),
                "service" => opts.enable_services.push(v.into()),
                "env" => {
                    let (ek, ev) = v.split_once('=').unwrap_or((v, ""));
                    env.insert(ek.into(), ev.into());
                }
                other => panic!("{}: unknown args line {other:?}", dir.display()),
            }
        }
    }
    opts.environment = Some(env);
    opts
}

fn fixture_dirs(kind: &str) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(fixtures_root().join(kind))
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    dirs.sort();
    dirs
}

fn render_valid(dir: &Path) -> Result<String, String> {
    let project = load(&options(dir)).map_err(|e| e.to_string())?;
    let mut out = render_config(&project, ConfigFormat::Yaml);
    out = out.replace(&dir.display().to_string(), "$DIR");
    if let Some(parent) = dir.parent() {
        out = out.replace(&parent.display().to_string(), "$DIR/..");
    }
    for w in &project.warnings {
        out.push_str(&format!("# warning: {w}\n"));
    }
    Ok(out)
}

fn compare(dir: &Path, file: &str, actual: &str, failures: &mut Vec<String>) {
    let path = dir.join(file);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, actual).expect("write snapshot");
        return;
    }
    match std::fs::read_to_string(&path) {
        Ok(expected) if expected == actual => {}
        Ok(expected) => failures.push(format!(
            "{}: output differs from {file}\n--- expected\n{expected}\n--- actual\n{actual}",
            dir.display()
        )),
        Err(_) => failures.push(format!(
            "{}: missing {file}; actual output:\n{actual}",
            dir.display()
        )),
    }
}

#[test]
fn valid_fixtures_match_their_snapshots() {
    let dirs = fixture_dirs("valid");
    assert!(!dirs.is_empty(), "no valid fixtures found");
    let mut failures = Vec::new();
    for dir in &dirs {
        match render_valid(dir) {
            Ok(out) => compare(dir, "expected.yaml", &out, &mut failures),
            Err(e) => failures.push(format!("{}: expected to load, got:\n{e}", dir.display())),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} valid fixtures failed:\n\n{}",
        failures.len(),
        dirs.len(),
        failures.join("\n\n")
    );
}

#[test]
fn invalid_fixtures_report_their_errors() {
    let dirs = fixture_dirs("invalid");
    assert!(!dirs.is_empty(), "no invalid fixtures found");
    let mut failures = Vec::new();
    for dir in &dirs {
        match load(&options(dir)) {
            Ok(_) => failures.push(format!(
                "{}: expected an error, the project loaded",
                dir.display()
            )),
            Err(e) => {
                let text = format!("{e}\n").replace(&dir.display().to_string(), "$DIR");
                compare(dir, "expected", &text, &mut failures);
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} invalid fixtures failed:\n\n{}",
        failures.len(),
        dirs.len(),
        failures.join("\n\n")
    );
}
