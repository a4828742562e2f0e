//! Feeds arbitrary bytes to the compose loader as a compose file: it must return a project or
//! an error, never panic, and render what it loads.
#![no_main]

use std::collections::HashMap;

use dockhand::compose::{ConfigFormat, LoadOptions, load_from_str, render_config};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let env: HashMap<String, String> = [("TAG", "1"), ("EMPTY", ""), ("HOME", "/home/fuzz")]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let opts = LoadOptions {
        working_dir: Some("/nonexistent/dockhand-fuzz".into()),
        environment: Some(env),
        ..LoadOptions::default()
    };
    match load_from_str("compose.yaml", text, &opts) {
        Ok(project) => {
            let _ = render_config(&project, ConfigFormat::Yaml);
            let _ = render_config(&project, ConfigFormat::Json);
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
