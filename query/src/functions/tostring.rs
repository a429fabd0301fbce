//! Text of values exactly as ClickHouse prints them in TSV (`toString`): shortest
//! round-trip floats, dates, date-times in their zone, decimals without trailing zeros,
//! UUIDs, `true`/`false`.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, BinaryArray, BinaryBuilder};
use arrow::datatypes as at;
use granary_storage::types::DataType;

use super::common::decode;
use super::date::calendar::{write_date, write_datetime, write_padded, Tz};
use crate::error::{ErrorCode, QueryError, Result};

/// Writes a float as ClickHouse does: shortest round-trip digits, plain notation for
/// exponents in -7 < e < 21, else `1e-7` / `1e21` style; `inf`, `-inf`, `nan`.
pub fn write_float(out: &mut Vec<u8>, v: f64, single: bool) {
    if v.is_nan() {
        out.extend_from_slice(b"nan");
        return;
    }
    if v.is_infinite() {
        out.extend_from_slice(if v > 0.0 { b"inf" } else { b"-inf" });
        return;
    }
    if v == 0.0 {
        out.extend_from_slice(if v.is_sign_negative() { b"-0" } else { b"0" });
        return;
    }
    // Shortest digits via Rust's formatter in exponent form: "d.ddde±x".
    let s = if single {
        format!("{:e}", v as f32)
    } else {
        format!("{v:e}")
    };
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let neg = mant.starts_with('-');
    let digits: Vec<u8> = mant.bytes().filter(|c| c.is_ascii_digit()).collect();
    if neg {
        out.push(b'-');
    }
    let n = digits.len() as i32;
    if (-7 < exp) && exp < 21 {
        if exp < 0 {
            out.extend_from_slice(b"0.");
            for _ in 0..(-exp - 1) {
                out.push(b'0');
            }
            out.extend_from_slice(&digits);
        } else if exp + 1 >= n {
            out.extend_from_slice(&digits);
            for _ in 0..(exp + 1 - n) {
                out.push(b'0');
            }
        } else {
            let point = (exp + 1) as usize;
            out.extend_from_slice(&digits[..point]);
            out.push(b'.');
            out.extend_from_slice(&digits[point..]);
        }
    } else {
        out.push(digits[0]);
        if n > 1 {
            out.push(b'.');
            out.extend_from_slice(&digits[1..]);
        }
        out.push(b'e');
        out.extend_from_slice(exp.to_string().as_bytes());
    }
}

/// Writes an i128 decimal value with `scale` digits, trailing fraction zeros dropped.
pub fn write_decimal(out: &mut Vec<u8>, v: i128, scale: u32) {
    if v < 0 {
        out.push(b'-');
    }
    let u = v.unsigned_abs();
    let p = 10u128.pow(scale);
    let whole = u / p;
    let mut frac = u % p;
    out.extend_from_slice(whole.to_string().as_bytes());
    if frac != 0 {
        let mut width = scale;
        while frac.is_multiple_of(10) {
            frac /= 10;
            width -= 1;
        }
        out.push(b'.');
        let s = frac.to_string();
        for _ in s.len()..width as usize {
            out.push(b'0');
        }
        out.extend_from_slice(s.as_bytes());
    }
}

/// Writes a UUID (16 big-endian bytes) as 8-4-4-4-12 hex.
pub fn write_uuid(out: &mut Vec<u8>, b: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for (i, byte) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push(b'-');
        }
        out.push(HEX[(byte >> 4) as usize]);
        out.push(HEX[(byte & 15) as usize]);
    }
}

/// Writes a DateTime64 value of `p` digits precision (ticks) in zone `tz`.
pub fn write_datetime64(out: &mut Vec<u8>, ticks: i64, p: u8, tz: &Tz) {
    let scale = 10i64.pow(p as u32);
    let secs = ticks.div_euclid(scale);
    let frac = ticks.rem_euclid(scale);
    write_datetime(out, tz.to_local(secs));
    if p > 0 {
        out.push(b'.');
        write_padded(out, frac as u64, p as usize);
    }
}

