//! `CollapsingMergeTree(sign)`: rows with `sign = 1` (a state) and `sign = -1` (its
//! cancellation) of one key cancel out. ClickHouse's rule, applied to each run:
//!
//! - when the counts of positive and negative rows are equal and the last row is negative,
//!   nothing is kept;
//! - otherwise, with no more positive than negative rows, the first negative row is kept
//!   (it still has to cancel a state in an older part), and with no more negative than
//!   positive rows, the last positive row is kept. With equal counts and a positive last row
//!   both are kept, negative first.
//!
//! So a valid history per key (`+ - + - ... `) always collapses to at most "first `-`, last
//! `+`", whichever parts a merge covers. A `SELECT ... FINAL` read never outputs `-1` rows.
//! A sign other than 1 or -1 fails the merge, as in ClickHouse.

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{DataType as ArrowType, Int8Type};

use super::{gather, MergeContext, MergingMode, Pick, RunCombiner, SortedChunk};
use crate::error::{Result, StorageError};

/// The `CollapsingMergeTree` merging mode.
#[derive(Debug)]
pub struct CollapsingMode {
    /// Position of the `Int8` sign column among the stored columns.
    pub sign: usize,
}

impl MergingMode for CollapsingMode {
    fn name(&self) -> &'static str {
        "CollapsingMergeTree"
    }

    fn combiner(&self, ctx: &MergeContext) -> Result<Box<dyn RunCombiner>> {
        Ok(Box::new(CollapsingCombiner {
            sign: self.sign,
            only_positive: ctx.select_final,
            run: RunState::default(),
            first_negative: None,
            last_positive: None,
        }))
    }
}

/// Counts of the open run, and where its corner rows are.
#[derive(Default)]
struct RunState {
    positive: u64,
    negative: u64,
    last_is_positive: bool,
    first_negative: Option<Pick>,
    last_positive: Option<Pick>,
}

/// Carried rows of the open run: [`Pick::Carry`]`(0)` is the first negative row,
/// `Pick::Carry(1)` the last positive one.
const FIRST_NEGATIVE: usize = 0;
const LAST_POSITIVE: usize = 1;

struct CollapsingCombiner {
    sign: usize,
    only_positive: bool,
    run: RunState,
    first_negative: Option<RecordBatch>,
    last_positive: Option<RecordBatch>,
}

impl CollapsingCombiner {
    /// Appends the output of the completed run `run` to `picks`.
    fn emit(&self, run: &RunState, picks: &mut Vec<Pick>) {
        if run.positive == 0 && run.negative == 0 {
            return;
        }
        if run.last_is_positive || run.positive != run.negative {
            if run.positive <= run.negative && !self.only_positive {
                picks.extend(run.first_negative);
            }
            if run.positive >= run.negative {
                picks.extend(run.last_positive);
            }
            if run.positive.abs_diff(run.negative) > 1 {
                tracing::debug!(
                    "Incorrect data: number of rows with sign = 1 ({}) differs with number of rows with sign = -1 ({}) by more than one",
                    run.positive,
                    run.negative
                );
            }
        }
    }
}

