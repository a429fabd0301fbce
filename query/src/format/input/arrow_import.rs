//! Reading Parquet, Arrow (IPC file) and ArrowStream (IPC stream) data: decoding it into
//! record batches, mapping Arrow types to ClickHouse types as ClickHouse's
//! `ArrowColumnToCHColumn` does (strings and binaries → String, timestamps →
//! DateTime64 of the unit's precision, date32 → Date32, dictionaries → their values,
//! lists → Array, maps → Map, nullable fields → Nullable), and converting arrays to
//! Granary's in-memory layout of those types.

use std::io::Cursor;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use arrow::array::{new_null_array, Array, ArrayRef, AsArray, ListArray, MapArray, StructArray};
use arrow::datatypes::{DataType as ArrowType, Field, Schema, SchemaRef, TimeUnit};
use arrow::ipc::reader::{FileReader, StreamReader};
use arrow::record_batch::RecordBatch;
use granary_storage::types::DataType;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::file::reader::ChunkReader;

use crate::error::{ErrorCode, QueryError, Result};

/// The Arrow-family formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArrowFormat {
    /// `Parquet`.
    Parquet,
    /// `Arrow`: the IPC file format.
    Arrow,
    /// `ArrowStream`: the IPC stream format.
    ArrowStream,
}

impl ArrowFormat {
    /// The format named `name` (case-sensitive, as ClickHouse), if it is one of these.
    pub fn from_name(name: &str) -> Option<ArrowFormat> {
        Some(match name {
            "Parquet" => ArrowFormat::Parquet,
            "Arrow" | "ArrowFile" => ArrowFormat::Arrow,
            "ArrowStream" => ArrowFormat::ArrowStream,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            ArrowFormat::Parquet => "Parquet",
            ArrowFormat::Arrow => "Arrow",
            ArrowFormat::ArrowStream => "ArrowStream",
        }
    }
}

fn incorrect(format: ArrowFormat, e: impl std::fmt::Display) -> QueryError {
    QueryError::new(
        ErrorCode::IncorrectData,
        format!("Cannot read {} data: {e}", format.name()),
    )
}

/// Runs a decoder, turning a panic inside the Arrow/Parquet libraries (on malformed data)
/// into error 117.
fn guarded<T>(format: ArrowFormat, f: impl FnOnce() -> Result<T>) -> Result<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(_) => Err(incorrect(format, "the data is malformed")),
    }
}

/// Decodes a whole input held in memory into its schema and batches.
pub fn decode(format: ArrowFormat, data: &[u8]) -> Result<(SchemaRef, Vec<RecordBatch>)> {
    match format {
        ArrowFormat::Parquet => decode_parquet(bytes::Bytes::copy_from_slice(data)),
        ArrowFormat::Arrow => guarded(format, || {
            let reader =
                FileReader::try_new(Cursor::new(data), None).map_err(|e| incorrect(format, e))?;
            let schema = reader.schema();
            let batches = reader
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(|e| incorrect(format, e))?;
            Ok((schema, batches))
        }),
        ArrowFormat::ArrowStream => guarded(format, || {
            let reader = StreamReader::try_new(data, None).map_err(|e| incorrect(format, e))?;
            let schema = reader.schema();
            let batches = reader
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(|e| incorrect(format, e))?;
            Ok((schema, batches))
        }),
    }
}

/// Decodes a whole input owned in memory (no copy for Parquet).
pub fn decode_owned(format: ArrowFormat, data: Vec<u8>) -> Result<(SchemaRef, Vec<RecordBatch>)> {
    match format {
        ArrowFormat::Parquet => decode_parquet(bytes::Bytes::from(data)),
        _ => decode(format, &data),
    }
}

/// Decodes a Parquet file from any source the Parquet reader can seek in.
pub fn decode_parquet<R: ChunkReader + 'static>(
    source: R,
) -> Result<(SchemaRef, Vec<RecordBatch>)> {
    let format = ArrowFormat::Parquet;
    guarded(format, || {
        let builder =
            ParquetRecordBatchReaderBuilder::try_new(source).map_err(|e| incorrect(format, e))?;
        let schema = builder.schema().clone();
        let reader = builder.build().map_err(|e| incorrect(format, e))?;
        let batches = reader
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| incorrect(format, e))?;
        Ok((schema, batches))
    })
}

