//! The RowBinary family (`RowBinary`, `RowBinaryWithNames`, `RowBinaryWithNamesAndTypes`)
//! and the value encoding it shares with Native: ClickHouse's `serializeBinary` of one
//! value, little-endian, strings as LEB128 length + bytes.

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::datatypes::{self as adt, DataType as ArrowType};
use granary_storage::types::{decimal_width, DataType};

use crate::error::{ErrorCode, QueryError, Result};
use crate::session::QueryOutput;

/// Appends `v` as an unsigned LEB128 number (ClickHouse's `writeVarUInt`).
pub fn write_var_uint(mut v: u64, out: &mut Vec<u8>) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// Appends a length-prefixed byte string (ClickHouse's `writeStringBinary`).
pub fn write_string(bytes: &[u8], out: &mut Vec<u8>) {
    write_var_uint(bytes.len() as u64, out);
    out.extend_from_slice(bytes);
}

/// `array` converted to the Arrow type that carries `ty`, so the encoders can rely on it.
///
/// Errors: 49 LOGICAL_ERROR if the array cannot be converted (a planner bug).
pub fn normalize(array: &ArrayRef, ty: &DataType) -> Result<ArrayRef> {
    let want = ty.to_arrow();
    if array.data_type() == &want {
        return Ok(array.clone());
    }
    arrow::compute::cast(array, &want).map_err(|e| {
        QueryError::new(
            ErrorCode::LogicalError,
            format!(
                "Cannot write a column of Arrow type {} as {ty}: {e}",
                array.data_type()
            ),
        )
    })
}

/// Whether `array[row]` is NULL, looking through a dictionary to its values.
pub fn is_null(array: &dyn Array, row: usize) -> bool {
    if matches!(array.data_type(), ArrowType::Null) || array.is_null(row) {
        return true;
    }
    match dictionary_row(array, row) {
        Some((values, key)) => values.is_null(key),
        None => false,
    }
}

/// For a dictionary array: its values and the values' row that `row` points to.
pub fn dictionary_row(array: &dyn Array, row: usize) -> Option<(&dyn Array, usize)> {
    let dict = array.as_any_dictionary_opt()?;
    if dict.keys().is_null(row) {
        return None;
    }
    let key = super::value::int_value(dict.keys(), row).and_then(|k| usize::try_from(k).ok())?;
    let values = dict.values().as_ref();
    (key < values.len()).then_some((values, key))
}

/// Appends the default value of a scalar type (zeros; an empty string).
pub fn write_default(ty: &DataType, out: &mut Vec<u8>) {
    match ty {
        DataType::String => out.push(0),
        DataType::Nullable(t) | DataType::LowCardinality(t) => write_default(t, out),
        t => {
            let n = t.fixed_width().unwrap_or(0);
            out.resize(out.len() + n, 0);
        }
    }
}

/// Appends `array[row]` of scalar type `ty` (no Nullable/LowCardinality/Array/Map
/// wrapper); a NULL slot is written as the type's default. `array` has `ty`'s Arrow type.
pub fn write_scalar(array: &dyn Array, row: usize, ty: &DataType, out: &mut Vec<u8>) {
    if is_null(array, row) {
        write_default(ty, out);
        return;
    }
    macro_rules! prim {
        ($t:ty) => {
            out.extend_from_slice(&array.as_primitive::<$t>().value(row).to_le_bytes())
        };
    }
    match (array.data_type(), ty) {
        (ArrowType::UInt8, _) => prim!(adt::UInt8Type),
        (ArrowType::UInt16, _) => prim!(adt::UInt16Type),
        (ArrowType::UInt32, _) => prim!(adt::UInt32Type),
        (ArrowType::UInt64, _) => prim!(adt::UInt64Type),
        (ArrowType::Int8, _) => prim!(adt::Int8Type),
        (ArrowType::Int16, _) => prim!(adt::Int16Type),
        (ArrowType::Int32, _) => prim!(adt::Int32Type),
        (ArrowType::Int64, _) => prim!(adt::Int64Type),
        (ArrowType::Float32, _) => prim!(adt::Float32Type),
        (ArrowType::Float64, _) => prim!(adt::Float64Type),
        (ArrowType::Boolean, _) => out.push(array.as_boolean().value(row) as u8),
        (ArrowType::Decimal128(p, _), _) => {
            let v = array.as_primitive::<adt::Decimal128Type>().value(row);
            out.extend_from_slice(&v.to_le_bytes()[..decimal_width(*p).min(16)]);
        }
        (ArrowType::Decimal256(..), _) => {
            let v = array.as_primitive::<adt::Decimal256Type>().value(row);
            out.extend_from_slice(&v.to_le_bytes());
        }
        (_, DataType::Uuid) => {
            let b = super::value::string_bytes(array, row).unwrap_or_default();
            let mut u = [0u8; 16];
            let n = b.len().min(16);
            u[..n].copy_from_slice(&b[..n]);
            // ClickHouse stores a UUID as two little-endian UInt64, high half first.
            u[..8].reverse();
            u[8..].reverse();
            out.extend_from_slice(&u);
        }
        (_, DataType::FixedString(n)) => {
            let b = super::value::string_bytes(array, row).unwrap_or_default();
            let k = b.len().min(*n);
            out.extend_from_slice(&b[..k]);
            out.resize(out.len() + (n - k), 0);
        }
        _ => match super::value::string_bytes(array, row) {
            Some(b) => write_string(b, out),
            None => write_default(ty, out),
        },
    }
}

