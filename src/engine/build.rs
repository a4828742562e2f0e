//! Image builds: the context sent as a tar stream that honours .dockerignore.

use std::path::{Path, PathBuf};

use bollard::query_parameters::BuildImageOptionsBuilder;
use futures_util::StreamExt;
use globset::{Glob, GlobMatcher};

use super::client::Engine;
use super::error::EngineError;
use crate::plan::BuildSpec;

/// `.dockerignore` rules: patterns relative to the context root, `!` re-includes, last match
/// wins, a matched folder excludes everything under it.
#[derive(Debug, Default)]
pub struct DockerIgnore {
    rules: Vec<(GlobMatcher, bool)>,
}

impl DockerIgnore {
    pub fn parse(text: &str) -> DockerIgnore {
        let mut rules = Vec::new();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (negate, pat) = match line.strip_prefix('!') {
                Some(p) => (true, p.trim()),
                None => (false, line),
            };
            let pat = pat.trim_start_matches('/').trim_end_matches('/');
            let pat = pat.strip_prefix("./").unwrap_or(pat);
            if pat.is_empty() {
                continue;
            }
            for p in [pat.to_string(), format!("{pat}/**")] {
                if let Ok(g) = Glob::new(&p) {
                    rules.push((g.compile_matcher(), negate));
                }
            }
        }
        DockerIgnore { rules }
    }

    /// Whether `rel` (a path relative to the context, `/`-separated) is left out.
    pub fn excludes(&self, rel: &str) -> bool {
        let mut out = false;
        for (m, negate) in &self.rules {
            if m.is_match(rel) {
                out = !negate;
            }
        }
        out
    }
}

/// Tars the build context (and an inline Dockerfile, if any) into memory.
pub fn context_tar(
    context: &Path,
    inline_dockerfile: Option<(&str, &str)>,
) -> std::io::Result<Vec<u8>> {
    let ignore = match std::fs::read_to_string(context.join(".dockerignore")) {
        Ok(text) => DockerIgnore::parse(&text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => DockerIgnore::default(),
        Err(e) => return Err(e),
    };
    let mut builder = tar::Builder::new(Vec::new());
    builder.follow_symlinks(false);
    let mut stack: Vec<PathBuf> = vec![PathBuf::new()];
    while let Some(rel_dir) = stack.pop() {
        let mut entries: Vec<_> =
            std::fs::read_dir(context.join(&rel_dir))?.collect::<Result<_, _>>()?;
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let rel = rel_dir.join(entry.file_name());
            let rel_str = rel.to_string_lossy().replace('\\', "/");
            // The Dockerfile and .dockerignore always travel: the builder needs them.
            let always = rel_str == ".dockerignore" || rel_str == "Dockerfile";
            if !always && ignore.excludes(&rel_str) {
                continue;
            }
            let ft = entry.file_type()?;
            if ft.is_dir() {
                builder.append_dir(&rel, entry.path())?;
                stack.push(rel);
            } else {
                builder.append_path_with_name(entry.path(), &rel)?;
            }
        }
    }
    if let Some((name, text)) = inline_dockerfile {
        let mut header = tar::Header::new_gnu();
        header.set_size(text.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder.append_data(&mut header, name, text.as_bytes())?;
    }
    builder.into_inner()
}

impl Engine {
    /// Builds `image` for `service` from `spec`; build output goes to `progress` line by line.
    pub async fn build(
        &self,
        service: &str,
        image: &str,
        spec: &BuildSpec,
        mut progress: impl FnMut(&str),
    ) -> Result<(), EngineError> {
        let inline_name = ".dockhand.inline.Dockerfile";
        let dockerfile = match (&spec.dockerfile_inline, &spec.dockerfile) {
            (Some(_), _) => inline_name.to_string(),
            (None, Some(d)) => d.clone(),
            (None, None) => "Dockerfile".to_string(),
        };
        let context = spec.context.clone();
        let inline = spec.dockerfile_inline.clone();
        let tar = tokio::task::spawn_blocking(move || {
            context_tar(&context, inline.as_deref().map(|text| (inline_name, text)))
        })
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))
        .and_then(|r| r)
        .map_err(|source| EngineError::BuildContext {
            service: service.to_string(),
            path: spec.context.display().to_string(),
            source,
        })?;

        let args: std::collections::HashMap<&str, &str> = spec
            .args
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let labels: std::collections::HashMap<&str, &str> = spec
            .labels
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let mut opts = BuildImageOptionsBuilder::default()
            .dockerfile(&dockerfile)
            .t(image)
            .rm(true)
            .forcerm(true)
            .buildargs(&args)
            .labels(&labels);
        if let Some(target) = &spec.target {
            opts = opts.target(target);
        }
        let mut stream =
            self.docker()
                .build_image(opts.build(), None, Some(bollard::body_full(tar.into())));
        // The last lines of build output, shown when the build fails.
        let mut recent: std::collections::VecDeque<String> = std::collections::VecDeque::new();
        let failed =
            |message: String, recent: &std::collections::VecDeque<String>| EngineError::Build {
                service: service.to_string(),
                image: image.to_string(),
                message: message
                    .strip_prefix("Docker stream error: ")
                    .unwrap_or(&message)
                    .to_string(),
                output: recent.iter().cloned().collect(),
            };
        while let Some(item) = stream.next().await {
            let info = item.map_err(|e| failed(e.to_string(), &recent))?;
            if let Some(err) = info.error_detail.and_then(|d| d.message) {
                return Err(failed(err, &recent));
            }
            if let Some(s) = info.stream {
                for line in s.lines().filter(|l| !l.trim().is_empty()) {
                    progress(line);
                    if recent.len() == 20 {
                        recent.pop_front();
                    }
                    recent.push_back(line.to_string());
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dockerignore_rules() {
        let ig = DockerIgnore::parse("# comment\ntarget\n*.log\n!keep.log\nsecrets/\n**/*.tmp\n");
        assert!(ig.excludes("target"));
        assert!(ig.excludes("target/debug/x"));
        assert!(ig.excludes("a.log"));
        assert!(!ig.excludes("keep.log"));
        assert!(ig.excludes("secrets/key"));
        assert!(ig.excludes("deep/er/x.tmp"));
        assert!(!ig.excludes("src/main.rs"));
    }

    #[test]
    fn context_tar_leaves_out_ignored_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("Dockerfile"), "FROM scratch\n").unwrap();
        std::fs::write(dir.path().join(".dockerignore"), "big\n").unwrap();
        std::fs::create_dir(dir.path().join("big")).unwrap();
        std::fs::write(dir.path().join("big/blob"), "x").unwrap();
        std::fs::write(dir.path().join("app.sh"), "echo").unwrap();
        let bytes = context_tar(dir.path(), None).unwrap();
        let mut ar = tar::Archive::new(bytes.as_slice());
        let names: Vec<String> = ar
            .entries()
            .unwrap()
            .map(|e| e.unwrap().path().unwrap().to_string_lossy().into_owned())
            .collect();
        assert!(names.contains(&"app.sh".to_string()));
        assert!(names.contains(&"Dockerfile".to_string()));
        assert!(!names.iter().any(|n| n.starts_with("big")), "{names:?}");
    }
}
