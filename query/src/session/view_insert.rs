//! An insert as one atomic step through materialized views: the block is written as parts
//! of its table, every materialized view whose source is that table runs its query over
//! the block alone, the views' rows are written as parts of their targets (and run the
//! targets' own views, for chains), and all of these parts commit in one transaction. A
//! view that fails fails the insert, and nothing of it becomes visible.

use std::sync::Arc;

use arrow::record_batch::RecordBatch;
use granary_storage::transaction::Transaction;
use granary_storage::types::DataType;
use granary_storage::view::QualifiedName;
use granary_storage::MergeTreeTable;

use super::insert::{build_table_batch, cast_to, output_column, to_carrier};
use crate::error::{QueryError, Result};
use crate::plan::select::{execute_query, QueryOutput};
use crate::plan::view::parse_view_query;
use crate::plan::{InsertedBlock, QueryContext};
use crate::query_err;

/// Most materialized views one insert may pass through in a chain (a view whose target
/// feeds, through other views, its own source would never end).
pub const MAX_VIEW_CHAIN_DEPTH: usize = 32;

/// Inserts `batch` (the table's stored columns, in order) into `table` and through its
/// materialized views, durably and atomically.
pub fn insert_batch(
    ctx: &QueryContext,
    table: &Arc<MergeTreeTable>,
    batch: &RecordBatch,
) -> Result<()> {
    let mut txn = ctx.engine.begin();
    push_block(ctx, table, batch, &mut txn, 0)?;
    txn.commit()?;
    Ok(())
}

/// Writes `batch` as parts of `table` into `txn`, then pushes it through the table's
/// materialized views. Nothing is visible until `txn` commits.
pub fn push_block(
    ctx: &QueryContext,
    table: &Arc<MergeTreeTable>,
    batch: &RecordBatch,
    txn: &mut Transaction,
    depth: usize,
) -> Result<()> {
    if batch.num_rows() == 0 {
        return Ok(());
    }
    table.throttle_insert()?;
    let parts = table.write_parts(batch)?;
    txn.add_parts(table, parts);
    let columns = table
        .schema()
        .stored_columns()
        .map(|c| (c.name.clone(), c.data_type.clone()))
        .collect();
    let source = QualifiedName::new(&table.database, &table.name);
    push_to_views(ctx, &source, columns, batch, txn, depth)
}

/// Runs every materialized view whose source is `source` over `batch` (whose columns are
/// `columns`) and writes the views' rows into their targets within `txn` (recursively,
/// for chains). The entry point of stream engines, whose blocks are not stored.
pub fn push_to_views(
    ctx: &QueryContext,
    source: &QualifiedName,
    columns: Vec<(String, DataType)>,
    batch: &RecordBatch,
    txn: &mut Transaction,
    depth: usize,
) -> Result<()> {
    let views = ctx.engine.dependent_views(&source.database, &source.table);
    if views.is_empty() || batch.num_rows() == 0 {
        return Ok(());
    }
    let block = Arc::new(InsertedBlock {
        table: source.clone(),
        columns,
        batch: batch.clone(),
    });
    for (view_name, view) in views {
        let Some(target_name) = &view.target else {
            continue;
        };
        if depth >= MAX_VIEW_CHAIN_DEPTH {
            return query_err!(
                TooDeepRecursion,
                "Materialized views form a chain deeper than {MAX_VIEW_CHAIN_DEPTH} at {view_name} (a cycle?)"
            );
        }
        let in_view = |e: QueryError| e.with_context(&format!("while pushing to view {view_name}"));
        let target = ctx
            .engine
            .table(&target_name.database, &target_name.table)
            .map_err(|e| in_view(e.into()))?;
        let out = run_view_query(ctx, block.clone(), &view).map_err(in_view)?;
        if out.num_rows() == 0 {
            continue;
        }
        let rows = conform_to_table(&target, out).map_err(in_view)?;
        push_block(ctx, &target, &rows, txn, depth + 1)?;
    }
    Ok(())
}

/// Runs a materialized view's query over `block`, read in place of its source.
fn run_view_query(
    ctx: &QueryContext,
    block: Arc<InsertedBlock>,
    view: &granary_storage::view::ViewDefinition,
) -> Result<QueryOutput> {
    let query = parse_view_query(view)?;
    let mut vctx = ctx.clone();
    vctx.database = view.database.clone();
    vctx.ctes.clear();
    vctx.inserted = Some(block);
    execute_query(&vctx, &query)
}

/// The rows of a view's result as `target`'s stored columns: result columns are matched
/// to the target's by name (converted to their types), target columns the result lacks
/// take their defaults, result columns the target lacks are ignored.
pub fn conform_to_table(target: &MergeTreeTable, out: QueryOutput) -> Result<RecordBatch> {
    let rows = out.num_rows();
    let mut given = Vec::new();
    for col in target.schema().columns.iter() {
        let Some(i) = out.columns.iter().position(|(n, _)| n == &col.name) else {
            continue;
        };
        let array = cast_to(&output_column(&out, i)?, &out.columns[i].1, &col.data_type)?;
        let array = to_carrier(array, &col.data_type)?;
        given.push((col.clone(), array));
    }
    build_table_batch(target, given, rows)
}
