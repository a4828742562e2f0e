//! The resolved project printed the way `docker compose config` prints it.

use super::model::Project;

/// Output format of [`render_config`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigFormat {
    Yaml,
    Json,
}

/// Renders the resolved project: long forms, absolute paths, profiles applied.
pub fn render_config(project: &Project, format: ConfigFormat) -> String {
    let rendered = match format {
        ConfigFormat::Yaml => serde_saphyr::to_string(project).map_err(|e| e.to_string()),
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
    fn yaml_starts_with_the_name() {
        let yaml = render_config(&project(), ConfigFormat::Yaml);
        assert!(
            yaml.starts_with("name: app\nservices:\n  db:\n    image: postgres\n"),
            "{yaml}"
        );
    }
}
