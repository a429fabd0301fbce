//! Hash aggregation: keys are packed into one integer (fixed-width keys of at most 16
//! bytes) or encoded with Arrow's row format (memcmp-comparable bytes), mapped to dense
//! group ids, and every aggregate's [`crate::aggregates::Accumulator`] is updated a batch
//! at a time with those ids. Each thread aggregates its morsels into its own table; the
//! tables are merged at the end.
//!
//! Two-level aggregation (ClickHouse's `group_by_two_level_threshold`): once a thread's
//! table holds more than [`TWO_LEVEL_THRESHOLD`] groups it is rebuilt as
//! [`NUM_BUCKETS`] independent tables ("buckets"), each row going to the bucket chosen by
//! the high bits of a hash of its key. The hash depends only on the key's value (not on
//! the table's key layout), so a key lands in the same bucket in every thread, and bucket
//! `i` of every thread can be merged into the final bucket `i` independently, in parallel
//! ([`HashAggregator::merge_all`]); the finished buckets are concatenated.
//!
//! Accumulator states cannot be split between tables (merging consumes the source), so a
//! single-level table is not split when it crosses the threshold: it keeps (shared
//! references to) the input batches it aggregated, up to [`REPLAY_MAX_ROWS`] rows, and
//! the two-level table is built by aggregating them again. A thread that crosses the
//! threshold only after more rows stays single-level; merging then falls back to the
//! serial single-level merge (correct, not parallel).

use arrow::array::ArrayRef;
use arrow::row::{RowConverter, SortField};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use super::binder::AggregateCall;
use crate::aggregates::AggregateFunction;
use crate::error::{ErrorCode, QueryError, Result};

mod serialized;
use serialized::{hash_key, SerializedKeys};

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
    /// One String key without NULLs: its bytes as they are.
    Str {
        /// The key column's Arrow type (Binary or Utf8).
        arrow_type: arrow::datatypes::DataType,
        keys: SerializedKeys,
    },
    /// Anything else: Arrow's row format.
    Rows {
        converter: RowConverter,
        keys: SerializedKeys,
    },
}

/// One single-level hash table: the groups and aggregate states of one thread (or of
/// one bucket of a two-level table), with dense group ids `0..num_groups`.
struct Table {
    keys: Keys,
    accumulators: Vec<Box<dyn crate::aggregates::Accumulator>>,
    num_groups: usize,
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

impl Table {
    /// An empty table for keys of `key_types` (Arrow types) and aggregate functions
    /// `funcs`. Without keys there is exactly one group.
    fn new(
        key_types: &[arrow::datatypes::DataType],
        funcs: &[Arc<dyn AggregateFunction>],
    ) -> Result<Table> {
        use arrow::datatypes::DataType as A;
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
            _ if matches!(key_types, [A::Binary | A::Utf8]) => Keys::Str {
                arrow_type: key_types[0].clone(),
                keys: SerializedKeys::default(),
            },
            _ => Keys::Rows {
                converter: RowConverter::new(
                    key_types
                        .iter()
                        .map(|t| SortField::new(t.clone()))
                        .collect(),
                )?,
                keys: SerializedKeys::default(),
            },
        };
        let accumulators = funcs
            .iter()
            .map(|f| f.create_accumulator())
            .collect::<Result<Vec<_>>>()?;
        let num_groups = if matches!(keys, Keys::None) { 1 } else { 0 };
        Ok(Table {
            keys,
            accumulators,
            num_groups,
        })
    }

    /// Makes room for `additional` more groups without rehashing.
    fn reserve(&mut self, additional: usize) {
        match &mut self.keys {
            Keys::None => {}
            Keys::Packed64(p) => {
                p.map.reserve(additional);
                p.keys.reserve(additional);
            }
            Keys::Packed128(p) => {
                p.map.reserve(additional);
                p.keys.reserve(additional);
            }
            Keys::Rows { keys, .. } | Keys::Str { keys, .. } => keys.reserve(additional),
        }
    }

    /// Number of groups so far.
    fn num_groups(&self) -> usize {
        self.num_groups
    }

    /// Approximate memory held.
    fn memory_size(&self) -> usize {
        let keys = match &self.keys {
            Keys::None => 0,
            Keys::Packed64(p) => p.keys.len() * 24,
            Keys::Packed128(p) => p.keys.len() * 40,
            Keys::Rows { keys, .. } | Keys::Str { keys, .. } => keys.memory_size(),
        };
        keys + self
            .accumulators
            .iter()
            .map(|a| a.memory_size())
            .sum::<usize>()
    }

