//! The SELECT pipeline end to end over numbers() and MergeTree tables (queries that need
//! no scalar function; golden SQL tests cover the rest).

use std::sync::Arc;

use arrow::array::{AsArray, UInt64Array};
use arrow::datatypes::UInt64Type;
use arrow::record_batch::RecordBatch;
use granary_query::session::Session;
use granary_storage::schema::{ColumnDef, TableSchema};
use granary_storage::types::DataType;
use granary_storage::StorageEngine;

fn values(out: &granary_query::session::QueryOutput, col: usize) -> Vec<u64> {
    out.batches
        .iter()
        .flat_map(|b| b.column(col).as_primitive::<UInt64Type>().values().to_vec())
        .collect()
}

#[test]
fn numbers_order_limit_offset() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Session::new(StorageEngine::open(dir.path()).unwrap());
    let out = s
        .execute("SELECT number FROM numbers(200000) ORDER BY number DESC LIMIT 3 OFFSET 1")
        .unwrap();
    assert_eq!(out.columns[0].0, "number");
    assert_eq!(values(&out, 0), vec![199_998, 199_997, 199_996]);
    let out = s.execute("SELECT number AS n FROM numbers(5, 3)").unwrap();
    assert_eq!(out.columns[0].0, "n");
    let mut v = values(&out, 0);
    v.sort();
    assert_eq!(v, vec![5, 6, 7]);
    let out = s.execute("SELECT DISTINCT x FROM (SELECT number AS x FROM numbers(3) UNION ALL SELECT number AS x FROM numbers(2)) ORDER BY x").unwrap();
    assert_eq!(values(&out, 0), vec![0, 1, 2]);
    let e = s.execute("SELECT nope FROM numbers(1)").unwrap_err();
    assert_eq!(e.code(), 47, "{e}");
    let e = s.execute("SELECT * FROM missing_table").unwrap_err();
    assert_eq!(e.code(), 60, "{e}");
    let e = s.execute("SELEC 1").unwrap_err();
    assert_eq!(e.code(), 62, "{e}");
}

#[test]
fn reads_a_merge_tree_table_in_parallel() {
    let dir = tempfile::tempdir().unwrap();
    let engine = StorageEngine::open(dir.path()).unwrap();
    let mut schema = TableSchema::new(
        vec![
            ColumnDef::new("id", DataType::UInt64),
            ColumnDef::new("v", DataType::UInt64),
        ],
        &["id"],
    )
    .unwrap();
    schema.settings.index_granularity = 100;
    let t = engine
        .create_table("default", "t", schema, "", false)
        .unwrap();
    for chunk in 0..4u64 {
        let ids: Vec<u64> = (chunk * 25_000..(chunk + 1) * 25_000).collect();
        let b = RecordBatch::try_new(
            t.schema().arrow_schema(),
            vec![
                Arc::new(UInt64Array::from(ids.clone())),
                Arc::new(UInt64Array::from(
                    ids.iter().map(|i| i * 2).collect::<Vec<_>>(),
                )),
            ],
        )
        .unwrap();
        t.insert(&b).unwrap();
    }
    let mut s = Session::new(engine);
    s.settings.max_threads = 4;
    let out = s
        .execute("SELECT v, id FROM t ORDER BY id DESC LIMIT 2")
        .unwrap();
    assert_eq!(values(&out, 1), vec![99_999, 99_998]);
    assert_eq!(values(&out, 0), vec![199_998, 199_996]);
    let out = s.execute("SELECT * FROM default.t").unwrap();
    assert_eq!(out.num_rows(), 100_000);
    let mut ids = values(&out, 0);
    ids.sort();
    assert_eq!(ids, (0..100_000).collect::<Vec<_>>());
}

