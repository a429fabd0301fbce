//! An immutable view of a table's active parts. Queries hold one for their whole run, so
//! merges and inserts that commit meanwhile never disturb them.

use std::sync::Arc;

use arrow::record_batch::RecordBatch;

use super::key_condition::KeyCondition;
use crate::error::Result;
use crate::part::{DataPart, MarkRange};

/// The active parts of a table at one moment, ordered by partition then block number.
#[derive(Clone, Debug, Default)]
pub struct TableSnapshot {
    /// The active parts.
    pub parts: Vec<Arc<DataPart>>,
}

/// A part and the granules of it a read needs.
#[derive(Clone, Debug)]
pub struct PartRanges {
    /// The part.
    pub part: Arc<DataPart>,
    /// Its granules to read, ascending and disjoint.
    pub ranges: Vec<MarkRange>,
}

impl TableSnapshot {
    /// Total rows over all active parts (what `count()` answers from metadata).
    pub fn total_rows(&self) -> u64 {
        self.parts.iter().map(|p| p.rows()).sum()
    }

    /// Total bytes on disk of all active parts.
    pub fn total_bytes(&self) -> u64 {
        self.parts.iter().map(|p| p.bytes_on_disk).sum()
    }

    /// Parts of partition `partition_id`.
    pub fn partition_parts(&self, partition_id: &str) -> Vec<Arc<DataPart>> {
        self.parts
            .iter()
            .filter(|p| p.info.partition_id == partition_id)
            .cloned()
            .collect()
    }

    /// The distinct partition ids, in order.
    pub fn partition_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .parts
            .iter()
            .map(|p| p.info.partition_id.clone())
            .collect();
        ids.dedup();
        ids
    }

    /// Chooses the parts and granules that may hold rows matching `cond`, using each part's
    /// min/max values and the sparse primary index.
    pub fn select(&self, cond: &KeyCondition) -> Vec<PartRanges> {
        self.parts
            .iter()
            .filter(|p| p.rows() > 0 && cond.may_match_part(p))
            .filter_map(|p| {
                let ranges = cond.mark_ranges(p);
                (!ranges.is_empty()).then(|| PartRanges {
                    part: p.clone(),
                    ranges,
                })
            })
            .collect()
    }

    /// Reads `columns` of every row of every part (tests and small tables).
    pub fn read_all(&self, columns: &[&str]) -> Result<Vec<RecordBatch>> {
        self.parts
            .iter()
            .filter(|p| p.rows() > 0)
            .map(|p| p.read_all(columns))
            .collect()
    }
}
