//! `min(x)`, `max(x)` over any comparable type: numbers, Decimal, dates and times (by
//! their integer), String and FixedString (bytewise), Bool. The result has the argument's
//! type; a group with no rows holds the type's default. Float NaNs are skipped unless a
//! group holds nothing else (as ClickHouse).

use std::marker::PhantomData;

use arrow::array::ArrayRef;
use arrow::datatypes::DataType as ArrowType;
use granary_storage::types::DataType;

use super::common::{any_impl, check_mapping, downcast, grow, reg};
use super::kinds::{one_kind_factory, Kind, KindVisitor};
use super::state_io::StateReader;
use super::{Accumulator, AggregateRegistry};
use crate::error::Result;

/// Registers `min` and `max`.
pub(crate) fn register(r: &mut AggregateRegistry) {
    reg(r, "min", true, |params, args| {
        factory::<false>("min", params, args)
    });
    reg(r, "max", true, |params, args| {
        factory::<true>("max", params, args)
    });
}

fn factory<const MAX: bool>(
    name: &'static str,
    params: &[granary_storage::value::Value],
    args: &[DataType],
) -> Result<std::sync::Arc<dyn super::AggregateFunction>> {
    one_kind_factory(name, params, args, MakeMinMax::<MAX>)
}

struct MakeMinMax<const MAX: bool>(ArrowType);

impl<const MAX: bool> KindVisitor for MakeMinMax<MAX> {
    type Out = Box<dyn Accumulator>;
    fn visit<K: Kind>(self) -> Box<dyn Accumulator> {
        Box::new(MinMaxAcc::<K, MAX> {
            vals: Vec::new(),
            has: Vec::new(),
            dt: self.0,
            _k: PhantomData,
        })
    }
}

/// Per-group minimum (`MAX = false`) or maximum.
#[derive(Debug)]
pub(crate) struct MinMaxAcc<K: Kind, const MAX: bool> {
    vals: Vec<K::Owned>,
    has: Vec<bool>,
    dt: ArrowType,
    _k: PhantomData<K>,
}

impl<K: Kind, const MAX: bool> MinMaxAcc<K, MAX> {
    #[inline(always)]
    fn offer(vals: &mut [K::Owned], has: &mut [bool], g: usize, x: K::Ref<'_>) {
        if !has[g] {
            K::assign(&mut vals[g], x);
            has[g] = true;
            return;
        }
        let cur = K::borrow(&vals[g]);
        let better = if MAX {
            K::less(cur, x)
        } else {
            K::less(x, cur)
        } || K::is_nan(cur);
        if better {
            K::assign(&mut vals[g], x);
        }
    }
}

impl<K: Kind, const MAX: bool> Accumulator for MinMaxAcc<K, MAX> {
    fn update_batch(
        &mut self,
        args: &[ArrayRef],
        group_ids: &[u32],
        num_groups: usize,
    ) -> Result<()> {
        let v = K::view(&args[0])?;
        grow(&mut self.vals, num_groups, K::Owned::default());
        grow(&mut self.has, num_groups, false);
        let (vals, has) = (self.vals.as_mut_slice(), self.has.as_mut_slice());
        for (i, &g) in group_ids.iter().enumerate() {
            Self::offer(vals, has, g as usize, K::get(v, i));
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
        grow(&mut self.vals, num_groups, K::Owned::default());
        grow(&mut self.has, num_groups, false);
        for (i, &g) in mapping.iter().enumerate().take(other.has.len()) {
            if other.has[i] {
                Self::offer(
                    &mut self.vals,
                    &mut self.has,
                    g as usize,
                    K::borrow(&other.vals[i]),
                );
            }
        }
        Ok(())
    }

    fn finalize(&mut self, num_groups: usize) -> Result<ArrayRef> {
        let mut v = std::mem::take(&mut self.vals);
        v.resize(num_groups, K::Owned::default());
        K::build(&v, &self.dt)
    }

    fn memory_size(&self) -> usize {
        self.vals.capacity() * std::mem::size_of::<K::Owned>()
            + self.vals.iter().map(K::heap_size).sum::<usize>()
            + self.has.capacity()
    }

    fn serialize_state(&self, group: usize) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        match self.vals.get(group).filter(|_| self.has[group]) {
            Some(v) => {
                out.push(1);
                K::write(K::borrow(v), &mut out);
            }
            None => out.push(0),
        }
        Ok(out)
    }

    fn merge_state(&mut self, state: &[u8], group: usize, num_groups: usize) -> Result<()> {
        let mut r = StateReader::new(state);
        let has = r.u8()? != 0;
        let v = if has { Some(K::read(&mut r)?) } else { None };
        r.finish()?;
        let n = num_groups.max(group + 1);
        grow(&mut self.vals, n, K::Owned::default());
        grow(&mut self.has, n, false);
        if let Some(v) = v {
            Self::offer(&mut self.vals, &mut self.has, group, K::borrow(&v));
        }
        Ok(())
    }

    any_impl!();
}

#[cfg(test)]
#[allow(clippy::cloned_ref_to_slice_refs)]
mod tests {
    use super::super::common::test_util::*;
    use arrow::array::{
        ArrayRef, BinaryArray, BooleanArray, Float64Array, Int32Array, UInt16Array,
    };
    use granary_storage::types::DataType;
    use granary_storage::value::Value;
    use proptest::prelude::*;
    use std::sync::Arc;

