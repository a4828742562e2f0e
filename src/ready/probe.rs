//! The probes dockhand runs from the host against a container's address: one try each, bounded
//! by a timeout, speaking just enough of a service's protocol to tell "serving" from "starting",
//! so that readiness needs nothing inside the image.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout_at};

/// A service whose wire protocol dockhand speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// PostgreSQL: a startup message answered with an authentication request.
    Postgres,
    /// MySQL and MariaDB: the server greeting.
    Mysql,
    /// Redis, Valkey, KeyDB: PING answered with PONG (or NOAUTH).
    Redis,
    /// Memcached: `version`.
    Memcached,
    /// MongoDB: a `hello` command answered with ok: 1.
    Mongo,
}

impl Protocol {
    /// The protocol's name as users see it.
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Postgres => "postgres",
            Protocol::Mysql => "mysql",
            Protocol::Redis => "redis",
            Protocol::Memcached => "memcached",
            Protocol::Mongo => "mongo",
        }
    }

    /// The port the service listens on unless told otherwise.
    pub fn default_port(self) -> u16 {
        match self {
            Protocol::Postgres => 5432,
            Protocol::Mysql => 3306,
            Protocol::Redis => 6379,
            Protocol::Memcached => 11211,
            Protocol::Mongo => 27017,
        }
    }
}

/// One way to ask a container, from the host, whether it serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    /// The service's own protocol on a container port.
    Protocol(Protocol, u16),
    /// A TCP connect to a container port succeeds.
    Tcp(u16),
    /// A GET of `path` answers `status`, or any 2xx when `None`.
    Http {
        /// The container port.
        port: u16,
        /// The request path (`/health`).
        path: String,
        /// The status expected; `None` accepts any 2xx.
        status: Option<u16>,
    },
}

impl Probe {
    /// The probe's name as users see it: `postgres protocol`, `tcp 8080`, `http :8080/health`.
    pub fn name(&self) -> String {
        match self {
            Probe::Protocol(p, _) => format!("{} protocol", p.name()),
            Probe::Tcp(port) => format!("tcp {port}"),
            Probe::Http { port, path, .. } => format!("http :{port}{path}"),
        }
    }

    /// The container port the probe connects to.
    pub fn port(&self) -> u16 {
        match self {
            Probe::Protocol(_, port) | Probe::Tcp(port) | Probe::Http { port, .. } => *port,
        }
    }
}

/// Repository names (the last path component, lower case) of images whose protocol dockhand
/// speaks. Exact names only: `redis_exporter` or `redis-sentinel` listen elsewhere and speak
/// something else.
const IMAGES: &[(&str, Protocol)] = &[
    ("postgres", Protocol::Postgres),
    ("postgresql", Protocol::Postgres),
    ("postgis", Protocol::Postgres),
    ("timescale", Protocol::Postgres),
    ("timescaledb", Protocol::Postgres),
    ("timescaledb-ha", Protocol::Postgres),
    ("pgvector", Protocol::Postgres),
    ("mysql", Protocol::Mysql),
    ("mysql-server", Protocol::Mysql),
    ("mariadb", Protocol::Mysql),
    ("percona", Protocol::Mysql),
    ("percona-server", Protocol::Mysql),
    ("redis", Protocol::Redis),
    ("redis-stack", Protocol::Redis),
    ("redis-stack-server", Protocol::Redis),
    ("valkey", Protocol::Redis),
    ("keydb", Protocol::Redis),
    ("memcached", Protocol::Memcached),
    ("mongo", Protocol::Mongo),
    ("mongodb", Protocol::Mongo),
    ("mongodb-community-server", Protocol::Mongo),
    ("mongodb-enterprise-server", Protocol::Mongo),
];

const PROTOCOLS: [Protocol; 5] = [
    Protocol::Postgres,
    Protocol::Mysql,
    Protocol::Redis,
    Protocol::Memcached,
    Protocol::Mongo,
];

