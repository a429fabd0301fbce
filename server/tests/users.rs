//! Users from a users file, through HTTP against the real binary: passwords (three ways
//! to give them), networks, readonly levels, per-user settings and quotas.

mod support;

use std::ffi::OsStr;
use std::net::SocketAddr;

use support::process::Server;
use support::{request, request_with_headers, HttpResponse};

/// sha256("secret").
const SECRET_SHA256: &str = "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b";

fn users_toml() -> String {
    format!(
        r#"
[users.default]

[users.alice]
password_sha256_hex = "{SECRET_SHA256}"
networks = ["127.0.0.1", "::1"]
readonly = 1

[users.bob]
password_sha256_hex = "{SECRET_SHA256}"
readonly = 2

[users.carol]
quota = "three_per_hour"

[users.dave]
networks = ["10.0.0.0/8"]

[users.erin]
profile = "compact"
settings = {{ output_format_json_quote_64bit_integers = 1 }}

[users.frank]
quota = "few_rows"

[profiles.compact]
output_format_write_statistics = 0

[[quotas.three_per_hour.intervals]]
duration = 3600
queries = 3

[[quotas.few_rows.intervals]]
duration = 3600
result_rows = 5
"#
    )
}

struct Fixture {
    server: Server,
    _dir: tempfile::TempDir,
}

fn start() -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let users = dir.path().join("users.toml");
    std::fs::write(&users, users_toml()).expect("write users.toml");
    let data = dir.path().join("data");
    let server = Server::start_with_args(&data, &[OsStr::new("--users-config"), users.as_os_str()]);
    Fixture { server, _dir: dir }
}

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// POSTs `sql` with credentials in the `X-ClickHouse-User`/`Key` headers.
fn post_as(addr: SocketAddr, user: &str, key: &str, target: &str, sql: &str) -> HttpResponse {
    request_with_headers(
        addr,
        "POST",
        target,
        &[("X-ClickHouse-User", user), ("X-ClickHouse-Key", key)],
        sql.as_bytes(),
    )
}

fn code(r: &HttpResponse) -> Option<&str> {
    r.header("X-ClickHouse-Exception-Code")
}

const AUTH_FAILED: &str = "Authentication failed: password is incorrect, or there is no user with such name. (AUTHENTICATION_FAILED)";

#[test]
fn passwords_by_header_basic_auth_and_parameters() {
    let f = start();
    let addr = f.server.addr;
    // X-ClickHouse-User / X-ClickHouse-Key.
    let ok = post_as(addr, "alice", "secret", "/", "SELECT currentUser()");
    assert_eq!((ok.status, ok.text().as_str()), (200, "alice\n"));
    let bad = post_as(addr, "alice", "wrong", "/", "SELECT 1");
    assert_eq!((bad.status, code(&bad)), (403, Some("516")));
    assert_eq!(
        bad.text(),
        format!("Code: 516. DB::Exception: alice: {AUTH_FAILED}\n")
    );
    // Authorization: Basic base64("alice:secret").
    let basic = request_with_headers(
        addr,
        "POST",
        "/",
        &[("Authorization", "Basic YWxpY2U6c2VjcmV0")],
        b"SELECT user()",
    );
    assert_eq!((basic.status, basic.text().as_str()), (200, "alice\n"));
    // user / password URL parameters.
    let params = request(
        addr,
        "GET",
        &format!(
            "/?user=alice&password=secret&query={}",
            enc("SELECT currentUser()")
        ),
        b"",
    );
    assert_eq!((params.status, params.text().as_str()), (200, "alice\n"));
    let wrong = request(
        addr,
        "GET",
        "/?user=alice&password=nope&query=SELECT%201",
        b"",
    );
    assert_eq!((wrong.status, code(&wrong)), (403, Some("516")));
    // Unknown users fail just like wrong passwords.
    let nobody = post_as(addr, "mallory", "", "/", "SELECT 1");
    assert_eq!(
        (nobody.status, nobody.text()),
        (
            403,
            format!("Code: 516. DB::Exception: mallory: {AUTH_FAILED}\n")
        )
    );
    // `default` has no password in this file and is allowed from loopback.
    let default = request(addr, "POST", "/", b"SELECT currentUser()");
    assert_eq!(
        (default.status, default.text().as_str()),
        (200, "default\n")
    );
    let default_pw = post_as(addr, "default", "x", "/", "SELECT 1");
    assert_eq!(default_pw.status, 403);
}

