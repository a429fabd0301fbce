//! Query results in ClickHouse's output formats, byte for byte as ClickHouse 26.9 writes
//! them: the TabSeparated and CSV families, the JSON family, the Pretty family, Vertical,
//! Values, TSKV, Markdown and Null; the binary RowBinary family and Native; Parquet,
//! Arrow and ArrowStream.

mod arrow_export;
mod arrow_ipc;
#[cfg(test)]
mod binary_tests;
mod json;
pub mod native;
mod parquet;
mod pretty;
pub mod rowbinary;
#[cfg(test)]
mod tests;
mod text;
pub(crate) mod value;

use granary_storage::types::DataType;

use crate::error::{ErrorCode, QueryError};
use crate::session::QueryOutput;

/// Settings that change how results are written (ClickHouse's `output_format_*` settings and
/// the statistics the JSON format reports).
#[derive(Clone, Debug, PartialEq)]
pub struct OutputSettings {
    /// `output_format_json_quote_64bit_integers`: Int64/UInt64 as JSON strings. Defaults to
    /// true (ClickHouse before 25.8, and the stateless-test references); 26.9 defaults to false.
    pub json_quote_64bit_integers: bool,
    /// `output_format_json_quote_decimals`: decimals as JSON strings.
    pub json_quote_decimals: bool,
    /// `output_format_json_quote_denormals`: `nan`/`inf` as JSON strings instead of `null`.
    pub json_quote_denormals: bool,
    /// `output_format_json_escape_forward_slashes`: `/` written as `\/` in JSON strings.
    pub json_escape_forward_slashes: bool,
    /// `output_format_write_statistics`: the JSON `statistics` object.
    pub write_statistics: bool,
    /// `output_format_pretty_max_rows`: rows a Pretty table shows at most (1000 in 26.9).
    pub pretty_max_rows: usize,
    /// `output_format_pretty_row_numbers`: the `1.` column of Pretty tables.
    pub pretty_row_numbers: bool,
    /// Seconds the query took (the JSON `statistics.elapsed`).
    pub elapsed_seconds: f64,
    /// Rows the query read (`statistics.rows_read`).
    pub rows_read: u64,
    /// Bytes the query read (`statistics.bytes_read`).
    pub bytes_read: u64,
    /// Rows before LIMIT was applied, when the query had a LIMIT
    /// (`rows_before_limit_at_least`; omitted when `None`).
    pub rows_before_limit: Option<u64>,
    /// `output_format_arrow_string_as_string`: Arrow strings as `Utf8`, not `Binary`.
    pub arrow_string_as_string: bool,
    /// `output_format_arrow_low_cardinality_as_dictionary`.
    pub arrow_low_cardinality_as_dictionary: bool,
    /// `output_format_arrow_compression_method`.
    pub arrow_compression: arrow_ipc::ArrowCompression,
    /// `output_format_parquet_string_as_string`: Parquet strings annotated as UTF-8.
    pub parquet_string_as_string: bool,
    /// `output_format_parquet_compression_method`.
    pub parquet_compression: ::parquet::basic::Compression,
    /// `output_format_parquet_row_group_size`: rows per row group.
    pub parquet_row_group_size: usize,
    /// `client_protocol_version` (an HTTP parameter): the Native format's framing.
    pub client_protocol_version: u64,
}

impl Default for OutputSettings {
    fn default() -> Self {
        OutputSettings {
            json_quote_64bit_integers: false, // ClickHouse 25.8+ default
            json_quote_decimals: false,
            json_quote_denormals: false,
            json_escape_forward_slashes: true,
            write_statistics: true,
            pretty_max_rows: 1000,
            pretty_row_numbers: true,
            elapsed_seconds: 0.0,
            rows_read: 0,
            bytes_read: 0,
            rows_before_limit: None,
            arrow_string_as_string: true,
            arrow_low_cardinality_as_dictionary: false,
            arrow_compression: arrow_ipc::ArrowCompression::Lz4Frame,
            parquet_string_as_string: true,
            parquet_compression: ::parquet::basic::Compression::ZSTD(Default::default()),
            parquet_row_group_size: 1_000_000,
            client_protocol_version: 0,
        }
    }
}

