//! The `file(path[, format[, structure]])` table function: rows of files under the
//! server's user files directory (`user_files_path`, by default `<data dir>/user_files`).
//!
//! Paths are relative to that directory (an absolute path must lie inside it; anything that
//! escapes it is error 291 DATABASE_ACCESS_DENIED). `*` and `?` in the file name match
//! several files, read in name order. The format defaults from the extension. Parquet,
//! Arrow and ArrowStream files describe their own columns; the text formats (CSV, TSV,
//! JSONEachRow, ...) need the `structure` argument (`'a UInt32, b String'`), read with the
//! INSERT input parsers. With a structure, columns are taken by name from Arrow-family
//! files and converted; columns a file lacks get their type's default.

use std::path::{Component, Path, PathBuf};

use arrow::array::ArrayRef;
use arrow::datatypes::{Field, Schema};
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
use granary_storage::types::DataType;
use sqlparser::ast::{Expr, FunctionArg, FunctionArgExpr, TableFunctionArgs};
use std::sync::Arc;

use super::binder::Scope;
use super::select::SourceSpec;
use super::source::Source;
use super::QueryContext;
use crate::error::{ErrorCode, QueryError, Result};
use crate::format::input::arrow_import::{decode_owned, import_array, schema_columns, ArrowFormat};
use crate::format::input::{is_supported, parse_input_detailed, InputSettings};
use crate::query_err;

/// Columns and (for a file with rows) its rows.
type FileRows = (Vec<(String, DataType)>, Option<RecordBatch>);

/// Rows per batch handed to the pipeline (so several threads share a big file).
const BATCH_ROWS: usize = 65_536;

/// Plans `file(...)` with the given arguments.
pub(super) fn file_table(
    ctx: &QueryContext,
    args: &TableFunctionArgs,
) -> Result<(SourceSpec, Scope)> {
    let texts: Vec<String> = args.args.iter().map(argument_text).collect::<Result<_>>()?;
    let (path, format, structure) = match texts.as_slice() {
        [p] => (p, None, None),
        [p, f] => (p, Some(f.clone()), None),
        [p, f, s] => (p, Some(f.clone()), Some(s.as_str())),
        _ => {
            return query_err!(
                NumberOfArgumentsDoesntMatch,
                "Table function 'file' requires 1, 2 or 3 arguments: path[, format[, structure]]"
            )
        }
    };
    let format = match format.filter(|f| f != "auto") {
        Some(f) => f,
        None => format_from_extension(path)?,
    };
    if !is_supported(&format) {
        return query_err!(UnknownFormat, "Unknown input format {format}");
    }
    let root = user_files_root(ctx)?;
    let files = resolve(&root, path)?;
    let declared = structure.map(parse_structure).transpose()?;
    let arrow_format = ArrowFormat::from_name(&format);
    if declared.is_none() && arrow_format.is_none() {
        return query_err!(
            CannotExtractTableStructure,
            "Schema inference for format {format} is not supported: pass the structure, \
             e.g. file('{path}', {format}, 'a UInt32, b String')"
        );
    }
    let mut columns = declared;
    let mut batches = Vec::new();
    for file in &files {
        let data = std::fs::read(file).map_err(|e| cannot_read(file, &e))?;
        let (cols, batch) = match (&columns, arrow_format) {
            (None, Some(af)) => read_self_described(af, data)?,
            (Some(cols), _) => (cols.clone(), read_with_structure(&format, &data, cols)?),
            (None, None) => unreachable_structure()?,
        };
        if let Some(b) = batch {
            let mut offset = 0;
            while offset < b.num_rows() {
                let len = BATCH_ROWS.min(b.num_rows() - offset);
                batches.push(b.slice(offset, len));
                offset += len;
            }
        }
        columns = Some(cols);
    }
    let Some(columns) = columns else {
        return query_err!(
            CannotExtractTableStructure,
            "The table structure cannot be extracted from a {format} format file: no files \
             match '{path}'. You can specify the structure manually"
        );
    };
    Ok((
        SourceSpec::Ready(Source::Batches(batches)),
        Scope {
            columns,
            qualifiers: vec!["file".into()],
            column_qualifiers: Vec::new(),
        },
    ))
}

fn unreachable_structure() -> Result<FileRows> {
    query_err!(LogicalError, "file(): no structure for a text format")
}

