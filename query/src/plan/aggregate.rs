//! Hash aggregation: keys are encoded with Arrow's row format (memcmp-comparable bytes),
//! mapped to dense group ids, and every aggregate's [`Accumulator`] is updated a batch at a
//! time with those ids. Each thread aggregates its morsels into its own table; the tables
//! are merged at the end.

use arrow::array::ArrayRef;
use arrow::row::{RowConverter, SortField};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::binder::AggregateCall;
use crate::error::Result;

/// A fast, non-cryptographic hasher for group keys (xxh3 over the key bytes).
#[derive(Default)]
pub struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0 = xxhash_rust::xxh3::xxh3_64_with_seed(bytes, self.0);
    }
}

type KeyMap = HashMap<Box<[u8]>, u32, BuildHasherDefault<KeyHasher>>;

/// A hasher for packed integer keys: one multiply and a fold (keys are already well
/// spread integers; FxHash-style).
#[derive(Default)]
pub struct PackedHasher(u64);

impl Hasher for PackedHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(b));
        }
    }
    fn write_u64(&mut self, v: u64) {
        let x = (self.0.rotate_left(5) ^ v).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        self.0 = x ^ (x >> 29);
    }
    fn write_u128(&mut self, v: u128) {
        self.write_u64(v as u64);
        self.write_u64((v >> 64) as u64);
    }
}

type PackedMap<K> = HashMap<K, u32, BuildHasherDefault<PackedHasher>>;

/// Byte width of a key column that can be packed: a non-null fixed-width integer-like
/// Arrow type.
pub fn packable_width(t: &arrow::datatypes::DataType) -> Option<usize> {
    use arrow::datatypes::DataType as A;
    match t {
        A::UInt8 | A::Int8 => Some(1),
        A::UInt16 | A::Int16 => Some(2),
        A::UInt32 | A::Int32 | A::Float32 => Some(4),
        A::UInt64 | A::Int64 | A::Float64 => Some(8),
        _ => None,
    }
}

/// The raw little-endian bytes of row `i` of a fixed-width array, widened to u128.
fn raw_values(a: &ArrayRef, width: usize) -> Vec<u128> {
    let data = a.to_data();
    let buf =
        &data.buffers()[0].as_slice()[data.offset() * width..(data.offset() + data.len()) * width];
    buf.chunks_exact(width)
        .map(|c| {
            let mut b = [0u8; 16];
            b[..width].copy_from_slice(c);
            u128::from_le_bytes(b)
        })
        .collect()
}

/// Keys of fixed-width columns packed into one integer of type `K` (u64 or u128).
struct Packed<K> {
    widths: Vec<usize>,
    types: Vec<arrow::datatypes::DataType>,
    map: PackedMap<K>,
    keys: Vec<K>,
}

/// An integer that holds packed keys.
trait PackedKey: Copy + Eq + std::hash::Hash {
    /// From the packed bits (which fit, by construction).
    fn from_bits(v: u128) -> Self;
    /// To the packed bits.
    fn bits(self) -> u128;
}

impl PackedKey for u64 {
    fn from_bits(v: u128) -> Self {
        v as u64
    }
    fn bits(self) -> u128 {
        self as u128
    }
}

impl PackedKey for u128 {
    fn from_bits(v: u128) -> Self {
        v
    }
    fn bits(self) -> u128 {
        self
    }
}

impl<K: PackedKey> Packed<K> {
    fn pack(&self, columns: &[ArrayRef], rows: usize) -> Vec<K> {
        let mut packed = vec![0u128; rows];
        let mut shift = 0;
        for (c, w) in columns.iter().zip(&self.widths) {
            for (p, v) in packed.iter_mut().zip(raw_values(c, *w)) {
                *p |= v << shift;
            }
            shift += w * 8;
        }
        packed.into_iter().map(K::from_bits).collect()
    }

    fn unpack(&self) -> Result<Vec<ArrayRef>> {
        let mut out = Vec::new();
        let mut shift = 0;
        for (w, t) in self.widths.iter().zip(&self.types) {
            let mask: u128 = if *w == 16 {
                u128::MAX
            } else {
                (1u128 << (w * 8)) - 1
            };
            let mut bytes = Vec::with_capacity(self.keys.len() * w);
            for k in &self.keys {
                let v: u128 = k.bits();
                let v = (v >> shift) & mask;
                bytes.extend_from_slice(&v.to_le_bytes()[..*w]);
            }
            let data = arrow::array::ArrayData::builder(t.clone())
                .len(self.keys.len())
                .add_buffer(arrow::buffer::Buffer::from_slice_ref(&bytes))
                .build()?;
            out.push(arrow::array::make_array(data));
            shift += w * 8;
        }
        Ok(out)
    }
}