    /// Adds a batch: `keys` are the key columns, `args[i]` the arguments of aggregate `i`.
    fn update(&mut self, keys: &[ArrayRef], args: &[Vec<ArrayRef>], rows: usize) -> Result<()> {
        // Packed paths need keys without NULLs; fall back to rows when one shows up.
        if matches!(
            self.keys,
            Keys::Packed64(_) | Keys::Packed128(_) | Keys::Str { .. }
        ) && keys.iter().any(|k| k.null_count() > 0)
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
            Keys::Str { keys: k, .. } => {
                let column = keys.first().ok_or_else(|| {
                    QueryError::new(ErrorCode::LogicalError, "a String key table got no key")
                })?;
                let ids = for_each_bytes(column, |bytes| k.get_or_insert(bytes, hash_key(bytes)))?;
                *n = k.len();
                ids
            }
            Keys::Rows { converter, keys: k } => {
                let encoded = converter.convert_columns(keys)?;
                let ids = encoded
                    .iter()
                    .map(|row| {
                        let bytes = row.as_ref();
                        k.get_or_insert(bytes, hash_key(bytes))
                    })
                    .collect();
                *n = k.len();
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
            Keys::Str { arrow_type, keys } => (
                vec![arrow_type.clone()],
                vec![string_keys(arrow_type, keys)?],
            ),
            _ => return Ok(()),
        };
        let converter =
            RowConverter::new(types.iter().map(|t| SortField::new(t.clone())).collect())?;
        let rows = converter.convert_columns(&arrays)?;
        let mut keys = SerializedKeys::default();
        keys.reserve(rows.num_rows());
        for r in rows.iter() {
            keys.get_or_insert(r.as_ref(), hash_key(r.as_ref()));
        }
        self.keys = Keys::Rows { converter, keys };
        Ok(())
    }

