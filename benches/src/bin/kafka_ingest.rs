//! The Kafka engine benchmark: end-to-end throughput (messages produced → queryable) of
//! small JSON events, and freshness (event time → visible to a SELECT) at a steady rate.
//!
//! ```text
//! cargo build --release -p granary-server -p granary-benches
//! target/release/kafka_ingest --messages 2000000 --rate 100000 --seconds 10
//! ```
//!
//! The broker is librdkafka's in-process mock cluster (3 brokers, one topic of
//! `--partitions`), so the figures measure Granary and librdkafka, not a network. It
//! starts `target/release/granary` (or `--server PATH`) with a temporary data directory.
//!
//! 1. Throughput: `--messages` events are produced first; then the materialized view is
//!    created (consumption starts) and the time until `count()` reaches the total is
//!    measured.
//! 2. Freshness: events carrying their production time in milliseconds are produced at
//!    `--rate` per second for `--seconds`; a client polls `max(ts)` every 20 ms, and each
//!    poll's `now - max(ts)` is a freshness sample (how old the newest visible event is).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rdkafka::mocking::MockCluster;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::ClientConfig;

use granary_benches::server::{Connection, Server};

struct Args {
    messages: u64,
    rate: u64,
    seconds: f64,
    partitions: i32,
    consumers: u32,
    server: PathBuf,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        messages: 2_000_000,
        rate: 100_000,
        seconds: 10.0,
        partitions: 4,
        consumers: 2,
        server: PathBuf::from("target/release/granary"),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        let num = |v: String| v.parse::<f64>().map_err(|e| format!("{flag}: {e}"));
        match flag.as_str() {
            "--messages" => a.messages = num(value()?)? as u64,
            "--rate" => a.rate = num(value()?)? as u64,
            "--seconds" => a.seconds = num(value()?)?,
            "--partitions" => a.partitions = num(value()?)? as i32,
            "--consumers" => a.consumers = num(value()?)? as u32,
            "--server" => a.server = PathBuf::from(value()?),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(a)
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

fn producer(brokers: &str) -> Result<BaseProducer, String> {
    ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("linger.ms", "5")
        .set("batch.num.messages", "10000")
        .set("queue.buffering.max.messages", "2000000")
        // The mock broker keeps at most 5 MB of batches per partition and silently drops
        // the oldest beyond that; compressed, 2M small events stay well under it.
        .set("compression.type", "lz4")
        .create()
        .map_err(|e| format!("producer: {e}"))
}

fn send(p: &BaseProducer, topic: &str, payload: &str) {
    while let Err((_, _)) = p.send(BaseRecord::<(), str>::to(topic).payload(payload)) {
        p.poll(Duration::from_millis(5));
    }
}

fn table_sql(name: &str, brokers: &str, topic: &str, consumers: u32) -> String {
    format!(
        "CREATE TABLE {name} (id UInt64, kind String, ts UInt64) ENGINE = Kafka SETTINGS \
         kafka_broker_list = '{brokers}', kafka_topic_list = '{topic}', kafka_group_name = '{name}', \
         kafka_format = 'JSONEachRow', kafka_num_consumers = {consumers}, kafka_max_block_size = 1048576"
    )
}

fn percentile(sorted: &[u64], q: f64) -> u64 {
    sorted[((sorted.len() as f64 * q) as usize).min(sorted.len() - 1)]
}

fn run() -> Result<(), String> {
    let args = parse_args()?;
    let cluster = MockCluster::new(3).map_err(|e| format!("mock cluster: {e}"))?;
    let brokers = cluster.bootstrap_servers();
    let server = Server::start(&args.server, "kafka-bench")?;
    let mut http = Connection::open(server.addr)?;
    let p = producer(&brokers)?;

    // 1. Throughput.
    cluster
        .create_topic("bulk", args.partitions, 1)
        .map_err(|e| format!("create topic: {e}"))?;
    let t = Instant::now();
    for i in 0..args.messages {
        send(
            &p,
            "bulk",
            &format!(r#"{{"id":{i},"kind":"k{}","ts":0}}"#, i % 10),
        );
        if i % 10_000 == 0 {
            p.poll(Duration::ZERO);
        }
    }
    p.flush(Duration::from_secs(120))
        .map_err(|e| format!("flush: {e}"))?;
    let produce_s = t.elapsed().as_secs_f64();
    for partition in 0..args.partitions {
        let (low, high) = p
            .client()
            .fetch_watermarks("bulk", partition, Duration::from_secs(10))
            .map_err(|e| format!("watermarks: {e}"))?;
        if low != 0 {
            return Err(format!(
                "the mock broker dropped the oldest messages of partition {partition} \
                 (log {low}..{high}); it keeps about 5 MB per partition: use more --partitions"
            ));
        }
    }
    http.run(&table_sql("bulk_q", &brokers, "bulk", args.consumers))?;
    http.run("CREATE TABLE bulk_t (id UInt64, kind String) ENGINE = MergeTree ORDER BY id")?;
    let t = Instant::now();
    http.run("CREATE MATERIALIZED VIEW bulk_mv TO bulk_t AS SELECT id, kind FROM bulk_q")?;
    let want = args.messages.to_string();
    // When rows first became visible, and how many.
    let mut first_row: Option<(f64, u64)> = None;
    loop {
        let count = http.run("SELECT count() FROM bulk_t")?;
        if count == want {
            break;
        }
        let visible: u64 = count.parse().unwrap_or(0);
        if first_row.is_none() && visible > 0 {
            first_row = Some((t.elapsed().as_secs_f64(), visible));
        }
        if t.elapsed() > Duration::from_secs(600) {
            return Err("throughput run did not finish in 10 minutes".into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let ingest_s = t.elapsed().as_secs_f64();
    let (first_s, first_n) = first_row.unwrap_or((ingest_s, args.messages));
    println!(
        "produced {} messages in {produce_s:.2} s; consumed to queryable in {ingest_s:.2} s = {:.0} msg/s end to end \
         (first rows after {first_s:.2} s, the group join included; {:.0} msg/s after them)",
        args.messages,
        args.messages as f64 / ingest_s,
        (args.messages - first_n) as f64 / (ingest_s - first_s).max(1e-3)
    );

    // 2. Freshness at a steady rate.
    cluster
        .create_topic("live", args.partitions, 1)
        .map_err(|e| format!("create topic: {e}"))?;
    http.run(&table_sql("live_q", &brokers, "live", args.consumers))?;
    http.run("CREATE TABLE live_t (id UInt64, ts UInt64) ENGINE = MergeTree ORDER BY id")?;
    http.run("CREATE MATERIALIZED VIEW live_mv TO live_t AS SELECT id, ts FROM live_q")?;
    // Let the group form before measuring.
    send(
        &p,
        "live",
        &format!(r#"{{"id":0,"kind":"w","ts":{}}}"#, now_ms()),
    );
    p.flush(Duration::from_secs(10))
        .map_err(|e| e.to_string())?;
    let t = Instant::now();
    while http.run("SELECT count() FROM live_t")? != "1" {
        if t.elapsed() > Duration::from_secs(60) {
            return Err("the live consumer group did not form in 60 s".into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let done = done.clone();
        let addr = server.addr;
        std::thread::spawn(move || -> Result<Vec<u64>, String> {
            let mut h = Connection::open(addr)?;
            let mut samples = Vec::new();
            // Skip the first second (the rate ramps up).
            let start = Instant::now();
            while !done.load(Ordering::Acquire) {
                let newest: u64 = h.run("SELECT max(ts) FROM live_t")?.parse().unwrap_or(0);
                if start.elapsed() > Duration::from_secs(1) && newest > 0 {
                    samples.push(now_ms().saturating_sub(newest));
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            Ok(samples)
        })
    };
    let start = Instant::now();
    let total = (args.rate as f64 * args.seconds) as u64;
    for i in 1..=total {
        // Pace: message i is due at i / rate seconds.
        let due = Duration::from_secs_f64(i as f64 / args.rate as f64);
        let elapsed = start.elapsed();
        if due > elapsed + Duration::from_millis(1) {
            p.poll(Duration::ZERO);
            std::thread::sleep(due - elapsed);
        }
        send(
            &p,
            "live",
            &format!(r#"{{"id":{i},"kind":"l","ts":{}}}"#, now_ms()),
        );
        if i % 1000 == 0 {
            p.poll(Duration::ZERO);
        }
    }
    let sent_s = start.elapsed().as_secs_f64();
    // Once production stops the newest event only ages: stop sampling.
    done.store(true, Ordering::Release);
    p.flush(Duration::from_secs(30))
        .map_err(|e| e.to_string())?;
    let mut samples = sampler
        .join()
        .map_err(|_| "sampler panicked".to_string())??;
    samples.sort_unstable();
    if samples.is_empty() {
        return Err("no freshness samples".into());
    }
    let count = http.run("SELECT count() FROM live_t")?;
    println!(
        "steady {} msg/s for {sent_s:.1} s ({count} rows): freshness p50 {} ms, p99 {} ms, max {} ms ({} samples)",
        (total as f64 / sent_s) as u64,
        percentile(&samples, 0.5),
        percentile(&samples, 0.99),
        samples[samples.len() - 1],
        samples.len()
    );
    Ok(())
}

fn main() {
    if let Err(e) = run() {
        eprintln!("kafka benchmark failed: {e}");
        std::process::exit(1);
    }
}
