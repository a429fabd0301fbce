//! The table and rows of the crash test (reliability promises D1, D2, D3 and D7).
//!
//! Every row of insert number `n` carries `n`, the number of rows of that insert (`cnt`)
//! and values derived from `n` and its random `id` (`s`, `chk`), so after a crash a reader
//! can tell, from the table alone, whether an insert is wholly present and whether any
//! row was garbled (by a torn write or by a merge).

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, BinaryArray, UInt32Array, UInt64Array, UInt8Array};
use arrow::datatypes::{UInt32Type, UInt64Type, UInt8Type};
use arrow::record_batch::RecordBatch;
use granary_storage::key_expr::KeyExpr;
use granary_storage::schema::{ColumnDef, TableSchema};
use granary_storage::types::DataType;
use granary_storage::Result;
use rand::Rng;

/// Database of the crash test's table.
pub const DB: &str = "default";
/// Name of the crash test's table.
pub const TABLE: &str = "crash";
/// Number of partitions the rows spread over (`p = id % PARTITIONS`).
pub const PARTITIONS: u64 = 3;
/// The columns [`read_and_check`] reads.
pub const COLUMNS: [&str; 6] = ["n", "cnt", "id", "p", "s", "chk"];

/// The crash table's `CREATE TABLE` text (kept in its metadata).
pub const CREATE_QUERY: &str = "CREATE TABLE default.crash (n UInt64, cnt UInt32, id UInt64, \
     p UInt8, s String, chk UInt64) ENGINE = MergeTree PARTITION BY p ORDER BY (id, n) \
     SETTINGS index_granularity = 64, min_compress_block_size = 1024";

/// The crash table's schema: partitioned by `p`, small granules and blocks so every part
/// has several of each.
pub fn schema() -> Result<TableSchema> {
    let t = |s: &str| DataType::parse(s);
    let mut schema = TableSchema::new(
        vec![
            ColumnDef::new("n", t("UInt64")?),
            ColumnDef::new("cnt", t("UInt32")?),
            ColumnDef::new("id", t("UInt64")?),
            ColumnDef::new("p", t("UInt8")?),
            ColumnDef::new("s", t("String")?),
            ColumnDef::new("chk", t("UInt64")?),
        ],
        &["id", "n"],
    )?;
    schema.partition_by = Some(KeyExpr::parse("p")?);
    schema.settings.index_granularity = 64;
    schema.settings.min_compress_block_size = 1024;
    Ok(schema)
}

/// A deterministic check value for row `id` of insert `n` (splitmix64 of both).
pub fn check_value(n: u64, id: u64) -> u64 {
    let mut z = n
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(id)
        .wrapping_add(0x632B_E59B_D9B4_E019);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The string column's value for row `id` of insert `n`.
pub fn string_value(n: u64, id: u64) -> String {
    format!("{n}:{id:x}")
}

/// The rows of insert `n`: `rows` rows with random ids spread over the partitions.
pub fn batch(n: u64, rows: usize, rng: &mut impl Rng) -> Result<RecordBatch> {
    let ids: Vec<u64> = (0..rows).map(|_| rng.gen::<u64>() >> 8).collect();
    let cols: Vec<ArrayRef> = vec![
        Arc::new(UInt64Array::from(vec![n; rows])),
        Arc::new(UInt32Array::from(vec![rows as u32; rows])),
        Arc::new(UInt64Array::from(ids.clone())),
        Arc::new(UInt8Array::from_iter_values(
            ids.iter().map(|id| (id % PARTITIONS) as u8),
        )),
        Arc::new(BinaryArray::from_iter_values(
            ids.iter().map(|&id| string_value(n, id)),
        )),
        Arc::new(UInt64Array::from_iter_values(
            ids.iter().map(|&id| check_value(n, id)),
        )),
    ];
    Ok(RecordBatch::try_new(schema()?.arrow_schema(), cols)?)
}

/// Per insert number, the rows found and the row count they claim (`cnt`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Found {
    /// Rows found carrying this insert number.
    pub rows: u64,
    /// The `cnt` those rows carry (all must agree).
    pub cnt: u64,
}

/// Checks every row of `batches` (read with [`COLUMNS`]) for internal consistency and
/// counts rows per insert number. Returns a description of the first bad row as `Err`.
pub fn tally(
    batches: &[RecordBatch],
) -> std::result::Result<std::collections::BTreeMap<u64, Found>, String> {
    let mut out: std::collections::BTreeMap<u64, Found> = std::collections::BTreeMap::new();
    for b in batches {
        if b.num_columns() != COLUMNS.len() {
            return Err(format!("batch has {} columns", b.num_columns()));
        }
        let n = b.column(0).as_primitive_opt::<UInt64Type>();
        let cnt = b.column(1).as_primitive_opt::<UInt32Type>();
        let id = b.column(2).as_primitive_opt::<UInt64Type>();
        let p = b.column(3).as_primitive_opt::<UInt8Type>();
        let s = b.column(4).as_binary_opt::<i32>();
        let chk = b.column(5).as_primitive_opt::<UInt64Type>();
        let (Some(n), Some(cnt), Some(id), Some(p), Some(s), Some(chk)) = (n, cnt, id, p, s, chk)
        else {
            return Err(format!("unexpected column types: {:?}", b.schema()));
        };
        if [n.null_count(), id.null_count(), s.null_count()] != [0, 0, 0] {
            return Err("NULLs in a column without NULLs".into());
        }
        for r in 0..b.num_rows() {
            let (nv, idv) = (n.value(r), id.value(r));
            let bad = |what: &str| format!("row n={nv} id={idv:x}: {what} is wrong");
            if p.value(r) as u64 != idv % PARTITIONS {
                return Err(bad("p"));
            }
            if s.value(r) != string_value(nv, idv).as_bytes() {
                return Err(bad("s"));
            }
            if chk.value(r) != check_value(nv, idv) {
                return Err(bad("chk"));
            }
            let e = out.entry(nv).or_default();
            if e.rows > 0 && e.cnt != cnt.value(r) as u64 {
                return Err(bad("cnt (differs between rows of one insert)"));
            }
            e.cnt = cnt.value(r) as u64;
            e.rows += 1;
        }
    }
    Ok(out)
}
