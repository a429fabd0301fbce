//! `system.kafka_consumers`: what the Kafka engine's consumers report, and the slot through
//! which the engine (in the ingest crate, which depends on this one) hands them to the
//! system table. The server registers its engine at start; with none registered the table
//! is empty.
//!
//! The columns are ClickHouse's (`assignments.*` and `exceptions.*` as parallel arrays),
//! followed by Granary's additions: per-assignment high watermark and lag, and the count of
//! broken messages skipped.

use std::collections::VecDeque;
use std::sync::{Arc, RwLock, Weak};
use std::time::{SystemTime, UNIX_EPOCH};

use arrow::array::{
    ArrayRef, BinaryArray, BinaryBuilder, Int32Builder, Int64Array, Int64Builder, ListBuilder,
    UInt32Array, UInt32Builder, UInt64Array, UInt8Array,
};
use arrow::datatypes::Schema;
use arrow::record_batch::RecordBatch;
use granary_storage::types::DataType;

use crate::error::Result;

/// How many recent errors a consumer keeps for `exceptions.*` (ClickHouse keeps 10).
pub const MAX_EXCEPTIONS: usize = 10;

/// One partition assigned to a consumer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assignment {
    /// The topic.
    pub topic: String,
    /// The partition.
    pub partition: i32,
    /// The next offset to read (the offset stored with the data), or -1 when unknown.
    pub current_offset: i64,
    /// The partition's high watermark as last fetched, or -1 when not known yet.
    pub high_watermark: i64,
}

impl Assignment {
    /// Messages in the partition not yet committed here, or -1 when unknown.
    pub fn lag(&self) -> i64 {
        if self.high_watermark < 0 || self.current_offset < 0 {
            -1
        } else {
            (self.high_watermark - self.current_offset).max(0)
        }
    }
}

/// What `system.kafka_consumers` shows of one consumer.
#[derive(Clone, Debug, Default)]
pub struct ConsumerStatus {
    /// The Kafka table's database.
    pub database: String,
    /// The Kafka table.
    pub table: String,
    /// `<client id>-<n>`.
    pub consumer_id: String,
    /// The partitions currently assigned.
    pub assignments: Vec<Assignment>,
    /// The most recent errors, oldest first, at most [`MAX_EXCEPTIONS`].
    pub exceptions: VecDeque<(SystemTime, String)>,
    /// When the consumer last polled the broker.
    pub last_poll_time: Option<SystemTime>,
    /// Messages read and committed.
    pub num_messages_read: u64,
    /// When the last batch committed.
    pub last_commit_time: Option<SystemTime>,
    /// Batches committed.
    pub num_commits: u64,
    /// When the last rebalance (assignment or revocation) happened.
    pub last_rebalance_time: Option<SystemTime>,
    /// Revocations seen.
    pub num_rebalance_revocations: u64,
    /// Assignments seen.
    pub num_rebalance_assignments: u64,
    /// Whether a client is connected and subscribed now (false while backing off).
    pub is_currently_used: bool,
    /// When the consumer was last used (polled or committed).
    pub last_used: Option<SystemTime>,
    /// Broken messages skipped (`kafka_skip_broken_messages`).
    pub num_skipped: u64,
}

impl ConsumerStatus {
    /// Records an error, keeping only the latest [`MAX_EXCEPTIONS`].
    pub fn push_exception(&mut self, text: String) {
        if self.exceptions.len() >= MAX_EXCEPTIONS {
            self.exceptions.pop_front();
        }
        self.exceptions.push_back((SystemTime::now(), text));
    }
}

/// Whatever can list Kafka consumers: the ingest crate's `KafkaEngine`.
pub trait KafkaConsumersSource: Send + Sync {
    /// The status of every consumer, sorted by database, table and consumer id.
    fn kafka_consumers(&self) -> Vec<ConsumerStatus>;
}

/// The registered source. Weak, so the engine's lifetime stays its owner's business.
static SOURCE: RwLock<Option<Weak<dyn KafkaConsumersSource>>> = RwLock::new(None);

/// Makes `source` the one `system.kafka_consumers` reads (replacing any earlier one). One
/// server runs per process, so one slot is enough.
pub fn register_source(source: Weak<dyn KafkaConsumersSource>) {
    let mut slot = SOURCE.write().unwrap_or_else(|e| e.into_inner());
    *slot = Some(source);
}

/// The consumers of the registered source, or none.
pub fn consumers() -> Vec<ConsumerStatus> {
    let source: Option<Arc<dyn KafkaConsumersSource>> = SOURCE
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .as_ref()
        .and_then(Weak::upgrade);
    source.map(|s| s.kafka_consumers()).unwrap_or_default()
}

/// The columns of `system.kafka_consumers`, ClickHouse's names and types first.
pub const COLUMNS: &[(&str, &str)] = &[
    ("database", "String"),
    ("table", "String"),
    ("consumer_id", "String"),
    ("assignments.topic", "Array(String)"),
    ("assignments.partition_id", "Array(Int32)"),
    ("assignments.current_offset", "Array(Int64)"),
    ("exceptions.time", "Array(DateTime)"),
    ("exceptions.text", "Array(String)"),
    ("last_poll_time", "DateTime"),
    ("num_messages_read", "UInt64"),
    ("last_commit_time", "DateTime"),
    ("num_commits", "UInt64"),
    ("last_rebalance_time", "DateTime"),
    ("num_rebalance_revocations", "UInt64"),
    ("num_rebalance_assignments", "UInt64"),
    ("is_currently_used", "UInt8"),
    ("last_used", "DateTime64(6)"),
    ("assignments.high_watermark", "Array(Int64)"),
    ("assignments.lag", "Array(Int64)"),
    ("num_skipped_messages", "UInt64"),
];

