//! Damage on disk, through the engine (reliability promises D4 and D5, and startup
//! recovery): flipped and truncated column files, more broken parts than
//! `max_suspicious_broken_parts`, a torn commit log, stray temporary directories and part
//! directories the commit log never named.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{ArrayRef, AsArray, BinaryArray, Float64Array, UInt64Array, UInt8Array};
use arrow::datatypes::UInt64Type;
use arrow::record_batch::RecordBatch;
use granary_storage::key_expr::KeyExpr;
use granary_storage::schema::{ColumnDef, TableSchema};
use granary_storage::settings::MergeTreeSettings;
use granary_storage::types::DataType;
use granary_storage::{MergeTreeTable, StorageEngine};

const DB: &str = "default";
const T: &str = "t";

fn schema(settings: &dyn Fn(&mut MergeTreeSettings)) -> TableSchema {
    let mut s = TableSchema::new(
        vec![
            ColumnDef::new("id", DataType::UInt64),
            ColumnDef::new("p", DataType::UInt8),
            ColumnDef::new("v", DataType::Float64),
            ColumnDef::new("s", DataType::String),
        ],
        &["id"],
    )
    .unwrap();
    s.partition_by = Some(KeyExpr::parse("p").unwrap());
    s.settings.index_granularity = 128;
    s.settings.min_compress_block_size = 4096;
    settings(&mut s.settings);
    s
}

/// Rows `ids` of partition `p`.
fn batch(t: &MergeTreeTable, p: u8, ids: std::ops::Range<u64>) -> RecordBatch {
    let ids: Vec<u64> = ids.collect();
    let cols: Vec<ArrayRef> = vec![
        Arc::new(UInt64Array::from(ids.clone())),
        Arc::new(UInt8Array::from(vec![p; ids.len()])),
        Arc::new(Float64Array::from_iter_values(
            ids.iter().map(|&i| i as f64 * 1.5),
        )),
        Arc::new(BinaryArray::from_iter_values(
            ids.iter().map(|i| format!("s{i}")),
        )),
    ];
    RecordBatch::try_new(t.schema().arrow_schema(), cols).unwrap()
}

/// The sorted ids of the table.
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

/// Every column of every row is readable and right.
fn check_all_columns(t: &MergeTreeTable) {
    for b in t.snapshot().read_all(&["id", "v", "s"]).unwrap() {
        let id = b.column(0).as_primitive::<UInt64Type>();
        let v = b.column(1).as_primitive::<arrow::datatypes::Float64Type>();
        let s = b.column(2).as_binary::<i32>();
        for r in 0..b.num_rows() {
            assert_eq!(v.value(r), id.value(r) as f64 * 1.5);
            assert_eq!(s.value(r), format!("s{}", id.value(r)).as_bytes());
        }
    }
}

fn active_names(t: &MergeTreeTable) -> BTreeSet<String> {
    t.snapshot().parts.iter().map(|p| p.info.name()).collect()
}

/// Directory names in `dir`, sorted.
fn dir_names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().to_string())
            .collect(),
        Err(_) => Vec::new(),
    };
    v.sort();
    v
}

/// A data directory with table `t` holding one part per partition 0, 1, 2 (1000 rows
/// each: ids 0..1000, 1000..2000, 2000..3000). Returns the table directory and the part
/// directory of each partition.
fn setup(data: &Path, settings: &dyn Fn(&mut MergeTreeSettings)) -> (PathBuf, Vec<PathBuf>) {
    let engine = StorageEngine::open(data).unwrap();
    let t = engine
        .create_table(DB, T, schema(settings), "CREATE TABLE t", false)
        .unwrap();
    for p in 0..3u8 {
        let lo = p as u64 * 1000;
        t.insert(&batch(&t, p, lo..lo + 1000)).unwrap();
    }
    let snap = t.snapshot();
    assert_eq!(snap.parts.len(), 3);
    let parts = snap.parts.iter().map(|p| p.dir.clone()).collect();
    (t.dir().to_path_buf(), parts)
}

