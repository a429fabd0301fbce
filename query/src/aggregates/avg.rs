//! `avg(x)`: Float64 mean of numbers, Bool and decimals (ClickHouse returns Float64 for
//! `Decimal` too). Integer sums are kept exactly (wrapping Int64/UInt64, Int128 for
//! decimals) and divided at the end; a group with no rows is `nan`.

use std::fmt::Debug;
use std::marker::PhantomData;
use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array};
use arrow::datatypes::{ArrowPrimitiveType, DataType as ArrowType};
use granary_storage::types::DataType;

use super::common::{
    any_impl, check_arity, check_mapping, downcast, grow, illegal_type, logical, no_params,
    prim_values, reg, simple, AdaptedAcc, BoolAsUInt8, Num,
};
use super::kinds::{read_num, write_num};
use super::state_io::StateReader;
use super::sum::{sum_type, with_sum_types, SumNum, Widen};
use super::{Accumulator, AggregateRegistry};
use crate::error::Result;

/// Registers `avg`.
pub(crate) fn register(r: &mut AggregateRegistry) {
    reg(r, "avg", true, |params, args| {
        no_params("avg", params)?;
        check_arity("avg", args, 1)?;
        sum_type(&args[0]).ok_or_else(|| illegal_type("avg", &args[0]))?;
        let input = args[0].to_arrow();
        let divisor = match args[0] {
            DataType::Decimal { scale, .. } => 10f64.powi(scale as i32),
            _ => 1.0,
        };
        let is_bool = args[0] == DataType::Bool;
        make_avg(&input, divisor).ok_or_else(|| illegal_type("avg", &args[0]))?;
        Ok(simple("avg", DataType::Float64, true, move || {
            let acc = make_avg(&input, divisor).ok_or_else(|| logical("avg: bad type"))?;
            Ok(if is_bool {
                AdaptedAcc::boxed(acc, BoolAsUInt8)
            } else {
                acc
            })
        }))
    });
}

fn make_avg(input: &ArrowType, divisor: f64) -> Option<Box<dyn Accumulator>> {
    with_sum_types!(input, T, A => Box::new(AvgAcc::<T, A> {
        sums: Vec::new(),
        counts: Vec::new(),
        divisor,
        _t: PhantomData,
    }) as Box<dyn Accumulator>)
}

/// Per-group sum and count.
#[derive(Debug)]
pub(crate) struct AvgAcc<T: ArrowPrimitiveType, A: ArrowPrimitiveType> {
    sums: Vec<A::Native>,
    counts: Vec<u64>,
    /// 10^scale for decimals, 1 otherwise.
    divisor: f64,
    _t: PhantomData<T>,
}

impl<T, A> Accumulator for AvgAcc<T, A>
where
    T: ArrowPrimitiveType + Debug + Send,
    A: ArrowPrimitiveType + Debug + Send,
    T::Native: Widen<A::Native>,
    A::Native: SumNum,
{
    fn update_batch(
        &mut self,
        args: &[ArrayRef],
        group_ids: &[u32],
        num_groups: usize,
    ) -> Result<()> {
        let vals = prim_values::<T>(&args[0])?;
        grow(&mut self.sums, num_groups, A::Native::default());
        grow(&mut self.counts, num_groups, 0);
        let sums = self.sums.as_mut_slice();
        let counts = self.counts.as_mut_slice();
        for (&g, &v) in group_ids.iter().zip(vals) {
            let g = g as usize;
            sums[g] = sums[g].wadd(v.widen());
            counts[g] += 1;
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
        grow(&mut self.sums, num_groups, A::Native::default());
        grow(&mut self.counts, num_groups, 0);
        for ((&s, &c), &g) in other.sums.iter().zip(&other.counts).zip(mapping) {
            let g = g as usize;
            self.sums[g] = self.sums[g].wadd(s);
            self.counts[g] += c;
        }
        Ok(())
    }

    fn finalize(&mut self, num_groups: usize) -> Result<ArrayRef> {
        grow(&mut self.sums, num_groups, A::Native::default());
        grow(&mut self.counts, num_groups, 0);
        let out: Float64Array = (0..num_groups)
            .map(|g| self.sums[g].to_f64() / self.divisor / self.counts[g] as f64)
            .map(Some)
            .collect();
        Ok(Arc::new(out))
    }

    fn memory_size(&self) -> usize {
        self.sums.capacity() * std::mem::size_of::<A::Native>() + self.counts.capacity() * 8
    }

    fn serialize_state(&self, group: usize) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(24);
        write_num(self.sums.get(group).copied().unwrap_or_default(), &mut out);
        out.extend_from_slice(&self.counts.get(group).copied().unwrap_or(0).to_le_bytes());
        Ok(out)
    }

    fn merge_state(&mut self, state: &[u8], group: usize, num_groups: usize) -> Result<()> {
        let mut r = StateReader::new(state);
        let s: A::Native = read_num(&mut r)?;
        let c = r.u64()?;
        r.finish()?;
        let n = num_groups.max(group + 1);
        grow(&mut self.sums, n, A::Native::default());
        grow(&mut self.counts, n, 0);
        self.sums[group] = self.sums[group].wadd(s);
        self.counts[group] += c;
        Ok(())
    }

    any_impl!();
}

