//! Query parameters: `{name:Type}` placeholders filled from `param_name=value` before
//! parsing, as ClickHouse does: each becomes `_CAST('value', 'Type')` (so the function
//! registry needs `_CAST(String, 'Type')`, which parses text as the type), and
//! `{name:Identifier}` becomes a back-quoted identifier.

use std::collections::HashMap;

use crate::error::{ErrorCode, QueryError, Result};

/// Replaces every `{name:Type}` outside string literals, quoted identifiers and comments.
///
/// Values are in the text form ClickHouse takes in URL parameters (TSV-escaped: `\t`, `\n`,
/// `\\` are escapes, which SQL string literals share); a quote in a value is escaped. A
/// placeholder without a value is error 36 BAD_ARGUMENTS (ClickHouse: 456
/// UNKNOWN_QUERY_PARAMETER) `Substitution `name` is not set`.
pub fn substitute_params(sql: &str, params: &HashMap<String, String>) -> Result<String> {
    let b = sql.as_bytes();
    let mut out = String::with_capacity(sql.len());
    let mut pos = 0usize;
    let mut copied = 0usize;
    while pos < b.len() {
        match b[pos] {
            q @ (b'\'' | b'"' | b'`') => {
                pos += 1;
                while pos < b.len() {
                    if b[pos] == b'\\' {
                        pos += 2;
                    } else if b[pos] == q {
                        pos += 1;
                        if b.get(pos) == Some(&q) {
                            pos += 1;
                        } else {
                            break;
                        }
                    } else {
                        pos += 1;
                    }
                }
            }
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
                            ErrorCode::BadArguments,
                            format!("Substitution `{name}` is not set"),
                        )
                    })?;
                    out.push_str(&sql[copied..pos]);
                    if ty == "Identifier" {
                        out.push('`');
                        out.push_str(&value.replace('\\', "\\\\").replace('`', "\\`"));
                        out.push('`');
                    } else {
                        out.push_str("_CAST(");
                        quote_tsv_value(value, &mut out);
                        out.push_str(", ");
                        quote_tsv_value(ty, &mut out);
                        out.push(')');
                    }
                    pos += len;
                    copied = pos;
                }
                None => pos += 1,
            },
            _ => pos += 1,
        }
    }
    out.push_str(&sql[copied.min(sql.len())..]);
    Ok(out)
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

/// Appends `v` as a single-quoted SQL literal, keeping its backslash escapes.
fn quote_tsv_value(v: &str, out: &mut String) {
    out.push('\'');
    let mut chars = v.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(n) => {
                    out.push('\\');
                    out.push(n);
                }
                None => out.push_str("\\\\"),
            },
            '\'' => out.push_str("\\'"),
            c => out.push(c),
        }
    }
    out.push('\'');
}
