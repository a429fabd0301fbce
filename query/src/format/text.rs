//! One value as text: TabSeparated (top level) and quoted (inside arrays, maps, tuples).
//!
//! The ClickHouse type says what a value means (a `UInt16` array may hold `Date`s); the
//! Arrow array says how it is stored (see `granary_storage::types`). Integers and floats are
//! printed by their Arrow type, so an engine that widened a column still prints right.

use std::io::Write;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{self as adt, DataType as ArrowType};
use granary_storage::types::DataType;

use super::datetime::{write_date, write_datetime, write_datetime64};
use super::number::{write_decimal, write_f32, write_f64};

/// Appends `array[row]` of ClickHouse type `ty` as ClickHouse's TabSeparated format prints
/// it: `\N` for NULL, strings escaped (`\t`, `\n`, `\\`, `\'`, `\b`, `\f`, `\r`, `\0`),
/// arrays and maps in quoted-literal syntax (`[1,'a']`, `{'k':1}`).
pub fn write_tsv_value(array: &dyn Array, row: usize, ty: &DataType, out: &mut Vec<u8>) {
    write_value(array, row, ty, false, out);
}

/// Appends `array[row]` as a quoted literal, as ClickHouse prints it inside an array or in
/// the Values format: strings, dates and UUIDs in single quotes, NULL as `NULL`.
pub fn write_quoted_value(array: &dyn Array, row: usize, ty: &DataType, out: &mut Vec<u8>) {
    write_value(array, row, ty, true, out);
}

/// Appends all rows of `batches` in TabSeparated: values separated by tabs, each row ended
/// by a newline. `types` gives each column's ClickHouse type.
pub fn write_tsv(batches: &[RecordBatch], types: &[DataType], out: &mut Vec<u8>) {
    for batch in batches {
        for row in 0..batch.num_rows() {
            for (c, col) in batch.columns().iter().enumerate() {
                if c > 0 {
                    out.push(b'\t');
                }
                // No ClickHouse type given: print by the Arrow type.
                let ty = types.get(c).cloned().unwrap_or(DataType::Nothing);
                write_tsv_value(col.as_ref(), row, &ty, out);
            }
            out.push(b'\n');
        }
    }
}

/// [`write_tsv`] into a string (bytes that are not UTF-8 are replaced).
pub fn format_tsv(batches: &[RecordBatch], types: &[DataType]) -> String {
    let mut out = Vec::new();
    write_tsv(batches, types, &mut out);
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Appends `bytes` with ClickHouse's escaping (TabSeparated and quoted strings share it).
pub fn write_escaped(bytes: &[u8], out: &mut Vec<u8>) {
    for &b in bytes {
        let esc = match b {
            b'\t' => b't',
            b'\n' => b'n',
            b'\\' => b'\\',
            b'\'' => b'\'',
            0x08 => b'b',
            0x0c => b'f',
            b'\r' => b'r',
            0 => b'0',
            _ => {
                out.push(b);
                continue;
            }
        };
        out.push(b'\\');
        out.push(esc);
    }
}

/// Appends a UUID held as 16 big-endian bytes in its canonical 8-4-4-4-12 form.
pub fn write_uuid(bytes: &[u8], out: &mut Vec<u8>) {
    for (i, b) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push(b'-');
        }
        let _ = write!(out, "{b:02x}");
    }
}

fn quoted(quote: bool, out: &mut Vec<u8>, f: impl FnOnce(&mut Vec<u8>)) {
    if quote {
        out.push(b'\'');
    }
    f(out);
    if quote {
        out.push(b'\'');
    }
}

