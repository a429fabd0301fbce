//! `Delta(width)`: each `width`-byte little-endian value is replaced by its difference
//! from the previous value (the first by itself), wrapping. The output has exactly the
//! input's size; bytes after the last whole value are copied verbatim.
//!
//! Sorted or slowly changing columns turn into runs of small, repetitive numbers that the
//! general-purpose codec that follows (LZ4, ZSTD) compresses far better.

use super::word::{with_word, Word};
use crate::error::{Result, StorageError};

/// Appends the delta encoding of `input` to `out`.
pub(crate) fn encode(width: usize, input: &[u8], out: &mut Vec<u8>) {
    with_word!(width, T => encode_words::<T>(input, out), _ => out.extend_from_slice(input))
}

/// Appends the decoding of `input` to `out`; `expected_len` is the decoded size recorded
/// in the block, which must equal the input size.
pub(crate) fn decode(
    width: usize,
    input: &[u8],
    expected_len: usize,
    out: &mut Vec<u8>,
) -> Result<()> {
    if input.len() != expected_len {
        return Err(StorageError::CorruptedData(format!(
            "Delta stage: {} encoded bytes cannot decode to {expected_len} bytes",
            input.len()
        )));
    }
    with_word!(width, T => decode_words::<T>(input, out), _ => out.extend_from_slice(input));
    Ok(())
}

fn encode_words<T: Word>(input: &[u8], out: &mut Vec<u8>) {
    let start = out.len();
    out.resize(start + input.len(), 0);
    let dst = &mut out[start..];
    let whole = input.len() - input.len() % T::BYTES;
    let (values, tail) = input.split_at(whole);
    let (dst_values, dst_tail) = dst.split_at_mut(whole);
    let mut prev = T::default();
    for (s, d) in values
        .chunks_exact(T::BYTES)
        .zip(dst_values.chunks_exact_mut(T::BYTES))
    {
        let v = T::load(s);
        v.sub(prev).store(d);
        prev = v;
    }
    dst_tail.copy_from_slice(tail);
}

fn decode_words<T: Word>(input: &[u8], out: &mut Vec<u8>) {
    let start = out.len();
    out.resize(start + input.len(), 0);
    let dst = &mut out[start..];
    let whole = input.len() - input.len() % T::BYTES;
    let (values, tail) = input.split_at(whole);
    let (dst_values, dst_tail) = dst.split_at_mut(whole);
    let mut acc = T::default();
    for (s, d) in values
        .chunks_exact(T::BYTES)
        .zip(dst_values.chunks_exact_mut(T::BYTES))
    {
        acc = acc.add(T::load(s));
        acc.store(d);
    }
    dst_tail.copy_from_slice(tail);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_differences_and_keeps_the_tail() {
        let values: Vec<u8> = [10u32, 11, 13, 12]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .chain([0xAA, 0xBB])
            .collect();
        let mut enc = Vec::new();
        encode(4, &values, &mut enc);
        let deltas: Vec<u32> = enc[..16]
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        assert_eq!(deltas, vec![10, 1, 2, u32::MAX]);
        assert_eq!(&enc[16..], &[0xAA, 0xBB]);
        let mut dec = vec![7];
        decode(4, &enc, values.len(), &mut dec).unwrap();
        assert_eq!(&dec[1..], &values[..]);
    }

    #[test]
    fn rejects_a_size_mismatch() {
        let mut dec = Vec::new();
        assert!(decode(8, &[0; 8], 16, &mut dec).is_err());
    }
}
