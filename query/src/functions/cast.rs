//! The conversion engine behind `CAST`, `toT`, `toTOrZero`/`toTOrNull`, `if`, `coalesce`
//! and every function that unifies argument types: any ClickHouse type to any other that
//! makes sense, with ClickHouse's semantics (integers wrap, strings parse strictly,
//! dates and times convert in their time zone).

use std::sync::Arc;

use arrow::array::{
    new_null_array, Array, ArrayRef, AsArray, BinaryArray, BooleanArray, Decimal128Array,
    FixedSizeBinaryBuilder, Float64Array, GenericListArray, Int64Array, PrimitiveArray,
};
use arrow::buffer::NullBuffer;
use arrow::datatypes::{self as at, ArrowPrimitiveType};
use granary_storage::types::DataType;

use super::common::{decode, numeric_cast, with_numeric, Num};
use super::date::calendar::{parse_datetime, Tz};
use super::tostring::to_string_array;
use crate::error::{ErrorCode, QueryError, Result};

/// What a failed string parse does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnError {
    /// Raise ClickHouse's parse error.
    Throw,
    /// Give the type's zero (toTOrZero).
    Zero,
    /// Give NULL (toTOrNull).
    Null,
}

/// Converts `a` of ClickHouse type `from` to type `to` (`CAST`).
pub fn cast_array(a: &ArrayRef, from: &DataType, to: &DataType) -> Result<ArrayRef> {
    cast_with(a, from, to, OnError::Throw)
}

fn parse_err(s: &[u8], t: &DataType) -> QueryError {
    let code = match t {
        DataType::Date | DataType::Date32 => ErrorCode::CannotParseDate,
        DataType::DateTime(_) | DataType::DateTime64(..) => ErrorCode::CannotParseDatetime,
        _ => ErrorCode::CannotParseText,
    };
    let name = match t {
        DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
        | DataType::UInt64
        | DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::Float32
        | DataType::Float64 => {
            format!(". Note: there are to{t}OrZero and to{t}OrNull functions, which returns zero/NULL instead of throwing exception")
        }
        _ => String::new(),
    };
    QueryError::new(
        code,
        format!(
            "Cannot parse string '{}' as {t}: syntax error at begin of string{name}",
            String::from_utf8_lossy(s)
        ),
    )
}

fn cannot_convert(from: &DataType, to: &DataType) -> QueryError {
    QueryError::new(
        ErrorCode::CannotConvertType,
        format!("Conversion from {from} to {to} is not supported"),
    )
}

