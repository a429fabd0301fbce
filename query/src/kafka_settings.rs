//! The Kafka engine's settings, from `ENGINE = Kafka SETTINGS kafka_... = ...` or the
//! positional form `Kafka('broker', 'topic', 'group', 'format', ...)`, with ClickHouse's
//! names. Validated when the table is created; read by the ingest crate's consumers.

use std::time::Duration;

use granary_storage::view::ExternalTable;

use crate::error::{ErrorCode, QueryError, Result};
use crate::format::input;

/// The order of the engine's positional arguments (ClickHouse's).
const POSITIONAL: &[&str] = &[
    "kafka_broker_list",
    "kafka_topic_list",
    "kafka_group_name",
    "kafka_format",
    "kafka_row_delimiter",
    "kafka_schema",
    "kafka_num_consumers",
    "kafka_max_block_size",
    "kafka_skip_broken_messages",
    "kafka_commit_every_batch",
    "kafka_client_id",
    "kafka_poll_timeout_ms",
    "kafka_poll_max_batch_size",
    "kafka_flush_interval_ms",
    "kafka_thread_per_consumer",
    "kafka_handle_error_mode",
    "kafka_commit_on_select",
    "kafka_max_rows_per_message",
];

/// How broken messages are handled (`kafka_handle_error_mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorMode {
    /// Skip up to `kafka_skip_broken_messages` per batch, else fail the batch.
    Default,
    /// Deliver them to the views with `_raw_message` and `_error` set.
    Stream,
}

/// A Kafka table's settings.
#[derive(Clone, Debug, PartialEq)]
pub struct KafkaSettings {
    /// `kafka_broker_list`: `host:port[,host:port]`.
    pub broker_list: String,
    /// `kafka_topic_list`: the topics, comma-separated.
    pub topics: Vec<String>,
    /// `kafka_group_name`: the consumer group.
    pub group_name: String,
    /// `kafka_format`: the messages' input format.
    pub format: String,
    /// `kafka_num_consumers`: consumers (threads) per table.
    pub num_consumers: usize,
    /// `kafka_max_block_size`: most messages per batch.
    pub max_block_size: usize,
    /// `kafka_flush_interval_ms`: longest a batch waits for more messages (default
    /// 250 ms, so a message is queryable well within a second).
    pub flush_interval: Duration,
    /// `kafka_skip_broken_messages`: broken messages a batch may skip.
    pub skip_broken_messages: u64,
    /// `kafka_handle_error_mode`.
    pub handle_error_mode: ErrorMode,
    /// `kafka_client_id`.
    pub client_id: Option<String>,
    /// `kafka_commit_every_batch`: accepted; every batch is committed anyway.
    pub commit_every_batch: bool,
    /// `kafka_poll_timeout_ms`: how long one poll waits.
    pub poll_timeout: Duration,
}

fn bad(message: String) -> QueryError {
    QueryError::new(ErrorCode::BadArguments, message)
}

