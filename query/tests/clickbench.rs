//! The 43 ClickBench queries (plus scaled-down variants) as a golden test against
//! ClickHouse's own output.
//!
//! `clickbench/hitsgen.rs` generates a small deterministic `hits` table; `clickbench/regen.py`
//! loads the same rows into ClickHouse (chdb) and stores each query's TSV output under
//! `clickbench/expected/`. This test loads the rows into Granary in several parts, runs every
//! case of `clickbench/cases.tsv` through a [`Session`], and compares. Every case not in
//! [`KNOWN_FAILING`] must pass; a known failure that starts passing is only reported.
//!
//! `cargo test -p granary-query --test clickbench -- --nocapture` shows the per-case report
//! and the summary line. After changing the generator or cases.tsv, rerun regen.py and keep
//! its tie warnings at zero (Q25's ties are identical lines and harmless).

#[path = "clickbench/hitsgen.rs"]
mod hitsgen;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use granary_query::session::Session;
use granary_storage::StorageEngine;
use hitsgen::{Hits, DEFAULT_ROWS, DEFAULT_SEED};

/// Cases that fail today (the engine team's to-do list). Remove a name once it passes.
const KNOWN_FAILING: &[&str] = &[];

/// Rows per inserted batch: the table ends up with several parts.
const BATCH_ROWS: usize = 6_000;

/// How a case's output is compared with ClickHouse's.
#[derive(Debug, Clone, PartialEq)]
enum Compare {
    /// The same lines in the same order.
    Exact,
    /// The same lines in any order.
    Rows,
    /// The same lines in any order, and the given columns (the ORDER BY key) in the same order:
    /// rows that tie on the key may come in any order.
    Keyed(Vec<usize>),
    /// `LIMIT n` without ORDER BY: n rows (or all, if fewer) of the full result.
    Any(usize),
}

/// One golden case.
struct Case {
    name: String,
    compare: Compare,
    sql: String,
}

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clickbench")
}

/// Parses `cases.tsv` (`name<TAB>comparison<TAB>sql` lines, `#` comments).
fn cases() -> Vec<Case> {
    let text = std::fs::read_to_string(dir().join("cases.tsv")).expect("cases.tsv");
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let mut it = l.splitn(3, '\t');
            let (name, cmp, sql) = (it.next().unwrap(), it.next().unwrap(), it.next().unwrap());
            let compare = match cmp.split_once(':') {
                None if cmp == "exact" => Compare::Exact,
                None if cmp == "rows" => Compare::Rows,
                Some(("keyed", cols)) => {
                    Compare::Keyed(cols.split(',').map(|c| c.parse().unwrap()).collect())
                }
                Some(("any", n)) => Compare::Any(n.parse().unwrap()),
                _ => panic!("bad comparison {cmp:?} for {name}"),
            };
            Case {
                name: name.to_string(),
                compare,
                sql: sql.to_string(),
            }
        })
        .collect()
}

/// Whether two printed cells agree: equal text, or floats within a relative 1e-9 (only when
/// one of them is printed as a non-integer, so that big integers compare exactly).
fn cell_eq(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let floaty = |s: &str| s.contains(['.', 'e', 'E']) || s.contains("inf") || s.contains("nan");
    if !(floaty(a) || floaty(b)) {
        return false;
    }
    match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => {
            x == y || (x - y).abs() <= 1e-9 * x.abs().max(y.abs()) || (x.is_nan() && y.is_nan())
        }
        _ => false,
    }
}

fn row_eq(a: &[&str], b: &[&str]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| cell_eq(x, y))
}

fn split(text: &str) -> Vec<Vec<&str>> {
    text.lines().map(|l| l.split('\t').collect()).collect()
}

fn sorted<'a>(rows: &[Vec<&'a str>]) -> Vec<Vec<&'a str>> {
    let mut v = rows.to_vec();
    v.sort();
    v
}

fn same_rows(actual: &[Vec<&str>], expected: &[Vec<&str>]) -> bool {
    actual.len() == expected.len()
        && sorted(actual)
            .iter()
            .zip(sorted(expected).iter())
            .all(|(a, e)| row_eq(a, e))
}

