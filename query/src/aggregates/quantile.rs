//! Quantiles.
//!
//! - `quantile[(level)](x)`, `quantiles(l1, ...)(x)`, `median(x)`: ClickHouse's
//!   reservoir sampling: a group keeps up to 8,192 samples (all values while it has
//!   fewer); sampling is deterministic (the slot replaced is a fixed hash of the row
//!   count). The sorted sample is interpolated linearly at `level * (n - 1)`. Result:
//!   Float64 for numbers; the argument's type for Date, DateTime, DateTime64 and
//!   Decimal (the interpolated value truncated). No rows: `nan` (or the type's zero).
//! - `quantileExact[(level)](x)`, `quantilesExact(...)`, `medianExact(x)`: every value is
//!   kept; the result is the element at index `floor(level * n)` (`n - 1` for level 1) of
//!   the sorted values, of the argument's type. No rows: zero.
//!
//! `quantiles*` return `Array(T)` with one element per level. Levels must lie in [0, 1].

use std::cmp::Ordering;
use std::fmt::Debug;
use std::marker::PhantomData;
use std::sync::Arc;

use arrow::array::{ArrayRef, ListArray, PrimitiveArray};
use arrow::buffer::OffsetBuffer;
use arrow::datatypes::{ArrowPrimitiveType, DataType as ArrowType, Field, Float64Type};
use granary_storage::types::DataType;
use granary_storage::value::Value;

use super::common::{
    any_impl, check_arity, check_mapping, downcast, grow, illegal_type, logical, param_f64, reg,
    simple, with_primitive, Num,
};
use super::hashing::int_hash64;
use super::kinds::{read_num, write_num};
use super::state_io::{bad_state, put_varuint, StateReader};
use super::{Accumulator, AggregateFunction, AggregateRegistry};
use crate::error::{ErrorCode, QueryError, Result};

/// Samples a group keeps.
pub(crate) const RESERVOIR: usize = 8192;

/// Registers the quantile family.
pub(crate) fn register(r: &mut AggregateRegistry) {
    for (name, exact, multi, fixed) in [
        ("quantile", false, false, None),
        ("quantiles", false, true, None),
        ("median", false, false, Some(0.5)),
        ("quantileExact", true, false, None),
        ("quantilesExact", true, true, None),
        ("medianExact", true, false, Some(0.5)),
    ] {
        reg(r, name, false, move |params, args| {
            factory(name, exact, multi, fixed, params, args)
        });
    }
}

fn factory(
    name: &'static str,
    exact: bool,
    multi: bool,
    fixed: Option<f64>,
    params: &[Value],
    args: &[DataType],
) -> Result<Arc<dyn AggregateFunction>> {
    check_arity(name, args, 1)?;
    let levels: Vec<f64> = match (fixed, multi, params) {
        (Some(l), _, []) => vec![l],
        (None, false, []) => vec![0.5],
        (None, false, [l]) => vec![param_f64(l)?],
        (None, true, ps) if !ps.is_empty() => ps.iter().map(param_f64).collect::<Result<_>>()?,
        _ => {
            return Err(QueryError::new(
                ErrorCode::NumberOfArgumentsDoesntMatch,
                format!("Aggregate function {name} requires one level parameter or less"),
            ))
        }
    };
    if levels.iter().any(|l| !(0.0..=1.0).contains(l)) {
        return Err(QueryError::new(
            ErrorCode::ParameterOutOfBound,
            "Quantile level is out of range [0..1]",
        ));
    }
    let t = &args[0];
    let keeps_type = matches!(
        t,
        DataType::Date
            | DataType::DateTime(_)
            | DataType::DateTime64(..)
            | DataType::Decimal { .. }
    );
    let numeric = keeps_type
        || matches!(
            t,
            DataType::UInt8
                | DataType::UInt16
                | DataType::UInt32
                | DataType::UInt64
                | DataType::Int8
                | DataType::Int16
                | DataType::Int32
                | DataType::Int64
                | DataType::Float32
                | DataType::Float64
        );
    let input = t.to_arrow();
    if !numeric || matches!(input, ArrowType::Decimal256(..)) {
        return Err(illegal_type(name, t));
    }
    let elem = if exact || keeps_type {
        t.clone()
    } else {
        DataType::Float64
    };
    let out_arrow = elem.to_arrow();
    let ret = if multi {
        DataType::Array(Box::new(elem))
    } else {
        elem
    };
    let display = if params.is_empty() {
        name.to_string()
    } else {
        let ps: Vec<String> = levels.iter().map(|l| l.to_string()).collect();
        format!("{name}({})", ps.join(", "))
    };
    let levels = Arc::new(levels);
    // quantiles* stay Array(T) (not Nullable) for Nullable arguments, as ClickHouse.
    Ok(simple(display, ret, !multi, move || {
        let spec = Spec {
            levels: levels.clone(),
            multi,
            out: out_arrow.clone(),
        };
        with_primitive!(&input, T => Ok(if exact {
            Box::new(ExactAcc::<T> { groups: Vec::new(), spec }) as Box<dyn Accumulator>
        } else {
            Box::new(SampleAcc::<T> { groups: Vec::new(), spec, _t: PhantomData })
        }), _ => Err(logical("quantile: bad type")))
    }))
}

