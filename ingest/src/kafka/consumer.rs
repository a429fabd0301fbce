//! One Kafka consumer of a table: a dedicated thread with a `BaseConsumer` in the table's
//! group. It collects a batch (up to `kafka_max_block_size` messages or
//! `kafka_flush_interval_ms`), runs it through the table's views and commits the views'
//! parts together with the partitions' next offsets; then it advances Kafka's committed
//! offsets. On every assignment it seeks each partition to the offset stored with the
//! data (see `rebalance`). Any failure (broker down, broken batch, storage error) drops the consumer and
//! retries with backoff from the stored offsets: nothing is lost or counted twice.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use parking_lot::Mutex;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::{Headers, Message};
use rdkafka::{Offset, TopicPartitionList};

use granary_query::kafka_settings::KafkaSettings;
use granary_query::plan::stream::external_columns;
use granary_query::plan::QueryContext;
use granary_query::session::view_insert::push_to_views;
use granary_storage::view::{ExternalTable, QualifiedName};
use granary_storage::StorageEngine;

use super::batch::{Batch, MessageRecord};
use super::block::to_block;
use super::offset_key;
use super::rebalance::SeekingContext;
use super::watermark::cached_high_watermark;

pub use granary_query::kafka_consumers::ConsumerStatus;

/// Messages polled between two reads of the clock (a batch's deadline is checked that
/// often while messages flow; reading it per message cost a few percent).
const CLOCK_EVERY: u32 = 64;

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
                    let mut st = self.status.lock();
                    st.is_currently_used = false;
                    st.assignments.clear();
                    st.push_exception(e);
                    drop(st);
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
            reset: Mutex::new(HashSet::new()),
            reset_pending: AtomicBool::new(false),
            status: self.status.clone(),
            stop: self.stop.clone(),
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
            // A topic that does not exist yet is looked for again this often.
            .set("topic.metadata.refresh.interval.ms", "2000")
            // Prefetch deeply: a batch should find its messages already fetched.
            .set("queued.min.messages", "1000000")
            // An empty fetch waits at most this long at the broker (freshness).
            .set("fetch.wait.max.ms", "100")
            .create_with_context(context)
            .map_err(|e| format!("cannot create a Kafka consumer: {e}"))?;
        let topics: Vec<&str> = self.settings.topics.iter().map(|t| t.as_str()).collect();
        consumer
            .subscribe(&topics)
            .map_err(|e| format!("cannot subscribe to {topics:?}: {e}"))?;
        {
            let mut st = self.status.lock();
            st.consumer_id = self.client_id();
            st.is_currently_used = true;
        }
        let result = self.poll_loop(&consumer);
        self.status.lock().is_currently_used = false;
        // Closing may wait for the group; do it off this thread's critical path.
        drop(consumer);
        result
    }

    fn poll_loop(&self, consumer: &BaseConsumer<SeekingContext>) -> Result<(), String> {
        let columns = external_columns(&self.table);
        let ctx = QueryContext::new(self.engine.clone(), &self.name.database);
        let mut batch = Batch::default();
        while !self.stop.load(Ordering::Acquire) {
            batch.clear();
            let deadline = Instant::now() + self.settings.flush_interval;
            // The clock is read every CLOCK_EVERY messages, or after a poll that found none.
            let mut wait = Duration::ZERO;
            let mut since_clock = CLOCK_EVERY;
            while batch.len() < self.settings.max_block_size {
                if since_clock >= CLOCK_EVERY {
                    let now = Instant::now();
                    if now >= deadline || self.stop.load(Ordering::Acquire) {
                        break;
                    }
                    wait = (deadline - now)
                        .min(self.settings.poll_timeout.max(Duration::from_millis(10)));
                    since_clock = 0;
                }
                since_clock += 1;
                let polled = consumer.poll(wait);
                // A rebalance (run inside `poll`) restarts the partitions it touched from
                // the offsets it chose, or hands them to another member: what was collected
                // of them before is dropped.
                let reset = consumer.context().take_reset();
                if !reset.is_empty() {
                    batch.remove_partitions(&reset);
                }
                match polled {
                    None => since_clock = CLOCK_EVERY,
                    Some(Ok(m)) => batch.push(&MessageRecord {
                        topic: m.topic(),
                        partition: m.partition(),
                        offset: m.offset(),
                        timestamp_ms: m.timestamp().to_millis(),
                        key: m.key().unwrap_or_default(),
                        payload: m.payload().unwrap_or_default(),
                        headers: m
                            .headers()
                            .map(|h| {
                                h.iter()
                                    .map(|x| (x.key, x.value.unwrap_or_default()))
                                    .collect()
                            })
                            .unwrap_or_default(),
                    }),
                    Some(Err(KafkaError::PartitionEOF(_))) => since_clock = CLOCK_EVERY,
                    Some(Err(e)) => {
                        // librdkafka's consumer errors do not say which topic.
                        let topics = self.settings.topics.join(", ");
                        self.status
                            .lock()
                            .push_exception(format!("{e} (consuming {topics})"));
                        tracing::debug!("kafka poll error: {e}");
                    }
                }
            }
            self.note_poll(consumer);
            if batch.is_empty() {
                continue;
            }
            self.commit_batch(&ctx, consumer, &batch, columns.clone())?;
        }
        Ok(())
    }

    /// Records the poll time and refreshes the assignments' high watermarks (a local
    /// lookup in librdkafka's cache).
    fn note_poll(&self, consumer: &BaseConsumer<SeekingContext>) {
        let now = SystemTime::now();
        let mut st = self.status.lock();
        st.last_poll_time = Some(now);
        st.last_used = Some(now);
        for a in st.assignments.iter_mut() {
            if let Some(high) = cached_high_watermark(consumer, &a.topic, a.partition) {
                a.high_watermark = high;
            }
        }
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
        let started = Instant::now();
        let block = to_block(batch, &self.table, &self.settings).map_err(|e| e.to_string())?;
        let parsed = started.elapsed();
        let next = batch.next_offsets();
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
        tracing::debug!(
            "kafka batch of {} messages: parsed in {parsed:?}, committed in {:?}",
            batch.len(),
            started.elapsed() - parsed
        );
        let mut tpl = TopicPartitionList::new();
        for ((topic, partition), offset) in &next {
            let _ = tpl.add_partition_offset(topic, *partition, Offset::Offset(*offset));
        }
        if let Err(e) = consumer.commit(&tpl, CommitMode::Async) {
            tracing::debug!("kafka offset commit failed (the stored offsets rule): {e}");
        }
        let mut st = self.status.lock();
        st.num_messages_read += batch.len() as u64;
        st.num_skipped += block.skipped;
        st.num_commits += 1;
        st.last_commit_time = Some(SystemTime::now());
        for a in st.assignments.iter_mut() {
            if let Some(n) = next.get(&(a.topic.clone(), a.partition)) {
                a.current_offset = *n;
            }
        }
        Ok(())
    }
}
