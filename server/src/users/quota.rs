//! Quotas: how much a user may do per time interval (ClickHouse's `quotas`, simplified).
//!
//! A quota has one or more intervals; each counts, per user, the queries started, the
//! queries that failed, the rows returned and the rows read since the interval began.
//! Intervals are aligned to multiples of their duration since the epoch (as ClickHouse's
//! are without `randomize_interval`). A query that would go past a limit fails with 201
//! QUOTA_EXCEEDED: `queries` is checked when a query starts, `errors`, `result_rows` and
//! `read_rows` as soon as the counters are above the limit (the query that crosses a row
//! limit fails too, since its result is not sent).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Deserialize;

/// The limits of one interval; a limit that is not set (or 0) does not apply.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuotaInterval {
    /// Length of the interval in seconds (at least 1).
    pub duration: u64,
    /// Most queries started per interval.
    #[serde(default)]
    pub queries: u64,
    /// Most failed queries per interval.
    #[serde(default)]
    pub errors: u64,
    /// Most result rows per interval.
    #[serde(default)]
    pub result_rows: u64,
    /// Most rows read per interval.
    #[serde(default)]
    pub read_rows: u64,
}

/// A named quota: its intervals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quota {
    /// The quota's name in the users file.
    pub name: String,
    /// Its intervals (all apply at once).
    pub intervals: Vec<QuotaInterval>,
}

/// What a finished query used.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueryUse {
    /// Whether the query failed.
    pub failed: bool,
    /// Rows it returned.
    pub result_rows: u64,
    /// Rows it read.
    pub read_rows: u64,
}

/// A quota limit was reached: the message of error 201 QUOTA_EXCEEDED.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaExceeded(pub String);

/// The counters of one interval of one user.
#[derive(Debug, Clone, Copy, Default)]
struct Counters {
    /// When the interval ends (seconds since the epoch).
    end: u64,
    queries: u64,
    errors: u64,
    result_rows: u64,
    read_rows: u64,
}

/// The counters of every user with a quota (kept in memory; they restart with the server).
#[derive(Debug, Default)]
pub struct QuotaTracker {
    usage: Mutex<HashMap<String, Vec<Counters>>>,
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl QuotaTracker {
    /// Counts a query of `user` starting now; fails if a limit is already reached.
    pub fn start_query(&self, user: &str, quota: &Quota) -> Result<(), QuotaExceeded> {
        self.start_query_at(user, quota, now_secs())
    }

    /// Adds what a finished query of `user` used; fails if that takes a row limit past
    /// its maximum.
    pub fn finish_query(
        &self,
        user: &str,
        quota: &Quota,
        used: QueryUse,
    ) -> Result<(), QuotaExceeded> {
        self.finish_query_at(user, quota, used, now_secs())
    }

    fn with_counters<R>(
        &self,
        user: &str,
        quota: &Quota,
        now: u64,
        f: impl FnOnce(&mut [Counters]) -> R,
    ) -> R {
        let mut usage = self
            .usage
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let counters = usage.entry(user.to_owned()).or_default();
        counters.resize(quota.intervals.len(), Counters::default());
        for (c, interval) in counters.iter_mut().zip(&quota.intervals) {
            if now >= c.end {
                let d = interval.duration.max(1);
                *c = Counters {
                    end: (now / d).saturating_add(1).saturating_mul(d),
                    ..Counters::default()
                };
            }
        }
        f(counters)
    }

    fn start_query_at(&self, user: &str, quota: &Quota, now: u64) -> Result<(), QuotaExceeded> {
        self.with_counters(user, quota, now, |counters| {
            for (c, interval) in counters.iter_mut().zip(&quota.intervals) {
                c.queries += 1;
                check(user, quota, interval, c)?;
            }
            Ok(())
        })
    }

    fn finish_query_at(
        &self,
        user: &str,
        quota: &Quota,
        used: QueryUse,
        now: u64,
    ) -> Result<(), QuotaExceeded> {
        self.with_counters(user, quota, now, |counters| {
            let mut result = Ok(());
            for (c, interval) in counters.iter_mut().zip(&quota.intervals) {
                c.errors += u64::from(used.failed);
                c.result_rows = c.result_rows.saturating_add(used.result_rows);
                c.read_rows = c.read_rows.saturating_add(used.read_rows);
                if result.is_ok() {
                    result = check(user, quota, interval, c);
                }
            }
            result
        })
    }
}

/// Fails when a counter of `c` is above its limit in `interval`.
fn check(
    user: &str,
    quota: &Quota,
    interval: &QuotaInterval,
    c: &Counters,
) -> Result<(), QuotaExceeded> {
    let over = [
        ("queries", c.queries, interval.queries),
        ("errors", c.errors, interval.errors),
        ("result_rows", c.result_rows, interval.result_rows),
        ("read_rows", c.read_rows, interval.read_rows),
    ]
    .into_iter()
    .find(|(_, used, max)| *max > 0 && used > max);
    match over {
        None => Ok(()),
        Some((what, used, max)) => {
            let mut end = Vec::new();
            granary_query::format::write_datetime(
                i64::try_from(c.end).unwrap_or(i64::MAX),
                None,
                &mut end,
            );
            Err(QuotaExceeded(format!(
                "Quota for user `{user}` for {}s has been exceeded: {what} = {used}/{max}. \
                 Interval will end at {}. Name of quota template: `{}`",
                interval.duration,
                String::from_utf8_lossy(&end),
                quota.name
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quota(interval: QuotaInterval) -> Quota {
        Quota {
            name: "q".into(),
            intervals: vec![interval],
        }
    }

    #[test]
    fn queries_per_interval() {
        let q = quota(QuotaInterval {
            duration: 60,
            queries: 2,
            ..QuotaInterval::default()
        });
        let t = QuotaTracker::default();
        assert!(t.start_query_at("a", &q, 120).is_ok());
        assert!(t.start_query_at("a", &q, 130).is_ok());
        let e = t.start_query_at("a", &q, 140).unwrap_err();
        assert_eq!(
            e.0,
            "Quota for user `a` for 60s has been exceeded: queries = 3/2. \
             Interval will end at 1970-01-01 00:03:00. Name of quota template: `q`"
        );
        // Another user has counters of their own; a new interval starts afresh.
        assert!(t.start_query_at("b", &q, 140).is_ok());
        assert!(t.start_query_at("a", &q, 180).is_ok());
    }

    #[test]
    fn errors_and_rows() {
        let q = quota(QuotaInterval {
            duration: 10,
            errors: 1,
            result_rows: 100,
            ..QuotaInterval::default()
        });
        let t = QuotaTracker::default();
        let failed = QueryUse {
            failed: true,
            ..QueryUse::default()
        };
        assert!(t.finish_query_at("a", &q, failed, 1).is_ok());
        assert!(t.start_query_at("a", &q, 2).is_ok());
        assert!(t.finish_query_at("a", &q, failed, 2).is_err());
        assert!(t.start_query_at("a", &q, 3).is_err());
        let rows = |n| QueryUse {
            result_rows: n,
            ..QueryUse::default()
        };
        assert!(t.finish_query_at("b", &q, rows(100), 1).is_ok());
        let e = t.finish_query_at("b", &q, rows(1), 1).unwrap_err();
        assert!(e.0.contains("result_rows = 101/100"), "{}", e.0);
    }
}
