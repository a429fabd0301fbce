//! The JSON family: JSON, JSONCompact (tab-indented documents with meta, data, rows and
//! statistics), JSONEachRow, JSONStringsEachRow and JSONCompact[Strings]EachRow[WithNames
//! [AndTypes]].

use arrow::array::{Array, AsArray};
use arrow::datatypes::{self as adt, DataType as ArrowType};
use granary_storage::types::DataType;

use crate::format::{
    write_date, write_datetime, write_datetime64, write_decimal, write_f32, write_f64,
    write_tsv_value, write_uuid,
};

use super::value::{float_value, int_value, resolve, string_bytes, write_raw};
use super::{OutputSettings, Row, Table};

/// How a value is laid out: inline, or (maps in JSON `data`) over lines at an indent.
#[derive(Clone, Copy)]
enum Layout {
    Inline,
    Indented(usize),
}

/// Appends `bytes` as a JSON string.
pub(super) fn write_json_string(bytes: &[u8], slash: bool, buf: &mut Vec<u8>) {
    buf.push(b'"');
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'"' => buf.extend_from_slice(b"\\\""),
            b'\\' => buf.extend_from_slice(b"\\\\"),
            b'/' if slash => buf.extend_from_slice(b"\\/"),
            0x08 => buf.extend_from_slice(b"\\b"),
            0x0c => buf.extend_from_slice(b"\\f"),
            b'\n' => buf.extend_from_slice(b"\\n"),
            b'\r' => buf.extend_from_slice(b"\\r"),
            b'\t' => buf.extend_from_slice(b"\\t"),
            0..=0x1f => {
                buf.extend_from_slice(format!("\\u{:04X}", b).as_bytes());
            }
            // U+2028 and U+2029 (line and paragraph separators) break JavaScript.
            0xe2 if bytes.get(i + 1) == Some(&0x80)
                && matches!(bytes.get(i + 2), Some(0xa8) | Some(0xa9)) =>
            {
                buf.extend_from_slice(if bytes[i + 2] == 0xa8 {
                    b"\\u2028"
                } else {
                    b"\\u2029"
                });
                i += 2;
            }
            _ => buf.push(b),
        }
        i += 1;
    }
    buf.push(b'"');
}

/// Appends the JSON form of `array[row]` of type `ty`.
fn write_value(
    array: &dyn Array,
    row: usize,
    ty: &DataType,
    s: &OutputSettings,
    layout: Layout,
    buf: &mut Vec<u8>,
) {
    let Some((a, r, t)) = resolve(array, row, ty) else {
        buf.extend_from_slice(b"null");
        return;
    };
    let slash = s.json_escape_forward_slashes;
    let quoted = |buf: &mut Vec<u8>, f: &dyn Fn(&mut Vec<u8>)| {
        buf.push(b'"');
        f(buf);
        buf.push(b'"');
    };
    match t {
        DataType::String | DataType::FixedString(_) => match string_bytes(a, r) {
            Some(bytes) => write_json_string(bytes, slash, buf),
            None => as_text(a, r, t, slash, buf),
        },
        DataType::Bool => {
            let v = match a.as_boolean_opt() {
                Some(b) => b.value(r),
                None => int_value(a, r).unwrap_or(0) != 0,
            };
            buf.extend_from_slice(if v { b"true" } else { b"false" });
        }
        DataType::UInt64 | DataType::Int64 if s.json_quote_64bit_integers => {
            match int_value(a, r) {
                Some(v) => quoted(buf, &|b| b.extend_from_slice(v.to_string().as_bytes())),
                None => as_text(a, r, t, slash, buf),
            }
        }
        DataType::Float32 | DataType::Float64 => match float_value(a, r) {
            Some(v) if !v.is_finite() => {
                if s.json_quote_denormals {
                    quoted(buf, &|b| write_f64(v, b));
                } else {
                    buf.extend_from_slice(b"null");
                }
            }
            Some(_) if matches!(a.data_type(), ArrowType::Float32) => {
                write_f32(a.as_primitive::<adt::Float32Type>().value(r), buf)
            }
            Some(v) => write_f64(v, buf),
            None => number(a, r, t, s, buf),
        },
        DataType::Decimal { scale, .. } => {
            let text = match a.data_type() {
                ArrowType::Decimal128(..) => {
                    Some(a.as_primitive::<adt::Decimal128Type>().value(r).to_string())
                }
                ArrowType::Decimal256(..) => {
                    Some(a.as_primitive::<adt::Decimal256Type>().value(r).to_string())
                }
                _ => int_value(a, r).map(|v| v.to_string()),
            };
            match text {
                Some(text) if s.json_quote_decimals => {
                    quoted(buf, &|b| write_decimal(&text, *scale as usize, b))
                }
                Some(text) => write_decimal(&text, *scale as usize, buf),
                None => as_text(a, r, t, slash, buf),
            }
        }
        DataType::Date | DataType::Date32 => match int_value(a, r) {
            Some(d) => quoted(buf, &|b| write_date(d as i64, b)),
            None => as_text(a, r, t, slash, buf),
        },
        DataType::DateTime(tz) => match int_value(a, r) {
            Some(v) => quoted(buf, &|b| write_datetime(v as i64, tz.as_deref(), b)),
            None => as_text(a, r, t, slash, buf),
        },
        DataType::DateTime64(p, tz) => match int_value(a, r) {
            Some(v) => quoted(buf, &|b| write_datetime64(v as i64, *p, tz.as_deref(), b)),
            None => as_text(a, r, t, slash, buf),
        },
        DataType::Uuid => match a.as_fixed_size_binary_opt() {
            Some(u) if u.value_length() == 16 => quoted(buf, &|b| write_uuid(u.value(r), b)),
            _ => as_text(a, r, t, slash, buf),
        },
        DataType::Array(inner) => write_array(a, r, inner, s, layout, buf),
        DataType::Map(k, v) => write_map(a, r, k, v, s, layout, buf),
        _ => number(a, r, t, s, buf),
    }
}

