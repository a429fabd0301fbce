//! Planning and running a SELECT: bind the clauses, pick the source, run the pipeline
//! (read -> WHERE -> aggregate or project) over morsels on `max_threads` threads, then the
//! final steps (merge aggregates, HAVING, ORDER BY / top-k, DISTINCT, LIMIT).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray};
use arrow::compute::{filter_record_batch, SortColumn, SortOptions};
use arrow::datatypes::{Field, Schema};
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
use granary_storage::types::DataType;
use granary_storage::view::ViewKind;
use parking_lot::Mutex;
use sqlparser::ast::{
    Expr, GroupByExpr, GroupByWithModifier, LimitClause, OrderByKind, Query, Select, SelectItem,
    SetExpr, SetOperator, SetQuantifier, TableFactor, Value as SqlValue,
};

use super::aggregate::HashAggregator;
use super::binder::{object_name_parts, AggregateCall, Binder, Scope, AGGREGATE_INDEX_BASE};
use super::expr::BoundExpr;
use super::group_keys;
use super::lazy;
use super::source::{key_condition, Morsel, Source};
use super::QueryContext;
use crate::error::{ErrorCode, QueryError, Result};
use crate::query_err;

/// A query's result: named, typed columns and their rows.
#[derive(Clone, Debug, Default)]
pub struct QueryOutput {
    /// (name, ClickHouse type) of each column; empty for statements without a result.
    pub columns: Vec<(String, DataType)>,
    /// The rows.
    pub batches: Vec<RecordBatch>,
    /// The statement's `FORMAT` clause, if it had one.
    pub format: Option<String>,
    /// `GROUP BY ... WITH TOTALS`: the totals row (the visible columns).
    pub totals: Option<RecordBatch>,
}

impl QueryOutput {
    /// Total rows.
    pub fn num_rows(&self) -> usize {
        self.batches.iter().map(|b| b.num_rows()).sum()
    }
}

/// Runs a query (a SELECT, possibly with UNION ALL, ORDER BY and LIMIT).
pub fn execute_query(ctx: &QueryContext, q: &Query) -> Result<QueryOutput> {
    if let Some(with) = &q.with {
        if with.recursive {
            return query_err!(NotImplemented, "WITH RECURSIVE is not supported yet");
        }
        let mut inner = ctx.clone();
        for cte in &with.cte_tables {
            inner
                .ctes
                .push((cte.alias.name.value.clone(), Arc::new((*cte.query).clone())));
        }
        let mut q = q.clone();
        q.with = None;
        return execute_query(&inner, &q);
    }
    let order_by: Vec<sqlparser::ast::OrderByExpr> = match &q.order_by {
        None => Vec::new(),
        Some(ob) => match &ob.kind {
            OrderByKind::Expressions(e) => e.clone(),
            OrderByKind::All(_) => {
                return query_err!(NotImplemented, "ORDER BY ALL is not supported yet")
            }
        },
    };
    let (limit, offset, limit_by) = limit_offset(q.limit_clause.as_ref())?;
    match q.body.as_ref() {
        SetExpr::Select(s) => execute_select(ctx, s, &order_by, limit, offset, limit_by.as_ref()),
        SetExpr::Query(inner)
            if order_by.is_empty() && limit.is_none() && offset == 0 && limit_by.is_none() =>
        {
            execute_query(ctx, inner)
        }
        SetExpr::SetOperation {
            op: SetOperator::Union,
            set_quantifier,
            left,
            right,
        } => {
            let distinct = match set_quantifier {
                SetQuantifier::All => false,
                SetQuantifier::Distinct => true,
                _ => {
                    return query_err!(
                        ExpectedAllOrDistinct,
                        "Expected ALL or DISTINCT in SelectWithUnion query, because setting (union_default_mode) is empty"
                    )
                }
            };
            let l = execute_set(ctx, left)?;
            // As in ClickHouse, ORDER BY / LIMIT written after a union belong to its last
            // SELECT, not to the whole union.
            let r = match right.as_ref() {
                SetExpr::Select(sel) => {
                    execute_select(ctx, sel, &order_by, limit, offset, limit_by.as_ref())?
                }
                other if order_by.is_empty() && limit.is_none() && limit_by.is_none() => {
                    execute_set(ctx, other)?
                }
                _ => {
                    return query_err!(
                        NotImplemented,
                        "ORDER BY / LIMIT after a parenthesized union member is not supported yet"
                    )
                }
            };
            if l.columns.len() != r.columns.len() {
                return query_err!(
                    NumberOfArgumentsDoesntMatch,
                    "Different number of columns in UNION elements: {} and {}",
                    l.columns.len(),
                    r.columns.len()
                );
            }
            let mut out = l;
            for b in r.batches {
                let cols = b
                    .columns()
                    .iter()
                    .zip(&out.columns)
                    .map(|(c, (_, t))| Ok(arrow::compute::cast(c, &t.to_arrow())?))
                    .collect::<Result<Vec<_>>>()?;
                out.batches
                    .push(make_batch(&out.columns, cols, b.num_rows())?);
            }
            if distinct && !out.batches.is_empty() {
                let all = concat_plain(&out.batches)?;
                let unique = distinct_rows(&all, out.columns.len())?;
                let arrays = unique.columns().to_vec();
                out.batches = vec![make_batch(&out.columns, arrays, unique.num_rows())?];
            }
            Ok(out)
        }
        other => query_err!(NotImplemented, "Query {other} is not supported yet"),
    }
}

fn execute_set(ctx: &QueryContext, s: &SetExpr) -> Result<QueryOutput> {
    match s {
        SetExpr::Select(sel) => execute_select(ctx, sel, &[], None, 0, None),
        SetExpr::Query(q) => execute_query(ctx, q),
        other => query_err!(NotImplemented, "{other} is not supported yet"),
    }
}

fn const_u64(e: &Expr, what: &str) -> Result<u64> {
    match e {
        Expr::Value(v) => match &v.value {
            SqlValue::Number(n, _) => n.parse::<u64>().map_err(|_| {
                QueryError::new(
                    ErrorCode::SyntaxError,
                    format!("{what} must be a non-negative integer, got {n}"),
                )
            }),
            other => query_err!(SyntaxError, "{what} must be a number, got {other}"),
        },
        other => query_err!(SyntaxError, "{what} must be a number, got {other}"),
    }
}

/// `LIMIT n BY exprs`: at most `n` rows for each value of `exprs`.
type LimitBy = Option<(u64, Vec<Expr>)>;

