//! `sum(x)`: Int8..Int64 sum into Int64, UInt8..UInt64 (and Bool) into UInt64, floats
//! into Float64, `Decimal(P, S)` into `Decimal(38, S)`. Integer sums wrap on overflow as
//! in ClickHouse. A group with no rows sums to 0.

use std::fmt::Debug;
use std::marker::PhantomData;
use std::sync::Arc;

use arrow::array::{ArrayRef, PrimitiveArray};
use arrow::datatypes::{ArrowPrimitiveType, DataType as ArrowType};
use granary_storage::types::DataType;

use super::common::{
    any_impl, check_arity, check_mapping, downcast, grow, illegal_type, logical, no_params,
    prim_values, reg, simple, AdaptedAcc, BoolAsUInt8, Num,
};
use super::kinds::{read_num, write_num};
use super::state_io::StateReader;
use super::{Accumulator, AggregateRegistry};
use crate::error::Result;

/// Registers `sum`.
pub(crate) fn register(r: &mut AggregateRegistry) {
    reg(r, "sum", true, |params, args| {
        no_params("sum", params)?;
        check_arity("sum", args, 1)?;
        let ret = sum_type(&args[0]).ok_or_else(|| illegal_type("sum", &args[0]))?;
        let out = ret.to_arrow();
        let is_bool = args[0] == DataType::Bool;
        let in_arrow = args[0].to_arrow();
        // Validate once that the type dispatches.
        make_sum(&in_arrow, &out).ok_or_else(|| illegal_type("sum", &args[0]))?;
        Ok(simple("sum", ret, true, move || {
            let acc = make_sum(&in_arrow, &out).ok_or_else(|| logical("sum: bad type"))?;
            Ok(if is_bool {
                AdaptedAcc::boxed(acc, BoolAsUInt8)
            } else {
                acc
            })
        }))
    });
}

/// The result type of `sum` over `t`, `None` if `sum` does not take `t`.
pub(crate) fn sum_type(t: &DataType) -> Option<DataType> {
    Some(match t {
        DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 => DataType::Int64,
        DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
        | DataType::UInt64
        | DataType::Bool => DataType::UInt64,
        DataType::Float32 | DataType::Float64 => DataType::Float64,
        DataType::Decimal { precision, scale } if *precision <= 38 => DataType::Decimal {
            precision: 38,
            scale: *scale,
        },
        _ => return None,
    })
}

/// A sum's running type: wrapping addition.
pub(crate) trait SumNum: Num {
    /// `self + o`, wrapping for integers.
    fn wadd(self, o: Self) -> Self;
}

macro_rules! sum_int {
    ($($t:ty),*) => {$(
        impl SumNum for $t {
            #[inline(always)]
            fn wadd(self, o: Self) -> Self { self.wrapping_add(o) }
        }
    )*};
}
sum_int!(i64, u64, i128);
impl SumNum for f64 {
    #[inline(always)]
    fn wadd(self, o: Self) -> Self {
        self + o
    }
}

/// Widening of an input value into the sum type `A`.
pub(crate) trait Widen<A>: Copy {
    /// The value as `A`.
    fn widen(self) -> A;
}

macro_rules! widen {
    ($a:ty: $($t:ty),*) => {$(
        impl Widen<$a> for $t {
            #[inline(always)]
            fn widen(self) -> $a { self as $a }
        }
    )*};
}
widen!(i64: i8, i16, i32, i64);
widen!(u64: u8, u16, u32, u64);
widen!(f64: f32, f64);
widen!(i128: i128);

/// Calls `$body` with `$T` the input and `$A` the sum Arrow type for input Arrow type
/// `$dt` (Boolean counts as UInt8); `None` for other types.
macro_rules! with_sum_types {
    ($dt:expr, $T:ident, $A:ident => $body:expr) => {{
        use arrow::datatypes as adt_;
        match $dt {
            ArrowType::Int8 => {
                type $T = adt_::Int8Type;
                type $A = adt_::Int64Type;
                Some($body)
            }
            ArrowType::Int16 => {
                type $T = adt_::Int16Type;
                type $A = adt_::Int64Type;
                Some($body)
            }
            ArrowType::Int32 => {
                type $T = adt_::Int32Type;
                type $A = adt_::Int64Type;
                Some($body)
            }
            ArrowType::Int64 => {
                type $T = adt_::Int64Type;
                type $A = adt_::Int64Type;
                Some($body)
            }
            ArrowType::UInt8 | ArrowType::Boolean => {
                type $T = adt_::UInt8Type;
                type $A = adt_::UInt64Type;
                Some($body)
            }
            ArrowType::UInt16 => {
                type $T = adt_::UInt16Type;
                type $A = adt_::UInt64Type;
                Some($body)
            }
            ArrowType::UInt32 => {
                type $T = adt_::UInt32Type;
                type $A = adt_::UInt64Type;
                Some($body)
            }
            ArrowType::UInt64 => {
                type $T = adt_::UInt64Type;
                type $A = adt_::UInt64Type;
                Some($body)
            }
            ArrowType::Float32 => {
                type $T = adt_::Float32Type;
                type $A = adt_::Float64Type;
                Some($body)
            }
            ArrowType::Float64 => {
                type $T = adt_::Float64Type;
                type $A = adt_::Float64Type;
                Some($body)
            }
            ArrowType::Decimal128(..) => {
                type $T = adt_::Decimal128Type;
                type $A = adt_::Decimal128Type;
                Some($body)
            }
            _ => None,
        }
    }};
}
pub(crate) use with_sum_types;

