//! Report files collected from the test container (`--collect`, `x-dockhand.collect`): which
//! folder to download for a glob, which files of the downloaded archive it matches, where they
//! are saved, and the JUnit suites in them. The download itself is the engine's.

use std::io::Read as _;
use std::path::{Component, Path, PathBuf};

use globset::{GlobBuilder, GlobMatcher};

use super::errors::CollectError;
use super::read_junit::read_junit;
use super::tests_from::ReadTests;

/// A glob naming files inside the container, such as `/app/reports/**/*.xml`.
#[derive(Debug, Clone)]
pub struct CollectGlob {
    pattern: String,
    matcher: GlobMatcher,
    download: String,
}

impl CollectGlob {
    /// The glob `pattern`: an absolute path whose components may hold `*`, `?`, `[...]`,
    /// `{a,b}`, and `**` for any number of folders. `*` does not cross a `/`.
    pub fn new(pattern: &str) -> Result<CollectGlob, CollectError> {
        if !pattern.starts_with('/') {
            return Err(CollectError::NotAbsolute {
                pattern: pattern.to_string(),
            });
        }
        let matcher = GlobBuilder::new(pattern)
            .literal_separator(true)
            .backslash_escape(true)
            .build()
            .map_err(|source| CollectError::BadGlob {
                pattern: pattern.to_string(),
                source,
            })?
            .compile_matcher();
        Ok(CollectGlob {
            pattern: pattern.to_string(),
            matcher,
            download: download_path(pattern),
        })
    }

    /// The glob as given.
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// What to download from the container: the longest folder of the glob free of glob
    /// characters, or the file itself when the glob has none.
    pub fn download_path(&self) -> &str {
        &self.download
    }

    /// Whether the glob names `path`, a path inside the container.
    pub fn matches(&self, path: &str) -> bool {
        self.matcher.is_match(path)
    }
}

/// The longest leading run of components without glob characters; the whole path if none
/// has any.
fn download_path(pattern: &str) -> String {
    let components: Vec<&str> = pattern.split('/').filter(|c| !c.is_empty()).collect();
    let literal = components
        .iter()
        .take_while(|c| !c.contains(['*', '?', '[', ']', '{', '}', '\\']))
        .count();
    format!("/{}", components[..literal].join("/"))
}

/// A file collected from the container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectedFile {
    /// Its path inside the container.
    pub container_path: String,
    /// Where it was saved.
    pub local: PathBuf,
}

/// Saves the regular files of `tar` that `glob` matches under `dir`, each at its path inside
/// the container (`/app/reports/a.xml` as `DIR/app/reports/a.xml`). `tar` is what the
/// engine's archive download of [`CollectGlob::download_path`] gave: its entries are named
/// from that path's last component.
pub fn save_matches(
    glob: &CollectGlob,
    tar: &[u8],
    dir: &Path,
) -> Result<Vec<CollectedFile>, CollectError> {
    let failed = |source| CollectError::Save {
        dir: dir.to_path_buf(),
        source,
    };
    let download = Path::new(glob.download_path());
    let parent = download.parent().unwrap_or(Path::new("/"));
    let mut saved = Vec::new();
    let mut archive = tar::Archive::new(tar);
    for entry in archive.entries().map_err(failed)? {
        let mut entry = entry.map_err(failed)?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let name = entry.path().map_err(failed)?.into_owned();
        // Only plain names: nothing may climb out of `dir`.
        let mut inside = PathBuf::new();
        for component in parent.join(&name).components() {
            match component {
                Component::Normal(part) => inside.push(part),
                Component::RootDir | Component::CurDir => {}
                Component::ParentDir | Component::Prefix(_) => {
                    inside.clear();
                    break;
                }
            }
        }
        if inside.as_os_str().is_empty() {
            continue;
        }
        let container_path = format!("/{}", inside.display());
        if !glob.matches(&container_path) {
            continue;
        }
        let local = dir.join(&inside);
        if let Some(folder) = local.parent() {
            std::fs::create_dir_all(folder).map_err(failed)?;
        }
        let mut content = Vec::new();
        entry.read_to_end(&mut content).map_err(failed)?;
        std::fs::write(&local, content).map_err(failed)?;
        saved.push(CollectedFile {
            container_path,
            local,
        });
    }
    Ok(saved)
}