fn limit_offset(l: Option<&LimitClause>) -> Result<(Option<u64>, u64, LimitBy)> {
    match l {
        None => Ok((None, 0, None)),
        Some(LimitClause::LimitOffset {
            limit,
            offset,
            limit_by,
        }) => {
            let limit = limit.as_ref().map(|e| const_u64(e, "LIMIT")).transpose()?;
            let offset = offset
                .as_ref()
                .map(|o| const_u64(&o.value, "OFFSET"))
                .transpose()?
                .unwrap_or(0);
            if !limit_by.is_empty() {
                if offset != 0 {
                    return query_err!(NotImplemented, "LIMIT n OFFSET m BY is not supported yet");
                }
                let n = limit.unwrap_or(u64::MAX);
                return Ok((None, 0, Some((n, limit_by.clone()))));
            }
            Ok((limit, offset, None))
        }
        Some(LimitClause::OffsetCommaLimit { offset, limit }) => Ok((
            Some(const_u64(limit, "LIMIT")?),
            const_u64(offset, "OFFSET")?,
            None,
        )),
    }
}

/// A batch from typed columns.
pub fn make_batch(
    columns: &[(String, DataType)],
    arrays: Vec<ArrayRef>,
    rows: usize,
) -> Result<RecordBatch> {
    let fields: Vec<Field> = columns
        .iter()
        .zip(&arrays)
        .map(|((n, t), a)| {
            Field::new(
                n,
                a.data_type().clone(),
                t.is_nullable() || a.null_count() > 0,
            )
        })
        .collect();
    let opts = RecordBatchOptions::new().with_row_count(Some(rows));
    Ok(RecordBatch::try_new_with_options(
        Arc::new(Schema::new(fields)),
        arrays,
        &opts,
    )?)
}

/// Resolves the FROM clause into a source and the scope its columns form.
fn resolve_source(ctx: &QueryContext, select: &Select) -> Result<(SourceSpec, Scope)> {
    if select.from.is_empty() {
        let (s, scope) = Source::one();
        return Ok((SourceSpec::Ready(s), scope));
    }
    if select.from.len() > 1 || !select.from[0].joins.is_empty() {
        let (source, scope) = super::join::resolve_joins(ctx, &select.from)?;
        return Ok((SourceSpec::Ready(source), scope));
    }
    resolve_factor(ctx, &select.from[0].relation)
}

/// Resolves one table factor (a table, table function, subquery or CTE).
pub(super) fn resolve_factor(
    ctx: &QueryContext,
    factor: &TableFactor,
) -> Result<(SourceSpec, Scope)> {
    match factor {
        TableFactor::Table {
            name, alias, args, ..
        } => {
            let parts = object_name_parts(name);
            if let Some(args) = args {
                return table_function(ctx, &parts, args);
            }
            let (db, table) = match parts.as_slice() {
                [t] => (ctx.database.clone(), t.clone()),
                [d, t] => (d.clone(), t.clone()),
                _ => return query_err!(SyntaxError, "Bad table name {name}"),
            };
            // A common table expression, which sees only those defined before it.
            if parts.len() == 1 {
                if let Some(i) = ctx.ctes.iter().rposition(|(n, _)| n == &table) {
                    let mut inner = ctx.clone();
                    inner.ctes.truncate(i);
                    let out = execute_query(&inner, &ctx.ctes[i].1)?;
                    return Ok(batches_source(
                        out.columns,
                        out.batches,
                        vec![table.clone()],
                        alias.as_ref(),
                    ));
                }
            }
            if let Some(block) = ctx
                .inserted
                .as_ref()
                .filter(|b| b.is_read_as(ctx, &db, &table))
            {
                return Ok(batches_source(
                    block.columns.clone(),
                    vec![block.batch.clone()],
                    vec![table.clone(), format!("{db}.{table}")],
                    alias.as_ref(),
                ));
            }
            if let Some(x) = ctx.engine.external_table(&db, &table) {
                return query_err!(
                    QueryNotAllowed,
                    "Direct select from {db}.{table} (engine {}) is not allowed: its rows are read by materialized views",
                    x.engine
                );
            }
            if let Some(view) = ctx.engine.view(&db, &table) {
                if view.kind == ViewKind::View {
                    return super::view::read_view(ctx, &view, &table, alias.as_ref());
                }
            }
            if db == "system" {
                if let Some((source, scope)) = super::system::system_table(ctx, &table)? {
                    return Ok((SourceSpec::Ready(source), scope));
                }
            }
            // sqlparser reads `FROM t FINAL` as an implicit alias named FINAL.
            let final_ = alias
                .as_ref()
                .is_some_and(|a| a.name.value.eq_ignore_ascii_case("FINAL"));
            let t = ctx.engine.table(&db, &table)?;
            let columns: Vec<(String, DataType)> = t
                .schema()
                .stored_columns()
                .map(|c| (c.name.clone(), c.data_type.query_type()))
                .collect();
            let mut qualifiers = vec![table.clone(), format!("{db}.{table}")];
            if let Some(a) = alias.as_ref().filter(|_| !final_) {
                qualifiers.push(a.name.value.clone());
            }
            let scope = Scope {
                columns,
                qualifiers,
                column_qualifiers: Vec::new(),
            };
            if final_ {
                return Ok((SourceSpec::Ready(final_source(&t)?), scope));
            }
            Ok((SourceSpec::Table(t), scope))
        }
        TableFactor::Derived {
            subquery, alias, ..
        } => {
            let out = execute_query(ctx, subquery)?;
            Ok(batches_source(
                out.columns,
                out.batches,
                Vec::new(),
                alias.as_ref(),
            ))
        }
        other => query_err!(NotImplemented, "FROM {other} is not supported yet"),
    }
}

/// Rows already in memory (a subquery's or CTE's result, a view's, an inserted block) as a
/// source, named by `qualifiers` and the alias if any.
pub(super) fn batches_source(
    columns: Vec<(String, DataType)>,
    batches: Vec<RecordBatch>,
    mut qualifiers: Vec<String>,
    alias: Option<&sqlparser::ast::TableAlias>,
) -> (SourceSpec, Scope) {
    if let Some(a) = alias {
        qualifiers.push(a.name.value.clone());
    }
    let scope = Scope {
        columns,
        qualifiers,
        column_qualifiers: Vec::new(),
    };
    (SourceSpec::Ready(Source::Batches(batches)), scope)
}

