//! Encoding a slice of an Arrow array (one granule of a column) into the uncompressed
//! buffers of the column's substreams, following its [`Node`] layout.

use std::collections::HashMap;

use arrow::array::{Array, AsArray};
use arrow::datatypes::{self as adt, DataType as ArrowType};

use super::layout::{FixedConv, Node};
use crate::error::{Result, StorageError};

/// The values of one `LowCardinality` dictionary being built while a part is written.
#[derive(Default, Debug)]
pub struct DictBuilder {
    ids: HashMap<Vec<u8>, u32>,
    /// Dictionary values in id order.
    pub values: Vec<Vec<u8>>,
}

impl DictBuilder {
    fn id_of(&mut self, v: &[u8]) -> Result<u32> {
        if let Some(id) = self.ids.get(v) {
            return Ok(*id);
        }
        let id = u32::try_from(self.values.len()).map_err(|_| {
            StorageError::BadArguments("LowCardinality dictionary exceeds 2^32 values".into())
        })?;
        self.ids.insert(v.to_vec(), id);
        self.values.push(v.to_vec());
        Ok(id)
    }
}

fn mismatch(node: &Node, array: &dyn Array) -> StorageError {
    StorageError::TypeMismatch(format!(
        "Cannot write an Arrow array of type {} into a column laid out as {node:?}",
        array.data_type()
    ))
}

/// The byte at `i` of `bytes`-like variable values: yields each value's bytes.
fn for_each_bytes(
    array: &dyn Array,
    mut f: impl FnMut(usize, &[u8]) -> Result<()>,
) -> Result<bool> {
    match array.data_type() {
        ArrowType::Binary => {
            let a = array.as_binary::<i32>();
            for i in 0..a.len() {
                f(i, a.value(i))?;
            }
        }
        ArrowType::Utf8 => {
            let a = array.as_string::<i32>();
            for i in 0..a.len() {
                f(i, a.value(i).as_bytes())?;
            }
        }
        ArrowType::FixedSizeBinary(_) => {
            let a = array.as_fixed_size_binary();
            for i in 0..a.len() {
                f(i, a.value(i))?;
            }
        }
        _ => return Ok(false),
    }
    Ok(true)
}

