//! A little-endian bit stream (first bit = least significant bit of the first byte) with a
//! writer and a reader that never reads out of bounds. Used by the Gorilla codec.

/// Appends bit fields to a byte vector.
pub(crate) struct BitWriter<'a> {
    out: &'a mut Vec<u8>,
    acc: u128,
    /// Bits pending in `acc`; always below 64 between calls.
    filled: u32,
}

impl<'a> BitWriter<'a> {
    /// A writer appending to `out`.
    pub(crate) fn new(out: &'a mut Vec<u8>) -> Self {
        BitWriter {
            out,
            acc: 0,
            filled: 0,
        }
    }

    /// Appends the low `bits` bits of `value` (`bits` <= 64; higher bits of `value` must be
    /// zero).
    #[inline(always)]
    pub(crate) fn write(&mut self, value: u64, bits: u32) {
        self.acc |= (value as u128) << self.filled;
        self.filled += bits;
        if self.filled >= 64 {
            self.out.extend_from_slice(&(self.acc as u64).to_le_bytes());
            self.acc >>= 64;
            self.filled -= 64;
        }
    }

    /// Flushes the pending bits, padding the last byte with zeros.
    pub(crate) fn finish(self) {
        let bytes = self.filled.div_ceil(8) as usize;
        self.out
            .extend_from_slice(&(self.acc as u64).to_le_bytes()[..bytes]);
    }
}

/// Reads bit fields from a byte slice. Reading past the end yields zero bits and sets a
/// flag that [`BitReader::overran`] reports, so hot loops need no error checks.
pub(crate) struct BitReader<'a> {
    src: &'a [u8],
    pos: usize,
    acc: u128,
    filled: u32,
    overran: bool,
}

impl<'a> BitReader<'a> {
    /// A reader over `src`.
    pub(crate) fn new(src: &'a [u8]) -> Self {
        BitReader {
            src,
            pos: 0,
            acc: 0,
            filled: 0,
            overran: false,
        }
    }

    /// Reads the next `bits` bits (`bits` <= 64).
    #[inline(always)]
    pub(crate) fn read(&mut self, bits: u32) -> u64 {
        if self.filled < bits {
            self.refill(bits);
        }
        let mask = if bits >= 64 {
            u64::MAX
        } else {
            (1u64 << bits) - 1
        };
        let v = (self.acc as u64) & mask;
        self.acc >>= bits;
        self.filled -= bits;
        v
    }

    #[inline]
    fn refill(&mut self, bits: u32) {
        if let Some(word) = self.src.get(self.pos..self.pos + 8) {
            let w = u64::from_le_bytes(<[u8; 8]>::try_from(word).unwrap_or([0; 8]));
            self.acc |= (w as u128) << self.filled;
            self.filled += 64;
            self.pos += 8;
            return;
        }
        while self.filled < bits {
            match self.src.get(self.pos) {
                Some(&b) => {
                    self.acc |= (b as u128) << self.filled;
                    self.filled += 8;
                    self.pos += 1;
                }
                None => {
                    self.overran = true;
                    self.filled = bits;
                }
            }
        }
    }

    /// Whether a read went past the end of the input.
    pub(crate) fn overran(&self) -> bool {
        self.overran
    }

    /// Bits consumed so far.
    pub(crate) fn bits_read(&self) -> usize {
        self.pos * 8 - self.filled as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_reads_fields_of_every_width() {
        let fields: Vec<(u64, u32)> = (0..=64u32)
            .cycle()
            .take(300)
            .enumerate()
            .map(|(i, bits)| {
                let mask = if bits == 64 {
                    u64::MAX
                } else {
                    (1u64 << bits) - 1
                };
                ((i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) & mask, bits)
            })
            .collect();
        let mut buf = Vec::new();
        let mut w = BitWriter::new(&mut buf);
        for &(v, b) in &fields {
            w.write(v, b);
        }
        w.finish();
        let total: usize = fields.iter().map(|f| f.1 as usize).sum();
        assert_eq!(buf.len(), total.div_ceil(8));
        let mut r = BitReader::new(&buf);
        for &(v, b) in &fields {
            assert_eq!(r.read(b), v);
        }
        assert!(!r.overran());
        assert_eq!(r.bits_read(), total);
        r.read(17);
        assert!(r.overran());
    }
}