/// `SELECT ... FINAL`: every partition's parts read whole, sorted by the sort key (older
/// parts first among equal keys) and combined by the table's merging mode, as a merge
/// would. Holds one partition at a time per batch in memory.
fn final_source(t: &granary_storage::MergeTreeTable) -> Result<Source> {
    let snapshot = t.snapshot();
    let schema = t.schema();
    let names: Vec<String> = schema.stored_columns().map(|c| c.name.clone()).collect();
    let refs: Vec<&str> = names.iter().map(|s| s.as_str()).collect();
    let key_idx: Vec<usize> = schema
        .order_by
        .iter()
        .filter_map(|k| names.iter().position(|n| n == k))
        .collect();
    let mut batches = Vec::new();
    for pid in snapshot.partition_ids() {
        let parts = snapshot.partition_parts(&pid);
        let read = parts
            .iter()
            .filter(|p| p.rows() > 0)
            .map(|p| p.read_all(&refs))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        if read.is_empty() {
            continue;
        }
        let all = arrow::compute::concat_batches(&read[0].schema(), &read)?;
        let sorted = granary_storage::part::sort_batch(&all, &key_idx)?;
        let combined = granary_storage::merge::mode::apply_mode_to_sorted_with(
            schema,
            &sorted,
            &granary_storage::merge::mode::MergeContext::select_final(),
        )?;
        batches.push(combined);
    }
    Ok(Source::Batches(batches))
}

fn table_function(
    ctx: &QueryContext,
    parts: &[String],
    args: &sqlparser::ast::TableFunctionArgs,
) -> Result<(SourceSpec, Scope)> {
    let name = parts.join(".");
    if name == "file" {
        return super::file_source::file_table(ctx, args);
    }
    let nums: Vec<u64> = args
        .args
        .iter()
        .map(|a| match a {
            sqlparser::ast::FunctionArg::Unnamed(sqlparser::ast::FunctionArgExpr::Expr(e)) => {
                const_u64(e, "argument of numbers")
            }
            other => query_err!(
                BadArguments,
                "Bad argument {other} of table function {name}"
            ),
        })
        .collect::<Result<_>>()?;
    match (name.as_str(), nums.as_slice()) {
        ("numbers", [n]) => Ok((
            SourceSpec::Ready(Source::Numbers {
                start: 0,
                count: *n,
            }),
            Scope {
                columns: vec![("number".into(), DataType::UInt64)],
                qualifiers: vec!["numbers".into()],
                column_qualifiers: Vec::new(),
            },
        )),
        ("numbers", [s, n]) => Ok((
            SourceSpec::Ready(Source::Numbers {
                start: *s,
                count: *n,
            }),
            Scope {
                columns: vec![("number".into(), DataType::UInt64)],
                qualifiers: vec!["numbers".into()],
                column_qualifiers: Vec::new(),
            },
        )),
        ("numbers", _) => query_err!(
            NumberOfArgumentsDoesntMatch,
            "Table function 'numbers' requires 1 or 2 arguments"
        ),
        _ => query_err!(UnknownFunction, "Unknown table function {name}"),
    }
}

/// A source, or a table whose source is built once the WHERE clause is known (pruning).
pub(super) enum SourceSpec {
    /// Rows ready to read.
    Ready(Source),
    /// A table, pruned once the WHERE clause is known.
    Table(Arc<granary_storage::MergeTreeTable>),
}

/// A sort key over the final batch: column index, descending, nulls first.
struct SortKey {
    column: usize,
    descending: bool,
    nulls_first: bool,
}

