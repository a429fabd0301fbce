//! Input formats for `INSERT ... FORMAT X`: TabSeparated, CSV, JSONEachRow,
//! JSONCompactEachRow (each with their header variants) and LineAsString; the binary
//! RowBinary family and Native (read straight into Arrow arrays by [`binary`]); and
//! Parquet, Arrow and ArrowStream (see [`arrow_import`]).
//!
//! Every format is read in two steps: a format reader splits the data into per-column
//! text fields (unescaped, with NULL / missing marks), then [`convert`] turns each
//! column's texts into the column's Arrow array with ClickHouse's text parsing. A row that
//! fails either step is a "bad row": bad rows are skipped within
//! `input_format_allow_errors_num` / `_ratio`, otherwise the whole input fails with the
//! first bad row's error, naming the row (1-based) and the column.

pub mod arrow_import;
mod arrow_rows;
mod binary;
mod convert;
mod fields;
mod json;
mod literal;
mod native;
mod rowbinary;
mod text;

use arrow::array::{ArrayRef, BooleanArray};
use granary_storage::types::DataType;

use crate::error::{ErrorCode, QueryError, Result};
pub use fields::Fields;

/// ClickHouse's `input_format_*` settings that shape parsing.
#[derive(Clone, Debug)]
pub struct InputSettings {
    /// `input_format_allow_errors_num`: bad rows that may be skipped.
    pub allow_errors_num: u64,
    /// `input_format_allow_errors_ratio`: share of bad rows that may be skipped.
    pub allow_errors_ratio: f64,
    /// `input_format_skip_unknown_fields` (default true since ClickHouse 24): ignore
    /// unknown JSON keys / header columns.
    pub skip_unknown_fields: bool,
    /// `input_format_null_as_default`: NULL into a non-Nullable column stores its default
    /// (the DEFAULT expression, as a missing value).
    pub null_as_default: bool,
    /// `input_format_csv_empty_as_default`: an empty unquoted CSV field is the default.
    pub csv_empty_as_default: bool,
    /// `format_csv_delimiter`.
    pub csv_delimiter: u8,
}

impl Default for InputSettings {
    fn default() -> Self {
        InputSettings {
            allow_errors_num: 0,
            allow_errors_ratio: 0.0,
            skip_unknown_fields: true,
            null_as_default: true,
            csv_empty_as_default: true,
            csv_delimiter: b',',
        }
    }
}

