//! Planning and executing queries.

pub mod aggregate;
pub mod binder;
pub mod explain;
pub mod expr;
mod file_source;
pub mod join;
pub mod select;
pub mod source;
pub mod system;

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

impl Default for QuerySettings {
    fn default() -> Self {
        QuerySettings {
            max_threads: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
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
}

impl QueryContext {
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
