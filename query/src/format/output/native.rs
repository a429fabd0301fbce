//! The Native format: ClickHouse's column-oriented blocks (`NativeWriter`). Each block is
//! LEB128 column count, LEB128 row count, then per column its name, its type name and the
//! whole column (`serializeBinaryBulk`, with the state prefixes of LowCardinality first).
//!
//! With `client_protocol_version` N > 0 each block starts with a BlockInfo, for N >= 54454
//! every column type is followed by a "custom serialization" flag (always 0 here), for
//! 0 < N < 54405 LowCardinality is sent as its plain nested type, and for N < 54337 (plain
//! HTTP is N = 0) a `DateTime('tz')` column is named `DateTime`, all as ClickHouse does.
//! A result without rows is an empty body. LowCardinality columns are written with a
//! dictionary per block holding the block's distinct values in order of first appearance
//! after the default (and, for `LowCardinality(Nullable(T))`, the NULL placeholder).

use std::collections::HashMap;

use arrow::array::{Array, AsArray};
use granary_storage::types::DataType;

use super::rowbinary::{
    dictionary_row, is_null, normalize, write_default, write_scalar, write_string, write_value,
    write_var_uint,
};
use crate::error::Result;
use crate::session::QueryOutput;

/// First protocol revision whose clients understand LowCardinality
/// (`DBMS_MIN_REVISION_WITH_LOW_CARDINALITY_TYPE`).
const REVISION_WITH_LOW_CARDINALITY: u64 = 54405;
/// First protocol revision with the per-column custom serialization flag
/// (`DBMS_MIN_REVISION_WITH_CUSTOM_SERIALIZATION`).
const REVISION_WITH_CUSTOM_SERIALIZATION: u64 = 54454;
/// First protocol revision that keeps the time zone in `DateTime('tz')` type names.
const REVISION_WITH_DATETIME_TZ: u64 = 54337;

/// LowCardinality serialization version "shared dictionaries with additional keys".
const LC_VERSION: u64 = 1;
/// LowCardinality index flags: the block carries its own (additional) keys and the
/// dictionary must be updated.
const LC_HAS_ADDITIONAL_KEYS: u64 = 1 << 9;
const LC_NEED_UPDATE_DICTIONARY: u64 = 1 << 10;

/// Writes `out` as Native blocks, one per non-empty batch.
pub(super) fn write_native(
    out: &QueryOutput,
    types: &[DataType],
    client_revision: u64,
    buf: &mut Vec<u8>,
) -> Result<()> {
    let types: Vec<DataType> = types
        .iter()
        .map(|t| wire_type(t, client_revision))
        .collect();
    for batch in &out.batches {
        if batch.num_rows() == 0 || batch.num_columns() < types.len() {
            continue;
        }
        if client_revision > 0 {
            // BlockInfo: field 1 is_overflows = false, field 2 bucket_num = -1, end.
            buf.extend_from_slice(&[1, 0, 2, 0xff, 0xff, 0xff, 0xff, 0]);
        }
        write_var_uint(types.len() as u64, buf);
        write_var_uint(batch.num_rows() as u64, buf);
        for (((name, _), ty), array) in out.columns.iter().zip(&types).zip(batch.columns()) {
            write_string(name.as_bytes(), buf);
            write_string(type_name(ty, client_revision).as_bytes(), buf);
            if client_revision >= REVISION_WITH_CUSTOM_SERIALIZATION {
                buf.push(0);
            }
            let array = normalize(array, ty)?;
            write_prefix(ty, buf);
            write_column(array.as_ref(), ty, buf);
        }
    }
    Ok(())
}

/// The type as sent to a client of `revision` (LowCardinality removed for old ones).
fn wire_type(ty: &DataType, revision: u64) -> DataType {
    if revision == 0 || revision >= REVISION_WITH_LOW_CARDINALITY {
        return ty.clone();
    }
    match ty {
        DataType::LowCardinality(t) => wire_type(t, revision),
        DataType::Nullable(t) => DataType::Nullable(Box::new(wire_type(t, revision))),
        DataType::Array(t) => DataType::Array(Box::new(wire_type(t, revision))),
        DataType::Map(k, v) => DataType::Map(
            Box::new(wire_type(k, revision)),
            Box::new(wire_type(v, revision)),
        ),
        other => other.clone(),
    }
}

/// The type name as sent to a client of `revision`.
fn type_name(ty: &DataType, revision: u64) -> String {
    let name = ty.to_string();
    if revision < REVISION_WITH_DATETIME_TZ && name.starts_with("DateTime(") {
        return "DateTime".into();
    }
    name
}

