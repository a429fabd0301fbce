//! `SummingMergeTree([cols])`: the rows of a run fold into one. The columns to sum (the
//! listed ones, or, with none listed, every numeric column outside the sort and partition
//! keys: integers, floats and decimals, not Nullable, LowCardinality, dates, times or Bool)
//! are summed with the wrapping arithmetic of their own type; every other column takes the
//! value of the run's first row. A result whose summed columns are all zero is dropped, as
//! ClickHouse does (NULL counts as zero; with nothing to sum no row is dropped).
//!
//! The open run is carried between chunks as one row holding the first row's values and the
//! partial sums; the zero check applies only once the run is complete.

use arrow::array::{
    Array, ArrayRef, ArrowPrimitiveType, AsArray, BooleanArray, BooleanBufferBuilder,
    PrimitiveArray, UInt32Array,
};
use arrow::compute::{cast, filter_record_batch, interleave, take};
use arrow::datatypes::{self as adt, ArrowNativeTypeOp, DataType as ArrowType};
use arrow::record_batch::RecordBatch;
use std::sync::Arc;

use super::{concat_some, MergeContext, MergingMode, RunCombiner, SortedChunk};
use crate::error::{Result, StorageError};
use crate::schema::{TableEngine, TableSchema};
use crate::types::DataType;

/// The `SummingMergeTree` merging mode.
#[derive(Debug)]
pub struct SummingMode {
    /// Positions (among the stored columns) of the columns to sum.
    pub sum_columns: Vec<usize>,
}

impl SummingMode {
    /// The mode for rows with `schema`'s stored columns; its engine must be
    /// `SummingMergeTree`.
    pub fn new(schema: &TableSchema) -> Result<SummingMode> {
        if !matches!(schema.engine, TableEngine::SummingMergeTree { .. }) {
            return Err(StorageError::Logical(format!(
                "SummingMode for engine {}",
                schema.engine.to_sql()
            )));
        }
        let wanted = Self::columns_to_sum(schema);
        let sum_columns = schema
            .stored_columns()
            .enumerate()
            .filter(|(_, c)| wanted.contains(&c.name))
            .map(|(i, _)| i)
            .collect();
        Ok(SummingMode { sum_columns })
    }

    /// Names of the columns `schema`'s `SummingMergeTree` sums: the listed ones, or every
    /// plain numeric column; never a sort-key or partition-key column.
    pub fn columns_to_sum(schema: &TableSchema) -> Vec<String> {
        let listed: &[String] = match &schema.engine {
            TableEngine::SummingMergeTree { columns } => columns,
            _ => return Vec::new(),
        };
        let partition_columns = schema
            .partition_by
            .as_ref()
            .map(|p| p.columns())
            .unwrap_or_default();
        schema
            .stored_columns()
            .filter(|c| !schema.order_by.contains(&c.name) && !partition_columns.contains(&c.name))
            .filter(|c| {
                if listed.is_empty() {
                    is_summable_by_default(&c.data_type)
                } else {
                    listed.contains(&c.name)
                }
            })
            .map(|c| c.name.clone())
            .collect()
    }
}

/// Whether a column is summed when `SummingMergeTree` lists no columns: plain integers,
/// floats and decimals.
pub fn is_summable_by_default(t: &DataType) -> bool {
    t.is_integer()
        || matches!(
            t,
            DataType::Float32 | DataType::Float64 | DataType::Decimal { .. }
        )
}

impl MergingMode for SummingMode {
    fn name(&self) -> &'static str {
        "SummingMergeTree"
    }

    fn combiner(&self, _ctx: &MergeContext) -> Result<Box<dyn RunCombiner>> {
        Ok(Box::new(SummingCombiner {
            sum_columns: self.sum_columns.clone(),
            carry: None,
        }))
    }
}

struct SummingCombiner {
    sum_columns: Vec<usize>,
    /// The open run folded so far: its first row with partial sums in the summed columns.
    carry: Option<RecordBatch>,
}

impl SummingCombiner {
    /// Drops the rows of `folded` whose summed columns are all zero.
    fn drop_zero_rows(&self, folded: RecordBatch) -> Result<RecordBatch> {
        if self.sum_columns.is_empty() || folded.num_rows() == 0 {
            return Ok(folded);
        }
        let mut keep = vec![false; folded.num_rows()];
        for &c in &self.sum_columns {
            nonzero_into(folded.column(c), &mut keep)?;
        }
        if keep.iter().all(|k| *k) {
            return Ok(folded);
        }
        Ok(filter_record_batch(&folded, &BooleanArray::from(keep))?)
    }
}

