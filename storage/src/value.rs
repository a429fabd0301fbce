//! Scalar values: partition values, per-part min/max, primary-index bounds and key ranges.
//!
//! Values are kept in a small number of wide variants (every unsigned integer as `UInt`,
//! every signed one as `Int`, ...) so comparisons are cheap and the JSON of part metadata is
//! plain. The column's [`DataType`](crate::types::DataType) says what the number means.

use std::cmp::Ordering;

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::datatypes::{self as adt, DataType as ArrowType};
use serde::{Deserialize, Serialize};

use crate::error::{Result, StorageError};

/// A single value of a column.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", content = "v")]
pub enum Value {
    /// SQL NULL; sorts before every other value (ClickHouse's `NULLS FIRST` for keys).
    Null,
    /// Any unsigned integer, `Date`, `DateTime`, `Bool`.
    UInt(u64),
    /// Any signed integer, `Date32`, `DateTime64`.
    Int(i64),
    /// `Float32` or `Float64` (non-finite values are stored in JSON as `"nan"`, `"inf"`,
    /// `"-inf"`, since JSON numbers cannot hold them).
    Float(#[serde(with = "float_repr")] f64),
    /// A decimal's unscaled value (Decimal32..Decimal128).
    Decimal(i128),
    /// `String`, `FixedString`, `UUID` bytes.
    Bytes(Vec<u8>),
}

impl Value {
    /// The value at `row` of `array`; `None` for types that have no scalar form here
    /// (arrays, maps, Decimal256).
    pub fn from_array(array: &dyn Array, row: usize) -> Option<Value> {
        if array.is_null(row) {
            return Some(Value::Null);
        }
        Some(match array.data_type() {
            ArrowType::UInt8 => {
                Value::UInt(array.as_primitive::<adt::UInt8Type>().value(row) as u64)
            }
            ArrowType::UInt16 => {
                Value::UInt(array.as_primitive::<adt::UInt16Type>().value(row) as u64)
            }
            ArrowType::UInt32 => {
                Value::UInt(array.as_primitive::<adt::UInt32Type>().value(row) as u64)
            }
            ArrowType::UInt64 => Value::UInt(array.as_primitive::<adt::UInt64Type>().value(row)),
            ArrowType::Int8 => Value::Int(array.as_primitive::<adt::Int8Type>().value(row) as i64),
            ArrowType::Int16 => {
                Value::Int(array.as_primitive::<adt::Int16Type>().value(row) as i64)
            }
            ArrowType::Int32 => {
                Value::Int(array.as_primitive::<adt::Int32Type>().value(row) as i64)
            }
            ArrowType::Int64 => Value::Int(array.as_primitive::<adt::Int64Type>().value(row)),
            ArrowType::Float32 => {
                Value::Float(array.as_primitive::<adt::Float32Type>().value(row) as f64)
            }
            ArrowType::Float64 => Value::Float(array.as_primitive::<adt::Float64Type>().value(row)),
            ArrowType::Boolean => Value::UInt(array.as_boolean().value(row) as u64),
            ArrowType::Decimal128(..) => {
                Value::Decimal(array.as_primitive::<adt::Decimal128Type>().value(row))
            }
            ArrowType::Binary => Value::Bytes(array.as_binary::<i32>().value(row).to_vec()),
            ArrowType::Utf8 => {
                Value::Bytes(array.as_string::<i32>().value(row).as_bytes().to_vec())
            }
            ArrowType::FixedSizeBinary(_) => {
                Value::Bytes(array.as_fixed_size_binary().value(row).to_vec())
            }
            ArrowType::Dictionary(..) => {
                let dict = array.as_any_dictionary();
                let key = match Value::from_array(dict.keys(), row)? {
                    Value::Int(k) => usize::try_from(k).ok()?,
                    Value::UInt(k) => usize::try_from(k).ok()?,
                    _ => return None,
                };
                if key >= dict.values().len() {
                    return None;
                }
                return Value::from_array(dict.values().as_ref(), key);
            }
            _ => return None,
        })
    }

