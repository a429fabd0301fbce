//! Calendar arithmetic (proleptic Gregorian, days since 1970-01-01) and time zones.

use chrono::{NaiveDate, NaiveDateTime, Offset, TimeZone};

use crate::error::{ErrorCode, QueryError, Result};

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
#[inline]
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// The civil date (year, month 1..=12, day 1..=31) of a day number.
#[inline]
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719468;
    let era = if z >= 0 { z } else { z - 146096 } / 146097;
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Day of week of a day number, Monday = 1 .. Sunday = 7.
#[inline]
pub fn day_of_week(days: i64) -> u32 {
    // 1970-01-01 was a Thursday (4).
    ((days + 3).rem_euclid(7) + 1) as u32
}

/// Days in `month` of `year`.
pub fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ => {
            if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 {
                29
            } else {
                28
            }
        }
    }
}

/// A time zone: UTC (the fast path) or a named IANA zone.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Tz {
    /// UTC.
    Utc,
    /// A named zone.
    Named(chrono_tz::Tz),
}

impl Tz {
    /// The zone called `name` (None: the server's, UTC). Errors with BAD_ARGUMENTS.
    pub fn parse(name: Option<&str>) -> Result<Tz> {
        match name {
            None | Some("") | Some("UTC") | Some("Etc/UTC") | Some("GMT") | Some("Zulu") => {
                Ok(Tz::Utc)
            }
            Some(n) => n.parse::<chrono_tz::Tz>().map(Tz::Named).map_err(|_| {
                QueryError::new(ErrorCode::BadArguments, format!("Invalid time zone: {n}"))
            }),
        }
    }

    /// Seconds to add to a UTC timestamp to get local wall-clock seconds.
    #[inline]
    pub fn offset_at(&self, utc: i64) -> i64 {
        match self {
            Tz::Utc => 0,
            Tz::Named(z) => match chrono::DateTime::from_timestamp(utc, 0) {
                Some(dt) => z
                    .offset_from_utc_datetime(&dt.naive_utc())
                    .fix()
                    .local_minus_utc() as i64,
                None => 0,
            },
        }
    }

    /// Local wall-clock seconds of a UTC timestamp.
    #[inline]
    pub fn to_local(&self, utc: i64) -> i64 {
        utc + self.offset_at(utc)
    }

    /// The UTC timestamp of local wall-clock seconds (the earlier one when ambiguous, the
    /// moment after the gap when skipped).
    pub fn to_utc(&self, local: i64) -> i64 {
        match self {
            Tz::Utc => local,
            Tz::Named(z) => {
                let Some(ndt) = chrono::DateTime::from_timestamp(local, 0).map(|d| d.naive_utc())
                else {
                    return local;
                };
                match z.from_local_datetime(&ndt) {
                    chrono::LocalResult::Single(t) => t.timestamp(),
                    chrono::LocalResult::Ambiguous(a, _) => a.timestamp(),
                    chrono::LocalResult::None => {
                        // In a gap: use the offset in force before it.
                        local - self.offset_at(local - 86400)
                    }
                }
            }
        }
    }
}

/// Parses `YYYY-MM-DD` (also `YYYY-M-D`, `YYYYMMDD`) at the start of `s`; returns the
/// day number and the bytes consumed.
pub fn parse_date_prefix(s: &[u8]) -> Option<(i64, usize)> {
    let num = |s: &[u8], from: usize, max: usize| -> Option<(u32, usize)> {
        let mut v = 0u32;
        let mut i = from;
        while i < s.len() && i - from < max && s[i].is_ascii_digit() {
            v = v * 10 + (s[i] - b'0') as u32;
            i += 1;
        }
        (i > from).then_some((v, i))
    };
    let (y, m, d, end) = if s.len() >= 8
        && s[..8].iter().all(|c| c.is_ascii_digit())
        && (s.len() == 8 || !s[8].is_ascii_digit())
    {
        let v = |a: usize, b: usize| {
            s[a..b]
                .iter()
                .fold(0u32, |acc, c| acc * 10 + (c - b'0') as u32)
        };
        (v(0, 4), v(4, 6), v(6, 8), 8)
    } else {
        let (y, i) = num(s, 0, 4)?;
        if i != 4 || i >= s.len() || !matches!(s[i], b'-' | b'/' | b'.') {
            return None;
        }
        let (m, j) = num(s, i + 1, 2)?;
        if j >= s.len() || !matches!(s[j], b'-' | b'/' | b'.') {
            return None;
        }
        let (d, k) = num(s, j + 1, 2)?;
        (y, m, d, k)
    };
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y as i64, m) {
        return None;
    }
    Some((days_from_civil(y as i64, m, d), end))
}