/// The built-in protocol for a service, and the port to probe: by the image's repository name
/// with the protocol's default port, else by the first well-known port among `ports` (the
/// container ports it exposes). `None` when nothing matches.
pub fn recognise(image: &str, ports: &[u16]) -> Option<(Protocol, u16)> {
    let name = repository_name(image);
    if let Some((_, protocol)) = IMAGES.iter().find(|(n, _)| *n == name) {
        return Some((*protocol, protocol.default_port()));
    }
    ports.iter().find_map(|port| {
        PROTOCOLS
            .iter()
            .find(|p| p.default_port() == *port)
            .map(|p| (*p, *port))
    })
}

/// `registry:5000/org/postgres:16@sha256:…` -> `postgres`.
fn repository_name(image: &str) -> String {
    let image = image.split('@').next().unwrap_or(image);
    let last = image.rsplit('/').next().unwrap_or(image);
    let last = last.split(':').next().unwrap_or(last);
    last.to_ascii_lowercase()
}

/// Runs `probe` once against the container's address `ip`, connect and answer together
/// bounded by `timeout`: `Ok` when the service is ready, else a short reason (shown to the
/// user when the probe never passes).
pub async fn try_once(probe: &Probe, ip: IpAddr, timeout: Duration) -> Result<(), String> {
    try_once_at(probe, SocketAddr::new(ip, probe.port()), timeout, false).await
}

/// How long a TCP probe through a published port waits to see the connection closed at once.
const PROXY_SETTLE: Duration = Duration::from_millis(250);

/// [`try_once`] against `addr`: the container's own address and port, or, when `published`,
/// the engine host's port the probed one is published on (a container on a remote engine is
/// out of reach otherwise). The engine's port proxy accepts a connection before it knows
/// whether anything listens behind it, then closes it; so through a published port a TCP
/// probe passes only if the connection stays open a moment.
pub async fn try_once_at(
    probe: &Probe,
    addr: SocketAddr,
    timeout: Duration,
    published: bool,
) -> Result<(), String> {
    let deadline = Instant::now() + timeout;
    let mut stream = match timeout_at(deadline, TcpStream::connect(addr)).await {
        Ok(Ok(stream)) => stream,
        Ok(Err(e)) => return Err(reason(&e)),
        Err(_) => return Err(format!("no connection within {timeout:?}")),
    };
    let talk = async {
        match probe {
            Probe::Tcp(_) if published => stays_open(&mut stream).await,
            Probe::Tcp(_) => Ok(()),
            Probe::Protocol(protocol, _) => speak(*protocol, &mut stream).await,
            Probe::Http { path, status, .. } => {
                http(&mut stream, &addr.to_string(), path, *status).await
            }
        }
    };
    match timeout_at(deadline, talk).await {
        Ok(answer) => answer,
        Err(_) => Err(format!("no answer within {timeout:?}")),
    }
}

/// Whether a connection through a published port stays open (or brings data) for a moment,
/// rather than being closed by a proxy with nothing behind it.
async fn stays_open(stream: &mut TcpStream) -> Result<(), String> {
    let mut byte = [0u8; 1];
    match tokio::time::timeout(PROXY_SETTLE, stream.read(&mut byte)).await {
        Err(_) | Ok(Ok(1..)) => Ok(()),
        Ok(Ok(0)) => Err(
            "the connection was closed at once: nothing listens behind the published port yet"
                .into(),
        ),
        Ok(Err(e)) => Err(reason(&e)),
    }
}