fn execute_select(
    ctx: &QueryContext,
    select: &Select,
    order_by: &[sqlparser::ast::OrderByExpr],
    limit: Option<u64>,
    offset: u64,
    limit_by: Option<&(u64, Vec<Expr>)>,
) -> Result<QueryOutput> {
    let (spec, scope) = resolve_source(ctx, select)?;

    // SELECT items, with * expanded and aliases collected.
    let mut items: Vec<(Expr, Option<String>)> = Vec::new();
    for item in &select.projection {
        match item {
            SelectItem::UnnamedExpr(e) => items.push((e.clone(), None)),
            SelectItem::ExprWithAlias { expr, alias } => {
                items.push((expr.clone(), Some(alias.value.clone())))
            }
            SelectItem::Wildcard(opts) | SelectItem::QualifiedWildcard(_, opts) => {
                // `* EXCEPT (a, b)` / `* EXCLUDE (a, b)` leave columns out.
                let mut skip: Vec<String> = Vec::new();
                if let Some(e) = &opts.opt_except {
                    skip.push(e.first_element.value.clone());
                    skip.extend(e.additional_elements.iter().map(|i| i.value.clone()));
                }
                if let Some(e) = &opts.opt_exclude {
                    match e {
                        sqlparser::ast::ExcludeSelectItem::Single(i) => skip.push(i.to_string()),
                        sqlparser::ast::ExcludeSelectItem::Multiple(v) => {
                            skip.extend(v.iter().map(|i| i.to_string()))
                        }
                    }
                }
                for (n, _) in &scope.columns {
                    if !skip.contains(n) {
                        items.push((Expr::Identifier(sqlparser::ast::Ident::new(n)), None));
                    }
                }
            }
            other => return query_err!(NotImplemented, "SELECT item {other} is not supported yet"),
        }
    }
    let aliases: HashMap<String, Expr> = items
        .iter()
        .filter_map(|(e, a)| a.clone().map(|a| (a, e.clone())))
        .collect();

    // WHERE and PREWHERE (one filter; the scan reads filter columns first).
    let mut filter = None;
    for cond in [&select.prewhere, &select.selection].into_iter().flatten() {
        let mut b = Binder::new(&scope, &aliases, None).with_context(ctx);
        let f = b.bind(cond)?;
        filter = Some(match filter {
            None => f,
            Some(prev) => super::binder::call_function("and", vec![prev, f])?,
        });
    }

    // SELECT list, HAVING and ORDER BY, collecting aggregate calls.
    let mut calls: Vec<AggregateCall> = Vec::new();
    let mut select_exprs = Vec::new();
    for (e, _) in &items {
        let mut b = Binder::new(&scope, &aliases, Some(&mut calls)).with_context(ctx);
        select_exprs.push(b.bind(e)?);
    }
    let having = match &select.having {
        Some(h) => {
            let mut b = Binder::new(&scope, &aliases, Some(&mut calls)).with_context(ctx);
            Some(b.bind(h)?)
        }
        None => None,
    };
    let mut order_exprs = Vec::new();
    for o in order_by {
        // ORDER BY position.
        let e = match &o.expr {
            Expr::Value(v) => match &v.value {
                SqlValue::Number(n, _) => {
                    let pos: usize = n.parse().unwrap_or(0);
                    if pos == 0 || pos > select_exprs.len() {
                        return query_err!(BadArguments, "ORDER BY position {n} is out of range");
                    }
                    select_exprs[pos - 1].clone()
                }
                _ => {
                    let mut b = Binder::new(&scope, &aliases, Some(&mut calls)).with_context(ctx);
                    b.bind(&o.expr)?
                }
            },
            _ => {
                let mut b = Binder::new(&scope, &aliases, Some(&mut calls)).with_context(ctx);
                b.bind(&o.expr)?
            }
        };
        let descending = matches!(o.options.sort, Some(sqlparser::ast::OrderBySort::Desc));
        let nulls_first = o.options.nulls_first.unwrap_or(false);
        order_exprs.push((e, descending, nulls_first));
    }

    // LIMIT n BY exprs.
    let mut by_exprs = Vec::new();
    if let Some((_, exprs)) = limit_by {
        for e in exprs {
            let mut b = Binder::new(&scope, &aliases, Some(&mut calls)).with_context(ctx);
            by_exprs.push(b.bind(e)?);
        }
    }

    // GROUP BY keys: positions, aliases or expressions; WITH ROLLUP / CUBE / TOTALS.
    let mut keys = Vec::new();
    let (mut rollup, mut cube, mut totals) = (false, false, false);
    match &select.group_by {
        GroupByExpr::All(_) => {
            return query_err!(NotImplemented, "GROUP BY ALL is not supported yet")
        }
        GroupByExpr::Expressions(exprs, modifiers) => {
            for m in modifiers {
                match m {
                    GroupByWithModifier::Rollup => rollup = true,
                    GroupByWithModifier::Cube => cube = true,
                    GroupByWithModifier::Totals => totals = true,
                    GroupByWithModifier::GroupingSets(_) => {
                        return query_err!(NotImplemented, "GROUPING SETS is not supported yet")
                    }
                }
            }
            // GROUP BY ROLLUP(a, b) / CUBE(a, b): the functional forms of the modifiers.
            let mut flat: Vec<Expr> = Vec::new();
            for g in exprs {
                match g {
                    Expr::Rollup(lists) | Expr::Cube(lists) => {
                        if matches!(g, Expr::Rollup(_)) {
                            rollup = true;
                        } else {
                            cube = true;
                        }
                        flat.extend(lists.iter().flatten().cloned());
                    }
                    other => flat.push(other.clone()),
                }
            }
            for g in &flat {
                let k = match g {
                    Expr::Value(v) if matches!(v.value, SqlValue::Number(..)) => {
                        let pos: usize = const_u64(g, "GROUP BY position")? as usize;
                        if pos == 0 || pos > items.len() {
                            return query_err!(
                                BadArguments,
                                "GROUP BY position {pos} is out of range"
                            );
                        }
                        let mut b = Binder::new(&scope, &aliases, None).with_context(ctx);
                        b.bind(&items[pos - 1].0)?
                    }
                    _ => {
                        let mut b = Binder::new(&scope, &aliases, None).with_context(ctx);
                        b.bind(g)?
                    }
                };
                keys.push(k);
            }
        }
    }
    if !rollup && !cube && !totals {
        group_keys::drop_function_keys(&mut keys);
    }
    let aggregating = !keys.is_empty() || !calls.is_empty();
    if having.is_some() && !aggregating {
        return query_err!(
            NotAnAggregate,
            "HAVING needs GROUP BY or an aggregate function"
        );
    }

    let names: Vec<String> = items
        .iter()
        .zip(&select_exprs)
        .map(|((_, alias), e)| alias.clone().unwrap_or_else(|| e.name().to_string()))
        .collect();
    let distinct = select.distinct.is_some();

    // Build the source now that we know the filter (for pruning).
    let source = match spec {
        SourceSpec::Ready(s) => s,
        SourceSpec::Table(t) => {
            let snapshot = t.snapshot();
            let cond = key_condition(filter.as_ref(), &scope);
            let parts = snapshot.select(&cond);
            Source::Table {
                snapshot,
                parts,
                column_names: scope.columns.iter().map(|(n, _)| n.clone()).collect(),
            }
        }
    };

    if totals && having.is_some() {
        return query_err!(
            NotImplemented,
            "WITH TOTALS together with HAVING is not supported yet"
        );
    }
    // Grouping sets: the keys aggregated by, for each pass over the data. Keys left out
    // (rolled up) read as their type's default value, as in ClickHouse.
    let n = keys.len();
    let mut sets: Vec<Vec<usize>> = vec![(0..n).collect()];
    if rollup {
        sets = (0..=n).rev().map(|k| (0..k).collect()).collect();
    } else if cube {
        sets = (0..1usize << n)
            .rev()
            .map(|mask| (0..n).filter(|i| mask & (1 << (n - 1 - i)) != 0).collect())
            .collect();
    }
    let pipeline_for = |set: &[usize]| Pipeline {
        filter: filter.clone(),
        aggregating,
        keys: set.iter().map(|&i| keys[i].clone()).collect(),
        rolled_up: (0..n)
            .filter(|i| !set.contains(i))
            .map(|i| keys[i].clone())
            .collect(),
        calls: calls.clone(),
        select_exprs: select_exprs.clone(),
        order_exprs: order_exprs.clone(),
        by_exprs: by_exprs.clone(),
        having: having.clone(),
    };
    // Each thread may keep only its best `limit + offset` rows, unless DISTINCT later
    // removes rows: then the limit counts distinct rows.
    let top_k = if sets.len() == 1 && !distinct {
        limit.map(|l| l + offset)
    } else {
        None
    };
    let mut rows: Option<FinalRows> = None;
    for set in &sets {
        let r = pipeline_for(set).run(ctx, &source, names.clone(), top_k)?;
        rows = Some(match rows {
            None => r,
            Some(mut acc) => {
                acc.batch = concat_plain(&[acc.batch, r.batch])?;
                acc
            }
        });
    }
    let rows = rows.ok_or_else(|| QueryError::new(ErrorCode::LogicalError, "no grouping set"))?;
    let totals_batch = if totals {
        let t = pipeline_for(&[]).run(ctx, &source, names.clone(), None)?;
        let visible = t.columns.len() - t.sort_keys.len() - t.by_count;
        let arrays: Vec<ArrayRef> = (0..visible).map(|i| t.batch.column(i).clone()).collect();
        let cols: Vec<(String, DataType)> = t.columns[..visible].to_vec();
        Some(make_batch(&cols, arrays, t.batch.num_rows())?)
    } else {
        None
    };
    let mut out = finish_rows(
        ctx,
        rows,
        distinct,
        limit,
        offset,
        limit_by.map(|(n, _)| *n),
    )?;
    out.totals = totals_batch;
    Ok(out)
}

