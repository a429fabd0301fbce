//! Scalar functions: the trait every ClickHouse function implements, and the registry the
//! binder resolves names in.
//!
//! NULL handling is ClickHouse's default and lives in one place, [`NullAdapter`]: unless a
//! function says it handles NULLs itself, it is called with `Nullable` stripped from its
//! argument types and values, its result is made `Nullable` when any argument is, and a
//! row is NULL when any argument is NULL. `LowCardinality` arguments arrive decoded.

use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::{Arc, OnceLock};

use arrow::array::ArrayRef;
use granary_storage::types::DataType;

use crate::columnar::ColumnarValue;
use crate::error::Result;

mod arithmetic;
mod array;
pub mod cast;
pub(crate) mod common;
mod comparison;
mod conditional;
mod conversion;
pub mod date;
mod finalize_aggregation;
mod hash;
pub mod in_set;
mod like;
mod logical;
mod math;
mod null_adapter;
mod regexp;
mod string;
mod string_eq;
pub mod supertype;
#[cfg(test)]
mod testutil;
pub mod tostring;

pub use null_adapter::NullAdapter;
pub use supertype::least_supertype;

/// A scalar (row-wise) function such as `plus`, `lower` or `toStartOfHour`.
pub trait ScalarFunction: Send + Sync + Debug {
    /// The canonical ClickHouse name.
    fn name(&self) -> &'static str;

    /// The result type for arguments of types `args`; `constants[i]` holds the value of
    /// argument `i` when it is a literal (a 1-row array of the argument's Arrow type), so
    /// functions such as `toDecimal32(x, S)` or `match(s, pattern)` can look at it.
    /// Errors as ClickHouse: NUMBER_OF_ARGUMENTS_DOESNT_MATCH (42),
    /// ILLEGAL_TYPE_OF_ARGUMENT (43).
    fn return_type(&self, args: &[DataType], constants: &[Option<ArrayRef>]) -> Result<DataType>;

    /// Evaluates the function over `rows` rows. `args` are the arguments' values (arrays
    /// of `rows` rows or constants), `types` their ClickHouse types, `result` the type
    /// [`ScalarFunction::return_type`] gave. When every argument is a constant, return a
    /// constant.
    fn eval(
        &self,
        args: &[ColumnarValue],
        types: &[DataType],
        result: &DataType,
        rows: usize,
    ) -> Result<ColumnarValue>;

    /// Whether the function deals with `Nullable` arguments itself (`isNull`, `coalesce`,
    /// `if`, `and`, ...). When false, the [`NullAdapter`] does it.
    fn handles_nulls(&self) -> bool {
        false
    }
}

/// Every scalar function, by name.
#[derive(Default)]
pub struct FunctionRegistry {
    exact: HashMap<String, Arc<dyn ScalarFunction>>,
    case_insensitive: HashMap<String, Arc<dyn ScalarFunction>>,
}

impl FunctionRegistry {
    /// Registers `f` under its name (case-sensitive, as most ClickHouse functions).
    pub fn register(&mut self, f: Arc<dyn ScalarFunction>) {
        self.exact.insert(f.name().to_string(), wrap(f));
    }

    /// Registers `f` under its name, matched in any case (like ClickHouse's `lower`,
    /// `length`, `substring`, `concat`, `abs`, ... and SQL-standard names).
    pub fn register_case_insensitive(&mut self, f: Arc<dyn ScalarFunction>) {
        let f = wrap(f);
        self.case_insensitive
            .insert(f.name().to_ascii_lowercase(), f.clone());
        self.exact.insert(f.name().to_string(), f);
    }

    /// Makes `alias` another name of the registered function `target` (case-insensitive
    /// when `case_insensitive`).
    pub fn alias(&mut self, alias: &str, target: &str, case_insensitive: bool) {
        if let Some(f) = self.get(target) {
            if case_insensitive {
                self.case_insensitive
                    .insert(alias.to_ascii_lowercase(), f.clone());
            }
            self.exact.insert(alias.to_string(), f);
        }
    }

    /// The function called `name`.
    pub fn get(&self, name: &str) -> Option<Arc<dyn ScalarFunction>> {
        self.exact
            .get(name)
            .or_else(|| self.case_insensitive.get(&name.to_ascii_lowercase()))
            .cloned()
    }

    /// Every registered name, sorted (for `system.functions`).
    pub fn names(&self) -> Vec<String> {
        let mut v: Vec<String> = self.exact.keys().cloned().collect();
        v.sort();
        v
    }
}

fn wrap(f: Arc<dyn ScalarFunction>) -> Arc<dyn ScalarFunction> {
    if f.handles_nulls() {
        f
    } else {
        Arc::new(NullAdapter::new(f))
    }
}

/// The registry with every built-in function.
pub fn registry() -> &'static FunctionRegistry {
    static REGISTRY: OnceLock<FunctionRegistry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let mut r = FunctionRegistry::default();
        register_builtins(&mut r);
        r
    })
}

/// Registers every built-in function family.
fn register_builtins(r: &mut FunctionRegistry) {
    conversion::register(r);
    array::register(r);
    arithmetic::register(r);
    comparison::register(r);
    logical::register(r);
    conditional::register(r);
    string::register(r);
    like::register(r);
    regexp::register(r);
    date::register(r);
    math::register(r);
    hash::register(r);
    finalize_aggregation::register(r);
}
