//! The HTTP interface through a real socket, served in-process by `granary_server::serve`.

mod support;

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use granary_server::{serve, ServerState};
use support::{connect, parse_response, read_response, request};
use tokio::sync::oneshot;

/// A server running on its own runtime thread; `stop` asks for a graceful shutdown.
struct TestServer {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    /// Holds the engine's data directory for the server's lifetime.
    _dir: tempfile::TempDir,
}

impl TestServer {
    fn start() -> TestServer {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let (stop, stopped) = oneshot::channel::<()>();
        let dir = tempfile::tempdir().expect("tempdir");
        let engine = granary_storage::StorageEngine::open(dir.path()).expect("open engine");
        let state = Arc::new(ServerState::new(dir.path().to_path_buf(), engine));
        let thread = std::thread::spawn(move || {
            runtime.block_on(serve(listener, state, async {
                let _ = stopped.await;
            }));
        });
        TestServer {
            addr,
            stop: Some(stop),
            thread: Some(thread),
            _dir: dir,
        }
    }

    fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(|t| t.is_finished())
    }

    fn join(&mut self) {
        self.stop();
        if let Some(thread) = self.thread.take() {
            thread.join().expect("server thread panicked");
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop();
    }
}

#[test]
fn health_checks_answer_ok() {
    let mut server = TestServer::start();
    for target in ["/", "/ping", "/replicas_status"] {
        let response = request(server.addr, "GET", target, b"");
        assert_eq!(response.status, 200, "GET {target}");
        assert_eq!(response.text(), "Ok.\n", "GET {target}");
    }
    let head = request(server.addr, "HEAD", "/", b"");
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty(), "HEAD must have no body");
    server.join();
}

#[test]
fn queries_run_through_the_sql_engine() {
    let mut server = TestServer::start();
    let get = request(server.addr, "GET", "/?query=SELECT%201", b"");
    assert_eq!(get.status, 200);
    assert_eq!(get.text(), "1\n");
    let post = request(
        server.addr,
        "POST",
        "/",
        b"SELECT number FROM numbers(3) FORMAT TSVWithNames",
    );
    assert_eq!(post.status, 200);
    assert_eq!(post.text(), "number\n0\n1\n2\n");
    assert_eq!(post.header("X-ClickHouse-Format"), Some("TSVWithNames"));
    // The query parameter and the body are one query text.
    let split = request(
        server.addr,
        "POST",
        "/?query=SELECT%20number",
        b"FROM numbers(2)",
    );
    assert_eq!(split.text(), "0\n1\n");
    for (sql, ok) in [
        (
            "CREATE TABLE t (a UInt32, s String) ENGINE = MergeTree ORDER BY a",
            "",
        ),
        ("INSERT INTO t VALUES (2, 'b\tc'), (1, 'a')", ""),
        ("SELECT a, s FROM t ORDER BY a", "1\ta\n2\tb\\tc\n"),
    ] {
        let r = request(server.addr, "POST", "/", sql.as_bytes());
        assert_eq!((r.status, r.text().as_str()), (200, ok), "{sql}");
    }
    // Errors: ClickHouse's text, status and code header.
    let missing = request(server.addr, "POST", "/", b"SELECT * FROM missing");
    assert_eq!(missing.status, 404);
    assert_eq!(missing.header("X-ClickHouse-Exception-Code"), Some("60"));
    assert!(
        missing.text().starts_with("Code: 60. DB::Exception: "),
        "{}",
        missing.text()
    );
    assert!(
        missing.text().ends_with("(UNKNOWN_TABLE)\n"),
        "{}",
        missing.text()
    );
    let syntax = request(server.addr, "POST", "/", b"SELEC 1");
    assert_eq!(
        (syntax.status, syntax.header("X-ClickHouse-Exception-Code")),
        (400, Some("62"))
    );
    // GET is read-only; unknown settings are error 115.
    let get_insert = request(
        server.addr,
        "GET",
        "/?query=INSERT%20INTO%20t%20VALUES%20(3,%27c%27)",
        b"",
    );
    assert_ne!(get_insert.status, 200);
    let setting = request(server.addr, "POST", "/?no_such_setting=1", b"SELECT 1");
    assert_eq!(
        (
            setting.status,
            setting.header("X-ClickHouse-Exception-Code")
        ),
        (404, Some("115"))
    );
    let known = request(
        server.addr,
        "POST",
        "/?max_threads=1&database=default",
        b"SELECT count() FROM t",
    );
    assert_eq!(known.text(), "2\n");
    server.join();
}

