//! Resolution of a call with combinators (`sumIf`, `uniqDistinct`, `countDistinctIf`, ...)
//! and the `-If` and `-Distinct` wrappers.
//!
//! - `-If`: the last argument is a condition (`UInt8` or `Bool`, possibly `Nullable`;
//!   NULL counts as false); only rows where it is nonzero reach the function.
//! - `-Distinct`: each group applies the function to its distinct argument tuples. Rows
//!   are identified by a 128-bit key (the value itself for one numeric argument, a hash
//!   otherwise); the first row of each (group, key) is kept in a stash, and the function
//!   runs over the stash at finalize, so partial states merge exactly.

use std::any::Any;
use std::collections::HashSet;
use std::fmt::Debug;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::buffer::BooleanBuffer;
use arrow::datatypes::{DataType as ArrowType, UInt8Type};
use granary_storage::types::{AggregateFunctionType, DataType};
use granary_storage::value::Value;

use super::common::{downcast, logical, AdaptedAcc, ArgsAdapter};
use super::hashing::{hash_rows128, FastBuild};
use super::nullable::{self, filter_rows, strip};
use super::{Accumulator, AggregateFunction, AggregateFunctionFactory};
use crate::error::{ErrorCode, QueryError, Result};

/// Builds `name(params)(args)`: the base function from `factory` for the stripped
/// argument types, the combinators `combinators` (innermost first) around it, and the
/// Null wrapper where an argument is `Nullable` or `LowCardinality`.
pub(crate) fn build(
    factory: &dyn AggregateFunctionFactory,
    base: &str,
    name: &str,
    params: &[Value],
    args: &[DataType],
    combinators: &[&str],
) -> Result<Arc<dyn AggregateFunction>> {
    let n_if = combinators.iter().filter(|c| **c == "If").count();
    if args.len() < n_if {
        return Err(QueryError::new(
            ErrorCode::NumberOfArgumentsDoesntMatch,
            format!("Aggregate function {name} requires at least {n_if} argument(s)"),
        ));
    }
    let values = args.len() - n_if;
    for t in &args[values..] {
        if !matches!(strip(t), DataType::UInt8 | DataType::Bool) {
            return Err(QueryError::new(
                ErrorCode::IllegalTypeOfArgument,
                format!(
                    "Illegal type {t} of the last argument of an aggregate function with the If \
                     suffix: the last argument is the condition and must be UInt8"
                ),
            ));
        }
    }
    let stripped: Vec<DataType> = args[..values].iter().map(strip).collect();
    let mut f = match factory.create(params, &stripped) {
        Ok(f) => f,
        Err(_) if stripped.contains(&DataType::Nothing) => return Ok(nullable::always_null(name)),
        Err(e) => return Err(e),
    };
    let needs_null = |a: &[DataType]| {
        a.iter().any(|t| {
            t.is_nullable() || matches!(t, DataType::LowCardinality(_) | DataType::Nothing)
        })
    };
    // Arguments seen by the function built so far: the values, then one condition per -If.
    let mut n_args = values;
    let mut null_wrapped = false;
    for (i, c) in combinators.iter().enumerate() {
        f = match *c {
            "If" => {
                n_args += 1;
                Arc::new(IfFunction { inner: f })
            }
            "Distinct" => Arc::new(DistinctFunction { inner: f }),
            "State" => {
                // The Null wrapper belongs inside the state (its flag is part of it), as
                // ClickHouse's `AggregateFunction(sum, Nullable(UInt8))`.
                if !null_wrapped && needs_null(&args[..n_args]) {
                    f = nullable::wrap(f, &args[..n_args], values);
                }
                null_wrapped = true;
                let ty = DataType::AggregateFunction(AggregateFunctionType {
                    name: format!(
                        "{}{}",
                        super::state_merge::state_base_name(base),
                        combinators[..i].concat()
                    ),
                    params: params
                        .iter()
                        .map(super::state_merge::param_to_string)
                        .collect(),
                    args: args[..n_args].to_vec(),
                });
                Arc::new(super::state_merge::StateFunction { inner: f, ty })
            }
            other => {
                return Err(QueryError::new(
                    ErrorCode::NotImplemented,
                    format!("Aggregate function combinator -{other} is not implemented yet"),
                ))
            }
        };
    }
    if !null_wrapped && needs_null(args) {
        f = nullable::wrap(f, args, values);
    }
    Ok(f)
}

/// `-If` around `f` (its last argument is the condition).
pub(crate) fn if_function(f: Arc<dyn AggregateFunction>) -> Arc<dyn AggregateFunction> {
    Arc::new(IfFunction { inner: f })
}

#[derive(Debug)]
struct IfFunction {
    inner: Arc<dyn AggregateFunction>,
}

