//! JSONEachRow (one object per row) and JSONCompactEachRow (one array per row) input.

use std::collections::HashMap;
use std::fmt;

use granary_storage::types::DataType;
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::Value;

mod flat;

use super::fields::Fields;
use super::literal::write_quoted;
use super::{expected, map_header, InputSettings, RawInput};
use crate::error::{ErrorCode, QueryError, Result};

/// A JSON object with its keys in order, duplicates kept.
struct Pairs(Vec<(String, Value)>);

impl<'de> Deserialize<'de> for Pairs {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Pairs;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut m: A,
            ) -> std::result::Result<Pairs, A::Error> {
                let mut v = Vec::new();
                while let Some(kv) = m.next_entry::<String, Value>()? {
                    v.push(kv);
                }
                Ok(Pairs(v))
            }
        }
        d.deserialize_map(V)
    }
}

/// Writes `v` in ClickHouse's quoted-literal form (`[1,'a']`, `{'k':1}`).
fn write_literal(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Null => out.extend_from_slice(b"NULL"),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Number(n) => out.extend_from_slice(n.to_string().as_bytes()),
        Value::String(s) => write_quoted(s, out),
        Value::Array(a) => {
            out.push(b'[');
            for (i, e) in a.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_literal(e, out);
            }
            out.push(b']');
        }
        Value::Object(o) => {
            out.push(b'{');
            for (i, (k, e)) in o.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_quoted(k, out);
                out.push(b':');
                write_literal(e, out);
            }
            out.push(b'}');
        }
    }
}

/// Appends the JSON value `v` as the text of a value of `ty`.
fn push_value(v: &Value, ty: &DataType, f: &mut Fields) {
    match v {
        Value::Null => f.push_null(),
        Value::String(s) => f.push(s.as_bytes()),
        Value::Number(n) => f.push(n.to_string().as_bytes()),
        Value::Bool(b) => match ty.base() {
            DataType::Bool | DataType::String => f.push(if *b { b"true" } else { b"false" }),
            _ => f.push(if *b { b"1" } else { b"0" }),
        },
        Value::Array(_) | Value::Object(_) => {
            write_literal(v, f.buf());
            f.push_written();
        }
    }
}

fn skip_separators(data: &[u8], mut pos: usize) -> usize {
    while pos < data.len() && (data[pos].is_ascii_whitespace() || data[pos] == b',') {
        pos += 1;
    }
    pos
}

/// The start of the line after `pos`.
fn next_line(data: &[u8], pos: usize) -> usize {
    match memchr::memchr(b'\n', data.get(pos..).unwrap_or_default()) {
        Some(i) => pos + i + 1,
        None => data.len(),
    }
}

fn json_err(e: serde_json::Error) -> QueryError {
    QueryError::new(
        ErrorCode::CannotParseInputAssertionFailed,
        format!("Cannot parse JSON: {e}"),
    )
}

/// Reads the next JSON value of type `T` at `pos`, which must start with `open`.
/// `Ok(None)`: end of data.
fn next_value<T: for<'de> Deserialize<'de>>(
    data: &[u8],
    pos: &mut usize,
    open: u8,
    in_array: bool,
) -> Option<std::result::Result<T, QueryError>> {
    *pos = skip_separators(data, *pos);
    if in_array && data.get(*pos) == Some(&b']') {
        *pos = skip_separators(data, *pos + 1);
        if *pos < data.len() {
            let e = expected("<EOF>", data, *pos);
            *pos = data.len();
            return Some(Err(e));
        }
        return None;
    }
    if *pos >= data.len() {
        return None;
    }
    if data[*pos] != open {
        let e = expected(&(open as char).to_string(), data, *pos);
        *pos = next_line(data, *pos);
        return Some(Err(e));
    }
    let mut it = serde_json::Deserializer::from_slice(&data[*pos..]).into_iter::<T>();
    match it.next() {
        Some(Ok(v)) => {
            *pos += it.byte_offset();
            Some(Ok(v))
        }
        Some(Err(e)) => {
            *pos = next_line(data, *pos);
            Some(Err(json_err(e)))
        }
        None => None,
    }
}