fn make_sum(input: &ArrowType, out: &ArrowType) -> Option<Box<dyn Accumulator>> {
    with_sum_types!(input, T, A => Box::new(SumAcc::<T, A>::new(out.clone())) as Box<dyn Accumulator>)
}

/// Per-group sums of input type `T` in sum type `A`.
#[derive(Debug)]
pub(crate) struct SumAcc<T: ArrowPrimitiveType, A: ArrowPrimitiveType> {
    sums: Vec<A::Native>,
    out: ArrowType,
    _t: PhantomData<T>,
}

impl<T: ArrowPrimitiveType, A: ArrowPrimitiveType> SumAcc<T, A> {
    /// An empty accumulator producing Arrow type `out`.
    pub(crate) fn new(out: ArrowType) -> Self {
        SumAcc {
            sums: Vec::new(),
            out,
            _t: PhantomData,
        }
    }
}

impl<T, A> Accumulator for SumAcc<T, A>
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
        let sums = self.sums.as_mut_slice();
        for (&g, &v) in group_ids.iter().zip(vals) {
            let s = &mut sums[g as usize];
            *s = s.wadd(v.widen());
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
        for (&v, &g) in other.sums.iter().zip(mapping) {
            let s = &mut self.sums[g as usize];
            *s = s.wadd(v);
        }
        Ok(())
    }

    fn finalize(&mut self, num_groups: usize) -> Result<ArrayRef> {
        let mut v = std::mem::take(&mut self.sums);
        v.resize(num_groups, A::Native::default());
        let a = PrimitiveArray::<A>::new(v.into(), None).with_data_type(self.out.clone());
        Ok(Arc::new(a))
    }

    fn memory_size(&self) -> usize {
        self.sums.capacity() * std::mem::size_of::<A::Native>()
    }

    fn serialize_state(&self, group: usize) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(16);
        write_num(self.sums.get(group).copied().unwrap_or_default(), &mut out);
        Ok(out)
    }

    fn merge_state(&mut self, state: &[u8], group: usize, num_groups: usize) -> Result<()> {
        let mut r = StateReader::new(state);
        let s: A::Native = read_num(&mut r)?;
        r.finish()?;
        grow(
            &mut self.sums,
            num_groups.max(group + 1),
            A::Native::default(),
        );
        self.sums[group] = self.sums[group].wadd(s);
        Ok(())
    }

    any_impl!();
}

#[cfg(test)]
#[allow(clippy::cloned_ref_to_slice_refs)]
mod tests {
    use super::super::common::test_util::*;
    use arrow::array::{
        ArrayRef, Decimal128Array, Float32Array, Int16Array, Int32Array, Int64Array, UInt64Array,
    };
    use granary_storage::types::DataType;
    use granary_storage::value::Value;
    use proptest::prelude::*;
    use std::sync::Arc;

    fn nullable(t: DataType) -> DataType {
        DataType::Nullable(Box::new(t))
    }

    #[test]
    fn result_types() {
        // SELECT toTypeName(sum(toInt8(1))), toTypeName(sum(toUInt8(1))),
        //   toTypeName(sum(toFloat32(1))), toTypeName(sum(toDecimal32(1,2))), toTypeName(sum(true))
        // -> Int64 UInt64 Float64 Decimal(38, 2) UInt64
        let cases = [
            (DataType::Int8, "Int64"),
            (DataType::UInt8, "UInt64"),
            (DataType::Float32, "Float64"),
            (
                DataType::Decimal {
                    precision: 9,
                    scale: 2,
                },
                "Decimal(38, 2)",
            ),
            (DataType::Bool, "UInt64"),
            (nullable(DataType::Int32), "Nullable(Int64)"),
        ];
        for (t, want) in cases {
            assert_eq!(func("sum", &[], &[t]).return_type().to_string(), want);
        }
        // SELECT sum('a') -> Code: 43
        let e = crate::aggregates::registry()
            .get("sum", &[], &[DataType::String])
            .unwrap_err();
        assert_eq!(e.code(), 43);
        // SELECT sum(1)(number) -> cannot have parameters
        assert!(crate::aggregates::registry()
            .get("sum", &[Value::UInt(1)], &[DataType::UInt8])
            .is_err());
        // SELECT toTypeName(sum(NULL)), sum(NULL) -> Nullable(Nothing) \N
        let f = func("sum", &[], &[nullable(DataType::Nothing)]);
        assert_eq!(f.return_type().to_string(), "Nullable(Nothing)");
        let a: ArrayRef = Arc::new(arrow::array::NullArray::new(2));
        assert_eq!(vals(&run(&f, &[a], &[0, 0], 1)), [Value::Null]);
    }

