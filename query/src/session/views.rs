//! `CREATE VIEW`, `CREATE MATERIALIZED VIEW` (with `TO` or an inner table, `POPULATE`) and
//! dropping views.

use std::sync::Arc;

use arrow::record_batch::RecordBatch;
use granary_storage::schema::ColumnDef;
use granary_storage::view::{QualifiedName, ViewDefinition, ViewKind};
use granary_storage::StorageError;

use super::view_insert::{conform_to_table, insert_batch};
use super::Session;
use crate::error::Result;
use crate::plan::select::execute_query;
use crate::plan::stream::{block_columns, block_schema};
use crate::plan::view::source_table;
use crate::plan::InsertedBlock;
use crate::query_err;
use crate::sql::{CreateMaterializedView, CreateView, ViewTarget};

/// `CREATE [OR REPLACE] VIEW`.
pub(super) fn create_view(s: &mut Session, cv: CreateView) -> Result<()> {
    let db = s.db(&cv.database);
    if cv.or_replace && s.engine.view(&db, &cv.name).is_some() {
        s.engine.drop_table(&db, &cv.name, true)?;
    }
    let definition = ViewDefinition {
        kind: ViewKind::View,
        database: s.database.clone(),
        select_query: cv.select_query,
        source: None,
        target: None,
        inner: false,
        create_query: cv.create_query,
    };
    s.engine
        .create_view(&db, &cv.name, definition, cv.if_not_exists)?;
    Ok(())
}

/// `CREATE MATERIALIZED VIEW`.
pub(super) fn create_materialized_view(s: &mut Session, mv: CreateMaterializedView) -> Result<()> {
    let db = s.db(&mv.database);
    let engine = s.engine.clone();
    if engine.view(&db, &mv.name).is_some() || engine.table(&db, &mv.name).is_ok() {
        if mv.if_not_exists {
            return Ok(());
        }
        return Err(StorageError::TableAlreadyExists(format!(
            "Table {db}.{} already exists",
            mv.name
        ))
        .into());
    }
    let Some(mut source) = source_table(&mv.query, &s.database) else {
        return query_err!(
            BadArguments,
            "The query of a materialized view must read a table (SELECT ... FROM table)"
        );
    };
    // A materialized view named as the source stands for its target (chains of views).
    if let Some(v) = engine.view(&source.database, &source.table) {
        match (&v.kind, &v.target) {
            (ViewKind::Materialized, Some(t)) => source = t.clone(),
            _ => {
                return query_err!(
                    NotImplemented,
                    "A materialized view over the plain view {source} is not supported"
                )
            }
        }
    }
    let columns = block_columns(&engine, &source)?;
    let arrow_schema = block_schema(&columns);
    // The query's result columns: the query run over an empty block of the source.
    let mut ctx = s.context(&s.settings);
    ctx.inserted = Some(Arc::new(InsertedBlock {
        table: source.clone(),
        columns,
        batch: RecordBatch::new_empty(arrow_schema),
    }));
    let result_columns = execute_query(&ctx, &mv.query)?.columns;

    let (target, inner) = match mv.target {
        ViewTarget::To(tdb, tname) => {
            let tdb = tdb.unwrap_or_else(|| s.database.clone());
            engine.table(&tdb, &tname)?;
            (QualifiedName::new(&tdb, &tname), false)
        }
        ViewTarget::Inner(ct) => {
            let inner_name = format!(".inner_id.{}", granary_storage::engine::new_uuid());
            let mut schema = ct.schema.clone();
            if schema.columns.is_empty() {
                schema.columns = result_columns
                    .iter()
                    .map(|(n, t)| ColumnDef::new(n.clone(), t.clone()))
                    .collect();
            }
            let columns_sql: Vec<String> = schema
                .columns
                .iter()
                .map(|c| format!("`{}` {}", c.name, c.data_type))
                .collect();
            let create_query = format!(
                "CREATE TABLE {db}.`{inner_name}` ({}) ENGINE = {}",
                columns_sql.join(", "),
                schema.engine.to_sql()
            );
            engine.create_table(&db, &inner_name, schema, &create_query, false)?;
            (QualifiedName::new(&db, &inner_name), true)
        }
    };
    if target == source {
        if inner {
            engine.drop_table(&target.database, &target.table, true)?;
        }
        return query_err!(
            BadArguments,
            "A materialized view cannot insert into its own source table {source}"
        );
    }
    let definition = ViewDefinition {
        kind: ViewKind::Materialized,
        database: s.database.clone(),
        select_query: mv.select_query,
        source: Some(source),
        target: Some(target.clone()),
        inner,
        create_query: mv.create_query,
    };
    if let Err(e) = engine.create_view(&db, &mv.name, definition, false) {
        if inner {
            let _ = engine.drop_table(&target.database, &target.table, true);
        }
        return Err(e.into());
    }
    if mv.populate {
        // The source's rows now (inserts racing with this are not guaranteed to be seen
        // exactly once, as in ClickHouse).
        let ctx = s.context(&s.settings);
        let out = execute_query(&ctx, &mv.query)?;
        if out.num_rows() > 0 {
            let target_table = engine.table(&target.database, &target.table)?;
            let batch = conform_to_table(&target_table, out)?;
            insert_batch(&ctx, &target_table, &batch)?;
        }
    }
    Ok(())
}

/// `DROP TABLE|VIEW db.name` of a view: the definition, then the inner table if it has one.
/// Returns false when `db.name` is not a view.
pub(super) fn drop_view(s: &Session, db: &str, name: &str) -> Result<bool> {
    let Some(view) = s.engine.view(db, name) else {
        return Ok(false);
    };
    s.engine.drop_table(db, name, false)?;
    if view.inner {
        if let Some(t) = &view.target {
            s.engine.drop_table(&t.database, &t.table, true)?;
        }
    }
    Ok(true)
}
