//! Merges of real parts written to disk: every type survives, each mode combines across
//! parts, and cancellation cleans up.

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use arrow::array::*;
use arrow::datatypes::{i256, DataType as A, Int32Type};
use arrow::record_batch::RecordBatch;
use arrow::util::display::{ArrayFormatter, FormatOptions};

use super::*;
use crate::part::{sort_batch, DataPart, PartInfo, PartWriter};
use crate::schema::{ColumnDef, TableEngine, TableSchema};
use crate::types::DataType;
use crate::StorageError;

fn schema(engine: TableEngine, order_by: &[&str], granularity: usize) -> TableSchema {
    let cols = [
        ("k", "UInt64"),
        ("lc", "LowCardinality(String)"),
        ("v", "Int64"),
        ("ni", "Nullable(Int32)"),
        ("arr", "Array(Nullable(Int64))"),
        ("m", "Map(String, UInt32)"),
        ("d38", "Decimal(38, 10)"),
        ("d50", "Decimal(50, 5)"),
        ("fs", "FixedString(3)"),
        ("uuid", "UUID"),
        ("s", "String"),
        ("f", "Float64"),
        ("b", "Bool"),
        ("ts", "DateTime64(3)"),
        ("lcn", "LowCardinality(Nullable(String))"),
        ("sign", "Int8"),
    ];
    let mut s = TableSchema::new(
        cols.iter()
            .map(|(n, t)| ColumnDef::new(*n, DataType::parse(t).unwrap()))
            .collect(),
        order_by,
    )
    .unwrap();
    s.engine = engine;
    s.validate().unwrap();
    s.settings.index_granularity = granularity;
    s.settings.min_compress_block_size = 64;
    s
}

fn dict(values: impl Iterator<Item = Option<String>>) -> ArrayRef {
    let values: Vec<Option<String>> = values.collect();
    let d: DictionaryArray<Int32Type> = values.iter().map(|v| v.as_deref()).collect();
    arrow::compute::cast(&d, &A::Dictionary(Box::new(A::Int32), Box::new(A::Binary))).unwrap()
}

/// `n` rows; `k` from `keys`, `v` from `values`, the rest derived from `seed` and the row.
/// Arrays and maps are never empty (see [`reader_handles_granules_of_empty_arrays`]).
fn batch(schema: &TableSchema, keys: &[u64], values: &[i64], seed: u64) -> RecordBatch {
    batch_with(schema, keys, values, seed, 1)
}

fn batch_with(
    schema: &TableSchema,
    keys: &[u64],
    values: &[i64],
    seed: u64,
    min_array_len: u64,
) -> RecordBatch {
    let n = keys.len();
    let r = |i: usize| (i as u64 + seed * 1000).wrapping_mul(2654435761);
    let mut lb = ListBuilder::new(Int64Builder::new());
    let mut mb = MapBuilder::new(None, BinaryBuilder::new(), UInt32Builder::new());
    for i in 0..n {
        for j in 0..(r(i) % 3 + min_array_len) {
            if j == 1 {
                lb.values().append_null();
            } else {
                lb.values().append_value(j as i64 + seed as i64);
            }
            mb.keys().append_value(format!("k{j}"));
            mb.values().append_value(j as u32);
        }
        lb.append(true);
        mb.append(true).unwrap();
    }
    // Each part gets its own dictionary order and values.
    let palette = ["red", "green", "blue", "cyan"];
    let cols: Vec<ArrayRef> = vec![
        Arc::new(UInt64Array::from(keys.to_vec())),
        dict((0..n).map(|i| Some(format!("{}{}", palette[(r(i) % 4) as usize], seed % 2)))),
        Arc::new(Int64Array::from(values.to_vec())),
        Arc::new(Int32Array::from_iter(
            (0..n).map(|i| (r(i) % 3 != 0).then_some(i as i32)),
        )),
        Arc::new(lb.finish()),
        Arc::new(mb.finish()),
        Arc::new(
            Decimal128Array::from_iter_values((0..n).map(|i| r(i) as i128 % 100_000))
                .with_precision_and_scale(38, 10)
                .unwrap(),
        ),
        Arc::new(
            Decimal256Array::from_iter_values((0..n).map(|i| i256::from_i128(i as i128 - 7)))
                .with_precision_and_scale(50, 5)
                .unwrap(),
        ),
        Arc::new(FixedSizeBinaryArray::try_from_iter((0..n).map(|i| [i as u8, 1, 2])).unwrap()),
        Arc::new(
            FixedSizeBinaryArray::try_from_iter((0..n).map(|i| [(r(i) % 251) as u8; 16])).unwrap(),
        ),
        Arc::new(BinaryArray::from_iter_values(
            (0..n).map(|i| format!("s{seed}-{i}")),
        )),
        Arc::new(Float64Array::from_iter_values(
            (0..n).map(|i| i as f64 * 0.5),
        )),
        Arc::new(BooleanArray::from_iter((0..n).map(|i| Some(i % 2 == 0)))),
        Arc::new(Int64Array::from_iter_values(
            (0..n).map(|i| 1_700_000_000_000 + i as i64),
        )),
        // Rare NULLs: a granule of only NULLs trips a part-writer bug (see the report).
        dict((0..n).map(|i| (i != 2).then(|| format!("n{}", (r(i) + seed) % 5)))),
        Arc::new(Int8Array::from_iter_values((0..n).map(|i| {
            if values[i] < 0 {
                -1
            } else {
                1
            }
        }))),
    ];
    RecordBatch::try_new(schema.arrow_schema(), cols).unwrap()
}

