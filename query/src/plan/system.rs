//! ClickHouse's `system` database: `one`, `numbers`, `databases`, `tables`, `columns`,
//! `parts`, `merges`, `settings`, `functions`, `formats` and `kafka_consumers` (rows from
//! [`crate::kafka_consumers`]), with ClickHouse's column names and types (a subset of each
//! table's columns, in ClickHouse's order), materialised as in-memory batches when a query
//! reads them.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BinaryArray, BinaryBuilder, FixedSizeBinaryArray, Float64Array, Int32Array,
    Int64Array, ListBuilder, UInt16Array, UInt32Array, UInt64Array, UInt8Array,
};
use arrow::datatypes::Schema;
use arrow::record_batch::RecordBatch;
use granary_storage::schema::{DefaultKind, TableSchema};
use granary_storage::types::DataType;
use granary_storage::value::Value;
use granary_storage::view::{ViewDefinition, ViewKind};

use super::binder::Scope;
use super::source::Source;
use super::QueryContext;
use crate::error::Result;
use crate::query_err;

/// The tables of the `system` database, sorted.
pub const SYSTEM_TABLES: &[&str] = &[
    "columns",
    "databases",
    "formats",
    "functions",
    "kafka_consumers",
    "merges",
    "numbers",
    "one",
    "parts",
    "settings",
    "tables",
];

/// Rows `system.numbers` yields: ClickHouse's is endless; this one stops after 2^34 rows,
/// which a `LIMIT` cuts short long before.
pub const SYSTEM_NUMBERS_ROWS: u64 = 1 << 34;

/// One value of a system table's cell.
#[derive(Clone, Debug)]
enum Cell {
    /// Text.
    S(String),
    /// An unsigned number (also `DateTime` seconds, `Date` days).
    U(u64),
    /// A signed number.
    I(i64),
    /// A float.
    F(f64),
    /// NULL.
    N,
    /// An `Array(String)`.
    A(Vec<String>),
}

fn s(v: impl Into<String>) -> Cell {
    Cell::S(v.into())
}

fn b(v: bool) -> Cell {
    Cell::U(v as u64)
}

fn t(name: &str) -> DataType {
    DataType::parse(name).unwrap_or(DataType::String)
}

