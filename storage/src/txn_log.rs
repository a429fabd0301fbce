//! The commit log (`txn.log`): the single source of truth for which parts are active.
//!
//! Every change to the set of active parts — an insert (possibly many parts in several
//! tables, e.g. a source table and its materialized views), a merge, a dropped partition —
//! is one [`CommitRecord`] appended and fsynced here. A part directory that is not named as
//! active by the log is garbage: an insert that crashed before its record was written, or a
//! part a later record removed. So a commit is atomic: all of its parts become active at
//! once, or none does. Records may also carry metadata, such as the Kafka offsets that
//! produced the parts, committed in the same step.
//!
//! Frame format (little-endian): `magic u32 = 0x58545247 ("GRTX")`, `len u32`,
//! `xxh3_64(payload) u64`, `payload` (`len` bytes of JSON [`LogEntry`]). A torn tail (a
//! crash mid-append: a short frame, a bad last frame, or zeros) ends the log and is
//! truncated on open. A bad frame with data after it is corruption, not a torn append: the
//! log then refuses to open (CORRUPTED_DATA) rather than forget the commits after it. When
//! the log grows past [`CHECKPOINT_BYTES`] it is rewritten as one checkpoint entry holding
//! the whole state.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Result, StorageError};
use crate::fs as cfs;

const MAGIC: u32 = 0x5854_5247;
const HEADER: usize = 16;
/// Size of the log after which it is compacted into a checkpoint.
pub const CHECKPOINT_BYTES: u64 = 4 << 20;
/// Largest accepted record, a guard against garbage lengths.
const MAX_RECORD: usize = 256 << 20;

/// The change one commit makes to one table.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableChange {
    /// The table's UUID.
    pub table: String,
    /// Part names made active.
    pub added: Vec<String>,
    /// Part names made outdated.
    pub removed: Vec<String>,
}

/// One atomic commit.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitRecord {
    /// Increasing commit number.
    pub txn_id: u64,
    /// Per-table changes.
    pub tables: Vec<TableChange>,
    /// Metadata set by this commit (e.g. Kafka offsets), keyed by the caller.
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
}

/// The durable state of one table.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableState {
    /// Active part names.
    pub active: BTreeSet<String>,
    /// The next insert block number (greater than every block ever committed).
    pub next_block: u64,
}

/// The whole durable state: what replaying the log yields.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogState {
    /// Next commit number.
    pub next_txn: u64,
    /// By table UUID.
    pub tables: BTreeMap<String, TableState>,
    /// Committed metadata.
    pub metadata: BTreeMap<String, String>,
}

/// An entry of the log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LogEntry {
    /// A commit.
    Commit(CommitRecord),
    /// A table was dropped: forget its state.
    DropTable(String),
    /// The whole state, replacing everything before it.
    Checkpoint(LogState),
}

impl LogState {
    /// Applies one entry.
    pub fn apply(&mut self, entry: &LogEntry) {
        match entry {
            LogEntry::Commit(c) => {
                self.next_txn = self.next_txn.max(c.txn_id + 1);
                for t in &c.tables {
                    let st = self.tables.entry(t.table.clone()).or_default();
                    for r in &t.removed {
                        st.active.remove(r);
                    }
                    for a in &t.added {
                        if let Ok(info) = crate::part::PartInfo::parse(a) {
                            st.next_block = st.next_block.max(info.max_block + 1);
                        }
                        st.active.insert(a.clone());
                    }
                }
                for (k, v) in &c.metadata {
                    self.metadata.insert(k.clone(), v.clone());
                }
            }
            LogEntry::DropTable(uuid) => {
                self.tables.remove(uuid);
                let prefix = format!("{uuid}:");
                self.metadata.retain(|k, _| !k.starts_with(&prefix));
            }
            LogEntry::Checkpoint(s) => *self = s.clone(),
        }
    }
}

/// The open commit log.
pub struct TxnLog {
    path: PathBuf,
    file: File,
    size: u64,
    state: LogState,
}

fn encode_frame(entry: &LogEntry) -> Result<Vec<u8>> {
    let payload = serde_json::to_vec(entry)
        .map_err(|e| StorageError::Logical(format!("serialize log entry: {e}")))?;
    let mut frame = Vec::with_capacity(HEADER + payload.len());
    frame.extend_from_slice(&MAGIC.to_le_bytes());
    frame.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    frame.extend_from_slice(&xxhash_rust::xxh3::xxh3_64(&payload).to_le_bytes());
    frame.extend_from_slice(&payload);
    Ok(frame)
}

