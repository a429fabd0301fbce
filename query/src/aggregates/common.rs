//! Shared pieces of the built-in aggregate functions: a generic function object built
//! from a closure, argument checks, per-group vector helpers and the numeric traits the
//! typed accumulators are generic over.

use std::any::Any;
use std::fmt::{self, Debug};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::datatypes::{ArrowPrimitiveType, DataType as ArrowType};
use granary_storage::types::DataType;
use granary_storage::value::Value;

use super::{Accumulator, AggregateFunction, AggregateFunctionFactory};
use crate::error::{ErrorCode, QueryError, Result};

/// Builds a fresh accumulator.
pub(crate) type MakeAcc = Box<dyn Fn() -> Result<Box<dyn Accumulator>> + Send + Sync>;

/// An [`AggregateFunction`] described by its name, result type and a constructor.
pub(crate) struct SimpleFunction {
    name: String,
    ret: DataType,
    null_if_empty: bool,
    make: MakeAcc,
}

impl Debug for SimpleFunction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} -> {}", self.name, self.ret)
    }
}

impl AggregateFunction for SimpleFunction {
    fn name(&self) -> String {
        self.name.clone()
    }
    fn return_type(&self) -> DataType {
        self.ret.clone()
    }
    fn create_accumulator(&self) -> Result<Box<dyn Accumulator>> {
        (self.make)()
    }
    fn null_if_empty(&self) -> bool {
        self.null_if_empty
    }
}

/// A function named `name` returning `ret`; `null_if_empty` as
/// [`AggregateFunction::null_if_empty`].
pub(crate) fn simple<F>(
    name: impl Into<String>,
    ret: DataType,
    null_if_empty: bool,
    make: F,
) -> Arc<dyn AggregateFunction>
where
    F: Fn() -> Result<Box<dyn Accumulator>> + Send + Sync + 'static,
{
    Arc::new(SimpleFunction {
        name: name.into(),
        ret,
        null_if_empty,
        make: Box::new(make),
    })
}

/// A factory from a plain function.
pub(crate) struct FnFactory<F>(pub F);

impl<F> AggregateFunctionFactory for FnFactory<F>
where
    F: Fn(&[Value], &[DataType]) -> Result<Arc<dyn AggregateFunction>> + Send + Sync,
{
    fn create(&self, params: &[Value], args: &[DataType]) -> Result<Arc<dyn AggregateFunction>> {
        (self.0)(params, args)
    }
}

/// Registers `f` as the factory of `name`.
pub(crate) fn reg<F>(r: &mut super::AggregateRegistry, name: &str, case_insensitive: bool, f: F)
where
    F: Fn(&[Value], &[DataType]) -> Result<Arc<dyn AggregateFunction>> + Send + Sync + 'static,
{
    r.register(name, case_insensitive, Arc::new(FnFactory(f)));
}

/// Fails unless exactly `n` arguments were given (ClickHouse code 42).
pub(crate) fn check_arity(name: &str, args: &[DataType], n: usize) -> Result<()> {
    if args.len() == n {
        return Ok(());
    }
    let what = match n {
        1 => "single argument".to_string(),
        2 => "two arguments".to_string(),
        n => format!("{n} arguments"),
    };
    Err(QueryError::new(
        ErrorCode::NumberOfArgumentsDoesntMatch,
        format!("Aggregate function {name} requires {what}"),
    ))
}

/// Fails if parameters were given to a function that takes none.
pub(crate) fn no_params(name: &str, params: &[Value]) -> Result<()> {
    if params.is_empty() {
        return Ok(());
    }
    // ClickHouse says AGGREGATE_FUNCTION_DOESNT_ALLOW_PARAMETERS (133), which ErrorCode lacks.
    Err(QueryError::new(
        ErrorCode::BadArguments,
        format!("Aggregate function {name} cannot have parameters"),
    ))
}

/// ClickHouse's error for an argument type a function does not accept (code 43).
pub(crate) fn illegal_type(name: &str, t: &DataType) -> QueryError {
    QueryError::new(
        ErrorCode::IllegalTypeOfArgument,
        format!("Illegal type {t} of argument for aggregate function {name}"),
    )
}

/// An internal error: something the engine should never do.
pub(crate) fn logical(msg: impl Into<String>) -> QueryError {
    QueryError::new(ErrorCode::LogicalError, msg)
}

