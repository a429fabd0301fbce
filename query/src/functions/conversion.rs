//! Type conversion functions: `_CAST`/`CAST`, `toUInt8`..`toFloat64`, their `OrZero` and
//! `OrNull` variants, `toDecimal32..256`, `toString`, `toFixedString`, `toUUID`, `toBool`,
//! `toDate`, `toDate32`, `toDateTime`, `toDateTime64`, `toLowCardinality`.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef};
use granary_storage::types::DataType;

use super::cast::{cast_with, OnError};
use super::common::{check_arity, const_i64, const_str, illegal_type};
use super::{FunctionRegistry, ScalarFunction};
use crate::columnar::ColumnarValue;
use crate::error::{ErrorCode, QueryError, Result};

/// How a conversion function picks its result type.
#[derive(Debug, Clone)]
enum Target {
    /// Always this type.
    Fixed(DataType),
    /// `toDecimalNN(x, S)` with this precision.
    Decimal(u8),
    /// `toDateTime(x[, tz])`.
    DateTime,
    /// `toDateTime64(x, p[, tz])`.
    DateTime64,
    /// `toFixedString(s, N)`.
    FixedString,
    /// `_CAST(x, 'T')`.
    Cast,
    /// `toLowCardinality(x)`.
    LowCardinality,
}

/// One conversion function.
#[derive(Debug)]
pub struct Convert {
    name: &'static str,
    target: Target,
    on_err: OnError,
}

impl Convert {
    fn target_type(&self, args: &[DataType], constants: &[Option<ArrayRef>]) -> Result<DataType> {
        let name = self.name;
        let c = |i: usize| constants.get(i).and_then(|c| c.as_ref());
        let tz_arg = |i: usize| -> Result<Option<String>> {
            if args.len() > i {
                match const_str(c(i)) {
                    Some(z) => {
                        super::date::calendar::Tz::parse(Some(&z))?;
                        Ok(Some(z))
                    }
                    None => Err(illegal_type(name, &args[i], i)),
                }
            } else {
                Ok(None)
            }
        };
        Ok(match &self.target {
            Target::Fixed(t) => {
                let max = if matches!(t, DataType::String) { 2 } else { 1 };
                check_arity(name, args, 1, max)?;
                t.clone()
            }
            Target::LowCardinality => {
                check_arity(name, args, 1, 1)?;
                match &args[0] {
                    DataType::LowCardinality(_) => args[0].clone(),
                    t => DataType::LowCardinality(Box::new(t.clone())),
                }
            }
            Target::Decimal(p) => {
                check_arity(name, args, 2, 2)?;
                let s = const_i64(c(1)).ok_or_else(|| illegal_type(name, &args[1], 1))?;
                if s < 0 || s > *p as i64 {
                    return Err(QueryError::new(
                        ErrorCode::ArgumentOutOfBound,
                        format!("Decimal scale {s} is out of bounds (max {p})"),
                    ));
                }
                DataType::Decimal {
                    precision: *p,
                    scale: s as u8,
                }
            }
            Target::DateTime => {
                check_arity(name, args, 1, 2)?;
                let tz = tz_arg(1)?;
                match (&args[0], tz) {
                    (DataType::DateTime(z), None) | (DataType::DateTime64(_, z), None) => {
                        DataType::DateTime(z.clone())
                    }
                    (_, tz) => DataType::DateTime(tz),
                }
            }
            Target::DateTime64 => {
                check_arity(name, args, 2, 3)?;
                let p = const_i64(c(1)).ok_or_else(|| illegal_type(name, &args[1], 1))?;
                if !(0..=9).contains(&p) {
                    return Err(QueryError::new(
                        ErrorCode::ArgumentOutOfBound,
                        format!("DateTime64 precision {p} is out of bounds (max 9)"),
                    ));
                }
                let tz = tz_arg(2)?;
                let tz = match (&args[0], tz) {
                    (DataType::DateTime(z), None) | (DataType::DateTime64(_, z), None) => z.clone(),
                    (_, tz) => tz,
                };
                DataType::DateTime64(p as u8, tz)
            }
            Target::FixedString => {
                check_arity(name, args, 2, 2)?;
                let n = const_i64(c(1)).ok_or_else(|| illegal_type(name, &args[1], 1))?;
                if n <= 0 || n > 0xFFFFFF {
                    return Err(QueryError::new(
                        ErrorCode::ArgumentOutOfBound,
                        format!("FixedString size {n} is out of bounds"),
                    ));
                }
                if !matches!(args[0].base(), DataType::String | DataType::FixedString(_)) {
                    return Err(illegal_type(name, &args[0], 0));
                }
                DataType::FixedString(n as usize)
            }
            Target::Cast => {
                check_arity(name, args, 2, 2)?;
                let t = const_str(c(1)).ok_or_else(|| {
                    QueryError::new(
                        ErrorCode::IllegalTypeOfArgument,
                        "Second argument to CAST must be a constant string describing type",
                    )
                })?;
                DataType::parse(&t)
                    .map_err(|e| QueryError::new(ErrorCode::UnknownType, e.to_string()))?
            }
        })
    }
}

