//! Views end to end through a session: materialized views with TO and with an inner
//! table, POPULATE, chains, several views per source, atomicity when a view fails,
//! persistence across a restart, plain views, DROP VIEW.

mod common;

use common::q;

use granary_query::session::Session;
use granary_storage::StorageEngine;

const EVENTS: &str = "CREATE TABLE events (event_id UInt64, user_id UInt32, \
    event_type LowCardinality(String), properties Map(String, String), event_time DateTime64(3)) \
    ENGINE = MergeTree() PARTITION BY toYYYYMM(event_time) ORDER BY (event_type, user_id, event_time)";

/// The seed's example: a SummingMergeTree rollup with an inner table, fed by inserts, read
/// by the dashboard query.
#[test]
fn seed_example_summing_rollup() {
    let dir = tempfile::tempdir().unwrap();
    let engine = StorageEngine::open(dir.path()).unwrap();
    let mut s = Session::new(engine);
    q(&mut s, EVENTS);
    q(
        &mut s,
        "CREATE MATERIALIZED VIEW hourly_events_mv ENGINE = SummingMergeTree() ORDER BY (event_type, hour) \
         AS SELECT event_type, toStartOfHour(event_time) AS hour, count() AS event_count, \
         uniqHLL12(user_id) AS unique_users FROM events GROUP BY event_type, hour",
    );
    for batch in 0..3 {
        let rows: Vec<String> = (0..50)
            .map(|i| {
                let id = batch * 50 + i;
                format!(
                    "({id}, {}, '{}', map('k', 'v'), now() - INTERVAL {} MINUTE)",
                    id % 7,
                    ["click", "view", "buy"][(id % 3) as usize],
                    id % 5
                )
            })
            .collect();
        q(
            &mut s,
            &format!("INSERT INTO events VALUES {}", rows.join(", ")),
        );
    }
    let dashboard =
        "SELECT event_type, sum(event_count) AS total_events, sum(unique_users) AS total_users \
        FROM hourly_events_mv WHERE hour >= now() - INTERVAL 24 HOUR GROUP BY event_type \
        ORDER BY total_events DESC, event_type LIMIT 20";
    let raw = "SELECT event_type, count() AS total_events FROM events GROUP BY event_type \
        ORDER BY total_events DESC, event_type";
    let got: Vec<String> = q(&mut s, dashboard)
        .iter()
        .map(|l| l.rsplit_once('\t').unwrap().0.to_string())
        .collect();
    assert_eq!(got, q(&mut s, raw));
    // The inner table has one part per insert (three inserts) until merged.
    let parts = q(
        &mut s,
        "SELECT count() FROM system.parts WHERE table LIKE '.inner_id.%' AND active",
    );
    assert!(parts[0].parse::<u32>().unwrap() >= 1);
    q(&mut s, "OPTIMIZE TABLE hourly_events_mv FINAL");
    let got_after: Vec<String> = q(&mut s, dashboard)
        .iter()
        .map(|l| l.rsplit_once('\t').unwrap().0.to_string())
        .collect();
    assert_eq!(got_after, got);
    // SHOW TABLES lists the view and its inner table; system.tables names the engine.
    let tables = q(&mut s, "SHOW TABLES");
    assert!(
        tables.contains(&"hourly_events_mv".to_string()),
        "{tables:?}"
    );
    assert_eq!(
        q(
            &mut s,
            "SELECT engine FROM system.tables WHERE name = 'hourly_events_mv'"
        ),
        ["MaterializedView"]
    );
    // DROP VIEW drops the inner table too.
    q(&mut s, "DROP VIEW hourly_events_mv");
    assert_eq!(q(&mut s, "SHOW TABLES"), ["events"]);
}

