//! JOIN: both sides materialised, an in-memory hash join on the equality conditions of
//! `ON` (or the `USING` columns), ClickHouse's default semantics: rows of an outer side
//! without a match get the other side's columns filled with their types' default values
//! (`join_use_nulls = 0`), NULL keys never match. Comma-separated tables are a CROSS JOIN.

use std::collections::HashMap;

use arrow::array::{Array, ArrayRef, BooleanArray, UInt32Array};
use arrow::record_batch::RecordBatch;
use granary_storage::types::DataType;
use sqlparser::ast::{
    BinaryOperator, Expr, JoinConstraint, JoinOperator, TableFactor, TableWithJoins,
};

use super::binder::{Binder, Scope};
use super::expr::BoundExpr;
use super::select::{make_batch, resolve_factor, SourceSpec};
use super::source::Source;
use super::QueryContext;
use crate::columnar::type_default;
use crate::error::Result;
use crate::functions::cast::cast_array;
use crate::functions::least_supertype;
use crate::query_err;

/// Most rows a CROSS JOIN may produce before it is refused.
const MAX_CROSS_ROWS: usize = 100_000_000;

/// A materialised relation: its scope and all its rows in one batch.
struct Relation {
    scope: Scope,
    batch: RecordBatch,
}

fn qualifiers_of_factor(factor: &TableFactor, scope: &Scope) -> Vec<String> {
    let mut q = scope.qualifiers.clone();
    if let TableFactor::Table { alias: Some(a), .. } | TableFactor::Derived { alias: Some(a), .. } =
        factor
    {
        if !q.contains(&a.name.value) {
            q.push(a.name.value.clone());
        }
    }
    q
}

/// Reads every row of a table factor.
fn materialize(ctx: &QueryContext, factor: &TableFactor) -> Result<Relation> {
    let (spec, scope) = resolve_factor(ctx, factor)?;
    let source = match spec {
        SourceSpec::Ready(s) => s,
        SourceSpec::Table(t) => {
            let snapshot = t.snapshot();
            let parts = snapshot.select(&Default::default());
            Source::Table {
                snapshot,
                parts,
                column_names: scope.columns.iter().map(|(n, _)| n.clone()).collect(),
            }
        }
    };
    let all: Vec<usize> = (0..scope.columns.len()).collect();
    let mut batches = Vec::new();
    for m in source.morsels() {
        batches.push(source.read(&m, &all)?);
    }
    let arrays: Vec<ArrayRef> = (0..scope.columns.len())
        .map(|c| {
            let parts: Vec<&dyn Array> = batches.iter().map(|b| b.column(c).as_ref()).collect();
            if parts.is_empty() {
                Ok(arrow::array::new_empty_array(
                    &scope.columns[c].1.to_arrow(),
                ))
            } else {
                Ok(arrow::compute::concat(&parts)?)
            }
        })
        .collect::<Result<_>>()?;
    let rows = batches.iter().map(|b| b.num_rows()).sum();
    let quals = qualifiers_of_factor(factor, &scope);
    let scope = Scope {
        column_qualifiers: vec![quals.clone(); scope.columns.len()],
        columns: scope.columns,
        qualifiers: quals,
    };
    let batch = make_batch(&scope.columns, arrays, rows)?;
    Ok(Relation { scope, batch })
}

/// Which rows of each side survive when unmatched.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Inner,
    Left,
    Right,
    Full,
    Cross,
}

fn split_and<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
    match e {
        Expr::BinaryOp {
            left,
            op: BinaryOperator::And,
            right,
        } => {
            split_and(left, out);
            split_and(right, out);
        }
        Expr::Nested(inner) => split_and(inner, out),
        other => out.push(other),
    }
}

/// Binds `e` over `scope`, or `None` when it names something outside it.
fn try_bind(e: &Expr, scope: &Scope) -> Option<BoundExpr> {
    let aliases = HashMap::new();
    Binder::new(scope, &aliases, None).bind(e).ok()
}

