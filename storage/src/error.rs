//! The storage engine's error type. Every variant maps to a ClickHouse error code so the
//! server can answer `Code: N. DB::Exception: <message>. (NAME)` exactly as ClickHouse does.

use std::path::PathBuf;

/// Errors raised by the storage engine.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// An operating-system I/O error, with the path it concerned.
    #[error("I/O error on {path}: {source}")]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// Bytes on disk do not decode: a truncated or malformed file.
    #[error("{0}")]
    CorruptedData(String),
    /// A checksum did not match the data it covers.
    #[error("{0}")]
    ChecksumMismatch(String),
    /// A `CODEC(...)` names a codec that does not exist.
    #[error("{0}")]
    UnknownCodec(String),
    /// A function, codec or setting got arguments it cannot accept.
    #[error("{0}")]
    BadArguments(String),
    /// A type name that is not a known ClickHouse type.
    #[error("{0}")]
    UnknownType(String),
    /// A column named in a key, a read or an insert does not exist in the table.
    #[error("{0}")]
    NoSuchColumn(String),
    /// A value or array does not have the type the table expects.
    #[error("{0}")]
    TypeMismatch(String),
    /// An unknown table.
    #[error("{0}")]
    UnknownTable(String),
    /// A table that already exists.
    #[error("{0}")]
    TableAlreadyExists(String),
    /// An unknown database.
    #[error("{0}")]
    UnknownDatabase(String),
    /// A database that already exists.
    #[error("{0}")]
    DatabaseAlreadyExists(String),
    /// A table setting that does not exist.
    #[error("{0}")]
    UnknownSetting(String),
    /// Inserts are rejected because a partition has too many active parts.
    #[error("{0}")]
    TooManyParts(String),
    /// More broken parts than `max_suspicious_broken_parts` were found at startup.
    #[error("{0}")]
    TooManyBrokenParts(String),
    /// A feature of ClickHouse that Granary does not implement (yet).
    #[error("{0}")]
    NotImplemented(String),
    /// The operation was cancelled, e.g. merges were stopped while one was running.
    #[error("{0}")]
    Aborted(String),
    /// A broken invariant inside the engine: a bug, never the user's fault.
    #[error("{0}")]
    Logical(String),
}

/// The result type of the storage engine.
pub type Result<T, E = StorageError> = std::result::Result<T, E>;

impl StorageError {
    /// The ClickHouse error code of this error.
    pub fn code(&self) -> i32 {
        match self {
            StorageError::Io { .. } => 1001,
            StorageError::CorruptedData(_) => 246,
            StorageError::ChecksumMismatch(_) => 40,
            StorageError::UnknownCodec(_) => 432,
            StorageError::BadArguments(_) => 36,
            StorageError::UnknownType(_) => 50,
            StorageError::NoSuchColumn(_) => 16,
            StorageError::TypeMismatch(_) => 53,
            StorageError::UnknownTable(_) => 60,
            StorageError::TableAlreadyExists(_) => 57,
            StorageError::UnknownDatabase(_) => 81,
            StorageError::DatabaseAlreadyExists(_) => 82,
            StorageError::UnknownSetting(_) => 115,
            StorageError::TooManyParts(_) => 252,
            StorageError::TooManyBrokenParts(_) => 231,
            StorageError::NotImplemented(_) => 48,
            StorageError::Aborted(_) => 236,
            StorageError::Logical(_) => 49,
        }
    }

    /// The ClickHouse name of this error's code, as printed in parentheses after the message.
    pub fn code_name(&self) -> &'static str {
        match self {
            StorageError::Io { .. } => "STD_EXCEPTION",
            StorageError::CorruptedData(_) => "CORRUPTED_DATA",
            StorageError::ChecksumMismatch(_) => "CHECKSUM_DOESNT_MATCH",
            StorageError::UnknownCodec(_) => "UNKNOWN_CODEC",
            StorageError::BadArguments(_) => "BAD_ARGUMENTS",
            StorageError::UnknownType(_) => "UNKNOWN_TYPE",
            StorageError::NoSuchColumn(_) => "NO_SUCH_COLUMN_IN_TABLE",
            StorageError::TypeMismatch(_) => "TYPE_MISMATCH",
            StorageError::UnknownTable(_) => "UNKNOWN_TABLE",
            StorageError::TableAlreadyExists(_) => "TABLE_ALREADY_EXISTS",
            StorageError::UnknownDatabase(_) => "UNKNOWN_DATABASE",
            StorageError::DatabaseAlreadyExists(_) => "DATABASE_ALREADY_EXISTS",
            StorageError::UnknownSetting(_) => "UNKNOWN_SETTING",
            StorageError::TooManyParts(_) => "TOO_MANY_PARTS",
            StorageError::TooManyBrokenParts(_) => "TOO_MANY_UNEXPECTED_DATA_PARTS",
            StorageError::NotImplemented(_) => "NOT_IMPLEMENTED",
            StorageError::Aborted(_) => "ABORTED",
            StorageError::Logical(_) => "LOGICAL_ERROR",
        }
    }

    /// Builds an [`StorageError::Io`] for `path`; use as `.map_err(io_err(&path))`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> StorageError {
        StorageError::Io {
            path: path.into(),
            source,
        }
    }

    /// Prefixes the message with context (table, part, file), keeping the variant and code.
    pub fn context(self, ctx: impl std::fmt::Display) -> StorageError {
        use StorageError::*;
        match self {
            Io { path, source } => Io {
                path,
                source: std::io::Error::new(source.kind(), format!("{ctx}: {source}")),
            },
            CorruptedData(m) => CorruptedData(format!("{ctx}: {m}")),
            ChecksumMismatch(m) => ChecksumMismatch(format!("{ctx}: {m}")),
            UnknownCodec(m) => UnknownCodec(format!("{ctx}: {m}")),
            BadArguments(m) => BadArguments(format!("{ctx}: {m}")),
            UnknownType(m) => UnknownType(format!("{ctx}: {m}")),
            NoSuchColumn(m) => NoSuchColumn(format!("{ctx}: {m}")),
            TypeMismatch(m) => TypeMismatch(format!("{ctx}: {m}")),
            UnknownTable(m) => UnknownTable(format!("{ctx}: {m}")),
            TableAlreadyExists(m) => TableAlreadyExists(format!("{ctx}: {m}")),
            UnknownDatabase(m) => UnknownDatabase(format!("{ctx}: {m}")),
            DatabaseAlreadyExists(m) => DatabaseAlreadyExists(format!("{ctx}: {m}")),
            UnknownSetting(m) => UnknownSetting(format!("{ctx}: {m}")),
            TooManyParts(m) => TooManyParts(format!("{ctx}: {m}")),
            TooManyBrokenParts(m) => TooManyBrokenParts(format!("{ctx}: {m}")),
            NotImplemented(m) => NotImplemented(format!("{ctx}: {m}")),
            Aborted(m) => Aborted(format!("{ctx}: {m}")),
            Logical(m) => Logical(format!("{ctx}: {m}")),
        }
    }

    /// The text ClickHouse puts on the wire: `Code: N. DB::Exception: <msg>. (NAME)`.
    pub fn to_clickhouse_string(&self) -> String {
        format!(
            "Code: {}. DB::Exception: {}. ({})",
            self.code(),
            self,
            self.code_name()
        )
    }
}

impl From<arrow::error::ArrowError> for StorageError {
    fn from(e: arrow::error::ArrowError) -> Self {
        StorageError::Logical(format!("arrow: {e}"))
    }
}
