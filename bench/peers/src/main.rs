//! One Redis brought up, pinged over TCP and torn down, by dockhand's library and by
//! testcontainers (on the default bridge, and on a network of its own like a compose project's),
//! interleaved in one process; prints per-round wall times, medians and the ratios to dockhand.
//!
//! Usage: dockhand-bench-peers [ROUNDS] (default 10; also BENCH_ROUNDS). Run from the repository
//! root (bench/peers/run.sh does), or set BENCH_COMPOSE_FILE to the compose file's path.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use bollard::Docker;
use bollard::query_parameters::{
    ListContainersOptionsBuilder, ListNetworksOptionsBuilder, ListVolumesOptionsBuilder,
};
use testcontainers::core::{IntoContainerPort, WaitFor};
use testcontainers::runners::AsyncRunner;
use testcontainers::{GenericImage, ImageExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

type Error = Box<dyn std::error::Error + Send + Sync>;

const IMAGE: &str = "dockhand-fixture/redis";
const TAG: &str = "1";
const REDIS_PORT: u16 = 6379;

/// Wall time of one round, split into phases.
#[derive(Debug, Clone, Copy)]
struct Round {
    /// Up to ready (healthcheck healthy) and the host port known.
    up: Duration,
    /// Connect, PING, read +PONG.
    ping: Duration,
    /// Teardown until the engine has removed everything.
    down: Duration,
}

impl Round {
    fn total(&self) -> Duration {
        self.up + self.ping + self.down
    }
}

/// A real Redis round trip: connect, `PING`, expect `+PONG`.
async fn redis_ping(addr: &str) -> Result<(), Error> {
    let fut = async {
        let mut s = TcpStream::connect(addr).await?;
        s.set_nodelay(true)?;
        s.write_all(b"PING\r\n").await?;
        let mut buf = Vec::with_capacity(16);
        let mut chunk = [0u8; 64];
        while !buf.ends_with(b"\r\n") {
            let n = s.read(&mut chunk).await?;
            if n == 0 {
                return Err::<(), Error>(format!("{addr}: connection closed after {buf:?}").into());
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        if buf != b"+PONG\r\n" {
            return Err(format!(
                "{addr}: expected +PONG, got {:?}",
                String::from_utf8_lossy(&buf)
            )
            .into());
        }
        Ok(())
    };
    tokio::time::timeout(Duration::from_secs(10), fut)
        .await
        .map_err(|_| format!("{addr}: no PONG within 10 s"))?
}

fn label_filter(labels: &[(&str, &str)]) -> HashMap<String, Vec<String>> {
    HashMap::from([(
        "label".to_string(),
        labels.iter().map(|(k, v)| format!("{k}={v}")).collect(),
    )])
}

/// Fails if any container, network or volume dockhand labelled for `project` is still there.
async fn check_dockhand_gone(docker: &Docker, project: &str) -> Result<(), Error> {
    let f = label_filter(&[
        ("io.dockhand.managed", "true"),
        ("com.docker.compose.project", project),
    ]);
    let containers = docker
        .list_containers(Some(
            ListContainersOptionsBuilder::default()
                .all(true)
                .filters(&f)
                .build(),
        ))
        .await?;
    let networks = docker
        .list_networks(Some(
            ListNetworksOptionsBuilder::default().filters(&f).build(),
        ))
        .await?;
    let volumes = docker
        .list_volumes(Some(
            ListVolumesOptionsBuilder::default().filters(&f).build(),
        ))
        .await?
        .volumes
        .unwrap_or_default();
    if !containers.is_empty() || !networks.is_empty() || !volumes.is_empty() {
        return Err(format!(
            "LEFTOVER after dockhand down of project {project}: containers {:?}, networks {:?}, volumes {:?}",
            containers.iter().map(|c| c.id.clone().unwrap_or_default()).collect::<Vec<_>>(),
            networks.iter().map(|n| n.name.clone().unwrap_or_default()).collect::<Vec<_>>(),
            volumes.iter().map(|v| v.name.clone()).collect::<Vec<_>>(),
        )
        .into());
    }
    Ok(())
}

/// Fails if the container `id` still exists.
async fn check_container_gone(docker: &Docker, id: &str) -> Result<(), Error> {
    match docker.inspect_container(id, None).await {
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 404, ..
        }) => Ok(()),
        Ok(c) => Err(format!(
            "LEFTOVER after testcontainers rm: container {id} still exists (state {:?})",
            c.state.and_then(|s| s.status)
        )
        .into()),
        Err(e) => Err(format!("inspecting {id}: {e}").into()),
    }
}

/// Fails if the network `name` still exists.
async fn check_network_gone(docker: &Docker, name: &str) -> Result<(), Error> {
    match docker
        .inspect_network(
            name,
            None::<bollard::query_parameters::InspectNetworkOptions>,
        )
        .await
    {
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 404, ..
        }) => Ok(()),
        Ok(_) => {
            Err(format!("LEFTOVER after testcontainers rm: network {name} still exists").into())
        }
        Err(e) => Err(format!("inspecting network {name}: {e}").into()),
    }
}

async fn round_dockhand(docker: &Docker, compose_file: &str) -> Result<Round, Error> {
    let t0 = Instant::now();
    let stack = dockhand::Stack::builder().file(compose_file).up().await?;
    let addr = stack.endpoint("cache", REDIS_PORT)?.to_string();
    let t1 = Instant::now();
    redis_ping(&addr).await?;
    let t2 = Instant::now();
    let project = stack.project().to_string();
    stack.down().await?;
    let t3 = Instant::now();
    check_dockhand_gone(docker, &project).await?;
    Ok(Round {
        up: t1 - t0,
        ping: t2 - t1,
        down: t3 - t2,
    })
}

