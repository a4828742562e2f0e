//! Twenty tests, each needing a Redis: how each gets it is SUITE_MODE's choice.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;

use testcontainers::core::{IntoContainerPort, WaitFor};
use testcontainers::runners::AsyncRunner;
use testcontainers::{GenericImage, ImageExt};

/// Sends one inline command to the Redis at `addr`; the reply line.
fn redis(addr: &str, command: &str) -> String {
    let mut conn = TcpStream::connect(addr).unwrap();
    conn.write_all(format!("{command}\r\n").as_bytes()).unwrap();
    let mut line = String::new();
    BufReader::new(conn).read_line(&mut line).unwrap();
    line.trim_end().to_string()
}

/// What a test does with its Redis.
fn exercise(addr: &str, n: u32) {
    assert_eq!(redis(addr, "PING"), "+PONG");
    assert_eq!(redis(addr, &format!("SET key{n} {n}")), "+OK");
    assert_eq!(redis(addr, &format!("GET key{n}")), format!("${}", n.to_string().len()));
}

async fn with_redis(n: u32) {
    match std::env::var("SUITE_MODE").as_deref() {
        Ok("shared") => {
            let stack = dockhand::Stack::builder()
                .file("compose.yml")
                .project_name("suite20")
                .shared()
                .await
                .unwrap();
            exercise(&stack.endpoint("cache", 6379).unwrap().to_string(), n);
        }
        Ok("stack") => {
            let stack = dockhand::Stack::builder()
                .file("compose.yml")
                .project_name("suite20")
                .up()
                .await
                .unwrap();
            exercise(&stack.endpoint("cache", 6379).unwrap().to_string(), n);
            stack.down().await.unwrap();
        }
        Ok("testcontainers") => {
            let container = GenericImage::new("dockhand-fixture/redis", "1")
                .with_exposed_port(6379.tcp())
                .with_wait_for(WaitFor::healthcheck())
                .with_label("com.docker.compose.project", "suite20-testcontainers")
                .start()
                .await
                .unwrap();
            let port = container.get_host_port_ipv4(6379.tcp()).await.unwrap();
            exercise(&format!("127.0.0.1:{port}"), n);
            container.rm().await.unwrap();
        }
        other => panic!("set SUITE_MODE to shared, stack or testcontainers, not {other:?}"),
    }
}

macro_rules! tests {
    ($($name:ident = $n:expr),* $(,)?) => {
        $(#[tokio::test] async fn $name() { with_redis($n).await; })*
    };
}

tests!(
    t01 = 1, t02 = 2, t03 = 3, t04 = 4, t05 = 5, t06 = 6, t07 = 7, t08 = 8, t09 = 9, t10 = 10,
    t11 = 11, t12 = 12, t13 = 13, t14 = 14, t15 = 15, t16 = 16, t17 = 17, t18 = 18, t19 = 19,
    t20 = 20,
);
