//! Key conditions: a conjunction of per-column value ranges, turned into the parts and mark
//! ranges that may hold matching rows (ClickHouse's KeyCondition, for range predicates).
//!
//! A part is skipped when a range excludes its min/max for that column. Within a part, a
//! granule `g` holds keys between index entry `g` and `g + 1` (the next granule's first row,
//! or the part's last row). Key column `k` can exclude the granule when every earlier key
//! column has the same value at both ends, so `k` is sorted within the granule.

use std::cmp::Ordering;
use std::ops::Bound;

use crate::part::{DataPart, MarkRange};
use crate::value::Value;

/// A range of values of one column.
#[derive(Clone, Debug, PartialEq)]
pub struct ColumnRange {
    /// The column.
    pub column: String,
    /// Lower bound.
    pub lower: Bound<Value>,
    /// Upper bound.
    pub upper: Bound<Value>,
}

impl ColumnRange {
    /// `column = v`.
    pub fn eq(column: &str, v: Value) -> ColumnRange {
        ColumnRange {
            column: column.into(),
            lower: Bound::Included(v.clone()),
            upper: Bound::Included(v),
        }
    }

    /// Whether the closed interval `[lo, hi]` intersects this range.
    pub fn intersects(&self, lo: &Value, hi: &Value) -> bool {
        let above_lower = match &self.lower {
            Bound::Unbounded => true,
            Bound::Included(l) => hi.total_cmp(l) != Ordering::Less,
            Bound::Excluded(l) => hi.total_cmp(l) == Ordering::Greater,
        };
        let below_upper = match &self.upper {
            Bound::Unbounded => true,
            Bound::Included(u) => lo.total_cmp(u) != Ordering::Greater,
            Bound::Excluded(u) => lo.total_cmp(u) == Ordering::Less,
        };
        above_lower && below_upper
    }
}

/// A conjunction of column ranges; empty means "every row".
#[derive(Clone, Debug, Default, PartialEq)]
pub struct KeyCondition {
    /// The ranges, all of which must hold.
    pub ranges: Vec<ColumnRange>,
}

impl KeyCondition {
    /// A condition from ranges.
    pub fn new(ranges: Vec<ColumnRange>) -> KeyCondition {
        KeyCondition { ranges }
    }

    /// Whether `part` may hold a matching row, judged by its per-column min/max.
    pub fn may_match_part(&self, part: &DataPart) -> bool {
        self.ranges.iter().all(|r| {
            match part.meta.column(&r.column) {
                Some(c) => match &c.min_max {
                    Some((lo, hi)) => {
                        r.intersects(lo, hi)
                            || (c.has_null && r.intersects(&Value::Null, &Value::Null))
                    }
                    // All NULL (or no scalar min/max): only NULL-admitting ranges can match.
                    None => {
                        !c.has_null || r.intersects(&Value::Null, &Value::Null) || part.rows() == 0
                    }
                },
                None => true,
            }
        })
    }

    /// The granules of `part` that may hold matching rows, as merged ranges.
    pub fn mark_ranges(&self, part: &DataPart) -> Vec<MarkRange> {
        let marks = part.marks();
        let index = part.primary_index();
        let key = &part.meta.primary_key;
        // For each key column, the range constraining it (if any).
        let per_key: Vec<Option<&ColumnRange>> = key
            .iter()
            .map(|k| self.ranges.iter().find(|r| &r.column == k))
            .collect();
        let usable = index.len() == key.len()
            && index.iter().all(|a| a.len() as u64 == marks + 1)
            && per_key.iter().any(|r| r.is_some());
        let mut out: Vec<MarkRange> = Vec::new();
        for g in 0..marks {
            let keep = !usable || self.granule_may_match(index, &per_key, g as usize);
            if keep {
                match out.last_mut() {
                    Some(last) if last.end == g => last.end = g + 1,
                    _ => out.push(MarkRange {
                        begin: g,
                        end: g + 1,
                    }),
                }
            }
        }
        out
    }

    fn granule_may_match(
        &self,
        index: &[arrow::array::ArrayRef],
        per_key: &[Option<&ColumnRange>],
        g: usize,
    ) -> bool {
        for (k, range) in per_key.iter().enumerate() {
            let (Some(lo), Some(hi)) = (
                Value::from_array(index[k].as_ref(), g),
                Value::from_array(index[k].as_ref(), g + 1),
            ) else {
                return true;
            };
            if let Some(r) = range {
                if !r.intersects(&lo, &hi) {
                    return false;
                }
            }
            if lo.total_cmp(&hi) != Ordering::Equal {
                // Later key columns are not sorted across this granule.
                return true;
            }
        }
        true
    }
}
