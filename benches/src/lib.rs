//! Criterion benchmarks live in `benches/benches`; this library holds what they share:
//! deterministic data generators shaped like real columns, and helpers that write a part
//! and measure its files.
//!
//! Run them with `cargo bench -p granary-benches`. The end-to-end benchmark binaries in
//! `src/bin` share [`server`].

pub mod server;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{
    ArrayRef, BinaryArray, DictionaryArray, Float64Array, Int32Array, Int64Array, UInt16Array,
    UInt32Array, UInt64Array, UInt8Array,
};
use arrow::datatypes::Int32Type;
use arrow::record_batch::RecordBatch;
use granary_storage::codec::decompress_block;
use granary_storage::part::{DataPart, PartInfo, PartWriter, WrittenPart};
use granary_storage::schema::{ColumnDef, TableSchema};
use granary_storage::types::DataType;
use granary_storage::{Result, StorageError};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The kinds of single columns the codec benchmarks write and read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnKind {
    /// `UInt64` millisecond timestamps: increasing, with jitter (Delta territory).
    UInt64Time,
    /// `Int32` small random values in ±5000 (T64 territory).
    Int32Small,
    /// `Float64` sensor readings: a random walk with two decimals (Gorilla territory).
    Float64Walk,
    /// `String` URL-like values of 30 to 50 bytes drawn from a limited vocabulary.
    StringUrl,
}

impl ColumnKind {
    /// The ClickHouse type of the column.
    pub fn data_type(self) -> DataType {
        match self {
            ColumnKind::UInt64Time => DataType::UInt64,
            ColumnKind::Int32Small => DataType::Int32,
            ColumnKind::Float64Walk => DataType::Float64,
            ColumnKind::StringUrl => DataType::String,
        }
    }

    /// A short label for benchmark names.
    pub fn label(self) -> &'static str {
        match self {
            ColumnKind::UInt64Time => "u64_time",
            ColumnKind::Int32Small => "i32_small",
            ColumnKind::Float64Walk => "f64_walk",
            ColumnKind::StringUrl => "string_url",
        }
    }

    /// `rows` values, the same for the same `seed`.
    pub fn generate(self, rows: usize, seed: u64) -> ArrayRef {
        let mut rng = StdRng::seed_from_u64(seed);
        match self {
            ColumnKind::UInt64Time => Arc::new(UInt64Array::from_iter_values(
                (0..rows as u64).map(|i| 1_700_000_000_000 + i * 10 + rng.gen_range(0..10)),
            )),
            ColumnKind::Int32Small => Arc::new(Int32Array::from_iter_values(
                (0..rows).map(|_| rng.gen_range(-5000..5000)),
            )),
            ColumnKind::Float64Walk => {
                let mut x = 20.0f64;
                Arc::new(Float64Array::from_iter_values((0..rows).map(|_| {
                    x += rng.gen_range(-0.05..0.05);
                    (x * 100.0).round() / 100.0
                })))
            }
            ColumnKind::StringUrl => Arc::new(BinaryArray::from_iter_values((0..rows).map(|_| {
                format!(
                    "https://example.com/{}/page{}?q={}",
                    ["news", "shop", "blog", "docs", "video"][rng.gen_range(0..5)],
                    rng.gen_range(0..5000),
                    rng.gen_range(0..100)
                )
            }))),
        }
    }
}

/// A one-column table schema (`ORDER BY tuple()`) with `codec` on column `c`.
pub fn single_column_schema(kind: ColumnKind, codec: &str) -> Result<TableSchema> {
    let mut col = ColumnDef::new("c", kind.data_type());
    col.codec = Some(granary_storage::codec::CodecChain::parse(codec)?);
    TableSchema::new(vec![col], &[])
}

/// The 10-column table of the mixed-write and merge benchmarks: a web-analytics event
/// (`ORDER BY (counter_id, event_time)`, `PARTITION BY toYYYYMM(event_date)`), default
/// codecs.
pub fn mixed_schema() -> Result<TableSchema> {
    let cols = [
        ("counter_id", "UInt32"),
        ("event_date", "Date"),
        ("event_time", "DateTime"),
        ("user_id", "UInt64"),
        ("watch_id", "Int64"),
        ("duration", "Int32"),
        ("is_refresh", "UInt8"),
        ("price", "Float64"),
        ("url", "String"),
        ("browser", "LowCardinality(String)"),
    ];
    let mut s = TableSchema::new(
        cols.iter()
            .map(|(n, t)| Ok(ColumnDef::new(*n, DataType::parse(t)?)))
            .collect::<Result<Vec<_>>>()?,
        &["counter_id", "event_time"],
    )?;
    s.partition_by = Some(granary_storage::key_expr::KeyExpr::parse(
        "toYYYYMM(event_date)",
    )?);
    Ok(s)
}

