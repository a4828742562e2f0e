//! Service volume mounts in short syntax (`SOURCE:TARGET[:MODE]`) and long syntax, with bind
//! sources made absolute against the declaring file's folder.

use std::path::Path;

use super::context::{Ctx, index, join};
use super::model::{ServiceVolume, VolumeKind};
use super::yaml::{Node, Value};

/// A container path cleaned as compose cleans it: no trailing `/`, no `.` or doubled `/`.
fn clean_target(target: &str) -> String {
    super::context::normalize(Path::new(target))
        .display()
        .to_string()
}

fn is_path(source: &str) -> bool {
    source.starts_with('.') || source.starts_with('/') || source.starts_with('~')
}

impl Ctx {
    /// A bind source made absolute against `base`; one written absolute is kept as written,
    /// as compose keeps it (`/etc/pihole/` stays so).
    fn bind_source(&self, base: &Path, source: &str) -> String {
        if source.starts_with('/') {
            source.to_string()
        } else {
            self.absolute(base, source).display().to_string()
        }
    }

    /// Parses one short-syntax entry; `base` resolves relative bind sources.
    pub fn parse_volume_short(&self, spec: &str, base: &Path) -> Result<ServiceVolume, String> {
        let parts: Vec<&str> = spec.split(':').collect();
        let (source, target, mode) = match parts.as_slice() {
            [t] => (None, *t, None),
            [s, t] => (Some(*s), *t, None),
            [s, t, m] => (Some(*s), *t, Some(*m)),
            _ => {
                return Err(format!(
                    "invalid volume \"{spec}\": too many colons (expected SOURCE:TARGET[:MODE])"
                ));
            }
        };
        if target.is_empty() {
            return Err(format!("invalid volume \"{spec}\": empty container path"));
        }
        if !target.starts_with('/') {
            return Err(format!(
                "invalid volume \"{spec}\": container path \"{target}\" must be absolute"
            ));
        }
        let target = clean_target(target);
        let target = target.as_str();
        let mut v = match source {
            None => ServiceVolume::new(VolumeKind::Volume, target.to_string()),
            Some("") => return Err(format!("invalid volume \"{spec}\": empty source")),
            Some(s) if is_path(s) => {
                let mut v = ServiceVolume::new(VolumeKind::Bind, target.to_string());
                v.source = Some(self.bind_source(base, s));
                v.bind_create_host_path = Some(true);
                v
            }
            Some(s) => {
                let mut v = ServiceVolume::new(VolumeKind::Volume, target.to_string());
                v.source = Some(s.to_string());
                v
            }
        };
        if let Some(mode) = mode {
            for opt in mode.split(',') {
                match opt {
                    "ro" => v.read_only = true,
                    "rw" => v.read_only = false,
                    // compose keeps the label for named volumes too, under `bind:`.
                    "z" | "Z" => v.bind_selinux = Some(opt.to_string()),
                    "consistent" | "cached" | "delegated" => {}
                    "nocopy" => v.volume_nocopy = Some(true),
                    "shared" | "rshared" | "slave" | "rslave" | "private" | "rprivate" => {
                        v.bind_propagation = Some(opt.to_string())
                    }
                    other => {
                        return Err(format!(
                            "invalid volume \"{spec}\": unknown mode \"{other}\" (use ro, rw, z, Z, nocopy or a propagation mode)"
                        ));
                    }
                }
            }
        }
        Ok(v)
    }

