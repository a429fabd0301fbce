//! Generated rows gathered column by column into an Arrow [`RecordBatch`] with
//! `hits.parquet`'s types (see [`crate::parquet::hits_schema`]).
//!
//! Values go into plain vectors (integers as `i64`, strings as offsets and bytes) with no
//! per-value type dispatch; [`BatchSink::take_batch`] narrows them to the column types.

use std::io;
use std::sync::Arc;

use arrow::array::{ArrayRef, BinaryArray, Int16Array, Int32Array, Int64Array, UInt16Array};
use arrow::buffer::{Buffer, OffsetBuffer, ScalarBuffer};
use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;

use crate::parquet::hits_schema;
use crate::schema::{Kind, COLUMNS};
use crate::sink::Sink;

/// The values of one column gathered so far.
#[derive(Default)]
struct Gathered {
    /// Integer, date and time values.
    ints: Vec<i64>,
    /// String end offsets into `bytes` (the leading 0 is added when the array is built).
    ends: Vec<i32>,
    /// String bytes.
    bytes: Vec<u8>,
}

/// A [`Sink`] that gathers rows into record batches of the 105 `hits` columns.
pub struct BatchSink {
    schema: SchemaRef,
    columns: Vec<Gathered>,
    column: usize,
    rows: usize,
}

/// Converts an Arrow error to an I/O error (the generator's error type).
pub(crate) fn to_io(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(e.to_string())
}

impl BatchSink {
    /// An empty sink with room for `rows` rows per batch.
    pub fn new(rows: usize) -> BatchSink {
        let columns = COLUMNS
            .iter()
            .map(|(_, kind)| match kind {
                Kind::Str => Gathered {
                    ends: Vec::with_capacity(rows),
                    bytes: Vec::with_capacity(rows * 8),
                    ..Gathered::default()
                },
                _ => Gathered {
                    ints: Vec::with_capacity(rows),
                    ..Gathered::default()
                },
            })
            .collect();
        BatchSink {
            schema: hits_schema(),
            columns,
            column: 0,
            rows: 0,
        }
    }

    /// Rows gathered since the last batch.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The gathered rows as one batch; the sink starts over, empty.
    ///
    /// Errors: a column that got values of the wrong kind (a generator bug) or strings
    /// longer than 2 GiB in one batch.
    pub fn take_batch(&mut self) -> io::Result<RecordBatch> {
        let arrays = COLUMNS
            .iter()
            .zip(&mut self.columns)
            .map(|((_, kind), col)| finish_column(*kind, col))
            .collect::<io::Result<Vec<ArrayRef>>>()?;
        self.rows = 0;
        self.column = 0;
        RecordBatch::try_new(self.schema.clone(), arrays).map_err(to_io)
    }

    /// The column the next value goes to, advancing the cursor.
    #[inline]
    fn next_column(&mut self) -> &mut Gathered {
        let c = self.column;
        self.column += 1;
        &mut self.columns[c]
    }
}

/// Builds the array of one column from its gathered values, leaving it empty.
fn finish_column(kind: Kind, col: &mut Gathered) -> io::Result<ArrayRef> {
    let narrowed: ArrayRef = match kind {
        Kind::I16 => Arc::new(Int16Array::from_iter_values(
            col.ints.iter().map(|&v| v as i16),
        )),
        Kind::I32 => Arc::new(Int32Array::from_iter_values(
            col.ints.iter().map(|&v| v as i32),
        )),
        Kind::Date => Arc::new(UInt16Array::from_iter_values(
            col.ints.iter().map(|&v| v as u16),
        )),
        Kind::I64 | Kind::DateTime => {
            let rows = col.ints.len();
            let ints = std::mem::replace(&mut col.ints, Vec::with_capacity(rows));
            return Ok(Arc::new(Int64Array::from(ints)));
        }
        Kind::Str => {
            if i32::try_from(col.bytes.len()).is_err() {
                return Err(io::Error::other(
                    "over 2 GiB of strings in one column batch",
                ));
            }
            let rows = col.ends.len();
            let mut offsets = Vec::with_capacity(rows + 1);
            offsets.push(0);
            offsets.append(&mut col.ends);
            let bytes = std::mem::replace(&mut col.bytes, Vec::with_capacity(rows * 8));
            // Offsets start at 0 and never decrease (every end is a length so far, and the
            // total fits in i32), as `OffsetBuffer::new` requires.
            let offsets = OffsetBuffer::new(ScalarBuffer::from(offsets));
            return Ok(Arc::new(
                BinaryArray::try_new(offsets, Buffer::from_vec(bytes), None).map_err(to_io)?,
            ));
        }
    };
    col.ints.clear();
    Ok(narrowed)
}

impl Sink for BatchSink {
    #[inline]
    fn int(&mut self, v: i64) {
        self.next_column().ints.push(v);
    }

    #[inline]
    fn text(&mut self, v: &[u8]) {
        let col = self.next_column();
        col.bytes.extend_from_slice(v);
        // Past 2 GiB in one batch the offset wraps; `take_batch` then fails cleanly.
        col.ends.push(col.bytes.len() as i32);
    }

    #[inline]
    fn date(&mut self, days: i64) {
        self.next_column().ints.push(days);
    }

    #[inline]
    fn datetime(&mut self, secs: i64) {
        self.next_column().ints.push(secs);
    }

    #[inline]
    fn end_row(&mut self) -> io::Result<()> {
        self.column = 0;
        self.rows += 1;
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        Ok(())
    }
}