/// One exchange in `protocol` over a connected stream.
async fn speak<S>(protocol: Protocol, stream: &mut S) -> Result<(), String>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    match protocol {
        Protocol::Postgres => postgres(stream).await,
        Protocol::Mysql => {
            let payload = mysql_packet(stream).await?;
            mysql_answer(&payload)
        }
        Protocol::Redis => {
            send(stream, b"*1\r\n$4\r\nPING\r\n").await?;
            redis_answer(&read_line(stream).await?)
        }
        Protocol::Memcached => {
            send(stream, b"version\r\n").await?;
            memcached_answer(&read_line(stream).await?)
        }
        Protocol::Mongo => {
            send(stream, &mongo_hello(1)).await?;
            mongo_answer(&mongo_message(stream).await?)
        }
    }
}

/// The most a probe reads of one message; the answers it waits for are far smaller.
const MAX_MESSAGE: usize = 1 << 20;

async fn send<S: AsyncWrite + Unpin>(stream: &mut S, bytes: &[u8]) -> Result<(), String> {
    stream.write_all(bytes).await.map_err(|e| reason(&e))?;
    stream.flush().await.map_err(|e| reason(&e))
}

async fn read_exact<S: AsyncRead + Unpin>(stream: &mut S, len: usize) -> Result<Vec<u8>, String> {
    if len > MAX_MESSAGE {
        return Err(format!(
            "answered a message of {len} bytes, too long to be a reply"
        ));
    }
    let mut buf = vec![0; len];
    stream.read_exact(&mut buf).await.map_err(|e| reason(&e))?;
    Ok(buf)
}

/// The first line of the answer, without its line end.
async fn read_line<S: AsyncRead + Unpin>(stream: &mut S) -> Result<String, String> {
    let mut line = Vec::new();
    BufReader::new(stream)
        .take(8192)
        .read_until(b'\n', &mut line)
        .await
        .map_err(|e| reason(&e))?;
    if line.is_empty() {
        return Err("closed the connection without answering".into());
    }
    Ok(String::from_utf8_lossy(&line).trim_end().to_string())
}

/// An I/O error as a short reason: `connection refused`, not `Connection refused (os error 111)`.
fn reason(e: &io::Error) -> String {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        return "closed the connection before answering".into();
    }
    let text = e.to_string();
    let text = match text.find(" (os error") {
        Some(i) => &text[..i],
        None => &text,
    };
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => format!("{:?}", e.kind()),
    }
}

// PostgreSQL --------------------------------------------------------------------------------

/// SQLSTATE cannot_connect_now: starting up, shutting down or in recovery.
const CANNOT_CONNECT_NOW: &str = "57P03";

/// The v3 StartupMessage for user and database `postgres`.
fn postgres_startup() -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&196_608u32.to_be_bytes()); // protocol 3.0
    for s in ["user", "postgres", "database", "postgres"] {
        body.extend_from_slice(s.as_bytes());
        body.push(0);
    }
    body.push(0);
    let mut msg = ((body.len() + 4) as u32).to_be_bytes().to_vec();
    msg.extend(body);
    msg
}

async fn postgres<S>(stream: &mut S) -> Result<(), String>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    send(stream, &postgres_startup()).await?;
    let head = read_exact(stream, 5).await?;
    let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
    let body = read_exact(stream, len.saturating_sub(4)).await?;
    let answer = postgres_answer(head[0], &body);
    // Once in (AuthenticationOk), a Terminate ends the session cleanly. Asked for a password,
    // the client just leaves: the server logs nothing for that, and would for a Terminate.
    if head[0] == b'R' && body.starts_with(&[0, 0, 0, 0]) {
        let _ = send(stream, &[b'X', 0, 0, 0, 4]).await;
    }
    let _ = stream.shutdown().await;
    answer
}

/// The server's first message, kind and body: an authentication request, or an error other than
/// cannot_connect_now, says it serves.
fn postgres_answer(kind: u8, body: &[u8]) -> Result<(), String> {
    match kind {
        b'R' => Ok(()),
        b'E' => {
            let fields = postgres_error_fields(body);
            let field = |code: u8| {
                fields
                    .iter()
                    .find(|(c, _)| *c == code)
                    .map(|(_, v)| v.as_str())
            };
            if field(b'C') == Some(CANNOT_CONNECT_NOW) {
                Err(format!(
                    "postgres: {}",
                    field(b'M').unwrap_or("cannot connect now")
                ))
            } else {
                Ok(())
            }
        }
        other => Err(format!(
            "postgres answered an unexpected message {:?}",
            other as char
        )),
    }
}