impl RunCombiner for SummingCombiner {
    fn push(&mut self, chunk: SortedChunk<'_>) -> Result<Option<RecordBatch>> {
        let batch = chunk.batch;
        let runs = chunk.run_starts.len();
        if runs == 0 {
            return Ok(None);
        }
        let carry = self.carry.take();
        let continued = chunk.continues_previous && carry.is_some();
        let mut out = Vec::new();
        if let (false, Some(c)) = (continued, &carry) {
            out.push(self.drop_zero_rows(c.clone())?);
        }
        let firsts = UInt32Array::from_iter_values(chunk.run_starts.iter().map(|&s| s as u32));
        let mut columns = Vec::with_capacity(batch.num_columns());
        for (i, col) in batch.columns().iter().enumerate() {
            let prior = match (&carry, continued) {
                (Some(c), true) => Some(c.column(i)),
                _ => None,
            };
            let folded = if self.sum_columns.contains(&i) {
                sum_runs(col, chunk.run_starts, prior)?
            } else if let Some(prior) = prior {
                let mut idx: Vec<(usize, usize)> = vec![(0, 0)];
                idx.extend(chunk.run_starts[1..].iter().map(|&s| (1, s)));
                interleave(&[prior.as_ref(), col.as_ref()], &idx)?
            } else {
                take(col.as_ref(), &firsts, None)?
            };
            columns.push(folded);
        }
        let folded = RecordBatch::try_new(batch.schema(), columns)?;
        out.push(self.drop_zero_rows(folded.slice(0, runs - 1))?);
        self.carry = Some(folded.slice(runs - 1, 1));
        concat_some(out)
    }

    fn finish(&mut self) -> Result<Option<RecordBatch>> {
        match self.carry.take() {
            Some(c) => concat_some(vec![self.drop_zero_rows(c)?]),
            None => Ok(None),
        }
    }
}

/// Sums `array` over each run (wrapping, NULLs skipped; a run of NULLs sums to NULL), adding
/// `prior[0]` into the first run when given.
fn sum_runs(array: &ArrayRef, starts: &[usize], prior: Option<&ArrayRef>) -> Result<ArrayRef> {
    macro_rules! prim {
        ($t:ty) => {
            Arc::new(sum_primitive::<$t>(
                array.as_primitive::<$t>(),
                starts,
                prior.map(|p| p.as_primitive::<$t>()),
            )) as ArrayRef
        };
    }
    Ok(match array.data_type() {
        ArrowType::UInt8 => prim!(adt::UInt8Type),
        ArrowType::UInt16 => prim!(adt::UInt16Type),
        ArrowType::UInt32 => prim!(adt::UInt32Type),
        ArrowType::UInt64 => prim!(adt::UInt64Type),
        ArrowType::Int8 => prim!(adt::Int8Type),
        ArrowType::Int16 => prim!(adt::Int16Type),
        ArrowType::Int32 => prim!(adt::Int32Type),
        ArrowType::Int64 => prim!(adt::Int64Type),
        ArrowType::Float32 => prim!(adt::Float32Type),
        ArrowType::Float64 => prim!(adt::Float64Type),
        ArrowType::Decimal128(..) => prim!(adt::Decimal128Type),
        ArrowType::Decimal256(..) => prim!(adt::Decimal256Type),
        ArrowType::Boolean => Arc::new(sum_bool(
            array.as_boolean(),
            starts,
            prior.map(|p| p.as_boolean()),
        )),
        ArrowType::Dictionary(_, values) => {
            let plain = cast(array, values)?;
            let prior = prior.map(|p| cast(p, values)).transpose()?;
            let sums = sum_runs(&plain, starts, prior.as_ref())?;
            cast(&sums, array.data_type())?
        }
        other => {
            return Err(StorageError::TypeMismatch(format!(
                "SummingMergeTree cannot sum a column of type {other}"
            )))
        }
    })
}

fn sum_primitive<T: ArrowPrimitiveType>(
    array: &PrimitiveArray<T>,
    starts: &[usize],
    prior: Option<&PrimitiveArray<T>>,
) -> PrimitiveArray<T> {
    let values = array.values();
    let mut sums = Vec::with_capacity(starts.len());
    let mut valid = BooleanBufferBuilder::new(starts.len());
    let has_nulls = array.null_count() > 0 || prior.is_some_and(|p| p.null_count() > 0);
    for (i, &start) in starts.iter().enumerate() {
        let end = starts.get(i + 1).copied().unwrap_or(array.len());
        let mut acc = T::Native::ZERO;
        let mut any = !has_nulls;
        if i == 0 {
            if let Some(p) = prior.filter(|p| !p.is_empty() && p.is_valid(0)) {
                acc = p.value(0);
                any = true;
            }
        }
        if array.null_count() == 0 {
            for v in &values[start..end] {
                acc = acc.add_wrapping(*v);
            }
            any = true;
        } else {
            for r in start..end {
                if array.is_valid(r) {
                    acc = acc.add_wrapping(values[r]);
                    any = true;
                }
            }
        }
        sums.push(acc);
        valid.append(any);
    }
    let nulls = has_nulls.then(|| valid.finish().into());
    PrimitiveArray::<T>::new(sums.into(), nulls).with_data_type(array.data_type().clone())
}

