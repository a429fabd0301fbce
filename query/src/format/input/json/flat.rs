//! The fast path of JSONEachRow: a flat object (`{"id":1,"kind":"a"}`) is scanned in
//! place, its plain strings and integers copied straight into the column fields, with no
//! allocation per value. Any other value (a string with escapes, a float, an array, an
//! object) is read through serde_json as the general reader would; anything unusual
//! about the row itself (a syntax error, a duplicate or unknown field) gives up on the
//! row, which the general reader then reads again and reports exactly as before. Either
//! way a field gets the same text the general reader would give it.

use std::collections::HashMap;

use granary_storage::types::DataType;
use serde_json::Value;

use super::push_value;
use crate::format::input::RawInput;

/// Up to this many columns a key is found by comparing names, not by hashing.
const LINEAR_LOOKUP_COLUMNS: usize = 16;

/// Integers longer than this go through serde_json, which prints large ones its own way.
const MAX_PLAIN_DIGITS: usize = 18;

fn ws(data: &[u8], mut p: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = data.get(p) {
        p += 1;
    }
    p
}

/// The end of a plain string whose opening quote is at `p - 1`: no escapes, no control
/// characters, valid UTF-8. `None` otherwise.
fn plain_string_end(data: &[u8], p: usize) -> Option<usize> {
    let rest = data.get(p..)?;
    let len = memchr::memchr2(b'"', b'\\', rest)?;
    let s = &rest[..len];
    if rest[len] != b'"' || s.iter().any(|&b| b < 0x20) || std::str::from_utf8(s).is_err() {
        return None;
    }
    Some(p + len)
}

/// The end of a canonical integer at `p` (`0`, `-12`), when nothing follows that would
/// make it a float; `None` otherwise.
fn plain_integer_end(data: &[u8], p: usize) -> Option<usize> {
    let digits = p + usize::from(data.get(p) == Some(&b'-'));
    let mut end = digits;
    while data.get(end).is_some_and(u8::is_ascii_digit) {
        end += 1;
    }
    let n = end - digits;
    let canonical = n > 0
        && n <= MAX_PLAIN_DIGITS
        && (data[digits] != b'0' || (n == 1 && digits == p))
        && !matches!(data.get(end), Some(b'.' | b'e' | b'E'));
    canonical.then_some(end)
}

/// Reads the object at `pos` (which holds `{`) into `out` as one row and returns the
/// position after it, or `None` with nothing pushed, for the general reader to take it.
/// The caller finishes the row.
pub(super) fn read_flat_object(
    data: &[u8],
    pos: usize,
    index: &HashMap<&str, usize>,
    columns: &[(String, DataType)],
    seen: &mut [bool],
    out: &mut RawInput,
    skip_unknown: bool,
) -> Option<usize> {
    seen.fill(false);
    let end = scan(data, pos, index, columns, seen, out, skip_unknown);
    if end.is_none() {
        for f in &mut out.fields {
            f.truncate(out.rows);
        }
    }
    end
}

fn scan(
    data: &[u8],
    pos: usize,
    index: &HashMap<&str, usize>,
    columns: &[(String, DataType)],
    seen: &mut [bool],
    out: &mut RawInput,
    skip_unknown: bool,
) -> Option<usize> {
    let mut p = ws(data, pos + 1);
    if data.get(p) == Some(&b'}') {
        return Some(p + 1);
    }
    loop {
        if data.get(p) != Some(&b'"') {
            return None;
        }
        let key_end = plain_string_end(data, p + 1)?;
        let key = std::str::from_utf8(&data[p + 1..key_end]).ok()?;
        p = ws(data, key_end + 1);
        if data.get(p) != Some(&b':') {
            return None;
        }
        p = ws(data, p + 1);
        // A short scan beats hashing the key for the few columns of a typical table.
        let found = if columns.len() <= LINEAR_LOOKUP_COLUMNS {
            columns.iter().position(|(n, _)| n == key)
        } else {
            index.get(key).copied()
        };
        let column = match found {
            Some(c) if seen[c] => return None,
            Some(c) => {
                seen[c] = true;
                Some(c)
            }
            None if skip_unknown => None,
            None => return None,
        };
        p = value(data, p, column.map(|c| (c, &columns[c].1)), out)?;
        p = ws(data, p);
        match data.get(p) {
            Some(b',') => p = ws(data, p + 1),
            Some(b'}') => return Some(p + 1),
            _ => return None,
        }
    }
}

