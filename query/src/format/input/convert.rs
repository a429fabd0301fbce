//! Text fields to typed Arrow arrays with ClickHouse's text parsing (scalars through
//! `cast_array(String -> T)`, arrays and maps through their quoted-literal form), finding
//! the rows whose text does not parse.

use std::sync::Arc;

use arrow::array::{
    make_array, new_null_array, Array, ArrayRef, BinaryArray, ListArray, MapArray, StructArray,
};
use arrow::buffer::{NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow::datatypes::DataType as ArrowType;
use granary_storage::types::DataType;

use super::fields::Fields;
use super::literal::{split_array, split_map};
use crate::error::{ErrorCode, QueryError, Result};
use crate::functions::cast::cast_array;

/// Drops the null buffer: the slots under it already hold the type's default.
fn strip_nulls(a: ArrayRef) -> Result<ArrayRef> {
    if a.null_count() == 0 && a.nulls().is_none() {
        return Ok(a);
    }
    Ok(make_array(a.to_data().into_builder().nulls(None).build()?))
}

fn literal_err(text: &[u8], ty: &DataType) -> QueryError {
    QueryError::new(
        ErrorCode::CannotParseText,
        format!(
            "Cannot parse '{}' as {ty}: expected a quoted literal",
            String::from_utf8_lossy(text)
        ),
    )
}

/// Converts `bin` to `ty`'s Arrow type; NULL texts stay NULL (stripped by the caller for
/// non-Nullable types).
fn conv(bin: &BinaryArray, ty: &DataType) -> Result<ArrayRef> {
    match ty {
        DataType::Nullable(t) => conv(bin, t),
        DataType::String => Ok(Arc::new(bin.clone())),
        DataType::LowCardinality(t) => {
            let mut v = conv(bin, t)?;
            if !t.is_nullable() {
                v = strip_nulls(v)?;
            }
            Ok(arrow::compute::cast(&v, &ty.to_arrow())?)
        }
        DataType::Array(elem) => {
            let mut elems = Fields::default();
            let mut offsets = Vec::with_capacity(bin.len() + 1);
            offsets.push(0i32);
            for i in 0..bin.len() {
                if bin.is_valid(i) {
                    split_array(bin.value(i), &mut elems)
                        .ok_or_else(|| literal_err(bin.value(i), ty))?;
                }
                offsets.push(i32::try_from(elems.len()).map_err(|_| too_big())?);
            }
            let mut vals = conv(&elems.to_binary()?, elem)?;
            if !elem.is_nullable() {
                vals = strip_nulls(vals)?;
            }
            let ArrowType::List(field) = ty.to_arrow() else {
                return Err(literal_err(b"", ty));
            };
            Ok(Arc::new(ListArray::try_new(
                field,
                OffsetBuffer::new(ScalarBuffer::from(offsets)),
                vals,
                bin.nulls().cloned(),
            )?))
        }
        DataType::Map(k, v) => {
            let mut keys = Fields::default();
            let mut values = Fields::default();
            let mut offsets = Vec::with_capacity(bin.len() + 1);
            offsets.push(0i32);
            for i in 0..bin.len() {
                if bin.is_valid(i) {
                    split_map(bin.value(i), &mut keys, &mut values)
                        .ok_or_else(|| literal_err(bin.value(i), ty))?;
                }
                offsets.push(i32::try_from(keys.len()).map_err(|_| too_big())?);
            }
            let kv = strip_nulls(conv(&keys.to_binary()?, k)?)?;
            let mut vv = conv(&values.to_binary()?, v)?;
            if !v.is_nullable() {
                vv = strip_nulls(vv)?;
            }
            let ArrowType::Map(entries, sorted) = ty.to_arrow() else {
                return Err(literal_err(b"", ty));
            };
            let ArrowType::Struct(fields) = entries.data_type().clone() else {
                return Err(literal_err(b"", ty));
            };
            let s = StructArray::try_new(fields, vec![kv, vv], None)?;
            Ok(Arc::new(MapArray::try_new(
                entries,
                OffsetBuffer::new(ScalarBuffer::from(offsets)),
                s,
                bin.nulls().cloned(),
                sorted,
            )?))
        }
        other => {
            let a: ArrayRef = match numeric_kind(other) {
                Some(unsigned) => Arc::new(fix_numbers(bin, other, unsigned)?),
                None => Arc::new(bin.clone()),
            };
            cast_array(&a, &DataType::String, other)
        }
    }
}

/// For number types: `Some(unsigned)`.
fn numeric_kind(ty: &DataType) -> Option<bool> {
    match ty {
        DataType::UInt8 | DataType::UInt16 | DataType::UInt32 | DataType::UInt64 => Some(true),
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::Float32
        | DataType::Float64
        | DataType::Decimal { .. } => Some(false),
        _ => None,
    }
}

/// ClickHouse's text forms of numbers: an empty field is 0, and a minus sign is an
/// error for unsigned types (casts would wrap it).
fn fix_numbers(bin: &BinaryArray, ty: &DataType, unsigned: bool) -> Result<BinaryArray> {
    let mut empty = false;
    for i in 0..bin.len() {
        if bin.is_null(i) {
            continue;
        }
        let v = bin.value(i);
        if unsigned && v.first() == Some(&b'-') {
            return Err(QueryError::new(
                ErrorCode::CannotParseText,
                format!(
                    "Cannot parse '{}' as {ty}: Unsigned type must not contain '-' symbol",
                    String::from_utf8_lossy(v)
                ),
            ));
        }
        empty |= v.is_empty();
    }
    if !empty {
        return Ok(bin.clone());
    }
    Ok(bin
        .iter()
        .map(|v| v.map(|v| if v.is_empty() { &b"0"[..] } else { v }))
        .collect())
}

fn too_big() -> QueryError {
    QueryError::new(
        ErrorCode::TooManyRowsOrBytes,
        "Too many array elements in one INSERT",
    )
}

/// Converts `bin` to a column of `ty` (nulls only if `ty` is Nullable).
fn convert_all(bin: &BinaryArray, ty: &DataType) -> Result<ArrayRef> {
    let a = conv(bin, ty)?;
    if ty.is_nullable() {
        Ok(a)
    } else {
        strip_nulls(a)
    }
}

/// Converts one column's fields. Returns the array (bad rows hold defaults) and the bad
/// rows (0-based) with their errors; with `first_only`, at most the first bad row is
/// found (and the array is a placeholder when there is one).
pub(crate) fn convert_column(
    f: Fields,
    ty: &DataType,
    null_as_default: bool,
    first_only: bool,
) -> Result<(ArrayRef, Vec<(usize, QueryError)>)> {
    let null_rows: Vec<usize> = if !null_as_default && !ty.is_nullable() {
        f.null_rows().collect()
    } else {
        Vec::new()
    };
    let bin = f.into_binary()?;
    let mut bad = Vec::new();
    {
        for row in null_rows {
            bad.push((
                row,
                QueryError::new(
                    ErrorCode::CannotParseInputAssertionFailed,
                    format!("Cannot parse input: unexpected NULL value of not Nullable type {ty}"),
                ),
            ));
            if first_only {
                break;
            }
        }
    }
    let first_err = match convert_all(&bin, ty) {
        Ok(a) => return Ok((a, bad)),
        Err(e) => e,
    };
    let n = bin.len();
    if n == 0 {
        return Err(first_err);
    }
    if first_only {
        // Binary search for the shortest failing prefix: its last row is the first bad one.
        let (mut lo, mut hi) = (0usize, n);
        let mut err = first_err;
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            match convert_all(&bin.slice(0, mid), ty) {
                Ok(_) => lo = mid,
                Err(e) => {
                    hi = mid;
                    err = e;
                }
            }
        }
        if let Err(e) = convert_all(&bin.slice(hi - 1, 1), ty) {
            err = e;
        }
        bad.push((hi - 1, err));
        bad.sort_by_key(|(r, _)| *r);
        bad.truncate(1);
        return Ok((new_null_array(&ty.to_arrow(), n), bad));
    }
    let mut valid = Vec::with_capacity(n);
    for i in 0..n {
        match convert_all(&bin.slice(i, 1), ty) {
            Ok(_) => valid.push(true),
            Err(e) => {
                bad.push((i, e));
                valid.push(false);
            }
        }
    }
    let nulls = NullBuffer::union(bin.nulls(), Some(&NullBuffer::from(valid)));
    let masked = BinaryArray::try_new(bin.offsets().clone(), bin.values().clone(), nulls)?;
    Ok((convert_all(&masked, ty)?, bad))
}
