//! ClickHouse TabSeparated output, byte for byte as `hits.tsv`: values separated by tabs,
//! rows ended by `\n`, strings escaped (`\\`, `\'`, `\t`, `\n`, `\r`, `\0`, `\b`, `\f`),
//! dates as `YYYY-MM-DD`, times as `YYYY-MM-DD hh:mm:ss` (UTC).

use std::io::{self, Write};

use crate::sink::Sink;

/// Buffered bytes written out once they pass this size.
const FLUSH_AT: usize = 1 << 20;

/// A [`Sink`] that writes TabSeparated text to `W`.
pub struct TsvSink<W: Write> {
    out: W,
    buf: Vec<u8>,
}

impl<W: Write> TsvSink<W> {
    /// A sink writing to `out`.
    pub fn new(out: W) -> TsvSink<W> {
        TsvSink {
            out,
            buf: Vec::with_capacity(FLUSH_AT + (64 << 10)),
        }
    }

    /// The underlying writer (after [`Sink::finish`]).
    pub fn into_inner(self) -> W {
        self.out
    }
}

/// Appends the decimal form of `v`.
#[inline]
pub fn push_int(buf: &mut Vec<u8>, v: i64) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    let mut n = v.unsigned_abs();
    loop {
        i -= 1;
        tmp[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if v < 0 {
        buf.push(b'-');
    }
    buf.extend_from_slice(&tmp[i..]);
}

/// Appends `v` as two digits.
#[inline]
fn push2(buf: &mut Vec<u8>, v: i64) {
    buf.push(b'0' + (v / 10) as u8);
    buf.push(b'0' + (v % 10) as u8);
}

/// (year, month, day) of `days` since 1970-01-01 (proleptic Gregorian).
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Appends `YYYY-MM-DD`.
fn push_date(buf: &mut Vec<u8>, days: i64) {
    let (y, m, d) = civil_from_days(days);
    push_int(buf, y);
    buf.push(b'-');
    push2(buf, m);
    buf.push(b'-');
    push2(buf, d);
}

/// Appends `s` with ClickHouse's TSV escaping.
#[inline]
pub fn push_escaped(buf: &mut Vec<u8>, s: &[u8]) {
    for &b in s {
        let esc = match b {
            b'\\' => b'\\',
            b'\'' => b'\'',
            b'\t' => b't',
            b'\n' => b'n',
            b'\r' => b'r',
            0 => b'0',
            8 => b'b',
            12 => b'f',
            _ => {
                buf.push(b);
                continue;
            }
        };
        buf.push(b'\\');
        buf.push(esc);
    }
}

impl<W: Write> Sink for TsvSink<W> {
    #[inline]
    fn int(&mut self, v: i64) {
        push_int(&mut self.buf, v);
        self.buf.push(b'\t');
    }

    #[inline]
    fn text(&mut self, v: &[u8]) {
        push_escaped(&mut self.buf, v);
        self.buf.push(b'\t');
    }

    fn date(&mut self, days: i64) {
        push_date(&mut self.buf, days);
        self.buf.push(b'\t');
    }

    fn datetime(&mut self, secs: i64) {
        let days = secs.div_euclid(86_400);
        let t = secs.rem_euclid(86_400);
        push_date(&mut self.buf, days);
        self.buf.push(b' ');
        push2(&mut self.buf, t / 3600);
        self.buf.push(b':');
        push2(&mut self.buf, t / 60 % 60);
        self.buf.push(b':');
        push2(&mut self.buf, t % 60);
        self.buf.push(b'\t');
    }

    fn end_row(&mut self) -> io::Result<()> {
        if let Some(last) = self.buf.last_mut() {
            *last = b'\n';
        }
        if self.buf.len() >= FLUSH_AT {
            self.out.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.write_all(&self.buf)?;
        self.buf.clear();
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_written_like_clickhouse() {
        let mut s = TsvSink::new(Vec::new());
        s.int(-42);
        s.text(b"a'b\tc\\\n\r\0\x08\x0c\xc3\xa9");
        s.date(15_887);
        s.datetime(1_372_636_800 + 3_723);
        s.end_row().unwrap();
        s.finish().unwrap();
        assert_eq!(
            s.into_inner(),
            b"-42\ta\\'b\\tc\\\\\\n\\r\\0\\b\\f\xc3\xa9\t2013-07-01\t2013-07-01 01:02:03\n"
        );
    }

    #[test]
    fn extreme_integers() {
        let mut b = Vec::new();
        push_int(&mut b, i64::MIN);
        assert_eq!(b, i64::MIN.to_string().as_bytes());
    }
}