/// The columns of `system.name` as ClickHouse names and types them, or `None` for a table
/// Granary does not have.
pub fn system_columns(name: &str) -> Option<Vec<(&'static str, DataType)>> {
    let cols: &[(&'static str, &str)] = match name {
        "one" => &[("dummy", "UInt8")],
        "numbers" => &[("number", "UInt64")],
        "databases" => &[
            ("name", "String"),
            ("engine", "String"),
            ("data_path", "String"),
            ("metadata_path", "String"),
            ("uuid", "UUID"),
            ("engine_full", "String"),
            ("comment", "String"),
            ("is_external", "UInt8"),
        ],
        "tables" => &[
            ("database", "String"),
            ("name", "String"),
            ("uuid", "UUID"),
            ("engine", "String"),
            ("is_temporary", "UInt8"),
            ("data_paths", "Array(String)"),
            ("metadata_path", "String"),
            ("metadata_modification_time", "DateTime"),
            ("metadata_version", "Int32"),
            ("dependencies_database", "Array(String)"),
            ("dependencies_table", "Array(String)"),
            ("create_table_query", "String"),
            ("engine_full", "String"),
            ("as_select", "String"),
            ("partition_key", "String"),
            ("sorting_key", "String"),
            ("primary_key", "String"),
            ("sampling_key", "String"),
            ("unique_key", "String"),
            ("skipping_indices_types", "Array(String)"),
            ("storage_policy", "String"),
            ("total_rows", "Nullable(UInt64)"),
            ("total_bytes", "Nullable(UInt64)"),
            ("total_bytes_uncompressed", "Nullable(UInt64)"),
            ("parts", "Nullable(UInt64)"),
            ("active_parts", "Nullable(UInt64)"),
            ("total_marks", "Nullable(UInt64)"),
            ("lifetime_rows", "Nullable(UInt64)"),
            ("lifetime_bytes", "Nullable(UInt64)"),
            ("comment", "String"),
            ("has_own_data", "UInt8"),
        ],
        "columns" => &[
            ("database", "String"),
            ("table", "String"),
            ("name", "String"),
            ("type", "String"),
            ("position", "UInt64"),
            ("default_kind", "String"),
            ("default_expression", "String"),
            ("data_compressed_bytes", "UInt64"),
            ("data_uncompressed_bytes", "UInt64"),
            ("marks_bytes", "UInt64"),
            ("comment", "String"),
            ("is_in_partition_key", "UInt8"),
            ("is_in_sorting_key", "UInt8"),
            ("is_in_primary_key", "UInt8"),
            ("is_in_sampling_key", "UInt8"),
            ("compression_codec", "String"),
            ("character_octet_length", "Nullable(UInt64)"),
            ("numeric_precision", "Nullable(UInt64)"),
            ("numeric_precision_radix", "Nullable(UInt64)"),
            ("numeric_scale", "Nullable(UInt64)"),
            ("datetime_precision", "Nullable(UInt64)"),
        ],
        "parts" => &[
            ("partition", "String"),
            ("name", "String"),
            ("uuid", "UUID"),
            ("part_type", "String"),
            ("part_storage_type", "String"),
            ("active", "UInt8"),
            ("marks", "UInt64"),
            ("rows", "UInt64"),
            ("files", "UInt64"),
            ("bytes_on_disk", "UInt64"),
            ("data_compressed_bytes", "UInt64"),
            ("data_uncompressed_bytes", "UInt64"),
            ("primary_key_size", "UInt64"),
            ("marks_bytes", "UInt64"),
            ("modification_time", "DateTime"),
            ("remove_time", "DateTime"),
            ("refcount", "UInt32"),
            ("min_date", "Date"),
            ("max_date", "Date"),
            ("min_time", "DateTime"),
            ("max_time", "DateTime"),
            ("partition_id", "String"),
            ("min_block_number", "Int64"),
            ("max_block_number", "Int64"),
            ("level", "UInt32"),
            ("data_version", "UInt64"),
            ("is_frozen", "UInt8"),
            ("database", "String"),
            ("table", "String"),
            ("engine", "String"),
            ("disk_name", "String"),
            ("path", "String"),
            ("visible", "UInt8"),
        ],
        "merges" => &[
            ("database", "String"),
            ("table", "String"),
            ("elapsed", "Float64"),
            ("progress", "Float64"),
            ("num_parts", "UInt64"),
            ("source_part_names", "Array(String)"),
            ("result_part_name", "String"),
            ("source_part_paths", "Array(String)"),
            ("result_part_path", "String"),
            ("partition_id", "String"),
            ("partition", "String"),
            ("is_mutation", "UInt8"),
            ("total_size_bytes_compressed", "UInt64"),
            ("total_size_bytes_uncompressed", "UInt64"),
            ("total_size_marks", "UInt64"),
            ("bytes_read_uncompressed", "UInt64"),
            ("rows_read", "UInt64"),
            ("bytes_written_uncompressed", "UInt64"),
            ("rows_written", "UInt64"),
            ("columns_written", "UInt64"),
            ("memory_usage", "UInt64"),
            ("thread_id", "UInt64"),
            ("merge_type", "String"),
            ("merge_algorithm", "String"),
        ],
        "settings" => &[
            ("name", "String"),
            ("value", "String"),
            ("changed", "UInt8"),
            ("description", "String"),
            ("min", "Nullable(String)"),
            ("max", "Nullable(String)"),
            ("disallowed_values", "Array(String)"),
            ("readonly", "UInt8"),
            ("type", "String"),
            ("default", "String"),
            ("alias_for", "String"),
            ("is_obsolete", "UInt8"),
        ],
        "functions" => &[
            ("name", "String"),
            ("is_aggregate", "UInt8"),
            ("case_insensitive", "UInt8"),
            ("alias_to", "String"),
            ("create_query", "String"),
        ],
        "formats" => &[
            ("name", "String"),
            ("is_input", "UInt8"),
            ("is_output", "UInt8"),
        ],
        "kafka_consumers" => crate::kafka_consumers::COLUMNS,
        _ => return None,
    };
    Some(cols.iter().map(|(n, ty)| (*n, t(ty))).collect())
}

/// Resolves `system.name` into a source and scope; `None` for a name that is not a system
/// table (the caller then reports the unknown table).
pub fn system_table(ctx: &QueryContext, name: &str) -> Result<Option<(Source, Scope)>> {
    let Some(columns) = system_columns(name) else {
        return Ok(None);
    };
    let scope = Scope {
        columns: columns
            .iter()
            .map(|(n, ty)| (n.to_string(), ty.clone()))
            .collect(),
        qualifiers: vec![name.to_string(), format!("system.{name}")],
        column_qualifiers: Vec::new(),
    };
    let rows = match name {
        "one" => return Ok(Some((Source::one().0, scope))),
        "numbers" => {
            let source = Source::Numbers {
                start: 0,
                count: SYSTEM_NUMBERS_ROWS,
            };
            return Ok(Some((source, scope)));
        }
        "kafka_consumers" => {
            let batch = crate::kafka_consumers::batch(&crate::kafka_consumers::consumers())?;
            return Ok(Some((Source::Batches(vec![batch]), scope)));
        }
        "databases" => databases(ctx),
        "tables" => tables(ctx)?,
        "columns" => columns_rows(ctx)?,
        "parts" => parts(ctx)?,
        "merges" => merges(ctx)?,
        "settings" => settings(ctx),
        "functions" => functions(),
        "formats" => formats(),
        _ => Vec::new(),
    };
    let batch = to_batch(&columns, &rows)?;
    Ok(Some((Source::Batches(vec![batch]), scope)))
}

/// Builds a batch of `rows` (each one cell per column) for `columns`.
fn to_batch(columns: &[(&'static str, DataType)], rows: &[Vec<Cell>]) -> Result<RecordBatch> {
    let fields: Vec<_> = columns.iter().map(|(n, ty)| ty.to_arrow_field(n)).collect();
    let arrays = columns
        .iter()
        .enumerate()
        .map(|(i, (n, ty))| {
            let cells: Vec<&Cell> = rows.iter().map(|r| r.get(i).unwrap_or(&Cell::N)).collect();
            to_array(n, ty, &cells)
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)?)
}

fn uint(c: &Cell) -> Option<u64> {
    match c {
        Cell::U(v) => Some(*v),
        Cell::I(v) => Some(*v as u64),
        _ => None,
    }
}

fn to_array(name: &str, ty: &DataType, cells: &[&Cell]) -> Result<ArrayRef> {
    let u = |c: &&Cell| uint(c).unwrap_or(0);
    Ok(match ty {
        DataType::UInt8 => Arc::new(UInt8Array::from_iter_values(
            cells.iter().map(|c| u(c) as u8),
        )),
        DataType::UInt16 | DataType::Date => Arc::new(UInt16Array::from_iter_values(
            cells.iter().map(|c| u(c) as u16),
        )),
        DataType::UInt32 | DataType::DateTime(_) => Arc::new(UInt32Array::from_iter_values(
            cells.iter().map(|c| u(c) as u32),
        )),
        DataType::UInt64 => Arc::new(UInt64Array::from_iter_values(cells.iter().map(u))),
        DataType::Int32 => Arc::new(Int32Array::from_iter_values(cells.iter().map(
            |c| match c {
                Cell::I(v) => *v as i32,
                other => uint(other).unwrap_or(0) as i32,
            },
        ))),
        DataType::Int64 => Arc::new(Int64Array::from_iter_values(cells.iter().map(
            |c| match c {
                Cell::I(v) => *v,
                other => uint(other).unwrap_or(0) as i64,
            },
        ))),
        DataType::Float64 => Arc::new(Float64Array::from_iter_values(cells.iter().map(
            |c| match c {
                Cell::F(v) => *v,
                other => uint(other).unwrap_or(0) as f64,
            },
        ))),
        DataType::Nullable(inner) if **inner == DataType::UInt64 => {
            Arc::new(cells.iter().map(|c| uint(c)).collect::<UInt64Array>())
        }
        DataType::String => Arc::new(BinaryArray::from_iter_values(cells.iter().map(
            |c| match c {
                Cell::S(v) => v.as_bytes(),
                _ => &[],
            },
        ))),
        DataType::Nullable(inner) if **inner == DataType::String => {
            Arc::new(BinaryArray::from_iter(cells.iter().map(|c| match c {
                Cell::S(v) => Some(v.as_bytes()),
                _ => None,
            })))
        }
        DataType::Uuid => {
            let values: Vec<[u8; 16]> = cells
                .iter()
                .map(|c| match c {
                    Cell::S(v) => uuid_bytes(v),
                    _ => [0; 16],
                })
                .collect();
            Arc::new(FixedSizeBinaryArray::try_from_iter(values.into_iter())?)
        }
        DataType::Array(inner) if **inner == DataType::String => {
            let mut builder = ListBuilder::new(BinaryBuilder::new());
            for c in cells {
                if let Cell::A(items) = c {
                    for item in items {
                        builder.values().append_value(item.as_bytes());
                    }
                }
                builder.append(true);
            }
            Arc::new(builder.finish())
        }
        other => {
            return query_err!(
                LogicalError,
                "System table column {name} has unsupported type {other}"
            )
        }
    })
}

/// The 16 bytes of a UUID written in hex (dashes ignored); zeros when it is not one.
fn uuid_bytes(text: &str) -> [u8; 16] {
    let hex: Vec<u8> = text
        .bytes()
        .filter(|c| c.is_ascii_hexdigit())
        .map(|c| match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => c - b'A' + 10,
        })
        .collect();
    let mut out = [0u8; 16];
    if hex.len() != 32 {
        return out;
    }
    for (i, o) in out.iter_mut().enumerate() {
        *o = (hex[2 * i] << 4) | hex[2 * i + 1];
    }
    out
}

fn dir_string(path: &std::path::Path) -> String {
    let mut s = path.display().to_string();
    if !s.ends_with('/') {
        s.push('/');
    }
    s
}

/// Seconds since the epoch of `path`'s last modification (0 when unknown).
fn mtime(path: &std::path::Path) -> u64 {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The databases, `system` included.
fn database_names(ctx: &QueryContext) -> Vec<String> {
    let mut dbs = ctx.engine.databases();
    if !dbs.iter().any(|d| d == "system") {
        dbs.push("system".into());
        dbs.sort();
    }
    dbs
}

fn databases(ctx: &QueryContext) -> Vec<Vec<Cell>> {
    let data_dir = ctx.engine.data_dir();
    database_names(ctx)
        .into_iter()
        .map(|db| {
            let metadata = dir_string(&data_dir.join("metadata").join(&db));
            vec![
                s(db),
                s("Atomic"),
                s(dir_string(data_dir)),
                s(metadata),
                Cell::N,
                s("Atomic"),
                s(""),
                b(false),
            ]
        })
        .collect()
}

/// `a, b` (ClickHouse's `sorting_key`/`primary_key` text).
fn key_list(cols: &[String]) -> String {
    cols.join(", ")
}

/// `ORDER BY` text: `a`, `(a, b)` or `tuple()`.
fn key_tuple(cols: &[String]) -> String {
    match cols {
        [] => "tuple()".into(),
        [one] => one.clone(),
        many => format!("({})", many.join(", ")),
    }
}

/// The engine clause as ClickHouse's `engine_full` shows it.
fn engine_full(schema: &TableSchema) -> String {
    let mut out = schema.engine.to_sql();
    if let Some(p) = &schema.partition_by {
        out.push_str(&format!(" PARTITION BY {p}"));
    }
    if schema.primary_key != schema.order_by {
        out.push_str(&format!(" PRIMARY KEY {}", key_tuple(&schema.primary_key)));
    }
    out.push_str(&format!(" ORDER BY {}", key_tuple(&schema.order_by)));
    out.push_str(&format!(
        " SETTINGS index_granularity = {}",
        schema.settings.index_granularity
    ));
    out
}

fn default_kind(kind: DefaultKind) -> &'static str {
    match kind {
        DefaultKind::Default => "DEFAULT",
        DefaultKind::Materialized => "MATERIALIZED",
        DefaultKind::Alias => "ALIAS",
        DefaultKind::Ephemeral => "EPHEMERAL",
    }
}

/// `CREATE TABLE db.name (...) ENGINE = ...`, as ClickHouse's `create_table_query`.
fn create_query(db: &str, name: &str, schema: &TableSchema) -> String {
    let cols: Vec<String> = schema
        .columns
        .iter()
        .map(|c| {
            let mut out = format!("`{}` {}", c.name, c.data_type);
            if let Some(d) = &c.default {
                out.push_str(&format!(" {} {}", default_kind(d.kind), d.expr));
            }
            if !c.comment.is_empty() {
                out.push_str(&format!(" COMMENT '{}'", c.comment.replace('\'', "\\'")));
            }
            if let Some(codec) = &c.codec {
                out.push_str(&format!(" CODEC({codec})"));
            }
            out
        })
        .collect();
    format!(
        "CREATE TABLE {db}.{name} ({}) ENGINE = {}",
        cols.join(", "),
        engine_full(schema)
    )
}

/// Every user table as `(database, name)`, sorted.
fn user_tables(ctx: &QueryContext) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for db in ctx.engine.databases() {
        for name in ctx.engine.table_names(&db).unwrap_or_default() {
            out.push((db.clone(), name));
        }
    }
    out
}

fn tables(ctx: &QueryContext) -> Result<Vec<Vec<Cell>>> {
    let mut rows = Vec::new();
    let mut listed: Vec<(String, String)> = user_tables(ctx);
    listed.extend(
        SYSTEM_TABLES
            .iter()
            .map(|n| ("system".to_string(), n.to_string())),
    );
    listed.sort();
    for (db, name) in listed {
        if db == "system" && system_columns(&name).is_some() {
            let engine = format!("System{}{}", name[..1].to_ascii_uppercase(), &name[1..]);
            let create = format!(
                "CREATE TABLE system.{name} ({}) ENGINE = {engine}",
                system_columns(&name)
                    .unwrap_or_default()
                    .iter()
                    .map(|(c, ty)| format!("`{c}` {ty}"))
                    .collect::<Vec<_>>()
                    .join(", "),
            );
            rows.push(partless_row(&db, &name, &engine, &create, "", ""));
            continue;
        }
        if let Some(view) = ctx.engine.view(&db, &name) {
            rows.push(view_row(&db, &name, &view));
            continue;
        }
        // A table that refuses to load is left out, as ClickHouse leaves out broken ones.
        let Ok(table) = ctx.engine.table(&db, &name) else {
            continue;
        };
        let meta = ctx.engine.table_metadata(&db, &name).ok();
        let schema = table.schema();
        let snapshot = table.snapshot();
        let metadata_path = ctx
            .engine
            .data_dir()
            .join("metadata")
            .join(&db)
            .join(format!("{name}.json"));
        let create = meta
            .as_ref()
            .map(|m| m.create_query.clone())
            .filter(|q| !q.is_empty())
            .unwrap_or_else(|| create_query(&db, &name, schema));
        let engine = schema.engine.to_sql();
        let engine_name = engine.split('(').next().unwrap_or_default().to_string();
        let parts = snapshot.parts.len() as u64;
        let marks: u64 = snapshot.parts.iter().map(|p| p.meta.marks).sum();
        rows.push(vec![
            s(&db),
            s(&name),
            s(&table.uuid),
            s(engine_name),
            b(false),
            Cell::A(vec![dir_string(table.dir())]),
            s(metadata_path.display().to_string()),
            Cell::U(mtime(&metadata_path)),
            Cell::I(0),
            Cell::A(Vec::new()),
            Cell::A(Vec::new()),
            s(create),
            s(engine_full(schema)),
            s(""),
            s(schema
                .partition_by
                .as_ref()
                .map(|p| p.to_string())
                .unwrap_or_default()),
            s(key_list(&schema.order_by)),
            s(key_list(&schema.primary_key)),
            s(""),
            s(""),
            Cell::A(Vec::new()),
            s("default"),
            Cell::U(snapshot.total_rows()),
            Cell::U(snapshot.total_bytes()),
            Cell::N,
            Cell::U(parts),
            Cell::U(parts),
            Cell::U(marks),
            Cell::N,
            Cell::N,
            s(""),
            b(true),
        ]);
    }
    Ok(rows)
}

/// The table `db.name` when it is a loaded table and not a view.
fn stored_table(
    ctx: &QueryContext,
    db: &str,
    name: &str,
) -> Option<Arc<granary_storage::MergeTreeTable>> {
    if ctx.engine.view(db, name).is_some() {
        return None;
    }
    ctx.engine.table(db, name).ok()
}

/// The `system.tables` row of a view.
fn view_row(db: &str, name: &str, view: &ViewDefinition) -> Vec<Cell> {
    let engine = match view.kind {
        ViewKind::View => "View",
        ViewKind::Materialized => "MaterializedView",
    };
    partless_row(
        db,
        name,
        engine,
        &view.create_query,
        engine,
        &view.select_query,
    )
}

/// The `system.tables` row of something without parts or a storage policy: a system
/// table or a view.
fn partless_row(
    db: &str,
    name: &str,
    engine: &str,
    create: &str,
    engine_full: &str,
    as_select: &str,
) -> Vec<Cell> {
    let mut row = vec![
        s(db),
        s(name),
        Cell::N,
        s(engine),
        b(false),
        Cell::A(Vec::new()),
        s(""),
        Cell::U(0),
        Cell::I(0),
        Cell::A(Vec::new()),
        Cell::A(Vec::new()),
        s(create),
        s(engine_full),
        s(as_select),
    ];
    row.extend([s(""), s(""), s(""), s(""), s("")]);
    row.extend([Cell::A(Vec::new()), s("")]);
    row.extend(std::iter::repeat_n(Cell::N, 8));
    row.extend([s(""), b(false)]);
    row
}

/// ClickHouse's `numeric_precision`, `numeric_precision_radix`, `numeric_scale`,
/// `character_octet_length` and `datetime_precision` of a column type.
fn numeric_info(ty: &DataType) -> [Cell; 5] {
    let int = |bits: u64| [Cell::N, Cell::U(bits), Cell::U(2), Cell::U(0), Cell::N];
    match ty {
        DataType::UInt8 | DataType::Int8 | DataType::Bool => int(8),
        DataType::UInt16 | DataType::Int16 => int(16),
        DataType::UInt32 | DataType::Int32 => int(32),
        DataType::UInt64 | DataType::Int64 => int(64),
        DataType::Float32 => [Cell::N, Cell::U(24), Cell::U(2), Cell::N, Cell::N],
        DataType::Float64 => [Cell::N, Cell::U(53), Cell::U(2), Cell::N, Cell::N],
        DataType::Decimal { precision, scale } => [
            Cell::N,
            Cell::U(*precision as u64),
            Cell::U(10),
            Cell::U(*scale as u64),
            Cell::N,
        ],
        DataType::FixedString(n) => [Cell::U(*n as u64), Cell::N, Cell::N, Cell::N, Cell::N],
        DataType::DateTime(_) => [Cell::N, Cell::N, Cell::N, Cell::N, Cell::U(0)],
        DataType::DateTime64(p, _) => [Cell::N, Cell::N, Cell::N, Cell::N, Cell::U(*p as u64)],
        _ => [Cell::N, Cell::N, Cell::N, Cell::N, Cell::N],
    }
}

fn columns_rows(ctx: &QueryContext) -> Result<Vec<Vec<Cell>>> {
    let mut rows = Vec::new();
    for (db, name) in user_tables(ctx) {
        let Ok(table) = ctx.engine.table(&db, &name) else {
            continue;
        };
        let schema = table.schema();
        let partition_cols = schema
            .partition_by
            .as_ref()
            .map(|p| p.columns())
            .unwrap_or_default();
        for (i, c) in schema.columns.iter().enumerate() {
            let mut row = vec![
                s(&db),
                s(&name),
                s(&c.name),
                s(c.data_type.to_string()),
                Cell::U(i as u64 + 1),
                s(c.default
                    .as_ref()
                    .map(|d| default_kind(d.kind))
                    .unwrap_or("")),
                s(c.default
                    .as_ref()
                    .map(|d| d.expr.clone())
                    .unwrap_or_default()),
                Cell::U(0),
                Cell::U(0),
                Cell::U(0),
                s(&c.comment),
                b(partition_cols.contains(&c.name)),
                b(schema.order_by.contains(&c.name)),
                b(schema.primary_key.contains(&c.name)),
                b(false),
                s(c.codec
                    .as_ref()
                    .map(|x| format!("CODEC({x})"))
                    .unwrap_or_default()),
            ];
            row.extend(numeric_info(&c.data_type));
            rows.push(row);
        }
    }
    for name in SYSTEM_TABLES {
        for (i, (c, ty)) in system_columns(name).unwrap_or_default().iter().enumerate() {
            let mut row = vec![
                s("system"),
                s(*name),
                s(*c),
                s(ty.to_string()),
                Cell::U(i as u64 + 1),
                s(""),
                s(""),
                Cell::U(0),
                Cell::U(0),
                Cell::U(0),
                s(""),
                b(false),
                b(false),
                b(false),
                b(false),
                s(""),
            ];
            row.extend(numeric_info(ty));
            rows.push(row);
        }
    }
    Ok(rows)
}

/// A partition value as ClickHouse's `system.parts.partition` shows it.
fn partition_text(values: &[Value]) -> String {
    let one = |v: &Value| match v {
        Value::Null => "NULL".to_string(),
        Value::UInt(x) => x.to_string(),
        Value::Int(x) => x.to_string(),
        Value::Float(x) => x.to_string(),
        Value::Decimal(x) => x.to_string(),
        Value::Bytes(x) => format!("'{}'", String::from_utf8_lossy(x).replace('\'', "\\'")),
    };
    match values {
        [] => "tuple()".into(),
        [v] => one(v),
        many => format!("({})", many.iter().map(one).collect::<Vec<_>>().join(", ")),
    }
}

fn parts(ctx: &QueryContext) -> Result<Vec<Vec<Cell>>> {
    let mut rows = Vec::new();
    for (db, name) in user_tables(ctx) {
        // A materialized view's parts are its target's, listed under the target's name.
        let Some(table) = stored_table(ctx, &db, &name) else {
            continue;
        };
        let engine = table.schema().engine.to_sql();
        let engine_name = engine.split('(').next().unwrap_or_default().to_string();
        let mut parts = table.snapshot().parts.clone();
        parts.sort_by_key(|p| p.info.name());
        for p in parts {
            let files = std::fs::read_dir(&p.dir).map(|d| d.count()).unwrap_or(0) as u64;
            rows.push(vec![
                s(partition_text(&p.meta.partition_value)),
                s(p.info.name()),
                Cell::N,
                s("Wide"),
                s("Full"),
                b(true),
                Cell::U(p.meta.marks),
                Cell::U(p.meta.rows),
                Cell::U(files),
                Cell::U(p.bytes_on_disk),
                Cell::U(p.bytes_on_disk),
                Cell::U(0),
                Cell::U(0),
                Cell::U(0),
                Cell::U(p.meta.created_at),
                Cell::U(0),
                Cell::U(1),
                Cell::U(0),
                Cell::U(0),
                Cell::U(0),
                Cell::U(0),
                s(&p.info.partition_id),
                Cell::I(p.info.min_block as i64),
                Cell::I(p.info.max_block as i64),
                Cell::U(p.info.level as u64),
                Cell::U(p.info.min_block),
                b(false),
                s(&db),
                s(&name),
                s(&engine_name),
                s("default"),
                s(dir_string(&p.dir)),
                b(true),
            ]);
        }
    }
    Ok(rows)
}

/// Running merges, one row per table partition with parts reserved for a merge (Granary
/// does not track which reserved parts go together, so a partition's are one row).
fn merges(ctx: &QueryContext) -> Result<Vec<Vec<Cell>>> {
    let mut rows = Vec::new();
    for (db, name) in user_tables(ctx) {
        let Some(table) = stored_table(ctx, &db, &name) else {
            continue;
        };
        let reserved = table.reserved_names();
        if reserved.is_empty() {
            continue;
        }
        let snapshot = table.snapshot();
        let mut by_partition: std::collections::BTreeMap<String, Vec<_>> = Default::default();
        for p in snapshot
            .parts
            .iter()
            .filter(|p| reserved.contains(&p.info.name()))
        {
            by_partition
                .entry(p.info.partition_id.clone())
                .or_default()
                .push(p.clone());
        }
        for (pid, mut parts) in by_partition {
            parts.sort_by_key(|p| p.info.min_block);
            let min = parts.iter().map(|p| p.info.min_block).min().unwrap_or(0);
            let max = parts.iter().map(|p| p.info.max_block).max().unwrap_or(0);
            let level = parts.iter().map(|p| p.info.level).max().unwrap_or(0) + 1;
            let result = format!("{pid}_{min}_{max}_{level}");
            let bytes: u64 = parts.iter().map(|p| p.bytes_on_disk).sum();
            let marks: u64 = parts.iter().map(|p| p.meta.marks).sum();
            let partition = parts
                .first()
                .map(|p| partition_text(&p.meta.partition_value))
                .unwrap_or_default();
            rows.push(vec![
                s(&db),
                s(&name),
                Cell::F(0.0),
                Cell::F(0.0),
                Cell::U(parts.len() as u64),
                Cell::A(parts.iter().map(|p| p.info.name()).collect()),
                s(&result),
                Cell::A(parts.iter().map(|p| dir_string(&p.dir)).collect()),
                s(dir_string(&table.dir().join(&result))),
                s(&pid),
                s(partition),
                b(false),
                Cell::U(bytes),
                Cell::U(0),
                Cell::U(marks),
                Cell::U(0),
                Cell::U(0),
                Cell::U(0),
                Cell::U(0),
                Cell::U(0),
                Cell::U(0),
                Cell::U(0),
                s("Regular"),
                s("Horizontal"),
            ]);
        }
    }
    Ok(rows)
}

fn settings(ctx: &QueryContext) -> Vec<Vec<Cell>> {
    let st = &ctx.settings;
    let defaults = super::QuerySettings::default();
    let opt = |v: Option<u64>| v.unwrap_or(0).to_string();
    let threads = |n: usize| {
        if n == defaults.max_threads {
            format!("auto({n})")
        } else {
            n.to_string()
        }
    };
    let secs = |d: Option<std::time::Duration>| {
        d.map(|d| {
            let f = d.as_secs_f64();
            if f.fract() == 0.0 {
                format!("{}", f as u64)
            } else {
                format!("{f}")
            }
        })
        .unwrap_or_else(|| "0".into())
    };
    // (name, value, default, type, description)
    let list: Vec<(&str, String, String, &str, &str)> = vec![
        (
            "format_csv_delimiter",
            ",".into(),
            ",".into(),
            "Char",
            "The character to be considered as a delimiter in CSV data.",
        ),
        (
            "input_format_allow_errors_num",
            "0".into(),
            "0".into(),
            "UInt64",
            "Sets the maximum number of acceptable errors when reading from text formats (CSV, TSV, etc.).",
        ),
        (
            "input_format_allow_errors_ratio",
            "0".into(),
            "0".into(),
            "Float",
            "Sets the maximum percentage of errors allowed when reading from text formats (CSV, TSV, etc.).",
        ),
        (
            "input_format_csv_empty_as_default",
            "1".into(),
            "1".into(),
            "Bool",
            "Treat empty fields in CSV input as default values.",
        ),
        (
            "input_format_null_as_default",
            "1".into(),
            "1".into(),
            "Bool",
            "Enables or disables the initialization of NULL fields with default values, if data type of these fields is not nullable.",
        ),
        (
            "input_format_skip_unknown_fields",
            "1".into(),
            "1".into(),
            "Bool",
            "Enables or disables skipping insertion of extra data.",
        ),
        (
            "max_ast_depth",
            "1000".into(),
            "1000".into(),
            "UInt64",
            "The maximum nesting depth of a query syntactic tree.",
        ),
        (
            "max_execution_time",
            secs(st.max_execution_time),
            "0".into(),
            "Seconds",
            "The maximum query execution time in seconds.",
        ),
        (
            "max_memory_usage",
            opt(st.max_memory_usage),
            "0".into(),
            "UInt64",
            "The maximum amount of RAM to use for running a query on a single server.",
        ),
        (
            "max_query_size",
            "262144".into(),
            "262144".into(),
            "UInt64",
            "The maximum number of bytes of a query string parsed by the SQL parser.",
        ),
        (
            "max_result_rows",
            opt(st.max_result_rows),
            "0".into(),
            "UInt64",
            "Limits the number of rows in the result.",
        ),
        (
            "max_threads",
            threads(st.max_threads),
            format!("auto({})", defaults.max_threads),
            "MaxThreads",
            "The maximum number of query processing threads, excluding threads for retrieving data from remote servers.",
        ),
    ];
    list.into_iter()
        .map(|(name, value, default, ty, description)| {
            let changed = value != default;
            vec![
                s(name),
                s(value),
                b(changed),
                s(description),
                Cell::N,
                Cell::N,
                Cell::A(Vec::new()),
                b(false),
                s(ty),
                s(default),
                s(""),
                b(false),
            ]
        })
        .collect()
}

fn functions() -> Vec<Vec<Cell>> {
    let scalar = crate::functions::registry();
    let aggregate = crate::aggregates::registry();
    let mut rows: Vec<(String, Vec<Cell>)> = Vec::new();
    for name in scalar.names() {
        let Some(f) = scalar.get(&name) else { continue };
        let upper = name.to_ascii_uppercase();
        let case_insensitive = upper != name
            && scalar
                .get(&upper)
                .is_some_and(|g| std::ptr::addr_eq(Arc::as_ptr(&g), Arc::as_ptr(&f)));
        let alias_to = if f.name() != name {
            f.name().to_string()
        } else {
            String::new()
        };
        rows.push((
            name.clone(),
            vec![s(&name), b(false), b(case_insensitive), s(alias_to), s("")],
        ));
    }
    for name in aggregate.names() {
        let upper = name.to_ascii_uppercase();
        let case_insensitive = upper != name && aggregate.is_aggregate(&upper);
        rows.push((
            name.clone(),
            vec![s(&name), b(true), b(case_insensitive), s(""), s("")],
        ));
    }
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    rows.into_iter().map(|(_, r)| r).collect()
}

/// Format names ClickHouse knows, of which those Granary reads or writes are listed.
const FORMAT_NAMES: &[&str] = &[
    "Arrow",
    "ArrowStream",
    "Avro",
    "CSV",
    "CSVWithNames",
    "CSVWithNamesAndTypes",
    "JSON",
    "JSONCompact",
    "JSONCompactEachRow",
    "JSONCompactEachRowWithNames",
    "JSONCompactEachRowWithNamesAndTypes",
    "JSONCompactStringsEachRow",
    "JSONCompactStringsEachRowWithNames",
    "JSONCompactStringsEachRowWithNamesAndTypes",
    "JSONEachRow",
    "JSONLines",
    "JSONStringsEachRow",
    "LineAsString",
    "MD",
    "Markdown",
    "NDJSON",
    "Native",
    "Null",
    "ORC",
    "Parquet",
    "Pretty",
    "PrettyCompact",
    "PrettyCompactMonoBlock",
    "PrettyCompactNoEscapes",
    "PrettyCompactNoEscapesMonoBlock",
    "PrettyMonoBlock",
    "PrettyNoEscapes",
    "PrettyNoEscapesMonoBlock",
    "PrettySpace",
    "PrettySpaceMonoBlock",
    "PrettySpaceNoEscapes",
    "PrettySpaceNoEscapesMonoBlock",
    "Raw",
    "RawWithNames",
    "RawWithNamesAndTypes",
    "RowBinary",
    "RowBinaryWithNames",
    "RowBinaryWithNamesAndTypes",
    "TSKV",
    "TSV",
    "TSVRaw",
    "TSVRawWithNames",
    "TSVRawWithNamesAndTypes",
    "TSVWithNames",
    "TSVWithNamesAndTypes",
    "TabSeparated",
    "TabSeparatedRaw",
    "TabSeparatedRawWithNames",
    "TabSeparatedRawWithNamesAndTypes",
    "TabSeparatedWithNames",
    "TabSeparatedWithNamesAndTypes",
    "Values",
    "Vertical",
];

fn formats() -> Vec<Vec<Cell>> {
    FORMAT_NAMES
        .iter()
        .filter_map(|name| {
            let input = crate::format::input::is_supported(name);
            let output = crate::format::output::is_known_format(name);
            (input || output).then(|| vec![s(*name), b(input), b(output)])
        })
        .collect()
}