fn seconds(t: Option<SystemTime>) -> u32 {
    t.and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_secs().min(u32::MAX as u64) as u32)
        .unwrap_or(0)
}

fn micros(t: Option<SystemTime>) -> i64 {
    t.and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_micros().min(i64::MAX as u128) as i64)
        .unwrap_or(0)
}

fn int64_lists(rows: &[ConsumerStatus], f: impl Fn(&Assignment) -> i64) -> ArrayRef {
    let mut b = ListBuilder::new(Int64Builder::new());
    for r in rows {
        for a in &r.assignments {
            b.values().append_value(f(a));
        }
        b.append(true);
    }
    Arc::new(b.finish())
}

fn strings(rows: &[ConsumerStatus], f: impl Fn(&ConsumerStatus) -> &str) -> ArrayRef {
    Arc::new(BinaryArray::from_iter_values(
        rows.iter().map(|r| f(r).as_bytes()),
    ))
}

fn counts(rows: &[ConsumerStatus], f: impl Fn(&ConsumerStatus) -> u64) -> ArrayRef {
    Arc::new(UInt64Array::from_iter_values(rows.iter().map(f)))
}

fn times(rows: &[ConsumerStatus], f: impl Fn(&ConsumerStatus) -> Option<SystemTime>) -> ArrayRef {
    Arc::new(UInt32Array::from_iter_values(
        rows.iter().map(|r| seconds(f(r))),
    ))
}

/// The rows of `system.kafka_consumers` as one batch (columns as [`COLUMNS`]).
pub fn batch(rows: &[ConsumerStatus]) -> Result<RecordBatch> {
    let mut topics = ListBuilder::new(BinaryBuilder::new());
    let mut partitions = ListBuilder::new(Int32Builder::new());
    let mut error_times = ListBuilder::new(UInt32Builder::new());
    let mut error_texts = ListBuilder::new(BinaryBuilder::new());
    for r in rows {
        for a in &r.assignments {
            topics.values().append_value(a.topic.as_bytes());
            partitions.values().append_value(a.partition);
        }
        topics.append(true);
        partitions.append(true);
        for (time, text) in &r.exceptions {
            error_times.values().append_value(seconds(Some(*time)));
            error_texts.values().append_value(text.as_bytes());
        }
        error_times.append(true);
        error_texts.append(true);
    }
    let arrays: Vec<ArrayRef> = vec![
        strings(rows, |r| &r.database),
        strings(rows, |r| &r.table),
        strings(rows, |r| &r.consumer_id),
        Arc::new(topics.finish()),
        Arc::new(partitions.finish()),
        int64_lists(rows, |a| a.current_offset),
        Arc::new(error_times.finish()),
        Arc::new(error_texts.finish()),
        times(rows, |r| r.last_poll_time),
        counts(rows, |r| r.num_messages_read),
        times(rows, |r| r.last_commit_time),
        counts(rows, |r| r.num_commits),
        times(rows, |r| r.last_rebalance_time),
        counts(rows, |r| r.num_rebalance_revocations),
        counts(rows, |r| r.num_rebalance_assignments),
        Arc::new(UInt8Array::from_iter_values(
            rows.iter().map(|r| r.is_currently_used as u8),
        )),
        Arc::new(Int64Array::from_iter_values(
            rows.iter().map(|r| micros(r.last_used)),
        )),
        int64_lists(rows, |a| a.high_watermark),
        int64_lists(rows, Assignment::lag),
        counts(rows, |r| r.num_skipped),
    ];
    let fields: Vec<_> = COLUMNS
        .iter()
        .map(|(n, ty)| {
            DataType::parse(ty)
                .unwrap_or(DataType::String)
                .to_arrow_field(n)
        })
        .collect();
    Ok(RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_matches_columns_and_lag() {
        let status = ConsumerStatus {
            database: "default".into(),
            table: "q".into(),
            consumer_id: "c-0".into(),
            assignments: vec![
                Assignment {
                    topic: "t".into(),
                    partition: 1,
                    current_offset: 5,
                    high_watermark: 9,
                },
                Assignment {
                    topic: "t".into(),
                    partition: 2,
                    current_offset: -1,
                    high_watermark: 3,
                },
            ],
            ..ConsumerStatus::default()
        };
        let b = batch(&[status.clone(), ConsumerStatus::default()]).expect("batch");
        assert_eq!((b.num_rows(), b.num_columns()), (2, COLUMNS.len()));
        assert_eq!(status.assignments[0].lag(), 4);
        assert_eq!(status.assignments[1].lag(), -1);
        let mut s = ConsumerStatus::default();
        for i in 0..15 {
            s.push_exception(format!("e{i}"));
        }
        assert_eq!(s.exceptions.len(), MAX_EXCEPTIONS);
        assert_eq!(s.exceptions.front().map(|e| e.1.as_str()), Some("e5"));
    }
}