/// The serialization state prefixes (`serializeBinaryBulkStatePrefix`): the LowCardinality
/// version of every LowCardinality inside `ty`, depth first.
fn write_prefix(ty: &DataType, buf: &mut Vec<u8>) {
    match ty {
        DataType::LowCardinality(_) => buf.extend_from_slice(&LC_VERSION.to_le_bytes()),
        DataType::Nullable(t) | DataType::Array(t) => write_prefix(t, buf),
        DataType::Map(k, v) => {
            write_prefix(k, buf);
            write_prefix(v, buf);
        }
        _ => {}
    }
}

/// Appends the whole column `array` of type `ty` (`serializeBinaryBulk`).
fn write_column(array: &dyn Array, ty: &DataType, buf: &mut Vec<u8>) {
    let rows = array.len();
    match ty {
        DataType::Nullable(inner) => {
            buf.extend((0..rows).map(|r| is_null(array, r) as u8));
            write_column(array, inner, buf);
        }
        DataType::LowCardinality(inner) => write_low_cardinality(array, inner, buf),
        DataType::Array(inner) => {
            let Some(list) = array.as_list_opt::<i32>() else {
                buf.resize(buf.len() + 8 * rows, 0);
                return;
            };
            let offsets = list.value_offsets();
            let first = offsets.first().copied().unwrap_or(0);
            let last = offsets.last().copied().unwrap_or(0);
            for o in &offsets[1..] {
                buf.extend_from_slice(&((o - first) as u64).to_le_bytes());
            }
            let values = list.values().slice(first as usize, (last - first) as usize);
            write_column(values.as_ref(), inner, buf);
        }
        DataType::Map(k, v) => {
            let Some(map) = array.as_map_opt() else {
                buf.resize(buf.len() + 8 * rows, 0);
                return;
            };
            let offsets = map.value_offsets();
            let first = offsets.first().copied().unwrap_or(0);
            let last = offsets.last().copied().unwrap_or(0);
            for o in &offsets[1..] {
                buf.extend_from_slice(&((o - first) as u64).to_le_bytes());
            }
            let len = (last - first) as usize;
            write_column(map.keys().slice(first as usize, len).as_ref(), k, buf);
            write_column(map.values().slice(first as usize, len).as_ref(), v, buf);
        }
        // ClickHouse's SerializationNothing writes one '0' per row.
        DataType::Nothing => buf.resize(buf.len() + rows, b'0'),
        scalar => {
            for r in 0..rows {
                write_scalar(array, r, scalar, buf);
            }
        }
    }
}

/// The body of a LowCardinality column: index flags, the block's dictionary, the indexes.
fn write_low_cardinality(array: &dyn Array, inner: &DataType, buf: &mut Vec<u8>) {
    let rows = array.len();
    if rows == 0 {
        return;
    }
    let nullable = inner.is_nullable();
    let value_type = match inner {
        DataType::Nullable(t) => t.as_ref(),
        t => t,
    };
    let mut default = Vec::new();
    write_default(value_type, &mut default);
    let mut dictionary = Vec::new();
    let mut count = 0u64;
    if nullable {
        dictionary.extend_from_slice(&default);
        count += 1;
    }
    let mut positions: HashMap<Vec<u8>, u64> = HashMap::new();
    dictionary.extend_from_slice(&default);
    positions.insert(default, count);
    count += 1;
    let mut indexes = Vec::with_capacity(rows);
    let mut value = Vec::new();
    for r in 0..rows {
        if nullable && is_null(array, r) {
            indexes.push(0);
            continue;
        }
        value.clear();
        match dictionary_row(array, r) {
            Some((values, key)) => write_value(values, key, value_type, &mut value),
            None if array.as_any_dictionary_opt().is_some() => {
                write_default(value_type, &mut value)
            }
            None => write_value(array, r, value_type, &mut value),
        }
        let index = match positions.get(&value) {
            Some(i) => *i,
            None => {
                dictionary.extend_from_slice(&value);
                positions.insert(value.clone(), count);
                count += 1;
                count - 1
            }
        };
        indexes.push(index);
    }
    let (key_type, width) = match count {
        0..=0x100 => (0u64, 1),
        0x101..=0x1_0000 => (1, 2),
        0x1_0001..=0x1_0000_0000 => (2, 4),
        _ => (3, 8),
    };
    let flags = key_type | LC_HAS_ADDITIONAL_KEYS | LC_NEED_UPDATE_DICTIONARY;
    buf.extend_from_slice(&flags.to_le_bytes());
    buf.extend_from_slice(&count.to_le_bytes());
    buf.extend_from_slice(&dictionary);
    buf.extend_from_slice(&(rows as u64).to_le_bytes());
    for i in indexes {
        buf.extend_from_slice(&i.to_le_bytes()[..width]);
    }
}