/// Writes `batch` (sorted here) as part `all_{block}_{block}_0` of a table in `dir`.
fn write_part(dir: &Path, schema: &TableSchema, batch: &RecordBatch, block: u64) -> Arc<DataPart> {
    let keys: Vec<usize> = schema
        .order_by
        .iter()
        .map(|k| batch.schema().index_of(k).unwrap())
        .collect();
    let sorted = sort_batch(batch, &keys).unwrap();
    let info = PartInfo {
        partition_id: "all".into(),
        min_block: block,
        max_block: block,
        level: 0,
    };
    let tmp = dir.join(format!("tmp_insert_{block}"));
    let mut w = PartWriter::new(schema, info.clone(), vec![], tmp.clone()).unwrap();
    w.write(&sorted).unwrap();
    w.finish().unwrap();
    let path = dir.join(info.name());
    std::fs::rename(&tmp, &path).unwrap();
    Arc::new(DataPart::open(&path, "t", true).unwrap())
}

/// Merges `parts` with `opts`, renames the result into place and reads it back.
fn merge(
    dir: &Path,
    schema: &TableSchema,
    parts: &[Arc<DataPart>],
    opts: &MergeOptions,
) -> RecordBatch {
    let infos: Vec<&PartInfo> = parts.iter().map(|p| &p.info).collect();
    let info = PartInfo::merged(&infos).unwrap();
    let tmp = dir.join(format!("tmp_merge_{}", info.name()));
    let cancel = AtomicBool::new(false);
    let ctx = MergeContext::default();
    let written = merge_parts_with(
        schema,
        parts,
        info.clone(),
        vec![],
        tmp.clone(),
        &ctx,
        opts,
        &cancel,
    )
    .unwrap();
    assert_eq!(written.info, info);
    if written.meta.rows == 0 {
        // An empty part is never committed (and primary.idx of 0 rows does not load).
        std::fs::remove_dir_all(&tmp).unwrap();
        return RecordBatch::new_empty(schema.arrow_schema());
    }
    let path = dir.join(format!("{}_{}", info.name(), opts.block_rows));
    let _ = std::fs::remove_dir_all(&path);
    std::fs::rename(&tmp, &path).unwrap();
    let final_path = dir.join(info.name());
    let _ = std::fs::remove_dir_all(&final_path);
    std::fs::rename(&path, &final_path).unwrap();
    let part = DataPart::open(&final_path, "t", true).unwrap();
    assert_eq!(part.rows(), written.meta.rows);
    let names: Vec<String> = schema.stored_columns().map(|c| c.name.clone()).collect();
    let names: Vec<&str> = names.iter().map(|s| s.as_str()).collect();
    part.read_all(&names).unwrap()
}

/// Every row as text, column by column.
fn texts(b: &RecordBatch) -> Vec<Vec<String>> {
    let opts = FormatOptions::default().with_null("NULL");
    let fmts: Vec<ArrayFormatter> = b
        .columns()
        .iter()
        .map(|c| ArrayFormatter::try_new(c.as_ref(), &opts).unwrap())
        .collect();
    (0..b.num_rows())
        .map(|i| fmts.iter().map(|f| f.value(i).to_string()).collect())
        .collect()
}

