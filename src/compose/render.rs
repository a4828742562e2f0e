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
