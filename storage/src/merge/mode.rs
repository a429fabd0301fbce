//! Merging modes: how the table engine combines rows whose sort keys are equal.
//!
//! A merge (or a `SELECT ... FINAL` read) produces one stream of rows in sort-key order. The
//! stream is cut into [`SortedChunk`]s: a batch of rows plus the boundaries of its **runs**
//! (maximal groups of consecutive rows with equal sort keys). A [`MergingMode`] hands out a
//! [`RunCombiner`], a small state machine that consumes chunks and emits the combined rows.
//! A run may continue from one chunk into the next, so every combiner keeps the state of the
//! one run still open (at most a couple of rows, never the run itself): memory stays bounded
//! however long a run is.
//!
//! Combiners work on whole chunks with typed loops over runs, not a virtual call per row.
//!
//! | Engine | Mode |
//! |---|---|
//! | `MergeTree` | [`OrdinaryMode`]: keeps every row |
//! | `ReplacingMergeTree([ver])` | [`ReplacingMode`](replacing::ReplacingMode) |
//! | `SummingMergeTree([cols])` | [`SummingMode`](summing::SummingMode) |
//! | `CollapsingMergeTree(sign)` | [`CollapsingMode`](collapsing::CollapsingMode) |
//! | `AggregatingMergeTree` | [`AggregatingMode`](aggregating::AggregatingMode) |

pub mod aggregating;
pub mod collapsing;
pub mod replacing;
pub mod summing;

use arrow::array::{Array, ArrayRef, UInt32Array};
use arrow::compute::{concat_batches, interleave, take};
use arrow::datatypes::{Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use arrow::row::{RowConverter, Rows, SortField};

use crate::error::{Result, StorageError};
use crate::schema::{TableEngine, TableSchema};
use crate::types::DataType;

/// Sorted rows handed to a [`RunCombiner`], with the boundaries of their key runs.
#[derive(Clone, Copy, Debug)]
pub struct SortedChunk<'a> {
    /// The rows: the table's stored columns, in sort-key order.
    pub batch: &'a RecordBatch,
    /// Where each run of equal sort keys starts: strictly ascending, the first is 0; empty
    /// exactly when the batch is. Run `i` ends where run `i + 1` starts (the last run ends at
    /// the end of the batch).
    pub run_starts: &'a [usize],
    /// Whether the first run has the same key as the last run of the previous chunk (so it
    /// continues that run rather than starting a new one).
    pub continues_previous: bool,
}

impl SortedChunk<'_> {
    /// The row range of run `i`.
    pub fn run(&self, i: usize) -> std::ops::Range<usize> {
        let start = self.run_starts[i];
        let end = self
            .run_starts
            .get(i + 1)
            .copied()
            .unwrap_or(self.batch.num_rows());
        start..end
    }
}

/// What a merge is for; passed to [`MergingMode::combiner`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MergeContext {
    /// `OPTIMIZE ... FINAL`: the merge covers every part of the partition. No mode behaves
    /// differently yet (ClickHouse's ReplacingMergeTree with `is_deleted` would).
    pub final_merge: bool,
    /// A `SELECT ... FINAL` read rather than a merge. CollapsingMergeTree then never outputs
    /// a row with sign -1 (ClickHouse's `only_positive_sign`): a read has no later part for
    /// the cancelling row to cancel.
    pub select_final: bool,
}

impl MergeContext {
    /// The context of a `SELECT ... FINAL` read.
    pub fn select_final() -> MergeContext {
        MergeContext {
            final_merge: true,
            select_final: true,
        }
    }
}

/// Combines runs of rows with equal sort keys during a merge: the table engine's merging
/// mode. Implementations are stateless descriptions (which columns to sum, which is the
/// version); the per-merge state lives in the [`RunCombiner`] they create.
///
/// An `AggregatingMergeTree` mode fits the same shape: its combiner merges the aggregate
/// states of each run column by column (one `merge` call per run and column, over the run's
/// rows as a slice) and keeps the partially merged states of the open run as its carry.
pub trait MergingMode: Send + Sync + std::fmt::Debug {
    /// The engine's name, for logs and errors.
    fn name(&self) -> &'static str;

    /// Whether every row is kept unchanged (plain `MergeTree`): the merger then skips run
    /// detection and the combiner altogether.
    fn keeps_all_rows(&self) -> bool {
        false
    }

    /// Starts combining one stream of sorted rows.
    fn combiner(&self, ctx: &MergeContext) -> Result<Box<dyn RunCombiner>>;
}