/// A literal argument as text: a string (`'data.csv'`) or a bare name (`Parquet`).
fn argument_text(a: &FunctionArg) -> Result<String> {
    let e = match a {
        FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => e,
        other => return query_err!(BadArguments, "Bad argument {other} of table function file"),
    };
    match e {
        Expr::Value(v) => match &v.value {
            sqlparser::ast::Value::SingleQuotedString(s)
            | sqlparser::ast::Value::DoubleQuotedString(s) => Ok(s.clone()),
            other => query_err!(
                BadArguments,
                "Table function file expects string arguments, got {other}"
            ),
        },
        Expr::Identifier(id) => Ok(id.value.clone()),
        other => query_err!(
            BadArguments,
            "Table function file expects string arguments, got {other}"
        ),
    }
}

/// ClickHouse's format guess from a file name's extension.
fn format_from_extension(path: &str) -> Result<String> {
    let ext = Path::new(path)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    Ok(match ext.as_str() {
        "parquet" => "Parquet",
        "arrow" | "feather" => "Arrow",
        "arrows" => "ArrowStream",
        "csv" => "CSV",
        "tsv" => "TSV",
        "json" | "jsonl" | "ndjson" => "JSONEachRow",
        _ => {
            return query_err!(
            BadArguments,
            "Cannot determine the file format by the file extension of '{path}': pass the format"
        )
        }
    }
    .to_string())
}

/// The user files directory, canonical.
fn user_files_root(ctx: &QueryContext) -> Result<PathBuf> {
    let root = match &ctx.settings.user_files_path {
        Some(p) => p.clone(),
        None => ctx.engine.data_dir().join("user_files"),
    };
    root.canonicalize().map_err(|e| {
        QueryError::new(
            ErrorCode::FileDoesntExist,
            format!(
                "The user files directory {} is not available: {e}",
                root.display()
            ),
        )
    })
}

fn access_denied(path: &str, root: &Path) -> QueryError {
    QueryError::new(
        ErrorCode::DatabaseAccessDenied,
        format!("File is not inside {}: {path}", root.display()),
    )
}

fn cannot_read(file: &Path, e: &std::io::Error) -> QueryError {
    if e.kind() == std::io::ErrorKind::NotFound {
        return QueryError::new(
            ErrorCode::FileDoesntExist,
            format!("File {} doesn't exist", file.display()),
        );
    }
    QueryError::new(
        ErrorCode::CannotReadFromFileDescriptor,
        format!("Cannot read file {}: {e}", file.display()),
    )
}

fn has_glob(s: &str) -> bool {
    s.contains(['*', '?'])
}

/// The files `path` names inside `root` (canonical `root`), in name order.
pub(crate) fn resolve(root: &Path, path: &str) -> Result<Vec<PathBuf>> {
    let p = Path::new(path);
    let joined = if p.is_absolute() {
        p.to_path_buf()
    } else {
        root.join(p)
    };
    // Lexically: no `..` may climb above the root.
    let mut clean = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::ParentDir => {
                if !clean.pop() {
                    return Err(access_denied(path, root));
                }
            }
            Component::CurDir => {}
            other => clean.push(other),
        }
    }
    if !clean.starts_with(root) {
        return Err(access_denied(path, root));
    }
    let name = clean
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_string();
    let dir = clean.parent().map(Path::to_path_buf).unwrap_or_default();
    if has_glob(&dir.to_string_lossy()) {
        return query_err!(
            NotImplemented,
            "Globs are supported in the file name only, not in directories: {path}"
        );
    }
    let candidates = if has_glob(&name) {
        let mut found = Vec::new();
        if let Ok(entries) = std::fs::read_dir(&dir) {
            for entry in entries.flatten() {
                let n = entry.file_name();
                if let Some(n) = n.to_str() {
                    if glob_match(name.as_bytes(), n.as_bytes()) && entry.path().is_file() {
                        found.push(entry.path());
                    }
                }
            }
        }
        found.sort();
        found
    } else {
        vec![clean]
    };
    // Symlinks must not lead out of the root either.
    for f in &candidates {
        if let Ok(real) = f.canonicalize() {
            if !real.starts_with(root) {
                return Err(access_denied(path, root));
            }
        }
    }
    Ok(candidates)
}