/// Every value of `a` (of ClickHouse type `t`) as its text; NULLs stay NULL.
pub fn to_string_array(a: &ArrayRef, t: &DataType) -> Result<ArrayRef> {
    let base = match t {
        DataType::Nullable(i) | DataType::LowCardinality(i) => {
            return to_string_array(&decode(a)?, i)
        }
        other => other,
    };
    if matches!(base, DataType::String) && a.data_type() == &at::DataType::Binary {
        return Ok(a.clone());
    }
    let a = decode(a)?;
    let mut b = BinaryBuilder::with_capacity(a.len(), a.len() * 8);
    let mut buf = Vec::with_capacity(64);
    let nulls = a.logical_nulls();
    for i in 0..a.len() {
        if nulls.as_ref().is_some_and(|n| n.is_null(i)) {
            b.append_null();
            continue;
        }
        buf.clear();
        write_value(&mut buf, &a, base, i, false)?;
        b.append_value(&buf);
    }
    Ok(Arc::new(b.finish()))
}

/// Writes row `i` of `a` (ClickHouse type `t`); `quoted` quotes strings (inside arrays).
pub fn write_value(
    out: &mut Vec<u8>,
    a: &ArrayRef,
    t: &DataType,
    i: usize,
    quoted: bool,
) -> Result<()> {
    if a.is_null(i) {
        out.extend_from_slice(b"NULL");
        return Ok(());
    }
    macro_rules! int {
        ($T:ty) => {{
            let v = a.as_primitive::<$T>().value(i);
            out.extend_from_slice(v.to_string().as_bytes());
        }};
    }
    match t {
        DataType::UInt8 => int!(at::UInt8Type),
        DataType::UInt16 => int!(at::UInt16Type),
        DataType::UInt32 => int!(at::UInt32Type),
        DataType::UInt64 => int!(at::UInt64Type),
        DataType::Int8 => int!(at::Int8Type),
        DataType::Int16 => int!(at::Int16Type),
        DataType::Int32 => int!(at::Int32Type),
        DataType::Int64 => int!(at::Int64Type),
        DataType::Float32 => write_float(
            out,
            a.as_primitive::<at::Float32Type>().value(i) as f64,
            true,
        ),
        DataType::Float64 => write_float(out, a.as_primitive::<at::Float64Type>().value(i), false),
        DataType::Bool => out.extend_from_slice(if a.as_boolean().value(i) {
            b"true"
        } else {
            b"false"
        }),
        DataType::Decimal { precision, scale } => {
            if *precision <= 38 {
                write_decimal(
                    out,
                    a.as_primitive::<at::Decimal128Type>().value(i),
                    *scale as u32,
                )
            } else {
                let v = a.as_primitive::<at::Decimal256Type>().value(i);
                let s = v.to_string();
                let sc = *scale as usize;
                let (neg, digits) = s
                    .strip_prefix('-')
                    .map_or((false, s.as_str()), |d| (true, d));
                let padded = format!("{digits:0>width$}", width = sc + 1);
                let (w, f) = padded.split_at(padded.len() - sc);
                if neg {
                    out.push(b'-');
                }
                out.extend_from_slice(w.as_bytes());
                let f = f.trim_end_matches('0');
                if !f.is_empty() {
                    out.push(b'.');
                    out.extend_from_slice(f.as_bytes());
                }
            }
        }
        DataType::SimpleAggregateFunction(_, inner) => write_value(out, a, inner, i, quoted)?,
        // A state prints as its raw bytes, as ClickHouse does (the bytes are ours).
        DataType::String | DataType::AggregateFunction(_) => {
            let v = a.as_binary::<i32>().value(i);
            if quoted {
                write_quoted(out, v);
            } else {
                out.extend_from_slice(v);
            }
        }
        DataType::FixedString(_) => {
            let v = a.as_fixed_size_binary().value(i);
            if quoted {
                write_quoted(out, v);
            } else {
                out.extend_from_slice(v);
            }
        }
        DataType::Uuid => {
            if quoted {
                out.push(b'\'');
            }
            write_uuid(out, a.as_fixed_size_binary().value(i));
            if quoted {
                out.push(b'\'');
            }
        }
        DataType::Date | DataType::Date32 | DataType::DateTime(_) | DataType::DateTime64(..) => {
            if quoted {
                out.push(b'\'');
            }
            match t {
                DataType::Date => {
                    write_date(out, a.as_primitive::<at::UInt16Type>().value(i) as i64)
                }
                DataType::Date32 => {
                    write_date(out, a.as_primitive::<at::Int32Type>().value(i) as i64)
                }
                DataType::DateTime(tz) => {
                    let z = Tz::parse(tz.as_deref())?;
                    write_datetime(
                        out,
                        z.to_local(a.as_primitive::<at::UInt32Type>().value(i) as i64),
                    )
                }
                DataType::DateTime64(p, tz) => {
                    let z = Tz::parse(tz.as_deref())?;
                    write_datetime64(out, a.as_primitive::<at::Int64Type>().value(i), *p, &z)
                }
                _ => {}
            }
            if quoted {
                out.push(b'\'');
            }
        }
        DataType::Nullable(inner) | DataType::LowCardinality(inner) => {
            let d = decode(a)?;
            write_value(out, &d, inner, i, quoted)?;
        }
        DataType::Array(inner) => {
            let l = a.as_list::<i32>();
            let vals = l.value(i);
            out.push(b'[');
            for j in 0..vals.len() {
                if j > 0 {
                    out.push(b',');
                }
                write_value(out, &vals, inner, j, true)?;
            }
            out.push(b']');
        }
        DataType::Nothing => out.extend_from_slice(b"NULL"),
        DataType::Map(k, v) => {
            let m = a.as_map();
            let e = m.value(i);
            out.push(b'{');
            for j in 0..e.len() {
                if j > 0 {
                    out.push(b',');
                }
                write_value(out, e.column(0), k, j, true)?;
                out.push(b':');
                write_value(out, e.column(1), v, j, true)?;
            }
            out.push(b'}');
        }
    }
    Ok(())
}

