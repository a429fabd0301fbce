//! `uniqExact(x, ...)` (and `count(DISTINCT ...)`, `countDistinct`): the exact number of
//! distinct argument tuples per group, `UInt64`. One numeric argument of up to 64 bits is
//! kept as its value in a hash set of `u64` per group (exact); anything else as a 128-bit
//! key (see `hashing.rs`: exact for one Decimal128 argument, XXH3-128 of the bytes
//! otherwise, where a collision is practically impossible).

use std::collections::HashSet;
use std::fmt::Debug;
use std::hash::Hash;
use std::marker::PhantomData;
use std::sync::Arc;

use arrow::array::{ArrayRef, UInt64Array};
use arrow::datatypes::ArrowPrimitiveType;
use granary_storage::types::DataType;

use super::common::{
    any_impl, check_mapping, downcast, grow, no_params, prim_values, reg, simple, with_primitive,
    Num,
};
use super::hashing::{hash_rows128, FastBuild};
use super::state_io::{put_varuint, StateReader};
use super::{Accumulator, AggregateRegistry};
use crate::error::{ErrorCode, QueryError, Result};

/// Registers `uniqExact`.
pub(crate) fn register(r: &mut AggregateRegistry) {
    reg(r, "uniqExact", false, |params, args| {
        no_params("uniqExact", params)?;
        if args.is_empty() {
            return Err(QueryError::new(
                ErrorCode::NumberOfArgumentsDoesntMatch,
                "Incorrect number of arguments for aggregate function uniqExact",
            ));
        }
        let dt = args[0].to_arrow();
        let single = args.len() == 1;
        Ok(simple("uniqExact", DataType::UInt64, false, move || {
            if single {
                let prim = with_primitive!(&dt, T => {
                    if std::mem::size_of::<<T as ArrowPrimitiveType>::Native>() <= 8 {
                        Some(Box::new(UniqExactAcc::<PrimKeys<T>>::default()) as Box<dyn Accumulator>)
                    } else {
                        None
                    }
                }, _ => None);
                if let Some(acc) = prim {
                    return Ok(acc);
                }
            }
            Ok(Box::new(UniqExactAcc::<HashedKeys>::default()))
        }))
    });
}

/// How rows become set keys.
pub(crate) trait Keys: Send + Debug + 'static {
    /// The key type.
    type Key: Copy + Hash + Eq + Ord + Send + Debug;
    /// The key of every row of `args`.
    fn keys(args: &[ArrayRef], rows: usize) -> Result<Vec<Self::Key>>;
    /// Appends `k` little-endian (8 or 16 bytes).
    fn write_key(k: Self::Key, out: &mut Vec<u8>);
    /// Reads a key written by [`Keys::write_key`].
    fn read_key(r: &mut StateReader<'_>) -> Result<Self::Key>;
}

/// The value of one primitive argument of up to 64 bits.
#[derive(Debug)]
pub(crate) struct PrimKeys<T>(PhantomData<T>);

impl<T> Keys for PrimKeys<T>
where
    T: ArrowPrimitiveType + Debug + Send + Sync,
    T::Native: Num,
{
    type Key = u64;
    fn keys(args: &[ArrayRef], _rows: usize) -> Result<Vec<u64>> {
        Ok(prim_values::<T>(&args[0])?
            .iter()
            .map(|v| v.key() as u64)
            .collect())
    }
    fn write_key(k: u64, out: &mut Vec<u8>) {
        out.extend_from_slice(&k.to_le_bytes());
    }
    fn read_key(r: &mut StateReader<'_>) -> Result<u64> {
        r.u64()
    }
}

/// The 128-bit row key of `hash_rows128`.
#[derive(Debug)]
pub(crate) struct HashedKeys;

impl Keys for HashedKeys {
    type Key = u128;
    fn keys(args: &[ArrayRef], rows: usize) -> Result<Vec<u128>> {
        hash_rows128(args, rows)
    }
    fn write_key(k: u128, out: &mut Vec<u8>) {
        out.extend_from_slice(&k.to_le_bytes());
    }
    fn read_key(r: &mut StateReader<'_>) -> Result<u128> {
        Ok(u128::from_le_bytes(r.array()?))
    }
}

/// A set of keys per group.
#[derive(Debug)]
pub(crate) struct UniqExactAcc<K: Keys> {
    sets: Vec<HashSet<K::Key, FastBuild>>,
}

impl<K: Keys> Default for UniqExactAcc<K> {
    fn default() -> Self {
        UniqExactAcc { sets: Vec::new() }
    }
}

impl<K: Keys> Accumulator for UniqExactAcc<K> {
    fn update_batch(
        &mut self,
        args: &[ArrayRef],
        group_ids: &[u32],
        num_groups: usize,
    ) -> Result<()> {
        let keys = K::keys(args, group_ids.len())?;
        grow(&mut self.sets, num_groups, HashSet::default());
        let sets = self.sets.as_mut_slice();
        for (&g, &k) in group_ids.iter().zip(&keys) {
            sets[g as usize].insert(k);
        }
        Ok(())
    }

