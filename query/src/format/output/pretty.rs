//! The Pretty family (Pretty, PrettyCompact, PrettySpace, with NoEscapes and MonoBlock
//! variants, which are the same over HTTP: no colour) and Vertical.

use super::value::{align_right, float_value, int_value, is_native_number, resolve, write_raw};
use super::{OutputSettings, Table};

/// How a Pretty table is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Style {
    /// Borders around and between every row.
    Full,
    /// Borders only around the table.
    Compact,
    /// Spaces instead of borders.
    Space,
}

/// The Pretty format names.
pub(super) const NAMES: &[&str] = &[
    "Pretty",
    "PrettyNoEscapes",
    "PrettyMonoBlock",
    "PrettyNoEscapesMonoBlock",
    "PrettyCompact",
    "PrettyCompactNoEscapes",
    "PrettyCompactMonoBlock",
    "PrettyCompactNoEscapesMonoBlock",
    "PrettySpace",
    "PrettySpaceNoEscapes",
    "PrettySpaceMonoBlock",
    "PrettySpaceNoEscapesMonoBlock",
];

/// The style of a Pretty format name.
pub(super) fn lookup(name: &str) -> Option<Style> {
    if !NAMES.contains(&name) {
        return None;
    }
    Some(if name.starts_with("PrettyCompact") {
        Style::Compact
    } else if name.starts_with("PrettySpace") {
        Style::Space
    } else {
        Style::Full
    })
}

const NULL: &str = "ᴺᵁᴸᴸ";
/// `output_format_pretty_single_large_number_tip_threshold`.
const TIP_THRESHOLD: f64 = 1_000_000.0;
/// `output_format_pretty_max_column_pad_width`.
const MAX_PAD: usize = 250;
/// `output_format_pretty_display_footer_column_names_min_rows`.
const FOOTER_MIN_ROWS: usize = 50;

/// Visible width of `s` starting at column `prefix` (tabs advance to the next multiple of
/// 8; wide East Asian characters count 2, combining marks 0).
fn width(s: &str, prefix: usize) -> usize {
    let mut w = 0;
    for c in s.chars() {
        w += match c {
            '\t' => 8 - (prefix + w) % 8,
            '\u{0}'..='\u{1f}' | '\u{7f}' | '\u{0300}'..='\u{036f}' | '\u{200b}'..='\u{200f}' => 0,
            '\u{1100}'..='\u{115f}'
            | '\u{2e80}'..='\u{a4cf}'
            | '\u{ac00}'..='\u{d7a3}'
            | '\u{f900}'..='\u{faff}'
            | '\u{fe30}'..='\u{fe4f}'
            | '\u{ff00}'..='\u{ff60}'
            | '\u{ffe0}'..='\u{ffe6}'
            | '\u{1f300}'..='\u{1f64f}'
            | '\u{1f900}'..='\u{1f9ff}'
            | '\u{20000}'..='\u{3fffd}' => 2,
            _ => 1,
        };
    }
    w
}

/// The tip ClickHouse prints beside a large number: ` -- 2.00 million`.
fn number_tip(v: f64, buf: &mut Vec<u8>) {
    // ClickHouse gives no tip for values in the UInt64 range from 1e18 up (hashes and
    // nanosecond timestamps, not quantities).
    let a = v.abs();
    if !v.is_finite() || a <= TIP_THRESHOLD || (1e18..=18446744073709551616.0).contains(&a) {
        return;
    }
    const UNITS: &[&str] = &[
        "",
        " thousand",
        " million",
        " billion",
        " trillion",
        " quadrillion",
        " quintillion",
        " sextillion",
        " septillion",
        " octillion",
        " nonillion",
        " decillion",
    ];
    let mut x = v;
    let mut unit = 0;
    while x.abs() >= 1000.0 && unit + 1 < UNITS.len() {
        x /= 1000.0;
        unit += 1;
    }
    buf.extend_from_slice(format!(" -- {x:.2}{}", UNITS[unit]).as_bytes());
}

