//! Statements end to end through a session: DDL, INSERT, EXPLAIN, OPTIMIZE, DROP PARTITION,
//! SHOW and DESCRIBE.

mod common;

use common::text;

use granary_query::session::Session;
use granary_storage::StorageEngine;

#[test]
fn ddl_insert_select_explain() {
    let dir = tempfile::tempdir().unwrap();
    let engine = StorageEngine::open(dir.path()).unwrap();
    let mut s = Session::new(engine.clone());
    s.execute(
        "CREATE TABLE events (id UInt64, kind LowCardinality(String), d Date, n Nullable(Int32), note String DEFAULT concat('k=', kind)) \
         ENGINE = MergeTree PARTITION BY toYYYYMM(d) ORDER BY (kind, id) SETTINGS index_granularity = 2",
    )
    .unwrap();
    s.execute(
        "INSERT INTO events (id, kind, d, n) VALUES (1, 'a', '2024-01-05', 5), (2, 'b', '2024-01-06', NULL), \
         (3, 'a', '2024-02-01', -3), (4, 'c', '2024-02-02', 7), (5, 'a', '2024-02-03', 1)",
    )
    .unwrap();
    let out = s
        .execute("SELECT id, kind, n, note FROM events WHERE kind = 'a' ORDER BY id")
        .unwrap();
    assert_eq!(
        text(&out),
        ["1\ta\t5\tk=a", "3\ta\t-3\tk=a", "5\ta\t1\tk=a"]
    );
    let out = s
        .execute(
            "SELECT kind, count() AS c, sum(n) FROM events GROUP BY kind ORDER BY c DESC, kind",
        )
        .unwrap();
    assert_eq!(text(&out), ["a\t3\t3", "b\t1\t\\N", "c\t1\t7"]);
    // EXPLAIN shows the primary key pruning granules.
    let plan = text(
        &s.execute("EXPLAIN SELECT id FROM events WHERE kind = 'c'")
            .unwrap(),
    );
    assert!(
        plan.iter()
            .any(|l| l.contains(r"Condition: kind in [\'c\', \'c\']")),
        "{plan:?}"
    );
    assert!(plan.iter().any(|l| l.contains("Parts: 1/2")), "{plan:?}");
    // INSERT ... SELECT, OPTIMIZE FINAL, DROP PARTITION, TRUNCATE.
    s.execute("CREATE TABLE copy (id UInt64, d Date) ENGINE = MergeTree ORDER BY id")
        .unwrap();
    s.execute("INSERT INTO copy SELECT id, d FROM events WHERE id > 1")
        .unwrap();
    s.execute("INSERT INTO copy VALUES (10, '2024-03-01')")
        .unwrap();
    s.execute("OPTIMIZE TABLE copy FINAL").unwrap();
    assert_eq!(
        engine
            .table("default", "copy")
            .unwrap()
            .snapshot()
            .parts
            .len(),
        1
    );
    assert_eq!(text(&s.execute("SELECT count() FROM copy").unwrap()), ["5"]);
    s.execute("ALTER TABLE events DROP PARTITION 202401")
        .unwrap();
    assert_eq!(
        text(&s.execute("SELECT id FROM events ORDER BY id").unwrap()),
        ["3", "4", "5"]
    );
    s.execute("TRUNCATE TABLE events").unwrap();
    assert_eq!(
        text(&s.execute("SELECT count() FROM events").unwrap()),
        ["0"]
    );
    // SHOW, DESCRIBE, EXISTS, USE, errors.
    assert_eq!(text(&s.execute("SHOW TABLES").unwrap()), ["copy", "events"]);
    let desc = text(&s.execute("DESCRIBE TABLE events").unwrap());
    assert_eq!(desc[1], "kind\tLowCardinality(String)\t\t\t\t\t");
    assert_eq!(
        desc[4],
        "note\tString\tDEFAULT\tconcat(\\'k=\\', kind)\t\t\t"
    );
    assert_eq!(text(&s.execute("EXISTS TABLE copy").unwrap()), ["1"]);
    s.execute("CREATE DATABASE other").unwrap();
    s.execute("USE other").unwrap();
    assert_eq!(s.execute("SELECT * FROM copy").unwrap_err().code(), 60);
    assert_eq!(
        s.execute("SELECT count() FROM default.copy")
            .map(|o| text(&o))
            .unwrap(),
        ["5"]
    );
    assert_eq!(
        s.execute("INSERT INTO default.copy (nope) VALUES (1)")
            .unwrap_err()
            .code(),
        16
    );
    let e = s
        .execute("INSERT INTO default.copy VALUES (1)")
        .unwrap_err();
    assert!(e.message().contains("row 1"), "{e}");
    s.execute("DROP TABLE default.copy").unwrap();
    assert_eq!(
        s.execute("SELECT 1 FROM default.copy").unwrap_err().code(),
        60
    );
    assert_eq!(
        s.execute("SET no_such_setting = 1").unwrap_err().code(),
        115
    );
}