impl OutputSettings {
    /// Applies one `output_format_*` setting. Returns `Ok(false)` when the name is not one
    /// this module handles, an error when the value is not a valid one.
    pub fn apply(&mut self, name: &str, value: &str) -> Result<bool, QueryError> {
        let v = value.trim().trim_matches('\'');
        let flag = || -> Result<bool, QueryError> {
            match v.to_ascii_lowercase().as_str() {
                "1" | "true" => Ok(true),
                "0" | "false" => Ok(false),
                _ => Err(QueryError::new(
                    ErrorCode::CannotParseNumber,
                    format!("Cannot parse '{v}' as a boolean for setting {name}"),
                )),
            }
        };
        match name {
            "output_format_json_quote_64bit_integers" => self.json_quote_64bit_integers = flag()?,
            "output_format_json_quote_decimals" => self.json_quote_decimals = flag()?,
            "output_format_json_quote_denormals" => self.json_quote_denormals = flag()?,
            "output_format_json_escape_forward_slashes" => {
                self.json_escape_forward_slashes = flag()?
            }
            "output_format_write_statistics" => self.write_statistics = flag()?,
            "output_format_pretty_row_numbers" => self.pretty_row_numbers = flag()?,
            "client_protocol_version" => {
                self.client_protocol_version = v.parse().map_err(|_| {
                    QueryError::new(
                        ErrorCode::CannotParseNumber,
                        format!("Cannot parse '{v}' as a number for {name}"),
                    )
                })?
            }
            "output_format_pretty_max_rows" => {
                self.pretty_max_rows = v.parse().map_err(|_| {
                    QueryError::new(
                        ErrorCode::CannotParseNumber,
                        format!("Cannot parse '{v}' as a number for setting {name}"),
                    )
                })?
            }
            "output_format_arrow_string_as_string" => self.arrow_string_as_string = flag()?,
            "output_format_arrow_low_cardinality_as_dictionary" => {
                self.arrow_low_cardinality_as_dictionary = flag()?
            }
            "output_format_parquet_string_as_string" => self.parquet_string_as_string = flag()?,
            "output_format_arrow_compression_method" => {
                self.arrow_compression =
                    arrow_ipc::ArrowCompression::parse(v).ok_or_else(|| bad_method(name, v))?
            }
            "output_format_parquet_compression_method" => {
                self.parquet_compression =
                    parquet::parse_compression(v).ok_or_else(|| bad_method(name, v))?
            }
            "output_format_parquet_row_group_size" => {
                self.parquet_row_group_size = v.parse().map_err(|_| {
                    QueryError::new(
                        ErrorCode::CannotParseNumber,
                        format!("Cannot parse '{v}' as a number for setting {name}"),
                    )
                })?
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}

fn bad_method(name: &str, v: &str) -> QueryError {
    QueryError::new(
        ErrorCode::BadArguments,
        format!("Unknown compression method '{v}' for setting {name}"),
    )
}

/// The output formats, by their canonical names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Tsv {
        raw: bool,
        names: bool,
        types: bool,
    },
    Csv {
        names: bool,
        types: bool,
    },
    Json {
        compact: bool,
    },
    JsonEachRow {
        strings: bool,
    },
    JsonCompactEachRow {
        strings: bool,
        names: bool,
        types: bool,
    },
    Pretty(pretty::Style),
    Vertical,
    Values,
    Tskv,
    Markdown,
    Null,
    Parquet,
    Arrow {
        stream: bool,
    },
    RowBinary {
        names: bool,
        types: bool,
    },
    Native,
    Binary,
}

fn lookup(name: &str) -> Option<Format> {
    use Format::*;
    let tsv = |raw, names, types| Tsv { raw, names, types };
    let jcer = |strings, names, types| JsonCompactEachRow {
        strings,
        names,
        types,
    };
    Some(match name {
        "TabSeparated" | "TSV" => tsv(false, false, false),
        "TabSeparatedWithNames" | "TSVWithNames" => tsv(false, true, false),
        "TabSeparatedWithNamesAndTypes" | "TSVWithNamesAndTypes" => tsv(false, true, true),
        "TabSeparatedRaw" | "TSVRaw" | "Raw" => tsv(true, false, false),
        "TabSeparatedRawWithNames" | "TSVRawWithNames" | "RawWithNames" => tsv(true, true, false),
        "TabSeparatedRawWithNamesAndTypes" | "TSVRawWithNamesAndTypes" | "RawWithNamesAndTypes" => {
            tsv(true, true, true)
        }
        "CSV" => Csv {
            names: false,
            types: false,
        },
        "CSVWithNames" => Csv {
            names: true,
            types: false,
        },
        "CSVWithNamesAndTypes" => Csv {
            names: true,
            types: true,
        },
        "JSON" => Json { compact: false },
        "JSONCompact" => Json { compact: true },
        "JSONEachRow" | "JSONLines" | "NDJSON" => JsonEachRow { strings: false },
        "JSONStringsEachRow" => JsonEachRow { strings: true },
        "JSONCompactEachRow" => jcer(false, false, false),
        "JSONCompactEachRowWithNames" => jcer(false, true, false),
        "JSONCompactEachRowWithNamesAndTypes" => jcer(false, true, true),
        "JSONCompactStringsEachRow" => jcer(true, false, false),
        "JSONCompactStringsEachRowWithNames" => jcer(true, true, false),
        "JSONCompactStringsEachRowWithNamesAndTypes" => jcer(true, true, true),
        "Vertical" => Vertical,
        "Values" => Values,
        "TSKV" => Tskv,
        "Markdown" | "MD" => Markdown,
        "Null" => Null,
        "Parquet" => Parquet,
        "Arrow" => Arrow { stream: false },
        "ArrowStream" => Arrow { stream: true },
        "RowBinary" => RowBinary {
            names: false,
            types: false,
        },
        "RowBinaryWithNames" => RowBinary {
            names: true,
            types: false,
        },
        "RowBinaryWithNamesAndTypes" => RowBinary {
            names: true,
            types: true,
        },
        "Native" => Native,
        "ORC" | "Avro" => Binary,
        other => return pretty::lookup(other).map(Pretty),
    })
}

/// Finds a format by name: exactly, or else ignoring ASCII case.
fn find(name: &str) -> Option<(Format, &'static str)> {
    const NAMES: &[&str] = &[
        "TabSeparated",
        "TSV",
        "TabSeparatedWithNames",
        "TSVWithNames",
        "TabSeparatedWithNamesAndTypes",
        "TSVWithNamesAndTypes",
        "TabSeparatedRaw",
        "TSVRaw",
        "Raw",
        "TabSeparatedRawWithNames",
        "TSVRawWithNames",
        "RawWithNames",
        "TabSeparatedRawWithNamesAndTypes",
        "TSVRawWithNamesAndTypes",
        "RawWithNamesAndTypes",
        "CSV",
        "CSVWithNames",
        "CSVWithNamesAndTypes",
        "JSON",
        "JSONCompact",
        "JSONEachRow",
        "JSONLines",
        "NDJSON",
        "JSONStringsEachRow",
        "JSONCompactEachRow",
        "JSONCompactEachRowWithNames",
        "JSONCompactEachRowWithNamesAndTypes",
        "JSONCompactStringsEachRow",
        "JSONCompactStringsEachRowWithNames",
        "JSONCompactStringsEachRowWithNamesAndTypes",
        "Vertical",
        "Values",
        "TSKV",
        "Markdown",
        "MD",
        "Null",
        "RowBinary",
        "RowBinaryWithNames",
        "RowBinaryWithNamesAndTypes",
        "Native",
        "Parquet",
        "Arrow",
        "ArrowStream",
        "ORC",
        "Avro",
    ];
    let canonical = NAMES
        .iter()
        .chain(pretty::NAMES.iter())
        .find(|n| **n == name)
        .or_else(|| {
            NAMES
                .iter()
                .chain(pretty::NAMES.iter())
                .find(|n| n.eq_ignore_ascii_case(name))
        })?;
    lookup(canonical).map(|f| (f, *canonical))
}

/// Whether `name` is an output format ClickHouse knows (binary ones included, though they
/// are not implemented yet).
pub fn is_known_format(name: &str) -> bool {
    find(name).is_some()
}

/// The `Content-Type` ClickHouse's HTTP interface sends with results in `format`.
pub fn content_type(format: &str) -> &'static str {
    match find(format).map(|(f, _)| f) {
        Some(Format::Tsv { .. } | Format::Tskv) => "text/tab-separated-values; charset=UTF-8",
        Some(Format::Csv { names: false, .. }) => "text/csv; charset=UTF-8; header=absent",
        Some(Format::Csv { names: true, .. }) => "text/csv; charset=UTF-8; header=present",
        Some(Format::Json { .. }) => "application/json; charset=UTF-8",
        Some(Format::JsonEachRow { .. } | Format::JsonCompactEachRow { .. }) => {
            "application/x-ndjson; charset=UTF-8"
        }
        Some(
            Format::Binary
            | Format::Parquet
            | Format::Arrow { .. }
            | Format::RowBinary { .. }
            | Format::Native,
        ) => "application/octet-stream",
        _ => "text/plain; charset=UTF-8",
    }
}