/// `other` as the concrete accumulator type `T` (for [`Accumulator::merge`]).
pub(crate) fn downcast<T: 'static>(other: &mut dyn Accumulator) -> Result<&mut T> {
    other
        .as_any_mut()
        .downcast_mut::<T>()
        .ok_or_else(|| logical("merge of accumulators of different aggregate functions"))
}

/// Grows `v` to at least `n` elements of `fill`.
#[inline]
pub(crate) fn grow<T: Clone>(v: &mut Vec<T>, n: usize, fill: T) {
    if v.len() < n {
        v.resize(n, fill);
    }
}

/// Checks that every id in `mapping` is below `num_groups` (merges index with them).
pub(crate) fn check_mapping(mapping: &[u32], num_groups: usize) -> Result<()> {
    if mapping.iter().any(|&g| g as usize >= num_groups) {
        return Err(logical("aggregate merge: group id out of range"));
    }
    Ok(())
}

/// `impl Accumulator`'s `as_any_mut`.
macro_rules! any_impl {
    () => {
        fn as_any_mut(&mut self) -> &mut dyn std::any::Any {
            self
        }
    };
}
pub(crate) use any_impl;

/// A number type the typed accumulators work on (the native type of an Arrow primitive).
pub(crate) trait Num: Copy + Default + PartialOrd + Send + Sync + Debug + 'static {
    /// The value as f64 (decimals: the unscaled integer).
    fn to_f64(self) -> f64;
    /// The value from f64, truncating toward zero (saturating).
    fn from_f64(v: f64) -> Self;
    /// The value's bits as an integer key: exact identity for every type.
    fn key(self) -> u128;
    /// The value back from [`Num::key`].
    fn from_key(k: u128) -> Self;
    /// A total order (floats: IEEE total order, NaN last).
    fn cmp_total(self, other: Self) -> std::cmp::Ordering;
}

macro_rules! num_int {
    ($($t:ty),*) => {$(
        impl Num for $t {
            #[inline]
            fn to_f64(self) -> f64 { self as f64 }
            #[inline]
            fn from_f64(v: f64) -> Self { v as $t }
            #[inline]
            fn key(self) -> u128 { self as u128 }
            #[inline]
            fn from_key(k: u128) -> Self { k as $t }
            #[inline]
            fn cmp_total(self, other: Self) -> std::cmp::Ordering { self.cmp(&other) }
        }
    )*};
}
num_int!(i8, i16, i32, i64, u8, u16, u32, u64, i128);

impl Num for f32 {
    #[inline]
    fn to_f64(self) -> f64 {
        self as f64
    }
    #[inline]
    fn from_f64(v: f64) -> Self {
        v as f32
    }
    #[inline]
    fn key(self) -> u128 {
        self.to_bits() as u128
    }
    #[inline]
    fn from_key(k: u128) -> Self {
        f32::from_bits(k as u32)
    }
    #[inline]
    fn cmp_total(self, other: Self) -> std::cmp::Ordering {
        self.total_cmp(&other)
    }
}

impl Num for f64 {
    #[inline]
    fn to_f64(self) -> f64 {
        self
    }
    #[inline]
    fn from_f64(v: f64) -> Self {
        v
    }
    #[inline]
    fn key(self) -> u128 {
        self.to_bits() as u128
    }
    #[inline]
    fn from_key(k: u128) -> Self {
        f64::from_bits(k as u64)
    }
    #[inline]
    fn cmp_total(self, other: Self) -> std::cmp::Ordering {
        self.total_cmp(&other)
    }
}