/// Converts with a choice of what failed string parses do.
pub fn cast_with(
    a: &ArrayRef,
    from: &DataType,
    to: &DataType,
    on_err: OnError,
) -> Result<ArrayRef> {
    if from == to && a.data_type() == &to.to_arrow() {
        return Ok(a.clone());
    }
    match (from, to) {
        // SimpleAggregateFunction(f, T) holds plain values of T.
        (DataType::SimpleAggregateFunction(_, f), _) => return cast_with(a, f, to, on_err),
        (_, DataType::SimpleAggregateFunction(_, t)) => return cast_with(a, from, t, on_err),
        (DataType::Nullable(f), _) | (DataType::LowCardinality(f), _) => {
            return cast_with(&decode(a)?, f, to, on_err)
        }
        (DataType::Nothing, _) | (_, DataType::Nothing) => {
            return Ok(new_null_array(&to.to_arrow(), a.len()))
        }
        (_, DataType::Nullable(t)) => return cast_with(a, from, t, on_err),
        (_, DataType::LowCardinality(t)) => {
            let v = cast_with(a, from, t, on_err)?;
            return Ok(arrow::compute::cast(&v, &to.to_arrow())?);
        }
        _ => {}
    }
    let from = from.clone();
    let a = decode(a)?;
    if matches!(a.data_type(), at::DataType::Null) {
        return Ok(new_null_array(&to.to_arrow(), a.len()));
    }
    use DataType as T;
    let is_num = |t: &DataType| {
        matches!(
            t,
            T::UInt8
                | T::UInt16
                | T::UInt32
                | T::UInt64
                | T::Int8
                | T::Int16
                | T::Int32
                | T::Int64
                | T::Float32
                | T::Float64
                | T::Bool
        )
    };
    match (&from, to) {
        // Maps: convert keys and values (arrays are handled below).
        (T::Map(fk, fv), T::Map(tk, tv)) => {
            let map = a.as_map();
            let keys = cast_with(map.keys(), fk, tk, on_err)?;
            let values = cast_with(map.values(), fv, tv, on_err)?;
            let at::DataType::Map(entries, sorted) = to.to_arrow() else {
                return Err(cannot_convert(&from, to));
            };
            let at::DataType::Struct(fields) = entries.data_type().clone() else {
                return Err(cannot_convert(&from, to));
            };
            let s = arrow::array::StructArray::try_new(fields, vec![keys, values], None)?;
            Ok(Arc::new(arrow::array::MapArray::try_new(
                entries,
                map.offsets().clone(),
                s,
                map.nulls().cloned(),
                sorted,
            )?))
        }
        (_, T::String) => to_string_array(&a, &from),
        (T::String | T::FixedString(_), t) if !matches!(t, T::FixedString(_)) => {
            parse_strings(&a, to, on_err)
        }
        (T::String, T::FixedString(n)) => to_fixed_string(&a, *n),
        (T::FixedString(_), T::FixedString(n)) => {
            let s = arrow::compute::cast(&a, &at::DataType::Binary)?;
            to_fixed_string(&s, *n)
        }
        (f, t) if is_num(f) && is_num(t) => numeric_cast(&a, &t.to_arrow()),
        (T::Decimal { .. }, T::Decimal { precision, scale }) => {
            let v = decimal_i128(&a, &from)?;
            let fs = decimal_scale(&from);
            let out = rescale(&v, fs, *scale as u32);
            make_decimal(out, *precision, *scale)
        }
        (f, T::Decimal { precision, scale }) if is_num(f) => num_to_decimal(&a, *precision, *scale),
        (T::Decimal { scale, .. }, t) if is_num(t) => {
            let v = decimal_i128(&a, &from)?;
            let p = 10i128.pow(*scale as u32);
            if matches!(t, T::Float32 | T::Float64) {
                let f: Float64Array = v.unary(|x| x as f64 / p as f64);
                numeric_cast(&(Arc::new(f) as ArrayRef), &t.to_arrow())
            } else {
                let i: Int64Array = v.unary(|x| (x / p) as i64);
                numeric_cast(&(Arc::new(i) as ArrayRef), &t.to_arrow())
            }
        }
        (f, t) if is_time(f) || is_time(t) => cast_time(&a, f, t),
        (T::Array(fe), T::Array(te)) => {
            let l = a.as_list::<i32>();
            let vals = cast_with(l.values(), fe, te, on_err)?;
            let field = Arc::new(at::Field::new("item", te.to_arrow(), true));
            Ok(Arc::new(GenericListArray::<i32>::try_new(
                field,
                l.offsets().clone(),
                vals,
                l.nulls().cloned(),
            )?))
        }
        (T::Uuid, T::FixedString(16)) | (T::FixedString(16), T::Uuid) => Ok(a.clone()),
        _ => Err(cannot_convert(&from, to)),
    }
}

fn is_time(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Date | DataType::Date32 | DataType::DateTime(_) | DataType::DateTime64(..)
    )
}

fn decimal_scale(t: &DataType) -> u32 {
    match t {
        DataType::Decimal { scale, .. } => *scale as u32,
        _ => 0,
    }
}

/// The values of a Decimal128 (or Decimal256 within i128 range) array as i128.
pub(crate) fn decimal_i128(
    a: &ArrayRef,
    t: &DataType,
) -> Result<PrimitiveArray<at::Decimal128Type>> {
    match a.data_type() {
        at::DataType::Decimal128(..) => Ok(a.as_primitive::<at::Decimal128Type>().clone()),
        at::DataType::Decimal256(_, s) => {
            let c = arrow::compute::cast(a, &at::DataType::Decimal128(38, *s))?;
            Ok(c.as_primitive::<at::Decimal128Type>().clone())
        }
        _ => Err(QueryError::new(
            ErrorCode::LogicalError,
            format!("expected a Decimal column for {t}"),
        )),
    }
}

/// Changes the scale of raw decimal values (truncating when it shrinks).
pub(crate) fn rescale(
    v: &PrimitiveArray<at::Decimal128Type>,
    from: u32,
    to: u32,
) -> PrimitiveArray<at::Decimal128Type> {
    if to >= from {
        let m = 10i128.pow(to - from);
        v.unary(|x| x.wrapping_mul(m))
    } else {
        let d = 10i128.pow(from - to);
        v.unary(|x| x / d)
    }
}