fn write_quoted(out: &mut Vec<u8>, v: &[u8]) {
    out.push(b'\'');
    for &c in v {
        match c {
            b'\'' => out.extend_from_slice(b"\\'"),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\0' => out.extend_from_slice(b"\\0"),
            c => out.push(c),
        }
    }
    out.push(b'\'');
}

/// A Binary array of `rows` texts, checked: helper for tests and callers needing text.
pub fn as_text_array(a: &ArrayRef) -> Result<&BinaryArray> {
    a.as_binary_opt::<i32>()
        .ok_or_else(|| QueryError::new(ErrorCode::LogicalError, "expected a String column"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(v: f64) -> String {
        let mut o = Vec::new();
        write_float(&mut o, v, false);
        String::from_utf8(o).unwrap()
    }

    // chdb: SELECT toString(0.1), toString(1e-7), toString(1e21), toString(1e20), ...
    #[test]
    fn floats_like_clickhouse() {
        assert_eq!(f(0.1), "0.1");
        assert_eq!(f(1e-7), "1e-7");
        assert_eq!(f(1e21), "1e21");
        assert_eq!(f(1e20), "100000000000000000000");
        assert_eq!(f(123456789.123), "123456789.123");
        assert_eq!(f(1.0 / 3.0), "0.3333333333333333");
        assert_eq!(f(-0.0), "-0");
        assert_eq!(f(1e-5), "0.00001");
        assert_eq!(f(1e-6), "0.000001");
        assert_eq!(f(12345678901234567890.0), "12345678901234567000");
        assert_eq!(f(2.5e-300), "2.5e-300");
        assert_eq!(f(1.5e300), "1.5e300");
        assert_eq!(f(f64::NEG_INFINITY), "-inf");
        let mut o = Vec::new();
        write_float(&mut o, 0.1f32 as f64, true);
        assert_eq!(o, b"0.1");
    }

    #[test]
    fn decimals_trim_zeros() {
        let d = |v: i128, s: u32| {
            let mut o = Vec::new();
            write_decimal(&mut o, v, s);
            String::from_utf8(o).unwrap()
        };
        assert_eq!(d(-1500, 3), "-1.5");
        assert_eq!(d(2000, 3), "2");
        assert_eq!(d(-5, 2), "-0.05");
    }
}