/// The fields of an ErrorResponse body: (field type, value), such as (b'C', "57P03").
fn postgres_error_fields(body: &[u8]) -> Vec<(u8, String)> {
    let mut fields = Vec::new();
    let mut rest = body;
    while let Some((&code, after)) = rest.split_first() {
        if code == 0 {
            break;
        }
        let end = after.iter().position(|b| *b == 0).unwrap_or(after.len());
        fields.push((code, String::from_utf8_lossy(&after[..end]).into_owned()));
        rest = after.get(end + 1..).unwrap_or_default();
    }
    fields
}

// MySQL and MariaDB -------------------------------------------------------------------------

/// The first packet's payload (the server speaks first).
async fn mysql_packet<S: AsyncRead + Unpin>(stream: &mut S) -> Result<Vec<u8>, String> {
    let head = read_exact(stream, 4).await?;
    let len = u32::from_le_bytes([head[0], head[1], head[2], 0]) as usize;
    read_exact(stream, len).await
}

/// A protocol 10 greeting says the server serves; an error packet says why it does not.
fn mysql_answer(payload: &[u8]) -> Result<(), String> {
    match payload.first() {
        Some(10) => Ok(()),
        Some(0xff) => {
            let mut message = payload.get(3..).unwrap_or_default();
            // After the handshake an error carries `#` and a five-character SQLSTATE.
            if message.first() == Some(&b'#') {
                message = message.get(6..).unwrap_or_default();
            }
            Err(format!(
                "mysql: {}",
                String::from_utf8_lossy(message).trim()
            ))
        }
        Some(version) => Err(format!("mysql answered protocol version {version}")),
        None => Err("mysql answered an empty packet".into()),
    }
}

// Redis and Memcached -----------------------------------------------------------------------

/// PONG serves; so does NOAUTH (it needs a password, so it is up). LOADING and the rest do not.
fn redis_answer(line: &str) -> Result<(), String> {
    if line == "+PONG" || line.starts_with("-NOAUTH") {
        Ok(())
    } else if let Some(error) = line.strip_prefix('-') {
        Err(format!("redis answered {error}"))
    } else {
        Err(format!("redis answered {line:?}"))
    }
}

fn memcached_answer(line: &str) -> Result<(), String> {
    if line.starts_with("VERSION ") {
        Ok(())
    } else {
        Err(format!("memcached answered {line:?}"))
    }
}

// MongoDB -----------------------------------------------------------------------------------

const OP_MSG: i32 = 2013;
/// A server before 4.4.2 does not know `hello`; answering that still says it serves.
const COMMAND_NOT_FOUND: f64 = 59.0;

/// An OP_MSG with the body `{hello: 1, $db: "admin"}`.
fn mongo_hello(request_id: i32) -> Vec<u8> {
    let mut elements = Vec::new();
    elements.push(0x10); // int32
    elements.extend_from_slice(b"hello\0");
    elements.extend_from_slice(&1i32.to_le_bytes());
    elements.push(0x02); // string
    elements.extend_from_slice(b"$db\0");
    elements.extend_from_slice(&6i32.to_le_bytes());
    elements.extend_from_slice(b"admin\0");
    let mut msg = Vec::new();
    let len = 16 + 4 + 1 + 4 + elements.len() + 1;
    msg.extend_from_slice(&(len as i32).to_le_bytes());
    msg.extend_from_slice(&request_id.to_le_bytes());
    msg.extend_from_slice(&0i32.to_le_bytes()); // responseTo
    msg.extend_from_slice(&OP_MSG.to_le_bytes());
    msg.extend_from_slice(&0u32.to_le_bytes()); // flagBits
    msg.push(0); // section kind 0: the body
    msg.extend_from_slice(&((elements.len() + 5) as i32).to_le_bytes());
    msg.extend(elements);
    msg.push(0);
    msg
}