#[test]
fn data_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut s = Session::new(StorageEngine::open(dir.path()).unwrap());
        s.execute("CREATE TABLE t (a UInt32, s String) ENGINE = ReplacingMergeTree ORDER BY a")
            .unwrap();
        s.execute("INSERT INTO t VALUES (1, 'x'), (2, 'y')")
            .unwrap();
        s.execute("INSERT INTO t VALUES (2, 'z')").unwrap();
    }
    let mut s = Session::new(StorageEngine::open(dir.path()).unwrap());
    assert_eq!(
        text(&s.execute("SELECT a, s FROM t FINAL ORDER BY a").unwrap()),
        ["1\tx", "2\tz"]
    );
}

#[test]
fn values_parse_number_literals_as_the_column_type() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Session::new(StorageEngine::open(dir.path()).unwrap());
    s.execute("CREATE TABLE d (a Decimal(10, 2)) ENGINE = MergeTree ORDER BY tuple()")
        .unwrap();
    // ClickHouse stores 19.99 exactly here, though CAST(19.99 AS Decimal(10, 2)) is 19.98.
    s.execute("INSERT INTO d VALUES (19.99), (-5.55), (1e2)")
        .unwrap();
    assert_eq!(
        text(&s.execute("SELECT a FROM d").unwrap()),
        ["19.99", "-5.55", "100"]
    );
    assert_eq!(
        text(&s.execute("SELECT sum(a) FROM d").unwrap()),
        ["114.44"]
    );
}

#[test]
fn group_by_with_totals() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Session::new(StorageEngine::open(dir.path()).unwrap());
    s.execute("CREATE TABLE sales (region String, year UInt16, amount UInt32) ENGINE = MergeTree ORDER BY (region, year)").unwrap();
    s.execute("INSERT INTO sales VALUES ('eu', 2023, 10), ('eu', 2024, 20), ('us', 2023, 5), ('us', 2024, 7), ('us', 2024, 1)").unwrap();
    // ClickHouse: "2023\t15\n2024\t28\n\n0\t43\n" in TSV; totals ignore LIMIT.
    let out = s
        .execute("SELECT year, sum(amount) FROM sales GROUP BY year WITH TOTALS ORDER BY year")
        .unwrap();
    assert_eq!(text(&out), ["2023\t15", "2024\t28"]);
    let totals = out.totals.clone().unwrap();
    let types: Vec<_> = out.columns.iter().map(|(_, t)| t.clone()).collect();
    assert_eq!(
        granary_query::format::format_tsv(&[totals], &types),
        "0\t43\n"
    );
    let out = s
        .execute(
            "SELECT region, count() AS c FROM sales GROUP BY region WITH TOTALS ORDER BY c LIMIT 1",
        )
        .unwrap();
    assert_eq!(text(&out), ["eu\t2"]);
    assert_eq!(
        granary_query::format::format_tsv(&[out.totals.unwrap()], &types),
        "\t5\n"
    );
}
