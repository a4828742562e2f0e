//! Puts the short commit into `dockhand --version` when the crate is built from a git checkout;
//! a build from the packaged crate (no `.git`) or without git gives the version alone.

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let version = env!("CARGO_PKG_VERSION");
    let full = match commit() {
        Some(commit) => format!("{version} ({commit})"),
        None => version.to_string(),
    };
    println!("cargo:rustc-env=DOCKHAND_VERSION={full}");
}

/// The short hash of HEAD, watching the files a new commit changes (and nothing else, so a
/// build without a new commit does not rerun this script); `None` outside a checkout of this
/// crate or without git.
fn commit() -> Option<String> {
    let dir = std::env::var("CARGO_MANIFEST_DIR").ok()?;
    // Only this crate's own checkout: a packaged crate unpacked inside another repository
    // (cargo publish's verification under target/package) must not take that one's commit.
    if !Path::new(&dir).join(".git").exists() {
        // cargo publish verifies the package in the checkout's own target folder, where its
        // run of this script takes the checkout's place: watching a file only a package holds
        // makes the checkout's next build run it again, with the commit.
        if Path::new(&dir).join("Cargo.toml.orig").exists() {
            println!("cargo:rerun-if-changed=Cargo.toml.orig");
        }
        return None;
    }
    let git = |args: &[&str]| -> Option<String> {
        let out = Command::new("git")
            .args(args)
            .current_dir(&dir)
            .output()
            .ok()?;
        let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
        (out.status.success() && !text.is_empty()).then_some(text)
    };
    let commit = git(&["rev-parse", "--short", "HEAD"])?;
    let watch = |path: Option<String>, or_its_folder: bool| {
        let Some(path) = path.map(|p| Path::new(&dir).join(p)) else {
            return;
        };
        // A watched file that does not exist would rerun this script on every build.
        let watched = if path.exists() {
            Some(path.as_path())
        } else if or_its_folder {
            // A branch kept only in packed-refs gets its loose file in this folder at the
            // next commit.
            path.parent().filter(|p| p.exists())
        } else {
            None
        };
        if let Some(p) = watched {
            println!("cargo:rerun-if-changed={}", p.display());
        }
    };
    watch(git(&["rev-parse", "--git-path", "HEAD"]), false);
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        watch(git(&["rev-parse", "--git-path", &branch]), true);
        watch(git(&["rev-parse", "--git-path", "packed-refs"]), false);
    }
    Some(commit)
}