/// Joins the FROM clause into one relation.
pub fn resolve_joins(ctx: &QueryContext, from: &[TableWithJoins]) -> Result<(Source, Scope)> {
    let mut acc: Option<Relation> = None;
    for twj in from {
        let mut rel = materialize(ctx, &twj.relation)?;
        for j in &twj.joins {
            let right = materialize(ctx, &j.relation)?;
            let (kind, constraint) = match &j.join_operator {
                JoinOperator::Join(c) | JoinOperator::Inner(c) => (Kind::Inner, c),
                JoinOperator::Left(c) | JoinOperator::LeftOuter(c) => (Kind::Left, c),
                JoinOperator::Right(c) | JoinOperator::RightOuter(c) => (Kind::Right, c),
                JoinOperator::FullOuter(c) => (Kind::Full, c),
                JoinOperator::CrossJoin(c) => (Kind::Cross, c),
                other => {
                    return query_err!(NotImplemented, "JOIN kind {other:?} is not supported yet")
                }
            };
            rel = join(rel, right, kind, constraint)?;
        }
        acc = Some(match acc {
            None => rel,
            Some(left) => join(left, rel, Kind::Cross, &JoinConstraint::None)?,
        });
    }
    let rel = match acc {
        Some(r) => r,
        None => return query_err!(LogicalError, "empty FROM"),
    };
    Ok((Source::Batches(vec![rel.batch]), rel.scope))
}

