//! ClickHouse's `readonly` setting: which statements a session may run.
//!
//! Level 0 allows everything; level 1 allows only statements that read (SELECT, SHOW,
//! DESCRIBE, EXISTS, EXPLAIN, USE) and no change of settings (`SET`, `SETTINGS`); level 2
//! also allows changing settings. Anything else is error 164 READONLY.

use crate::error::{ErrorCode, QueryError, Result};
use crate::sql::Statement;

/// Checks that `stmt` may run at `readonly` level `level`.
pub(super) fn check(level: u8, stmt: &Statement) -> Result<()> {
    if level == 0 {
        return Ok(());
    }
    let settings: &[(String, String)] = match stmt {
        Statement::Select { settings, .. } => settings,
        Statement::Set { settings } => settings,
        Statement::Explain { .. }
        | Statement::Use { .. }
        | Statement::ShowTables { .. }
        | Statement::ShowDatabases { .. }
        | Statement::ShowCreateTable { .. }
        | Statement::Describe { .. }
        | Statement::Exists { .. } => &[],
        _ => {
            return Err(QueryError::new(
                ErrorCode::Readonly,
                "Cannot execute query in readonly mode",
            ))
        }
    };
    match settings.first() {
        Some((name, _)) if level == 1 => Err(QueryError::new(
            ErrorCode::Readonly,
            format!("Cannot modify '{name}' setting in readonly mode"),
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::{parse_statement, ParseLimits};

    fn at(level: u8, sql: &str) -> Result<()> {
        let stmt = parse_statement(sql, &ParseLimits::default()).expect("parses");
        check(level, &stmt)
    }

    #[test]
    fn levels() {
        for level in 0..=2 {
            assert!(at(level, "SELECT 1").is_ok());
            assert!(at(level, "SHOW TABLES").is_ok());
            assert!(at(level, "DESCRIBE TABLE t").is_ok());
        }
        assert!(at(0, "CREATE TABLE t (a UInt8) ENGINE = Memory").is_ok());
        for level in 1..=2 {
            let e = at(level, "INSERT INTO t VALUES (1)").unwrap_err();
            assert_eq!(e.code(), 164);
            assert_eq!(e.message(), "Cannot execute query in readonly mode");
            assert!(at(level, "DROP TABLE t").is_err());
        }
        let e = at(1, "SET max_threads = 1").unwrap_err();
        assert_eq!(
            e.message(),
            "Cannot modify 'max_threads' setting in readonly mode"
        );
        assert!(at(1, "SELECT 1 SETTINGS max_threads = 1").is_err());
        assert!(at(2, "SET max_threads = 1").is_ok());
        assert!(at(2, "SELECT 1 SETTINGS max_threads = 1").is_ok());
    }
}