/// The numeric value of a cell, for the tip.
fn numeric(t: &Table<'_>, row: &super::Row<'_>, c: usize) -> Option<f64> {
    if !is_native_number(&t.types[c]) {
        return None;
    }
    let (a, r) = row.cell(c)?;
    let (a, r, _) = resolve(a, r, &t.types[c])?;
    int_value(a, r)
        .map(|v| v as f64)
        .or_else(|| float_value(a, r))
}

/// A displayed row: each cell's text (NULL as `ᴺᵁᴸᴸ`) and the last column's number.
struct Shown {
    index: usize,
    cells: Vec<String>,
    tip: Option<f64>,
}

fn cell_text(t: &Table<'_>, row: &super::Row<'_>, c: usize) -> String {
    let mut v = Vec::new();
    match row.cell(c) {
        Some((a, r)) if write_raw(a, r, &t.types[c], &mut v) => {
            String::from_utf8(v).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into())
        }
        _ => NULL.to_string(),
    }
}

/// Lines of a value as ClickHouse splits it: at `\n`, without a trailing empty line.
fn fragments(s: &str) -> Vec<&str> {
    let mut out: Vec<&str> = s.split('\n').collect();
    if out.len() > 1 && out.last() == Some(&"") {
        out.pop();
    }
    if s.is_empty() {
        out.clear();
    }
    out
}