/// Compares `actual` with `expected` (and, for [`Compare::Any`], the full result).
fn matches(compare: &Compare, actual: &str, expected: &str, full: Option<&str>) -> bool {
    let (a, e) = (split(actual), split(expected));
    match compare {
        Compare::Exact => a.len() == e.len() && a.iter().zip(&e).all(|(x, y)| row_eq(x, y)),
        Compare::Rows => same_rows(&a, &e),
        Compare::Keyed(cols) => {
            let key = |r: &Vec<&str>| -> Vec<String> {
                cols.iter()
                    .map(|&c| r.get(c).copied().unwrap_or("").to_string())
                    .collect()
            };
            same_rows(&a, &e)
                && a.iter().zip(&e).all(|(x, y)| {
                    row_eq(
                        &key(x).iter().map(|s| s.as_str()).collect::<Vec<_>>(),
                        &key(y).iter().map(|s| s.as_str()).collect::<Vec<_>>(),
                    )
                })
        }
        Compare::Any(n) => {
            let f = split(full.expect("full result"));
            let mut pool: Vec<Option<&Vec<&str>>> = f.iter().map(Some).collect();
            a.len() == (*n).min(f.len())
                && a.iter().all(|r| {
                    pool.iter_mut()
                        .find(|p| p.is_some_and(|p| row_eq(r, p)))
                        .map(|p| *p = None)
                        .is_some()
                })
        }
    }
}

/// The first differing lines of two outputs, for the report.
fn diff(actual: &str, expected: &str) -> String {
    let (a, e): (Vec<&str>, Vec<&str>) = (actual.lines().collect(), expected.lines().collect());
    let mut out = format!("      {} rows, expected {}\n", a.len(), e.len());
    let mut shown = 0;
    for i in 0..a.len().max(e.len()) {
        let (x, y) = (a.get(i).copied(), e.get(i).copied());
        if x != y && shown < 4 {
            let cut = |s: Option<&str>| {
                s.map(|s| s.chars().take(200).collect::<String>())
                    .unwrap_or_else(|| "<none>".into())
            };
            out += &format!(
                "      line {}:\n        got  {}\n        want {}\n",
                i + 1,
                cut(x),
                cut(y)
            );
            shown += 1;
        }
    }
    out
}

/// Creates `hits` through SQL and loads the generated rows in several parts.
fn load(hits: &Hits) -> (tempfile::TempDir, Session) {
    let dir = tempfile::tempdir().unwrap();
    let engine = StorageEngine::open(dir.path()).unwrap();
    let mut s = Session::new(engine.clone());
    let create = include_str!("../../clickbench/create.sql");
    s.execute(create).expect("CREATE TABLE hits");
    let t = engine.table("default", "hits").unwrap();
    let schema = t.schema().arrow_schema();
    let mut start = 0;
    while start < hits.rows.len() {
        let end = (start + BATCH_ROWS).min(hits.rows.len());
        t.insert(&hits.batch(&schema, start..end)).unwrap();
        start = end;
    }
    (dir, s)
}

