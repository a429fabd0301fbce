//! INSERT: rows from VALUES or a SELECT, converted to the table's column types, missing
//! columns filled from their DEFAULT expressions (or the type's default), written as one
//! atomic insert.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef};
use arrow::datatypes::{Field, Schema};
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
use granary_storage::schema::{ColumnDef, DefaultKind};
use granary_storage::types::DataType;
use granary_storage::MergeTreeTable;
use sqlparser::dialect::ClickHouseDialect;
use sqlparser::parser::Parser;

use super::QueryOutput;
use crate::columnar::type_default;
use crate::error::{ErrorCode, QueryError, Result};
use crate::format::input::{is_binary, parse_input_detailed, InputSettings};
use crate::plan::binder::{call_function, string_literal, Binder, Scope};
use crate::plan::expr::BoundExpr;
use crate::plan::select::execute_query;
use crate::plan::source::empty_columns_batch;
use crate::plan::QueryContext;
use crate::query_err;
use crate::sql::{Insert, InsertSource};

/// Converts `array` of type `from` to the column type `to` (ClickHouse's CAST).
pub fn cast_to(array: &ArrayRef, from: &DataType, to: &DataType) -> Result<ArrayRef> {
    if from == to {
        return Ok(array.clone());
    }
    // insert_null_as_default: NULL into a non-Nullable column stores the type's default.
    if !to.is_nullable()
        && (array.null_count() > 0 || array.data_type() == &arrow::datatypes::DataType::Null)
    {
        let rows = array.len();
        let valid = arrow::array::BooleanArray::from_iter((0..rows).map(|i| {
            Some(array.is_valid(i) && array.data_type() != &arrow::datatypes::DataType::Null)
        }));
        let defaults = type_default(to, rows)?;
        if valid.true_count() == 0 {
            return Ok(defaults);
        }
        let nullable = DataType::Nullable(Box::new(to.base().clone()));
        let converted = cast_to(array, from, &nullable)?;
        let converted = if converted.data_type() != defaults.data_type() {
            arrow::compute::cast(&converted, defaults.data_type())?
        } else {
            converted
        };
        let merged = arrow::compute::kernels::zip::zip(&valid, &converted, &defaults)?;
        return Ok(arrow::array::make_array(
            merged.to_data().into_builder().nulls(None).build()?,
        ));
    }
    if let DataType::LowCardinality(inner) = to {
        let values = cast_to(array, from, inner)?;
        return Ok(arrow::compute::cast(&values, &to.to_arrow())?);
    }
    let rows = array.len();
    let schema = Arc::new(Schema::new(vec![Field::new(
        "x",
        array.data_type().clone(),
        true,
    )]));
    let batch = RecordBatch::try_new(schema, vec![array.clone()])?;
    let e = call_function(
        "_CAST",
        vec![
            BoundExpr::Column {
                index: 0,
                ty: from.clone(),
                name: "x".into(),
            },
            string_literal(&to.to_string()),
        ],
    )?;
    let out = e.eval(&batch)?.into_array(rows)?;
    if out.data_type() != &to.to_arrow() {
        return Ok(arrow::compute::cast(&out, &to.to_arrow())?);
    }
    Ok(out)
}

fn parse_expr(text: &str) -> Result<sqlparser::ast::Expr> {
    Parser::new(&ClickHouseDialect {})
        .try_with_sql(text)
        .and_then(|mut p| p.parse_expr())
        .map_err(|e| {
            QueryError::new(
                ErrorCode::SyntaxError,
                format!("Cannot parse default expression '{text}': {e}"),
            )
        })
}

/// Builds the full row set of the table's stored columns from the given `columns` and
/// their arrays, filling missing columns, and inserts it (through the table's
/// materialized views, atomically).
pub fn insert_columns(
    ctx: &QueryContext,
    table: &Arc<MergeTreeTable>,
    given: Vec<(ColumnDef, ArrayRef)>,
    rows: usize,
) -> Result<()> {
    let batch = build_table_batch(table, given, rows)?;
    super::view_insert::insert_batch(ctx, table, &batch)
}

/// The full row set of the table's stored columns, in order, from the `given` columns:
/// columns not given take their DEFAULT / MATERIALIZED expression or the type's default.
pub fn build_table_batch(
    table: &MergeTreeTable,
    given: Vec<(ColumnDef, ArrayRef)>,
    rows: usize,
) -> Result<RecordBatch> {
    let schema = table.schema().clone();
    // DEFAULT expressions see the given columns.
    let (scope, given_batch) = given_columns(&given, rows)?;
    let mut arrays = Vec::new();
    for col in schema.stored_columns() {
        if let Some((_, a)) = given.iter().find(|(c, _)| c.name == col.name) {
            arrays.push(a.clone());
            continue;
        }
        let value = match &col.default {
            Some(d) if matches!(d.kind, DefaultKind::Default | DefaultKind::Materialized) => {
                let expr = parse_expr(&d.expr)?;
                let aliases = HashMap::new();
                let mut b = Binder::new(&scope, &aliases, None);
                let bound = b.bind(&expr)?;
                let v = bound.eval(&given_batch)?.into_array(rows)?;
                cast_to(&v, bound.data_type(), &col.data_type)?
            }
            _ => type_default(&col.data_type, rows)?,
        };
        arrays.push(value);
    }
    let opts = RecordBatchOptions::new().with_row_count(Some(rows));
    Ok(RecordBatch::try_new_with_options(
        schema.arrow_schema(),
        arrays,
        &opts,
    )?)
}