impl AggregateFunction for IfFunction {
    fn name(&self) -> String {
        format!("{}If", self.inner.name())
    }
    fn return_type(&self) -> DataType {
        self.inner.return_type()
    }
    fn create_accumulator(&self) -> Result<Box<dyn Accumulator>> {
        Ok(AdaptedAcc::boxed(self.inner.create_accumulator()?, IfArgs))
    }
    fn null_if_empty(&self) -> bool {
        self.inner.null_if_empty()
    }
}

/// `-If`: only the rows whose last argument (the condition) is true reach the nested
/// accumulator.
#[derive(Debug)]
struct IfArgs;

/// The rows where condition `c` is true (nonzero and not NULL).
fn condition_mask(c: &ArrayRef) -> Result<BooleanBuffer> {
    let values = match c.data_type() {
        ArrowType::Boolean => c.as_boolean().values().clone(),
        ArrowType::UInt8 => {
            let v = c.as_primitive::<UInt8Type>().values();
            BooleanBuffer::collect_bool(v.len(), |i| v[i] != 0)
        }
        ArrowType::Null => BooleanBuffer::new_unset(c.len()),
        other => return Err(logical(format!("-If condition of type {other}"))),
    };
    Ok(match c.logical_nulls() {
        Some(n) if n.null_count() > 0 => &values & n.inner(),
        _ => values,
    })
}

impl ArgsAdapter for IfArgs {
    fn update(
        &self,
        inner: &mut dyn Accumulator,
        args: &[ArrayRef],
        group_ids: &[u32],
        num_groups: usize,
    ) -> Result<()> {
        let (cond, rest) = args
            .split_last()
            .ok_or_else(|| logical("-If without a condition"))?;
        let keep = condition_mask(cond)?;
        if keep.count_set_bits() == group_ids.len() {
            return inner.update_batch(rest, group_ids, num_groups);
        }
        let (rest, ids) = filter_rows(rest, group_ids, &keep)?;
        inner.update_batch(&rest, &ids, num_groups)
    }
}

#[derive(Debug)]
struct DistinctFunction {
    inner: Arc<dyn AggregateFunction>,
}

impl AggregateFunction for DistinctFunction {
    fn name(&self) -> String {
        format!("{}Distinct", self.inner.name())
    }
    fn return_type(&self) -> DataType {
        self.inner.return_type()
    }
    fn create_accumulator(&self) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(DistinctAcc {
            inner: self.inner.clone(),
            seen: HashSet::default(),
            stash: Vec::new(),
            bytes: 0,
        }))
    }
    fn null_if_empty(&self) -> bool {
        self.inner.null_if_empty()
    }
}

/// Rows kept by `-Distinct`: arguments, group ids and row keys.
#[derive(Debug)]
struct Stashed {
    args: Vec<ArrayRef>,
    groups: Vec<u32>,
    keys: Vec<u128>,
}

#[derive(Debug)]
struct DistinctAcc {
    inner: Arc<dyn AggregateFunction>,
    seen: HashSet<(u32, u128), FastBuild>,
    stash: Vec<Stashed>,
    bytes: usize,
}

impl DistinctAcc {
    fn push(&mut self, args: &[ArrayRef], groups: &[u32], keys: &[u128]) -> Result<()> {
        let keep =
            BooleanBuffer::collect_bool(groups.len(), |i| self.seen.insert((groups[i], keys[i])));
        let n = keep.count_set_bits();
        if n == 0 {
            return Ok(());
        }
        let (args, groups, keys) = if n == groups.len() {
            (args.to_vec(), groups.to_vec(), keys.to_vec())
        } else {
            let (a, g) = filter_rows(args, groups, &keep)?;
            let k = keep.set_indices().map(|i| keys[i]).collect();
            (a, g, k)
        };
        self.bytes += args
            .iter()
            .map(|a| a.get_array_memory_size())
            .sum::<usize>()
            + n * 20;
        self.stash.push(Stashed { args, groups, keys });
        Ok(())
    }
}

impl Accumulator for DistinctAcc {
    fn update_batch(
        &mut self,
        args: &[ArrayRef],
        group_ids: &[u32],
        _num_groups: usize,
    ) -> Result<()> {
        let keys = hash_rows128(args, group_ids.len())?;
        self.push(args, group_ids, &keys)
    }
    fn merge(
        &mut self,
        other: &mut dyn Accumulator,
        mapping: &[u32],
        num_groups: usize,
    ) -> Result<()> {
        let other = downcast::<DistinctAcc>(other)?;
        super::common::check_mapping(mapping, num_groups)?;
        for s in std::mem::take(&mut other.stash) {
            let groups: Vec<u32> = s.groups.iter().map(|&g| mapping[g as usize]).collect();
            self.push(&s.args, &groups, &s.keys)?;
        }
        Ok(())
    }
    fn finalize(&mut self, num_groups: usize) -> Result<ArrayRef> {
        let mut acc = self.inner.create_accumulator()?;
        for s in &self.stash {
            acc.update_batch(&s.args, &s.groups, num_groups)?;
        }
        acc.finalize(num_groups)
    }
    fn memory_size(&self) -> usize {
        self.bytes + self.seen.capacity() * 24
    }
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}
