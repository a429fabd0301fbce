//! Views in queries: reading a plain view (its stored query runs as a subquery), and the
//! source table of a materialized view's query.

use sqlparser::ast::{Query, SetExpr, TableAlias, TableFactor};

use granary_storage::view::{QualifiedName, ViewDefinition};

use super::binder::{object_name_parts, Scope};
use super::select::{batches_source, execute_query, SourceSpec};
use super::QueryContext;
use crate::error::Result;
use crate::query_err;
use crate::sql::{parse_statement, ParseLimits, Statement};

/// Deepest nesting of views reading views (a view that reads itself would not end).
const MAX_VIEW_DEPTH: usize = 32;

/// Parses a view's stored `SELECT`.
pub fn parse_view_query(definition: &ViewDefinition) -> Result<Box<Query>> {
    match parse_statement(&definition.select_query, &ParseLimits::default())? {
        Statement::Select { query, .. } => Ok(query),
        other => query_err!(
            LogicalError,
            "The query of a view is not a SELECT: {other:?}"
        ),
    }
}

/// `FROM view`: runs the view's query (in the database it was created in) and reads its
/// result.
pub(super) fn read_view(
    ctx: &QueryContext,
    view: &ViewDefinition,
    name: &str,
    alias: Option<&TableAlias>,
) -> Result<(SourceSpec, Scope)> {
    let query = parse_view_query(view)?;
    let mut inner = ctx.clone();
    inner.database = view.database.clone();
    inner.ctes.clear();
    inner.view_depth += 1;
    if inner.view_depth > MAX_VIEW_DEPTH {
        return query_err!(
            TooDeepRecursion,
            "Views nest deeper than {MAX_VIEW_DEPTH} levels (a view that reads itself?)"
        );
    }
    let out = execute_query(&inner, &query)?;
    Ok(batches_source(
        out.columns,
        out.batches,
        vec![name.to_string(), format!("{}.{name}", view.database)],
        alias,
    ))
}

/// The table a materialized view's query reads: the first table of its `FROM` (through
/// subqueries, joins and the left side of unions), qualified with `database` when
/// unqualified. `None` when the query reads no table.
pub fn source_table(query: &Query, database: &str) -> Option<QualifiedName> {
    fn from_set(body: &SetExpr, database: &str) -> Option<QualifiedName> {
        match body {
            SetExpr::Select(select) => {
                let first = select.from.first()?;
                from_factor(&first.relation, database)
            }
            SetExpr::Query(q) => from_set(&q.body, database),
            SetExpr::SetOperation { left, .. } => from_set(left, database),
            _ => None,
        }
    }
    fn from_factor(factor: &TableFactor, database: &str) -> Option<QualifiedName> {
        match factor {
            TableFactor::Table {
                name, args: None, ..
            } => match object_name_parts(name).as_slice() {
                [t] => Some(QualifiedName::new(database, t)),
                [d, t] => Some(QualifiedName::new(d, t)),
                _ => None,
            },
            TableFactor::Derived { subquery, .. } => from_set(&subquery.body, database),
            TableFactor::NestedJoin {
                table_with_joins, ..
            } => from_factor(&table_with_joins.relation, database),
            _ => None,
        }
    }
    from_set(&query.body, database)
}
