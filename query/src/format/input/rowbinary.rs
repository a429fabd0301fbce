//! `INSERT ... FORMAT RowBinary | RowBinaryWithNames | RowBinaryWithNamesAndTypes`: rows of
//! values back to back (see [`super::binary`]), optionally after a header of LEB128 column
//! count, names and type names.

use arrow::array::BooleanArray;
use granary_storage::types::DataType;

use super::binary::{ColumnBuilder, Reader};
use super::{map_header, InputSettings, ParsedColumn, ParsedInput};
use crate::columnar::type_default;
use crate::error::{ErrorCode, QueryError, Result};

/// Reads RowBinary `data` for the target `columns`; `header` is 0 (none), 1 (names) or 2
/// (names and types, which must equal the columns' types).
///
/// Errors: 33 CANNOT_READ_ALL_DATA on truncated input, 117 INCORRECT_DATA for a header
/// type that differs from the column's, 27 for a duplicate header name.
pub(crate) fn read_row_binary(
    data: &[u8],
    columns: &[(String, DataType)],
    settings: &InputSettings,
    header: u8,
) -> Result<ParsedInput> {
    let mut r = Reader::new(data);
    // For each value in a row: the target column it fills, or None (skipped).
    let mut targets: Vec<Option<usize>> = (0..columns.len()).map(Some).collect();
    // The type each value is encoded in.
    let mut types: Vec<DataType> = columns.iter().map(|(_, t)| t.clone()).collect();
    if header > 0 {
        let n = r.count(1)?;
        let names = (0..n)
            .map(|_| Ok(String::from_utf8_lossy(r.string()?).into_owned()))
            .collect::<Result<Vec<_>>>()?;
        let format = if header == 1 {
            "RowBinaryWithNames"
        } else {
            "RowBinaryWithNamesAndTypes"
        };
        targets = map_header(&names, columns, settings, format)?;
        if header == 2 {
            types = Vec::with_capacity(n);
            for (name, target) in names.iter().zip(&targets) {
                let text = String::from_utf8_lossy(r.string()?).into_owned();
                let ty = DataType::parse(&text).map_err(|e| {
                    QueryError::new(
                        ErrorCode::UnknownType,
                        format!("Unknown data type {text}: {e}"),
                    )
                })?;
                if let Some(i) = target {
                    if columns[*i].1 != ty {
                        return Err(QueryError::new(
                            ErrorCode::IncorrectData,
                            format!("Type of '{name}' must be {}, not {text}", columns[*i].1),
                        ));
                    }
                }
                types.push(ty);
            }
        } else {
            types = targets
                .iter()
                .map(|t| match t {
                    Some(i) => Ok(columns[*i].1.clone()),
                    None => Err(QueryError::new(
                        ErrorCode::IncorrectData,
                        "RowBinaryWithNames cannot skip a column whose type is unknown",
                    )),
                })
                .collect::<Result<Vec<_>>>()?;
        }
    }
    let mut builders = types
        .iter()
        .map(ColumnBuilder::new)
        .collect::<Result<Vec<_>>>()?;
    let mut rows = 0usize;
    while !r.at_end() {
        for b in &mut builders {
            b.read_value(&mut r)?;
        }
        rows += 1;
    }
    let mut out: Vec<Option<ParsedColumn>> = (0..columns.len()).map(|_| None).collect();
    for (b, target) in builders.into_iter().zip(&targets) {
        if let Some(i) = target {
            out[*i] = Some(ParsedColumn {
                array: b.finish()?,
                defaulted: None,
                absent: false,
            });
        }
    }
    let columns = out
        .into_iter()
        .zip(columns)
        .map(|(c, (_, ty))| match c {
            Some(c) => Ok(c),
            None => Ok(ParsedColumn {
                array: type_default(ty, rows)?,
                defaulted: Some(BooleanArray::from(vec![true; rows])),
                absent: rows > 0,
            }),
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(ParsedInput {
        rows,
        columns,
        skipped: 0,
    })
}
