//! Granary's storage engine: a MergeTree-style LSM of immutable, sorted, compressed column
//! parts with a sparse primary index, atomic multi-part commits and background merges.
//!
//! It knows nothing of SQL, HTTP or Kafka: callers hand it Arrow arrays and key ranges.

pub mod background;
pub mod codec;
pub mod engine;
pub mod error;
pub mod fs;
pub mod key_expr;
pub mod merge;
pub mod part;
pub mod schema;
pub mod settings;
pub mod table;
pub mod transaction;
pub mod txn_log;
pub mod types;
pub mod value;
pub mod view;

pub use engine::StorageEngine;
pub use error::{Result, StorageError};
pub use table::MergeTreeTable;
