//! Merging parts: adjacent parts of one partition become one new part, their rows merged by
//! sort key ([`MergingSortedStream`]) and combined by the table engine's merging mode
//! ([`MergingMode`](super::mode::MergingMode)), written with [`PartWriter`].
//!
//! Memory is bounded by the sources' current chunks (a few granules each), one output block
//! and the combiner's carry, whatever the size of the parts.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use arrow::array::{new_null_array, Array, ArrayRef, AsArray, DictionaryArray, Int32Array};
use arrow::datatypes::{DataType as ArrowType, Int32Type};
use arrow::record_batch::RecordBatch;

use super::mode::{key_positions, merging_mode, MergeContext, SortedChunk};
use super::sorted_stream::MergingSortedStream;
use crate::error::{Result, StorageError};
use crate::part::{DataPart, PartInfo, PartWriter, WrittenPart};
use crate::schema::TableSchema;
use crate::value::Value;

/// Most rows in one block handed from the k-way merge to the combiner and the writer.
pub const MAX_BLOCK_ROWS: usize = 65536;
/// Fewest rows in one block (so a tiny `index_granularity` does not make merges slow).
pub const MIN_BLOCK_ROWS: usize = 1024;

/// Tuning of one merge; [`MergeOptions::for_schema`] gives the defaults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MergeOptions {
    /// Rows per block handed from the k-way merge to the combiner and the writer.
    pub block_rows: usize,
    /// Granules a source reads at a time; `None` picks enough for about 8192 rows (1 to 8).
    pub granules_per_read: Option<u64>,
}

impl MergeOptions {
    /// Defaults for a table: blocks of `index_granularity` rows, clamped to
    /// [`MIN_BLOCK_ROWS`]..=[`MAX_BLOCK_ROWS`].
    pub fn for_schema(schema: &TableSchema) -> MergeOptions {
        MergeOptions {
            block_rows: schema
                .settings
                .index_granularity
                .clamp(MIN_BLOCK_ROWS, MAX_BLOCK_ROWS),
            granules_per_read: None,
        }
    }
}

/// K-way merges `parts` (adjacent parts of one partition, in block order; each sorted by
/// `schema.order_by`) into one new part written with [`PartWriter`] into `tmp_dir` as
/// `new_info`, applying the table engine's merging mode. Returns the written part, not yet
/// renamed or committed. `final_merge` is set for `OPTIMIZE ... FINAL`.
///
/// `cancel` is checked between chunks; when set, the merge stops with
/// [`StorageError::Aborted`]. On any error `tmp_dir` is removed.
pub fn merge_parts(
    schema: &TableSchema,
    parts: &[Arc<DataPart>],
    new_info: PartInfo,
    partition_value: Vec<Value>,
    tmp_dir: PathBuf,
    final_merge: bool,
    cancel: &AtomicBool,
) -> Result<WrittenPart> {
    let ctx = MergeContext {
        final_merge,
        select_final: false,
    };
    merge_parts_with(
        schema,
        parts,
        new_info,
        partition_value,
        tmp_dir,
        &ctx,
        &MergeOptions::for_schema(schema),
        cancel,
    )
}

/// [`merge_parts`] with an explicit context and tuning (tests use tiny blocks to exercise
/// runs that span blocks).
#[allow(clippy::too_many_arguments)]
pub fn merge_parts_with(
    schema: &TableSchema,
    parts: &[Arc<DataPart>],
    new_info: PartInfo,
    partition_value: Vec<Value>,
    tmp_dir: PathBuf,
    ctx: &MergeContext,
    options: &MergeOptions,
    cancel: &AtomicBool,
) -> Result<WrittenPart> {
    let name = new_info.name();
    let result = run_merge(
        schema,
        parts,
        new_info,
        partition_value,
        tmp_dir.clone(),
        ctx,
        options,
        cancel,
    );
    if let Err(e) = &result {
        if let Err(rm) = crate::fs::remove_dir_all_if_exists(&tmp_dir) {
            tracing::warn!(
                "cannot remove {} after a failed merge: {rm}",
                tmp_dir.display()
            );
        }
        match e {
            StorageError::Aborted(_) => tracing::debug!("merge into {name} cancelled"),
            _ => tracing::debug!("merge into {name} failed: {e}"),
        }
    }
    result
}

