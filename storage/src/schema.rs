//! A table's definition as the storage engine needs it: columns with types, defaults and
//! codecs; the sort key, the primary key prefix, the partition key; the merging mode
//! (engine) and settings. Persisted as JSON next to the table's data.

use serde::{Deserialize, Serialize};

use crate::codec::CodecChain;
use crate::error::{Result, StorageError};
use crate::key_expr::KeyExpr;
use crate::settings::MergeTreeSettings;
use crate::types::DataType;

/// How a column's value is produced when an insert does not give it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DefaultKind {
    /// `DEFAULT expr`: computed when missing from an insert; stored.
    Default,
    /// `MATERIALIZED expr`: always computed; stored; not in `SELECT *`.
    Materialized,
    /// `ALIAS expr`: never stored; computed on read.
    Alias,
    /// `EPHEMERAL [expr]`: accepted by inserts, never stored.
    Ephemeral,
}

/// A column's default: its kind and the SQL text of its expression (evaluated by the query
/// layer; the storage engine only keeps it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnDefault {
    /// DEFAULT, MATERIALIZED, ALIAS or EPHEMERAL.
    pub kind: DefaultKind,
    /// The expression as written.
    pub expr: String,
}

/// One column of a table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ColumnDef {
    /// The column name.
    pub name: String,
    /// Its ClickHouse type.
    pub data_type: DataType,
    /// Its default expression, if any.
    #[serde(default)]
    pub default: Option<ColumnDefault>,
    /// Its `CODEC(...)`, if not the table's default (LZ4).
    #[serde(default)]
    pub codec: Option<CodecChain>,
    /// Its `COMMENT`.
    #[serde(default)]
    pub comment: String,
}

impl ColumnDef {
    /// A column with no default, codec or comment.
    pub fn new(name: impl Into<String>, data_type: DataType) -> ColumnDef {
        ColumnDef {
            name: name.into(),
            data_type,
            default: None,
            codec: None,
            comment: String::new(),
        }
    }

    /// Whether the column is written to parts (ALIAS and EPHEMERAL columns are not).
    pub fn is_stored(&self) -> bool {
        !matches!(
            self.default.as_ref().map(|d| d.kind),
            Some(DefaultKind::Alias | DefaultKind::Ephemeral)
        )
    }

    /// The codec chain used for this column's files.
    pub fn codec_chain(&self) -> CodecChain {
        self.codec.clone().unwrap_or_default()
    }
}

/// The table engine, i.e. how rows with equal sort keys are combined during merges.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TableEngine {
    /// `MergeTree`: rows are kept as they are.
    MergeTree,
    /// `ReplacingMergeTree([ver])`: of rows with equal sort keys, the one with the greatest
    /// `ver` (or the last inserted, with no `ver`) is kept.
    ReplacingMergeTree {
        /// The version column.
        version: Option<String>,
    },
    /// `SummingMergeTree([cols])`: rows with equal sort keys are folded into one whose numeric
    /// columns (or just `cols`) are summed.
    SummingMergeTree {
        /// Columns to sum; empty means every numeric column outside the sort key.
        columns: Vec<String>,
    },
    /// `CollapsingMergeTree(sign)`: pairs of rows with sign 1 and -1 cancel out.
    CollapsingMergeTree {
        /// The Int8 sign column.
        sign: String,
    },
    /// `AggregatingMergeTree`: aggregate-function states with equal keys are merged.
    AggregatingMergeTree,
}

impl TableEngine {
    /// The engine's name as ClickHouse prints it, with arguments.
    pub fn to_sql(&self) -> String {
        match self {
            TableEngine::MergeTree => "MergeTree".into(),
            TableEngine::ReplacingMergeTree { version: None } => "ReplacingMergeTree".into(),
            TableEngine::ReplacingMergeTree { version: Some(v) } => {
                format!("ReplacingMergeTree({v})")
            }
            TableEngine::SummingMergeTree { columns } if columns.is_empty() => {
                "SummingMergeTree".into()
            }
            TableEngine::SummingMergeTree { columns } => {
                format!("SummingMergeTree(({}))", columns.join(", "))
            }
            TableEngine::CollapsingMergeTree { sign } => format!("CollapsingMergeTree({sign})"),
            TableEngine::AggregatingMergeTree => "AggregatingMergeTree".into(),
        }
    }
}

/// Everything the storage engine knows about a table's shape.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TableSchema {
    /// The columns, in declaration order.
    pub columns: Vec<ColumnDef>,
    /// `ORDER BY` columns (the sort key). Empty for `ORDER BY tuple()`.
    pub order_by: Vec<String>,
    /// `PRIMARY KEY` columns: a prefix of `order_by` (equal to it when not given).
    pub primary_key: Vec<String>,
    /// `PARTITION BY` expression, if any.
    #[serde(default)]
    pub partition_by: Option<KeyExpr>,
    /// The merging mode.
    pub engine: TableEngine,
    /// Table settings.
    #[serde(default)]
    pub settings: MergeTreeSettings,
}