/// Parses a date-time text: `YYYY-MM-DD[( |T)hh:mm[:ss[.fraction]]][Z]` or a bare date,
/// or a Unix timestamp of digits. Returns local seconds (or UTC if `Z`), the fraction
/// as nanoseconds, and whether the value was an explicit UTC/epoch one.
pub fn parse_datetime(s: &[u8]) -> Option<(i64, u32, bool)> {
    let s = trim(s);
    if !s.is_empty() && s.len() != 8 && s.iter().all(|c| c.is_ascii_digit()) && s.len() <= 10 {
        let v: i64 = std::str::from_utf8(s).ok()?.parse().ok()?;
        return Some((v, 0, true));
    }
    let (days, mut i) = parse_date_prefix(s)?;
    let mut secs = days * 86400;
    let mut nanos = 0u32;
    let mut utc = false;
    if i < s.len() && (s[i] == b' ' || s[i] == b'T') {
        i += 1;
        let two = |i: usize| -> Option<u32> {
            let a = *s.get(i)?;
            let b = *s.get(i + 1)?;
            (a.is_ascii_digit() && b.is_ascii_digit())
                .then(|| ((a - b'0') * 10 + (b - b'0')) as u32)
        };
        let h = two(i)?;
        if s.get(i + 2) != Some(&b':') {
            return None;
        }
        let mi = two(i + 3)?;
        i += 5;
        let mut sec = 0;
        if s.get(i) == Some(&b':') {
            sec = two(i + 1)?;
            i += 3;
        }
        if h > 23 || mi > 59 || sec > 60 {
            return None;
        }
        secs += (h * 3600 + mi * 60 + sec) as i64;
        if s.get(i) == Some(&b'.') {
            i += 1;
            let mut digits = 0;
            while i < s.len() && s[i].is_ascii_digit() {
                if digits < 9 {
                    nanos = nanos * 10 + (s[i] - b'0') as u32;
                    digits += 1;
                }
                i += 1;
            }
            while digits < 9 {
                nanos *= 10;
                digits += 1;
            }
        }
        if s.get(i) == Some(&b'Z') {
            utc = true;
            i += 1;
        }
    }
    (i == s.len()).then_some((secs, nanos, utc))
}

fn trim(s: &[u8]) -> &[u8] {
    let mut a = 0;
    let mut b = s.len();
    while a < b && s[a].is_ascii_whitespace() {
        a += 1;
    }
    while b > a && s[b - 1].is_ascii_whitespace() {
        b -= 1;
    }
    &s[a..b]
}

/// Writes `YYYY-MM-DD` for a day number.
pub fn write_date(out: &mut Vec<u8>, days: i64) {
    let (y, m, d) = civil_from_days(days);
    write_padded(out, y as u64, 4);
    out.push(b'-');
    write_padded(out, m as u64, 2);
    out.push(b'-');
    write_padded(out, d as u64, 2);
}

/// Writes `YYYY-MM-DD hh:mm:ss` for local seconds.
pub fn write_datetime(out: &mut Vec<u8>, local: i64) {
    let days = local.div_euclid(86400);
    let sod = local.rem_euclid(86400);
    write_date(out, days);
    out.push(b' ');
    write_padded(out, (sod / 3600) as u64, 2);
    out.push(b':');
    write_padded(out, (sod / 60 % 60) as u64, 2);
    out.push(b':');
    write_padded(out, (sod % 60) as u64, 2);
}

/// Writes `v` with at least `width` digits.
pub fn write_padded(out: &mut Vec<u8>, v: u64, width: usize) {
    let mut buf = [b'0'; 20];
    let mut n = v;
    let mut i = 20;
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let digits = 20 - i;
    for _ in digits..width {
        out.push(b'0');
    }
    out.extend_from_slice(&buf[i..]);
}

/// chrono's date for a day number (for the rare calendar operations done with chrono).
pub fn naive_date(days: i64) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(1970, 1, 1)?.checked_add_signed(chrono::Duration::days(days))
}

/// chrono's date-time for local seconds.
pub fn naive_datetime(local: i64) -> Option<NaiveDateTime> {
    chrono::DateTime::from_timestamp(local, 0).map(|d| d.naive_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for d in [-719468i64, -1, 0, 1, 59, 365, 10957, 18262, 49709, 2932896] {
            let (y, m, dd) = civil_from_days(d);
            assert_eq!(days_from_civil(y, m, dd), d);
        }
        assert_eq!(civil_from_days(18262), (2020, 1, 1));
        assert_eq!(day_of_week(18262), 3); // 2020-01-01 was a Wednesday
        assert_eq!(parse_date_prefix(b"2013-07-01"), Some((15887, 10)));
        assert_eq!(
            parse_datetime(b"2013-07-01 12:00:00"),
            Some((15887 * 86400 + 43200, 0, false))
        );
        assert!(parse_datetime(b"2013-02-30").is_none());
    }
}
