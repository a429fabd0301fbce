//! `T64`: crops the unused high bits of integers. The values of the whole input are offset
//! by their minimum (taken as signed or as unsigned integers, whichever gives the smaller
//! range), and each group of 64 offsets is transposed as a 64 x 64 bit matrix so that bit
//! plane `p` (bit `p` of all 64 values) becomes one 64-bit word; only the planes below the
//! range's bit width are stored. A general-purpose codec after it finds long runs in the
//! high planes.
//!
//! Layout of the encoded stage (n = whole values, t = trailing bytes):
//!
//! ```text
//! if n >= 1:
//!     [bits: u8]                  bit width of max - min, 0..=8 * width
//!     [min: width bytes]
//!     ceil(n / 64) groups of [bits planes: u64 each], the last group padded with min
//! [t trailing bytes, verbatim]
//! ```

use super::word::{with_word, Word};
use crate::error::{Result, StorageError};

/// Values per transposed group.
const GROUP: usize = 64;

/// Appends the T64 encoding of `input` to `out`.
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
    StorageError::CorruptedData(format!("T64 stage: {what}"))
}

/// Transposes a 64 x 64 bit matrix in place: afterwards bit `r` of `a[p]` is what bit `p`
/// of `a[r]` was (Hacker's Delight, 7-3, widened to 64 bits).
#[inline]
fn transpose64(a: &mut [u64; 64]) {
    let mut j = 32usize;
    let mut m: u64 = 0x0000_0000_FFFF_FFFF;
    while j != 0 {
        let mut k = 0usize;
        while k < 64 {
            let t = ((a[k] >> j) ^ a[k + j]) & m;
            a[k] ^= t << j;
            a[k + j] ^= t;
            k = (k + j + 1) & !j;
        }
        j >>= 1;
        m ^= m << j;
    }
}

/// The offset base and bit width for `values`: signed or unsigned minimum, whichever
/// gives the narrower range.
fn frame<T: Word>(values: &[u8]) -> (T, u32) {
    let mut umin = u64::MAX;
    let mut umax = 0u64;
    let mut smin = i64::MAX;
    let mut smax = i64::MIN;
    for c in values.chunks_exact(T::BYTES) {
        let v = T::load(c);
        let u = v.to_u64();
        let s = v.to_i64();
        umin = umin.min(u);
        umax = umax.max(u);
        smin = smin.min(s);
        smax = smax.max(s);
    }
    let urange = umax.wrapping_sub(umin);
    let srange = (smax as u64).wrapping_sub(smin as u64);
    if srange < urange {
        (T::from_u64(smin as u64), u64::BITS - srange.leading_zeros())
    } else {
        (T::from_u64(umin), u64::BITS - urange.leading_zeros())
    }
}

fn encode_words<T: Word>(input: &[u8], out: &mut Vec<u8>) {
    let whole = input.len() - input.len() % T::BYTES;
    let (values, tail) = input.split_at(whole);
    let n = values.len() / T::BYTES;
    if n > 0 {
        let (min, bits) = frame::<T>(values);
        out.reserve(1 + T::BYTES + n.div_ceil(GROUP) * 8 * bits as usize + tail.len());
        out.push(bits as u8);
        out.extend_from_slice(&min.to_u64().to_le_bytes()[..T::BYTES]);
        let mut group = [0u64; GROUP];
        for chunk in values.chunks(GROUP * T::BYTES) {
            group.fill(0);
            for (slot, c) in group.iter_mut().zip(chunk.chunks_exact(T::BYTES)) {
                *slot = T::load(c).sub(min).to_u64();
            }
            transpose64(&mut group);
            for plane in &group[..bits as usize] {
                out.extend_from_slice(&plane.to_le_bytes());
            }
        }
    }
    out.extend_from_slice(tail);
}

