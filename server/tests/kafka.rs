//! The Kafka engine end to end: the real `granary` binary consumes from librdkafka's
//! in-process mock cluster (a multi-partition topic, a consumer group, JSON messages),
//! through a materialized view into a MergeTree table. Exactly once across `kill -9`:
//! the server is killed ten times mid-stream and restarted; the table then holds every
//! produced message exactly once. Broken messages in both error modes.

mod support;

use std::time::{Duration, Instant};

use rdkafka::mocking::MockCluster;
use rdkafka::producer::{BaseProducer, BaseRecord, DefaultProducerContext, Producer};
use rdkafka::ClientConfig;
use support::process::Server;
use support::request;

fn query(server: &Server, sql: &str) -> String {
    let r = request(server.addr, "POST", "/", sql.as_bytes());
    assert_eq!(r.status, 200, "{sql}: {}", r.text());
    r.text().trim().to_string()
}

struct Topic<'a> {
    _cluster: &'a MockCluster<'static, DefaultProducerContext>,
    producer: BaseProducer,
    name: String,
}

impl Topic<'_> {
    fn new<'a>(
        cluster: &'a MockCluster<'static, DefaultProducerContext>,
        name: &str,
        partitions: i32,
    ) -> Topic<'a> {
        cluster
            .create_topic(name, partitions, 1)
            .expect("create topic");
        let producer: BaseProducer = ClientConfig::new()
            .set("bootstrap.servers", cluster.bootstrap_servers())
            .set("linger.ms", "5")
            .create()
            .expect("producer");
        Topic {
            _cluster: cluster,
            producer,
            name: name.to_string(),
        }
    }

    fn send(&self, key: &str, payload: &str) {
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

    fn flush(&self) {
        self.producer
            .flush(Duration::from_secs(30))
            .expect("flush producer");
    }
}

fn wait_for(server: &Server, sql: &str, want: &str, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    let mut last = String::new();
    while Instant::now() < deadline {
        last = query(server, sql);
        if last == want {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("{sql}: waited {timeout:?} for {want:?}, last answer {last:?}");
}

fn kafka_table(name: &str, brokers: &str, topic: &str, group: &str, extra: &str) -> String {
    format!(
        "CREATE TABLE {name} (id UInt64, kind String) ENGINE = Kafka SETTINGS \
         kafka_broker_list = '{brokers}', kafka_topic_list = '{topic}', \
         kafka_group_name = '{group}', kafka_format = 'JSONEachRow', \
         kafka_flush_interval_ms = 200{extra}"
    )
}

#[test]
fn consumes_exactly_once_across_kill_9() {
    let cluster = MockCluster::new(3).expect("mock cluster");
    let brokers = cluster.bootstrap_servers();
    let topic = Topic::new(&cluster, "events", 3);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut server = Server::start(dir.path());
    query(&server, &kafka_table("queue", &brokers, "events", "g1", ""));
    query(
        &server,
        "CREATE TABLE events (id UInt64, kind String, partition UInt64, offset UInt64, topic String) \
         ENGINE = MergeTree ORDER BY id",
    );
    query(
        &server,
        "CREATE MATERIALIZED VIEW events_mv TO events AS \
         SELECT id, kind, _partition AS partition, _offset AS offset, _topic AS topic FROM queue",
    );
    let mut produced = 0u64;
    let mut produce = |n: u64| {
        for _ in 0..n {
            topic.send(
                &produced.to_string(),
                &format!(r#"{{"id":{produced},"kind":"k{}"}}"#, produced % 7),
            );
            produced += 1;
        }
        topic.flush();
    };
    produce(1000);
    wait_for(
        &server,
        "SELECT count() FROM events",
        "1000",
        Duration::from_secs(60),
    );
    assert_eq!(
        query(
            &server,
            "SELECT uniqExact(partition), any(topic) FROM events"
        ),
        "3\tevents"
    );
    // Kill -9 mid-stream, ten times.
    for round in 0..10u64 {
        produce(300);
        std::thread::sleep(Duration::from_millis(50 + (round * 37) % 300));
        drop(server); // SIGKILL
        server = Server::start(dir.path());
    }
    produce(200);
    let total = produced.to_string();
    wait_for(
        &server,
        "SELECT count() FROM events",
        &total,
        Duration::from_secs(120),
    );
    assert_eq!(
        query(
            &server,
            "SELECT uniqExact(id), min(id), max(id) FROM events"
        ),
        format!("{produced}\t0\t{}", produced - 1)
    );
    // No duplicates by (partition, offset) either.
    assert_eq!(
        query(&server, "SELECT uniqExact(partition, offset) FROM events"),
        total
    );
}

#[test]
fn broken_messages_skip_fail_and_stream() {
    let cluster = MockCluster::new(1).expect("mock cluster");
    let brokers = cluster.bootstrap_servers();
    let skip = Topic::new(&cluster, "skip", 1);
    let stream = Topic::new(&cluster, "stream", 1);
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path());
    // Default mode: up to 1 broken message per batch is skipped.
    query(
        &server,
        &kafka_table(
            "q1",
            &brokers,
            "skip",
            "g1",
            ", kafka_skip_broken_messages = 1",
        ),
    );
    query(
        &server,
        "CREATE TABLE t1 (id UInt64, kind String) ENGINE = MergeTree ORDER BY id",
    );
    query(
        &server,
        "CREATE MATERIALIZED VIEW v1 TO t1 AS SELECT id, kind FROM q1",
    );
    skip.send("a", r#"{"id":1,"kind":"a"}"#);
    skip.send("b", "this is not json");
    skip.send("c", r#"{"id":3,"kind":"c"}"#);
    skip.flush();
    wait_for(
        &server,
        "SELECT groupArray(id) FROM (SELECT id FROM t1 ORDER BY id)",
        "[1,3]",
        Duration::from_secs(60),
    );
    // Stream mode: broken messages reach a table through a view on _error.
    query(
        &server,
        &kafka_table(
            "q2",
            &brokers,
            "stream",
            "g2",
            ", kafka_handle_error_mode = 'stream'",
        ),
    );
    query(
        &server,
        "CREATE TABLE good (id UInt64) ENGINE = MergeTree ORDER BY id",
    );
    query(
        &server,
        "CREATE TABLE bad (raw String, error String) ENGINE = MergeTree ORDER BY raw",
    );
    query(
        &server,
        "CREATE MATERIALIZED VIEW vg TO good AS SELECT id FROM q2 WHERE length(_error) = 0",
    );
    query(
        &server,
        "CREATE MATERIALIZED VIEW vb TO bad AS SELECT _raw_message AS raw, _error AS error FROM q2 WHERE length(_error) > 0",
    );
    stream.send("a", r#"{"id":10}"#);
    stream.send("b", "{broken");
    stream.send("c", r#"{"id":12}"#);
    stream.flush();
    wait_for(
        &server,
        "SELECT count() FROM good",
        "2",
        Duration::from_secs(60),
    );
    wait_for(
        &server,
        "SELECT raw FROM bad",
        "{broken",
        Duration::from_secs(10),
    );
    assert_eq!(
        query(&server, "SELECT count() > 0 FROM bad WHERE error != ''"),
        "1"
    );
    // A direct SELECT from a Kafka table is refused.
    let r = request(server.addr, "POST", "/", b"SELECT * FROM q1");
    assert_eq!(r.header("x-clickhouse-exception-code"), Some("620"));
}
