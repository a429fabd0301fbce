//! A transaction: parts added to and removed from one or more tables, plus metadata (such as
//! Kafka offsets), committed in one atomic, durable step (ClickHouse's
//! `MergeTreeData::Transaction`, extended over several tables).
//!
//! Commit protocol, under the commit-log lock:
//! 1. check that every part to remove is still active (a concurrent merge, drop or truncate
//!    may have replaced it: then the transaction aborts);
//! 2. rename each new part from its `tmp_*` directory into place, open it, fsync the table
//!    directories;
//! 3. append one [`CommitRecord`] naming every added and removed part and fsync it — the
//!    commit point;
//! 4. swap each table's snapshot.
//!
//! A failure before step 3 removes the renamed parts again; a crash before step 3 leaves
//! directories that startup deletes, because the log does not name them. A transaction
//! dropped without commit removes its temporary directories.

use std::collections::BTreeMap;
use std::sync::Arc;

use parking_lot::Mutex;

use crate::error::{Result, StorageError};
use crate::fs as cfs;
use crate::part::{DataPart, WrittenPart};
use crate::table::MergeTreeTable;
use crate::txn_log::{CommitRecord, LogEntry, TableChange, TxnLog};

struct PendingChange {
    table: Arc<MergeTreeTable>,
    added: Vec<WrittenPart>,
    removed: Vec<String>,
}

/// A set of part additions and removals that commit together.
pub struct Transaction {
    log: Arc<Mutex<TxnLog>>,
    changes: Vec<PendingChange>,
    metadata: BTreeMap<String, String>,
}

impl Transaction {
    /// A new, empty transaction on the commit log `log`.
    pub fn new(log: Arc<Mutex<TxnLog>>) -> Transaction {
        Transaction {
            log,
            changes: Vec::new(),
            metadata: BTreeMap::new(),
        }
    }

    fn change(&mut self, table: &Arc<MergeTreeTable>) -> &mut PendingChange {
        let i = match self
            .changes
            .iter()
            .position(|c| Arc::ptr_eq(&c.table, table))
        {
            Some(i) => i,
            None => {
                self.changes.push(PendingChange {
                    table: table.clone(),
                    added: Vec::new(),
                    removed: Vec::new(),
                });
                self.changes.len() - 1
            }
        };
        &mut self.changes[i]
    }

    /// Adds written parts of `table` (empty parts are discarded).
    pub fn add_parts(&mut self, table: &Arc<MergeTreeTable>, parts: Vec<WrittenPart>) {
        let ch = self.change(table);
        for p in parts {
            if p.meta.rows == 0 {
                let _ = cfs::remove_dir_all_if_exists(&p.tmp_dir);
            } else {
                ch.added.push(p);
            }
        }
    }

    /// Removes active parts of `table` by name.
    pub fn remove_parts(&mut self, table: &Arc<MergeTreeTable>, names: Vec<String>) {
        self.change(table).removed.extend(names);
    }

    /// Sets a metadata key, committed with the parts.
    pub fn set_metadata(&mut self, key: String, value: String) {
        self.metadata.insert(key, value);
    }

    /// Whether the transaction changes nothing.
    pub fn is_empty(&self) -> bool {
        self.metadata.is_empty()
            && self
                .changes
                .iter()
                .all(|c| c.added.is_empty() && c.removed.is_empty())
    }

    /// Commits atomically and durably. On error nothing of the transaction is visible.
    pub fn commit(mut self) -> Result<()> {
        if self.is_empty() {
            return Ok(());
        }
        let log_handle = self.log.clone();
        let mut log = log_handle.lock();
        // 1. Validate.
        for ch in &self.changes {
            if ch.table.dropped.load(std::sync::atomic::Ordering::Acquire) {
                return Err(StorageError::UnknownTable(format!(
                    "Table {} was dropped",
                    ch.table.full_name()
                )));
            }
            let snap = ch.table.snapshot();
            for r in &ch.removed {
                if !snap.parts.iter().any(|p| &p.info.name() == r) {
                    return Err(StorageError::Aborted(format!(
                        "Part {r} of table {} is no longer active (it was merged, dropped or truncated meanwhile)",
                        ch.table.full_name()
                    )));
                }
            }
        }
        // 2. Rename into place and open.
        let mut renamed: Vec<std::path::PathBuf> = Vec::new();
        let mut opened: Vec<Vec<Arc<DataPart>>> = Vec::new();
        let step2 = (|| -> Result<()> {
            for ch in &self.changes {
                let mut parts = Vec::new();
                for p in &ch.added {
                    let dest = ch.table.dir().join(p.info.name());
                    if dest.exists() {
                        return Err(StorageError::Logical(format!(
                            "Part directory {} already exists",
                            dest.display()
                        )));
                    }
                    std::fs::rename(&p.tmp_dir, &dest)
                        .map_err(|e| StorageError::io(&p.tmp_dir, e))?;
                    renamed.push(dest.clone());
                    parts.push(Arc::new(DataPart::open(
                        &dest,
                        &ch.table.full_name(),
                        false,
                    )?));
                }
                if !ch.added.is_empty() {
                    cfs::fsync_dir(ch.table.dir())?;
                }
                opened.push(parts);
            }
            Ok(())
        })();
        let rollback = |renamed: &[std::path::PathBuf]| {
            for d in renamed {
                let _ = cfs::remove_dir_all_if_exists(d);
            }
        };
        if let Err(e) = step2 {
            drop(opened);
            rollback(&renamed);
            return Err(e);
        }
        // 3. The commit point.
        let record = CommitRecord {
            txn_id: log.next_txn_id(),
            tables: self
                .changes
                .iter()
                .map(|ch| TableChange {
                    table: ch.table.uuid.clone(),
                    added: ch.added.iter().map(|p| p.info.name()).collect(),
                    removed: ch.removed.clone(),
                })
                .collect(),
            metadata: std::mem::take(&mut self.metadata),
        };
        if let Err(e) = log.append(LogEntry::Commit(record)) {
            drop(opened);
            rollback(&renamed);
            return Err(e);
        }
        // 4. Publish.
        for (ch, parts) in self.changes.iter_mut().zip(opened) {
            ch.added.clear();
            ch.table.apply_commit(parts, &ch.removed);
        }
        self.changes.clear();
        Ok(())
    }
}

impl Drop for Transaction {
    fn drop(&mut self) {
        for ch in &self.changes {
            for p in &ch.added {
                let _ = cfs::remove_dir_all_if_exists(&p.tmp_dir);
            }
        }
    }
}
