//! `AggregatingMergeTree`: the rows of a run fold into one. `AggregateFunction(f, T...)`
//! columns merge their states, `SimpleAggregateFunction(f, T)` columns apply `f` to their
//! values (`sum`, `min`, `max`, `any`, `anyLast`, `groupArrayArray`, ...), every other column
//! keeps the value of the run's first row. `SummingMergeTree` folds its
//! `AggregateFunction` and `SimpleAggregateFunction` columns the same way.
//!
//! Storage knows nothing of aggregate functions: the query crate installs an
//! [`AggregateStateMerger`] once per process ([`install_state_merger`]). Without one,
//! merging such a table is NOT_IMPLEMENTED.
//!
//! The open run is carried between chunks as one row holding its partial fold.

use std::sync::{Arc, OnceLock};

use arrow::array::{ArrayRef, UInt32Array};
use arrow::compute::{concat_batches, take};
use arrow::record_batch::RecordBatch;

use super::{MergeContext, MergingMode, RunCombiner, SortedChunk};
use crate::error::{Result, StorageError};
use crate::types::DataType;

/// Folds values of aggregate columns: implemented by the query crate.
pub trait AggregateStateMerger: Send + Sync + std::fmt::Debug {
    /// Folds `column` (values of type `data_type`, an `AggregateFunction` or
    /// `SimpleAggregateFunction`) into `num_groups` values: row `i` belongs to group
    /// `group_ids[i]`; group `g`'s result is its rows merged in order.
    fn merge_groups(
        &self,
        data_type: &DataType,
        column: &ArrayRef,
        group_ids: &[u32],
        num_groups: usize,
    ) -> Result<ArrayRef>;
}

static MERGER: OnceLock<Arc<dyn AggregateStateMerger>> = OnceLock::new();

/// Installs the process-wide merger; later calls are ignored (idempotent).
pub fn install_state_merger(merger: Arc<dyn AggregateStateMerger>) {
    let _ = MERGER.set(merger);
}

/// The installed merger, or NOT_IMPLEMENTED.
pub fn state_merger() -> Result<&'static Arc<dyn AggregateStateMerger>> {
    MERGER.get().ok_or_else(|| {
        StorageError::NotImplemented(
            "Merging aggregate function states needs the query engine (no merger installed)".into(),
        )
    })
}

/// Whether values of `t` fold with an aggregate function in merges.
pub fn is_aggregate_column(t: &DataType) -> bool {
    matches!(
        t,
        DataType::AggregateFunction(_) | DataType::SimpleAggregateFunction(..)
    )
}

/// The `AggregatingMergeTree` merging mode.
#[derive(Debug)]
pub struct AggregatingMode {
    /// Positions and types of the columns that fold (the others keep the first row).
    pub columns: Vec<(usize, DataType)>,
}

impl MergingMode for AggregatingMode {
    fn name(&self) -> &'static str {
        "AggregatingMergeTree"
    }

    fn combiner(&self, _ctx: &MergeContext) -> Result<Box<dyn RunCombiner>> {
        if !self.columns.is_empty() {
            state_merger()?;
        }
        Ok(Box::new(AggregatingCombiner {
            columns: self.columns.clone(),
            carry: None,
        }))
    }
}

struct AggregatingCombiner {
    columns: Vec<(usize, DataType)>,
    carry: Option<RecordBatch>,
}

impl AggregatingCombiner {
    /// Folds every run of `batch` (runs start at `starts`) into one row each.
    fn fold(&self, batch: &RecordBatch, starts: &[usize]) -> Result<RecordBatch> {
        let n = batch.num_rows();
        let mut group_ids = Vec::with_capacity(n);
        for (g, &s) in starts.iter().enumerate() {
            let end = starts.get(g + 1).copied().unwrap_or(n);
            group_ids.extend(std::iter::repeat_n(g as u32, end - s));
        }
        let firsts = UInt32Array::from_iter_values(starts.iter().map(|&s| s as u32));
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(batch.num_columns());
        for (i, c) in batch.columns().iter().enumerate() {
            match self.columns.iter().find(|(p, _)| *p == i) {
                Some((_, t)) => {
                    let merged = state_merger()?.merge_groups(t, c, &group_ids, starts.len())?;
                    if merged.len() != starts.len() || merged.data_type() != c.data_type() {
                        return Err(StorageError::Logical(format!(
                            "aggregate merge of {t} returned {} values of {}",
                            merged.len(),
                            merged.data_type()
                        )));
                    }
                    columns.push(merged);
                }
                None => columns.push(take(c.as_ref(), &firsts, None)?),
            }
        }
        Ok(RecordBatch::try_new(batch.schema(), columns)?)
    }
}

impl RunCombiner for AggregatingCombiner {
    fn push(&mut self, chunk: SortedChunk<'_>) -> Result<Option<RecordBatch>> {
        if chunk.run_starts.is_empty() {
            return Ok(None);
        }
        let (batch, starts) = match self.carry.take() {
            Some(carry) => {
                let batch = concat_batches(&chunk.batch.schema(), [&carry, chunk.batch])?;
                let mut starts = vec![0];
                let skip = chunk.continues_previous as usize;
                starts.extend(chunk.run_starts[skip..].iter().map(|s| s + 1));
                (batch, starts)
            }
            None => (chunk.batch.clone(), chunk.run_starts.to_vec()),
        };
        let folded = self.fold(&batch, &starts)?;
        let complete = folded.num_rows() - 1;
        self.carry = Some(folded.slice(complete, 1));
        Ok((complete > 0).then(|| folded.slice(0, complete)))
    }

    fn finish(&mut self) -> Result<Option<RecordBatch>> {
        Ok(self.carry.take())
    }
}
