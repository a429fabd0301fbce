//! The Kafka engine: settings (in the query crate), message batches into blocks, the
//! consumer threads, and the engine that starts and stops them as views come and go.

mod batch;
mod block;
mod consumer;
mod manager;
mod rebalance;
mod watermark;

pub use batch::{Batch, MessageRecord};
pub use consumer::ConsumerStatus;
pub use manager::KafkaEngine;

/// The key under which the next offset of `topic`/`partition` for consumer group `group`
/// is stored in the commit log's metadata, beside the parts it produced.
pub fn offset_key(group: &str, topic: &str, partition: i32) -> String {
    format!("kafka/{group}/{topic}/{partition}")
}