fn option_sets() -> Vec<MergeOptions> {
    vec![
        MergeOptions {
            block_rows: 2,
            granules_per_read: Some(1),
        },
        MergeOptions {
            block_rows: 5,
            granules_per_read: Some(2),
        },
        MergeOptions {
            block_rows: 1024,
            granules_per_read: None,
        },
    ]
}

fn three_parts(dir: &Path, s: &TableSchema) -> (Vec<Arc<DataPart>>, Vec<RecordBatch>) {
    let inputs = vec![
        batch(s, &[5, 1, 3, 3, 9, 1, 7], &[1, 2, 3, 4, 5, 6, 7], 1),
        batch(s, &[3, 2, 3, 8, 1], &[10, 20, -30, 40, 50], 2),
        batch(
            s,
            &[0, 9, 3, 4, 1, 1, 12, 3],
            &[-1, 0, 0, 5, 6, 7, -8, 9],
            3,
        ),
    ];
    let parts = inputs
        .iter()
        .enumerate()
        .map(|(i, b)| write_part(dir, s, b, i as u64 + 1))
        .collect();
    (parts, inputs)
}

#[test]
fn merge_tree_is_a_stable_merge_and_every_type_survives() {
    for order_by in [&["k"][..], &["lc", "k"], &[]] {
        let dir = tempfile::tempdir().unwrap();
        let s = schema(TableEngine::MergeTree, order_by, 3);
        let (parts, inputs) = three_parts(dir.path(), &s);
        let all = arrow::compute::concat_batches(&s.arrow_schema(), &inputs).unwrap();
        let keys: Vec<usize> = order_by
            .iter()
            .map(|k| s.arrow_schema().index_of(k).unwrap())
            .collect();
        // Parts are sorted stably, then merged stably: the same as one stable sort.
        let want = texts(&sort_batch(&all, &keys).unwrap());
        for opts in option_sets() {
            let got = merge(dir.path(), &s, &parts, &opts);
            assert_eq!(texts(&got), want, "order by {order_by:?}, {opts:?}");
        }
    }
}

#[test]
fn modes_combine_across_parts_like_apply_mode_to_sorted() {
    let engines = [
        TableEngine::ReplacingMergeTree { version: None },
        TableEngine::ReplacingMergeTree {
            version: Some("f".into()),
        },
        TableEngine::SummingMergeTree { columns: vec![] },
        TableEngine::SummingMergeTree {
            columns: vec!["v".into()],
        },
        TableEngine::CollapsingMergeTree {
            sign: "sign".into(),
        },
    ];
    for engine in engines {
        for order_by in [&["k"][..], &[]] {
            let dir = tempfile::tempdir().unwrap();
            let s = schema(engine.clone(), order_by, 2);
            let (parts, inputs) = three_parts(dir.path(), &s);
            let all = arrow::compute::concat_batches(&s.arrow_schema(), &inputs).unwrap();
            let keys: Vec<usize> = order_by
                .iter()
                .map(|k| s.arrow_schema().index_of(k).unwrap())
                .collect();
            let want = texts(&apply_mode_to_sorted(&s, &sort_batch(&all, &keys).unwrap()).unwrap());
            for opts in option_sets() {
                let got = merge(dir.path(), &s, &parts, &opts);
                assert_eq!(texts(&got), want, "{engine:?} by {order_by:?}, {opts:?}");
            }
        }
    }
}

#[test]
fn replacing_keeps_the_newest_row() {
    let dir = tempfile::tempdir().unwrap();
    let s = schema(TableEngine::ReplacingMergeTree { version: None }, &["k"], 2);
    let (parts, _) = three_parts(dir.path(), &s);
    let got = merge(dir.path(), &s, &parts, &option_sets()[0]);
    let kv: Vec<(u64, i64)> = (0..got.num_rows())
        .map(|i| {
            (
                got.column(0)
                    .as_primitive::<arrow::datatypes::UInt64Type>()
                    .value(i),
                got.column(2)
                    .as_primitive::<arrow::datatypes::Int64Type>()
                    .value(i),
            )
        })
        .collect();
    // Key 3 appears in all parts; the last row of the newest part (value 9) wins.
    assert_eq!(
        kv,
        vec![
            (0, -1),
            (1, 7),
            (2, 20),
            (3, 9),
            (4, 5),
            (5, 1),
            (7, 7),
            (8, 40),
            (9, 0),
            (12, -8)
        ]
    );
}