/// The schema of a Parquet file, without reading its data.
pub fn parquet_schema<R: ChunkReader + 'static>(source: R) -> Result<SchemaRef> {
    let format = ArrowFormat::Parquet;
    guarded(format, || {
        let builder =
            ParquetRecordBatchReaderBuilder::try_new(source).map_err(|e| incorrect(format, e))?;
        Ok(builder.schema().clone())
    })
}

/// The ClickHouse columns of an Arrow schema.
pub fn schema_columns(schema: &Schema) -> Result<Vec<(String, DataType)>> {
    schema
        .fields()
        .iter()
        .map(|f| Ok((f.name().clone(), import_type(f)?)))
        .collect()
}

fn unsupported(field: &Field) -> QueryError {
    QueryError::new(
        ErrorCode::CannotConvertType,
        format!(
            "The type \"{}\" of an input column \"{}\" is not supported for conversion",
            field.data_type(),
            field.name()
        ),
    )
}

/// The ClickHouse type of an Arrow field.
pub fn import_type(field: &Field) -> Result<DataType> {
    let ty = match field.data_type() {
        ArrowType::Dictionary(_, v) => {
            return import_type(&Field::new(
                field.name(),
                v.as_ref().clone(),
                field.is_nullable(),
            ))
        }
        ArrowType::Null => return Ok(DataType::Nullable(Box::new(DataType::Nothing))),
        ArrowType::Boolean => DataType::Bool,
        ArrowType::UInt8 => DataType::UInt8,
        ArrowType::UInt16 => DataType::UInt16,
        ArrowType::UInt32 => DataType::UInt32,
        ArrowType::UInt64 => DataType::UInt64,
        ArrowType::Int8 => DataType::Int8,
        ArrowType::Int16 => DataType::Int16,
        ArrowType::Int32 => DataType::Int32,
        ArrowType::Int64 => DataType::Int64,
        ArrowType::Float16 | ArrowType::Float32 => DataType::Float32,
        ArrowType::Float64 => DataType::Float64,
        ArrowType::Utf8
        | ArrowType::LargeUtf8
        | ArrowType::Utf8View
        | ArrowType::Binary
        | ArrowType::LargeBinary
        | ArrowType::BinaryView => DataType::String,
        ArrowType::FixedSizeBinary(16)
            if field
                .metadata()
                .get("ARROW:extension:name")
                .is_some_and(|n| n == "arrow.uuid") =>
        {
            DataType::Uuid
        }
        ArrowType::FixedSizeBinary(n) => {
            DataType::FixedString(usize::try_from(*n).map_err(|_| unsupported(field))?)
        }
        ArrowType::Date32 => DataType::Date32,
        ArrowType::Date64 => DataType::DateTime64(3, None),
        ArrowType::Timestamp(unit, tz) => {
            let p = match unit {
                TimeUnit::Second => 0,
                TimeUnit::Millisecond => 3,
                TimeUnit::Microsecond => 6,
                TimeUnit::Nanosecond => 9,
            };
            DataType::DateTime64(p, tz.as_ref().map(|t| t.to_string()))
        }
        ArrowType::Decimal32(p, s)
        | ArrowType::Decimal64(p, s)
        | ArrowType::Decimal128(p, s)
        | ArrowType::Decimal256(p, s) => DataType::Decimal {
            precision: *p,
            scale: u8::try_from(*s).map_err(|_| unsupported(field))?,
        },
        ArrowType::List(item)
        | ArrowType::LargeList(item)
        | ArrowType::FixedSizeList(item, _)
        | ArrowType::ListView(item)
        | ArrowType::LargeListView(item) => {
            // ClickHouse has no Nullable(Array): an array is never NULL.
            return Ok(DataType::Array(Box::new(import_type(item)?)));
        }
        ArrowType::Map(entries, _) => {
            let ArrowType::Struct(kv) = entries.data_type() else {
                return Err(unsupported(field));
            };
            let (Some(k), Some(v)) = (kv.first(), kv.get(1)) else {
                return Err(unsupported(field));
            };
            let key = import_type(k)?;
            return Ok(DataType::Map(
                Box::new(key.base().clone()),
                Box::new(import_type(v)?),
            ));
        }
        _ => return Err(unsupported(field)),
    };
    Ok(if field.is_nullable() {
        DataType::Nullable(Box::new(ty))
    } else {
        ty
    })
}