/// Integers and anything else: bare numbers when the value is one, else a string.
fn number(a: &dyn Array, r: usize, t: &DataType, s: &OutputSettings, buf: &mut Vec<u8>) {
    if let Some(v) = int_value(a, r) {
        let quote = s.json_quote_64bit_integers
            && matches!(a.data_type(), ArrowType::Int64 | ArrowType::UInt64)
            && matches!(t, DataType::Nothing);
        if quote {
            buf.push(b'"');
        }
        buf.extend_from_slice(v.to_string().as_bytes());
        if quote {
            buf.push(b'"');
        }
    } else if let Some(v) = float_value(a, r) {
        if v.is_finite() {
            write_f64(v, buf);
        } else {
            buf.extend_from_slice(b"null");
        }
    } else if let Some(b) = a.as_boolean_opt() {
        buf.extend_from_slice(if b.value(r) { b"true" } else { b"false" });
    } else if matches!(a.data_type(), ArrowType::List(_) | ArrowType::LargeList(_)) {
        write_array(a, r, &DataType::Nothing, s, Layout::Inline, buf);
    } else {
        as_text(a, r, t, s.json_escape_forward_slashes, buf);
    }
}

/// The value's TabSeparated text as a JSON string.
fn as_text(a: &dyn Array, r: usize, t: &DataType, slash: bool, buf: &mut Vec<u8>) {
    let mut text = Vec::new();
    write_tsv_value(a, r, t, &mut text);
    write_json_string(&text, slash, buf);
}

/// Whether a type holds a map (JSON lays such values out over lines in `data`).
fn has_map(t: &DataType) -> bool {
    match super::value::base(t) {
        DataType::Map(..) => true,
        DataType::Array(inner) => has_map(inner),
        _ => false,
    }
}

fn write_array(
    a: &dyn Array,
    r: usize,
    inner: &DataType,
    s: &OutputSettings,
    layout: Layout,
    buf: &mut Vec<u8>,
) {
    let values = match a.data_type() {
        ArrowType::List(_) => a.as_list::<i32>().value(r),
        ArrowType::LargeList(_) => a.as_list::<i64>().value(r),
        ArrowType::FixedSizeList(..) => a.as_fixed_size_list().value(r),
        _ => return as_text(a, r, inner, s.json_escape_forward_slashes, buf),
    };
    // Arrays of scalars stay inline; arrays of maps go over lines like the maps.
    let layout = match layout {
        Layout::Indented(d) if has_map(inner) => Layout::Indented(d),
        _ => Layout::Inline,
    };
    buf.push(b'[');
    for i in 0..values.len() {
        if i > 0 {
            buf.push(b',');
        }
        let inner_layout = match layout {
            Layout::Indented(d) => {
                buf.push(b'\n');
                buf.extend(std::iter::repeat_n(b'\t', d + 1));
                Layout::Indented(d + 1)
            }
            Layout::Inline => Layout::Inline,
        };
        write_value(values.as_ref(), i, inner, s, inner_layout, buf);
    }
    if let Layout::Indented(d) = layout {
        if !values.is_empty() {
            buf.push(b'\n');
            buf.extend(std::iter::repeat_n(b'\t', d));
        }
    }
    buf.push(b']');
}

