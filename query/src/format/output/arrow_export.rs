//! Result columns as the Arrow arrays ClickHouse's Arrow and Parquet writers produce (the
//! mapping of ClickHouse 26.9's `CHColumnToArrowColumn`): strings as `Utf8` (or `Binary`
//! without `string_as_string`), Date as `date32`, DateTime as `uint32` in Arrow and
//! `timestamp[ms, UTC]` in Parquet, DateTime64 as a timestamp of the matching unit,
//! LowCardinality as plain values (or a dictionary when asked, Arrow only), UUID as
//! `fixed_size_binary(16)` marked with the `arrow.uuid` extension, Nullable as nullable
//! fields, Array as `list`, Map as `map`.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{
    new_null_array, Array, ArrayRef, AsArray, BinaryArray, DictionaryArray, Int64Array, ListArray,
    MapArray, StringArray, StructArray,
};
use arrow::datatypes::{DataType as ArrowType, Field, Fields, Int32Type, Schema, TimeUnit};
use arrow::record_batch::RecordBatch;
use granary_storage::types::DataType;

use super::value::effective_type;
use crate::error::{ErrorCode, QueryError, Result};
use crate::session::QueryOutput;

/// How the export maps types.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ExportOptions {
    /// Strings as `Utf8` rather than `Binary`.
    pub string_as_string: bool,
    /// LowCardinality as dictionary arrays (Arrow only).
    pub low_cardinality_as_dictionary: bool,
    /// Parquet's variant of the mapping (DateTime as timestamps, compliant list names).
    pub parquet: bool,
}

/// The time zone written for DateTime64 columns without one (the server's).
const SERVER_TIMEZONE: &str = "UTC";

/// The schema and batches of `out` as ClickHouse exports them.
pub(crate) fn export(
    out: &QueryOutput,
    opts: ExportOptions,
) -> Result<(Arc<Schema>, Vec<RecordBatch>)> {
    let types: Vec<DataType> = out
        .columns
        .iter()
        .enumerate()
        .map(
            |(i, (_, t))| match out.batches.iter().find(|b| b.num_columns() > i) {
                Some(b) => effective_type(b.column(i).as_ref(), t),
                None => t.clone(),
            },
        )
        .collect();
    let fields: Vec<Field> = out
        .columns
        .iter()
        .zip(&types)
        .map(|((name, _), ty)| export_field(name, ty, opts))
        .collect();
    let schema = Arc::new(Schema::new(fields));
    let mut batches = Vec::with_capacity(out.batches.len());
    for batch in &out.batches {
        if batch.num_rows() == 0 {
            continue;
        }
        let mut arrays = Vec::with_capacity(types.len());
        for (i, ty) in types.iter().enumerate() {
            let array = match batch.columns().get(i) {
                Some(a) => export_array(a, ty, opts)?,
                None => new_null_array(&export_type(ty, opts), batch.num_rows()),
            };
            arrays.push(array);
        }
        batches.push(RecordBatch::try_new(schema.clone(), arrays).map_err(internal)?);
    }
    Ok((schema, batches))
}

fn internal(e: arrow::error::ArrowError) -> QueryError {
    QueryError::new(
        ErrorCode::LogicalError,
        format!("Cannot convert a column for Arrow output: {e}"),
    )
}

/// The exported field of a column named `name` of type `ty`.
pub(crate) fn export_field(name: &str, ty: &DataType, opts: ExportOptions) -> Field {
    let field = Field::new(name, export_type(ty, opts), ty.is_nullable());
    if matches!(ty.base(), DataType::Uuid) {
        let meta = HashMap::from([
            ("ARROW:extension:name".to_string(), "arrow.uuid".to_string()),
            ("ARROW:extension:metadata".to_string(), String::new()),
        ]);
        return field.with_metadata(meta);
    }
    field
}