    /// Compares two values of the same column. NULL sorts first; floats use a total order
    /// with NaN last (as ClickHouse sorts them).
    pub fn total_cmp(&self, other: &Value) -> Ordering {
        use Value::*;
        match (self, other) {
            (Null, Null) => Ordering::Equal,
            (Null, _) => Ordering::Less,
            (_, Null) => Ordering::Greater,
            (UInt(a), UInt(b)) => a.cmp(b),
            (Int(a), Int(b)) => a.cmp(b),
            (UInt(a), Int(b)) => (*a as i128).cmp(&(*b as i128)),
            (Int(a), UInt(b)) => (*a as i128).cmp(&(*b as i128)),
            (Float(a), Float(b)) => float_cmp(*a, *b),
            (Float(a), UInt(b)) => float_cmp(*a, *b as f64),
            (Float(a), Int(b)) => float_cmp(*a, *b as f64),
            (UInt(a), Float(b)) => float_cmp(*a as f64, *b),
            (Int(a), Float(b)) => float_cmp(*a as f64, *b),
            (Decimal(a), Decimal(b)) => a.cmp(b),
            (Bytes(a), Bytes(b)) => a.cmp(b),
            // Values of one column always share a variant; order variants for totality.
            (a, b) => a.rank().cmp(&b.rank()),
        }
    }

    fn rank(&self) -> u8 {
        match self {
            Value::Null => 0,
            Value::UInt(_) | Value::Int(_) | Value::Float(_) => 1,
            Value::Decimal(_) => 2,
            Value::Bytes(_) => 3,
        }
    }

    /// A stable textual form used in partition ids: integers as decimal digits, other
    /// values as their hex bytes.
    pub fn id_fragment(&self) -> String {
        match self {
            Value::Null => "null".into(),
            Value::UInt(v) => v.to_string(),
            Value::Int(v) => v.to_string(),
            Value::Float(v) => format!("{:016x}", v.to_bits()),
            Value::Decimal(v) => v.to_string(),
            Value::Bytes(b) => b.iter().map(|x| format!("{x:02x}")).collect(),
        }
    }
}

/// Min/max through Arrow's aggregate kernels for the common types; `None` when the type has
/// no fast path (the caller then compares [`Value`]s row by row).
fn typed_min_max(array: &dyn Array) -> Option<Option<(Value, Value)>> {
    use arrow::compute::{max, max_binary, min, min_binary};
    macro_rules! prim {
        ($t:ty, $wrap:expr) => {{
            let a = array.as_primitive::<$t>();
            Some(min(a).zip(max(a)).map(|(lo, hi)| ($wrap(lo), $wrap(hi))))
        }};
    }
    match array.data_type() {
        ArrowType::UInt8 => prim!(adt::UInt8Type, |v| Value::UInt(v as u64)),
        ArrowType::UInt16 => prim!(adt::UInt16Type, |v| Value::UInt(v as u64)),
        ArrowType::UInt32 => prim!(adt::UInt32Type, |v| Value::UInt(v as u64)),
        ArrowType::UInt64 => prim!(adt::UInt64Type, Value::UInt),
        ArrowType::Int8 => prim!(adt::Int8Type, |v| Value::Int(v as i64)),
        ArrowType::Int16 => prim!(adt::Int16Type, |v| Value::Int(v as i64)),
        ArrowType::Int32 => prim!(adt::Int32Type, |v| Value::Int(v as i64)),
        ArrowType::Int64 => prim!(adt::Int64Type, Value::Int),
        ArrowType::Decimal128(..) => prim!(adt::Decimal128Type, Value::Decimal),
        ArrowType::Binary => {
            let a = array.as_binary::<i32>();
            Some(
                min_binary(a)
                    .zip(max_binary(a))
                    .map(|(lo, hi)| (Value::Bytes(lo.to_vec()), Value::Bytes(hi.to_vec()))),
            )
        }
        // Floats go row by row: NaN must sort last, as in `total_cmp`.
        _ => None,
    }
}

/// Serde for floats that keeps NaN and infinities (plain JSON turns them into `null`).
mod float_repr {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    #[serde(untagged)]
    enum Repr {
        Num(f64),
        Text(String),
    }

    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        let r = if v.is_finite() {
            Repr::Num(*v)
        } else if v.is_nan() {
            Repr::Text("nan".into())
        } else if *v > 0.0 {
            Repr::Text("inf".into())
        } else {
            Repr::Text("-inf".into())
        };
        r.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        match Repr::deserialize(d)? {
            Repr::Num(v) => Ok(v),
            Repr::Text(t) => match t.as_str() {
                "nan" => Ok(f64::NAN),
                "inf" => Ok(f64::INFINITY),
                "-inf" => Ok(f64::NEG_INFINITY),
                other => Err(serde::de::Error::custom(format!("bad float {other:?}"))),
            },
        }
    }
}

