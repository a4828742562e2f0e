//! Files in and out of a container through the engine's archive API, as `docker cp` does:
//! tar streams, packed from and unpacked into local paths.

use std::path::{Component, Path, PathBuf};

use bollard::query_parameters::{
    DownloadFromContainerOptionsBuilder, UploadToContainerOptionsBuilder,
};
use futures_util::StreamExt;

use super::client::Engine;
use super::error::{EngineError, is_not_found};

impl Engine {
    /// Unpacks the tar archive `tar` into directory `dir` of container `id`, which must exist.
    /// Works on a stopped container too.
    pub async fn upload(&self, id: &str, dir: &str, tar: Vec<u8>) -> Result<(), EngineError> {
        let opts = UploadToContainerOptionsBuilder::default().path(dir).build();
        match self
            .docker()
            .upload_to_container(id, Some(opts), bollard::body_full(tar.into()))
            .await
        {
            Ok(()) => Ok(()),
            Err(source) if is_not_found(&source) => Err(EngineError::NoSuchPath {
                container: id.to_string(),
                path: dir.to_string(),
                source,
            }),
            Err(source) => Err(EngineError::Api {
                action: format!("copying into {dir} of container {id}"),
                source,
            }),
        }
    }

    /// `path` of container `id` (a file, or a directory with everything under it) as a tar
    /// archive whose entries are named from its last component. Works on a stopped container
    /// too.
    pub async fn download(&self, id: &str, path: &str) -> Result<Vec<u8>, EngineError> {
        let opts = DownloadFromContainerOptionsBuilder::default()
            .path(path)
            .build();
        let mut stream = self.docker().download_from_container(id, Some(opts));
        let mut tar = Vec::new();
        while let Some(chunk) = stream.next().await {
            match chunk {
                Ok(bytes) => tar.extend_from_slice(&bytes),
                Err(source) if is_not_found(&source) => {
                    return Err(EngineError::NoSuchPath {
                        container: id.to_string(),
                        path: path.to_string(),
                        source,
                    });
                }
                Err(source) => {
                    return Err(EngineError::Api {
                        action: format!("copying {path} out of container {id}"),
                        source,
                    });
                }
            }
        }
        Ok(tar)
    }

    /// Copies the local file or directory `local` into directory `dir` of container `id`,
    /// under its own name (`docker cp LOCAL ID:DIR`).
    pub async fn copy_in(&self, id: &str, local: &Path, dir: &str) -> Result<(), EngineError> {
        let owned = local.to_path_buf();
        // Reading a large tree would hold up the runtime's thread: read on a blocking one.
        let tar = tokio::task::spawn_blocking(move || pack(&owned))
            .await
            .map_err(|e| EngineError::Archive {
                what: local.display().to_string(),
                source: std::io::Error::other(e),
            })??;
        self.upload(id, dir, tar).await
    }

    /// Copies `path` of container `id` into the local directory `dir`, created if missing,
    /// under its own name (`docker cp ID:PATH DIR`). Returns the local path written.
    pub async fn copy_out(&self, id: &str, path: &str, dir: &Path) -> Result<PathBuf, EngineError> {
        let tar = self.download(id, path).await?;
        let what = format!("{path} of container {id}");
        let (owned, what_owned) = (dir.to_path_buf(), what.clone());
        tokio::task::spawn_blocking(move || unpack(&tar, &owned, &what_owned))
            .await
            .map_err(|e| EngineError::Unpack {
                what,
                dir: dir.display().to_string(),
                source: std::io::Error::other(e),
            })?
    }
}

/// The local file or directory `local` as a tar archive holding it under its own name, as the
/// engine's archive API takes it.
pub fn pack(local: &Path) -> Result<Vec<u8>, EngineError> {
    let failed = |source| EngineError::Archive {
        what: local.display().to_string(),
        source,
    };
    // `.` or `dir/..` have no name of their own: take the name of what they point at.
    let resolved = std::fs::canonicalize(local).map_err(failed)?;
    let name = resolved.file_name().ok_or_else(|| {
        failed(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the root directory cannot be copied; name a file or directory under it",
        ))
    })?;
    let mut builder = tar::Builder::new(Vec::new());
    if resolved.is_dir() {
        builder.append_dir_all(name, &resolved).map_err(failed)?;
    } else {
        builder
            .append_path_with_name(&resolved, name)
            .map_err(failed)?;
    }
    builder.into_inner().map_err(failed)
}

/// Unpacks `tar` (what [`Engine::download`] gave for `what`) into `dir`, created if missing,
/// and returns the path of its top entry there. Entries that would land outside `dir` are
/// skipped.
pub fn unpack(tar: &[u8], dir: &Path, what: &str) -> Result<PathBuf, EngineError> {
    let failed = |source| EngineError::Unpack {
        what: what.to_string(),
        dir: dir.display().to_string(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(failed)?;
    let mut top = None;
    let mut archive = tar::Archive::new(tar);
    for entry in archive.entries().map_err(failed)? {
        let mut entry = entry.map_err(failed)?;
        if top.is_none() {
            let path = entry.path().map_err(failed)?;
            top = path.components().find_map(|c| match c {
                Component::Normal(name) => Some(dir.join(name)),
                _ => None,
            });
        }
        entry.unpack_in(dir).map_err(failed)?;
    }
    Ok(top.unwrap_or_else(|| dir.to_path_buf()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_comes_back_under_its_own_name() {
        let from = tempfile::tempdir().unwrap();
        let file = from.path().join("notes.txt");
        std::fs::write(&file, "kept as is\n").unwrap();
        let to = tempfile::tempdir().unwrap();
        let dest = to.path().join("made");
        let written = unpack(&pack(&file).unwrap(), &dest, "notes").unwrap();
        assert_eq!(written, dest.join("notes.txt"));
        assert_eq!(std::fs::read_to_string(&written).unwrap(), "kept as is\n");
    }

    #[test]
    fn a_directory_comes_back_with_everything_under_it() {
        let from = tempfile::tempdir().unwrap();
        let tree = from.path().join("tree");
        std::fs::create_dir_all(tree.join("a/b")).unwrap();
        std::fs::write(tree.join("a/b/leaf"), "deep").unwrap();
        std::fs::write(tree.join("top"), "shallow").unwrap();
        let to = tempfile::tempdir().unwrap();
        let written = unpack(&pack(&tree).unwrap(), to.path(), "tree").unwrap();
        assert_eq!(written, to.path().join("tree"));
        assert_eq!(
            std::fs::read_to_string(written.join("a/b/leaf")).unwrap(),
            "deep"
        );
        assert_eq!(
            std::fs::read_to_string(written.join("top")).unwrap(),
            "shallow"
        );
    }

    #[test]
    fn a_missing_local_path_is_named_in_the_error() {
        let err = pack(Path::new("/no/such/place")).unwrap_err();
        assert_eq!(err.to_string(), "error packing /no/such/place");
    }

    #[test]
    fn entries_climbing_out_of_the_directory_are_not_written() {
        let mut builder = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_gnu();
        header.set_size(4);
        header.set_mode(0o644);
        // `append_data` refuses `..`, so the name goes into the header by hand.
        header.as_gnu_mut().unwrap().name[..12].copy_from_slice(b"../escaped\0\0");
        header.set_cksum();
        builder.append(&header, &b"evil"[..]).unwrap();
        let tar = builder.into_inner().unwrap();
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("inside");
        let _ = unpack(&tar, &dir, "hostile");
        assert!(!root.path().join("escaped").exists());
    }
}
