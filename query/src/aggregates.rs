//! Aggregate functions: the trait, the per-query accumulators that hold the state of every
//! group at once (updated a batch at a time with group ids, as DataFusion's
//! GroupsAccumulator and ClickHouse's `addBatch`), and the registry with combinators.
//!
//! Resolution of a call `name(params)(args)`: the registry strips combinator suffixes
//! (`-If`, `-Distinct`, `-State`, `-Merge`) from the name, finds the base function's
//! [`AggregateFunctionFactory`], and wraps the result. NULL handling is ClickHouse's: rows
//! where an argument is NULL are skipped; with a `Nullable` argument the result is
//! `Nullable`, NULL for a group that saw no non-NULL row (except for functions such as
//! `count` and `uniq` that return a number for any input).

use std::any::Any;
use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::{Arc, OnceLock};

use arrow::array::ArrayRef;
use granary_storage::types::DataType;
use granary_storage::value::Value;

use crate::error::Result;

mod any;
mod arg_min_max;
mod array_combinator;
mod avg;
mod combinators;
mod common;
mod count;
mod group_array;
mod hashing;
mod hll;
mod kinds;
mod min_max;
mod nullable;
mod quantile;
mod state_io;
pub(crate) mod state_merge;
#[cfg(test)]
#[allow(clippy::cloned_ref_to_slice_refs)]
mod state_tests;
pub mod storage_merger;
mod sum;
mod uniq;
mod uniq_exact;
mod variance;

/// An aggregate function resolved for concrete argument types and parameters.
pub trait AggregateFunction: Send + Sync + Debug {
    /// The name as written, for column names and messages (e.g. `quantile(0.9)`).
    fn name(&self) -> String;

    /// The result type.
    fn return_type(&self) -> DataType;

    /// A new accumulator holding no groups yet.
    fn create_accumulator(&self) -> Result<Box<dyn Accumulator>>;

    /// Under ClickHouse's Null combinator (an argument is `Nullable`), whether the result
    /// becomes `Nullable` and a group that saw no non-NULL row is NULL (`sum`, `min`,
    /// `avg`, ...), rather than the function's value for no rows (`count`, `uniq`,
    /// `groupArray`: false).
    fn null_if_empty(&self) -> bool {
        true
    }
}

/// The state of one aggregate function for many groups.
pub trait Accumulator: Send + Debug {
    /// Adds row `i` of `args` to group `group_ids[i]` for every row. `num_groups` is the
    /// number of groups that exist now (ids are `0..num_groups`): grow the state to it.
    /// `args` have the argument types the function was resolved for (Arrow carriers of
    /// the ClickHouse types, see `DataType::to_arrow`).
    fn update_batch(
        &mut self,
        args: &[ArrayRef],
        group_ids: &[u32],
        num_groups: usize,
    ) -> Result<()>;

    /// Merges `other` (an accumulator of the same function) into this one: other's group
    /// `g` is added into this one's group `mapping[g]`. `num_groups` is this accumulator's
    /// group count after the merge. Used to combine the partial results of threads.
    fn merge(
        &mut self,
        other: &mut dyn Accumulator,
        mapping: &[u32],
        num_groups: usize,
    ) -> Result<()>;

    /// The final value of each group `0..num_groups`, as an array of the return type.
    fn finalize(&mut self, num_groups: usize) -> Result<ArrayRef>;

    /// Approximate bytes held, for `max_memory_usage`.
    fn memory_size(&self) -> usize;

    /// For downcasting in [`Accumulator::merge`].
    fn as_any_mut(&mut self) -> &mut dyn Any;

    /// The state of group `group` as bytes, in the layout documented in
    /// `aggregates/STATES.md` (for `-State`). Not implemented by default.
    fn serialize_state(&self, group: usize) -> Result<Vec<u8>> {
        let _ = group;
        crate::query_err!(
            NotImplemented,
            "Serialization of aggregate function states is not implemented"
        )
    }

    /// Merges a state produced by [`Accumulator::serialize_state`] into group `group`
    /// (for `-Merge`). Not implemented by default.
    fn merge_state(&mut self, state: &[u8], group: usize, num_groups: usize) -> Result<()> {
        let _ = (state, group, num_groups);
        crate::query_err!(
            NotImplemented,
            "Deserialization of aggregate function states is not implemented"
        )
    }
}

