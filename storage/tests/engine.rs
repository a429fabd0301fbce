//! The storage engine end to end: tables, inserts, partitions, pruning, commits across
//! tables, drop partition, truncate, restarts and insert throttling.

use std::ops::Bound;
use std::sync::Arc;

use arrow::array::{ArrayRef, AsArray, BinaryArray, UInt64Array};
use arrow::datatypes::UInt64Type;
use arrow::record_batch::RecordBatch;
use granary_storage::key_expr::KeyExpr;
use granary_storage::schema::{ColumnDef, TableEngine, TableSchema};
use granary_storage::table::{ColumnRange, KeyCondition};
use granary_storage::types::DataType;
use granary_storage::value::Value;
use granary_storage::{MergeTreeTable, StorageEngine};

fn schema() -> TableSchema {
    let mut s = TableSchema::new(
        vec![
            ColumnDef::new("id", DataType::UInt64),
            ColumnDef::new("day", DataType::Date),
            ColumnDef::new("name", DataType::String),
        ],
        &["id"],
    )
    .unwrap();
    s.partition_by = Some(KeyExpr::parse("toYYYYMM(day)").unwrap());
    s.settings.index_granularity = 16;
    s
}

/// Rows `ids`, day = 2024-01-10 for even ids and 2024-02-10 for odd ones.
fn batch(t: &MergeTreeTable, ids: impl Iterator<Item = u64>) -> RecordBatch {
    let ids: Vec<u64> = ids.collect();
    let days: Vec<u16> = ids
        .iter()
        .map(|i| if i % 2 == 0 { 19_732 } else { 19_763 })
        .collect();
    let names: Vec<String> = ids.iter().map(|i| format!("n{i}")).collect();
    let cols: Vec<ArrayRef> = vec![
        Arc::new(UInt64Array::from(ids)),
        Arc::new(arrow::array::UInt16Array::from(days)),
        Arc::new(BinaryArray::from_iter_values(names.iter())),
    ];
    RecordBatch::try_new(t.schema().arrow_schema(), cols).unwrap()
}

fn ids(t: &MergeTreeTable) -> Vec<u64> {
    let mut out: Vec<u64> = t
        .snapshot()
        .read_all(&["id"])
        .unwrap()
        .iter()
        .flat_map(|b| b.column(0).as_primitive::<UInt64Type>().values().to_vec())
        .collect();
    out.sort();
    out
}

