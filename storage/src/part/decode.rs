//! Decoding granules of a column from its substreams back into Arrow arrays.

use std::sync::Arc;

use arrow::array::{
    make_array, Array, ArrayData, ArrayRef, BinaryArray, Decimal128Array, DictionaryArray,
    FixedSizeBinaryArray, Int32Array,
};
use arrow::buffer::{Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow::datatypes::{DataType as ArrowType, Int32Type};

use super::layout::{FixedConv, Node};
use crate::codec;
use crate::error::{Result, StorageError};
use crate::types::DataType;

/// A reading position in one substream file: the current decompressed block and an offset
/// in it. Blocks are decompressed lazily, so seeking to a mark that reads no bytes is free.
pub struct StreamCursor<'a> {
    file: &'a [u8],
    name: String,
    block_offset: Option<usize>,
    block_size: usize,
    block: Vec<u8>,
    target: (usize, usize),
    pos: usize,
}

impl<'a> StreamCursor<'a> {
    /// A cursor over `file` (the bytes of a `.bin` file); `name` is used in errors.
    pub fn new(file: &'a [u8], name: String) -> StreamCursor<'a> {
        StreamCursor {
            file,
            name,
            block_offset: None,
            block_size: 0,
            block: Vec::new(),
            target: (0, 0),
            pos: 0,
        }
    }

    /// Positions the cursor at a mark: a block's offset in the file and an offset inside
    /// the decompressed block.
    pub fn seek(&mut self, block_offset: u64, in_block: u64) {
        let (b, i) = (block_offset as usize, in_block as usize);
        if self.block_offset == Some(b) {
            self.pos = i;
        } else {
            self.target = (b, i);
            self.block_offset = None;
        }
    }

    fn load(&mut self, offset: usize) -> Result<()> {
        let input = self
            .file
            .get(offset..)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                StorageError::CorruptedData(format!(
                    "Unexpected end of file {} at offset {offset}",
                    self.name
                ))
            })?;
        self.block.clear();
        self.block_size = codec::decompress_block(input, &mut self.block)
            .map_err(|e| e.context(format!("file {} block at offset {offset}", self.name)))?;
        self.block_offset = Some(offset);
        Ok(())
    }

    /// The next `n` bytes of the stream.
    pub fn take(&mut self, n: usize) -> Result<&[u8]> {
        if n == 0 {
            return Ok(&[]);
        }
        match self.block_offset {
            None => {
                let (b, i) = self.target;
                self.load(b)?;
                self.pos = i;
            }
            Some(off) if self.pos >= self.block.len() => {
                self.load(off + self.block_size)?;
                self.pos = 0;
            }
            Some(_) => {}
        }
        let end = self
            .pos
            .checked_add(n)
            .filter(|e| *e <= self.block.len())
            .ok_or_else(|| {
                StorageError::CorruptedData(format!(
                    "A granule of file {} crosses the end of its block ({} bytes at {} of {})",
                    self.name,
                    n,
                    self.pos,
                    self.block.len()
                ))
            })?;
        let s = &self.block[self.pos..end];
        self.pos = end;
        Ok(s)
    }
}

/// Values decoded so far for one column, mirroring its [`Node`] layout.
#[derive(Debug)]
pub enum Acc {
    /// Raw little-endian values.
    Fixed(Vec<u8>),
    /// One byte per value.
    Bool(Vec<u8>),
    /// Offsets (starting with 0) and bytes.
    Str(Vec<i32>, Vec<u8>),
    /// Dictionary keys and an optional null map.
    LowCard(Vec<i32>, Option<Vec<u8>>),
    /// Null map and inner values.
    Nullable(Vec<u8>, Box<Acc>),
    /// Offsets (starting with 0) and elements.
    Array(Vec<i32>, Box<Acc>),
    /// Offsets (starting with 0), keys and values.
    Map(Vec<i32>, Box<Acc>, Box<Acc>),
}

impl Acc {
    /// An empty accumulator for `node`.
    pub fn new(node: &Node) -> Acc {
        match node {
            Node::Fixed { .. } => Acc::Fixed(Vec::new()),
            Node::Bool { .. } => Acc::Bool(Vec::new()),
            Node::Str { .. } => Acc::Str(vec![0], Vec::new()),
            Node::LowCard { null_stream, .. } => {
                Acc::LowCard(Vec::new(), null_stream.map(|_| Vec::new()))
            }
            Node::Nullable { inner, .. } => Acc::Nullable(Vec::new(), Box::new(Acc::new(inner))),
            Node::Array { inner, .. } => Acc::Array(vec![0], Box::new(Acc::new(inner))),
            Node::Map { keys, values, .. } => Acc::Map(
                vec![0],
                Box::new(Acc::new(keys)),
                Box::new(Acc::new(values)),
            ),
        }
    }
}

fn corrupt(what: &str) -> StorageError {
    StorageError::CorruptedData(what.to_string())
}

