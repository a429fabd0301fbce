//! The whole table written on all cores, as TSV or Parquet; the bytes are the same for any
//! number of threads (and the same as the single-threaded sinks').
//!
//! TSV: workers render chunks of rows into buffers that the calling thread writes in order
//! and hands back for reuse. Parquet: workers gather batches of rows (generation is the
//! row-wise half of the work), the calling thread passes each batch, in order, to encoder
//! threads that each own a fixed share of the row group's column writers (encoding and
//! compression are the column-wise half), and appends the finished column chunks to the
//! file in column order at the end of every row group.

use std::io::{self, Write};
use std::sync::mpsc;

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use parquet::arrow::arrow_writer::{
    compute_leaves, ArrowColumnChunk, ArrowColumnWriter, ArrowRowGroupWriterFactory,
};
use parquet::arrow::ArrowWriter;
use parquet::file::writer::SerializedFileWriter;

use crate::batch::{to_io, BatchSink};
use crate::generator::Generator;
use crate::ordered::run_ordered;
use crate::parquet::{hits_schema, writer_properties, BATCH_ROWS, ROW_GROUP_ROWS};
use crate::tsv::TsvBuf;

/// Rows per chunk of TSV rendered by one worker.
pub const TSV_CHUNK_ROWS: u64 = 16_384;
/// Initial capacity of a TSV chunk buffer (about 500 bytes a row).
const TSV_CHUNK_BYTES: usize = 9 << 20;

/// The number of threads to use by default: the machine's cores.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Rows `start..end` of chunk `chunk` of `size` rows of a `rows`-row table.
fn chunk_rows(chunk: u64, size: u64, rows: u64) -> std::ops::Range<u64> {
    let start = chunk * size;
    start..(start + size).min(rows)
}

/// Writes `rows` rows of seed `seed` as TabSeparated to `out` on `threads` threads.
pub fn write_tsv(rows: u64, seed: u64, threads: usize, out: &mut impl Write) -> io::Result<()> {
    let chunks = rows.div_ceil(TSV_CHUNK_ROWS);
    run_ordered(
        threads,
        chunks,
        || Generator::new(rows, seed),
        |generator, chunk, spare| {
            let buf = spare.unwrap_or_else(|| Vec::with_capacity(TSV_CHUNK_BYTES));
            let mut sink = TsvBuf::new(buf);
            for row in chunk_rows(chunk, TSV_CHUNK_ROWS, rows) {
                generator.row(row, &mut sink)?;
            }
            Ok(sink.into_inner())
        },
        |buf| {
            out.write_all(&buf)?;
            Ok(Some(buf))
        },
    )?;
    out.flush()
}

/// Writes `rows` rows of seed `seed` as `hits.parquet`-shaped Parquet to `out` on `threads`
/// generator and `threads` encoder threads.
pub fn write_parquet<W: Write + Send>(
    rows: u64,
    seed: u64,
    threads: usize,
    out: W,
) -> io::Result<()> {
    write_parquet_with(rows, seed, threads, BATCH_ROWS, ROW_GROUP_ROWS, out)
}

