//! The Kafka engine when the world misbehaves, end to end against librdkafka's in-process
//! mock cluster: two servers in one consumer group split the partitions and together hold
//! every message exactly once; a topic that does not exist yet is consumed once created; a
//! cluster whose brokers all go down and come back loses nothing; DROP and shutdown finish
//! in bounded time, also with the brokers down. `system.kafka_consumers` shows who holds
//! what. An opt-in test runs against a real broker (see the README's Kafka section).

mod support;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use rdkafka::mocking::MockCluster;
use support::kafka::{create_pipeline, query, wait_for, wait_until, Topic};
use support::process::Server;

/// The mock cluster's broker ids.
const BROKERS: std::ops::RangeInclusive<i32> = 1..=3;

/// The partitions `server`'s consumers hold, from `system.kafka_consumers`.
fn held_partitions(server: &Server) -> Vec<i64> {
    let text = query(
        server,
        "SELECT assignments.partition_id FROM system.kafka_consumers",
    );
    text.lines().flat_map(parse_array).collect()
}

/// `[1,2,3]` as numbers.
fn parse_array(text: &str) -> Vec<i64> {
    text.trim_matches(|c| c == '[' || c == ']')
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| s.trim().parse().expect("a number in an array"))
        .collect()
}

/// Every id in `events`, in order.
fn ids(server: &Server) -> Vec<u64> {
    query(server, "SELECT id FROM events ORDER BY id")
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| l.parse().expect("an id"))
        .collect()
}

#[test]
fn two_servers_split_the_partitions_exactly_once() {
    let cluster = MockCluster::new(3).expect("mock cluster");
    let brokers = cluster.bootstrap_servers();
    cluster.create_topic("shared", 4, 1).expect("create topic");
    let topic = Topic::new(&brokers, "shared");
    let (dir_a, dir_b) = (
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
    );
    let a = Server::start(dir_a.path());
    create_pipeline(&a, &brokers, "shared", "split");
    topic.send_ids(0..1000);
    wait_for(
        &a,
        "SELECT count() FROM events",
        "1000",
        Duration::from_secs(60),
    );
    // The second server joins the group: the partitions are split between the two.
    let b = Server::start(dir_b.path());
    create_pipeline(&b, &brokers, "shared", "split");
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let (pa, pb) = (held_partitions(&a), held_partitions(&b));
        let mut all: Vec<i64> = pa.iter().chain(&pb).copied().collect();
        all.sort_unstable();
        if !pa.is_empty() && !pb.is_empty() && all == [0, 1, 2, 3] {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "partitions never split: {pa:?} / {pb:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    topic.send_ids(1000..3000);
    let total = || {
        query(&a, "SELECT count() FROM events")
            .parse::<u64>()
            .unwrap_or(0)
            + query(&b, "SELECT count() FROM events")
                .parse::<u64>()
                .unwrap_or(0)
    };
    let deadline = Instant::now() + Duration::from_secs(90);
    while total() < 3000 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    // Both took part, and together they hold every message exactly once.
    let (ia, ib) = (ids(&a), ids(&b));
    assert!(
        ib.iter().any(|&i| i >= 1000),
        "the second server got nothing"
    );
    let union: BTreeSet<u64> = ia.iter().chain(&ib).copied().collect();
    assert_eq!(
        (ia.len() + ib.len(), union.len()),
        (3000, 3000),
        "duplicates or losses across the two servers"
    );
    assert_eq!(union.iter().next_back(), Some(&2999));
    // Each server's consumers report the messages they read.
    let read = |s: &Server| {
        query(
            s,
            "SELECT sum(num_messages_read) FROM system.kafka_consumers",
        )
        .parse::<u64>()
        .expect("a count")
    };
    assert!(read(&a) >= ia.len() as u64 && read(&b) >= ib.len() as u64);
}

#[test]
fn a_missing_topic_is_consumed_once_created() {
    let cluster = MockCluster::new(1).expect("mock cluster");
    let brokers = cluster.bootstrap_servers();
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path());
    create_pipeline(&server, &brokers, "late", "g");
    std::thread::sleep(Duration::from_secs(3));
    // The server keeps serving, and its consumer keeps trying.
    assert_eq!(query(&server, "SELECT count() FROM events"), "0");
    assert_eq!(
        query(&server, "SELECT count() FROM system.kafka_consumers"),
        "1"
    );
    // The error is there for whoever looks.
    wait_until(
        &server,
        "SELECT exceptions.text FROM system.kafka_consumers",
        Duration::from_secs(20),
        |a| a.contains("UnknownTopicOrPartition") && a.contains("late"),
        "an error naming the missing topic",
    );
    cluster.create_topic("late", 2, 1).expect("create topic");
    let topic = Topic::new(&brokers, "late");
    topic.send_ids(0..500);
    wait_for(
        &server,
        "SELECT count(), uniqExact(id) FROM events",
        "500\t500",
        Duration::from_secs(60),
    );
}