/// Appends `array[row]` of type `ty` as RowBinary writes a value (ClickHouse's
/// `serializeBinary`). `array` has `ty`'s Arrow type (see [`normalize`]).
pub fn write_value(array: &dyn Array, row: usize, ty: &DataType, out: &mut Vec<u8>) {
    match ty {
        DataType::Nullable(inner) => {
            if is_null(array, row) {
                out.push(1);
            } else {
                out.push(0);
                write_value(array, row, inner, out);
            }
        }
        DataType::LowCardinality(inner) => match dictionary_row(array, row) {
            Some((values, key)) => write_value(values, key, inner, out),
            None if inner.is_nullable() => out.push(1),
            None if array.as_any_dictionary_opt().is_some() => write_default(inner, out),
            None => write_value(array, row, inner, out),
        },
        DataType::Array(inner) => {
            let Some(list) = array.as_list_opt::<i32>() else {
                out.push(0);
                return;
            };
            let offsets = list.value_offsets();
            let (start, end) = (offsets[row] as usize, offsets[row + 1] as usize);
            let len = if list.is_null(row) { 0 } else { end - start };
            write_var_uint(len as u64, out);
            for i in start..start + len {
                write_value(list.values().as_ref(), i, inner, out);
            }
        }
        DataType::Map(k, v) => {
            let Some(map) = array.as_map_opt() else {
                out.push(0);
                return;
            };
            let offsets = map.value_offsets();
            let (start, end) = (offsets[row] as usize, offsets[row + 1] as usize);
            let len = if map.is_null(row) { 0 } else { end - start };
            write_var_uint(len as u64, out);
            for i in start..start + len {
                write_value(map.keys().as_ref(), i, k, out);
                write_value(map.values().as_ref(), i, v, out);
            }
        }
        DataType::Nothing => {}
        scalar => write_scalar(array, row, scalar, out),
    }
}

/// Writes `out` as RowBinary, with the names / types header when asked.
pub(super) fn write_row_binary(
    out: &QueryOutput,
    types: &[DataType],
    names: bool,
    with_types: bool,
    buf: &mut Vec<u8>,
) -> Result<()> {
    if names {
        write_var_uint(out.columns.len() as u64, buf);
        for (n, _) in &out.columns {
            write_string(n.as_bytes(), buf);
        }
    }
    if with_types {
        for t in types {
            write_string(t.to_string().as_bytes(), buf);
        }
    }
    for batch in &out.batches {
        let cols = batch
            .columns()
            .iter()
            .zip(types)
            .map(|(a, t)| normalize(a, t))
            .collect::<Result<Vec<_>>>()?;
        if cols.len() < types.len() {
            continue;
        }
        for r in 0..batch.num_rows() {
            for (a, t) in cols.iter().zip(types) {
                write_value(a.as_ref(), r, t, buf);
            }
        }
    }
    Ok(())
}
