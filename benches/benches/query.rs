//! Query benchmarks: the hot paths of the SELECT pipeline (filter, hash aggregation by an
//! integer and by a string key, count(DISTINCT), top-k, LIKE) over a 2M-row MergeTree table,
//! each run through [`Session::execute`] so that scan, decode, filter, aggregation, sort and
//! result assembly all count.
//!
//! `cargo bench -p granary-benches --bench query` runs them all (about 80 s); add a
//! filter after `--`, e.g. `cargo bench -p granary-benches --bench query -- group_by_int`.
//! Every query runs with `SET max_threads = 1` and `= 2` (the `threads=N` part of the
//! name); `GRANARY_BENCH_THREADS=1,4` picks other settings.
//!
//! Group `scan` holds baselines (keyless sums over the same columns) to subtract.
//!
//! The table ([`granary_benches::query_schema`]) is generated and inserted once, in four
//! parts, into a temporary directory; queries read it from the page cache. Throughput is
//! rows scanned per second (the table's row count, whatever the query returns).

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{
    criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use granary_benches::{
    load_query_table, QUERY_BIG_KEYS, QUERY_ROWS, QUERY_SMALL_KEYS, QUERY_STRING_KEYS,
};
use granary_query::session::Session;
use granary_storage::StorageEngine;

/// Rows per inserted batch: the table has `QUERY_ROWS / BATCH_ROWS` parts.
const BATCH_ROWS: usize = 500_000;

/// One benchmarked query.
struct Case {
    /// The benchmark group.
    group: &'static str,
    /// The benchmark name inside the group.
    name: &'static str,
    /// The statement.
    sql: &'static str,
    /// Rows the result must have (checked once before measuring).
    result_rows: usize,
}

/// The benchmarked queries, in group order.
fn cases() -> Vec<Case> {
    vec![
        // Baselines: scan, decode and a keyless sum of the columns the queries below read,
        // so that a query's time minus its baseline is what its own operator costs.
        Case {
            group: "scan",
            name: "sum_a",
            sql: "SELECT sum(a) FROM t",
            result_rows: 1,
        },
        Case {
            group: "scan",
            name: "sum_k1m_v",
            sql: "SELECT sum(k1m), sum(v) FROM t",
            result_rows: 1,
        },
        Case {
            group: "scan",
            name: "sum_length_s",
            sql: "SELECT sum(length(s)) FROM t",
            result_rows: 1,
        },
        Case {
            group: "scan",
            name: "sum_length_url",
            sql: "SELECT sum(length(url)) FROM t",
            result_rows: 1,
        },
        Case {
            group: "filter",
            name: "count_a_ne_0",
            sql: "SELECT count() FROM t WHERE a <> 0",
            result_rows: 1,
        },
        Case {
            group: "filter",
            name: "count_a_gt_and_b_lt",
            sql: "SELECT count() FROM t WHERE a > 100 AND b < 50",
            result_rows: 1,
        },
        Case {
            group: "group_by_int",
            name: "1k_keys_count_sum",
            sql: "SELECT k1k, count(), sum(v) FROM t GROUP BY k1k",
            result_rows: QUERY_SMALL_KEYS as usize,
        },
        Case {
            group: "group_by_int",
            name: "1m_keys_count_sum",
            sql: "SELECT k1m, count(), sum(v) FROM t GROUP BY k1m",
            result_rows: QUERY_BIG_KEYS as usize,
        },
        Case {
            group: "group_by_string",
            name: "10k_keys_count",
            sql: "SELECT s, count() FROM t GROUP BY s",
            result_rows: QUERY_STRING_KEYS as usize,
        },
        Case {
            group: "group_by_string",
            name: "count_distinct_user",
            sql: "SELECT count(DISTINCT user) FROM t",
            result_rows: 1,
        },
        Case {
            group: "top_k",
            name: "order_by_v_desc_limit_10",
            sql: "SELECT s, v FROM t ORDER BY v DESC LIMIT 10",
            result_rows: 10,
        },
        Case {
            group: "like",
            name: "count_url_like_google",
            sql: "SELECT count() FROM t WHERE url LIKE '%google%'",
            result_rows: 1,
        },
    ]
}

/// The `max_threads` settings to measure: `GRANARY_BENCH_THREADS` (comma-separated) or 1, 2.
fn thread_settings() -> Vec<usize> {
    std::env::var("GRANARY_BENCH_THREADS")
        .ok()
        .map(|v| {
            v.split(',')
                .map(|n| n.trim().parse().expect("GRANARY_BENCH_THREADS: numbers"))
                .collect()
        })
        .unwrap_or_else(|| vec![1, 2])
}

/// A session on `engine` with `SET max_threads = threads`.
fn session(engine: &Arc<StorageEngine>, threads: usize) -> Session {
    let mut s = Session::new(engine.clone());
    s.execute(&format!("SET max_threads = {threads}"))
        .expect("SET max_threads");
    s
}

fn queries(c: &mut Criterion) {
    let root = tempfile::tempdir().expect("tempdir");
    let engine = StorageEngine::open(root.path()).expect("engine");
    let t = Instant::now();
    load_query_table(&engine, QUERY_ROWS, BATCH_ROWS).expect("load table");
    println!(
        "loaded {QUERY_ROWS} rows in {} parts in {:.1?}",
        QUERY_ROWS.div_ceil(BATCH_ROWS),
        t.elapsed()
    );

    let threads = thread_settings();
    let cases = cases();
    let mut groups: Vec<&'static str> = cases.iter().map(|c| c.group).collect();
    groups.dedup();
    for group in groups {
        let mut g = c.benchmark_group(group);
        g.sample_size(10);
        g.sampling_mode(SamplingMode::Flat);
        g.warm_up_time(Duration::from_millis(500));
        g.measurement_time(Duration::from_secs(2));
        g.throughput(Throughput::Elements(QUERY_ROWS as u64));
        for case in cases.iter().filter(|c| c.group == group) {
            for &n in &threads {
                let mut s = session(&engine, n);
                let out = s.execute(case.sql).expect(case.sql);
                assert_eq!(out.num_rows(), case.result_rows, "{}", case.sql);
                g.bench_function(BenchmarkId::new(case.name, format!("threads={n}")), |b| {
                    b.iter(|| s.execute(case.sql).expect(case.sql))
                });
            }
        }
        g.finish();
    }
}

criterion_group!(benches, queries);
criterion_main!(benches);
