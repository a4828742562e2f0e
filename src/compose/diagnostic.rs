//! Load errors that point at a file, a line and a column, rendered with the offending line.

use std::fmt;
use std::path::PathBuf;

/// Where a value sits: an index into the loader's file table plus a 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    /// Index into the loader's table of files read.
    pub file: usize,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub col: usize,
}

/// One problem found in a compose file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file as the user would name it (relative to the working directory when possible).
    pub file: PathBuf,
    /// 1-based; 0 when the problem has no position (a missing file, say).
    pub line: usize,
    /// 1-based; 0 when the problem has no position.
    pub col: usize,
    /// Dotted path of the value, like `services.db.ports[0]`; empty for the whole file.
    pub path: String,
    /// What is wrong, as a short lowercase phrase.
    pub message: String,
    /// What to do about it, when dockhand can tell (`did you mean 'image'?`).
    pub hint: Option<String>,
    /// The text of the offending line, for the snippet.
    pub source_line: Option<String>,
}

impl Diagnostic {
    /// The first line of the rendering: `compose.yml:12:7: services.db.ports[0]: message`.
    pub fn headline(&self) -> String {
        let mut out = self.file.display().to_string();
        if self.line > 0 {
            out.push_str(&format!(":{}:{}", self.line, self.col));
        }
        out.push_str(": ");
        if !self.path.is_empty() {
            out.push_str(&self.path);
            out.push_str(": ");
        }
        out.push_str(&self.message);
        out
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error: {}", self.headline())?;
        if let Some(line) = &self.source_line
            && self.line > 0
        {
            let num = self.line.to_string();
            let pad = " ".repeat(num.len());
            let caret_pad: String = line
                .chars()
                .take(self.col.saturating_sub(1))
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            write!(f, "\n{pad} |\n{num} | {line}\n{pad} | {caret_pad}^")?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "\nhint: {hint}")?;
        }
        Ok(())
    }
}

/// Why a compose project could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// Problems in the files themselves, all of them at once.
    #[error("{}", render_all(.0))]
    Invalid(Vec<Diagnostic>),
    /// No `-f` was given and the folder holds none of the default file names.
    #[error("no compose file found in {} (looked for {})", .dir.display(), .looked_for.join(", "))]
    NoComposeFile {
        /// The folder searched.
        dir: PathBuf,
        /// The file names looked for.
        looked_for: Vec<String>,
    },
    /// A compose, env or included file could not be read.
    #[error("error reading {}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A service named on the command line or in the builder is not in the project.
    #[error("no such service: {name} (known services: {})", .known.join(", "))]
    NoSuchService {
        /// The name given.
        name: String,
        /// The project's services.
        known: Vec<String>,
    },
}

impl LoadError {
    /// The diagnostics carried by this error (empty for the non-file variants).
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            LoadError::Invalid(d) => d,
            _ => &[],
        }
    }
}

fn render_all(diags: &[Diagnostic]) -> String {
    diags
        .iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join("\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_snippet_with_caret() {
        let d = Diagnostic {
            file: "compose.yml".into(),
            line: 12,
            col: 9,
            path: "services.db.ports[0]".into(),
            message: "invalid port \"70000\": port must be between 1 and 65535".into(),
            hint: Some("use a port number from 1 to 65535".into()),
            source_line: Some("      - \"70000:80\"".into()),
        };
        let text = d.to_string();
        assert_eq!(
            text,
            "error: compose.yml:12:9: services.db.ports[0]: invalid port \"70000\": port must be between 1 and 65535\n   |\n12 |       - \"70000:80\"\n   |         ^\nhint: use a port number from 1 to 65535"
        );
    }
}
