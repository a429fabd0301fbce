//! MergeTree table settings (`SETTINGS index_granularity = 8192, ...`), with ClickHouse's
//! names and defaults.

use serde::{Deserialize, Serialize};

use crate::error::{Result, StorageError};

/// Settings of one MergeTree table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MergeTreeSettings {
    /// Rows per granule: the distance between two marks of the sparse primary index.
    pub index_granularity: usize,
    /// Uncompressed bytes collected before a compressed block is cut (at a granule boundary).
    pub min_compress_block_size: usize,
    /// Active parts in one partition above which every insert is delayed.
    pub parts_to_delay_insert: usize,
    /// Active parts in one partition above which inserts are rejected with TOO_MANY_PARTS.
    pub parts_to_throw_insert: usize,
    /// Longest delay, in milliseconds, imposed on an insert when a partition has too many parts.
    pub max_delay_to_insert_ms: u64,
    /// Largest total size, in bytes, of the parts one background merge may combine.
    pub max_bytes_to_merge_at_max_space_in_pool: u64,
    /// Most parts one background merge may combine.
    pub max_parts_to_merge_at_once: usize,
    /// Broken parts tolerated (and detached) at startup before the table refuses to load.
    pub max_suspicious_broken_parts: usize,
    /// Seconds an outdated part stays on disk after no query uses it any more.
    pub old_parts_lifetime: u64,
    /// Whether every file of every part is hashed and checked at startup.
    pub check_checksums_on_start: bool,
}

impl Default for MergeTreeSettings {
    fn default() -> Self {
        MergeTreeSettings {
            index_granularity: 8192,
            min_compress_block_size: 65536,
            parts_to_delay_insert: 1000,
            parts_to_throw_insert: 3000,
            max_delay_to_insert_ms: 1000,
            max_bytes_to_merge_at_max_space_in_pool: 150 * 1024 * 1024 * 1024,
            max_parts_to_merge_at_once: 100,
            max_suspicious_broken_parts: 100,
            old_parts_lifetime: 0,
            check_checksums_on_start: true,
        }
    }
}

impl MergeTreeSettings {
    /// Sets one setting from its SQL text value, as written in `SETTINGS name = value`.
    pub fn set(&mut self, name: &str, value: &str) -> Result<()> {
        let v = value.trim().trim_matches('\'');
        fn num<T: std::str::FromStr>(name: &str, v: &str) -> Result<T> {
            v.parse().map_err(|_| {
                StorageError::BadArguments(format!("Cannot parse value '{v}' of setting {name}"))
            })
        }
        fn boolean(name: &str, v: &str) -> Result<bool> {
            match v.to_ascii_lowercase().as_str() {
                "1" | "true" => Ok(true),
                "0" | "false" => Ok(false),
                _ => Err(StorageError::BadArguments(format!(
                    "Cannot parse value '{v}' of setting {name} as Bool"
                ))),
            }
        }
        match name {
            "index_granularity" => {
                let g: usize = num(name, v)?;
                if g == 0 || g > 1 << 24 {
                    return Err(StorageError::BadArguments(
                        "index_granularity must be in 1..16777216".into(),
                    ));
                }
                self.index_granularity = g;
            }
            "min_compress_block_size" => self.min_compress_block_size = num(name, v)?,
            "parts_to_delay_insert" => self.parts_to_delay_insert = num(name, v)?,
            "parts_to_throw_insert" => self.parts_to_throw_insert = num(name, v)?,
            "max_delay_to_insert" => self.max_delay_to_insert_ms = num::<u64>(name, v)? * 1000,
            "max_delay_to_insert_ms" => self.max_delay_to_insert_ms = num(name, v)?,
            "max_bytes_to_merge_at_max_space_in_pool" => {
                self.max_bytes_to_merge_at_max_space_in_pool = num(name, v)?
            }
            "max_parts_to_merge_at_once" => {
                let n: usize = num(name, v)?;
                if n < 2 {
                    return Err(StorageError::BadArguments(
                        "max_parts_to_merge_at_once must be at least 2".into(),
                    ));
                }
                self.max_parts_to_merge_at_once = n;
            }
            "max_suspicious_broken_parts" => self.max_suspicious_broken_parts = num(name, v)?,
            "old_parts_lifetime" => self.old_parts_lifetime = num(name, v)?,
            "check_checksums_on_start" => self.check_checksums_on_start = boolean(name, v)?,
            _ => {
                return Err(StorageError::UnknownSetting(format!(
                    "Unknown setting '{name}' for storage MergeTree"
                )))
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_known_and_rejects_unknown() {
        let mut s = MergeTreeSettings::default();
        s.set("index_granularity", "1024").unwrap();
        assert_eq!(s.index_granularity, 1024);
        s.set("check_checksums_on_start", "false").unwrap();
        assert!(!s.check_checksums_on_start);
        assert_eq!(s.set("nope", "1").unwrap_err().code(), 115);
        assert_eq!(s.set("index_granularity", "x").unwrap_err().code(), 36);
        assert!(s.set("index_granularity", "0").is_err());
    }
}
