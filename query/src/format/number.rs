//! Numbers as ClickHouse prints them: floats in the shortest form that reads back to the same
//! value, laid out like JavaScript's `Number.prototype.toString` (plain digits from 1e-6 up
//! to 1e21, `d.ddde±x` outside, `inf`, `-inf`, `nan`, `-0`); decimals without trailing
//! zeros (ClickHouse's default `output_format_decimal_trailing_zeros = 0`).

use std::io::Write;

/// Appends a Float64 as ClickHouse's text formats print it.
pub fn write_f64(v: f64, out: &mut Vec<u8>) {
    if !v.is_finite() || v == 0.0 {
        return write_special(v, v.is_sign_negative(), out);
    }
    // `{:e}` gives the shortest round-trip digits: "-1.2345e-7".
    let s = format!("{v:e}");
    layout(&s, out);
}

/// Appends a Float32 as ClickHouse prints it (shortest digits for the 32-bit value).
pub fn write_f32(v: f32, out: &mut Vec<u8>) {
    if !v.is_finite() || v == 0.0 {
        return write_special(v as f64, v.is_sign_negative(), out);
    }
    let s = format!("{v:e}");
    layout(&s, out);
}

fn write_special(v: f64, negative: bool, out: &mut Vec<u8>) {
    let s: &[u8] = if v.is_nan() {
        b"nan"
    } else if v.is_infinite() {
        if negative {
            b"-inf"
        } else {
            b"inf"
        }
    } else if negative {
        b"-0"
    } else {
        b"0"
    };
    out.extend_from_slice(s);
}

/// Re-lays `[-]d[.ddd]e[-]x` out in ClickHouse's style.
fn layout(s: &str, out: &mut Vec<u8>) {
    let (negative, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (mantissa, exp) = s.split_once('e').unwrap_or((s, "0"));
    let exp: i64 = exp.parse().unwrap_or(0);
    let digits: Vec<u8> = mantissa.bytes().filter(|b| b.is_ascii_digit()).collect();
    let k = digits.len() as i64;
    // The value is 0.d1d2..dk × 10^n.
    let n = exp + 1;
    if negative {
        out.push(b'-');
    }
    if k <= n && n <= 21 {
        out.extend_from_slice(&digits);
        out.extend(std::iter::repeat_n(b'0', (n - k) as usize));
    } else if 0 < n && n <= 21 {
        out.extend_from_slice(&digits[..n as usize]);
        out.push(b'.');
        out.extend_from_slice(&digits[n as usize..]);
    } else if -6 < n && n <= 0 {
        out.extend_from_slice(b"0.");
        out.extend(std::iter::repeat_n(b'0', (-n) as usize));
        out.extend_from_slice(&digits);
    } else {
        out.push(digits[0]);
        if k > 1 {
            out.push(b'.');
            out.extend_from_slice(&digits[1..]);
        }
        let _ = write!(out, "e{}", n - 1);
    }
}

/// Appends a decimal given as its unscaled integer text (`"-1250"`) and scale (`2`):
/// `-12.5`. Trailing fractional zeros are dropped, as ClickHouse does by default.
pub fn write_decimal(unscaled: &str, scale: usize, out: &mut Vec<u8>) {
    let (negative, digits) = match unscaled.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, unscaled),
    };
    let digits = digits.as_bytes();
    let (int_part, frac_part): (Vec<u8>, Vec<u8>) = if digits.len() > scale {
        let cut = digits.len() - scale;
        (digits[..cut].to_vec(), digits[cut..].to_vec())
    } else {
        let mut frac = vec![b'0'; scale - digits.len()];
        frac.extend_from_slice(digits);
        (b"0".to_vec(), frac)
    };
    let frac_len = frac_part
        .iter()
        .rposition(|&d| d != b'0')
        .map_or(0, |p| p + 1);
    let is_zero = int_part.iter().all(|&d| d == b'0') && frac_len == 0;
    if negative && !is_zero {
        out.push(b'-');
    }
    out.extend_from_slice(&int_part);
    if frac_len > 0 {
        out.push(b'.');
        out.extend_from_slice(&frac_part[..frac_len]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f64s(v: f64) -> String {
        let mut o = Vec::new();
        write_f64(v, &mut o);
        String::from_utf8(o).unwrap()
    }

    fn f32s(v: f32) -> String {
        let mut o = Vec::new();
        write_f32(v, &mut o);
        String::from_utf8(o).unwrap()
    }

    fn dec(s: &str, scale: usize) -> String {
        let mut o = Vec::new();
        write_decimal(s, scale, &mut o);
        String::from_utf8(o).unwrap()
    }

    #[test]
    fn floats_match_chdb() {
        // Expected strings are chdb 4.4 (ClickHouse 26.9) output.
        let cases: &[(f64, &str)] = &[
            (0.1 + 0.2, "0.30000000000000004"),
            (1e100, "1e100"),
            (1.0 / 0.0, "inf"),
            (-1.0 / 0.0, "-inf"),
            (f64::NAN, "nan"),
            (1e21, "1e21"),
            (1e20, "100000000000000000000"),
            (1e-7, "1e-7"),
            (1e-5, "0.00001"),
            (0.0001, "0.0001"),
            (123456789.123, "123456789.123"),
            (1e15, "1000000000000000"),
            (1e16, "10000000000000000"),
            (1.5e16, "15000000000000000"),
            (12345678901234567890.0, "12345678901234567000"),
            (2e-300, "2e-300"),
            (5e-324, "5e-324"),
            (-0.0, "-0"),
            (1.7976931348623157e308, "1.7976931348623157e308"),
            (1e-6, "0.000001"),
            (1.5e-6, "0.0000015"),
            (123e-9, "1.23e-7"),
            (1.5e300, "1.5e300"),
            (-1e21, "-1e21"),
            (-0.1, "-0.1"),
            (1e22, "1e22"),
            (3.0, "3"),
            (-1e-7, "-1e-7"),
            (0.1 + 0.7, "0.7999999999999999"),
            (100.0, "100"),
        ];
        for (v, want) in cases {
            assert_eq!(f64s(*v), *want, "{v:e}");
        }
        assert_eq!(f32s(0.1), "0.1");
        assert_eq!(f32s(1e20), "100000000000000000000");
        assert_eq!(f32s(1.5e-7), "1.5e-7");
        assert_eq!(f32s(16777217.0), "16777216");
        assert_eq!(f32s(3.4028235e38), "3.4028235e38");
        assert_eq!(f32s(1e-10), "1e-10");
        assert_eq!(f32s(0.3), "0.3");
    }

    #[test]
    fn decimals_drop_trailing_zeros() {
        assert_eq!(dec("150", 2), "1.5");
        assert_eq!(dec("-500", 4), "-0.05");
        assert_eq!(dec("123000", 3), "123");
        assert_eq!(dec("0", 2), "0");
        assert_eq!(dec("-1230", 2), "-12.3");
        assert_eq!(dec("-125", 2), "-1.25");
        assert_eq!(dec("7", 0), "7");
        assert_eq!(dec("-0", 3), "0");
    }
}