#[test]
fn summing_drops_zero_rows_and_sums_decimals() {
    let dir = tempfile::tempdir().unwrap();
    let s = schema(
        TableEngine::SummingMergeTree {
            columns: vec!["v".into(), "d50".into()],
        },
        &["k"],
        2,
    );
    let a = batch(&s, &[1, 2, 3], &[5, 7, 1], 1);
    let b = batch(&s, &[1, 2], &[-5, 1], 2);
    let parts = vec![
        write_part(dir.path(), &s, &a, 1),
        write_part(dir.path(), &s, &b, 2),
    ];
    let got = merge(dir.path(), &s, &parts, &option_sets()[1]);
    let t = texts(&got);
    // Key 1: v = 0 but d50 = -7 + -7: kept. Keys 2 and 3 kept.
    assert_eq!(t.len(), 3);
    assert_eq!(
        (t[0][0].as_str(), t[0][2].as_str(), t[0][7].as_str()),
        ("1", "0", "-0.00014")
    );
    assert_eq!((t[1][0].as_str(), t[1][2].as_str()), ("2", "8"));
    // Only v summed: key 1 sums to zero and disappears.
    let s = schema(
        TableEngine::SummingMergeTree {
            columns: vec!["v".into()],
        },
        &["k"],
        2,
    );
    let got = merge(dir.path(), &s, &parts, &option_sets()[1]);
    assert_eq!(
        texts(&got).iter().map(|r| r[0].clone()).collect::<Vec<_>>(),
        vec!["2", "3"]
    );
}

#[test]
fn collapsing_everything_gives_an_empty_part() {
    let dir = tempfile::tempdir().unwrap();
    let s = schema(
        TableEngine::CollapsingMergeTree {
            sign: "sign".into(),
        },
        &["k"],
        2,
    );
    let a = batch(&s, &[1, 2, 3], &[5, 7, 1], 1);
    let b = batch(&s, &[1, 2, 3], &[-5, -7, -1], 2);
    let parts = vec![
        write_part(dir.path(), &s, &a, 1),
        write_part(dir.path(), &s, &b, 2),
    ];
    for opts in option_sets() {
        assert_eq!(merge(dir.path(), &s, &parts, &opts).num_rows(), 0);
    }
}

#[test]
fn cancel_aborts_and_removes_the_temporary_directory() {
    let dir = tempfile::tempdir().unwrap();
    let s = schema(TableEngine::MergeTree, &["k"], 2);
    let (parts, _) = three_parts(dir.path(), &s);
    let tmp = dir.path().join("tmp_merge");
    let cancel = AtomicBool::new(true);
    let info = PartInfo::merged(&parts.iter().map(|p| &p.info).collect::<Vec<_>>()).unwrap();
    let err = merge_parts(&s, &parts, info, vec![], tmp.clone(), false, &cancel).unwrap_err();
    assert!(matches!(err, StorageError::Aborted(_)), "{err}");
    assert!(!tmp.exists());
}

/// A stand-in for the query engine's merger: states concatenate, simple values sum.
#[derive(Debug)]
struct ConcatSumMerger;

impl mode::aggregating::AggregateStateMerger for ConcatSumMerger {
    fn merge_groups(
        &self,
        data_type: &DataType,
        column: &ArrayRef,
        group_ids: &[u32],
        num_groups: usize,
    ) -> crate::error::Result<ArrayRef> {
        Ok(match data_type {
            DataType::AggregateFunction(_) => {
                let mut out = vec![Vec::new(); num_groups];
                let c = column.as_binary::<i32>();
                for (i, &g) in group_ids.iter().enumerate() {
                    out[g as usize].extend_from_slice(c.value(i));
                }
                Arc::new(BinaryArray::from_iter_values(out))
            }
            _ => {
                let mut out = vec![0u64; num_groups];
                let c = column.as_primitive::<arrow::datatypes::UInt64Type>();
                for (i, &g) in group_ids.iter().enumerate() {
                    out[g as usize] += c.value(i);
                }
                Arc::new(UInt64Array::from(out))
            }
        })
    }
}

