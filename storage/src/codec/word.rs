//! [`Word`]: the fixed-width little-endian integers (1, 2, 4 or 8 bytes) that the
//! preprocessing codecs (Delta, DoubleDelta, Gorilla, T64) work on, and
//! [`with_word!`](crate::codec::word::with_word) to pick the implementation for a runtime
//! width.
//!
//! Every codec treats a value as an unsigned integer of its width with wrapping arithmetic,
//! so signed integers, floats (as their bit patterns) and dates all round-trip exactly.

/// An unsigned little-endian integer of `BYTES` bytes.
pub(crate) trait Word: Copy + Eq + Default {
    /// Width in bytes.
    const BYTES: usize;
    /// Width in bits.
    const BITS: u32;

    /// Reads a value from a chunk of exactly `BYTES` bytes (as given by `chunks_exact`).
    fn load(chunk: &[u8]) -> Self;
    /// Writes the value into a chunk of exactly `BYTES` bytes.
    fn store(self, chunk: &mut [u8]);
    /// `self + other`, wrapping.
    fn add(self, other: Self) -> Self;
    /// `self - other`, wrapping.
    fn sub(self, other: Self) -> Self;
    /// Maps the value, read as a two's-complement signed integer, to an unsigned one with
    /// small magnitudes near zero: 0, -1, 1, -2, ... become 0, 1, 2, 3, ...
    fn zigzag(self) -> Self;
    /// The inverse of [`Word::zigzag`].
    fn unzigzag(self) -> Self;
    /// Zero-extends to 64 bits.
    fn to_u64(self) -> u64;
    /// Truncates a 64-bit value to this width.
    fn from_u64(v: u64) -> Self;
    /// Reinterprets as signed and sign-extends: used to order values as signed integers.
    fn to_i64(self) -> i64;
}

macro_rules! impl_word {
    ($u:ty, $i:ty) => {
        impl Word for $u {
            const BYTES: usize = std::mem::size_of::<$u>();
            const BITS: u32 = <$u>::BITS;

            #[inline(always)]
            fn load(chunk: &[u8]) -> Self {
                // `chunks_exact` guarantees the length, so the fallback is never taken and the
                // optimiser removes the check.
                <[u8; std::mem::size_of::<$u>()]>::try_from(chunk)
                    .map(<$u>::from_le_bytes)
                    .unwrap_or(0)
            }

            #[inline(always)]
            fn store(self, chunk: &mut [u8]) {
                chunk.copy_from_slice(&self.to_le_bytes());
            }

            #[inline(always)]
            fn add(self, other: Self) -> Self {
                self.wrapping_add(other)
            }

            #[inline(always)]
            fn sub(self, other: Self) -> Self {
                self.wrapping_sub(other)
            }

            #[inline(always)]
            fn zigzag(self) -> Self {
                let s = self as $i;
                ((s << 1) ^ (s >> (<$u>::BITS - 1))) as $u
            }

            #[inline(always)]
            fn unzigzag(self) -> Self {
                (self >> 1) ^ (0 as $u).wrapping_sub(self & 1)
            }

            #[inline(always)]
            fn to_u64(self) -> u64 {
                self as u64
            }

            #[inline(always)]
            fn from_u64(v: u64) -> Self {
                v as $u
            }

            #[inline(always)]
            fn to_i64(self) -> i64 {
                self as $i as i64
            }
        }
    };
}

impl_word!(u8, i8);
impl_word!(u16, i16);
impl_word!(u32, i32);
impl_word!(u64, i64);

/// Runs `$body` with the type alias `$T` bound to the [`Word`] of `$width` bytes (1, 2, 4
/// or 8), or evaluates `$other` for any other width.
macro_rules! with_word {
    ($width:expr, $T:ident => $body:expr, _ => $other:expr) => {
        match $width {
            1 => {
                type $T = u8;
                $body
            }
            2 => {
                type $T = u16;
                $body
            }
            4 => {
                type $T = u32;
                $body
            }
            8 => {
                type $T = u64;
                $body
            }
            _ => $other,
        }
    };
}
pub(crate) use with_word;

/// Whether the preprocessing codecs support values of `width` bytes.
pub(crate) fn is_word_width(width: usize) -> bool {
    matches!(width, 1 | 2 | 4 | 8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zigzag_round_trips_and_orders_by_magnitude() {
        for v in [0i32, -1, 1, -2, 2, i32::MIN, i32::MAX] {
            let u = v as u32;
            assert_eq!(u.zigzag().unzigzag(), u);
        }
        assert_eq!((-1i64 as u64).zigzag(), 1);
        assert_eq!(1u64.zigzag(), 2);
        assert_eq!((i8::MIN as u8).zigzag(), 255);
    }

    #[test]
    fn load_store_little_endian() {
        let mut b = [0u8; 4];
        0x0403_0201u32.store(&mut b);
        assert_eq!(b, [1, 2, 3, 4]);
        assert_eq!(u32::load(&b), 0x0403_0201);
        assert_eq!(with_word!(2, T => T::BYTES, _ => 0), 2);
        assert_eq!(with_word!(3, T => T::BYTES, _ => 0), 0);
    }
}
