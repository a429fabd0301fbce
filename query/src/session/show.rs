//! SHOW TABLES / DATABASES / CREATE TABLE, DESCRIBE, EXISTS.

use std::sync::Arc;

use arrow::array::{ArrayRef, BinaryArray, UInt8Array};
use granary_storage::types::DataType;

use super::{QueryOutput, Session};
use crate::error::Result;
use crate::plan::select::make_batch;
use crate::query_err;
use crate::sql::Statement;

fn strings(values: Vec<String>) -> ArrayRef {
    Arc::new(BinaryArray::from_iter_values(values.iter()))
}

fn output(columns: Vec<(&str, DataType)>, arrays: Vec<ArrayRef>) -> Result<QueryOutput> {
    let rows = arrays.first().map(|a| a.len()).unwrap_or(0);
    let columns: Vec<(String, DataType)> = columns
        .into_iter()
        .map(|(n, t)| (n.to_string(), t))
        .collect();
    let batch = make_batch(&columns, arrays, rows)?;
    Ok(QueryOutput {
        columns,
        batches: vec![batch],
        format: None,
        totals: None,
    })
}

/// A SQL LIKE pattern matched against `s` (`%` and `_`).
fn like(s: &str, pattern: &str) -> bool {
    let re = regex::escape(pattern).replace('%', ".*").replace('_', ".");
    regex::Regex::new(&format!("^(?s){re}$")).is_ok_and(|r| r.is_match(s))
}

pub(super) fn execute_show(s: &mut Session, stmt: Statement) -> Result<QueryOutput> {
    let engine = s.engine.clone();
    match stmt {
        Statement::ShowTables {
            database,
            like: pat,
            ..
        } => {
            let db = s.db(&database);
            let names: Vec<String> = engine
                .table_names(&db)?
                .into_iter()
                .filter(|n| pat.as_deref().is_none_or(|p| like(n, p)))
                .collect();
            output(vec![("name", DataType::String)], vec![strings(names)])
        }
        Statement::ShowDatabases { like: pat, .. } => {
            let mut names = engine.databases();
            names.push("system".into());
            names.sort();
            names.retain(|n| pat.as_deref().is_none_or(|p| like(n, p)));
            output(vec![("name", DataType::String)], vec![strings(names)])
        }
        Statement::ShowCreateTable { database, name, .. } => {
            let db = s.db(&database);
            let create_query = match engine.view(&db, &name) {
                Some(view) => view.create_query.clone(),
                None => engine.table_metadata(&db, &name)?.create_query,
            };
            output(
                vec![("statement", DataType::String)],
                vec![strings(vec![create_query])],
            )
        }
        Statement::Describe { database, name, .. } => {
            let db = s.db(&database);
            let t = engine.table(&db, &name)?;
            let cols = &t.schema().columns;
            let kind = |c: &granary_storage::schema::ColumnDef| {
                c.default
                    .as_ref()
                    .map(|d| format!("{:?}", d.kind).to_uppercase())
                    .unwrap_or_default()
            };
            let codec = |c: &granary_storage::schema::ColumnDef| {
                c.codec
                    .as_ref()
                    .map(|x| format!("CODEC({})", x.to_sql()))
                    .unwrap_or_default()
            };
            output(
                vec![
                    ("name", DataType::String),
                    ("type", DataType::String),
                    ("default_type", DataType::String),
                    ("default_expression", DataType::String),
                    ("comment", DataType::String),
                    ("codec_expression", DataType::String),
                    ("ttl_expression", DataType::String),
                ],
                vec![
                    strings(cols.iter().map(|c| c.name.clone()).collect()),
                    strings(cols.iter().map(|c| c.data_type.to_string()).collect()),
                    strings(cols.iter().map(kind).collect()),
                    strings(
                        cols.iter()
                            .map(|c| {
                                c.default
                                    .as_ref()
                                    .map(|d| d.expr.clone())
                                    .unwrap_or_default()
                            })
                            .collect(),
                    ),
                    strings(cols.iter().map(|c| c.comment.clone()).collect()),
                    strings(cols.iter().map(codec).collect()),
                    strings(cols.iter().map(|_| String::new()).collect()),
                ],
            )
        }
        Statement::Exists { database, name, .. } => {
            let db = s.db(&database);
            let exists = engine.view(&db, &name).is_some() || engine.table(&db, &name).is_ok();
            output(
                vec![("result", DataType::UInt8)],
                vec![Arc::new(UInt8Array::from(vec![exists as u8]))],
            )
        }
        other => query_err!(NotImplemented, "{other:?} is not supported"),
    }
}