/// Raw i128 values as a Decimal(P, S) array (Decimal256 when P > 38).
pub(crate) fn make_decimal(
    v: PrimitiveArray<at::Decimal128Type>,
    precision: u8,
    scale: u8,
) -> Result<ArrayRef> {
    if precision <= 38 {
        Ok(Arc::new(
            v.with_precision_and_scale(precision, scale as i8)?,
        ))
    } else {
        let d = Arc::new(v.with_precision_and_scale(38, scale as i8)?) as ArrayRef;
        Ok(arrow::compute::cast(
            &d,
            &at::DataType::Decimal256(precision, scale as i8),
        )?)
    }
}

fn num_to_decimal(a: &ArrayRef, precision: u8, scale: u8) -> Result<ArrayRef> {
    let p = 10i128.pow(scale as u32);
    let limit = if precision >= 38 {
        i128::MAX
    } else {
        10i128.pow(precision as u32)
    };
    let overflow = || {
        QueryError::new(
            ErrorCode::DecimalOverflow,
            format!("Decimal value is too big for Decimal({precision}, {scale})"),
        )
    };
    let a = if matches!(a.data_type(), at::DataType::Boolean) {
        numeric_cast(a, &at::DataType::UInt8)?
    } else {
        a.clone()
    };
    let out: PrimitiveArray<at::Decimal128Type> = with_numeric!(a.data_type(), A => {
        let src = a.as_primitive::<A>();
        let err = std::cell::Cell::new(false);
        let r = src.unary(|x| {
            if <A as ArrowPrimitiveType>::Native::FLOAT {
                let f = x.to_f64() * p as f64;
                if !f.is_finite() || f.abs() >= limit as f64 { err.set(true); 0 } else { f as i128 }
            } else {
                match x.to_i128().checked_mul(p) {
                    Some(v) if v.abs() < limit => v,
                    _ => { err.set(true); 0 }
                }
            }
        });
        if err.get() && src.null_count() == 0 {
            return Err(overflow());
        }
        r
    }, _ => return Err(QueryError::new(ErrorCode::CannotConvertType, format!("Cannot convert {} to Decimal", a.data_type()))));
    make_decimal(out, precision, scale)
}

fn to_fixed_string(a: &ArrayRef, n: usize) -> Result<ArrayRef> {
    let s = super::common::as_binary(a)?;
    let mut b = FixedSizeBinaryBuilder::with_capacity(s.len(), n as i32);
    let mut buf = vec![0u8; n];
    for i in 0..s.len() {
        if s.is_null(i) {
            b.append_null();
            continue;
        }
        let v = s.value(i);
        if v.len() > n {
            return Err(QueryError::new(
                ErrorCode::ArgumentOutOfBound,
                format!("String too long for type FixedString({n})"),
            ));
        }
        buf.fill(0);
        buf[..v.len()].copy_from_slice(v);
        b.append_value(&buf)?;
    }
    Ok(Arc::new(b.finish()))
}