/// The state of one merge's combining: fed chunks in order, it returns combined rows as soon
/// as their runs are complete.
pub trait RunCombiner: Send {
    /// Consumes `chunk`. Returns the output of every run known to be complete: all runs of
    /// the chunk but the last, preceded by the run left open by the previous chunk when this
    /// one does not continue it. The chunk's last run stays open.
    fn push(&mut self, chunk: SortedChunk<'_>) -> Result<Option<RecordBatch>>;

    /// Ends the stream: returns the output of the run still open, if any.
    fn finish(&mut self) -> Result<Option<RecordBatch>>;
}

/// `MergeTree`: every row is kept as it is.
#[derive(Debug, Default)]
pub struct OrdinaryMode;

impl MergingMode for OrdinaryMode {
    fn name(&self) -> &'static str {
        "MergeTree"
    }

    fn keeps_all_rows(&self) -> bool {
        true
    }

    fn combiner(&self, _ctx: &MergeContext) -> Result<Box<dyn RunCombiner>> {
        Ok(Box::new(PassThrough))
    }
}

struct PassThrough;

impl RunCombiner for PassThrough {
    fn push(&mut self, chunk: SortedChunk<'_>) -> Result<Option<RecordBatch>> {
        Ok((chunk.batch.num_rows() > 0).then(|| chunk.batch.clone()))
    }

    fn finish(&mut self) -> Result<Option<RecordBatch>> {
        Ok(None)
    }
}

/// The merging mode of `schema`'s engine, for rows with the table's stored columns.
///
pub fn merging_mode(schema: &TableSchema) -> Result<Box<dyn MergingMode>> {
    merging_mode_for(schema, &schema.arrow_schema())
}

/// The merging mode of `schema`'s engine for rows with the columns of `columns` (any subset
/// of the stored columns, in any order, that holds the sort key and every column the engine
/// reads: the version, the sign or the columns to sum).
pub fn merging_mode_for(schema: &TableSchema, columns: &Schema) -> Result<Box<dyn MergingMode>> {
    let position = |name: &str| -> Result<usize> {
        columns.index_of(name).map_err(|_| {
            StorageError::NoSuchColumn(format!(
                "Column {name} used by {} is missing from the rows to merge",
                schema.engine.to_sql()
            ))
        })
    };
    Ok(match &schema.engine {
        TableEngine::MergeTree => Box::new(OrdinaryMode),
        TableEngine::ReplacingMergeTree { version } => Box::new(replacing::ReplacingMode {
            version: version.as_deref().map(position).transpose()?,
        }),
        TableEngine::SummingMergeTree { .. } => {
            let to_sum = summing::SummingMode::columns_to_sum(schema);
            let aggregate = aggregate_columns(schema, columns);
            if !aggregate.is_empty() {
                // Aggregate columns fold by their function; the columns to sum fold as
                // `SimpleAggregateFunction(sumWithOverflow, T)`.
                let mut folded = aggregate;
                for c in &to_sum {
                    let t = schema.column(c)?.data_type.clone();
                    folded.push((
                        position(c)?,
                        DataType::SimpleAggregateFunction("sumWithOverflow".into(), Box::new(t)),
                    ));
                }
                return Ok(Box::new(aggregating::AggregatingMode { columns: folded }));
            }
            let sum_columns = to_sum
                .iter()
                .map(|c| position(c))
                .collect::<Result<Vec<_>>>()?;
            Box::new(summing::SummingMode { sum_columns })
        }
        TableEngine::CollapsingMergeTree { sign } => Box::new(collapsing::CollapsingMode {
            sign: position(sign)?,
        }),
        TableEngine::AggregatingMergeTree => Box::new(aggregating::AggregatingMode {
            columns: aggregate_columns(schema, columns),
        }),
    })
}

/// Positions in `columns` and types of `schema`'s `AggregateFunction` and
/// `SimpleAggregateFunction` columns.
fn aggregate_columns(schema: &TableSchema, columns: &Schema) -> Vec<(usize, DataType)> {
    schema
        .stored_columns()
        .filter(|c| aggregating::is_aggregate_column(&c.data_type))
        .filter_map(|c| Some((columns.index_of(&c.name).ok()?, c.data_type.clone())))
        .collect()
}

/// Applies `schema`'s merging mode to one batch already sorted by the sort key, as a merge
/// of everything would: the engine's rule for `OPTIMIZE ... FINAL` over rows in memory.
pub fn apply_mode_to_sorted(schema: &TableSchema, batch: &RecordBatch) -> Result<RecordBatch> {
    apply_mode_to_sorted_with(schema, batch, &MergeContext::default())
}

