//! `Gorilla`: Facebook's XOR encoding for floating-point series (Pelkonen et al., "Gorilla:
//! A Fast, Scalable, In-Memory Time Series Database", VLDB 2015), on `width`-byte values
//! (Float32/Float64, and any other 1/2/4/8-byte values).
//!
//! Each value is XORed with its predecessor; slowly changing floats share sign, exponent
//! and high mantissa bits, so the XOR is mostly zeros. Layout, with W = 8 * width bits and
//! L = log2(W) (6 for 64-bit values):
//!
//! ```text
//! [first value: width bytes]                      if there is at least one value
//! bit stream, least significant bit first, one entry per further value:
//!     0                                           XOR is zero (value repeats)
//!     1 0 <W - lz - tz bits>                      XOR fits the previous window of
//!                                                 lz leading / tz trailing zero bits
//!     1 1 <lz: L bits> <len - 1: L bits> <len bits>   new window, len meaningful bits
//! zero padding to a whole byte
//! [trailing bytes that do not fill a value, verbatim]
//! ```

use super::bitstream::{BitReader, BitWriter};
use super::word::{with_word, Word};
use crate::error::{Result, StorageError};

/// Appends the Gorilla encoding of `input` to `out`.
pub(crate) fn encode(width: usize, input: &[u8], out: &mut Vec<u8>) {
    with_word!(width, T => encode_words::<T>(input, out), _ => out.extend_from_slice(input))
}

/// Appends the `expected_len` bytes that `input` decodes to onto `out`.
pub(crate) fn decode(
    width: usize,
    input: &[u8],
    expected_len: usize,
    out: &mut Vec<u8>,
) -> Result<()> {
    with_word!(width, T => decode_words::<T>(input, expected_len, out), _ => {
        if input.len() != expected_len {
            return Err(corrupted("size mismatch"));
        }
        out.extend_from_slice(input);
        Ok(())
    })
}

fn corrupted(what: &str) -> StorageError {
    StorageError::CorruptedData(format!("Gorilla stage: {what}"))
}

/// Bits of the leading-zero and length fields for `T`.
fn field_bits<T: Word>() -> u32 {
    T::BITS.trailing_zeros()
}

fn encode_words<T: Word>(input: &[u8], out: &mut Vec<u8>) {
    let whole = input.len() - input.len() % T::BYTES;
    let (values, tail) = input.split_at(whole);
    let mut chunks = values.chunks_exact(T::BYTES);
    if let Some(first) = chunks.next() {
        out.reserve(values.len() / 2 + tail.len() + 16);
        out.extend_from_slice(first);
        let l = field_bits::<T>();
        let unused_high = u64::BITS - T::BITS;
        let mut prev = T::load(first).to_u64();
        // No window yet: an impossible leading-zero count forces a new window.
        let mut win_lz = u32::MAX;
        let mut win_tz = 0u32;
        let mut w = BitWriter::new(out);
        for c in chunks {
            let v = T::load(c).to_u64();
            let x = v ^ prev;
            prev = v;
            if x == 0 {
                w.write(0, 1);
                continue;
            }
            let lz = x.leading_zeros() - unused_high;
            let tz = x.trailing_zeros();
            if lz >= win_lz && tz >= win_tz {
                w.write(0b01, 2);
                w.write(x >> win_tz, T::BITS - win_lz - win_tz);
            } else {
                let len = T::BITS - lz - tz;
                let header = 0b11 | (lz as u64) << 2 | ((len - 1) as u64) << (2 + l);
                w.write(header, 2 + 2 * l);
                w.write(x >> tz, len);
                win_lz = lz;
                win_tz = tz;
            }
        }
        w.finish();
    }
    out.extend_from_slice(tail);
}

