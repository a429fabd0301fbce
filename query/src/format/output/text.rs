//! The line-oriented text formats: TabSeparated (and Raw), CSV, Values, TSKV, Markdown.

use crate::format::{write_escaped, write_quoted_value, write_tsv_value};

use super::value::{align_right, csv_bare, write_raw};
use super::Table;

/// TabSeparated: values escaped (or raw), tab-separated, `\N` for NULL; optional name and
/// type header lines.
pub(super) fn write_tsv(t: &Table<'_>, raw: bool, names: bool, types: bool, buf: &mut Vec<u8>) {
    let header = |cells: &[&str], buf: &mut Vec<u8>| {
        for (i, c) in cells.iter().enumerate() {
            if i > 0 {
                buf.push(b'\t');
            }
            if raw {
                buf.extend_from_slice(c.as_bytes());
            } else {
                write_escaped(c.as_bytes(), buf);
            }
        }
        buf.push(b'\n');
    };
    if names {
        header(&t.names, buf);
    }
    if types {
        let tn = t.type_names();
        header(&tn.iter().map(String::as_str).collect::<Vec<_>>(), buf);
    }
    t.for_each_row(|row| {
        for (c, ty) in t.types.iter().enumerate() {
            if c > 0 {
                buf.push(b'\t');
            }
            let Some((a, r)) = row.cell(c) else { continue };
            if raw {
                if !write_raw(a, r, ty, buf) {
                    buf.extend_from_slice(b"\\N");
                }
            } else {
                write_tsv_value(a, r, ty, buf);
            }
        }
        buf.push(b'\n');
    });
}

/// Appends `bytes` in CSV double quotes, doubling embedded quotes.
fn csv_quoted(bytes: &[u8], buf: &mut Vec<u8>) {
    buf.push(b'"');
    for &b in bytes {
        if b == b'"' {
            buf.push(b'"');
        }
        buf.push(b);
    }
    buf.push(b'"');
}

/// CSV: numbers and booleans bare, everything else double-quoted, `\N` for NULL.
pub(super) fn write_csv(t: &Table<'_>, names: bool, types: bool, buf: &mut Vec<u8>) {
    let header = |cells: &[&str], buf: &mut Vec<u8>| {
        for (i, c) in cells.iter().enumerate() {
            if i > 0 {
                buf.push(b',');
            }
            csv_quoted(c.as_bytes(), buf);
        }
        buf.push(b'\n');
    };
    if names {
        header(&t.names, buf);
    }
    if types {
        let tn = t.type_names();
        header(&tn.iter().map(String::as_str).collect::<Vec<_>>(), buf);
    }
    let mut cell = Vec::new();
    t.for_each_row(|row| {
        for (c, ty) in t.types.iter().enumerate() {
            if c > 0 {
                buf.push(b',');
            }
            let Some((a, r)) = row.cell(c) else { continue };
            cell.clear();
            if !write_raw(a, r, ty, &mut cell) {
                buf.extend_from_slice(b"\\N");
            } else if csv_bare(ty) {
                buf.extend_from_slice(&cell);
            } else {
                csv_quoted(&cell, buf);
            }
        }
        buf.push(b'\n');
    });
}

/// Values: `(v1,v2),(v1,v2)` in quoted-literal syntax, no trailing newline.
pub(super) fn write_values(t: &Table<'_>, buf: &mut Vec<u8>) {
    let mut first = true;
    t.for_each_row(|row| {
        if !first {
            buf.push(b',');
        }
        first = false;
        buf.push(b'(');
        for (c, ty) in t.types.iter().enumerate() {
            if c > 0 {
                buf.push(b',');
            }
            if let Some((a, r)) = row.cell(c) {
                write_quoted_value(a, r, ty, buf);
            }
        }
        buf.push(b')');
    });
}

/// TSKV: `name=value` pairs, tab-separated, values escaped as in TabSeparated.
pub(super) fn write_tskv(t: &Table<'_>, buf: &mut Vec<u8>) {
    t.for_each_row(|row| {
        for (c, ty) in t.types.iter().enumerate() {
            if c > 0 {
                buf.push(b'\t');
            }
            write_escaped(t.names[c].as_bytes(), buf);
            buf.push(b'=');
            if let Some((a, r)) = row.cell(c) {
                write_tsv_value(a, r, ty, buf);
            }
        }
        buf.push(b'\n');
    });
}

/// Markdown: a pipe table, numbers right-aligned (`-:`), others left (`:-`).
pub(super) fn write_markdown(t: &Table<'_>, buf: &mut Vec<u8>) {
    buf.push(b'|');
    for n in &t.names {
        buf.push(b' ');
        buf.extend_from_slice(n.as_bytes());
        buf.extend_from_slice(b" |");
    }
    buf.extend_from_slice(b"\n|");
    for ty in &t.types {
        buf.extend_from_slice(if align_right(ty) { b"-:|" } else { b":-|" });
    }
    buf.push(b'\n');
    t.for_each_row(|row| {
        buf.push(b'|');
        for (c, ty) in t.types.iter().enumerate() {
            buf.push(b' ');
            if let Some((a, r)) = row.cell(c) {
                write_tsv_value(a, r, ty, buf);
            }
            buf.extend_from_slice(b" |");
        }
        buf.push(b'\n');
    });
}