fn layout_error(ty: &DataType, array: &dyn Array) -> QueryError {
    QueryError::new(
        ErrorCode::CannotConvertType,
        format!(
            "Cannot convert an input column of Arrow type {} to {ty}",
            array.data_type()
        ),
    )
}

/// `array` converted to Granary's in-memory layout of `ty` (the type [`import_type`] gave
/// for its field).
pub fn import_array(array: &ArrayRef, ty: &DataType) -> Result<ArrayRef> {
    if let ArrowType::Dictionary(_, values) = array.data_type() {
        let plain = arrow::compute::cast(array, values)?;
        return import_array(&plain, ty);
    }
    let target = ty.to_arrow();
    let out: ArrayRef = match ty.base() {
        DataType::Nothing => new_null_array(&ArrowType::Null, array.len()),
        DataType::Array(t) => {
            let list = match array.data_type() {
                ArrowType::List(_) => array.clone(),
                _ => {
                    let item = Field::new("item", list_item(array)?.clone(), true);
                    arrow::compute::cast(array, &ArrowType::List(Arc::new(item)))
                        .map_err(|_| layout_error(ty, array.as_ref()))?
                }
            };
            let list = list
                .as_list_opt::<i32>()
                .ok_or_else(|| layout_error(ty, array.as_ref()))?;
            let values = import_array(list.values(), t)?;
            let ArrowType::List(field) = &target else {
                return Err(layout_error(ty, array.as_ref()));
            };
            Arc::new(ListArray::try_new(
                field.clone(),
                list.offsets().clone(),
                values,
                list.nulls().cloned(),
            )?)
        }
        DataType::Map(k, v) => {
            let map = array
                .as_map_opt()
                .ok_or_else(|| layout_error(ty, array.as_ref()))?;
            let keys = import_array(map.keys(), k)?;
            let values = import_array(map.values(), v)?;
            let ArrowType::Map(entries, _) = &target else {
                return Err(layout_error(ty, array.as_ref()));
            };
            let ArrowType::Struct(kv) = entries.data_type() else {
                return Err(layout_error(ty, array.as_ref()));
            };
            let entries_array = StructArray::try_new(kv.clone(), vec![keys, values], None)?;
            Arc::new(MapArray::try_new(
                entries.clone(),
                map.offsets().clone(),
                entries_array,
                map.nulls().cloned(),
                false,
            )?)
        }
        DataType::DateTime64(..) | DataType::Date32 => arrow::compute::cast(array, &target)?,
        _ => array.clone(),
    };
    if out.data_type() != &target {
        return arrow::compute::cast(&out, &target).map_err(|_| layout_error(ty, array.as_ref()));
    }
    Ok(out)
}

fn list_item(array: &ArrayRef) -> Result<&ArrowType> {
    match array.data_type() {
        ArrowType::List(f)
        | ArrowType::LargeList(f)
        | ArrowType::FixedSizeList(f, _)
        | ArrowType::ListView(f)
        | ArrowType::LargeListView(f) => Ok(f.data_type()),
        other => Err(QueryError::new(
            ErrorCode::CannotConvertType,
            format!("Arrow type {other} is not a list"),
        )),
    }
}

/// All batches of a decoded input concatenated into one per column; `None` for no rows.
pub fn concat(schema: &SchemaRef, batches: &[RecordBatch]) -> Result<Option<RecordBatch>> {
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    if rows == 0 {
        return Ok(None);
    }
    if batches.len() == 1 {
        return Ok(batches.first().cloned());
    }
    Ok(Some(arrow::compute::concat_batches(schema, batches)?))
}
