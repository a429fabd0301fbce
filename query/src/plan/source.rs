//! Where a SELECT's rows come from: a MergeTree table (pruned to parts and mark ranges by
//! the WHERE clause, cut into morsels of a few granules), the `numbers(N)` table
//! function, a subquery's materialised result, or the single row of a SELECT without FROM.

use std::ops::Bound;
use std::sync::Arc;

use arrow::array::{ArrayRef, UInt32Array, UInt64Array, UInt8Array};
use arrow::datatypes::{Field, Schema};
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
use granary_storage::part::MarkRange;
use granary_storage::table::{ColumnRange, KeyCondition, PartRanges, TableSnapshot};
use granary_storage::types::DataType;
use granary_storage::value::Value;

use super::binder::{call_function, string_literal, Scope};
use super::expr::BoundExpr;
use crate::error::Result;

/// Granules per morsel: the unit of work a thread takes.
pub const MORSEL_GRANULES: u64 = 8;
/// Rows per morsel of `numbers()`.
pub const NUMBERS_MORSEL_ROWS: u64 = 65_536;
/// The fewest rows worth a thread of their own: below it, starting a thread and merging
/// its state costs more than the rows take to process (a dashboard query over a rollup
/// of a few hundred rows runs on the calling thread).
pub const MIN_ROWS_PER_THREAD: u64 = 65_536;

/// One unit of work.
#[derive(Clone, Debug)]
pub enum Morsel {
    /// Granules of a part.
    Part {
        /// Index into the source's parts.
        part: usize,
        /// The granules.
        range: MarkRange,
    },
    /// Numbers `start..end`.
    Numbers {
        /// First number.
        start: u64,
        /// One past the last.
        end: u64,
    },
    /// Batch `i` of an in-memory source.
    Batch(usize),
}

/// A source of rows.
pub enum Source {
    /// A MergeTree table's snapshot, pruned.
    Table {
        /// The snapshot the query reads.
        snapshot: Arc<TableSnapshot>,
        /// Selected parts and ranges.
        parts: Vec<PartRanges>,
        /// Names of the table's columns, as the scope lists them.
        column_names: Vec<String>,
    },
    /// `numbers(start, count)`.
    Numbers {
        /// First number.
        start: u64,
        /// How many.
        count: u64,
    },
    /// Materialised batches (a subquery, `system.one`).
    Batches(Vec<RecordBatch>),
}

impl Source {
    /// The single row of `SELECT` without `FROM` (`system.one`: `dummy UInt8 = 0`).
    pub fn one() -> (Source, Scope) {
        let schema = Arc::new(Schema::new(vec![Field::new(
            "dummy",
            arrow::datatypes::DataType::UInt8,
            false,
        )]));
        let batch = RecordBatch::try_new(
            schema,
            vec![Arc::new(UInt8Array::from(vec![0u8])) as ArrayRef],
        );
        let batches = batch.map(|b| vec![b]).unwrap_or_default();
        (
            Source::Batches(batches),
            Scope {
                columns: vec![("dummy".into(), DataType::UInt8)],
                qualifiers: vec!["one".into(), "system.one".into()],
                column_qualifiers: Vec::new(),
            },
        )
    }

    /// The morsels of the source.
    pub fn morsels(&self) -> Vec<Morsel> {
        match self {
            Source::Table { parts, .. } => {
                let mut out = Vec::new();
                for (i, pr) in parts.iter().enumerate() {
                    for r in &pr.ranges {
                        let mut b = r.begin;
                        while b < r.end {
                            let e = (b + MORSEL_GRANULES).min(r.end);
                            out.push(Morsel::Part {
                                part: i,
                                range: MarkRange { begin: b, end: e },
                            });
                            b = e;
                        }
                    }
                }
                out
            }
            Source::Numbers { start, count } => {
                let mut out = Vec::new();
                let mut s = 0;
                while s < *count {
                    let e = (s + NUMBERS_MORSEL_ROWS).min(*count);
                    out.push(Morsel::Numbers {
                        start: start + s,
                        end: start + e,
                    });
                    s = e;
                }
                out
            }
            Source::Batches(b) => (0..b.len()).map(Morsel::Batch).collect(),
        }
    }

    /// How many rows `morsels` (of this source) hold, before any filtering.
    pub fn rows_in(&self, morsels: &[Morsel]) -> u64 {
        morsels
            .iter()
            .map(|m| match (self, m) {
                (Source::Table { parts, .. }, Morsel::Part { part, range }) => parts
                    .get(*part)
                    .map(|pr| {
                        (range.begin..range.end)
                            .map(|g| pr.part.meta.granule_rows(g))
                            .sum::<u64>()
                    })
                    .unwrap_or(0),
                (_, Morsel::Numbers { start, end }) => end - start,
                (Source::Batches(b), Morsel::Batch(i)) => {
                    b.get(*i).map_or(0, |b| b.num_rows() as u64)
                }
                _ => 0,
            })
            .sum()
    }