fn write_value(array: &dyn Array, row: usize, ty: &DataType, quote: bool, out: &mut Vec<u8>) {
    if row >= array.len() {
        return;
    }
    // LowCardinality: print the dictionary value the key points at.
    if let Some(dict) = array.as_any_dictionary_opt() {
        let inner = match ty {
            DataType::LowCardinality(t) => t.as_ref(),
            other => other,
        };
        if dict.keys().is_null(row) {
            return write_null(quote, out);
        }
        let key = dictionary_key(dict.keys(), row);
        return match key {
            Some(k) => write_value(dict.values().as_ref(), k, inner, quote, out),
            None => write_null(quote, out),
        };
    }
    if array.is_null(row) || matches!(array.data_type(), ArrowType::Null) {
        return write_null(quote, out);
    }
    match ty {
        DataType::Nullable(t)
        | DataType::LowCardinality(t)
        | DataType::SimpleAggregateFunction(_, t) => write_value(array, row, t, quote, out),
        DataType::String | DataType::FixedString(_) | DataType::AggregateFunction(_) => {
            match binary_value(array, row) {
                Some(bytes) => quoted(quote, out, |o| write_escaped(bytes, o)),
                None => write_by_arrow(array, row, quote, out),
            }
        }
        DataType::Uuid => match array.as_fixed_size_binary_opt() {
            Some(a) if a.value_length() == 16 => {
                quoted(quote, out, |o| write_uuid(a.value(row), o))
            }
            _ => write_by_arrow(array, row, quote, out),
        },
        DataType::Date | DataType::Date32 => match integer_value(array, row) {
            Some(days) => quoted(quote, out, |o| write_date(days as i64, o)),
            None => write_by_arrow(array, row, quote, out),
        },
        DataType::DateTime(tz) => match integer_value(array, row) {
            Some(secs) => quoted(quote, out, |o| {
                write_datetime(secs as i64, tz.as_deref(), o)
            }),
            None => write_by_arrow(array, row, quote, out),
        },
        DataType::DateTime64(p, tz) => match integer_value(array, row) {
            Some(ticks) => quoted(quote, out, |o| {
                write_datetime64(ticks as i64, *p, tz.as_deref(), o)
            }),
            None => write_by_arrow(array, row, quote, out),
        },
        DataType::Bool => match array.as_boolean_opt() {
            Some(a) => out.extend_from_slice(if a.value(row) { b"true" } else { b"false" }),
            None => match integer_value(array, row) {
                Some(v) => out.extend_from_slice(if v != 0 { b"true" } else { b"false" }),
                None => write_by_arrow(array, row, quote, out),
            },
        },
        DataType::Array(inner) => write_list(array, row, inner, out),
        DataType::Map(k, v) => write_map(array, row, k, v, out),
        _ => write_by_arrow(array, row, quote, out),
    }
}

fn write_null(quote: bool, out: &mut Vec<u8>) {
    out.extend_from_slice(if quote { b"NULL" } else { b"\\N" });
}

fn dictionary_key(keys: &dyn Array, row: usize) -> Option<usize> {
    integer_value(keys, row).and_then(|k| usize::try_from(k).ok())
}

/// The value of an integer (or Date32) array as i128.
fn integer_value(array: &dyn Array, row: usize) -> Option<i128> {
    match array.data_type() {
        ArrowType::Date32 => Some(array.as_primitive::<adt::Date32Type>().value(row) as i128),
        _ => super::output::value::int_value(array, row),
    }
}

/// The bytes of a string-like array's value.
fn binary_value(array: &dyn Array, row: usize) -> Option<&[u8]> {
    Some(match array.data_type() {
        ArrowType::Binary => array.as_binary::<i32>().value(row),
        ArrowType::LargeBinary => array.as_binary::<i64>().value(row),
        ArrowType::Utf8 => array.as_string::<i32>().value(row).as_bytes(),
        ArrowType::LargeUtf8 => array.as_string::<i64>().value(row).as_bytes(),
        ArrowType::BinaryView => array.as_binary_view().value(row),
        ArrowType::Utf8View => array.as_string_view().value(row).as_bytes(),
        ArrowType::FixedSizeBinary(_) => array.as_fixed_size_binary().value(row),
        _ => return None,
    })
}