/// Creates an [`AggregateFunction`] for parameters and argument types: one per base
/// function name (`sum`, `uniq`, `quantile`, ...).
pub trait AggregateFunctionFactory: Send + Sync {
    /// Resolves `name(params)(args)`. Errors as ClickHouse (42, 43, ...).
    fn create(&self, params: &[Value], args: &[DataType]) -> Result<Arc<dyn AggregateFunction>>;
}

/// Every aggregate function, by base name; combinators are applied on lookup.
#[derive(Default)]
pub struct AggregateRegistry {
    factories: HashMap<String, Arc<dyn AggregateFunctionFactory>>,
    case_insensitive: HashMap<String, Arc<dyn AggregateFunctionFactory>>,
}

impl AggregateRegistry {
    /// Registers a factory under `name` (`case_insensitive` for SQL-standard names such
    /// as `count`, `sum`, `avg`, `min`, `max`).
    pub fn register(
        &mut self,
        name: &str,
        case_insensitive: bool,
        factory: Arc<dyn AggregateFunctionFactory>,
    ) {
        if case_insensitive {
            self.case_insensitive
                .insert(name.to_ascii_lowercase(), factory.clone());
        }
        self.factories.insert(name.to_string(), factory);
    }

    fn factory(&self, name: &str) -> Option<&Arc<dyn AggregateFunctionFactory>> {
        self.factories
            .get(name)
            .or_else(|| self.case_insensitive.get(&name.to_ascii_lowercase()))
    }

    /// Every registered base name, sorted (for `system.functions`).
    pub fn names(&self) -> Vec<String> {
        let mut v: Vec<String> = self.factories.keys().cloned().collect();
        v.sort();
        v
    }

    /// Whether `name` (possibly with combinator suffixes) names an aggregate function.
    pub fn is_aggregate(&self, name: &str) -> bool {
        self.factory(name).is_some() || self.resolve_combinators(name).is_some()
    }

    /// Splits `name` into a base function and combinator suffixes, e.g. `sumIf` ->
    /// (`sum`, [`If`]); `None` if no registered base matches.
    pub fn resolve_combinators(&self, name: &str) -> Option<(String, Vec<&'static str>)> {
        const COMBINATORS: &[&str] = &[
            "If",
            "Distinct",
            "State",
            "Merge",
            "OrNull",
            "OrDefault",
            "Array",
        ];
        let mut base = name.to_string();
        let mut combinators = Vec::new();
        loop {
            if self.factory(&base).is_some() {
                combinators.reverse();
                return Some((base, combinators));
            }
            let c = COMBINATORS
                .iter()
                .find(|c| base.len() > c.len() && base.ends_with(*c))?;
            base.truncate(base.len() - c.len());
            combinators.push(*c);
        }
    }

    /// Resolves a call `name(params)(args)` into a function.
    pub fn get(
        &self,
        name: &str,
        params: &[Value],
        args: &[DataType],
    ) -> Result<Option<Arc<dyn AggregateFunction>>> {
        let Some((mut base, mut combinators)) = self.resolve_combinators(name) else {
            return Ok(None);
        };
        // count(DISTINCT x) / countDistinct(x): ClickHouse's default
        // count_distinct_implementation, uniqExact.
        if base.eq_ignore_ascii_case("count") && combinators.first() == Some(&"Distinct") {
            base = "uniqExact".to_string();
            combinators.remove(0);
        }
        if combinators.first() == Some(&"Array") {
            return self
                .get_array(&base, &combinators[1..], params, args)
                .map(Some);
        }
        if let Some(pos) = combinators.iter().position(|c| *c == "Merge") {
            return self.get_merge(&base, &combinators, pos, args).map(Some);
        }
        if let Some(c) = combinators
            .iter()
            .find(|c| !matches!(**c, "If" | "Distinct" | "State"))
        {
            return crate::query_err!(
                NotImplemented,
                "Aggregate function combinator -{c} is not implemented yet (in {name})"
            );
        }
        let Some(factory) = self.factory(&base) else {
            return Ok(None);
        };
        combinators::build(factory.as_ref(), &base, name, params, args, &combinators).map(Some)
    }

