//! Helpers shared by the function families: argument checks, constant handling, typed
//! numeric kernels and conversions between Arrow booleans and ClickHouse's UInt8.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, ArrowPrimitiveType, AsArray, BinaryArray, BooleanArray, PrimitiveArray,
    UInt8Array,
};
use arrow::buffer::{BooleanBuffer, ScalarBuffer};
use granary_storage::types::DataType;

use crate::columnar::ColumnarValue;
use crate::error::{ErrorCode, QueryError, Result};

/// Checks that `name` got between `min` and `max` arguments (ClickHouse error 42).
pub(crate) fn check_arity(name: &str, args: &[DataType], min: usize, max: usize) -> Result<()> {
    if args.len() < min || args.len() > max {
        let should = if min == max {
            min.to_string()
        } else if max == usize::MAX {
            format!("at least {min}")
        } else {
            format!("{min} to {max}")
        };
        return Err(QueryError::new(
            ErrorCode::NumberOfArgumentsDoesntMatch,
            format!(
                "Number of arguments for function {name} doesn't match: passed {}, should be {should}",
                args.len()
            ),
        ));
    }
    Ok(())
}

/// ClickHouse's ILLEGAL_TYPE_OF_ARGUMENT (43) error for argument `pos` (0-based).
pub(crate) fn illegal_type(name: &str, t: &DataType, pos: usize) -> QueryError {
    QueryError::new(
        ErrorCode::IllegalTypeOfArgument,
        format!(
            "Illegal type {t} of argument {} of function {name}",
            ordinal(pos + 1)
        ),
    )
}

fn ordinal(n: usize) -> String {
    match n {
        1 => "first".into(),
        2 => "second".into(),
        3 => "third".into(),
        4 => "fourth".into(),
        n => format!("{n}th"),
    }
}

/// Whether every argument is a constant.
pub(crate) fn all_scalar(args: &[ColumnarValue]) -> bool {
    args.iter().all(|a| a.is_scalar())
}

/// Number of rows to produce: 1 when every argument is constant, else `rows`.
pub(crate) fn out_rows(args: &[ColumnarValue], rows: usize) -> usize {
    if all_scalar(args) {
        1
    } else {
        rows
    }
}

/// Wraps `a` as a constant when every argument was one.
pub(crate) fn wrap(a: ArrayRef, scalar: bool) -> ColumnarValue {
    if scalar {
        ColumnarValue::Scalar(a)
    } else {
        ColumnarValue::Array(a)
    }
}

/// The bytes of a constant String (Binary or Utf8) argument, if it is one and not NULL.
pub(crate) fn const_bytes(c: Option<&ArrayRef>) -> Option<Vec<u8>> {
    let a = c?;
    if a.is_empty() || a.is_null(0) {
        return None;
    }
    match a.data_type() {
        arrow::datatypes::DataType::Binary => Some(a.as_binary::<i32>().value(0).to_vec()),
        arrow::datatypes::DataType::LargeBinary => Some(a.as_binary::<i64>().value(0).to_vec()),
        arrow::datatypes::DataType::Utf8 => Some(a.as_string::<i32>().value(0).as_bytes().to_vec()),
        arrow::datatypes::DataType::FixedSizeBinary(_) => {
            Some(a.as_fixed_size_binary().value(0).to_vec())
        }
        _ => None,
    }
}

