//! ClickHouse's default NULL handling for functions: strip `Nullable` (and
//! `LowCardinality`), call the function on the inner values, put the NULLs back.

use std::sync::Arc;

use arrow::array::{make_array, Array, ArrayRef};
use arrow::buffer::NullBuffer;
use granary_storage::types::DataType;

use super::ScalarFunction;
use crate::columnar::ColumnarValue;
use crate::error::Result;

/// Wraps a function that does not handle NULLs itself.
#[derive(Debug)]
pub struct NullAdapter {
    inner: Arc<dyn ScalarFunction>,
}

impl NullAdapter {
    /// Wraps `inner`.
    pub fn new(inner: Arc<dyn ScalarFunction>) -> NullAdapter {
        NullAdapter { inner }
    }
}

/// The type without `Nullable`/`LowCardinality` wrappers at the top.
fn strip(t: &DataType) -> DataType {
    match t {
        DataType::Nullable(i) | DataType::LowCardinality(i) => strip(i),
        other => other.clone(),
    }
}

/// Decodes a dictionary array to its values' type.
fn decode(a: &ArrayRef) -> Result<ArrayRef> {
    match a.data_type() {
        arrow::datatypes::DataType::Dictionary(_, v) => Ok(arrow::compute::cast(a, v)?),
        _ => Ok(a.clone()),
    }
}

fn decode_value(v: &ColumnarValue) -> Result<ColumnarValue> {
    Ok(match v {
        ColumnarValue::Array(a) => ColumnarValue::Array(decode(a)?),
        ColumnarValue::Scalar(a) => ColumnarValue::Scalar(decode(a)?),
    })
}

impl ScalarFunction for NullAdapter {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn return_type(&self, args: &[DataType], constants: &[Option<ArrayRef>]) -> Result<DataType> {
        // A bare NULL argument makes the result NULL whatever the function.
        if args.iter().any(|t| matches!(strip(t), DataType::Nothing)) {
            return Ok(DataType::Nullable(Box::new(DataType::Nothing)));
        }
        let stripped: Vec<DataType> = args.iter().map(strip).collect();
        let t = self.inner.return_type(&stripped, constants)?;
        let nullable = args.iter().any(|a| a.is_nullable());
        Ok(if nullable && !t.is_nullable() && can_be_nullable(&t) {
            DataType::Nullable(Box::new(t))
        } else {
            t
        })
    }

    fn eval(
        &self,
        args: &[ColumnarValue],
        types: &[DataType],
        result: &DataType,
        rows: usize,
    ) -> Result<ColumnarValue> {
        if matches!(strip(result), DataType::Nothing) {
            return Ok(ColumnarValue::null(&arrow::datatypes::DataType::Null));
        }
        let stripped: Vec<DataType> = types.iter().map(strip).collect();
        let decoded: Vec<ColumnarValue> = args.iter().map(decode_value).collect::<Result<_>>()?;
        let inner_result = match result {
            DataType::Nullable(_) if !types.iter().any(|t| t.is_nullable()) => result.clone(),
            DataType::Nullable(i) => (**i).clone(),
            other => other.clone(),
        };
        let all_scalar = decoded.iter().all(|a| a.is_scalar());
        // Combined null map of the arguments.
        let mut nulls: Option<NullBuffer> = None;
        for a in &decoded {
            let n = match a {
                ColumnarValue::Array(arr) => arr.logical_nulls(),
                ColumnarValue::Scalar(s) => {
                    if s.is_null(0) {
                        let len = if all_scalar { 1 } else { rows };
                        Some(NullBuffer::new_null(len))
                    } else {
                        None
                    }
                }
            };
            nulls = NullBuffer::union(nulls.as_ref(), n.as_ref());
        }
        let out = self.inner.eval(&decoded, &stripped, &inner_result, rows)?;
        let Some(nulls) = nulls.filter(|n| n.null_count() > 0) else {
            return Ok(out);
        };
        let attach = |a: ArrayRef| -> Result<ArrayRef> {
            let merged = NullBuffer::union(Some(&nulls), a.logical_nulls().as_ref());
            Ok(make_array(
                a.to_data().into_builder().nulls(merged).build()?,
            ))
        };
        Ok(match out {
            ColumnarValue::Array(a) => ColumnarValue::Array(attach(a)?),
            ColumnarValue::Scalar(s) if nulls.len() == 1 => ColumnarValue::Scalar(attach(s)?),
            ColumnarValue::Scalar(s) => {
                ColumnarValue::Array(attach(crate::columnar::repeat(&s, rows)?)?)
            }
        })
    }

    fn handles_nulls(&self) -> bool {
        true
    }
}

/// Whether `Nullable(t)` is a valid type.
fn can_be_nullable(t: &DataType) -> bool {
    !matches!(
        t,
        DataType::Array(_)
            | DataType::Map(..)
            | DataType::LowCardinality(_)
            | DataType::Nullable(_)
    )
}
