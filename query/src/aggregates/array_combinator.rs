//! The `-Array` combinator: `fArray(arr1, ...)` applies `f` to the elements of its array
//! arguments (`sumArray`, `groupArrayArray`, `uniqArray`, ...). The arrays of one row must
//! have equal lengths. Only as the innermost combinator (`sumArrayIf` is fine).

use std::any::Any;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray};
use granary_storage::types::DataType;

use super::common::{downcast, logical};
use super::{Accumulator, AggregateFunction};
use crate::error::{ErrorCode, QueryError, Result};

/// The element types of `args` (each must be an `Array`).
pub(crate) fn element_types(name: &str, args: &[DataType]) -> Result<Vec<DataType>> {
    args.iter()
        .map(|t| match t.base() {
            DataType::Array(e) => Ok((**e).clone()),
            _ => Err(QueryError::new(
                ErrorCode::IllegalTypeOfArgument,
                format!(
                    "Illegal type {t} of argument for aggregate function {name}, must be Array"
                ),
            )),
        })
        .collect()
}

/// `-Array` over `inner` (resolved for the element types).
#[derive(Debug)]
pub(crate) struct ArrayFunction {
    /// The function applied to the elements.
    pub inner: Arc<dyn AggregateFunction>,
}

impl AggregateFunction for ArrayFunction {
    fn name(&self) -> String {
        format!("{}Array", self.inner.name())
    }
    fn return_type(&self) -> DataType {
        self.inner.return_type()
    }
    fn create_accumulator(&self) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(ArrayAcc {
            inner: self.inner.create_accumulator()?,
        }))
    }
    fn null_if_empty(&self) -> bool {
        self.inner.null_if_empty()
    }
}

#[derive(Debug)]
struct ArrayAcc {
    inner: Box<dyn Accumulator>,
}

impl Accumulator for ArrayAcc {
    fn update_batch(
        &mut self,
        args: &[ArrayRef],
        group_ids: &[u32],
        num_groups: usize,
    ) -> Result<()> {
        let lists = args
            .iter()
            .map(|a| {
                a.as_list_opt::<i32>()
                    .ok_or_else(|| logical("-Array: the argument is not an array"))
            })
            .collect::<Result<Vec<_>>>()?;
        let Some(first) = lists.first() else {
            return Err(logical("-Array without arguments"));
        };
        let offsets = first.value_offsets();
        for l in &lists[1..] {
            let o = l.value_offsets();
            let same = (0..group_ids.len()).all(|i| o[i + 1] - o[i] == offsets[i + 1] - offsets[i]);
            if !same {
                return Err(QueryError::new(
                    ErrorCode::BadArguments,
                    "Arrays passed to an aggregate function with the Array suffix must have equal lengths",
                ));
            }
        }
        let mut ids = Vec::with_capacity((offsets[group_ids.len()] - offsets[0]) as usize);
        for (i, &g) in group_ids.iter().enumerate() {
            let n = (offsets[i + 1] - offsets[i]).max(0) as usize;
            ids.extend(std::iter::repeat_n(g, n));
        }
        let values: Vec<ArrayRef> = lists
            .iter()
            .map(|l| {
                let o = l.value_offsets();
                let start = o[0].max(0) as usize;
                l.values().slice(start, ids.len())
            })
            .collect();
        self.inner.update_batch(&values, &ids, num_groups)
    }
    fn merge(
        &mut self,
        other: &mut dyn Accumulator,
        mapping: &[u32],
        num_groups: usize,
    ) -> Result<()> {
        let other = downcast::<ArrayAcc>(other)?;
        self.inner.merge(other.inner.as_mut(), mapping, num_groups)
    }
    fn finalize(&mut self, num_groups: usize) -> Result<ArrayRef> {
        self.inner.finalize(num_groups)
    }
    fn memory_size(&self) -> usize {
        self.inner.memory_size()
    }
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
    fn serialize_state(&self, group: usize) -> Result<Vec<u8>> {
        self.inner.serialize_state(group)
    }
    fn merge_state(&mut self, state: &[u8], group: usize, num_groups: usize) -> Result<()> {
        self.inner.merge_state(state, group, num_groups)
    }
}
