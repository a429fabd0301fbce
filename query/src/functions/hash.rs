//! Hash functions: `xxHash64`, `sipHash64` (SipHash-2-4 with a zero key, as ClickHouse),
//! over the bytes of a String argument (one argument exactly as ClickHouse; numbers are
//! hashed through their text — a documented deviation).

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, UInt64Array};
use granary_storage::types::DataType;

use super::common::check_arity;
use super::string::str_arg;
use super::{FunctionRegistry, ScalarFunction};
use crate::columnar::ColumnarValue;
use crate::error::Result;

/// SipHash-2-4 of `data` with key (0, 0).
pub(crate) fn siphash64(data: &[u8]) -> u64 {
    let (mut v0, mut v1, mut v2, mut v3) = (
        0x736f6d6570736575u64,
        0x646f72616e646f6du64,
        0x6c7967656e657261u64,
        0x7465646279746573u64,
    );
    macro_rules! round {
        () => {
            v0 = v0.wrapping_add(v1);
            v1 = v1.rotate_left(13);
            v1 ^= v0;
            v0 = v0.rotate_left(32);
            v2 = v2.wrapping_add(v3);
            v3 = v3.rotate_left(16);
            v3 ^= v2;
            v0 = v0.wrapping_add(v3);
            v3 = v3.rotate_left(21);
            v3 ^= v0;
            v2 = v2.wrapping_add(v1);
            v1 = v1.rotate_left(17);
            v1 ^= v2;
            v2 = v2.rotate_left(32);
        };
    }
    let chunks = data.chunks_exact(8);
    let rest = chunks.remainder();
    for c in chunks {
        let m = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        v3 ^= m;
        round!();
        round!();
        v0 ^= m;
    }
    let mut last = (data.len() as u64 & 0xff) << 56;
    for (i, b) in rest.iter().enumerate() {
        last |= (*b as u64) << (8 * i);
    }
    v3 ^= last;
    round!();
    round!();
    v0 ^= last;
    v2 ^= 0xff;
    round!();
    round!();
    round!();
    round!();
    v0 ^ v1 ^ v2 ^ v3
}

/// A 64-bit hash of strings.
#[derive(Debug)]
struct Hash {
    name: &'static str,
    f: fn(&[u8]) -> u64,
}

impl ScalarFunction for Hash {
    fn name(&self) -> &'static str {
        self.name
    }

    fn return_type(&self, args: &[DataType], _c: &[Option<ArrayRef>]) -> Result<DataType> {
        check_arity(self.name, args, 1, 1)?;
        Ok(DataType::UInt64)
    }

    fn eval(
        &self,
        args: &[ColumnarValue],
        types: &[DataType],
        _r: &DataType,
        _rows: usize,
    ) -> Result<ColumnarValue> {
        let s = str_arg(&args[0], &types[0])?;
        let s = s.as_binary::<i32>();
        let f = self.f;
        let out: UInt64Array = (0..s.len()).map(|i| Some(f(s.value(i)))).collect();
        let out: ArrayRef = Arc::new(out);
        Ok(if args[0].is_scalar() {
            ColumnarValue::Scalar(out)
        } else {
            ColumnarValue::Array(out)
        })
    }
}

/// Registers the hash functions.
pub fn register(r: &mut FunctionRegistry) {
    r.register(Arc::new(Hash {
        name: "xxHash64",
        f: |b| xxhash_rust::xxh64::xxh64(b, 0),
    }));
    r.register(Arc::new(Hash {
        name: "sipHash64",
        f: siphash64,
    }));
}

#[cfg(test)]
mod tests {
    use crate::functions::testutil::*;

    // chdb: SELECT xxHash64('hello') 2794345569481354659, sipHash64('hello') 10142490492830962361
    #[test]
    fn hashes() {
        assert_eq!(
            eval_text("xxHash64", vec![s_col(&["hello"])]).unwrap(),
            (vec!["2794345569481354659".into()], "UInt64".into())
        );
        assert_eq!(
            eval_text("sipHash64", vec![s_col(&["hello"])]).unwrap().0,
            ["10142490492830962361"]
        );
    }
}