/// Whether the bytes from `pos` on can be what a crash mid-append leaves: a frame cut short,
/// a single last frame whose bytes did not all reach the disk, or zeros.
fn is_torn_tail(bytes: &[u8], pos: usize) -> bool {
    let rest = &bytes[pos..];
    if rest.len() < HEADER || rest.iter().all(|b| *b == 0) {
        return true;
    }
    let len = u32::from_le_bytes([rest[4], rest[5], rest[6], rest[7]]) as usize;
    let magic = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]);
    // A frame that claims more bytes than remain, or that ends exactly at the end of the
    // file (the last append), is torn; one followed by more data is corruption.
    magic == MAGIC && (HEADER + len >= rest.len())
}

/// Decodes frames from `bytes`; returns the entries and the length of the valid prefix.
fn decode_frames(bytes: &[u8]) -> (Vec<LogEntry>, usize) {
    let mut entries = Vec::new();
    let mut pos = 0;
    while bytes.len() - pos >= HEADER {
        let h = &bytes[pos..pos + HEADER];
        let word = |i: usize| u32::from_le_bytes([h[i], h[i + 1], h[i + 2], h[i + 3]]);
        let len = word(4) as usize;
        let mut sum = [0u8; 8];
        sum.copy_from_slice(&h[8..16]);
        if word(0) != MAGIC || len > MAX_RECORD || bytes.len() - pos - HEADER < len {
            break;
        }
        let payload = &bytes[pos + HEADER..pos + HEADER + len];
        if xxhash_rust::xxh3::xxh3_64(payload) != u64::from_le_bytes(sum) {
            break;
        }
        match serde_json::from_slice::<LogEntry>(payload) {
            Ok(e) => entries.push(e),
            Err(_) => break,
        }
        pos += HEADER + len;
    }
    (entries, pos)
}