/// `Bool` is a UInt8 in ClickHouse: the sum wraps at 256 and is true when non-zero.
fn sum_bool(array: &BooleanArray, starts: &[usize], prior: Option<&BooleanArray>) -> BooleanArray {
    (0..starts.len())
        .map(|i| {
            let start = starts[i];
            let end = starts.get(i + 1).copied().unwrap_or(array.len());
            let mut acc: u8 = 0;
            let mut any = false;
            if i == 0 {
                if let Some(p) = prior.filter(|p| !p.is_empty() && p.is_valid(0)) {
                    acc = p.value(0) as u8;
                    any = true;
                }
            }
            for r in start..end {
                if array.is_valid(r) {
                    acc = acc.wrapping_add(array.value(r) as u8);
                    any = true;
                }
            }
            any.then_some(acc != 0)
        })
        .collect()
}

/// Sets `keep[i]` for every non-NULL, non-zero value of `array`.
fn nonzero_into(array: &ArrayRef, keep: &mut [bool]) -> Result<()> {
    macro_rules! prim {
        ($t:ty) => {{
            let a = array.as_primitive::<$t>();
            for (i, k) in keep.iter_mut().enumerate() {
                *k |= a.is_valid(i) && !a.value(i).is_zero();
            }
        }};
    }
    match array.data_type() {
        ArrowType::UInt8 => prim!(adt::UInt8Type),
        ArrowType::UInt16 => prim!(adt::UInt16Type),
        ArrowType::UInt32 => prim!(adt::UInt32Type),
        ArrowType::UInt64 => prim!(adt::UInt64Type),
        ArrowType::Int8 => prim!(adt::Int8Type),
        ArrowType::Int16 => prim!(adt::Int16Type),
        ArrowType::Int32 => prim!(adt::Int32Type),
        ArrowType::Int64 => prim!(adt::Int64Type),
        ArrowType::Float32 => prim!(adt::Float32Type),
        ArrowType::Float64 => prim!(adt::Float64Type),
        ArrowType::Decimal128(..) => prim!(adt::Decimal128Type),
        ArrowType::Decimal256(..) => prim!(adt::Decimal256Type),
        ArrowType::Boolean => {
            let a = array.as_boolean();
            for (i, k) in keep.iter_mut().enumerate() {
                *k |= a.is_valid(i) && a.value(i);
            }
        }
        ArrowType::Dictionary(_, values) => nonzero_into(&cast(array, values)?, keep)?,
        other => {
            return Err(StorageError::TypeMismatch(format!(
                "SummingMergeTree cannot sum a column of type {other}"
            )))
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::tests_util::*;
    use super::*;

    #[test]
    fn sums_runs_and_drops_zero_rows() {
        // (key, value); the third column (position) is not summed: first row wins.
        let b = batch_kv(&[(1, 5), (1, 7), (2, 3), (2, -3), (3, 9)]);
        let mode = SummingMode {
            sum_columns: vec![1],
        };
        let out = run_all(&mode, &b, &[0, 2, 4], 100);
        assert_eq!(rows_of(&out), vec![(1, 12, 0), (3, 9, 4)]);
    }

    #[test]
    fn wraps_in_the_column_type() {
        let a: ArrayRef = Arc::new(arrow::array::Int8Array::from(vec![100, 100, -128, -1]));
        let s = sum_runs(&a, &[0, 2], None).unwrap();
        assert_eq!(
            s.as_primitive::<adt::Int8Type>().values().to_vec(),
            vec![-56, 127]
        );
        let n: ArrayRef = Arc::new(arrow::array::Int32Array::from(vec![None, None, Some(2)]));
        let s = sum_runs(&n, &[0, 2], None).unwrap();
        assert!(s.is_null(0));
        assert_eq!(s.as_primitive::<adt::Int32Type>().value(1), 2);
    }

    #[test]
    fn runs_spanning_chunks_give_the_same_answer() {
        let pairs: Vec<(u32, i64)> = (0..50)
            .map(|i| {
                (
                    i / 7,
                    if i % 7 == 6 && i < 20 {
                        -15
                    } else {
                        i as i64 % 4
                    },
                )
            })
            .collect();
        let b = batch_kv(&pairs);
        let starts = starts_of(&pairs);
        let mode = SummingMode {
            sum_columns: vec![1],
        };
        let whole = run_all(&mode, &b, &starts, 1000);
        for chunk in 1..12 {
            assert_eq!(
                rows_of(&run_all(&mode, &b, &starts, chunk)),
                rows_of(&whole)
            );
        }
    }

    #[test]
    fn default_columns_skip_keys_and_non_numeric() {
        let schema = TableSchema {
            engine: TableEngine::SummingMergeTree { columns: vec![] },
            ..TableSchema::new(
                vec![
                    crate::schema::ColumnDef::new("k", DataType::UInt32),
                    crate::schema::ColumnDef::new("d", DataType::Date),
                    crate::schema::ColumnDef::new("x", DataType::Int64),
                    crate::schema::ColumnDef::new("s", DataType::String),
                    crate::schema::ColumnDef::new(
                        "n",
                        DataType::Nullable(Box::new(DataType::Int64)),
                    ),
                    crate::schema::ColumnDef::new(
                        "m",
                        DataType::Decimal {
                            precision: 12,
                            scale: 2,
                        },
                    ),
                ],
                &["k"],
            )
            .unwrap()
        };
        assert_eq!(SummingMode::new(&schema).unwrap().sum_columns, vec![2, 5]);
    }
}
