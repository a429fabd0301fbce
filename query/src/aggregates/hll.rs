//! `uniqHLL12(x, ...)` and `uniqCombined[(K)](x, ...)` (`uniqCombined64` is the same):
//! HyperLogLog estimates, `UInt64`.
//!
//! A group starts as an exact set of 64-bit row hashes (`hash_rows64`); past a limit
//! (16 for uniqHLL12, as ClickHouse's small-set optimisation; 2^(K-5) for uniqCombined,
//! standing in for ClickHouse's array-then-hash-table stages) it becomes 2^P one-byte
//! registers (P = 12 for uniqHLL12, K (default 17) for uniqCombined): register
//! `h >> (64 - P)` holds the largest `leading_zeros(h << P) + 1`. The estimate is the
//! classic HLL one with linear counting for small cardinalities. Deterministic and
//! independent of row and merge order.

use std::collections::HashSet;
use std::sync::Arc;

use arrow::array::{ArrayRef, UInt64Array};
use granary_storage::types::DataType;

use super::common::{any_impl, check_mapping, downcast, grow, no_params, param_u64, reg, simple};
use super::hashing::{hash_rows64, FastBuild};
use super::state_io::{bad_state, put_varuint, StateReader};
use super::{Accumulator, AggregateRegistry};
use crate::error::{ErrorCode, QueryError, Result};

/// Registers `uniqHLL12`, `uniqCombined`, `uniqCombined64`.
pub(crate) fn register(r: &mut AggregateRegistry) {
    reg(r, "uniqHLL12", false, |params, args| {
        no_params("uniqHLL12", params)?;
        check_some("uniqHLL12", args)?;
        Ok(simple("uniqHLL12", DataType::UInt64, false, || {
            Ok(Box::new(HllAcc::new(12, 16)))
        }))
    });
    for name in ["uniqCombined", "uniqCombined64"] {
        reg(r, name, false, move |params, args| {
            check_some(name, args)?;
            let p = match params {
                [] => 17,
                [k] => param_u64(name, k)?,
                _ => {
                    return Err(QueryError::new(
                        ErrorCode::NumberOfArgumentsDoesntMatch,
                        format!("Aggregate function {name} requires one parameter or less"),
                    ))
                }
            };
            if !(12..=20).contains(&p) {
                return Err(QueryError::new(
                    ErrorCode::ArgumentOutOfBound,
                    format!("Parameter for aggregate function {name} is out of range: [12, 20]"),
                ));
            }
            let p = p as u8;
            Ok(simple(name, DataType::UInt64, false, move || {
                Ok(Box::new(HllAcc::new(p, 1 << (p - 5))))
            }))
        });
    }
}

fn check_some(name: &str, args: &[DataType]) -> Result<()> {
    if args.is_empty() {
        return Err(QueryError::new(
            ErrorCode::NumberOfArgumentsDoesntMatch,
            format!("Incorrect number of arguments for aggregate function {name}"),
        ));
    }
    Ok(())
}

/// One group's sketch.
#[derive(Clone, Debug)]
pub(crate) enum Sketch {
    /// Exact set of hashes, while small.
    Small(HashSet<u64, FastBuild>),
    /// 2^P registers.
    Dense(Box<[u8]>),
}

impl Default for Sketch {
    fn default() -> Self {
        Sketch::Small(HashSet::default())
    }
}

/// A sketch per group.
#[derive(Debug)]
pub(crate) struct HllAcc {
    p: u8,
    small_limit: usize,
    groups: Vec<Sketch>,
}

impl HllAcc {
    fn new(p: u8, small_limit: usize) -> HllAcc {
        HllAcc {
            p,
            small_limit,
            groups: Vec::new(),
        }
    }
}

#[inline(always)]
fn set_register(regs: &mut [u8], p: u8, h: u64) {
    let idx = (h >> (64 - p)) as usize;
    let rank = ((h << p) | (1u64 << (p - 1))).leading_zeros() as u8 + 1;
    let r = &mut regs[idx];
    if rank > *r {
        *r = rank;
    }
}

#[inline]
fn insert(s: &mut Sketch, p: u8, limit: usize, h: u64) {
    match s {
        Sketch::Small(set) => {
            if set.insert(h) && set.len() > limit {
                let mut regs = vec![0u8; 1 << p].into_boxed_slice();
                for &x in set.iter() {
                    set_register(&mut regs, p, x);
                }
                *s = Sketch::Dense(regs);
            }
        }
        Sketch::Dense(regs) => set_register(regs, p, h),
    }
}

fn estimate(s: &Sketch, p: u8) -> u64 {
    match s {
        Sketch::Small(set) => set.len() as u64,
        Sketch::Dense(regs) => {
            let m = (1u64 << p) as f64;
            let alpha = 0.7213 / (1.0 + 1.079 / m);
            let mut sum = 0.0;
            let mut zeros = 0usize;
            for &r in regs.iter() {
                sum += 1.0 / (1u64 << r) as f64;
                zeros += (r == 0) as usize;
            }
            let e = alpha * m * m / sum;
            let e = if e <= 2.5 * m && zeros > 0 {
                m * (m / zeros as f64).ln()
            } else {
                e
            };
            e.round() as u64
        }
    }
}

