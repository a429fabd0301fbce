//! Parquet output with the physical types of ClickBench's `hits.parquet`: integers as
//! Int16/Int32/Int64, `EventDate` as UInt16 days, the three `TIMESTAMP` columns as Int64 Unix
//! seconds, strings as BINARY without a UTF-8 annotation (loaders must convert, as for the
//! real file).

use std::io::{self, Write};
use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use parquet::schema::types::ColumnPath;

use crate::batch::{to_io, BatchSink};
use crate::schema::{Kind, COLUMNS};
use crate::sink::Sink;

/// Rows per Arrow batch handed to the writer.
pub const BATCH_ROWS: usize = 1 << 16;
/// Rows per Parquet row group (a whole number of batches).
pub const ROW_GROUP_ROWS: usize = 1 << 20;

/// The Arrow type of `kind` in `hits.parquet`.
pub fn arrow_type(kind: Kind) -> DataType {
    match kind {
        Kind::I16 => DataType::Int16,
        Kind::I32 => DataType::Int32,
        Kind::I64 | Kind::DateTime => DataType::Int64,
        Kind::Date => DataType::UInt16,
        Kind::Str => DataType::Binary,
    }
}

/// The Arrow schema of `hits.parquet`: the 105 columns, none nullable.
pub fn hits_schema() -> SchemaRef {
    Arc::new(Schema::new(
        COLUMNS
            .iter()
            .map(|(name, kind)| Field::new(*name, arrow_type(*kind), false))
            .collect::<Vec<_>>(),
    ))
}

/// Columns of nearly unique values, written without a dictionary: it would overflow its page
/// and fall back to plain encoding anyway, after hashing every value of its first part.
const NO_DICTIONARY: [&str; 9] = [
    "WatchID",
    "UserID",
    "FUniqID",
    "HID",
    "EventTime",
    "ClientEventTime",
    "LocalEventTime",
    "ClientIP",
    "RemoteIP",
];

/// The writer settings: Snappy, row groups of `row_group_rows`.
pub fn writer_properties(row_group_rows: usize) -> WriterProperties {
    NO_DICTIONARY
        .iter()
        .fold(WriterProperties::builder(), |b, column| {
            b.set_column_dictionary_enabled(ColumnPath::from(*column), false)
        })
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(row_group_rows))
        .build()
}

/// A [`Sink`] that writes `hits.parquet`-shaped Parquet to `W` on the calling thread (see
/// [`crate::write::write_parquet`] for the parallel writer; both give the same bytes).
pub struct ParquetSink<W: Write + Send> {
    writer: Option<ArrowWriter<W>>,
    /// The output, once [`Sink::finish`] wrote the footer.
    out: Option<W>,
    rows: BatchSink,
    batch_rows: usize,
}

impl<W: Write + Send> ParquetSink<W> {
    /// A sink writing Snappy-compressed Parquet to `out`.
    pub fn new(out: W) -> io::Result<ParquetSink<W>> {
        ParquetSink::with_layout(out, BATCH_ROWS, ROW_GROUP_ROWS)
    }

    /// A sink that hands the writer batches of `batch_rows` rows and cuts row groups of
    /// `row_group_rows` rows.
    pub fn with_layout(
        out: W,
        batch_rows: usize,
        row_group_rows: usize,
    ) -> io::Result<ParquetSink<W>> {
        let props = writer_properties(row_group_rows);
        let writer = ArrowWriter::try_new(out, hits_schema(), Some(props)).map_err(to_io)?;
        Ok(ParquetSink {
            writer: Some(writer),
            out: None,
            rows: BatchSink::new(batch_rows),
            batch_rows: batch_rows.max(1),
        })
    }

    /// The output, after [`Sink::finish`].
    pub fn into_inner(self) -> Option<W> {
        self.out
    }

    fn write_batch(&mut self) -> io::Result<()> {
        if self.rows.rows() == 0 {
            return Ok(());
        }
        let batch = self.rows.take_batch()?;
        if let Some(w) = self.writer.as_mut() {
            w.write(&batch).map_err(to_io)?;
        }
        Ok(())
    }
}

impl<W: Write + Send> Sink for ParquetSink<W> {
    #[inline]
    fn int(&mut self, v: i64) {
        self.rows.int(v);
    }

    #[inline]
    fn text(&mut self, v: &[u8]) {
        self.rows.text(v);
    }

    #[inline]
    fn date(&mut self, days: i64) {
        self.rows.date(days);
    }

    #[inline]
    fn datetime(&mut self, secs: i64) {
        self.rows.datetime(secs);
    }

    fn end_row(&mut self) -> io::Result<()> {
        self.rows.end_row()?;
        if self.rows.rows() >= self.batch_rows {
            self.write_batch()?;
        }
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        self.write_batch()?;
        if let Some(w) = self.writer.take() {
            let mut out = w.into_inner().map_err(to_io)?;
            out.flush()?;
            self.out = Some(out);
        }
        Ok(())
    }
}
