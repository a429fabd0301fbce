//! Running merges of a table: one background merge chosen by the selector, and
//! `OPTIMIZE TABLE t [PARTITION p] [FINAL]`.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::MergeTreeTable;
use crate::error::{Result, StorageError};
use crate::merge::merger::merge_parts;
use crate::merge::selector::{select_merge_excluding, MergeCandidate};
use crate::part::{DataPart, PartInfo};
use crate::schema::TableEngine;

/// How long `OPTIMIZE` waits for running merges of the same parts to finish.
const OPTIMIZE_WAIT: Duration = Duration::from_secs(300);

/// Releases a merge reservation when dropped, whatever happens to the merge.
struct Reservation<'a> {
    table: &'a MergeTreeTable,
    names: Vec<String>,
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        self.table.release_merge_reservation(&self.names);
    }
}

impl MergeTreeTable {
    /// Merges `parts` (adjacent, one partition, already reserved by the caller) into one part
    /// and commits the swap. A concurrent drop/truncate makes the commit fail harmlessly.
    fn run_merge(
        self: &Arc<Self>,
        parts: &[Arc<DataPart>],
        final_merge: bool,
        cancel: &AtomicBool,
    ) -> Result<()> {
        let infos: Vec<&PartInfo> = parts.iter().map(|p| &p.info).collect();
        let info = PartInfo::merged(&infos)
            .ok_or_else(|| StorageError::Logical("merge of no parts".into()))?;
        let partition_value = parts[0].meta.partition_value.clone();
        let tmp = self.tmp_dir("merge", &info);
        let started = Instant::now();
        let written = match merge_parts(
            self.schema(),
            parts,
            info.clone(),
            partition_value,
            tmp.clone(),
            final_merge,
            cancel,
        ) {
            Ok(w) => w,
            Err(e) => {
                let _ = crate::fs::remove_dir_all_if_exists(&tmp);
                return Err(e.context(format!(
                    "merge into {} of table {}",
                    info,
                    self.full_name()
                )));
            }
        };
        let rows_in: u64 = parts.iter().map(|p| p.rows()).sum();
        let rows_out = written.meta.rows;
        let mut txn = crate::transaction::Transaction::new(self.log.clone());
        txn.add_parts(self, vec![written]);
        txn.remove_parts(self, parts.iter().map(|p| p.info.name()).collect());
        txn.commit()?;
        tracing::debug!(
            "table {}: merged {} parts ({rows_in} rows) into {info} ({rows_out} rows) in {:?}",
            self.full_name(),
            parts.len(),
            started.elapsed()
        );
        Ok(())
    }

    /// Picks one merge with the size-tiered selector (skipping parts already being merged)
    /// and runs it. Returns whether a merge ran.
    pub fn merge_once(self: &Arc<Self>, cancel: &AtomicBool) -> Result<bool> {
        if self.merges_stopped() {
            return Ok(false);
        }
        let snap = self.snapshot();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let mut choice: Option<Vec<Arc<DataPart>>> = None;
        {
            let reserved = self.reserved_names();
            for pid in snap.partition_ids() {
                let parts = snap.partition_parts(&pid);
                if parts.len() < 2 {
                    continue;
                }
                let cands: Vec<MergeCandidate> = parts
                    .iter()
                    .map(|p| MergeCandidate {
                        name: p.info.name(),
                        bytes: p.bytes_on_disk,
                        rows: p.rows(),
                        level: p.info.level,
                        age_secs: now.saturating_sub(p.meta.created_at),
                    })
                    .collect();
                let busy: Vec<bool> = parts
                    .iter()
                    .map(|p| reserved.contains(&p.info.name()))
                    .collect();
                if let Some(r) = select_merge_excluding(&cands, &self.schema().settings, &busy) {
                    choice = Some(parts[r].to_vec());
                    break;
                }
            }
        }
        let Some(parts) = choice else {
            return Ok(false);
        };
        let names: Vec<String> = parts.iter().map(|p| p.info.name()).collect();
        if !self.try_reserve_for_merge(&names) {
            return Ok(false);
        }
        let _res = Reservation { table: self, names };
        self.run_merge(&parts, false, cancel)?;
        Ok(true)
    }

    /// `OPTIMIZE TABLE [PARTITION id] [FINAL]`. Without FINAL, merges the parts of each
    /// partition (or the given one) that has more than one part. With FINAL, merges every
    /// partition down to one part, waiting for running merges, and also rewrites a single
    /// part when the engine combines rows (Replacing, Summing, Collapsing, Aggregating).
    pub fn optimize(self: &Arc<Self>, partition_id: Option<&str>, final_: bool) -> Result<()> {
        let never = AtomicBool::new(false);
        let snap = self.snapshot();
        let pids: Vec<String> = match partition_id {
            Some(p) => vec![p.to_string()],
            None => snap.partition_ids(),
        };
        for pid in pids {
            let deadline = Instant::now() + OPTIMIZE_WAIT;
            loop {
                let parts = self.snapshot().partition_parts(&pid);
                let combines = self.schema().engine != TableEngine::MergeTree;
                let worth = parts.len() >= 2
                    || (final_ && combines && parts.len() == 1 && parts[0].info.level == 0);
                if !worth {
                    break;
                }
                let max = self.schema().settings.max_parts_to_merge_at_once.max(2);
                let take: Vec<Arc<DataPart>> = if final_ {
                    parts.clone()
                } else {
                    parts.iter().take(max).cloned().collect()
                };
                let names: Vec<String> = take.iter().map(|p| p.info.name()).collect();
                if !self.try_reserve_for_merge(&names) {
                    if Instant::now() > deadline {
                        return Err(StorageError::Aborted(format!(
                            "OPTIMIZE of {} timed out waiting for running merges",
                            self.full_name()
                        )));
                    }
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                }
                let res = {
                    let _res = Reservation { table: self, names };
                    self.run_merge(&take, final_, &never)
                };
                match res {
                    Ok(()) => {}
                    // The parts changed under us (a background merge committed first): retry.
                    Err(StorageError::Aborted(_)) if Instant::now() < deadline => continue,
                    Err(e) => return Err(e),
                }
                if !final_ || take.len() == parts.len() {
                    break;
                }
            }
        }
        Ok(())
    }
}