/// Flips one byte in the middle of `file`.
fn flip_byte(file: &Path) {
    let mut bytes = std::fs::read(file).unwrap();
    assert!(
        bytes.len() > 64,
        "{} is too small to damage",
        file.display()
    );
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x5a;
    std::fs::write(file, &bytes).unwrap();
}

fn name_of(dir: &Path) -> String {
    dir.file_name().unwrap().to_string_lossy().to_string()
}

#[test]
fn a_flipped_byte_detaches_the_part_at_start_and_the_rest_loads() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let (table_dir, parts) = setup(&data, &|_| {});
    let broken = name_of(&parts[1]);
    flip_byte(&parts[1].join("v.bin"));

    let engine = StorageEngine::open(&data).expect("the engine opens despite a broken part");
    let t = engine
        .table(DB, T)
        .expect("the table loads without the broken part");
    assert!(!active_names(&t).contains(&broken));
    assert_eq!(active_names(&t).len(), 2);
    assert_eq!(ids(&t), (0..1000).chain(2000..3000).collect::<Vec<_>>());
    check_all_columns(&t);
    // Moved, visibly, with the reason; nothing deleted.
    let detached = table_dir
        .join("detached")
        .join(format!("broken-on-start_{broken}"));
    assert!(
        detached.is_dir(),
        "{:?}",
        dir_names(&table_dir.join("detached"))
    );
    assert!(!parts[1].exists());
    let reason = std::fs::read_to_string(detached.join("detach_reason.txt")).unwrap();
    assert!(reason.contains("v.bin"), "{reason}");
    assert!(detached.join("v.bin").is_file() && detached.join("id.bin").is_file());

    // The table keeps working: inserts, and another restart finds the same state.
    t.insert(&batch(&t, 1, 5000..5100)).unwrap();
    drop(t);
    drop(engine);
    let engine = StorageEngine::open(&data).unwrap();
    let t = engine.table(DB, T).unwrap();
    assert_eq!(
        ids(&t),
        (0..1000)
            .chain(2000..3000)
            .chain(5000..5100)
            .collect::<Vec<_>>()
    );
    check_all_columns(&t);
    assert_eq!(
        dir_names(&table_dir.join("detached")),
        [format!("broken-on-start_{broken}")]
    );
}

#[test]
fn without_the_start_check_a_read_names_table_part_and_file() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let (_, parts) = setup(&data, &|s| s.check_checksums_on_start = false);
    let broken = name_of(&parts[1]);
    flip_byte(&parts[1].join("v.bin"));

    let engine = StorageEngine::open(&data).unwrap();
    let t = engine.table(DB, T).unwrap();
    assert_eq!(active_names(&t).len(), 3, "the part loads: sizes match");
    // Other columns of the damaged part, and the damaged column of other parts, read fine.
    assert_eq!(ids(&t), (0..3000).collect::<Vec<_>>());
    let snap = t.snapshot();
    for p in snap.parts.iter().filter(|p| p.info.name() != broken) {
        p.read_all(&["v", "s"]).unwrap();
    }
    let e = snap.read_all(&["id", "v"]).unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e.code(), 40 | 246), "code {}: {msg}", e.code());
    assert!(msg.contains("default.t"), "no table in: {msg}");
    assert!(msg.contains(&broken), "no part in: {msg}");
    assert!(msg.contains("v.bin"), "no file in: {msg}");
    let wire = e.to_clickhouse_string();
    assert!(
        wire.contains("CHECKSUM_DOESNT_MATCH") || wire.contains("CORRUPTED_DATA"),
        "{wire}"
    );
}