fn float_cmp(a: f64, b: f64) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        _ => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
    }
}

/// Minimum and maximum non-NULL values of `array` (`None` if all NULL, empty or not scalar),
/// and whether it holds a NULL.
pub fn min_max(array: &ArrayRef) -> Result<(Option<(Value, Value)>, bool)> {
    let has_null = array.null_count() > 0;
    let mut acc: Option<(Value, Value)> = None;
    if matches!(
        array.data_type(),
        ArrowType::List(_) | ArrowType::Map(..) | ArrowType::Decimal256(..)
    ) {
        return Ok((None, has_null));
    }
    // Dictionaries: fold over the (small) dictionary, restricted to used keys would be exact;
    // using every dictionary value gives a superset range, which is safe for pruning.
    if let ArrowType::Dictionary(..) = array.data_type() {
        let dict = array.as_any_dictionary();
        return Ok((min_max(dict.values())?.0, has_null));
    }
    if let Some(mm) = typed_min_max(array.as_ref()) {
        return Ok((mm, has_null));
    }
    for row in 0..array.len() {
        if array.is_null(row) {
            continue;
        }
        let v = Value::from_array(array.as_ref(), row).ok_or_else(|| {
            StorageError::Logical(format!("min_max on unsupported {}", array.data_type()))
        })?;
        acc = Some(match acc {
            None => (v.clone(), v),
            Some((lo, hi)) => {
                let lo = if v.total_cmp(&lo) == Ordering::Less {
                    v.clone()
                } else {
                    lo
                };
                let hi = if v.total_cmp(&hi) == Ordering::Greater {
                    v
                } else {
                    hi
                };
                (lo, hi)
            }
        });
    }
    Ok((acc, has_null))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{BinaryArray, Int32Array};
    use std::sync::Arc;

    #[test]
    fn min_max_of_ints_and_strings() {
        let a: ArrayRef = Arc::new(Int32Array::from(vec![Some(3), None, Some(-7), Some(5)]));
        let (mm, has_null) = min_max(&a).unwrap();
        assert_eq!(mm, Some((Value::Int(-7), Value::Int(5))));
        assert!(has_null);
        let s: ArrayRef = Arc::new(BinaryArray::from_vec(vec![b"pear", b"apple", b"zoo"]));
        let (mm, _) = min_max(&s).unwrap();
        assert_eq!(
            mm,
            Some((
                Value::Bytes(b"apple".to_vec()),
                Value::Bytes(b"zoo".to_vec())
            ))
        );
    }

    #[test]
    fn non_finite_floats_survive_json() {
        for v in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.5, 1e300] {
            let j = serde_json::to_string(&Value::Float(v)).unwrap();
            let back: Value = serde_json::from_str(&j).unwrap();
            match back {
                Value::Float(b) => assert!(b == v || (b.is_nan() && v.is_nan()), "{j}"),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn null_sorts_first_and_nan_last() {
        assert_eq!(Value::Null.total_cmp(&Value::Int(-5)), Ordering::Less);
        assert_eq!(
            Value::Float(f64::NAN).total_cmp(&Value::Float(1e300)),
            Ordering::Greater
        );
        assert_eq!(
            Value::UInt(u64::MAX).total_cmp(&Value::Int(-1)),
            Ordering::Greater
        );
    }
}
