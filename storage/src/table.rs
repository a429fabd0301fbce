//! A MergeTree table: its schema, its current snapshot of active parts, inserts (split by
//! partition, sorted, written as parts) and the bookkeeping merges need.
//!
//! Changing the set of active parts always goes through a
//! [`Transaction`](crate::transaction::Transaction), which makes the change durable in the
//! commit log first and then swaps the snapshot.

pub mod key_condition;
pub mod loader;
mod optimize;
pub mod partition;
pub mod snapshot;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use arrow::record_batch::RecordBatch;
use parking_lot::{Mutex, RwLock};

pub use key_condition::{ColumnRange, KeyCondition};
pub use snapshot::{PartRanges, TableSnapshot};

use crate::error::{Result, StorageError};
use crate::part::{sort_batch, DataPart, PartInfo, PartWriter, WrittenPart};
use crate::schema::TableSchema;
use crate::txn_log::TxnLog;

/// One MergeTree table.
pub struct MergeTreeTable {
    /// Database name.
    pub database: String,
    /// Table name.
    pub name: String,
    /// Stable identity, also the name of its data directory.
    pub uuid: String,
    dir: PathBuf,
    schema: Arc<TableSchema>,
    snapshot: RwLock<Arc<TableSnapshot>>,
    next_block: AtomicU64,
    tmp_counter: AtomicU64,
    pub(crate) log: Arc<Mutex<TxnLog>>,
    /// Names of parts taken by running merges.
    merging: Mutex<HashSet<String>>,
    merges_stopped: AtomicBool,
    /// Set when the table is dropped: running merges abort.
    pub(crate) dropped: AtomicBool,
}

impl std::fmt::Debug for MergeTreeTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MergeTreeTable({})", self.full_name())
    }
}

impl MergeTreeTable {
    #[allow(clippy::too_many_arguments)] // a plain constructor of the table's parts
    pub(crate) fn new(
        database: &str,
        name: &str,
        uuid: &str,
        dir: PathBuf,
        schema: TableSchema,
        parts: Vec<Arc<DataPart>>,
        next_block: u64,
        log: Arc<Mutex<TxnLog>>,
    ) -> MergeTreeTable {
        let mut parts = parts;
        parts.sort_by(|a, b| a.info.cmp(&b.info));
        MergeTreeTable {
            database: database.to_string(),
            name: name.to_string(),
            uuid: uuid.to_string(),
            dir,
            schema: Arc::new(schema),
            snapshot: RwLock::new(Arc::new(TableSnapshot { parts })),
            next_block: AtomicU64::new(next_block.max(1)),
            tmp_counter: AtomicU64::new(0),
            log,
            merging: Mutex::new(HashSet::new()),
            merges_stopped: AtomicBool::new(false),
            dropped: AtomicBool::new(false),
        }
    }

    /// `database.name`, as used in messages.
    pub fn full_name(&self) -> String {
        format!("{}.{}", self.database, self.name)
    }

    /// The table's schema.
    pub fn schema(&self) -> &Arc<TableSchema> {
        &self.schema
    }

    /// The table's data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The current snapshot of active parts; hold it for the duration of a read.
    pub fn snapshot(&self) -> Arc<TableSnapshot> {
        self.snapshot.read().clone()
    }

    /// A fresh temporary directory path for a part being written (`tmp_<kind>_<part>_<n>`).
    pub fn tmp_dir(&self, kind: &str, info: &PartInfo) -> PathBuf {
        let n = self.tmp_counter.fetch_add(1, Ordering::Relaxed);
        self.dir.join(format!("tmp_{kind}_{}_{n}", info.name()))
    }

    /// Allocates an insert block number.
    pub fn allocate_block(&self) -> u64 {
        self.next_block.fetch_add(1, Ordering::SeqCst)
    }

    /// Whether background merges are paused (`SYSTEM STOP MERGES`).
    pub fn merges_stopped(&self) -> bool {
        self.merges_stopped.load(Ordering::Acquire)
    }

