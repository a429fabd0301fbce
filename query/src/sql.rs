//! The SQL front layer: ClickHouse-dialect text to a [`Statement`].
//!
//! `sqlparser` (with its `ClickHouseDialect`) parses queries and expressions; everything it
//! gets wrong or lacks is handled here around it, working on its token stream:
//!
//! - `FORMAT x` and `SETTINGS k = v` at the end of a query are cut off before parsing
//!   (sqlparser takes `SELECT 1 FORMAT JSON` for an alias);
//! - `CREATE TABLE` is split into columns and engine clauses by us (clauses in any order),
//!   column types are read from their source text with ClickHouse's type parser;
//! - `INSERT ... FORMAT X <data>` is split at the format name without ever tokenizing the
//!   data;
//! - statements sqlparser does not know (`SYSTEM`, `EXISTS`, `DROP ... SYNC`,
//!   `ALTER TABLE ... DROP PARTITION <expr>`) are parsed by hand;
//! - `max_query_size` and `max_ast_depth` are enforced before sqlparser builds anything, so
//!   hostile input yields an error, never a stack overflow.
//!
//! `FROM t FINAL` is left as sqlparser parses it: an implicit table alias named `FINAL`.
//! The planner recognises it with [`is_final_alias`].

mod cache;
mod create;
mod create_columns;
mod ddl;
mod error;
mod insert;
mod lexer;
mod params;
mod select;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_create;

use sqlparser::ast::{Expr, Query, TableAlias};

use crate::error::Result;
use granary_storage::schema::TableSchema;

pub use params::{substitute_params, substitute_query};

/// Limits checked while parsing, with ClickHouse's setting names and defaults.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParseLimits {
    /// Most bytes of query text (for `INSERT`, the text before the data). ClickHouse's
    /// `max_query_size`, default 262144.
    pub max_query_size: usize,
    /// Deepest expression nesting. ClickHouse's `max_ast_depth`, default 1000.
    pub max_ast_depth: usize,
}

impl Default for ParseLimits {
    fn default() -> Self {
        ParseLimits {
            max_query_size: 262_144,
            max_ast_depth: 1000,
        }
    }
}

