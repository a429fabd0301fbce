//! A batch of Kafka messages turned into one block: the table's columns parsed from the
//! payloads in the table's format, then the virtual columns from each message's metadata.
//!
//! Fast path: for a newline-separated format whose messages are one line each, the
//! batch's payload buffer is parsed at once; when that yields one row per message, rows
//! map to messages one to one. Otherwise (a broken message, a message with several rows
//! or none) every message is parsed on its own, so broken ones are known: skipped within
//! `kafka_skip_broken_messages`, or in stream mode delivered as a row of defaults with
//! `_raw_message` and `_error`.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, BinaryBuilder, Int64Builder, ListBuilder, UInt32Builder, UInt64Array,
};
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
use granary_query::columnar::type_default;
use granary_query::error::{ErrorCode, QueryError, Result};
use granary_query::format::input::{parse_input_detailed, InputSettings};
use granary_query::kafka_settings::{ErrorMode, KafkaSettings};
use granary_query::plan::stream::{block_schema, external_columns};
use granary_query::session::to_carrier;
use granary_storage::types::DataType;
use granary_storage::view::ExternalTable;

use super::batch::Batch;

/// A block built from a batch.
pub struct Block {
    /// The rows: the table's columns, then the virtual ones.
    pub batch: RecordBatch,
    /// Broken messages skipped (default mode).
    pub skipped: u64,
}

/// Formats whose rows are separated by newlines, so payloads can be joined and parsed at
/// once.
fn joinable(format: &str) -> bool {
    !matches!(
        format,
        "RowBinary" | "RowBinaryWithNames" | "RowBinaryWithNamesAndTypes" | "Native"
    )
}

/// Builds the block of `batch` for `table`.
pub fn to_block(batch: &Batch, table: &ExternalTable, settings: &KafkaSettings) -> Result<Block> {
    let own: Vec<(String, DataType)> = table
        .columns
        .iter()
        .map(|c| (c.name.clone(), c.data_type.clone()))
        .collect();
    let input = InputSettings::default();
    // Per own column, the arrays of the pieces; per row the message index and the broken
    // message's error, if any.
    let mut pieces: Vec<Vec<ArrayRef>> = vec![Vec::new(); own.len()];
    let mut row_message: Vec<usize> = Vec::new();
    let mut row_error: Vec<Option<String>> = Vec::new();
    let mut skipped = 0u64;
    let fast = match batch.joined_payloads() {
        Some(data) if joinable(&settings.format) && !batch.is_empty() => {
            parse_input_detailed(&settings.format, data, &own, &input)
                .ok()
                .filter(|p| p.rows == batch.len() && p.skipped == 0)
        }
        _ => None,
    };
    if let Some(parsed) = fast {
        for (i, c) in parsed.columns.into_iter().enumerate() {
            pieces[i].push(c.array);
        }
        row_message.extend(0..batch.len());
        row_error.resize(batch.len(), None);
    } else {
        for mi in 0..batch.len() {
            match parse_input_detailed(&settings.format, batch.payload(mi), &own, &input) {
                Ok(p) => {
                    for (i, c) in p.columns.into_iter().enumerate() {
                        pieces[i].push(c.array);
                    }
                    row_message.extend(std::iter::repeat_n(mi, p.rows));
                    row_error.extend(std::iter::repeat_n(None, p.rows));
                }
                Err(e) => match settings.handle_error_mode {
                    ErrorMode::Stream => {
                        for (i, (_, ty)) in own.iter().enumerate() {
                            pieces[i].push(type_default(ty, 1)?);
                        }
                        row_message.push(mi);
                        row_error.push(Some(e.message().to_string()));
                    }
                    ErrorMode::Default => {
                        skipped += 1;
                        if skipped > settings.skip_broken_messages {
                            return Err(QueryError::new(
                                ErrorCode::IncorrectData,
                                format!(
                                    "{} broken messages in a batch, more than kafka_skip_broken_messages = {}; first at topic {} partition {} offset {}: {}",
                                    skipped,
                                    settings.skip_broken_messages,
                                    batch.topic(mi),
                                    batch.partition(mi),
                                    batch.offset(mi),
                                    e.message()
                                ),
                            ));
                        }
                    }
                },
            }
        }
    }
    let rows = row_message.len();
    let mut arrays = Vec::new();
    for (i, (_, ty)) in own.iter().enumerate() {
        arrays.push(match pieces[i].as_slice() {
            [] => type_default(ty, 0)?,
            [one] => one.clone(),
            many => {
                let refs: Vec<&dyn Array> = many.iter().map(|a| a.as_ref()).collect();
                arrow::compute::concat(&refs)?
            }
        });
    }
    arrays.extend(virtual_columns(batch, &row_message, &row_error, settings));
    let columns = external_columns(table);
    let fixed = arrays
        .into_iter()
        .zip(&columns)
        .map(|(a, (_, ty))| to_carrier(a, ty))
        .collect::<Result<Vec<_>>>()?;
    let opts = RecordBatchOptions::new().with_row_count(Some(rows));
    let block = RecordBatch::try_new_with_options(block_schema(&columns), fixed, &opts)?;
    Ok(Block {
        batch: block,
        skipped,
    })
}

