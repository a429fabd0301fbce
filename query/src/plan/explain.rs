//! EXPLAIN: the steps a SELECT runs, and for a MergeTree source the key condition and the
//! mark ranges chosen in every part, so a user can see the primary index prune.

use std::collections::HashMap;
use std::ops::Bound;
use std::sync::Arc;

use arrow::array::{ArrayRef, BinaryArray};
use granary_storage::types::DataType;
use sqlparser::ast::{Query, SelectItem, SetExpr, TableFactor};

use super::binder::{object_name_parts, Binder, Scope};
use super::select::{make_batch, QueryOutput};
use super::source::key_condition;
use super::QueryContext;
use crate::error::Result;

fn bound_text(b: &Bound<granary_storage::value::Value>, open: &str, close: &str) -> String {
    match b {
        Bound::Unbounded => "unbounded".into(),
        Bound::Included(v) => format!("{open}{}", v.id_fragment_display()),
        Bound::Excluded(v) => format!("{close}{}", v.id_fragment_display()),
    }
}

trait DisplayValue {
    fn id_fragment_display(&self) -> String;
}

impl DisplayValue for granary_storage::value::Value {
    fn id_fragment_display(&self) -> String {
        use granary_storage::value::Value as V;
        match self {
            V::Bytes(b) => format!("'{}'", String::from_utf8_lossy(b)),
            V::Float(f) => f.to_string(),
            other => other.id_fragment(),
        }
    }
}

/// The plan of `q` as text, one line per row of a single `explain` column.
pub fn explain(ctx: &QueryContext, q: &Query) -> Result<QueryOutput> {
    let mut lines: Vec<String> = Vec::new();
    if q.limit_clause.is_some() {
        lines.push("Limit".into());
    }
    if q.order_by.is_some() {
        lines.push("Sorting (ORDER BY)".into());
    }
    match q.body.as_ref() {
        SetExpr::Select(s) => {
            lines.push("Expression (Projection)".into());
            let aggregating = !matches!(&s.group_by, sqlparser::ast::GroupByExpr::Expressions(e, _) if e.is_empty())
                || s.projection.iter().any(|p| matches!(p, SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } if e.to_string().contains('(')));
            if s.having.is_some() {
                lines.push("  Filter (HAVING)".into());
            }
            if aggregating {
                lines.push("  Aggregating".into());
            }
            if s.selection.is_some() || s.prewhere.is_some() {
                lines.push("    Filter (WHERE)".into());
            }
            let table = match s.from.first().map(|f| &f.relation) {
                Some(TableFactor::Table {
                    name, args: None, ..
                }) => Some(object_name_parts(name)),
                _ => None,
            };
            match table {
                Some(parts) => {
                    let (db, name) = match parts.as_slice() {
                        [t] => (ctx.database.clone(), t.clone()),
                        [d, t] => (d.clone(), t.clone()),
                        _ => (ctx.database.clone(), parts.join(".")),
                    };
                    let t = ctx.engine.table(&db, &name)?;
                    lines.push(format!("      ReadFromMergeTree ({db}.{name})"));
                    let scope = Scope {
                        columns: t
                            .schema()
                            .stored_columns()
                            .map(|c| (c.name.clone(), c.data_type.clone()))
                            .collect(),
                        qualifiers: vec![name.clone(), format!("{db}.{name}")],
                        column_qualifiers: Vec::new(),
                    };
                    let aliases = HashMap::new();
                    let mut filter = None;
                    for cond in [&s.prewhere, &s.selection].into_iter().flatten() {
                        let mut b = Binder::new(&scope, &aliases, None);
                        let f = b.bind(cond)?;
                        filter = Some(match filter {
                            None => f,
                            Some(prev) => super::binder::call_function("and", vec![prev, f])?,
                        });
                    }
                    let cond = key_condition(filter.as_ref(), &scope);
                    let snap = t.snapshot();
                    let selected = snap.select(&cond);
                    let total_parts = snap.parts.len();
                    let total_marks: u64 = snap.parts.iter().map(|p| p.marks()).sum();
                    let chosen_marks: u64 = selected
                        .iter()
                        .flat_map(|p| p.ranges.iter().map(|r| r.end - r.begin))
                        .sum();
                    lines.push("      Indexes:".into());
                    lines.push(format!(
                        "        PrimaryKey ({})",
                        t.schema().primary_key.join(", ")
                    ));
                    if cond.ranges.is_empty() {
                        lines.push("          Condition: true".into());
                    }
                    for r in &cond.ranges {
                        lines.push(format!(
                            "          Condition: {} in [{}, {}]",
                            r.column,
                            bound_text(&r.lower, "", ">"),
                            bound_text(&r.upper, "", "<")
                        ));
                    }
                    lines.push(format!(
                        "          Parts: {}/{}",
                        selected.len(),
                        total_parts
                    ));
                    lines.push(format!("          Granules: {chosen_marks}/{total_marks}"));
                    for p in &selected {
                        let ranges: Vec<String> = p
                            .ranges
                            .iter()
                            .map(|r| format!("[{}, {})", r.begin, r.end))
                            .collect();
                        lines.push(format!(
                            "          Part {}: marks {}",
                            p.part.info.name(),
                            ranges.join(", ")
                        ));
                    }
                }
                None => lines.push("      ReadFromStorage".into()),
            }
        }
        other => lines.push(format!("Union ({other})")),
    }
    let arr: ArrayRef = Arc::new(BinaryArray::from_iter_values(lines.iter()));
    let columns = vec![("explain".to_string(), DataType::String)];
    let batch = make_batch(&columns, vec![arr], lines.len())?;
    Ok(QueryOutput {
        columns,
        batches: vec![batch],
        format: None,
        totals: None,
    })
}