#[test]
fn to_target_chains_populate_and_several_views() {
    let dir = tempfile::tempdir().unwrap();
    let engine = StorageEngine::open(dir.path()).unwrap();
    let mut s = Session::new(engine);
    q(
        &mut s,
        "CREATE TABLE src (k UInt8, v Int64) ENGINE = MergeTree ORDER BY k",
    );
    q(&mut s, "INSERT INTO src VALUES (1, 10), (2, 20)");
    q(
        &mut s,
        "CREATE TABLE by_k (k UInt8, total Int64, n UInt64) ENGINE = SummingMergeTree ORDER BY k",
    );
    q(
        &mut s,
        "CREATE MATERIALIZED VIEW mv1 TO by_k AS SELECT k, sum(v) AS total, count() AS n FROM src GROUP BY k",
    );
    // A second view on the same source, with POPULATE into an inner table.
    q(
        &mut s,
        "CREATE MATERIALIZED VIEW mv_max ENGINE = ReplacingMergeTree ORDER BY k POPULATE \
         AS SELECT k, max(v) AS top FROM src GROUP BY k",
    );
    // A chain: a view over the first view's target (named by the view), with a column
    // the query does not give (its DEFAULT applies) and one it gives that the target lacks.
    q(
        &mut s,
        "CREATE TABLE grand (one UInt8, total Int64, note String DEFAULT 'chained') ENGINE = SummingMergeTree ORDER BY one",
    );
    q(
        &mut s,
        "CREATE MATERIALIZED VIEW mv2 TO grand AS SELECT 1 AS one, sum(total) AS total, 'x' AS extra FROM mv1",
    );
    q(&mut s, "INSERT INTO src VALUES (1, 1), (3, 3), (3, 4)");
    q(&mut s, "INSERT INTO src SELECT 2, number FROM numbers(5)");
    // mv1 saw only the rows inserted after it was created (no POPULATE).
    assert_eq!(
        q(
            &mut s,
            "SELECT k, sum(total), sum(n) FROM by_k GROUP BY k ORDER BY k"
        ),
        ["1\t1\t1", "2\t10\t5", "3\t7\t2"]
    );
    assert_eq!(
        q(
            &mut s,
            "SELECT k, max(top) FROM mv_max GROUP BY k ORDER BY k"
        ),
        ["1\t10", "2\t20", "3\t4"]
    );
    assert_eq!(
        q(
            &mut s,
            "SELECT one, sum(total), any(note) FROM grand GROUP BY one"
        ),
        ["1\t18\tchained"]
    );
    // Reading a materialized view reads its target.
    assert_eq!(q(&mut s, "SELECT sum(n) FROM mv1"), ["8"]);
    // INSERT INTO a materialized view inserts into its target.
    q(&mut s, "INSERT INTO mv1 VALUES (9, 90, 1)");
    assert_eq!(q(&mut s, "SELECT sum(total) FROM by_k WHERE k = 9"), ["90"]);
}

#[test]
fn failing_view_fails_the_whole_insert() {
    let dir = tempfile::tempdir().unwrap();
    let engine = StorageEngine::open(dir.path()).unwrap();
    let mut s = Session::new(engine);
    q(
        &mut s,
        "CREATE TABLE src (k UInt8, d String) ENGINE = MergeTree ORDER BY k",
    );
    q(
        &mut s,
        "CREATE TABLE ok_target (k UInt8) ENGINE = MergeTree ORDER BY k",
    );
    q(
        &mut s,
        "CREATE TABLE bad_target (k UInt8, n UInt32) ENGINE = MergeTree ORDER BY k",
    );
    q(
        &mut s,
        "CREATE MATERIALIZED VIEW a_ok TO ok_target AS SELECT k FROM src",
    );
    // toUInt32 of a non-number fails at insert time.
    q(
        &mut s,
        "CREATE MATERIALIZED VIEW b_bad TO bad_target AS SELECT k, toUInt32(d) AS n FROM src",
    );
    q(&mut s, "INSERT INTO src VALUES (1, '5')");
    let err = s
        .execute("INSERT INTO src VALUES (2, '6'), (3, 'not a number')")
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("while pushing to view default.b_bad"),
        "{err}"
    );
    // Nothing of the failed insert is visible anywhere.
    assert_eq!(q(&mut s, "SELECT count() FROM src"), ["1"]);
    assert_eq!(q(&mut s, "SELECT count() FROM ok_target"), ["1"]);
    assert_eq!(q(&mut s, "SELECT count() FROM bad_target"), ["1"]);
    // No temporary part directories are left behind.
    let leftovers: Vec<_> = walk(dir.path())
        .into_iter()
        .filter(|p| p.contains("tmp_"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        out.push(p.display().to_string());
        if p.is_dir() {
            out.extend(walk(&p));
        }
    }
    out
}