/// A `LowCardinality(String)` column of `rows` browser names (a dictionary of Binary).
pub fn browser_column(rows: usize, rng: &mut StdRng) -> Result<ArrayRef> {
    let browsers = ["Chrome", "Firefox", "Safari", "Edge", "Opera", "Yandex"];
    let browser: DictionaryArray<Int32Type> = (0..rows)
        .map(|_| browsers[rng.gen_range(0..browsers.len())])
        .collect();
    Ok(arrow::compute::cast(
        &browser,
        &arrow::datatypes::DataType::Dictionary(
            Box::new(arrow::datatypes::DataType::Int32),
            Box::new(arrow::datatypes::DataType::Binary),
        ),
    )?)
}

/// `rows` rows of [`mixed_schema`], in arrival (unsorted) order, all in one month.
pub fn mixed_batch(rows: usize, seed: u64) -> Result<RecordBatch> {
    let mut rng = StdRng::seed_from_u64(seed);
    let t0 = 1_717_200_000u32; // 2024-06-01
    let times: Vec<u32> = (0..rows as u32)
        .map(|i| t0 + i / 4 + rng.gen_range(0..60))
        .collect();
    let browser = browser_column(rows, &mut rng)?;
    let cols: Vec<ArrayRef> = vec![
        Arc::new(UInt32Array::from_iter_values(
            (0..rows).map(|_| rng.gen_range(0..2000u32).pow(2) / 2000),
        )),
        Arc::new(UInt16Array::from_iter_values(
            times.iter().map(|t| (t / 86_400) as u16),
        )),
        Arc::new(UInt32Array::from(times)),
        Arc::new(UInt64Array::from_iter_values(
            (0..rows).map(|_| rng.gen_range(0..1_000_000u64) * 7919),
        )),
        Arc::new(Int64Array::from_iter_values((0..rows).map(|_| rng.gen()))),
        Arc::new(Int32Array::from_iter_values(
            (0..rows).map(|_| rng.gen_range(0..3600)),
        )),
        Arc::new(UInt8Array::from_iter_values(
            (0..rows).map(|_| rng.gen_ratio(1, 10) as u8),
        )),
        Arc::new(Float64Array::from_iter_values(
            (0..rows).map(|_| rng.gen_range(0..100_000) as f64 / 100.0),
        )),
        ColumnKind::StringUrl.generate(rows, seed ^ 0x55),
        browser,
    ];
    Ok(RecordBatch::try_new(mixed_schema()?.arrow_schema(), cols)?)
}

/// Writes `batch` (already sorted) as part `all_1_1_0` under `dir` with `schema`, renamed
/// out of its temporary directory; returns the part directory.
pub fn write_part(schema: &TableSchema, batch: &RecordBatch, dir: &Path) -> Result<PathBuf> {
    let written = write_part_tmp(schema, batch, dir)?;
    let fin = dir.join(written.info.name());
    std::fs::rename(&written.tmp_dir, &fin).map_err(|e| StorageError::io(&fin, e))?;
    Ok(fin)
}

/// Writes `batch` as a part in a temporary directory under `dir` (what an insert does
/// before its commit).
pub fn write_part_tmp(
    schema: &TableSchema,
    batch: &RecordBatch,
    dir: &Path,
) -> Result<WrittenPart> {
    let info = PartInfo::parse("all_1_1_0")?;
    let tmp = dir.join("tmp_insert_all_1_1_0");
    let mut w = PartWriter::new(schema, info, Vec::new(), tmp)?;
    w.write(batch)?;
    w.finish()
}

/// Opens a part written by [`write_part`] (without hashing its files).
pub fn open_part(dir: &Path) -> Result<DataPart> {
    DataPart::open(dir, "bench.t", false)
}

/// Uncompressed and compressed bytes of the `.bin` files of `column` in part `dir`
/// (substreams included, marks excluded), found by decompressing every block.
pub fn column_sizes(dir: &Path, column: &str) -> Result<(u64, u64)> {
    let (mut raw, mut packed) = (0u64, 0u64);
    let entries = std::fs::read_dir(dir).map_err(|e| StorageError::io(dir, e))?;
    for e in entries {
        let e = e.map_err(|e| StorageError::io(dir, e))?;
        let name = e.file_name().to_string_lossy().to_string();
        let ours = name == format!("{column}.bin")
            || (name.starts_with(&format!("{column}.")) && name.ends_with(".bin"));
        if !ours {
            continue;
        }
        let bytes = std::fs::read(e.path()).map_err(|err| StorageError::io(e.path(), err))?;
        packed += bytes.len() as u64;
        let mut pos = 0;
        let mut out = Vec::new();
        while pos < bytes.len() {
            out.clear();
            pos += decompress_block(&bytes[pos..], &mut out)?;
            raw += out.len() as u64;
        }
    }
    Ok((raw, packed))
}

/// Rows of the query benchmark table (`benches/benches/query.rs`).
pub const QUERY_ROWS: usize = 2_000_000;

/// Distinct values of `s` in [`query_batch`].
pub const QUERY_STRING_KEYS: u64 = 10_000;

/// Distinct values of `k1k` in [`query_batch`].
pub const QUERY_SMALL_KEYS: u64 = 1_000;

/// Distinct values of `k1m` in [`query_batch`] once at least this many rows are loaded.
pub const QUERY_BIG_KEYS: u64 = 1_000_000;

