//! `/metrics`: server counters and gauges in the Prometheus text exposition format.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use crate::server::ServerState;

/// Counters the request handlers bump; read by `/metrics`.
#[derive(Debug)]
pub struct Metrics {
    started: Instant,
    queries: AtomicU64,
    failed_queries: AtomicU64,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            started: Instant::now(),
            queries: AtomicU64::new(0),
            failed_queries: AtomicU64::new(0),
        }
    }
}

impl Metrics {
    /// Counts one query request, failed or not.
    pub fn query_finished(&self, failed: bool) {
        self.queries.fetch_add(1, Ordering::Relaxed);
        if failed {
            self.failed_queries.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Query requests answered so far.
    pub fn queries(&self) -> u64 {
        self.queries.load(Ordering::Relaxed)
    }

    /// Query requests that ended in an error.
    pub fn failed_queries(&self) -> u64 {
        self.failed_queries.load(Ordering::Relaxed)
    }

    /// Seconds since the server started.
    pub fn uptime_seconds(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }
}

fn metric(out: &mut String, name: &str, kind: &str, help: &str, value: impl std::fmt::Display) {
    // Writing to a String cannot fail.
    let _ = write!(
        out,
        "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}\n"
    );
}

/// The Prometheus text for the server's current state.
pub fn render(state: &ServerState) -> String {
    let tables = state.engine.all_tables();
    let parts: usize = tables.iter().map(|t| t.snapshot().parts.len()).sum();
    let m = &state.metrics;
    let mut out = String::new();
    metric(
        &mut out,
        "granary_uptime_seconds",
        "gauge",
        "Seconds since the server started.",
        format_args!("{:.3}", m.uptime_seconds()),
    );
    metric(
        &mut out,
        "granary_queries_total",
        "counter",
        "Query requests answered.",
        m.queries(),
    );
    metric(
        &mut out,
        "granary_failed_queries_total",
        "counter",
        "Query requests that ended in an error.",
        m.failed_queries(),
    );
    metric(
        &mut out,
        "granary_open_sessions",
        "gauge",
        "Open HTTP sessions (session_id).",
        state.sessions.open_count(),
    );
    metric(
        &mut out,
        "granary_tables",
        "gauge",
        "Loaded tables.",
        tables.len(),
    );
    metric(
        &mut out,
        "granary_active_parts",
        "gauge",
        "Active data parts over all tables.",
        parts,
    );
    out
}
