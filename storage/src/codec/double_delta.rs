//! `DoubleDelta`: stores the delta of deltas of `width`-byte values with variable bit
//! widths, ideal for timestamps and monotonic counters whose step rarely changes.
//!
//! Layout of the encoded stage (n = whole values, t = trailing bytes):
//!
//! ```text
//! [first value: width bytes]            if n >= 1
//! [first delta: width bytes]            if n >= 2
//! groups of up to 64 delta-of-deltas:   n - 2 of them, if n > 2
//!     [bits: u8][the group's zigzagged delta-of-deltas packed at `bits` bits each]
//! [t trailing bytes, verbatim]
//! ```
//!
//! A group of a perfectly regular series has `bits` = 0 and costs one byte for 64 values.
//! All arithmetic wraps at the value width, so any bytes round-trip.

use super::bitpack::{pack, packed_len, unpack};
use super::word::{with_word, Word};
use crate::error::{Result, StorageError};

/// Values per bit-width group.
const GROUP: usize = 64;

/// Appends the DoubleDelta encoding of `input` to `out`.
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
    StorageError::CorruptedData(format!("DoubleDelta stage: {what}"))
}

fn encode_words<T: Word>(input: &[u8], out: &mut Vec<u8>) {
    let whole = input.len() - input.len() % T::BYTES;
    let (values, tail) = input.split_at(whole);
    let mut chunks = values.chunks_exact(T::BYTES);
    let n = values.len() / T::BYTES;
    out.reserve(2 * T::BYTES + n.div_ceil(GROUP) + tail.len() + n / 4);
    if let Some(first) = chunks.next() {
        out.extend_from_slice(first);
        let mut prev = T::load(first);
        if let Some(second) = chunks.next() {
            let v = T::load(second);
            let mut prev_delta = v.sub(prev);
            out.extend_from_slice(&prev_delta.to_u64().to_le_bytes()[..T::BYTES]);
            prev = v;
            let mut group = [0u64; GROUP];
            let mut rest = chunks;
            loop {
                let mut k = 0;
                let mut or = 0u64;
                for (slot, c) in group.iter_mut().zip(rest.by_ref()) {
                    let v = T::load(c);
                    let delta = v.sub(prev);
                    let z = delta.sub(prev_delta).zigzag().to_u64();
                    *slot = z;
                    or |= z;
                    prev = v;
                    prev_delta = delta;
                    k += 1;
                }
                if k == 0 {
                    break;
                }
                let bits = u64::BITS - or.leading_zeros();
                out.push(bits as u8);
                pack(&group[..k], bits, out);
                if k < GROUP {
                    break;
                }
            }
        }
    }
    out.extend_from_slice(tail);
}

fn decode_words<T: Word>(input: &[u8], expected_len: usize, out: &mut Vec<u8>) -> Result<()> {
    let n = expected_len / T::BYTES;
    let tail_len = expected_len % T::BYTES;
    let dods = n.saturating_sub(2);
    let head = n.min(2) * T::BYTES;
    // Every group costs at least its one-byte width: refuse sizes the input cannot back
    // before reserving memory for them.
    if head + tail_len + dods.div_ceil(GROUP) > input.len() {
        return Err(corrupted("encoded data too short for the recorded size"));
    }
    let body = &input[..input.len() - tail_len];
    let tail = &input[input.len() - tail_len..];
    let start = out.len();
    out.resize(start + expected_len, 0);
    let dst = &mut out[start..];
    let (dst_values, dst_tail) = dst.split_at_mut(n * T::BYTES);
    dst_tail.copy_from_slice(tail);
    let mut dst_chunks = dst_values.chunks_exact_mut(T::BYTES);
    let mut pos = 0usize;
    let Some(d0) = dst_chunks.next() else {
        return if body.is_empty() {
            Ok(())
        } else {
            Err(corrupted("trailing bytes"))
        };
    };
    let first = body
        .get(..T::BYTES)
        .ok_or_else(|| corrupted("missing first value"))?;
    d0.copy_from_slice(first);
    pos += T::BYTES;
    let mut value = T::load(first);
    let mut delta = T::default();
    if let Some(d1) = dst_chunks.next() {
        let bytes = body
            .get(pos..pos + T::BYTES)
            .ok_or_else(|| corrupted("missing first delta"))?;
        delta = T::load(bytes);
        value = value.add(delta);
        value.store(d1);
        pos += T::BYTES;
    }
    let mut group = [0u64; GROUP];
    let mut remaining = dods;
    while remaining > 0 {
        let k = remaining.min(GROUP);
        let bits = *body.get(pos).ok_or_else(|| corrupted("missing group"))? as u32;
        if bits > T::BITS {
            return Err(corrupted("bit width larger than the value width"));
        }
        pos += 1;
        let len = packed_len(k, bits);
        let packed = body
            .get(pos..pos + len)
            .ok_or_else(|| corrupted("truncated group"))?;
        pos += len;
        unpack(packed, bits, &mut group[..k]);
        for (&z, d) in group[..k].iter().zip(dst_chunks.by_ref()) {
            delta = delta.add(T::from_u64(z).unzigzag());
            value = value.add(delta);
            value.store(d);
        }
        remaining -= k;
    }
    if pos != body.len() {
        return Err(corrupted("trailing bytes"));
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
    fn regular_timestamps_cost_a_byte_per_group() {
        let data: Vec<u8> = (0..10_000u64)
            .flat_map(|i| (1_700_000_000 + i * 15).to_le_bytes())
            .collect();
        let enc = round_trip(8, &data);
        assert!(enc.len() < 16 + 10_000 / 64 + 2, "{}", enc.len());
    }

    #[test]
    fn round_trips_odd_lengths_and_extremes() {
        for width in [1, 2, 4, 8] {
            for len in 0..40 {
                let data: Vec<u8> = (0..len as u32)
                    .map(|i| (i.wrapping_mul(2_654_435_761) >> 7) as u8)
                    .collect();
                round_trip(width, &data);
            }
            round_trip(width, &[0xFF; 1000]);
            let alternating: Vec<u8> = (0..1000)
                .map(|i| if i % 2 == 0 { 0 } else { 0xFF })
                .collect();
            round_trip(width, &alternating);
        }
    }

    #[test]
    fn rejects_lying_sizes_and_garbage() {
        let mut enc = Vec::new();
        let data: Vec<u8> = (0..100u32).flat_map(|i| (i * i).to_le_bytes()).collect();
        encode(4, &data, &mut enc);
        let mut out = Vec::new();
        assert!(decode(4, &enc, 1 << 30, &mut out).is_err());
        assert!(decode(4, &enc, data.len() - 4 * 70, &mut out).is_err());
        assert!(decode(4, &enc[..enc.len() - 1], data.len(), &mut out).is_err());
        let mut bad = enc.clone();
        bad[8] = 200; // the first group's width
        assert!(decode(4, &bad, data.len(), &mut out).is_err());
    }
}
