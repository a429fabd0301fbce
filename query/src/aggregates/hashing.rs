//! Fixed, deterministic hashing of argument rows for the uniq family and `-Distinct`:
//!
//! - [`int_hash64`] is ClickHouse's `intHash64` (the MurmurHash3 64-bit finalizer);
//! - [`hash_rows64`]: integers and dates hash by `intHash64` of the value, floats by
//!   `intHash64` of their bits, strings by XXH3-64 (seed 0); several arguments combine;
//! - [`hash_rows128`]: an exact key for one primitive argument (the value's bits), XXH3-128
//!   of the bytes for strings, and XXH3-128 of the concatenated keys for several
//!   arguments. Other types (arrays, maps, ...) hash their Arrow row-format bytes.
//!
//! These hashes are part of the persisted state formats (see STATES.md): never change them.

use std::hash::{BuildHasherDefault, Hasher};

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::datatypes::DataType as ArrowType;
use arrow::row::{RowConverter, SortField};
use xxhash_rust::xxh3::{xxh3_128, xxh3_64};

use super::common::{logical, prim_values, with_primitive, Num};
use crate::error::Result;

/// ClickHouse's `intHash64`.
#[inline(always)]
pub(crate) fn int_hash64(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51afd7ed558ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ceb9fe1a85ec53);
    x ^= x >> 33;
    x
}

/// A fast hasher for keys that are integers or already hashes (std `HashSet`s of the
/// uniq family): one multiply-xorshift per word.
#[derive(Default, Clone, Copy)]
pub(crate) struct FastHasher(u64);

impl Hasher for FastHasher {
    #[inline]
    fn finish(&self) -> u64 {
        int_hash64(self.0)
    }
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        self.0 = int_hash64(self.0 ^ xxh3_64(bytes));
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.write_u64(i as u64);
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0 ^ i)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .rotate_left(29);
    }
    #[inline]
    fn write_u128(&mut self, i: u128) {
        self.write_u64(i as u64);
        self.write_u64((i >> 64) as u64);
    }
}

/// The `BuildHasher` of [`FastHasher`].
pub(crate) type FastBuild = BuildHasherDefault<FastHasher>;

/// Folds a 128-bit key into 64 bits.
#[inline(always)]
fn fold(k: u128) -> u64 {
    int_hash64(k as u64 ^ int_hash64((k >> 64) as u64))
}

/// A 64-bit hash of every row of `args` (`rows` rows).
pub(crate) fn hash_rows64(args: &[ArrayRef], rows: usize) -> Result<Vec<u64>> {
    if let [a] = args {
        if let Some(r) = with_primitive!(a.data_type(), T => {
            let v = prim_values::<T>(a)?;
            if std::mem::size_of::<<T as arrow::datatypes::ArrowPrimitiveType>::Native>() <= 8 {
                Some(v.iter().map(|x| int_hash64(x.key() as u64)).collect())
            } else {
                Some(v.iter().map(|x| fold(x.key())).collect())
            }
        }, _ => None)
        {
            return Ok(r);
        }
        if let Some(b) = a.as_binary_opt::<i32>() {
            return Ok(b.iter().map(|v| xxh3_64(v.unwrap_or_default())).collect());
        }
    }
    Ok(hash_rows128(args, rows)?.into_iter().map(fold).collect())
}

/// A 128-bit key of every row of `args` (`rows` rows; see the module docs).
pub(crate) fn hash_rows128(args: &[ArrayRef], rows: usize) -> Result<Vec<u128>> {
    let mut out = vec![0u128; rows];
    for (i, a) in args.iter().enumerate() {
        if a.len() != rows {
            return Err(logical("hash of rows: argument lengths differ"));
        }
        if i == 0 {
            keys128(a, &mut out, false)?;
        } else {
            keys128(a, &mut out, true)?;
        }
    }
    Ok(out)
}

#[inline(always)]
fn put(out: &mut u128, k: u128, combine: bool) {
    if combine {
        let mut b = [0u8; 32];
        b[..16].copy_from_slice(&out.to_le_bytes());
        b[16..].copy_from_slice(&k.to_le_bytes());
        *out = xxh3_128(&b);
    } else {
        *out = k;
    }
}

fn keys128(a: &ArrayRef, out: &mut [u128], combine: bool) -> Result<()> {
    let done = with_primitive!(a.data_type(), T => {
        for (o, v) in out.iter_mut().zip(prim_values::<T>(a)?) {
            put(o, v.key(), combine);
        }
        true
    }, _ => false);
    if done {
        return Ok(());
    }
    match a.data_type() {
        ArrowType::Binary => {
            for (o, v) in out.iter_mut().zip(a.as_binary::<i32>().iter()) {
                put(o, xxh3_128(v.unwrap_or_default()), combine);
            }
        }
        ArrowType::FixedSizeBinary(_) => {
            let b = a.as_fixed_size_binary();
            for (i, o) in out.iter_mut().enumerate() {
                put(o, xxh3_128(b.value(i)), combine);
            }
        }
        ArrowType::Boolean => {
            let b = a.as_boolean();
            for (i, o) in out.iter_mut().enumerate() {
                put(o, b.value(i) as u128, combine);
            }
        }
        ArrowType::Null => {
            for o in out.iter_mut() {
                put(o, u128::MAX, combine);
            }
        }
        dt => {
            let conv = RowConverter::new(vec![SortField::new(dt.clone())])?;
            let rows = conv.convert_columns(std::slice::from_ref(a))?;
            for (i, o) in out.iter_mut().enumerate() {
                put(o, xxh3_128(rows.row(i).as_ref()), combine);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::cloned_ref_to_slice_refs)]
mod tests {
    use super::*;

    #[test]
    fn int_hash64_matches_clickhouse() {
        // The SQL function is intHash64(x ^ 0x4CF2D2BAAE6DA887) of the internal one:
        // SELECT intHash64(1), intHash64(0) -> 10577349846663553072 4761183170873013810
        const SALT: u64 = 0x4CF2D2BAAE6DA887;
        assert_eq!(int_hash64(1 ^ SALT), 10577349846663553072);
        assert_eq!(int_hash64(SALT), 4761183170873013810);
    }
}