/// What to compute and how to shape the result.
#[derive(Debug, Clone)]
struct Spec {
    levels: Arc<Vec<f64>>,
    multi: bool,
    /// Arrow type of one result element.
    out: ArrowType,
}

impl Spec {
    /// Wraps `values` (levels.len() per group) into the result column.
    fn finish(&self, values: ArrayRef, num_groups: usize) -> Result<ArrayRef> {
        if !self.multi {
            return Ok(values);
        }
        let offsets =
            OffsetBuffer::from_lengths(std::iter::repeat_n(self.levels.len(), num_groups));
        let field = Arc::new(Field::new("item", self.out.clone(), true));
        Ok(Arc::new(ListArray::try_new(field, offsets, values, None)?))
    }
}

/// One group's reservoir sample.
#[derive(Clone, Debug, Default)]
struct Reservoir {
    samples: Vec<f64>,
    total: u64,
}

/// The slot a row replaces: deterministic in the number of rows seen.
#[inline]
fn slot(total: u64, salt: u64) -> u64 {
    int_hash64(total ^ salt.wrapping_mul(0x9E37_79B9_7F4A_7C15)) % total
}

impl Reservoir {
    #[inline]
    fn insert(&mut self, v: f64) {
        self.total += 1;
        if self.samples.len() < RESERVOIR {
            self.samples.push(v);
        } else {
            let j = slot(self.total, 0) as usize;
            if j < RESERVOIR {
                self.samples[j] = v;
            }
        }
    }

    fn merge(&mut self, mut other: Reservoir) {
        if other.total as usize > other.samples.len() && self.total as usize == self.samples.len() {
            std::mem::swap(self, &mut other);
        }
        if other.total as usize == other.samples.len() {
            // `other` holds all its rows: insert them one by one.
            for v in other.samples {
                self.insert(v);
            }
            return;
        }
        // Both are samples of RESERVOIR rows: take each slot from either in proportion
        // to the rows it stands for.
        let total = self.total + other.total;
        for (i, s) in self.samples.iter_mut().enumerate() {
            if slot(total, i as u64 + 1) >= self.total {
                if let Some(&o) = other.samples.get(i) {
                    *s = o;
                }
            }
        }
        self.total = total;
    }
}

/// Interpolated quantile of sorted `s` at `level`.
fn interpolate(s: &[f64], level: f64) -> f64 {
    if s.is_empty() {
        return f64::NAN;
    }
    let idx = level * (s.len() - 1) as f64;
    let lo = idx.floor() as usize;
    let hi = (idx.ceil() as usize).min(s.len() - 1);
    s[lo] + (idx - lo as f64) * (s[hi] - s[lo])
}

#[derive(Debug)]
struct SampleAcc<T> {
    groups: Vec<Reservoir>,
    spec: Spec,
    _t: PhantomData<T>,
}