impl RunCombiner for CollapsingCombiner {
    fn push(&mut self, chunk: SortedChunk<'_>) -> Result<Option<RecordBatch>> {
        let batch = chunk.batch;
        let runs = chunk.run_starts.len();
        if runs == 0 {
            return Ok(None);
        }
        let signs = batch.column(self.sign);
        if signs.data_type() != &ArrowType::Int8 {
            return Err(StorageError::TypeMismatch(format!(
                "Sign column of CollapsingMergeTree must be Int8, got {}",
                signs.data_type()
            )));
        }
        let signs = signs.as_primitive::<Int8Type>();
        let mut picks = Vec::new();
        let mut run = std::mem::take(&mut self.run);
        if !chunk.continues_previous {
            self.emit(&run, &mut picks);
            run = RunState::default();
        }
        for i in 0..runs {
            if i > 0 {
                self.emit(&run, &mut picks);
                run = RunState::default();
            }
            for r in chunk.run(i) {
                match signs.is_valid(r).then(|| signs.value(r)) {
                    Some(1) => {
                        run.positive += 1;
                        run.last_is_positive = true;
                        run.last_positive = Some(Pick::Row(r));
                    }
                    Some(-1) => {
                        if run.negative == 0 {
                            run.first_negative = Some(Pick::Row(r));
                        }
                        run.negative += 1;
                        run.last_is_positive = false;
                    }
                    other => {
                        return Err(StorageError::CorruptedData(format!(
                            "Incorrect data: Sign = {} (must be 1 or -1)",
                            other
                                .map(|s| s.to_string())
                                .unwrap_or_else(|| "NULL".into())
                        )))
                    }
                }
            }
        }
        let carries: Vec<&RecordBatch> = match (&self.first_negative, &self.last_positive) {
            (Some(n), Some(p)) => vec![n, p],
            (Some(n), None) => vec![n, n],
            (None, Some(p)) => vec![p, p],
            (None, None) => vec![],
        };
        let out = gather(&carries, batch, &picks)?;
        // Carry the open run's corner rows as one-row batches.
        let corner = |p: Option<Pick>, held: &Option<RecordBatch>| match p {
            Some(Pick::Row(r)) => Some(batch.slice(r, 1)),
            Some(Pick::Carry(_)) => held.clone(),
            None => None,
        };
        let first_negative = corner(run.first_negative, &self.first_negative);
        let last_positive = corner(run.last_positive, &self.last_positive);
        run.first_negative = run.first_negative.map(|_| Pick::Carry(FIRST_NEGATIVE));
        run.last_positive = run.last_positive.map(|_| Pick::Carry(LAST_POSITIVE));
        self.first_negative = first_negative;
        self.last_positive = last_positive;
        self.run = run;
        Ok(out)
    }

    fn finish(&mut self) -> Result<Option<RecordBatch>> {
        let run = std::mem::take(&mut self.run);
        let mut picks = Vec::new();
        self.emit(&run, &mut picks);
        let mut out = Vec::new();
        for p in picks {
            let held = match p {
                Pick::Carry(FIRST_NEGATIVE) => &self.first_negative,
                _ => &self.last_positive,
            };
            out.extend(held.clone());
        }
        self.first_negative = None;
        self.last_positive = None;
        super::concat_some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests_util::*;
    use super::*;

    fn collapse(rows: &[(u32, i64)], chunk: usize, ctx: MergeContext) -> Vec<(u32, i64, u32)> {
        // The value column doubles as the sign (1 or -1).
        let b = batch_kv_sign(rows);
        let mode = CollapsingMode { sign: 3 };
        rows_of(&run_all_ctx(&mode, &b, &starts_of(rows), chunk, ctx))
    }

    #[test]
    fn follows_clickhouse_rule() {
        let ctx = MergeContext::default();
        // +: keep it. + -: nothing. - +: both. + + -: last +. - - +: first -.
        let rows = [
            (1, 1),
            (2, 1),
            (2, -1),
            (3, -1),
            (3, 1),
            (4, 1),
            (4, 1),
            (4, -1),
            (5, -1),
            (5, -1),
            (5, 1),
        ];
        let want = vec![(1, 1, 0), (3, -1, 3), (3, 1, 4), (4, 1, 6), (5, -1, 8)];
        for chunk in 1..13 {
            assert_eq!(collapse(&rows, chunk, ctx), want, "chunk {chunk}");
        }
        let only_positive = vec![(1, 1, 0), (3, 1, 4), (4, 1, 6)];
        assert_eq!(
            collapse(&rows, 4, MergeContext::select_final()),
            only_positive
        );
    }

    #[test]
    fn rejects_bad_sign() {
        let b = batch_kv_sign(&[(1, 2)]);
        let mode = CollapsingMode { sign: 3 };
        let mut c = mode.combiner(&MergeContext::default()).unwrap();
        let err = c
            .push(SortedChunk {
                batch: &b,
                run_starts: &[0],
                continues_previous: false,
            })
            .unwrap_err();
        assert!(err.to_string().contains("Sign = 2"), "{err}");
    }
}