#[test]
fn aggregating_merges_states_across_parts() {
    mode::aggregating::install_state_merger(Arc::new(ConcatSumMerger));
    let dir = tempfile::tempdir().unwrap();
    let mut s = TableSchema::new(
        [
            ("k", "UInt64"),
            ("st", "AggregateFunction(uniq, UInt64)"),
            ("n", "SimpleAggregateFunction(sum, UInt64)"),
            ("x", "String"),
        ]
        .iter()
        .map(|(n, t)| ColumnDef::new(*n, DataType::parse(t).unwrap()))
        .collect(),
        &["k"],
    )
    .unwrap();
    s.engine = TableEngine::AggregatingMergeTree;
    s.validate().unwrap();
    s.settings.index_granularity = 2;
    let part = |block: u64, keys: &[u64], tag: &str| {
        let b = RecordBatch::try_new(
            s.arrow_schema(),
            vec![
                Arc::new(UInt64Array::from(keys.to_vec())) as ArrayRef,
                Arc::new(BinaryArray::from_iter_values(
                    keys.iter().map(|k| format!("{tag}{k};")),
                )),
                Arc::new(UInt64Array::from(vec![block; keys.len()])),
                Arc::new(BinaryArray::from_iter_values(keys.iter().map(|_| tag))),
            ],
        )
        .unwrap();
        write_part(dir.path(), &s, &b, block)
    };
    let parts = vec![
        part(1, &[1, 2, 5], "a"),
        part(2, &[1, 3], "b"),
        part(3, &[1, 2, 3], "c"),
    ];
    let want = [
        ["1", "a1;b1;c1;", "6", "a"],
        ["2", "a2;c2;", "4", "a"],
        ["3", "b3;c3;", "5", "b"],
        ["5", "a5;", "1", "a"],
    ];
    for opts in option_sets() {
        let got = merge(dir.path(), &s, &parts, &opts);
        let rows: Vec<Vec<String>> = (0..got.num_rows())
            .map(|r| {
                vec![
                    got.column(0)
                        .as_primitive::<arrow::datatypes::UInt64Type>()
                        .value(r)
                        .to_string(),
                    String::from_utf8_lossy(got.column(1).as_binary::<i32>().value(r)).into_owned(),
                    got.column(2)
                        .as_primitive::<arrow::datatypes::UInt64Type>()
                        .value(r)
                        .to_string(),
                    String::from_utf8_lossy(got.column(3).as_binary::<i32>().value(r)).into_owned(),
                ]
            })
            .collect();
        assert_eq!(rows, want, "{opts:?}");
    }
}

#[test]
fn apply_mode_to_sorted_accepts_projected_columns() {
    let s = schema(
        TableEngine::ReplacingMergeTree {
            version: Some("f".into()),
        },
        &["k"],
        2,
    );
    let b = batch(&s, &[1, 1, 2, 3, 3], &[1, 2, 3, 4, 5], 1);
    let full = apply_mode_to_sorted(&s, &b).unwrap();
    let projected = b.project(&[11, 0, 10]).unwrap(); // f, k, s
    let got = apply_mode_to_sorted(&s, &projected).unwrap();
    assert_eq!(texts(&got), texts(&full.project(&[11, 0, 10]).unwrap()));
    let without_version = b.project(&[0, 10]).unwrap();
    let err = apply_mode_to_sorted(&s, &without_version).unwrap_err();
    assert_eq!(err.code(), 16, "{err}");
}

/// Gathering only NULL rows of LowCardinality(Nullable) columns from two parts gives a
/// dictionary with no values; the merge must still write it.
#[test]
fn all_null_low_cardinality_block_from_different_dictionaries() {
    let dir = tempfile::tempdir().unwrap();
    let s = schema(TableEngine::MergeTree, &["k"], 2);
    let with_lcn = |b: RecordBatch, v: &str| {
        let mut cols = b.columns().to_vec();
        cols[14] = dict([None, Some(v.to_string())].into_iter());
        RecordBatch::try_new(b.schema(), cols).unwrap()
    };
    let a = with_lcn(batch(&s, &[1, 2], &[1, 2], 1), "a");
    let b = with_lcn(batch(&s, &[1, 2], &[3, 4], 2), "b");
    let parts = vec![
        write_part(dir.path(), &s, &a, 1),
        write_part(dir.path(), &s, &b, 2),
    ];
    let opts = MergeOptions {
        block_rows: 2,
        granules_per_read: Some(1),
    };
    let got = texts(&merge(dir.path(), &s, &parts, &opts));
    let lcn: Vec<&str> = got.iter().map(|r| r[14].as_str()).collect();
    assert_eq!(lcn, vec!["NULL", "NULL", "61", "62"]); // hex of "a", "b"
}