    fn merge(
        &mut self,
        other: &mut dyn Accumulator,
        mapping: &[u32],
        num_groups: usize,
    ) -> Result<()> {
        let other = downcast::<Self>(other)?;
        check_mapping(mapping, num_groups)?;
        grow(&mut self.sets, num_groups, HashSet::default());
        for (mut set, &g) in std::mem::take(&mut other.sets).into_iter().zip(mapping) {
            let mine = &mut self.sets[g as usize];
            if mine.len() < set.len() {
                std::mem::swap(mine, &mut set);
            }
            mine.extend(set);
        }
        Ok(())
    }

    fn finalize(&mut self, num_groups: usize) -> Result<ArrayRef> {
        let out: UInt64Array = (0..num_groups)
            .map(|g| self.sets.get(g).map_or(0, |s| s.len() as u64))
            .map(Some)
            .collect();
        Ok(Arc::new(out))
    }

    fn memory_size(&self) -> usize {
        self.sets.capacity() * std::mem::size_of::<HashSet<K::Key, FastBuild>>()
            + self
                .sets
                .iter()
                .map(|s| s.capacity() * (std::mem::size_of::<K::Key>() + 1))
                .sum::<usize>()
    }

    fn serialize_state(&self, group: usize) -> Result<Vec<u8>> {
        let mut keys: Vec<K::Key> = self
            .sets
            .get(group)
            .map(|s| s.iter().copied().collect())
            .unwrap_or_default();
        keys.sort_unstable();
        let mut out = Vec::with_capacity(5 + keys.len() * std::mem::size_of::<K::Key>());
        put_varuint(&mut out, keys.len() as u64);
        for k in keys {
            K::write_key(k, &mut out);
        }
        Ok(out)
    }

    fn merge_state(&mut self, state: &[u8], group: usize, num_groups: usize) -> Result<()> {
        let mut r = StateReader::new(state);
        let n = r.count(std::mem::size_of::<K::Key>())?;
        grow(
            &mut self.sets,
            num_groups.max(group + 1),
            HashSet::default(),
        );
        let set = &mut self.sets[group];
        set.reserve(n);
        for _ in 0..n {
            set.insert(K::read_key(&mut r)?);
        }
        r.finish()
    }

    any_impl!();
}

#[cfg(test)]
#[allow(clippy::cloned_ref_to_slice_refs)]
mod tests {
    use super::super::common::test_util::*;
    use arrow::array::{ArrayRef, BinaryArray, Int64Array, UInt64Array};
    use granary_storage::types::DataType;
    use granary_storage::value::Value;
    use proptest::prelude::*;
    use std::sync::Arc;

    #[test]
    fn distinct_counts() {
        // SELECT countDistinct(x), count(DISTINCT x), toTypeName(countDistinct(x))
        //   FROM (SELECT arrayJoin([1,1,2,3,3]) x) -> 3 3 UInt64
        let x: ArrayRef = Arc::new(Int64Array::from(vec![1, 1, 2, 3, 3]));
        for name in ["uniqExact", "countDistinct"] {
            let f = func(name, &[], &[DataType::Int64]);
            assert_eq!(f.return_type(), DataType::UInt64);
            assert_eq!(vals(&run(&f, &[x.clone()], &[0; 5], 1)), [Value::UInt(3)]);
        }
        // SELECT uniqExact(x, y) FROM (SELECT toNullable(number % 3) x, number % 2 y FROM numbers(10)) -> 6
        let x: ArrayRef = Arc::new(UInt64Array::from(
            (0..10).map(|n| n % 3).collect::<Vec<u64>>(),
        ));
        let y: ArrayRef = Arc::new(UInt64Array::from(
            (0..10).map(|n| n % 2).collect::<Vec<u64>>(),
        ));
        let f = func(
            "uniqExact",
            &[],
            &[
                DataType::Nullable(Box::new(DataType::UInt64)),
                DataType::UInt64,
            ],
        );
        assert_eq!(f.return_type(), DataType::UInt64);
        assert_eq!(vals(&run(&f, &[x, y], &[0; 10], 1)), [Value::UInt(6)]);
        // strings; a group with no rows is 0; NULLs are not counted
        let s: ArrayRef = Arc::new(BinaryArray::from_opt_vec(vec![
            Some(b"a"),
            Some(b"b"),
            None,
            Some(b"a"),
        ]));
        let f = func(
            "uniqExact",
            &[],
            &[DataType::Nullable(Box::new(DataType::String))],
        );
        assert_eq!(
            vals(&run_split(&f, &[s], &[1, 1, 1, 1], 3, 2)),
            [Value::UInt(0), Value::UInt(2), Value::UInt(0)]
        );
    }

    proptest! {
        #[test]
        fn merge_equals_single(rows in proptest::collection::vec((0u32..4, 0i64..20), 0..60), split in 0usize..60) {
            let groups: Vec<u32> = rows.iter().map(|r| r.0).collect();
            let x: ArrayRef = Arc::new(Int64Array::from(rows.iter().map(|r| r.1).collect::<Vec<_>>()));
            let f = func("uniqExact", &[], &[DataType::Int64]);
            let one = vals(&run(&f, &[x.clone()], &groups, 4));
            prop_assert_eq!(&one, &vals(&run_split(&f, &[x], &groups, 4, split)));
            for g in 0..4u32 {
                let set: std::collections::BTreeSet<i64> = rows.iter().filter(|r| r.0 == g).map(|r| r.1).collect();
                prop_assert_eq!(&one[g as usize], &Value::UInt(set.len() as u64));
            }
        }
    }
}
