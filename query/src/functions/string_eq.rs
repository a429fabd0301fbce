//! `=` and `!=` between a String column and a constant, by lengths first.
//!
//! Arrow's comparison kernel calls `memcmp` for every row whose length matches the
//! constant's, and that call dominates `s <> ''` (most rows of a mostly-empty column
//! match the empty constant's length): 60 ns a row. Here the lengths come from the
//! offsets, and bytes are compared only for rows of the constant's length that are not
//! empty.

use arrow::array::{Array, ArrayRef, BinaryArray, BooleanArray, StringArray};
use arrow::buffer::BooleanBuffer;

/// `column = needle` (or `!=` when `negate`) for a Binary or Utf8 `column`; `None` for
/// any other array type.
pub fn eq_constant(column: &ArrayRef, needle: &[u8], negate: bool) -> Option<BooleanArray> {
    let (offsets, values, nulls) = if let Some(a) = column.as_any().downcast_ref::<BinaryArray>() {
        (a.value_offsets(), a.value_data(), a.nulls())
    } else if let Some(a) = column.as_any().downcast_ref::<StringArray>() {
        (a.value_offsets(), a.value_data(), a.nulls())
    } else {
        return None;
    };
    let n = needle.len();
    let bits = BooleanBuffer::collect_bool(column.len(), |i| {
        let (s, e) = (offsets[i] as usize, offsets[i + 1] as usize);
        let equal = e - s == n && (n == 0 || &values[s..e] == needle);
        equal != negate
    });
    Some(BooleanArray::new(bits, nulls.cloned()))
}

/// The bytes of a one-row Binary or Utf8 array (a constant), `None` when it is null or
/// of another type.
pub fn constant_bytes(constant: &ArrayRef) -> Option<&[u8]> {
    if constant.len() != 1 || constant.is_null(0) {
        return None;
    }
    if let Some(a) = constant.as_any().downcast_ref::<BinaryArray>() {
        Some(a.value(0))
    } else {
        constant
            .as_any()
            .downcast_ref::<StringArray>()
            .map(|a| a.value(0).as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn column() -> ArrayRef {
        Arc::new(BinaryArray::from(vec![
            Some(b"".as_slice()),
            Some(b"ab"),
            None,
            Some(b"ba"),
            Some(b"a"),
        ]))
    }

    fn bools(a: &BooleanArray) -> Vec<Option<bool>> {
        a.iter().collect()
    }

    #[test]
    fn equal_and_not_equal_match_arrow() {
        let c = column();
        for needle in [b"".as_slice(), b"ab", b"a", b"zz"] {
            for negate in [false, true] {
                let ours = eq_constant(&c, needle, negate).unwrap();
                let scalar = arrow::array::Scalar::new(BinaryArray::from(vec![needle]));
                let theirs = if negate {
                    arrow::compute::kernels::cmp::neq(&c, &scalar)
                } else {
                    arrow::compute::kernels::cmp::eq(&c, &scalar)
                }
                .unwrap();
                assert_eq!(bools(&ours), bools(&theirs), "{needle:?} {negate}");
            }
        }
    }

    #[test]
    fn constants_and_other_types() {
        let k: ArrayRef = Arc::new(StringArray::from(vec!["x"]));
        assert_eq!(constant_bytes(&k), Some(b"x".as_slice()));
        let null: ArrayRef = Arc::new(StringArray::from(vec![None::<&str>]));
        assert_eq!(constant_bytes(&null), None);
        let ints: ArrayRef = Arc::new(arrow::array::UInt8Array::from(vec![1u8]));
        assert_eq!(constant_bytes(&ints), None);
        assert!(eq_constant(&ints, b"", false).is_none());
    }
}