/// Prints by the Arrow type alone: numbers, decimals, strings, lists, maps, structs.
fn write_by_arrow(array: &dyn Array, row: usize, quote: bool, out: &mut Vec<u8>) {
    match array.data_type() {
        ArrowType::Float64 => write_f64(array.as_primitive::<adt::Float64Type>().value(row), out),
        ArrowType::Float32 => write_f32(array.as_primitive::<adt::Float32Type>().value(row), out),
        ArrowType::Boolean => out.extend_from_slice(if array.as_boolean().value(row) {
            b"true"
        } else {
            b"false"
        }),
        ArrowType::Decimal128(_, s) => {
            let v = array.as_primitive::<adt::Decimal128Type>().value(row);
            write_decimal(&v.to_string(), (*s).max(0) as usize, out)
        }
        ArrowType::Decimal256(_, s) => {
            let v = array.as_primitive::<adt::Decimal256Type>().value(row);
            write_decimal(&v.to_string(), (*s).max(0) as usize, out)
        }
        ArrowType::List(f) | ArrowType::LargeList(f) => {
            let inner = DataType::parse(&guess_type(f.data_type())).unwrap_or(DataType::Nothing);
            write_list(array, row, &inner, out)
        }
        ArrowType::Map(..) => write_map(array, row, &DataType::Nothing, &DataType::Nothing, out),
        ArrowType::Struct(_) => {
            let s = array.as_struct();
            out.push(b'(');
            for (i, c) in s.columns().iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(c.as_ref(), row, &DataType::Nothing, true, out);
            }
            out.push(b')');
        }
        _ => {
            if let Some(v) = integer_value(array, row) {
                let _ = write!(out, "{v}");
            } else if let Some(bytes) = binary_value(array, row) {
                quoted(quote, out, |o| write_escaped(bytes, o));
            } else {
                // Anything else: Arrow's own rendering.
                let text =
                    arrow::util::display::array_value_to_string(array, row).unwrap_or_default();
                quoted(quote, out, |o| write_escaped(text.as_bytes(), o));
            }
        }
    }
}

/// A ClickHouse type name for an Arrow type, for nested values printed without one.
fn guess_type(t: &ArrowType) -> String {
    match t {
        ArrowType::Binary | ArrowType::Utf8 | ArrowType::LargeUtf8 | ArrowType::LargeBinary => {
            "String".into()
        }
        _ => "Nothing".into(),
    }
}

fn write_list(array: &dyn Array, row: usize, inner: &DataType, out: &mut Vec<u8>) {
    let values = match array.data_type() {
        ArrowType::List(_) => array.as_list::<i32>().value(row),
        ArrowType::LargeList(_) => array.as_list::<i64>().value(row),
        ArrowType::FixedSizeList(..) => array.as_fixed_size_list().value(row),
        _ => return write_by_arrow_scalar(array, row, out),
    };
    out.push(b'[');
    for i in 0..values.len() {
        if i > 0 {
            out.push(b',');
        }
        write_value(values.as_ref(), i, inner, true, out);
    }
    out.push(b']');
}

fn write_map(array: &dyn Array, row: usize, k: &DataType, v: &DataType, out: &mut Vec<u8>) {
    let Some(map) = array.as_map_opt() else {
        return write_by_arrow_scalar(array, row, out);
    };
    let entries = map.value(row);
    out.push(b'{');
    for i in 0..entries.len() {
        if i > 0 {
            out.push(b',');
        }
        write_value(entries.column(0).as_ref(), i, k, true, out);
        out.push(b':');
        write_value(entries.column(1).as_ref(), i, v, true, out);
    }
    out.push(b'}');
}

fn write_by_arrow_scalar(array: &dyn Array, row: usize, out: &mut Vec<u8>) {
    let text = arrow::util::display::array_value_to_string(array, row).unwrap_or_default();
    write_escaped(text.as_bytes(), out);
}
