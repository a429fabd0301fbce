//! `sum(x + k)` as `sum(x) + k * count(x)` (ClickHouse's
//! `optimize_arithmetic_operations_in_aggregate_functions` does the same): one sum and
//! one count over `x` serve every `sum(x ± k)` of a query, instead of evaluating `x + k`
//! and summing it for each `k` (ClickBench's Q29 sums `ResolutionWidth + 0 .. 89`).
//!
//! Only for integers, where both forms wrap identically modulo 2^64: `x` an integer
//! column expression, `k` a non-negative integer literal, and the sum of `x` of the same
//! type as the sum of `x ± k`. Floats would round differently.

use granary_storage::types::DataType;

use super::expr::BoundExpr;

/// `sum`'s argument split into `x` and the literal `k`, with whether `k` is subtracted;
/// `None` when the argument is not `x + k`, `k + x` or `x - k` over integers.
pub fn split(arg: &BoundExpr) -> Option<(BoundExpr, BoundExpr, bool)> {
    let BoundExpr::Function { func, args, .. } = arg else {
        return None;
    };
    let (x, k, minus) = match (func.name(), args.as_slice()) {
        ("plus", [x, k]) if is_count(k) => (x, k, false),
        ("plus", [k, x]) if is_count(k) => (x, k, false),
        ("minus", [x, k]) if is_count(k) => (x, k, true),
        _ => return None,
    };
    let integer = |t: &DataType| t.base().is_integer();
    (integer(x.data_type()) && !x.is_constant()).then(|| (x.clone(), k.clone(), minus))
}

/// Whether `e` is a non-negative integer literal.
fn is_count(e: &BoundExpr) -> bool {
    matches!(e, BoundExpr::Literal { ty, .. } if matches!(ty, DataType::UInt8 | DataType::UInt16 | DataType::UInt32 | DataType::UInt64))
}