/// Whether JSONEachRow data is wrapped in `[ ... ]` (an array of rows); advances past `[`.
fn opens_array(data: &[u8], pos: &mut usize) -> bool {
    *pos = skip_separators(data, *pos);
    if data.get(*pos) != Some(&b'[') {
        return false;
    }
    *pos += 1;
    true
}

/// Reads JSONEachRow data.
pub(crate) fn read_each_row(
    data: &[u8],
    columns: &[(String, DataType)],
    settings: &InputSettings,
) -> Result<RawInput> {
    read_each_row_with(data, columns, settings, true)
}

/// Reads JSONEachRow data, trying each row with the fast path first when `fast`.
fn read_each_row_with(
    data: &[u8],
    columns: &[(String, DataType)],
    settings: &InputSettings,
    fast: bool,
) -> Result<RawInput> {
    let index: HashMap<&str, usize> = columns
        .iter()
        .enumerate()
        .map(|(i, (n, _))| (n.as_str(), i))
        .collect();
    let mut out = RawInput::new(columns.len());
    let mut pos = 0;
    let in_array = opens_array(data, &mut pos);
    let mut seen = vec![false; columns.len()];
    loop {
        if fast {
            let p = skip_separators(data, pos);
            if data.get(p) == Some(&b'{') {
                let skip = settings.skip_unknown_fields;
                if let Some(end) =
                    flat::read_flat_object(data, p, &index, columns, &mut seen, &mut out, skip)
                {
                    out.finish_row();
                    pos = end;
                    continue;
                }
            }
        }
        let Some(obj) = next_value::<Pairs>(data, &mut pos, b'{', in_array) else {
            break;
        };
        let res = obj.and_then(|Pairs(pairs)| {
            seen.fill(false);
            for (k, v) in &pairs {
                match index.get(k.as_str()) {
                    Some(&c) if seen[c] => {
                        return Err(QueryError::new(
                            ErrorCode::IncorrectData,
                            format!("Duplicate field found while parsing JSONEachRow format: {k}"),
                        ))
                    }
                    Some(&c) => {
                        seen[c] = true;
                        push_value(v, &columns[c].1, &mut out.fields[c]);
                    }
                    None if settings.skip_unknown_fields => {}
                    None => {
                        return Err(QueryError::new(
                            ErrorCode::IncorrectData,
                            format!("Unknown field found while parsing JSONEachRow format: {k}"),
                        ))
                    }
                }
            }
            Ok(())
        });
        match res {
            Ok(()) => out.finish_row(),
            Err(e) => {
                out.push_bad(e);
                if !settings.allows_errors() {
                    break;
                }
            }
        }
    }
    Ok(out)
}

/// Reads JSONCompactEachRow data; `header` arrays of names (and types) come first.
pub(crate) fn read_compact(
    data: &[u8],
    columns: &[(String, DataType)],
    settings: &InputSettings,
    header: usize,
) -> Result<RawInput> {
    let mut out = RawInput::new(columns.len());
    let mut pos = 0;
    let in_array = false;
    let mut mapping: Vec<Option<usize>> = (0..columns.len()).map(Some).collect();
    for h in 0..header {
        let Some(names) = next_value::<Vec<Value>>(data, &mut pos, b'[', in_array) else {
            break;
        };
        if h == 0 {
            let names: Vec<String> = names?
                .into_iter()
                .map(|v| match v {
                    Value::String(s) => s,
                    other => other.to_string(),
                })
                .collect();
            mapping = map_header(&names, columns, settings, "JSONCompactEachRowWithNames")?;
        }
    }
    while let Some(row) = next_value::<Vec<Value>>(data, &mut pos, b'[', in_array) {
        let res = row.and_then(|vals| {
            if vals.len() != mapping.len() {
                return Err(QueryError::new(
                    ErrorCode::CannotParseInputAssertionFailed,
                    format!(
                        "Cannot parse input: the row has {} values, expected {}",
                        vals.len(),
                        mapping.len()
                    ),
                ));
            }
            for (v, target) in vals.iter().zip(&mapping) {
                if let Some(c) = target {
                    push_value(v, &columns[*c].1, &mut out.fields[*c]);
                }
            }
            Ok(())
        });
        match res {
            Ok(()) => out.finish_row(),
            Err(e) => {
                out.push_bad(e);
                if !settings.allows_errors() {
                    break;
                }
            }
        }
    }
    Ok(out)
}