/// [`apply_mode_to_sorted`] with an explicit context; `SELECT ... FINAL` passes
/// [`MergeContext::select_final`]. The batch may hold any subset of the stored columns that
/// includes the sort key and the columns the engine reads (see [`merging_mode_for`]).
pub fn apply_mode_to_sorted_with(
    schema: &TableSchema,
    batch: &RecordBatch,
    ctx: &MergeContext,
) -> Result<RecordBatch> {
    let mode = merging_mode_for(schema, &batch.schema())?;
    if mode.keeps_all_rows() || batch.num_rows() == 0 {
        return Ok(batch.clone());
    }
    let key_columns = key_positions(schema, &batch.schema())?;
    let run_starts = match key_rows(batch, &key_columns)? {
        Some(rows) => run_starts_of(&rows),
        None => vec![0],
    };
    let mut combiner = mode.combiner(ctx)?;
    let mut out = Vec::new();
    out.extend(combiner.push(SortedChunk {
        batch,
        run_starts: &run_starts,
        continues_previous: false,
    })?);
    out.extend(combiner.finish()?);
    Ok(concat_batches(&batch.schema(), &out)?)
}

/// Positions of the sort-key columns in `arrow_schema`.
pub(crate) fn key_positions(schema: &TableSchema, arrow_schema: &SchemaRef) -> Result<Vec<usize>> {
    schema
        .order_by
        .iter()
        .map(|k| {
            arrow_schema.index_of(k).map_err(|_| {
                StorageError::NoSuchColumn(format!("Sort key column {k} is missing from the rows"))
            })
        })
        .collect()
}

/// A row converter for the key columns of `batch` (None for an empty key).
pub(crate) fn key_converter(
    arrow_schema: &SchemaRef,
    key_columns: &[usize],
) -> Result<Option<RowConverter>> {
    if key_columns.is_empty() {
        return Ok(None);
    }
    let fields = key_columns
        .iter()
        .map(|&i| SortField::new(arrow_schema.field(i).data_type().clone()))
        .collect();
    Ok(Some(RowConverter::new(fields)?))
}

fn key_rows(batch: &RecordBatch, key_columns: &[usize]) -> Result<Option<Rows>> {
    let Some(conv) = key_converter(&batch.schema(), key_columns)? else {
        return Ok(None);
    };
    let cols: Vec<ArrayRef> = key_columns
        .iter()
        .map(|&i| batch.column(i).clone())
        .collect();
    Ok(Some(conv.convert_columns(&cols)?))
}

/// Starts of the runs of equal rows in `rows` (sorted).
fn run_starts_of(rows: &Rows) -> Vec<usize> {
    let mut starts = Vec::new();
    for i in 0..rows.num_rows() {
        if i == 0 || rows.row(i) != rows.row(i - 1) {
            starts.push(i);
        }
    }
    starts
}

/// Where an output row of a combiner comes from: a row kept from an earlier chunk (the open
/// run's carry) or a row of the current chunk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Pick {
    /// Row 0 of carried batch `i`.
    Carry(usize),
    /// A row of the current chunk.
    Row(usize),
}

/// Gathers `picks` from `carries` (one-row batches) and `batch` into one batch.
pub(crate) fn gather(
    carries: &[&RecordBatch],
    batch: &RecordBatch,
    picks: &[Pick],
) -> Result<Option<RecordBatch>> {
    if picks.is_empty() {
        return Ok(None);
    }
    let schema = batch.schema();
    let columns: Vec<ArrayRef> = if picks.iter().all(|p| matches!(p, Pick::Row(_))) {
        let idx: UInt32Array = picks
            .iter()
            .map(|p| match p {
                Pick::Row(r) => *r as u32,
                Pick::Carry(_) => 0,
            })
            .collect();
        batch
            .columns()
            .iter()
            .map(|c| take(c.as_ref(), &idx, None))
            .collect::<std::result::Result<_, _>>()?
    } else {
        let cur = carries.len();
        let idx: Vec<(usize, usize)> = picks
            .iter()
            .map(|p| match p {
                Pick::Carry(i) => (*i, 0),
                Pick::Row(r) => (cur, *r),
            })
            .collect();
        (0..batch.num_columns())
            .map(|c| {
                let mut arrays: Vec<&dyn Array> =
                    carries.iter().map(|b| b.column(c).as_ref()).collect();
                arrays.push(batch.column(c).as_ref());
                interleave(&arrays, &idx)
            })
            .collect::<std::result::Result<_, _>>()?
    };
    Ok(Some(RecordBatch::try_new(schema, columns)?))
}

