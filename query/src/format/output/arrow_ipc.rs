//! `FORMAT Arrow` (the IPC file format, `ARROW1` magic) and `FORMAT ArrowStream` (the IPC
//! stream format), as ClickHouse writes them: one schema, the result's batches, an
//! end-of-stream marker.

use arrow::ipc::writer::{FileWriter, IpcWriteOptions, StreamWriter};
use arrow::ipc::CompressionType;

use super::arrow_export::{export, ExportOptions};
use super::OutputSettings;
use crate::error::{ErrorCode, QueryError, Result};
use crate::session::QueryOutput;

/// `output_format_arrow_compression_method`: how record batch bodies are compressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArrowCompression {
    /// `none`.
    None,
    /// `lz4_frame` (ClickHouse's default).
    Lz4Frame,
    /// `zstd`.
    Zstd,
}

impl ArrowCompression {
    /// Parses the setting's value.
    pub fn parse(v: &str) -> Option<ArrowCompression> {
        Some(match v.to_ascii_lowercase().as_str() {
            "none" => ArrowCompression::None,
            "lz4_frame" | "lz4" => ArrowCompression::Lz4Frame,
            "zstd" => ArrowCompression::Zstd,
            _ => return None,
        })
    }
}

fn ipc_options(settings: &OutputSettings) -> Result<IpcWriteOptions> {
    let compression = match settings.arrow_compression {
        ArrowCompression::None => None,
        ArrowCompression::Lz4Frame => Some(CompressionType::LZ4_FRAME),
        ArrowCompression::Zstd => Some(CompressionType::ZSTD),
    };
    Ok(IpcWriteOptions::default().try_with_compression(compression)?)
}

fn export_options(settings: &OutputSettings) -> ExportOptions {
    ExportOptions {
        string_as_string: settings.arrow_string_as_string,
        low_cardinality_as_dictionary: settings.arrow_low_cardinality_as_dictionary,
        parquet: false,
    }
}

fn write_error(e: arrow::error::ArrowError) -> QueryError {
    QueryError::new(
        ErrorCode::LogicalError,
        format!("Cannot write Arrow output: {e}"),
    )
}

/// Appends `out` as an Arrow IPC file (`stream` false) or stream (`stream` true).
pub fn write_arrow(
    out: &QueryOutput,
    stream: bool,
    settings: &OutputSettings,
    buf: &mut Vec<u8>,
) -> Result<()> {
    let (schema, batches) = export(out, export_options(settings))?;
    let options = ipc_options(settings)?;
    if stream {
        let mut w =
            StreamWriter::try_new_with_options(buf, &schema, options).map_err(write_error)?;
        for b in &batches {
            w.write(b).map_err(write_error)?;
        }
        w.finish().map_err(write_error)?;
    } else {
        let mut w = FileWriter::try_new_with_options(buf, &schema, options).map_err(write_error)?;
        for b in &batches {
            w.write(b).map_err(write_error)?;
        }
        w.finish().map_err(write_error)?;
    }
    Ok(())
}