#[test]
fn unknown_paths_are_not_found() {
    let mut server = TestServer::start();
    let response = request(server.addr, "GET", "/no/such/thing", b"");
    assert_eq!(response.status, 404);
    assert!(response
        .text()
        .starts_with("There is no handle /no/such/thing\n"));
    assert_eq!(request(server.addr, "PUT", "/", b"").status, 404);
    server.join();
}

#[test]
fn keep_alive_serves_several_requests_on_one_connection() {
    let mut server = TestServer::start();
    let mut stream = connect(server.addr);
    let ping = "GET /ping HTTP/1.1\r\nHost: x\r\n\r\n";
    let last = "GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    stream
        .write_all(format!("{ping}{ping}{last}").as_bytes())
        .expect("send");
    let response = read_response(&mut stream);
    assert_eq!(response.status, 200);
    // Three pipelined responses arrived on the one connection.
    assert_eq!(response.text().matches("HTTP/1.1 200 OK").count(), 2);
    server.join();
}

/// One try at catching a request in flight: sends half a request, waits `settle` so the
/// server has read it, asks for shutdown, checks the server is still running, then
/// finishes the request. `None` when the server had not read the half request in time
/// (so it saw an idle connection and rightly closed it).
fn shutdown_with_request_in_flight(settle: Duration) -> Option<(bool, Vec<u8>)> {
    let mut server = TestServer::start();
    let idle = connect(server.addr);
    let mut busy = connect(server.addr);
    busy.write_all(b"GET /ping HTTP/1.1\r\nHost: x\r\n")
        .expect("send half a request");
    std::thread::sleep(settle);
    server.stop();
    std::thread::sleep(Duration::from_millis(300));
    let still_running = !server.is_finished();
    let mut raw = Vec::new();
    let answered = busy.write_all(b"\r\n").is_ok() && busy.read_to_end(&mut raw).is_ok();
    server.join();
    drop(idle); // An idle connection does not hold up the shutdown.
    (answered && !raw.is_empty()).then_some((still_running, raw))
}

#[test]
fn graceful_shutdown_finishes_the_request_in_flight() {
    // Under heavy load the server may need longer to read the half request: retry with
    // more patience rather than fail spuriously.
    for settle_ms in [200, 1_000, 5_000] {
        let Some((still_running, raw)) =
            shutdown_with_request_in_flight(Duration::from_millis(settle_ms))
        else {
            continue;
        };
        assert!(
            still_running,
            "the server must wait for the request in flight"
        );
        let response = parse_response(&raw);
        assert_eq!(response.status, 200);
        assert_eq!(response.text(), "Ok.\n");
        return;
    }
    panic!("the request in flight was never answered");
}

