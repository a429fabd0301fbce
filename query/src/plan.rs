//! Planning and executing queries.

pub mod aggregate;
pub mod binder;
pub mod explain;
pub mod expr;
mod file_source;
pub mod group_keys;
pub mod join;
mod lazy;
pub mod select;
pub mod source;
pub mod stream;
mod sum_rewrite;
pub mod system;
pub mod view;

use std::sync::Arc;
use std::time::{Duration, Instant};

use granary_storage::StorageEngine;

use crate::error::Result;
use crate::query_err;

/// Settings that shape a query's execution (ClickHouse's names).
#[derive(Clone, Debug)]
pub struct QuerySettings {
    /// Threads that run a query's pipeline.
    pub max_threads: usize,
    /// Most rows a result may have (`None`: no limit).
    pub max_result_rows: Option<u64>,
    /// Longest a query may run (`None`: no limit).
    pub max_execution_time: Option<Duration>,
    /// Most bytes a query's pipeline state (hash tables, collected rows) may hold
    /// (`None`: no limit); beyond it the query fails with MEMORY_LIMIT_EXCEEDED (241).
    pub max_memory_usage: Option<u64>,
    /// `user_files_path`: the directory `file()` reads from (`None`: `<data dir>/user_files`).
    pub user_files_path: Option<std::path::PathBuf>,
}

/// The cores this process may use, asked once: `available_parallelism` reads cgroup files
/// on every call, too slow for a per-query default.
pub fn default_max_threads() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    })
}

impl Default for QuerySettings {
    fn default() -> Self {
        QuerySettings {
            max_threads: default_max_threads(),
            max_result_rows: None,
            max_execution_time: None,
            max_memory_usage: None,
            user_files_path: None,
        }
    }
}

/// What a query runs against.
#[derive(Clone)]
pub struct QueryContext {
    /// The storage engine.
    pub engine: Arc<StorageEngine>,
    /// The current database.
    pub database: String,
    /// Execution settings.
    pub settings: QuerySettings,
    /// Common table expressions in scope (`WITH name AS (SELECT ...)`), innermost last.
    pub ctes: Vec<(String, Arc<sqlparser::ast::Query>)>,
    /// While a materialized view runs: the block inserted into its source table, which
    /// the query reads in place of that table.
    pub inserted: Option<Arc<InsertedBlock>>,
    /// How many views deep this query runs (a view reading a view ...).
    pub view_depth: usize,
    /// The user the query runs as (`currentUser()`).
    pub user: String,
}

/// A block inserted into a table, as a materialized view's query sees it.
#[derive(Debug)]
pub struct InsertedBlock {
    /// The table the block was inserted into.
    pub table: granary_storage::view::QualifiedName,
    /// The table's stored columns.
    pub columns: Vec<(String, granary_storage::types::DataType)>,
    /// The rows, with the table's stored columns.
    pub batch: arrow::record_batch::RecordBatch,
}

impl InsertedBlock {
    /// Whether `FROM db.table` reads this block: it names the table, or a materialized
    /// view whose target is the table (a chain of views).
    pub fn is_read_as(&self, ctx: &QueryContext, db: &str, table: &str) -> bool {
        self.table.is(db, table)
            || ctx
                .engine
                .view(db, table)
                .and_then(|v| v.target.clone())
                .is_some_and(|t| t == self.table)
    }
}

impl QueryContext {
    /// A context over `engine` with `database` current and default settings (for work
    /// that runs outside a session: stream ingestion).
    pub fn new(engine: Arc<StorageEngine>, database: &str) -> QueryContext {
        QueryContext {
            engine,
            database: database.to_string(),
            settings: QuerySettings::default(),
            ctes: Vec::new(),
            inserted: None,
            view_depth: 0,
            user: "default".to_string(),
        }
    }

    /// Fails with TIMEOUT_EXCEEDED once `max_execution_time` has passed since `started`.
    pub fn check_limits(&self, started: Instant) -> Result<()> {
        if let Some(max) = self.settings.max_execution_time {
            let spent = started.elapsed();
            if spent > max {
                return query_err!(
                    TimeoutExceeded,
                    "Timeout exceeded: elapsed {:.3} seconds, maximum: {:.3}",
                    spent.as_secs_f64(),
                    max.as_secs_f64()
                );
            }
        }
        Ok(())
    }
}
