//! Golden SQL tests: every `query/tests/slt/*.slt` file runs in a fresh session over a fresh
//! storage engine, and each result must equal what ClickHouse prints (the expectations are
//! generated with chdb by `query/tests/slt/regen.py`). Files under `slt/pending/` use
//! features the engine lacks yet and are not run.
//!
//! File format (sqllogictest-like; records are separated by blank lines, `#` starts a
//! comment line):
//!
//! ```text
//! statement ok
//! CREATE TABLE t (a UInt32) ENGINE = MergeTree ORDER BY a
//!
//! statement error 60
//! SELECT * FROM nope
//!
//! query [rowsort]
//! SELECT a FROM t ORDER BY a
//! ----
//! 1
//! ```
//!
//! Values in a row are separated by one tab. `query` output is TabSeparated through `granary_query::format`; rows are compared in
//! order, or sorted on both sides with `rowsort`. An empty output line is written
//! `(empty)`. Run one file with `SLT_FILTER=name cargo test -p granary-query --test slt`;
//! add `SLT_PENDING=1` to run the pending files too (to see which can move out).

mod common;

use std::path::{Path, PathBuf};

use common::slt::{parse_records, Record};

/// Runs one statement, returning its TSV output or (code, message).
type Exec<'a> = dyn FnMut(&str) -> Result<String, (i32, String)> + 'a;

/// A session over a fresh engine in `dir`, as an `Exec`.
fn session(dir: &Path) -> Box<Exec<'static>> {
    let engine = granary_storage::StorageEngine::open(dir).expect("open storage engine");
    let mut session = granary_query::session::Session::new(engine);
    Box::new(move |sql: &str| match session.execute(sql) {
        Ok(out) => {
            let types: Vec<_> = out.columns.iter().map(|(_, t)| t.clone()).collect();
            Ok(granary_query::format::format_tsv(&out.batches, &types))
        }
        Err(e) => Err((e.code(), e.to_clickhouse_string())),
    })
}

fn slt_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/slt");
    let filter = std::env::var("SLT_FILTER").unwrap_or_default();
    let mut dirs = vec![dir.clone()];
    if std::env::var("SLT_PENDING").is_ok_and(|v| v == "1") {
        dirs.push(dir.join("pending"));
    }
    let mut files: Vec<PathBuf> = dirs
        .iter()
        .flat_map(|d| std::fs::read_dir(d).into_iter().flatten())
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "slt"))
        .filter(|p| p.to_string_lossy().contains(&filter))
        .collect();
    files.sort();
    files
}

/// Runs the records of one file; returns the failures.
fn run_file(path: &Path, exec: &mut Exec<'_>) -> Vec<String> {
    let name = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => return vec![format!("{name}: cannot read: {e}")],
    };
    let records = match parse_records(&text) {
        Ok(r) => r,
        Err(e) => return vec![format!("{name}: {e}")],
    };
    let mut failures = Vec::new();
    for rec in records {
        match rec {
            Record::Statement { line, sql, error } => match (exec(&sql), error) {
                (Ok(_), None) => {}
                (Err((_, msg)), None) => {
                    failures.push(format!("{name}:{line}: statement failed: {sql}\n  {msg}"))
                }
                (Ok(_), Some(_)) => failures.push(format!(
                    "{name}:{line}: statement succeeded but an error was expected: {sql}"
                )),
                (Err((code, msg)), Some(want)) => {
                    if want.is_some_and(|w| w != code) {
                        failures.push(format!(
                            "{name}:{line}: expected error {}, got: {msg}\n  {sql}",
                            want.unwrap_or_default()
                        ));
                    }
                }
            },
            Record::Query {
                line,
                sql,
                rowsort,
                expected,
            } => match exec(&sql) {
                Err((_, msg)) => {
                    failures.push(format!("{name}:{line}: query failed: {sql}\n  {msg}"))
                }
                Ok(out) => {
                    let mut got: Vec<String> = out.lines().map(str::to_string).collect();
                    let mut want = expected.clone();
                    if rowsort {
                        got.sort();
                        want.sort();
                    }
                    if got != want {
                        failures.push(format!(
                            "{name}:{line}: wrong result for {sql}\n--- expected\n{}\n--- got\n{}",
                            want.join("\n"),
                            got.join("\n")
                        ));
                    }
                }
            },
        }
    }
    failures
}

#[test]
fn slt_files_pass() {
    let files = slt_files();
    let mut failures = Vec::new();
    for path in &files {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut exec = session(dir.path());
        failures.extend(run_file(path, &mut *exec));
    }
    assert!(
        failures.is_empty(),
        "{} failure(s) in {} file(s):\n\n{}",
        failures.len(),
        files.len(),
        failures.join("\n\n")
    );
}

#[test]
fn runner_reports_mismatches() {
    // The runner itself, against a fake executor.
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("x.slt");
    std::fs::write(
        &path,
        "statement ok\nA\n\nstatement error 60\nB\n\nquery rowsort\nC\n----\n2\n1\n\nquery\nD\n----\n(empty)\nx\n",
    )
    .expect("write");
    let mut fake = |sql: &str| -> Result<String, (i32, String)> {
        match sql {
            "A" => Ok(String::new()),
            "B" => Err((60, "nope".into())),
            "C" => Ok("1\n2\n".into()),
            _ => Ok("\ny\n".into()),
        }
    };
    let failures = run_file(&path, &mut fake);
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(failures[0].contains("x.slt:13"), "{failures:?}");
}