/// The rows a pipeline produced, before ORDER BY / DISTINCT / LIMIT: the visible columns
/// followed by hidden ORDER BY columns.
struct FinalRows {
    batch: RecordBatch,
    columns: Vec<(String, DataType)>,
    sort_keys: Vec<SortKey>,
    /// Hidden `LIMIT BY` columns, after the sort columns.
    by_count: usize,
}

/// Everything the per-morsel and final steps need.
struct Pipeline {
    filter: Option<BoundExpr>,
    aggregating: bool,
    keys: Vec<BoundExpr>,
    calls: Vec<AggregateCall>,
    select_exprs: Vec<BoundExpr>,
    order_exprs: Vec<(BoundExpr, bool, bool)>,
    /// GROUP BY keys left out of this grouping set (ROLLUP, CUBE, TOTALS): they read as
    /// their type's default value.
    rolled_up: Vec<BoundExpr>,
    /// `LIMIT n BY` expressions: hidden columns after the ORDER BY ones.
    by_exprs: Vec<BoundExpr>,
    having: Option<BoundExpr>,
}

enum ThreadState {
    Aggregate(HashAggregator),
    /// Rows with the index of the morsel they came from: without ORDER BY the result
    /// keeps the source's order (morsels are handed out in order), as ClickHouse's
    /// `SELECT ... LIMIT n` returns the start of the stream.
    Rows(Vec<(usize, RecordBatch)>),
    /// Lazily materialized `ORDER BY ... LIMIT k`: candidate sets (see [`lazy`]).
    Candidates(Vec<Vec<ArrayRef>>),
}

impl ThreadState {
    /// Approximate bytes held.
    fn memory_size(&self) -> usize {
        match self {
            ThreadState::Aggregate(a) => a.memory_size(),
            ThreadState::Rows(b) => b.iter().map(|(_, x)| x.get_array_memory_size()).sum(),
            ThreadState::Candidates(c) => {
                c.iter().flatten().map(|a| a.get_array_memory_size()).sum()
            }
        }
    }
}

impl Pipeline {
    /// The input columns any expression of the pipeline reads.
    fn input_columns(&self) -> Vec<usize> {
        let mut cols = Vec::new();
        let mut add = |e: &BoundExpr| e.columns(&mut cols);
        if let Some(f) = &self.filter {
            add(f);
        }
        if self.aggregating {
            self.keys.iter().for_each(&mut add);
            self.calls.iter().flat_map(|c| &c.args).for_each(&mut add);
        } else {
            self.select_exprs.iter().for_each(&mut add);
            self.order_exprs.iter().for_each(|(e, ..)| add(e));
            self.by_exprs.iter().for_each(&mut add);
        }
        cols.retain(|c| *c < AGGREGATE_INDEX_BASE);
        cols.sort_unstable();
        cols
    }

    fn run(
        mut self,
        ctx: &QueryContext,
        source: &Source,
        names: Vec<String>,
        top_k: Option<u64>,
    ) -> Result<FinalRows> {
        // Remap input-column indices to positions in the read batch.
        let cols = self.input_columns();
        let pos = |i: usize| -> usize {
            if i >= AGGREGATE_INDEX_BASE {
                i
            } else {
                cols.iter().position(|c| *c == i).unwrap_or(0)
            }
        };
        if let Some(f) = &mut self.filter {
            f.remap_columns(&pos);
        }
        for e in self.keys.iter_mut().chain(self.select_exprs.iter_mut()) {
            e.remap_columns(&pos);
        }
        for (e, ..) in &mut self.order_exprs {
            e.remap_columns(&pos);
        }
        for e in &mut self.by_exprs {
            e.remap_columns(&pos);
        }
        for c in &mut self.calls {
            for a in &mut c.args {
                a.remap_columns(&pos);
            }
        }
        let key_types: Vec<arrow::datatypes::DataType> =
            self.keys.iter().map(|k| k.data_type().to_arrow()).collect();
        // ORDER BY ... LIMIT k over a table: read the other columns of the best k rows only.
        let lazy_early = match (top_k, source) {
            (Some(k), Source::Table { .. })
                if !self.aggregating
                    && !self.order_exprs.is_empty()
                    && self.by_exprs.is_empty()
                    && k <= lazy::MAX_LAZY_ROWS =>
            {
                lazy::early_positions(self.filter.as_ref(), &self.order_exprs, cols.len())
            }
            _ => None,
        };
        let lazy_k = top_k.unwrap_or(0) as usize;

        let morsels = source.morsels();
        let next = AtomicUsize::new(0);
        let failed = AtomicBool::new(false);
        let threads = source.threads_for(&morsels, ctx.settings.max_threads);
        let states: Mutex<Vec<ThreadState>> = Mutex::new(Vec::new());
        let first_error: Mutex<Option<QueryError>> = Mutex::new(None);
        let rows_so_far = AtomicUsize::new(0);
        let memory = std::sync::atomic::AtomicU64::new(0);
        let early_stop = !self.aggregating && self.order_exprs.is_empty() && top_k.is_some();
        let started = Instant::now();
        let this = &self;
        let work = |_: usize| -> Result<ThreadState> {
            let mut state = if lazy_early.is_some() {
                ThreadState::Candidates(Vec::new())
            } else if this.aggregating {
                // Two-level (bucketed) tables pay off only when merged in parallel.
                ThreadState::Aggregate(
                    HashAggregator::new(&key_types, &this.calls)?.with_two_level(threads > 1),
                )
            } else {
                ThreadState::Rows(Vec::new())
            };
            let mut tracked = 0u64;
            loop {
                if failed.load(Ordering::Relaxed) {
                    break;
                }
                if early_stop
                    && rows_so_far.load(Ordering::Relaxed) as u64 >= top_k.unwrap_or(u64::MAX)
                {
                    break;
                }
                ctx.check_limits(started)?;
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(m) = morsels.get(i) else { break };
                match (&lazy_early, &mut state) {
                    (Some(early), ThreadState::Candidates(sets)) => {
                        let set = lazy::candidates(
                            source,
                            m,
                            i,
                            &cols,
                            early,
                            this.filter.as_ref(),
                            &this.order_exprs,
                            lazy_k,
                        )?;
                        sets.extend(set);
                        if sets.len() >= 16 {
                            let best =
                                lazy::merge(std::mem::take(sets), &this.order_exprs, lazy_k)?;
                            sets.push(best);
                        }
                    }
                    _ => this.process(source, m, i, &cols, &mut state, top_k)?,
                }
                // max_memory_usage: this thread's state growth, added to the query's total.
                let size = state.memory_size() as u64;
                if size >= tracked {
                    memory.fetch_add(size - tracked, Ordering::Relaxed);
                } else {
                    memory.fetch_sub(tracked - size, Ordering::Relaxed);
                }
                tracked = size;
                if let Some(max) = ctx.settings.max_memory_usage {
                    let used = memory.load(Ordering::Relaxed);
                    if used > max {
                        return query_err!(
                            MemoryLimitExceeded,
                            "Memory limit (for query) exceeded: would use {:.2} MiB, maximum: {:.2} MiB",
                            used as f64 / 1048576.0,
                            max as f64 / 1048576.0
                        );
                    }
                }
                if let ThreadState::Rows(b) = &state {
                    if early_stop {
                        rows_so_far.store(
                            rows_so_far
                                .load(Ordering::Relaxed)
                                .max(b.iter().map(|(_, x)| x.num_rows()).sum()),
                            Ordering::Relaxed,
                        );
                    }
                }
            }
            Ok(state)
        };
        if threads <= 1 {
            states.lock().push(work(0)?);
        } else {
            crossbeam::thread::scope(|s| {
                for t in 0..threads {
                    let work = &work;
                    let states = &states;
                    let first_error = &first_error;
                    let failed = &failed;
                    s.spawn(move |_| match work(t) {
                        Ok(st) => states.lock().push(st),
                        Err(e) => {
                            failed.store(true, Ordering::Relaxed);
                            first_error.lock().get_or_insert(e);
                        }
                    });
                }
            })
            .map_err(|_| QueryError::new(ErrorCode::LogicalError, "a query thread panicked"))?;
            if let Some(e) = first_error.lock().take() {
                return Err(e);
            }
        }
        let mut states = states.into_inner();
        if lazy_early.is_some() {
            let sets: Vec<Vec<ArrayRef>> = states
                .into_iter()
                .flat_map(|s| match s {
                    ThreadState::Candidates(c) => c,
                    _ => Vec::new(),
                })
                .collect();
            let chosen = lazy::merge(sets, &self.order_exprs, lazy_k)?;
            let mut rows = Vec::new();
            for (m, batch) in lazy::fetch(source, &morsels, &cols, &chosen)? {
                let arrays = self
                    .select_exprs
                    .iter()
                    .chain(self.order_exprs.iter().map(|(e, ..)| e))
                    .map(|e| e.eval_array(&batch))
                    .collect::<Result<Vec<_>>>()?;
                rows.push((m, plain_batch(arrays, batch.num_rows())?));
            }
            states = vec![ThreadState::Rows(rows)];
        }
        if self.aggregating {
            self.finish_aggregate(states, names)
        } else {
            self.finish_rows_pipeline(states, names)
        }
    }

