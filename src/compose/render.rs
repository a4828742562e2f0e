//! The resolved project printed the way `docker compose config` prints it.

use super::model::Project;

/// Output format of [`render_config`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigFormat {
    Yaml,
    Json,
}

/// Renders the resolved project: long forms, absolute paths, profiles applied.
///
/// Like `docker compose config`, YAML never folds or wraps a value: a long path or command
/// stays on one line (multi-line values are still literal `|` blocks).
pub fn render_config(project: &Project, format: ConfigFormat) -> String {
    let rendered = match format {
        ConfigFormat::Yaml => {
            // serde-saphyr folds single-line strings longer than this into `>-` blocks; no
            // string is longer than usize::MAX, so none is folded.
            let options = serde_saphyr::ser_options! { folded_wrap_chars: usize::MAX };
            serde_saphyr::to_string_with_options(project, options).map_err(|e| e.to_string())
        }
        ConfigFormat::Json => serde_json::to_string_pretty(project)
            .map(|s| s + "\n")
            .map_err(|e| e.to_string()),
    };
    rendered.unwrap_or_else(|e| format!("# cannot render the project: {e}\n"))
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
}
