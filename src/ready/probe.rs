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
        port: u16,
        path: String,
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

/// Runs `probe` once against `ip`, connect and answer together bounded by `timeout`: `Ok` when
/// the service is ready, else a short reason (shown to the user when the probe never passes).
pub async fn try_once(probe: &Probe, ip: IpAddr, timeout: Duration) -> Result<(), String> {
    let deadline = Instant::now() + timeout;
    let addr = SocketAddr::new(ip, probe.port());
    let mut stream = match timeout_at(deadline, TcpStream::connect(addr)).await {
        Ok(Ok(stream)) => stream,
        Ok(Err(e)) => return Err(reason(&e)),
        Err(_) => return Err(format!("no connection within {timeout:?}")),
    };
    let talk = async {
        match probe {
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
mod tests {
    use super::*;

    /// A postgres message: kind, length, body.
    fn pg(kind: u8, body: &[u8]) -> Vec<u8> {
        let mut msg = vec![kind];
        msg.extend_from_slice(&((body.len() + 4) as u32).to_be_bytes());
        msg.extend_from_slice(body);
        msg
    }

    fn pg_error(code: &str, message: &str) -> Vec<u8> {
        let mut body = Vec::new();
        for (field, value) in [(b'S', "FATAL"), (b'C', code), (b'M', message)] {
            body.push(field);
            body.extend_from_slice(value.as_bytes());
            body.push(0);
        }
        body.push(0);
        body
    }

    /// A BSON document from raw elements.
    fn doc(elements: &[u8]) -> Vec<u8> {
        let mut d = ((elements.len() + 5) as i32).to_le_bytes().to_vec();
        d.extend_from_slice(elements);
        d.push(0);
        d
    }

    fn element(kind: u8, name: &str, value: &[u8]) -> Vec<u8> {
        let mut e = vec![kind];
        e.extend_from_slice(name.as_bytes());
        e.push(0);
        e.extend_from_slice(value);
        e
    }

    fn string(s: &str) -> Vec<u8> {
        let mut v = ((s.len() + 1) as i32).to_le_bytes().to_vec();
        v.extend_from_slice(s.as_bytes());
        v.push(0);
        v
    }

    /// An OP_MSG reply around `body`.
    fn op_msg(body: &[u8]) -> Vec<u8> {
        let mut msg = ((16 + 4 + 1 + body.len()) as i32).to_le_bytes().to_vec();
        msg.extend_from_slice(&7i32.to_le_bytes());
        msg.extend_from_slice(&1i32.to_le_bytes());
        msg.extend_from_slice(&OP_MSG.to_le_bytes());
        msg.extend_from_slice(&0u32.to_le_bytes());
        msg.push(0);
        msg.extend_from_slice(body);
        msg
    }

    #[test]
    fn postgres_startup_is_protocol_3_for_user_and_database_postgres() {
        let mut want = vec![0, 0, 0, 41, 0, 3, 0, 0];
        want.extend_from_slice(b"user\0postgres\0database\0postgres\0\0");
        assert_eq!(postgres_startup(), want);
    }

    #[test]
    fn postgres_error_fields_are_read_to_the_terminator() {
        let fields =
            postgres_error_fields(&pg_error("57P03", "the database system is starting up"));
        assert_eq!(
            fields,
            vec![
                (b'S', "FATAL".to_string()),
                (b'C', "57P03".to_string()),
                (b'M', "the database system is starting up".to_string()),
            ]
        );
        assert_eq!(
            postgres_error_fields(b"Mtruncated"),
            vec![(b'M', "truncated".into())]
        );
    }

    #[test]
    fn postgres_is_ready_on_an_auth_request_or_any_error_but_starting_up() {
        assert_eq!(postgres_answer(b'R', &0u32.to_be_bytes()), Ok(()));
        assert_eq!(postgres_answer(b'R', &10u32.to_be_bytes()), Ok(()));
        // No pg_hba entry, unknown database: the server serves, the client is refused.
        assert_eq!(
            postgres_answer(b'E', &pg_error("28000", "no pg_hba.conf entry")),
            Ok(())
        );
        assert_eq!(
            postgres_answer(
                b'E',
                &pg_error("57P03", "the database system is starting up")
            ),
            Err("postgres: the database system is starting up".into())
        );
        assert_eq!(
            postgres_answer(b'N', b""),
            Err("postgres answered an unexpected message 'N'".into())
        );
    }

    #[tokio::test]
    async fn postgres_exchange_ends_an_accepted_session_with_terminate() {
        let (mut client, mut server) = tokio::io::duplex(1024);
        let fake = tokio::spawn(async move {
            let mut startup = vec![0; postgres_startup().len()];
            server.read_exact(&mut startup).await.unwrap();
            server
                .write_all(&pg(b'R', &0u32.to_be_bytes()))
                .await
                .unwrap();
            let mut rest = Vec::new();
            server.read_to_end(&mut rest).await.unwrap();
            (startup, rest)
        });
        assert_eq!(speak(Protocol::Postgres, &mut client).await, Ok(()));
        drop(client);
        let (startup, rest) = fake.await.unwrap();
        assert_eq!(startup, postgres_startup());
        assert_eq!(rest, vec![b'X', 0, 0, 0, 4]);
    }

    #[tokio::test]
    async fn postgres_exchange_reports_starting_up() {
        let (mut client, mut server) = tokio::io::duplex(1024);
        tokio::spawn(async move {
            let mut startup = vec![0; postgres_startup().len()];
            server.read_exact(&mut startup).await.unwrap();
            let reply = pg(
                b'E',
                &pg_error("57P03", "the database system is starting up"),
            );
            server.write_all(&reply).await.unwrap();
        });
        assert_eq!(
            speak(Protocol::Postgres, &mut client).await,
            Err("postgres: the database system is starting up".into())
        );
    }

    #[test]
    fn mysql_greeting_is_ready_and_an_error_packet_is_not() {
        let mut greeting = vec![10];
        greeting.extend_from_slice(b"8.0.36\0");
        greeting.extend_from_slice(&[1, 0, 0, 0]);
        assert_eq!(mysql_answer(&greeting), Ok(()));

        let mut error = vec![0xff, 0x10, 0x04];
        error.extend_from_slice(b"Too many connections");
        assert_eq!(
            mysql_answer(&error),
            Err("mysql: Too many connections".into())
        );

        let mut with_state = vec![0xff, 0x15, 0x04];
        with_state.extend_from_slice(b"#28000Access denied");
        assert_eq!(
            mysql_answer(&with_state),
            Err("mysql: Access denied".into())
        );

        assert_eq!(
            mysql_answer(&[9]),
            Err("mysql answered protocol version 9".into())
        );
    }

    #[tokio::test]
    async fn mysql_exchange_reads_the_first_packet() {
        let (mut client, mut server) = tokio::io::duplex(1024);
        tokio::spawn(async move {
            let payload = b"\x0a5.5.5-10.11.6-MariaDB\0";
            let mut packet = vec![payload.len() as u8, 0, 0, 0];
            packet.extend_from_slice(payload);
            server.write_all(&packet).await.unwrap();
        });
        assert_eq!(speak(Protocol::Mysql, &mut client).await, Ok(()));
    }

    #[test]
    fn redis_pong_and_noauth_are_ready_loading_is_not() {
        assert_eq!(redis_answer("+PONG"), Ok(()));
        assert_eq!(redis_answer("-NOAUTH Authentication required."), Ok(()));
        assert_eq!(
            redis_answer("-LOADING Redis is loading the dataset in memory"),
            Err("redis answered LOADING Redis is loading the dataset in memory".into())
        );
        assert_eq!(redis_answer("$-1"), Err("redis answered \"$-1\"".into()));
    }

    #[tokio::test]
    async fn redis_exchange_sends_ping() {
        let (mut client, mut server) = tokio::io::duplex(1024);
        let fake = tokio::spawn(async move {
            let mut ping = vec![0; 14];
            server.read_exact(&mut ping).await.unwrap();
            server.write_all(b"+PONG\r\n").await.unwrap();
            ping
        });
        assert_eq!(speak(Protocol::Redis, &mut client).await, Ok(()));
        assert_eq!(fake.await.unwrap(), b"*1\r\n$4\r\nPING\r\n");
    }

    #[test]
    fn memcached_version_is_ready() {
        assert_eq!(memcached_answer("VERSION 1.6.18"), Ok(()));
        assert_eq!(
            memcached_answer("ERROR"),
            Err("memcached answered \"ERROR\"".into())
        );
    }

    #[test]
    fn mongo_hello_is_an_op_msg_on_admin() {
        let msg = mongo_hello(42);
        assert_eq!(
            i32::from_le_bytes(msg[0..4].try_into().unwrap()) as usize,
            msg.len()
        );
        assert_eq!(i32::from_le_bytes(msg[4..8].try_into().unwrap()), 42);
        assert_eq!(i32::from_le_bytes(msg[8..12].try_into().unwrap()), 0);
        assert_eq!(i32::from_le_bytes(msg[12..16].try_into().unwrap()), OP_MSG);
        assert_eq!(&msg[16..21], &[0, 0, 0, 0, 0]);
        let mut body = element(0x10, "hello", &1i32.to_le_bytes());
        body.extend(element(0x02, "$db", &string("admin")));
        assert_eq!(&msg[21..], doc(&body).as_slice());
        assert_eq!(
            bson_fields(&msg[21..]).unwrap(),
            vec![("hello", Bson::Number(1.0)), ("$db", Bson::Text("admin"))]
        );
    }

    #[test]
    fn mongo_reply_with_ok_1_is_ready_after_fields_of_every_shape() {
        let mut body = element(0x08, "isWritablePrimary", &[1]);
        body.extend(element(
            0x03,
            "topologyVersion",
            &doc(&element(0x07, "processId", &[7; 12])),
        ));
        body.extend(element(
            0x04,
            "saslSupportedMechs",
            &doc(&element(0x02, "0", &string("SCRAM-SHA-256"))),
        ));
        body.extend(element(0x09, "localTime", &[0; 8]));
        body.extend(element(0x12, "maxWireVersion", &21i64.to_le_bytes()));
        body.extend(element(0x05, "bin", &[2, 0, 0, 0, 0, 9, 9]));
        body.extend(element(0x0A, "nothing", &[]));
        body.extend(element(0x0B, "re", b"a.*\0i\0"));
        body.extend(element(0x01, "ok", &1f64.to_le_bytes()));
        assert_eq!(mongo_answer(&op_msg(&doc(&body))), Ok(()));
    }

    #[test]
    fn mongo_reply_without_ok_1_is_not_ready() {
        let mut body = element(0x01, "ok", &0f64.to_le_bytes());
        body.extend(element(0x02, "errmsg", &string("node is recovering")));
        body.extend(element(0x10, "code", &91i32.to_le_bytes()));
        assert_eq!(
            mongo_answer(&op_msg(&doc(&body))),
            Err("mongo: node is recovering".into())
        );
        let zero = doc(&element(0x10, "ok", &0i32.to_le_bytes()));
        assert_eq!(
            mongo_answer(&op_msg(&zero)),
            Err("mongo answered ok: 0".into())
        );
        // An old server that does not know hello still serves.
        let mut old = element(0x01, "ok", &0f64.to_le_bytes());
        old.extend(element(0x10, "code", &59i32.to_le_bytes()));
        assert_eq!(mongo_answer(&op_msg(&doc(&old))), Ok(()));
        // A legacy OP_REPLY, a truncated document.
        let mut reply = op_msg(&zero);
        reply[12..16].copy_from_slice(&1i32.to_le_bytes());
        assert_eq!(mongo_answer(&reply), Err("mongo answered op code 1".into()));
        let mut cut = op_msg(&doc(&element(0x01, "ok", &1f64.to_le_bytes())));
        cut.truncate(cut.len() - 3);
        assert!(mongo_answer(&cut).is_err());
    }

    #[tokio::test]
    async fn mongo_exchange_reads_a_whole_reply() {
        let (mut client, mut server) = tokio::io::duplex(4096);
        tokio::spawn(async move {
            let mut hello = vec![0; mongo_hello(1).len()];
            server.read_exact(&mut hello).await.unwrap();
            let body = doc(&element(0x01, "ok", &1f64.to_le_bytes()));
            server.write_all(&op_msg(&body)).await.unwrap();
        });
        assert_eq!(speak(Protocol::Mongo, &mut client).await, Ok(()));
    }

    #[test]
    fn http_status_line_is_parsed() {
        assert_eq!(http_status("HTTP/1.1 200 OK"), Ok(200));
        assert_eq!(http_status("HTTP/1.0 503 Service Unavailable"), Ok(503));
        assert_eq!(http_status("HTTP/1.1 204"), Ok(204));
        assert!(http_status("SSH-2.0-OpenSSH_9.6").is_err());
        assert!(http_status("HTTP/1.1 2000 OK").is_err());
        assert!(http_status("").is_err());
    }

    #[test]
    fn http_status_must_match_or_be_2xx() {
        assert_eq!(http_answer("HTTP/1.1 204 No Content", None), Ok(()));
        assert_eq!(http_answer("HTTP/1.1 404 Not Found", Some(404)), Ok(()));
        assert_eq!(
            http_answer("HTTP/1.1 503 Service Unavailable", None),
            Err("http answered 503 Service Unavailable, wanted 2xx".into())
        );
        assert_eq!(
            http_answer("HTTP/1.1 200 OK", Some(204)),
            Err("http answered 200 OK, wanted 204".into())
        );
    }

    #[test]
    fn http_request_closes_and_refuses_a_path_that_would_break_it() {
        let request = String::from_utf8(http_request("10.0.0.2:8080", "/health").unwrap()).unwrap();
        assert_eq!(
            request,
            "GET /health HTTP/1.1\r\nHost: 10.0.0.2:8080\r\nUser-Agent: dockhand\r\nAccept: */*\r\nConnection: close\r\n\r\n"
        );
        assert!(
            http_request("h", "health")
                .unwrap()
                .starts_with(b"GET /health ")
        );
        assert!(http_request("h", "/a b").is_err());
        assert!(http_request("h", "/a\r\nX: y").is_err());
    }

    #[test]
    fn recognise_by_image_name_then_by_port() {
        use Protocol::*;
        type Case<'a> = (&'a str, &'a [u16], Option<(Protocol, u16)>);
        let cases: &[Case] = &[
            ("postgres:16", &[], Some((Postgres, 5432))),
            (
                "dockhand-fixture/postgres:1",
                &[5432],
                Some((Postgres, 5432)),
            ),
            (
                "registry.example.com:5000/team/postgis/postgis:16-3.4",
                &[],
                Some((Postgres, 5432)),
            ),
            (
                "timescale/timescaledb:latest-pg16",
                &[],
                Some((Postgres, 5432)),
            ),
            ("mysql:8@sha256:0123abcd", &[], Some((Mysql, 3306))),
            ("MariaDB:11", &[], Some((Mysql, 3306))),
            ("percona/percona-server:8.0", &[], Some((Mysql, 3306))),
            ("redis:7-alpine", &[], Some((Redis, 6379))),
            ("valkey/valkey:8", &[], Some((Redis, 6379))),
            ("eqalpha/keydb", &[], Some((Redis, 6379))),
            ("memcached:1.6", &[], Some((Memcached, 11211))),
            ("mongo:7", &[], Some((Mongo, 27017))),
            // The name wins over the ports.
            ("redis", &[5432], Some((Redis, 6379))),
            // Unknown names: the first well-known port.
            ("example/app:1", &[8080, 6379, 5432], Some((Redis, 6379))),
            ("example/db", &[27017], Some((Mongo, 27017))),
            ("oliver006/redis_exporter", &[9121], None),
            ("example/app", &[8080], None),
            ("example/app", &[], None),
        ];
        for (image, ports, want) in cases {
            assert_eq!(recognise(image, ports), *want, "{image} {ports:?}");
        }
    }

    #[test]
    fn names_as_users_see_them() {
        assert_eq!(
            Probe::Protocol(Protocol::Postgres, 5432).name(),
            "postgres protocol"
        );
        assert_eq!(
            Probe::Protocol(Protocol::Mysql, 3306).name(),
            "mysql protocol"
        );
        assert_eq!(
            Probe::Protocol(Protocol::Redis, 6379).name(),
            "redis protocol"
        );
        assert_eq!(
            Probe::Protocol(Protocol::Memcached, 11211).name(),
            "memcached protocol"
        );
        assert_eq!(
            Probe::Protocol(Protocol::Mongo, 27017).name(),
            "mongo protocol"
        );
        assert_eq!(Probe::Tcp(8080).name(), "tcp 8080");
        let http = Probe::Http {
            port: 8080,
            path: "/health".into(),
            status: None,
        };
        assert_eq!(http.name(), "http :8080/health");
    }

    #[test]
    fn io_errors_read_as_short_reasons() {
        let refused = io::Error::from_raw_os_error(111);
        assert_eq!(reason(&refused), "connection refused");
        let eof = io::Error::from(io::ErrorKind::UnexpectedEof);
        assert_eq!(reason(&eof), "closed the connection before answering");
    }
}