/// The text of a number literal (`19.99`, `-5.5`), if `e` is one.
fn numeric_literal_text(e: &sqlparser::ast::Expr) -> Option<String> {
    use sqlparser::ast::{Expr, UnaryOperator, Value as V};
    match e {
        Expr::Value(v) => match &v.value {
            V::Number(n, _) => Some(n.clone()),
            _ => None,
        },
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        } => numeric_literal_text(expr).map(|t| format!("-{t}")),
        Expr::Nested(inner) => numeric_literal_text(inner),
        _ => None,
    }
}

/// The target columns of an insert: the named ones, or every column that is not
/// MATERIALIZED or ALIAS.
fn target_columns(table: &MergeTreeTable, names: &[String]) -> Result<Vec<ColumnDef>> {
    let schema = table.schema();
    if names.is_empty() {
        return Ok(schema
            .columns
            .iter()
            .filter(|c| {
                !matches!(
                    c.default.as_ref().map(|d| d.kind),
                    Some(DefaultKind::Materialized | DefaultKind::Alias)
                )
            })
            .cloned()
            .collect());
    }
    names
        .iter()
        .map(|n| {
            schema.column(n).cloned().map_err(|_| {
                QueryError::new(
                    ErrorCode::NoSuchColumnInTable,
                    format!("No such column {n} in table {}", table.full_name()),
                )
            })
        })
        .collect()
}

/// Inserts a query's result into `table` (columns by position).
pub fn insert_output(
    ctx: &QueryContext,
    table: &Arc<MergeTreeTable>,
    names: &[String],
    out: QueryOutput,
) -> Result<()> {
    let cols = target_columns(table, names)?;
    if out.columns.len() != cols.len() {
        return query_err!(
            NumberOfArgumentsDoesntMatch,
            "Number of columns doesn't match: the query gives {}, the insert expects {}",
            out.columns.len(),
            cols.len()
        );
    }
    let rows = out.num_rows();
    let mut given = Vec::new();
    for (i, c) in cols.into_iter().enumerate() {
        let arr = cast_to(&output_column(&out, i)?, &out.columns[i].1, &c.data_type)?;
        given.push((c, arr));
    }
    if rows == 0 {
        return Ok(());
    }
    insert_columns(ctx, table, given, rows)
}