#[test]
fn inserts_split_by_partition_and_survive_restart() {
    let dir = tempfile::tempdir().unwrap();
    {
        let e = StorageEngine::open(dir.path()).unwrap();
        let t = e
            .create_table("default", "t", schema(), "CREATE TABLE t ...", false)
            .unwrap();
        t.insert(&batch(&t, (0..100).rev())).unwrap();
        let snap = t.snapshot();
        let names: Vec<String> = snap.parts.iter().map(|p| p.info.name()).collect();
        assert_eq!(names, ["202401_1_1_0", "202402_2_2_0"]);
        assert_eq!(snap.total_rows(), 100);
        // Sorted within the part.
        let first = snap.parts[0].read_all(&["id"]).unwrap();
        let v = first
            .column(0)
            .as_primitive::<UInt64Type>()
            .values()
            .to_vec();
        assert!(v.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(ids(&t), (0..100).collect::<Vec<_>>());
        assert!(e.create_table("default", "t", schema(), "", false).is_err());
        assert!(e.create_table("default", "t", schema(), "", true).is_ok());
    }
    let e = StorageEngine::open(dir.path()).unwrap();
    let t = e.table("default", "t").unwrap();
    assert_eq!(ids(&t), (0..100).collect::<Vec<_>>());
    assert_eq!(
        e.table_metadata("default", "t").unwrap().create_query,
        "CREATE TABLE t ..."
    );
    // Block numbers continue after a restart.
    t.insert(&batch(&t, 100..102)).unwrap();
    assert!(t
        .active_part_names(None)
        .contains(&"202401_3_3_0".to_string()));
    assert_eq!(e.table("default", "nope").unwrap_err().code(), 60);
    assert_eq!(e.table("nodb", "t").unwrap_err().code(), 81);
}

#[test]
fn key_condition_prunes_parts_and_granules() {
    let dir = tempfile::tempdir().unwrap();
    let e = StorageEngine::open(dir.path()).unwrap();
    let t = e.create_table("default", "t", schema(), "", false).unwrap();
    t.insert(&batch(&t, 0..1000)).unwrap();
    let snap = t.snapshot();
    // id in [100, 130]: both partitions hold such ids, but only a few granules each.
    let cond = KeyCondition::new(vec![ColumnRange {
        column: "id".into(),
        lower: Bound::Included(Value::UInt(100)),
        upper: Bound::Included(Value::UInt(130)),
    }]);
    let sel = snap.select(&cond);
    assert_eq!(sel.len(), 2);
    for pr in &sel {
        let marks: u64 = pr.ranges.iter().map(|r| r.end - r.begin).sum();
        assert!(marks <= 3, "{:?}", pr.ranges);
        let b = pr.part.read(&["id"], &pr.ranges).unwrap();
        let v = b.column(0).as_primitive::<UInt64Type>();
        let inside = v
            .values()
            .iter()
            .filter(|x| (100..=130).contains(*x))
            .count();
        assert!(inside >= 15);
    }
    // day = 2024-02-10 keeps only the February part (min/max of the day column).
    let cond = KeyCondition::new(vec![ColumnRange::eq("day", Value::UInt(19_763))]);
    let sel = snap.select(&cond);
    assert_eq!(sel.len(), 1);
    assert_eq!(sel[0].part.info.partition_id, "202402");
    // An impossible range selects nothing.
    let cond = KeyCondition::new(vec![ColumnRange::eq("id", Value::UInt(5000))]);
    assert!(snap.select(&cond).is_empty());
}

#[test]
fn drop_partition_truncate_and_snapshots_isolation() {
    let dir = tempfile::tempdir().unwrap();
    let e = StorageEngine::open(dir.path()).unwrap();
    let t = e.create_table("default", "t", schema(), "", false).unwrap();
    t.insert(&batch(&t, 0..10)).unwrap();
    let old = t.snapshot();
    let feb_dir = old.parts[1].dir.clone();
    t.drop_partition("202402").unwrap();
    assert_eq!(ids(&t), vec![0, 2, 4, 6, 8]);
    // The old snapshot still reads the dropped part; its files go when it is released.
    assert_eq!(old.total_rows(), 10);
    assert_eq!(old.parts[1].read_all(&["id"]).unwrap().num_rows(), 5);
    assert!(feb_dir.exists());
    drop(old);
    assert!(!feb_dir.exists());
    t.truncate().unwrap();
    assert!(ids(&t).is_empty());
    drop(t);
    drop(e);
    let e = StorageEngine::open(dir.path()).unwrap();
    assert!(ids(&e.table("default", "t").unwrap()).is_empty());
}

#[test]
fn one_transaction_commits_parts_of_several_tables() {
    let dir = tempfile::tempdir().unwrap();
    let e = StorageEngine::open(dir.path()).unwrap();
    let a = e.create_table("default", "a", schema(), "", false).unwrap();
    let b = e.create_table("default", "b", schema(), "", false).unwrap();
    let mut txn = e.begin();
    txn.add_parts(&a, a.write_parts(&batch(&a, 0..4)).unwrap());
    txn.add_parts(&b, b.write_parts(&batch(&b, 10..12)).unwrap());
    txn.set_metadata("kafka:topic:0".into(), "42".into());
    // Nothing visible before the commit.
    assert!(ids(&a).is_empty());
    txn.commit().unwrap();
    assert_eq!(ids(&a), vec![0, 1, 2, 3]);
    assert_eq!(ids(&b), vec![10, 11]);
    // A transaction dropped without commit leaves nothing, not even temporary directories.
    let mut txn = e.begin();
    txn.add_parts(&a, a.write_parts(&batch(&a, 50..60)).unwrap());
    drop(txn);
    assert_eq!(ids(&a).len(), 4);
    let leftovers: Vec<_> = std::fs::read_dir(a.dir())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("tmp"))
        .collect();
    assert!(leftovers.is_empty());
    drop((a, b));
    drop(e);
    let e = StorageEngine::open(dir.path()).unwrap();
    assert_eq!(e.committed_metadata("kafka:topic:0").as_deref(), Some("42"));
}