#[test]
fn output_formats_are_written_as_clickhouse_writes_them() {
    let server = TestServer::start();
    // Expected bodies from chdb 4.4 (ClickHouse 26.9), with the 64-bit quoting set explicitly.
    let q = "SELECT number, toString(number) AS s FROM numbers(2)";
    let each_row = request(
        server.addr,
        "POST",
        "/?output_format_json_quote_64bit_integers=0",
        format!("{q} FORMAT JSONEachRow").as_bytes(),
    );
    assert_eq!(each_row.status, 200, "{}", each_row.text());
    assert_eq!(
        each_row.text(),
        "{\"number\":0,\"s\":\"0\"}\n{\"number\":1,\"s\":\"1\"}\n"
    );
    assert_eq!(each_row.header("X-ClickHouse-Format"), Some("JSONEachRow"));
    assert_eq!(
        each_row.header("Content-Type"),
        Some("application/x-ndjson; charset=UTF-8")
    );
    let quoted = request(
        server.addr,
        "POST",
        "/?output_format_json_quote_64bit_integers=1",
        format!("{q} FORMAT JSONCompactEachRow").as_bytes(),
    );
    assert_eq!(quoted.text(), "[\"0\", \"0\"]\n[\"1\", \"1\"]\n");
    let pretty = request(
        server.addr,
        "POST",
        "/?default_format=PrettyCompact",
        q.as_bytes(),
    );
    assert_eq!(
        pretty.text(),
        "   ┌─number─┬─s─┐\n1. │      0 │ 0 │\n2. │      1 │ 1 │\n   └────────┴───┘\n"
    );
    assert_eq!(
        pretty.header("Content-Type"),
        Some("text/plain; charset=UTF-8")
    );
    let csv = request(
        server.addr,
        "POST",
        "/",
        format!("{q} FORMAT CSVWithNames").as_bytes(),
    );
    assert_eq!(csv.text(), "\"number\",\"s\"\n0,\"0\"\n1,\"1\"\n");
    assert_eq!(
        csv.header("Content-Type"),
        Some("text/csv; charset=UTF-8; header=present")
    );
    let json = request(
        server.addr,
        "POST",
        "/?output_format_write_statistics=0&output_format_json_quote_64bit_integers=0",
        format!("{q} FORMAT JSON").as_bytes(),
    );
    assert_eq!(
        json.text(),
        "{\n\t\"meta\":\n\t[\n\t\t{\n\t\t\t\"name\": \"number\",\n\t\t\t\"type\": \"UInt64\"\n\t\t},\n\t\t{\n\t\t\t\"name\": \"s\",\n\t\t\t\"type\": \"String\"\n\t\t}\n\t],\n\n\t\"data\":\n\t[\n\t\t{\n\t\t\t\"number\": 0,\n\t\t\t\"s\": \"0\"\n\t\t},\n\t\t{\n\t\t\t\"number\": 1,\n\t\t\t\"s\": \"1\"\n\t\t}\n\t],\n\n\t\"rows\": 2\n}\n"
    );
    let unknown = request(
        server.addr,
        "POST",
        "/",
        format!("{q} FORMAT Nope").as_bytes(),
    );
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.header("X-ClickHouse-Exception-Code"), Some("73"));
}

fn gzip(data: &[u8]) -> Vec<u8> {
    use flate2::write::GzEncoder;
    let mut w = GzEncoder::new(Vec::new(), flate2::Compression::default());
    w.write_all(data).expect("gzip");
    w.finish().expect("gzip")
}

#[test]
fn query_responses_carry_clickhouse_headers() {
    let mut server = TestServer::start();
    let r = request(server.addr, "POST", "/", b"SELECT number FROM numbers(3)");
    assert_eq!(r.status, 200);
    let id = r.header("X-ClickHouse-Query-Id").expect("query id");
    assert_eq!(id.len(), 36, "uuid-like {id}");
    assert_eq!(id.matches('-').count(), 4);
    assert_eq!(r.header("X-ClickHouse-Format"), Some("TabSeparated"));
    assert_eq!(r.header("X-ClickHouse-Timezone"), Some("UTC"));
    assert!(r.header("X-ClickHouse-Server-Display-Name").is_some());
    let summary = r.header("X-ClickHouse-Summary").expect("summary");
    for key in [
        "read_rows",
        "read_bytes",
        "written_rows",
        "written_bytes",
        "total_rows_to_read",
        "result_rows",
        "result_bytes",
        "elapsed_ns",
    ] {
        assert!(
            summary.contains(&format!("\"{key}\":\"")),
            "{key} in {summary}"
        );
    }
    assert!(summary.contains("\"result_rows\":\"3\""), "{summary}");
    assert!(summary.contains("\"result_bytes\":\"6\""), "{summary}");
    // The id is echoed from the parameter or the header; errors carry it too.
    let r = request(server.addr, "GET", "/?query_id=my-id&query=SELECT%201", b"");
    assert_eq!(r.header("X-ClickHouse-Query-Id"), Some("my-id"));
    let r = support::request_with_headers(
        server.addr,
        "POST",
        "/",
        &[("X-ClickHouse-Query-Id", "hdr-id")],
        b"SELECT nope",
    );
    assert_ne!(r.status, 200);
    assert_eq!(r.header("X-ClickHouse-Query-Id"), Some("hdr-id"));
    assert!(r.header("X-ClickHouse-Exception-Code").is_some());
    // X-ClickHouse-Format and X-ClickHouse-Database request headers.
    let r = support::request_with_headers(
        server.addr,
        "POST",
        "/",
        &[
            ("X-ClickHouse-Format", "JSONEachRow"),
            ("X-ClickHouse-Database", "system"),
        ],
        b"SELECT 1 AS x",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.text(), "{\"x\":1}\n");
    assert_eq!(r.header("X-ClickHouse-Format"), Some("JSONEachRow"));
    server.join();
}

