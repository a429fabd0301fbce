//! Values flowing through expression evaluation: a whole column, or a constant that stands
//! for every row without being repeated (ClickHouse's `ColumnConst`).

use arrow::array::{new_null_array, Array, ArrayRef};
use arrow::datatypes::DataType as ArrowType;

use crate::error::Result;

/// The result of evaluating an expression over a batch.
#[derive(Clone, Debug)]
pub enum ColumnarValue {
    /// One value per row.
    Array(ArrayRef),
    /// One value for all rows: an array of length 1.
    Scalar(ArrayRef),
}

impl ColumnarValue {
    /// A constant NULL of Arrow type `t`.
    pub fn null(t: &ArrowType) -> ColumnarValue {
        ColumnarValue::Scalar(new_null_array(t, 1))
    }

    /// The Arrow type.
    pub fn data_type(&self) -> &ArrowType {
        match self {
            ColumnarValue::Array(a) | ColumnarValue::Scalar(a) => a.data_type(),
        }
    }

    /// Whether this is a constant.
    pub fn is_scalar(&self) -> bool {
        matches!(self, ColumnarValue::Scalar(_))
    }

    /// The values as an array of `rows` rows (a constant is repeated).
    pub fn into_array(self, rows: usize) -> Result<ArrayRef> {
        match self {
            ColumnarValue::Array(a) => Ok(a),
            ColumnarValue::Scalar(s) => repeat(&s, rows),
        }
    }

    /// The underlying array: all rows, or the single constant row.
    pub fn as_array(&self) -> &ArrayRef {
        match self {
            ColumnarValue::Array(a) | ColumnarValue::Scalar(a) => a,
        }
    }
}

/// An array of `rows` copies of row 0 of `scalar`.
pub fn repeat(scalar: &ArrayRef, rows: usize) -> Result<ArrayRef> {
    if rows == 1 && scalar.len() == 1 {
        return Ok(scalar.clone());
    }
    let idx = arrow::array::UInt32Array::from(vec![0u32; rows]);
    Ok(arrow::compute::take(scalar.as_ref(), &idx, None)?)
}