#[test]
fn too_many_parts_delays_then_rejects_inserts() {
    let dir = tempfile::tempdir().unwrap();
    let e = StorageEngine::open(dir.path()).unwrap();
    let mut s = schema();
    s.partition_by = None;
    s.settings.parts_to_delay_insert = 3;
    s.settings.parts_to_throw_insert = 5;
    s.settings.max_delay_to_insert_ms = 50;
    let t = e.create_table("default", "t", s, "", false).unwrap();
    for i in 0..5 {
        t.insert(&batch(&t, i..i + 1)).unwrap();
    }
    let err = t.insert(&batch(&t, 9..10)).unwrap_err();
    assert_eq!(err.code(), 252);
    assert!(err.to_string().contains("Too many parts"), "{err}");
    t.optimize(None, true).unwrap();
    assert_eq!(t.snapshot().parts.len(), 1);
    t.insert(&batch(&t, 9..10)).unwrap();
    assert_eq!(ids(&t), vec![0, 1, 2, 3, 4, 9]);
}

#[test]
fn optimize_final_and_background_merges() {
    let dir = tempfile::tempdir().unwrap();
    let e = StorageEngine::open(dir.path()).unwrap();
    let mut s = schema();
    s.engine = TableEngine::ReplacingMergeTree { version: None };
    s.order_by = vec!["name".into()];
    s.primary_key = vec!["name".into()];
    let t = e.create_table("default", "r", s, "", false).unwrap();
    // The same 20 names inserted three times: Replacing keeps one row per name.
    for _ in 0..3 {
        t.insert(&batch(&t, 0..20)).unwrap();
    }
    assert_eq!(t.snapshot().total_rows(), 60);
    t.optimize(Some("202401"), true).unwrap();
    assert_eq!(t.snapshot().partition_parts("202401").len(), 1);
    assert_eq!(t.snapshot().partition_parts("202401")[0].rows(), 10);
    assert_eq!(t.snapshot().partition_parts("202402").len(), 3);
    // Background merges bring the other partition down too.
    let plain = e.create_table("default", "p", schema(), "", false).unwrap();
    let mut bg = e.start_background_merges(2);
    for i in 0..40 {
        plain.insert(&batch(&plain, i * 10..i * 10 + 10)).unwrap();
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while plain.snapshot().parts.len() > 10 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    bg.stop();
    assert!(
        plain.snapshot().parts.len() <= 10,
        "{}",
        plain.snapshot().parts.len()
    );
    assert_eq!(ids(&plain), (0..400).collect::<Vec<_>>());
}

#[test]
fn drop_table_removes_data_and_survives_restart() {
    let dir = tempfile::tempdir().unwrap();
    let e = StorageEngine::open(dir.path()).unwrap();
    let t = e.create_table("default", "t", schema(), "", false).unwrap();
    t.insert(&batch(&t, 0..10)).unwrap();
    let data = t.dir().to_path_buf();
    drop(t);
    e.drop_table("default", "t", false).unwrap();
    assert!(!data.exists());
    assert_eq!(e.drop_table("default", "t", false).unwrap_err().code(), 60);
    e.drop_table("default", "t", true).unwrap();
    e.create_database("db2", false).unwrap();
    e.create_table("db2", "x", schema(), "", false).unwrap();
    drop(e);
    let e = StorageEngine::open(dir.path()).unwrap();
    assert_eq!(e.table_names("default").unwrap(), Vec::<String>::new());
    assert_eq!(e.table_names("db2").unwrap(), vec!["x".to_string()]);
    e.drop_database("db2", false).unwrap();
    assert!(!e.database_exists("db2"));
}
