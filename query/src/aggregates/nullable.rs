//! ClickHouse's Null combinator, applied once around every aggregate function whose
//! arguments include a `Nullable` or `LowCardinality` type:
//!
//! - `LowCardinality` arguments are decoded to their value type;
//! - rows where any value argument (not an `-If` condition) is NULL are skipped;
//! - if a value argument is `Nullable` and the function is
//!   [`null_if_empty`](AggregateFunction::null_if_empty), the result is `Nullable(T)` and a
//!   group that received no non-NULL row is NULL.
//!
//! A function over `Nullable(Nothing)` (a bare `NULL`) that cannot take `Nothing` returns
//! `Nullable(Nothing)`: always NULL ([`always_null`]).

use std::any::Any;
use std::fmt::Debug;
use std::sync::Arc;

use arrow::array::{make_array, new_null_array, Array, ArrayRef, BooleanArray};
use arrow::buffer::{BooleanBuffer, NullBuffer};
use arrow::compute::FilterBuilder;
use arrow::datatypes::DataType as ArrowType;
use granary_storage::types::DataType;

use super::common::{check_mapping, downcast, grow, simple};
use super::{Accumulator, AggregateFunction};
use crate::error::Result;

/// `t` without `Nullable` and `LowCardinality` wrappers.
pub(crate) fn strip(t: &DataType) -> DataType {
    t.base().clone()
}

/// Keeps the rows of `args` and `group_ids` where `keep` is set.
pub(crate) fn filter_rows(
    args: &[ArrayRef],
    group_ids: &[u32],
    keep: &BooleanBuffer,
) -> Result<(Vec<ArrayRef>, Vec<u32>)> {
    let pred = BooleanArray::new(keep.clone(), None);
    let filter = FilterBuilder::new(&pred).optimize().build();
    let mut out = Vec::with_capacity(args.len());
    for a in args {
        out.push(filter.filter(a.as_ref())?);
    }
    let ids = keep.set_indices().map(|i| group_ids[i]).collect();
    Ok((out, ids))
}

/// Wraps `inner` (created for the stripped argument types) for the original argument
/// types `args`, of which the first `values` are value arguments (the rest are `-If`
/// conditions, whose NULLs the `-If` wrapper reads as false).
pub(crate) fn wrap(
    inner: Arc<dyn AggregateFunction>,
    args: &[DataType],
    values: usize,
) -> Arc<dyn AggregateFunction> {
    let nullable_result = inner.null_if_empty() && args[..values].iter().any(|t| t.is_nullable());
    let ret = match inner.return_type() {
        t @ DataType::Nullable(_) => t,
        t if nullable_result => DataType::Nullable(Box::new(t)),
        t => t,
    };
    let decode = args
        .iter()
        .map(|t| match t {
            DataType::LowCardinality(_) => Some(strip(t).to_arrow()),
            _ => None,
        })
        .collect();
    Arc::new(NullFunction {
        inner,
        ret,
        values,
        decode: Arc::new(decode),
        nullable_result,
    })
}

/// A function whose result is always NULL, of type `Nullable(Nothing)`.
pub(crate) fn always_null(name: &str) -> Arc<dyn AggregateFunction> {
    simple(
        name,
        DataType::Nullable(Box::new(DataType::Nothing)),
        true,
        || Ok(Box::new(AlwaysNull)),
    )
}

#[derive(Debug)]
struct AlwaysNull;

