//! `dockhand config`: the resolved project, secrets masked, errors with their position.

use super::support::*;

fn write(dir: &tempfile::TempDir, text: &str) -> String {
    let path = dir.path().join("compose.yml");
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn config_prints_the_resolved_project_with_secrets_masked() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        &dir,
        "services:\n  db:\n    image: postgres:${PG:-15}\n    environment:\n      POSTGRES_PASSWORD: hunter2hunter2\n      DATABASE_URL: postgres://u:hunter2hunter2@db/x\n      PLAIN: visible\n",
    );
    let out = dockhand(&["config", "-f", &file, "-p", "shop"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("name: shop"), "{text}");
    assert!(text.contains("image: postgres:15"), "{text}");
    assert!(text.contains("POSTGRES_PASSWORD: \"****\""), "{text}");
    assert!(text.contains("postgres://u:****@db/x"), "{text}");
    assert!(text.contains("PLAIN: visible"), "{text}");
    assert!(!text.contains("hunter2hunter2"), "{text}");

    let out = dockhand(&["config", "-f", &file, "--no-mask", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("valid JSON");
    assert_eq!(
        json["services"]["db"]["environment"]["POSTGRES_PASSWORD"],
        "hunter2hunter2"
    );

    let out = dockhand(&["config", "-f", &file, "--services"]);
    assert_eq!(stdout(&out), "db\n");
}

#[test]
fn config_errors_name_file_line_and_column_with_a_caret() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        &dir,
        "services:\n  db:\n    image: x\n    ports:\n      - \"70000:80\"\n",
    );
    let out = dockhand(&["config", "-f", &file]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("compose.yml:5:"), "{err}");
    assert!(err.contains("services.db.ports[0]"), "{err}");
    assert!(err.contains("70000"), "{err}");
    assert!(err.contains('^'), "no caret under the value: {err}");
}