fn write_map(
    a: &dyn Array,
    r: usize,
    k: &DataType,
    v: &DataType,
    s: &OutputSettings,
    layout: Layout,
    buf: &mut Vec<u8>,
) {
    let Some(map) = a.as_map_opt() else {
        return as_text(a, r, k, s.json_escape_forward_slashes, buf);
    };
    let entries = map.value(r);
    buf.push(b'{');
    for i in 0..entries.len() {
        if i > 0 {
            buf.push(b',');
        }
        if let Layout::Indented(d) = layout {
            buf.push(b'\n');
            buf.extend(std::iter::repeat_n(b'\t', d + 1));
        }
        // Keys are always JSON strings.
        let mut key = Vec::new();
        if !write_raw(entries.column(0).as_ref(), i, k, &mut key) {
            key.extend_from_slice(b"null");
        }
        write_json_string(&key, s.json_escape_forward_slashes, buf);
        buf.push(b':');
        let inner = match layout {
            Layout::Indented(d) => {
                buf.push(b' ');
                Layout::Indented(d + 1)
            }
            Layout::Inline => Layout::Inline,
        };
        write_value(entries.column(1).as_ref(), i, v, s, inner, buf);
    }
    if let Layout::Indented(d) = layout {
        if entries.len() > 0 {
            buf.push(b'\n');
            buf.extend(std::iter::repeat_n(b'\t', d));
        }
    }
    buf.push(b'}');
}

/// Appends column `c` of `row` as a JSON string of its text (`ᴺᵁᴸᴸ` for NULL).
fn write_string_value(
    t: &Table<'_>,
    row: &Row<'_>,
    c: usize,
    s: &OutputSettings,
    buf: &mut Vec<u8>,
) {
    let mut text = Vec::new();
    match row.cell(c) {
        Some((a, r)) if write_raw(a, r, &t.types[c], &mut text) => {}
        _ => text.extend_from_slice("ᴺᵁᴸᴸ".as_bytes()),
    }
    write_json_string(&text, s.json_escape_forward_slashes, buf);
}

fn write_cell(
    t: &Table<'_>,
    row: &Row<'_>,
    c: usize,
    s: &OutputSettings,
    layout: Layout,
    buf: &mut Vec<u8>,
) {
    match row.cell(c) {
        Some((a, r)) => write_value(a, r, &t.types[c], s, layout, buf),
        None => buf.extend_from_slice(b"null"),
    }
}