impl<T> Accumulator for SampleAcc<T>
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
        let vals = super::common::prim_values::<T>(&args[0])?;
        grow(&mut self.groups, num_groups, Reservoir::default());
        for (&g, &v) in group_ids.iter().zip(vals) {
            self.groups[g as usize].insert(v.to_f64());
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
        grow(&mut self.groups, num_groups, Reservoir::default());
        for (r, &g) in std::mem::take(&mut other.groups).into_iter().zip(mapping) {
            self.groups[g as usize].merge(r);
        }
        Ok(())
    }

    fn finalize(&mut self, num_groups: usize) -> Result<ArrayRef> {
        grow(&mut self.groups, num_groups, Reservoir::default());
        let mut out = Vec::with_capacity(num_groups * self.spec.levels.len());
        for r in &mut self.groups[..num_groups] {
            r.samples.sort_unstable_by(|a, b| a.total_cmp(b));
            out.extend(self.spec.levels.iter().map(|&l| interpolate(&r.samples, l)));
        }
        let values: ArrayRef = if self.spec.out == ArrowType::Float64 {
            Arc::new(PrimitiveArray::<Float64Type>::from(out))
        } else {
            let a = PrimitiveArray::<T>::from_iter_values(out.into_iter().map(T::Native::from_f64));
            Arc::new(a.with_data_type(self.spec.out.clone()))
        };
        self.spec.finish(values, num_groups)
    }

    fn memory_size(&self) -> usize {
        self.groups
            .iter()
            .map(|r| r.samples.capacity() * 8 + 32)
            .sum()
    }

    fn serialize_state(&self, group: usize) -> Result<Vec<u8>> {
        let empty = Reservoir::default();
        let r = self.groups.get(group).unwrap_or(&empty);
        let mut out = Vec::with_capacity(13 + 8 * r.samples.len());
        out.extend_from_slice(&r.total.to_le_bytes());
        put_varuint(&mut out, r.samples.len() as u64);
        for v in &r.samples {
            out.extend_from_slice(&v.to_le_bytes());
        }
        Ok(out)
    }

    fn merge_state(&mut self, state: &[u8], group: usize, num_groups: usize) -> Result<()> {
        let mut r = StateReader::new(state);
        let total = r.u64()?;
        let n = r.count(8)?;
        if n > RESERVOIR || (n as u64) > total {
            return Err(bad_state("quantile sample larger than its row count"));
        }
        let mut samples = Vec::with_capacity(n);
        for _ in 0..n {
            samples.push(r.f64()?);
        }
        r.finish()?;
        grow(
            &mut self.groups,
            num_groups.max(group + 1),
            Reservoir::default(),
        );
        self.groups[group].merge(Reservoir { samples, total });
        Ok(())
    }

    any_impl!();
}

#[derive(Debug)]
struct ExactAcc<T: ArrowPrimitiveType> {
    groups: Vec<Vec<T::Native>>,
    spec: Spec,
}

impl<T> Accumulator for ExactAcc<T>
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
        let vals = super::common::prim_values::<T>(&args[0])?;
        grow(&mut self.groups, num_groups, Vec::new());
        for (&g, &v) in group_ids.iter().zip(vals) {
            self.groups[g as usize].push(v);
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
        grow(&mut self.groups, num_groups, Vec::new());
        for (v, &g) in std::mem::take(&mut other.groups).into_iter().zip(mapping) {
            self.groups[g as usize].extend(v);
        }
        Ok(())
    }

    fn finalize(&mut self, num_groups: usize) -> Result<ArrayRef> {
        grow(&mut self.groups, num_groups, Vec::new());
        let cmp = |a: &T::Native, b: &T::Native| -> Ordering { a.cmp_total(*b) };
        let mut out = Vec::with_capacity(num_groups * self.spec.levels.len());
        for v in &mut self.groups[..num_groups] {
            let n = v.len();
            if self.spec.levels.len() > 1 {
                v.sort_unstable_by(cmp);
            }
            for &l in self.spec.levels.iter() {
                if n == 0 {
                    out.push(T::Native::default());
                    continue;
                }
                let idx = if l < 1.0 {
                    ((l * n as f64) as usize).min(n - 1)
                } else {
                    n - 1
                };
                if self.spec.levels.len() == 1 {
                    v.select_nth_unstable_by(idx, cmp);
                }
                out.push(v[idx]);
            }
        }
        let a = PrimitiveArray::<T>::from_iter_values(out).with_data_type(self.spec.out.clone());
        self.spec.finish(Arc::new(a), num_groups)
    }

    fn memory_size(&self) -> usize {
        self.groups
            .iter()
            .map(|v| v.capacity() * std::mem::size_of::<T::Native>() + 24)
            .sum()
    }

    fn serialize_state(&self, group: usize) -> Result<Vec<u8>> {
        let vals = self.groups.get(group).map(Vec::as_slice).unwrap_or(&[]);
        let mut out = Vec::with_capacity(5 + std::mem::size_of_val(vals));
        put_varuint(&mut out, vals.len() as u64);
        for &v in vals {
            write_num(v, &mut out);
        }
        Ok(out)
    }

    fn merge_state(&mut self, state: &[u8], group: usize, num_groups: usize) -> Result<()> {
        let mut r = StateReader::new(state);
        let n = r.count(std::mem::size_of::<T::Native>())?;
        grow(&mut self.groups, num_groups.max(group + 1), Vec::new());
        let g = &mut self.groups[group];
        g.reserve(n);
        for _ in 0..n {
            g.push(read_num(&mut r)?);
        }
        r.finish()
    }

    any_impl!();
}