impl TableSchema {
    /// A `MergeTree` schema with the given columns and sort key (= primary key), no
    /// partitioning and default settings; checked with [`TableSchema::validate`].
    pub fn new(columns: Vec<ColumnDef>, order_by: &[&str]) -> Result<TableSchema> {
        let order_by: Vec<String> = order_by.iter().map(|s| s.to_string()).collect();
        let schema = TableSchema {
            columns,
            primary_key: order_by.clone(),
            order_by,
            partition_by: None,
            engine: TableEngine::MergeTree,
            settings: MergeTreeSettings::default(),
        };
        schema.validate()?;
        Ok(schema)
    }

    /// Checks the definition: unique column names, keys naming stored sortable columns, the
    /// primary key a prefix of the sort key, engine columns present with fitting types.
    pub fn validate(&self) -> Result<()> {
        let mut seen = std::collections::HashSet::new();
        if self.columns.is_empty() {
            return Err(StorageError::BadArguments(
                "Table must have at least one column".into(),
            ));
        }
        for c in &self.columns {
            if c.name.is_empty() {
                return Err(StorageError::BadArguments("Column name is empty".into()));
            }
            if !c.data_type.is_storable() {
                return Err(StorageError::BadArguments(format!(
                    "Column {} has type {}, which cannot be stored in a table",
                    c.name, c.data_type
                )));
            }
            if !seen.insert(c.name.as_str()) {
                return Err(StorageError::BadArguments(format!(
                    "Column {} already exists",
                    c.name
                )));
            }
        }
        for k in &self.order_by {
            let c = self.stored_column(k)?;
            if !c.data_type.is_sortable() {
                return Err(StorageError::BadArguments(format!(
                    "Column {k} of type {} cannot be in the sorting key",
                    c.data_type
                )));
            }
        }
        if self.primary_key.len() > self.order_by.len()
            || self.primary_key[..] != self.order_by[..self.primary_key.len()]
        {
            return Err(StorageError::BadArguments(format!(
                "Primary key ({}) must be a prefix of the sorting key ({})",
                self.primary_key.join(", "),
                self.order_by.join(", ")
            )));
        }
        if let Some(p) = &self.partition_by {
            for col in p.columns() {
                self.stored_column(&col)?;
            }
        }
        match &self.engine {
            TableEngine::MergeTree | TableEngine::AggregatingMergeTree => {}
            TableEngine::ReplacingMergeTree { version } => {
                if let Some(v) = version {
                    let c = self.stored_column(v)?;
                    if !c.data_type.is_numeric_like() {
                        return Err(StorageError::BadArguments(format!(
                            "The version column {v} of ReplacingMergeTree must be an unsigned integer, Date or DateTime, not {}",
                            c.data_type
                        )));
                    }
                }
            }
            TableEngine::SummingMergeTree { columns } => {
                for col in columns {
                    let c = self.stored_column(col)?;
                    if self.order_by.contains(col) {
                        return Err(StorageError::BadArguments(format!(
                            "Column {col} listed in columns to sum is in the sorting key"
                        )));
                    }
                    if !c.data_type.is_numeric_like() {
                        return Err(StorageError::BadArguments(format!(
                            "Column {col} listed in columns to sum is not numeric"
                        )));
                    }
                }
            }
            TableEngine::CollapsingMergeTree { sign } => {
                let c = self.stored_column(sign)?;
                if c.data_type != DataType::Int8 {
                    return Err(StorageError::BadArguments(format!(
                        "Sign column ({sign}) for storage CollapsingMergeTree must have type Int8. Provided column of type {}",
                        c.data_type
                    )));
                }
            }
        }
        Ok(())
    }

    /// The column called `name`.
    pub fn column(&self, name: &str) -> Result<&ColumnDef> {
        self.columns.iter().find(|c| c.name == name).ok_or_else(|| {
            StorageError::NoSuchColumn(format!("There is no column {name} in table"))
        })
    }

    fn stored_column(&self, name: &str) -> Result<&ColumnDef> {
        let c = self.column(name)?;
        if !c.is_stored() {
            return Err(StorageError::BadArguments(format!(
                "Column {name} is not stored (ALIAS or EPHEMERAL) and cannot be used here"
            )));
        }
        Ok(c)
    }

    /// The columns written to parts, in declaration order.
    pub fn stored_columns(&self) -> impl Iterator<Item = &ColumnDef> {
        self.columns.iter().filter(|c| c.is_stored())
    }

    /// The Arrow schema of the stored columns: what inserts hand over and reads return.
    pub fn arrow_schema(&self) -> arrow::datatypes::SchemaRef {
        std::sync::Arc::new(arrow::datatypes::Schema::new(
            self.stored_columns()
                .map(|c| c.data_type.to_arrow_field(&c.name))
                .collect::<Vec<_>>(),
        ))
    }
}
