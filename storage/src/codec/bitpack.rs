//! Fixed-width bit packing: `n` values of `bits` bits each stored in `ceil(n * bits / 8)`
//! bytes, least significant bit first. Used by DoubleDelta for its groups of 64
//! delta-of-deltas.

/// Bytes that `count` values of `bits` bits occupy when packed.
#[inline]
pub(crate) fn packed_len(count: usize, bits: u32) -> usize {
    (count * bits as usize).div_ceil(8)
}

/// Appends `values`, each of which must be below `2^bits` (`bits` <= 64), packed.
pub(crate) fn pack(values: &[u64], bits: u32, out: &mut Vec<u8>) {
    if bits == 0 {
        return;
    }
    let start = out.len();
    let len = packed_len(values.len(), bits);
    out.reserve(len + 8);
    let mut acc: u128 = 0;
    let mut filled: u32 = 0;
    for &v in values {
        acc |= (v as u128) << filled;
        filled += bits;
        if filled >= 64 {
            out.extend_from_slice(&(acc as u64).to_le_bytes());
            acc >>= 64;
            filled -= 64;
        }
    }
    out.extend_from_slice(&(acc as u64).to_le_bytes());
    out.truncate(start + len);
}

/// Fills `out` with values of `bits` bits unpacked from `src`, which must hold at least
/// [`packed_len`]`(out.len(), bits)` bytes; missing bytes read as zero.
pub(crate) fn unpack(src: &[u8], bits: u32, out: &mut [u64]) {
    if bits == 0 {
        out.fill(0);
        return;
    }
    let mask = if bits >= 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    let mut acc: u128 = 0;
    let mut filled: u32 = 0;
    let mut pos = 0usize;
    for o in out.iter_mut() {
        if filled < bits {
            if let Some(word) = src.get(pos..pos + 8) {
                let w = u64::from_le_bytes(<[u8; 8]>::try_from(word).unwrap_or([0; 8]));
                acc |= (w as u128) << filled;
                filled += 64;
                pos += 8;
            } else {
                while filled < bits {
                    let b = src.get(pos).copied().unwrap_or(0);
                    acc |= (b as u128) << filled;
                    filled += 8;
                    pos += 1;
                }
            }
        }
        *o = (acc as u64) & mask;
        acc >>= bits;
        filled -= bits;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_width() {
        for bits in 0..=64u32 {
            for count in [0usize, 1, 7, 63, 64, 65] {
                let mask = if bits == 64 {
                    u64::MAX
                } else {
                    (1u64 << bits) - 1
                };
                let values: Vec<u64> = (0..count as u64)
                    .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15) & mask)
                    .collect();
                let mut packed = Vec::new();
                pack(&values, bits, &mut packed);
                assert_eq!(packed.len(), packed_len(count, bits));
                let mut back = vec![1u64; count];
                unpack(&packed, bits, &mut back);
                assert_eq!(back, values, "bits {bits} count {count}");
            }
        }
    }
}
