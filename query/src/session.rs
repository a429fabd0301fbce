//! A session: the current database and settings, and the entry point that runs one SQL
//! statement against the storage engine.

mod ddl;
mod insert;
mod readonly;
mod show;
pub mod view_insert;
mod views;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use granary_storage::StorageEngine;

use crate::error::Result;
use crate::plan::select::execute_query;
pub use crate::plan::select::QueryOutput;

/// The longest prefix of `bytes` that is valid UTF-8.
pub fn utf8_prefix(bytes: &[u8]) -> &str {
    match std::str::from_utf8(bytes) {
        Ok(s) => s,
        // The prefix up to `valid_up_to` is valid UTF-8 by definition.
        Err(e) => std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default(),
    }
}

use crate::plan::{QueryContext, QuerySettings};
use crate::query_err;
use crate::sql::{parse_statement, ParseLimits, Statement};
pub(crate) use insert::cast_to;
pub use insert::to_carrier;

/// When the first session of this process was created (the server's start, for
/// `uptime()`).
static STARTED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

/// Whole seconds since the first session of this process was created.
pub fn uptime_seconds() -> u32 {
    STARTED
        .get_or_init(std::time::Instant::now)
        .elapsed()
        .as_secs()
        .min(u32::MAX as u64) as u32
}

/// This machine's host name (`/etc/hostname`, else `HOSTNAME`, else `localhost`).
pub fn host_name() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".into())
}

/// A client session.
pub struct Session {
    engine: Arc<StorageEngine>,
    /// The current database (`USE db`).
    pub database: String,
    /// Execution settings.
    pub settings: QuerySettings,
    /// Parser limits (`max_query_size`, `max_ast_depth`).
    pub limits: ParseLimits,
    /// Values of `{name:Type}` placeholders (`param_name=...`), filled in before parsing.
    pub params: HashMap<String, String>,
    /// ClickHouse's `readonly` level: 0 everything, 1 reads only (no SET), 2 reads and SET.
    pub readonly: u8,
    /// The user the session runs as (`currentUser()`).
    pub user: String,
}

impl Session {
    /// A session on `engine`, in database `default`.
    pub fn new(engine: Arc<StorageEngine>) -> Session {
        STARTED.get_or_init(std::time::Instant::now);
        crate::install_storage_hooks();
        Session {
            engine,
            database: "default".into(),
            settings: QuerySettings::default(),
            limits: ParseLimits::default(),
            params: HashMap::new(),
            readonly: 0,
            user: "default".into(),
        }
    }

    /// The storage engine.
    pub fn engine(&self) -> &Arc<StorageEngine> {
        &self.engine
    }

    fn context(&self, settings: &QuerySettings) -> QueryContext {
        QueryContext {
            engine: self.engine.clone(),
            database: self.database.clone(),
            settings: settings.clone(),
            ctes: Vec::new(),
            inserted: None,
            view_depth: 0,
            user: self.user.clone(),
        }
    }

    /// `database` or the current one.
    fn db(&self, database: &Option<String>) -> String {
        database.clone().unwrap_or_else(|| self.database.clone())
    }

    /// Applies `SET`/`SETTINGS` pairs to `settings`; an unknown name is error 115.
    fn apply_settings(
        &mut self,
        settings: &mut QuerySettings,
        pairs: &[(String, String)],
    ) -> Result<()> {
        for (k, v) in pairs {
            let v = v.trim().trim_matches('\'');
            let num = |v: &str| -> Result<u64> {
                v.parse::<u64>().map_err(|_| {
                    crate::error::QueryError::new(
                        crate::error::ErrorCode::CannotParseNumber,
                        format!("Cannot parse '{v}' as a number for setting {k}"),
                    )
                })
            };
            match k.as_str() {
                "max_threads" => {
                    let n = num(v)? as usize;
                    settings.max_threads = if n == 0 {
                        QuerySettings::default().max_threads
                    } else {
                        n
                    };
                }
                "max_memory_usage" => {
                    let n = num(v)?;
                    settings.max_memory_usage = (n > 0).then_some(n);
                }
                "max_result_rows" => {
                    let n = num(v)?;
                    settings.max_result_rows = (n > 0).then_some(n);
                }
                "max_execution_time" => {
                    let secs: f64 = v.parse().map_err(|_| {
                        crate::error::QueryError::new(
                            crate::error::ErrorCode::CannotParseNumber,
                            format!("Cannot parse '{v}' as a number for setting {k}"),
                        )
                    })?;
                    settings.max_execution_time =
                        (secs > 0.0).then(|| Duration::from_secs_f64(secs));
                }
                "max_query_size" => self.limits.max_query_size = num(v)? as usize,
                "max_ast_depth" => self.limits.max_ast_depth = num(v)? as usize,
                // Output settings are applied by the HTTP layer when it formats the result;
                // a session accepts them so SETTINGS and SET may name them.
                "output_format_json_quote_64bit_integers"
                | "output_format_json_quote_decimals"
                | "output_format_json_quote_denormals"
                | "output_format_json_escape_forward_slashes"
                | "output_format_write_statistics"
                | "output_format_pretty_row_numbers"
                | "output_format_pretty_max_rows"
                | "output_format_arrow_string_as_string"
                | "output_format_arrow_low_cardinality_as_dictionary"
                | "output_format_arrow_compression_method"
                | "output_format_parquet_string_as_string"
                | "output_format_parquet_compression_method"
                | "output_format_parquet_row_group_size"
                | "input_format_allow_errors_num"
                | "input_format_allow_errors_ratio"
                | "input_format_skip_unknown_fields"
                | "input_format_null_as_default"
                // DESCRIBE never lists subcolumns here; clients (the Rust client) set it to 0.
                | "describe_include_subcolumns" => {}
                other => return query_err!(UnknownSetting, "Unknown setting '{other}'"),
            }
        }
        Ok(())
    }