    #[test]
    fn types() {
        // SELECT toTypeName(min('a')), toTypeName(max(toDate('2020-01-01'))),
        //   toTypeName(max(toDecimal32(1,2))), toTypeName(min(true)) -> String Date Decimal(9, 2) Bool
        for t in [
            "String",
            "Date",
            "Decimal(9, 2)",
            "Bool",
            "FixedString(2)",
            "DateTime64(3)",
        ] {
            let t = DataType::parse(t).unwrap();
            assert_eq!(func("min", &[], &[t.clone()]).return_type(), t);
        }
        // SELECT toTypeName(min(x)) FROM (SELECT toLowCardinality(toNullable('a')) x) -> Nullable(String)
        let t = DataType::parse("LowCardinality(Nullable(String))").unwrap();
        assert_eq!(
            func("min", &[], &[t]).return_type().to_string(),
            "Nullable(String)"
        );
        // SELECT toTypeName(min(NULL)) -> Nullable(Nothing)
        let t = DataType::parse("Nullable(Nothing)").unwrap();
        assert_eq!(
            func("min", &[], &[t]).return_type().to_string(),
            "Nullable(Nothing)"
        );
    }

    #[test]
    fn strings_floats_and_dates() {
        // SELECT min(x), max(x) FROM (SELECT arrayJoin(['b', 'ab', 'abc', '']) x) -> '' 'b'
        let s: ArrayRef = Arc::new(BinaryArray::from_vec(vec![b"b", b"ab", b"abc", b""]));
        let f = func("min", &[], &[DataType::String]);
        assert_eq!(
            vals(&run(&f, &[s.clone()], &[0; 4], 1)),
            [Value::Bytes(vec![])]
        );
        let f = func("max", &[], &[DataType::String]);
        assert_eq!(
            vals(&run(&f, &[s.clone()], &[0, 1, 0, 1], 3)),
            [
                Value::Bytes(b"b".to_vec()),
                Value::Bytes(b"ab".to_vec()),
                Value::Bytes(vec![])
            ]
        );
        assert_eq!(
            vals(&run_split(&f, &[s], &[0, 1, 0, 1], 3, 1)),
            [
                Value::Bytes(b"b".to_vec()),
                Value::Bytes(b"ab".to_vec()),
                Value::Bytes(vec![])
            ]
        );
        // SELECT min(x), max(x) FROM (SELECT arrayJoin([nan, 1.0, 2.0]) x) -> 1 2
        let x: ArrayRef = Arc::new(Float64Array::from(vec![f64::NAN, 1.0, 2.0]));
        assert_eq!(
            vals(&run(
                &func("min", &[], &[DataType::Float64]),
                &[x.clone()],
                &[0; 3],
                1
            )),
            [Value::Float(1.0)]
        );
        assert_eq!(
            vals(&run(
                &func("max", &[], &[DataType::Float64]),
                &[x],
                &[0; 3],
                1
            )),
            [Value::Float(2.0)]
        );
        let d: ArrayRef = Arc::new(UInt16Array::from(vec![18262, 18265, 100]));
        assert_eq!(
            vals(&run(&func("max", &[], &[DataType::Date]), &[d], &[0; 3], 1)),
            [Value::UInt(18265)]
        );
        // SELECT min(true) -> true ; bools
        let b: ArrayRef = Arc::new(BooleanArray::from(vec![true, false, true]));
        assert_eq!(
            vals(&run(
                &func("min", &[], &[DataType::Bool]),
                &[b.clone()],
                &[0, 0, 1],
                2
            )),
            [Value::UInt(0), Value::UInt(1)]
        );
        // SELECT minIf(x, 0) FROM (SELECT toInt32(1) x) -> 0 (Int32, not Nullable)
        let x: ArrayRef = Arc::new(Int32Array::from(vec![1]));
        let c: ArrayRef = Arc::new(arrow::array::UInt8Array::from(vec![0]));
        let f = func("minIf", &[], &[DataType::Int32, DataType::UInt8]);
        assert_eq!(f.return_type(), DataType::Int32);
        assert_eq!(vals(&run(&f, &[x, c], &[0], 1)), [Value::Int(0)]);
    }

    proptest! {
        #[test]
        fn merge_equals_single(rows in proptest::collection::vec((0u32..4, proptest::option::of(-100i32..100)), 0..50), split in 0usize..50) {
            let groups: Vec<u32> = rows.iter().map(|r| r.0).collect();
            let x: ArrayRef = Arc::new(Int32Array::from(rows.iter().map(|r| r.1).collect::<Vec<_>>()));
            for (name, pick) in [("min", true), ("max", false)] {
                let f = func(name, &[], &[DataType::Nullable(Box::new(DataType::Int32))]);
                let one = vals(&run(&f, &[x.clone()], &groups, 4));
                prop_assert_eq!(&one, &vals(&run_split(&f, &[x.clone()], &groups, 4, split)));
                for g in 0..4u32 {
                    let xs = rows.iter().filter(|r| r.0 == g).filter_map(|r| r.1);
                    let want = if pick { xs.min() } else { xs.max() };
                    prop_assert_eq!(&one[g as usize], &want.map_or(Value::Null, |v| Value::Int(v as i64)));
                }
            }
        }
    }
}