/// Merges sketch `s` into `mine`.
fn merge_sketch(mine: &mut Sketch, s: Sketch, p: u8, limit: usize) {
    match s {
        Sketch::Small(set) => {
            for h in set {
                insert(mine, p, limit, h);
            }
        }
        Sketch::Dense(regs) => {
            if let Sketch::Small(set) = mine {
                let set = std::mem::take(set);
                *mine = Sketch::Dense(regs);
                for h in set {
                    insert(mine, p, limit, h);
                }
            } else if let Sketch::Dense(mr) = mine {
                for (a, b) in mr.iter_mut().zip(regs.iter()) {
                    *a = (*a).max(*b);
                }
            }
        }
    }
}

impl Accumulator for HllAcc {
    fn update_batch(
        &mut self,
        args: &[ArrayRef],
        group_ids: &[u32],
        num_groups: usize,
    ) -> Result<()> {
        let hashes = hash_rows64(args, group_ids.len())?;
        grow(&mut self.groups, num_groups, Sketch::default());
        let (p, limit) = (self.p, self.small_limit);
        let groups = self.groups.as_mut_slice();
        for (&g, &h) in group_ids.iter().zip(&hashes) {
            insert(&mut groups[g as usize], p, limit, h);
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
        grow(&mut self.groups, num_groups, Sketch::default());
        let (p, limit) = (self.p, self.small_limit);
        for (s, &g) in std::mem::take(&mut other.groups).into_iter().zip(mapping) {
            merge_sketch(&mut self.groups[g as usize], s, p, limit);
        }
        Ok(())
    }

    fn finalize(&mut self, num_groups: usize) -> Result<ArrayRef> {
        let out: UInt64Array = (0..num_groups)
            .map(|g| Some(self.groups.get(g).map_or(0, |s| estimate(s, self.p))))
            .collect();
        Ok(Arc::new(out))
    }

    fn memory_size(&self) -> usize {
        self.groups.capacity() * std::mem::size_of::<Sketch>()
            + self
                .groups
                .iter()
                .map(|s| match s {
                    Sketch::Small(set) => set.capacity() * 9,
                    Sketch::Dense(r) => r.len(),
                })
                .sum::<usize>()
    }

    fn serialize_state(&self, group: usize) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        match self.groups.get(group) {
            None => {
                out.push(0);
                put_varuint(&mut out, 0);
            }
            Some(Sketch::Small(set)) => {
                let mut hashes: Vec<u64> = set.iter().copied().collect();
                hashes.sort_unstable();
                out.push(0);
                put_varuint(&mut out, hashes.len() as u64);
                for h in hashes {
                    out.extend_from_slice(&h.to_le_bytes());
                }
            }
            Some(Sketch::Dense(regs)) => {
                out.push(1);
                out.extend_from_slice(regs);
            }
        }
        Ok(out)
    }

    fn merge_state(&mut self, state: &[u8], group: usize, num_groups: usize) -> Result<()> {
        let mut r = StateReader::new(state);
        let s = match r.u8()? {
            0 => {
                let n = r.count(8)?;
                let mut set = HashSet::with_capacity_and_hasher(n, FastBuild::default());
                for _ in 0..n {
                    set.insert(r.u64()?);
                }
                Sketch::Small(set)
            }
            1 => Sketch::Dense(r.take(1 << self.p)?.into()),
            _ => return Err(bad_state("unknown HyperLogLog sketch kind")),
        };
        r.finish()?;
        grow(
            &mut self.groups,
            num_groups.max(group + 1),
            Sketch::default(),
        );
        merge_sketch(&mut self.groups[group], s, self.p, self.small_limit);
        Ok(())
    }

    any_impl!();
}

#[cfg(test)]
#[allow(clippy::cloned_ref_to_slice_refs)]
mod tests {
    use super::super::common::test_util::*;
    use arrow::array::{ArrayRef, UInt64Array};
    use granary_storage::types::DataType;
    use granary_storage::value::Value;
    use std::sync::Arc;

    fn estimate(name: &str, n: u64) -> f64 {
        let x: ArrayRef = Arc::new(UInt64Array::from((0..n).collect::<Vec<u64>>()));
        let f = func(name, &[], &[DataType::UInt64]);
        match val(
            &run_split(&f, &[x], &vec![0; n as usize], 1, n as usize / 2),
            0,
        ) {
            Value::UInt(v) => v as f64,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn estimates() {
        // SELECT uniqHLL12(number), uniqCombined(number) FROM numbers(100000) -> 101344 100314
        // SELECT uniqHLL12(number), uniqCombined(number) FROM numbers(1000) -> 973 1000
        assert_eq!(estimate("uniqHLL12", 10), 10.0);
        assert!((estimate("uniqHLL12", 1000) - 1000.0).abs() < 60.0);
        assert!((estimate("uniqHLL12", 100_000) - 100_000.0).abs() < 5_000.0);
        assert_eq!(estimate("uniqCombined", 1000), 1000.0);
        assert!((estimate("uniqCombined", 100_000) - 100_000.0).abs() < 1_000.0);
    }
}
