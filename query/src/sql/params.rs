//! Query parameters: `{name:Type}` placeholders filled from `param_name=value` before
//! parsing, as ClickHouse's `ReplaceQueryParameterVisitor` does.
//!
//! Each value is given in the text form ClickHouse takes in URL parameters (the "escaped"
//! form of TabSeparated: `\t`, `\n`, `\\`, `\'` are escapes, `\N` is NULL). It is parsed
//! as the placeholder's type *before* the query runs, so a bad value is error 457
//! BAD_QUERY_PARAMETER and a missing one error 456 UNKNOWN_QUERY_PARAMETER. A valid value
//! becomes `_CAST(<literal>, 'Type')`, which keeps the type exact; `{name:Identifier}`
//! becomes a back-quoted identifier. Placeholders inside string literals, quoted
//! identifiers and comments are left alone, and so is the row data after
//! `INSERT ... VALUES` / `FORMAT X`.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, BinaryArray};
use granary_storage::types::DataType;

use super::ParseLimits;
use crate::error::{ErrorCode, QueryError, Result};
use crate::functions::cast::{cast_with, OnError};

/// Fills the placeholders of a whole request (`query` as bytes: the statement, then for
/// `INSERT ... FORMAT X` the row data, which is never touched). Borrows `query` when it
/// has no placeholder.
pub fn substitute_query<'q>(
    query: &'q [u8],
    params: &HashMap<String, String>,
    limits: &ParseLimits,
) -> Result<Cow<'q, [u8]>> {
    let sql = crate::session::utf8_prefix(query);
    if !sql.contains('{') {
        return Ok(Cow::Borrowed(query));
    }
    let end = if super::starts_with_keyword(sql, "INSERT") {
        super::insert::data_start(sql, limits).unwrap_or(sql.len())
    } else {
        sql.len()
    };
    match substitute(&sql[..end], params)? {
        Cow::Borrowed(_) => Ok(Cow::Borrowed(query)),
        Cow::Owned(head) => {
            let mut out = head.into_bytes();
            out.extend_from_slice(&query[end..]);
            Ok(Cow::Owned(out))
        }
    }
}

/// Replaces every `{name:Type}` of `sql` outside string literals, quoted identifiers and
/// comments (see the module documentation).
pub fn substitute_params(sql: &str, params: &HashMap<String, String>) -> Result<String> {
    substitute(sql, params).map(Cow::into_owned)
}

fn substitute<'a>(sql: &'a str, params: &HashMap<String, String>) -> Result<Cow<'a, str>> {
    let b = sql.as_bytes();
    let mut out = String::new();
    let mut pos = 0usize;
    let mut copied = 0usize;
    while pos < b.len() {
        match b[pos] {
            q @ (b'\'' | b'"' | b'`') => pos = skip_quoted(b, pos, q),
            b'-' if b.get(pos + 1) == Some(&b'-') => {
                while pos < b.len() && b[pos] != b'\n' {
                    pos += 1;
                }
            }
            b'/' if b.get(pos + 1) == Some(&b'*') => {
                pos = sql[pos + 2..]
                    .find("*/")
                    .map_or(b.len(), |e| pos + 2 + e + 2);
            }
            b'{' => match placeholder(&sql[pos..]) {
                Some((len, name, ty)) => {
                    let value = params.get(name).ok_or_else(|| {
                        QueryError::new(
                            ErrorCode::UnknownQueryParameter,
                            format!("Substitution `{name}` is not set"),
                        )
                    })?;
                    out.push_str(&sql[copied..pos]);
                    out.push_str(&render(name, ty, value)?);
                    pos += len;
                    copied = pos;
                }
                None => pos += 1,
            },
            _ => pos += 1,
        }
    }
    if copied == 0 {
        return Ok(Cow::Borrowed(sql));
    }
    out.push_str(&sql[copied.min(sql.len())..]);
    Ok(Cow::Owned(out))
}

/// The position after the quoted string or identifier that starts at `start` (quote `q`).
fn skip_quoted(b: &[u8], start: usize, q: u8) -> usize {
    let mut pos = start + 1;
    while pos < b.len() {
        if b[pos] == b'\\' {
            pos += 2;
        } else if b[pos] == q {
            pos += 1;
            if b.get(pos) == Some(&q) {
                pos += 1;
            } else {
                return pos;
            }
        } else {
            pos += 1;
        }
    }
    b.len()
}

