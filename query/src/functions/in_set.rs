//! `x IN (set)` and `x NOT IN (set)` against a set known when the query is planned (a
//! literal list or a subquery's result): values are row-encoded and looked up in a hash
//! set. A NULL `x` gives NULL; NULLs in the set never match.

use std::collections::HashSet;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, UInt8Array};
use arrow::row::{RowConverter, SortField};
use granary_storage::types::DataType;

use super::cast::cast_array;
use super::ScalarFunction;
use crate::columnar::ColumnarValue;
use crate::error::Result;

/// Membership in a fixed set of values of one type.
#[derive(Debug)]
pub struct InSet {
    set_type: DataType,
    set: HashSet<Box<[u8]>>,
    converter_type: arrow::datatypes::DataType,
    negated: bool,
}

impl InSet {
    /// A set of `values` (of type `values_type`) compared as `set_type`.
    pub fn new(
        values: &ArrayRef,
        values_type: &DataType,
        set_type: DataType,
        negated: bool,
    ) -> Result<InSet> {
        let v = cast_array(values, values_type, &set_type)?;
        let converter_type = v.data_type().clone();
        let conv = RowConverter::new(vec![SortField::new(converter_type.clone())])?;
        let rows = conv.convert_columns(std::slice::from_ref(&v))?;
        let set = (0..v.len())
            .filter(|&i| v.is_valid(i))
            .map(|i| rows.row(i).as_ref().into())
            .collect();
        Ok(InSet {
            set_type,
            set,
            converter_type,
            negated,
        })
    }
}

impl ScalarFunction for InSet {
    fn name(&self) -> &'static str {
        if self.negated {
            "notIn"
        } else {
            "in"
        }
    }

    fn return_type(&self, args: &[DataType], _: &[Option<ArrayRef>]) -> Result<DataType> {
        Ok(if args.first().is_some_and(|t| t.is_nullable()) {
            DataType::Nullable(Box::new(DataType::UInt8))
        } else {
            DataType::UInt8
        })
    }

    fn eval(
        &self,
        args: &[ColumnarValue],
        types: &[DataType],
        _: &DataType,
        rows: usize,
    ) -> Result<ColumnarValue> {
        let scalar = args[0].is_scalar();
        let x = args[0].clone().into_array(if scalar { 1 } else { rows })?;
        let x = cast_array(&x, &types[0], &self.set_type)?;
        let conv = RowConverter::new(vec![SortField::new(self.converter_type.clone())])?;
        let encoded = conv.convert_columns(std::slice::from_ref(&x))?;
        let out: UInt8Array = (0..x.len())
            .map(|i| {
                x.is_valid(i)
                    .then(|| (self.set.contains(encoded.row(i).as_ref()) != self.negated) as u8)
            })
            .collect();
        let out: ArrayRef = Arc::new(out);
        Ok(if scalar {
            ColumnarValue::Scalar(out)
        } else {
            ColumnarValue::Array(out)
        })
    }

    fn handles_nulls(&self) -> bool {
        true
    }
}