/// testcontainers' default puts the container on the engine's default bridge; with `own_network`
/// it gets a network of its own, created before and removed after, as a compose project does.
async fn round_testcontainers(docker: &Docker, own_network: bool) -> Result<Round, Error> {
    let network = format!("dockhand-bench-tc-{}", std::process::id());
    let t0 = Instant::now();
    // The image's HEALTHCHECK is what dockhand waits for; testcontainers waits for the same
    // (both poll the engine every 100 ms).
    let image = GenericImage::new(IMAGE, TAG)
        .with_exposed_port(REDIS_PORT.tcp())
        .with_wait_for(WaitFor::healthcheck());
    let container = if own_network {
        image.with_network(network.clone()).start().await?
    } else {
        image.start().await?
    };
    let port = container.get_host_port_ipv4(REDIS_PORT.tcp()).await?;
    let host = container.get_host().await?;
    let addr = format!("{host}:{port}");
    let t1 = Instant::now();
    redis_ping(&addr).await?;
    let t2 = Instant::now();
    let id = container.id().to_string();
    // Also drops the network testcontainers created, if any.
    container.rm().await?;
    let t3 = Instant::now();
    check_container_gone(docker, &id).await?;
    if own_network {
        check_network_gone(docker, &network).await?;
    }
    Ok(Round {
        up: t1 - t0,
        ping: t2 - t1,
        down: t3 - t2,
    })
}

#[derive(Debug, Clone, Copy)]
enum Way {
    Dockhand,
    Testcontainers,
    TestcontainersNet,
}

impl Way {
    fn name(self) -> &'static str {
        match self {
            Way::Dockhand => "dockhand",
            Way::Testcontainers => "testcontainers",
            Way::TestcontainersNet => "testcontainers+network",
        }
    }

    async fn round(self, docker: &Docker, compose_file: &str) -> Result<Round, Error> {
        match self {
            Way::Dockhand => round_dockhand(docker, compose_file).await,
            Way::Testcontainers => round_testcontainers(docker, false).await,
            Way::TestcontainersNet => round_testcontainers(docker, true).await,
        }
        .map_err(|e| format!("{}: {e}", self.name()).into())
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let rounds: usize = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("BENCH_ROUNDS").ok())
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(10);
    if rounds == 0 {
        return Err("ROUNDS must be at least 1".into());
    }
    let compose_file =
        std::env::var("BENCH_COMPOSE_FILE").unwrap_or_else(|_| "compose/redis.yml".to_string());
    if !std::path::Path::new(&compose_file).is_file() {
        return Err(format!("{compose_file} not found: run from the repository root").into());
    }

    let docker = Docker::connect_with_defaults()?;
    // Nothing may be pulled: the image has to be here already.
    docker
        .inspect_image(&format!("{IMAGE}:{TAG}"))
        .await
        .map_err(|e| {
            format!("{IMAGE}:{TAG} is not on this engine ({e}); run fixtures/images/build.sh")
        })?;

    let ways = [Way::Dockhand, Way::Testcontainers, Way::TestcontainersNet];
    // One untimed round of each first: client set-up, page cache, the engine's first network.
    for way in ways {
        way.round(&docker, &compose_file).await?;
    }

    let mut results: Vec<Vec<Round>> = vec![Vec::with_capacity(rounds); ways.len()];
    print!("round");
    for way in ways {
        print!("  {:>40}", format!("{} ms (up/ping/down)", way.name()));
    }
    println!();
    for i in 0..rounds {
        // Rotate who goes first, so no way always runs right after the same other's teardown.
        for k in 0..ways.len() {
            let w = (i + k) % ways.len();
            results[w].push(ways[w].round(&docker, &compose_file).await?);
        }
        print!("{:>5}", i + 1);
        for r in &results {
            let r = r[i];
            print!(
                "  {:>40}",
                format!(
                    "{:.0} ({:.0}/{:.1}/{:.0})",
                    ms(r.total()),
                    ms(r.up),
                    ms(r.ping),
                    ms(r.down)
                )
            );
        }
        println!();
    }

    let med = |v: &[Round], f: fn(&Round) -> Duration| median(v.iter().map(|r| ms(f(r))).collect());
    let phases: [(&str, fn(&Round) -> Duration); 4] = [
        ("total", |r| r.total()),
        ("up (to healthy, port known)", |r| r.up),
        ("PING round trip", |r| r.ping),
        ("down (all removed)", |r| r.down),
    ];
    println!();
    println!("medians over {rounds} rounds, ms (ratio: that way / dockhand):");
    print!("| |");
    for way in ways {
        print!(" {} |", way.name());
    }
    println!();
    println!("|---|{}", "---:|".repeat(ways.len()));
    for (name, f) in phases {
        let base = med(&results[0], f);
        print!("| {name} | {base:.1} |");
        for r in &results[1..] {
            let m = med(r, f);
            print!(" {m:.1} ({:.2}) |", m / base);
        }
        println!();
    }
    for (w, r) in results.iter().enumerate().skip(1) {
        let per_round: Vec<f64> = results[0]
            .iter()
            .zip(r)
            .map(|(d, t)| ms(t.total()) / ms(d.total()))
            .collect();
        let (lo, hi) = per_round
            .iter()
            .fold((f64::MAX, f64::MIN), |(lo, hi), &x| (lo.min(x), hi.max(x)));
        println!(
            "{} / dockhand, per-round ratio of totals: median {:.2}, min {lo:.2}, max {hi:.2}",
            ways[w].name(),
            median(per_round)
        );
    }
    println!("leftover check after every round: nothing left on the engine");
    Ok(())
}