fn join(
    left: Relation,
    right: Relation,
    kind: Kind,
    constraint: &JoinConstraint,
) -> Result<Relation> {
    // Equality keys (left expr, right expr), a residual condition, USING column names.
    let mut keys: Vec<(BoundExpr, BoundExpr)> = Vec::new();
    let mut residual: Vec<&Expr> = Vec::new();
    let mut using: Vec<String> = Vec::new();
    match constraint {
        JoinConstraint::On(e) => {
            let mut conjuncts = Vec::new();
            split_and(e, &mut conjuncts);
            for c in conjuncts {
                let pair = match c {
                    Expr::BinaryOp {
                        left: a,
                        op: BinaryOperator::Eq,
                        right: b,
                    } => match (try_bind(a, &left.scope), try_bind(b, &right.scope)) {
                        (Some(l), Some(r)) => Some((l, r)),
                        _ => match (try_bind(b, &left.scope), try_bind(a, &right.scope)) {
                            (Some(l), Some(r)) => Some((l, r)),
                            _ => None,
                        },
                    },
                    _ => None,
                };
                match pair {
                    Some(p) => keys.push(p),
                    None => residual.push(c),
                }
            }
        }
        JoinConstraint::Using(cols) => {
            for c in cols {
                let name = super::binder::object_name_parts(c).join(".");
                let e = Expr::Identifier(sqlparser::ast::Ident::new(&name));
                match (try_bind(&e, &left.scope), try_bind(&e, &right.scope)) {
                    (Some(l), Some(r)) => keys.push((l, r)),
                    _ => {
                        return query_err!(
                            UnknownIdentifier,
                            "Column {name} of USING is missing on one side of the JOIN"
                        )
                    }
                }
                using.push(name);
            }
        }
        JoinConstraint::None | JoinConstraint::Natural if kind == Kind::Cross => {}
        other => {
            return query_err!(
                NotImplemented,
                "JOIN condition {other:?} is not supported yet"
            )
        }
    }
    if kind != Kind::Cross && keys.is_empty() {
        return query_err!(NotImplemented, "JOIN without an equality condition between the two tables is not supported yet (use CROSS JOIN with WHERE)");
    }
    if !residual.is_empty() && kind != Kind::Inner {
        return query_err!(
            NotImplemented,
            "OUTER JOIN ON conditions other than equalities are not supported yet"
        );
    }
    let (lrows, rrows) = (left.batch.num_rows(), right.batch.num_rows());
    let mut lidx: Vec<Option<u32>> = Vec::new();
    let mut ridx: Vec<Option<u32>> = Vec::new();
    if kind == Kind::Cross {
        if lrows.saturating_mul(rrows) > MAX_CROSS_ROWS {
            return query_err!(
                TooManyRowsOrBytes,
                "CROSS JOIN of {lrows} and {rrows} rows is too large"
            );
        }
        for l in 0..lrows as u32 {
            for r in 0..rrows as u32 {
                lidx.push(Some(l));
                ridx.push(Some(r));
            }
        }
    } else {
        // Both sides' keys in a common type, encoded as comparable bytes.
        let mut lk = Vec::new();
        let mut rk = Vec::new();
        for (l, r) in &keys {
            let t = least_supertype(&[l.data_type().clone(), r.data_type().clone()])?;
            let t = match t {
                DataType::LowCardinality(inner) => *inner,
                other => other,
            };
            lk.push(cast_array(&l.eval_array(&left.batch)?, l.data_type(), &t)?);
            rk.push(cast_array(&r.eval_array(&right.batch)?, r.data_type(), &t)?);
        }
        let fields = lk
            .iter()
            .map(|a| arrow::row::SortField::new(a.data_type().clone()))
            .collect();
        let conv = arrow::row::RowConverter::new(fields)?;
        let lrows_enc = conv.convert_columns(&lk)?;
        let rrows_enc = conv.convert_columns(&rk)?;
        let has_null = |cols: &[ArrayRef], i: usize| cols.iter().any(|c| c.is_null(i));
        let mut table: HashMap<&[u8], Vec<u32>> = HashMap::new();
        for r in 0..rrows {
            if !has_null(&rk, r) {
                table
                    .entry(rrows_enc.row(r).data())
                    .or_default()
                    .push(r as u32);
            }
        }
        let mut right_matched = vec![false; rrows];
        for l in 0..lrows {
            let matches = if has_null(&lk, l) {
                None
            } else {
                table.get(lrows_enc.row(l).data())
            };
            match matches {
                Some(rs) => {
                    for &r in rs {
                        lidx.push(Some(l as u32));
                        ridx.push(Some(r));
                        right_matched[r as usize] = true;
                    }
                }
                None if matches!(kind, Kind::Left | Kind::Full) => {
                    lidx.push(Some(l as u32));
                    ridx.push(None);
                }
                None => {}
            }
        }
        if matches!(kind, Kind::Right | Kind::Full) {
            for (r, m) in right_matched.iter().enumerate() {
                if !m {
                    lidx.push(None);
                    ridx.push(Some(r as u32));
                }
            }
        }
    }
    let n = lidx.len();
    let take_side =
        |batch: &RecordBatch, scope: &Scope, idx: &[Option<u32>]| -> Result<Vec<ArrayRef>> {
            let indices = UInt32Array::from(idx.to_vec());
            (0..batch.num_columns())
                .map(|c| {
                    let t = arrow::compute::take(batch.column(c).as_ref(), &indices, None)?;
                    let ty = &scope.columns[c].1;
                    if indices.null_count() == 0 || ty.is_nullable() {
                        return Ok(t);
                    }
                    // join_use_nulls = 0: defaults, not NULLs, for the unmatched side.
                    let valid = BooleanArray::from_iter(idx.iter().map(|i| Some(i.is_some())));
                    Ok(arrow::compute::kernels::zip::zip(
                        &valid,
                        &t,
                        &type_default(ty, idx.len())?,
                    )?)
                })
                .collect()
        };
    let mut arrays = take_side(&left.batch, &left.scope, &lidx)?;
    let right_arrays = take_side(&right.batch, &right.scope, &ridx)?;
    let mut scope = Scope {
        columns: left.scope.columns.clone(),
        qualifiers: Vec::new(),
        column_qualifiers: (0..left.scope.columns.len())
            .map(|i| left.scope.qualifiers_of(i).to_vec())
            .collect(),
    };
    // USING columns appear once; for rows only the right side has, the right's value.
    for name in &using {
        if let (Some(li), Some(ri)) = (
            left.scope.columns.iter().position(|(n, _)| n == name),
            right.scope.columns.iter().position(|(n, _)| n == name),
        ) {
            if matches!(kind, Kind::Right | Kind::Full) {
                let from_left = BooleanArray::from_iter(lidx.iter().map(|i| Some(i.is_some())));
                let r = cast_array(
                    &right_arrays[ri],
                    &right.scope.columns[ri].1,
                    &left.scope.columns[li].1,
                )?;
                arrays[li] = arrow::compute::kernels::zip::zip(&from_left, &arrays[li], &r)?;
            }
        }
    }
    for (i, (a, col)) in right_arrays
        .into_iter()
        .zip(&right.scope.columns)
        .enumerate()
    {
        if using.contains(&col.0) {
            continue;
        }
        arrays.push(a);
        scope.columns.push(col.clone());
        scope
            .column_qualifiers
            .push(right.scope.qualifiers_of(i).to_vec());
    }
    let mut batch = make_batch(&scope.columns, arrays, n)?;
    if !residual.is_empty() {
        let aliases = HashMap::new();
        let mut cond: Option<BoundExpr> = None;
        for r in residual {
            let b = Binder::new(&scope, &aliases, None).bind(r)?;
            cond = Some(match cond {
                None => b,
                Some(prev) => super::binder::call_function("and", vec![prev, b])?,
            });
        }
        if let Some(c) = cond {
            let mask =
                arrow::compute::cast(&c.eval_array(&batch)?, &arrow::datatypes::DataType::Boolean)?;
            let mask = arrow::array::AsArray::as_boolean(&mask).clone();
            let mask = BooleanArray::from_iter(mask.iter().map(|v| Some(v.unwrap_or(false))));
            batch = arrow::compute::filter_record_batch(&batch, &mask)?;
        }
    }
    Ok(Relation { scope, batch })
}