    fn process(
        &self,
        source: &Source,
        m: &Morsel,
        morsel_index: usize,
        cols: &[usize],
        state: &mut ThreadState,
        top_k: Option<u64>,
    ) -> Result<()> {
        let mut batch = source.read(m, cols)?;
        if let Some(f) = &self.filter {
            let mask = to_mask(&f.eval_array(&batch)?)?;
            if mask.true_count() == 0 {
                return Ok(());
            }
            if mask.true_count() < batch.num_rows() {
                batch = filter_record_batch(&batch, &mask)?;
            }
        }
        match state {
            ThreadState::Aggregate(agg) => {
                let keys = self
                    .keys
                    .iter()
                    .map(|k| k.eval_array(&batch))
                    .collect::<Result<Vec<_>>>()?;
                let args = self
                    .calls
                    .iter()
                    .map(|c| {
                        c.args
                            .iter()
                            .map(|a| a.eval_array(&batch))
                            .collect::<Result<Vec<_>>>()
                    })
                    .collect::<Result<Vec<_>>>()?;
                agg.update(&keys, &args, batch.num_rows())?;
            }
            ThreadState::Rows(out) => {
                // ORDER BY ... LIMIT k: keep only this morsel's best k rows before the
                // SELECT list is evaluated (the sort reads just the ORDER BY columns).
                if let (Some(k), false) = (top_k, self.order_exprs.is_empty()) {
                    if (k as usize) < batch.num_rows() {
                        let cols = self
                            .order_exprs
                            .iter()
                            .map(|(e, desc, nulls_first)| {
                                Ok(SortColumn {
                                    values: e.eval_array(&batch)?,
                                    options: Some(SortOptions {
                                        descending: *desc,
                                        nulls_first: *nulls_first,
                                    }),
                                })
                            })
                            .collect::<Result<Vec<_>>>()?;
                        let idx = arrow::compute::lexsort_to_indices(&cols, Some(k as usize))?;
                        batch = arrow::compute::take_record_batch(&batch, &idx)?;
                    }
                }
                let mut arrays = Vec::new();
                for e in self
                    .select_exprs
                    .iter()
                    .chain(self.order_exprs.iter().map(|(e, ..)| e))
                    .chain(self.by_exprs.iter())
                {
                    arrays.push(e.eval_array(&batch)?);
                }
                let b = plain_batch(arrays, batch.num_rows())?;
                out.push((morsel_index, b));
                // Keep only the best rows per thread for ORDER BY ... LIMIT.
                if let (Some(k), false) = (top_k, self.order_exprs.is_empty()) {
                    let rows: usize = out.iter().map(|(_, b)| b.num_rows()).sum();
                    if rows as u64 > 2 * k.max(1024) {
                        let batches: Vec<RecordBatch> = out.drain(..).map(|(_, b)| b).collect();
                        let all = concat_plain(&batches)?;
                        let keys = self.sort_keys_in_rows();
                        let sorted = sort_batch(&all, &keys, Some(k as usize))?;
                        *out = vec![(morsel_index, sorted)];
                    }
                }
            }
            ThreadState::Candidates(_) => {
                return query_err!(LogicalError, "a lazy pipeline processed a morsel eagerly")
            }
        }
        Ok(())
    }

