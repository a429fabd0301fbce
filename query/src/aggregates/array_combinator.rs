//! The `-Array` combinator: `fArray(arr1, ...)` applies `f` to the elements of its array
//! arguments (`sumArray`, `groupArrayArray`, `uniqArray`, ...). The arrays of one row must
//! have equal lengths. Only as the innermost combinator (`sumArrayIf` is fine).

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray};
use granary_storage::types::DataType;

use super::common::{logical, AdaptedAcc, ArgsAdapter};
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
        Ok(AdaptedAcc::boxed(
            self.inner.create_accumulator()?,
            ArrayArgs,
        ))
    }
    fn null_if_empty(&self) -> bool {
        self.inner.null_if_empty()
    }
}

/// `-Array`: every element of the array arguments is a row of the nested function.
#[derive(Debug)]
struct ArrayArgs;

impl ArgsAdapter for ArrayArgs {
    fn update(
        &self,
        inner: &mut dyn Accumulator,
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
        inner.update_batch(&values, &ids, num_groups)
    }
}
