//! Loads a generated 200-service compose file (extends, interpolation, anchors, an override
//! file and a .env) repeatedly and reports the mean load time. Run: `cargo bench --bench compose_load`.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use dockhand::compose::{LoadOptions, load};

const SERVICES: usize = 200;
const ROUNDS: u32 = 50;

fn compose_file() -> String {
    let mut s = String::from(
        "name: bench\nx-common: &common\n  restart: unless-stopped\n  labels:\n    team: bench\n\nservices:\n  base:\n    image: registry.example/base:${TAG:-latest}\n    environment:\n      LOG_LEVEL: ${LOG_LEVEL:-info}\n    healthcheck:\n      test: [\"CMD\", \"true\"]\n      interval: 1m30s\n",
    );
    for i in 0..SERVICES {
        let _ = write!(
            s,
            "  svc{i}:\n    <<: *common\n    extends: base\n    image: registry.example/svc{i}:${{TAG}}\n    command: run --id {i} --name \"svc {i}\"\n    environment:\n      - INDEX={i}\n      - DB_URL=postgres://${{DB_USER:-app}}:${{DB_PASS}}@db{i}:5432/app\n    ports:\n      - \"{}:80\"\n    volumes:\n      - ./data/{i}:/data\n      - shared:/shared:ro\n    depends_on:\n{}    networks: [back]\n",
            10000 + i,
            if i > 0 {
                format!("      svc{}:\n        condition: service_started\n", i - 1)
            } else {
                String::new()
            },
        );
    }
    s.push_str("volumes:\n  shared:\nnetworks:\n  back:\n");
    s
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("compose.yaml"), compose_file()).expect("write compose file");
    std::fs::write(
        dir.path().join("compose.override.yaml"),
        "services:\n  svc0:\n    environment:\n      EXTRA: \"1\"\n",
    )
    .expect("write override");
    std::fs::write(dir.path().join(".env"), "TAG=1.0\nDB_PASS=secret\n").expect("write .env");
    let opts = LoadOptions {
        files: vec!["compose.yaml".into(), "compose.override.yaml".into()],
        working_dir: Some(dir.path().to_path_buf()),
        environment: Some(HashMap::new()),
        ..LoadOptions::default()
    };
    let project = load(&opts).expect("the generated project loads");
    assert_eq!(project.services.len(), SERVICES + 1);
    let mut total = Duration::ZERO;
    let mut best = Duration::MAX;
    for _ in 0..ROUNDS {
        let start = Instant::now();
        let p = load(&opts).expect("loads");
        let took = start.elapsed();
        std::hint::black_box(p);
        total += took;
        best = best.min(took);
    }
    let mean = total / ROUNDS;
    println!(
        "compose_load: {} services, {ROUNDS} rounds: mean {:.2} ms, best {:.2} ms",
        SERVICES + 1,
        mean.as_secs_f64() * 1000.0,
        best.as_secs_f64() * 1000.0
    );
}