/// Parses every string of `a` as a value of `to`.
fn parse_strings(a: &ArrayRef, to: &DataType, on_err: OnError) -> Result<ArrayRef> {
    let owned;
    let s: &BinaryArray = if let Some(b) = a.as_binary_opt::<i32>() {
        b
    } else {
        owned = arrow::compute::cast(a, &at::DataType::Binary)?;
        owned.as_binary::<i32>()
    };
    let n = s.len();
    let mut valid = vec![true; n];
    let is_null = |i: usize| s.is_null(i);
    macro_rules! parse_prim {
        ($T:ty, $f:expr) => {{
            let mut out = Vec::with_capacity(n);
            for i in 0..n {
                if is_null(i) {
                    out.push(Default::default());
                    continue;
                }
                match $f(s.value(i)) {
                    Some(v) => out.push(v),
                    None => match on_err {
                        OnError::Throw => return Err(parse_err(s.value(i), to)),
                        OnError::Zero => out.push(Default::default()),
                        OnError::Null => {
                            out.push(Default::default());
                            valid[i] = false;
                        }
                    },
                }
            }
            let nulls = NullBuffer::union(s.nulls(), Some(&NullBuffer::from(valid)));
            Arc::new(PrimitiveArray::<$T>::new(out.into(), nulls)) as ArrayRef
        }};
    }
    let strict = on_err != OnError::Throw;
    let arr: ArrayRef = match to {
        DataType::UInt8 => parse_prim!(at::UInt8Type, |b| parse_int::<u8>(b, strict)),
        DataType::UInt16 => parse_prim!(at::UInt16Type, |b| parse_int::<u16>(b, strict)),
        DataType::UInt32 => parse_prim!(at::UInt32Type, |b| parse_int::<u32>(b, strict)),
        DataType::UInt64 => parse_prim!(at::UInt64Type, |b| parse_int::<u64>(b, strict)),
        DataType::Int8 => parse_prim!(at::Int8Type, |b| parse_int::<i8>(b, strict)),
        DataType::Int16 => parse_prim!(at::Int16Type, |b| parse_int::<i16>(b, strict)),
        DataType::Int32 => parse_prim!(at::Int32Type, |b| parse_int::<i32>(b, strict)),
        DataType::Int64 => parse_prim!(at::Int64Type, |b| parse_int::<i64>(b, strict)),
        DataType::Float32 => parse_prim!(at::Float32Type, |b| parse_float(b).map(|f| f as f32)),
        DataType::Float64 => parse_prim!(at::Float64Type, parse_float),
        DataType::Date => parse_prim!(at::UInt16Type, |b| parse_datetime(b).and_then(
            |(s, _, utc)| {
                let _ = utc;
                let d = s.div_euclid(86400);
                (0..=65535).contains(&d).then_some(d as u16)
            }
        )),
        DataType::Date32 => parse_prim!(at::Int32Type, |b| parse_datetime(b)
            .map(|(s, _, _)| s.div_euclid(86400) as i32)),
        DataType::DateTime(tz) => {
            let z = Tz::parse(tz.as_deref())?;
            parse_prim!(at::UInt32Type, |b| parse_datetime(b)
                .map(|(s, _, utc)| { (if utc { s } else { z.to_utc(s) }) as u32 }))
        }
        DataType::DateTime64(p, tz) => {
            let z = Tz::parse(tz.as_deref())?;
            let scale = 10i64.pow(*p as u32);
            let div = 10i64.pow(9 - *p as u32);
            parse_prim!(at::Int64Type, |b| parse_datetime(b).map(|(s, ns, utc)| {
                let secs = if utc { s } else { z.to_utc(s) };
                secs * scale + ns as i64 / div
            }))
        }
        DataType::Decimal { precision, scale } => {
            let p = *precision;
            let sc = *scale;
            let raw = parse_prim!(at::Decimal128Type, |b| parse_decimal(b, p, sc));
            let raw = raw.as_primitive::<at::Decimal128Type>().clone();
            return make_decimal(raw, p, sc);
        }
        #[allow(clippy::needless_range_loop)]
        DataType::Bool => {
            let mut vals = Vec::with_capacity(n);
            for i in 0..n {
                if is_null(i) {
                    vals.push(false);
                    continue;
                }
                let v = s.value(i);
                match v.to_ascii_lowercase().as_slice() {
                    b"true" | b"1" | b"yes" | b"on" | b"t" | b"y" => vals.push(true),
                    b"false" | b"0" | b"no" | b"off" | b"f" | b"n" => vals.push(false),
                    _ => match on_err {
                        OnError::Throw => return Err(parse_err(v, to)),
                        OnError::Zero => vals.push(false),
                        OnError::Null => {
                            vals.push(false);
                            valid[i] = false;
                        }
                    },
                }
            }
            let nulls = NullBuffer::union(s.nulls(), Some(&NullBuffer::from(valid)));
            Arc::new(BooleanArray::new(vals.into(), nulls))
        }
        DataType::Uuid => {
            let mut b = FixedSizeBinaryBuilder::with_capacity(n, 16);
            for i in 0..n {
                if is_null(i) {
                    b.append_null();
                    continue;
                }
                match parse_uuid(s.value(i)) {
                    Some(u) => b.append_value(u)?,
                    None => match on_err {
                        OnError::Throw => return Err(parse_err(s.value(i), to)),
                        OnError::Zero => b.append_value([0u8; 16])?,
                        OnError::Null => b.append_null(),
                    },
                }
            }
            Arc::new(b.finish())
        }
        DataType::Array(_) | DataType::Map(..) => {
            return Err(QueryError::new(
                ErrorCode::NotImplemented,
                format!("Parsing String as {to} is not supported"),
            ))
        }
        other => return Err(cannot_convert(&DataType::String, other)),
    };
    Ok(arr)
}

