//! Tables of stream engines (Kafka): their rows exist only while a block of messages runs
//! through the materialized views that read the table. This module knows their columns,
//! virtual ones included.

use granary_storage::types::DataType;
use granary_storage::view::{ExternalTable, QualifiedName};
use granary_storage::StorageEngine;

use crate::error::Result;

/// The Kafka engine's virtual columns, in the order blocks carry them after the table's
/// own columns. `stream_mode` (`kafka_handle_error_mode = 'stream'`) adds `_raw_message`
/// and `_error`.
pub fn kafka_virtual_columns(stream_mode: bool) -> Vec<(String, DataType)> {
    let mut v = vec![
        (
            "_topic".to_string(),
            DataType::LowCardinality(Box::new(DataType::String)),
        ),
        ("_key".to_string(), DataType::String),
        ("_offset".to_string(), DataType::UInt64),
        ("_partition".to_string(), DataType::UInt64),
        (
            "_timestamp".to_string(),
            DataType::Nullable(Box::new(DataType::DateTime(None))),
        ),
        (
            "_timestamp_ms".to_string(),
            DataType::Nullable(Box::new(DataType::DateTime64(3, None))),
        ),
        (
            "_headers.name".to_string(),
            DataType::Array(Box::new(DataType::String)),
        ),
        (
            "_headers.value".to_string(),
            DataType::Array(Box::new(DataType::String)),
        ),
    ];
    if stream_mode {
        v.push(("_raw_message".to_string(), DataType::String));
        v.push(("_error".to_string(), DataType::String));
    }
    v
}

/// Whether a Kafka table handles broken messages in stream mode.
pub fn is_stream_mode(table: &ExternalTable) -> bool {
    table.settings.iter().any(|(k, v)| {
        k == "kafka_handle_error_mode" && v.trim_matches('\'').eq_ignore_ascii_case("stream")
    })
}

/// The columns of an external table as its blocks carry them: its own, then its engine's
/// virtual columns.
pub fn external_columns(table: &ExternalTable) -> Vec<(String, DataType)> {
    let mut cols: Vec<(String, DataType)> = table
        .columns
        .iter()
        .map(|c| (c.name.clone(), c.data_type.clone()))
        .collect();
    if table.engine == "Kafka" {
        cols.extend(kafka_virtual_columns(is_stream_mode(table)));
    }
    cols
}

/// The columns a block inserted into `name` has: a MergeTree table's stored columns, or
/// an external table's columns with its virtual ones.
pub fn block_columns(
    engine: &StorageEngine,
    name: &QualifiedName,
) -> Result<Vec<(String, DataType)>> {
    if let Some(x) = engine.external_table(&name.database, &name.table) {
        return Ok(external_columns(&x));
    }
    let table = engine.table(&name.database, &name.table)?;
    Ok(table
        .schema()
        .stored_columns()
        .map(|c| (c.name.clone(), c.data_type.clone()))
        .collect())
}

/// The Arrow schema of a block with `columns` (each nullable, in its type's carrier).
pub fn block_schema(columns: &[(String, DataType)]) -> arrow::datatypes::SchemaRef {
    std::sync::Arc::new(arrow::datatypes::Schema::new(
        columns
            .iter()
            .map(|(n, t)| arrow::datatypes::Field::new(n, t.to_arrow(), true))
            .collect::<Vec<_>>(),
    ))
}
