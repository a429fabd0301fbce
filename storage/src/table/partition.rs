//! Splitting an insert batch by partition, and partition ids.

use std::collections::HashMap;

use arrow::array::{ArrayRef, UInt32Array};
use arrow::record_batch::RecordBatch;

use crate::error::Result;
use crate::schema::TableSchema;
use crate::value::Value;

/// The partition id ClickHouse-style: `all` without a partition key; the number itself for
/// one integer value; otherwise a hash of the values.
pub fn partition_id(values: &[Value]) -> String {
    match values {
        [] => "all".to_string(),
        [Value::UInt(v)] => v.to_string(),
        [Value::Int(v)] if *v >= 0 => v.to_string(),
        vs => {
            let text: Vec<String> = vs.iter().map(|v| v.id_fragment()).collect();
            format!(
                "{:032x}",
                xxhash_rust::xxh3::xxh3_128(text.join("\u{1}").as_bytes())
            )
        }
    }
}

/// Splits `batch` into one batch per partition, each with its partition values, ordered by
/// partition value.
pub fn split_by_partition(
    schema: &TableSchema,
    batch: &RecordBatch,
) -> Result<Vec<(Vec<Value>, RecordBatch)>> {
    let Some(expr) = &schema.partition_by else {
        return Ok(vec![(Vec::new(), batch.clone())]);
    };
    let types = |c: &str| schema.column(c).ok().map(|c| c.data_type.clone());
    let keys: Vec<ArrayRef> = expr.evaluate(batch, &types)?;
    if batch.num_rows() == 0 {
        return Ok(Vec::new());
    }
    let fields = keys
        .iter()
        .map(|k| arrow::row::SortField::new(k.data_type().clone()))
        .collect();
    let conv = arrow::row::RowConverter::new(fields)?;
    let rows = conv.convert_columns(&keys)?;
    let mut groups: HashMap<&[u8], usize> = HashMap::new();
    let mut members: Vec<Vec<u32>> = Vec::new();
    for i in 0..batch.num_rows() {
        let g = *groups.entry(rows.row(i).data()).or_insert_with(|| {
            members.push(Vec::new());
            members.len() - 1
        });
        members[g].push(i as u32);
    }
    members.sort_by(|a, b| rows.row(a[0] as usize).cmp(&rows.row(b[0] as usize)));
    if members.len() == 1 {
        let values = keys
            .iter()
            .map(|k| Value::from_array(k.as_ref(), 0).unwrap_or(Value::Null))
            .collect();
        return Ok(vec![(values, batch.clone())]);
    }
    members
        .into_iter()
        .map(|rows| {
            let first = rows[0] as usize;
            let values = keys
                .iter()
                .map(|k| Value::from_array(k.as_ref(), first).unwrap_or(Value::Null))
                .collect();
            let idx = UInt32Array::from(rows);
            let cols = batch
                .columns()
                .iter()
                .map(|c| arrow::compute::take(c.as_ref(), &idx, None))
                .collect::<std::result::Result<Vec<_>, _>>()?;
            Ok((values, RecordBatch::try_new(batch.schema(), cols)?))
        })
        .collect()
}