#[test]
fn a_merge_over_a_corrupt_part_never_commits() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let (table_dir, parts) = setup(&data, &|s| s.check_checksums_on_start = false);
    let broken = name_of(&parts[1]);
    {
        // A second, healthy part in the same partition, so there is something to merge.
        let engine = StorageEngine::open(&data).unwrap();
        let t = engine.table(DB, T).unwrap();
        t.insert(&batch(&t, 1, 4000..4500)).unwrap();
    }
    flip_byte(&parts[1].join("v.bin"));
    let engine = StorageEngine::open(&data).unwrap();
    let t = engine.table(DB, T).unwrap();
    let before = active_names(&t);
    assert_eq!(before.len(), 4);
    let on_disk = dir_names(&table_dir);

    let e = t.optimize(Some("1"), true).unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e.code(), 40 | 246), "code {}: {msg}", e.code());
    assert!(
        msg.contains("default.t") && msg.contains(&broken) && msg.contains("v.bin"),
        "the merge error must name table, part and file: {msg}"
    );
    assert_eq!(active_names(&t), before, "a failed merge changed the parts");
    assert_eq!(
        dir_names(&table_dir),
        on_disk,
        "a failed merge left files behind"
    );
    // Partitions without damage still merge.
    t.insert(&batch(&t, 0, 6000..6100)).unwrap();
    t.optimize(Some("0"), true).unwrap();
    assert_eq!(t.snapshot().partition_parts("0").len(), 1);
    drop(t);
    drop(engine);
    // And the log agrees after a restart.
    let engine = StorageEngine::open(&data).unwrap();
    let t = engine.table(DB, T).unwrap();
    assert!(active_names(&t).contains(&broken));
    assert_eq!(t.snapshot().partition_parts("1").len(), 2);
}

#[test]
fn a_truncated_column_file_is_detached_even_without_the_full_check() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let (table_dir, parts) = setup(&data, &|s| s.check_checksums_on_start = false);
    let broken = name_of(&parts[2]);
    let f = parts[2].join("s.bin");
    let len = std::fs::metadata(&f).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&f)
        .unwrap()
        .set_len(len / 2)
        .unwrap();

    let engine = StorageEngine::open(&data).unwrap();
    let t = engine.table(DB, T).unwrap();
    assert_eq!(ids(&t), (0..2000).collect::<Vec<_>>());
    check_all_columns(&t);
    let detached = table_dir
        .join("detached")
        .join(format!("broken-on-start_{broken}"));
    let reason = std::fs::read_to_string(detached.join("detach_reason.txt")).unwrap();
    assert!(reason.contains("s.bin"), "{reason}");
}

#[test]
fn more_broken_parts_than_allowed_refuse_to_load_and_delete_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let (table_dir, parts) = setup(&data, &|s| s.max_suspicious_broken_parts = 1);
    {
        // A healthy neighbour table in the same engine.
        let engine = StorageEngine::open(&data).unwrap();
        let u = engine
            .create_table(DB, "u", schema(&|_| {}), "CREATE TABLE u", false)
            .unwrap();
        u.insert(&batch(&u, 0, 0..10)).unwrap();
    }
    flip_byte(&parts[0].join("v.bin"));
    flip_byte(&parts[2].join("id.bin"));
    let before = dir_names(&table_dir);

    let engine = StorageEngine::open(&data).expect("the engine opens");
    let e = engine.table(DB, T).unwrap_err();
    let msg = e.to_string();
    assert_eq!(e.code(), 231, "{msg}");
    assert!(msg.contains("default.t"), "no table in: {msg}");
    assert!(
        msg.contains("max_suspicious_broken_parts") && msg.contains("broken"),
        "unclear message: {msg}"
    );
    assert!(e
        .to_clickhouse_string()
        .contains("TOO_MANY_UNEXPECTED_DATA_PARTS"));
    // The table stays listed; its neighbour works; nothing was moved or deleted.
    assert!(engine.table_names(DB).unwrap().contains(&T.to_string()));
    assert_eq!(
        ids(&engine.table(DB, "u").unwrap()),
        (0..10).collect::<Vec<_>>()
    );
    assert_eq!(dir_names(&table_dir), before);
    assert!(parts.iter().all(|p| p.join("v.bin").is_file()));
    drop(engine);

    // Raising the limit (as an operator would) lets the table load, detaching both parts.
    let meta_path = data.join("metadata").join(DB).join(format!("{T}.json"));
    let mut meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&meta_path).unwrap()).unwrap();
    meta["schema"]["settings"]["max_suspicious_broken_parts"] = 5.into();
    std::fs::write(&meta_path, serde_json::to_vec_pretty(&meta).unwrap()).unwrap();
    let engine = StorageEngine::open(&data).unwrap();
    let t = engine.table(DB, T).unwrap();
    assert_eq!(ids(&t), (1000..2000).collect::<Vec<_>>());
    assert_eq!(dir_names(&table_dir.join("detached")).len(), 2);
}