    fn sort_keys_in_rows(&self) -> Vec<SortKey> {
        let n = self.select_exprs.len();
        self.order_exprs
            .iter()
            .enumerate()
            .map(|(i, (_, d, nf))| SortKey {
                column: n + i,
                descending: *d,
                nulls_first: *nf,
            })
            .collect()
    }

    fn finish_rows_pipeline(
        &self,
        states: Vec<ThreadState>,
        names: Vec<String>,
    ) -> Result<FinalRows> {
        let mut tagged = Vec::new();
        for s in states {
            if let ThreadState::Rows(b) = s {
                tagged.extend(b);
            }
        }
        tagged.sort_by_key(|(i, _)| *i);
        let batches: Vec<RecordBatch> = tagged.into_iter().map(|(_, b)| b).collect();
        let mut columns: Vec<(String, DataType)> = names
            .into_iter()
            .zip(&self.select_exprs)
            .map(|(n, e)| (n, e.data_type().clone()))
            .collect();
        for (i, (e, ..)) in self.order_exprs.iter().enumerate() {
            columns.push((format!("__order_{i}"), e.data_type().clone()));
        }
        for (i, e) in self.by_exprs.iter().enumerate() {
            columns.push((format!("__by_{i}"), e.data_type().clone()));
        }
        let all = if batches.is_empty() {
            empty_batch(&columns)?
        } else {
            concat_plain(&batches)?
        };
        Ok(FinalRows {
            batch: all,
            columns,
            sort_keys: self.sort_keys_in_rows(),
            by_count: self.by_exprs.len(),
        })
    }

    fn finish_aggregate(&self, states: Vec<ThreadState>, names: Vec<String>) -> Result<FinalRows> {
        let key_types: Vec<arrow::datatypes::DataType> =
            self.keys.iter().map(|k| k.data_type().to_arrow()).collect();
        // One table per thread that ran; two-level tables are merged bucket by bucket on
        // as many threads as aggregated.
        let threads = states.len();
        let aggs: Vec<HashAggregator> = states
            .into_iter()
            .filter_map(|s| match s {
                ThreadState::Aggregate(a) => Some(a),
                ThreadState::Rows(_) | ThreadState::Candidates(_) => None,
            })
            .collect();
        let merged = match HashAggregator::merge_all(aggs, threads)? {
            Some(m) => m,
            None => HashAggregator::new(&key_types, &self.calls)?,
        };
        let groups = merged.num_groups();
        let (key_arrays, agg_arrays) = merged.finish_parallel(threads)?;
        // The aggregated batch: keys then aggregates.
        let mut arrays = key_arrays;
        arrays.extend(agg_arrays);
        let agg_batch = plain_batch(arrays, groups)?;
        let nkeys = self.keys.len();
        let rewrite = |e: &BoundExpr| -> Result<BoundExpr> {
            rewrite_post_aggregate(e, &self.keys, &self.rolled_up, nkeys)
        };
        let mut agg_batch = agg_batch;
        if let Some(h) = &self.having {
            let h = rewrite(h)?;
            let mask = to_mask(&h.eval_array(&agg_batch)?)?;
            agg_batch = filter_record_batch(&agg_batch, &mask)?;
        }
        let mut out = Vec::new();
        let mut columns = Vec::new();
        for (n, e) in names.into_iter().zip(&self.select_exprs) {
            let r = rewrite(e)?;
            out.push(r.eval_array(&agg_batch)?);
            columns.push((n, e.data_type().clone()));
        }
        for (i, (e, ..)) in self.order_exprs.iter().enumerate() {
            let r = rewrite(e)?;
            out.push(r.eval_array(&agg_batch)?);
            columns.push((format!("__order_{i}"), e.data_type().clone()));
        }
        for (i, e) in self.by_exprs.iter().enumerate() {
            let r = rewrite(e)?;
            out.push(r.eval_array(&agg_batch)?);
            columns.push((format!("__by_{i}"), e.data_type().clone()));
        }
        let batch = plain_batch(out, agg_batch.num_rows())?;
        Ok(FinalRows {
            batch,
            columns,
            sort_keys: self.sort_keys_in_rows(),
            by_count: self.by_exprs.len(),
        })
    }
}

/// Rewrites an expression over the aggregation's input into one over its output (keys
/// first, then aggregates): sub-expressions equal to a key become that key's column,
/// aggregate markers become aggregate columns, anything else reading a column is an error.
fn rewrite_post_aggregate(
    e: &BoundExpr,
    keys: &[BoundExpr],
    rolled: &[BoundExpr],
    nkeys: usize,
) -> Result<BoundExpr> {
    if !e.is_constant() && rolled.iter().any(|k| k.name() == e.name()) {
        return Ok(BoundExpr::Literal {
            value: crate::columnar::type_default(e.data_type(), 1)?,
            ty: e.data_type().clone(),
            name: e.name().to_string(),
        });
    }
    if let Some(i) = keys
        .iter()
        .position(|k| k.name() == e.name() && !e.is_constant())
    {
        return Ok(BoundExpr::Column {
            index: i,
            ty: e.data_type().clone(),
            name: e.name().to_string(),
        });
    }
    match e {
        BoundExpr::Column { index, ty, name } if *index >= AGGREGATE_INDEX_BASE => {
            Ok(BoundExpr::Column {
                index: nkeys + (index - AGGREGATE_INDEX_BASE),
                ty: ty.clone(),
                name: name.clone(),
            })
        }
        BoundExpr::Column { name, .. } => query_err!(
            NotAnAggregate,
            "Column `{name}` is not under aggregate function and not in GROUP BY keys"
        ),
        BoundExpr::Literal { .. } => Ok(e.clone()),
        BoundExpr::Function {
            func,
            args,
            ty,
            name,
        } => Ok(BoundExpr::Function {
            func: func.clone(),
            args: args
                .iter()
                .map(|a| rewrite_post_aggregate(a, keys, rolled, nkeys))
                .collect::<Result<_>>()?,
            ty: ty.clone(),
            name: name.clone(),
        }),
    }
}

