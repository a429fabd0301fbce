//! A batch of Kafka messages turned into one block: the table's columns parsed from the
//! payloads in the table's format, then the virtual columns from each message's metadata.
//!
//! Fast path: the payloads are joined with newlines and parsed at once; when that yields
//! one row per message, rows map to messages one to one. Otherwise (a broken message, a
//! message with several rows or none) every message is parsed on its own, so broken ones
//! are known: skipped within `kafka_skip_broken_messages`, or in stream mode delivered as
//! a row of defaults with `_raw_message` and `_error`.

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

/// One consumed message, owned.
#[derive(Clone, Debug, Default)]
pub struct MessageRecord {
    /// The topic.
    pub topic: String,
    /// The partition.
    pub partition: i32,
    /// The offset.
    pub offset: i64,
    /// The message timestamp in milliseconds, if it has one.
    pub timestamp_ms: Option<i64>,
    /// The key.
    pub key: Option<Vec<u8>>,
    /// The payload (empty for none).
    pub payload: Vec<u8>,
    /// The headers, as (name, value).
    pub headers: Vec<(String, Vec<u8>)>,
}

/// Messages collected for one block.
#[derive(Debug, Default)]
pub struct Batch {
    /// The messages, in arrival order.
    pub messages: Vec<MessageRecord>,
}

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

impl Batch {
    /// Builds the block of this batch for `table`.
    pub fn to_block(&self, table: &ExternalTable, settings: &KafkaSettings) -> Result<Block> {
        let own: Vec<(String, DataType)> = table
            .columns
            .iter()
            .map(|c| (c.name.clone(), c.data_type.clone()))
            .collect();
        let input = InputSettings::default();
        // (per own column, the arrays of the pieces), and per row the message index and
        // the broken message's error, if any.
        let mut pieces: Vec<Vec<ArrayRef>> = vec![Vec::new(); own.len()];
        let mut row_message: Vec<usize> = Vec::new();
        let mut row_error: Vec<Option<String>> = Vec::new();
        let mut skipped = 0u64;
        let fast = if joinable(&settings.format) && !self.messages.is_empty() {
            let mut data = Vec::new();
            for m in &self.messages {
                data.extend_from_slice(&m.payload);
                data.push(b'\n');
            }
            parse_input_detailed(&settings.format, &data, &own, &input)
                .ok()
                .filter(|p| p.rows == self.messages.len() && p.skipped == 0)
        } else {
            None
        };
        if let Some(parsed) = fast {
            for (i, c) in parsed.columns.into_iter().enumerate() {
                pieces[i].push(c.array);
            }
            row_message.extend(0..self.messages.len());
            row_error.resize(self.messages.len(), None);
        } else {
            for (mi, m) in self.messages.iter().enumerate() {
                match parse_input_detailed(&settings.format, &m.payload, &own, &input) {
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
                                        m.topic,
                                        m.partition,
                                        m.offset,
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
            let refs: Vec<&dyn Array> = pieces[i].iter().map(|a| a.as_ref()).collect();
            arrays.push(if refs.is_empty() {
                type_default(ty, 0)?
            } else {
                arrow::compute::concat(&refs)?
            });
        }
        arrays.extend(self.virtual_columns(&row_message, &row_error, settings)?);
        let columns = external_columns(table);
        let fixed = arrays
            .into_iter()
            .zip(&columns)
            .map(|(a, (_, ty))| to_carrier(a, ty))
            .collect::<Result<Vec<_>>>()?;
        let opts = RecordBatchOptions::new().with_row_count(Some(rows));
        let batch = RecordBatch::try_new_with_options(block_schema(&columns), fixed, &opts)?;
        Ok(Block { batch, skipped })
    }

    /// The virtual columns, one row per entry of `row_message`.
    fn virtual_columns(
        &self,
        row_message: &[usize],
        row_error: &[Option<String>],
        settings: &KafkaSettings,
    ) -> Result<Vec<ArrayRef>> {
        let msgs: Vec<&MessageRecord> = row_message.iter().map(|&i| &self.messages[i]).collect();
        let mut topic = BinaryBuilder::new();
        let mut key = BinaryBuilder::new();
        let mut ts = UInt32Builder::new();
        let mut ts_ms = Int64Builder::new();
        let mut names = ListBuilder::new(BinaryBuilder::new());
        let mut values = ListBuilder::new(BinaryBuilder::new());
        for m in &msgs {
            topic.append_value(m.topic.as_bytes());
            key.append_value(m.key.as_deref().unwrap_or_default());
            match m.timestamp_ms {
                Some(t) if t >= 0 => {
                    ts.append_value((t / 1000).min(u32::MAX as i64) as u32);
                    ts_ms.append_value(t);
                }
                _ => {
                    ts.append_null();
                    ts_ms.append_null();
                }
            }
            for (n, v) in &m.headers {
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
                msgs.iter().map(|m| m.offset.max(0) as u64),
            )),
            Arc::new(UInt64Array::from_iter_values(
                msgs.iter().map(|m| m.partition.max(0) as u64),
            )),
            Arc::new(ts.finish()),
            Arc::new(ts_ms.finish()),
            Arc::new(names.finish()),
            Arc::new(values.finish()),
        ];
        if settings.handle_error_mode == ErrorMode::Stream {
            let mut raw = BinaryBuilder::new();
            let mut error = BinaryBuilder::new();
            for (m, e) in msgs.iter().zip(row_error) {
                match e {
                    Some(e) => {
                        raw.append_value(&m.payload);
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
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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

    fn msg(offset: i64, payload: &str) -> MessageRecord {
        MessageRecord {
            topic: "t".into(),
            partition: 2,
            offset,
            timestamp_ms: Some(1_700_000_000_123),
            key: Some(b"k".to_vec()),
            payload: payload.as_bytes().to_vec(),
            headers: vec![("h".into(), b"v".to_vec())],
        }
    }

    #[test]
    fn fast_path_broken_skipped_and_stream_mode() {
        let t = table("default");
        let s = KafkaSettings::from_table(&t).unwrap();
        let b = Batch {
            messages: vec![msg(5, r#"{"id":1,"s":"a"}"#), msg(6, r#"{"id":2}"#)],
        };
        let block = b.to_block(&t, &s).unwrap();
        assert_eq!(block.batch.num_rows(), 2);
        assert_eq!(block.batch.num_columns(), 2 + 8);
        let b = Batch {
            messages: vec![
                msg(5, r#"{"id":1}"#),
                msg(6, "not json"),
                msg(7, r#"{"id":3}"#),
            ],
        };
        let block = b.to_block(&t, &s).unwrap();
        assert_eq!((block.batch.num_rows(), block.skipped), (2, 1));
        let b = Batch {
            messages: vec![msg(5, "bad"), msg(6, "worse")],
        };
        assert_eq!(b.to_block(&t, &s).err().map(|e| e.code()), Some(117));
        let t = table("stream");
        let s = KafkaSettings::from_table(&t).unwrap();
        let block = b.to_block(&t, &s).unwrap();
        assert_eq!(block.batch.num_rows(), 2);
        assert_eq!(block.batch.num_columns(), 2 + 10);
    }
}