/// Parses an integer as ClickHouse's `readIntText`: optional sign, digits; wraps on
/// overflow unless `strict` (the OrZero/OrNull variants reject out-of-range values).
pub(crate) fn parse_int<T: Num>(b: &[u8], strict: bool) -> Option<T> {
    let (neg, digits) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        Some(b'+') => (false, &b[1..]),
        _ => (false, b),
    };
    if digits.is_empty() || digits.len() > 38 || !digits.iter().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let mut v: i128 = 0;
    for &c in digits {
        v = v * 10 + (c - b'0') as i128;
    }
    if neg {
        v = -v;
    }
    let r = T::from_i128(v);
    if strict && r.to_i128() != v {
        return None;
    }
    Some(r)
}

/// Parses a float: decimal or exponent notation, `inf`, `nan`.
pub(crate) fn parse_float(b: &[u8]) -> Option<f64> {
    let s = std::str::from_utf8(b).ok()?;
    if s.is_empty()
        || s.starts_with(|c: char| c.is_whitespace())
        || s.ends_with(|c: char| c.is_whitespace())
    {
        return None;
    }
    let l = s.to_ascii_lowercase();
    match l.as_str() {
        "inf" | "+inf" | "infinity" => return Some(f64::INFINITY),
        "-inf" | "-infinity" => return Some(f64::NEG_INFINITY),
        "nan" | "+nan" | "-nan" => return Some(f64::NAN),
        _ => {}
    }
    if l.contains("inf") || l.contains("nan") {
        return None;
    }
    s.parse().ok()
}

/// Parses a decimal text to raw i128 at `scale` (extra fraction digits truncate).
pub(crate) fn parse_decimal(b: &[u8], precision: u8, scale: u8) -> Option<i128> {
    let (neg, rest) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        Some(b'+') => (false, &b[1..]),
        _ => (false, b),
    };
    let (whole, frac) = match rest.iter().position(|&c| c == b'.') {
        Some(p) => (&rest[..p], &rest[p + 1..]),
        None => (rest, &rest[rest.len()..]),
    };
    if (whole.is_empty() && frac.is_empty())
        || !whole.iter().chain(frac.iter()).all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let mut v: i128 = 0;
    let mut digits = 0u32;
    for &c in whole {
        v = v.checked_mul(10)?.checked_add((c - b'0') as i128)?;
        if v != 0 {
            digits += 1;
        }
    }
    for i in 0..scale as usize {
        let d = frac.get(i).map_or(0, |c| (c - b'0') as i128);
        v = v.checked_mul(10)?.checked_add(d)?;
    }
    if digits > (precision - scale) as u32 {
        return None;
    }
    Some(if neg { -v } else { v })
}

/// Parses `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` (or 32 hex digits) to 16 bytes.
pub(crate) fn parse_uuid(b: &[u8]) -> Option<[u8; 16]> {
    let hex: Vec<u8> = if b.len() == 36 {
        if b[8] != b'-' || b[13] != b'-' || b[18] != b'-' || b[23] != b'-' {
            return None;
        }
        b.iter().copied().filter(|&c| c != b'-').collect()
    } else if b.len() == 32 {
        b.to_vec()
    } else {
        return None;
    };
    if hex.len() != 32 {
        return None;
    }
    let mut out = [0u8; 16];
    for i in 0..16 {
        let h = (hex[2 * i] as char).to_digit(16)?;
        let l = (hex[2 * i + 1] as char).to_digit(16)?;
        out[i] = (h * 16 + l) as u8;
    }
    Some(out)
}

/// Time values as i64 in a unit: days for dates, seconds for DateTime, ticks for
/// DateTime64 (the unit of `t`).
fn time_i64(a: &ArrayRef) -> Result<Int64Array> {
    Ok(numeric_cast(a, &at::DataType::Int64)?
        .as_primitive::<at::Int64Type>()
        .clone())
}