/// Pretty, PrettyCompact, PrettySpace.
pub(super) fn write_pretty(t: &Table<'_>, style: Style, s: &OutputSettings, buf: &mut Vec<u8>) {
    let n = t.num_rows();
    if n == 0 {
        return;
    }
    let max_rows = s.pretty_max_rows.max(1);
    let cut = |i: usize| n > max_rows && !(i < max_rows.div_ceil(2) || i >= n - max_rows / 2);
    let ncols = t.names.len();
    let last = ncols.saturating_sub(1);
    let mut shown = Vec::new();
    let mut index = 0;
    t.for_each_row(|row| {
        if !cut(index) {
            shown.push(Shown {
                index,
                cells: (0..ncols).map(|c| cell_text(t, row, c)).collect(),
                tip: numeric(t, row, last),
            });
        }
        index += 1;
    });

    let rn_width = n.ilog10() as usize + 3;
    let base_prefix = rn_width + if style == Style::Space { 1 } else { 2 };
    let mut prefix = base_prefix;
    let mut max_w = vec![0usize; ncols];
    let mut names = Vec::with_capacity(ncols);
    let mut name_w = vec![0usize; ncols];
    let mut has_newlines = false;
    for c in 0..ncols {
        for r in &shown {
            let v = &r.cells[c];
            has_newlines |= v.contains('\n');
            let w = fragments(v)
                .iter()
                .map(|f| width(f, prefix))
                .max()
                .unwrap_or(0);
            max_w[c] = max_w[c].max(w.min(MAX_PAD));
        }
        let (name, w) = truncate_name(t.names[c], max_w[c].max(24));
        names.push(name);
        name_w[c] = w.min(MAX_PAD);
        max_w[c] = max_w[c].max(name_w[c]);
        prefix += max_w[c] + 3;
    }
    let table_width: usize = max_w.iter().sum();
    if n <= 10 && ncols >= 5 && (table_width >= 250 || has_newlines) {
        return write_vertical(t, buf);
    }

    let left = if s.pretty_row_numbers {
        " ".repeat(rn_width)
    } else {
        String::new()
    };
    let grid = |l: &str, h: &str, m: &str, r: &str| -> String {
        let mut line = left.clone();
        line.push_str(l);
        for (c, w) in max_w.iter().enumerate() {
            if c > 0 {
                line.push_str(m);
            }
            line.push_str(&h.repeat(w + 2));
        }
        line.push_str(r);
        line.push('\n');
        line
    };
    let (header_begin, header_end, rows_sep, rows_end, footer_begin, footer_end) = match style {
        Style::Full => (
            grid("┏", "━", "┳", "┓"),
            grid("┡", "━", "╇", "┩"),
            grid("├", "─", "┼", "┤"),
            grid("└", "─", "┴", "┘"),
            grid("┢", "━", "╈", "┪"),
            grid("┗", "━", "┻", "┛"),
        ),
        Style::Compact => (
            String::new(),
            String::new(),
            String::new(),
            grid("└", "─", "┴", "┘"),
            String::new(),
            String::new(),
        ),
        Style::Space => (
            String::new(),
            "\n".into(),
            String::new(),
            String::new(),
            "\n".into(),
            "\n".into(),
        ),
    };
    let mut filler = left.clone();
    let filler_len = max_w.iter().map(|w| w + 3).sum::<usize>();
    let filler_len = if style == Style::Space {
        filler_len.saturating_sub(2)
    } else {
        filler_len + 1
    };
    for i in 0..filler_len {
        filler.push_str(if i % 2 == 1 { " " } else { "─" });
    }
    filler.push('\n');

    let write_names = |top: bool, buf: &mut Vec<u8>| {
        let mut line = left.clone();
        let corner = if top {
            ["┌", "┬", "┐"]
        } else {
            ["└", "┴", "┘"]
        };
        match style {
            Style::Full => line.push_str("┃ "),
            Style::Compact => {
                line.push_str(corner[0]);
                line.push('─');
            }
            Style::Space => line.push(' '),
        }
        for c in 0..ncols {
            if c > 0 {
                match style {
                    Style::Full => line.push_str(" ┃ "),
                    Style::Compact => {
                        line.push('─');
                        line.push_str(corner[1]);
                        line.push('─');
                    }
                    Style::Space => line.push_str("   "),
                }
            }
            let pad = (if style == Style::Compact { "─" } else { " " })
                .repeat(max_w[c].saturating_sub(name_w[c]));
            if align_right(&t.types[c]) {
                line.push_str(&pad);
                line.push_str(&names[c]);
            } else {
                line.push_str(&names[c]);
                line.push_str(&pad);
            }
        }
        match style {
            Style::Full => line.push_str(" ┃"),
            Style::Compact => {
                line.push('─');
                line.push_str(corner[2]);
            }
            Style::Space => {}
        }
        line.push('\n');
        buf.extend_from_slice(line.as_bytes());
    };

    buf.extend_from_slice(header_begin.as_bytes());
    write_names(true, buf);
    buf.extend_from_slice(header_end.as_bytes());
    let mut prev_index = None;
    for r in &shown {
        if let Some(p) = prev_index {
            if r.index != p + 1 {
                // Rows were cut in the middle.
                buf.extend_from_slice(rows_sep.as_bytes());
                buf.extend_from_slice(filler.as_bytes());
            }
        }
        if r.index != 0 {
            buf.extend_from_slice(rows_sep.as_bytes());
        }
        prev_index = Some(r.index);
        write_row(r, t, style, &left, rn_width, base_prefix, &max_w, s, buf);
    }
    if n >= FOOTER_MIN_ROWS {
        buf.extend_from_slice(footer_begin.as_bytes());
        write_names(false, buf);
        buf.extend_from_slice(footer_end.as_bytes());
    } else {
        buf.extend_from_slice(rows_end.as_bytes());
    }
    if n >= max_rows {
        if style == Style::Space {
            buf.push(b'\n');
        }
        buf.extend_from_slice(format!("Showed {} out of {n} rows.\n", shown.len()).as_bytes());
    }
}