/// A whole reply, header included.
async fn mongo_message<S: AsyncRead + Unpin>(stream: &mut S) -> Result<Vec<u8>, String> {
    let mut msg = read_exact(stream, 4).await?;
    let len = i32::from_le_bytes([msg[0], msg[1], msg[2], msg[3]]);
    let rest = usize::try_from(len)
        .ok()
        .and_then(|l| l.checked_sub(4))
        .ok_or_else(|| format!("mongo answered a message of length {len}"))?;
    msg.extend(read_exact(stream, rest).await?);
    Ok(msg)
}

/// The reply's body document has ok: 1.
fn mongo_answer(msg: &[u8]) -> Result<(), String> {
    let int = |at: usize| {
        msg.get(at..at + 4)
            .map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let (Some(op), Some(flags)) = (int(12), int(16)) else {
        return Err("mongo answered a message too short to read".into());
    };
    if op != OP_MSG {
        return Err(format!("mongo answered op code {op}"));
    }
    // With checksumPresent the last four bytes are the checksum, not a section.
    let end = if flags & 1 == 1 {
        msg.len().saturating_sub(4)
    } else {
        msg.len()
    };
    let mut at = 20;
    let body = loop {
        let kind = *msg
            .get(at)
            .filter(|_| at < end)
            .ok_or("mongo answered without a body")?;
        let size = int(at + 1)
            .and_then(|s| usize::try_from(s).ok())
            .unwrap_or(0);
        let section = msg
            .get(at + 1..at + 1 + size)
            .filter(|s| s.len() >= 5)
            .ok_or("mongo answered a malformed section")?;
        if kind == 0 {
            break section;
        }
        at += 1 + size;
    };
    let fields = bson_fields(body).ok_or("mongo answered a malformed document")?;
    let number = |name: &str| {
        fields.iter().find_map(|(n, v)| match v {
            Bson::Number(x) if *n == name => Some(*x),
            _ => None,
        })
    };
    let errmsg = fields.iter().find_map(|(n, v)| match v {
        Bson::Text(s) if *n == "errmsg" => Some(*s),
        _ => None,
    });
    match number("ok") {
        Some(1.0) => Ok(()),
        _ if number("code") == Some(COMMAND_NOT_FOUND) => Ok(()),
        ok => Err(match (errmsg, ok) {
            (Some(e), _) => format!("mongo: {e}"),
            (None, Some(ok)) => format!("mongo answered ok: {ok}"),
            (None, None) => "mongo answered without ok".into(),
        }),
    }
}

/// The value of a top-level BSON field, as far as a probe cares.
#[derive(Debug, PartialEq)]
enum Bson<'a> {
    Number(f64),
    Text(&'a str),
    Other,
}

/// The top-level fields of a BSON document; `None` when it is malformed.
fn bson_fields(doc: &[u8]) -> Option<Vec<(&str, Bson<'_>)>> {
    let int = |at: usize| -> Option<usize> {
        let b = doc.get(at..at + 4)?;
        usize::try_from(i32::from_le_bytes([b[0], b[1], b[2], b[3]])).ok()
    };
    let cstring_end =
        |at: usize| -> Option<usize> { Some(at + doc.get(at..)?.iter().position(|b| *b == 0)?) };
    let total = int(0)?;
    let doc = doc.get(..total)?;
    let mut fields = Vec::new();
    let mut at = 4;
    while at + 1 < total {
        let kind = doc[at];
        let name_end = cstring_end(at + 1)?;
        let name = std::str::from_utf8(&doc[at + 1..name_end]).ok()?;
        at = name_end + 1;
        let fixed = |len: usize| doc.get(at..at + len);
        let (value, len) = match kind {
            0x01 => {
                let b: [u8; 8] = fixed(8)?.try_into().ok()?;
                (Bson::Number(f64::from_le_bytes(b)), 8)
            }
            0x02 => {
                let len = int(at)?;
                let text = doc.get(at + 4..(at + 4 + len).checked_sub(1)?)?;
                (Bson::Text(std::str::from_utf8(text).ok()?), 4 + len)
            }
            0x08 => (Bson::Number(f64::from(*fixed(1)?.first()?)), 1),
            0x10 => {
                let b: [u8; 4] = fixed(4)?.try_into().ok()?;
                (Bson::Number(f64::from(i32::from_le_bytes(b))), 4)
            }
            0x12 => {
                let b: [u8; 8] = fixed(8)?.try_into().ok()?;
                (Bson::Number(i64::from_le_bytes(b) as f64), 8)
            }
            0x03 | 0x04 | 0x0F => (Bson::Other, int(at)?),
            0x0D | 0x0E => (Bson::Other, 4 + int(at)?),
            0x05 => (Bson::Other, 5 + int(at)?),
            0x0C => (Bson::Other, 4 + int(at)? + 12),
            0x06 | 0x0A | 0x7F | 0xFF => (Bson::Other, 0),
            0x07 => (Bson::Other, 12),
            0x09 | 0x11 => (Bson::Other, 8),
            0x13 => (Bson::Other, 16),
            0x0B => {
                let pattern_end = cstring_end(at)?;
                (Bson::Other, cstring_end(pattern_end + 1)? + 1 - at)
            }
            _ => return None,
        };
        fixed(len)?;
        fields.push((name, value));
        at += len;
    }
    Some(fields)
}

// HTTP --------------------------------------------------------------------------------------

async fn http<S>(stream: &mut S, host: &str, path: &str, status: Option<u16>) -> Result<(), String>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    send(stream, &http_request(host, path)?).await?;
    http_answer(&read_line(stream).await?, status)
}

