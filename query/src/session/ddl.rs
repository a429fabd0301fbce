//! DDL and administration: CREATE/DROP DATABASE and TABLE, TRUNCATE, OPTIMIZE,
//! ALTER ... DROP PARTITION, SYSTEM STOP/START MERGES.

use granary_storage::value::Value;
use granary_storage::view::ExternalTable;
use granary_storage::MergeTreeTable;

use super::{QueryOutput, Session};
use crate::error::Result;
use crate::plan::binder::{Binder, Scope};
use crate::plan::source::empty_columns_batch;
use crate::query_err;
use crate::sql::{PartitionSpec, Statement};

/// The partition id a `PARTITION expr` or `PARTITION ID 'id'` names.
fn partition_id(spec: &PartitionSpec) -> Result<String> {
    match spec {
        PartitionSpec::Id(id) => Ok(id.clone()),
        PartitionSpec::Expr(e) => {
            let scope = Scope::default();
            let aliases = Default::default();
            let mut b = Binder::new(&scope, &aliases, None);
            // A tuple `(a, b)` is several partition values.
            let items: Vec<&sqlparser::ast::Expr> = match e {
                sqlparser::ast::Expr::Tuple(items) => items.iter().collect(),
                other => vec![other],
            };
            let mut values = Vec::new();
            for item in items {
                let bound = b.bind(item)?;
                let arr = bound.eval_array(&empty_columns_batch(1)?)?;
                values.push(Value::from_array(arr.as_ref(), 0).unwrap_or(Value::Null));
            }
            Ok(MergeTreeTable::partition_id_of(&values))
        }
    }
}

pub(super) fn execute_ddl(s: &mut Session, stmt: Statement) -> Result<QueryOutput> {
    let engine = s.engine.clone();
    match stmt {
        Statement::CreateDatabase {
            name,
            if_not_exists,
        } => engine.create_database(&name, if_not_exists)?,
        Statement::DropDatabase { name, if_exists } => {
            if name == "default" || name == "system" {
                return query_err!(BadArguments, "Cannot drop database {name}");
            }
            engine.drop_database(&name, if_exists)?
        }
        Statement::CreateTable(ct) => {
            if let Some((engine_name, args)) = &ct.other_engine {
                if engine_name != "Kafka" {
                    return query_err!(
                        NotImplemented,
                        "Table engine {engine_name} is not supported yet"
                    );
                }
                let db = s.db(&ct.database);
                let table = ExternalTable {
                    engine: engine_name.clone(),
                    engine_args: args.clone(),
                    settings: ct.settings.clone(),
                    columns: ct.schema.columns.clone(),
                    create_query: ct.create_query.clone(),
                };
                crate::kafka_settings::KafkaSettings::from_table(&table)?;
                engine.create_external_table(&db, &ct.name, table, ct.if_not_exists)?;
                return Ok(QueryOutput::default());
            }
            let db = s.db(&ct.database);
            let table = engine.create_table(
                &db,
                &ct.name,
                ct.schema.clone(),
                &ct.create_query,
                ct.if_not_exists,
            )?;
            if let Some(q) = &ct.as_select {
                let ctx = s.context(&s.settings);
                let out = crate::plan::select::execute_query(&ctx, q)?;
                super::insert::insert_output(&ctx, &table, &[], out)?;
            }
        }
        Statement::DropTable {
            database,
            name,
            if_exists,
        } => {
            let db = s.db(&database);
            if !super::views::drop_view(s, &db, &name)? {
                engine.drop_table(&db, &name, if_exists)?
            }
        }
        Statement::CreateView(cv) => super::views::create_view(s, *cv)?,
        Statement::CreateMaterializedView(mv) => super::views::create_materialized_view(s, *mv)?,
        Statement::Truncate { database, name } => {
            let db = s.db(&database);
            engine.table(&db, &name)?.truncate()?
        }
        Statement::Optimize {
            database,
            name,
            partition,
            final_,
            ..
        } => {
            let db = s.db(&database);
            let t = engine.table(&db, &name)?;
            let pid = partition.as_ref().map(partition_id).transpose()?;
            t.optimize(pid.as_deref(), final_)?
        }
        Statement::AlterDropPartition {
            database,
            name,
            partition,
        } => {
            let db = s.db(&database);
            let t = engine.table(&db, &name)?;
            t.drop_partition(&partition_id(&partition)?)?
        }
        Statement::SystemMerges {
            stop,
            database,
            name,
        } => match name {
            Some(n) => engine.table(&s.db(&database), &n)?.set_merges_stopped(stop),
            None => engine
                .all_tables()
                .iter()
                .for_each(|t| t.set_merges_stopped(stop)),
        },
        other => return query_err!(NotImplemented, "Statement {other:?} is not supported yet"),
    }
    Ok(QueryOutput::default())
}
