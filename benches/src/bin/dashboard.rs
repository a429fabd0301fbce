//! The dashboard benchmark of the materialized-views issue: a rollup view over N source
//! events, its dashboard query against the same aggregation on the raw table, at 1 and 32
//! concurrent HTTP clients (keep-alive connections, as a dashboard's pool), reporting
//! latency p50 / p99 and queries per second.
//!
//! ```text
//! cargo build --release -p granary-server -p granary-benches
//! target/release/dashboard --rows 10000000 --clients 1,32 --seconds 10
//! ```
//!
//! It starts `target/release/granary` (or `--server PATH`) on a free port with a temporary
//! data directory, creates the seed's `events` table and `hourly_events_mv`, loads the
//! rows in `--batches` inserts (each runs the view), waits for merges, then measures.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use granary_benches::server::{Connection, Server};

const EVENTS: &str = "CREATE TABLE events (event_id UInt64, user_id UInt32, \
    event_type LowCardinality(String), properties Map(String, String), event_time DateTime64(3)) \
    ENGINE = MergeTree() PARTITION BY toYYYYMM(event_time) ORDER BY (event_type, user_id, event_time)";

const VIEW: &str = "CREATE MATERIALIZED VIEW hourly_events_mv ENGINE = SummingMergeTree() \
    ORDER BY (event_type, hour) AS SELECT event_type, toStartOfHour(event_time) AS hour, \
    count() AS event_count, uniqHLL12(user_id) AS unique_users FROM events GROUP BY event_type, hour";

const DASHBOARD_VIEW: &str = "SELECT event_type, sum(event_count) AS total_events, \
    sum(unique_users) AS total_users FROM hourly_events_mv WHERE hour >= now() - INTERVAL 24 HOUR \
    GROUP BY event_type ORDER BY total_events DESC LIMIT 20";

const DASHBOARD_RAW: &str = "SELECT event_type, count() AS total_events, \
    uniqHLL12(user_id) AS total_users FROM events WHERE event_time >= now() - INTERVAL 24 HOUR \
    GROUP BY event_type ORDER BY total_events DESC LIMIT 20";

struct Args {
    rows: u64,
    batches: u64,
    clients: Vec<usize>,
    seconds: f64,
    server: PathBuf,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        rows: 10_000_000,
        batches: 20,
        clients: vec![1, 32],
        seconds: 10.0,
        server: PathBuf::from("target/release/granary"),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--rows" => args.rows = value()?.parse().map_err(|e| format!("--rows: {e}"))?,
            "--batches" => {
                args.batches = value()?.parse().map_err(|e| format!("--batches: {e}"))?
            }
            "--seconds" => {
                args.seconds = value()?.parse().map_err(|e| format!("--seconds: {e}"))?
            }
            "--clients" => {
                args.clients = value()?
                    .split(',')
                    .map(|c| c.trim().parse::<usize>())
                    .collect::<Result<_, _>>()
                    .map_err(|e| format!("--clients: {e}"))?
            }
            "--server" => args.server = PathBuf::from(value()?),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(args)
}

/// Latency summary of one run.
struct Summary {
    queries: usize,
    p50: Duration,
    p99: Duration,
    qps: f64,
}

fn measure(addr: SocketAddr, sql: &str, clients: usize, seconds: f64) -> Result<Summary, String> {
    let barrier = Arc::new(Barrier::new(clients));
    let handles: Vec<_> = (0..clients)
        .map(|_| {
            let barrier = barrier.clone();
            let sql = sql.to_string();
            std::thread::spawn(move || -> Result<Vec<Duration>, String> {
                let mut conn = Connection::open(addr)?;
                conn.run(&sql)?; // warm the connection
                barrier.wait();
                let end = Instant::now() + Duration::from_secs_f64(seconds);
                let mut latencies = Vec::new();
                while Instant::now() < end {
                    let t = Instant::now();
                    conn.run(&sql)?;
                    latencies.push(t.elapsed());
                }
                Ok(latencies)
            })
        })
        .collect();
    let mut all = Vec::new();
    for h in handles {
        all.extend(
            h.join()
                .map_err(|_| "client thread panicked".to_string())??,
        );
    }
    all.sort();
    let pick = |q: f64| all[((all.len() as f64 * q) as usize).min(all.len() - 1)];
    Ok(Summary {
        queries: all.len(),
        p50: pick(0.50),
        p99: pick(0.99),
        qps: all.len() as f64 / seconds,
    })
}

fn run() -> Result<(), String> {
    let args = parse_args()?;
    let server = Server::start(&args.server, "dashboard")?;
    let mut conn = Connection::open(server.addr)?;
    conn.run(EVENTS)?;
    conn.run(VIEW)?;
    let per_batch = args.rows.div_ceil(args.batches.max(1));
    let load = Instant::now();
    let mut start = 0;
    while start < args.rows {
        let n = per_batch.min(args.rows - start);
        // Events spread over the last 48 hours, 100k users, five event types.
        conn.run(&format!(
            "INSERT INTO events SELECT number AS event_id, toUInt32(sipHash64(number) % 100000) AS user_id, \
             ['click', 'view', 'buy', 'signup', 'share'][number % 5 + 1] AS event_type, \
             map('k', toString(number % 10)) AS properties, \
             now() - number % 172800 AS event_time \
             FROM numbers({start}, {n})"
        ))?;
        start += n;
    }
    let load_s = load.elapsed().as_secs_f64();
    conn.run("OPTIMIZE TABLE hourly_events_mv FINAL")?;
    let count = conn.run("SELECT count() FROM events")?;
    let view_rows = conn.run("SELECT count() FROM hourly_events_mv")?;
    println!(
        "loaded {count} events in {load_s:.1} s ({:.2} M rows/s through the view); view rows: {view_rows}",
        args.rows as f64 / load_s / 1e6
    );
    println!("| query | clients | queries | p50 ms | p99 ms | QPS |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (label, sql) in [("view", DASHBOARD_VIEW), ("raw table", DASHBOARD_RAW)] {
        for &clients in &args.clients {
            let s = measure(server.addr, sql, clients, args.seconds)?;
            println!(
                "| {label} | {clients} | {} | {:.2} | {:.2} | {:.0} |",
                s.queries,
                s.p50.as_secs_f64() * 1e3,
                s.p99.as_secs_f64() * 1e3,
                s.qps
            );
        }
    }
    Ok(())
}

fn main() {
    if let Err(e) = run() {
        eprintln!("dashboard benchmark failed: {e}");
        std::process::exit(1);
    }
}