#[cfg(test)]
#[allow(clippy::cloned_ref_to_slice_refs)]
mod tests {
    use super::super::common::test_util::*;
    use arrow::array::{ArrayRef, Decimal128Array, Int32Array, UInt8Array};
    use granary_storage::types::DataType;
    use granary_storage::value::Value;
    use proptest::prelude::*;
    use std::sync::Arc;

    #[test]
    fn types_and_values() {
        // SELECT toTypeName(avg(toInt8(1))), toTypeName(avg(toDecimal32(1,2))) -> Float64 Float64
        // SELECT avg(toDecimal64(1.5, 2)) -> 1.5 ; avg over no rows -> nan
        let d: ArrayRef = Arc::new(
            Decimal128Array::from(vec![150, 250])
                .with_precision_and_scale(9, 2)
                .unwrap(),
        );
        let f = func(
            "avg",
            &[],
            &[DataType::Decimal {
                precision: 9,
                scale: 2,
            }],
        );
        assert_eq!(f.return_type(), DataType::Float64);
        let r = vals(&run(&f, &[d], &[0, 0], 2));
        assert_eq!(r[0], Value::Float(2.0));
        assert!(matches!(r[1], Value::Float(x) if x.is_nan()));
        // SELECT avg(x) FROM (SELECT toInt32(1) x WHERE 0) -> nan
        // SELECT avgIf(x, 0) FROM (SELECT toInt32(1) x) -> nan
        let x: ArrayRef = Arc::new(Int32Array::from(vec![1]));
        let c: ArrayRef = Arc::new(UInt8Array::from(vec![0]));
        let f = func("avgIf", &[], &[DataType::Int32, DataType::UInt8]);
        assert!(matches!(vals(&run(&f, &[x, c], &[0], 1))[0], Value::Float(x) if x.is_nan()));
        // SELECT avgDistinct(x) FROM (SELECT arrayJoin([1,1,2,3,3]) x) -> 2
        let x: ArrayRef = Arc::new(UInt8Array::from(vec![1, 1, 2, 3, 3]));
        let f = func("avgDistinct", &[], &[DataType::UInt8]);
        assert_eq!(vals(&run(&f, &[x], &[0; 5], 1)), [Value::Float(2.0)]);
        // Nullable: SELECT toTypeName(avg(x)) ... Nullable(Int32) -> Nullable(Float64)
        let f = func("avg", &[], &[DataType::Nullable(Box::new(DataType::Int32))]);
        assert_eq!(f.return_type().to_string(), "Nullable(Float64)");
        let x: ArrayRef = Arc::new(Int32Array::from(vec![Some(1), None, Some(4)]));
        assert_eq!(
            vals(&run(&f, &[x], &[1, 0, 1], 2)),
            [Value::Null, Value::Float(2.5)]
        );
    }

    proptest! {
        #[test]
        fn merge_equals_single(rows in proptest::collection::vec((0u32..4, -50i32..50), 0..50), split in 0usize..50) {
            let groups: Vec<u32> = rows.iter().map(|r| r.0).collect();
            let x: ArrayRef = Arc::new(Int32Array::from(rows.iter().map(|r| r.1).collect::<Vec<_>>()));
            let f = func("avg", &[], &[DataType::Int32]);
            let one = run(&f, &[x.clone()], &groups, 4);
            let two = run_split(&f, &[x], &groups, 4, split);
            prop_assert_eq!(format!("{:?}", one), format!("{:?}", two));
        }
    }
}
