//! `{name:Type}` placeholders filled from `param_<name>` URL parameters, through HTTP
//! against the real binary.

mod support;

use std::net::SocketAddr;

use support::process::Server;
use support::{request, HttpResponse};

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// POSTs `sql` with the given `param_` values (names without the prefix).
fn post(addr: SocketAddr, sql: &str, params: &[(&str, &str)]) -> HttpResponse {
    let query: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("param_{k}={}", enc(v)))
        .collect();
    request(
        addr,
        "POST",
        &format!("/?{}", query.join("&")),
        sql.as_bytes(),
    )
}

fn ok(addr: SocketAddr, sql: &str, params: &[(&str, &str)]) -> String {
    let r = post(addr, sql, params);
    assert_eq!(r.status, 200, "{sql}: {}", r.text());
    r.text()
}

#[test]
fn scalar_parameters_keep_their_types() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path());
    let addr = server.addr;
    assert_eq!(
        ok(
            addr,
            "SELECT {x:UInt8} + 1, toTypeName({x:UInt8})",
            &[("x", "41")]
        ),
        "42\tUInt8\n"
    );
    assert_eq!(
        ok(
            addr,
            "SELECT {x:Int64}, {f:Float64} * 2",
            &[("x", "-7"), ("f", "1.25")]
        ),
        "-7\t2.5\n"
    );
    // Values are in TSV-escaped form: `\t` is a tab, `\'` a quote.
    assert_eq!(
        ok(
            addr,
            "SELECT length({s:String}) AS l, {s:String} AS s FORMAT JSONEachRow",
            &[("s", "a\\tb'c")]
        ),
        "{\"l\":5,\"s\":\"a\\tb'c\"}\n"
    );
    assert_eq!(
        ok(
            addr,
            "SELECT {d:Date}, {t:DateTime}, toTypeName({d:Date})",
            &[("d", "2024-02-29"), ("t", "2024-01-02 03:04:05")]
        ),
        "2024-02-29\t2024-01-02 03:04:05\tDate\n"
    );
    assert_eq!(
        ok(
            addr,
            "SELECT {u:UUID}",
            &[("u", "61f0c404-5cb3-11e7-907b-a6006ad3dba0")]
        ),
        "61f0c404-5cb3-11e7-907b-a6006ad3dba0\n"
    );
    assert_eq!(
        ok(
            addr,
            "SELECT {n:Nullable(Int32)}, {m:Nullable(Int32)}",
            &[("n", "\\N"), ("m", "5")]
        ),
        "\\N\t5\n"
    );
}

#[test]
fn arrays_and_identifiers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path());
    let addr = server.addr;
    assert_eq!(
        ok(
            addr,
            "SELECT {a:Array(UInt32)}, toTypeName({a:Array(UInt32)})",
            &[("a", "[1, 2,3]")]
        ),
        "[1,2,3]\tArray(UInt32)\n"
    );
    assert_eq!(
        ok(
            addr,
            "SELECT {a:Array(String)}",
            &[("a", "['x', 'it\\'s']")]
        ),
        "['x','it\\'s']\n"
    );
    assert_eq!(
        ok(addr, "SELECT {a:Array(Date)}", &[("a", "['2024-01-01']")]),
        "['2024-01-01']\n"
    );
    ok(
        addr,
        "CREATE TABLE events (id UInt32, name String) ENGINE = MergeTree ORDER BY id",
        &[],
    );
    ok(
        addr,
        "INSERT INTO {t:Identifier} VALUES (1, 'a'), (2, 'b')",
        &[("t", "events")],
    );
    // Placeholders are not looked for in the rows of INSERT ... FORMAT.
    ok(
        addr,
        "INSERT INTO {t:Identifier} FORMAT TSV\n3\t{x:UInt8}\n",
        &[("t", "events")],
    );
    assert_eq!(
        ok(
            addr,
            "SELECT name FROM {t:Identifier} WHERE id >= {min:UInt32} ORDER BY id",
            &[("t", "events"), ("min", "2")]
        ),
        "b\n{x:UInt8}\n"
    );
}

#[test]
fn placeholders_in_literals_and_comments_stay() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path());
    assert_eq!(
        ok(server.addr, "SELECT '{x:UInt8}' -- {y:UInt8}\n", &[]),
        "{x:UInt8}\n"
    );
    // GET works the same way.
    let r = request(
        server.addr,
        "GET",
        &format!("/?param_x=5&query={}", enc("SELECT {x:UInt8} * 2")),
        b"",
    );
    assert_eq!((r.status, r.text().as_str()), (200, "10\n"));
}

#[test]
fn missing_and_bad_values_are_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path());
    let missing = post(server.addr, "SELECT {x:UInt8}", &[]);
    assert_eq!(missing.status, 500);
    assert_eq!(missing.header("X-ClickHouse-Exception-Code"), Some("456"));
    assert_eq!(
        missing.text(),
        "Code: 456. DB::Exception: Substitution `x` is not set. (UNKNOWN_QUERY_PARAMETER)\n"
    );
    for (ty, value) in [
        ("UInt8", "256"),
        ("Int32", "x1"),
        ("Date", "2024-13-45"),
        ("UUID", "123"),
        ("Int32", "\\N"),
        ("Array(UInt8)", "[1,"),
    ] {
        let r = post(server.addr, &format!("SELECT {{x:{ty}}}"), &[("x", value)]);
        assert_eq!(
            (r.status, r.header("X-ClickHouse-Exception-Code")),
            (500, Some("457")),
            "{ty} {value}: {}",
            r.text()
        );
        assert!(
            r.text().starts_with(&format!(
                "Code: 457. DB::Exception: Value {value} cannot be parsed as {ty} for query parameter 'x'"
            )),
            "{}",
            r.text()
        );
    }
}

#[test]
fn parameters_as_multipart_form_fields() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path());
    let body = "--b0\r\nContent-Disposition: form-data; name=\"query\"\r\n\r\n\
                SELECT {x:UInt8} + 1, {s:String}\r\n\
                --b0\r\nContent-Disposition: form-data; name=\"param_x\"\r\n\r\n41\r\n\
                --b0\r\nContent-Disposition: form-data; name=\"param_s\"\r\n\r\na\\tb\r\n\
                --b0--\r\n";
    let r = support::request_with_headers(
        server.addr,
        "POST",
        "/",
        &[("Content-Type", "multipart/form-data; boundary=b0")],
        body.as_bytes(),
    );
    assert_eq!((r.status, r.text().as_str()), (200, "42\ta\\tb\n"));
    let file = "--b0\r\nContent-Disposition: form-data; name=\"t\"; filename=\"t.tsv\"\r\n\r\n1\r\n--b0--\r\n";
    let r = support::request_with_headers(
        server.addr,
        "POST",
        "/?query=SELECT%201",
        &[("Content-Type", "multipart/form-data; boundary=b0")],
        file.as_bytes(),
    );
    assert_eq!(
        r.header("X-ClickHouse-Exception-Code"),
        Some("48"),
        "{}",
        r.text()
    );
}