    /// Threads worth running over `morsels`: at most `max_threads`, one per morsel, and
    /// one per [`MIN_ROWS_PER_THREAD`] rows.
    pub fn threads_for(&self, morsels: &[Morsel], max_threads: usize) -> usize {
        let by_rows = self.rows_in(morsels).div_ceil(MIN_ROWS_PER_THREAD).max(1);
        max_threads
            .max(1)
            .min(morsels.len().max(1))
            .min(usize::try_from(by_rows).unwrap_or(usize::MAX))
    }

    /// Reads the `columns` (scope positions) of the given rows of one morsel (row numbers
    /// within the morsel, as [`Source::read`] would return them), in the order given. Of a
    /// part, only the granules holding those rows are read.
    pub fn read_rows(
        &self,
        morsel: &Morsel,
        columns: &[usize],
        rows: &[u32],
    ) -> Result<RecordBatch> {
        let (batch, positions) = match (self, morsel) {
            (
                Source::Table {
                    parts,
                    column_names,
                    ..
                },
                Morsel::Part { part, range },
            ) if !columns.is_empty() => {
                let pr = &parts[*part];
                // First row (within the morsel) of each granule, and one past the last.
                let mut starts = vec![0u64];
                for g in range.begin..range.end {
                    let last = starts[starts.len() - 1];
                    starts.push(last + pr.part.meta.granule_rows(g));
                }
                let granule_of =
                    |r: u32| starts.partition_point(|&s| s <= r as u64).saturating_sub(1);
                let row_granules: Vec<usize> = rows.iter().map(|&r| granule_of(r)).collect();
                let mut wanted = row_granules.clone();
                wanted.sort_unstable();
                wanted.dedup();
                // Where each wanted granule starts in the batch read.
                let mut read_start = vec![0u64; starts.len()];
                let mut ranges: Vec<MarkRange> = Vec::new();
                let mut at = 0u64;
                for &g in &wanted {
                    read_start[g] = at;
                    at += starts[g + 1] - starts[g];
                    let mark = range.begin + g as u64;
                    match ranges.last_mut() {
                        Some(last) if last.end == mark => last.end = mark + 1,
                        _ => ranges.push(MarkRange {
                            begin: mark,
                            end: mark + 1,
                        }),
                    }
                }
                let names: Vec<&str> = columns.iter().map(|&i| column_names[i].as_str()).collect();
                let batch = pr.part.read(&names, &ranges)?;
                let positions: Vec<u32> = rows
                    .iter()
                    .zip(&row_granules)
                    .map(|(&r, &g)| (read_start[g] + r as u64 - starts[g]) as u32)
                    .collect();
                (batch, positions)
            }
            _ => (self.read(morsel, columns)?, rows.to_vec()),
        };
        let idx = UInt32Array::from(positions);
        Ok(arrow::compute::take_record_batch(&batch, &idx)?)
    }

    /// Reads the `columns` (scope positions) of one morsel as a batch whose columns are in
    /// the order of `columns`.
    pub fn read(&self, morsel: &Morsel, columns: &[usize]) -> Result<RecordBatch> {
        match (self, morsel) {
            (
                Source::Table {
                    parts,
                    column_names,
                    ..
                },
                Morsel::Part { part, range },
            ) => {
                let names: Vec<&str> = columns.iter().map(|&i| column_names[i].as_str()).collect();
                let pr = &parts[*part];
                if names.is_empty() {
                    let rows: u64 = (range.begin..range.end)
                        .map(|g| pr.part.meta.granule_rows(g))
                        .sum();
                    return empty_columns_batch(rows as usize);
                }
                Ok(pr.part.read(&names, &[*range])?)
            }
            (Source::Numbers { .. }, Morsel::Numbers { start, end }) => {
                let arr: ArrayRef = Arc::new(UInt64Array::from_iter_values(*start..*end));
                let fields: Vec<Field> = columns
                    .iter()
                    .map(|_| Field::new("number", arrow::datatypes::DataType::UInt64, false))
                    .collect();
                let cols: Vec<ArrayRef> = columns.iter().map(|_| arr.clone()).collect();
                let opts = RecordBatchOptions::new().with_row_count(Some((end - start) as usize));
                Ok(RecordBatch::try_new_with_options(
                    Arc::new(Schema::new(fields)),
                    cols,
                    &opts,
                )?)
            }
            (Source::Batches(batches), Morsel::Batch(i)) => {
                let b = &batches[*i];
                let fields: Vec<Field> = columns
                    .iter()
                    .map(|&c| b.schema().field(c).clone())
                    .collect();
                let cols: Vec<ArrayRef> = columns.iter().map(|&c| b.column(c).clone()).collect();
                let opts = RecordBatchOptions::new().with_row_count(Some(b.num_rows()));
                Ok(RecordBatch::try_new_with_options(
                    Arc::new(Schema::new(fields)),
                    cols,
                    &opts,
                )?)
            }
            _ => crate::query_err!(LogicalError, "morsel does not belong to its source"),
        }
    }
}

