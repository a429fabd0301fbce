//! `wait_end_of_query=1` and `send_progress_in_http_headers=1`, through HTTP against the
//! real binary.

mod support;

use support::process::Server;
use support::request;

#[test]
fn wait_end_of_query_gives_errors_a_proper_status() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path());
    let ok = request(server.addr, "POST", "/?wait_end_of_query=1", b"SELECT 1");
    assert_eq!((ok.status, ok.text().as_str()), (200, "1\n"));
    assert!(ok.header("X-ClickHouse-Summary").is_some());
    // An error while the query runs (not while it is parsed) is still a clean error.
    let bad = request(
        server.addr,
        "POST",
        "/?wait_end_of_query=1",
        b"SELECT intDiv(10, 3 - number) FROM system.numbers LIMIT 10",
    );
    assert_eq!(bad.status, 500, "{}", bad.text());
    assert_eq!(bad.header("X-ClickHouse-Exception-Code"), Some("153"));
    assert_eq!(
        bad.text(),
        "Code: 153. DB::Exception: Division by zero. (ILLEGAL_DIVISION)\n"
    );
}

#[test]
fn progress_headers_come_before_the_body() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path());
    let r = request(
        server.addr,
        "POST",
        "/?send_progress_in_http_headers=1&http_headers_progress_interval_ms=100",
        b"SELECT number FROM system.numbers LIMIT 3",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.text(), "0\n1\n2\n");
    let progress = r
        .header("X-ClickHouse-Progress")
        .expect("a progress header");
    assert!(
        progress.starts_with("{\"read_rows\":\"")
            && progress.contains("\"result_rows\":\"3\"")
            && progress.contains("\"elapsed_ns\":\"")
            && progress.ends_with("\"}"),
        "{progress}"
    );
    for field in [
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
            progress.contains(&format!("\"{field}\":\"")),
            "{field} in {progress}"
        );
    }
    // Without the setting there is none.
    let plain = request(server.addr, "POST", "/", b"SELECT 1");
    assert!(plain.header("X-ClickHouse-Progress").is_none());
}