/// How group keys are mapped to group ids.
enum Keys {
    /// No GROUP BY: one group.
    None,
    /// Fixed-width keys of at most 8 bytes in all.
    Packed64(Packed<u64>),
    /// Fixed-width keys of at most 16 bytes in all.
    Packed128(Packed<u128>),
    /// Anything else: Arrow's row format.
    Rows {
        converter: RowConverter,
        map: KeyMap,
        keys: Vec<Box<[u8]>>,
    },
}

/// The groups and aggregate states of one thread (or of the whole query after merging).
pub struct HashAggregator {
    keys: Keys,
    accumulators: Vec<Box<dyn crate::aggregates::Accumulator>>,
    num_groups: usize,
}

impl std::fmt::Debug for HashAggregator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HashAggregator({} groups)", self.num_groups)
    }
}

fn assign<K: Copy + Eq + std::hash::Hash>(
    map: &mut PackedMap<K>,
    keys: &mut Vec<K>,
    num_groups: &mut usize,
    k: K,
) -> u32 {
    *map.entry(k).or_insert_with(|| {
        keys.push(k);
        *num_groups += 1;
        (*num_groups - 1) as u32
    })
}

impl HashAggregator {
    /// An empty table for keys of `key_types` (Arrow types) and `calls`. Without keys
    /// there is exactly one group.
    pub fn new(
        key_types: &[arrow::datatypes::DataType],
        calls: &[AggregateCall],
    ) -> Result<HashAggregator> {
        let widths: Option<Vec<usize>> = key_types.iter().map(packable_width).collect();
        let keys = match widths {
            _ if key_types.is_empty() => Keys::None,
            Some(w) if w.iter().sum::<usize>() <= 8 => Keys::Packed64(Packed {
                widths: w,
                types: key_types.to_vec(),
                map: PackedMap::default(),
                keys: Vec::new(),
            }),
            Some(w) if w.iter().sum::<usize>() <= 16 => Keys::Packed128(Packed {
                widths: w,
                types: key_types.to_vec(),
                map: PackedMap::default(),
                keys: Vec::new(),
            }),
            _ => Keys::Rows {
                converter: RowConverter::new(
                    key_types
                        .iter()
                        .map(|t| SortField::new(t.clone()))
                        .collect(),
                )?,
                map: KeyMap::default(),
                keys: Vec::new(),
            },
        };
        let accumulators = calls
            .iter()
            .map(|c| c.func.create_accumulator())
            .collect::<Result<Vec<_>>>()?;
        let num_groups = if matches!(keys, Keys::None) { 1 } else { 0 };
        Ok(HashAggregator {
            keys,
            accumulators,
            num_groups,
        })
    }

    /// Number of groups so far.
    pub fn num_groups(&self) -> usize {
        self.num_groups
    }

    /// Approximate memory held.
    pub fn memory_size(&self) -> usize {
        let keys = match &self.keys {
            Keys::None => 0,
            Keys::Packed64(p) => p.keys.len() * 24,
            Keys::Packed128(p) => p.keys.len() * 40,
            Keys::Rows { keys, .. } => keys.iter().map(|k| k.len() + 40).sum(),
        };
        keys + self
            .accumulators
            .iter()
            .map(|a| a.memory_size())
            .sum::<usize>()
    }

