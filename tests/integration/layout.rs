//! The shape of the source: each module imports only modules before it in the pipeline, and
//! only the engine module talks to Docker. Reads the source; needs no engine.

use std::path::{Path, PathBuf};

use super::support::root;

/// The modules in pipeline order. A module may use those of its own layer or before.
const LAYERS: &[&[&str]] = &[
    &["labels", "owner", "fault"],
    &["compose"],
    &["plan"],
    &["engine"],
    &["ready"],
    &["cleanup"],
    &["verdict"],
    &["report"],
    &["signal"],
    &["run"],
    &["cli"],
];

fn layer(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file under src/ belongs to (`src/plan/spec.rs` -> `plan`).
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

/// Every `crate::NAME` a line of code names (comments left out).
fn crate_uses(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(i) = rest.find("crate::") {
            let after = &rest[i + "crate::".len()..];
            let name: String = after
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            // `use crate::{a, b}` names several.
            if name.is_empty() && after.starts_with('{') {
                let inner = &after[1..after.find('}').unwrap_or(after.len())];
                for part in inner.split(',') {
                    let part = part.trim().split("::").next().unwrap_or("").trim();
                    if !part.is_empty() {
                        found.push((n + 1, part.to_string()));
                    }
                }
            } else if !name.is_empty() {
                found.push((n + 1, name));
            }
            rest = after;
        }
    }
    found
}

#[test]
fn every_import_points_back_along_the_pipeline() {
    let src = root().join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    files.sort();
    let mut backwards = Vec::new();
    let mut checked = 0;
    for file in &files {
        let module = module_of(&src, file);
        if module == "lib" || module == "main" {
            continue;
        }
        let own =
            layer(&module).unwrap_or_else(|| panic!("{} is in no layer of LAYERS", file.display()));
        let text = std::fs::read_to_string(file).unwrap();
        for (line, used) in crate_uses(&text) {
            checked += 1;
            let Some(theirs) = layer(&used) else {
                panic!("{}:{line}: crate::{used} is in no layer", file.display());
            };
            if theirs > own {
                backwards.push(format!(
                    "{}:{line}: {module} uses crate::{used}, which comes after it",
                    file.strip_prefix(root()).unwrap().display()
                ));
            }
        }
    }
    assert!(
        checked > 50,
        "only {checked} imports found: is the scan broken?"
    );
    assert!(
        backwards.is_empty(),
        "imports against the pipeline:\n{}",
        backwards.join("\n")
    );
}

#[test]
fn the_scan_sees_grouped_and_nested_imports() {
    let uses = crate_uses(
        "use crate::{labels, owner::this_host};\nlet x = crate::run::exit::PASS; // crate::cli\n",
    );
    let names: Vec<&str> = uses.iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!(names, ["labels", "owner", "run"]);
}

#[test]
fn only_the_engine_names_bollard() {
    let src = root().join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let outside: Vec<String> = files
        .iter()
        .filter(|f| !f.starts_with(src.join("engine")))
        .filter(|f| std::fs::read_to_string(f).unwrap().contains("bollard"))
        .map(|f| f.display().to_string())
        .collect();
    assert!(
        outside.is_empty(),
        "bollard named outside src/engine/: {outside:?}"
    );
}