fn decode_words<T: Word>(input: &[u8], expected_len: usize, out: &mut Vec<u8>) -> Result<()> {
    let n = expected_len / T::BYTES;
    let tail_len = expected_len % T::BYTES;
    let start = out.len();
    if n == 0 {
        if input.len() != tail_len {
            return Err(corrupted("size mismatch"));
        }
        out.extend_from_slice(input);
        return Ok(());
    }
    let header = 1 + T::BYTES;
    let (&bits, rest) = input
        .split_first()
        .ok_or_else(|| corrupted("missing header"))?;
    let bits = bits as usize;
    if bits > T::BITS as usize {
        return Err(corrupted("bit width larger than the value width"));
    }
    let groups = n.div_ceil(GROUP);
    let planes_len = groups
        .checked_mul(8 * bits)
        .ok_or_else(|| corrupted("size overflow"))?;
    if input.len() != header + planes_len + tail_len {
        return Err(corrupted("encoded size does not match the recorded size"));
    }
    let min = T::load(&rest[..T::BYTES]);
    let planes = &input[header..header + planes_len];
    out.resize(start + expected_len, 0);
    let dst = &mut out[start..];
    let (dst_values, dst_tail) = dst.split_at_mut(n * T::BYTES);
    dst_tail.copy_from_slice(&input[header + planes_len..]);
    let mut group = [0u64; GROUP];
    let group_bytes = (8 * bits).max(1);
    for (g, dst_chunk) in dst_values.chunks_mut(GROUP * T::BYTES).enumerate() {
        group.fill(0);
        if bits > 0 {
            let src = &planes[g * group_bytes..(g + 1) * group_bytes];
            for (plane, c) in group.iter_mut().zip(src.chunks_exact(8)) {
                *plane = u64::load(c);
            }
            transpose64(&mut group);
        }
        for (v, d) in group.iter().zip(dst_chunk.chunks_exact_mut(T::BYTES)) {
            T::from_u64(*v).add(min).store(d);
        }
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
    fn transpose_is_a_transpose() {
        let mut a = [0u64; 64];
        for (i, v) in a.iter_mut().enumerate() {
            *v = (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
        let orig = a;
        transpose64(&mut a);
        for (r, row) in orig.iter().enumerate() {
            for (p, plane) in a.iter().enumerate() {
                assert_eq!((plane >> r) & 1, (row >> p) & 1);
            }
        }
        transpose64(&mut a);
        assert_eq!(a, orig);
    }

    #[test]
    fn small_ints_keep_only_their_bits() {
        let data: Vec<u8> = (0..6400i64)
            .flat_map(|i| (1000 + (i * 7919) % 200).to_le_bytes())
            .collect();
        let enc = round_trip(8, &data);
        // 200 distinct values need 8 bits: 8 planes of 8 bytes per 64 values.
        assert_eq!(enc.len(), 1 + 8 + 100 * 8 * 8);
        let negatives: Vec<u8> = (-50..50i32).flat_map(|i| i.to_le_bytes()).collect();
        let enc = round_trip(4, &negatives);
        assert_eq!(enc.len(), 1 + 4 + 2 * 8 * 7);
    }

    #[test]
    fn round_trips_odd_lengths_and_extremes() {
        for width in [1, 2, 4, 8] {
            for len in 0..200 {
                let data: Vec<u8> = (0..len as u32)
                    .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8)
                    .collect();
                round_trip(width, &data);
            }
            round_trip(width, &[0xFF; 1000]);
            round_trip(width, &[0x80; 1000]);
        }
    }

    #[test]
    fn rejects_lying_sizes() {
        let data: Vec<u8> = (0..100u16).flat_map(|i| i.to_le_bytes()).collect();
        let mut enc = Vec::new();
        encode(2, &data, &mut enc);
        let mut out = Vec::new();
        assert!(decode(2, &enc, data.len() + 2 * 64, &mut out).is_err());
        assert!(decode(2, &enc[..enc.len() - 1], data.len(), &mut out).is_err());
        let mut bad = enc.clone();
        bad[0] = 17;
        assert!(decode(2, &bad, data.len(), &mut out).is_err());
    }
}