/// The virtual columns, one row per entry of `row_message`.
fn virtual_columns(
    batch: &Batch,
    row_message: &[usize],
    row_error: &[Option<String>],
    settings: &KafkaSettings,
) -> Vec<ArrayRef> {
    let rows = row_message.len();
    let mut topic = BinaryBuilder::with_capacity(rows, rows * 8);
    let mut key = BinaryBuilder::with_capacity(rows, 0);
    let mut ts = UInt32Builder::with_capacity(rows);
    let mut ts_ms = Int64Builder::with_capacity(rows);
    let mut names = ListBuilder::new(BinaryBuilder::new());
    let mut values = ListBuilder::new(BinaryBuilder::new());
    for &i in row_message {
        topic.append_value(batch.topic(i).as_bytes());
        key.append_value(batch.key(i));
        match batch.timestamp_ms(i) {
            Some(t) if t >= 0 => {
                ts.append_value((t / 1000).min(u32::MAX as i64) as u32);
                ts_ms.append_value(t);
            }
            _ => {
                ts.append_null();
                ts_ms.append_null();
            }
        }
        for (n, v) in batch.headers(i) {
            names.values().append_value(n.as_bytes());
            values.values().append_value(v);
        }
        names.append(true);
        values.append(true);
    }
    let mut out: Vec<ArrayRef> = vec![
        Arc::new(topic.finish()),
        Arc::new(key.finish()),
        Arc::new(UInt64Array::from_iter_values(
            row_message.iter().map(|&i| batch.offset(i).max(0) as u64),
        )),
        Arc::new(UInt64Array::from_iter_values(
            row_message
                .iter()
                .map(|&i| batch.partition(i).max(0) as u64),
        )),
        Arc::new(ts.finish()),
        Arc::new(ts_ms.finish()),
        Arc::new(names.finish()),
        Arc::new(values.finish()),
    ];
    if settings.handle_error_mode == ErrorMode::Stream {
        let mut raw = BinaryBuilder::new();
        let mut error = BinaryBuilder::new();
        for (&i, e) in row_message.iter().zip(row_error) {
            match e {
                Some(e) => {
                    raw.append_value(batch.payload(i));
                    error.append_value(e.as_bytes());
                }
                None => {
                    raw.append_value(b"");
                    error.append_value(b"");
                }
            }
        }
        out.push(Arc::new(raw.finish()));
        out.push(Arc::new(error.finish()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::batch::MessageRecord;
    use granary_storage::schema::ColumnDef;

    fn table(mode: &str) -> ExternalTable {
        ExternalTable {
            engine: "Kafka".into(),
            engine_args: vec!["b".into(), "t".into(), "g".into(), "JSONEachRow".into()],
            settings: vec![
                ("kafka_handle_error_mode".into(), mode.into()),
                ("kafka_skip_broken_messages".into(), "1".into()),
            ],
            columns: vec![
                ColumnDef::new("id", DataType::UInt64),
                ColumnDef::new("s", DataType::String),
            ],
            create_query: String::new(),
        }
    }

    fn batch(messages: &[(i64, &str)]) -> Batch {
        let mut b = Batch::default();
        for (offset, payload) in messages {
            b.push(&MessageRecord {
                topic: "t",
                partition: 2,
                offset: *offset,
                timestamp_ms: Some(1_700_000_000_123),
                key: b"k",
                payload: payload.as_bytes(),
                headers: vec![("h", b"v")],
            });
        }
        b
    }

    #[test]
    fn fast_path_broken_skipped_and_stream_mode() {
        let t = table("default");
        let s = KafkaSettings::from_table(&t).unwrap();
        let b = batch(&[(5, r#"{"id":1,"s":"a"}"#), (6, r#"{"id":2}"#)]);
        let block = to_block(&b, &t, &s).unwrap();
        assert_eq!(block.batch.num_rows(), 2);
        assert_eq!(block.batch.num_columns(), 2 + 8);
        let b = batch(&[(5, r#"{"id":1}"#), (6, "not json"), (7, r#"{"id":3}"#)]);
        let block = to_block(&b, &t, &s).unwrap();
        assert_eq!((block.batch.num_rows(), block.skipped), (2, 1));
        let b = batch(&[(5, "bad"), (6, "worse")]);
        assert_eq!(to_block(&b, &t, &s).err().map(|e| e.code()), Some(117));
        let t = table("stream");
        let s = KafkaSettings::from_table(&t).unwrap();
        let block = to_block(&b, &t, &s).unwrap();
        assert_eq!(block.batch.num_rows(), 2);
        assert_eq!(block.batch.num_columns(), 2 + 10);
    }

    #[test]
    fn batch_offsets_and_removal() {
        let mut b = batch(&[(5, "{}"), (6, "{}\n{}"), (7, "")]);
        assert!(b.joined_payloads().is_none());
        assert_eq!(b.payload(1), b"{}\n{}");
        assert_eq!(b.headers(2).collect::<Vec<_>>(), [("h", &b"v"[..])]);
        assert_eq!(b.next_offsets().get(&("t".to_string(), 2)), Some(&8));
        let gone = [("t".to_string(), 2)].into_iter().collect();
        b.remove_partitions(&gone);
        assert!(b.is_empty());
        let b = batch(&[(1, "{}"), (2, "{}")]);
        assert_eq!(b.joined_payloads(), Some(&b"{}\n{}\n"[..]));
    }
}