/// Reads the value at `p` into column `column` (or skips it); the position after it.
fn value(
    data: &[u8],
    p: usize,
    column: Option<(usize, &DataType)>,
    out: &mut RawInput,
) -> Option<usize> {
    let literal = |word: &[u8]| data.get(p..p + word.len()) == Some(word);
    let (end, v): (usize, Option<Value>) = match data.get(p)? {
        b'"' => match plain_string_end(data, p + 1) {
            Some(end) => {
                if let Some((c, _)) = column {
                    out.fields[c].push(&data[p + 1..end]);
                }
                return Some(end + 1);
            }
            None => general(data, p)?,
        },
        b'-' | b'0'..=b'9' => match plain_integer_end(data, p) {
            Some(end) => {
                if let Some((c, _)) = column {
                    out.fields[c].push(&data[p..end]);
                }
                return Some(end);
            }
            None => general(data, p)?,
        },
        b't' if literal(&b"true"[..]) => (p + 4, Some(Value::Bool(true))),
        b'f' if literal(&b"false"[..]) => (p + 5, Some(Value::Bool(false))),
        b'n' if literal(&b"null"[..]) => (p + 4, Some(Value::Null)),
        _ => general(data, p)?,
    };
    if let (Some((c, ty)), Some(v)) = (column, v) {
        push_value(&v, ty, &mut out.fields[c]);
    }
    Some(end)
}

/// Reads any JSON value at `p` through serde_json.
fn general(data: &[u8], p: usize) -> Option<(usize, Option<Value>)> {
    let mut it = serde_json::Deserializer::from_slice(&data[p..]).into_iter::<Value>();
    match it.next() {
        Some(Ok(v)) => Some((p + it.byte_offset(), Some(v))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::read_each_row_with;
    use crate::format::input::{InputSettings, RawInput};
    use granary_storage::types::DataType;

    fn cols() -> Vec<(String, DataType)> {
        [
            ("i", "Int64"),
            ("u", "UInt64"),
            ("s", "String"),
            ("f", "Float64"),
            ("b", "UInt8"),
            ("a", "Array(UInt32)"),
            ("n", "Nullable(String)"),
        ]
        .iter()
        .map(|(n, t)| (n.to_string(), DataType::parse(t).expect("type")))
        .collect()
    }

    fn texts(raw: &RawInput) -> Vec<String> {
        raw.fields
            .iter()
            .map(|f| {
                let b = f.to_binary().expect("binary");
                format!("{b:?} {:?}", f.default_mask(true))
            })
            .collect()
    }

    /// The fast path gives the fields, rows and errors the general reader gives.
    #[test]
    fn same_as_the_general_reader() {
        let data = [
            r#"{"i":-12,"u":0,"s":"plain","f":1.50,"b":true,"a":[1,2],"n":null}"#,
            r#"{ "s" : "esc\"aped\u00e9" , "i" : 123456789012345678901, "u": 7 }"#,
            r#"{"f":1e3,"s":12,"n":"x","b":false,"a":[]}"#,
            r#"{}"#,
            r#"{"s":"ünïcode","i":0,"u":18446744073709551615,"f":-0}"#,
            r#"{"i":1,"i":2}"#,
            r#"{"zz":1}"#,
            r#"{"i":01}"#,
            "{\"s\":\"a\u{1}\"}",
            r#"{"s":"after errors"}"#,
        ]
        .join("\n");
        let mut settings = InputSettings {
            allow_errors_num: 100,
            ..InputSettings::default()
        };
        for skip_unknown in [false, true] {
            settings.skip_unknown_fields = skip_unknown;
            let fast = read_each_row_with(data.as_bytes(), &cols(), &settings, true).expect("fast");
            let slow =
                read_each_row_with(data.as_bytes(), &cols(), &settings, false).expect("slow");
            assert_eq!((fast.rows, fast.bad.len()), (slow.rows, slow.bad.len()));
            assert_eq!(texts(&fast), texts(&slow));
            let messages = |r: &RawInput| -> Vec<String> {
                r.bad
                    .iter()
                    .map(|(i, e)| format!("{i} {}", e.message()))
                    .collect()
            };
            assert_eq!(messages(&fast), messages(&slow));
        }
    }
}
