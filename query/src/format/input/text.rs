//! The line-oriented text formats: TabSeparated (escaped fields), CSV (quoted fields)
//! and LineAsString.

use granary_storage::types::DataType;
use memchr::memchr;

use super::fields::Fields;
use super::literal::unescape_char;
use super::{expected, map_header, InputSettings, RawInput};
use crate::error::{ErrorCode, QueryError, Result};

/// The line at `pos` (without its `\n`) and the position after it.
fn next_line(data: &[u8], pos: usize) -> (&[u8], usize) {
    let rest = data.get(pos..).unwrap_or_default();
    match memchr(b'\n', rest) {
        Some(i) => (&rest[..i], pos + i + 1),
        None => (rest, data.len()),
    }
}

/// Appends the TSV-unescaped `field` to `out`.
fn unescape_into(field: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while i < field.len() {
        let Some(j) = memchr(b'\\', &field[i..]) else {
            out.extend_from_slice(&field[i..]);
            return;
        };
        out.extend_from_slice(&field[i..i + j]);
        i += j + 1;
        let Some(&e) = field.get(i) else {
            out.push(b'\\');
            return;
        };
        i += 1;
        if e == b'x' || e == b'X' {
            let hex = field
                .get(i..i + 2)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(v) = hex {
                out.push(v);
                i += 2;
                continue;
            }
        }
        out.push(unescape_char(e));
    }
}

#[inline]
fn push_tsv_field(f: &mut Fields, field: &[u8], raw: bool) {
    if raw {
        f.push(field);
    } else if field == b"\\N" {
        f.push_null();
    } else if memchr(b'\\', field).is_none() {
        f.push(field);
    } else {
        unescape_into(field, f.buf());
        f.push_written();
    }
}

fn header_names(line: &[u8], split: impl Fn(&[u8]) -> Vec<Vec<u8>>) -> Vec<String> {
    split(line)
        .into_iter()
        .map(|n| String::from_utf8_lossy(&n).into_owned())
        .collect()
}

/// Reads TabSeparated data; `header` lines of names (and types) come first.
pub(crate) fn read_tsv(
    data: &[u8],
    columns: &[(String, DataType)],
    settings: &InputSettings,
    header: usize,
    raw: bool,
) -> Result<RawInput> {
    let mut out = RawInput::new(columns.len());
    let mut pos = 0;
    let mut mapping: Vec<Option<usize>> = (0..columns.len()).map(Some).collect();
    if header >= 1 && !data.is_empty() {
        let (line, next) = next_line(data, pos);
        pos = next;
        let names = header_names(line, |l| {
            l.split(|b| *b == b'\t')
                .map(|f| {
                    let mut v = Vec::new();
                    unescape_into(f, &mut v);
                    v
                })
                .collect()
        });
        mapping = map_header(&names, columns, settings, "TabSeparatedWithNames")?;
        if header >= 2 {
            pos = next_line(data, pos).1;
        }
    }
    let ncols = mapping.len();
    while pos < data.len() {
        let (line, next) = next_line(data, pos);
        let mut idx = 0;
        let mut start = 0;
        let mut err = None;
        loop {
            let fend = memchr(b'\t', &line[start..]).map_or(line.len(), |i| start + i);
            if idx >= ncols {
                err = Some(expected("\\n", data, (pos + start).saturating_sub(1)));
                break;
            }
            if let Some(c) = mapping[idx] {
                push_tsv_field(&mut out.fields[c], &line[start..fend], raw);
            }
            idx += 1;
            if fend == line.len() {
                break;
            }
            start = fend + 1;
        }
        if err.is_none() && idx < ncols {
            err = Some(expected("\\t", data, pos + line.len()));
        }
        pos = next;
        match err {
            Some(e) => {
                out.push_bad(e);
                if !settings.allows_errors() {
                    break;
                }
            }
            None => out.finish_row(),
        }
    }
    Ok(out)
}

/// What one CSV field was.
enum Kind {
    Value,
    Null,
    Empty,
}

/// Reads the CSV field at `i` into `out`; returns the position after it.
fn read_csv_field(
    data: &[u8],
    mut i: usize,
    delim: u8,
    out: &mut Vec<u8>,
) -> Result<(usize, Kind)> {
    let blank = |c: u8| (c == b' ' || c == b'\t') && c != delim;
    while i < data.len() && blank(data[i]) {
        i += 1;
    }
    if data.get(i) == Some(&b'"') {
        i += 1;
        loop {
            let Some(j) = memchr(b'"', &data[i..]) else {
                return Err(expected("\"", data, data.len()));
            };
            out.extend_from_slice(&data[i..i + j]);
            i += j + 1;
            if data.get(i) == Some(&b'"') {
                out.push(b'"');
                i += 1;
            } else {
                break;
            }
        }
        while i < data.len() && blank(data[i]) {
            i += 1;
        }
        return Ok((i, Kind::Value));
    }
    let start = i;
    while i < data.len() && data[i] != delim && data[i] != b'\n' && data[i] != b'\r' {
        i += 1;
    }
    let mut tok = &data[start..i];
    while let [rest @ .., last] = tok {
        if blank(*last) {
            tok = rest;
        } else {
            break;
        }
    }
    if tok == b"\\N" {
        return Ok((i, Kind::Null));
    }
    if tok.is_empty() {
        return Ok((i, Kind::Empty));
    }
    out.extend_from_slice(tok);
    Ok((i, Kind::Value))
}

