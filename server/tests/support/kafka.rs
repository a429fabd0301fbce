//! Helpers for the Kafka tests: queries that must succeed, polling until an answer comes,
//! a topic of a mock cluster (or a real broker) with a producer, and the DDL of a Kafka
//! table.

use std::time::{Duration, Instant};

use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::ClientConfig;

use super::process::Server;
use super::request;

/// Runs `sql`, which must succeed, and returns its trimmed text.
pub fn query(server: &Server, sql: &str) -> String {
    let r = request(server.addr, "POST", "/", sql.as_bytes());
    assert_eq!(r.status, 200, "{sql}: {}", r.text());
    r.text().trim().to_string()
}

/// Polls `sql` until it answers `want`; panics with the last answer after `timeout`.
pub fn wait_for(server: &Server, sql: &str, want: &str, timeout: Duration) {
    wait_until(server, sql, timeout, |a| a == want, want);
}

/// Polls `sql` until `ok` accepts its answer (described by `what` when it never does).
pub fn wait_until(
    server: &Server,
    sql: &str,
    timeout: Duration,
    ok: impl Fn(&str) -> bool,
    what: &str,
) -> String {
    let deadline = Instant::now() + timeout;
    let mut last = String::new();
    while Instant::now() < deadline {
        last = query(server, sql);
        if ok(&last) {
            return last;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("{sql}: waited {timeout:?} for {what}, last answer {last:?}");
}

/// A topic and a producer that writes to it.
pub struct Topic {
    producer: BaseProducer,
    /// The topic's name.
    pub name: String,
}

impl Topic {
    /// A producer for `name` on `brokers` (the topic must exist or be auto-created).
    pub fn new(brokers: &str, name: &str) -> Topic {
        let producer: BaseProducer = ClientConfig::new()
            .set("bootstrap.servers", brokers)
            .set("linger.ms", "5")
            .create()
            .expect("producer");
        Topic {
            producer,
            name: name.to_string(),
        }
    }

    /// Enqueues one message, retrying while the local queue is full.
    pub fn send(&self, key: &str, payload: &str) {
        loop {
            match self
                .producer
                .send(BaseRecord::to(&self.name).key(key).payload(payload))
            {
                Ok(()) => return,
                Err((e, _)) => {
                    eprintln!("produce retry: {e}");
                    self.producer.poll(Duration::from_millis(50));
                }
            }
        }
    }

    /// Sends `{"id":i,"kind":"k<i%7>"}` for every `i` in `ids`, then flushes.
    pub fn send_ids(&self, ids: std::ops::Range<u64>) {
        for i in ids {
            self.send(
                &i.to_string(),
                &format!(r#"{{"id":{i},"kind":"k{}"}}"#, i % 7),
            );
        }
        self.flush();
    }

    /// Waits until every message is delivered.
    pub fn flush(&self) {
        self.producer
            .flush(Duration::from_secs(60))
            .expect("flush producer");
    }
}

/// `CREATE TABLE name (id UInt64, kind String) ENGINE = Kafka ...` with a 200 ms flush
/// interval and `extra` settings (", name = value" ...).
pub fn kafka_table(name: &str, brokers: &str, topic: &str, group: &str, extra: &str) -> String {
    format!(
        "CREATE TABLE {name} (id UInt64, kind String) ENGINE = Kafka SETTINGS \
         kafka_broker_list = '{brokers}', kafka_topic_list = '{topic}', \
         kafka_group_name = '{group}', kafka_format = 'JSONEachRow', \
         kafka_flush_interval_ms = 200{extra}"
    )
}

/// Creates Kafka table `queue` on `topic`, MergeTree table `events` (with each row's
/// partition and offset) and view `events_mv` between them.
pub fn create_pipeline(server: &Server, brokers: &str, topic: &str, group: &str) {
    query(server, &kafka_table("queue", brokers, topic, group, ""));
    query(
        server,
        "CREATE TABLE events (id UInt64, kind String, partition UInt64, offset UInt64, topic String) \
         ENGINE = MergeTree ORDER BY id",
    );
    query(
        server,
        "CREATE MATERIALIZED VIEW events_mv TO events AS \
         SELECT id, kind, _partition AS partition, _offset AS offset, _topic AS topic FROM queue",
    );
}