#[cfg(test)]
#[allow(clippy::cloned_ref_to_slice_refs)]
mod tests {
    use super::super::common::test_util::*;
    use arrow::array::{
        Array, ArrayRef, AsArray, Float32Array, Int32Array, UInt16Array, UInt64Array,
    };
    use granary_storage::types::DataType;
    use granary_storage::value::Value;
    use std::sync::Arc;

    #[test]
    fn types() {
        // SELECT toTypeName(quantile(toInt32(1))), toTypeName(quantile(toFloat32(1))),
        //   toTypeName(quantile(toDate('2020-01-01'))), toTypeName(quantile(now())),
        //   toTypeName(quantile(toDecimal32(1,2))) -> Float64 Float64 Date DateTime Decimal(9, 2)
        // SELECT toTypeName(quantileExact(toInt32(1))), toTypeName(quantileExact(toFloat32(1))),
        //   toTypeName(median(toInt32(1))), toTypeName(quantiles(0.1,0.5)(toInt32(1))),
        //   toTypeName(quantilesExact(0.1,0.5)(toInt32(1))), toTypeName(median(toDateTime64(1, 3)))
        //   -> Int32 Float32 Float64 Array(Float64) Array(Int32) DateTime64(3)
        let cases = [
            ("quantile", "Int32", "Float64"),
            ("quantile", "Float32", "Float64"),
            ("quantile", "Date", "Date"),
            ("quantile", "DateTime", "DateTime"),
            ("quantile", "Decimal(9, 2)", "Decimal(9, 2)"),
            ("quantileExact", "Int32", "Int32"),
            ("quantileExact", "Float32", "Float32"),
            ("median", "Int32", "Float64"),
            ("median", "DateTime64(3)", "DateTime64(3)"),
            ("quantile", "Nullable(Int32)", "Nullable(Float64)"),
        ];
        // SELECT toTypeName(quantiles(0.5)(x)), toTypeName(quantilesExact(0.5)(x))
        //   FROM (SELECT CAST(NULL AS Nullable(Int32)) x) -> Array(Float64) Array(Int32)
        let nt = DataType::parse("Nullable(Int32)").unwrap();
        let half = [Value::Float(0.5)];
        assert_eq!(
            func("quantiles", &half, &[nt.clone()])
                .return_type()
                .to_string(),
            "Array(Float64)"
        );
        assert_eq!(
            func("quantilesExact", &half, &[nt])
                .return_type()
                .to_string(),
            "Array(Int32)"
        );
        // SELECT median(toDate32('2020-01-01')) -> Code: 43
        let e = crate::aggregates::registry()
            .get("median", &[], &[DataType::Date32])
            .unwrap_err();
        assert_eq!(e.code(), 43);
        for (f, t, want) in cases {
            let got = func(f, &[], &[DataType::parse(t).unwrap()])
                .return_type()
                .to_string();
            assert_eq!(got, want, "{f}({t})");
        }
        let two = [Value::Float(0.1), Value::Float(0.5)];
        assert_eq!(
            func("quantiles", &two, &[DataType::Int32])
                .return_type()
                .to_string(),
            "Array(Float64)"
        );
        assert_eq!(
            func("quantilesExact", &two, &[DataType::Int32])
                .return_type()
                .to_string(),
            "Array(Int32)"
        );
        // SELECT quantile(1.5)(number) -> Code: 12 PARAMETER_OUT_OF_BOUND
        let e = crate::aggregates::registry()
            .get("quantile", &[Value::Float(1.5)], &[DataType::UInt64])
            .unwrap_err();
        assert_eq!(e.code(), 12);
    }