/// A filter result as a selection mask: UInt8/Bool, NULL counts as false.
pub(super) fn to_mask(a: &ArrayRef) -> Result<BooleanArray> {
    let a = match a.data_type() {
        arrow::datatypes::DataType::Dictionary(_, v) => arrow::compute::cast(a, v)?,
        _ => a.clone(),
    };
    let b = match a.data_type() {
        arrow::datatypes::DataType::Boolean => a.as_boolean().clone(),
        arrow::datatypes::DataType::Null => BooleanArray::from(vec![false; a.len()]),
        t if t.is_integer() || t.is_floating() => {
            let casted = arrow::compute::cast(&a, &arrow::datatypes::DataType::Boolean)?;
            casted.as_boolean().clone()
        }
        t => {
            return query_err!(
                IllegalTypeOfArgument,
                "Illegal type {t} of column for filter. Must be UInt8 or Nullable(UInt8)"
            )
        }
    };
    // NULL -> false.
    Ok(match b.nulls() {
        Some(n) if n.null_count() > 0 => {
            let vals =
                arrow::buffer::BooleanBuffer::from_iter(b.iter().map(|v| v.unwrap_or(false)));
            BooleanArray::new(vals, None)
        }
        _ => b,
    })
}

/// A batch with generated column names (internal).
pub(super) fn plain_batch(arrays: Vec<ArrayRef>, rows: usize) -> Result<RecordBatch> {
    let fields: Vec<Field> = arrays
        .iter()
        .enumerate()
        .map(|(i, a)| Field::new(format!("c{i}"), a.data_type().clone(), true))
        .collect();
    let opts = RecordBatchOptions::new().with_row_count(Some(rows));
    Ok(RecordBatch::try_new_with_options(
        Arc::new(Schema::new(fields)),
        arrays,
        &opts,
    )?)
}

fn concat_plain(batches: &[RecordBatch]) -> Result<RecordBatch> {
    if batches.len() == 1 {
        return Ok(batches[0].clone());
    }
    let ncols = batches[0].num_columns();
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    let mut arrays = Vec::with_capacity(ncols);
    for c in 0..ncols {
        let parts: Vec<&dyn Array> = batches.iter().map(|b| b.column(c).as_ref()).collect();
        arrays.push(arrow::compute::concat(&parts)?);
    }
    plain_batch(arrays, rows)
}

fn empty_batch(columns: &[(String, DataType)]) -> Result<RecordBatch> {
    let arrays = columns
        .iter()
        .map(|(_, t)| arrow::array::new_empty_array(&t.to_arrow()))
        .collect();
    plain_batch(arrays, 0)
}

fn sort_batch(batch: &RecordBatch, keys: &[SortKey], limit: Option<usize>) -> Result<RecordBatch> {
    if keys.is_empty() || batch.num_rows() <= 1 {
        return Ok(match limit {
            Some(l) if l < batch.num_rows() => batch.slice(0, l),
            _ => batch.clone(),
        });
    }
    let cols: Vec<SortColumn> = keys
        .iter()
        .map(|k| SortColumn {
            values: batch.column(k.column).clone(),
            options: Some(SortOptions {
                descending: k.descending,
                nulls_first: k.nulls_first,
            }),
        })
        .collect();
    let idx = arrow::compute::lexsort_to_indices(&cols, limit)?;
    Ok(arrow::compute::take_record_batch(batch, &idx)?)
}

/// ORDER BY, DISTINCT, OFFSET/LIMIT over the final rows, then drop the hidden sort columns.
fn finish_rows(
    ctx: &QueryContext,
    rows: FinalRows,
    distinct: bool,
    limit: Option<u64>,
    offset: u64,
    limit_by: Option<u64>,
) -> Result<QueryOutput> {
    let FinalRows {
        mut batch,
        columns,
        sort_keys,
        by_count,
    } = rows;
    let visible = columns.len() - sort_keys.len() - by_count;
    if distinct {
        batch = distinct_rows(&batch, visible)?;
    }
    let want = limit.map(|l| (l + offset) as usize);
    batch = sort_batch(
        &batch,
        &sort_keys,
        if sort_keys.is_empty() { None } else { want },
    )?;
    if let Some(n) = limit_by {
        let first = columns.len() - by_count;
        batch = limit_rows_by(&batch, first..columns.len(), n)?;
    }
    let start = (offset as usize).min(batch.num_rows());
    let len = match limit {
        Some(l) => (l as usize).min(batch.num_rows() - start),
        None => batch.num_rows() - start,
    };
    let batch = batch.slice(start, len);
    if let Some(max) = ctx.settings.max_result_rows {
        if batch.num_rows() as u64 > max {
            return query_err!(
                TooManyRowsOrBytes,
                "Limit for result exceeded, max rows: {max}, current rows: {}",
                batch.num_rows()
            );
        }
    }
    let columns: Vec<(String, DataType)> = columns.into_iter().take(visible).collect();
    let arrays: Vec<ArrayRef> = (0..visible).map(|i| batch.column(i).clone()).collect();
    let out = make_batch(&columns, arrays, batch.num_rows())?;
    Ok(QueryOutput {
        columns,
        batches: vec![out],
        format: None,
        totals: None,
    })
}

/// `LIMIT n BY`: keeps the first `n` rows of each combination of the `by` columns.
fn limit_rows_by(batch: &RecordBatch, by: std::ops::Range<usize>, n: u64) -> Result<RecordBatch> {
    if batch.num_rows() == 0 || by.is_empty() {
        return Ok(batch.clone());
    }
    let fields = by
        .clone()
        .map(|i| arrow::row::SortField::new(batch.column(i).data_type().clone()))
        .collect();
    let conv = arrow::row::RowConverter::new(fields)?;
    let cols: Vec<ArrayRef> = by.map(|i| batch.column(i).clone()).collect();
    let rows = conv.convert_columns(&cols)?;
    let mut seen: HashMap<Vec<u8>, u64> = HashMap::new();
    let keep: BooleanArray = rows
        .iter()
        .map(|r| {
            let c = seen.entry(r.as_ref().to_vec()).or_insert(0);
            *c += 1;
            Some(*c <= n)
        })
        .collect();
    Ok(filter_record_batch(batch, &keep)?)
}

/// Keeps the first row of each distinct combination of the first `visible` columns.
fn distinct_rows(batch: &RecordBatch, visible: usize) -> Result<RecordBatch> {
    if batch.num_rows() == 0 || visible == 0 {
        return Ok(batch.clone());
    }
    let fields = (0..visible)
        .map(|i| arrow::row::SortField::new(batch.column(i).data_type().clone()))
        .collect();
    let conv = arrow::row::RowConverter::new(fields)?;
    let cols: Vec<ArrayRef> = (0..visible).map(|i| batch.column(i).clone()).collect();
    let rows = conv.convert_columns(&cols)?;
    let mut seen = std::collections::HashSet::new();
    let keep: BooleanArray = rows
        .iter()
        .map(|r| Some(seen.insert(r.as_ref().to_vec())))
        .collect();
    Ok(filter_record_batch(batch, &keep)?)
}
