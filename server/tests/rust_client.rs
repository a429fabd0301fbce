//! The official ClickHouse Rust client (the `clickhouse` crate) against the real binary:
//! create a table, insert rows of a derived `Row` struct (RowBinaryWithNamesAndTypes,
//! after the client's own `DESCRIBE TABLE`), select them back, with a server-side
//! `{name:Type}` parameter and with a user from a users file.

mod support;

use std::ffi::OsStr;

use clickhouse::{Client, Row};
use serde::{Deserialize, Serialize};
use support::process::Server;

#[derive(Debug, Clone, PartialEq, Row, Serialize, Deserialize)]
struct Event {
    id: u32,
    name: String,
    score: f64,
    delta: i64,
    tags: Vec<String>,
    parent: Option<u64>,
}

fn events() -> Vec<Event> {
    (0..5)
        .map(|i| Event {
            id: i,
            name: format!("event-{i}\t'é'"),
            score: f64::from(i) * 1.5,
            delta: -i64::from(i),
            tags: (0..i).map(|t| format!("t{t}")).collect(),
            parent: (i % 2 == 0).then_some(u64::from(i) * 100),
        })
        .collect()
}

#[tokio::test]
async fn create_insert_select_with_the_official_client() {
    let dir = tempfile::tempdir().expect("tempdir");
    let users = dir.path().join("users.toml");
    // sha256("secret")
    std::fs::write(
        &users,
        "[users.default]\n\n[users.writer]\npassword_sha256_hex = \
         \"2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b\"\n",
    )
    .expect("write users.toml");
    let server = Server::start_with_args(
        &dir.path().join("data"),
        &[OsStr::new("--users-config"), users.as_os_str()],
    );
    let client = Client::default()
        .with_url(format!("http://{}", server.addr))
        .with_user("writer")
        .with_password("secret");

    client
        .query(
            "CREATE TABLE events (id UInt32, name String, score Float64, delta Int64, \
             tags Array(String), parent Nullable(UInt64)) ENGINE = MergeTree ORDER BY id",
        )
        .execute()
        .await
        .expect("CREATE TABLE");

    let rows = events();
    let mut insert = client.insert::<Event>("events").await.expect("insert");
    for row in &rows {
        insert.write(row).await.expect("write row");
    }
    insert.end().await.expect("end insert");

    let back = client
        .query("SELECT ?fields FROM events ORDER BY id")
        .fetch_all::<Event>()
        .await
        .expect("select");
    assert_eq!(back, rows);

    // A server-side parameter (`param_min=2`) and a client-side bind.
    let some = client
        .query("SELECT ?fields FROM events WHERE id >= {min:UInt32} AND id < ? ORDER BY id")
        .param("min", 2u32)
        .bind(4u32)
        .fetch_all::<Event>()
        .await
        .expect("select with parameters");
    assert_eq!(some, rows[2..4].to_vec());

    let count = client
        .query("SELECT count() FROM events")
        .fetch_one::<u64>()
        .await
        .expect("count");
    assert_eq!(count, 5);

    // A wrong password is refused with ClickHouse's error.
    let wrong = Client::default()
        .with_url(format!("http://{}", server.addr))
        .with_user("writer")
        .with_password("nope");
    let e = wrong
        .query("SELECT 1")
        .fetch_one::<u8>()
        .await
        .expect_err("wrong password");
    assert!(e.to_string().contains("516"), "{e}");
}
