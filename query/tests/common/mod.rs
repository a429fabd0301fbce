//! Helpers shared by the integration tests: the `.slt` file reader, and a query result
//! as ClickHouse's TSV lines. (The ClickBench schema and queries the tests include live in
//! the workspace's `clickbench/`.)
#![allow(dead_code)] // Each test binary uses its own subset.

pub mod slt;

use granary_query::session::{QueryOutput, Session};

/// The output as ClickHouse's TSV lines.
pub fn text(out: &QueryOutput) -> Vec<String> {
    let types: Vec<_> = out.columns.iter().map(|(_, t)| t.clone()).collect();
    granary_query::format::format_tsv(&out.batches, &types)
        .lines()
        .map(|l| l.to_string())
        .collect()
}

/// Runs `sql`, panicking with the statement on error; the result as TSV lines.
pub fn q(s: &mut Session, sql: &str) -> Vec<String> {
    match s.execute(sql) {
        Ok(out) => text(&out),
        Err(e) => panic!("{sql}: {e}"),
    }
}