/// A read whose granules hold only empty arrays must not build a misaligned buffer from an
/// empty `Vec<u8>` (a regression test of the part reader).
#[test]
fn reader_handles_granules_of_empty_arrays() {
    let dir = tempfile::tempdir().unwrap();
    let s = schema(TableEngine::MergeTree, &["k"], 2);
    let p = write_part(
        dir.path(),
        &s,
        &batch_with(&s, &[1, 2, 3], &[1, 2, 3], 2, 0),
        1,
    );
    p.read(
        &["arr", "m"],
        &[crate::part::MarkRange { begin: 0, end: 1 }],
    )
    .unwrap();
}

/// Throughput of a 1M-row, 10-column merge of 10 parts (run in release:
/// `cargo test --release -p granary-storage --lib merge_throughput -- --ignored --nocapture`).
#[test]
#[ignore]
fn merge_throughput() {
    let cols = [
        ("k", "UInt64"),
        ("ts", "DateTime"),
        ("i", "Int64"),
        ("f", "Float64"),
        ("s", "String"),
        ("lc", "LowCardinality(String)"),
        ("n", "Nullable(Int32)"),
        ("d", "Decimal(18, 2)"),
        ("u", "UInt32"),
        ("v", "Int64"),
    ];
    let base = TableSchema::new(
        cols.iter()
            .map(|(n, t)| ColumnDef::new(*n, DataType::parse(t).unwrap()))
            .collect(),
        &["k"],
    )
    .unwrap();
    let (parts_n, rows_per_part) = (10usize, 100_000usize);
    for (label, overlapping) in [("overlapping keys", true), ("disjoint key ranges", false)] {
        for engine in [
            TableEngine::MergeTree,
            TableEngine::ReplacingMergeTree { version: None },
            TableEngine::SummingMergeTree { columns: vec![] },
        ] {
            let dir = tempfile::tempdir().unwrap();
            let mut s = base.clone();
            s.engine = engine.clone();
            let mut parts = Vec::new();
            for p in 0..parts_n {
                let keys: Vec<u64> = (0..rows_per_part)
                    .map(|i| {
                        let x = (i as u64 * 7919 + p as u64 * 104_729).wrapping_mul(2654435761);
                        if overlapping {
                            x % 10_000_000
                        } else {
                            (p * rows_per_part + i) as u64
                        }
                    })
                    .collect();
                let n = keys.len();
                let cols: Vec<ArrayRef> = vec![
                    Arc::new(UInt64Array::from(keys.clone())),
                    Arc::new(UInt32Array::from_iter_values(
                        (0..n).map(|i| 1_700_000_000 + i as u32),
                    )),
                    Arc::new(Int64Array::from_iter_values((0..n).map(|i| i as i64 * 3))),
                    Arc::new(Float64Array::from_iter_values(
                        (0..n).map(|i| i as f64 * 0.25),
                    )),
                    Arc::new(BinaryArray::from_iter_values(
                        (0..n).map(|i| format!("str{}", i % 1000)),
                    )),
                    dict((0..n).map(|i| Some(format!("c{}", i % 50)))),
                    Arc::new(Int32Array::from_iter(
                        (0..n).map(|i| (i % 7 != 0).then_some(i as i32)),
                    )),
                    Arc::new(
                        Decimal128Array::from_iter_values((0..n).map(|i| i as i128))
                            .with_precision_and_scale(18, 2)
                            .unwrap(),
                    ),
                    Arc::new(UInt32Array::from_iter_values((0..n).map(|i| i as u32))),
                    Arc::new(Int64Array::from_iter_values((0..n).map(|i| -(i as i64)))),
                ];
                let b = RecordBatch::try_new(s.arrow_schema(), cols).unwrap();
                parts.push(write_part(dir.path(), &s, &b, p as u64 + 1));
            }
            let info =
                PartInfo::merged(&parts.iter().map(|p| &p.info).collect::<Vec<_>>()).unwrap();
            let cancel = AtomicBool::new(false);
            let started = std::time::Instant::now();
            let w = merge_parts(
                &s,
                &parts,
                info,
                vec![],
                dir.path().join("tmp_merge"),
                false,
                &cancel,
            )
            .unwrap();
            let secs = started.elapsed().as_secs_f64();
            let rows = (parts_n * rows_per_part) as f64;
            eprintln!(
                "{:<22} {:<20}: {:.3} s, {:.2} M rows/s in, {} rows out",
                engine.to_sql(),
                label,
                secs,
                rows / secs / 1e6,
                w.meta.rows
            );
        }
    }
}