/// One parsed statement.
#[derive(Clone, Debug, PartialEq)]
pub enum Statement {
    /// `SELECT ...` (also `WITH ...` and parenthesised unions).
    Select {
        /// The query, without its trailing FORMAT and SETTINGS clauses.
        query: Box<Query>,
        /// `FORMAT name`, if given.
        format: Option<String>,
        /// `SETTINGS name = value, ...` (string values unquoted).
        settings: Vec<(String, String)>,
    },
    /// `EXPLAIN [kind] [option = value, ...] <statement>`.
    Explain {
        /// The kind as written, upper-cased (`PLAN` when not given; `AST`, `SYNTAX`,
        /// `PIPELINE`, `ESTIMATE`, `QUERY TREE`).
        kind: String,
        /// Options such as `header = 1`.
        options: Vec<(String, String)>,
        /// The explained statement (its own FORMAT is the output format of the EXPLAIN).
        statement: Box<Statement>,
    },
    /// `CREATE TABLE ...`.
    CreateTable(Box<CreateTable>),
    /// `CREATE DATABASE [IF NOT EXISTS] name [ENGINE = ...]`.
    CreateDatabase {
        /// The database name.
        name: String,
        /// `IF NOT EXISTS` was given.
        if_not_exists: bool,
    },
    /// `CREATE MATERIALIZED VIEW [IF NOT EXISTS] [db.]name TO [db.]target AS SELECT ...`,
    /// or with `ENGINE = ... [POPULATE]` for an inner target table.
    CreateMaterializedView(Box<CreateMaterializedView>),
    /// `CREATE [OR REPLACE] VIEW [IF NOT EXISTS] [db.]name AS SELECT ...`.
    CreateView(Box<CreateView>),
    /// `DROP TABLE [IF EXISTS] [db.]name [SYNC]` (also `DROP VIEW`).
    DropTable {
        /// The database, if qualified.
        database: Option<String>,
        /// The table.
        name: String,
        /// `IF EXISTS` was given.
        if_exists: bool,
    },
    /// `DROP DATABASE [IF EXISTS] name [SYNC]`.
    DropDatabase {
        /// The database.
        name: String,
        /// `IF EXISTS` was given.
        if_exists: bool,
    },
    /// `TRUNCATE [TABLE] [IF EXISTS] [db.]name`.
    Truncate {
        /// The database, if qualified.
        database: Option<String>,
        /// The table.
        name: String,
    },
    /// `OPTIMIZE TABLE [db.]name [PARTITION expr | PARTITION ID 'id'] [FINAL] [DEDUPLICATE]`.
    Optimize {
        /// The database, if qualified.
        database: Option<String>,
        /// The table.
        name: String,
        /// The partition, if given.
        partition: Option<PartitionSpec>,
        /// `FINAL` was given.
        final_: bool,
        /// `DEDUPLICATE` was given.
        deduplicate: bool,
    },
    /// `ALTER TABLE [db.]name DROP PARTITION expr | ID 'id'`.
    AlterDropPartition {
        /// The database, if qualified.
        database: Option<String>,
        /// The table.
        name: String,
        /// The partition.
        partition: PartitionSpec,
    },
    /// `INSERT INTO [TABLE] [db.]name [(cols)] [SETTINGS ...] VALUES | FORMAT | SELECT`.
    Insert(Box<Insert>),
    /// `USE db`.
    Use {
        /// The database.
        database: String,
    },
    /// `SET name = value, ...` (string values unquoted).
    Set {
        /// The settings.
        settings: Vec<(String, String)>,
    },
    /// `SHOW TABLES [FROM|IN db] [[NOT] LIKE 'pattern']`.
    ShowTables {
        /// The database, if given.
        database: Option<String>,
        /// The LIKE pattern, if given.
        like: Option<String>,
        /// `FORMAT name`, if given.
        format: Option<String>,
    },
    /// `SHOW DATABASES [LIKE 'pattern']`.
    ShowDatabases {
        /// The LIKE pattern, if given.
        like: Option<String>,
        /// `FORMAT name`, if given.
        format: Option<String>,
    },
    /// `SHOW CREATE [TABLE] [db.]name`.
    ShowCreateTable {
        /// The database, if qualified.
        database: Option<String>,
        /// The table.
        name: String,
        /// `FORMAT name`, if given.
        format: Option<String>,
    },
    /// `DESCRIBE [TABLE] [db.]name` (also `DESC`).
    Describe {
        /// The database, if qualified.
        database: Option<String>,
        /// The table.
        name: String,
        /// `FORMAT name`, if given.
        format: Option<String>,
    },
    /// `EXISTS [TABLE] [db.]name`.
    Exists {
        /// The database, if qualified.
        database: Option<String>,
        /// The table.
        name: String,
        /// `FORMAT name`, if given.
        format: Option<String>,
    },
    /// `SYSTEM STOP MERGES [[db.]name]` / `SYSTEM START MERGES [[db.]name]`.
    SystemMerges {
        /// STOP (true) or START (false).
        stop: bool,
        /// The database, if qualified.
        database: Option<String>,
        /// The table; `None` means every table.
        name: Option<String>,
    },
    /// Any other statement sqlparser understands (`CREATE VIEW`, `DELETE`, `RENAME`, ...),
    /// as sqlparser parsed it; the session decides whether it is supported.
    Other(Box<sqlparser::ast::Statement>),
}

impl Statement {
    /// The output format the statement asked for with `FORMAT name`, if any.
    pub fn format(&self) -> Option<&str> {
        match self {
            Statement::Select { format, .. }
            | Statement::ShowTables { format, .. }
            | Statement::ShowDatabases { format, .. }
            | Statement::ShowCreateTable { format, .. }
            | Statement::Describe { format, .. }
            | Statement::Exists { format, .. } => format.as_deref(),
            Statement::Explain { statement, .. } => statement.format(),
            _ => None,
        }
    }
}