    /// Pauses or resumes background merges of this table.
    pub fn set_merges_stopped(&self, stopped: bool) {
        self.merges_stopped.store(stopped, Ordering::Release);
    }

    /// Reserves `names` for a merge; false if any is already taken.
    pub fn try_reserve_for_merge(&self, names: &[String]) -> bool {
        let mut m = self.merging.lock();
        if names.iter().any(|n| m.contains(n)) {
            return false;
        }
        m.extend(names.iter().cloned());
        true
    }

    /// Releases parts reserved by [`MergeTreeTable::try_reserve_for_merge`].
    pub fn release_merge_reservation(&self, names: &[String]) {
        let mut m = self.merging.lock();
        for n in names {
            m.remove(n);
        }
    }

    /// Number of parts currently being merged.
    pub fn parts_in_merges(&self) -> usize {
        self.merging.lock().len()
    }

    /// Names of the parts currently being merged.
    pub fn reserved_names(&self) -> HashSet<String> {
        self.merging.lock().clone()
    }

    /// The largest number of active parts in any one partition.
    pub fn max_parts_in_partition(&self) -> usize {
        let snap = self.snapshot();
        let mut best = 0;
        let mut run = 0;
        let mut last: Option<&str> = None;
        for p in &snap.parts {
            if last == Some(p.info.partition_id.as_str()) {
                run += 1;
            } else {
                run = 1;
                last = Some(p.info.partition_id.as_str());
            }
            best = best.max(run);
        }
        best
    }

    /// ClickHouse's insert throttling: above `parts_to_throw_insert` active parts in one
    /// partition an insert fails with TOO_MANY_PARTS; above `parts_to_delay_insert` it is
    /// delayed, longer the closer the table is to the limit.
    pub fn throttle_insert(&self) -> Result<()> {
        let s = &self.schema.settings;
        let parts = self.max_parts_in_partition();
        if parts >= s.parts_to_throw_insert {
            return Err(StorageError::TooManyParts(format!(
                "Too many parts ({parts} with average size of {}) in table '{}'. Merges are processing significantly slower than inserts (parts_to_throw_insert = {})",
                self.snapshot().total_bytes() / parts.max(1) as u64,
                self.full_name(),
                s.parts_to_throw_insert
            )));
        }
        if parts >= s.parts_to_delay_insert {
            let over = (parts - s.parts_to_delay_insert + 1) as u64;
            let span = (s.parts_to_throw_insert - s.parts_to_delay_insert).max(1) as u64;
            let ms = (s.max_delay_to_insert_ms * over / span).min(s.max_delay_to_insert_ms);
            tracing::info!(
                "delaying insert into {} by {ms} ms: {parts} active parts in a partition",
                self.full_name()
            );
            std::thread::sleep(Duration::from_millis(ms));
        }
        Ok(())
    }

