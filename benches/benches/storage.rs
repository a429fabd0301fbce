//! Storage benchmarks: part write and read per column type and codec, a 10-column table
//! insert, scans of LZ4 integer columns, and merges. Compression ratios are printed at the
//! end.
//!
//! `cargo bench -p granary-benches` runs them all (a few minutes); add a filter after
//! `--` to run some, e.g. `cargo bench -p granary-benches -- part_read`.
//!
//! Writes include the fsyncs every part gets (they are part of an insert's cost); reads run
//! over files in the page cache, so they measure decoding, not the disk.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use criterion::{
    criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use granary_benches::{
    column_sizes, mixed_batch, mixed_schema, open_part, single_column_schema, write_part,
    write_part_tmp, ColumnKind,
};
use granary_storage::part::sort_batch;
use granary_storage::StorageEngine;

/// Rows of every single-column part.
const ROWS: usize = 1 << 20;
/// Rows of the mixed-table insert.
const MIXED_ROWS: usize = 1 << 20;
/// Parts merged by the merge benchmark, and rows in each.
const MERGE_PARTS: usize = 10;
const MERGE_PART_ROWS: usize = 100_000;

/// The codec matrix: (column, codecs). General-purpose codecs for strings only:
/// preprocessors (Delta, DoubleDelta, T64, Gorilla) apply to fixed-width values and are
/// skipped on variable-width bytes.
const CASES: &[(ColumnKind, &[&str])] = &[
    (
        ColumnKind::UInt64Time,
        &["LZ4", "ZSTD(1)", "Delta, LZ4", "DoubleDelta", "T64, LZ4"],
    ),
    (
        ColumnKind::Int32Small,
        &["LZ4", "ZSTD(1)", "Delta, LZ4", "DoubleDelta", "T64, LZ4"],
    ),
    (ColumnKind::Float64Walk, &["LZ4", "ZSTD(1)", "Gorilla"]),
    (ColumnKind::StringUrl, &["LZ4", "ZSTD(1)"]),
];

/// One line of the compression summary.
struct RatioRow {
    column: &'static str,
    codec: &'static str,
    rows: usize,
    raw: u64,
    packed: u64,
}

static RATIOS: Mutex<Vec<RatioRow>> = Mutex::new(Vec::new());
static DIR_COUNTER: AtomicU64 = AtomicU64::new(0);

fn fresh_dir(root: &Path) -> PathBuf {
    let d = root.join(format!("d{}", DIR_COUNTER.fetch_add(1, Ordering::Relaxed)));
    std::fs::create_dir_all(&d).expect("create bench dir");
    d
}

fn codec_label(codec: &str) -> String {
    codec.replace(", ", "+")
}

fn part_write_read(c: &mut Criterion) {
    let root = tempfile::tempdir().expect("tempdir");
    let mut write = c.benchmark_group("part_write");
    write.sample_size(10);
    write.warm_up_time(Duration::from_millis(300));
    write.measurement_time(Duration::from_secs(2));
    write.throughput(Throughput::Elements(ROWS as u64));
    let mut parts = Vec::new();
    for &(kind, codecs) in CASES {
        let batch = arrow::record_batch::RecordBatch::try_new(
            single_column_schema(kind, "LZ4")
                .expect("schema")
                .arrow_schema(),
            vec![kind.generate(ROWS, 42)],
        )
        .expect("batch");
        for &codec in codecs {
            let schema = single_column_schema(kind, codec).expect("schema");
            let id = BenchmarkId::new(kind.label(), codec_label(codec));
            write.bench_function(id, |b| {
                b.iter_custom(|iters| {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        let dir = fresh_dir(root.path());
                        let t = Instant::now();
                        let w = write_part_tmp(&schema, &batch, &dir).expect("write part");
                        total += t.elapsed();
                        drop(w);
                        std::fs::remove_dir_all(&dir).expect("remove bench dir");
                    }
                    total
                })
            });
            let dir = fresh_dir(root.path());
            let part = write_part(&schema, &batch, &dir).expect("write part");
            let (raw, packed) = column_sizes(&part, "c").expect("column sizes");
            RATIOS.lock().expect("ratios").push(RatioRow {
                column: kind.label(),
                codec,
                rows: ROWS,
                raw,
                packed,
            });
            parts.push((kind, codec, part, raw));
        }
    }
    write.finish();

    let mut read = c.benchmark_group("part_read");
    read.sample_size(10);
    read.warm_up_time(Duration::from_millis(300));
    read.measurement_time(Duration::from_secs(1));
    for (kind, codec, dir, raw) in &parts {
        let part = open_part(dir).expect("open part");
        read.throughput(Throughput::BytesDecimal(*raw));
        read.bench_function(BenchmarkId::new(kind.label(), codec_label(codec)), |b| {
            b.iter(|| {
                let batch = part.read_all(&["c"]).expect("read");
                assert_eq!(batch.num_rows(), ROWS);
                batch
            })
        });
    }
    read.finish();
}

