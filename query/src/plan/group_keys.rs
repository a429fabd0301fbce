//! GROUP BY keys that are functions of other keys (ClickHouse's
//! `optimize_group_by_function_keys`): `GROUP BY ClientIP, ClientIP - 1` groups exactly as
//! `GROUP BY ClientIP`, so the derived key is dropped from the hash key and computed
//! after aggregation from the key it depends on (expressions after the aggregation find
//! their key columns by name, so `ClientIP - 1` becomes `minus(<key ClientIP>, 1)`).

use super::expr::BoundExpr;

/// Functions whose result is not fixed by their arguments; a key calling one is kept.
const VOLATILE: [&str; 8] = [
    "rand",
    "rand32",
    "rand64",
    "randConstant",
    "generateUUIDv4",
    "rowNumberInBlock",
    "rowNumberInAllBlocks",
    "runningDifference",
];

/// Removes the keys that are deterministic functions of the other keys, keeping at least
/// one key that reads a column. Only for plain GROUP BY: under ROLLUP, CUBE or TOTALS a
/// derived key rolls up on its own.
pub fn drop_function_keys(keys: &mut Vec<BoundExpr>) {
    let mut i = 0;
    while i < keys.len() {
        let derived = matches!(keys[i], BoundExpr::Function { .. }) && {
            let others: Vec<&BoundExpr> = keys
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, k)| k)
                .collect();
            others.iter().any(|k| !k.is_constant()) && computable_from(&keys[i], &others)
        };
        if derived {
            keys.remove(i);
        } else {
            i += 1;
        }
    }
}

/// Whether `e` can be evaluated from the values of `keys` alone.
fn computable_from(e: &BoundExpr, keys: &[&BoundExpr]) -> bool {
    if !e.is_constant() && keys.iter().any(|k| k.name() == e.name()) {
        return true;
    }
    match e {
        BoundExpr::Literal { .. } => true,
        BoundExpr::Column { .. } => false,
        BoundExpr::Function { func, args, .. } => {
            !VOLATILE.contains(&func.name()) && args.iter().all(|a| computable_from(a, keys))
        }
    }
}
