//! The Kafka engine end to end: the real `granary` binary consumes from librdkafka's
//! in-process mock cluster (a multi-partition topic, a consumer group, JSON messages),
//! through a materialized view into a MergeTree table. Exactly once across `kill -9`:
//! the server is killed ten times mid-stream and restarted; the table then holds every
//! produced message exactly once. Broken messages in both error modes.

mod support;

use std::time::Duration;

use rdkafka::mocking::MockCluster;
use support::kafka::{create_pipeline, kafka_table, query, wait_for, Topic};
use support::process::Server;
use support::request;

#[test]
fn consumes_exactly_once_across_kill_9() {
    let cluster = MockCluster::new(3).expect("mock cluster");
    let brokers = cluster.bootstrap_servers();
    cluster.create_topic("events", 3, 1).expect("create topic");
    let topic = Topic::new(&brokers, "events");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut server = Server::start(dir.path());
    create_pipeline(&server, &brokers, "events", "g1");
    let mut produced = 0u64;
    let mut produce = |n: u64| {
        topic.send_ids(produced..produced + n);
        produced += n;
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
    // system.kafka_consumers: one consumer holding the three partitions, caught up.
    assert_eq!(
        query(
            &server,
            "SELECT database, table, consumer_id, is_currently_used, num_messages_read, \
             num_commits > 0, last_commit_time > 0, last_poll_time > 0 \
             FROM system.kafka_consumers"
        ),
        "default\tqueue\tgranary-default-queue-0\t1\t1000\t1\t1\t1"
    );
    wait_for(
        &server,
        "SELECT assignments.lag, assignments.topic FROM system.kafka_consumers",
        "[0,0,0]\t['events','events','events']",
        Duration::from_secs(10),
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
    cluster.create_topic("skip", 1, 1).expect("create topic");
    cluster.create_topic("stream", 1, 1).expect("create topic");
    let skip = Topic::new(&brokers, "skip");
    let stream = Topic::new(&brokers, "stream");
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