/// Appends `out` written in `format` to `buf`. Statements without result columns write
/// nothing, as ClickHouse does.
///
/// Errors: 73 UNKNOWN_FORMAT for a name ClickHouse does not know, 48 NOT_IMPLEMENTED for
/// the binary formats.
pub fn write_output(
    format: &str,
    out: &QueryOutput,
    settings: &OutputSettings,
    buf: &mut Vec<u8>,
) -> Result<(), QueryError> {
    let Some((fmt, name)) = find(format) else {
        return Err(QueryError::new(
            ErrorCode::UnknownFormat,
            format!("Unknown output format {format}"),
        ));
    };
    if fmt == Format::Binary {
        return Err(QueryError::new(
            ErrorCode::NotImplemented,
            format!("Output format {name} is not supported yet"),
        ));
    }
    if out.columns.is_empty() {
        return Ok(());
    }
    match fmt {
        Format::Parquet => return parquet::write_parquet(out, settings, buf),
        Format::Arrow { stream } => return arrow_ipc::write_arrow(out, stream, settings, buf),
        _ => {}
    }
    let table = Table::new(out);
    let totals_out = out.totals.as_ref().map(|t| QueryOutput {
        columns: out.columns.clone(),
        batches: vec![t.clone()],
        ..QueryOutput::default()
    });
    let totals = totals_out.as_ref().map(Table::new);
    match fmt {
        Format::RowBinary { names, types } => {
            rowbinary::write_row_binary(out, &table.types, names, types, buf)?
        }
        Format::Native => {
            native::write_native(out, &table.types, settings.client_protocol_version, buf)?
        }
        Format::Tsv { raw, names, types } => {
            text::write_tsv(&table, raw, names, types, buf);
            if let Some(t) = &totals {
                buf.push(b'\n');
                text::write_tsv(t, raw, false, false, buf);
            }
        }
        Format::Csv { names, types } => {
            text::write_csv(&table, names, types, buf);
            if let Some(t) = &totals {
                buf.push(b'\n');
                text::write_csv(t, false, false, buf);
            }
        }
        Format::Json { compact } => {
            json::write_json(&table, totals.as_ref(), compact, settings, buf)
        }
        Format::JsonEachRow { strings } => json::write_each_row(&table, strings, settings, buf),
        Format::JsonCompactEachRow {
            strings,
            names,
            types,
        } => json::write_compact_each_row(&table, strings, names, types, settings, buf),
        Format::Pretty(style) => {
            pretty::write_pretty(&table, style, settings, buf);
            if let Some(t) = &totals {
                buf.extend_from_slice(b"\nTotals:\n");
                pretty::write_pretty(t, style, settings, buf);
            }
        }
        Format::Vertical => {
            pretty::write_vertical(&table, buf);
            if let Some(t) = &totals {
                pretty::write_vertical_totals(t, buf);
            }
        }
        Format::Values => text::write_values(&table, buf),
        Format::Tskv => text::write_tskv(&table, buf),
        Format::Markdown => text::write_markdown(&table, buf),
        Format::Null | Format::Binary | Format::Parquet | Format::Arrow { .. } => {}
    }
    Ok(())
}

