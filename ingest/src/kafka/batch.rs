//! A batch of Kafka messages as they are collected: column-wise buffers that grow once
//! and are reused from batch to batch, so consuming allocates nothing per message.

use std::collections::{BTreeMap, HashSet};

/// One consumed message, borrowed from the consumer while it is added to a batch.
#[derive(Clone, Debug, Default)]
pub struct MessageRecord<'a> {
    /// The topic.
    pub topic: &'a str,
    /// The partition.
    pub partition: i32,
    /// The offset.
    pub offset: i64,
    /// The message timestamp in milliseconds, if it has one.
    pub timestamp_ms: Option<i64>,
    /// The key (empty for none).
    pub key: &'a [u8],
    /// The payload (empty for none).
    pub payload: &'a [u8],
    /// The headers, as (name, value).
    pub headers: Vec<(&'a str, &'a [u8])>,
}

/// What a batch keeps of each message besides its payload and key.
#[derive(Clone, Copy, Debug)]
struct Meta {
    topic: u32,
    partition: i32,
    offset: i64,
    timestamp_ms: Option<i64>,
}

/// Messages collected for one block, stored column-wise in a few growing buffers (no
/// allocation per message): payloads back to back, each followed by a newline, so a
/// newline-separated format parses the whole batch in one call.
#[derive(Debug, Default)]
pub struct Batch {
    /// The distinct topics; `Meta::topic` indexes them.
    topics: Vec<String>,
    meta: Vec<Meta>,
    /// The payloads, each followed by `\n`.
    data: Vec<u8>,
    /// Where each payload ends in `data` (its newline's position).
    payload_ends: Vec<usize>,
    keys: Vec<u8>,
    key_ends: Vec<usize>,
    /// (message index, name, value), in message order.
    headers: Vec<(usize, String, Vec<u8>)>,
    /// Whether some payload is empty or holds a newline itself (no one-call parse then).
    irregular: bool,
}

impl Batch {
    /// Messages in the batch.
    pub fn len(&self) -> usize {
        self.meta.len()
    }

    /// Whether the batch has no message.
    pub fn is_empty(&self) -> bool {
        self.meta.is_empty()
    }

    /// Empties the batch, keeping its buffers for the next one.
    pub fn clear(&mut self) {
        self.topics.clear();
        self.meta.clear();
        self.data.clear();
        self.payload_ends.clear();
        self.keys.clear();
        self.key_ends.clear();
        self.headers.clear();
        self.irregular = false;
    }

    /// Appends a message.
    pub fn push(&mut self, m: &MessageRecord<'_>) {
        let topic = match self.topics.iter().position(|t| t == m.topic) {
            Some(i) => i,
            None => {
                self.topics.push(m.topic.to_string());
                self.topics.len() - 1
            }
        };
        self.meta.push(Meta {
            topic: topic as u32,
            partition: m.partition,
            offset: m.offset,
            timestamp_ms: m.timestamp_ms,
        });
        self.irregular |= m.payload.is_empty() || m.payload.contains(&b'\n');
        self.data.extend_from_slice(m.payload);
        self.payload_ends.push(self.data.len());
        self.data.push(b'\n');
        self.keys.extend_from_slice(m.key);
        self.key_ends.push(self.keys.len());
        for (name, value) in &m.headers {
            self.headers
                .push((self.meta.len() - 1, name.to_string(), value.to_vec()));
        }
    }

    /// The topic of message `i`.
    pub fn topic(&self, i: usize) -> &str {
        &self.topics[self.meta[i].topic as usize]
    }

    /// The partition of message `i`.
    pub fn partition(&self, i: usize) -> i32 {
        self.meta[i].partition
    }

    /// The payload of message `i`.
    pub fn payload(&self, i: usize) -> &[u8] {
        let start = if i == 0 {
            0
        } else {
            self.payload_ends[i - 1] + 1
        };
        &self.data[start..self.payload_ends[i]]
    }

    /// The offset of message `i`.
    pub fn offset(&self, i: usize) -> i64 {
        self.meta[i].offset
    }

    /// The timestamp of message `i` in milliseconds, if it has one.
    pub fn timestamp_ms(&self, i: usize) -> Option<i64> {
        self.meta[i].timestamp_ms
    }

    /// The key of message `i` (empty for none).
    pub fn key(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.key_ends[i - 1] };
        &self.keys[start..self.key_ends[i]]
    }

    /// The headers of message `i`, as (name, value).
    pub fn headers(&self, i: usize) -> impl Iterator<Item = (&str, &[u8])> + '_ {
        let from = self.headers.partition_point(|h| h.0 < i);
        self.headers[from..]
            .iter()
            .take_while(move |h| h.0 == i)
            .map(|(_, n, v)| (n.as_str(), v.as_slice()))
    }

    /// All payloads, each followed by a newline, when every payload is one non-empty line
    /// (so a newline-separated format yields one row per message); `None` otherwise.
    pub fn joined_payloads(&self) -> Option<&[u8]> {
        (!self.irregular).then_some(self.data.as_slice())
    }

    /// The next offset to read of every (topic, partition) in the batch.
    pub fn next_offsets(&self) -> BTreeMap<(String, i32), i64> {
        let mut next: BTreeMap<(String, i32), i64> = BTreeMap::new();
        let mut last: Option<(u32, i32, i64)> = None;
        for m in &self.meta {
            // Runs of one partition are the common case: one map update per run.
            match &mut last {
                Some((t, p, o)) if *t == m.topic && *p == m.partition => *o = (*o).max(m.offset),
                _ => {
                    if let Some((t, p, o)) = last.take() {
                        let e = next
                            .entry((self.topics[t as usize].clone(), p))
                            .or_insert(0);
                        *e = (*e).max(o + 1);
                    }
                    last = Some((m.topic, m.partition, m.offset));
                }
            }
        }
        if let Some((t, p, o)) = last {
            let e = next
                .entry((self.topics[t as usize].clone(), p))
                .or_insert(0);
            *e = (*e).max(o + 1);
        }
        next
    }

    /// Drops the messages of the given (topic, partition)s.
    pub fn remove_partitions(&mut self, gone: &HashSet<(String, i32)>) {
        let hit = |b: &Batch, i: usize| {
            gone.iter()
                .any(|(t, p)| *p == b.partition(i) && t == b.topic(i))
        };
        if !(0..self.len()).any(|i| hit(self, i)) {
            return;
        }
        let old = std::mem::take(self);
        for i in 0..old.len() {
            if hit(&old, i) {
                continue;
            }
            let m = old.meta[i];
            self.push(&MessageRecord {
                topic: old.topic(i),
                partition: m.partition,
                offset: m.offset,
                timestamp_ms: m.timestamp_ms,
                key: old.key(i),
                payload: old.payload(i),
                headers: old.headers(i).collect(),
            });
        }
    }
}