pub(super) fn execute_insert(
    ctx: &QueryContext,
    query: &[u8],
    ins: &Insert,
) -> Result<QueryOutput> {
    let db = ins.database.clone().unwrap_or_else(|| ctx.database.clone());
    let table = ctx.engine.table(&db, &ins.name)?;
    match &ins.source {
        InsertSource::Select(q) => {
            let out = execute_query(ctx, q)?;
            insert_output(ctx, &table, &ins.columns, out)?;
        }
        InsertSource::Values(rows) => {
            let cols = target_columns(&table, &ins.columns)?;
            let scope = Scope::default();
            let aliases = HashMap::new();
            let one = empty_columns_batch(1)?;
            let mut per_column: Vec<Vec<ArrayRef>> = vec![Vec::new(); cols.len()];
            for (r, row) in rows.iter().enumerate() {
                if row.len() != cols.len() {
                    return query_err!(
                        CannotParseInputAssertionFailed,
                        "Cannot parse input: row {} has {} values, expected {} (columns {})",
                        r + 1,
                        row.len(),
                        cols.len(),
                        cols.iter()
                            .map(|c| c.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    );
                }
                for (c, (e, col)) in row.iter().zip(&cols).enumerate() {
                    let at = |e: QueryError| {
                        QueryError::new(
                            ErrorCode::CannotParseText,
                            format!("{} (at row {}, column {})", e.message(), r + 1, col.name),
                        )
                    };
                    let mut b = Binder::new(&scope, &aliases, None);
                    // VALUES parses a number literal as the column's type, so 19.99 into a
                    // Decimal is exact (a CAST from Float64 would give 19.98).
                    let bound = match (numeric_literal_text(e), col.data_type.base()) {
                        (Some(text), DataType::Decimal { .. }) if !text.contains(['e', 'E']) => {
                            string_literal(&text)
                        }
                        _ => b.bind(e).map_err(at)?,
                    };
                    let v = bound.eval(&one).and_then(|v| v.into_array(1)).map_err(at)?;
                    let v = cast_to(&v, bound.data_type(), &col.data_type).map_err(at)?;
                    per_column[c].push(v);
                }
            }
            let n = rows.len();
            if n == 0 {
                return Ok(QueryOutput::default());
            }
            let mut given = Vec::new();
            for (col, pieces) in cols.into_iter().zip(per_column) {
                let refs: Vec<&dyn Array> = pieces.iter().map(|a| a.as_ref()).collect();
                let arr = to_carrier(arrow::compute::concat(&refs)?, &col.data_type)?;
                given.push((col, arr));
            }
            insert_columns(ctx, &table, given, n)?;
        }
        InsertSource::Format {
            format,
            data_offset,
        } => {
            let data = query.get(*data_offset..).unwrap_or_default();
            insert_formatted(ctx, &table, &ins.columns, &ins.settings, format, data)?;
        }
    }
    Ok(QueryOutput::default())
}

/// `INSERT ... FORMAT name <data>`: parses `data` for the target columns and inserts the
/// rows atomically (nothing on error). Values a row lacks take the column's DEFAULT.
fn insert_formatted(
    ctx: &QueryContext,
    table: &Arc<MergeTreeTable>,
    names: &[String],
    settings: &[(String, String)],
    format: &str,
    data: &[u8],
) -> Result<()> {
    let mut input = InputSettings::default();
    for (k, v) in settings {
        input.apply(k, v)?;
    }
    let cols = target_columns(table, names)?;
    let typed: Vec<(String, DataType)> = cols
        .iter()
        .map(|c| (c.name.clone(), c.data_type.clone()))
        .collect();
    if data.iter().all(|b| b.is_ascii_whitespace())
        && format != "LineAsString"
        && !is_binary(format)
    {
        // Still reject unknown formats.
        parse_input_detailed(format, b"", &typed, &input)?;
        return Ok(());
    }
    let parsed = parse_input_detailed(format, data, &typed, &input)?;
    let rows = parsed.rows;
    if rows == 0 {
        return Ok(());
    }
    let mut given = Vec::new();
    let mut partial = Vec::new();
    for (col, pc) in cols.into_iter().zip(parsed.columns) {
        if pc.absent {
            continue;
        }
        if let Some(mask) = pc.defaulted {
            if has_default_expr(&col) {
                partial.push((given.len(), mask));
            }
        }
        given.push((col, pc.array));
    }
    for (i, mask) in partial {
        let defaults = eval_default(&given, &given[i].0, rows)?;
        let merged = arrow::compute::kernels::zip::zip(&mask, &defaults, &given[i].1)?;
        given[i].1 = merged;
    }
    insert_columns(ctx, table, given, rows)
}

fn has_default_expr(col: &ColumnDef) -> bool {
    matches!(&col.default, Some(d) if d.kind == DefaultKind::Default)
}

/// The DEFAULT expression of `col` evaluated over the given columns.
fn eval_default(given: &[(ColumnDef, ArrayRef)], col: &ColumnDef, rows: usize) -> Result<ArrayRef> {
    let Some(d) = &col.default else {
        return type_default(&col.data_type, rows);
    };
    let (scope, batch) = given_columns(given, rows)?;
    let expr = parse_expr(&d.expr)?;
    let aliases = HashMap::new();
    let mut b = Binder::new(&scope, &aliases, None);
    let bound = b.bind(&expr)?;
    let v = bound.eval(&batch)?.into_array(rows)?;
    let v = cast_to(&v, bound.data_type(), &col.data_type)?;
    to_carrier(v, &col.data_type)
}

/// The given columns as a scope (for binding DEFAULT expressions) and a batch of `rows`.
fn given_columns(given: &[(ColumnDef, ArrayRef)], rows: usize) -> Result<(Scope, RecordBatch)> {
    let scope = Scope {
        columns: given
            .iter()
            .map(|(c, _)| (c.name.clone(), c.data_type.clone()))
            .collect(),
        qualifiers: vec![],
        column_qualifiers: Vec::new(),
    };
    let fields: Vec<Field> = given
        .iter()
        .map(|(c, a)| Field::new(&c.name, a.data_type().clone(), true))
        .collect();
    let opts = RecordBatchOptions::new().with_row_count(Some(rows));
    let batch = RecordBatch::try_new_with_options(
        Arc::new(Schema::new(fields)),
        given.iter().map(|(_, a)| a.clone()).collect(),
        &opts,
    )?;
    Ok((scope, batch))
}

/// `array` (values of type `ty`) in `ty`'s own Arrow carrier: results may carry a type's
/// values in a plainer form (a LowCardinality key decoded by GROUP BY, a VALUES literal).
pub fn to_carrier(array: ArrayRef, ty: &DataType) -> Result<ArrayRef> {
    let carrier = ty.to_arrow();
    if array.data_type() == &carrier {
        return Ok(array);
    }
    Ok(arrow::compute::cast(&array, &carrier)?)
}

/// Column `i` of a query's output as one array (empty when there are no rows).
pub fn output_column(out: &QueryOutput, i: usize) -> Result<ArrayRef> {
    let parts: Vec<&dyn Array> = out.batches.iter().map(|b| b.column(i).as_ref()).collect();
    if parts.is_empty() {
        return Ok(arrow::array::new_empty_array(&out.columns[i].1.to_arrow()));
    }
    Ok(arrow::compute::concat(&parts)?)
}