impl InputSettings {
    /// Applies one `input_format_*` / `format_csv_*` setting; `false` if the name is not
    /// an input setting.
    pub fn apply(&mut self, name: &str, value: &str) -> Result<bool> {
        let v = value.trim().trim_matches('\'');
        let flag = || -> Result<bool> {
            match v.to_ascii_lowercase().as_str() {
                "1" | "true" => Ok(true),
                "0" | "false" => Ok(false),
                _ => Err(bad_setting(name, v)),
            }
        };
        match name {
            "input_format_allow_errors_num" => {
                self.allow_errors_num = v.parse().map_err(|_| bad_setting(name, v))?
            }
            "input_format_allow_errors_ratio" => {
                self.allow_errors_ratio = v.parse().map_err(|_| bad_setting(name, v))?
            }
            "input_format_skip_unknown_fields" => self.skip_unknown_fields = flag()?,
            "input_format_null_as_default" => self.null_as_default = flag()?,
            "input_format_csv_empty_as_default" => self.csv_empty_as_default = flag()?,
            "format_csv_delimiter" => {
                self.csv_delimiter = match v.as_bytes() {
                    [c] => *c,
                    _ => return Err(bad_setting(name, v)),
                }
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Whether any bad row may be skipped.
    fn allows_errors(&self) -> bool {
        self.allow_errors_num > 0 || self.allow_errors_ratio > 0.0
    }
}

fn bad_setting(name: &str, v: &str) -> QueryError {
    QueryError::new(
        ErrorCode::CannotParseNumber,
        format!("Cannot parse '{v}' as a value for setting {name}"),
    )
}

/// One parsed target column.
#[derive(Debug)]
pub struct ParsedColumn {
    /// The values, of the column's Arrow type; rows with no value hold the type's default.
    pub array: ArrayRef,
    /// Rows that had no value (missing JSON key, column absent from the header, empty CSV
    /// field): true where the column's DEFAULT expression should apply. `None`: none.
    pub defaulted: Option<BooleanArray>,
    /// The column appeared in no row at all (fill it entirely from its DEFAULT).
    pub absent: bool,
}

/// The result of parsing an input: the rows that survived, column by column.
#[derive(Debug)]
pub struct ParsedInput {
    /// Rows kept.
    pub rows: usize,
    /// One entry per target column, in order.
    pub columns: Vec<ParsedColumn>,
    /// Bad rows skipped under the allow_errors settings.
    pub skipped: usize,
}

/// What a format reader produced: per-column texts, plus rows it could not split.
pub(crate) struct RawInput {
    /// One per target column, each with `rows` entries.
    pub fields: Vec<Fields>,
    /// Rows read (bad ones included, as placeholders).
    pub rows: usize,
    /// Rows (0-based) that failed structurally, with their error (no row/column suffix).
    pub bad: Vec<(usize, QueryError)>,
}

impl RawInput {
    pub(crate) fn new(columns: usize) -> RawInput {
        RawInput {
            fields: (0..columns).map(|_| Fields::default()).collect(),
            rows: 0,
            bad: Vec::new(),
        }
    }

    /// Records row `self.rows` as bad: every column gets a placeholder.
    pub(crate) fn push_bad(&mut self, err: QueryError) {
        let row = self.rows;
        for f in &mut self.fields {
            f.truncate(row);
            f.push_null();
        }
        self.bad.push((row, err));
        self.rows += 1;
    }

    /// Ends a row that was read completely: columns with no field get "missing".
    pub(crate) fn finish_row(&mut self) {
        self.rows += 1;
        for f in &mut self.fields {
            if f.len() < self.rows {
                f.push_missing();
            }
        }
    }
}

/// Parses `data` in `format` into one array per target column (the column's Arrow type),
/// missing values given the type's default. See [`parse_input_detailed`].
pub fn parse_input(
    format: &str,
    data: &[u8],
    columns: &[(String, DataType)],
    settings: &InputSettings,
) -> Result<Vec<ArrayRef>> {
    Ok(parse_input_detailed(format, data, columns, settings)?
        .columns
        .into_iter()
        .map(|c| c.array)
        .collect())
}

/// The canonical name of a supported input format (case-sensitive, as ClickHouse).
fn canonical(format: &str) -> Option<&'static str> {
    Some(match format {
        "TabSeparated" | "TSV" => "TSV",
        "TabSeparatedWithNames" | "TSVWithNames" => "TSVWithNames",
        "TabSeparatedWithNamesAndTypes" | "TSVWithNamesAndTypes" => "TSVWithNamesAndTypes",
        "TabSeparatedRaw" | "TSVRaw" | "Raw" => "TSVRaw",
        "CSV" => "CSV",
        "CSVWithNames" => "CSVWithNames",
        "CSVWithNamesAndTypes" => "CSVWithNamesAndTypes",
        "JSONEachRow" | "JSONLines" | "NDJSON" => "JSONEachRow",
        "JSONCompactEachRow" => "JSONCompactEachRow",
        "JSONCompactEachRowWithNames" => "JSONCompactEachRowWithNames",
        "JSONCompactEachRowWithNamesAndTypes" => "JSONCompactEachRowWithNamesAndTypes",
        "LineAsString" => "LineAsString",
        "RowBinary" => "RowBinary",
        "RowBinaryWithNames" => "RowBinaryWithNames",
        "RowBinaryWithNamesAndTypes" => "RowBinaryWithNamesAndTypes",
        "Native" => "Native",
        _ => return None,
    })
}

/// Whether `format` is an input format this module reads.
pub fn is_supported(format: &str) -> bool {
    canonical(format).is_some() || arrow_import::ArrowFormat::from_name(format).is_some()
}

/// Whether `format` is a binary input format (its data may be any bytes, whitespace
/// included).
pub fn is_binary(format: &str) -> bool {
    matches!(
        canonical(format),
        Some("RowBinary" | "RowBinaryWithNames" | "RowBinaryWithNamesAndTypes" | "Native")
    )
}

/// Parses `data` in `format` for the target `columns`, skipping bad rows within the
/// settings' limits.
///
/// Errors: 73 UNKNOWN_FORMAT, 48 NOT_IMPLEMENTED for known binary formats, and the parse
/// errors (27, 6, 38, 41, 117, ...) of the first bad row beyond the limits.
pub fn parse_input_detailed(
    format: &str,
    data: &[u8],
    columns: &[(String, DataType)],
    settings: &InputSettings,
) -> Result<ParsedInput> {
    if let Some(f) = arrow_import::ArrowFormat::from_name(format) {
        return arrow_rows::read(f, data, columns, settings);
    }
    let Some(name) = canonical(format) else {
        return match format {
            "Values" | "ORC" | "Avro" | "TSKV" | "Template" => Err(QueryError::new(
                ErrorCode::NotImplemented,
                format!("Input format {format} is not supported yet"),
            )),
            _ => Err(QueryError::new(
                ErrorCode::UnknownFormat,
                format!("Unknown input format {format}"),
            )),
        };
    };
    match name {
        "RowBinary" => return rowbinary::read_row_binary(data, columns, settings, 0),
        "RowBinaryWithNames" => return rowbinary::read_row_binary(data, columns, settings, 1),
        "RowBinaryWithNamesAndTypes" => {
            return rowbinary::read_row_binary(data, columns, settings, 2)
        }
        "Native" => return native::read_native(data, columns, settings),
        _ => {}
    }
    let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    let raw = match name {
        "TSV" | "TSVRaw" => text::read_tsv(data, columns, settings, 0, name == "TSVRaw")?,
        "TSVWithNames" => text::read_tsv(data, columns, settings, 1, false)?,
        "TSVWithNamesAndTypes" => text::read_tsv(data, columns, settings, 2, false)?,
        "CSV" => text::read_csv(data, columns, settings, 0)?,
        "CSVWithNames" => text::read_csv(data, columns, settings, 1)?,
        "CSVWithNamesAndTypes" => text::read_csv(data, columns, settings, 2)?,
        "JSONEachRow" => json::read_each_row(data, columns, settings)?,
        "JSONCompactEachRow" => json::read_compact(data, columns, settings, 0)?,
        "JSONCompactEachRowWithNames" => json::read_compact(data, columns, settings, 1)?,
        "JSONCompactEachRowWithNamesAndTypes" => json::read_compact(data, columns, settings, 2)?,
        _ => text::read_lines(data, columns)?,
    };
    finish(raw, columns, settings)
}

/// Converts the texts, applies the allow_errors limits and drops bad rows.
fn finish(
    raw: RawInput,
    columns: &[(String, DataType)],
    settings: &InputSettings,
) -> Result<ParsedInput> {
    let rows = raw.rows;
    let mut bad: Vec<(usize, QueryError)> = raw.bad;
    let mut converted = Vec::with_capacity(columns.len());
    for (i, ((name, ty), f)) in columns.iter().zip(raw.fields).enumerate() {
        let defaulted = f.default_mask(!ty.is_nullable() && settings.null_as_default);
        let (array, col_bad) =
            convert::convert_column(f, ty, settings.null_as_default, !settings.allows_errors())?;
        for (row, e) in col_bad {
            bad.push((row, with_column(e, i, name, ty)));
        }
        converted.push((array, defaulted));
    }
    bad.sort_by_key(|(r, _)| *r);
    // ClickHouse checks the limits at each bad row against the rows read so far.
    let mut keep: Option<Vec<bool>> = None;
    let mut errors = 0u64;
    let mut last = None;
    for (row, e) in bad {
        if last == Some(row) {
            continue;
        }
        last = Some(row);
        errors += 1;
        let ratio = errors as f64 / (row + 1) as f64;
        if !settings.allows_errors()
            || (errors > settings.allow_errors_num && ratio > settings.allow_errors_ratio)
        {
            return Err(at_row(e, row + 1));
        }
        keep.get_or_insert_with(|| vec![true; rows])[row] = false;
    }
    let keep = keep.map(BooleanArray::from);
    let kept = keep.as_ref().map_or(rows, |k| k.true_count());
    let mut out = Vec::with_capacity(columns.len());
    for (array, defaulted) in converted {
        let (array, defaulted) = match &keep {
            Some(k) => (
                arrow::compute::filter(&array, k)?,
                match defaulted {
                    Some(d) => Some(arrow::compute::filter(&d, k)?.as_boolean_owned()),
                    None => None,
                },
            ),
            None => (array, defaulted),
        };
        let absent = kept > 0 && defaulted.as_ref().is_some_and(|m| m.true_count() == kept);
        out.push(ParsedColumn {
            array,
            defaulted,
            absent,
        });
    }
    Ok(ParsedInput {
        rows: kept,
        columns: out,
        skipped: rows - kept,
    })
}

trait AsBooleanOwned {
    fn as_boolean_owned(&self) -> BooleanArray;
}

impl AsBooleanOwned for ArrayRef {
    fn as_boolean_owned(&self) -> BooleanArray {
        use arrow::array::AsArray;
        self.as_boolean().clone()
    }
}

/// Adds ClickHouse's column diagnostics to a value error.
fn with_column(e: QueryError, index: usize, name: &str, ty: &DataType) -> QueryError {
    let msg = format!(
        "{}: Column {index},   name: {name}, type: {ty}",
        e.message()
    );
    // ClickHouse reads a number up to the first bad byte, then fails expecting the
    // delimiter: error 27 rather than 6.
    let numeric = matches!(
        ty.base(),
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
    );
    if numeric && e.code() == ErrorCode::CannotParseText as i32 {
        return QueryError::new(ErrorCode::CannotParseInputAssertionFailed, msg);
    }
    e.with_message(msg)
}

/// Adds the row number (1-based) to a bad row's error.
fn at_row(e: QueryError, row: usize) -> QueryError {
    let msg = e.message();
    let msg = match msg.split_once(": Column ") {
        Some((head, col)) => format!("{head}: (at row {row})\n: Column {col}"),
        None => format!("{msg}: (at row {row})"),
    };
    e.with_message(msg)
}

/// A ClickHouse-style snippet of the data at `pos`, for "before: '...'" messages.
pub(crate) fn snippet(data: &[u8], pos: usize) -> String {
    let rest = data.get(pos..).unwrap_or_default();
    let rest = &rest[..rest.len().min(32)];
    let mut s = String::new();
    for ch in String::from_utf8_lossy(rest).chars() {
        match ch {
            '\t' => s.push_str("\\t"),
            '\n' => s.push_str("\\n"),
            '\r' => s.push_str("\\r"),
            '\\' => s.push_str("\\\\"),
            '\'' => s.push_str("\\'"),
            c => s.push(c),
        }
    }
    if rest.is_empty() {
        s.push_str("<EOF>");
    }
    s
}

/// Error 27: the input did not have the expected delimiter.
pub(crate) fn expected(what: &str, data: &[u8], pos: usize) -> QueryError {
    QueryError::new(
        ErrorCode::CannotParseInputAssertionFailed,
        format!(
            "Cannot parse input: expected '{what}' before: '{}'",
            snippet(data, pos)
        ),
    )
}

/// Maps header names to target columns: for each data column, its target index (`None`:
/// skipped). Unknown names fail unless skip_unknown_fields.
pub(crate) fn map_header(
    names: &[String],
    columns: &[(String, DataType)],
    settings: &InputSettings,
    format: &str,
) -> Result<Vec<Option<usize>>> {
    let mut seen = vec![false; columns.len()];
    let mut out = Vec::with_capacity(names.len());
    for n in names {
        match columns.iter().position(|(c, _)| c == n) {
            Some(i) if !seen[i] => {
                seen[i] = true;
                out.push(Some(i));
            }
            Some(_) => {
                return Err(QueryError::new(
                    ErrorCode::CannotParseInputAssertionFailed,
                    format!("Duplicate column '{n}' in the header of {format} input"),
                ))
            }
            None if settings.skip_unknown_fields => out.push(None),
            None => {
                return Err(QueryError::new(
                    ErrorCode::IncorrectData,
                    format!("Unknown field found while parsing {format} format: {n}"),
                ))
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod binary_tests;
#[cfg(test)]
mod tests;
