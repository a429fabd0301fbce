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

/// The groups and aggregate states of one thread (or of the whole query after merging).
pub struct HashAggregator {
    converter: Option<RowConverter>,
    map: KeyMap,
    /// Key bytes of each group, by group id.
    keys: Vec<Box<[u8]>>,
    accumulators: Vec<Box<dyn crate::aggregates::Accumulator>>,
    num_groups: usize,
}

impl std::fmt::Debug for HashAggregator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HashAggregator({} groups)", self.num_groups)
    }
}

impl HashAggregator {
    /// An empty table for keys of `key_types` (Arrow types) and `calls`. Without keys
    /// there is exactly one group.
    pub fn new(
        key_types: &[arrow::datatypes::DataType],
        calls: &[AggregateCall],
    ) -> Result<HashAggregator> {
        let converter = if key_types.is_empty() {
            None
        } else {
            Some(RowConverter::new(
                key_types
                    .iter()
                    .map(|t| SortField::new(t.clone()))
                    .collect(),
            )?)
        };
        let accumulators = calls
            .iter()
            .map(|c| c.func.create_accumulator())
            .collect::<Result<Vec<_>>>()?;
        let num_groups = if converter.is_none() { 1 } else { 0 };
        Ok(HashAggregator {
            converter,
            map: KeyMap::default(),
            keys: Vec::new(),
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
        self.keys.iter().map(|k| k.len() + 32).sum::<usize>()
            + self
                .accumulators
                .iter()
                .map(|a| a.memory_size())
                .sum::<usize>()
    }

    /// Adds a batch: `keys` are the key columns, `args[i]` the arguments of aggregate `i`.
    pub fn update(&mut self, keys: &[ArrayRef], args: &[Vec<ArrayRef>], rows: usize) -> Result<()> {
        let ids: Vec<u32> = match &self.converter {
            None => vec![0; rows],
            Some(conv) => {
                let encoded = conv.convert_columns(keys)?;
                let mut ids = Vec::with_capacity(rows);
                for row in encoded.iter() {
                    let bytes = row.as_ref();
                    let id = match self.map.get(bytes) {
                        Some(id) => *id,
                        None => {
                            let id = self.num_groups as u32;
                            let b: Box<[u8]> = bytes.into();
                            self.map.insert(b.clone(), id);
                            self.keys.push(b);
                            self.num_groups += 1;
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

    /// Merges another thread's table into this one.
    pub fn merge(&mut self, mut other: HashAggregator) -> Result<()> {
        let mapping: Vec<u32> = if self.converter.is_none() {
            vec![0; other.num_groups]
        } else {
            let mut m = Vec::with_capacity(other.num_groups);
            for k in other.keys.drain(..) {
                let id = match self.map.get(&k) {
                    Some(id) => *id,
                    None => {
                        let id = self.num_groups as u32;
                        self.map.insert(k.clone(), id);
                        self.keys.push(k);
                        self.num_groups += 1;
                        id
                    }
                };
                m.push(id);
            }
            m
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
        let keys = match &self.converter {
            None => Vec::new(),
            Some(conv) => {
                let parser = conv.parser();
                let rows = self.keys.iter().map(|k| parser.parse(k));
                conv.convert_rows(rows)?
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