/// Writes one row, over several lines when a value has newlines (`↴` ends a cut line,
/// `↳` starts its continuation).
#[allow(clippy::too_many_arguments)]
fn write_row(
    r: &Shown,
    t: &Table<'_>,
    style: Style,
    left: &str,
    rn_width: usize,
    prefix: usize,
    max_w: &[usize],
    s: &OutputSettings,
    buf: &mut Vec<u8>,
) {
    let frags: Vec<Vec<&str>> = r.cells.iter().map(|v| fragments(v)).collect();
    let lines = frags.iter().map(Vec::len).max().unwrap_or(0).max(1);
    let mut line = String::new();
    for k in 0..lines {
        line.clear();
        if s.pretty_row_numbers {
            if k == 0 {
                let num = format!("{}. ", r.index + 1);
                line.push_str(&" ".repeat(rn_width.saturating_sub(num.len())));
                line.push_str(&num);
            } else {
                line.push_str(left);
            }
        }
        for (c, f) in frags.iter().enumerate() {
            if style != Style::Space {
                line.push('│');
            } else if c > 0 {
                line.push(' ');
            }
            let frag = f.get(k).copied().unwrap_or("");
            let w = width(frag, prefix);
            line.push_str(if k > 0 && k < f.len() { "↳" } else { " " });
            let pad = " ".repeat(max_w[c].saturating_sub(w));
            if align_right(&t.types[c]) {
                line.push_str(&pad);
                line.push_str(frag);
            } else {
                line.push_str(frag);
                line.push_str(&pad);
            }
            let more = k + 1 < f.len() || (k + 1 == f.len() && r.cells[c].ends_with('\n'));
            line.push_str(if more { "↴" } else { " " });
        }
        if style != Style::Space {
            line.push('│');
        }
        buf.extend_from_slice(line.as_bytes());
        if let Some(v) = r.tip {
            number_tip(v, buf);
        }
        buf.push(b'\n');
    }
}

/// Cuts a column name wider than `cut_to` + 4 to `cut_to` characters and `⋯`.
fn truncate_name(name: &str, cut_to: usize) -> (String, usize) {
    let w = width(name, 0);
    if w <= cut_to + 4 {
        return (name.to_string(), w);
    }
    let mut out = String::new();
    let mut used = 0;
    for ch in name.chars() {
        let cw = width(ch.encode_utf8(&mut [0; 4]), used);
        if used + cw > cut_to {
            break;
        }
        used += cw;
        out.push(ch);
    }
    out.push('⋯');
    (out, used + 1)
}

/// Vertical: `Row N:`, an underline, then `name: value` lines; a blank line between rows.
pub(super) fn write_vertical(t: &Table<'_>, buf: &mut Vec<u8>) {
    let mut index = 0;
    t.for_each_row(|row| {
        if index > 0 {
            buf.push(b'\n');
        }
        index += 1;
        vertical_row(t, row, &format!("Row {index}:"), buf);
    });
}

/// The Vertical format's totals: a blank line, then the row titled `Totals:`.
pub(super) fn write_vertical_totals(t: &Table<'_>, buf: &mut Vec<u8>) {
    let mut first = true;
    t.for_each_row(|row| {
        if first {
            buf.extend_from_slice(b"\n\n");
            vertical_row(t, row, "Totals:", buf);
        }
        first = false;
    });
}

fn vertical_row(t: &Table<'_>, row: &super::Row<'_>, title: &str, buf: &mut Vec<u8>) {
    let name_w: Vec<usize> = t.names.iter().map(|n| width(n, 0)).collect();
    let max_name = name_w.iter().copied().max().unwrap_or(0);
    {
        buf.extend_from_slice(title.as_bytes());
        buf.push(b'\n');
        buf.extend_from_slice("─".repeat(width(title, 0)).as_bytes());
        buf.push(b'\n');
        for (c, name) in t.names.iter().enumerate() {
            buf.extend_from_slice(name.as_bytes());
            buf.push(b':');
            buf.extend(std::iter::repeat_n(b' ', max_name - name_w[c] + 1));
            buf.extend_from_slice(cell_text(t, row, c).as_bytes());
            if let Some(v) = numeric(t, row, c) {
                number_tip(v, buf);
            }
            buf.push(b'\n');
        }
    }
}