/// Arrow's unit for DateTime64 of precision `p` and the factor from ticks to that unit.
fn time_unit(p: u8, parquet: bool) -> (TimeUnit, i64) {
    let (unit, digits) = match p {
        0 if !parquet => (TimeUnit::Second, 0),
        0..=3 => (TimeUnit::Millisecond, 3),
        4..=6 => (TimeUnit::Microsecond, 6),
        _ => (TimeUnit::Nanosecond, 9),
    };
    (unit, 10i64.pow(u32::from(digits.max(p) - p)))
}

/// The exported Arrow type of `ty`.
pub(crate) fn export_type(ty: &DataType, opts: ExportOptions) -> ArrowType {
    match ty {
        DataType::Nullable(t) => export_type(t, opts),
        DataType::LowCardinality(t) if opts.low_cardinality_as_dictionary && !opts.parquet => {
            ArrowType::Dictionary(Box::new(ArrowType::Int32), Box::new(export_type(t, opts)))
        }
        DataType::LowCardinality(t) => export_type(t, opts),
        DataType::String if opts.string_as_string => ArrowType::Utf8,
        DataType::String => ArrowType::Binary,
        DataType::Date | DataType::Date32 => ArrowType::Date32,
        DataType::DateTime(_) if opts.parquet => {
            ArrowType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()))
        }
        DataType::DateTime(_) => ArrowType::UInt32,
        DataType::DateTime64(p, tz) => {
            let tz = if opts.parquet {
                "UTC"
            } else {
                tz.as_deref().unwrap_or(SERVER_TIMEZONE)
            };
            ArrowType::Timestamp(time_unit(*p, opts.parquet).0, Some(tz.into()))
        }
        DataType::Array(t) => ArrowType::List(Arc::new(item_field(t, opts))),
        DataType::Map(k, v) => ArrowType::Map(Arc::new(entries_field(k, v, opts)), false),
        other => other.to_arrow(),
    }
}

fn item_field(t: &DataType, opts: ExportOptions) -> Field {
    let name = if opts.parquet { "element" } else { "item" };
    Field::new(name, export_type(t, opts), t.is_nullable())
}

fn entries_field(k: &DataType, v: &DataType, opts: ExportOptions) -> Field {
    let name = if opts.parquet { "key_value" } else { "entries" };
    Field::new(name, ArrowType::Struct(entry_fields(k, v, opts)), false)
}

fn entry_fields(k: &DataType, v: &DataType, opts: ExportOptions) -> Fields {
    Fields::from(vec![
        Field::new("key", export_type(k, opts), false),
        Field::new("value", export_type(v, opts), v.is_nullable()),
    ])
}