/// A partition named in `OPTIMIZE ... PARTITION` or `ALTER ... DROP PARTITION`.
#[derive(Clone, Debug, PartialEq)]
#[allow(clippy::large_enum_variant)] // rare and short-lived; the session matches on `Expr(e)`
pub enum PartitionSpec {
    /// `PARTITION expr`: a value (`202401`, `'2024-01-01'`) or a tuple `(a, b)`.
    Expr(Expr),
    /// `PARTITION ID 'id'`: the partition's id as it appears in part names.
    Id(String),
}

/// A parsed `CREATE TABLE`.
#[derive(Clone, Debug, PartialEq)]
pub struct CreateTable {
    /// The database, if qualified.
    pub database: Option<String>,
    /// The table name.
    pub name: String,
    /// `IF NOT EXISTS` was given.
    pub if_not_exists: bool,
    /// `CREATE OR REPLACE TABLE` was written.
    pub or_replace: bool,
    /// The table's definition. For `MergeTree` engines it is complete and validated; for
    /// other engines (see `other_engine`) only `columns` is meaningful. With `AS SELECT`
    /// and no column list, `columns` is empty: the session takes them from the query.
    pub schema: TableSchema,
    /// The engine name as written (`MergeTree`, `ReplacingMergeTree`, `Memory`, ...).
    pub engine_name: String,
    /// `AS SELECT ...`, if given.
    pub as_select: Option<Box<Query>>,
    /// A non-MergeTree engine (`Memory`, `Null`, `Log`, `Kafka`, ...) with the source text of
    /// each engine argument.
    pub other_engine: Option<(String, Vec<String>)>,
    /// The table `SETTINGS` as written (string values unquoted), for every engine. For
    /// MergeTree engines they are also applied to `schema.settings`.
    pub settings: Vec<(String, String)>,
    /// The table `COMMENT`, empty if none.
    pub comment: String,
    /// The statement's original text.
    pub create_query: String,
}

/// A parsed `CREATE MATERIALIZED VIEW ... TO target AS SELECT`.
#[derive(Clone, Debug, PartialEq)]
pub struct CreateMaterializedView {
    /// The view's database, if qualified.
    pub database: Option<String>,
    /// The view name.
    pub name: String,
    /// `IF NOT EXISTS` was given.
    pub if_not_exists: bool,
    /// Where the rows go: a table (`TO [db.]t`) or an inner table.
    pub target: ViewTarget,
    /// `POPULATE`: fill the inner table from the source's existing rows.
    pub populate: bool,
    /// The view's query.
    pub query: Box<Query>,
    /// The view's query as written.
    pub select_query: String,
    /// The statement's original text.
    pub create_query: String,
}

/// The target of a materialized view.
#[derive(Clone, Debug, PartialEq)]
pub enum ViewTarget {
    /// `TO [db.]t`, as (database, table).
    To(Option<String>, String),
    /// `[(columns)] ENGINE = ... ORDER BY ...`: the view's own inner table. Its `columns`
    /// are empty when the query's result gives them; name and `create_query` are the view's.
    Inner(Box<CreateTable>),
}

/// A parsed `CREATE VIEW`.
#[derive(Clone, Debug, PartialEq)]
pub struct CreateView {
    /// The view's database, if qualified.
    pub database: Option<String>,
    /// The view name.
    pub name: String,
    /// `IF NOT EXISTS` was given.
    pub if_not_exists: bool,
    /// `OR REPLACE` was given.
    pub or_replace: bool,
    /// The view's query.
    pub query: Box<Query>,
    /// The view's query as written.
    pub select_query: String,
    /// The statement's original text.
    pub create_query: String,
}

