//! What both test binaries share: the stack and a tiny Redis client.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;

use dockhand::SharedStack;

/// The suite's Redis, brought up by the first test that asks in any process of the run and
/// removed a few seconds after the last one is done.
pub async fn stack() -> SharedStack {
    dockhand::Stack::builder()
        .file("compose.yml")
        .project_name("shared-suite")
        .shared()
        .await
        .expect("the suite's Redis comes up")
}

/// Sends one command in Redis' inline protocol; the reply line.
pub fn redis(stack: &SharedStack, command: &str) -> String {
    let addr = stack.endpoint("cache", 6379).unwrap().to_string();
    let mut conn = TcpStream::connect(addr).unwrap();
    conn.write_all(format!("{command}\r\n").as_bytes()).unwrap();
    let mut line = String::new();
    BufReader::new(conn).read_line(&mut line).unwrap();
    line.trim_end().to_string()
}