/// Start offsets of the frames of `txn.log` (`magic u32, len u32, hash u64, payload`).
fn log_frames(bytes: &[u8]) -> Vec<usize> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos + 16 <= bytes.len() {
        let len = u32::from_le_bytes(bytes[pos + 4..pos + 8].try_into().unwrap()) as usize;
        out.push(pos);
        pos += 16 + len;
    }
    assert_eq!(pos, bytes.len(), "txn.log does not end on a frame boundary");
    out
}

#[test]
fn a_torn_commit_log_tail_is_tolerated() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let (table_dir, parts) = setup(&data, &|_| {});
    let log = data.join("txn.log");
    let clean = std::fs::read(&log).unwrap();
    let frames = log_frames(&clean);
    let last = *frames.last().unwrap();

    // 1. Garbage after the last record (a torn append of a record that never committed).
    let mut bytes = clean.clone();
    bytes.extend_from_slice(&clean[last..last + 20]);
    bytes.extend_from_slice(&[0xab; 7]);
    std::fs::write(&log, &bytes).unwrap();
    {
        let engine = StorageEngine::open(&data).unwrap();
        let t = engine.table(DB, T).unwrap();
        assert_eq!(ids(&t), (0..3000).collect::<Vec<_>>());
    }
    assert_eq!(
        std::fs::read(&log).unwrap(),
        clean,
        "the torn tail is cut off"
    );

    // 2. The last record itself torn (the crash hit its fsync): that insert rolls back and
    // its part directory, which no record names, is removed.
    let torn_part = name_of(&parts[2]);
    std::fs::write(&log, &clean[..last + (clean.len() - last) / 2]).unwrap();
    let engine = StorageEngine::open(&data).unwrap();
    let t = engine.table(DB, T).unwrap();
    assert_eq!(ids(&t), (0..2000).collect::<Vec<_>>());
    assert!(!table_dir.join(&torn_part).exists());
    check_all_columns(&t);
    // Later inserts and restarts work on top.
    t.insert(&batch(&t, 2, 7000..7010)).unwrap();
    drop(t);
    drop(engine);
    let engine = StorageEngine::open(&data).unwrap();
    let t = engine.table(DB, T).unwrap();
    assert_eq!(ids(&t), (0..2000).chain(7000..7010).collect::<Vec<_>>());
}

#[test]
fn stray_temporary_directories_are_removed_at_start() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let (table_dir, _) = setup(&data, &|_| {});
    let strays = [
        "tmp_insert_1_9_9_0_3",
        "tmp_merge_0_1_4_1_0",
        "tmp_insert_2_10_10_0_4",
    ];
    for s in strays {
        let d = table_dir.join(s);
        std::fs::create_dir_all(d.join("nested")).unwrap();
        std::fs::write(d.join("id.bin"), b"half-written").unwrap();
    }
    let engine = StorageEngine::open(&data).unwrap();
    let t = engine.table(DB, T).unwrap();
    for s in strays {
        assert!(!table_dir.join(s).exists(), "{s} survived the open");
    }
    assert_eq!(ids(&t), (0..3000).collect::<Vec<_>>());
    assert!(active_names(&t).iter().all(|n| !n.starts_with("tmp")));
}

