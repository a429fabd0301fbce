//! The query engine's side of AggregatingMergeTree merges: folds `AggregateFunction`
//! states and `SimpleAggregateFunction` values for the storage merger (see
//! `granary_storage::merge::mode::aggregating`), installed by
//! [`crate::install_storage_hooks`].

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, BinaryBuilder, PrimitiveArray};
use arrow::datatypes::{self as adt, DataType as ArrowType};
use granary_storage::error::StorageError;
use granary_storage::merge::mode::aggregating::AggregateStateMerger;
use granary_storage::types::DataType;

use super::registry;
use super::state_merge::function_of;
use crate::error::{ErrorCode, QueryError, Result};

/// Folds aggregate columns with the aggregate function registry.
#[derive(Debug, Default)]
pub struct StateMerger;

impl AggregateStateMerger for StateMerger {
    fn merge_groups(
        &self,
        data_type: &DataType,
        column: &ArrayRef,
        group_ids: &[u32],
        num_groups: usize,
    ) -> granary_storage::error::Result<ArrayRef> {
        merge_groups(data_type, column, group_ids, num_groups)
            .map_err(|e| StorageError::BadArguments(e.to_string()))
    }
}

/// See [`AggregateStateMerger::merge_groups`].
pub fn merge_groups(
    data_type: &DataType,
    column: &ArrayRef,
    group_ids: &[u32],
    num_groups: usize,
) -> Result<ArrayRef> {
    match data_type {
        DataType::AggregateFunction(t) => {
            let f = function_of(t)?;
            let mut acc = f.create_accumulator()?;
            let states = column.as_binary_opt::<i32>().ok_or_else(|| {
                QueryError::new(ErrorCode::LogicalError, "aggregate states are not Binary")
            })?;
            for (i, &g) in group_ids.iter().enumerate() {
                if states.is_valid(i) {
                    acc.merge_state(states.value(i), g as usize, num_groups)?;
                }
            }
            let mut b = BinaryBuilder::with_capacity(num_groups, num_groups * 16);
            for g in 0..num_groups {
                b.append_value(acc.serialize_state(g)?);
            }
            Ok(Arc::new(b.finish()))
        }
        DataType::SimpleAggregateFunction(name, inner) => {
            // SummingMergeTree's summed columns: wrapping sums in the column's own type.
            let name = if name == "sumWithOverflow" {
                "sum"
            } else {
                name
            };
            let f = registry()
                .get(name, &[], std::slice::from_ref(inner))?
                .ok_or_else(|| {
                    QueryError::new(
                        ErrorCode::UnknownAggregateFunction,
                        format!("Unknown aggregate function {name}"),
                    )
                })?;
            let mut acc = f.create_accumulator()?;
            acc.update_batch(std::slice::from_ref(column), group_ids, num_groups)?;
            let out = acc.finalize(num_groups)?;
            wrapping_cast(&out, column.data_type())
        }
        other => Err(QueryError::new(
            ErrorCode::LogicalError,
            format!("{other} is not an aggregate column"),
        )),
    }
}

/// `a` (of Arrow type `$F`) converted to `$T` with `as` (wrapping).
macro_rules! narrow {
    ($a:expr, $F:ty, $T:ty, $t:ty) => {{
        let p: PrimitiveArray<$T> = $a.as_primitive::<$F>().unary(|v| v as $t);
        Arc::new(p) as ArrayRef
    }};
}

/// `a` as Arrow type `to`: integers narrow by wrapping (as ClickHouse's sums in a
/// column's own type), other types through Arrow's cast.
fn wrapping_cast(a: &ArrayRef, to: &ArrowType) -> Result<ArrayRef> {
    if a.data_type() == to {
        return Ok(a.clone());
    }
    Ok(match (a.data_type(), to) {
        (ArrowType::Int64, ArrowType::Int8) => narrow!(a, adt::Int64Type, adt::Int8Type, i8),
        (ArrowType::Int64, ArrowType::Int16) => narrow!(a, adt::Int64Type, adt::Int16Type, i16),
        (ArrowType::Int64, ArrowType::Int32) => narrow!(a, adt::Int64Type, adt::Int32Type, i32),
        (ArrowType::UInt64, ArrowType::UInt8) => narrow!(a, adt::UInt64Type, adt::UInt8Type, u8),
        (ArrowType::UInt64, ArrowType::UInt16) => {
            narrow!(a, adt::UInt64Type, adt::UInt16Type, u16)
        }
        (ArrowType::UInt64, ArrowType::UInt32) => {
            narrow!(a, adt::UInt64Type, adt::UInt32Type, u32)
        }
        (ArrowType::Float64, ArrowType::Float32) => {
            narrow!(a, adt::Float64Type, adt::Float32Type, f32)
        }
        _ => arrow::compute::cast(a, to)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{BinaryArray, UInt32Array, UInt64Array};
    use granary_storage::value::Value;

    #[test]
    fn folds_states_and_simple_values() {
        let st = registry()
            .get("uniqState", &[], &[DataType::UInt64])
            .unwrap()
            .unwrap();
        let mut acc = st.create_accumulator().unwrap();
        let x: ArrayRef = Arc::new(UInt64Array::from(vec![1, 2, 3, 3]));
        acc.update_batch(&[x], &[0, 1, 2, 3], 4).unwrap();
        let states = acc.finalize(4).unwrap();
        let t = st.return_type();
        let merged = merge_groups(&t, &states, &[0, 0, 1, 1], 2).unwrap();
        assert_eq!(merged.len(), 2);
        let DataType::AggregateFunction(a) = &t else {
            panic!("state type");
        };
        let m = registry()
            .get("uniqMerge", &[], std::slice::from_ref(&t))
            .unwrap()
            .unwrap();
        let mut acc = m.create_accumulator().unwrap();
        acc.update_batch(&[merged], &[0, 1], 2).unwrap();
        let out = acc.finalize(2).unwrap();
        assert_eq!(a.name, "uniq");
        assert_eq!(Value::from_array(out.as_ref(), 0), Some(Value::UInt(2)));
        assert_eq!(Value::from_array(out.as_ref(), 1), Some(Value::UInt(1)));

        let v: ArrayRef = Arc::new(UInt32Array::from(vec![u32::MAX, 2, 5]));
        let t =
            DataType::SimpleAggregateFunction("sumWithOverflow".into(), Box::new(DataType::UInt32));
        let out = merge_groups(&t, &v, &[0, 0, 1], 2).unwrap();
        assert_eq!(
            out.as_primitive::<adt::UInt32Type>().values().to_vec(),
            [1, 5]
        );
        let s: ArrayRef = Arc::new(BinaryArray::from_vec(vec![b"b", b"c", b"a"]));
        let t = DataType::SimpleAggregateFunction("max".into(), Box::new(DataType::String));
        let out = merge_groups(&t, &s, &[0, 0, 0], 1).unwrap();
        assert_eq!(out.as_binary::<i32>().value(0), b"c");
    }
}