/// The value of a constant String argument as text (lossy UTF-8).
pub(crate) fn const_str(c: Option<&ArrayRef>) -> Option<String> {
    const_bytes(c).map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// The bytes of a constant argument value.
pub(crate) fn scalar_bytes(v: &ColumnarValue) -> Option<Vec<u8>> {
    match v {
        ColumnarValue::Scalar(a) => const_bytes(Some(a)),
        ColumnarValue::Array(_) => None,
    }
}

/// Value `i` of a constant integer-like argument as i64 (any integer Arrow type).
pub(crate) fn const_i64(c: Option<&ArrayRef>) -> Option<i64> {
    let a = c?;
    if a.is_empty() || a.is_null(0) {
        return None;
    }
    use arrow::datatypes::*;
    Some(match a.data_type() {
        arrow::datatypes::DataType::UInt8 => a.as_primitive::<UInt8Type>().value(0) as i64,
        arrow::datatypes::DataType::UInt16 => a.as_primitive::<UInt16Type>().value(0) as i64,
        arrow::datatypes::DataType::UInt32 => a.as_primitive::<UInt32Type>().value(0) as i64,
        arrow::datatypes::DataType::UInt64 => a.as_primitive::<UInt64Type>().value(0) as i64,
        arrow::datatypes::DataType::Int8 => a.as_primitive::<Int8Type>().value(0) as i64,
        arrow::datatypes::DataType::Int16 => a.as_primitive::<Int16Type>().value(0) as i64,
        arrow::datatypes::DataType::Int32 => a.as_primitive::<Int32Type>().value(0) as i64,
        arrow::datatypes::DataType::Int64 => a.as_primitive::<Int64Type>().value(0),
        _ => return None,
    })
}

/// A Binary array viewed from an argument (Binary expected after NULL stripping).
pub(crate) fn as_binary(a: &ArrayRef) -> Result<&BinaryArray> {
    a.as_binary_opt::<i32>().ok_or_else(|| {
        QueryError::new(
            ErrorCode::IllegalColumn,
            format!(
                "Illegal column of type {} where String expected",
                a.data_type()
            ),
        )
    })
}

/// ClickHouse booleans: 1 for true, 0 for false; nulls kept.
pub(crate) fn bool_to_u8(b: &BooleanArray) -> UInt8Array {
    let values: ScalarBuffer<u8> = b.values().iter().map(|v| v as u8).collect();
    UInt8Array::new(values, b.nulls().cloned())
}

/// The truth value of a numeric/Bool column (non-zero is true); nulls kept.
pub(crate) fn to_bool(a: &ArrayRef) -> Result<BooleanArray> {
    use arrow::datatypes::DataType as A;
    Ok(match a.data_type() {
        A::Boolean => a.as_boolean().clone(),
        A::Null => BooleanArray::new_null(a.len()),
        A::UInt8 => {
            let p = a.as_primitive::<arrow::datatypes::UInt8Type>();
            let bits = BooleanBuffer::collect_bool(p.len(), |i| p.values()[i] != 0);
            BooleanArray::new(bits, p.nulls().cloned())
        }
        t if t.is_numeric() => {
            let z = arrow::compute::cast(a, &A::Float64)?;
            let p = z.as_primitive::<arrow::datatypes::Float64Type>();
            let bits = BooleanBuffer::collect_bool(p.len(), |i| p.values()[i] != 0.0);
            BooleanArray::new(bits, p.nulls().cloned())
        }
        A::Dictionary(_, _) => {
            let v = crate::functions::common::decode(a)?;
            to_bool(&v)?
        }
        other => {
            return Err(QueryError::new(
                ErrorCode::IllegalTypeOfArgument,
                format!("Illegal type {other} of condition: must be UInt8 or Bool"),
            ))
        }
    })
}

/// Decodes a dictionary array.
pub(crate) fn decode(a: &ArrayRef) -> Result<ArrayRef> {
    match a.data_type() {
        arrow::datatypes::DataType::Dictionary(_, v) => Ok(arrow::compute::cast(a, v)?),
        _ => Ok(a.clone()),
    }
}

/// A numeric native type with ClickHouse's conversion semantics (`static_cast`-like).
pub(crate) trait Num: Copy + Send + Sync + 'static + PartialOrd {
    /// Whether the type is a float.
    const FLOAT: bool;
    /// The value as f64.
    fn to_f64(self) -> f64;
    /// The value as i128 (floats truncate; out of range saturates).
    fn to_i128(self) -> i128;
    /// From an f64 (`as`).
    fn from_f64(v: f64) -> Self;
    /// From an i128, wrapping.
    fn from_i128(v: i128) -> Self;
    /// Converts from any numeric, wrapping integers like C++ casts.
    #[inline(always)]
    fn from_num<X: Num>(x: X) -> Self {
        if Self::FLOAT || X::FLOAT {
            if !Self::FLOAT {
                // float -> int: out-of-range goes through i64::MIN like x86 conversions.
                let f = x.to_f64();
                let i = if f.is_finite() && f > -9.3e18 && f < 9.3e18 {
                    f as i64
                } else if (0.0..1.8e19).contains(&f) {
                    f as u64 as i64
                } else {
                    i64::MIN
                };
                Self::from_i128(i as i128)
            } else {
                Self::from_f64(x.to_f64())
            }
        } else {
            Self::from_i128(x.to_i128())
        }
    }
}

macro_rules! impl_num_int {
    ($($t:ty);*) => {$(
        impl Num for $t {
            const FLOAT: bool = false;
            #[inline(always)] fn to_f64(self) -> f64 { self as f64 }
            #[inline(always)] fn to_i128(self) -> i128 { self as i128 }
            #[inline(always)] fn from_f64(v: f64) -> Self { v as $t }
            #[inline(always)] fn from_i128(v: i128) -> Self { v as $t }
        }
    )*};
}
impl_num_int!(u8; u16; u32; u64; i8; i16; i32; i64);

macro_rules! impl_num_float {
    ($($t:ty);*) => {$(
        impl Num for $t {
            const FLOAT: bool = true;
            #[inline(always)] fn to_f64(self) -> f64 { self as f64 }
            #[inline(always)] fn to_i128(self) -> i128 { self as i128 }
            #[inline(always)] fn from_f64(v: f64) -> Self { v as $t }
            #[inline(always)] fn from_i128(v: i128) -> Self { v as $t }
        }
    )*};
}
impl_num_float!(f32; f64);