    /// Adds a batch: `keys` are the key columns, `args[i]` the arguments of aggregate `i`.
    pub fn update(&mut self, keys: &[ArrayRef], args: &[Vec<ArrayRef>], rows: usize) -> Result<()> {
        // Packed paths need keys without NULLs; fall back to rows when one shows up.
        if matches!(self.keys, Keys::Packed64(_) | Keys::Packed128(_))
            && keys.iter().any(|k| k.null_count() > 0)
        {
            self.switch_to_rows()?;
        }
        let n = &mut self.num_groups;
        let ids: Vec<u32> = match &mut self.keys {
            Keys::None => vec![0; rows],
            Keys::Packed64(p) => {
                let packed = p.pack(keys, rows);
                packed
                    .into_iter()
                    .map(|k| assign(&mut p.map, &mut p.keys, n, k))
                    .collect()
            }
            Keys::Packed128(p) => {
                let packed = p.pack(keys, rows);
                packed
                    .into_iter()
                    .map(|k| assign(&mut p.map, &mut p.keys, n, k))
                    .collect()
            }
            Keys::Rows {
                converter,
                map,
                keys: stored,
            } => {
                let encoded = converter.convert_columns(keys)?;
                let mut ids = Vec::with_capacity(rows);
                for row in encoded.iter() {
                    let bytes = row.as_ref();
                    let id = match map.get(bytes) {
                        Some(id) => *id,
                        None => {
                            let id = *n as u32;
                            let b: Box<[u8]> = bytes.into();
                            map.insert(b.clone(), id);
                            stored.push(b);
                            *n += 1;
                            id
                        }
                    };
                    ids.push(id);
                }
                ids
            }
        };
        for (acc, a) in self.accumulators.iter_mut().zip(args) {
            acc.update_batch(a, &ids, self.num_groups)?;
        }
        Ok(())
    }

    /// Re-encodes packed keys as rows (when a NULL key appears).
    fn switch_to_rows(&mut self) -> Result<()> {
        let (types, arrays) = match &self.keys {
            Keys::Packed64(p) => (p.types.clone(), p.unpack()?),
            Keys::Packed128(p) => (p.types.clone(), p.unpack()?),
            _ => return Ok(()),
        };
        let converter =
            RowConverter::new(types.iter().map(|t| SortField::new(t.clone())).collect())?;
        let rows = converter.convert_columns(&arrays)?;
        let mut map = KeyMap::default();
        let mut keys = Vec::with_capacity(rows.num_rows());
        for (i, r) in rows.iter().enumerate() {
            let b: Box<[u8]> = r.as_ref().into();
            map.insert(b.clone(), i as u32);
            keys.push(b);
        }
        self.keys = Keys::Rows {
            converter,
            map,
            keys,
        };
        Ok(())
    }

    /// Merges another thread's table into this one.
    pub fn merge(&mut self, mut other: HashAggregator) -> Result<()> {
        if matches!(self.keys, Keys::Rows { .. }) != matches!(other.keys, Keys::Rows { .. }) {
            self.switch_to_rows()?;
            other.switch_to_rows()?;
        }
        let n = &mut self.num_groups;
        let mapping: Vec<u32> = match (&mut self.keys, &mut other.keys) {
            (Keys::None, _) => vec![0; other.num_groups],
            (Keys::Packed64(a), Keys::Packed64(b)) => b
                .keys
                .iter()
                .map(|k| assign(&mut a.map, &mut a.keys, n, *k))
                .collect(),
            (Keys::Packed128(a), Keys::Packed128(b)) => b
                .keys
                .iter()
                .map(|k| assign(&mut a.map, &mut a.keys, n, *k))
                .collect(),
            (Keys::Rows { map, keys, .. }, Keys::Rows { keys: theirs, .. }) => {
                let mut m = Vec::with_capacity(theirs.len());
                for k in theirs.drain(..) {
                    let id = match map.get(&k) {
                        Some(id) => *id,
                        None => {
                            let id = *n as u32;
                            map.insert(k.clone(), id);
                            keys.push(k);
                            *n += 1;
                            id
                        }
                    };
                    m.push(id);
                }
                m
            }
            _ => return crate::query_err!(LogicalError, "mismatched aggregation key layouts"),
        };
        for (mine, theirs) in self
            .accumulators
            .iter_mut()
            .zip(other.accumulators.iter_mut())
        {
            mine.merge(theirs.as_mut(), &mapping, self.num_groups)?;
        }
        Ok(())
    }

    /// The key columns and the aggregate results, one row per group (in group id order).
    pub fn finish(mut self) -> Result<(Vec<ArrayRef>, Vec<ArrayRef>)> {
        let keys = match &self.keys {
            Keys::None => Vec::new(),
            Keys::Packed64(p) => p.unpack()?,
            Keys::Packed128(p) => p.unpack()?,
            Keys::Rows {
                converter, keys, ..
            } => {
                let parser = converter.parser();
                let rows = keys.iter().map(|k| parser.parse(k));
                converter.convert_rows(rows)?
            }
        };
        let n = self.num_groups;
        let aggs = self
            .accumulators
            .iter_mut()
            .map(|a| a.finalize(n))
            .collect::<Result<Vec<_>>>()?;
        Ok((keys, aggs))
    }
}