/// `{name:Type}` at the start of `s`: (length, name, type).
fn placeholder(s: &str) -> Option<(usize, &str, &str)> {
    let close = s.find('}')?;
    let inner = &s[1..close];
    let (name, ty) = inner.split_once(':')?;
    let (name, ty) = (name.trim(), ty.trim());
    let ident = |x: &str| {
        !x.is_empty()
            && x.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_')
            && !x.as_bytes()[0].is_ascii_digit()
    };
    if !ident(name) || ty.is_empty() || !ty.as_bytes()[0].is_ascii_alphabetic() {
        return None;
    }
    Some((close + 1, name, ty))
}

/// The SQL that replaces placeholder `name` of type `ty` with `value`.
fn render(name: &str, ty: &str, value: &str) -> Result<String> {
    if ty == "Identifier" {
        if value.is_empty() {
            return Err(bad_value(name, ty, value, "an identifier cannot be empty"));
        }
        return Ok(format!(
            "`{}`",
            value.replace('\\', "\\\\").replace('`', "\\`")
        ));
    }
    let data_type = DataType::parse(ty).map_err(|e| {
        QueryError::new(
            ErrorCode::UnknownType,
            format!("Unknown type {ty} of query parameter '{name}': {e}"),
        )
    })?;
    let literal =
        literal(&data_type, value.as_bytes()).map_err(|why| bad_value(name, ty, value, &why))?;
    let mut out = String::from("_CAST(");
    out.push_str(&literal);
    out.push_str(", ");
    push_quoted(ty.as_bytes(), &mut out);
    out.push(')');
    Ok(out)
}

fn bad_value(name: &str, ty: &str, value: &str, why: &str) -> QueryError {
    QueryError::new(
        ErrorCode::BadQueryParameter,
        format!("Value {value} cannot be parsed as {ty} for query parameter '{name}': {why}"),
    )
}

/// `t` without `Nullable` and `LowCardinality` wrappers, and whether it was nullable.
fn unwrap_type(t: &DataType) -> (&DataType, bool) {
    match t {
        DataType::Nullable(inner) => (unwrap_type(inner).0, true),
        DataType::LowCardinality(inner) => unwrap_type(inner),
        other => (other, false),
    }
}

/// The SQL literal for a whole parameter value (escaped text form) of type `t`.
fn literal(t: &DataType, raw: &[u8]) -> std::result::Result<String, String> {
    let (inner, nullable) = unwrap_type(t);
    if raw == b"\\N" {
        return if nullable {
            Ok("NULL".to_owned())
        } else {
            Err(format!("NULL (\\N) is not a value of {t}"))
        };
    }
    match inner {
        // Composite values are written in their quoted form even inside escaped text.
        DataType::Array(element) => {
            let mut reader = Reader { b: raw, pos: 0 };
            let lit = reader.array(element)?;
            reader.skip_blanks();
            if reader.pos != raw.len() {
                return Err(format!("unexpected text after position {}", reader.pos));
            }
            Ok(lit)
        }
        _ => scalar_literal(inner, &unescape(raw)),
    }
}

/// Checks that `text` (unescaped) is a value of the scalar type `t`; its SQL literal.
fn scalar_literal(t: &DataType, text: &[u8]) -> std::result::Result<String, String> {
    match t {
        DataType::String => {}
        DataType::FixedString(n) if text.len() > *n => {
            return Err(format!("the value is longer than {n} bytes"))
        }
        DataType::FixedString(_) => {}
        DataType::Array(_) | DataType::Map(..) => {
            return Err(format!("values of type {t} are not supported here"))
        }
        DataType::AggregateFunction(_)
        | DataType::SimpleAggregateFunction(..)
        | DataType::Nothing => return Err(format!("type {t} cannot be a query parameter")),
        _ => {
            let strings: ArrayRef = Arc::new(BinaryArray::from(vec![Some(text)]));
            let parsed = cast_with(&strings, &DataType::String, t, OnError::Null)
                .map_err(|e| e.message().to_owned())?;
            if parsed.is_null(0) {
                return Err("syntax error or value out of range".to_owned());
            }
        }
    }
    let plain_int = !text.is_empty()
        && text
            .iter()
            .enumerate()
            .all(|(i, c)| c.is_ascii_digit() || (i == 0 && *c == b'-' && text.len() > 1));
    let mut out = String::new();
    if plain_int && t.is_integer() {
        out.push_str(&String::from_utf8_lossy(text));
    } else {
        push_quoted(text, &mut out);
    }
    Ok(out)
}

/// Decodes the escapes of TabSeparated's escaped text form.
fn unescape(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] != b'\\' || i + 1 == raw.len() {
            out.push(raw[i]);
            i += 1;
            continue;
        }
        let c = raw[i + 1];
        i += 2;
        match c {
            b'b' => out.push(0x08),
            b'f' => out.push(0x0c),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'0' => out.push(0),
            b'x' => match raw.get(i..i + 2).and_then(hex_byte) {
                Some(byte) => {
                    out.push(byte);
                    i += 2;
                }
                None => out.push(b'x'),
            },
            other => out.push(other),
        }
    }
    out
}