/// A result seen as rows: each batch's columns with their names and (effective) types.
struct Table<'a> {
    names: Vec<&'a str>,
    types: Vec<DataType>,
    out: &'a QueryOutput,
}

impl<'a> Table<'a> {
    fn new(out: &'a QueryOutput) -> Table<'a> {
        let names = out.columns.iter().map(|(n, _)| n.as_str()).collect();
        let types = out
            .columns
            .iter()
            .enumerate()
            .map(
                |(i, (_, t))| match out.batches.iter().find(|b| b.num_columns() > i) {
                    Some(b) => value::effective_type(b.column(i).as_ref(), t),
                    None => t.clone(),
                },
            )
            .collect();
        Table { names, types, out }
    }

    /// Number of rows.
    fn num_rows(&self) -> usize {
        self.out.batches.iter().map(|b| b.num_rows()).sum()
    }

    /// Calls `f(row)` for each row; a [`Row`] reads the row's cells.
    fn for_each_row(&self, mut f: impl FnMut(&Row<'_>)) {
        for batch in &self.out.batches {
            for r in 0..batch.num_rows() {
                f(&Row { batch, row: r });
            }
        }
    }

    /// Type names as ClickHouse prints them (the declared types).
    fn type_names(&self) -> Vec<String> {
        self.out
            .columns
            .iter()
            .map(|(_, t)| t.to_string())
            .collect()
    }
}

/// One row of a batch.
struct Row<'a> {
    batch: &'a arrow::array::RecordBatch,
    row: usize,
}

impl Row<'_> {
    /// The array holding column `c` and the row index in it; `None` if the batch is short
    /// of columns.
    fn cell(&self, c: usize) -> Option<(&dyn arrow::array::Array, usize)> {
        (c < self.batch.num_columns()).then(|| (self.batch.column(c).as_ref(), self.row))
    }
}
