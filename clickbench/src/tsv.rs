//! ClickHouse TabSeparated output, byte for byte as `hits.tsv`: values separated by tabs,
//! rows ended by `\n`, strings escaped (`\\`, `\'`, `\t`, `\n`, `\r`, `\0`, `\b`, `\f`),
//! dates as `YYYY-MM-DD`, times as `YYYY-MM-DD hh:mm:ss` (UTC).

use std::io::{self, Write};

use crate::sink::Sink;

/// Buffered bytes written out once they pass this size.
const FLUSH_AT: usize = 1 << 20;

/// Bytes that TabSeparated escapes map to the letter after the backslash; 0 for bytes
/// written as they are.
const ESCAPES: [u8; 256] = {
    let mut t = [0u8; 256];
    t[b'\\' as usize] = b'\\';
    t[b'\'' as usize] = b'\'';
    t[b'\t' as usize] = b't';
    t[b'\n' as usize] = b'n';
    t[b'\r' as usize] = b'r';
    t[0] = b'0';
    t[8] = b'b';
    t[12] = b'f';
    t
};

/// A [`Sink`] that renders TabSeparated rows straight into an owned buffer (for one chunk of
/// rows rendered by one worker; nothing is written anywhere).
pub struct TsvBuf {
    buf: Vec<u8>,
    /// The day of `date` below, or -1 before the first date.
    day: i64,
    /// `YYYY-MM-DD` of `day`: consecutive dates of a row usually fall on the same day.
    date: [u8; 10],
}

impl TsvBuf {
    /// A sink appending to `buf` (cleared first; its capacity is reused).
    pub fn new(mut buf: Vec<u8>) -> TsvBuf {
        buf.clear();
        TsvBuf {
            buf,
            day: -1,
            date: [0; 10],
        }
    }

    /// The rendered rows.
    pub fn into_inner(self) -> Vec<u8> {
        self.buf
    }

    /// The rendered bytes so far.
    pub fn bytes(&self) -> &[u8] {
        &self.buf
    }

    /// Forgets the rendered bytes, keeping the capacity.
    pub fn clear(&mut self) {
        self.buf.clear();
    }

    /// Appends `YYYY-MM-DD` of `days` (from the one-day cache when it is the same day).
    #[inline]
    fn push_date(&mut self, days: i64) {
        if days != self.day {
            match date_bytes(days) {
                Some(d) => {
                    self.date = d;
                    self.day = days;
                }
                // A year outside 1000..=9999 (never generated): the general path.
                None => return push_date(&mut self.buf, days),
            }
        }
        self.buf.extend_from_slice(&self.date);
    }
}

/// `YYYY-MM-DD` of `days`, for four-digit years.
fn date_bytes(days: i64) -> Option<[u8; 10]> {
    let (y, m, d) = civil_from_days(days);
    if !(1000..=9999).contains(&y) {
        return None;
    }
    let digit = |v: i64| b'0' + v as u8;
    Some([
        digit(y / 1000),
        digit(y / 100 % 10),
        digit(y / 10 % 10),
        digit(y % 10),
        b'-',
        digit(m / 10),
        digit(m % 10),
        b'-',
        digit(d / 10),
        digit(d % 10),
    ])
}

/// A [`Sink`] that writes TabSeparated text to `W`.
pub struct TsvSink<W: Write> {
    out: W,
    rows: TsvBuf,
}

impl<W: Write> TsvSink<W> {
    /// A sink writing to `out`.
    pub fn new(out: W) -> TsvSink<W> {
        TsvSink {
            out,
            rows: TsvBuf::new(Vec::with_capacity(FLUSH_AT + (64 << 10))),
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
    buf.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

/// Appends `v` as two digits.
#[inline]
fn push2(buf: &mut Vec<u8>, v: i64) {
    buf.extend_from_slice(&[b'0' + (v / 10) as u8, b'0' + (v % 10) as u8]);
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
    let mut plain = 0;
    for (i, &b) in s.iter().enumerate() {
        let esc = ESCAPES[b as usize];
        if esc != 0 {
            buf.extend_from_slice(&s[plain..i]);
            buf.extend_from_slice(&[b'\\', esc]);
            plain = i + 1;
        }
    }
    buf.extend_from_slice(&s[plain..]);
}

impl Sink for TsvBuf {
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

    #[inline]
    fn date(&mut self, days: i64) {
        self.push_date(days);
        self.buf.push(b'\t');
    }

    #[inline]
    fn datetime(&mut self, secs: i64) {
        let t = secs.rem_euclid(86_400);
        self.push_date(secs.div_euclid(86_400));
        let (h, m, s) = (t / 3600, t / 60 % 60, t % 60);
        self.buf.extend_from_slice(&[
            b' ',
            b'0' + (h / 10) as u8,
            b'0' + (h % 10) as u8,
            b':',
            b'0' + (m / 10) as u8,
            b'0' + (m % 10) as u8,
            b':',
            b'0' + (s / 10) as u8,
            b'0' + (s % 10) as u8,
            b'\t',
        ]);
    }

    #[inline]
    fn end_row(&mut self) -> io::Result<()> {
        if let Some(last) = self.buf.last_mut() {
            *last = b'\n';
        }
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<W: Write> Sink for TsvSink<W> {
    #[inline]
    fn int(&mut self, v: i64) {
        self.rows.int(v);
    }

    #[inline]
    fn text(&mut self, v: &[u8]) {
        self.rows.text(v);
    }

    #[inline]
    fn date(&mut self, days: i64) {
        self.rows.date(days);
    }

    #[inline]
    fn datetime(&mut self, secs: i64) {
        self.rows.datetime(secs);
    }

    fn end_row(&mut self) -> io::Result<()> {
        self.rows.end_row()?;
        if self.rows.bytes().len() >= FLUSH_AT {
            self.out.write_all(self.rows.bytes())?;
            self.rows.clear();
        }
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.write_all(self.rows.bytes())?;
        self.rows.clear();
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