fn u32s(bytes: &[u8]) -> impl Iterator<Item = u32> + '_ {
    bytes
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
}

fn push_sizes(offsets: &mut Vec<i32>, bytes: &[u8]) -> Result<usize> {
    let mut last = *offsets.last().unwrap_or(&0) as i64;
    let first = last;
    for s in u32s(bytes) {
        last += s as i64;
        if last > i32::MAX as i64 {
            return Err(corrupt("more than 2^31 values read at once"));
        }
        offsets.push(last as i32);
    }
    Ok((last - first) as usize)
}

/// Decodes `count` values of `node` from the cursors into `acc`.
pub fn decode(
    node: &Node,
    cursors: &mut [StreamCursor<'_>],
    count: usize,
    acc: &mut Acc,
) -> Result<()> {
    match (node, acc) {
        (Node::Fixed { stream, width, .. }, Acc::Fixed(out)) => {
            out.extend_from_slice(cursors[*stream].take(count * width)?);
        }
        (Node::Bool { stream }, Acc::Bool(out)) => {
            out.extend_from_slice(cursors[*stream].take(count)?);
        }
        (Node::Str { stream }, Acc::Str(offsets, data)) => {
            let c = &mut cursors[*stream];
            let total = push_sizes(offsets, c.take(count * 4)?)?;
            data.extend_from_slice(c.take(total)?);
        }
        (
            Node::LowCard {
                stream,
                null_stream,
                ..
            },
            Acc::LowCard(keys, nulls),
        ) => {
            if let (Some(ns), Some(nulls)) = (null_stream, nulls.as_mut()) {
                nulls.extend_from_slice(cursors[*ns].take(count)?);
            }
            let bytes = cursors[*stream].take(count * 4)?;
            keys.extend(u32s(bytes).map(|k| k.min(i32::MAX as u32) as i32));
        }
        (Node::Nullable { null_stream, inner }, Acc::Nullable(nulls, inner_acc)) => {
            nulls.extend_from_slice(cursors[*null_stream].take(count)?);
            decode(inner, cursors, count, inner_acc)?;
        }
        (Node::Array { size_stream, inner }, Acc::Array(offsets, inner_acc)) => {
            let n = push_sizes(offsets, cursors[*size_stream].take(count * 4)?)?;
            decode(inner, cursors, n, inner_acc)?;
        }
        (
            Node::Map {
                size_stream,
                keys,
                values,
            },
            Acc::Map(offsets, k, v),
        ) => {
            let n = push_sizes(offsets, cursors[*size_stream].take(count * 4)?)?;
            decode(keys, cursors, n, k)?;
            decode(values, cursors, n, v)?;
        }
        _ => {
            return Err(StorageError::Logical(
                "accumulator does not fit layout".into(),
            ))
        }
    }
    Ok(())
}

/// A buffer over `bytes` that Arrow accepts for values of `align`-byte alignment: an empty
/// `Vec` (whose pointer is dangling) or an under-aligned allocation is copied into an
/// aligned buffer; otherwise the allocation is reused.
fn aligned_buffer(bytes: Vec<u8>, align: usize) -> Buffer {
    if bytes.is_empty() || !(bytes.as_ptr() as usize).is_multiple_of(align.max(1)) {
        Buffer::from_slice_ref(&bytes)
    } else {
        Buffer::from_vec(bytes)
    }
}

fn nulls_of(map: &[u8]) -> Option<NullBuffer> {
    let nb = NullBuffer::from_iter(map.iter().map(|b| *b == 0));
    (nb.null_count() > 0).then_some(nb)
}

fn with_nulls(array: ArrayRef, nulls: Option<NullBuffer>) -> Result<ArrayRef> {
    if nulls.is_none() {
        return Ok(array);
    }
    let data = array.to_data().into_builder().nulls(nulls).build()?;
    Ok(make_array(data))
}

/// Turns decoded values into an Arrow array of `t`'s Arrow type. `dicts` are the part's
/// `LowCardinality` dictionaries for this column.
pub fn finish(node: &Node, acc: Acc, t: &DataType, dicts: &[ArrayRef]) -> Result<ArrayRef> {
    if let DataType::SimpleAggregateFunction(_, inner) = t {
        return finish(node, acc, inner, dicts);
    }
    let inner_type = |t: &DataType| -> DataType {
        match t {
            DataType::Nullable(i) => (**i).clone(),
            other => other.clone(),
        }
    };
    Ok(match (node, acc) {
        (Node::Fixed { width, conv, .. }, Acc::Fixed(bytes)) => {
            let len = bytes.len() / width.max(&1);
            match (conv, t.base().to_arrow()) {
                (FixedConv::NarrowDecimal, ArrowType::Decimal128(p, s)) => {
                    let vals: Vec<i128> = if *width == 4 {
                        bytes
                            .chunks_exact(4)
                            .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]) as i128)
                            .collect()
                    } else {
                        bytes
                            .chunks_exact(8)
                            .map(|c| {
                                let mut b = [0u8; 8];
                                b.copy_from_slice(c);
                                i64::from_le_bytes(b) as i128
                            })
                            .collect()
                    };
                    Arc::new(
                        Decimal128Array::new(ScalarBuffer::from(vals), None)
                            .with_precision_and_scale(p, s)?,
                    )
                }
                (_, ArrowType::FixedSizeBinary(n)) => Arc::new(FixedSizeBinaryArray::try_new(
                    n,
                    aligned_buffer(bytes, 1),
                    None,
                )?),
                (_, at) => {
                    let align = at.primitive_width().unwrap_or(1).min(16);
                    make_array(
                        ArrayData::builder(at)
                            .len(len)
                            .add_buffer(aligned_buffer(bytes, align))
                            .build()?,
                    )
                }
            }
        }
        (Node::Bool { .. }, Acc::Bool(bytes)) => Arc::new(arrow::array::BooleanArray::from_iter(
            bytes.iter().map(|b| Some(*b != 0)),
        )),
        (Node::Str { .. }, Acc::Str(offsets, data)) => Arc::new(BinaryArray::try_new(
            OffsetBuffer::new(ScalarBuffer::from(offsets)),
            aligned_buffer(data, 1),
            None,
        )?),
        (Node::LowCard { dict, .. }, Acc::LowCard(keys, nulls)) => {
            let values = dicts
                .get(*dict)
                .cloned()
                .ok_or_else(|| corrupt("missing LowCardinality dictionary"))?;
            let keys = Int32Array::new(
                ScalarBuffer::from(keys),
                nulls.as_deref().and_then(nulls_of),
            );
            Arc::new(DictionaryArray::<Int32Type>::try_new(keys, values)?)
        }
        (Node::Nullable { inner, .. }, Acc::Nullable(nulls, inner_acc)) => {
            let arr = finish(inner, *inner_acc, &inner_type(t), dicts)?;
            with_nulls(arr, nulls_of(&nulls))?
        }
        (Node::Array { inner, .. }, Acc::Array(offsets, inner_acc)) => {
            let DataType::Array(elem) = t.base() else {
                return Err(corrupt("array layout on a non-array type"));
            };
            let values = finish(inner, *inner_acc, elem, dicts)?;
            let arrow::datatypes::DataType::List(field) = t.base().to_arrow() else {
                return Err(StorageError::Logical("list type".into()));
            };
            Arc::new(arrow::array::ListArray::try_new(
                field,
                OffsetBuffer::new(ScalarBuffer::from(offsets)),
                values,
                None,
            )?)
        }
        (Node::Map { keys, values, .. }, Acc::Map(offsets, k, v)) => {
            let DataType::Map(kt, vt) = t.base() else {
                return Err(corrupt("map layout on a non-map type"));
            };
            let ka = finish(keys, *k, kt, dicts)?;
            let va = finish(values, *v, vt, dicts)?;
            let ArrowType::Map(entries_field, sorted) = t.to_arrow() else {
                return Err(StorageError::Logical("map type".into()));
            };
            let ArrowType::Struct(fields) = entries_field.data_type().clone() else {
                return Err(StorageError::Logical("map entries type".into()));
            };
            let entries = arrow::array::StructArray::try_new(fields, vec![ka, va], None)?;
            Arc::new(arrow::array::MapArray::try_new(
                entries_field,
                OffsetBuffer::new(ScalarBuffer::from(offsets)),
                entries,
                None,
                sorted,
            )?)
        }
        _ => {
            return Err(StorageError::Logical(
                "accumulator does not fit layout".into(),
            ))
        }
    })
}