#[test]
fn credentials_default_user_only() {
    let mut server = TestServer::start();
    let ok = request(server.addr, "GET", "/?user=default&query=SELECT%201", b"");
    assert_eq!(ok.status, 200);
    let ok = support::request_with_headers(
        server.addr,
        "POST",
        "/",
        &[("X-ClickHouse-User", "default"), ("X-ClickHouse-Key", "")],
        b"SELECT 1",
    );
    assert_eq!(ok.status, 200, "{}", ok.text());
    let bad = request(
        server.addr,
        "GET",
        "/?user=bob&password=x&query=SELECT%201",
        b"",
    );
    assert_eq!(bad.status, 403);
    assert_eq!(bad.header("X-ClickHouse-Exception-Code"), Some("516"));
    server.join();
}

#[test]
fn sessions_keep_use_and_set() {
    let mut server = TestServer::start();
    let addr = server.addr;
    let post = |target: &str, sql: &str| request(addr, "POST", target, sql.as_bytes());
    assert_eq!(post("/", "CREATE DATABASE sdb").status, 200);
    let create = "CREATE TABLE sdb.only_here (a UInt8) ENGINE = MergeTree ORDER BY a";
    assert_eq!(post("/", create).status, 200);
    assert_eq!(post("/?session_id=s1", "USE sdb").status, 200);
    let r = post("/?session_id=s1", "SELECT count() FROM only_here");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.text(), "0\n");
    // Without the session: a fresh one in `default`.
    assert_ne!(post("/", "SELECT count() FROM only_here").status, 200);
    // SET persists: max_result_rows=1 makes a 3-row query fail in the session only.
    assert_eq!(
        post("/?session_id=s1", "SET max_result_rows = 1").status,
        200
    );
    assert_ne!(
        post("/?session_id=s1", "SELECT number FROM numbers(3)").status,
        200
    );
    assert_eq!(post("/", "SELECT number FROM numbers(3)").status, 200);
    // session_check on an unknown session, a bad timeout.
    let r = post("/?session_id=nope&session_check=1", "SELECT 1");
    assert_eq!(r.header("X-ClickHouse-Exception-Code"), Some("372"));
    let r = post("/?session_id=s2&session_timeout=99999", "SELECT 1");
    assert_eq!(r.header("X-ClickHouse-Exception-Code"), Some("104"));
    // close_session=1 ends it.
    assert_eq!(
        post("/?session_id=s1&close_session=1", "SELECT 1").status,
        200
    );
    let r = post("/?session_id=s1&session_check=1", "SELECT 1");
    assert_eq!(r.header("X-ClickHouse-Exception-Code"), Some("372"));
    // An expired session is gone.
    assert_eq!(
        post("/?session_id=s3&session_timeout=0", "SELECT 1").status,
        200
    );
    std::thread::sleep(Duration::from_millis(20));
    let r = post("/?session_id=s3&session_check=1", "SELECT 1");
    assert_eq!(r.header("X-ClickHouse-Exception-Code"), Some("372"));
    server.join();
}

