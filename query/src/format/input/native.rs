//! `INSERT ... FORMAT Native`: blocks of columns (ClickHouse's `NativeReader` with
//! revision 0, as the HTTP input format uses: no BlockInfo, no custom serialization flag).
//! Columns are matched to the target columns by name; a column sent in another type is
//! converted to the column's type as CAST would.

use arrow::array::{Array, ArrayRef, BooleanArray};
use granary_storage::types::DataType;

use super::binary::{read_prefix, ColumnBuilder, Reader};
use super::{InputSettings, ParsedColumn, ParsedInput};
use crate::columnar::type_default;
use crate::error::{ErrorCode, QueryError, Result};
use crate::session::cast_to;

/// Reads Native `data` for the target `columns`.
///
/// Errors: 33 CANNOT_READ_ALL_DATA on truncated input, 117 INCORRECT_DATA for an unknown
/// column (unless skip_unknown_fields) or malformed data, 50 for an unknown type, and the
/// conversion's errors.
pub(crate) fn read_native(
    data: &[u8],
    columns: &[(String, DataType)],
    settings: &InputSettings,
) -> Result<ParsedInput> {
    let mut r = Reader::new(data);
    let mut parts: Vec<Vec<ArrayRef>> = vec![Vec::new(); columns.len()];
    let mut defaulted: Vec<Vec<bool>> = vec![Vec::new(); columns.len()];
    let mut rows = 0usize;
    while !r.at_end() {
        let ncols = r.count(2)?;
        let nrows = r.var_uint()?;
        // Every column takes at least a byte per row.
        let nrows = if ncols == 0 {
            if nrows != 0 {
                return Err(QueryError::new(
                    ErrorCode::IncorrectData,
                    "A Native block without columns must have no rows",
                ));
            }
            0
        } else {
            r.check_count(nrows, 1)?
        };
        let mut got: Vec<Option<ArrayRef>> = vec![None; columns.len()];
        for _ in 0..ncols {
            let name = String::from_utf8_lossy(r.string()?).into_owned();
            let text = String::from_utf8_lossy(r.string()?).into_owned();
            let ty = DataType::parse(&text).map_err(|e| {
                QueryError::new(
                    ErrorCode::UnknownType,
                    format!("Unknown data type {text}: {e}"),
                )
            })?;
            read_prefix(&mut r, &ty)?;
            let mut b = ColumnBuilder::new(&ty)?;
            b.read_column(&mut r, nrows)?;
            let array = b.finish()?;
            match columns.iter().position(|(n, _)| *n == name) {
                Some(i) if got[i].is_some() => {
                    return Err(QueryError::new(
                        ErrorCode::IncorrectData,
                        format!("Duplicate column {name} in a block of Native input"),
                    ))
                }
                Some(i) => {
                    let target = &columns[i].1;
                    let array = cast_to(&array, &ty, target).map_err(|e| {
                        let msg = format!(
                            "{} (while converting column {name} from {ty} to {target})",
                            e.message()
                        );
                        e.with_message(msg)
                    })?;
                    got[i] = Some(array);
                }
                None if settings.skip_unknown_fields => {}
                None => {
                    return Err(QueryError::new(
                        ErrorCode::IncorrectData,
                        format!(
                        "Unknown column with name {name} found while reading data in Native format"
                    ),
                    ))
                }
            }
        }
        for (i, g) in got.into_iter().enumerate() {
            match g {
                Some(a) => {
                    parts[i].push(a);
                    defaulted[i].resize(rows + nrows, false);
                }
                None => {
                    parts[i].push(type_default(&columns[i].1, nrows)?);
                    defaulted[i].resize(rows + nrows, true);
                }
            }
        }
        rows += nrows;
    }
    let mut out = Vec::with_capacity(columns.len());
    for ((array_parts, mask), (_, ty)) in parts.into_iter().zip(defaulted).zip(columns) {
        let array = match array_parts.len() {
            0 => arrow::array::new_empty_array(&ty.to_arrow()),
            1 => array_parts[0].clone(),
            _ => {
                let refs: Vec<&dyn Array> = array_parts.iter().map(|a| a.as_ref()).collect();
                arrow::compute::concat(&refs)?
            }
        };
        let any = mask.iter().any(|d| *d);
        let all = rows > 0 && mask.iter().all(|d| *d);
        out.push(ParsedColumn {
            array,
            defaulted: any.then(|| BooleanArray::from(mask)),
            absent: all,
        });
    }
    Ok(ParsedInput {
        rows,
        columns: out,
        skipped: 0,
    })
}
