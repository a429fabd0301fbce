//! `FORMAT Parquet`: the result as one Parquet file, with ClickHouse's type mapping (see
//! [`super::arrow_export`]), `output_format_parquet_compression_method` (zstd by default)
//! and `output_format_parquet_row_group_size` rows per row group. The Parquet schema alone
//! describes the columns (no embedded Arrow schema), as in ClickHouse's files.

use parquet::arrow::arrow_writer::{ArrowWriter, ArrowWriterOptions};
use parquet::basic::{Compression, GzipLevel, ZstdLevel};
use parquet::file::properties::WriterProperties;

use super::arrow_export::{export, ExportOptions};
use super::OutputSettings;
use crate::error::{ErrorCode, QueryError, Result};
use crate::session::QueryOutput;

/// `output_format_parquet_compression_method`'s value as a codec; `None` if unknown.
pub fn parse_compression(v: &str) -> Option<Compression> {
    Some(match v.to_ascii_lowercase().as_str() {
        "none" => Compression::UNCOMPRESSED,
        "snappy" => Compression::SNAPPY,
        "zstd" => Compression::ZSTD(ZstdLevel::default()),
        "lz4" => Compression::LZ4_RAW,
        "gzip" => Compression::GZIP(GzipLevel::default()),
        _ => return None,
    })
}

fn write_error(e: parquet::errors::ParquetError) -> QueryError {
    QueryError::new(
        ErrorCode::LogicalError,
        format!("Cannot write Parquet output: {e}"),
    )
}

/// Appends `out` as a Parquet file.
pub fn write_parquet(
    out: &QueryOutput,
    settings: &OutputSettings,
    buf: &mut Vec<u8>,
) -> Result<()> {
    let opts = ExportOptions {
        string_as_string: settings.parquet_string_as_string,
        low_cardinality_as_dictionary: false,
        parquet: true,
    };
    let (schema, batches) = export(out, opts)?;
    let props = WriterProperties::builder()
        .set_compression(settings.parquet_compression)
        .set_max_row_group_row_count(Some(settings.parquet_row_group_size.max(1)))
        .set_coerce_types(true)
        .set_created_by(format!("Granary {}", env!("CARGO_PKG_VERSION")))
        .build();
    let options = ArrowWriterOptions::new()
        .with_properties(props)
        .with_skip_arrow_metadata(true);
    let mut w = ArrowWriter::try_new_with_options(buf, schema, options).map_err(write_error)?;
    for b in &batches {
        w.write(b).map_err(write_error)?;
    }
    w.close().map_err(write_error)?;
    Ok(())
}