#[test]
fn networks_are_enforced() {
    let f = start();
    // dave may connect only from 10.0.0.0/8; the test connects from 127.0.0.1.
    let r = post_as(f.server.addr, "dave", "", "/", "SELECT 1");
    assert_eq!((r.status, code(&r)), (403, Some("516")));
}

#[test]
fn authentication_comes_before_the_body_is_decoded() {
    let f = start();
    // A body that claims gzip but is not: a wrong password must win over the bad body.
    let r = request_with_headers(
        f.server.addr,
        "POST",
        "/",
        &[
            ("X-ClickHouse-User", "alice"),
            ("X-ClickHouse-Key", "wrong"),
            ("Content-Encoding", "gzip"),
        ],
        b"definitely not gzip",
    );
    assert_eq!((r.status, code(&r)), (403, Some("516")));
}

#[test]
fn readonly_levels() {
    let f = start();
    let addr = f.server.addr;
    let ddl = "CREATE TABLE t (a UInt8) ENGINE = MergeTree ORDER BY a";
    // readonly = 1: reads only, no settings.
    let r = post_as(addr, "alice", "secret", "/", ddl);
    assert_eq!((r.status, code(&r)), (500, Some("164")));
    assert_eq!(
        r.text(),
        "Code: 164. DB::Exception: Cannot execute query in readonly mode. (READONLY)\n"
    );
    let r = post_as(addr, "alice", "secret", "/", "SET max_threads = 1");
    assert_eq!((r.status, code(&r)), (500, Some("164")));
    assert!(r
        .text()
        .contains("Cannot modify 'max_threads' setting in readonly mode"));
    let r = post_as(addr, "alice", "secret", "/?max_threads=1", "SELECT 1");
    assert_eq!((r.status, code(&r)), (500, Some("164")));
    let r = post_as(addr, "alice", "secret", "/?readonly=0", "SELECT 1");
    assert_eq!((r.status, code(&r)), (500, Some("164")));
    let r = post_as(
        addr,
        "alice",
        "secret",
        "/",
        "SELECT 1 SETTINGS max_threads = 2",
    );
    assert_eq!((r.status, code(&r)), (500, Some("164")));
    let r = post_as(
        addr,
        "alice",
        "secret",
        "/",
        "SELECT count() FROM system.one",
    );
    assert_eq!((r.status, r.text().as_str()), (200, "1\n"));

    // readonly = 2: reads and settings.
    let r = post_as(addr, "bob", "secret", "/?max_threads=1", "SELECT 1");
    assert_eq!(r.status, 200, "{}", r.text());
    let r = post_as(addr, "bob", "secret", "/", "SET max_threads = 1");
    assert_eq!(r.status, 200, "{}", r.text());
    let r = post_as(addr, "bob", "secret", "/", ddl);
    assert_eq!((r.status, code(&r)), (500, Some("164")));

    // readonly = 0 (default): anything over POST; GET is readonly = 2.
    let r = request(addr, "GET", &format!("/?query={}", enc(ddl)), b"");
    assert_eq!((r.status, code(&r)), (500, Some("164")));
    assert!(
        r.text().contains("method GET implies readonly"),
        "{}",
        r.text()
    );
    let r = request(addr, "GET", "/?max_threads=1&query=SELECT%201", b"");
    assert_eq!(r.status, 200, "{}", r.text());
    let r = request(addr, "POST", "/", ddl.as_bytes());
    assert_eq!(r.status, 200, "{}", r.text());
    // A request may make itself stricter.
    let r = request(addr, "POST", "/?readonly=1", b"INSERT INTO t VALUES (1)");
    assert_eq!((r.status, code(&r)), (500, Some("164")));
}

