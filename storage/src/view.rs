//! Views in the catalog: `CREATE VIEW` (a stored query) and `CREATE MATERIALIZED VIEW` (a
//! query run over every block inserted into its source table, its result inserted into a
//! target table). The storage engine only keeps their definitions; the query layer runs
//! them.
//!
//! A view's definition is persisted beside the tables' as `metadata/<db>/<name>.json`,
//! holding `{"view": ViewDefinition}`; tables of engines that keep no parts here (Kafka)
//! likewise as `{"external": ExternalTable}`.

use serde::{Deserialize, Serialize};

/// Which kind of view.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ViewKind {
    /// `CREATE VIEW`: the query runs when the view is read.
    View,
    /// `CREATE MATERIALIZED VIEW`: the query runs on inserts into the source table.
    Materialized,
}

/// A table named by database and name.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct QualifiedName {
    /// The database.
    pub database: String,
    /// The table.
    pub table: String,
}

impl QualifiedName {
    /// `database.table`.
    pub fn new(database: &str, table: &str) -> QualifiedName {
        QualifiedName {
            database: database.to_string(),
            table: table.to_string(),
        }
    }

    /// Whether this names `database.table`.
    pub fn is(&self, database: &str, table: &str) -> bool {
        self.database == database && self.table == table
    }
}

impl std::fmt::Display for QualifiedName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.database, self.table)
    }
}

/// A view's persisted definition.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ViewDefinition {
    /// View or materialized view.
    pub kind: ViewKind,
    /// The database unqualified names in the query refer to (the current database when
    /// the view was created).
    pub database: String,
    /// The view's `SELECT` text.
    pub select_query: String,
    /// Materialized views: the table whose inserts run the query (a materialized view
    /// named in `FROM` is resolved to its target when the view is created).
    #[serde(default)]
    pub source: Option<QualifiedName>,
    /// Materialized views: the table the query's rows are inserted into.
    #[serde(default)]
    pub target: Option<QualifiedName>,
    /// The target is the view's own inner table (`ENGINE = ...` instead of `TO`), dropped
    /// with the view.
    #[serde(default)]
    pub inner: bool,
    /// The `CREATE ... VIEW` text, for `SHOW CREATE TABLE` and `system.tables`.
    #[serde(default)]
    pub create_query: String,
}

/// The JSON document of a view's metadata file.
#[derive(Serialize, Deserialize)]
pub(crate) struct ViewFile {
    pub view: ViewDefinition,
}

/// A table whose engine keeps no parts here (`Kafka`, later `Null`, `Memory`): its columns
/// and engine arguments, interpreted by the layer that runs the engine.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExternalTable {
    /// The engine name (`Kafka`).
    pub engine: String,
    /// The engine's positional arguments, as source text (string literals unquoted).
    #[serde(default)]
    pub engine_args: Vec<String>,
    /// The table `SETTINGS`, string values unquoted.
    #[serde(default)]
    pub settings: Vec<(String, String)>,
    /// The columns.
    pub columns: Vec<crate::schema::ColumnDef>,
    /// The `CREATE TABLE` text.
    #[serde(default)]
    pub create_query: String,
}

/// The JSON document of an external table's metadata file.
#[derive(Serialize, Deserialize)]
pub(crate) struct ExternalFile {
    pub external: ExternalTable,
}