/// [`write_parquet`] with batches of `batch_rows` and row groups of `group_rows` rows (a
/// multiple of `batch_rows`), as [`crate::parquet::ParquetSink::with_layout`].
pub fn write_parquet_with<W: Write + Send>(
    rows: u64,
    seed: u64,
    threads: usize,
    batch_rows: usize,
    group_rows: usize,
    out: W,
) -> io::Result<()> {
    let batch_rows = batch_rows.max(1);
    if !group_rows.is_multiple_of(batch_rows) {
        return Err(io::Error::other("row groups must be whole batches"));
    }
    let schema = hits_schema();
    let writer = ArrowWriter::try_new(out, schema.clone(), Some(writer_properties(group_rows)))
        .map_err(to_io)?;
    let (file, factory) = writer.into_serialized_writer().map_err(to_io)?;
    let threads = threads.max(1);
    let batches = rows.div_ceil(batch_rows as u64);
    std::thread::scope(|scope| {
        let (done_tx, done_rx) = mpsc::channel();
        let jobs = (0..threads)
            .map(|_| {
                let (tx, rx) = mpsc::sync_channel::<Job>(2);
                let (done_tx, schema) = (done_tx.clone(), schema.clone());
                scope.spawn(move || encode(&schema, rx, done_tx));
                tx
            })
            .collect();
        let mut row_groups = RowGroups {
            file,
            factory,
            jobs,
            done: done_rx,
            group: 0,
            rows: 0,
            group_rows,
        };
        run_ordered(
            threads,
            batches,
            || (Generator::new(rows, seed), BatchSink::new(batch_rows)),
            |(generator, sink), chunk, _| {
                for row in chunk_rows(chunk, batch_rows as u64, rows) {
                    generator.row(row, sink)?;
                }
                sink.take_batch()
            },
            |batch| row_groups.push(batch).map(|()| None),
        )?;
        row_groups.close_group()?;
        let RowGroups { file, jobs, .. } = row_groups;
        drop(jobs);
        file.close().map(drop).map_err(to_io)
    })
}

/// Work for one encoder thread.
enum Job {
    /// The writers of this encoder's columns for a new row group: (column, writer).
    Start(Vec<(usize, ArrowColumnWriter)>),
    /// A batch: encode this encoder's columns of it.
    Batch(RecordBatch),
    /// The end of the row group: send back the column chunks.
    Close,
}

/// What an encoder sends back at the end of a row group: (column, chunk).
type Chunks = io::Result<Vec<(usize, ArrowColumnChunk)>>;

/// An encoder thread: encodes its columns of every batch until the jobs end.
fn encode(schema: &SchemaRef, jobs: mpsc::Receiver<Job>, done: mpsc::Sender<Chunks>) {
    let mut writers = Vec::new();
    let mut failed: Option<io::Error> = None;
    for job in jobs {
        match job {
            Job::Start(w) => writers = w,
            Job::Batch(batch) => {
                if failed.is_some() {
                    continue;
                }
                for (column, writer) in &mut writers {
                    let written = compute_leaves(schema.field(*column), batch.column(*column))
                        .and_then(|leaves| leaves.iter().try_for_each(|l| writer.write(l)));
                    if let Err(e) = written {
                        failed = Some(to_io(e));
                        break;
                    }
                }
            }
            Job::Close => {
                let chunks = match failed.take() {
                    Some(e) => Err(e),
                    None => std::mem::take(&mut writers)
                        .into_iter()
                        .map(|(c, w)| w.close().map(|chunk| (c, chunk)).map_err(to_io))
                        .collect(),
                };
                if done.send(chunks).is_err() {
                    return;
                }
            }
        }
    }
}

/// The file being written and the row group being encoded.
struct RowGroups<W: Write + Send> {
    file: SerializedFileWriter<W>,
    factory: ArrowRowGroupWriterFactory,
    /// One queue per encoder thread.
    jobs: Vec<mpsc::SyncSender<Job>>,
    done: mpsc::Receiver<Chunks>,
    /// The index of the row group being encoded.
    group: usize,
    /// Rows in the row group being encoded.
    rows: usize,
    group_rows: usize,
}

fn encoder_gone() -> io::Error {
    io::Error::other("a Parquet encoder thread stopped")
}