fn cast_time(a: &ArrayRef, from: &DataType, to: &DataType) -> Result<ArrayRef> {
    use DataType as T;
    let tz_of = |t: &DataType| -> Result<Tz> {
        match t {
            T::DateTime(z) | T::DateTime64(_, z) => Tz::parse(z.as_deref()),
            _ => Ok(Tz::Utc),
        }
    };
    let ftz = tz_of(from)?;
    let ttz = tz_of(to)?;
    // Normalize the source to UTC seconds + sub-second ticks at precision 9... kept simple:
    // the source as (utc seconds, nanos) through closures on i64 values.
    let v: Int64Array = match from {
        T::Date | T::Date32 => {
            let d = time_i64(a)?;
            if !is_time(to) {
                return numeric_cast(&(Arc::new(d) as ArrayRef), &to.to_arrow());
            }
            match to {
                T::Date => {
                    return Ok(Arc::new(
                        d.unary::<_, at::UInt16Type>(|x| x.clamp(0, 65535) as u16),
                    ))
                }
                T::Date32 => return Ok(Arc::new(d.unary::<_, at::Int32Type>(|x| x as i32))),
                _ => {}
            }
            // To UTC nanoseconds-free seconds.
            let secs: Int64Array = if ttz == Tz::Utc {
                d.unary(|x| x * 86400)
            } else {
                d.unary(|x| ttz.to_utc(x * 86400))
            };
            secs
        }
        T::DateTime(_) => time_i64(a)?,
        T::DateTime64(p, _) => {
            let ticks = time_i64(a)?;
            let s = 10i64.pow(*p as u32);
            if let T::DateTime64(q, _) = to {
                let out: Int64Array = if q >= p {
                    let m = 10i64.pow((*q - *p) as u32);
                    ticks.unary(|x| x.wrapping_mul(m))
                } else {
                    let d = 10i64.pow((*p - *q) as u32);
                    ticks.unary(|x| x.div_euclid(d))
                };
                return Ok(Arc::new(out));
            }
            if !is_time(to) {
                let f = ticks.unary::<_, at::Int64Type>(|x| x.div_euclid(s));
                return numeric_cast(&(Arc::new(f) as ArrayRef), &to.to_arrow());
            }
            ticks.unary(|x| x.div_euclid(s))
        }
        _ => {
            // Numbers to times.
            let is_float = matches!(from, T::Float32 | T::Float64);
            return match to {
                T::Date => {
                    let x = time_i64(a)?;
                    Ok(Arc::new(x.unary::<_, at::UInt16Type>(|v| {
                        if v > 65535 {
                            ttz.to_local(v).div_euclid(86400).clamp(0, 65535) as u16
                        } else {
                            v.max(0) as u16
                        }
                    })))
                }
                T::Date32 => numeric_cast(a, &at::DataType::Int32),
                T::DateTime(_) => numeric_cast(a, &at::DataType::UInt32),
                T::DateTime64(p, _) => {
                    let s = 10i64.pow(*p as u32);
                    if is_float {
                        let f = numeric_cast(a, &at::DataType::Float64)?;
                        Ok(Arc::new(
                            f.as_primitive::<at::Float64Type>()
                                .unary::<_, at::Int64Type>(|v| (v * s as f64) as i64),
                        ))
                    } else {
                        Ok(Arc::new(
                            time_i64(a)?.unary::<_, at::Int64Type>(|v| v.wrapping_mul(s)),
                        ))
                    }
                }
                _ => Err(cannot_convert(from, to)),
            };
        }
    };
    // v: UTC seconds.
    match to {
        T::Date => Ok(Arc::new(v.unary::<_, at::UInt16Type>(|x| {
            ftz.to_local(x).div_euclid(86400).clamp(0, 65535) as u16
        }))),
        T::Date32 => Ok(Arc::new(v.unary::<_, at::Int32Type>(|x| {
            ftz.to_local(x).div_euclid(86400) as i32
        }))),
        T::DateTime(_) => Ok(Arc::new(v.unary::<_, at::UInt32Type>(|x| x as u32))),
        T::DateTime64(p, _) => {
            let s = 10i64.pow(*p as u32);
            Ok(Arc::new(v.unary::<_, at::Int64Type>(|x| x.wrapping_mul(s))))
        }
        t if t.is_numeric_like() => numeric_cast(&(Arc::new(v) as ArrayRef), &t.to_arrow()),
        _ => Err(cannot_convert(from, to)),
    }
}

/// A constant Decimal128 helper for tests and arithmetic: raw values with scale.
#[allow(dead_code)]
pub(crate) fn decimal_from_raw(v: Vec<i128>, precision: u8, scale: u8) -> Result<Decimal128Array> {
    Ok(Decimal128Array::from(v).with_precision_and_scale(precision, scale as i8)?)
}