#[test]
fn views_survive_restart_and_plain_views() {
    let dir = tempfile::tempdir().unwrap();
    {
        let engine = StorageEngine::open(dir.path()).unwrap();
        let mut s = Session::new(engine);
        q(
            &mut s,
            "CREATE TABLE src (k UInt8, v Int64) ENGINE = MergeTree ORDER BY k",
        );
        q(
            &mut s,
            "CREATE MATERIALIZED VIEW mv ENGINE = SummingMergeTree ORDER BY k AS SELECT k, sum(v) AS s FROM src GROUP BY k",
        );
        q(
            &mut s,
            "CREATE VIEW big AS SELECT k, v FROM src WHERE v > 10",
        );
        q(&mut s, "INSERT INTO src VALUES (1, 5), (1, 50), (2, 20)");
    }
    let engine = StorageEngine::open(dir.path()).unwrap();
    let mut s = Session::new(engine);
    q(&mut s, "INSERT INTO src VALUES (2, 2)");
    assert_eq!(
        q(&mut s, "SELECT k, sum(s) FROM mv GROUP BY k ORDER BY k"),
        ["1\t55", "2\t22"]
    );
    assert_eq!(
        q(&mut s, "SELECT k, v FROM big ORDER BY v"),
        ["2\t20", "1\t50"]
    );
    assert_eq!(
        q(&mut s, "SELECT count() FROM big AS b WHERE b.k = 1"),
        ["1"]
    );
    let err = s.execute("INSERT INTO big VALUES (1, 1)").unwrap_err();
    assert_eq!(err.code(), 48, "{err}");
    q(
        &mut s,
        "CREATE OR REPLACE VIEW big AS SELECT k FROM src WHERE v < 10",
    );
    assert_eq!(q(&mut s, "SELECT k FROM big ORDER BY k"), ["1", "2"]);
    q(&mut s, "DROP TABLE big");
    q(&mut s, "DROP VIEW mv");
    assert_eq!(q(&mut s, "SHOW TABLES"), ["src"]);
    let err = s
        .execute("CREATE MATERIALIZED VIEW loop TO src AS SELECT * FROM src")
        .unwrap_err();
    assert_eq!(err.code(), 36, "{err}");
}

/// The correct form of the seed's rollup: AggregatingMergeTree with -State columns, read
/// with -Merge; equal to the aggregation over the raw table, before and after merges and
/// across a restart.
#[test]
fn aggregating_rollup_with_states() {
    let dir = tempfile::tempdir().unwrap();
    let dashboard = "SELECT event_type, countMerge(events) AS total_events, uniqHLL12Merge(users) AS total_users, \
        uniqExactMerge(exact_users) AS exact, avgMerge(avg_id) AS avg_id \
        FROM hourly_agg WHERE hour >= now() - INTERVAL 24 HOUR GROUP BY event_type ORDER BY event_type";
    let raw = "SELECT event_type, count() AS total_events, uniqHLL12(user_id) AS total_users, \
        uniqExact(user_id) AS exact, avg(event_id) AS avg_id \
        FROM events GROUP BY event_type ORDER BY event_type";
    {
        let engine = StorageEngine::open(dir.path()).unwrap();
        let mut s = Session::new(engine);
        q(&mut s, EVENTS);
        q(
            &mut s,
            "CREATE MATERIALIZED VIEW hourly_agg ENGINE = AggregatingMergeTree() ORDER BY (event_type, hour) \
             AS SELECT event_type, toStartOfHour(event_time) AS hour, countState() AS events, \
             uniqHLL12State(user_id) AS users, uniqExactState(user_id) AS exact_users, avgState(event_id) AS avg_id \
             FROM events GROUP BY event_type, hour",
        );
        for batch in 0..4u64 {
            q(
                &mut s,
                &format!(
                    "INSERT INTO events SELECT number, toUInt32(number % 97), \
                     ['click', 'view', 'buy'][number % 3 + 1], map('k', 'v'), now() - number % 3600 \
                     FROM numbers({}, 500)",
                    batch * 500
                ),
            );
        }
        assert_eq!(q(&mut s, dashboard), q(&mut s, raw));
        q(&mut s, "OPTIMIZE TABLE hourly_agg FINAL");
        assert_eq!(q(&mut s, dashboard), q(&mut s, raw));
    }
    let engine = StorageEngine::open(dir.path()).unwrap();
    let mut s = Session::new(engine);
    q(
        &mut s,
        "INSERT INTO events SELECT number, toUInt32(number % 50), 'buy', map('k', 'v'), now() FROM numbers(2000, 100)",
    );
    assert_eq!(q(&mut s, dashboard), q(&mut s, raw));
}
