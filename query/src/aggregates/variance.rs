//! `varPop`, `varSamp`, `stddevPop`, `stddevSamp` (and the SQL spellings `VAR_POP`,
//! `VAR_SAMP`, `STDDEV_POP`, `STDDEV_SAMP`, any case): Float64, computed with Welford's
//! online update and merged with Chan's formula. No rows: `nan`; `varSamp` and
//! `stddevSamp` of one row: `nan` (as ClickHouse).

use std::fmt::Debug;
use std::marker::PhantomData;
use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array};
use arrow::datatypes::ArrowPrimitiveType;
use granary_storage::types::DataType;

use super::common::{
    any_impl, check_arity, check_mapping, downcast, grow, illegal_type, is_number, logical,
    no_params, prim_values, reg, simple, with_primitive, AdaptedAcc, BoolAsUInt8, Num,
};
use super::{Accumulator, AggregateRegistry};
use crate::error::Result;

#[derive(Clone, Copy, Debug)]
enum Stat {
    VarPop,
    VarSamp,
    StddevPop,
    StddevSamp,
}

/// Registers the variance family.
pub(crate) fn register(r: &mut AggregateRegistry) {
    for (name, alias, stat) in [
        ("varPop", "VAR_POP", Stat::VarPop),
        ("varSamp", "VAR_SAMP", Stat::VarSamp),
        ("stddevPop", "STDDEV_POP", Stat::StddevPop),
        ("stddevSamp", "STDDEV_SAMP", Stat::StddevSamp),
    ] {
        for n in [name, alias] {
            reg(r, n, n == alias, move |params, args| {
                no_params(name, params)?;
                check_arity(name, args, 1)?;
                if !is_number(&args[0]) {
                    return Err(illegal_type(name, &args[0]));
                }
                let input = args[0].to_arrow();
                let divisor = match args[0] {
                    DataType::Decimal { scale, .. } => 10f64.powi(scale as i32),
                    _ => 1.0,
                };
                let is_bool = args[0] == DataType::Bool;
                Ok(simple(name, DataType::Float64, true, move || {
                    let dt = if is_bool {
                        arrow::datatypes::DataType::UInt8
                    } else {
                        input.clone()
                    };
                    let acc = with_primitive!(&dt, T => Box::new(VarAcc::<T> {
                        n: Vec::new(), mean: Vec::new(), m2: Vec::new(), stat, divisor, _t: PhantomData,
                    }) as Box<dyn Accumulator>, _ => return Err(logical("variance: bad type")));
                    Ok(if is_bool {
                        AdaptedAcc::boxed(acc, BoolAsUInt8)
                    } else {
                        acc
                    })
                }))
            });
        }
    }
}

/// Per group: count, mean and sum of squared deviations.
#[derive(Debug)]
struct VarAcc<T> {
    n: Vec<u64>,
    mean: Vec<f64>,
    m2: Vec<f64>,
    stat: Stat,
    divisor: f64,
    _t: PhantomData<T>,
}

impl<T> VarAcc<T> {
    fn grow(&mut self, n: usize) {
        grow(&mut self.n, n, 0);
        grow(&mut self.mean, n, 0.0);
        grow(&mut self.m2, n, 0.0);
    }
}