#[test]
fn a_part_directory_the_log_never_named_is_removed_at_start() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let (table_dir, _) = setup(&data, &|_| {});
    let renamed: Vec<String> = {
        // A crash after the rename into place, before the commit record: write the parts
        // of an insert and rename them as the commit would, but never commit.
        let engine = StorageEngine::open(&data).unwrap();
        let t = engine.table(DB, T).unwrap();
        let mut b = batch(&t, 0, 9000..9050);
        b = arrow::compute::concat_batches(&b.schema(), &[b.clone(), batch(&t, 1, 9050..9100)])
            .unwrap();
        let written = t.write_parts(&b).unwrap();
        assert_eq!(written.len(), 2);
        written
            .iter()
            .map(|w| {
                let name = w.info.name();
                std::fs::rename(&w.tmp_dir, table_dir.join(&name)).unwrap();
                name
            })
            .collect()
    };
    for n in &renamed {
        assert!(table_dir.join(n).is_dir());
    }
    let engine = StorageEngine::open(&data).unwrap();
    let t = engine.table(DB, T).unwrap();
    for n in &renamed {
        assert!(
            !table_dir.join(n).exists(),
            "uncommitted part {n} survived the open"
        );
        assert!(!active_names(&t).contains(n));
    }
    assert_eq!(ids(&t), (0..3000).collect::<Vec<_>>());
    // Their block numbers may be reused by the next insert without a clash.
    t.insert(&batch(&t, 0, 9100..9110)).unwrap();
    assert_eq!(t.snapshot().total_rows(), 3010);
}

#[test]
fn a_missing_part_directory_is_dropped_from_the_active_set() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let (_, parts) = setup(&data, &|_| {});
    std::fs::remove_dir_all(&parts[0]).unwrap();
    let engine = StorageEngine::open(&data).unwrap();
    let t = engine.table(DB, T).unwrap();
    assert_eq!(ids(&t), (1000..3000).collect::<Vec<_>>());
    drop(t);
    drop(engine);
    let engine = StorageEngine::open(&data).unwrap();
    assert_eq!(engine.table(DB, T).unwrap().snapshot().parts.len(), 2);
}

/// A record in the middle of the log that fails its checksum is not a torn tail: valid
/// records follow it. Treating it as the end of the log would silently forget every later
/// commit and (since the log is the source of truth) delete their parts at startup. The
/// engine must refuse instead (or keep everything); it must never delete part directories.
#[test]
fn a_damaged_record_mid_log_never_deletes_committed_parts() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let (table_dir, parts) = setup(&data, &|_| {});
    let log = data.join("txn.log");
    let mut bytes = std::fs::read(&log).unwrap();
    let frames = log_frames(&bytes);
    assert!(frames.len() >= 3);
    // One flipped bit in the payload of the first record.
    bytes[frames[0] + 20] ^= 0x01;
    std::fs::write(&log, &bytes).unwrap();
    let opened = StorageEngine::open(&data);
    for p in &parts {
        let detached = table_dir
            .join("detached")
            .join(format!("broken-on-start_{}", name_of(p)));
        assert!(
            p.is_dir() || detached.is_dir(),
            "committed part {} was deleted",
            p.display()
        );
    }
    match opened {
        Err(e) => {
            // The engine refuses to open, naming the corruption.
            assert_eq!(e.code(), 246, "{e}");
            assert!(e.to_string().contains("txn.log"), "{e}");
        }
        Ok(engine) => match engine.table(DB, T) {
            Err(e) => eprintln!("table refused, as it may: {e}"),
            Ok(t) => assert_eq!(
                ids(&t),
                (0..3000).collect::<Vec<_>>(),
                "committed rows lost"
            ),
        },
    }
}
