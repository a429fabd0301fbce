//! Writing and reading serialized aggregate states (layouts in `STATES.md`): little-endian
//! fixed-width numbers, LEB128 `varuint`s and length-prefixed bytes. Reading never panics:
//! a short or malformed state is a `CANNOT_PARSE_INPUT_ASSERTION_FAILED`-style error.

use crate::error::{ErrorCode, QueryError, Result};

/// Most elements a serialized collection may announce (guards allocations on bad input).
const MAX_ELEMENTS: u64 = 1 << 32;

/// Appends `v` as LEB128.
pub(crate) fn put_varuint(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

/// Appends `v` as a varuint length followed by its bytes.
pub(crate) fn put_bytes(out: &mut Vec<u8>, v: &[u8]) {
    put_varuint(out, v.len() as u64);
    out.extend_from_slice(v);
}

/// The error for a state that does not parse.
pub(crate) fn bad_state(what: &str) -> QueryError {
    QueryError::new(
        ErrorCode::CannotParseText,
        format!("Cannot read aggregate function state: {what}"),
    )
}

/// A cursor over a serialized state.
pub(crate) struct StateReader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> StateReader<'a> {
    /// A reader at the start of `buf`.
    pub(crate) fn new(buf: &'a [u8]) -> StateReader<'a> {
        StateReader { buf, pos: 0 }
    }

    /// The next `n` bytes.
    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.buf.len())
            .ok_or_else(|| bad_state("unexpected end of state"))?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    /// The next `N` bytes as an array.
    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let s = self.take(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    /// One byte.
    pub(crate) fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }

    /// A little-endian u64.
    pub(crate) fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    /// A little-endian f64.
    pub(crate) fn f64(&mut self) -> Result<f64> {
        Ok(f64::from_le_bytes(self.array()?))
    }

    /// A LEB128 number.
    pub(crate) fn varuint(&mut self) -> Result<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.u8()?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(bad_state("varuint too long"))
    }

    /// A varuint element count, checked against the bytes left (each element takes at
    /// least `min_size` bytes).
    pub(crate) fn count(&mut self, min_size: usize) -> Result<usize> {
        let n = self.varuint()?;
        let left = (self.buf.len() - self.pos) as u64;
        if n > MAX_ELEMENTS || n.saturating_mul(min_size as u64) > left {
            return Err(bad_state("element count larger than the state"));
        }
        Ok(n as usize)
    }

    /// Length-prefixed bytes.
    pub(crate) fn bytes(&mut self) -> Result<&'a [u8]> {
        let n = self.count(1)?;
        self.take(n)
    }

    /// Fails unless every byte was read.
    pub(crate) fn finish(&self) -> Result<()> {
        if self.pos == self.buf.len() {
            Ok(())
        } else {
            Err(bad_state("trailing bytes"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varuint_round_trips_and_rejects_garbage() {
        let mut out = Vec::new();
        for v in [0u64, 1, 127, 128, 300, u64::MAX] {
            put_varuint(&mut out, v);
        }
        put_bytes(&mut out, b"abc");
        let mut r = StateReader::new(&out);
        for v in [0u64, 1, 127, 128, 300, u64::MAX] {
            assert_eq!(r.varuint().unwrap(), v);
        }
        assert_eq!(r.bytes().unwrap(), b"abc");
        r.finish().unwrap();
        assert!(StateReader::new(&[0x80; 12]).varuint().is_err());
        assert!(StateReader::new(&[5, 1]).bytes().is_err());
        assert!(StateReader::new(&[1]).u64().is_err());
    }
}
