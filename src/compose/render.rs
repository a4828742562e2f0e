//! The resolved project printed the way `docker compose config` prints it.

use std::cell::Cell;

use serde::Serialize;
use serde::ser::SerializeStruct;

use super::model::{BlkioRate, BlkioWeight, Project, ServiceVolume, VolumeKind};

thread_local! {
    /// Set while JSON is rendered: compose-go's block I/O types carry YAML tags but no JSON
    /// tags, so its JSON spells their keys as the Go fields are named (`Path`, `Rate`).
    static GO_FIELD_NAMES: Cell<bool> = const { Cell::new(false) };
}

/// Output format of [`render_config`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigFormat {
    /// YAML, as `docker compose config` prints by default.
    Yaml,
    /// JSON, as `docker compose config --format json` prints.
    Json,
}

/// Renders the resolved project: long forms, absolute paths, profiles applied.
///
/// Like `docker compose config`, YAML never folds or wraps a value: a long path or command
/// stays on one line (multi-line values are still literal `|` blocks).
///
/// As compose does, what compose fills in is printed (engine names of networks, volumes,
/// secrets and configs, the default `Dockerfile`), and every `$` is printed as `$$`, so the
/// output loads again as a compose file with the same values.
pub fn render_config(project: &Project, format: ConfigFormat) -> String {
    let project = &with_defaults(project);
    let rendered = match format {
        ConfigFormat::Yaml => {
            // serde-saphyr folds single-line strings longer than this into `>-` blocks; no
            // string is longer than usize::MAX, so none is folded.
            let options = serde_saphyr::ser_options! { folded_wrap_chars: usize::MAX };
            serde_saphyr::to_string_with_options(project, options).map_err(|e| e.to_string())
        }
        ConfigFormat::Json => {
            GO_FIELD_NAMES.set(true);
            let json = serde_json::to_string_pretty(project);
            GO_FIELD_NAMES.set(false);
            json.map(|s| s + "\n").map_err(|e| e.to_string())
        }
    };
    match rendered {
        // `$` appears only inside keys and values in both formats, never in their syntax.
        Ok(text) => text.replace('$', "$$"),
        Err(e) => format!("# cannot render the project: {e}\n"),
    }
}

/// The project with the values compose prints though the file leaves them out.
fn with_defaults(project: &Project) -> Project {
    let mut p = project.clone();
    let scoped = |key: &str, name: &Option<String>, external: bool| -> Option<String> {
        Some(match (name, external) {
            (Some(n), _) => n.clone(),
            (None, true) => key.to_string(),
            (None, false) => format!("{}_{key}", project.name),
        })
    };
    for (key, n) in &mut p.networks {
        n.name = scoped(key, &n.name, n.external);
    }
    for (key, v) in &mut p.volumes {
        v.name = scoped(key, &v.name, v.external);
    }
    for (key, o) in p.secrets.iter_mut().chain(p.configs.iter_mut()) {
        o.name = scoped(key, &o.name, o.external);
    }
    for secret in p.services.values_mut().flat_map(|s| s.secrets.iter_mut()) {
        if secret.target.is_none() {
            secret.target = Some(format!("/run/secrets/{}", secret.source));
        }
    }
    for port in p.services.values_mut().flat_map(|s| s.ports.iter_mut()) {
        port.mode.get_or_insert_with(|| "ingress".into());
    }
    for build in p.services.values_mut().filter_map(|s| s.build.as_mut()) {
        if build.dockerfile.is_none() && build.dockerfile_inline.is_none() {
            build.dockerfile = Some("Dockerfile".into());
        }
    }
    p
}

/// IPAM subnets as compose prints them: `ipam: {config: [{subnet: ...}]}`.
pub fn ipam<S: serde::Serializer>(subnets: &[String], s: S) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct Pool<'a> {
        subnet: &'a str,
    }
    #[derive(Serialize)]
    struct Ipam<'a> {
        config: Vec<Pool<'a>>,
    }
    Ipam {
        config: subnets.iter().map(|subnet| Pool { subnet }).collect(),
    }
    .serialize(s)
}

/// `path` and the value's key, spelt as compose prints them in the format being rendered.
fn blkio_keys(value: &'static str, go: &'static str) -> (&'static str, &'static str) {
    if GO_FIELD_NAMES.get() {
        ("Path", go)
    } else {
        ("path", value)
    }
}

impl Serialize for BlkioWeight {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (path, weight) = blkio_keys("weight", "Weight");
        let mut st = s.serialize_struct("BlkioWeight", 2)?;
        st.serialize_field(path, &self.path)?;
        st.serialize_field(weight, &self.weight)?;
        st.end()
    }
}

/// The rate as a string of digits, as compose prints a byte size.
impl Serialize for BlkioRate {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (path, rate) = blkio_keys("rate", "Rate");
        let mut st = s.serialize_struct("BlkioRate", 2)?;
        st.serialize_field(path, &self.path)?;
        st.serialize_field(rate, &self.rate.to_string())?;
        st.end()
    }
}

