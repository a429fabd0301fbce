//! Parquet / Arrow / ArrowStream over HTTP: a SELECT's Parquet result POSTed back as an
//! `INSERT ... FORMAT Parquet` body (query in the URL, and query + binary data in the body)
//! gives the same rows; malformed data is error 117; `file()` reads the user files dir.

mod support;

use std::net::SocketAddr;
use std::sync::Arc;

use granary_server::{serve, ServerState};
use support::{request, HttpResponse};
use tokio::sync::oneshot;

struct Server {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    dir: tempfile::TempDir,
}

impl Server {
    fn start() -> Server {
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
        std::fs::create_dir_all(dir.path().join("user_files")).expect("user_files");
        let engine = granary_storage::StorageEngine::open(dir.path()).expect("open engine");
        let state = Arc::new(ServerState::new(dir.path().to_path_buf(), engine));
        std::thread::spawn(move || {
            runtime.block_on(serve(listener, state, async {
                let _ = stopped.await;
            }));
        });
        Server {
            addr,
            stop: Some(stop),
            dir,
        }
    }

    fn post(&self, target: &str, body: &[u8]) -> HttpResponse {
        request(self.addr, "POST", target, body)
    }

    fn ok(&self, sql: &str) -> Vec<u8> {
        let r = self.post("/", sql.as_bytes());
        assert_eq!(r.status, 200, "{sql}: {}", r.text());
        r.body
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

const TABLE: &str = "(a UInt32, s String, n Nullable(Float64), d DateTime64(3, 'UTC'), \
    arr Array(String), m Map(String, UInt8)) ENGINE = MergeTree ORDER BY a";

#[test]
fn parquet_and_arrow_round_trip_over_http() {
    let server = Server::start();
    server.ok(&format!("CREATE TABLE src {TABLE}"));
    server.ok(
        "INSERT INTO src SELECT number, concat('s', toString(number)), \
         if(number % 3 = 0, NULL, number / 2), toDateTime64(number, 3, 'UTC'), \
         [toString(number), ''], map('k', toUInt8(number % 200)) FROM numbers(5000)",
    );
    let expected = server.ok("SELECT * FROM src ORDER BY a");
    for (i, format) in ["Parquet", "Arrow", "ArrowStream"].iter().enumerate() {
        let r = server.post("/", format!("SELECT * FROM src FORMAT {format}").as_bytes());
        assert_eq!(r.status, 200, "{format}: {}", r.text());
        assert_eq!(r.header("content-type"), Some("application/octet-stream"));
        let data = r.body;
        let table = format!("dst{i}");
        server.ok(&format!("CREATE TABLE {table} {TABLE}"));
        // The query in the URL, the body all data.
        let r = server.post(
            &format!("/?query=INSERT%20INTO%20{table}%20FORMAT%20{format}"),
            &data,
        );
        assert_eq!(r.status, 200, "{format}: {}", r.text());
        assert_eq!(
            server.ok(&format!("SELECT * FROM {table} ORDER BY a")),
            expected
        );
        // The query and the binary data both in the body.
        server.ok(&format!("TRUNCATE TABLE {table}"));
        let mut body = format!("INSERT INTO {table} FORMAT {format}\n").into_bytes();
        body.extend_from_slice(&data);
        let r = server.post("/", &body);
        assert_eq!(r.status, 200, "{format}: {}", r.text());
        assert_eq!(
            server.ok(&format!("SELECT * FROM {table} ORDER BY a")),
            expected
        );
    }
}

#[test]
fn malformed_binary_is_117_and_other_binary_queries_are_rejected() {
    let server = Server::start();
    server.ok(&format!("CREATE TABLE t {TABLE}"));
    let r = server.post(
        "/?query=INSERT%20INTO%20t%20FORMAT%20Parquet",
        b"PAR1\x00\xff\xfe garbage",
    );
    assert_eq!(
        r.header("x-clickhouse-exception-code"),
        Some("117"),
        "{}",
        r.text()
    );
    let r = server.post("/", b"SELECT 1 \xff\xfe");
    assert_eq!(
        r.header("x-clickhouse-exception-code"),
        Some("6"),
        "{}",
        r.text()
    );
    assert_eq!(server.ok("SELECT count() FROM t"), b"0\n");
}

#[test]
fn file_function_reads_user_files() {
    let server = Server::start();
    let parquet =
        server.ok("SELECT number AS x, toString(number) AS y FROM numbers(10) FORMAT Parquet");
    std::fs::write(server.dir.path().join("user_files/n.parquet"), parquet).expect("write");
    assert_eq!(
        server.ok("SELECT sum(x), max(y) FROM file('n.parquet')"),
        b"45\t9\n"
    );
    let r = server.post("/", b"SELECT * FROM file('../catalog', CSV, 'a String')");
    assert_eq!(
        r.header("x-clickhouse-exception-code"),
        Some("291"),
        "{}",
        r.text()
    );
}