    /// Applies settings for the rest of the session (`SET`, or URL parameters of an HTTP
    /// request); an unknown setting is error 115.
    pub fn set(&mut self, pairs: &[(String, String)]) -> Result<()> {
        let mut s = self.settings.clone();
        self.apply_settings(&mut s, pairs)?;
        self.settings = s;
        Ok(())
    }

    /// Runs one statement.
    pub fn execute(&mut self, sql: &str) -> Result<QueryOutput> {
        self.execute_bytes(sql.as_bytes())
    }

    /// Runs one statement given as bytes: the statement must be UTF-8 text, while the row
    /// data after `INSERT ... FORMAT X` may be binary (Parquet, Arrow, ...).
    ///
    /// Errors: 6 CANNOT_PARSE_TEXT when bytes that are not UTF-8 appear anywhere else.
    pub fn execute_bytes(&mut self, query: &[u8]) -> Result<QueryOutput> {
        let substituted = crate::sql::substitute_query(query, &self.params, &self.limits)?;
        let query = substituted.as_ref();
        let sql = utf8_prefix(query);
        let stmt = parse_statement(sql, &self.limits)?;
        readonly::check(self.readonly, &stmt)?;
        let binary_data = matches!(
            &stmt,
            Statement::Insert(ins) if matches!(ins.source, crate::sql::InsertSource::Format { .. })
        );
        if sql.len() < query.len() && !binary_data {
            return query_err!(CannotParseText, "The query is not valid UTF-8");
        }
        let format = stmt.format().map(|f| f.to_string());
        let mut out = self.execute_statement(query, stmt)?;
        out.format = format;
        Ok(out)
    }

    fn execute_statement(&mut self, query: &[u8], stmt: Statement) -> Result<QueryOutput> {
        match stmt {
            Statement::Select {
                query, settings, ..
            } => {
                let mut s = self.settings.clone();
                self.apply_settings(&mut s, &settings)?;
                execute_query(&self.context(&s), &query)
            }
            Statement::Explain { statement, .. } => match *statement {
                Statement::Select { query, .. } => {
                    crate::plan::explain::explain(&self.context(&self.settings), &query)
                }
                _ => query_err!(NotImplemented, "EXPLAIN is supported for SELECT only"),
            },
            Statement::Set { settings } => {
                let mut s = self.settings.clone();
                self.apply_settings(&mut s, &settings)?;
                self.settings = s;
                Ok(QueryOutput::default())
            }
            Statement::Use { database } => {
                if !self.engine.database_exists(&database) {
                    return query_err!(UnknownDatabase, "Database {database} does not exist");
                }
                self.database = database;
                Ok(QueryOutput::default())
            }
            Statement::Insert(ins) => {
                let ctx = self.context(&self.settings);
                insert::execute_insert(&ctx, query, &ins)
            }
            Statement::ShowTables { .. }
            | Statement::ShowDatabases { .. }
            | Statement::ShowCreateTable { .. }
            | Statement::Describe { .. }
            | Statement::Exists { .. } => show::execute_show(self, stmt),
            other => ddl::execute_ddl(self, other),
        }
    }
}
