//! High-cardinality GROUP BY: the two-level (bucketed) hash aggregation and its parallel
//! merge must give the same groups as the single-level path, whatever `max_threads`.

use arrow::array::AsArray;
use arrow::datatypes::{DataType as ArrowType, UInt64Type};
use granary_query::session::Session;
use granary_storage::StorageEngine;

/// The first row of a query's result, every column cast to UInt64.
fn first_row(s: &mut Session, sql: &str) -> Vec<u64> {
    let out = s.execute(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    let b = &out.batches[0];
    b.columns()
        .iter()
        .map(|c| {
            let c = arrow::compute::cast(c, &ArrowType::UInt64).unwrap();
            c.as_primitive::<UInt64Type>().value(0)
        })
        .collect()
}

/// Runs `check` on a fresh session with max_threads 1, 2 and 4.
fn with_threads(check: impl Fn(&mut Session, usize)) {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Session::new(StorageEngine::open(dir.path()).unwrap());
    for t in [1, 2, 4] {
        s.settings.max_threads = t;
        check(&mut s, t);
    }
}

#[test]
fn int_keys_300k() {
    with_threads(|s, t| {
        let r = first_row(
            s,
            "SELECT count(), min(c), max(c), countIf(x != 3 * k + 900000), uniqExact(k) \
             FROM (SELECT number % 300000 AS k, count() AS c, sum(number) AS x \
                   FROM numbers(900000) GROUP BY k)",
        );
        assert_eq!(r, vec![300_000, 3, 3, 0, 300_000], "max_threads {t}");
    });
}

#[test]
fn two_int_keys_packed_128_and_state_consuming_aggregates() {
    with_threads(|s, t| {
        // (k, k % 7) keys: 16 bytes packed; groupArray and uniqExact states are moved on
        // merge.
        let r = first_row(
            s,
            "SELECT count(), min(c), max(c), min(l), max(l), min(u), max(u) \
             FROM (SELECT number % 150000 AS k, toInt64(number % 150000 % 7) AS j, \
                          count() AS c, length(groupArray(number)) AS l, \
                          uniqExact(number) AS u \
                   FROM numbers(450000) GROUP BY k, j)",
        );
        assert_eq!(r, vec![150_000, 3, 3, 3, 3, 3, 3], "max_threads {t}");
    });
}

#[test]
fn string_keys() {
    with_threads(|s, t| {
        let r = first_row(
            s,
            "SELECT count(), min(c), max(c), uniqExact(k) \
             FROM (SELECT toString(number % 150000) AS k, count() AS c \
                   FROM numbers(450000) GROUP BY k)",
        );
        assert_eq!(r, vec![150_000, 3, 3, 150_000], "max_threads {t}");
    });
}

#[test]
fn string_keys_with_nulls_appearing_late() {
    with_threads(|s, t| {
        // A String key table starts with raw bytes and turns to rows at the first NULL
        // (row 150000), while threads still merge String-key tables.
        let r = first_row(
            s,
            "SELECT count(), countIf(k IS NULL), countIf(k = ''), min(c), max(c), sum(c) \
             FROM (SELECT nullIf(if(number % 200000 = 7, '', toString(number % 200000)), '150000') AS k, \
                          count() AS c \
                   FROM numbers(600000) GROUP BY k)",
        );
        assert_eq!(r, vec![200_000, 1, 1, 3, 3, 600_000], "max_threads {t}");
    });
}

#[test]
fn null_keys_appearing_after_the_threshold() {
    with_threads(|s, t| {
        // The first NULL key shows up at row 150000, after the table turned two-level.
        let r = first_row(
            s,
            "SELECT count(), countIf(k IS NULL), min(c), max(c), sum(c) \
             FROM (SELECT nullIf(number % 200000, 150000) AS k, count() AS c \
                   FROM numbers(600000) GROUP BY k)",
        );
        assert_eq!(r, vec![200_000, 1, 3, 3, 600_000], "max_threads {t}");
    });
}

#[test]
fn threshold_crossed_mid_query() {
    with_threads(|s, t| {
        // 10 keys for the first 300k rows, then 250k new keys.
        let r = first_row(
            s,
            "SELECT count(), sum(c), max(c), countIf(c = 1) \
             FROM (SELECT if(number < 300000, number % 10, number) AS k, count() AS c \
                   FROM numbers(550000) GROUP BY k)",
        );
        assert_eq!(
            r,
            vec![250_010, 550_000, 30_000, 250_000],
            "max_threads {t}"
        );
    });
}

#[test]
fn rollup_over_many_keys() {
    with_threads(|s, t| {
        // a = number % 100000 has three b = number % 3 each: 300000 + 100000 + 1 rows.
        let r = first_row(
            s,
            "SELECT count(), sum(c), max(c) \
             FROM (SELECT number % 100000 AS a, number % 3 AS b, count() AS c \
                   FROM numbers(300000) GROUP BY a, b WITH ROLLUP)",
        );
        assert_eq!(r, vec![400_001, 900_000, 300_000], "max_threads {t}");
    });
}

#[test]
fn small_results_stay_single_level() {
    with_threads(|s, t| {
        let r = first_row(
            s,
            "SELECT count(), sum(c) FROM (SELECT number % 10 AS k, count() AS c \
             FROM numbers(1000000) GROUP BY k)",
        );
        assert_eq!(r, vec![10, 1_000_000], "max_threads {t}");
    });
}