/// Decodes a `LowCardinality` dictionary written by
/// [`encode_dict_values`](super::encode::encode_dict_values).
pub fn decode_dict_values(bytes: &[u8], value_width: usize) -> Result<ArrayRef> {
    let err = || corrupt("malformed LowCardinality dictionary");
    let n = u64::from_le_bytes(
        bytes
            .get(..8)
            .ok_or_else(err)?
            .try_into()
            .map_err(|_| err())?,
    );
    let n = usize::try_from(n).map_err(|_| err())?;
    let rest = &bytes[8..];
    if value_width == 0 {
        let lens = rest
            .get(..n.checked_mul(4).ok_or_else(err)?)
            .ok_or_else(err)?;
        let mut offsets = vec![0i32];
        let total = push_sizes(&mut offsets, lens)?;
        let data = rest.get(n * 4..n * 4 + total).ok_or_else(err)?;
        Ok(Arc::new(BinaryArray::try_new(
            OffsetBuffer::new(ScalarBuffer::from(offsets)),
            Buffer::from_slice_ref(data),
            None,
        )?))
    } else {
        let data = rest
            .get(..n.checked_mul(value_width).ok_or_else(err)?)
            .ok_or_else(err)?;
        Ok(Arc::new(FixedSizeBinaryArray::try_new(
            value_width as i32,
            Buffer::from_slice_ref(data),
            None,
        )?))
    }
}
