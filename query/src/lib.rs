//! Granary's query engine: ClickHouse-dialect SQL parsed, bound with ClickHouse's type
//! rules, planned into pipelines over MergeTree parts and executed vectorized over Arrow
//! arrays on every core.

pub mod aggregates;
pub mod columnar;
pub mod error;
pub mod format;
pub mod functions;
pub mod kafka_consumers;
pub mod kafka_settings;
pub mod plan;
pub mod session;
pub mod sql;

pub use error::{ErrorCode, QueryError, Result};

/// Installs what storage needs from the query engine (the merger of aggregate states for
/// AggregatingMergeTree): called by `Session::new` and at server startup; idempotent.
pub fn install_storage_hooks() {
    granary_storage::merge::mode::aggregating::install_state_merger(std::sync::Arc::new(
        aggregates::storage_merger::StateMerger,
    ));
}