impl<T> Accumulator for VarAcc<T>
where
    T: ArrowPrimitiveType + Debug + Send,
    T::Native: Num,
{
    fn update_batch(
        &mut self,
        args: &[ArrayRef],
        group_ids: &[u32],
        num_groups: usize,
    ) -> Result<()> {
        let vals = prim_values::<T>(&args[0])?;
        self.grow(num_groups);
        let div = self.divisor;
        for (&g, &v) in group_ids.iter().zip(vals) {
            let g = g as usize;
            let x = v.to_f64() / div;
            self.n[g] += 1;
            let d = x - self.mean[g];
            self.mean[g] += d / self.n[g] as f64;
            self.m2[g] += d * (x - self.mean[g]);
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
        self.grow(num_groups);
        for (i, &g) in mapping.iter().enumerate().take(other.n.len()) {
            let g = g as usize;
            let (na, nb) = (self.n[g] as f64, other.n[i] as f64);
            if other.n[i] == 0 {
                continue;
            }
            let n = na + nb;
            let d = other.mean[i] - self.mean[g];
            self.mean[g] += d * nb / n;
            self.m2[g] += other.m2[i] + d * d * na * nb / n;
            self.n[g] += other.n[i];
        }
        Ok(())
    }

    fn finalize(&mut self, num_groups: usize) -> Result<ArrayRef> {
        self.grow(num_groups);
        let out: Float64Array = (0..num_groups)
            .map(|g| {
                let n = self.n[g] as f64;
                let v = match self.stat {
                    Stat::VarPop | Stat::StddevPop => self.m2[g] / n,
                    Stat::VarSamp | Stat::StddevSamp if self.n[g] <= 1 => f64::NAN,
                    _ => self.m2[g] / (n - 1.0),
                };
                Some(match self.stat {
                    Stat::StddevPop | Stat::StddevSamp => v.sqrt(),
                    _ => v,
                })
            })
            .collect();
        Ok(Arc::new(out))
    }

    fn memory_size(&self) -> usize {
        self.n.capacity() * 24
    }

    any_impl!();
}

#[cfg(test)]
#[allow(clippy::cloned_ref_to_slice_refs)]
mod tests {
    use super::super::common::test_util::*;
    use arrow::array::{ArrayRef, Int32Array};
    use granary_storage::types::DataType;
    use granary_storage::value::Value;
    use proptest::prelude::*;
    use std::sync::Arc;

    fn f64s(a: &ArrayRef) -> Vec<f64> {
        vals(a)
            .into_iter()
            .map(|v| match v {
                Value::Float(f) => f,
                other => panic!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn values() {
        // SELECT varSamp(x), varPop(x), stddevSamp(x), stddevPop(x) FROM (SELECT arrayJoin([1,2,3,4,10]) x)
        //   -> 12.5 10 3.5355339059327378 3.1622776601683795
        // SELECT varSamp(x), varPop(x) FROM (SELECT toInt32(5) x) -> nan 0 ; no rows -> nan nan
        let x: ArrayRef = Arc::new(Int32Array::from(vec![1, 2, 3, 4, 10, 5]));
        let groups = [0, 0, 0, 0, 0, 1];
        let want = [
            ("varSamp", [12.5, f64::NAN, f64::NAN]),
            ("varPop", [10.0, 0.0, f64::NAN]),
            ("stddevSamp", [3.5355339059327378, f64::NAN, f64::NAN]),
            ("STDDEV_POP", [3.1622776601683795, 0.0, f64::NAN]),
        ];
        for (name, w) in want {
            let f = func(name, &[], &[DataType::Int32]);
            assert_eq!(f.return_type(), DataType::Float64);
            for got in [
                f64s(&run(&f, &[x.clone()], &groups, 3)),
                f64s(&run_split(&f, &[x.clone()], &groups, 3, 2)),
            ] {
                for (g, e) in got.iter().zip(w) {
                    assert!(
                        (g.is_nan() && e.is_nan()) || (g - e).abs() < 1e-9,
                        "{name}: {got:?}"
                    );
                }
            }
        }
        // SELECT toTypeName(varPop(x)) FROM (SELECT CAST(NULL AS Nullable(Int32)) x) -> Nullable(Float64)
        let f = func(
            "varPop",
            &[],
            &[DataType::Nullable(Box::new(DataType::Int32))],
        );
        assert_eq!(f.return_type().to_string(), "Nullable(Float64)");
    }

    proptest! {
        #[test]
        fn merge_equals_single(rows in proptest::collection::vec((0u32..3, -1000i32..1000), 0..60), split in 0usize..60) {
            let groups: Vec<u32> = rows.iter().map(|r| r.0).collect();
            let x: ArrayRef = Arc::new(Int32Array::from(rows.iter().map(|r| r.1).collect::<Vec<_>>()));
            let f = func("varPop", &[], &[DataType::Int32]);
            let one = f64s(&run(&f, &[x.clone()], &groups, 3));
            let two = f64s(&run_split(&f, &[x], &groups, 3, split));
            for g in 0..3usize {
                let xs: Vec<f64> = rows.iter().filter(|r| r.0 as usize == g).map(|r| r.1 as f64).collect();
                let n = xs.len() as f64;
                let mean = xs.iter().sum::<f64>() / n;
                let want = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
                for got in [one[g], two[g]] {
                    prop_assert!((got.is_nan() && want.is_nan()) || (got - want).abs() <= 1e-6 * want.abs().max(1.0), "{} {}", got, want);
                }
            }
        }
    }
}
