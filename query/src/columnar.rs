//! Values flowing through expression evaluation: a whole column, or a constant that stands
//! for every row without being repeated (ClickHouse's `ColumnConst`).

use std::sync::Arc;

use arrow::array::{
    make_array, new_null_array, Array, ArrayRef, BinaryArray, DictionaryArray, Int32Array,
};
use arrow::datatypes::DataType as ArrowType;
use granary_storage::types::DataType;

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

/// `rows` copies of the default value of type `t`: NULL for Nullable, zero or empty
/// otherwise.
pub fn type_default(t: &DataType, rows: usize) -> Result<ArrayRef> {
    if t.is_nullable() && !matches!(t, DataType::LowCardinality(_)) {
        return Ok(arrow::array::new_null_array(&t.to_arrow(), rows));
    }
    if let DataType::LowCardinality(_) = t {
        let values: ArrayRef = Arc::new(BinaryArray::from_vec(vec![b"".as_slice()]));
        let keys = Int32Array::from(vec![0; rows]);
        let d: ArrayRef = Arc::new(DictionaryArray::try_new(keys, values)?);
        return Ok(arrow::compute::cast(&d, &t.to_arrow())?);
    }
    let nulls = arrow::array::new_null_array(&t.to_arrow(), rows);
    let data = nulls.to_data().into_builder().nulls(None).build()?;
    Ok(make_array(data))
}
