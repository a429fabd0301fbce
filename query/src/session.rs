//! A session: the current database and settings, and the entry point that runs one SQL
//! statement against the storage engine.

use std::sync::Arc;

use granary_storage::StorageEngine;
use sqlparser::dialect::ClickHouseDialect;
use sqlparser::parser::Parser;

use crate::error::{ErrorCode, QueryError, Result};
use crate::plan::select::execute_query;
pub use crate::plan::select::QueryOutput;
use crate::plan::{QueryContext, QuerySettings};
use crate::query_err;

/// Deepest recursion the parser may use (beyond it, TOO_DEEP_AST).
const PARSER_RECURSION_LIMIT: usize = 256;

/// A client session.
pub struct Session {
    engine: Arc<StorageEngine>,
    /// The current database (`USE db`).
    pub database: String,
    /// Execution settings.
    pub settings: QuerySettings,
}

impl Session {
    /// A session on `engine`, in database `default`.
    pub fn new(engine: Arc<StorageEngine>) -> Session {
        Session {
            engine,
            database: "default".into(),
            settings: QuerySettings::default(),
        }
    }

    /// The storage engine.
    pub fn engine(&self) -> &Arc<StorageEngine> {
        &self.engine
    }

    fn context(&self) -> QueryContext {
        QueryContext {
            engine: self.engine.clone(),
            database: self.database.clone(),
            settings: self.settings.clone(),
        }
    }

    /// Runs one statement.
    pub fn execute(&mut self, sql: &str) -> Result<QueryOutput> {
        let dialect = ClickHouseDialect {};
        let mut statements = Parser::new(&dialect)
            .with_recursion_limit(PARSER_RECURSION_LIMIT)
            .try_with_sql(sql)
            .and_then(|mut p| p.parse_statements())
            .map_err(|e| match e {
                sqlparser::parser::ParserError::RecursionLimitExceeded => QueryError::new(
                    ErrorCode::TooDeepAst,
                    format!("AST is too deep. Maximum: {PARSER_RECURSION_LIMIT}"),
                ),
                other => QueryError::new(ErrorCode::SyntaxError, format!("Syntax error: {other}")),
            })?;
        if statements.len() != 1 {
            return query_err!(
                SyntaxError,
                "Syntax error (Multi-statements are not allowed)"
            );
        }
        match statements.pop() {
            Some(sqlparser::ast::Statement::Query(q)) => execute_query(&self.context(), &q),
            Some(other) => query_err!(NotImplemented, "Statement {other} is not supported yet"),
            None => query_err!(SyntaxError, "Empty query"),
        }
    }
}