/// Concatenates the non-empty batches of `parts` (None if there are none).
pub(crate) fn concat_some(parts: Vec<RecordBatch>) -> Result<Option<RecordBatch>> {
    let parts: Vec<RecordBatch> = parts.into_iter().filter(|b| b.num_rows() > 0).collect();
    match parts.len() {
        0 => Ok(None),
        1 => Ok(parts.into_iter().next()),
        _ => Ok(Some(concat_batches(&parts[0].schema(), &parts)?)),
    }
}

#[cfg(test)]
pub(crate) mod tests_util {
    //! Small helpers for the modes' unit tests: a (key, value, position) batch, and running a
    //! mode over it cut into chunks of any size.

    use std::sync::Arc;

    use arrow::array::{AsArray, Int64Array, Int8Array, UInt32Array};
    use arrow::datatypes::{DataType as ArrowType, Field, Int64Type, Schema, UInt32Type};
    use arrow::record_batch::RecordBatch;

    use super::*;

    /// Columns `k` UInt32, `v` Int64, `pos` UInt32 (the row's position).
    pub fn batch_kv(rows: &[(u32, i64)]) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![
            Field::new("k", ArrowType::UInt32, false),
            Field::new("v", ArrowType::Int64, false),
            Field::new("pos", ArrowType::UInt32, false),
        ]));
        RecordBatch::try_new(
            schema,
            vec![
                Arc::new(UInt32Array::from_iter_values(rows.iter().map(|r| r.0))),
                Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.1))),
                Arc::new(UInt32Array::from_iter_values(0..rows.len() as u32)),
            ],
        )
        .unwrap()
    }

    /// [`batch_kv`] plus a fourth column `sign` Int8 equal to `v`.
    pub fn batch_kv_sign(rows: &[(u32, i64)]) -> RecordBatch {
        let b = batch_kv(rows);
        let mut fields: Vec<Field> = b.schema().fields().iter().map(|f| (**f).clone()).collect();
        fields.push(Field::new("sign", ArrowType::Int8, false));
        let mut cols = b.columns().to_vec();
        cols.push(Arc::new(Int8Array::from_iter_values(
            rows.iter().map(|r| r.1 as i8),
        )));
        RecordBatch::try_new(Arc::new(Schema::new(fields)), cols).unwrap()
    }

    /// Run starts of `rows` (sorted by key).
    pub fn starts_of(rows: &[(u32, i64)]) -> Vec<usize> {
        (0..rows.len())
            .filter(|&i| i == 0 || rows[i].0 != rows[i - 1].0)
            .collect()
    }

    /// Feeds `batch` to a combiner of `mode` in chunks of `chunk` rows.
    pub fn run_all(
        mode: &dyn MergingMode,
        b: &RecordBatch,
        starts: &[usize],
        chunk: usize,
    ) -> RecordBatch {
        run_all_ctx(mode, b, starts, chunk, MergeContext::default())
    }

    /// [`run_all`] with a context.
    pub fn run_all_ctx(
        mode: &dyn MergingMode,
        b: &RecordBatch,
        starts: &[usize],
        chunk: usize,
        ctx: MergeContext,
    ) -> RecordBatch {
        let mut c = mode.combiner(&ctx).unwrap();
        let mut out = Vec::new();
        let mut at = 0;
        while at < b.num_rows() {
            let end = (at + chunk).min(b.num_rows());
            let mut local: Vec<usize> = starts
                .iter()
                .filter(|&&s| s >= at && s < end)
                .map(|&s| s - at)
                .collect();
            let continues = local.first() != Some(&0);
            if continues {
                local.insert(0, 0);
            }
            let piece = b.slice(at, end - at);
            out.extend(
                c.push(SortedChunk {
                    batch: &piece,
                    run_starts: &local,
                    continues_previous: continues,
                })
                .unwrap(),
            );
            at = end;
        }
        out.extend(c.finish().unwrap());
        concat_batches(&b.schema(), &out).unwrap()
    }

    /// (k, v, pos) of every row.
    pub fn rows_of(b: &RecordBatch) -> Vec<(u32, i64, u32)> {
        let k = b.column(0).as_primitive::<UInt32Type>();
        let v = b.column(1).as_primitive::<Int64Type>();
        let p = b.column(2).as_primitive::<UInt32Type>();
        (0..b.num_rows())
            .map(|i| (k.value(i), v.value(i), p.value(i)))
            .collect()
    }
}