/// The JUnit suites of the collected `files`, and a warning for each file that is not a
/// JUnit report dockhand can read (it names the file and, for broken XML, the line).
pub fn read_collected(files: &[CollectedFile]) -> ReadTests {
    let mut read = ReadTests::default();
    for file in files {
        let text = match std::fs::read(&file.local) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) => {
                read.warnings.push(format!(
                    "collected report {} could not be read back from {}: {e}",
                    file.container_path,
                    file.local.display()
                ));
                continue;
            }
        };
        match read_junit(&text, &file.container_path) {
            Ok(suites) => read.suites.extend(suites),
            Err(e) => {
                let cause = std::error::Error::source(&e)
                    .map(|s| format!(": {s}"))
                    .unwrap_or_default();
                read.warnings.push(format!(
                    "collected report left out of the JUnit report: {e}{cause}"
                ));
            }
        }
    }
    read
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An archive as the engine gives it for `/app/reports`: entries under `reports/`.
    fn archive(entries: &[(&str, &str)]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (name, content) in entries {
            let mut header = tar::Header::new_gnu();
            if name.ends_with('/') {
                header.set_entry_type(tar::EntryType::Directory);
                header.set_size(0);
            } else {
                header.set_size(content.len() as u64);
            }
            header.set_mode(0o644);
            builder
                .append_data(&mut header, name, content.as_bytes())
                .unwrap();
        }
        builder.into_inner().unwrap()
    }

    #[test]
    fn the_download_is_the_longest_folder_without_glob_characters() {
        let cases = [
            ("/app/reports/*.xml", "/app/reports"),
            ("/app/reports/**/TEST-*.xml", "/app/reports"),
            ("/app/{unit,it}/junit.xml", "/app"),
            ("/app/report-?.xml", "/app"),
            ("/app/junit.xml", "/app/junit.xml"),
            ("/*.xml", "/"),
            ("//app//r/*.xml", "/app/r"),
        ];
        for (pattern, download) in cases {
            assert_eq!(
                CollectGlob::new(pattern).unwrap().download_path(),
                download,
                "{pattern}"
            );
        }
    }

    #[test]
    fn a_relative_or_broken_glob_is_refused_by_name() {
        assert_eq!(
            CollectGlob::new("reports/*.xml").unwrap_err().to_string(),
            "collect glob reports/*.xml is not an absolute path inside the container"
        );
        assert!(
            CollectGlob::new("/app/[x.xml")
                .unwrap_err()
                .to_string()
                .starts_with("collect glob /app/[x.xml is not a valid glob")
        );
    }

    #[test]
    fn matching_files_are_saved_at_their_container_path() {
        let glob = CollectGlob::new("/app/reports/**/*.xml").unwrap();
        let tar = archive(&[
            ("reports/", ""),
            ("reports/unit.xml", "<testsuite/>"),
            ("reports/it/db.xml", "<testsuites/>"),
            ("reports/coverage.txt", "80%"),
        ]);
        let dir = tempfile::tempdir().unwrap();
        let saved = save_matches(&glob, &tar, dir.path()).unwrap();
        let paths: Vec<&str> = saved.iter().map(|f| f.container_path.as_str()).collect();
        assert_eq!(paths, ["/app/reports/unit.xml", "/app/reports/it/db.xml"]);
        assert_eq!(
            std::fs::read_to_string(dir.path().join("app/reports/it/db.xml")).unwrap(),
            "<testsuites/>"
        );
        assert!(!dir.path().join("app/reports/coverage.txt").exists());
    }

    #[test]
    fn a_star_stays_in_its_folder() {
        let glob = CollectGlob::new("/app/reports/*.xml").unwrap();
        let tar = archive(&[("reports/a.xml", "a"), ("reports/deep/b.xml", "b")]);
        let dir = tempfile::tempdir().unwrap();
        let saved = save_matches(&glob, &tar, dir.path()).unwrap();
        assert_eq!(saved.len(), 1);
        assert_eq!(saved[0].container_path, "/app/reports/a.xml");
    }

    #[test]
    fn a_literal_path_collects_that_one_file() {
        let glob = CollectGlob::new("/app/junit.xml").unwrap();
        let tar = archive(&[("junit.xml", "<testsuite/>")]);
        let dir = tempfile::tempdir().unwrap();
        let saved = save_matches(&glob, &tar, dir.path()).unwrap();
        assert_eq!(saved[0].container_path, "/app/junit.xml");
        assert_eq!(saved[0].local, dir.path().join("app/junit.xml"));
    }

    #[test]
    fn unreadable_files_are_warnings_naming_them_and_readable_ones_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            let local = dir.path().join(name);
            std::fs::write(&local, text).unwrap();
            CollectedFile {
                container_path: format!("/reports/{name}"),
                local,
            }
        };
        let files = [
            write(
                "ok.xml",
                "<testsuite name=\"s\"><testcase name=\"a\"/></testsuite>",
            ),
            write(
                "cut.xml",
                "<testsuite name=\"s\">\n<testcase name=\"a\">\n</testsuit",
            ),
            write("notes.xml", "just text"),
        ];
        let read = read_collected(&files);
        assert_eq!(read.suites.len(), 1);
        assert_eq!(read.warnings.len(), 2, "{:?}", read.warnings);
        assert!(
            read.warnings[0]
                .starts_with("collected report left out of the JUnit report: /reports/cut.xml:3:"),
            "{}",
            read.warnings[0]
        );
        assert!(
            read.warnings[1].contains("/reports/notes.xml: no XML element in it"),
            "{}",
            read.warnings[1]
        );
    }
}