fn decode_words<T: Word>(input: &[u8], expected_len: usize, out: &mut Vec<u8>) -> Result<()> {
    let n = expected_len / T::BYTES;
    let tail_len = expected_len % T::BYTES;
    let head = n.min(1) * T::BYTES;
    if input.len() < head + tail_len {
        return Err(corrupted("encoded data too short for the recorded size"));
    }
    let stream = &input[head..input.len() - tail_len];
    // Every value after the first costs at least one bit: refuse sizes the input cannot
    // back before reserving memory for them.
    if n.saturating_sub(1) > stream.len().saturating_mul(8) {
        return Err(corrupted("encoded data too short for the recorded size"));
    }
    let start = out.len();
    out.resize(start + expected_len, 0);
    let dst = &mut out[start..];
    let (dst_values, dst_tail) = dst.split_at_mut(n * T::BYTES);
    dst_tail.copy_from_slice(&input[input.len() - tail_len..]);
    let mut dst_chunks = dst_values.chunks_exact_mut(T::BYTES);
    let Some(d0) = dst_chunks.next() else {
        return if stream.is_empty() {
            Ok(())
        } else {
            Err(corrupted("trailing bytes"))
        };
    };
    d0.copy_from_slice(&input[..T::BYTES]);
    let l = field_bits::<T>();
    let mut prev = T::load(&input[..T::BYTES]).to_u64();
    let mut win_lz = 0u32;
    let mut win_tz = 0u32;
    let mut have_window = false;
    let mut r = BitReader::new(stream);
    for d in dst_chunks {
        if r.read(1) != 0 {
            if r.read(1) == 0 {
                if !have_window {
                    return Err(corrupted("window reused before one was set"));
                }
                prev ^= r.read(T::BITS - win_lz - win_tz) << win_tz;
            } else {
                let header = r.read(2 * l);
                let lz = (header & ((1 << l) - 1)) as u32;
                let len = (header >> l) as u32 + 1;
                if lz + len > T::BITS {
                    return Err(corrupted("window wider than the value"));
                }
                win_lz = lz;
                win_tz = T::BITS - lz - len;
                have_window = true;
                prev ^= r.read(len) << win_tz;
            }
        }
        T::from_u64(prev).store(d);
    }
    if r.overran() || r.bits_read().div_ceil(8) != stream.len() {
        return Err(corrupted("bit stream length does not match the values"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(width: usize, data: &[u8]) -> Vec<u8> {
        let mut enc = Vec::new();
        encode(width, data, &mut enc);
        let mut dec = Vec::new();
        decode(width, &enc, data.len(), &mut dec).unwrap();
        assert_eq!(dec, data, "width {width}");
        enc
    }

    #[test]
    fn slowly_changing_floats_shrink() {
        let data: Vec<u8> = (0..10_000)
            .flat_map(|i| (20.0 + ((i / 10) as f64) * 0.5).to_le_bytes())
            .collect();
        let enc = round_trip(8, &data);
        assert!(
            enc.len() * 8 < data.len(),
            "{} of {}",
            enc.len(),
            data.len()
        );
        let f32s: Vec<u8> = (0..10_000)
            .flat_map(|i| (100.0f32 + (i % 7) as f32).to_le_bytes())
            .collect();
        let enc = round_trip(4, &f32s);
        assert!(
            enc.len() * 2 < f32s.len(),
            "{} of {}",
            enc.len(),
            f32s.len()
        );
    }

    #[test]
    fn round_trips_odd_lengths_and_extremes() {
        for width in [1, 2, 4, 8] {
            for len in 0..40 {
                let data: Vec<u8> = (0..len as u32)
                    .map(|i| (i.wrapping_mul(2_654_435_761) >> 9) as u8)
                    .collect();
                round_trip(width, &data);
            }
            round_trip(width, &[0xFF; 100]);
            let mut alternating = vec![0u8; 64];
            alternating.extend_from_slice(&[0xFF; 64]);
            alternating.extend_from_slice(&[0x80; 64]);
            round_trip(width, &alternating);
        }
    }

    #[test]
    fn rejects_lying_sizes_and_truncation() {
        let data: Vec<u8> = (0..100)
            .flat_map(|i| (i as f64 * 1.25).to_le_bytes())
            .collect();
        let mut enc = Vec::new();
        encode(8, &data, &mut enc);
        let mut out = Vec::new();
        assert!(decode(8, &enc, 1 << 30, &mut out).is_err());
        assert!(decode(8, &enc[..enc.len() - 1], data.len(), &mut out).is_err());
        assert!(decode(8, &enc, data.len() + 8 * 1000, &mut out).is_err());
    }
}