/// `array` (Granary's in-memory layout of `ty`) converted to [`export_type`].
pub(crate) fn export_array(
    array: &ArrayRef,
    ty: &DataType,
    opts: ExportOptions,
) -> Result<ArrayRef> {
    let target = export_type(ty, opts);
    if matches!(array.data_type(), ArrowType::Null) {
        return Ok(new_null_array(&target, array.len()));
    }
    if let ArrowType::Dictionary(_, value_type) = array.data_type() {
        if let ArrowType::Dictionary(_, out_values) = &target {
            // Keep the dictionary; convert its values.
            let inner = match ty {
                DataType::LowCardinality(t) => t.as_ref(),
                other => other,
            };
            let dict = arrow::compute::cast(
                array,
                &ArrowType::Dictionary(Box::new(ArrowType::Int32), value_type.clone()),
            )?;
            let dict = dict.as_dictionary::<Int32Type>();
            let values = export_array(dict.values(), inner, opts)?;
            if values.data_type() != out_values.as_ref() {
                return Err(internal(arrow::error::ArrowError::CastError(format!(
                    "dictionary values {} for {}",
                    values.data_type(),
                    out_values
                ))));
            }
            let out = DictionaryArray::<Int32Type>::try_new(dict.keys().clone(), values)
                .map_err(internal)?;
            return Ok(Arc::new(out));
        }
        let plain = arrow::compute::cast(array, value_type)?;
        return export_array(&plain, ty, opts);
    }
    let base = ty.base();
    let out: ArrayRef = match base {
        DataType::String if opts.string_as_string => to_utf8(array)?,
        DataType::Date | DataType::Date32 => {
            let days = arrow::compute::cast(array, &ArrowType::Int32)?;
            arrow::compute::cast(&days, &ArrowType::Date32)?
        }
        DataType::DateTime(_) if opts.parquet => {
            let secs = arrow::compute::cast(array, &ArrowType::Int64)?;
            let ms = scale(&secs, 1000)?;
            arrow::compute::cast(&ms, &target)?
        }
        DataType::DateTime64(p, _) => {
            let ticks = arrow::compute::cast(array, &ArrowType::Int64)?;
            let scaled = scale(&ticks, time_unit(*p, opts.parquet).1)?;
            arrow::compute::cast(&scaled, &target)?
        }
        DataType::Array(t) => {
            let list = array
                .as_list_opt::<i32>()
                .ok_or_else(|| not_layout(array, ty))?;
            let values = export_array(list.values(), t, opts)?;
            let field = Arc::new(item_field(t, opts));
            Arc::new(
                ListArray::try_new(field, list.offsets().clone(), values, list.nulls().cloned())
                    .map_err(internal)?,
            )
        }
        DataType::Map(k, v) => {
            let map = array.as_map_opt().ok_or_else(|| not_layout(array, ty))?;
            let keys = export_array(map.keys(), k, opts)?;
            let values = export_array(map.values(), v, opts)?;
            let entries = StructArray::try_new(entry_fields(k, v, opts), vec![keys, values], None)
                .map_err(internal)?;
            Arc::new(
                MapArray::try_new(
                    Arc::new(entries_field(k, v, opts)),
                    map.offsets().clone(),
                    entries,
                    map.nulls().cloned(),
                    false,
                )
                .map_err(internal)?,
            )
        }
        _ => array.clone(),
    };
    if out.data_type() != &target {
        return Ok(arrow::compute::cast(&out, &target)?);
    }
    Ok(out)
}

fn not_layout(array: &ArrayRef, ty: &DataType) -> QueryError {
    QueryError::new(
        ErrorCode::LogicalError,
        format!(
            "A column of type {ty} is held as Arrow {}, not its usual layout",
            array.data_type()
        ),
    )
}

/// Int64 values multiplied by `factor` (1: unchanged).
fn scale(array: &ArrayRef, factor: i64) -> Result<ArrayRef> {
    if factor == 1 {
        return Ok(array.clone());
    }
    let ints = array.as_primitive::<arrow::datatypes::Int64Type>();
    let out: Int64Array = ints.unary(|v| v.saturating_mul(factor));
    Ok(Arc::new(out))
}

/// A binary (or already string) array as `Utf8`; invalid UTF-8 is replaced (U+FFFD), since an
/// Arrow string must be valid UTF-8.
fn to_utf8(array: &ArrayRef) -> Result<ArrayRef> {
    if array.data_type() == &ArrowType::Utf8 {
        return Ok(array.clone());
    }
    let binary: BinaryArray = match array.as_binary_opt::<i32>() {
        Some(b) => b.clone(),
        None => arrow::compute::cast(array, &ArrowType::Binary)?
            .as_binary::<i32>()
            .clone(),
    };
    let (offsets, values, nulls) = binary.into_parts();
    match StringArray::try_new(offsets.clone(), values.clone(), nulls.clone()) {
        Ok(s) => Ok(Arc::new(s)),
        Err(_) => {
            let b = BinaryArray::new(offsets, values, nulls);
            let s: StringArray = b
                .iter()
                .map(|v| v.map(|bytes| String::from_utf8_lossy(bytes).into_owned()))
                .collect();
            Ok(Arc::new(s))
        }
    }
}
