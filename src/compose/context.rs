//! The state shared by the loading passes: the files read so far, the variables, and the
//! diagnostics and warnings collected along the way.

use std::collections::{HashMap, HashSet};
use std::path::{Component, Path, PathBuf};

use super::diagnostic::{Diagnostic, Pos};

/// One compose (or env) file that was read.
#[derive(Debug, Clone)]
pub struct Source {
    pub path: PathBuf,
    /// How the file is named in messages.
    pub display: PathBuf,
    /// Where relative paths written in this file are resolved from.
    pub base_dir: PathBuf,
    pub text: String,
}

#[derive(Debug, Default)]
pub struct Ctx {
    pub sources: Vec<Source>,
    pub diags: Vec<Diagnostic>,
    pub warnings: Vec<String>,
    warned: HashSet<String>,
    /// The directory the user runs in; file names in messages are relative to it.
    pub working_dir: PathBuf,
    /// The process environment (or the one a test passes in).
    pub process_env: HashMap<String, String>,
    /// The project's variables (env files under the process environment).
    pub env: HashMap<String, String>,
}

impl Ctx {
    pub fn new(working_dir: PathBuf, process_env: HashMap<String, String>) -> Ctx {
        Ctx {
            working_dir,
            process_env,
            ..Ctx::default()
        }
    }

    pub fn add_source(&mut self, path: PathBuf, base_dir: PathBuf, text: String) -> usize {
        let display = match path.strip_prefix(&self.working_dir) {
            Ok(rel) if !rel.as_os_str().is_empty() => rel.to_path_buf(),
            _ => path.clone(),
        };
        self.sources.push(Source {
            path,
            display,
            base_dir,
            text,
        });
        self.sources.len() - 1
    }

    /// The folder relative paths at `pos` are resolved from.
    pub fn base_dir(&self, pos: Pos) -> PathBuf {
        self.sources
            .get(pos.file)
            .map(|s| s.base_dir.clone())
            .unwrap_or_else(|| self.working_dir.clone())
    }

    /// The file declaring the value at `pos`.
    pub fn file_of(&self, pos: Pos) -> Option<&Path> {
        self.sources.get(pos.file).map(|s| s.path.as_path())
    }

    pub fn diagnostic(
        &self,
        pos: Pos,
        path: &str,
        message: String,
        hint: Option<String>,
    ) -> Diagnostic {
        let (file, source_line) = match self.sources.get(pos.file) {
            Some(s) => (
                s.display.clone(),
                (pos.line > 0)
                    .then(|| {
                        s.text
                            .lines()
                            .nth(pos.line - 1)
                            .map(|l| l.trim_end_matches('\r').to_string())
                    })
                    .flatten(),
            ),
            None => (PathBuf::from("<unknown>"), None),
        };
        Diagnostic {
            file,
            line: pos.line,
            col: pos.col,
            path: path.to_string(),
            message,
            hint,
            source_line,
        }
    }

    pub fn error(&mut self, pos: Pos, path: &str, message: impl Into<String>) {
        let d = self.diagnostic(pos, path, message.into(), None);
        self.push(d);
    }

    pub fn error_hint(
        &mut self,
        pos: Pos,
        path: &str,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) {
        let d = self.diagnostic(pos, path, message.into(), Some(hint.into()));
        self.push(d);
    }

    fn push(&mut self, d: Diagnostic) {
        // The same node can be read twice (an alias, an extended service): say it once, under
        // the first path it was reached by.
        let seen = self.diags.iter().any(|e| {
            e.file == d.file && e.line == d.line && e.col == d.col && e.message == d.message
        });
        if !seen {
            self.diags.push(d);
        }
    }

    /// Reads the variable behind each secret and config declared with `environment:` from the
    /// project's variables, so the run can write its value where compose puts it.
    pub fn read_environment_values(&mut self, project: &mut super::model::Project) {
        for objects in [&mut project.secrets, &mut project.configs] {
            for o in objects.values_mut() {
                let Some(var) = &o.environment else {
                    continue;
                };
                // Unset is an error of the run (as in compose), not of the file.
                o.value = self.env.get(var).cloned();
            }
        }
    }

    /// Records a warning unless the same text was already recorded.
    pub fn warn_once(&mut self, message: String) {
        if self.warned.insert(message.clone()) {
            self.warnings.push(message);
        }
    }

    /// Notes, once, a key of the specification that dockhand reads past (extension keys are
    /// silent).
    pub fn ignored(&mut self, what: &str, key: &str) {
        if !key.starts_with("x-") {
            self.warn_once(format!(
                "{what} key `{key}` is accepted but not acted on by dockhand"
            ));
        }
    }

    /// Makes `p` absolute against `base`, resolving `~` from HOME and `.`/`..` lexically.
    pub fn absolute(&self, base: &Path, p: &str) -> PathBuf {
        let joined = if p == "~" || p.starts_with("~/") {
            let home = self
                .process_env
                .get("HOME")
                .cloned()
                .unwrap_or_else(|| "/".to_string());
            PathBuf::from(home).join(p.trim_start_matches('~').trim_start_matches('/'))
        } else {
            base.join(p)
        };
        normalize(&joined)
    }
}

/// Removes `.` and resolves `..` without touching the file system.
pub fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

/// `services.db` + `ports` -> `services.db.ports`.
pub fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// `services.db.ports` + 0 -> `services.db.ports[0]`.
pub fn index(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}
