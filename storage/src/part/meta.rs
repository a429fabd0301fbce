//! Per-part metadata (`part.json`) and the checksums file (`checksums.json`).

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::codec::CodecChain;
use crate::error::{Result, StorageError};
use crate::types::DataType;
use crate::value::Value;

/// The part format version this build writes and reads.
pub const PART_FORMAT_VERSION: u32 = 1;

/// A column as stored in one part.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PartColumn {
    /// Column name.
    pub name: String,
    /// Its type when the part was written.
    pub data_type: DataType,
    /// The codec chain its files were written with (informational: blocks are
    /// self-describing).
    pub codec: CodecChain,
    /// Minimum and maximum non-NULL value, for scalar types.
    #[serde(default)]
    pub min_max: Option<(Value, Value)>,
    /// Whether the column holds a NULL in this part.
    #[serde(default)]
    pub has_null: bool,
}

/// Contents of `part.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PartMeta {
    /// [`PART_FORMAT_VERSION`] at write time.
    pub format_version: u32,
    /// Number of rows.
    pub rows: u64,
    /// Rows per granule; every granule but the last holds exactly this many rows.
    pub index_granularity: u64,
    /// Number of granules (= marks per substream).
    pub marks: u64,
    /// Value of each partition-key element.
    pub partition_value: Vec<Value>,
    /// Columns of the primary key, whose granule-start values are in `primary.idx`.
    pub primary_key: Vec<String>,
    /// The stored columns.
    pub columns: Vec<PartColumn>,
    /// Unix time (seconds) at which the part was written.
    pub created_at: u64,
}

impl PartMeta {
    /// Rows in granule `mark`.
    pub fn granule_rows(&self, mark: u64) -> u64 {
        let start = mark * self.index_granularity;
        self.rows.saturating_sub(start).min(self.index_granularity)
    }

    /// The first row of granule `mark`.
    pub fn granule_start(&self, mark: u64) -> u64 {
        mark * self.index_granularity
    }

    /// The part's column called `name`.
    pub fn column(&self, name: &str) -> Option<&PartColumn> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// One file's size and hash in `checksums.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileChecksum {
    /// Size in bytes.
    pub size: u64,
    /// xxh3-128 of the whole file, as 32 hex digits.
    pub hash: String,
}

/// Contents of `checksums.json`: every file of the part but itself.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checksums {
    /// By file name.
    pub files: BTreeMap<String, FileChecksum>,
}

/// Hex xxh3-128 of `bytes`.
pub fn hash_hex(bytes: &[u8]) -> String {
    format!("{:032x}", xxhash_rust::xxh3::xxh3_128(bytes))
}

impl Checksums {
    /// Records `bytes` as the content of `file`.
    pub fn add(&mut self, file: &str, bytes: &[u8]) {
        self.files.insert(
            file.to_string(),
            FileChecksum {
                size: bytes.len() as u64,
                hash: hash_hex(bytes),
            },
        );
    }

    /// Total bytes of the part's files.
    pub fn total_bytes(&self) -> u64 {
        self.files.values().map(|f| f.size).sum()
    }

    /// Checks the files in `dir` against the record: every file present with its size and,
    /// when `full` is set, its hash. Errors name the file.
    pub fn verify(&self, dir: &Path, full: bool) -> Result<()> {
        for (name, sum) in &self.files {
            let path = dir.join(name);
            let md = std::fs::metadata(&path).map_err(|e| StorageError::io(&path, e))?;
            if md.len() != sum.size {
                return Err(StorageError::ChecksumMismatch(format!(
                    "File {} has size {}, expected {}",
                    path.display(),
                    md.len(),
                    sum.size
                )));
            }
            if full {
                let bytes = std::fs::read(&path).map_err(|e| StorageError::io(&path, e))?;
                if hash_hex(&bytes) != sum.hash {
                    return Err(StorageError::ChecksumMismatch(format!(
                        "Checksum doesn't match for file {}: corrupted data",
                        path.display()
                    )));
                }
            }
        }
        Ok(())
    }
}
