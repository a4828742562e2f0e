//! Tests of the probes' messages and reply parsing, some against in-memory servers.
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
    let fields = postgres_error_fields(&pg_error("57P03", "the database system is starting up"));
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

#[tokio::test]
async fn through_a_published_port_a_connection_closed_at_once_is_not_ready() {
    // What the engine's port proxy does with nothing behind it: accept, then close.
    let proxy = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let closing = proxy.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = proxy.accept().await {
            drop(stream);
        }
    });
    let serving = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let open = serving.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = serving.accept().await {
            held.push(stream);
        }
    });
    let bound = Duration::from_secs(2);
    let probe = Probe::Tcp(6379);
    let closed = try_once_at(&probe, closing, bound, true).await;
    assert!(
        closed.as_ref().is_err_and(|e| e.contains("closed at once")),
        "{closed:?}"
    );
    assert_eq!(try_once_at(&probe, open, bound, true).await, Ok(()));
    // Straight at a container, a connection is enough.
    assert_eq!(try_once_at(&probe, closing, bound, false).await, Ok(()));
}