/// A parsed `INSERT`.
#[derive(Clone, Debug, PartialEq)]
pub struct Insert {
    /// The database, if qualified.
    pub database: Option<String>,
    /// The table.
    pub name: String,
    /// The column list; empty means every insertable column in table order.
    pub columns: Vec<String>,
    /// `SETTINGS ...` written before the data (string values unquoted).
    pub settings: Vec<(String, String)>,
    /// Where the rows come from.
    pub source: InsertSource,
}

/// The rows of an `INSERT`.
#[derive(Clone, Debug, PartialEq)]
pub enum InsertSource {
    /// `VALUES (..), (..)`: one expression per column per row.
    Values(Vec<Vec<Expr>>),
    /// `SELECT ...`.
    Select(Box<Query>),
    /// `FORMAT name <data>`: the data is the original text from `data_offset` on.
    Format {
        /// The input format name as written.
        format: String,
        /// Byte offset in the original text where the row data begins (after the format
        /// name, its trailing blanks and at most one newline).
        data_offset: usize,
    },
}

/// Whether a table alias is really the `FINAL` modifier: sqlparser reads `FROM t FINAL` as
/// `t` with the implicit alias `FINAL`. An explicit `AS final` is a real alias.
pub fn is_final_alias(alias: &TableAlias) -> bool {
    !alias.explicit
        && alias.name.quote_style.is_none()
        && alias.name.value.eq_ignore_ascii_case("FINAL")
        && alias.columns.is_empty()
}

/// Parses exactly one statement (a single trailing `;` is allowed), enforcing `limits`.
///
/// Errors: 62 SYNTAX_ERROR (also for text over `max_query_size` and for several
/// statements), 167 TOO_DEEP_AST, 50 UNKNOWN_TYPE for bad column types, and the storage
/// engine's codes for invalid table definitions.
pub fn parse_statement(sql: &str, limits: &ParseLimits) -> Result<Statement> {
    if starts_with_keyword(sql, "INSERT") {
        return insert::parse_insert(sql, limits);
    }
    if sql.len() > limits.max_query_size {
        return Err(error::query_too_large());
    }
    if let Some(stmt) = cache::get(sql, limits) {
        return Ok(stmt);
    }
    let lexed = lexer::Lexed::new(sql, limits)?;
    let stmt = parse_lexed(&lexed, 0, lexed.len(), limits)?;
    if lexed.depth <= cache::MAX_DEPTH {
        cache::put(sql, limits, &stmt);
    }
    Ok(stmt)
}

/// Parses the significant tokens `from..to` of `lexed` as one statement.
fn parse_lexed(
    lexed: &lexer::Lexed<'_>,
    from: usize,
    to: usize,
    limits: &ParseLimits,
) -> Result<Statement> {
    let to = lexed.strip_statement_end(from, to)?;
    if from >= to {
        return Err(error::syntax_error(
            lexed.sql,
            lexed.offset_of(from),
            "Empty query",
        ));
    }
    let first = lexed.keyword_upper(from).unwrap_or_default();
    match first.as_str() {
        "SELECT" | "WITH" | "" => select::parse_select(lexed, from, to, limits),
        "EXPLAIN" => select::parse_explain(lexed, from, to, limits),
        "CREATE" | "ATTACH" => create::parse_create(lexed, from, to, limits),
        "INSERT" => Err(error::syntax_error(
            lexed.sql,
            lexed.offset_of(from),
            "INSERT must be the whole query",
        )),
        _ => ddl::parse_other(lexed, from, to, limits),
    }
}

/// Whether `sql` starts (after blanks and comments) with the keyword `kw`.
fn starts_with_keyword(sql: &str, kw: &str) -> bool {
    let rest = lexer::skip_blanks_and_comments(sql, 0);
    let s = &sql[rest..];
    s.len() >= kw.len()
        && s.as_bytes()[..kw.len()].eq_ignore_ascii_case(kw.as_bytes())
        && !s
            .as_bytes()
            .get(kw.len())
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
}