/// Calls `$body` with the type alias `$T` bound to the Arrow primitive type of `$dt`
/// (integers, floats, Decimal128); evaluates `$other` for any other type.
macro_rules! with_primitive {
    ($dt:expr, $T:ident => $body:expr, _ => $other:expr) => {{
        use arrow::datatypes as adt_;
        match $dt {
            arrow::datatypes::DataType::Int8 => {
                type $T = adt_::Int8Type;
                $body
            }
            arrow::datatypes::DataType::Int16 => {
                type $T = adt_::Int16Type;
                $body
            }
            arrow::datatypes::DataType::Int32 => {
                type $T = adt_::Int32Type;
                $body
            }
            arrow::datatypes::DataType::Int64 => {
                type $T = adt_::Int64Type;
                $body
            }
            arrow::datatypes::DataType::UInt8 => {
                type $T = adt_::UInt8Type;
                $body
            }
            arrow::datatypes::DataType::UInt16 => {
                type $T = adt_::UInt16Type;
                $body
            }
            arrow::datatypes::DataType::UInt32 => {
                type $T = adt_::UInt32Type;
                $body
            }
            arrow::datatypes::DataType::UInt64 => {
                type $T = adt_::UInt64Type;
                $body
            }
            arrow::datatypes::DataType::Float32 => {
                type $T = adt_::Float32Type;
                $body
            }
            arrow::datatypes::DataType::Float64 => {
                type $T = adt_::Float64Type;
                $body
            }
            arrow::datatypes::DataType::Decimal128(..) => {
                type $T = adt_::Decimal128Type;
                $body
            }
            _ => $other,
        }
    }};
}
pub(crate) use with_primitive;

/// The values of a primitive array (validity ignored: NULL rows were removed before).
#[inline]
pub(crate) fn prim_values<T: ArrowPrimitiveType>(a: &ArrayRef) -> Result<&[T::Native]> {
    a.as_primitive_opt::<T>()
        .map(|p| p.values().as_ref())
        .ok_or_else(|| logical(format!("aggregate: unexpected argument {}", a.data_type())))
}

/// How a wrapper that rewrites arguments (the `-If`, `-Array` and `-Merge` combinators,
/// the Bool-to-UInt8 cast) feeds rows to the nested accumulator. [`AdaptedAcc`] forwards
/// everything else (merging, finalizing, states) to the nested accumulator.
pub(crate) trait ArgsAdapter: Send + std::fmt::Debug + 'static {
    /// Adds the rows of `args` to `inner`.
    fn update(
        &self,
        inner: &mut dyn Accumulator,
        args: &[ArrayRef],
        group_ids: &[u32],
        num_groups: usize,
    ) -> Result<()>;
}

/// A nested accumulator behind an [`ArgsAdapter`].
#[derive(Debug)]
pub(crate) struct AdaptedAcc<A: ArgsAdapter> {
    inner: Box<dyn Accumulator>,
    adapter: A,
}

impl<A: ArgsAdapter> AdaptedAcc<A> {
    /// `inner` fed through `adapter`.
    pub(crate) fn boxed(inner: Box<dyn Accumulator>, adapter: A) -> Box<dyn Accumulator> {
        Box::new(AdaptedAcc { inner, adapter })
    }
}

impl<A: ArgsAdapter> Accumulator for AdaptedAcc<A> {
    fn update_batch(
        &mut self,
        args: &[ArrayRef],
        group_ids: &[u32],
        num_groups: usize,
    ) -> Result<()> {
        self.adapter
            .update(self.inner.as_mut(), args, group_ids, num_groups)
    }
    fn merge(
        &mut self,
        other: &mut dyn Accumulator,
        mapping: &[u32],
        num_groups: usize,
    ) -> Result<()> {
        let other = downcast::<AdaptedAcc<A>>(other)?;
        self.inner.merge(other.inner.as_mut(), mapping, num_groups)
    }
    fn finalize(&mut self, num_groups: usize) -> Result<ArrayRef> {
        self.inner.finalize(num_groups)
    }
    fn memory_size(&self) -> usize {
        self.inner.memory_size()
    }
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
    fn serialize_state(&self, group: usize) -> Result<Vec<u8>> {
        self.inner.serialize_state(group)
    }
    fn merge_state(&mut self, state: &[u8], group: usize, num_groups: usize) -> Result<()> {
        self.inner.merge_state(state, group, num_groups)
    }
}

/// An argument adapter that casts Arrow `Boolean` arguments to `UInt8` before handing
/// them to the nested accumulator: numeric functions see `Bool` as 0/1.
#[derive(Debug)]
pub(crate) struct BoolAsUInt8;