impl Accumulator for AlwaysNull {
    fn update_batch(&mut self, _: &[ArrayRef], _: &[u32], _: usize) -> Result<()> {
        Ok(())
    }
    fn merge(&mut self, _: &mut dyn Accumulator, _: &[u32], _: usize) -> Result<()> {
        Ok(())
    }
    fn finalize(&mut self, num_groups: usize) -> Result<ArrayRef> {
        Ok(new_null_array(&ArrowType::Null, num_groups))
    }
    fn memory_size(&self) -> usize {
        0
    }
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

#[derive(Debug)]
struct NullFunction {
    inner: Arc<dyn AggregateFunction>,
    ret: DataType,
    values: usize,
    decode: Arc<Vec<Option<ArrowType>>>,
    nullable_result: bool,
}

impl AggregateFunction for NullFunction {
    fn name(&self) -> String {
        self.inner.name()
    }
    fn return_type(&self) -> DataType {
        self.ret.clone()
    }
    fn create_accumulator(&self) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(NullAcc {
            inner: self.inner.create_accumulator()?,
            values: self.values,
            decode: self.decode.clone(),
            seen: self.nullable_result.then(Vec::new),
        }))
    }
    fn null_if_empty(&self) -> bool {
        self.inner.null_if_empty()
    }
}

#[derive(Debug)]
struct NullAcc {
    inner: Box<dyn Accumulator>,
    values: usize,
    decode: Arc<Vec<Option<ArrowType>>>,
    /// Per group, whether a non-NULL row arrived (only when the result is Nullable).
    seen: Option<Vec<bool>>,
}

impl Accumulator for NullAcc {
    fn update_batch(
        &mut self,
        args: &[ArrayRef],
        group_ids: &[u32],
        num_groups: usize,
    ) -> Result<()> {
        let decoded;
        let args = if self.decode.iter().any(Option::is_some) {
            let mut v = Vec::with_capacity(args.len());
            for (a, d) in args.iter().zip(self.decode.iter()) {
                v.push(match d {
                    Some(t) if a.data_type() != t => arrow::compute::cast(a, t)?,
                    _ => a.clone(),
                });
            }
            decoded = v;
            decoded.as_slice()
        } else {
            args
        };
        let mut valid: Option<NullBuffer> = None;
        for a in args.iter().take(self.values) {
            if let Some(n) = a.logical_nulls() {
                if n.null_count() > 0 {
                    valid = NullBuffer::union(valid.as_ref(), Some(&n));
                }
            }
        }
        match valid {
            None => {
                if let Some(seen) = &mut self.seen {
                    grow(seen, num_groups, false);
                    for &g in group_ids {
                        seen[g as usize] = true;
                    }
                }
                self.inner.update_batch(args, group_ids, num_groups)
            }
            Some(valid) => {
                let (args, ids) = filter_rows(args, group_ids, valid.inner())?;
                if let Some(seen) = &mut self.seen {
                    grow(seen, num_groups, false);
                    for &g in &ids {
                        seen[g as usize] = true;
                    }
                }
                self.inner.update_batch(&args, &ids, num_groups)
            }
        }
    }

    fn merge(
        &mut self,
        other: &mut dyn Accumulator,
        mapping: &[u32],
        num_groups: usize,
    ) -> Result<()> {
        let other = downcast::<NullAcc>(other)?;
        check_mapping(mapping, num_groups)?;
        self.inner
            .merge(other.inner.as_mut(), mapping, num_groups)?;
        if let (Some(seen), Some(o)) = (&mut self.seen, &other.seen) {
            grow(seen, num_groups, false);
            for (&s, &g) in o.iter().zip(mapping) {
                seen[g as usize] |= s;
            }
        }
        Ok(())
    }

    fn finalize(&mut self, num_groups: usize) -> Result<ArrayRef> {
        let arr = self.inner.finalize(num_groups)?;
        let Some(seen) = &mut self.seen else {
            return Ok(arr);
        };
        grow(seen, num_groups, false);
        let nb = NullBuffer::new(BooleanBuffer::from(&seen[..num_groups]));
        let nulls = NullBuffer::union(Some(&nb), arr.nulls());
        let data = arr.into_data().into_builder().nulls(nulls).build()?;
        Ok(make_array(data))
    }

    fn memory_size(&self) -> usize {
        self.inner.memory_size() + self.seen.as_ref().map_or(0, Vec::capacity)
    }

