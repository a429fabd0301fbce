//! Reading one cell of a result for the output formats: NULL and dictionary resolution, the
//! unescaped ("raw") text ClickHouse's `serializeText` gives, and type classification.

use arrow::array::{Array, AsArray};
use arrow::datatypes::{self as adt, DataType as ArrowType};
use granary_storage::types::DataType;

use crate::format::write_tsv_value;

/// The type with `Nullable` and `LowCardinality` wrappers removed.
pub fn base(ty: &DataType) -> &DataType {
    match ty {
        DataType::Nullable(t)
        | DataType::LowCardinality(t)
        | DataType::SimpleAggregateFunction(_, t) => base(t),
        // A state prints as its raw bytes, escaped as a String (ClickHouse does the same;
        // the bytes themselves are Granary's, see aggregates/STATES.md).
        DataType::AggregateFunction(_) => &DataType::String,
        other => other,
    }
}

/// Resolves `array[row]` to the array and row that hold its value (following a dictionary)
/// and the type without wrappers; `None` when the value is NULL.
pub fn resolve<'a>(
    array: &'a dyn Array,
    row: usize,
    ty: &'a DataType,
) -> Option<(&'a dyn Array, usize, &'a DataType)> {
    if row >= array.len() || matches!(array.data_type(), ArrowType::Null) {
        return None;
    }
    if let Some(dict) = array.as_any_dictionary_opt() {
        if dict.keys().is_null(row) {
            return None;
        }
        let key = int_value(dict.keys(), row).and_then(|k| usize::try_from(k).ok())?;
        return resolve(dict.values().as_ref(), key, ty);
    }
    if array.is_null(row) {
        return None;
    }
    Some((array, row, base(ty)))
}

/// An integer array's value, widened.
pub fn int_value(array: &dyn Array, row: usize) -> Option<i128> {
    Some(match array.data_type() {
        ArrowType::UInt8 => array.as_primitive::<adt::UInt8Type>().value(row) as i128,
        ArrowType::UInt16 => array.as_primitive::<adt::UInt16Type>().value(row) as i128,
        ArrowType::UInt32 => array.as_primitive::<adt::UInt32Type>().value(row) as i128,
        ArrowType::UInt64 => array.as_primitive::<adt::UInt64Type>().value(row) as i128,
        ArrowType::Int8 => array.as_primitive::<adt::Int8Type>().value(row) as i128,
        ArrowType::Int16 => array.as_primitive::<adt::Int16Type>().value(row) as i128,
        ArrowType::Int32 => array.as_primitive::<adt::Int32Type>().value(row) as i128,
        ArrowType::Int64 => array.as_primitive::<adt::Int64Type>().value(row) as i128,
        _ => return None,
    })
}

/// A float array's value.
pub fn float_value(array: &dyn Array, row: usize) -> Option<f64> {
    Some(match array.data_type() {
        ArrowType::Float64 => array.as_primitive::<adt::Float64Type>().value(row),
        ArrowType::Float32 => array.as_primitive::<adt::Float32Type>().value(row) as f64,
        _ => return None,
    })
}

/// The bytes of a string-like array's value.
pub fn string_bytes(array: &dyn Array, row: usize) -> Option<&[u8]> {
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

/// The ClickHouse type of a column, guessed from the Arrow type when the plan gave none.
pub fn effective_type(array: &dyn Array, ty: &DataType) -> DataType {
    if !matches!(base(ty), DataType::Nothing) {
        return ty.clone();
    }
    let arrow = match array.data_type() {
        ArrowType::Dictionary(_, v) => v.as_ref().clone(),
        other => other.clone(),
    };
    match arrow {
        ArrowType::UInt8 => DataType::UInt8,
        ArrowType::UInt16 => DataType::UInt16,
        ArrowType::UInt32 => DataType::UInt32,
        ArrowType::UInt64 => DataType::UInt64,
        ArrowType::Int8 => DataType::Int8,
        ArrowType::Int16 => DataType::Int16,
        ArrowType::Int32 => DataType::Int32,
        ArrowType::Int64 => DataType::Int64,
        ArrowType::Float32 => DataType::Float32,
        ArrowType::Float64 => DataType::Float64,
        ArrowType::Boolean => DataType::Bool,
        ArrowType::Binary
        | ArrowType::LargeBinary
        | ArrowType::Utf8
        | ArrowType::LargeUtf8
        | ArrowType::BinaryView
        | ArrowType::Utf8View => DataType::String,
        _ => ty.clone(),
    }
}

/// Appends `array[row]` as ClickHouse's `serializeText` writes it (strings unescaped, other
/// values as in TabSeparated). Returns false, writing nothing, for NULL.
pub fn write_raw(array: &dyn Array, row: usize, ty: &DataType, out: &mut Vec<u8>) -> bool {
    let Some((a, r, t)) = resolve(array, row, ty) else {
        return false;
    };
    if matches!(t, DataType::String | DataType::FixedString(_)) || is_string_arrow(a, t) {
        if let Some(bytes) = string_bytes(a, r) {
            out.extend_from_slice(bytes);
            return true;
        }
    }
    write_tsv_value(a, r, t, out);
    true
}

fn is_string_arrow(a: &dyn Array, t: &DataType) -> bool {
    matches!(t, DataType::Nothing)
        && matches!(
            a.data_type(),
            ArrowType::Binary | ArrowType::LargeBinary | ArrowType::Utf8 | ArrowType::LargeUtf8
        )
}

/// Whether a type is a native number (integers and floats).
pub fn is_native_number(ty: &DataType) -> bool {
    matches!(
        base(ty),
        DataType::UInt8
            | DataType::UInt16
            | DataType::UInt32
            | DataType::UInt64
            | DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::Int64
            | DataType::Float32
            | DataType::Float64
    )
}

/// Whether the Pretty formats right-align the type (numbers, decimals, dates and times).
pub fn align_right(ty: &DataType) -> bool {
    is_native_number(ty)
        || matches!(
            base(ty),
            DataType::Decimal { .. }
                | DataType::Date
                | DataType::Date32
                | DataType::DateTime(_)
                | DataType::DateTime64(..)
        )
}

/// Whether CSV prints the type without quotes (numbers, decimals and booleans).
pub fn csv_bare(ty: &DataType) -> bool {
    is_native_number(ty) || matches!(base(ty), DataType::Decimal { .. } | DataType::Bool)
}
