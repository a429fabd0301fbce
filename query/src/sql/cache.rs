//! A cache of parsed SELECT statements by their text.
//!
//! A dashboard sends the same few queries thousands of times a second, and a
//! materialized view parses its query on every insert; tokenizing and parsing is a tenth
//! of such a short query's time. Only SELECT statements are kept (they hold no data and
//! no side effects happen while parsing); `now()` and the like are evaluated later, at
//! binding, so a cached statement is the same as a fresh parse.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use super::{ParseLimits, Statement};

/// Most statements kept; when full, the cache starts over.
const CAPACITY: usize = 512;
/// Longer query texts are not cached (a generated IN list is rarely sent twice).
const MAX_TEXT_BYTES: usize = 16 * 1024;
/// Deeper statements are not cached: cloning a deep tree recurses as deep as it goes.
pub const MAX_DEPTH: usize = 64;

/// Statements by text, each with the limits it was parsed under (a lookup by `&str`
/// allocates nothing; the same text under other limits replaces the entry).
type Cache = HashMap<String, (ParseLimits, Statement)>;

fn cache() -> &'static Mutex<Cache> {
    static CACHE: OnceLock<Mutex<Cache>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// The cached statement for `sql` parsed under `limits`, if any.
pub fn get(sql: &str, limits: &ParseLimits) -> Option<Statement> {
    if sql.len() > MAX_TEXT_BYTES {
        return None;
    }
    let cache = cache().lock().ok()?;
    match cache.get(sql) {
        Some((l, stmt)) if l == limits => Some(stmt.clone()),
        _ => None,
    }
}

/// Remembers `stmt` as the parse of `sql` under `limits`, if it is a SELECT.
pub fn put(sql: &str, limits: &ParseLimits, stmt: &Statement) {
    if sql.len() > MAX_TEXT_BYTES || !matches!(stmt, Statement::Select { .. }) {
        return;
    }
    if let Ok(mut cache) = cache().lock() {
        if cache.len() >= CAPACITY {
            cache.clear();
        }
        cache.insert(sql.to_owned(), (*limits, stmt.clone()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::parse_statement;

    #[test]
    fn selects_are_cached_and_equal_to_a_fresh_parse() {
        let limits = ParseLimits::default();
        let sql = "SELECT 1 AS cache_probe_a, now() FORMAT JSON";
        let first = parse_statement(sql, &limits).unwrap();
        assert_eq!(get(sql, &limits), Some(first.clone()));
        assert_eq!(parse_statement(sql, &limits).unwrap(), first);
    }

    #[test]
    fn other_statements_and_other_limits_are_not_shared() {
        let limits = ParseLimits::default();
        parse_statement(
            "CREATE TABLE cache_probe (a UInt8) ENGINE = Memory",
            &limits,
        )
        .unwrap();
        assert_eq!(
            get(
                "CREATE TABLE cache_probe (a UInt8) ENGINE = Memory",
                &limits
            ),
            None
        );
        let sql = "SELECT 1 AS cache_probe_b";
        parse_statement(sql, &limits).unwrap();
        let tight = ParseLimits {
            max_query_size: 5,
            ..limits
        };
        assert_eq!(get(sql, &tight), None);
        assert!(parse_statement(sql, &tight).is_err());
    }
}
