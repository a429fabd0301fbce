//! Format benchmarks: parsing of the input formats (`INSERT ... FORMAT X` bodies) and
//! serialisation of the output formats (query results), on one batch of mixed columns.
//!
//! `cargo bench -p granary-benches --bench formats` runs them all (about a minute); add a
//! filter after `--`, e.g. `cargo bench -p granary-benches --bench formats -- parse/CSV`.
//!
//! The batch ([`FORMAT_ROWS`] rows) has the column types inserts and results carry most:
//! `UInt64`, `Int32`, `Float64`, `String` (URL-like), `DateTime`, `Nullable(String)` (a
//! third NULL, some values with characters every text format escapes) and
//! `LowCardinality(String)`. Each input format parses the bytes Granary itself writes in
//! that format, so parse and write see the same data. Throughput is bytes of the format's
//! text per second; the table printed at the end gives bytes per row, to turn MB/s into
//! rows/s.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use arrow::array::{ArrayRef, BinaryArray, Float64Array, Int32Array, UInt32Array, UInt64Array};
use arrow::datatypes::Schema;
use arrow::record_batch::RecordBatch;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use granary_benches::ColumnKind;
use granary_query::format::input::{parse_input, InputSettings};
use granary_query::format::output::{write_output, OutputSettings};
use granary_query::session::QueryOutput;
use granary_storage::types::DataType;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Rows of the benchmarked batch.
const FORMAT_ROWS: usize = 100_000;

/// Input formats measured, each fed with Granary's own output in that format.
const INPUTS: &[&str] = &[
    "TSV",
    "CSV",
    "JSONEachRow",
    "RowBinary",
    "Native",
    "Parquet",
];

/// Output formats measured.
const OUTPUTS: &[&str] = &[
    "TabSeparated",
    "CSV",
    "JSONEachRow",
    "JSON",
    "RowBinary",
    "Native",
    "Parquet",
    "Arrow",
];

/// (group, format, bytes) of every measured case, for the summary.
static SIZES: Mutex<Vec<(&'static str, &'static str, usize)>> = Mutex::new(Vec::new());

/// The columns: (name, ClickHouse type).
fn columns() -> Vec<(String, DataType)> {
    [
        ("id", "UInt64"),
        ("n", "Int32"),
        ("x", "Float64"),
        ("url", "String"),
        ("t", "DateTime"),
        ("note", "Nullable(String)"),
        ("browser", "LowCardinality(String)"),
    ]
    .iter()
    .map(|(n, t)| {
        let t = DataType::parse(t).expect("column type");
        (n.to_string(), t)
    })
    .collect()
}

/// `rows` rows of [`columns`], the same for the same `seed`.
fn mixed_output(rows: usize, seed: u64) -> QueryOutput {
    let mut rng = StdRng::seed_from_u64(seed);
    let columns = columns();
    let notes = [
        "ok",
        "tab\there",
        "it's",
        "line\nbreak",
        "comma, \"quoted\"",
        "плохо",
    ];
    let browser = granary_benches::browser_column(rows, &mut rng).expect("dictionary of binary");
    let arrays: Vec<ArrayRef> = vec![
        Arc::new(UInt64Array::from_iter_values(
            (0..rows).map(|_| rng.gen_range(0..u64::MAX / 2)),
        )),
        Arc::new(Int32Array::from_iter_values(
            (0..rows).map(|_| rng.gen_range(-1_000_000..1_000_000)),
        )),
        Arc::new(Float64Array::from_iter_values(
            (0..rows).map(|_| rng.gen_range(0..10_000_000) as f64 / 100.0),
        )),
        ColumnKind::StringUrl.generate(rows, seed),
        Arc::new(UInt32Array::from_iter_values(
            (0..rows).map(|_| 1_717_200_000 + rng.gen_range(0..30 * 86_400)),
        )),
        Arc::new(BinaryArray::from_iter((0..rows).map(|_| {
            (!rng.gen_ratio(1, 3)).then(|| notes[rng.gen_range(0..notes.len())].as_bytes())
        }))),
        browser,
    ];
    let schema = Arc::new(Schema::new(
        columns
            .iter()
            .map(|(n, t)| t.to_arrow_field(n))
            .collect::<Vec<_>>(),
    ));
    let batch = RecordBatch::try_new(schema, arrays).expect("batch");
    QueryOutput {
        columns,
        batches: vec![batch],
        ..QueryOutput::default()
    }
}

/// `out` written in `format`.
fn written(format: &str, out: &QueryOutput) -> Vec<u8> {
    let mut buf = Vec::new();
    write_output(format, out, &OutputSettings::default(), &mut buf)
        .unwrap_or_else(|e| panic!("{format}: {}", e.to_clickhouse_string()));
    buf
}

fn parse(c: &mut Criterion) {
    let out = mixed_output(FORMAT_ROWS, 42);
    let settings = InputSettings::default();
    let mut g = c.benchmark_group("parse");
    g.sample_size(10);
    for &format in INPUTS {
        let data = written(format, &out);
        let arrays = parse_input(format, &data, &out.columns, &settings)
            .unwrap_or_else(|e| panic!("{format}: {}", e.to_clickhouse_string()));
        assert_eq!(arrays[0].len(), FORMAT_ROWS, "{format}");
        SIZES
            .lock()
            .expect("sizes")
            .push(("parse", format, data.len()));
        g.throughput(Throughput::Bytes(data.len() as u64));
        g.bench_function(BenchmarkId::from_parameter(format), |b| {
            b.iter(|| parse_input(format, &data, &out.columns, &settings).expect("parse"))
        });
    }
    g.finish();
}

fn write(c: &mut Criterion) {
    let out = mixed_output(FORMAT_ROWS, 42);
    let settings = OutputSettings::default();
    let mut g = c.benchmark_group("write");
    g.sample_size(10);
    for &format in OUTPUTS {
        let len = written(format, &out).len();
        SIZES.lock().expect("sizes").push(("write", format, len));
        g.throughput(Throughput::Bytes(len as u64));
        g.bench_function(BenchmarkId::from_parameter(format), |b| {
            let mut buf = Vec::with_capacity(len + len / 4);
            b.iter(|| {
                buf.clear();
                write_output(format, &out, &settings, &mut buf).expect("write");
                buf.len()
            })
        });
    }
    g.finish();
}

/// Prints the size of every format's bytes: rows/s = (bytes/s) / (bytes per row).
fn summary(_: &mut Criterion) {
    println!("\nformat sizes of the {FORMAT_ROWS}-row batch (rows/s = bytes/s / bytes per row)");
    println!(
        "{:<6} {:<14} {:>12} {:>10}",
        "group", "format", "bytes", "bytes/row"
    );
    for (group, format, bytes) in SIZES.lock().expect("sizes").iter() {
        println!(
            "{:<6} {:<14} {:>12} {:>10.1}",
            group,
            format,
            bytes,
            *bytes as f64 / FORMAT_ROWS as f64
        );
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = parse, write, summary
}
criterion_main!(benches);