/// A batch with no columns and `rows` rows.
pub fn empty_columns_batch(rows: usize) -> Result<RecordBatch> {
    let opts = RecordBatchOptions::new().with_row_count(Some(rows));
    Ok(RecordBatch::try_new_with_options(
        Arc::new(Schema::empty()),
        vec![],
        &opts,
    )?)
}

/// Key ranges implied by a bound WHERE clause: the conjuncts of the form
/// `column <op> constant` (either side), converted to the column's type.
pub fn key_condition(filter: Option<&BoundExpr>, scope: &Scope) -> KeyCondition {
    let mut ranges = Vec::new();
    if let Some(f) = filter {
        collect_ranges(f, scope, &mut ranges);
    }
    KeyCondition::new(ranges)
}

fn collect_ranges(e: &BoundExpr, scope: &Scope, out: &mut Vec<ColumnRange>) {
    let BoundExpr::Function { func, args, .. } = e else {
        return;
    };
    let name = func.name();
    if name == "and" {
        for a in args {
            collect_ranges(a, scope, out);
        }
        return;
    }
    if args.len() != 2 {
        return;
    }
    let (col, lit, flipped) = match (&args[0], &args[1]) {
        (BoundExpr::Column { index, .. }, l) if l.is_constant() => (*index, l, false),
        (l, BoundExpr::Column { index, .. }) if l.is_constant() => (*index, l, true),
        _ => return,
    };
    let Some((col_name, col_type)) = scope.columns.get(col) else {
        return;
    };
    let op = match (name, flipped) {
        ("equals", _) => "eq",
        ("less", false) | ("greater", true) => "lt",
        ("lessOrEquals", false) | ("greaterOrEquals", true) => "le",
        ("greater", false) | ("less", true) => "gt",
        ("greaterOrEquals", false) | ("lessOrEquals", true) => "ge",
        _ => return,
    };
    let Some(v) = constant_as(lit, col_type) else {
        return;
    };
    let (lower, upper) = match op {
        "eq" => (Bound::Included(v.clone()), Bound::Included(v)),
        "lt" => (Bound::Unbounded, Bound::Excluded(v)),
        "le" => (Bound::Unbounded, Bound::Included(v)),
        "gt" => (Bound::Excluded(v), Bound::Unbounded),
        _ => (Bound::Included(v), Bound::Unbounded),
    };
    out.push(ColumnRange {
        column: col_name.clone(),
        lower,
        upper,
    });
}

/// The constant expression's value converted to `ty` (as the comparison would convert it),
/// or `None` when that is not exact.
fn constant_as(lit: &BoundExpr, ty: &DataType) -> Option<Value> {
    let base = ty.base().clone();
    if !base.is_numeric_like() && !matches!(base, DataType::String | DataType::FixedString(_)) {
        return None;
    }
    let same_family = lit.data_type().base().is_numeric_like() == base.is_numeric_like();
    // Integer literals against float columns, or string literals against dates, are cast;
    // a float literal against an integer column is not exact: skip.
    if matches!(
        lit.data_type().base(),
        DataType::Float32 | DataType::Float64
    ) && !matches!(base, DataType::Float32 | DataType::Float64)
    {
        return None;
    }
    let casted = if same_family || matches!(lit.data_type().base(), DataType::String) {
        call_function(
            "_CAST",
            vec![lit.clone(), string_literal(&base.to_string())],
        )
        .ok()?
    } else {
        return None;
    };
    let empty = empty_columns_batch(1).ok()?;
    let arr = casted.eval_array(&empty).ok()?;
    let v = Value::from_array(arr.as_ref(), 0)?;
    if matches!(v, Value::Null) {
        return None;
    }
    // A numeric literal must survive the conversion unchanged (300 does not fit UInt8).
    if lit.data_type().base().is_numeric_like() {
        let back = call_function(
            "_CAST",
            vec![casted, string_literal(&lit.data_type().base().to_string())],
        )
        .ok()?
        .eval_array(&empty)
        .ok()?;
        let original = lit.eval_array(&empty).ok()?;
        let (a, b) = (
            Value::from_array(back.as_ref(), 0)?,
            Value::from_array(original.as_ref(), 0)?,
        );
        if a.total_cmp(&b) != std::cmp::Ordering::Equal {
            return None;
        }
    }
    Some(v)
}