impl KafkaSettings {
    /// Reads the settings of a Kafka table definition.
    pub fn from_table(table: &ExternalTable) -> Result<KafkaSettings> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        if table.engine_args.len() > POSITIONAL.len() {
            return Err(bad(format!(
                "Kafka takes at most {} arguments, got {}",
                POSITIONAL.len(),
                table.engine_args.len()
            )));
        }
        for (name, value) in POSITIONAL.iter().zip(&table.engine_args) {
            pairs.push((name.to_string(), value.clone()));
        }
        pairs.extend(table.settings.iter().cloned());
        let mut s = KafkaSettings {
            broker_list: String::new(),
            topics: Vec::new(),
            group_name: String::new(),
            format: String::new(),
            num_consumers: 1,
            max_block_size: 65_536,
            flush_interval: Duration::from_millis(250),
            skip_broken_messages: 0,
            handle_error_mode: ErrorMode::Default,
            client_id: None,
            commit_every_batch: false,
            poll_timeout: Duration::from_millis(100),
        };
        for (name, value) in pairs {
            let v = value.trim().trim_matches('\'').to_string();
            let number = |v: &str| -> Result<u64> {
                v.parse::<u64>()
                    .map_err(|_| bad(format!("Setting {name} expects a number, got '{v}'")))
            };
            match name.as_str() {
                "kafka_broker_list" => s.broker_list = v,
                "kafka_topic_list" => {
                    s.topics = v
                        .split(',')
                        .map(|t| t.trim().to_string())
                        .filter(|t| !t.is_empty())
                        .collect()
                }
                "kafka_group_name" => s.group_name = v,
                "kafka_format" => s.format = v,
                "kafka_num_consumers" => s.num_consumers = number(&v)?.clamp(1, 64) as usize,
                "kafka_max_block_size" => s.max_block_size = number(&v)?.max(1) as usize,
                "kafka_flush_interval_ms" => {
                    s.flush_interval = Duration::from_millis(number(&v)?.max(1))
                }
                "kafka_poll_timeout_ms" => s.poll_timeout = Duration::from_millis(number(&v)?),
                "kafka_skip_broken_messages" => s.skip_broken_messages = number(&v)?,
                "kafka_handle_error_mode" => {
                    s.handle_error_mode = match v.to_ascii_lowercase().as_str() {
                        "default" => ErrorMode::Default,
                        "stream" => ErrorMode::Stream,
                        other => {
                            return Err(bad(format!(
                        "Unknown kafka_handle_error_mode '{other}': expected 'default' or 'stream'"
                    )))
                        }
                    }
                }
                "kafka_client_id" => s.client_id = Some(v).filter(|c| !c.is_empty()),
                "kafka_commit_every_batch" => s.commit_every_batch = number(&v)? != 0,
                // Accepted, no effect here.
                "kafka_row_delimiter"
                | "kafka_schema"
                | "kafka_poll_max_batch_size"
                | "kafka_thread_per_consumer"
                | "kafka_commit_on_select"
                | "kafka_max_rows_per_message" => {}
                other => {
                    return Err(QueryError::new(
                        ErrorCode::UnknownSetting,
                        format!("Unknown setting '{other}' for storage Kafka"),
                    ))
                }
            }
        }
        for (value, name) in [
            (&s.broker_list, "kafka_broker_list"),
            (&s.group_name, "kafka_group_name"),
            (&s.format, "kafka_format"),
        ] {
            if value.is_empty() {
                return Err(QueryError::new(
                    ErrorCode::NumberOfArgumentsDoesntMatch,
                    format!("Storage Kafka requires {name}"),
                ));
            }
        }
        if s.topics.is_empty() {
            return Err(QueryError::new(
                ErrorCode::NumberOfArgumentsDoesntMatch,
                "Storage Kafka requires kafka_topic_list",
            ));
        }
        if !input::is_supported(&s.format) {
            return Err(QueryError::new(
                ErrorCode::UnknownFormat,
                format!("Unknown input format {} for storage Kafka", s.format),
            ));
        }
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use granary_storage::schema::ColumnDef;
    use granary_storage::types::DataType;

    fn table(args: &[&str], settings: &[(&str, &str)]) -> ExternalTable {
        ExternalTable {
            engine: "Kafka".into(),
            engine_args: args.iter().map(|s| s.to_string()).collect(),
            settings: settings
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            columns: vec![ColumnDef::new("x", DataType::UInt64)],
            create_query: String::new(),
        }
    }

    #[test]
    fn positional_and_named() {
        let s = KafkaSettings::from_table(&table(
            &["localhost:9092", "a, b", "g", "JSONEachRow"],
            &[
                ("kafka_num_consumers", "2"),
                ("kafka_handle_error_mode", "stream"),
            ],
        ))
        .unwrap();
        assert_eq!(s.topics, ["a", "b"]);
        assert_eq!(s.num_consumers, 2);
        assert_eq!(s.handle_error_mode, ErrorMode::Stream);
        assert_eq!(s.flush_interval, Duration::from_millis(250));
        let err =
            KafkaSettings::from_table(&table(&[], &[("kafka_broker_list", "b")])).unwrap_err();
        assert_eq!(err.code(), 42);
        let err = KafkaSettings::from_table(&table(
            &["b", "t", "g", "JSONEachRow"],
            &[("kafka_nope", "1")],
        ))
        .unwrap_err();
        assert_eq!(err.code(), 115);
        let err =
            KafkaSettings::from_table(&table(&["b", "t", "g", "NoSuchFormat"], &[])).unwrap_err();
        assert_eq!(err.code(), 73);
    }
}