/// Appends the encoding of all of `array` to the substream buffers `bufs`.
pub fn encode(
    node: &Node,
    array: &dyn Array,
    bufs: &mut [Vec<u8>],
    dicts: &mut [DictBuilder],
) -> Result<()> {
    match node {
        Node::Fixed {
            stream,
            width,
            conv,
        } => {
            let out = &mut bufs[*stream];
            match conv {
                FixedConv::NarrowDecimal => {
                    let a = array
                        .as_primitive_opt::<adt::Decimal128Type>()
                        .ok_or_else(|| mismatch(node, array))?;
                    out.reserve(a.len() * width);
                    for v in a.values().iter() {
                        if *width == 4 {
                            out.extend_from_slice(&(*v as i32).to_le_bytes());
                        } else {
                            out.extend_from_slice(&(*v as i64).to_le_bytes());
                        }
                    }
                }
                FixedConv::Plain => {
                    let data = array.to_data();
                    let ok = match data.data_type() {
                        ArrowType::FixedSizeBinary(n) => *n as usize == *width,
                        t => t.primitive_width() == Some(*width),
                    };
                    if !ok || data.buffers().is_empty() {
                        return Err(mismatch(node, array));
                    }
                    let start = data.offset() * width;
                    let bytes = &data.buffers()[0].as_slice()[start..start + data.len() * width];
                    out.extend_from_slice(bytes);
                }
            }
        }
        Node::Bool { stream } => {
            let a = array
                .as_boolean_opt()
                .ok_or_else(|| mismatch(node, array))?;
            let out = &mut bufs[*stream];
            out.reserve(a.len());
            out.extend(a.values().iter().map(|b| b as u8));
        }
        Node::Str { stream } => {
            let out = &mut bufs[*stream];
            let (start, end, offsets): (usize, usize, Vec<i64>) = match array.data_type() {
                ArrowType::Binary => {
                    let a = array.as_binary::<i32>();
                    let o = a.value_offsets();
                    (
                        o[0] as usize,
                        o[o.len() - 1] as usize,
                        o.iter().map(|x| *x as i64).collect(),
                    )
                }
                ArrowType::Utf8 => {
                    let a = array.as_string::<i32>();
                    let o = a.value_offsets();
                    (
                        o[0] as usize,
                        o[o.len() - 1] as usize,
                        o.iter().map(|x| *x as i64).collect(),
                    )
                }
                _ => return Err(mismatch(node, array)),
            };
            out.reserve(offsets.len() * 4 + (end - start));
            for w in offsets.windows(2) {
                out.extend_from_slice(&((w[1] - w[0]) as u32).to_le_bytes());
            }
            let values = match array.data_type() {
                ArrowType::Binary => array.as_binary::<i32>().value_data(),
                _ => array.as_string::<i32>().value_data(),
            };
            out.extend_from_slice(&values[start..end]);
        }
        Node::LowCard {
            stream,
            null_stream,
            dict,
            ..
        } => {
            if let Some(ns) = null_stream {
                write_null_map(array, &mut bufs[*ns]);
            }
            let builder = &mut dicts[*dict];
            let mut keys: Vec<u32> = Vec::with_capacity(array.len());
            if let ArrowType::Dictionary(..) = array.data_type() {
                let d = array.as_any_dictionary();
                let values = d.values();
                let mut remap = Vec::with_capacity(values.len());
                let handled = for_each_bytes(values.as_ref(), |_, v| {
                    remap.push(builder.id_of(v)?);
                    Ok(())
                })?;
                if !handled {
                    return Err(mismatch(node, array));
                }
                if remap.is_empty() {
                    // An empty dictionary: every row is NULL (Arrow's normalized_keys
                    // would panic here).
                    keys.resize(array.len(), 0);
                } else {
                    for k in d.normalized_keys() {
                        // Keys of NULL slots may be anything; clamp to a valid id.
                        keys.push(remap.get(k).copied().unwrap_or(0));
                    }
                }
            } else {
                let handled = for_each_bytes(array, |_, v| {
                    keys.push(builder.id_of(v)?);
                    Ok(())
                })?;
                if !handled {
                    return Err(mismatch(node, array));
                }
            }
            let out = &mut bufs[*stream];
            out.reserve(keys.len() * 4);
            for k in keys {
                out.extend_from_slice(&k.to_le_bytes());
            }
        }
        Node::Nullable { null_stream, inner } => {
            write_null_map(array, &mut bufs[*null_stream]);
            encode(inner, array, bufs, dicts)?;
        }
        Node::Array { size_stream, inner } => {
            let a = array
                .as_list_opt::<i32>()
                .ok_or_else(|| mismatch(node, array))?;
            let o = a.value_offsets();
            write_sizes(o, &mut bufs[*size_stream]);
            let (start, end) = (o[0] as usize, o[o.len() - 1] as usize);
            let values = a.values().slice(start, end - start);
            encode(inner, values.as_ref(), bufs, dicts)?;
        }
        Node::Map {
            size_stream,
            keys,
            values,
        } => {
            let a = array.as_map_opt().ok_or_else(|| mismatch(node, array))?;
            let o = a.value_offsets();
            write_sizes(o, &mut bufs[*size_stream]);
            let (start, end) = (o[0] as usize, o[o.len() - 1] as usize);
            encode(
                keys,
                a.keys().slice(start, end - start).as_ref(),
                bufs,
                dicts,
            )?;
            encode(
                values,
                a.values().slice(start, end - start).as_ref(),
                bufs,
                dicts,
            )?;
        }
    }
    Ok(())
}

fn write_null_map(array: &dyn Array, out: &mut Vec<u8>) {
    out.reserve(array.len());
    match array.logical_nulls() {
        Some(n) => out.extend(n.iter().map(|valid| (!valid) as u8)),
        None => out.resize(out.len() + array.len(), 0),
    }
}

fn write_sizes(offsets: &[i32], out: &mut Vec<u8>) {
    out.reserve(offsets.len() * 4);
    for w in offsets.windows(2) {
        out.extend_from_slice(&((w[1] - w[0]) as u32).to_le_bytes());
    }
}

/// Encodes dictionary values the way a `Str` (width 0) or `FixedString` stream holds them.
pub fn encode_dict_values(values: &[Vec<u8>], value_width: usize, out: &mut Vec<u8>) {
    out.extend_from_slice(&(values.len() as u64).to_le_bytes());
    if value_width == 0 {
        for v in values {
            out.extend_from_slice(&(v.len() as u32).to_le_bytes());
        }
    }
    for v in values {
        out.extend_from_slice(v);
    }
}
