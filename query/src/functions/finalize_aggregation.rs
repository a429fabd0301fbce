//! `finalizeAggregation(state)`: the final value of each row's aggregate state (a column
//! of type `AggregateFunction(f, T...)`), as `fMerge` over a group of that row alone.

use std::sync::Arc;

use arrow::array::{Array, AsArray};
use granary_storage::types::DataType;

use super::{FunctionRegistry, ScalarFunction};
use crate::aggregates::state_merge::function_of;
use crate::columnar::ColumnarValue;
use crate::error::{ErrorCode, QueryError, Result};

/// Registers `finalizeAggregation`.
pub fn register(r: &mut FunctionRegistry) {
    r.register(Arc::new(FinalizeAggregation));
}

#[derive(Debug)]
struct FinalizeAggregation;

fn state_type(args: &[DataType]) -> Result<&granary_storage::types::AggregateFunctionType> {
    match args {
        [DataType::AggregateFunction(t)] => Ok(t),
        [t] => Err(QueryError::new(
            ErrorCode::IllegalTypeOfArgument,
            format!(
                "Illegal type {t} of argument for function finalizeAggregation, must be \
                 AggregateFunction(...)"
            ),
        )),
        _ => Err(QueryError::new(
            ErrorCode::NumberOfArgumentsDoesntMatch,
            format!(
                "Number of arguments for function finalizeAggregation doesn't match: passed {}, \
                 should be 1",
                args.len()
            ),
        )),
    }
}

impl ScalarFunction for FinalizeAggregation {
    fn name(&self) -> &'static str {
        "finalizeAggregation"
    }

    fn return_type(
        &self,
        args: &[DataType],
        _constants: &[Option<arrow::array::ArrayRef>],
    ) -> Result<DataType> {
        Ok(function_of(state_type(args)?)?.return_type())
    }

    fn eval(
        &self,
        args: &[ColumnarValue],
        types: &[DataType],
        _result: &DataType,
        rows: usize,
    ) -> Result<ColumnarValue> {
        let f = function_of(state_type(types)?)?;
        let scalar = args[0].is_scalar();
        let states = args[0].as_array();
        let states = states.as_binary_opt::<i32>().ok_or_else(|| {
            QueryError::new(
                ErrorCode::LogicalError,
                "finalizeAggregation: the argument is not a column of states",
            )
        })?;
        let n = if scalar { 1 } else { rows };
        let mut acc = f.create_accumulator()?;
        for i in 0..n.min(states.len()) {
            if states.is_valid(i) {
                acc.merge_state(states.value(i), i, n)?;
            }
        }
        let out = acc.finalize(n)?;
        Ok(if scalar {
            ColumnarValue::Scalar(out)
        } else {
            ColumnarValue::Array(out)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregates::registry;
    use arrow::array::{ArrayRef, UInt64Array};
    use granary_storage::value::Value;

    #[test]
    fn finalizes_sum_states() {
        let f = registry()
            .get("sumState", &[], &[DataType::UInt64])
            .unwrap()
            .unwrap();
        let DataType::AggregateFunction(t) = f.return_type() else {
            panic!("not a state type");
        };
        assert_eq!(
            f.return_type().to_string(),
            "AggregateFunction(sum, UInt64)"
        );
        let mut acc = f.create_accumulator().unwrap();
        let x: ArrayRef = Arc::new(UInt64Array::from(vec![1, 2, 3]));
        acc.update_batch(&[x], &[0, 1, 0], 2).unwrap();
        let states = acc.finalize(2).unwrap();
        let ty = DataType::AggregateFunction(t);
        let fin = FinalizeAggregation;
        assert_eq!(
            fin.return_type(std::slice::from_ref(&ty), &[None]).unwrap(),
            DataType::UInt64
        );
        let out = fin
            .eval(&[ColumnarValue::Array(states)], &[ty], &DataType::UInt64, 2)
            .unwrap()
            .into_array(2)
            .unwrap();
        assert_eq!(Value::from_array(out.as_ref(), 0), Some(Value::UInt(4)));
        assert_eq!(Value::from_array(out.as_ref(), 1), Some(Value::UInt(2)));
        assert!(fin.return_type(&[DataType::UInt8], &[None]).is_err());
    }
}
