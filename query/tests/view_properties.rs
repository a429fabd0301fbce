//! Property: for any sequence of inserts and merges, a materialized view's result equals
//! the same aggregation run on its source table.

mod common;

use common::q;

use granary_query::session::Session;
use granary_storage::StorageEngine;
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Insert(Vec<(u8, i64)>),
    Optimize { final_: bool },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => prop::collection::vec((0u8..6, -1000i64..1000), 0..40).prop_map(Op::Insert),
        1 => any::<bool>().prop_map(|final_| Op::Optimize { final_ }),
    ]
}

fn check(s: &mut Session) {
    // Summing rollup with an inner table.
    assert_eq!(
        q(
            s,
            "SELECT k, sum(total), sum(n) FROM rollup GROUP BY k ORDER BY k"
        ),
        q(
            s,
            "SELECT k, sum(v), count() FROM src GROUP BY k ORDER BY k"
        )
    );
    // A filtering view into a plain MergeTree target: the same rows.
    assert_eq!(
        q(s, "SELECT k, v FROM positives ORDER BY k, v"),
        q(s, "SELECT k, v FROM src WHERE v > 0 ORDER BY k, v")
    );
    // A chained view over the rollup's rows.
    assert_eq!(
        q(s, "SELECT sum(total), sum(n) FROM grand"),
        q(s, "SELECT sum(v), count() FROM src")
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]
    #[test]
    fn view_equals_aggregation_over_source(ops in prop::collection::vec(op(), 1..10)) {
        let dir = tempfile::tempdir().unwrap();
        let engine = StorageEngine::open(dir.path()).unwrap();
        let mut s = Session::new(engine);
        q(&mut s, "CREATE TABLE src (k UInt8, v Int64) ENGINE = MergeTree ORDER BY k SETTINGS index_granularity = 4");
        q(&mut s, "CREATE MATERIALIZED VIEW rollup ENGINE = SummingMergeTree ORDER BY k \
                   AS SELECT k, sum(v) AS total, count() AS n FROM src GROUP BY k");
        q(&mut s, "CREATE TABLE pos (k UInt8, v Int64) ENGINE = MergeTree ORDER BY (k, v)");
        q(&mut s, "CREATE MATERIALIZED VIEW positives TO pos AS SELECT k, v FROM src WHERE v > 0");
        q(&mut s, "CREATE TABLE grand_t (total Int64, n UInt64, one UInt8) ENGINE = SummingMergeTree ORDER BY one");
        q(&mut s, "CREATE MATERIALIZED VIEW grand TO grand_t AS SELECT 1 AS one, sum(total) AS total, sum(n) AS n FROM rollup");
        for op in ops {
            match op {
                Op::Insert(rows) if rows.is_empty() => {}
                Op::Insert(rows) => {
                    let values: Vec<String> = rows.iter().map(|(k, v)| format!("({k}, {v})")).collect();
                    q(&mut s, &format!("INSERT INTO src VALUES {}", values.join(", ")));
                }
                Op::Optimize { final_ } => {
                    let f = if final_ { " FINAL" } else { "" };
                    for t in ["rollup", "pos", "grand_t", "src"] {
                        q(&mut s, &format!("OPTIMIZE TABLE {t}{f}"));
                    }
                }
            }
            check(&mut s);
        }
    }
}