/// Runs every case and checks that all but [`KNOWN_FAILING`] match ClickHouse.
#[test]
fn clickbench_golden() {
    let hits = Hits::generate(DEFAULT_ROWS, DEFAULT_SEED);
    let (_dir, mut s) = load(&hits);
    let cases = cases();
    // The 43 originals are queries.sql verbatim.
    let originals: Vec<&str> = include_str!("../../clickbench/queries.sql")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    let texts: Vec<&str> = cases
        .iter()
        .filter(|c| c.name.starts_with('Q'))
        .map(|c| c.sql.as_str())
        .collect();
    assert_eq!(
        texts, originals,
        "cases.tsv's Q-cases differ from queries.sql"
    );

    let mut failures: BTreeMap<String, String> = BTreeMap::new();
    let mut report = String::new();
    for case in &cases {
        let expected = std::fs::read_to_string(dir().join(format!("expected/{}.tsv", case.name)))
            .unwrap_or_else(|e| {
                panic!("expected/{}.tsv: {e} (run clickbench/regen.py)", case.name)
            });
        let full = matches!(case.compare, Compare::Any(_)).then(|| {
            std::fs::read_to_string(dir().join(format!("expected/{}.full.tsv", case.name)))
                .expect("full result")
        });
        let started = std::time::Instant::now();
        let result =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| s.execute(&case.sql)));
        let ms = started.elapsed().as_millis();
        let outcome = match result {
            Err(p) => {
                let msg = p
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                Err((format!("panic: {msg}"), String::new()))
            }
            Ok(Err(e)) => Err((
                format!("error {} ({}): {}", e.code(), e.code_name(), e.message()),
                String::new(),
            )),
            Ok(Ok(out)) => {
                let types: Vec<_> = out.columns.iter().map(|(_, t)| t.clone()).collect();
                let actual = granary_query::format::format_tsv(&out.batches, &types);
                if matches(&case.compare, &actual, &expected, full.as_deref()) {
                    Ok(())
                } else {
                    Err(("wrong result".to_string(), diff(&actual, &expected)))
                }
            }
        };
        match outcome {
            Ok(()) => report += &format!("  {} pass ({ms} ms)\n", case.name),
            Err((why, detail)) => {
                report += &format!("  {} FAIL ({ms} ms): {why}\n{detail}", case.name);
                failures.insert(case.name.clone(), why);
            }
        }
    }
    let originals_passing = cases
        .iter()
        .filter(|c| c.name.starts_with('Q') && !failures.contains_key(&c.name))
        .count();
    let variants = cases.iter().filter(|c| !c.name.starts_with('Q')).count();
    let variants_passing = cases
        .iter()
        .filter(|c| !c.name.starts_with('Q') && !failures.contains_key(&c.name))
        .count();
    println!("{report}");
    let list: Vec<String> = failures
        .iter()
        .map(|(n, why)| format!("{n} ({})", why.chars().take(120).collect::<String>()))
        .collect();
    println!(
        "clickbench: {originals_passing}/{} pass, variants {variants_passing}/{variants}; failing: {}",
        originals.len(),
        if list.is_empty() { "none".to_string() } else { list.join(", ") }
    );
    for name in KNOWN_FAILING {
        if !failures.contains_key(*name) {
            println!("note: {name} is in KNOWN_FAILING but passes now: remove it from the list");
        }
    }
    let unexpected: Vec<&String> = failures
        .keys()
        .filter(|n| !KNOWN_FAILING.contains(&n.as_str()))
        .collect();
    assert!(
        unexpected.is_empty(),
        "regressions (not in KNOWN_FAILING): {unexpected:?}"
    );
}

/// Writes the generated rows as TSV to `$CLICKBENCH_TSV` for regen.py
/// (`$CLICKBENCH_SEED` and `$CLICKBENCH_ROWS` override the defaults, for experiments only).
#[test]
#[ignore]
fn dump_hits_tsv() {
    let path = std::env::var("CLICKBENCH_TSV").expect("set CLICKBENCH_TSV");
    let seed = std::env::var("CLICKBENCH_SEED").map_or(DEFAULT_SEED, |s| s.parse().unwrap());
    let rows = std::env::var("CLICKBENCH_ROWS").map_or(DEFAULT_ROWS, |s| s.parse().unwrap());
    let hits = Hits::generate(rows, seed);
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    hits.write_tsv(&mut f).unwrap();
}

/// The comparison rules themselves.
#[test]
fn comparison_rules() {
    assert!(cell_eq("1.0000000000000002", "1"));
    assert!(!cell_eq("435090932899640449", "435090932899640448"));
    assert!(matches(
        &Compare::Keyed(vec![1]),
        "a\t2\nb\t2\nc\t1\n",
        "b\t2\na\t2\nc\t1\n",
        None
    ));
    assert!(!matches(
        &Compare::Keyed(vec![1]),
        "c\t1\na\t2\nb\t2\n",
        "b\t2\na\t2\nc\t1\n",
        None
    ));
    assert!(matches(&Compare::Any(2), "x\nz\n", "", Some("x\ny\nz\n")));
    assert!(!matches(&Compare::Any(2), "x\nx\n", "", Some("x\ny\nz\n")));
    assert!(!matches(&Compare::Exact, "a\nb\n", "b\na\n", None));
    assert!(matches(&Compare::Rows, "a\nb\n", "b\na\n", None));
}
