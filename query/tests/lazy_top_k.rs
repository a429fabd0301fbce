//! `ORDER BY ... LIMIT k` over a table reads the columns outside the WHERE clause and the
//! sort keys for the best k rows only (lazy materialization). Its results must be those
//! of the plain plan: each query is compared with the same query whose ORDER BY sits in a
//! subquery without LIMIT (which sorts every row and so takes the eager path).

mod common;

use common::q;
use granary_query::session::Session;
use granary_storage::engine::StorageEngine;

fn session() -> (tempfile::TempDir, Session) {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Session::new(StorageEngine::open(dir.path()).unwrap());
    s.settings.max_threads = 3;
    q(
        &mut s,
        "CREATE TABLE t (id UInt64, k Int32, t DateTime, s String, n Nullable(Int64), lc LowCardinality(String), f Float64) \
         ENGINE = MergeTree ORDER BY id SETTINGS index_granularity = 16",
    );
    // Several parts, many granules each, values in no particular order relative to id.
    for part in 0..4u64 {
        q(
            &mut s,
            &format!(
                "INSERT INTO t SELECT number AS id, toInt32(sipHash64(number) % 1000) - 500 AS k, \
                 toDateTime('2024-01-01 00:00:00') + sipHash64(number + 1000000) % 100000 AS t, \
                 concat('s', toString(sipHash64(number + 2000000) % 97)) AS s, \
                 if(number % 7 = 0, NULL, toInt64(number % 13)) AS n, \
                 ['a', 'b', 'c'][number % 3 + 1] AS lc, number / 3 AS f \
                 FROM numbers({}, 3000)",
                part * 3000
            ),
        );
    }
    (dir, s)
}

/// `select` with `order` and `limit` lazily, against the eager plan.
fn same(s: &mut Session, select: &str, filter: &str, order: &str, limit: &str) {
    let lazy = q(
        s,
        &format!("SELECT {select} FROM t {filter} ORDER BY {order} LIMIT {limit}"),
    );
    let eager = q(
        s,
        &format!("SELECT * FROM (SELECT {select} FROM t {filter} ORDER BY {order}) LIMIT {limit}"),
    );
    assert_eq!(
        lazy, eager,
        "SELECT {select} {filter} ORDER BY {order} LIMIT {limit}"
    );
}

#[test]
fn lazy_top_k_equals_the_eager_plan() {
    let (_dir, mut s) = session();
    // Unique sort keys (id breaks ties), so the expected rows are exactly determined.
    same(&mut s, "*", "", "t, id", "10");
    same(&mut s, "*", "WHERE s LIKE '%1%'", "t DESC, id", "7");
    same(
        &mut s,
        "id, s, f * 2 AS g",
        "WHERE k > 0",
        "k, id DESC",
        "25",
    );
    same(
        &mut s,
        "s, lc, n",
        "WHERE n IS NOT NULL",
        "n DESC, id",
        "5 OFFSET 3",
    );
    same(&mut s, "id, lc", "", "lower(s), id", "3");
    same(&mut s, "*", "WHERE k = 499", "id", "100000");
    same(&mut s, "*", "WHERE k > 10000", "id", "3");
    same(&mut s, "s, toString(t)", "", "n NULLS FIRST, id", "12");
    // A LIMIT above the lazy bound, and one covering every row.
    same(&mut s, "*", "", "f DESC", "20000");
    same(&mut s, "id, s", "WHERE k < -490", "t", "1000");
}

#[test]
fn lazy_top_k_after_deletes_of_parts_and_merges() {
    let (_dir, mut s) = session();
    q(&mut s, "OPTIMIZE TABLE t FINAL");
    same(&mut s, "*", "WHERE lc = 'b'", "t, id", "9");
}