/// Whether `name` matches `pattern` (`*` any run of bytes, `?` one byte).
fn glob_match(pattern: &[u8], name: &[u8]) -> bool {
    let (mut p, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, n));
                p += 1;
            }
            Some(&c) if c == b'?' || c == name[n] => {
                p += 1;
                n += 1;
            }
            _ => match star {
                Some((sp, sn)) => {
                    p = sp + 1;
                    n = sn + 1;
                    star = Some((sp, sn + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

/// Parses `'a UInt32, b Nullable(String)'`.
pub(crate) fn parse_structure(s: &str) -> Result<Vec<(String, DataType)>> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut quote = false;
    let mut start = 0;
    let bytes = s.as_bytes();
    let mut pieces = Vec::new();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'\'' => quote = !quote,
            b'(' if !quote => depth += 1,
            b')' if !quote => depth -= 1,
            b',' if !quote && depth == 0 => {
                pieces.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    pieces.push(&s[start..]);
    for piece in pieces {
        let piece = piece.trim();
        if piece.is_empty() {
            return query_err!(SyntaxError, "Empty column declaration in structure '{s}'");
        }
        let (name, ty) = if let Some(rest) = piece.strip_prefix('`') {
            match rest.split_once('`') {
                Some((n, t)) => (n.to_string(), t.trim()),
                None => return query_err!(SyntaxError, "Unclosed ` in structure '{s}'"),
            }
        } else {
            match piece.split_once(char::is_whitespace) {
                Some((n, t)) => (n.to_string(), t.trim()),
                None => {
                    return query_err!(
                        SyntaxError,
                        "Column '{piece}' has no type in structure '{s}'"
                    )
                }
            }
        };
        out.push((name, DataType::parse(ty)?));
    }
    Ok(out)
}

/// A Parquet/Arrow file read with its own schema.
fn read_self_described(format: ArrowFormat, data: Vec<u8>) -> Result<FileRows> {
    let (schema, batches) = decode_owned(format, data)?;
    let columns = schema_columns(&schema)?;
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    if rows == 0 {
        return Ok((columns, None));
    }
    let batch = arrow::compute::concat_batches(&schema, &batches)?;
    let arrays = columns
        .iter()
        .zip(batch.columns())
        .map(|((_, ty), a)| import_array(a, ty))
        .collect::<Result<Vec<_>>>()?;
    Ok((columns.clone(), Some(make_batch(&columns, arrays, rows)?)))
}

/// A file read for declared `columns` with the INSERT input parsers.
fn read_with_structure(
    format: &str,
    data: &[u8],
    columns: &[(String, DataType)],
) -> Result<Option<RecordBatch>> {
    let parsed = parse_input_detailed(format, data, columns, &InputSettings::default())?;
    if parsed.rows == 0 {
        return Ok(None);
    }
    let arrays = parsed.columns.into_iter().map(|c| c.array).collect();
    Ok(Some(make_batch(columns, arrays, parsed.rows)?))
}

fn make_batch(
    columns: &[(String, DataType)],
    arrays: Vec<ArrayRef>,
    rows: usize,
) -> Result<RecordBatch> {
    let fields: Vec<Field> = columns
        .iter()
        .zip(&arrays)
        .map(|((n, _), a)| Field::new(n, a.data_type().clone(), true))
        .collect();
    let opts = RecordBatchOptions::new().with_row_count(Some(rows));
    Ok(RecordBatch::try_new_with_options(
        Arc::new(Schema::new(fields)),
        arrays,
        &opts,
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_matching() {
        assert!(glob_match(b"*.parquet", b"a.parquet"));
        assert!(glob_match(b"data_?.csv", b"data_1.csv"));
        assert!(!glob_match(b"data_?.csv", b"data_10.csv"));
        assert!(glob_match(b"*", b""));
        assert!(!glob_match(b"*.csv", b"a.tsv"));
    }

    #[test]
    fn structure_parsing() {
        let s = parse_structure("a UInt32, `b c` Nullable(String), m Map(String, UInt8)")
            .unwrap_or_default();
        assert_eq!(s.len(), 3);
        assert_eq!(s[1].0, "b c");
        assert_eq!(s[2].1.to_string(), "Map(String, UInt8)");
        assert!(parse_structure("a").is_err());
    }

    #[test]
    fn paths_stay_inside_the_root() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let root = dir.path().canonicalize().unwrap_or_else(|e| panic!("{e}"));
        assert!(resolve(&root, "../etc/passwd").is_err());
        assert!(resolve(&root, "/etc/passwd").is_err());
        assert!(resolve(&root, "a/../../x").is_err());
        let ok = resolve(&root, "sub/../x.csv").unwrap_or_default();
        assert_eq!(ok, vec![root.join("x.csv")]);
        let e = resolve(&root, "../x").err().map(|e| e.code());
        assert_eq!(e, Some(291));
    }
}
