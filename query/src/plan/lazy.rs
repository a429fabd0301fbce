//! Lazy materialization of `ORDER BY ... LIMIT k` (ClickHouse's
//! `query_plan_optimize_lazy_materialization`).
//!
//! `SELECT * FROM hits WHERE URL LIKE '%google%' ORDER BY EventTime LIMIT 10` needs every
//! column of only ten rows, but a plain scan decodes all 105 columns of every matching
//! row. Instead:
//!
//! 1. each morsel reads only the columns the WHERE clause and the ORDER BY keys use, and
//!    keeps its best `k` rows as candidates: their sort keys and where they are (morsel,
//!    row within the morsel);
//! 2. the candidates of all morsels are sorted once more and cut to `k`;
//! 3. the remaining columns are read for the granules holding those `k` rows only, and
//!    the SELECT list is evaluated over them.
//!
//! Expressions stay bound to positions in the pipeline's full column list: the columns
//! not read in step 1 are filled with placeholder null arrays that nothing reads.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::{new_null_array, Array, ArrayRef, UInt32Array};
use arrow::compute::{lexsort_to_indices, take, SortColumn, SortOptions};
use arrow::datatypes::DataType as ArrowType;

use super::expr::BoundExpr;
use super::source::{Morsel, Source};
use crate::error::{ErrorCode, QueryError, Result};

/// Most rows worth fetching lazily; a larger LIMIT scans as usual.
pub const MAX_LAZY_ROWS: u64 = 10_000;

/// What step 1 reads: positions (in the pipeline's column list) of the columns the filter
/// and the ORDER BY keys use. `None` when every column is among them (nothing to defer).
pub fn early_positions(
    filter: Option<&BoundExpr>,
    order: &[(BoundExpr, bool, bool)],
    all: usize,
) -> Option<Vec<usize>> {
    let mut used = Vec::new();
    if let Some(f) = filter {
        f.columns(&mut used);
    }
    for (e, ..) in order {
        e.columns(&mut used);
    }
    used.retain(|&c| c < all);
    used.sort_unstable();
    used.dedup();
    (used.len() < all).then_some(used)
}

/// Sort options of the ORDER BY keys.
fn sort_options(order: &[(BoundExpr, bool, bool)]) -> Vec<SortOptions> {
    order
        .iter()
        .map(|(_, descending, nulls_first)| SortOptions {
            descending: *descending,
            nulls_first: *nulls_first,
        })
        .collect()
}

/// Step 1 for one morsel: the best `k` rows' ORDER BY values followed by two UInt32
/// columns, the morsel index and the row within the morsel; `None` when no row passes.
#[allow(clippy::too_many_arguments)]
pub fn candidates(
    source: &Source,
    morsel: &Morsel,
    morsel_index: usize,
    columns: &[usize],
    early: &[usize],
    filter: Option<&BoundExpr>,
    order: &[(BoundExpr, bool, bool)],
    k: usize,
) -> Result<Option<Vec<ArrayRef>>> {
    let scope_columns: Vec<usize> = early.iter().map(|&p| columns[p]).collect();
    let read = source.read(morsel, &scope_columns)?;
    let rows = read.num_rows();
    let mut arrays: Vec<ArrayRef> = (0..columns.len())
        .map(|_| new_null_array(&ArrowType::Null, rows))
        .collect();
    for (i, &p) in early.iter().enumerate() {
        arrays[p] = read.column(i).clone();
    }
    let mut batch = super::select::plain_batch(arrays, rows)?;
    let mut row_ids: ArrayRef = Arc::new(UInt32Array::from_iter_values(0..rows as u32));
    if let Some(f) = filter {
        let mask = super::select::to_mask(&f.eval_array(&batch)?)?;
        if mask.true_count() == 0 {
            return Ok(None);
        }
        if mask.true_count() < rows {
            batch = arrow::compute::filter_record_batch(&batch, &mask)?;
            row_ids = arrow::compute::filter(&row_ids, &mask)?;
        }
    }
    let mut keys = order
        .iter()
        .map(|(e, ..)| e.eval_array(&batch))
        .collect::<Result<Vec<_>>>()?;
    keys.push(Arc::new(UInt32Array::from_iter_values(
        std::iter::repeat_n(morsel_index as u32, batch.num_rows()),
    )));
    keys.push(row_ids);
    best(keys, &sort_options(order), k).map(Some)
}

/// The best `k` of candidate rows (ORDER BY columns first, then morsel and row).
pub fn best(columns: Vec<ArrayRef>, options: &[SortOptions], k: usize) -> Result<Vec<ArrayRef>> {
    let rows = columns.first().map_or(0, |c| c.len());
    if rows <= k {
        return Ok(columns);
    }
    let sort: Vec<SortColumn> = columns
        .iter()
        .zip(options)
        .map(|(c, o)| SortColumn {
            values: c.clone(),
            options: Some(*o),
        })
        .collect();
    let idx = lexsort_to_indices(&sort, Some(k))?;
    columns
        .iter()
        .map(|c| Ok(take(c.as_ref(), &idx, None)?))
        .collect()
}

/// Merges candidate sets (each as [`candidates`] returns them) into the best `k`.
pub fn merge(
    sets: Vec<Vec<ArrayRef>>,
    order: &[(BoundExpr, bool, bool)],
    k: usize,
) -> Result<Vec<ArrayRef>> {
    let Some(width) = sets.first().map(Vec::len) else {
        return Ok(Vec::new());
    };
    let columns = (0..width)
        .map(|i| {
            let parts: Vec<&dyn Array> = sets.iter().map(|s| s[i].as_ref()).collect();
            Ok(arrow::compute::concat(&parts)?)
        })
        .collect::<Result<Vec<_>>>()?;
    best(columns, &sort_options(order), k)
}

/// Step 3: reads all `columns` of the chosen rows (the last two candidate columns: morsel
/// and row), one batch per morsel, tagged with the morsel index.
pub fn fetch(
    source: &Source,
    morsels: &[Morsel],
    columns: &[usize],
    chosen: &[ArrayRef],
) -> Result<Vec<(usize, arrow::record_batch::RecordBatch)>> {
    let n = chosen.len();
    if n < 2 {
        return Ok(Vec::new());
    }
    let ids = |c: &ArrayRef| -> Result<UInt32Array> {
        c.as_any()
            .downcast_ref::<UInt32Array>()
            .cloned()
            .ok_or_else(|| QueryError::new(ErrorCode::LogicalError, "lazy row ids are not UInt32"))
    };
    let (morsel_ids, row_ids) = (ids(&chosen[n - 2])?, ids(&chosen[n - 1])?);
    let mut by_morsel: BTreeMap<usize, Vec<u32>> = BTreeMap::new();
    for (m, r) in morsel_ids.values().iter().zip(row_ids.values().iter()) {
        by_morsel.entry(*m as usize).or_default().push(*r);
    }
    let mut out = Vec::new();
    for (m, rows) in by_morsel {
        let morsel = morsels.get(m).ok_or_else(|| {
            QueryError::new(ErrorCode::LogicalError, "lazy row of an unknown morsel")
        })?;
        out.push((m, source.read_rows(morsel, columns, &rows)?));
    }
    Ok(out)
}
