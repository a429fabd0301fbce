//! The k-way merge of sorted parts: [`MergingSortedStream`] reads each source part a few
//! granules at a time and yields its rows in sort-key order, in blocks.
//!
//! Keys are compared as byte strings produced by one [`RowConverter`] shared by all sources
//! (so the rows of different parts, even with different LowCardinality dictionaries, compare
//! correctly). A binary heap orders the sources by their current row, ties broken by source
//! position: rows with equal keys come out in the order of the sources (older blocks first),
//! which makes the merge stable. When the top source's rows precede the runner-up's current
//! row for a stretch, the whole stretch is taken at once (found by galloping search), so
//! parts that do not overlap cost a few comparisons per chunk rather than one heap step per
//! row; a block that is one contiguous slice of one chunk is passed on without copying.

use std::cmp::Ordering;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef};
use arrow::compute::interleave;
use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use arrow::row::{OwnedRow, RowConverter, Rows};

use crate::error::{Result, StorageError};
use crate::part::{DataPart, MarkRange};

/// Rows a source aims to read at a time: enough to amortise a read, few enough that `k`
/// sources stay small in memory.
pub const TARGET_ROWS_PER_READ: u64 = 8192;
/// Most granules a source reads at a time.
pub const MAX_GRANULES_PER_READ: u64 = 8;

/// One block of merged rows.
#[derive(Debug)]
pub struct MergedBlock {
    /// The rows, with the stored columns of the table.
    pub batch: RecordBatch,
    /// Where each run of equal keys starts (empty unless runs are tracked).
    pub run_starts: Vec<usize>,
    /// Whether the first run continues the last run of the previous block.
    pub continues_previous: bool,
}

/// A chunk of one source: its rows and their encoded keys.
struct Chunk {
    batch: RecordBatch,
    keys: Option<Rows>,
}

impl Chunk {
    fn rows(&self) -> usize {
        self.batch.num_rows()
    }
}

fn key_cmp(a: &Chunk, ra: usize, b: &Chunk, rb: usize) -> Ordering {
    match (&a.keys, &b.keys) {
        (Some(x), Some(y)) => x.row(ra).cmp(&y.row(rb)),
        _ => Ordering::Equal,
    }
}

struct Source {
    part: Arc<DataPart>,
    next_mark: u64,
    granules_per_read: u64,
    chunk: Option<Arc<Chunk>>,
    /// Position of `chunk` in the stream's pool.
    slot: usize,
    /// The current row of `chunk`.
    pos: usize,
}

/// Streams the rows of several sorted parts in key order (see the module docs).
pub struct MergingSortedStream<'a> {
    schema: SchemaRef,
    columns: Vec<String>,
    key_columns: Vec<usize>,
    converter: Option<RowConverter>,
    sources: Vec<Source>,
    /// Min-heap of the sources that have rows left.
    heap: Vec<usize>,
    /// Chunks that rows of the block being built may come from.
    pool: Vec<Arc<Chunk>>,
    block_rows: usize,
    track_runs: bool,
    last_key: Option<OwnedRow>,
    emitted_any: bool,
    cancel: &'a AtomicBool,
}