impl ScalarFunction for Convert {
    fn name(&self) -> &'static str {
        self.name
    }

    fn return_type(&self, args: &[DataType], constants: &[Option<ArrayRef>]) -> Result<DataType> {
        let t = self.target_type(args, constants)?;
        Ok(if self.on_err == OnError::Null && !t.is_nullable() {
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
        let a = args[0].as_array();
        if matches!(self.target, Target::Cast)
            && !result.is_nullable()
            && a.logical_null_count() > 0
        {
            // ClickHouse: CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN (349).
            return Err(QueryError::new(
                ErrorCode::CannotConvertType,
                format!("Cannot convert NULL value to non-Nullable type {result}"),
            ));
        }
        let _ = rows;
        let out = cast_with(a, &types[0], result, self.on_err)?;
        Ok(match &args[0] {
            ColumnarValue::Scalar(_) => ColumnarValue::Scalar(out),
            ColumnarValue::Array(_) => ColumnarValue::Array(out),
        })
    }

    fn handles_nulls(&self) -> bool {
        matches!(self.target, Target::Cast | Target::LowCardinality)
    }
}

fn conv(name: &'static str, target: Target, on_err: OnError) -> Arc<dyn ScalarFunction> {
    Arc::new(Convert {
        name,
        target,
        on_err,
    })
}

/// Registers the conversion functions.
pub fn register(r: &mut FunctionRegistry) {
    r.register(conv("_CAST", Target::Cast, OnError::Throw));
    r.register_case_insensitive(conv("CAST", Target::Cast, OnError::Throw));
    macro_rules! numeric {
        ($($t:ident, $name:literal, $zero:literal, $null:literal);*) => {$(
            r.register(conv($name, Target::Fixed(DataType::$t), OnError::Throw));
            r.register(conv($zero, Target::Fixed(DataType::$t), OnError::Zero));
            r.register(conv($null, Target::Fixed(DataType::$t), OnError::Null));
        )*};
    }
    numeric!(
        UInt8, "toUInt8", "toUInt8OrZero", "toUInt8OrNull";
        UInt16, "toUInt16", "toUInt16OrZero", "toUInt16OrNull";
        UInt32, "toUInt32", "toUInt32OrZero", "toUInt32OrNull";
        UInt64, "toUInt64", "toUInt64OrZero", "toUInt64OrNull";
        Int8, "toInt8", "toInt8OrZero", "toInt8OrNull";
        Int16, "toInt16", "toInt16OrZero", "toInt16OrNull";
        Int32, "toInt32", "toInt32OrZero", "toInt32OrNull";
        Int64, "toInt64", "toInt64OrZero", "toInt64OrNull";
        Float32, "toFloat32", "toFloat32OrZero", "toFloat32OrNull";
        Float64, "toFloat64", "toFloat64OrZero", "toFloat64OrNull";
        Date, "toDate", "toDateOrZero", "toDateOrNull";
        Date32, "toDate32", "toDate32OrZero", "toDate32OrNull";
        Uuid, "toUUID", "toUUIDOrZero", "toUUIDOrNull";
        Bool, "toBool", "toBoolOrZero", "toBoolOrNull"
    );
    r.register(conv("toDateTime", Target::DateTime, OnError::Throw));
    r.register(conv("toDateTimeOrZero", Target::DateTime, OnError::Zero));
    r.register(conv("toDateTimeOrNull", Target::DateTime, OnError::Null));
    r.register(conv("toDateTime64", Target::DateTime64, OnError::Throw));
    r.register(conv(
        "toDateTime64OrZero",
        Target::DateTime64,
        OnError::Zero,
    ));
    r.register(conv(
        "toDateTime64OrNull",
        Target::DateTime64,
        OnError::Null,
    ));
    for (name, zero, null, p) in [
        ("toDecimal32", "toDecimal32OrZero", "toDecimal32OrNull", 9u8),
        ("toDecimal64", "toDecimal64OrZero", "toDecimal64OrNull", 18),
        (
            "toDecimal128",
            "toDecimal128OrZero",
            "toDecimal128OrNull",
            38,
        ),
        (
            "toDecimal256",
            "toDecimal256OrZero",
            "toDecimal256OrNull",
            76,
        ),
    ] {
        r.register(conv(name, Target::Decimal(p), OnError::Throw));
        r.register(conv(zero, Target::Decimal(p), OnError::Zero));
        r.register(conv(null, Target::Decimal(p), OnError::Null));
    }
    r.register(conv(
        "toString",
        Target::Fixed(DataType::String),
        OnError::Throw,
    ));
    r.register(conv("toFixedString", Target::FixedString, OnError::Throw));
    r.register(conv(
        "toLowCardinality",
        Target::LowCardinality,
        OnError::Throw,
    ));
    r.alias("DATE", "toDate", true);
    r.alias("TIMESTAMP", "toDateTime", true);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::functions::testutil::{call, strs, texts};
    use arrow::array::{AsArray, Float64Array, Int64Array, UInt8Array};

    fn ty(s: &str) -> DataType {
        DataType::parse(s).unwrap()
    }

    // chdb: SELECT toUInt8(300), toInt8(200), toUInt8(-1), toUInt8(3.9), toInt8(-3.9)
    //   -> 44 -56 255 3 -3; toUInt8('300') -> 44; toUInt8OrZero('300') -> 0
    #[test]
    fn integer_conversions_wrap() {
        let a: ArrayRef = Arc::new(Int64Array::from(vec![300, 200, -1]));
        let (v, t) = call("toUInt8", vec![(a.clone(), DataType::Int64, false)]).unwrap();
        assert_eq!(t, DataType::UInt8);
        assert_eq!(texts(&v, &t), ["44", "200", "255"]);
        let (v, t) = call("toInt8", vec![(a, DataType::Int64, false)]).unwrap();
        assert_eq!(texts(&v, &t), ["44", "-56", "-1"]);
        let f: ArrayRef = Arc::new(Float64Array::from(vec![3.9, -3.9]));
        let (v, t) = call("toInt8", vec![(f, DataType::Float64, false)]).unwrap();
        assert_eq!(texts(&v, &t), ["3", "-3"]);
        let s = strs(&[Some("300"), None, Some("-5")]);
        let (v, t) = call("toUInt8", vec![(s.clone(), ty("Nullable(String)"), false)]).unwrap();
        assert_eq!(t, ty("Nullable(UInt8)"));
        assert_eq!(texts(&v, &t), ["44", "\\N", "251"]);
        let (v, t) = call(
            "toUInt8OrZero",
            vec![(s.clone(), ty("Nullable(String)"), false)],
        )
        .unwrap();
        assert_eq!(texts(&v, &t), ["0", "\\N", "0"]);
        let (v, t) = call(
            "toInt64OrNull",
            vec![(strs(&[Some("x"), Some("-5")]), DataType::String, false)],
        )
        .unwrap();
        assert_eq!(t, ty("Nullable(Int64)"));
        assert_eq!(texts(&v, &t), ["\\N", "-5"]);
    }

    // chdb: SELECT toUInt8('abc') -> Code: 6 ... Cannot parse string 'abc' as UInt8
    #[test]
    fn parse_errors() {
        let e = call(
            "toUInt8",
            vec![(strs(&[Some("abc")]), DataType::String, false)],
        )
        .unwrap_err();
        assert_eq!(e.code(), 6);
        assert!(
            e.message()
                .starts_with("Cannot parse string 'abc' as UInt8"),
            "{}",
            e.message()
        );
        let e = call(
            "toDate",
            vec![(strs(&[Some("2020-13-01")]), DataType::String, false)],
        )
        .unwrap_err();
        assert_eq!(e.code(), 38);
        let e = call(
            "toDateTime",
            vec![(strs(&[Some("x")]), DataType::String, false)],
        )
        .unwrap_err();
        assert_eq!(e.code(), 41);
    }

    // chdb: SELECT toDecimal32(1.555, 2), toDecimal32('1.555', 2), toDecimal32(-1.555, 2) -> 1.55 1.55 -1.55
    #[test]
    fn decimals() {
        let s = strs(&[Some("1.555"), Some("-1.555")]);
        let k: ArrayRef = Arc::new(UInt8Array::from(vec![2]));
        let (v, t) = call(
            "toDecimal32",
            vec![
                (s, DataType::String, false),
                (k.clone(), DataType::UInt8, true),
            ],
        )
        .unwrap();
        assert_eq!(t, ty("Decimal(9, 2)"));
        assert_eq!(texts(&v, &t), ["1.55", "-1.55"]);
        let f: ArrayRef = Arc::new(Float64Array::from(vec![1.555, -1.555]));
        let (v, t) = call(
            "toDecimal32",
            vec![(f, DataType::Float64, false), (k, DataType::UInt8, true)],
        )
        .unwrap();
        assert_eq!(texts(&v, &t), ["1.55", "-1.55"]);
    }

    // chdb: SELECT CAST('2013-07-01 12:00:00' AS DateTime), toDate(toDateTime('2013-07-01 23:59:59', 'Asia/Tokyo')),
    //   toDateTime('2013-07-01 12:00:00', 'Europe/Moscow')::UInt32 -> 1372669200
    #[test]
    fn casts_and_dates() {
        let s = strs(&[Some("2013-07-01 12:00:00")]);
        let t: ArrayRef = strs(&[Some("DateTime")]);
        let (v, rt) = call(
            "_CAST",
            vec![
                (s.clone(), DataType::String, false),
                (t, DataType::String, true),
            ],
        )
        .unwrap();
        assert_eq!(texts(&v, &rt), ["2013-07-01 12:00:00"]);
        let z: ArrayRef = strs(&[Some("Europe/Moscow")]);
        let (v, rt) = call(
            "toDateTime",
            vec![(s, DataType::String, false), (z, DataType::String, true)],
        )
        .unwrap();
        assert_eq!(rt, ty("DateTime('Europe/Moscow')"));
        assert_eq!(
            v.as_array()
                .as_primitive::<arrow::datatypes::UInt32Type>()
                .value(0),
            1372665600
        );
        assert_eq!(texts(&v, &rt), ["2013-07-01 12:00:00"]);
        let (d, dt) = call("toDate", vec![(v.as_array().clone(), rt, false)]).unwrap();
        assert_eq!(texts(&d, &dt), ["2013-07-01"]);
        let n: ArrayRef = Arc::new(arrow::array::NullArray::new(1));
        let tn: ArrayRef = strs(&[Some("Nullable(Int32)")]);
        let (v, rt) = call(
            "_CAST",
            vec![
                (n.clone(), ty("Nullable(Nothing)"), true),
                (tn, DataType::String, true),
            ],
        )
        .unwrap();
        assert_eq!(rt, ty("Nullable(Int32)"));
        assert!(v.is_scalar() && v.as_array().is_null(0));
        let ti: ArrayRef = strs(&[Some("Int32")]);
        assert!(call(
            "_CAST",
            vec![
                (n, ty("Nullable(Nothing)"), true),
                (ti, DataType::String, true)
            ]
        )
        .is_err());
    }

    // chdb: SELECT toString(toUUID('61f0c404-5cb3-11e7-907b-a6006ad3dba0')), toString(true), toFixedString('ab', 3)
    #[test]
    fn strings_and_uuids() {
        let s = strs(&[Some("61f0c404-5cb3-11e7-907b-a6006ad3dba0")]);
        let (u, ut) = call("toUUID", vec![(s, DataType::String, false)]).unwrap();
        let (v, t) = call("toString", vec![(u.as_array().clone(), ut, false)]).unwrap();
        assert_eq!(texts(&v, &t), ["61f0c404-5cb3-11e7-907b-a6006ad3dba0"]);
        let b: ArrayRef = Arc::new(arrow::array::BooleanArray::from(vec![true, false]));
        let (v, t) = call("toString", vec![(b, DataType::Bool, false)]).unwrap();
        assert_eq!(texts(&v, &t), ["true", "false"]);
        let n: ArrayRef = Arc::new(UInt8Array::from(vec![3]));
        let (v, _) = call(
            "toFixedString",
            vec![
                (strs(&[Some("ab")]), DataType::String, true),
                (n, DataType::UInt8, true),
            ],
        )
        .unwrap();
        assert!(v.is_scalar());
        assert_eq!(v.as_array().as_fixed_size_binary().value(0), b"ab\0");
    }
}