    /// Reads a service's `volumes:`.
    pub fn service_volumes(&mut self, node: &Node, path: &str) -> Vec<ServiceVolume> {
        let items = self.items(node, path);
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let p = index(path, i);
            let base = self.base_dir(item.pos);
            match &item.value {
                Value::Scalar(s) => match self.parse_volume_short(s, &base) {
                    Ok(v) => out.push(v),
                    Err(e) => self.error(item.pos, &p, e),
                },
                Value::Map(_) => {
                    if let Some(v) = self.volume_long(item, &p) {
                        out.push(v);
                    }
                }
                _ => self.error(
                    item.pos,
                    &p,
                    format!("must be a string or a mapping, found {}", item.kind_name()),
                ),
            }
            if let Some(last) = out.last()
                && out[..out.len() - 1].iter().any(|v| v.target == last.target)
            {
                self.error(
                    item.pos,
                    &p,
                    format!("duplicate mount point \"{}\"", last.target),
                );
            }
        }
        out
    }

    fn volume_long(&mut self, item: &Node, p: &str) -> Option<ServiceVolume> {
        let kind = match item.get("type") {
            None => {
                self.error(
                    item.pos,
                    p,
                    "a volume in long syntax needs a type (bind, volume or tmpfs)",
                );
                return None;
            }
            Some(t) => match self.string(t, &join(p, "type")).as_deref() {
                Some("bind") => VolumeKind::Bind,
                Some("volume") => VolumeKind::Volume,
                Some("tmpfs") => VolumeKind::Tmpfs,
                Some("npipe") => VolumeKind::Npipe,
                Some("cluster") => VolumeKind::Cluster,
                Some(other) => {
                    self.error(
                        t.pos,
                        &join(p, "type"),
                        format!("invalid volume type \"{other}\": use bind, volume or tmpfs"),
                    );
                    return None;
                }
                None => return None,
            },
        };
        let target = match item.get("target") {
            Some(t) => self.string(t, &join(p, "target"))?,
            None => {
                self.error(item.pos, p, "a volume in long syntax needs a target");
                return None;
            }
        };
        if !target.starts_with('/') {
            if let Some(t) = item.get("target") {
                self.error(
                    t.pos,
                    &join(p, "target"),
                    format!("container path \"{target}\" must be absolute"),
                );
            }
            return None;
        }
        let mut v = ServiceVolume::new(kind, clean_target(&target));
        for (k, val) in item.map().map(Vec::as_slice).unwrap_or(&[]) {
            let kp = join(p, &k.name);
            match k.name.as_str() {
                "source" => {
                    let Some(s) = self.string(val, &kp) else {
                        continue;
                    };
                    v.source = Some(if kind == VolumeKind::Bind {
                        let base = self.base_dir(val.pos);
                        self.bind_source(&base, &s)
                    } else {
                        s
                    });
                }
                "read_only" => v.read_only = self.bool(val, &kp).unwrap_or(false),
                "bind" => {
                    for (bk, bv) in self.entries(val, &kp) {
                        let bp = join(&kp, &bk.name);
                        match bk.name.as_str() {
                            "propagation" => v.bind_propagation = self.string(bv, &bp),
                            "create_host_path" => v.bind_create_host_path = self.bool(bv, &bp),
                            "selinux" => {
                                v.bind_selinux = self.string(bv, &bp);
                                self.ignored("bind mount", "selinux");
                            }
                            other => self.ignored("bind mount", other),
                        }
                    }
                }
                "volume" => {
                    for (bk, bv) in self.entries(val, &kp) {
                        let bp = join(&kp, &bk.name);
                        match bk.name.as_str() {
                            "nocopy" => v.volume_nocopy = self.bool(bv, &bp),
                            "subpath" => v.volume_subpath = self.string(bv, &bp),
                            other => self.ignored("volume mount", other),
                        }
                    }
                }
                "tmpfs" => {
                    for (bk, bv) in self.entries(val, &kp) {
                        let bp = join(&kp, &bk.name);
                        match bk.name.as_str() {
                            "size" => v.tmpfs_size = self.size(bv, &bp),
                            "mode" => v.tmpfs_mode = self.mode(bv, &bp),
                            other => self.ignored("tmpfs mount", other),
                        }
                    }
                }
                "type" | "target" => {}
                other => self.ignored("volume mount", other),
            }
        }
        if kind == VolumeKind::Bind && v.source.is_none() {
            self.error(item.pos, p, "a bind mount needs a source");
            return None;
        }
        Some(v)
    }
}