/// Runs `$body` with `$T` bound to the Arrow primitive type of the numeric Arrow type `$dt`
/// (integers and floats); evaluates `$other` for any other type.
macro_rules! with_numeric {
    ($dt:expr, $T:ident => $body:expr, _ => $other:expr) => {{
        use arrow::datatypes::DataType as __A;
        match $dt {
            __A::UInt8 => {
                type $T = arrow::datatypes::UInt8Type;
                $body
            }
            __A::UInt16 => {
                type $T = arrow::datatypes::UInt16Type;
                $body
            }
            __A::UInt32 => {
                type $T = arrow::datatypes::UInt32Type;
                $body
            }
            __A::UInt64 => {
                type $T = arrow::datatypes::UInt64Type;
                $body
            }
            __A::Int8 => {
                type $T = arrow::datatypes::Int8Type;
                $body
            }
            __A::Int16 => {
                type $T = arrow::datatypes::Int16Type;
                $body
            }
            __A::Int32 => {
                type $T = arrow::datatypes::Int32Type;
                $body
            }
            __A::Int64 => {
                type $T = arrow::datatypes::Int64Type;
                $body
            }
            __A::Float32 => {
                type $T = arrow::datatypes::Float32Type;
                $body
            }
            __A::Float64 => {
                type $T = arrow::datatypes::Float64Type;
                $body
            }
            _ => $other,
        }
    }};
}
pub(crate) use with_numeric;

/// Converts a numeric (or Boolean) array to the numeric Arrow type `to` with C++ cast
/// semantics (integers wrap).
pub(crate) fn numeric_cast(a: &ArrayRef, to: &arrow::datatypes::DataType) -> Result<ArrayRef> {
    if a.data_type() == to {
        return Ok(a.clone());
    }
    if let arrow::datatypes::DataType::Boolean = a.data_type() {
        let u = bool_to_u8(a.as_boolean());
        return numeric_cast(&(Arc::new(u) as ArrayRef), to);
    }
    if let arrow::datatypes::DataType::Null = a.data_type() {
        return Ok(arrow::array::new_null_array(to, a.len()));
    }
    if let arrow::datatypes::DataType::Boolean = to {
        let b = to_bool(a)?;
        return Ok(Arc::new(b));
    }
    with_numeric!(a.data_type(), A => {
        let src = a.as_primitive::<A>();
        with_numeric!(to, B => {
            Ok(Arc::new(cast_prim::<A, B>(src)) as ArrayRef)
        }, _ => Err(QueryError::new(ErrorCode::CannotConvertType, format!("Cannot convert {} to {to}", a.data_type()))))
    }, _ => Err(QueryError::new(ErrorCode::CannotConvertType, format!("Cannot convert {} to {to}", a.data_type()))))
}

/// Typed wrapping cast of a primitive array.
pub(crate) fn cast_prim<A, B>(a: &PrimitiveArray<A>) -> PrimitiveArray<B>
where
    A: ArrowPrimitiveType,
    B: ArrowPrimitiveType,
    A::Native: Num,
    B::Native: Num,
{
    a.unary(B::Native::from_num)
}

/// Applies `f` to two primitive columns/constants, producing a constant when both are.
pub(crate) fn binary_prim<A, B, O, F>(
    a: &ColumnarValue,
    b: &ColumnarValue,
    f: F,
) -> Result<ColumnarValue>
where
    A: ArrowPrimitiveType,
    B: ArrowPrimitiveType,
    O: ArrowPrimitiveType,
    F: Fn(A::Native, B::Native) -> O::Native,
{
    let av = a.as_array().as_primitive::<A>();
    let bv = b.as_array().as_primitive::<B>();
    Ok(match (a, b) {
        (ColumnarValue::Scalar(_), ColumnarValue::Scalar(_)) => {
            ColumnarValue::Scalar(Arc::new(arrow::compute::binary::<A, B, _, O>(av, bv, f)?))
        }
        (ColumnarValue::Array(_), ColumnarValue::Array(_)) => {
            ColumnarValue::Array(Arc::new(arrow::compute::binary::<A, B, _, O>(av, bv, f)?))
        }
        (ColumnarValue::Array(_), ColumnarValue::Scalar(_)) => {
            let s = bv.value(0);
            ColumnarValue::Array(Arc::new(av.unary::<_, O>(|x| f(x, s))))
        }
        (ColumnarValue::Scalar(_), ColumnarValue::Array(_)) => {
            let s = av.value(0);
            ColumnarValue::Array(Arc::new(bv.unary::<_, O>(|y| f(s, y))))
        }
    })
}

/// The value of argument `v` at row `i` (constants repeat).
#[inline(always)]
pub(crate) fn idx(v: &ColumnarValue, i: usize) -> usize {
    if v.is_scalar() {
        0
    } else {
        i
    }
}