fn hex_byte(h: &[u8]) -> Option<u8> {
    std::str::from_utf8(h)
        .ok()
        .and_then(|s| u8::from_str_radix(s, 16).ok())
}

/// Appends `v` as a single-quoted SQL string literal, escaping quotes, backslashes and
/// control characters.
fn push_quoted(v: &[u8], out: &mut String) {
    out.push('\'');
    for c in String::from_utf8_lossy(v).chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c => out.push(c),
        }
    }
    out.push('\'');
}

/// Reads array values in ClickHouse's quoted text form: `[1, 2]`, `['a', NULL]`, `[[1]]`.
struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn skip_blanks(&mut self) {
        while self.b.get(self.pos).is_some_and(u8::is_ascii_whitespace) {
            self.pos += 1;
        }
    }

    fn expect(&mut self, c: u8) -> std::result::Result<(), String> {
        self.skip_blanks();
        if self.b.get(self.pos) == Some(&c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(format!("expected '{}' at position {}", c as char, self.pos))
        }
    }

    /// `[e, ...]` of element type `element`, as an SQL array literal.
    fn array(&mut self, element: &DataType) -> std::result::Result<String, String> {
        self.expect(b'[')?;
        let mut out = String::from("[");
        self.skip_blanks();
        if self.b.get(self.pos) == Some(&b']') {
            self.pos += 1;
            out.push(']');
            return Ok(out);
        }
        loop {
            out.push_str(&self.element(element)?);
            self.skip_blanks();
            match self.b.get(self.pos) {
                Some(b',') => {
                    self.pos += 1;
                    out.push_str(", ");
                }
                Some(b']') => {
                    self.pos += 1;
                    out.push(']');
                    return Ok(out);
                }
                _ => return Err(format!("expected ',' or ']' at position {}", self.pos)),
            }
        }
    }

    /// One element of type `t`.
    fn element(&mut self, t: &DataType) -> std::result::Result<String, String> {
        let (inner, nullable) = unwrap_type(t);
        self.skip_blanks();
        if let DataType::Array(e) = inner {
            if !self.at_null() {
                return self.array(e);
            }
        }
        if self.at_null() {
            self.pos += 4;
            return if nullable {
                Ok("NULL".to_owned())
            } else {
                Err(format!("NULL is not a value of {t}"))
            };
        }
        match self.b.get(self.pos) {
            Some(b'\'') => {
                let text = self.quoted()?;
                scalar_literal(inner, &text)
            }
            Some(_) if matches!(inner, DataType::String | DataType::FixedString(_)) => {
                Err(format!("expected a quoted string at position {}", self.pos))
            }
            Some(_) => {
                let start = self.pos;
                while self
                    .b
                    .get(self.pos)
                    .is_some_and(|c| !matches!(c, b',' | b']') && !c.is_ascii_whitespace())
                {
                    self.pos += 1;
                }
                scalar_literal(inner, &self.b[start..self.pos])
            }
            None => Err("unexpected end of the array".to_owned()),
        }
    }

    fn at_null(&self) -> bool {
        self.b
            .get(self.pos..self.pos + 4)
            .is_some_and(|w| w.eq_ignore_ascii_case(b"NULL"))
    }

    /// A single-quoted string with backslash escapes (and `''`), unescaped.
    fn quoted(&mut self) -> std::result::Result<Vec<u8>, String> {
        let start = self.pos;
        self.pos += 1;
        let mut raw = Vec::new();
        loop {
            match self.b.get(self.pos) {
                None => return Err(format!("unterminated string at position {start}")),
                Some(b'\\') => {
                    raw.extend_from_slice(self.b.get(self.pos..self.pos + 2).unwrap_or(b"\\"));
                    self.pos += 2;
                }
                Some(b'\'') if self.b.get(self.pos + 1) == Some(&b'\'') => {
                    raw.push(b'\'');
                    self.pos += 2;
                }
                Some(b'\'') => {
                    self.pos += 1;
                    return Ok(unescape(&raw));
                }
                Some(&c) => {
                    raw.push(c);
                    self.pos += 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn sub(sql: &str, pairs: &[(&str, &str)]) -> Result<String> {
        substitute_params(sql, &p(pairs))
    }

    #[test]
    fn scalars() {
        assert_eq!(
            sub("SELECT {a:UInt8}, {b:Int64}", &[("a", "7"), ("b", "-3")]).unwrap(),
            "SELECT _CAST(7, 'UInt8'), _CAST(-3, 'Int64')"
        );
        assert_eq!(
            sub("SELECT {f:Float64}", &[("f", "1.5e3")]).unwrap(),
            "SELECT _CAST('1.5e3', 'Float64')"
        );
        assert_eq!(
            sub("SELECT {d:Date}", &[("d", "2024-02-29")]).unwrap(),
            "SELECT _CAST('2024-02-29', 'Date')"
        );
        assert_eq!(
            sub(
                "SELECT {u:UUID}",
                &[("u", "61f0c404-5cb3-11e7-907b-a6006ad3dba0")]
            )
            .unwrap(),
            "SELECT _CAST('61f0c404-5cb3-11e7-907b-a6006ad3dba0', 'UUID')"
        );
        assert_eq!(
            sub("SELECT {s:String}", &[("s", "a\\tb'c\\\\")]).unwrap(),
            "SELECT _CAST('a\\tb\\'c\\\\', 'String')"
        );
    }

    #[test]
    fn nullable_and_arrays() {
        assert_eq!(
            sub("SELECT {n:Nullable(Int32)}", &[("n", "\\N")]).unwrap(),
            "SELECT _CAST(NULL, 'Nullable(Int32)')"
        );
        assert_eq!(
            sub("SELECT {a:Array(UInt8)}", &[("a", "[1, 2,3]")]).unwrap(),
            "SELECT _CAST([1, 2, 3], 'Array(UInt8)')"
        );
        assert_eq!(
            sub(
                "SELECT {a:Array(Nullable(String))}",
                &[("a", "['x\\'y', NULL]")]
            )
            .unwrap(),
            "SELECT _CAST(['x\\'y', NULL], 'Array(Nullable(String))')"
        );
        assert_eq!(
            sub(
                "SELECT {a:Array(Array(Date))}",
                &[("a", "[['2024-01-01'],[]]")]
            )
            .unwrap(),
            "SELECT _CAST([['2024-01-01'], []], 'Array(Array(Date))')"
        );
    }

    #[test]
    fn bad_values_are_457() {
        for (ty, v) in [
            ("UInt8", "300"),
            ("UInt8", "-1"),
            ("Int32", "12abc"),
            ("Date", "yesterday"),
            ("UUID", "nope"),
            ("Int32", "\\N"),
            ("Array(UInt8)", "[1,"),
            ("Array(UInt8)", "[1] x"),
            ("Array(String)", "[abc]"),
            ("FixedString(2)", "abc"),
        ] {
            let e = sub(&format!("SELECT {{x:{ty}}}"), &[("x", v)]).unwrap_err();
            assert_eq!(e.code(), 457, "{ty} {v}: {}", e.message());
        }
        let e = sub("SELECT {x:Nope}", &[("x", "1")]).unwrap_err();
        assert_eq!(e.code(), 50);
    }

    #[test]
    fn missing_is_456_and_literals_are_kept() {
        let e = sub("SELECT {x:UInt8}", &[]).unwrap_err();
        assert_eq!(e.code(), 456);
        assert_eq!(e.message(), "Substitution `x` is not set");
        let kept = "SELECT '{x:UInt8}', `{x:UInt8}`, \"{x:UInt8}\" -- {x:UInt8}\n/* {x:UInt8} */";
        assert_eq!(sub(kept, &[]).unwrap(), kept);
    }

    #[test]
    fn identifiers() {
        assert_eq!(
            sub("SELECT * FROM {t:Identifier}", &[("t", "my`t")]).unwrap(),
            "SELECT * FROM `my\\`t`"
        );
    }

    #[test]
    fn insert_data_is_untouched() {
        let limits = ParseLimits::default();
        let q = b"INSERT INTO {t:Identifier} FORMAT JSONEachRow\n{\"a:b\":1}\n{x:UInt8}";
        let out = substitute_query(q, &p(&[("t", "events")]), &limits).unwrap();
        assert_eq!(
            out.as_ref(),
            b"INSERT INTO `events` FORMAT JSONEachRow\n{\"a:b\":1}\n{x:UInt8}"
        );
        let plain = b"INSERT INTO t FORMAT TSV\n{x:UInt8}";
        assert!(matches!(
            substitute_query(plain, &p(&[]), &limits).unwrap(),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn no_panic_on_odd_input() {
        for s in ["{", "{x:", "{x:U}", "'{x:UInt8}", "{x:Array(UInt8)}"] {
            for v in ["", "\\", "[", "['", "[[", "\\x", "\\xZ"] {
                let _ = sub(s, &[("x", v)]);
            }
        }
    }
}