fn read_lz4_integers(c: &mut Criterion) {
    let root = tempfile::tempdir().expect("tempdir");
    // Five LZ4 integer columns of the mixed table: UInt32, Date (UInt16), DateTime (UInt32),
    // UInt64, Int32: 22 bytes a row.
    let cols = [
        "counter_id",
        "event_date",
        "event_time",
        "user_id",
        "duration",
    ];
    let schema = mixed_schema().expect("schema");
    let batch = mixed_batch(ROWS, 7).expect("batch");
    let key: Vec<usize> = vec![0, 2];
    let sorted = sort_batch(&batch, &key).expect("sort");
    let dir = write_part(&schema, &sorted, &fresh_dir(root.path())).expect("write");
    let part = open_part(&dir).expect("open");
    let bytes: u64 = ROWS as u64 * (4 + 2 + 4 + 8 + 4);
    let mut g = c.benchmark_group("read_lz4_ints");
    g.sample_size(10);
    g.warm_up_time(Duration::from_millis(300));
    g.measurement_time(Duration::from_secs(2));
    g.throughput(Throughput::BytesDecimal(bytes));
    g.bench_function("5_columns_1M_rows_1_thread", |b| {
        b.iter(|| part.read_all(&cols).expect("read"))
    });
    g.bench_function("u64_1M_rows_1_thread", |b| {
        b.iter(|| part.read_all(&["user_id"]).expect("read"))
    });
    g.finish();
}

fn mixed_write(c: &mut Criterion) {
    let root = tempfile::tempdir().expect("tempdir");
    let batch = mixed_batch(MIXED_ROWS, 1).expect("batch");
    let schema = mixed_schema().expect("schema");
    let key: Vec<usize> = vec![0, 2];
    let sorted = sort_batch(&batch, &key).expect("sort");
    {
        let dir = write_part(&schema, &sorted, &fresh_dir(root.path())).expect("write");
        let mut rows = RATIOS.lock().expect("ratios");
        for f in schema.stored_columns() {
            let (raw, packed) = column_sizes(&dir, &f.name).expect("sizes");
            rows.push(RatioRow {
                column: "mixed",
                codec: Box::leak(format!("{} LZ4", f.name).into_boxed_str()),
                rows: MIXED_ROWS,
                raw,
                packed,
            });
        }
    }

    let mut g = c.benchmark_group("mixed_10col");
    g.sample_size(10);
    g.sampling_mode(SamplingMode::Flat);
    g.warm_up_time(Duration::from_millis(500));
    g.measurement_time(Duration::from_secs(4));
    g.throughput(Throughput::Elements(MIXED_ROWS as u64));

    let engine = StorageEngine::open(&root.path().join("engine")).expect("engine");
    let table = engine
        .create_table(
            "default",
            "hits",
            schema.clone(),
            "CREATE TABLE hits",
            false,
        )
        .expect("table");
    g.bench_function("insert_1M_rows", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let t = Instant::now();
                table.insert(&batch).expect("insert");
                total += t.elapsed();
                table.truncate().expect("truncate");
            }
            total
        })
    });
    g.bench_function("sort_only", |b| {
        b.iter(|| sort_batch(&batch, &key).expect("sort"))
    });
    g.bench_function("part_writer_presorted", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let dir = fresh_dir(root.path());
                let t = Instant::now();
                let w = write_part_tmp(&schema, &sorted, &dir).expect("write");
                total += t.elapsed();
                drop(w);
                std::fs::remove_dir_all(&dir).expect("remove");
            }
            total
        })
    });
    g.finish();
}

fn merge(c: &mut Criterion) {
    let root = tempfile::tempdir().expect("tempdir");
    let batches: Vec<_> = (0..MERGE_PARTS)
        .map(|i| mixed_batch(MERGE_PART_ROWS, 100 + i as u64).expect("batch"))
        .collect();
    let mut g = c.benchmark_group("merge");
    g.sample_size(10);
    g.sampling_mode(SamplingMode::Flat);
    g.warm_up_time(Duration::from_millis(500));
    g.measurement_time(Duration::from_secs(4));
    g.throughput(Throughput::Elements((MERGE_PARTS * MERGE_PART_ROWS) as u64));
    g.bench_function("optimize_final_10_parts_to_1", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let dir = fresh_dir(root.path());
                let engine = StorageEngine::open(&dir).expect("engine");
                let table = engine
                    .create_table(
                        "default",
                        "hits",
                        mixed_schema().expect("schema"),
                        "",
                        false,
                    )
                    .expect("table");
                for b in &batches {
                    table.insert(b).expect("insert");
                }
                assert_eq!(table.snapshot().parts.len(), MERGE_PARTS);
                let t = Instant::now();
                table.optimize(None, true).expect("optimize");
                total += t.elapsed();
                assert_eq!(table.snapshot().parts.len(), 1);
                drop(table);
                drop(engine);
                std::fs::remove_dir_all(&dir).expect("remove");
            }
            total
        })
    });
    g.finish();
}

fn summary(_: &mut Criterion) {
    let rows = RATIOS.lock().expect("ratios");
    println!("\ncompression ratio (uncompressed / compressed bytes of the column's .bin files)");
    println!(
        "{:<12} {:<24} {:>9} {:>14} {:>14} {:>7} {:>9}",
        "column", "codec", "rows", "uncompressed", "compressed", "ratio", "bytes/row"
    );
    for r in rows.iter() {
        println!(
            "{:<12} {:<24} {:>9} {:>14} {:>14} {:>7.2} {:>9.2}",
            r.column,
            r.codec,
            r.rows,
            r.raw,
            r.packed,
            r.raw as f64 / r.packed.max(1) as f64,
            r.raw as f64 / r.rows as f64
        );
    }
}

criterion_group!(
    benches,
    part_write_read,
    read_lz4_integers,
    mixed_write,
    merge,
    summary
);
criterion_main!(benches);