impl ArgsAdapter for BoolAsUInt8 {
    fn update(
        &self,
        inner: &mut dyn Accumulator,
        args: &[ArrayRef],
        group_ids: &[u32],
        num_groups: usize,
    ) -> Result<()> {
        let mut cast = Vec::with_capacity(args.len());
        for a in args {
            if a.data_type() == &ArrowType::Boolean {
                cast.push(arrow::compute::cast(a, &ArrowType::UInt8)?);
            } else {
                cast.push(a.clone());
            }
        }
        inner.update_batch(&cast, group_ids, num_groups)
    }
}

/// The numeric ClickHouse types sum/avg/variance/quantile accept (after Nullable and
/// LowCardinality were stripped).
pub(crate) fn is_number(t: &DataType) -> bool {
    matches!(
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
            | DataType::Bool
    ) || matches!(t, DataType::Decimal { precision, .. } if *precision <= 38)
}

/// A float parameter such as a quantile level.
pub(crate) fn param_f64(v: &Value) -> Result<f64> {
    match v {
        Value::Float(f) => Ok(*f),
        Value::UInt(u) => Ok(*u as f64),
        Value::Int(i) => Ok(*i as f64),
        other => Err(QueryError::new(
            ErrorCode::CannotConvertType,
            format!("Cannot convert {other:?} to double"),
        )),
    }
}

/// An unsigned integer parameter such as groupArray's max size.
pub(crate) fn param_u64(name: &str, v: &Value) -> Result<u64> {
    match v {
        Value::UInt(u) => Ok(*u),
        Value::Int(i) if *i >= 0 => Ok(*i as u64),
        _ => Err(QueryError::new(
            ErrorCode::BadArguments,
            format!("Parameter for aggregate function {name} should be positive integer"),
        )),
    }
}

/// Test helpers shared by the family modules.
#[cfg(test)]
pub(crate) mod test_util {
    use super::*;
    use crate::aggregates::registry;

    /// Resolves `name(params)(args)` through the registry.
    pub fn func(name: &str, params: &[Value], args: &[DataType]) -> Arc<dyn AggregateFunction> {
        registry()
            .get(name, params, args)
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .unwrap_or_else(|| panic!("{name}: unknown"))
    }

    /// Runs `f` over `args` with `groups` (as one batch), then finalizes `num_groups`.
    pub fn run(
        f: &Arc<dyn AggregateFunction>,
        args: &[ArrayRef],
        groups: &[u32],
        num_groups: usize,
    ) -> ArrayRef {
        let mut acc = f.create_accumulator().unwrap();
        acc.update_batch(args, groups, num_groups).unwrap();
        acc.finalize(num_groups).unwrap()
    }

    /// Runs `f` twice over halves of the rows, merges the second accumulator into the
    /// first with its groups renumbered by `perm`, and finalizes.
    pub fn run_split(
        f: &Arc<dyn AggregateFunction>,
        args: &[ArrayRef],
        groups: &[u32],
        num_groups: usize,
        split: usize,
    ) -> ArrayRef {
        let n = groups.len();
        let split = split.min(n);
        let mut a = f.create_accumulator().unwrap();
        let mut b = f.create_accumulator().unwrap();
        let left: Vec<ArrayRef> = args.iter().map(|x| x.slice(0, split)).collect();
        let right: Vec<ArrayRef> = args.iter().map(|x| x.slice(split, n - split)).collect();
        a.update_batch(&left, &groups[..split], num_groups).unwrap();
        // b numbers groups in reverse; the mapping takes them back.
        let rev: Vec<u32> = groups[split..]
            .iter()
            .map(|g| (num_groups as u32 - 1) - g)
            .collect();
        b.update_batch(&right, &rev, num_groups).unwrap();
        let mapping: Vec<u32> = (0..num_groups as u32)
            .map(|g| (num_groups as u32 - 1) - g)
            .collect();
        a.merge(b.as_mut(), &mapping, num_groups).unwrap();
        a.finalize(num_groups).unwrap()
    }

    /// Row `i` of `a` as a [`Value`].
    pub fn val(a: &ArrayRef, i: usize) -> Value {
        if a.logical_nulls().is_some_and(|n| n.is_null(i)) {
            return Value::Null;
        }
        Value::from_array(a.as_ref(), i).unwrap()
    }

    /// All rows of `a` as [`Value`]s.
    pub fn vals(a: &ArrayRef) -> Vec<Value> {
        (0..a.len()).map(|i| val(a, i)).collect()
    }
}
