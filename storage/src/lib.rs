//! Granary's storage engine: a MergeTree-style LSM of immutable, sorted, compressed column
//! parts with a sparse primary index, atomic multi-part commits and background merges.
//!
//! It knows nothing of SQL, HTTP or Kafka: callers hand it Arrow arrays and key ranges.

pub mod codec;
pub mod error;
pub mod fs;
pub mod key_expr;
pub mod part;
pub mod schema;
pub mod settings;
pub mod types;
pub mod value;

pub use error::{Result, StorageError};