/// JSON and JSONCompact: the whole document.
pub(super) fn write_json(
    t: &Table<'_>,
    totals: Option<&Table<'_>>,
    compact: bool,
    s: &OutputSettings,
    buf: &mut Vec<u8>,
) {
    let slash = s.json_escape_forward_slashes;
    buf.extend_from_slice(b"{\n\t\"meta\":\n\t[");
    for (i, (name, ty)) in t.names.iter().zip(t.type_names()).enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        buf.extend_from_slice(b"\n\t\t{\n\t\t\t\"name\": ");
        write_json_string(name.as_bytes(), slash, buf);
        buf.extend_from_slice(b",\n\t\t\t\"type\": ");
        write_json_string(ty.as_bytes(), slash, buf);
        buf.extend_from_slice(b"\n\t\t}");
    }
    buf.extend_from_slice(b"\n\t],\n\n\t\"data\":\n\t[\n");
    let mut first = true;
    t.for_each_row(|row| {
        if !first {
            buf.extend_from_slice(b",\n");
        }
        first = false;
        if compact {
            buf.extend_from_slice(b"\t\t[");
            for c in 0..t.names.len() {
                if c > 0 {
                    buf.extend_from_slice(b", ");
                }
                write_cell(t, row, c, s, Layout::Inline, buf);
            }
            buf.push(b']');
        } else {
            buf.extend_from_slice(b"\t\t{");
            for (c, name) in t.names.iter().enumerate() {
                if c > 0 {
                    buf.push(b',');
                }
                buf.extend_from_slice(b"\n\t\t\t");
                write_json_string(name.as_bytes(), slash, buf);
                buf.extend_from_slice(b": ");
                write_cell(t, row, c, s, Layout::Indented(3), buf);
            }
            buf.extend_from_slice(b"\n\t\t}");
        }
    });
    buf.extend_from_slice(b"\n\t],\n\n\t");
    if let Some(tt) = totals {
        let mut first = true;
        tt.for_each_row(|row| {
            if !first {
                return;
            }
            first = false;
            if compact {
                buf.extend_from_slice(b"\"totals\": [");
                for c in 0..tt.names.len() {
                    if c > 0 {
                        buf.extend_from_slice(b", ");
                    }
                    write_cell(tt, row, c, s, Layout::Inline, buf);
                }
                buf.push(b']');
            } else {
                buf.extend_from_slice(b"\"totals\":\n\t{");
                for (c, name) in tt.names.iter().enumerate() {
                    if c > 0 {
                        buf.push(b',');
                    }
                    buf.extend_from_slice(b"\n\t\t");
                    write_json_string(name.as_bytes(), slash, buf);
                    buf.extend_from_slice(b": ");
                    write_cell(tt, row, c, s, Layout::Inline, buf);
                }
                buf.extend_from_slice(b"\n\t}");
            }
            buf.extend_from_slice(b",\n\n\t");
        });
    }
    buf.extend_from_slice(b"\"rows\": ");
    buf.extend_from_slice(t.num_rows().to_string().as_bytes());
    if let Some(n) = s.rows_before_limit {
        buf.extend_from_slice(b",\n\n\t\"rows_before_limit_at_least\": ");
        buf.extend_from_slice(n.to_string().as_bytes());
    }
    if s.write_statistics {
        buf.extend_from_slice(b",\n\n\t\"statistics\":\n\t{\n\t\t\"elapsed\": ");
        write_f64(s.elapsed_seconds, buf);
        buf.extend_from_slice(b",\n\t\t\"rows_read\": ");
        buf.extend_from_slice(s.rows_read.to_string().as_bytes());
        buf.extend_from_slice(b",\n\t\t\"bytes_read\": ");
        buf.extend_from_slice(s.bytes_read.to_string().as_bytes());
        buf.extend_from_slice(b"\n\t}");
    }
    buf.extend_from_slice(b"\n}\n");
}

/// JSONEachRow / JSONStringsEachRow: one compact object per line.
pub(super) fn write_each_row(t: &Table<'_>, strings: bool, s: &OutputSettings, buf: &mut Vec<u8>) {
    t.for_each_row(|row| {
        buf.push(b'{');
        for (c, name) in t.names.iter().enumerate() {
            if c > 0 {
                buf.push(b',');
            }
            write_json_string(name.as_bytes(), s.json_escape_forward_slashes, buf);
            buf.push(b':');
            if strings {
                write_string_value(t, row, c, s, buf);
            } else {
                write_cell(t, row, c, s, Layout::Inline, buf);
            }
        }
        buf.extend_from_slice(b"}\n");
    });
}

/// JSONCompact[Strings]EachRow[WithNames[AndTypes]]: one array per line, `", "` between
/// values.
pub(super) fn write_compact_each_row(
    t: &Table<'_>,
    strings: bool,
    names: bool,
    types: bool,
    s: &OutputSettings,
    buf: &mut Vec<u8>,
) {
    let header = |cells: &[&str], buf: &mut Vec<u8>| {
        buf.push(b'[');
        for (i, c) in cells.iter().enumerate() {
            if i > 0 {
                buf.extend_from_slice(b", ");
            }
            write_json_string(c.as_bytes(), s.json_escape_forward_slashes, buf);
        }
        buf.extend_from_slice(b"]\n");
    };
    if names {
        header(&t.names, buf);
    }
    if types {
        let tn = t.type_names();
        header(&tn.iter().map(String::as_str).collect::<Vec<_>>(), buf);
    }
    t.for_each_row(|row| {
        buf.push(b'[');
        for c in 0..t.names.len() {
            if c > 0 {
                buf.extend_from_slice(b", ");
            }
            if strings {
                write_string_value(t, row, c, s, buf);
            } else {
                write_cell(t, row, c, s, Layout::Inline, buf);
            }
        }
        buf.extend_from_slice(b"]\n");
    });
}