    /// Resolves `fArray...(args)`: `f` for the element types, `-Array` around it, then the
    /// outer combinators `rest` (only `-If`).
    fn get_array(
        &self,
        base: &str,
        rest: &[&'static str],
        params: &[Value],
        args: &[DataType],
    ) -> Result<Arc<dyn AggregateFunction>> {
        let n_if = rest.len();
        if let Some(c) = rest.iter().find(|c| **c != "If") {
            return crate::query_err!(
                NotImplemented,
                "Aggregate function combinator -{c} after -Array is not implemented yet"
            );
        }
        if args.len() <= n_if {
            return Err(crate::error::QueryError::new(
                crate::error::ErrorCode::NumberOfArgumentsDoesntMatch,
                format!("Aggregate function {base}Array requires an array argument"),
            ));
        }
        let values = args.len() - n_if;
        let elements = array_combinator::element_types(&format!("{base}Array"), &args[..values])?;
        let inner = self.get(base, params, &elements)?.ok_or_else(|| {
            crate::error::QueryError::new(
                crate::error::ErrorCode::UnknownAggregateFunction,
                format!("Unknown aggregate function {base}"),
            )
        })?;
        let mut f: Arc<dyn AggregateFunction> = Arc::new(array_combinator::ArrayFunction { inner });
        for _ in rest {
            f = combinators::if_function(f);
        }
        Ok(f)
    }

    /// Resolves a call whose combinators (innermost first) have `Merge` at `pos`: the
    /// argument is a column of states of the function named by the base and the
    /// combinators before `Merge`; those after it (`State`, `If`) wrap the merge.
    fn get_merge(
        &self,
        base: &str,
        combinators: &[&'static str],
        pos: usize,
        args: &[DataType],
    ) -> Result<Arc<dyn AggregateFunction>> {
        let nested = format!(
            "{}{}",
            state_merge::state_base_name(base),
            combinators[..pos].concat()
        );
        let (state_type, rest) = match args.split_first() {
            Some((DataType::AggregateFunction(t), rest)) => (t, rest),
            Some((t, _)) => return Err(state_merge::bad_merge_argument(t, &nested)),
            None => {
                return Err(crate::error::QueryError::new(
                    crate::error::ErrorCode::NumberOfArgumentsDoesntMatch,
                    format!("Aggregate function {nested}Merge requires an argument"),
                ))
            }
        };
        if state_type.name != nested {
            return Err(state_merge::bad_merge_argument(&args[0], &nested));
        }
        let inner = state_merge::function_of(state_type)?;
        let mut f: Arc<dyn AggregateFunction> = Arc::new(state_merge::MergeFunction { inner });
        let mut n_args = 1;
        for c in &combinators[pos + 1..] {
            f = match *c {
                "State" => Arc::new(state_merge::StateFunction {
                    inner: f,
                    ty: DataType::AggregateFunction(state_type.clone()),
                }),
                "If" => {
                    n_args += 1;
                    combinators::if_function(f)
                }
                other => {
                    return crate::query_err!(
                        NotImplemented,
                        "Aggregate function combinator -{other} after -Merge is not implemented"
                    )
                }
            };
        }
        if rest.len() + 1 != n_args {
            return Err(crate::error::QueryError::new(
                crate::error::ErrorCode::NumberOfArgumentsDoesntMatch,
                format!("Aggregate function {nested}Merge takes one state argument"),
            ));
        }
        Ok(f)
    }
}

/// The registry with every built-in aggregate function.
pub fn registry() -> &'static AggregateRegistry {
    static REGISTRY: OnceLock<AggregateRegistry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let mut r = AggregateRegistry::default();
        register_builtins(&mut r);
        r
    })
}

/// Registers every built-in aggregate function.
fn register_builtins(r: &mut AggregateRegistry) {
    count::register(r);
    sum::register(r);
    avg::register(r);
    min_max::register(r);
    any::register(r);
    arg_min_max::register(r);
    uniq_exact::register(r);
    uniq::register(r);
    hll::register(r);
    quantile::register(r);
    group_array::register(r);
    variance::register(r);
}