/// The position after the line end at `i` (`\n`, `\r\n` or end of data).
fn line_end(data: &[u8], i: usize) -> Option<usize> {
    match data.get(i) {
        None => Some(i),
        Some(b'\n') => Some(i + 1),
        Some(b'\r') if data.get(i + 1) == Some(&b'\n') => Some(i + 2),
        Some(b'\r') if i + 1 == data.len() => Some(i + 1),
        _ => None,
    }
}

/// Reads one CSV row at `pos` into `out` (using `scratch` for skipped columns); returns
/// the position after it.
fn read_csv_row(
    data: &[u8],
    mut pos: usize,
    mapping: &[Option<usize>],
    settings: &InputSettings,
    out: &mut RawInput,
    scratch: &mut Vec<u8>,
) -> Result<usize> {
    let delim = settings.csv_delimiter;
    for (j, target) in mapping.iter().enumerate() {
        let (next, kind) = match target {
            Some(c) => read_csv_field(data, pos, delim, out.fields[*c].buf())?,
            None => {
                scratch.clear();
                read_csv_field(data, pos, delim, scratch)?
            }
        };
        if let Some(c) = target {
            let f = &mut out.fields[*c];
            match kind {
                Kind::Value => f.push_written(),
                Kind::Null => f.push_null(),
                Kind::Empty if settings.csv_empty_as_default => f.push_missing(),
                Kind::Empty => f.push_written(),
            }
        }
        pos = next;
        if j + 1 < mapping.len() {
            if data.get(pos) != Some(&delim) {
                return Err(expected(&(delim as char).to_string(), data, pos));
            }
            pos += 1;
        } else {
            return line_end(data, pos).ok_or_else(|| expected("\\n", data, pos));
        }
    }
    line_end(data, pos).ok_or_else(|| expected("\\n", data, pos))
}

/// Splits a CSV header line into its names.
fn csv_header(data: &[u8], pos: usize, delim: u8) -> Result<(Vec<String>, usize)> {
    let mut names = Vec::new();
    let mut i = pos;
    loop {
        let mut v = Vec::new();
        let (next, _) = read_csv_field(data, i, delim, &mut v)?;
        names.push(String::from_utf8_lossy(&v).into_owned());
        if data.get(next) == Some(&delim) {
            i = next + 1;
            continue;
        }
        let end = line_end(data, next).ok_or_else(|| expected("\\n", data, next))?;
        return Ok((names, end));
    }
}

/// Reads CSV data; `header` lines of names (and types) come first.
pub(crate) fn read_csv(
    data: &[u8],
    columns: &[(String, DataType)],
    settings: &InputSettings,
    header: usize,
) -> Result<RawInput> {
    let mut out = RawInput::new(columns.len());
    let mut pos = 0;
    let mut mapping: Vec<Option<usize>> = (0..columns.len()).map(Some).collect();
    if header >= 1 && !data.is_empty() {
        let (names, next) = csv_header(data, pos, settings.csv_delimiter)?;
        mapping = map_header(&names, columns, settings, "CSVWithNames")?;
        pos = next;
        if header >= 2 && pos < data.len() {
            pos = csv_header(data, pos, settings.csv_delimiter)?.1;
        }
    }
    let mut scratch = Vec::new();
    while pos < data.len() {
        match read_csv_row(data, pos, &mapping, settings, &mut out, &mut scratch) {
            Ok(next) => {
                out.finish_row();
                pos = next;
            }
            Err(e) => {
                out.push_bad(e);
                if !settings.allows_errors() {
                    break;
                }
                // Resynchronize at the next line.
                pos = next_line(data, pos).1;
            }
        }
    }
    Ok(out)
}

/// Reads LineAsString: every line is one String value, taken as is.
pub(crate) fn read_lines(data: &[u8], columns: &[(String, DataType)]) -> Result<RawInput> {
    if columns.len() != 1 || !matches!(columns[0].1.base(), DataType::String) {
        return Err(QueryError::new(
            ErrorCode::BadArguments,
            "This input format is only suitable for tables with a single column of type String or LowCardinality(String)",
        ));
    }
    let mut out = RawInput::new(1);
    let mut pos = 0;
    while pos < data.len() {
        let (line, next) = next_line(data, pos);
        out.fields[0].push(line);
        out.finish_row();
        pos = next;
    }
    Ok(out)
}