    /// Writes `batch` as new parts (one per partition, sorted by the sort key) in temporary
    /// directories. Nothing is visible until the parts are committed in a transaction.
    /// Columns must be the table's stored columns in order, with their Arrow types.
    pub fn write_parts(&self, batch: &RecordBatch) -> Result<Vec<WrittenPart>> {
        let expected = self.schema.arrow_schema();
        if batch.num_columns() != expected.fields().len() {
            return Err(StorageError::TypeMismatch(format!(
                "Insert into {} has {} columns, the table stores {}",
                self.full_name(),
                batch.num_columns(),
                expected.fields().len()
            )));
        }
        for (f, a) in expected.fields().iter().zip(batch.columns()) {
            if !f.data_type().equals_datatype(a.data_type()) {
                return Err(StorageError::TypeMismatch(format!(
                    "Column {} of {} expects Arrow type {}, got {}",
                    f.name(),
                    self.full_name(),
                    f.data_type(),
                    a.data_type()
                )));
            }
        }
        if batch.num_rows() == 0 {
            return Ok(Vec::new());
        }
        let batch = RecordBatch::try_new(expected, batch.columns().to_vec())?;
        let key_idx: Vec<usize> = self
            .schema
            .order_by
            .iter()
            .map(|k| {
                self.schema
                    .stored_columns()
                    .position(|c| &c.name == k)
                    .ok_or_else(|| StorageError::NoSuchColumn(k.clone()))
            })
            .collect::<Result<_>>()?;
        let mut written = Vec::new();
        for (values, part_batch) in partition::split_by_partition(&self.schema, &batch)? {
            let sorted = sort_batch(&part_batch, &key_idx)?;
            let block = self.allocate_block();
            let info = PartInfo {
                partition_id: partition::partition_id(&values),
                min_block: block,
                max_block: block,
                level: 0,
            };
            let tmp = self.tmp_dir("insert", &info);
            let result = (|| {
                let mut w = PartWriter::new(&self.schema, info.clone(), values, tmp.clone())?;
                w.write(&sorted)?;
                w.finish()
            })();
            match result {
                Ok(p) => written.push(p),
                Err(e) => {
                    let _ = crate::fs::remove_dir_all_if_exists(&tmp);
                    for p in &written {
                        let _ = crate::fs::remove_dir_all_if_exists(&p.tmp_dir);
                    }
                    return Err(e.context(format!("insert into {}", self.full_name())));
                }
            }
        }
        Ok(written)
    }

    /// Inserts `batch` durably and atomically: all of its parts become visible together, or
    /// (on error) none. Throttles first when the table has too many parts.
    pub fn insert(self: &Arc<Self>, batch: &RecordBatch) -> Result<()> {
        self.throttle_insert()?;
        let parts = self.write_parts(batch)?;
        let mut txn = crate::transaction::Transaction::new(self.log.clone());
        txn.add_parts(self, parts);
        txn.commit()
    }

    /// Replaces the snapshot: removes `removed`, adds `added`; marks removed parts outdated.
    /// Called by a transaction while it holds the commit lock.
    pub(crate) fn apply_commit(&self, added: Vec<Arc<DataPart>>, removed: &[String]) {
        let mut guard = self.snapshot.write();
        let mut parts: Vec<Arc<DataPart>> = guard
            .parts
            .iter()
            .filter(|p| {
                let gone = removed.contains(&p.info.name());
                if gone {
                    p.mark_outdated();
                }
                !gone
            })
            .cloned()
            .collect();
        parts.extend(added);
        parts.sort_by(|a, b| a.info.cmp(&b.info));
        *guard = Arc::new(TableSnapshot { parts });
    }

    /// Names of the active parts of partition `partition_id` (all partitions with `None`).
    pub fn active_part_names(&self, partition_id: Option<&str>) -> Vec<String> {
        self.snapshot()
            .parts
            .iter()
            .filter(|p| partition_id.is_none_or(|id| p.info.partition_id == id))
            .map(|p| p.info.name())
            .collect()
    }

    /// `ALTER TABLE ... DROP PARTITION`: removes every active part of the partition
    /// atomically. Running merges of those parts fail at their commit.
    pub fn drop_partition(self: &Arc<Self>, partition_id: &str) -> Result<()> {
        let names = self.active_part_names(Some(partition_id));
        if names.is_empty() {
            return Ok(());
        }
        let mut txn = crate::transaction::Transaction::new(self.log.clone());
        txn.remove_parts(self, names);
        txn.commit()
    }

    /// `TRUNCATE TABLE`: removes every active part atomically.
    pub fn truncate(self: &Arc<Self>) -> Result<()> {
        let names = self.active_part_names(None);
        if names.is_empty() {
            return Ok(());
        }
        let mut txn = crate::transaction::Transaction::new(self.log.clone());
        txn.remove_parts(self, names);
        txn.commit()
    }

    /// The partition id whose partition value is `values` (for `DROP PARTITION <expr>`).
    pub fn partition_id_of(values: &[crate::value::Value]) -> String {
        partition::partition_id(values)
    }
}
