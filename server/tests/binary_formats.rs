//! RowBinary and Native over raw HTTP against the real binary: binary INSERT bodies
//! (bytes that are not UTF-8 included) and binary SELECT results.

mod support;

use support::process::Server;
use support::request;

fn post(server: &Server, target: &str, body: &[u8]) -> support::HttpResponse {
    request(server.addr, "POST", target, body)
}

fn ok(server: &Server, sql: &str) -> Vec<u8> {
    let r = post(server, "/", sql.as_bytes());
    assert_eq!(r.status, 200, "{sql}: {}", r.text());
    r.body
}

#[test]
fn row_binary_and_native_over_http() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path());
    ok(
        &server,
        "CREATE TABLE t (id UInt32, s String, n Nullable(Int16)) ENGINE = MergeTree ORDER BY id",
    );

    // RowBinary in the body after the query; the string holds bytes that are not UTF-8.
    let mut body = b"INSERT INTO t FORMAT RowBinary\n".to_vec();
    body.extend_from_slice(&[1, 0, 0, 0, 2, 0xff, 0xfe, 0, 7, 0]);
    body.extend_from_slice(&[2, 0, 0, 0, 1, b'x', 1]);
    let r = post(&server, "/", &body);
    assert_eq!(r.status, 200, "{}", r.text());

    // The query in the URL, Native in the body.
    let mut native = vec![2, 1];
    native.extend_from_slice(b"\x02id\x06UInt32");
    native.extend_from_slice(&3u32.to_le_bytes());
    native.extend_from_slice(b"\x01s\x06String\x09\ttab\x00\x80end");
    let r = post(
        &server,
        "/?query=INSERT%20INTO%20t%20(id,%20s)%20FORMAT%20Native",
        &native,
    );
    assert_eq!(r.status, 200, "{}", r.text());

    let rows = ok(
        &server,
        "SELECT id, s, n FROM t ORDER BY id FORMAT RowBinaryWithNamesAndTypes",
    );
    let mut want = b"\x03\x02id\x01s\x01n\x06UInt32\x06String\x0fNullable(Int16)".to_vec();
    want.extend_from_slice(&[1, 0, 0, 0, 2, 0xff, 0xfe, 0, 7, 0]);
    want.extend_from_slice(&[2, 0, 0, 0, 1, b'x', 1]);
    want.extend_from_slice(&[3, 0, 0, 0, 9]);
    want.extend_from_slice(b"\ttab\x00\x80end");
    want.push(1);
    assert_eq!(rows, want);

    let r = post(
        &server,
        "/?default_format=Native",
        b"SELECT id FROM t WHERE id = 1",
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/octet-stream"));
    assert_eq!(r.body, b"\x01\x01\x02id\x06UInt32\x01\x00\x00\x00");

    // clickhouse-connect's probe: BlockInfo framing when client_protocol_version is set.
    let r = post(
        &server,
        "/?client_protocol_version=54405",
        b"SELECT 1 AS check\n FORMAT Native",
    );
    assert_eq!(r.body.get(8..16), Some(&b"\x01\x01\x05check"[..]));

    // Truncated data: error 33, nothing inserted.
    let mut body = b"INSERT INTO t FORMAT RowBinary\n".to_vec();
    body.extend_from_slice(&[9, 0, 0, 0, 1, b'a', 0, 5, 0, 10, 0, 0, 0, 200]);
    let r = post(&server, "/", &body);
    assert_eq!(
        r.header("x-clickhouse-exception-code"),
        Some("33"),
        "{}",
        r.text()
    );
    assert_eq!(ok(&server, "SELECT count() FROM t"), b"3\n");

    // Garbage Native: an error, never a crash.
    let r = post(
        &server,
        "/?query=INSERT%20INTO%20t%20FORMAT%20Native",
        b"\x01\xff\xff\xff\xff\x0f\x02id",
    );
    assert_ne!(r.status, 200);
    assert_eq!(ok(&server, "SELECT count() FROM t"), b"3\n");
}