/// A service mount as compose prints it, each kind's options in a section of their own.
#[derive(Serialize)]
pub struct ComposeMount {
    #[serde(rename = "type")]
    kind: VolumeKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<String>,
    target: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    read_only: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    bind: Option<BindOptions>,
    #[serde(skip_serializing_if = "Option::is_none")]
    volume: Option<VolumeOptions>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tmpfs: Option<TmpfsOptions>,
}

#[derive(Serialize)]
struct BindOptions {
    #[serde(skip_serializing_if = "Option::is_none")]
    propagation: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    selinux: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    create_host_path: Option<bool>,
}

#[derive(Serialize)]
struct VolumeOptions {
    #[serde(skip_serializing_if = "Option::is_none")]
    nocopy: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    subpath: Option<String>,
}

#[derive(Serialize)]
struct TmpfsOptions {
    #[serde(skip_serializing_if = "Option::is_none")]
    size: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mode: Option<u32>,
}

impl From<ServiceVolume> for ComposeMount {
    fn from(v: ServiceVolume) -> ComposeMount {
        let bind = (v.bind_propagation.is_some()
            || v.bind_create_host_path.is_some()
            || v.bind_selinux.is_some())
        .then_some(BindOptions {
            propagation: v.bind_propagation,
            selinux: v.bind_selinux,
            create_host_path: v.bind_create_host_path,
        });
        let volume =
            (v.volume_nocopy.is_some() || v.volume_subpath.is_some()).then_some(VolumeOptions {
                nocopy: v.volume_nocopy,
                subpath: v.volume_subpath,
            });
        let tmpfs = (v.tmpfs_size.is_some() || v.tmpfs_mode.is_some()).then_some(TmpfsOptions {
            size: v.tmpfs_size,
            mode: v.tmpfs_mode,
        });
        ComposeMount {
            kind: v.kind,
            source: v.source,
            target: v.target,
            read_only: v.read_only,
            bind,
            volume,
            tmpfs,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::compose::{LoadOptions, load_from_str};

    fn project() -> Project {
        let opts = LoadOptions {
            working_dir: Some("/srv/app".into()),
            environment: Some(HashMap::new()),
            ..LoadOptions::default()
        };
        let text = "x-team: core\nservices:\n  db:\n    image: postgres\n    ports: ['5432']\n    healthcheck: {test: pg_isready, interval: 90s}\n    x-note: hi\n";
        load_from_str("compose.yaml", text, &opts).expect("loads")
    }

    #[test]
    fn json_is_the_resolved_project() {
        let json: serde_json::Value =
            serde_json::from_str(&render_config(&project(), ConfigFormat::Json))
                .expect("valid json");
        assert_eq!(json["name"], "app");
        assert_eq!(json["services"]["db"]["ports"][0]["target"], 5432);
        assert_eq!(
            json["services"]["db"]["healthcheck"]["test"][0],
            "CMD-SHELL"
        );
        assert_eq!(json["services"]["db"]["healthcheck"]["interval"], "1m30s");
        assert_eq!(json["services"]["db"]["x-note"], "hi");
        assert_eq!(json["x-team"], "core");
        assert!(json["networks"]["default"].is_object());
    }

    #[test]
    fn yaml_never_folds_a_long_value() {
        let working_dir = format!("/srv/{}app", "deep/".repeat(30));
        let sentence =
            "a long environment value with spaces that a folding emitter would wrap ".repeat(3);
        let opts = LoadOptions {
            working_dir: Some(working_dir.clone().into()),
            environment: Some(HashMap::new()),
            ..LoadOptions::default()
        };
        let text =
            format!("services:\n  app:\n    build: .\n    environment:\n      LONG: {sentence}\n");
        let project = load_from_str("compose.yaml", &text, &opts).expect("loads");
        let yaml = render_config(&project, ConfigFormat::Yaml);
        assert!(working_dir.len() > 150);
        assert!(
            [": >", ": |", "- >", "- |"]
                .iter()
                .all(|block| !yaml.contains(block)),
            "a block scalar:\n{yaml}"
        );
        assert!(
            yaml.lines()
                .any(|line| line.trim() == format!("context: {working_dir}")),
            "the working folder is not on one line:\n{yaml}"
        );
        assert!(
            yaml.lines()
                .any(|line| line.trim() == format!("LONG: {}", sentence.trim_end())),
            "the long value is not on one line:\n{yaml}"
        );
    }

    #[test]
    fn yaml_starts_with_the_name() {
        let yaml = render_config(&project(), ConfigFormat::Yaml);
        assert!(
            yaml.starts_with("name: app\nservices:\n  db:\n    image: postgres\n"),
            "{yaml}"
        );
    }

    #[test]
    fn durations_print_as_go_prints_them() {
        use std::time::Duration;

        use crate::compose::format_duration;
        let cases = [
            (Duration::from_secs(90), "1m30s"),
            (Duration::from_secs(120), "2m0s"),
            (Duration::from_secs(3600), "1h0m0s"),
            (Duration::from_millis(1500), "1.5s"),
            (Duration::from_millis(500), "500ms"),
            (Duration::from_micros(100), "100µs"),
            (Duration::ZERO, "0s"),
        ];
        for (d, want) in cases {
            assert_eq!(format_duration(d), want);
        }
    }
}