    #[test]
    fn wraps_and_groups() {
        // SELECT sum(x) FROM (SELECT toInt64(9223372036854775807) x UNION ALL SELECT toInt64(1))
        // -> -9223372036854775808
        let a: ArrayRef = Arc::new(Int64Array::from(vec![i64::MAX, 1, 7]));
        let f = func("sum", &[], &[DataType::Int64]);
        assert_eq!(
            vals(&run(&f, &[a], &[1, 1, 0], 3)),
            [Value::Int(7), Value::Int(i64::MIN), Value::Int(0)]
        );
        // SELECT sum(x) FROM (SELECT toUInt64(18446744073709551615) x UNION ALL SELECT toUInt64(2)) -> 1
        let a: ArrayRef = Arc::new(UInt64Array::from(vec![u64::MAX, 2]));
        let f = func("sum", &[], &[DataType::UInt64]);
        assert_eq!(vals(&run(&f, &[a], &[0, 0], 1)), [Value::UInt(1)]);
    }

    #[test]
    fn floats_decimals_and_nulls() {
        let a: ArrayRef = Arc::new(Float32Array::from(vec![0.5, 1.25]));
        let f = func("sum", &[], &[DataType::Float32]);
        assert_eq!(vals(&run(&f, &[a], &[0, 0], 1)), [Value::Float(1.75)]);
        let d: ArrayRef = Arc::new(
            Decimal128Array::from(vec![150, 275])
                .with_precision_and_scale(9, 2)
                .unwrap(),
        );
        let f = func(
            "sum",
            &[],
            &[DataType::Decimal {
                precision: 9,
                scale: 2,
            }],
        );
        let r = run(&f, &[d], &[0, 0], 1);
        assert_eq!(
            r.data_type(),
            &arrow::datatypes::DataType::Decimal128(38, 2)
        );
        assert_eq!(vals(&r), [Value::Decimal(425)]);
        // SELECT g, sum(x) FROM VALUES('g UInt8, x Nullable(Int16)', (0, NULL), (1, 3), (1, NULL))
        //   GROUP BY g -> 0 \N ; 1 3
        let x: ArrayRef = Arc::new(Int16Array::from(vec![None, Some(3), None]));
        let f = func("sum", &[], &[nullable(DataType::Int16)]);
        assert_eq!(
            vals(&run(&f, &[x.clone()], &[0, 1, 1], 3)),
            [Value::Null, Value::Int(3), Value::Null]
        );
        assert_eq!(
            vals(&run_split(&f, &[x], &[0, 1, 1], 3, 2)),
            [Value::Null, Value::Int(3), Value::Null]
        );
    }

    #[test]
    fn sum_if_and_distinct() {
        // SELECT sumIf(x, c) FROM (SELECT toInt32(number) x, if(number = 1, NULL, number % 2)::Nullable(UInt8) c
        //   FROM numbers(5)) -> Int64 3
        let x: ArrayRef = Arc::new(Int32Array::from(vec![0, 1, 2, 3, 4]));
        let c: ArrayRef = Arc::new(arrow::array::UInt8Array::from(vec![
            Some(0),
            None,
            Some(0),
            Some(1),
            Some(0),
        ]));
        let f = func("sumIf", &[], &[DataType::Int32, nullable(DataType::UInt8)]);
        assert_eq!(f.return_type(), DataType::Int64);
        assert_eq!(vals(&run(&f, &[x, c], &[0; 5], 1)), [Value::Int(3)]);
        // SELECT sumDistinct(x) FROM (SELECT arrayJoin([1,1,2,3,3]) x) -> UInt64 6
        let x: ArrayRef = Arc::new(arrow::array::UInt8Array::from(vec![1u8, 1, 2, 3, 3]));
        let f = func("sumDistinct", &[], &[DataType::UInt8]);
        assert_eq!(f.return_type(), DataType::UInt64);
        assert_eq!(vals(&run(&f, &[x.clone()], &[0; 5], 1)), [Value::UInt(6)]);
        assert_eq!(vals(&run_split(&f, &[x], &[0; 5], 1, 2)), [Value::UInt(6)]);
    }

    proptest! {
        #[test]
        fn merge_equals_single(rows in proptest::collection::vec((0u32..5, proptest::option::of(-1000i32..1000)), 0..60), split in 0usize..60) {
            let groups: Vec<u32> = rows.iter().map(|r| r.0).collect();
            let x: ArrayRef = Arc::new(Int32Array::from(rows.iter().map(|r| r.1).collect::<Vec<_>>()));
            let f = func("sum", &[], &[nullable(DataType::Int32)]);
            let one = vals(&run(&f, &[x.clone()], &groups, 5));
            let two = vals(&run_split(&f, &[x], &groups, 5, split));
            prop_assert_eq!(&one, &two);
            for g in 0..5u32 {
                let xs: Vec<i64> = rows.iter().filter(|r| r.0 == g).filter_map(|r| r.1.map(i64::from)).collect();
                let want = if xs.is_empty() { Value::Null } else { Value::Int(xs.iter().sum()) };
                prop_assert_eq!(&one[g as usize], &want);
            }
        }
    }
}
