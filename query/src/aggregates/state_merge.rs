//! The `-State` and `-Merge` combinators (materialized views, AggregatingMergeTree).
//!
//! - `fState(args)` aggregates as `f` but returns each group's serialized state (layouts in
//!   `STATES.md`), typed `AggregateFunction(f, args)`, carried as Arrow Binary.
//! - `fMerge(state)` takes a column of `AggregateFunction(f, T...)` states, merges each row's
//!   state into its group and returns `f`'s final value. `fMergeState` returns the merged
//!   state instead. The nested function comes from the column's type (its parameters too,
//!   as ClickHouse: `quantilesMerge(0.5, 0.9)(s)` uses the levels the state was built with).

use std::any::Any;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, BinaryBuilder};
use granary_storage::types::{AggregateFunctionType, DataType};
use granary_storage::value::Value;

use super::common::{downcast, logical, AdaptedAcc, ArgsAdapter};
use super::{Accumulator, AggregateFunction};
use crate::error::{ErrorCode, QueryError, Result};

/// `-State` over `inner`; the result type is `ty` (an `AggregateFunction(...)`).
#[derive(Debug)]
pub(crate) struct StateFunction {
    /// The function whose state is returned.
    pub inner: Arc<dyn AggregateFunction>,
    /// The result type.
    pub ty: DataType,
}

impl AggregateFunction for StateFunction {
    fn name(&self) -> String {
        format!("{}State", self.inner.name())
    }
    fn return_type(&self) -> DataType {
        self.ty.clone()
    }
    fn create_accumulator(&self) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(StateAcc {
            inner: self.inner.create_accumulator()?,
        }))
    }
    fn null_if_empty(&self) -> bool {
        false
    }
}

/// Aggregates as the inner function; finalizes to serialized states.
#[derive(Debug)]
struct StateAcc {
    inner: Box<dyn Accumulator>,
}

impl Accumulator for StateAcc {
    fn update_batch(
        &mut self,
        args: &[ArrayRef],
        group_ids: &[u32],
        num_groups: usize,
    ) -> Result<()> {
        self.inner.update_batch(args, group_ids, num_groups)
    }
    fn merge(
        &mut self,
        other: &mut dyn Accumulator,
        mapping: &[u32],
        num_groups: usize,
    ) -> Result<()> {
        let other = downcast::<StateAcc>(other)?;
        self.inner.merge(other.inner.as_mut(), mapping, num_groups)
    }
    fn finalize(&mut self, num_groups: usize) -> Result<ArrayRef> {
        let mut b = BinaryBuilder::with_capacity(num_groups, num_groups * 16);
        for g in 0..num_groups {
            b.append_value(self.inner.serialize_state(g)?);
        }
        Ok(Arc::new(b.finish()))
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

/// `-Merge` of states of `inner`.
#[derive(Debug)]
pub(crate) struct MergeFunction {
    /// The nested function the states belong to.
    pub inner: Arc<dyn AggregateFunction>,
}

impl AggregateFunction for MergeFunction {
    fn name(&self) -> String {
        format!("{}Merge", self.inner.name())
    }
    fn return_type(&self) -> DataType {
        self.inner.return_type()
    }
    fn create_accumulator(&self) -> Result<Box<dyn Accumulator>> {
        Ok(AdaptedAcc::boxed(
            self.inner.create_accumulator()?,
            MergeArgs,
        ))
    }
    fn null_if_empty(&self) -> bool {
        self.inner.null_if_empty()
    }
}

/// `-Merge`: the state in each row is merged into its group.
#[derive(Debug)]
pub(crate) struct MergeArgs;

impl ArgsAdapter for MergeArgs {
    fn update(
        &self,
        inner: &mut dyn Accumulator,
        args: &[ArrayRef],
        group_ids: &[u32],
        num_groups: usize,
    ) -> Result<()> {
        let states = args
            .first()
            .and_then(|a| a.as_binary_opt::<i32>())
            .ok_or_else(|| logical("-Merge: the argument is not a column of states"))?;
        for (i, &g) in group_ids.iter().enumerate() {
            if states.is_valid(i) {
                inner.merge_state(states.value(i), g as usize, num_groups)?;
            }
        }
        Ok(())
    }
}

/// The name ClickHouse gives a function inside `AggregateFunction(...)`: `median` is
/// `quantile`, `medianExact` is `quantileExact`.
pub(crate) fn state_base_name(base: &str) -> &str {
    match base {
        "median" => "quantile",
        "medianExact" => "quantileExact",
        other => other,
    }
}

/// A parameter as ClickHouse prints it inside a type: `0.5`, `10`, `'x'`.
pub(crate) fn param_to_string(v: &Value) -> String {
    match v {
        Value::Null => "NULL".to_string(),
        Value::UInt(u) => u.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Decimal(d) => d.to_string(),
        Value::Bytes(b) => {
            let s = String::from_utf8_lossy(b);
            format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
        }
    }
}

/// A parameter written inside a type back as a value.
pub(crate) fn param_from_str(s: &str) -> Result<Value> {
    if let Some(q) = s.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')) {
        let mut out = String::new();
        let mut chars = q.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                if let Some(e) = chars.next() {
                    out.push(e);
                }
            } else {
                out.push(c);
            }
        }
        return Ok(Value::Bytes(out.into_bytes()));
    }
    if let Ok(u) = s.parse::<u64>() {
        return Ok(Value::UInt(u));
    }
    if let Ok(i) = s.parse::<i64>() {
        return Ok(Value::Int(i));
    }
    s.parse::<f64>().map(Value::Float).map_err(|_| {
        QueryError::new(
            ErrorCode::BadArguments,
            format!("Cannot read aggregate function parameter {s}"),
        )
    })
}

/// The function whose states a column of type `t` holds.
pub(crate) fn function_of(t: &AggregateFunctionType) -> Result<Arc<dyn AggregateFunction>> {
    let params = t
        .params
        .iter()
        .map(|p| param_from_str(p))
        .collect::<Result<Vec<_>>>()?;
    super::registry()
        .get(&t.name, &params, &t.args)?
        .ok_or_else(|| {
            QueryError::new(
                ErrorCode::UnknownAggregateFunction,
                format!("Unknown aggregate function {}", t.name),
            )
        })
}

/// The error for a `-Merge` argument that is not a state of the right function.
pub(crate) fn bad_merge_argument(t: &DataType, nested: &str) -> QueryError {
    let msg = match t {
        DataType::AggregateFunction(a) => format!(
            "Illegal type {t} of argument for aggregate function with Merge suffix because it \
             corresponds to different aggregate function: {} instead of {nested}",
            a.name
        ),
        _ => format!(
            "Illegal type {t} of argument for aggregate function with Merge suffix. It must be \
             AggregateFunction(...)"
        ),
    };
    QueryError::new(ErrorCode::IllegalTypeOfArgument, msg)
}