impl<'a> MergingSortedStream<'a> {
    /// Merges `parts` (in block order, each sorted by the key) reading the columns of
    /// `schema` (all of them, in order), whose key columns are at `key_columns`. Blocks hold
    /// up to `block_rows` rows. With `track_runs`, each block says where its key runs
    /// start. `granules_per_read` overrides the default read size (enough granules for
    /// [`TARGET_ROWS_PER_READ`] rows, at most [`MAX_GRANULES_PER_READ`]).
    pub fn new(
        schema: SchemaRef,
        key_columns: Vec<usize>,
        parts: &[Arc<DataPart>],
        block_rows: usize,
        granules_per_read: Option<u64>,
        track_runs: bool,
        cancel: &'a AtomicBool,
    ) -> Result<MergingSortedStream<'a>> {
        let converter = super::mode::key_converter(&schema, &key_columns)?;
        let columns = schema.fields().iter().map(|f| f.name().clone()).collect();
        let sources = parts
            .iter()
            .map(|p| {
                let g = p.meta.index_granularity.max(1);
                Source {
                    part: p.clone(),
                    next_mark: 0,
                    granules_per_read: granules_per_read.unwrap_or_else(|| {
                        TARGET_ROWS_PER_READ
                            .div_ceil(g)
                            .clamp(1, MAX_GRANULES_PER_READ)
                    }),
                    chunk: None,
                    slot: 0,
                    pos: 0,
                }
            })
            .collect();
        let mut s = MergingSortedStream {
            schema,
            columns,
            key_columns,
            converter,
            sources,
            heap: Vec::new(),
            pool: Vec::new(),
            block_rows: block_rows.max(1),
            track_runs,
            last_key: None,
            emitted_any: false,
            cancel,
        };
        for i in 0..s.sources.len() {
            if s.load_next_chunk(i)? {
                s.heap.push(i);
                s.sift_up(s.heap.len() - 1);
            }
        }
        Ok(s)
    }

    /// Reads the next chunk of source `i` into the pool; false when it has no rows left.
    fn load_next_chunk(&mut self, i: usize) -> Result<bool> {
        loop {
            let src = &self.sources[i];
            let marks = src.part.marks();
            if src.next_mark >= marks {
                self.sources[i].chunk = None;
                return Ok(false);
            }
            if self.cancel.load(std::sync::atomic::Ordering::Relaxed) {
                return Err(StorageError::Aborted("Cancelled merging parts".into()));
            }
            let range = MarkRange {
                begin: src.next_mark,
                end: (src.next_mark + src.granules_per_read).min(marks),
            };
            let names: Vec<&str> = self.columns.iter().map(|c| c.as_str()).collect();
            let batch = src.part.read(&names, &[range])?;
            self.sources[i].next_mark = range.end;
            if batch.num_rows() == 0 {
                continue;
            }
            let keys = match &self.converter {
                Some(conv) => {
                    let cols: Vec<ArrayRef> = self
                        .key_columns
                        .iter()
                        .map(|&k| batch.column(k).clone())
                        .collect();
                    Some(conv.convert_columns(&cols)?)
                }
                None => None,
            };
            let chunk = Arc::new(Chunk { batch, keys });
            self.pool.push(chunk.clone());
            let src = &mut self.sources[i];
            src.chunk = Some(chunk);
            src.slot = self.pool.len() - 1;
            src.pos = 0;
            return Ok(true);
        }
    }

    fn head(&self, i: usize) -> Option<(&Chunk, usize)> {
        let s = &self.sources[i];
        s.chunk.as_deref().map(|c| (c, s.pos))
    }

    /// Whether source `a`'s current row comes before source `b`'s.
    fn less(&self, a: usize, b: usize) -> bool {
        match (self.head(a), self.head(b)) {
            (Some((ca, ra)), Some((cb, rb))) => match key_cmp(ca, ra, cb, rb) {
                Ordering::Equal => a < b,
                o => o == Ordering::Less,
            },
            (Some(_), None) => true,
            _ => false,
        }
    }

    fn sift_up(&mut self, mut i: usize) {
        while i > 0 {
            let parent = (i - 1) / 2;
            if !self.less(self.heap[i], self.heap[parent]) {
                break;
            }
            self.heap.swap(i, parent);
            i = parent;
        }
    }

    fn sift_down(&mut self, mut i: usize) {
        loop {
            let (l, r) = (2 * i + 1, 2 * i + 2);
            let mut best = i;
            if l < self.heap.len() && self.less(self.heap[l], self.heap[best]) {
                best = l;
            }
            if r < self.heap.len() && self.less(self.heap[r], self.heap[best]) {
                best = r;
            }
            if best == i {
                return;
            }
            self.heap.swap(i, best);
            i = best;
        }
    }

    /// The next block of merged rows, or None at the end.
    pub fn next_block(&mut self) -> Result<Option<MergedBlock>> {
        if self.cancel.load(std::sync::atomic::Ordering::Relaxed) {
            return Err(StorageError::Aborted("Cancelled merging parts".into()));
        }
        if self.heap.is_empty() {
            return Ok(None);
        }
        let mut picks: Vec<(usize, usize)> = Vec::with_capacity(self.block_rows);
        while picks.len() < self.block_rows && !self.heap.is_empty() {
            let s = self.heap[0];
            let runner_up = match self.heap.len() {
                1 => None,
                2 => Some(self.heap[1]),
                _ if self.less(self.heap[2], self.heap[1]) => Some(self.heap[2]),
                _ => Some(self.heap[1]),
            };
            let (chunk, pos, slot) = match &self.sources[s].chunk {
                Some(c) => (c.clone(), self.sources[s].pos, self.sources[s].slot),
                None => {
                    return Err(StorageError::Logical(
                        "merge source without rows in heap".into(),
                    ))
                }
            };
            let max_end = chunk.rows().min(pos + (self.block_rows - picks.len()));
            let end = match runner_up.and_then(|t| self.head(t).map(|h| (t, h))) {
                None => max_end,
                Some((t, (tc, tr))) => {
                    // Row r of s precedes t's current row.
                    let precedes = |r: usize| match key_cmp(&chunk, r, tc, tr) {
                        Ordering::Equal => s < t,
                        o => o == Ordering::Less,
                    };
                    first_failing(pos + 1, max_end, precedes)
                }
            };
            picks.extend((pos..end).map(|r| (slot, r)));
            self.sources[s].pos = end;
            if end == chunk.rows() && !self.load_next_chunk(s)? {
                let last = self.heap.len() - 1;
                self.heap.swap(0, last);
                self.heap.pop();
            }
            self.sift_down(0);
        }
        let block = self.build_block(&picks)?;
        // Keep only the chunks the sources still read from.
        let mut pool = Vec::with_capacity(self.sources.len());
        for src in &mut self.sources {
            if let Some(c) = &src.chunk {
                pool.push(c.clone());
                src.slot = pool.len() - 1;
            }
        }
        self.pool = pool;
        Ok(Some(block))
    }

    fn build_block(&mut self, picks: &[(usize, usize)]) -> Result<MergedBlock> {
        let contiguous = picks
            .windows(2)
            .all(|w| w[1].0 == w[0].0 && w[1].1 == w[0].1 + 1);
        let columns: Vec<ArrayRef> = match picks.first() {
            Some(&(slot, start)) if contiguous => self.pool[slot]
                .batch
                .columns()
                .iter()
                .map(|c| c.slice(start, picks.len()))
                .collect(),
            _ => (0..self.columns.len())
                .map(|c| {
                    let arrays: Vec<&dyn Array> = self
                        .pool
                        .iter()
                        .map(|ch| ch.batch.column(c).as_ref())
                        .collect();
                    interleave(&arrays, picks)
                })
                .collect::<std::result::Result<_, _>>()?,
        };
        let batch = RecordBatch::try_new(self.schema.clone(), columns)?;
        let mut run_starts = Vec::new();
        let mut continues_previous = false;
        if self.track_runs && !picks.is_empty() {
            let key = |&(slot, r): &(usize, usize)| (&*self.pool[slot], r);
            let (c0, r0) = key(&picks[0]);
            continues_previous = match (&self.last_key, &c0.keys) {
                (Some(last), Some(rows)) => last.row() == rows.row(r0),
                (None, None) => self.emitted_any,
                _ => false,
            };
            run_starts.push(0);
            for i in 1..picks.len() {
                let (ca, ra) = key(&picks[i - 1]);
                let (cb, rb) = key(&picks[i]);
                if key_cmp(ca, ra, cb, rb) != Ordering::Equal {
                    run_starts.push(i);
                }
            }
            if let Some(last) = picks.last() {
                let (c, r) = key(last);
                self.last_key = c.keys.as_ref().map(|rows| rows.row(r).owned());
            }
        }
        self.emitted_any |= !picks.is_empty();
        Ok(MergedBlock {
            batch,
            run_starts,
            continues_previous,
        })
    }
}

/// The first `r` in `[lo, hi)` for which `ok(r)` is false (`hi` if none), given that `ok`
/// is true up to some point and false after it. Gallops from `lo`, then bisects.
fn first_failing(mut lo: usize, hi: usize, ok: impl Fn(usize) -> bool) -> usize {
    let mut step = 1;
    let mut upper = hi;
    while lo < hi {
        let probe = lo + step - 1;
        if probe >= hi {
            break;
        }
        if !ok(probe) {
            upper = probe;
            break;
        }
        lo = probe + 1;
        step *= 2;
    }
    // ok holds below lo; fails at upper (or upper == hi).
    let (mut a, mut b) = (lo, upper);
    while a < b {
        let mid = a + (b - a) / 2;
        if ok(mid) {
            a = mid + 1;
        } else {
            b = mid;
        }
    }
    a
}

#[cfg(test)]
mod tests {
    use super::first_failing;

    #[test]
    fn gallop_finds_the_boundary() {
        for n in 0..40 {
            for cut in 0..=n {
                assert_eq!(first_failing(0, n, |r| r < cut), cut);
                assert_eq!(
                    first_failing(cut.min(3), n, |r| r < cut),
                    cut.max(cut.min(3))
                );
            }
        }
    }
}