/// A GET of `path` that asks the server to close the connection after its answer.
fn http_request(host: &str, path: &str) -> Result<Vec<u8>, String> {
    if path.bytes().any(|b| b <= b' ' || b == 0x7f) {
        return Err(format!(
            "the path {path:?} holds spaces or control characters"
        ));
    }
    let slash = if path.starts_with('/') { "" } else { "/" };
    Ok(format!(
        "GET {slash}{path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: dockhand\r\nAccept: */*\r\nConnection: close\r\n\r\n"
    )
    .into_bytes())
}

/// The status line answers `wanted`, or any 2xx when `None`.
fn http_answer(status_line: &str, wanted: Option<u16>) -> Result<(), String> {
    let status = http_status(status_line)?;
    let ok = match wanted {
        Some(w) => status == w,
        None => (200..300).contains(&status),
    };
    if ok {
        return Ok(());
    }
    let answered = status_line
        .split_once(' ')
        .map_or(status_line, |(_, rest)| rest);
    match wanted {
        Some(w) => Err(format!("http answered {answered}, wanted {w}")),
        None => Err(format!("http answered {answered}, wanted 2xx")),
    }
}

/// `HTTP/1.1 503 Service Unavailable` -> 503.
fn http_status(line: &str) -> Result<u16, String> {
    let not_http = || format!("answered {line:?}, not HTTP");
    let (version, rest) = line.split_once(' ').ok_or_else(not_http)?;
    if !version.starts_with("HTTP/") {
        return Err(not_http());
    }
    let code = rest.split(' ').next().unwrap_or_default();
    match code.parse::<u16>() {
        Ok(status) if code.len() == 3 && (100..600).contains(&status) => Ok(status),
        _ => Err(not_http()),
    }
}

#[cfg(test)]
mod tests;