impl TxnLog {
    /// Opens (or creates) the log in `dir`, replays it and truncates a torn tail.
    pub fn open(dir: &Path) -> Result<TxnLog> {
        let path = dir.join("txn.log");
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(StorageError::io(&path, e)),
        };
        let (entries, valid) = decode_frames(&bytes);
        if valid < bytes.len() && !is_torn_tail(&bytes, valid) {
            return Err(StorageError::CorruptedData(format!(
                "Commit log {} is corrupt at byte {valid} of {} (after {} good entries), and valid data follows: refusing to open rather than lose the commits after it. Restore the file from a backup or inspect it",
                path.display(),
                bytes.len(),
                entries.len()
            )));
        }
        if valid < bytes.len() {
            tracing::warn!(
                "commit log {}: dropping {} bytes of torn tail after {} entries",
                path.display(),
                bytes.len() - valid,
                entries.len()
            );
        }
        let mut state = LogState::default();
        for e in &entries {
            state.apply(e);
        }
        let file = OpenOptions::new()
            .create(true)
            .read(true)
            .write(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| StorageError::io(&path, e))?;
        file.set_len(valid as u64)
            .map_err(|e| StorageError::io(&path, e))?;
        file.sync_all().map_err(|e| StorageError::io(&path, e))?;
        cfs::fsync_dir(dir)?;
        let mut log = TxnLog {
            path,
            file,
            size: valid as u64,
            state,
        };
        log.seek_end()?;
        Ok(log)
    }

    fn seek_end(&mut self) -> Result<()> {
        use std::io::Seek;
        self.file
            .seek(std::io::SeekFrom::End(0))
            .map_err(|e| StorageError::io(&self.path, e))?;
        Ok(())
    }

    /// The replayed state.
    pub fn state(&self) -> &LogState {
        &self.state
    }

    /// The next commit number.
    pub fn next_txn_id(&self) -> u64 {
        self.state.next_txn
    }

    /// Appends `entry` and fsyncs. When this returns `Ok`, the entry survives a crash.
    pub fn append(&mut self, entry: LogEntry) -> Result<()> {
        let frame = encode_frame(&entry)?;
        let res = self
            .file
            .write_all(&frame)
            .and_then(|_| self.file.sync_data());
        if let Err(e) = res {
            // Cut off whatever part of the frame got written, so the log stays valid.
            let _ = self.file.set_len(self.size);
            let _ = self.seek_end();
            return Err(StorageError::io(&self.path, e));
        }
        self.size += frame.len() as u64;
        self.state.apply(&entry);
        if self.size > CHECKPOINT_BYTES {
            self.checkpoint()?;
        }
        Ok(())
    }

    /// Rewrites the log as one checkpoint entry (atomically, via rename).
    pub fn checkpoint(&mut self) -> Result<()> {
        let frame = encode_frame(&LogEntry::Checkpoint(self.state.clone()))?;
        let tmp = self.path.with_extension("log.new");
        cfs::write_file_synced(&tmp, &frame)?;
        cfs::durable_rename(&tmp, &self.path)?;
        self.file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&self.path)
            .map_err(|e| StorageError::io(&self.path, e))?;
        self.size = frame.len() as u64;
        self.seek_end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commit(id: u64, table: &str, added: &[&str], removed: &[&str]) -> LogEntry {
        LogEntry::Commit(CommitRecord {
            txn_id: id,
            tables: vec![TableChange {
                table: table.into(),
                added: added.iter().map(|s| s.to_string()).collect(),
                removed: removed.iter().map(|s| s.to_string()).collect(),
            }],
            metadata: [("k".to_string(), id.to_string())].into(),
        })
    }

    #[test]
    fn replays_and_survives_torn_tail() {
        let dir = tempfile::tempdir().unwrap();
        {
            let mut log = TxnLog::open(dir.path()).unwrap();
            log.append(commit(0, "t", &["all_1_1_0"], &[])).unwrap();
            log.append(commit(1, "t", &["all_2_2_0"], &[])).unwrap();
            log.append(commit(2, "t", &["all_1_2_1"], &["all_1_1_0", "all_2_2_0"]))
                .unwrap();
        }
        // A torn append: half a frame at the end.
        let p = dir.path().join("txn.log");
        let mut bytes = std::fs::read(&p).unwrap();
        let frame = encode_frame(&commit(3, "t", &["all_3_3_0"], &[])).unwrap();
        bytes.extend_from_slice(&frame[..frame.len() / 2]);
        std::fs::write(&p, &bytes).unwrap();
        let mut log = TxnLog::open(dir.path()).unwrap();
        let st = &log.state().tables["t"];
        assert_eq!(st.active.iter().collect::<Vec<_>>(), ["all_1_2_1"]);
        assert_eq!(st.next_block, 3);
        assert_eq!(log.state().metadata["k"], "2");
        log.append(commit(3, "t", &["all_3_3_0"], &[])).unwrap();
        log.checkpoint().unwrap();
        drop(log);
        let log = TxnLog::open(dir.path()).unwrap();
        assert_eq!(log.state().tables["t"].active.len(), 2);
        assert_eq!(log.next_txn_id(), 4);
    }

    #[test]
    fn corruption_in_the_middle_refuses_to_open() {
        let dir = tempfile::tempdir().unwrap();
        {
            let mut log = TxnLog::open(dir.path()).unwrap();
            for i in 0..3 {
                log.append(commit(i, "t", &[&format!("all_{0}_{0}_0", i + 1)], &[]))
                    .unwrap();
            }
        }
        let p = dir.path().join("txn.log");
        let good = std::fs::read(&p).unwrap();
        let mut bad = good.clone();
        bad[HEADER + 3] ^= 0x01; // inside the first payload
        std::fs::write(&p, &bad).unwrap();
        let e = TxnLog::open(dir.path()).err().unwrap();
        assert_eq!(e.code(), 246, "{e}");
        // Nothing was truncated.
        assert_eq!(std::fs::read(&p).unwrap().len(), good.len());
        // A damaged LAST frame is a torn append: dropped.
        let mut torn = good.clone();
        let n = torn.len();
        torn[n - 2] ^= 0x01;
        std::fs::write(&p, &torn).unwrap();
        let log = TxnLog::open(dir.path()).unwrap();
        assert_eq!(log.state().tables["t"].active.len(), 2);
        // Zeros after the last frame (a size extended before the data landed) are a tail.
        drop(log);
        let mut zeros = good.clone();
        zeros.extend_from_slice(&[0u8; 100]);
        std::fs::write(&p, &zeros).unwrap();
        assert_eq!(
            TxnLog::open(dir.path()).unwrap().state().tables["t"]
                .active
                .len(),
            3
        );
    }
}