/// The table the query benchmarks run on, `ORDER BY id`, default codecs:
///
/// - `id UInt64`: the row number (the sorting key);
/// - `a UInt32`: 0 for half the rows, else uniform in 1..1000 (`a <> 0` keeps ~50%,
///   `a > 100` ~45%);
/// - `b Int32`: uniform in 0..100 (`b < 50` keeps ~50%);
/// - `k1k UInt32`: uniform over [`QUERY_SMALL_KEYS`] keys;
/// - `k1m UInt64`: [`QUERY_BIG_KEYS`] keys, each on two rows of a 2M-row table, scattered;
/// - `v Int64`: uniform in 0..1e9 (summed and sorted on);
/// - `s String`: one of [`QUERY_STRING_KEYS`] search-phrase-like values of 15 to 30 bytes;
/// - `user UInt64`: one of 200k scrambled user ids;
/// - `url String`: URL-like values of 30 to 60 bytes, about 3% containing `google`.
pub fn query_schema() -> Result<TableSchema> {
    let cols = [
        ("id", "UInt64"),
        ("a", "UInt32"),
        ("b", "Int32"),
        ("k1k", "UInt32"),
        ("k1m", "UInt64"),
        ("v", "Int64"),
        ("s", "String"),
        ("user", "UInt64"),
        ("url", "String"),
    ];
    TableSchema::new(
        cols.iter()
            .map(|(n, t)| Ok(ColumnDef::new(*n, DataType::parse(t)?)))
            .collect::<Result<Vec<_>>>()?,
        &["id"],
    )
}

/// Rows `start..start + rows` of [`query_schema`]'s table; the same rows for the same
/// `start`, `rows` and `seed`.
pub fn query_batch(start: u64, rows: usize, seed: u64) -> Result<RecordBatch> {
    let mut rng = StdRng::seed_from_u64(seed ^ start.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let ids = start..start + rows as u64;
    let words = [
        "cheap", "flights", "weather", "news", "recipe", "best", "buy", "online", "music", "video",
        "free", "download", "hotel", "car", "phone", "review",
    ];
    let sites = [
        "example.com",
        "shop.example.org",
        "news.site.ru",
        "blog.host.net",
        "video.portal.com",
        "docs.service.io",
    ];
    let phrase = |n: u64| {
        format!(
            "{} {} {}",
            words[(n % 16) as usize],
            words[(n / 16 % 16) as usize],
            n
        )
    };
    let cols: Vec<ArrayRef> = vec![
        Arc::new(UInt64Array::from_iter_values(ids.clone())),
        Arc::new(UInt32Array::from_iter_values((0..rows).map(|_| {
            if rng.gen_bool(0.5) {
                0
            } else {
                rng.gen_range(1..1000)
            }
        }))),
        Arc::new(Int32Array::from_iter_values(
            (0..rows).map(|_| rng.gen_range(0..100)),
        )),
        Arc::new(UInt32Array::from_iter_values(
            (0..rows).map(|_| rng.gen_range(0..QUERY_SMALL_KEYS as u32)),
        )),
        // 7919 is prime to 1e6: every run of 1M consecutive ids maps onto all 1M keys.
        Arc::new(UInt64Array::from_iter_values(
            ids.clone().map(|i| i * 7919 % QUERY_BIG_KEYS),
        )),
        Arc::new(Int64Array::from_iter_values(
            (0..rows).map(|_| rng.gen_range(0..1_000_000_000)),
        )),
        Arc::new(BinaryArray::from_iter_values(
            (0..rows).map(|_| phrase(rng.gen_range(0..QUERY_STRING_KEYS))),
        )),
        Arc::new(UInt64Array::from_iter_values((0..rows).map(|_| {
            rng.gen_range(0..200_000u64)
                .wrapping_mul(0x9E37_79B9_7F4A_7C15)
                >> 1
        }))),
        Arc::new(BinaryArray::from_iter_values((0..rows).map(|_| {
            let site = if rng.gen_ratio(3, 100) {
                "www.google.com"
            } else {
                sites[rng.gen_range(0..sites.len())]
            };
            format!(
                "https://{site}/{}/page{}?q={}",
                words[rng.gen_range(0..words.len())],
                rng.gen_range(0..100_000),
                rng.gen_range(0..1000)
            )
        }))),
    ];
    Ok(RecordBatch::try_new(query_schema()?.arrow_schema(), cols)?)
}

/// Creates table `default.t` ([`query_schema`]) in `engine` and inserts `rows` rows of
/// [`query_batch`] in batches of `batch_rows` (one part each).
pub fn load_query_table(
    engine: &Arc<granary_storage::StorageEngine>,
    rows: usize,
    batch_rows: usize,
) -> Result<()> {
    let table = engine.create_table("default", "t", query_schema()?, "", false)?;
    let mut start = 0;
    while start < rows {
        let n = batch_rows.min(rows - start);
        table.insert(&query_batch(start as u64, n, 11)?)?;
        start += n;
    }
    Ok(())
}