impl<W: Write + Send> RowGroups<W> {
    /// Sends `batch` to the encoders, starting a row group first and closing it after as
    /// needed.
    fn push(&mut self, batch: RecordBatch) -> io::Result<()> {
        if self.rows == 0 {
            let mut shares: Vec<Vec<_>> = self.jobs.iter().map(|_| Vec::new()).collect();
            let writers = self
                .factory
                .create_column_writers(self.group)
                .map_err(to_io)?;
            for (column, writer) in writers.into_iter().enumerate() {
                shares[column % self.jobs.len()].push((column, writer));
            }
            for (jobs, share) in self.jobs.iter().zip(shares) {
                jobs.send(Job::Start(share)).map_err(|_| encoder_gone())?;
            }
        }
        self.rows += batch.num_rows();
        for jobs in &self.jobs {
            jobs.send(Job::Batch(batch.clone()))
                .map_err(|_| encoder_gone())?;
        }
        if self.rows >= self.group_rows {
            self.close_group()?;
        }
        Ok(())
    }

    /// Collects the open row group's column chunks and appends them to the file.
    fn close_group(&mut self) -> io::Result<()> {
        if self.rows == 0 {
            return Ok(());
        }
        for jobs in &self.jobs {
            jobs.send(Job::Close).map_err(|_| encoder_gone())?;
        }
        let mut chunks = Vec::new();
        for _ in &self.jobs {
            chunks.extend(self.done.recv().map_err(|_| encoder_gone())??);
        }
        chunks.sort_by_key(|(column, _)| *column);
        let mut group = self.file.next_row_group().map_err(to_io)?;
        for (_, chunk) in chunks {
            chunk.append_to_row_group(&mut group).map_err(to_io)?;
        }
        group.close().map_err(to_io)?;
        self.group += 1;
        self.rows = 0;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parquet::ParquetSink;
    use crate::sink::Sink;
    use crate::tsv::TsvSink;

    #[test]
    fn tsv_is_the_same_on_any_number_of_threads() {
        let rows = TSV_CHUNK_ROWS + 1000;
        let mut one = TsvSink::new(Vec::new());
        let mut g = Generator::new(rows, 3);
        for row in 0..rows {
            g.row(row, &mut one).unwrap();
        }
        one.finish().unwrap();
        let one = one.into_inner();
        for threads in [1, 3] {
            let mut many = Vec::new();
            write_tsv(rows, 3, threads, &mut many).unwrap();
            assert!(one == many, "{threads} threads");
        }
    }

    #[test]
    fn parquet_is_the_same_on_any_number_of_threads() {
        let (rows, batch, group) = (5_000, 512, 2048);
        let mut sink = ParquetSink::with_layout(Vec::new(), batch, group).unwrap();
        let mut g = Generator::new(rows, 5);
        for row in 0..rows {
            g.row(row, &mut sink).unwrap();
        }
        sink.finish().unwrap();
        let one = sink.into_inner().unwrap();
        for threads in [1, 3] {
            let mut many = Vec::new();
            write_parquet_with(rows, 5, threads, batch, group, &mut many).unwrap();
            assert!(one == many, "{threads} threads");
        }
    }

    #[test]
    fn parquet_reads_back_as_the_generated_batches() {
        let (rows, batch) = (3_000u64, 1_000usize);
        let path =
            std::env::temp_dir().join(format!("hits-gen-test-{}.parquet", std::process::id()));
        let file = std::fs::File::create(&path).unwrap();
        write_parquet_with(rows, 9, 2, batch, 2 * batch, file).unwrap();
        let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
            std::fs::File::open(&path).unwrap(),
        )
        .unwrap()
        .with_batch_size(batch)
        .build()
        .unwrap();
        let read: Vec<RecordBatch> = reader.map(|b| b.unwrap()).collect();
        std::fs::remove_file(&path).unwrap();
        let mut g = Generator::new(rows, 9);
        let mut sink = BatchSink::new(batch);
        assert_eq!(read.len(), 3);
        for (i, got) in read.iter().enumerate() {
            for row in chunk_rows(i as u64, batch as u64, rows) {
                g.row(row, &mut sink).unwrap();
            }
            let want = sink.take_batch().unwrap();
            assert_eq!(got.columns(), want.columns(), "batch {i}");
        }
    }
}