    /// Merges another thread's table into this one.
    fn merge(&mut self, mut other: Table) -> Result<()> {
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
            (Keys::Rows { keys, .. }, Keys::Rows { keys: theirs, .. })
            | (Keys::Str { keys, .. }, Keys::Str { keys: theirs, .. }) => {
                let m = theirs
                    .iter()
                    .map(|(k, h)| keys.get_or_insert(k, h))
                    .collect();
                *n = keys.len();
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
    fn finish(mut self) -> Result<(Vec<ArrayRef>, Vec<ArrayRef>)> {
        let keys = match &self.keys {
            Keys::None => Vec::new(),
            Keys::Packed64(p) => p.unpack()?,
            Keys::Packed128(p) => p.unpack()?,
            Keys::Str { arrow_type, keys } => vec![string_keys(arrow_type, keys)?],
            Keys::Rows { converter, keys } => {
                let parser = converter.parser();
                let rows = keys.iter().map(|(k, _)| parser.parse(k));
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

/// Calls `f` with the bytes of every row of a Binary or Utf8 column (without NULLs),
/// collecting the results.
fn for_each_bytes<T>(column: &ArrayRef, mut f: impl FnMut(&[u8]) -> T) -> Result<Vec<T>> {
    use arrow::array::{BinaryArray, StringArray};
    let (offsets, values) = if let Some(a) = column.as_any().downcast_ref::<BinaryArray>() {
        (a.value_offsets(), a.value_data())
    } else if let Some(a) = column.as_any().downcast_ref::<StringArray>() {
        (a.value_offsets(), a.value_data())
    } else {
        return crate::query_err!(LogicalError, "a String key is not a byte array");
    };
    Ok(offsets
        .windows(2)
        .map(|w| f(&values[w[0] as usize..w[1] as usize]))
        .collect())
}

/// The String keys as an array of `arrow_type` (Binary or Utf8), in group order.
fn string_keys(arrow_type: &arrow::datatypes::DataType, keys: &SerializedKeys) -> Result<ArrayRef> {
    let binary = arrow::array::BinaryArray::from_iter_values(keys.iter().map(|(k, _)| k));
    Ok(match arrow_type {
        arrow::datatypes::DataType::Utf8 => arrow::compute::cast(&binary, arrow_type)?,
        _ => Arc::new(binary),
    })
}

/// Whether single-level tables turn two-level (off: always the single-level path).
pub const TWO_LEVEL_ENABLED: bool = true;

/// Groups a thread's table holds before it turns two-level (ClickHouse's
/// `group_by_two_level_threshold` is 100000 keys). Below it there is no overhead: the
/// single-level table is used as is.
pub const TWO_LEVEL_THRESHOLD: usize = 100_000;

/// log2 of [`NUM_BUCKETS`].
const BUCKET_BITS: u32 = 6;

/// Buckets of a two-level table (ClickHouse uses 256; 64 keeps per-batch dispatch cheap
/// while giving enough independent merges for the threads available).
pub const NUM_BUCKETS: usize = 1 << BUCKET_BITS;

/// Input rows a single-level table keeps (shared references to its input arrays) for
/// rebuilding itself as two-level. A table that crosses [`TWO_LEVEL_THRESHOLD`] after more
/// rows (or [`REPLAY_MAX_BYTES`]) than this stays single-level. This bounds what a
/// low-cardinality aggregation holds beyond its groups.
pub const REPLAY_MAX_ROWS: usize = 1 << 19;

/// Bytes of input arrays a single-level table keeps for replay (see [`REPLAY_MAX_ROWS`]).
pub const REPLAY_MAX_BYTES: usize = 32 << 20;

/// A batch kept for replay: the key columns, the aggregate arguments and the row count.
struct Replay {
    keys: Vec<ArrayRef>,
    args: Vec<Vec<ArrayRef>>,
    rows: usize,
}

/// Chooses a row's bucket from its key's value.
enum BucketHasher {
    /// Fixed-width keys (at most 16 bytes): hash of the packed value bits with NULL slots
    /// zeroed, and of the NULL mask.
    Packed(Vec<usize>),
    /// One String key: xxh3 of its bytes (a NULL hashes as the empty string).
    Str,
    /// Other keys: xxh3 of the row-format encoding.
    Rows(RowConverter),
}

/// A 64-bit finalizer (murmur3's fmix64).
fn mix64(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

impl BucketHasher {
    fn new(key_types: &[arrow::datatypes::DataType]) -> Result<BucketHasher> {
        let widths: Option<Vec<usize>> = key_types.iter().map(packable_width).collect();
        match widths {
            Some(w) if w.iter().sum::<usize>() <= 16 && w.len() <= 64 => {
                Ok(BucketHasher::Packed(w))
            }
            _ if matches!(
                key_types,
                [arrow::datatypes::DataType::Binary | arrow::datatypes::DataType::Utf8]
            ) =>
            {
                Ok(BucketHasher::Str)
            }
            _ => Ok(BucketHasher::Rows(RowConverter::new(
                key_types
                    .iter()
                    .map(|t| SortField::new(t.clone()))
                    .collect(),
            )?)),
        }
    }

    /// The bucket of every row.
    fn buckets(&self, keys: &[ArrayRef], rows: usize) -> Result<Vec<u8>> {
        let shift = 64 - BUCKET_BITS;
        match self {
            BucketHasher::Packed(widths) => {
                let mut packed = vec![0u128; rows];
                let mut nulls = vec![0u64; rows];
                let mut bit = 0;
                for (ci, (c, w)) in keys.iter().zip(widths).enumerate() {
                    let vals = raw_values(c, *w);
                    match c.nulls().filter(|n| n.null_count() > 0) {
                        None => {
                            for (p, v) in packed.iter_mut().zip(vals) {
                                *p |= v << bit;
                            }
                        }
                        Some(n) => {
                            for (i, (p, v)) in packed.iter_mut().zip(vals).enumerate() {
                                if n.is_valid(i) {
                                    *p |= v << bit;
                                } else {
                                    nulls[i] |= 1 << ci;
                                }
                            }
                        }
                    }
                    bit += w * 8;
                }
                Ok(packed
                    .iter()
                    .zip(&nulls)
                    .map(|(p, n)| {
                        let h = mix64((*p as u64) ^ mix64(((*p >> 64) as u64) ^ n.rotate_left(17)));
                        (h >> shift) as u8
                    })
                    .collect())
            }
            BucketHasher::Str => match keys.first() {
                Some(column) => for_each_bytes(column, |b| (hash_key(b) >> shift) as u8),
                None => crate::query_err!(LogicalError, "a String key table got no key"),
            },
            BucketHasher::Rows(converter) => {
                let encoded = converter.convert_columns(keys)?;
                Ok(encoded
                    .iter()
                    .map(|r| (xxhash_rust::xxh3::xxh3_64(r.as_ref()) >> shift) as u8)
                    .collect())
            }
        }
    }
}

/// A table split into [`NUM_BUCKETS`] independent tables by key hash.
struct TwoLevel {
    hasher: BucketHasher,
    buckets: Vec<Table>,
}

impl TwoLevel {
    /// Empty buckets, each with room for `per_bucket` groups.
    fn new(
        key_types: &[arrow::datatypes::DataType],
        funcs: &[Arc<dyn AggregateFunction>],
        per_bucket: usize,
    ) -> Result<TwoLevel> {
        let buckets = (0..NUM_BUCKETS)
            .map(|_| {
                let mut t = Table::new(key_types, funcs)?;
                t.reserve(per_bucket);
                Ok(t)
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(TwoLevel {
            hasher: BucketHasher::new(key_types)?,
            buckets,
        })
    }

    /// Dispatches the rows of a batch to their buckets.
    fn update(&mut self, keys: &[ArrayRef], args: &[Vec<ArrayRef>], rows: usize) -> Result<()> {
        let buckets = self.hasher.buckets(keys, rows)?;
        let mut counts = [0usize; NUM_BUCKETS];
        for b in &buckets {
            counts[*b as usize] += 1;
        }
        if let Some(only) = counts.iter().position(|c| *c == rows) {
            return self.buckets[only].update(keys, args, rows);
        }
        let mut indices: Vec<Vec<u32>> = counts.iter().map(|c| Vec::with_capacity(*c)).collect();
        for (i, b) in buckets.iter().enumerate() {
            indices[*b as usize].push(i as u32);
        }
        for (table, idx) in self.buckets.iter_mut().zip(indices) {
            if idx.is_empty() {
                continue;
            }
            let n = idx.len();
            let idx = arrow::array::UInt32Array::from(idx);
            let take = |a: &ArrayRef| -> Result<ArrayRef> {
                Ok(arrow::compute::take(a.as_ref(), &idx, None)?)
            };
            let k = keys.iter().map(take).collect::<Result<Vec<_>>>()?;
            let a = args
                .iter()
                .map(|v| v.iter().map(take).collect::<Result<Vec<_>>>())
                .collect::<Result<Vec<_>>>()?;
            table.update(&k, &a, n)?;
        }
        Ok(())
    }

    fn num_groups(&self) -> usize {
        self.buckets.iter().map(|b| b.num_groups()).sum()
    }

    fn memory_size(&self) -> usize {
        self.buckets.iter().map(|b| b.memory_size()).sum()
    }

    /// Merges the buckets into one single-level table (serially).
    fn collapse(self) -> Result<Table> {
        let mut it = self.buckets.into_iter();
        let mut first = match it.next() {
            Some(t) => t,
            None => return crate::query_err!(LogicalError, "two-level table without buckets"),
        };
        for t in it {
            first.merge(t)?;
        }
        Ok(first)
    }
}

/// Merges tables into one, the largest being the base, with room reserved up front.
fn merge_tables(mut tables: Vec<Table>) -> Result<Option<Table>> {
    let Some(largest) = (0..tables.len()).max_by_key(|i| tables[*i].num_groups()) else {
        return Ok(None);
    };
    let mut base = tables.swap_remove(largest);
    // Keys usually repeat between threads: reserve for half the others' groups.
    let others: usize = tables.iter().map(|t| t.num_groups()).sum();
    base.reserve(others / 2);
    for t in tables {
        base.merge(t)?;
    }
    Ok(Some(base))
}

/// The single- or two-level state of an aggregator.
enum Level {
    /// One table, with the input kept for replay while `replay` is `Some`.
    Single {
        table: Table,
        replay: Option<Vec<Replay>>,
        replay_rows: usize,
        replay_bytes: usize,
    },
    /// Buckets.
    Two(TwoLevel),
}

/// The groups and aggregate states of one thread (or of the whole query after merging):
/// single-level while small, two-level (bucketed by key hash) past
/// [`TWO_LEVEL_THRESHOLD`] groups.
pub struct HashAggregator {
    key_types: Vec<arrow::datatypes::DataType>,
    funcs: Vec<Arc<dyn AggregateFunction>>,
    /// Boxed: the thread states that hold an aggregator stay small.
    level: Box<Level>,
}

impl std::fmt::Debug for HashAggregator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match *self.level {
            Level::Single { .. } => "single-level",
            Level::Two(_) => "two-level",
        };
        write!(f, "HashAggregator({} groups, {kind})", self.num_groups())
    }
}

impl HashAggregator {
    /// An empty table for keys of `key_types` (Arrow types) and `calls`. Without keys
    /// there is exactly one group.
    pub fn new(
        key_types: &[arrow::datatypes::DataType],
        calls: &[AggregateCall],
    ) -> Result<HashAggregator> {
        let funcs: Vec<Arc<dyn AggregateFunction>> = calls.iter().map(|c| c.func.clone()).collect();
        let table = Table::new(key_types, &funcs)?;
        let replay = (TWO_LEVEL_ENABLED && !key_types.is_empty()).then(Vec::new);
        Ok(HashAggregator {
            key_types: key_types.to_vec(),
            funcs,
            level: Box::new(Level::Single {
                table,
                replay,
                replay_rows: 0,
                replay_bytes: 0,
            }),
        })
    }

    /// Allows or forbids turning two-level (a table that will not be merged with others,
    /// as when one thread aggregates, gains nothing from buckets). Call before `update`.
    pub fn with_two_level(mut self, enabled: bool) -> HashAggregator {
        if let Level::Single { replay, .. } = &mut *self.level {
            if !enabled {
                *replay = None;
            }
        }
        self
    }

    /// Number of groups so far.
    pub fn num_groups(&self) -> usize {
        match &*self.level {
            Level::Single { table, .. } => table.num_groups(),
            Level::Two(t) => t.num_groups(),
        }
    }

    /// Whether the table is two-level (bucketed).
    pub fn is_two_level(&self) -> bool {
        matches!(*self.level, Level::Two(_))
    }

    /// Approximate memory held (including input batches kept for replay).
    pub fn memory_size(&self) -> usize {
        match &*self.level {
            Level::Single {
                table,
                replay_bytes,
                ..
            } => table.memory_size() + replay_bytes,
            Level::Two(t) => t.memory_size(),
        }
    }

    /// Adds a batch: `keys` are the key columns, `args[i]` the arguments of aggregate `i`.
    pub fn update(&mut self, keys: &[ArrayRef], args: &[Vec<ArrayRef>], rows: usize) -> Result<()> {
        let Level::Single {
            table,
            replay,
            replay_rows,
            replay_bytes,
        } = &mut *self.level
        else {
            if let Level::Two(t) = &mut *self.level {
                t.update(keys, args, rows)?;
            }
            return Ok(());
        };
        table.update(keys, args, rows)?;
        if let Some(r) = replay {
            let bytes = keys
                .iter()
                .chain(args.iter().flatten())
                .map(|a| a.get_array_memory_size())
                .sum::<usize>();
            if *replay_rows + rows > REPLAY_MAX_ROWS || *replay_bytes + bytes > REPLAY_MAX_BYTES {
                *replay = None;
                *replay_rows = 0;
                *replay_bytes = 0;
            } else {
                *replay_rows += rows;
                *replay_bytes += bytes;
                r.push(Replay {
                    keys: keys.to_vec(),
                    args: args.to_vec(),
                    rows,
                });
            }
        }
        if table.num_groups() > TWO_LEVEL_THRESHOLD && replay.is_some() {
            self.convert_to_two_level()?;
        }
        Ok(())
    }

    /// Rebuilds a single-level table that still has its input as two-level. Returns
    /// whether the table is two-level now.
    fn convert_to_two_level(&mut self) -> Result<bool> {
        let (groups, batches) = match &mut *self.level {
            Level::Two(_) => return Ok(true),
            Level::Single { table, replay, .. } => match replay.take() {
                Some(b) => (table.num_groups(), b),
                None => return Ok(false),
            },
        };
        // Pre-size the buckets: the groups seen so far, spread evenly, with room to grow.
        let per_bucket = (groups * 2).div_ceil(NUM_BUCKETS);
        let mut two = TwoLevel::new(&self.key_types, &self.funcs, per_bucket)?;
        for b in batches {
            two.update(&b.keys, &b.args, b.rows)?;
        }
        *self.level = Level::Two(two);
        Ok(true)
    }

    /// Turns the state into one single-level table (serially merging buckets).
    fn into_table(self) -> Result<Table> {
        match *self.level {
            Level::Single { table, .. } => Ok(table),
            Level::Two(t) => t.collapse(),
        }
    }

    /// Merges another thread's table into this one (serially; see
    /// [`HashAggregator::merge_all`] for the parallel merge).
    pub fn merge(&mut self, other: HashAggregator) -> Result<()> {
        let merged = HashAggregator::merge_all(
            vec![
                std::mem::replace(self, HashAggregator::new(&other.key_types, &[])?),
                other,
            ],
            1,
        )?;
        if let Some(m) = merged {
            *self = m;
        }
        Ok(())
    }

    /// Merges the tables of all threads into one. When any is two-level (and the others
    /// can be rebuilt as two-level), bucket `i` of every table is merged into bucket `i`
    /// of the result, the buckets on up to `threads` threads in parallel; otherwise the
    /// tables are merged serially. `None` for no tables.
    pub fn merge_all(
        mut aggs: Vec<HashAggregator>,
        threads: usize,
    ) -> Result<Option<HashAggregator>> {
        if aggs.len() <= 1 {
            return Ok(aggs.pop());
        }
        let any_two = aggs.iter().any(|a| a.is_two_level());
        let mut two_level = any_two;
        if any_two {
            for a in &mut aggs {
                if !a.convert_to_two_level()? {
                    two_level = false;
                    break;
                }
            }
        }
        let key_types = aggs[0].key_types.clone();
        let funcs = aggs[0].funcs.clone();
        if !two_level {
            let tables = aggs
                .into_iter()
                .map(|a| a.into_table())
                .collect::<Result<Vec<_>>>()?;
            let table = match merge_tables(tables)? {
                Some(t) => t,
                None => Table::new(&key_types, &funcs)?,
            };
            return Ok(Some(HashAggregator {
                key_types,
                funcs,
                level: Box::new(Level::Single {
                    table,
                    replay: None,
                    replay_rows: 0,
                    replay_bytes: 0,
                }),
            }));
        }
        // Transpose: per bucket, that bucket of every thread.
        let mut per_bucket: Vec<Vec<Table>> = (0..NUM_BUCKETS).map(|_| Vec::new()).collect();
        for a in aggs {
            if let Level::Two(t) = *a.level {
                for (i, b) in t.buckets.into_iter().enumerate() {
                    per_bucket[i].push(b);
                }
            }
        }
        let merged = parallel_map(per_bucket, threads, merge_tables)?;
        let buckets = merged
            .into_iter()
            .map(|t| match t {
                Some(t) => Ok(t),
                None => Table::new(&key_types, &funcs),
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Some(HashAggregator {
            level: Box::new(Level::Two(TwoLevel {
                hasher: BucketHasher::new(&key_types)?,
                buckets,
            })),
            key_types,
            funcs,
        }))
    }

    /// The key columns and the aggregate results, one row per group (in group id order;
    /// for a two-level table, bucket by bucket).
    pub fn finish(self) -> Result<(Vec<ArrayRef>, Vec<ArrayRef>)> {
        self.finish_parallel(1)
    }

    /// [`HashAggregator::finish`], finishing the buckets of a two-level table on up to
    /// `threads` threads.
    pub fn finish_parallel(self, threads: usize) -> Result<(Vec<ArrayRef>, Vec<ArrayRef>)> {
        match *self.level {
            Level::Single { table, .. } => table.finish(),
            Level::Two(t) => {
                let parts = parallel_map(t.buckets, threads, Table::finish)?;
                let column = |get: &dyn Fn(&Finished) -> &ArrayRef| -> Result<ArrayRef> {
                    let arrays: Vec<&dyn arrow::array::Array> =
                        parts.iter().map(|p| get(p).as_ref()).collect();
                    Ok(arrow::compute::concat(&arrays)?)
                };
                let nkeys = parts.first().map(|p| p.0.len()).unwrap_or(0);
                let naggs = parts.first().map(|p| p.1.len()).unwrap_or(0);
                let keys = (0..nkeys)
                    .map(|c| column(&|p| &p.0[c]))
                    .collect::<Result<Vec<_>>>()?;
                let aggs = (0..naggs)
                    .map(|c| column(&|p| &p.1[c]))
                    .collect::<Result<Vec<_>>>()?;
                Ok((keys, aggs))
            }
        }
    }
}

/// A finished table: key columns and aggregate results.
type Finished = (Vec<ArrayRef>, Vec<ArrayRef>);

/// Applies `f` to every item on up to `threads` threads (items are taken in order by
/// whichever thread is free), returning the results in item order or the first error.
fn parallel_map<T: Send, R: Send>(
    items: Vec<T>,
    threads: usize,
    f: impl Fn(T) -> Result<R> + Sync,
) -> Result<Vec<R>> {
    let threads = threads.clamp(1, items.len().max(1));
    if threads == 1 {
        return items.into_iter().map(f).collect();
    }
    let n = items.len();
    let jobs: Vec<Mutex<Option<T>>> = items.into_iter().map(|t| Mutex::new(Some(t))).collect();
    let results: Vec<Mutex<Option<Result<R>>>> = (0..n).map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    let worker = || loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(job) = jobs.get(i) else { break };
        let Some(item) = job.lock().ok().and_then(|mut j| j.take()) else {
            continue;
        };
        let r = f(item);
        if let Ok(mut slot) = results[i].lock() {
            *slot = Some(r);
        }
    };
    crossbeam::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|_| worker());
        }
    })
    .map_err(|_| {
        crate::error::QueryError::new(
            crate::error::ErrorCode::LogicalError,
            "an aggregation thread panicked",
        )
    })?;
    results
        .into_iter()
        .map(|r| match r.into_inner().ok().flatten() {
            Some(r) => r,
            None => crate::query_err!(LogicalError, "an aggregation job did not run"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{AsArray, UInt64Array};
    use arrow::datatypes::{DataType as ArrowType, UInt64Type};
    use granary_storage::types::DataType;

    fn count_call() -> AggregateCall {
        let func = crate::aggregates::registry()
            .get("count", &[], &[])
            .unwrap()
            .unwrap();
        AggregateCall {
            func,
            args: Vec::new(),
            name: "count()".into(),
        }
    }

    fn sum_call() -> AggregateCall {
        let func = crate::aggregates::registry()
            .get("sum", &[], &[DataType::UInt64])
            .unwrap()
            .unwrap();
        AggregateCall {
            func,
            args: Vec::new(),
            name: "sum(x)".into(),
        }
    }

    /// Feeds keys `from..to` (mod `modulo`) with the key as the summed argument.
    fn feed(a: &mut HashAggregator, from: u64, to: u64, modulo: u64) {
        let keys: ArrayRef = Arc::new(UInt64Array::from_iter_values(
            (from..to).map(|i| i % modulo),
        ));
        let rows = (to - from) as usize;
        let args = [vec![], vec![keys.clone()]];
        a.update(std::slice::from_ref(&keys), &args, rows).unwrap();
    }

    #[test]
    fn turns_two_level_and_merges_in_parallel() {
        let calls = [count_call(), sum_call()];
        let mut a = HashAggregator::new(&[ArrowType::UInt64], &calls).unwrap();
        let mut b = HashAggregator::new(&[ArrowType::UInt64], &calls).unwrap();
        let mut c = HashAggregator::new(&[ArrowType::UInt64], &calls).unwrap();
        feed(&mut a, 0, 50_000, 200_000);
        assert!(!a.is_two_level());
        feed(&mut a, 50_000, 200_000, 200_000);
        assert!(a.is_two_level());
        feed(&mut a, 200_000, 400_000, 200_000);
        feed(&mut b, 0, 400_000, 200_000);
        assert!(b.is_two_level());
        // A small single-level table is rebuilt from its input at merge time.
        feed(&mut c, 0, 100, 200_000);
        assert!(!c.is_two_level());
        let m = HashAggregator::merge_all(vec![a, b, c], 4)
            .unwrap()
            .unwrap();
        assert!(m.is_two_level());
        assert_eq!(m.num_groups(), 200_000);
        let (keys, aggs) = m.finish().unwrap();
        let k = keys[0].as_primitive::<UInt64Type>();
        let n = aggs[0].as_primitive::<UInt64Type>();
        let s = aggs[1].as_primitive::<UInt64Type>();
        let mut seen = vec![false; 200_000];
        for i in 0..k.len() {
            let key = k.value(i);
            let want = if key < 100 { 5 } else { 4 };
            assert_eq!(n.value(i), want, "key {key}");
            assert_eq!(s.value(i), want * key, "key {key}");
            assert!(!std::mem::replace(&mut seen[key as usize], true));
        }
    }
}
