//! Reading ClickHouse's binary encodings (RowBinary values, Native columns) into Arrow
//! arrays: a bounds-checked [`Reader`] and a [`ColumnBuilder`] per column that accepts
//! values one at a time (RowBinary) or a whole column at a time (Native).
//!
//! Every length and count is checked against the bytes left before anything is allocated,
//! so truncated or garbage input ends in error 33 CANNOT_READ_ALL_DATA or 117
//! INCORRECT_DATA, never a panic or a huge allocation.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BinaryArray, BooleanArray, Decimal128Array, Decimal256Array, FixedSizeBinaryArray,
    ListArray, MapArray, NullArray, PrimitiveArray, StructArray,
};
use arrow::buffer::{Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow::datatypes::{self as adt, i256, ArrowPrimitiveType, DataType as ArrowType};
use granary_storage::types::DataType;

use crate::error::{ErrorCode, QueryError, Result};

/// A cursor over binary input.
pub(crate) struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `data`.
    pub(crate) fn new(data: &'a [u8]) -> Reader<'a> {
        Reader { data, pos: 0 }
    }

    /// Whether all input was consumed.
    pub(crate) fn at_end(&self) -> bool {
        self.pos >= self.data.len()
    }

    /// Bytes not read yet.
    pub(crate) fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    /// The next `n` bytes. Errors: 33 when fewer are left.
    pub(crate) fn bytes(&mut self, n: usize) -> Result<&'a [u8]> {
        if n > self.remaining() {
            return Err(QueryError::new(
                ErrorCode::CannotReadAllData,
                format!(
                    "Cannot read all data. Bytes read: {}. Bytes expected: {n}.",
                    self.remaining()
                ),
            ));
        }
        let out = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    /// One byte.
    pub(crate) fn u8(&mut self) -> Result<u8> {
        Ok(self.bytes(1)?[0])
    }

    /// A little-endian UInt64.
    pub(crate) fn u64(&mut self) -> Result<u64> {
        let b = self.bytes(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }

    /// An unsigned LEB128 number (ClickHouse's `readVarUInt`, at most 10 bytes).
    pub(crate) fn var_uint(&mut self) -> Result<u64> {
        let mut v = 0u64;
        for i in 0..10 {
            let b = self.u8()?;
            v |= ((b & 0x7f) as u64) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Ok(v)
    }

    /// A LEB128 count that must not exceed the bytes left times `min_bytes_each`'s
    /// inverse (each counted item takes at least `min_bytes_each` bytes).
    pub(crate) fn count(&mut self, min_bytes_each: usize) -> Result<usize> {
        let n = self.var_uint()?;
        self.check_count(n, min_bytes_each)
    }

    /// Checks that `n` items of at least `min_bytes_each` bytes can still be read.
    pub(crate) fn check_count(&self, n: u64, min_bytes_each: usize) -> Result<usize> {
        let need = n.saturating_mul(min_bytes_each.max(1) as u64);
        if need > self.remaining() as u64 {
            return Err(QueryError::new(
                ErrorCode::CannotReadAllData,
                format!(
                    "Cannot read all data. Bytes read: {}. Bytes expected: {need}.",
                    self.remaining()
                ),
            ));
        }
        Ok(n as usize)
    }

    /// A length-prefixed byte string.
    pub(crate) fn string(&mut self) -> Result<&'a [u8]> {
        let n = self.count(1)?;
        self.bytes(n)
    }
}

fn incorrect(msg: impl Into<String>) -> QueryError {
    QueryError::new(ErrorCode::IncorrectData, msg)
}

/// What a column holds physically.
enum Kind {
    /// Fixed-width little-endian values.
    Fixed { width: usize, data: Vec<u8> },
    /// Byte strings.
    Str { offsets: Vec<usize>, data: Vec<u8> },
    /// `Array(T)`: end offsets into the child.
    List {
        offsets: Vec<usize>,
        child: Box<ColumnBuilder>,
    },
    /// `Map(K, V)`: end offsets into the key and value children.
    Map {
        offsets: Vec<usize>,
        keys: Box<ColumnBuilder>,
        values: Box<ColumnBuilder>,
    },
    /// `Nothing` (only under Nullable or Array).
    Nothing,
}

/// Collects one column of type `ty` and turns it into its Arrow array.
pub(crate) struct ColumnBuilder {
    ty: DataType,
    kind: Kind,
    /// Validity (true = value) for Nullable types.
    nulls: Option<Vec<bool>>,
    len: usize,
}

/// LowCardinality index flags (`SerializationLowCardinality`).
const LC_NEED_GLOBAL_DICTIONARY: u64 = 1 << 8;
const LC_HAS_ADDITIONAL_KEYS: u64 = 1 << 9;

impl ColumnBuilder {
    /// A builder for `ty`. Errors: 50 for a type that cannot be read (Nullable of a
    /// composite type).
    pub(crate) fn new(ty: &DataType) -> Result<ColumnBuilder> {
        let nullable = ty.is_nullable();
        let base = ty.base();
        let kind = match base {
            DataType::String => Kind::Str {
                offsets: vec![0],
                data: Vec::new(),
            },
            DataType::Array(t) => Kind::List {
                offsets: vec![0],
                child: Box::new(ColumnBuilder::new(t)?),
            },
            DataType::Map(k, v) => Kind::Map {
                offsets: vec![0],
                keys: Box::new(ColumnBuilder::new(k)?),
                values: Box::new(ColumnBuilder::new(v)?),
            },
            DataType::Nothing => Kind::Nothing,
            t => match t.fixed_width() {
                Some(width) if width > 0 => Kind::Fixed {
                    width,
                    data: Vec::new(),
                },
                _ => {
                    return Err(QueryError::new(
                        ErrorCode::UnknownType,
                        format!("Cannot read values of type {ty} from binary input"),
                    ))
                }
            },
        };
        if nullable && matches!(kind, Kind::List { .. } | Kind::Map { .. }) {
            return Err(QueryError::new(
                ErrorCode::IllegalTypeOfArgument,
                format!("Nested type {base} cannot be inside Nullable type"),
            ));
        }
        Ok(ColumnBuilder {
            ty: ty.clone(),
            kind,
            nulls: nullable.then(Vec::new),
            len: 0,
        })
    }

    /// Rows collected.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    fn is_low_cardinality(&self) -> bool {
        matches!(self.ty, DataType::LowCardinality(_))
    }

    /// Appends the type's default (the slot under a NULL).
    fn push_default(&mut self) {
        match &mut self.kind {
            Kind::Fixed { width, data } => data.resize(data.len() + *width, 0),
            Kind::Str { offsets, data } => offsets.push(data.len()),
            Kind::List { offsets, .. } | Kind::Map { offsets, .. } => {
                let last = offsets.last().copied().unwrap_or(0);
                offsets.push(last);
            }
            Kind::Nothing => {}
        }
        self.len += 1;
    }

    /// Reads one value as RowBinary encodes it.
    pub(crate) fn read_value(&mut self, r: &mut Reader<'_>) -> Result<()> {
        if self.nulls.is_some() {
            let null = r.u8()? != 0;
            if let Some(nulls) = &mut self.nulls {
                nulls.push(!null);
            }
            if null {
                self.push_default();
                return Ok(());
            }
        }
        match &mut self.kind {
            Kind::Fixed { width, data } => data.extend_from_slice(r.bytes(*width)?),
            Kind::Str { offsets, data } => {
                data.extend_from_slice(r.string()?);
                offsets.push(data.len());
            }
            Kind::List { offsets, child } => {
                let n = r.count(1)?;
                for _ in 0..n {
                    child.read_value(r)?;
                }
                offsets.push(child.len());
            }
            Kind::Map {
                offsets,
                keys,
                values,
            } => {
                let n = r.count(1)?;
                for _ in 0..n {
                    keys.read_value(r)?;
                    values.read_value(r)?;
                }
                offsets.push(keys.len());
            }
            Kind::Nothing => {}
        }
        self.len += 1;
        Ok(())
    }

    /// Reads `rows` values as Native encodes a column (after [`read_prefix`]).
    pub(crate) fn read_column(&mut self, r: &mut Reader<'_>, rows: usize) -> Result<()> {
        if rows == 0 {
            return Ok(());
        }
        if self.is_low_cardinality() {
            return self.read_low_cardinality(r, rows);
        }
        let map = match &self.nulls {
            Some(_) => Some(r.bytes(rows)?),
            None => None,
        };
        match &mut self.kind {
            Kind::Fixed { width, data } => {
                let n = rows.saturating_mul(*width);
                data.extend_from_slice(r.bytes(n)?);
            }
            Kind::Str { offsets, data } => {
                r.check_count(rows as u64, 1)?;
                for _ in 0..rows {
                    data.extend_from_slice(r.string()?);
                    offsets.push(data.len());
                }
            }
            Kind::List { offsets, child } => {
                let total = read_offsets(r, rows, child.len(), offsets)?;
                child.read_column(r, total)?;
            }
            Kind::Map {
                offsets,
                keys,
                values,
            } => {
                let total = read_offsets(r, rows, keys.len(), offsets)?;
                keys.read_column(r, total)?;
                values.read_column(r, total)?;
            }
            Kind::Nothing => {
                r.bytes(rows)?;
            }
        }
        if let (Some(nulls), Some(map)) = (&mut self.nulls, map) {
            nulls.extend(map.iter().map(|b| *b == 0));
        }
        self.len += rows;
        Ok(())
    }

    /// A LowCardinality column's body: flags, the block's keys, then the indexes.
    fn read_low_cardinality(&mut self, r: &mut Reader<'_>, rows: usize) -> Result<()> {
        let flags = r.u64()?;
        if flags & LC_NEED_GLOBAL_DICTIONARY != 0 || flags & LC_HAS_ADDITIONAL_KEYS == 0 {
            return Err(incorrect(
                "LowCardinality with a global dictionary is not supported in Native input",
            ));
        }
        let width = match flags & 0xff {
            0 => 1,
            1 => 2,
            2 => 4,
            3 => 8,
            k => return Err(incorrect(format!("Invalid LowCardinality index type {k}"))),
        };
        let value_type = self.ty.base().clone();
        let mut dict = ColumnBuilder::new(&value_type)?;
        let keys = r.u64()?;
        let keys = r.check_count(keys, 1)?;
        dict.read_column(r, keys)?;
        let n = r.u64()?;
        if n != rows as u64 {
            return Err(incorrect(format!(
                "LowCardinality column has {n} indexes, expected {rows}"
            )));
        }
        let raw = r.bytes(rows.saturating_mul(width))?;
        let nullable = self.nulls.is_some();
        for chunk in raw.chunks_exact(width) {
            let mut b = [0u8; 8];
            b[..width].copy_from_slice(chunk);
            let index = u64::from_le_bytes(b);
            if index >= keys as u64 {
                return Err(incorrect(format!(
                    "LowCardinality index {index} is out of the dictionary's {keys} keys"
                )));
            }
            if nullable && index == 0 {
                if let Some(nulls) = &mut self.nulls {
                    nulls.push(false);
                }
                self.push_default();
                continue;
            }
            if let Some(nulls) = &mut self.nulls {
                nulls.push(true);
            }
            self.copy_from(&dict, index as usize);
        }
        Ok(())
    }

    /// Appends row `i` of the scalar builder `other` (of the same physical kind).
    fn copy_from(&mut self, other: &ColumnBuilder, i: usize) {
        let copied = match (&mut self.kind, &other.kind) {
            (Kind::Fixed { width, data }, Kind::Fixed { data: src, .. }) => {
                data.extend_from_slice(&src[i * *width..(i + 1) * *width]);
                true
            }
            (
                Kind::Str { offsets, data },
                Kind::Str {
                    offsets: so,
                    data: sd,
                },
            ) => {
                data.extend_from_slice(&sd[so[i]..so[i + 1]]);
                offsets.push(data.len());
                true
            }
            _ => false,
        };
        if copied {
            self.len += 1;
        } else {
            self.push_default();
        }
    }

    /// The collected column as an array of `ty`'s Arrow type.
    pub(crate) fn finish(self) -> Result<ArrayRef> {
        let nulls = self.nulls.map(NullBuffer::from);
        let len = self.len;
        let ty = self.ty;
        let array: ArrayRef = match self.kind {
            Kind::Fixed { width, data } => fixed_array(ty.base(), width, &data, nulls)?,
            Kind::Str { offsets, data } => {
                let offsets = to_i32_offsets(&offsets)?;
                Arc::new(BinaryArray::try_new(
                    offsets,
                    Buffer::from_vec(data),
                    nulls,
                )?)
            }
            Kind::List { offsets, child } => {
                let ArrowType::List(field) = ty.base().to_arrow() else {
                    return Err(incorrect(format!("{ty} is not an array type")));
                };
                let values = child.finish()?;
                Arc::new(ListArray::try_new(
                    field,
                    to_i32_offsets(&offsets)?,
                    values,
                    None,
                )?)
            }
            Kind::Map {
                offsets,
                keys,
                values,
            } => {
                let ArrowType::Map(field, sorted) = ty.base().to_arrow() else {
                    return Err(incorrect(format!("{ty} is not a map type")));
                };
                let ArrowType::Struct(fields) = field.data_type().clone() else {
                    return Err(incorrect(format!("{ty} is not a map type")));
                };
                let entries =
                    StructArray::try_new(fields, vec![keys.finish()?, values.finish()?], None)?;
                Arc::new(MapArray::try_new(
                    field,
                    to_i32_offsets(&offsets)?,
                    entries,
                    None,
                    sorted,
                )?)
            }
            Kind::Nothing => Arc::new(NullArray::new(len)),
        };
        if matches!(ty, DataType::LowCardinality(_)) {
            return Ok(arrow::compute::cast(&array, &ty.to_arrow())?);
        }
        Ok(array)
    }
}

/// Reads `rows` absolute UInt64 end offsets of a Native array column, appending them (moved
/// by `base`, the child's length before this block) to `offsets`. Returns the child rows
/// this block adds.
fn read_offsets(
    r: &mut Reader<'_>,
    rows: usize,
    base: usize,
    offsets: &mut Vec<usize>,
) -> Result<usize> {
    r.check_count(rows as u64, 8)?;
    let mut last = 0u64;
    for _ in 0..rows {
        let o = r.u64()?;
        if o < last {
            return Err(incorrect("Array offsets are not monotonic in Native input"));
        }
        last = o;
        offsets.push(base + r.check_count(o, 0).map(|_| o as usize)?);
    }
    r.check_count(last, 1)
}

fn to_i32_offsets(offsets: &[usize]) -> Result<OffsetBuffer<i32>> {
    let v = offsets
        .iter()
        .map(|o| i32::try_from(*o))
        .collect::<std::result::Result<Vec<i32>, _>>()
        .map_err(|_| incorrect("A column of binary input is larger than 2 GiB"))?;
    Ok(OffsetBuffer::new(ScalarBuffer::from(v)))
}

fn primitive<T: ArrowPrimitiveType>(
    data: &[u8],
    width: usize,
    nulls: Option<NullBuffer>,
    conv: impl Fn(&[u8]) -> T::Native,
) -> Result<ArrayRef> {
    let values: Vec<T::Native> = data.chunks_exact(width).map(conv).collect();
    Ok(Arc::new(PrimitiveArray::<T>::try_new(
        ScalarBuffer::from(values),
        nulls,
    )?))
}

/// A chunk of exactly `N` bytes as an array (chunks come from `chunks_exact(N)`).
fn le<const N: usize>(c: &[u8]) -> [u8; N] {
    let mut a = [0u8; N];
    a.copy_from_slice(&c[..N]);
    a
}

/// A fixed-width column from its little-endian bytes.
fn fixed_array(
    ty: &DataType,
    width: usize,
    data: &[u8],
    nulls: Option<NullBuffer>,
) -> Result<ArrayRef> {
    Ok(match ty {
        DataType::UInt8 => {
            primitive::<adt::UInt8Type>(data, 1, nulls, |c: &[u8]| u8::from_le_bytes(le::<1>(c)))?
        }
        DataType::UInt16 | DataType::Date => {
            primitive::<adt::UInt16Type>(data, 2, nulls, |c: &[u8]| u16::from_le_bytes(le::<2>(c)))?
        }
        DataType::UInt32 | DataType::DateTime(_) => {
            primitive::<adt::UInt32Type>(data, 4, nulls, |c: &[u8]| u32::from_le_bytes(le::<4>(c)))?
        }
        DataType::UInt64 => {
            primitive::<adt::UInt64Type>(data, 8, nulls, |c: &[u8]| u64::from_le_bytes(le::<8>(c)))?
        }
        DataType::Int8 => {
            primitive::<adt::Int8Type>(data, 1, nulls, |c: &[u8]| i8::from_le_bytes(le::<1>(c)))?
        }
        DataType::Int16 => {
            primitive::<adt::Int16Type>(data, 2, nulls, |c: &[u8]| i16::from_le_bytes(le::<2>(c)))?
        }
        DataType::Int32 | DataType::Date32 => {
            primitive::<adt::Int32Type>(data, 4, nulls, |c: &[u8]| i32::from_le_bytes(le::<4>(c)))?
        }
        DataType::Int64 | DataType::DateTime64(..) => {
            primitive::<adt::Int64Type>(data, 8, nulls, |c: &[u8]| i64::from_le_bytes(le::<8>(c)))?
        }
        DataType::Float32 => primitive::<adt::Float32Type>(data, 4, nulls, |c: &[u8]| {
            f32::from_le_bytes(le::<4>(c))
        })?,
        DataType::Float64 => primitive::<adt::Float64Type>(data, 8, nulls, |c: &[u8]| {
            f64::from_le_bytes(le::<8>(c))
        })?,
        DataType::Bool => Arc::new(BooleanArray::new(
            data.iter().map(|b| *b != 0).collect(),
            nulls,
        )),
        DataType::Decimal { precision, scale } if *precision > 38 => {
            let values: Vec<i256> = data
                .chunks_exact(32)
                .map(|c: &[u8]| i256::from_le_bytes(le::<32>(c)))
                .collect();
            Arc::new(
                Decimal256Array::try_new(ScalarBuffer::from(values), nulls)?
                    .with_precision_and_scale(*precision, *scale as i8)?,
            )
        }
        DataType::Decimal { precision, scale } => {
            let values: Vec<i128> = match width {
                4 => data
                    .chunks_exact(4)
                    .map(|c| i32::from_le_bytes(le::<4>(c)) as i128)
                    .collect(),
                8 => data
                    .chunks_exact(8)
                    .map(|c| i64::from_le_bytes(le::<8>(c)) as i128)
                    .collect(),
                _ => data
                    .chunks_exact(16)
                    .map(|c: &[u8]| i128::from_le_bytes(le::<16>(c)))
                    .collect(),
            };
            Arc::new(
                Decimal128Array::try_new(ScalarBuffer::from(values), nulls)?
                    .with_precision_and_scale(*precision, *scale as i8)?,
            )
        }
        DataType::Uuid => {
            let mut bytes = data.to_vec();
            for u in bytes.chunks_exact_mut(16) {
                u[..8].reverse();
                u[8..].reverse();
            }
            Arc::new(FixedSizeBinaryArray::try_new(
                16,
                Buffer::from_vec(bytes),
                nulls,
            )?)
        }
        DataType::FixedString(n) => Arc::new(FixedSizeBinaryArray::try_new(
            i32::try_from(*n).map_err(|_| incorrect("FixedString is too long"))?,
            Buffer::from_vec(data.to_vec()),
            nulls,
        )?),
        other => {
            return Err(QueryError::new(
                ErrorCode::UnknownType,
                format!("Cannot read values of type {other} from binary input"),
            ))
        }
    })
}

/// Reads the serialization state prefixes of a Native column of type `ty`: the
/// LowCardinality version of each LowCardinality inside it.
pub(crate) fn read_prefix(r: &mut Reader<'_>, ty: &DataType) -> Result<()> {
    match ty {
        DataType::LowCardinality(_) => {
            let v = r.u64()?;
            if v != 1 {
                return Err(incorrect(format!(
                    "Invalid version for SerializationLowCardinality key column: {v}"
                )));
            }
        }
        DataType::Nullable(t) | DataType::Array(t) => read_prefix(r, t)?,
        DataType::Map(k, v) => {
            read_prefix(r, k)?;
            read_prefix(r, v)?;
        }
        _ => {}
    }
    Ok(())
}
