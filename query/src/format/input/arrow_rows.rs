//! `INSERT ... FORMAT Parquet | Arrow | ArrowStream`: the decoded columns matched to the
//! target columns by name, converted to their types. Columns the data lacks are left to
//! their DEFAULT (`input_format_*_allow_missing_columns`, on in ClickHouse); columns the
//! table lacks are ignored; NULLs into a non-Nullable column take its default.

use arrow::array::{Array, BooleanArray};
use granary_storage::types::DataType;

use super::arrow_import::{concat, decode, import_array, import_type, ArrowFormat};
use super::{InputSettings, ParsedColumn, ParsedInput};
use crate::columnar::type_default;
use crate::error::{ErrorCode, QueryError, Result};
use crate::session::cast_to;

/// Parses a whole Arrow-family input for the target `columns`.
pub(crate) fn read(
    format: ArrowFormat,
    data: &[u8],
    columns: &[(String, DataType)],
    settings: &InputSettings,
) -> Result<ParsedInput> {
    let empty = |columns: &[(String, DataType)]| -> Result<ParsedInput> {
        let mut out = Vec::with_capacity(columns.len());
        for (_, ty) in columns {
            out.push(ParsedColumn {
                array: type_default(ty, 0)?,
                defaulted: None,
                absent: false,
            });
        }
        Ok(ParsedInput {
            rows: 0,
            columns: out,
            skipped: 0,
        })
    };
    if data.is_empty() {
        return empty(columns);
    }
    let (schema, batches) = decode(format, data)?;
    let Some(batch) = concat(&schema, &batches)? else {
        return empty(columns);
    };
    let rows = batch.num_rows();
    let mut out = Vec::with_capacity(columns.len());
    for (name, ty) in columns {
        let Some((i, field)) = schema.column_with_name(name) else {
            out.push(ParsedColumn {
                array: type_default(ty, rows)?,
                defaulted: Some(BooleanArray::from(vec![true; rows])),
                absent: true,
            });
            continue;
        };
        let from = uuid_if_wanted(import_type(field)?, ty);
        let array = import_array(batch.column(i), &from)?;
        let null_default = !ty.is_nullable() && array.null_count() > 0;
        if null_default && !settings.null_as_default {
            return Err(QueryError::new(
                ErrorCode::CannotConvertType,
                format!("Cannot convert NULL value to non-Nullable type {ty} of column {name}"),
            ));
        }
        let defaulted = null_default
            .then(|| BooleanArray::from_iter((0..rows).map(|r| Some(array.is_null(r)))));
        let converted = cast_to(&array, &from, ty).map_err(|e| {
            let msg = format!(
                "{}: while converting column {name} from {from} to {ty}",
                e.message()
            );
            e.with_message(msg)
        })?;
        out.push(ParsedColumn {
            array: converted,
            defaulted,
            absent: false,
        });
    }
    Ok(ParsedInput {
        rows,
        columns: out,
        skipped: 0,
    })
}

/// 16 fixed bytes read for a UUID column are the UUID (Parquet files mark UUIDs with a
/// logical type the reader does not surface).
fn uuid_if_wanted(from: DataType, target: &DataType) -> DataType {
    if !matches!(target.base(), DataType::Uuid) {
        return from;
    }
    match from {
        DataType::FixedString(16) => DataType::Uuid,
        DataType::Nullable(inner) if matches!(*inner, DataType::FixedString(16)) => {
            DataType::Nullable(Box::new(DataType::Uuid))
        }
        other => other,
    }
}