    fn serialize_state(&self, group: usize) -> Result<Vec<u8>> {
        let inner = self.inner.serialize_state(group)?;
        let Some(seen) = &self.seen else {
            return Ok(inner);
        };
        let mut out = Vec::with_capacity(inner.len() + 1);
        out.push(seen.get(group).copied().unwrap_or(false) as u8);
        out.extend_from_slice(&inner);
        Ok(out)
    }

    fn merge_state(&mut self, state: &[u8], group: usize, num_groups: usize) -> Result<()> {
        let Some(seen) = &mut self.seen else {
            return self.inner.merge_state(state, group, num_groups);
        };
        let (&flag, inner) = state
            .split_first()
            .ok_or_else(|| super::state_io::bad_state("empty Nullable state"))?;
        grow(seen, num_groups.max(group + 1), false);
        seen[group] |= flag != 0;
        self.inner.merge_state(inner, group, num_groups)
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

#[cfg(test)]
#[allow(clippy::cloned_ref_to_slice_refs)]
mod tests {
    use super::super::common::test_util::*;
    use arrow::array::{ArrayRef, BinaryArray, DictionaryArray, Int32Array};
    use arrow::datatypes::Int32Type;
    use granary_storage::types::DataType;
    use granary_storage::value::Value;
    use std::sync::Arc;

    fn lc() -> ArrayRef {
        let keys = Int32Array::from(vec![Some(1), Some(0), None, Some(1)]);
        let values: ArrayRef = Arc::new(BinaryArray::from_vec(vec![b"x", b"a"]));
        Arc::new(DictionaryArray::<Int32Type>::try_new(keys, values).unwrap())
    }

    #[test]
    fn low_cardinality_is_decoded() {
        // SELECT toTypeName(min(x)), toTypeName(uniq(x)), toTypeName(groupArray(x))
        //   FROM (SELECT toLowCardinality('a') x) -> String UInt64 Array(String)
        let t = DataType::parse("LowCardinality(Nullable(String))").unwrap();
        let f = func("min", &[], &[t.clone()]);
        assert_eq!(f.return_type().to_string(), "Nullable(String)");
        assert_eq!(
            vals(&run(&f, &[lc()], &[0, 0, 1, 0], 2)),
            [Value::Bytes(b"a".to_vec()), Value::Null]
        );
        let f = func("uniqExact", &[], &[t.clone()]);
        assert_eq!(
            vals(&run_split(&f, &[lc()], &[0, 0, 0, 0], 1, 1)),
            [Value::UInt(2)]
        );
        let f = func("count", &[], &[t]);
        assert_eq!(vals(&run(&f, &[lc()], &[0, 0, 0, 0], 1)), [Value::UInt(3)]);
    }

    #[test]
    fn unsupported_combinators() {
        for name in ["sumOrNull", "sumOrDefault"] {
            let e = crate::aggregates::registry()
                .get(name, &[], &[DataType::Int32])
                .unwrap_err();
            assert_eq!(e.code(), 48, "{name}");
        }
        // countIf(number) -> 43: the condition must be UInt8
        let e = crate::aggregates::registry()
            .get("countIf", &[], &[DataType::UInt64])
            .unwrap_err();
        assert_eq!(e.code(), 43);
        assert!(crate::aggregates::registry()
            .get("nope", &[], &[])
            .unwrap()
            .is_none());
        // count(DISTINCT x) with -If: countDistinctIf
        let x: ArrayRef = Arc::new(Int32Array::from(vec![1, 1, 2, 3]));
        let c: ArrayRef = Arc::new(arrow::array::BooleanArray::from(vec![
            true, true, true, false,
        ]));
        let f = func("countDistinctIf", &[], &[DataType::Int32, DataType::Bool]);
        assert_eq!(vals(&run(&f, &[x, c], &[0; 4], 1)), [Value::UInt(2)]);
    }
}
