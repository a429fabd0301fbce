//! One Kafka consumer of a table: a dedicated thread with a `BaseConsumer` in the table's
//! group. It collects a batch (up to `kafka_max_block_size` messages or
//! `kafka_flush_interval_ms`), runs it through the table's views and commits the views'
//! parts together with the partitions' next offsets; then it advances Kafka's committed
//! offsets. On every assignment it seeks each partition to the offset stored with the
//! data. Any failure (broker down, broken batch, storage error) drops the consumer and
//! retries with backoff from the stored offsets: nothing is lost or counted twice.

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use parking_lot::Mutex;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext};
use rdkafka::error::KafkaError;
use rdkafka::message::{Headers, Message};
use rdkafka::types::RDKafkaRespErr;
use rdkafka::{ClientContext, Offset, TopicPartitionList};

use granary_query::kafka_settings::KafkaSettings;
use granary_query::plan::stream::external_columns;
use granary_query::plan::QueryContext;
use granary_query::session::view_insert::push_to_views;
use granary_storage::view::{ExternalTable, QualifiedName};
use granary_storage::StorageEngine;

use super::batch::{Batch, MessageRecord};
use super::offset_key;

/// What `system.kafka_consumers` shows of one consumer.
#[derive(Clone, Debug, Default)]
pub struct ConsumerStatus {
    /// The table.
    pub database: String,
    /// The table.
    pub table: String,
    /// `<client id>-<n>`.
    pub consumer_id: String,
    /// Assigned (topic, partition, next offset to read).
    pub assignments: Vec<(String, i32, i64)>,
    /// Messages read.
    pub num_messages_read: u64,
    /// Broken messages skipped.
    pub num_skipped: u64,
    /// Batches committed.
    pub num_commits: u64,
    /// Rebalances seen.
    pub num_rebalance_assignments: u64,
    /// The last error, with its time.
    pub last_error: Option<(SystemTime, String)>,
    /// When the last batch committed.
    pub last_commit_time: Option<SystemTime>,
}

/// Everything a consumer thread needs.
pub(crate) struct ConsumerTask {
    pub engine: Arc<StorageEngine>,
    pub name: QualifiedName,
    pub table: Arc<ExternalTable>,
    pub settings: KafkaSettings,
    pub index: usize,
    pub stop: Arc<AtomicBool>,
    pub status: Arc<Mutex<ConsumerStatus>>,
}

/// The consumer's context: seeks assigned partitions to the stored offsets, and tells the
/// poll loop which partitions it lost.
struct SeekingContext {
    engine: Arc<StorageEngine>,
    group: String,
    revoked: Mutex<HashSet<(String, i32)>>,
    status: Arc<Mutex<ConsumerStatus>>,
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
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS => {
                let mut assigned = Vec::new();
                for e in tpl.elements() {
                    let (topic, partition) = (e.topic().to_string(), e.partition());
                    let stored = self
                        .engine
                        .committed_metadata(&offset_key(&self.group, &topic, partition))
                        .and_then(|v| v.parse::<i64>().ok());
                    assigned.push((topic, partition, stored));
                }
                for (topic, partition, stored) in &assigned {
                    if let Some(offset) = stored {
                        let _ =
                            tpl.set_partition_offset(topic, *partition, Offset::Offset(*offset));
                    }
                }
                if let Err(e) = base_consumer.assign(tpl) {
                    tracing::warn!("kafka assign failed: {e}");
                }
                let mut st = self.status.lock();
                st.num_rebalance_assignments += 1;
                st.assignments = assigned
                    .into_iter()
                    .map(|(t, p, o)| (t, p, o.unwrap_or(-1)))
                    .collect();
            }
            _ => {
                for e in tpl.elements() {
                    self.revoked
                        .lock()
                        .insert((e.topic().to_string(), e.partition()));
                }
                if let Err(e) = base_consumer.unassign() {
                    tracing::warn!("kafka unassign failed: {e}");
                }
                self.status.lock().assignments.clear();
            }
        }
    }
}

