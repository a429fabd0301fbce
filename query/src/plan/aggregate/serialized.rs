//! Group keys as byte strings in one arena (ClickHouse's "serialized" aggregation method):
//! keys of several columns, strings, or anything without a fixed width, in the Arrow row
//! format.
//!
//! One allocation holds every key's bytes; the hash table holds (hash, group id) pairs, so
//! a probe compares the stored hash before any bytes, growing never rehashes a key, and
//! merging two tables reuses the hashes.

use hashbrown::hash_table::Entry;
use hashbrown::HashTable;

/// The hash of a key's bytes.
pub fn hash_key(bytes: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(bytes)
}

/// Distinct keys, numbered `0..len()` in insertion order.
#[derive(Default)]
pub struct SerializedKeys {
    table: HashTable<(u64, u32)>,
    arena: Vec<u8>,
    /// `ends[i]` is one past the last byte of key `i`; key `i` starts at `ends[i - 1]`.
    ends: Vec<usize>,
    hashes: Vec<u64>,
}

impl SerializedKeys {
    /// Number of keys.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Makes room for `additional` more keys.
    pub fn reserve(&mut self, additional: usize) {
        self.table.reserve(additional, |&(h, _)| h);
        self.ends.reserve(additional);
        self.hashes.reserve(additional);
    }

    /// Key `i`'s bytes.
    pub fn key(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.arena[start..self.ends[i]]
    }

    /// Every key with its hash, in number order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], u64)> + '_ {
        (0..self.len()).map(|i| (self.key(i), self.hashes[i]))
    }

    /// The number of `key` (whose hash is `hash`), inserting it as the next number when
    /// new.
    pub fn get_or_insert(&mut self, key: &[u8], hash: u64) -> u32 {
        let SerializedKeys {
            table,
            arena,
            ends,
            hashes,
        } = self;
        let eq = |&(h, id): &(u64, u32)| {
            h == hash && {
                let i = id as usize;
                let start = if i == 0 { 0 } else { ends[i - 1] };
                &arena[start..ends[i]] == key
            }
        };
        match table.entry(hash, eq, |&(h, _)| h) {
            Entry::Occupied(e) => e.get().1,
            Entry::Vacant(v) => {
                let id = ends.len() as u32;
                v.insert((hash, id));
                arena.extend_from_slice(key);
                ends.push(arena.len());
                hashes.push(hash);
                id
            }
        }
    }

    /// Approximate bytes held.
    pub fn memory_size(&self) -> usize {
        self.arena.capacity() + self.ends.capacity() * 16 + self.table.capacity() * 17
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keys_in_insertion_order() {
        let mut k = SerializedKeys::default();
        let words: Vec<Vec<u8>> = (0..1000u32)
            .map(|i| format!("k{}", i % 300).into_bytes())
            .collect();
        let ids: Vec<u32> = words
            .iter()
            .map(|w| k.get_or_insert(w, hash_key(w)))
            .collect();
        assert_eq!(k.len(), 300);
        for (w, id) in words.iter().zip(&ids) {
            assert_eq!(k.key(*id as usize), w.as_slice());
        }
        assert_eq!(ids[..3], [0, 1, 2]);
        assert_eq!(ids[300], 0);
        let empty = k.get_or_insert(b"", hash_key(b""));
        assert_eq!(empty, 300);
        assert_eq!(k.key(300), b"");
        let all: Vec<&[u8]> = k.iter().map(|(b, _)| b).collect();
        assert_eq!(all.len(), 301);
        assert_eq!(all[299], b"k299");
    }
}
