//! What a consumer does when the group hands it partitions or takes them away.
//!
//! On assignment each partition starts at the later of two offsets: the one stored with
//! this server's data (exactly once across crashes) and the group's committed offset
//! (another server of the group may have consumed further while it held the partition;
//! on a single server the committed offset never passes the stored one, because Kafka is
//! told only after the storage commit). On revocation the stored offsets are committed to
//! the group synchronously, so the next owner starts exactly where this server's durable
//! data ends. Either way the partitions are marked for reset: messages of them already
//! collected into the current batch are dropped, since reading restarts from the offset
//! chosen here.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use parking_lot::Mutex;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext};
use rdkafka::types::RDKafkaRespErr;
use rdkafka::{ClientContext, Offset, TopicPartitionList};

use granary_query::kafka_consumers::{Assignment, ConsumerStatus};
use granary_storage::StorageEngine;

use super::offset_key;

/// How long an assignment waits for the group's committed offsets before it goes on with
/// the stored ones alone.
const COMMITTED_TIMEOUT: Duration = Duration::from_secs(5);

/// A consumer's context: seeks assigned partitions, hands revoked ones over, and tells the
/// poll loop which partitions to drop from the batch it is collecting.
pub(crate) struct SeekingContext {
    /// Where the offsets are stored with the data.
    pub engine: Arc<StorageEngine>,
    /// The consumer group.
    pub group: String,
    /// Partitions assigned or revoked since the poll loop last looked.
    pub reset: Mutex<HashSet<(String, i32)>>,
    /// Whether `reset` may be non-empty: the poll loop checks it for every message, so it
    /// takes the lock only after a rebalance.
    pub reset_pending: AtomicBool,
    /// What `system.kafka_consumers` shows.
    pub status: Arc<Mutex<ConsumerStatus>>,
    /// Set when the consumer is stopping: revocation then commits without waiting.
    pub stop: Arc<AtomicBool>,
}

impl SeekingContext {
    /// The offset stored with the data for `topic`/`partition`, if any.
    pub fn stored_offset(&self, topic: &str, partition: i32) -> Option<i64> {
        self.engine
            .committed_metadata(&offset_key(&self.group, topic, partition))
            .and_then(|v| v.parse::<i64>().ok())
    }

    /// Takes the partitions whose collected messages must be dropped.
    pub fn take_reset(&self) -> HashSet<(String, i32)> {
        if !self.reset_pending.swap(false, Ordering::AcqRel) {
            return HashSet::new();
        }
        std::mem::take(&mut *self.reset.lock())
    }

    fn assign(&self, consumer: &BaseConsumer<Self>, tpl: &mut TopicPartitionList) {
        let committed = consumer
            .committed_offsets(tpl.clone(), COMMITTED_TIMEOUT)
            .map_err(|e| tracing::warn!("cannot read the group's committed offsets: {e}"))
            .ok();
        let mut assignments = Vec::new();
        for e in tpl.elements() {
            let (topic, partition) = (e.topic().to_string(), e.partition());
            let group = committed
                .as_ref()
                .and_then(|c| c.find_partition(&topic, partition))
                .and_then(|c| match c.offset() {
                    Offset::Offset(o) => Some(o),
                    _ => None,
                });
            let start = self.stored_offset(&topic, partition).max(group);
            assignments.push(Assignment {
                topic,
                partition,
                current_offset: start.unwrap_or(-1),
                high_watermark: -1,
            });
        }
        let mut reset = self.reset.lock();
        for a in &assignments {
            if a.current_offset >= 0 {
                let _ = tpl.set_partition_offset(
                    &a.topic,
                    a.partition,
                    Offset::Offset(a.current_offset),
                );
            }
            reset.insert((a.topic.clone(), a.partition));
        }
        self.reset_pending.store(true, Ordering::Release);
        drop(reset);
        if let Err(e) = consumer.assign(tpl) {
            tracing::warn!("kafka assign failed: {e}");
        }
        let mut st = self.status.lock();
        st.num_rebalance_assignments += 1;
        st.last_rebalance_time = Some(SystemTime::now());
        st.assignments = assignments;
    }

    fn revoke(&self, consumer: &BaseConsumer<Self>, tpl: &TopicPartitionList) {
        let mut handover = TopicPartitionList::new();
        let mut reset = self.reset.lock();
        for e in tpl.elements() {
            let (topic, partition) = (e.topic(), e.partition());
            if let Some(offset) = self.stored_offset(topic, partition) {
                let _ = handover.add_partition_offset(topic, partition, Offset::Offset(offset));
            }
            reset.insert((topic.to_string(), partition));
        }
        self.reset_pending.store(true, Ordering::Release);
        drop(reset);
        if handover.count() > 0 {
            let mode = if self.stop.load(Ordering::Acquire) {
                CommitMode::Async
            } else {
                CommitMode::Sync
            };
            if let Err(e) = consumer.commit(&handover, mode) {
                tracing::debug!("kafka handover commit failed (the stored offsets rule): {e}");
            }
        }
        if let Err(e) = consumer.unassign() {
            tracing::warn!("kafka unassign failed: {e}");
        }
        let mut st = self.status.lock();
        st.num_rebalance_revocations += 1;
        st.last_rebalance_time = Some(SystemTime::now());
        st.assignments.clear();
    }
}

impl ClientContext for SeekingContext {}

impl ConsumerContext for SeekingContext {
    fn rebalance(
        &self,
        base_consumer: &BaseConsumer<Self>,
        err: RDKafkaRespErr,
        tpl: &mut TopicPartitionList,
    ) {
        match err {
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS => self.assign(base_consumer, tpl),
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS => self.revoke(base_consumer, tpl),
            other => {
                tracing::warn!("kafka rebalance error: {other:?}");
                self.status
                    .lock()
                    .push_exception(format!("rebalance error: {other:?}"));
                self.revoke(base_consumer, tpl);
            }
        }
    }
}