#[test]
fn brokers_down_and_up_lose_nothing() {
    let cluster = MockCluster::new(3).expect("mock cluster");
    let brokers = cluster.bootstrap_servers();
    cluster.create_topic("flaky", 3, 1).expect("create topic");
    let topic = Topic::new(&brokers, "flaky");
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path());
    create_pipeline(&server, &brokers, "flaky", "g");
    topic.send_ids(0..500);
    wait_for(
        &server,
        "SELECT count() FROM events",
        "500",
        Duration::from_secs(60),
    );
    for round in 0..2u64 {
        // Messages in flight when the whole cluster goes away.
        let base = 500 + round * 1000;
        topic.send_ids(base..base + 1000);
        for id in BROKERS {
            cluster.broker_down(id).expect("broker down");
        }
        std::thread::sleep(Duration::from_secs(4));
        assert_eq!(
            query(&server, "SELECT 1"),
            "1",
            "the server stopped answering"
        );
        for id in BROKERS {
            cluster.broker_up(id).expect("broker up");
        }
    }
    wait_for(
        &server,
        "SELECT count(), uniqExact(id), max(id) FROM events",
        "2500\t2500\t2499",
        Duration::from_secs(90),
    );
}

#[test]
fn drop_and_shutdown_do_not_hang() {
    let cluster = MockCluster::new(3).expect("mock cluster");
    let brokers = cluster.bootstrap_servers();
    cluster.create_topic("t", 2, 1).expect("create topic");
    let topic = Topic::new(&brokers, "t");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut server = Server::start(dir.path());
    create_pipeline(&server, &brokers, "t", "g");
    topic.send_ids(0..100);
    wait_for(
        &server,
        "SELECT count() FROM events",
        "100",
        Duration::from_secs(60),
    );
    // DROP answers at once and the consumers go.
    let started = Instant::now();
    query(&server, "DROP TABLE events_mv");
    query(&server, "DROP TABLE queue");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "DROP took {:?}",
        started.elapsed()
    );
    wait_for(
        &server,
        "SELECT count() FROM system.kafka_consumers",
        "0",
        Duration::from_secs(15),
    );
    // Consume again, then shut down with every broker down: still bounded.
    query(
        &server,
        &support::kafka::kafka_table("queue2", &brokers, "t", "g", ""),
    );
    query(
        &server,
        "CREATE MATERIALIZED VIEW mv2 TO events AS SELECT id, kind, _partition AS partition, \
         _offset AS offset, _topic AS topic FROM queue2",
    );
    topic.send_ids(100..200);
    wait_until(
        &server,
        "SELECT num_commits FROM system.kafka_consumers",
        Duration::from_secs(30),
        |a| a.parse::<u64>().is_ok_and(|n| n >= 1),
        "a commit of the new consumer",
    );
    for id in BROKERS {
        cluster.broker_down(id).expect("broker down");
    }
    std::thread::sleep(Duration::from_millis(500));
    let started = Instant::now();
    let status = server.terminate(Duration::from_secs(30));
    assert!(
        status.is_some_and(|s| s.success()),
        "shutdown with the brokers down: {status:?} after {:?}",
        started.elapsed()
    );
}

/// Against a real broker: `GRANARY_KAFKA_BROKER=127.0.0.1:19092 cargo test -p
/// granary-server --test kafka_cluster -- --ignored` (README, "Against a real broker").
#[test]
#[ignore = "needs a Kafka broker; set GRANARY_KAFKA_BROKER"]
fn real_broker_exactly_once_across_kill_9() {
    let Ok(brokers) = std::env::var("GRANARY_KAFKA_BROKER") else {
        panic!("set GRANARY_KAFKA_BROKER to host:port of a Kafka broker");
    };
    let name = format!(
        "granary_test_{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0)
    );
    create_real_topic(&brokers, &name, 3);
    let topic = Topic::new(&brokers, &name);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut server = Server::start(dir.path());
    create_pipeline(&server, &brokers, &name, &name);
    topic.send_ids(0..10_000);
    wait_for(
        &server,
        "SELECT count() FROM events",
        "10000",
        Duration::from_secs(120),
    );
    let held = held_partitions(&server);
    assert_eq!(held.len(), 3, "assignments {held:?}");
    for round in 0..3u64 {
        let base = 10_000 + round * 2_000;
        topic.send_ids(base..base + 2_000);
        std::thread::sleep(Duration::from_millis(150));
        drop(server); // SIGKILL
        server = Server::start(dir.path());
    }
    wait_for(
        &server,
        "SELECT count(), uniqExact(id), uniqExact(partition, offset) FROM events",
        "16000\t16000\t16000",
        Duration::from_secs(120),
    );
    wait_until(
        &server,
        "SELECT assignments.lag FROM system.kafka_consumers",
        Duration::from_secs(30),
        |a| parse_array(a) == [0, 0, 0],
        "no lag",
    );
}

/// Creates `name` with `partitions` partitions through the admin API.
fn create_real_topic(brokers: &str, name: &str, partitions: i32) {
    use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
    use rdkafka::client::DefaultClientContext;
    let admin: AdminClient<DefaultClientContext> = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .create()
        .expect("admin client");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let topic = NewTopic::new(name, partitions, TopicReplication::Fixed(1));
    let results = runtime
        .block_on(admin.create_topics([&topic], &AdminOptions::new()))
        .expect("create topic");
    for r in results {
        r.expect("topic created");
    }
}
