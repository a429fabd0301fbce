//! `ReplacingMergeTree([ver])`: of the rows with equal sort keys only one is kept: the one
//! with the greatest `ver`; on equal versions, or with no version column, the last inserted
//! (the row from the part with the highest block numbers; inside a part, the last row).
//!
//! The merge stream is ordered by key and, for equal keys, by insertion, so "last inserted"
//! is simply the last row of the run, and "greatest version, last on ties" is the last row
//! whose version is `>=` every version before it.

use arrow::array::ArrayRef;
use arrow::record_batch::RecordBatch;
use arrow::row::{OwnedRow, RowConverter, Rows, SortField};

use super::{gather, MergeContext, MergingMode, Pick, RunCombiner, SortedChunk};
use crate::error::Result;

/// The `ReplacingMergeTree` merging mode.
#[derive(Debug)]
pub struct ReplacingMode {
    /// Position of the version column among the stored columns, if the engine has one.
    pub version: Option<usize>,
}

impl MergingMode for ReplacingMode {
    fn name(&self) -> &'static str {
        "ReplacingMergeTree"
    }

    fn combiner(&self, _ctx: &MergeContext) -> Result<Box<dyn RunCombiner>> {
        Ok(Box::new(ReplacingCombiner {
            version: self.version,
            converter: None,
            carry: None,
        }))
    }
}

/// The best row so far of the open run, and its version (as a comparable row).
struct Carry {
    row: RecordBatch,
    version: Option<OwnedRow>,
}

struct ReplacingCombiner {
    version: Option<usize>,
    /// Encodes versions as byte-comparable rows; created on the first chunk (it needs the
    /// column's Arrow type) and reused so versions of different chunks compare.
    converter: Option<RowConverter>,
    carry: Option<Carry>,
}

impl ReplacingCombiner {
    fn versions(&mut self, batch: &RecordBatch) -> Result<Option<Rows>> {
        let Some(v) = self.version else {
            return Ok(None);
        };
        let col: &ArrayRef = batch.column(v);
        if self.converter.is_none() {
            self.converter = Some(RowConverter::new(vec![SortField::new(
                col.data_type().clone(),
            )])?);
        }
        match &self.converter {
            Some(conv) => Ok(Some(conv.convert_columns(std::slice::from_ref(col))?)),
            None => Ok(None),
        }
    }
}

impl RunCombiner for ReplacingCombiner {
    fn push(&mut self, chunk: SortedChunk<'_>) -> Result<Option<RecordBatch>> {
        let batch = chunk.batch;
        let runs = chunk.run_starts.len();
        if runs == 0 {
            return Ok(None);
        }
        let versions = self.versions(batch)?;
        let mut picks = Vec::with_capacity(runs + 1);
        let carry = self.carry.take();
        let continued = chunk.continues_previous && carry.is_some();
        if carry.is_some() && !continued {
            picks.push(Pick::Carry(0));
        }
        let mut open = Pick::Row(0);
        for i in 0..runs {
            let run = chunk.run(i);
            let best = match &versions {
                None => run.end - 1,
                Some(rows) => {
                    // The last row whose version is >= every earlier one of the run.
                    let mut best = run.start;
                    for r in run.start + 1..run.end {
                        if rows.row(r) >= rows.row(best) {
                            best = r;
                        }
                    }
                    best
                }
            };
            let mut pick = Pick::Row(best);
            if i == 0 && continued {
                if let (
                    Some(rows),
                    Some(Carry {
                        version: Some(cv), ..
                    }),
                ) = (&versions, &carry)
                {
                    if rows.row(best) < cv.row() {
                        pick = Pick::Carry(0);
                    }
                }
            }
            if i + 1 < runs {
                picks.push(pick);
            } else {
                open = pick;
            }
        }
        let carries: Vec<&RecordBatch> = carry.iter().map(|c| &c.row).collect();
        let out = gather(&carries, batch, &picks)?;
        self.carry = Some(match open {
            Pick::Carry(_) => match carry {
                Some(c) => c,
                None => return Err(crate::StorageError::Logical("replacing carry lost".into())),
            },
            Pick::Row(r) => Carry {
                row: batch.slice(r, 1),
                version: versions.as_ref().map(|rows| rows.row(r).owned()),
            },
        });
        Ok(out)
    }

    fn finish(&mut self) -> Result<Option<RecordBatch>> {
        Ok(self.carry.take().map(|c| c.row))
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests_util::*;
    use super::*;

    #[test]
    fn keeps_max_version_and_last_on_ties() {
        let b = batch_kv(&[(1, 5), (1, 7), (1, 7), (2, 1), (3, 9), (3, 2)]);
        let mode = ReplacingMode { version: Some(1) };
        // Tag rows by position with a third column so ties are distinguishable.
        let out = run_all(&mode, &b, &[0, 3, 4], 100);
        assert_eq!(rows_of(&out), vec![(1, 7, 2), (2, 1, 3), (3, 9, 4)]);
    }

    #[test]
    fn without_version_keeps_last() {
        let b = batch_kv(&[(1, 5), (1, 7), (1, 3), (2, 1)]);
        let mode = ReplacingMode { version: None };
        let out = run_all(&mode, &b, &[0, 3], 100);
        assert_eq!(rows_of(&out), vec![(1, 3, 2), (2, 1, 3)]);
    }

    #[test]
    fn runs_spanning_chunks_give_the_same_answer() {
        let pairs: Vec<(u32, i64)> = (0..40).map(|i| (i / 9, (i * 7 % 5) as i64)).collect();
        let b = batch_kv(&pairs);
        let starts = starts_of(&pairs);
        for mode in [
            ReplacingMode { version: Some(1) },
            ReplacingMode { version: None },
        ] {
            let whole = run_all(&mode, &b, &starts, 1000);
            for chunk in 1..10 {
                assert_eq!(
                    rows_of(&run_all(&mode, &b, &starts, chunk)),
                    rows_of(&whole)
                );
            }
        }
    }
}