#[test]
fn a_session_in_use_is_locked() {
    let mut server = TestServer::start();
    let addr = server.addr;
    assert_eq!(
        request(addr, "POST", "/?session_id=busy", b"SELECT 1").status,
        200
    );
    let long = std::thread::spawn(move || {
        request(
            addr,
            "POST",
            "/?session_id=busy",
            b"SELECT count() FROM numbers(30000000) WHERE number % 7 = 3",
        )
    });
    let mut locked = false;
    for _ in 0..200 {
        let r = request(addr, "POST", "/?session_id=busy", b"SELECT 1");
        if r.header("X-ClickHouse-Exception-Code") == Some("373") {
            locked = true;
            break;
        }
        if long.is_finished() {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let long = long.join().expect("long query");
    // Either side may win the race for the session; the other must see it locked.
    locked |= long.header("X-ClickHouse-Exception-Code") == Some("373");
    assert!(locked, "a concurrent request should see SESSION_IS_LOCKED");
    server.join();
}

#[test]
fn compressed_request_bodies_are_decoded() {
    let mut server = TestServer::start();
    let sql = b"SELECT number FROM numbers(3)";
    let gz = gzip(sql);
    let r = support::request_with_headers(
        server.addr,
        "POST",
        "/",
        &[("Content-Encoding", "gzip")],
        &gz,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.text(), "0\n1\n2\n");
    let zs = zstd::stream::encode_all(&sql[..], 3).expect("zstd");
    let r = support::request_with_headers(
        server.addr,
        "POST",
        "/",
        &[("Content-Encoding", "zstd")],
        &zs,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.text(), "0\n1\n2\n");
    let bad = support::request_with_headers(
        server.addr,
        "POST",
        "/",
        &[("Content-Encoding", "gzip")],
        b"this is not gzip",
    );
    assert_eq!(bad.status, 400);
    assert!(bad.text().starts_with("Code: "), "{}", bad.text());
    assert!(bad.header("X-ClickHouse-Exception-Code").is_some());
    server.join();
}

#[test]
fn responses_are_compressed_when_asked() {
    use flate2::read::GzDecoder;
    let mut server = TestServer::start();
    let r = support::request_with_headers(
        server.addr,
        "POST",
        "/?enable_http_compression=1",
        &[("Accept-Encoding", "xz, gzip, br")],
        b"SELECT number FROM numbers(3)",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("Content-Encoding"), Some("gzip"));
    let mut text = String::new();
    GzDecoder::new(&r.body[..])
        .read_to_string(&mut text)
        .expect("gunzip");
    assert_eq!(text, "0\n1\n2\n");
    // Without the setting: plain.
    let r = support::request_with_headers(
        server.addr,
        "POST",
        "/",
        &[("Accept-Encoding", "gzip")],
        b"SELECT 1",
    );
    assert_eq!(r.header("Content-Encoding"), None);
    assert_eq!(r.text(), "1\n");
    server.join();
}

#[test]
fn play_and_metrics_pages() {
    let mut server = TestServer::start();
    let play = request(server.addr, "GET", "/play", b"");
    assert_eq!(play.status, 200);
    assert!(play
        .header("Content-Type")
        .is_some_and(|t| t.starts_with("text/html")));
    assert!(play.text().contains("<textarea"));
    assert!(play.text().contains("fetch("));
    request(server.addr, "GET", "/?query=SELECT%201", b"");
    request(server.addr, "GET", "/?query=SELECT%20nope", b"");
    let m = request(server.addr, "GET", "/metrics", b"").text();
    for name in [
        "granary_uptime_seconds",
        "granary_queries_total",
        "granary_failed_queries_total",
        "granary_open_sessions",
        "granary_tables",
        "granary_active_parts",
    ] {
        assert!(m.contains(&format!("# TYPE {name} ")), "{name} in {m}");
    }
    assert!(m.contains("granary_queries_total 2\n"), "{m}");
    assert!(m.contains("granary_failed_queries_total 1\n"), "{m}");
    server.join();
}
