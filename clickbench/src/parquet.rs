//! Parquet output with the physical types of ClickBench's `hits.parquet`: integers as
//! Int16/Int32/Int64, `EventDate` as UInt16 days, the three `TIMESTAMP` columns as Int64 Unix
//! seconds, strings as BINARY without a UTF-8 annotation (loaders must convert, as for the
//! real file).

use std::io::{self, Write};
use std::sync::Arc;

use arrow::array::{
    ArrayRef, BinaryBuilder, Int16Builder, Int32Builder, Int64Builder, UInt16Builder,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

use crate::schema::{Kind, COLUMNS};
use crate::sink::Sink;

/// Rows per Arrow batch handed to the writer.
const BATCH_ROWS: usize = 1 << 16;
/// Rows per Parquet row group.
const ROW_GROUP_ROWS: usize = 1 << 20;

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

/// One column being built.
enum Column {
    I16(Int16Builder),
    I32(Int32Builder),
    I64(Int64Builder),
    U16(UInt16Builder),
    Bin(BinaryBuilder),
}

impl Column {
    fn new(kind: Kind) -> Column {
        match kind {
            Kind::I16 => Column::I16(Int16Builder::with_capacity(BATCH_ROWS)),
            Kind::I32 => Column::I32(Int32Builder::with_capacity(BATCH_ROWS)),
            Kind::I64 | Kind::DateTime => Column::I64(Int64Builder::with_capacity(BATCH_ROWS)),
            Kind::Date => Column::U16(UInt16Builder::with_capacity(BATCH_ROWS)),
            Kind::Str => Column::Bin(BinaryBuilder::with_capacity(BATCH_ROWS, BATCH_ROWS * 8)),
        }
    }

    fn int(&mut self, v: i64) {
        match self {
            Column::I16(b) => b.append_value(v as i16),
            Column::I32(b) => b.append_value(v as i32),
            Column::I64(b) => b.append_value(v),
            Column::U16(b) => b.append_value(v as u16),
            Column::Bin(b) => b.append_value(v.to_string()),
        }
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Column::I16(b) => Arc::new(b.finish()),
            Column::I32(b) => Arc::new(b.finish()),
            Column::I64(b) => Arc::new(b.finish()),
            Column::U16(b) => Arc::new(b.finish()),
            Column::Bin(b) => Arc::new(b.finish()),
        }
    }
}

/// A [`Sink`] that writes `hits.parquet`-shaped Parquet to `W`.
pub struct ParquetSink<W: Write + Send> {
    writer: Option<ArrowWriter<W>>,
    schema: SchemaRef,
    columns: Vec<Column>,
    column: usize,
    rows: usize,
}

fn to_io(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(e.to_string())
}

impl<W: Write + Send> ParquetSink<W> {
    /// A sink writing Snappy-compressed Parquet to `out`.
    pub fn new(out: W) -> io::Result<ParquetSink<W>> {
        let schema = hits_schema();
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
            .build();
        let writer = ArrowWriter::try_new(out, schema.clone(), Some(props)).map_err(to_io)?;
        Ok(ParquetSink {
            writer: Some(writer),
            schema,
            columns: COLUMNS.iter().map(|(_, k)| Column::new(*k)).collect(),
            column: 0,
            rows: 0,
        })
    }

    fn write_batch(&mut self) -> io::Result<()> {
        if self.rows == 0 {
            return Ok(());
        }
        let arrays: Vec<ArrayRef> = self.columns.iter_mut().map(Column::finish).collect();
        let batch = RecordBatch::try_new(self.schema.clone(), arrays).map_err(to_io)?;
        if let Some(w) = self.writer.as_mut() {
            w.write(&batch).map_err(to_io)?;
        }
        self.rows = 0;
        Ok(())
    }

    /// The column the next value goes to, advancing the cursor.
    #[inline]
    fn next_column(&mut self) -> &mut Column {
        let c = self.column;
        self.column += 1;
        &mut self.columns[c]
    }
}

impl<W: Write + Send> Sink for ParquetSink<W> {
    fn int(&mut self, v: i64) {
        self.next_column().int(v);
    }

    fn text(&mut self, v: &[u8]) {
        match self.next_column() {
            Column::Bin(b) => b.append_value(v),
            other => other.int(0),
        }
    }

    fn date(&mut self, days: i64) {
        self.next_column().int(days);
    }

    fn datetime(&mut self, secs: i64) {
        self.next_column().int(secs);
    }

    fn end_row(&mut self) -> io::Result<()> {
        self.column = 0;
        self.rows += 1;
        if self.rows >= BATCH_ROWS {
            self.write_batch()?;
        }
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        self.write_batch()?;
        if let Some(w) = self.writer.take() {
            w.close().map_err(to_io)?;
        }
        Ok(())
    }
}
