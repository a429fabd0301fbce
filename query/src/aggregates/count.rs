//! `count()`, `count(x)`: the number of rows (of rows where `x` is not NULL: the NULL
//! wrapper removes those rows before this accumulator sees them). `UInt64`, 0 for a
//! group with no rows, never NULL.

use std::sync::Arc;

use arrow::array::{ArrayRef, UInt64Array};
use granary_storage::types::DataType;

use super::common::{any_impl, check_mapping, downcast, grow, no_params, reg, simple};
use super::{Accumulator, AggregateRegistry};
use crate::error::{ErrorCode, QueryError, Result};

/// Registers `count`.
pub(crate) fn register(r: &mut AggregateRegistry) {
    reg(r, "count", true, |params, args| {
        no_params("count", params)?;
        if args.len() > 1 {
            return Err(QueryError::new(
                ErrorCode::NumberOfArgumentsDoesntMatch,
                "Aggregate function count requires zero or one argument",
            ));
        }
        Ok(simple("count", DataType::UInt64, false, || {
            Ok(Box::new(CountAcc::default()))
        }))
    });
}

/// Row counts per group.
#[derive(Debug, Default)]
pub(crate) struct CountAcc {
    counts: Vec<u64>,
}

impl Accumulator for CountAcc {
    fn update_batch(
        &mut self,
        _args: &[ArrayRef],
        group_ids: &[u32],
        num_groups: usize,
    ) -> Result<()> {
        grow(&mut self.counts, num_groups, 0);
        let counts = self.counts.as_mut_slice();
        for &g in group_ids {
            counts[g as usize] += 1;
        }
        Ok(())
    }

    fn merge(
        &mut self,
        other: &mut dyn Accumulator,
        mapping: &[u32],
        num_groups: usize,
    ) -> Result<()> {
        let other = downcast::<CountAcc>(other)?;
        check_mapping(mapping, num_groups)?;
        grow(&mut self.counts, num_groups, 0);
        for (&c, &g) in other.counts.iter().zip(mapping) {
            self.counts[g as usize] += c;
        }
        Ok(())
    }

    fn finalize(&mut self, num_groups: usize) -> Result<ArrayRef> {
        let mut v = std::mem::take(&mut self.counts);
        v.resize(num_groups, 0);
        Ok(Arc::new(UInt64Array::from(v)))
    }

    fn memory_size(&self) -> usize {
        self.counts.capacity() * 8
    }

    fn serialize_state(&self, group: usize) -> Result<Vec<u8>> {
        let c = self.counts.get(group).copied().unwrap_or(0);
        Ok(c.to_le_bytes().to_vec())
    }

    fn merge_state(&mut self, state: &[u8], group: usize, num_groups: usize) -> Result<()> {
        let b: [u8; 8] = state
            .try_into()
            .map_err(|_| QueryError::new(ErrorCode::CannotParseText, "bad count state"))?;
        grow(&mut self.counts, num_groups.max(group + 1), 0);
        self.counts[group] += u64::from_le_bytes(b);
        Ok(())
    }

    any_impl!();
}

#[cfg(test)]
#[allow(clippy::cloned_ref_to_slice_refs)]
mod tests {
    use super::super::common::test_util::*;
    use arrow::array::Int32Array;
    use granary_storage::types::DataType;
    use granary_storage::value::Value;
    use std::sync::Arc;

    #[test]
    fn counts_rows_and_non_nulls() {
        // SELECT g, count(), count(x) FROM (SELECT 2 g, 1 x UNION ALL SELECT 0, NULL
        //   UNION ALL SELECT 2, NULL UNION ALL SELECT 0, 5) GROUP BY g -> 0: 2 1; 1: (none); 2: 2 1
        let x: arrow::array::ArrayRef =
            Arc::new(Int32Array::from(vec![Some(1), None, None, Some(5)]));
        let groups = [2u32, 0, 2, 0];
        let f = func("count", &[], &[]);
        assert_eq!(
            vals(&run(&f, &[], &groups, 3)),
            [Value::UInt(2), Value::UInt(0), Value::UInt(2)]
        );
        let f = func(
            "count",
            &[],
            &[DataType::Nullable(Box::new(DataType::Int32))],
        );
        assert_eq!(f.return_type(), DataType::UInt64);
        assert_eq!(
            vals(&run(&f, &[x.clone()], &groups, 3)),
            [Value::UInt(1), Value::UInt(0), Value::UInt(1)]
        );
        assert_eq!(
            vals(&run_split(&f, &[x], &groups, 3, 1)),
            [Value::UInt(1), Value::UInt(0), Value::UInt(1)]
        );
    }

    #[test]
    fn count_if() {
        // SELECT countIf(number % 2 = 1) FROM numbers(5) -> 2
        let c: arrow::array::ArrayRef =
            Arc::new(arrow::array::UInt8Array::from(vec![0u8, 1, 0, 1, 0]));
        let f = func("countIf", &[], &[DataType::UInt8]);
        assert_eq!(vals(&run(&f, &[c], &[0; 5], 1)), [Value::UInt(2)]);
    }

    #[test]
    fn wrong_arity() {
        let e = crate::aggregates::registry()
            .get("count", &[], &[DataType::UInt8, DataType::UInt8])
            .unwrap_err();
        assert_eq!(e.code(), 42);
    }
}

/// Throughput check: `cargo test --release -p granary-query --lib throughput -- --ignored --nocapture`.
#[cfg(test)]
mod bench {
    use super::super::common::test_util::func;
    use arrow::array::{ArrayRef, Int32Array, UInt64Array};
    use granary_storage::types::DataType;
    use std::sync::Arc;
    use std::time::Instant;

    #[test]
    #[ignore]
    fn throughput() {
        const N: usize = 10_000_000;
        const BATCH: usize = 65_536;
        for groups in [1_000u32, 1_000_000] {
            let mut s = 0x1234_5678u64;
            let ids: Vec<u32> = (0..N)
                .map(|_| {
                    s = super::super::hashing::int_hash64(s.wrapping_add(1));
                    (s % groups as u64) as u32
                })
                .collect();
            let x: ArrayRef = Arc::new(Int32Array::from((0..N as i32).collect::<Vec<_>>()));
            let u: ArrayRef = Arc::new(UInt64Array::from(
                (0..N as u64).map(|v| v % 100_000).collect::<Vec<_>>(),
            ));
            for (name, args, types) in [
                ("count", vec![], vec![]),
                ("sum", vec![x.clone()], vec![DataType::Int32]),
                ("avg", vec![x.clone()], vec![DataType::Int32]),
                ("min", vec![x.clone()], vec![DataType::Int32]),
                ("uniqExact", vec![u.clone()], vec![DataType::UInt64]),
                ("uniq", vec![u.clone()], vec![DataType::UInt64]),
                ("uniqHLL12", vec![u.clone()], vec![DataType::UInt64]),
            ] {
                let f = func(name, &[], &types);
                let mut acc = f.create_accumulator().unwrap();
                let t = Instant::now();
                for start in (0..N).step_by(BATCH) {
                    let len = BATCH.min(N - start);
                    let a: Vec<ArrayRef> = args.iter().map(|a| a.slice(start, len)).collect();
                    acc.update_batch(&a, &ids[start..start + len], groups as usize)
                        .unwrap();
                }
                let el = t.elapsed();
                acc.finalize(groups as usize).unwrap();
                println!(
                    "{name:>10} {groups:>8} groups: {:>7.1} ms, {:>6.0} M rows/s",
                    el.as_secs_f64() * 1e3,
                    N as f64 / el.as_secs_f64() / 1e6
                );
            }
        }
    }
}
