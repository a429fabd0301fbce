//! Dates and times as ClickHouse prints them: `YYYY-MM-DD`, `YYYY-MM-DD hh:mm:ss`, and
//! `YYYY-MM-DD hh:mm:ss.fff` with exactly the type's precision, in the column's time zone
//! (UTC when the type names none).

use std::io::Write;

use chrono::{DateTime, Datelike, Timelike};
use granary_storage::key_expr::civil_from_days;

/// Appends the date `days` after 1970-01-01.
pub fn write_date(days: i64, out: &mut Vec<u8>) {
    let (y, m, d) = civil_from_days(days);
    let _ = write!(out, "{y:04}-{m:02}-{d:02}");
}

/// Appends the date and time of `seconds` since the epoch, in time zone `tz` (an IANA name;
/// UTC when `None` or unknown).
pub fn write_datetime(seconds: i64, tz: Option<&str>, out: &mut Vec<u8>) {
    let (y, mo, d, h, mi, s) = civil_in_tz(seconds, tz);
    let _ = write!(out, "{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}");
}

/// Appends a DateTime64 of `ticks` units of 10^-`precision` seconds, with exactly
/// `precision` fractional digits.
pub fn write_datetime64(ticks: i64, precision: u8, tz: Option<&str>, out: &mut Vec<u8>) {
    let scale = 10i64.pow(precision.min(18) as u32);
    let seconds = ticks.div_euclid(scale);
    let frac = ticks.rem_euclid(scale);
    write_datetime(seconds, tz, out);
    if precision > 0 {
        let _ = write!(out, ".{frac:0width$}", width = precision as usize);
    }
}

/// (year, month, day, hour, minute, second) of `seconds` in `tz`.
fn civil_in_tz(seconds: i64, tz: Option<&str>) -> (i64, u32, u32, u32, u32, u32) {
    if let Some(tz) = tz.filter(|t| !t.eq_ignore_ascii_case("UTC")) {
        if let (Ok(zone), Some(utc)) = (
            tz.parse::<chrono_tz::Tz>(),
            DateTime::from_timestamp(seconds, 0),
        ) {
            let local = utc.with_timezone(&zone).naive_local();
            return (
                local.year() as i64,
                local.month(),
                local.day(),
                local.hour(),
                local.minute(),
                local.second(),
            );
        }
    }
    let days = seconds.div_euclid(86_400);
    let secs = seconds.rem_euclid(86_400) as u32;
    let (y, m, d) = civil_from_days(days);
    (y, m, d, secs / 3600, secs / 60 % 60, secs % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(f: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut o = Vec::new();
        f(&mut o);
        String::from_utf8(o).unwrap()
    }

    #[test]
    fn dates_and_times_match_chdb() {
        assert_eq!(s(|o| write_date(19724, o)), "2024-01-02");
        assert_eq!(s(|o| write_date(-25567, o)), "1900-01-01");
        assert_eq!(
            s(|o| write_datetime(1704164645, None, o)),
            "2024-01-02 03:04:05"
        );
        assert_eq!(
            s(|o| write_datetime(0, Some("UTC"), o)),
            "1970-01-01 00:00:00"
        );
        // toDateTime('2024-06-01 12:00:00', 'Asia/Tokyo') = 1717210800.
        assert_eq!(
            s(|o| write_datetime(1717210800, Some("Asia/Tokyo"), o)),
            "2024-06-01 12:00:00"
        );
        assert_eq!(
            s(|o| write_datetime64(1704164645123, 3, None, o)),
            "2024-01-02 03:04:05.123"
        );
        assert_eq!(
            s(|o| write_datetime64(-1500, 3, None, o)),
            "1969-12-31 23:59:58.500"
        );
        assert_eq!(
            s(|o| write_datetime64(-5, 1, None, o)),
            "1969-12-31 23:59:59.5"
        );
        assert_eq!(
            s(|o| write_datetime64(7, 0, None, o)),
            "1970-01-01 00:00:07"
        );
    }
}