#[test]
fn select_final_applies_the_merging_mode() {
    use granary_storage::schema::TableEngine;
    let dir = tempfile::tempdir().unwrap();
    let engine = StorageEngine::open(dir.path()).unwrap();
    let mut schema = TableSchema::new(
        vec![
            ColumnDef::new("id", DataType::UInt64),
            ColumnDef::new("v", DataType::UInt64),
        ],
        &["id"],
    )
    .unwrap();
    schema.engine = TableEngine::ReplacingMergeTree {
        version: Some("v".into()),
    };
    let t = engine
        .create_table("default", "r", schema, "", false)
        .unwrap();
    for (ids, vs) in [
        (vec![1u64, 2, 3], vec![10u64, 10, 10]),
        (vec![2, 3], vec![30, 5]),
    ] {
        let b = RecordBatch::try_new(
            t.schema().arrow_schema(),
            vec![
                Arc::new(UInt64Array::from(ids)),
                Arc::new(UInt64Array::from(vs)),
            ],
        )
        .unwrap();
        t.insert(&b).unwrap();
    }
    let mut s = Session::new(engine);
    assert_eq!(s.execute("SELECT id FROM r").unwrap().num_rows(), 5);
    let out = s.execute("SELECT id, v FROM r FINAL ORDER BY id").unwrap();
    assert_eq!(values(&out, 0), vec![1, 2, 3]);
    assert_eq!(values(&out, 1), vec![10, 30, 10]);
}

#[test]
fn group_by_with_packed_and_row_keys() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Session::new(StorageEngine::open(dir.path()).unwrap());
    s.settings.max_threads = 3;
    // A packed single key, merged across threads.
    let out = s
        .execute("SELECT number % 3 AS k, count() AS c, sum(number) FROM numbers(300000) GROUP BY k ORDER BY k")
        .unwrap();
    assert_eq!(out.columns[0].0, "k");
    assert_eq!(out.columns[1].0, "c");
    assert_eq!(out.columns[2].0, "sum(number)");
    assert_eq!(values(&out, 1), vec![100_000, 100_000, 100_000]);
    assert_eq!(
        values(&out, 2),
        vec![14_999_850_000, 14_999_950_000, 15_000_050_000]
    );
    // Two keys packed into 128 bits, HAVING, ORDER BY an aggregate, LIMIT.
    let out = s
        .execute("SELECT number % 7 AS a, number % 5 AS b, count() FROM numbers(70000) GROUP BY a, b HAVING count() > 1000 ORDER BY count() DESC, a, b LIMIT 2")
        .unwrap();
    assert_eq!(out.num_rows(), 2);
    // No GROUP BY: one row even over no input.
    let out = s.execute("SELECT count() FROM numbers(0)").unwrap();
    assert_eq!(values(&out, 0), vec![0]);
    // A column neither aggregated nor grouped.
    let e = s
        .execute("SELECT number, count() FROM numbers(3)")
        .unwrap_err();
    assert_eq!(e.code(), 215, "{e}");
}

#[test]
fn memory_and_time_limits_fail_only_the_query() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Session::new(StorageEngine::open(dir.path()).unwrap());
    let e = s
        .execute("SELECT number, count() FROM numbers(2000000) GROUP BY number SETTINGS max_memory_usage = 1000000")
        .unwrap_err();
    assert_eq!(e.code(), 241, "{e}");
    assert!(
        e.message().contains("Memory limit (for query) exceeded"),
        "{e}"
    );
    let e = s
        .execute("SELECT count() FROM numbers(100000000) WHERE number % 7 = 3 SETTINGS max_execution_time = 0.01")
        .unwrap_err();
    assert_eq!(e.code(), 159, "{e}");
    let e = s
        .execute("SELECT number FROM numbers(10) SETTINGS max_result_rows = 5")
        .unwrap_err();
    assert_eq!(e.code(), 396, "{e}");
    // The session is unharmed.
    let out = s.execute("SELECT count() FROM numbers(10)").unwrap();
    assert_eq!(values(&out, 0), vec![10]);
}