    #[test]
    fn values() {
        // SELECT quantile(x), quantile(0.9)(x), quantileExact(x), quantileExact(0.9)(x),
        //   quantileExact(0.25)(x), quantiles(0, 0.25, 0.5, 1)(x), quantilesExact(0, 0.25, 0.5, 1)(x),
        //   median(x) FROM (SELECT arrayJoin([1,2,3,4]) x)
        //   -> 2.5 3.7 3 4 2 [1,1.75,2.5,4] [1,2,3,4] 2.5
        let x: ArrayRef = Arc::new(Int32Array::from(vec![4, 1, 3, 2]));
        let g = [0u32; 4];
        let one = |name: &str, p: &[Value]| {
            val(
                &run_split(&func(name, p, &[DataType::Int32]), &[x.clone()], &g, 1, 2),
                0,
            )
        };
        assert_eq!(one("quantile", &[]), Value::Float(2.5));
        assert!(
            matches!(one("quantile", &[Value::Float(0.9)]), Value::Float(v) if (v - 3.7).abs() < 1e-12)
        );
        assert_eq!(one("quantileExact", &[]), Value::Int(3));
        assert_eq!(one("quantileExact", &[Value::Float(0.9)]), Value::Int(4));
        assert_eq!(one("quantileExact", &[Value::Float(0.25)]), Value::Int(2));
        assert_eq!(one("median", &[]), Value::Float(2.5));
        let levels = [
            Value::Float(0.0),
            Value::Float(0.25),
            Value::Float(0.5),
            Value::UInt(1),
        ];
        let r = run(
            &func("quantiles", &levels, &[DataType::Int32]),
            &[x.clone()],
            &g,
            2,
        );
        let l = r.as_list::<i32>();
        assert_eq!(vals(&l.value(0)), [1.0, 1.75, 2.5, 4.0].map(Value::Float));
        assert!(matches!(val(&l.value(1), 0), Value::Float(v) if v.is_nan()));
        let r = run(
            &func("quantilesExact", &levels, &[DataType::Int32]),
            &[x.clone()],
            &g,
            2,
        );
        let l = r.as_list::<i32>();
        assert_eq!(vals(&l.value(0)), [1, 2, 3, 4].map(Value::Int));
        assert_eq!(vals(&l.value(1)), [0, 0, 0, 0].map(Value::Int));
        // SELECT quantile(x), quantileExact(x) FROM (SELECT arrayJoin([toDate('2020-01-01'),
        //   toDate('2020-01-04')]) x) -> 2020-01-02 2020-01-04
        let d: ArrayRef = Arc::new(UInt16Array::from(vec![18262, 18265]));
        assert_eq!(
            val(
                &run(
                    &func("quantile", &[], &[DataType::Date]),
                    &[d.clone()],
                    &[0, 0],
                    1
                ),
                0
            ),
            Value::UInt(18263)
        );
        assert_eq!(
            val(
                &run(
                    &func("quantileExact", &[], &[DataType::Date]),
                    &[d],
                    &[0, 0],
                    1
                ),
                0
            ),
            Value::UInt(18265)
        );
        let f: ArrayRef = Arc::new(Float32Array::from(vec![1.5, f32::NAN, 0.5]));
        let r = run(
            &func("quantileExact", &[Value::Float(0.0)], &[DataType::Float32]),
            &[f],
            &[0; 3],
            1,
        );
        assert_eq!(r.data_type(), &arrow::datatypes::DataType::Float32);
        assert_eq!(val(&r, 0), Value::Float(0.5));
    }

    #[test]
    fn large_reservoir_is_close() {
        // 100k values in two partial states: the sampled median is near the true one.
        let n = 100_000u64;
        let x: ArrayRef = Arc::new(UInt64Array::from((0..n).collect::<Vec<u64>>()));
        let f = func("quantile", &[], &[DataType::UInt64]);
        let r = run_split(&f, &[x], &vec![0; n as usize], 1, 30_000);
        assert!(r.null_count() == 0);
        match val(&r, 0) {
            Value::Float(v) => assert!((v - 50_000.0).abs() < 2_500.0, "{v}"),
            other => panic!("{other:?}"),
        }
    }
}
