//! ClickHouse's quoted-literal form of composite values as it appears in text formats:
//! arrays `[1, 'a\'b', NULL, [2]]` and maps `{'k': 1}`. Splits one such text into element
//! texts (strings unquoted and unescaped, nested composites kept as raw text).

use super::fields::Fields;

/// Skips ASCII whitespace from `i`.
fn skip_ws(s: &[u8], mut i: usize) -> usize {
    while i < s.len() && s[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

/// Reads a quoted string starting at the quote `s[i]`, appending its unescaped content to
/// `out`; returns the index after the closing quote.
fn read_quoted(s: &[u8], mut i: usize, out: &mut Vec<u8>) -> Option<usize> {
    let q = *s.get(i)?;
    i += 1;
    loop {
        let c = *s.get(i)?;
        if c == q {
            if s.get(i + 1) == Some(&q) {
                out.push(q);
                i += 2;
                continue;
            }
            return Some(i + 1);
        }
        if c == b'\\' {
            let e = *s.get(i + 1)?;
            i += 2;
            match e {
                b'x' | b'X' => {
                    let h = s.get(i..i + 2)?;
                    let v = u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()?;
                    out.push(v);
                    i += 2;
                }
                other => out.push(unescape_char(other)),
            }
            continue;
        }
        out.push(c);
        i += 1;
    }
}

/// The byte a backslash escape `\c` stands for.
pub(crate) fn unescape_char(c: u8) -> u8 {
    match c {
        b'n' => b'\n',
        b't' => b'\t',
        b'r' => b'\r',
        b'b' => 0x08,
        b'f' => 0x0c,
        b'0' => 0,
        b'a' => 0x07,
        b'v' => 0x0b,
        b'e' => 0x1b,
        other => other,
    }
}

/// Reads a nested `[..]`, `(..)` or `{..}` starting at `s[i]`; returns its end.
fn skip_nested(s: &[u8], mut i: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut scratch = Vec::new();
    while i < s.len() {
        match s[i] {
            b'[' | b'(' | b'{' => {
                depth += 1;
                i += 1;
            }
            b']' | b')' | b'}' => {
                depth = depth.checked_sub(1)?;
                i += 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            b'\'' | b'"' => {
                scratch.clear();
                i = read_quoted(s, i, &mut scratch)?;
            }
            _ => i += 1,
        }
    }
    None
}

/// Reads one element at `s[i]` into `out`; returns the index after it.
fn read_element(s: &[u8], i: usize, out: &mut Fields) -> Option<usize> {
    match *s.get(i)? {
        b'\'' | b'"' => {
            let end = read_quoted(s, i, out.buf())?;
            out.push_written();
            Some(end)
        }
        b'[' | b'(' | b'{' => {
            let end = skip_nested(s, i)?;
            out.push(&s[i..end]);
            Some(end)
        }
        _ => {
            let mut end = i;
            while end < s.len() && !matches!(s[end], b',' | b']' | b'}' | b':') {
                end += 1;
            }
            let tok = s[i..end].trim_ascii();
            if tok.is_empty() {
                return None;
            }
            if tok == b"NULL" || tok == b"null" || tok == b"\\N" {
                out.push_null();
            } else {
                out.push(tok);
            }
            Some(end)
        }
    }
}

/// Appends the elements of the array literal `s` to `out`; `None` if it is not one.
pub(crate) fn split_array(s: &[u8], out: &mut Fields) -> Option<()> {
    let s = s.trim_ascii();
    let inner = s.strip_prefix(b"[")?;
    let mut i = skip_ws(inner, 0);
    if inner.get(i) == Some(&b']') {
        return (i + 1 == inner.len()).then_some(());
    }
    loop {
        i = read_element(inner, i, out)?;
        i = skip_ws(inner, i);
        match inner.get(i)? {
            b',' => i = skip_ws(inner, i + 1),
            b']' => return (i + 1 == inner.len()).then_some(()),
            _ => return None,
        }
    }
}

/// Appends the keys and values of the map literal `s`; `None` if it is not one.
pub(crate) fn split_map(s: &[u8], keys: &mut Fields, values: &mut Fields) -> Option<()> {
    let s = s.trim_ascii();
    let inner = s.strip_prefix(b"{")?;
    let mut i = skip_ws(inner, 0);
    if inner.get(i) == Some(&b'}') {
        return (i + 1 == inner.len()).then_some(());
    }
    loop {
        i = read_element(inner, i, keys)?;
        i = skip_ws(inner, i);
        if inner.get(i)? != &b':' {
            return None;
        }
        i = skip_ws(inner, i + 1);
        i = read_element(inner, i, values)?;
        i = skip_ws(inner, i);
        match inner.get(i)? {
            b',' => i = skip_ws(inner, i + 1),
            b'}' => return (i + 1 == inner.len()).then_some(()),
            _ => return None,
        }
    }
}

/// Writes `s` as a single-quoted literal (for composite values built from JSON).
pub(crate) fn write_quoted(s: &str, out: &mut Vec<u8>) {
    out.push(b'\'');
    for b in s.bytes() {
        if b == b'\'' || b == b'\\' {
            out.push(b'\\');
        }
        out.push(b);
    }
    out.push(b'\'');
}
