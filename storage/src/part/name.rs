//! Part names: `{partition_id}_{min_block}_{max_block}_{level}`, ClickHouse's scheme.
//! Merging parts `a..b` and `c..d` of one partition gives `a..d` at `max(level) + 1`.

use std::fmt;

use crate::error::{Result, StorageError};

/// The identity of a part: its partition and the range of insert blocks it covers.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PartInfo {
    /// The partition id (`all` for unpartitioned tables).
    pub partition_id: String,
    /// The first insert block number the part contains.
    pub min_block: u64,
    /// The last insert block number the part contains.
    pub max_block: u64,
    /// How many merges produced it (0 for a freshly inserted part).
    pub level: u32,
}

impl PartInfo {
    /// The directory name of the part.
    pub fn name(&self) -> String {
        self.to_string()
    }

    /// Parses a part directory name.
    pub fn parse(name: &str) -> Result<PartInfo> {
        let err = || StorageError::CorruptedData(format!("Unexpected part name: {name}"));
        let mut it = name.rsplitn(4, '_');
        let level = it.next().ok_or_else(err)?.parse().map_err(|_| err())?;
        let max_block = it.next().ok_or_else(err)?.parse().map_err(|_| err())?;
        let min_block = it.next().ok_or_else(err)?.parse().map_err(|_| err())?;
        let partition_id = it.next().ok_or_else(err)?.to_string();
        if partition_id.is_empty()
            || min_block > max_block
            || !partition_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return Err(err());
        }
        Ok(PartInfo {
            partition_id,
            min_block,
            max_block,
            level,
        })
    }

    /// Whether this part's block range covers `other`'s (same partition).
    pub fn contains(&self, other: &PartInfo) -> bool {
        self.partition_id == other.partition_id
            && self.min_block <= other.min_block
            && other.max_block <= self.max_block
            && self.level >= other.level
    }

    /// The part a merge of `parts` (adjacent, one partition) produces.
    pub fn merged(parts: &[&PartInfo]) -> Option<PartInfo> {
        let first = parts.first()?;
        Some(PartInfo {
            partition_id: first.partition_id.clone(),
            min_block: parts.iter().map(|p| p.min_block).min()?,
            max_block: parts.iter().map(|p| p.max_block).max()?,
            level: parts.iter().map(|p| p.level).max()? + 1,
        })
    }
}

impl fmt::Display for PartInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}_{}_{}_{}",
            self.partition_id, self.min_block, self.max_block, self.level
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        let p = PartInfo::parse("202401_3_7_2").unwrap();
        assert_eq!(p.partition_id, "202401");
        assert_eq!((p.min_block, p.max_block, p.level), (3, 7, 2));
        assert_eq!(p.name(), "202401_3_7_2");
        assert!(PartInfo::parse("all_1_1_0").is_ok());
        assert!(PartInfo::parse("tmp_insert_1").is_err());
        assert!(PartInfo::parse("a_5_3_0").is_err());
        let a = PartInfo::parse("all_1_2_1").unwrap();
        let b = PartInfo::parse("all_3_3_0").unwrap();
        assert_eq!(PartInfo::merged(&[&a, &b]).unwrap().name(), "all_1_3_2");
    }
}