impl ConsumerTask {
    /// Runs until `stop` is set: consume, commit, and on any failure back off and start
    /// over from the stored offsets.
    pub fn run(self) {
        let mut backoff = Duration::from_millis(100);
        while !self.stop.load(Ordering::Acquire) {
            match self.consume() {
                Ok(()) => return,
                Err(e) => {
                    tracing::warn!("kafka consumer of {} failed: {e}", self.name);
                    self.status.lock().last_error = Some((SystemTime::now(), e));
                    let until = Instant::now() + backoff;
                    while Instant::now() < until && !self.stop.load(Ordering::Acquire) {
                        std::thread::sleep(Duration::from_millis(20));
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                }
            }
        }
    }

    fn client_id(&self) -> String {
        let base = self
            .settings
            .client_id
            .clone()
            .unwrap_or_else(|| format!("granary-{}-{}", self.name.database, self.name.table));
        format!("{base}-{}", self.index)
    }

    /// One consumer's life: returns `Ok` when stopped, `Err` to be retried.
    fn consume(&self) -> Result<(), String> {
        let context = SeekingContext {
            engine: self.engine.clone(),
            group: self.settings.group_name.clone(),
            revoked: Mutex::new(HashSet::new()),
            status: self.status.clone(),
        };
        let consumer: BaseConsumer<SeekingContext> = ClientConfig::new()
            .set("bootstrap.servers", &self.settings.broker_list)
            .set("group.id", &self.settings.group_name)
            .set("client.id", self.client_id())
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("auto.offset.reset", "earliest")
            .set("session.timeout.ms", "10000")
            .set("heartbeat.interval.ms", "1000")
            .create_with_context(context)
            .map_err(|e| format!("cannot create a Kafka consumer: {e}"))?;
        let topics: Vec<&str> = self.settings.topics.iter().map(|t| t.as_str()).collect();
        consumer
            .subscribe(&topics)
            .map_err(|e| format!("cannot subscribe to {topics:?}: {e}"))?;
        self.status.lock().consumer_id = self.client_id();
        let result = self.poll_loop(&consumer);
        // Closing may wait for the group; do it off this thread's critical path.
        drop(consumer);
        result
    }

    fn poll_loop(&self, consumer: &BaseConsumer<SeekingContext>) -> Result<(), String> {
        let columns = external_columns(&self.table);
        let ctx = QueryContext::new(self.engine.clone(), &self.name.database);
        while !self.stop.load(Ordering::Acquire) {
            let mut batch = Batch::default();
            let deadline = Instant::now() + self.settings.flush_interval;
            while batch.messages.len() < self.settings.max_block_size
                && !self.stop.load(Ordering::Acquire)
            {
                let now = Instant::now();
                if now >= deadline {
                    break;
                }
                let wait =
                    (deadline - now).min(self.settings.poll_timeout.max(Duration::from_millis(10)));
                match consumer.poll(wait) {
                    None => continue,
                    Some(Ok(m)) => batch.messages.push(MessageRecord {
                        topic: m.topic().to_string(),
                        partition: m.partition(),
                        offset: m.offset(),
                        timestamp_ms: m.timestamp().to_millis(),
                        key: m.key().map(|k| k.to_vec()),
                        payload: m.payload().map(|p| p.to_vec()).unwrap_or_default(),
                        headers: m
                            .headers()
                            .map(|h| {
                                h.iter()
                                    .map(|x| {
                                        (x.key.to_string(), x.value.unwrap_or_default().to_vec())
                                    })
                                    .collect()
                            })
                            .unwrap_or_default(),
                    }),
                    Some(Err(KafkaError::PartitionEOF(_))) => continue,
                    Some(Err(e)) => {
                        self.status.lock().last_error = Some((SystemTime::now(), e.to_string()));
                        tracing::debug!("kafka poll error: {e}");
                    }
                }
            }
            // Messages of partitions revoked meanwhile belong to their new owner now.
            let revoked: HashSet<(String, i32)> =
                std::mem::take(&mut *consumer.context().revoked.lock());
            if !revoked.is_empty() {
                batch
                    .messages
                    .retain(|m| !revoked.contains(&(m.topic.clone(), m.partition)));
            }
            if batch.messages.is_empty() {
                continue;
            }
            self.commit_batch(&ctx, consumer, &batch, columns.clone())?;
        }
        Ok(())
    }

    /// Runs `batch` through the views and commits its parts with the next offsets; then
    /// advances Kafka's committed offsets.
    fn commit_batch(
        &self,
        ctx: &QueryContext,
        consumer: &BaseConsumer<SeekingContext>,
        batch: &Batch,
        columns: Vec<(String, granary_storage::types::DataType)>,
    ) -> Result<(), String> {
        let block = batch
            .to_block(&self.table, &self.settings)
            .map_err(|e| e.to_string())?;
        let mut next: BTreeMap<(String, i32), i64> = BTreeMap::new();
        for m in &batch.messages {
            let e = next.entry((m.topic.clone(), m.partition)).or_insert(0);
            *e = (*e).max(m.offset + 1);
        }
        let mut txn = self.engine.begin();
        push_to_views(ctx, &self.name, columns, &block.batch, &mut txn, 0)
            .map_err(|e| e.to_string())?;
        for ((topic, partition), offset) in &next {
            txn.set_metadata(
                offset_key(&self.settings.group_name, topic, *partition),
                offset.to_string(),
            );
        }
        txn.commit().map_err(|e| e.to_string())?;
        let mut tpl = TopicPartitionList::new();
        for ((topic, partition), offset) in &next {
            let _ = tpl.add_partition_offset(topic, *partition, Offset::Offset(*offset));
        }
        if let Err(e) = consumer.commit(&tpl, CommitMode::Async) {
            tracing::debug!("kafka offset commit failed (the stored offsets rule): {e}");
        }
        let mut st = self.status.lock();
        st.num_messages_read += batch.messages.len() as u64;
        st.num_skipped += block.skipped;
        st.num_commits += 1;
        st.last_commit_time = Some(SystemTime::now());
        for (t, p, o) in st.assignments.iter_mut() {
            if let Some(n) = next.get(&(t.clone(), *p)) {
                *o = *n;
            }
        }
        Ok(())
    }
}