#[test]
fn per_user_settings_from_profile_and_user() {
    let f = start();
    let addr = f.server.addr;
    let sql = "SELECT toUInt64(1) AS n FORMAT JSON";
    let r = post_as(addr, "erin", "", "/", sql);
    assert_eq!(r.status, 200, "{}", r.text());
    let text = r.text();
    assert!(!text.contains("statistics"), "{text}");
    assert!(text.contains("\"n\": \"1\""), "{text}");
    // The request's settings override the user's.
    let r = post_as(addr, "erin", "", "/?output_format_write_statistics=1", sql);
    assert!(r.text().contains("statistics"), "{}", r.text());
}

#[test]
fn quotas_count_queries_and_rows() {
    let f = start();
    let addr = f.server.addr;
    for _ in 0..3 {
        let r = post_as(addr, "carol", "", "/", "SELECT 1");
        assert_eq!(r.status, 200, "{}", r.text());
    }
    let r = post_as(addr, "carol", "", "/", "SELECT 1");
    assert_eq!((r.status, code(&r)), (500, Some("201")));
    let text = r.text();
    assert!(
        text.starts_with(
            "Code: 201. DB::Exception: Quota for user `carol` for 3600s has been exceeded: queries = 4/3."
        ),
        "{text}"
    );
    assert!(text.ends_with("(QUOTA_EXCEEDED)\n"), "{text}");
    // Other users are not affected.
    assert_eq!(request(addr, "POST", "/", b"SELECT 1").status, 200);

    // frank may receive 5 result rows per hour.
    let r = post_as(
        addr,
        "frank",
        "",
        "/",
        "SELECT number FROM system.numbers LIMIT 4",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let r = post_as(
        addr,
        "frank",
        "",
        "/",
        "SELECT number FROM system.numbers LIMIT 4",
    );
    assert_eq!((r.status, code(&r)), (500, Some("201")));
    assert!(r.text().contains("result_rows = 8/5"), "{}", r.text());
}

#[test]
fn a_bad_users_file_stops_the_server_with_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let users = dir.path().join("users.toml");
    std::fs::write(&users, "[users.x]\nnetworks = [\"10.0.0.0/99\"]\n").expect("write");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_granary"))
        .env_remove("GRANARY_LOG")
        .args(["server", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path().join("data"))
        .arg("--users-config")
        .arg(&users)
        .output()
        .expect("run granary");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot use the users file"), "{stderr}");
    assert!(stderr.contains("10.0.0.0/99"), "{stderr}");
}

#[test]
fn sessions_belong_to_their_user() {
    let f = start();
    let addr = f.server.addr;
    let r = request(addr, "POST", "/", b"CREATE DATABASE db1");
    assert_eq!(r.status, 200, "{}", r.text());
    let r = post_as(addr, "bob", "secret", "/?session_id=s1", "USE db1");
    assert_eq!(r.status, 200, "{}", r.text());
    let db = |user: &str, key: &str| {
        post_as(
            addr,
            user,
            key,
            "/?session_id=s1",
            "SELECT currentDatabase()",
        )
        .text()
    };
    assert_eq!(db("bob", "secret"), "db1\n");
    // The same session id of another user is another session.
    assert_eq!(db("erin", ""), "default\n");
    let r = post_as(
        addr,
        "erin",
        "",
        "/?session_id=s2&session_check=1",
        "SELECT 1",
    );
    assert_eq!(
        r.text(),
        "Code: 372. DB::Exception: Session s2 not found. (SESSION_NOT_FOUND)\n"
    );
}