#[allow(clippy::too_many_arguments)]
fn run_merge(
    schema: &TableSchema,
    parts: &[Arc<DataPart>],
    new_info: PartInfo,
    partition_value: Vec<Value>,
    tmp_dir: PathBuf,
    ctx: &MergeContext,
    options: &MergeOptions,
    cancel: &AtomicBool,
) -> Result<WrittenPart> {
    if cancel.load(Ordering::Relaxed) {
        return Err(StorageError::Aborted("Cancelled merging parts".into()));
    }
    let mode = merging_mode(schema)?;
    let arrow_schema = schema.arrow_schema();
    let key_columns = key_positions(schema, &arrow_schema)?;
    let mut combiner = if mode.keeps_all_rows() {
        None
    } else {
        Some(mode.combiner(ctx)?)
    };
    let started = std::time::Instant::now();
    let mut writer = PartWriter::new(schema, new_info, partition_value, tmp_dir)?;
    let mut stream = MergingSortedStream::new(
        arrow_schema,
        key_columns,
        parts,
        options.block_rows,
        options.granules_per_read,
        combiner.is_some(),
        cancel,
    )?;
    let mut rows_read = 0usize;
    while let Some(block) = stream.next_block()? {
        rows_read += block.batch.num_rows();
        match combiner.as_mut() {
            None => writer.write(&writable(block.batch)?)?,
            Some(c) => {
                if let Some(out) = c.push(SortedChunk {
                    batch: &block.batch,
                    run_starts: &block.run_starts,
                    continues_previous: block.continues_previous,
                })? {
                    writer.write(&writable(out)?)?;
                }
            }
        }
    }
    if let Some(c) = combiner.as_mut() {
        if let Some(out) = c.finish()? {
            writer.write(&writable(out)?)?;
        }
    }
    if cancel.load(Ordering::Relaxed) {
        return Err(StorageError::Aborted("Cancelled merging parts".into()));
    }
    let written = writer.finish()?;
    tracing::debug!(
        "merged {} parts ({rows_read} rows) into {} ({} rows, {} bytes) with {} in {:?}",
        parts.len(),
        written.info,
        written.meta.rows,
        written.bytes,
        mode.name(),
        started.elapsed()
    );
    Ok(written)
}

/// Gives every dictionary (LowCardinality) column with an empty dictionary one placeholder
/// value: such a column (all NULL, e.g. the gather of NULL rows of several parts) is valid
/// Arrow, but the part encoder needs a non-empty dictionary to map keys.
fn writable(batch: RecordBatch) -> Result<RecordBatch> {
    let needs_fix = |c: &ArrayRef| {
        matches!(c.data_type(), ArrowType::Dictionary(..))
            && !c.is_empty()
            && c.as_any_dictionary().values().is_empty()
    };
    if !batch.columns().iter().any(needs_fix) {
        return Ok(batch);
    }
    let columns = batch
        .columns()
        .iter()
        .map(|c| {
            if !needs_fix(c) {
                return Ok(c.clone());
            }
            let ArrowType::Dictionary(key_type, value_type) = c.data_type() else {
                return Ok(c.clone());
            };
            if **key_type != ArrowType::Int32 {
                return Err(StorageError::TypeMismatch(format!(
                    "LowCardinality keys must be Int32, got {key_type}"
                )));
            }
            let keys = c.as_dictionary::<Int32Type>().keys();
            let keys = Int32Array::new(vec![0; keys.len()].into(), keys.nulls().cloned());
            let values = new_null_array(value_type, 1);
            Ok(Arc::new(DictionaryArray::<Int32Type>::try_new(keys, values)?) as ArrayRef)
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(RecordBatch::try_new(batch.schema(), columns)?)
}
