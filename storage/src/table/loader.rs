//! Loading a table's parts at startup: the commit log says which parts are active. `tmp_*`
//! leftovers are deleted, and so are parts that cannot hold committed data: those covered
//! by an active part (replaced by a committed merge) and those whose blocks were never
//! committed (`min_block >= next_block`: an insert that crashed before its commit record).
//! Any other inactive part is moved to `detached/unexpected_<name>` rather than deleted, so
//! a damaged log can never make startup destroy data. Active parts are opened and, when the table's
//! `check_checksums_on_start` is on, every file is hashed. A part that fails is moved to
//! `detached/broken-on-start_<name>`; more than `max_suspicious_broken_parts` of them make
//! the table refuse to load.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use crate::error::{Result, StorageError};
use crate::fs as cfs;
use crate::part::{DataPart, PartInfo};
use crate::settings::MergeTreeSettings;
use crate::txn_log::TableState;

/// What loading found.
pub struct LoadedParts {
    /// The parts that opened cleanly.
    pub parts: Vec<Arc<DataPart>>,
    /// Active parts that were broken or missing: to be removed from the log.
    pub broken: Vec<String>,
}

/// Moves `src` into `dir/detached/<prefix>_<name>` (never overwriting).
fn detach(dir: &Path, name: &str, prefix: &str) -> Result<std::path::PathBuf> {
    let detached = dir.join("detached");
    cfs::create_dir_durable(&detached)?;
    let mut dest = detached.join(format!("{prefix}_{name}"));
    let mut n = 1;
    while dest.exists() {
        dest = detached.join(format!("{prefix}_{name}_try{n}"));
        n += 1;
    }
    cfs::durable_rename(&dir.join(name), &dest)?;
    Ok(dest)
}

/// Loads the parts of the table in `dir` that the commit log's `state` lists as active.
pub fn load_parts(
    dir: &Path,
    table: &str,
    state: &TableState,
    settings: &MergeTreeSettings,
) -> Result<LoadedParts> {
    let active: &BTreeSet<String> = &state.active;
    let active_infos: Vec<PartInfo> = active
        .iter()
        .filter_map(|n| PartInfo::parse(n).ok())
        .collect();
    cfs::create_dir_durable(dir)?;
    let mut on_disk = BTreeSet::new();
    let entries = std::fs::read_dir(dir).map_err(|e| StorageError::io(dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| StorageError::io(dir, e))?;
        let name = entry.file_name().to_string_lossy().to_string();
        let path = entry.path();
        if name == "detached" || !path.is_dir() {
            continue;
        }
        if name.starts_with("tmp") {
            tracing::info!("table {table}: removing temporary directory {name}");
            cfs::remove_dir_all_if_exists(&path)?;
        } else if active.contains(&name) {
            on_disk.insert(name);
        } else if let Ok(info) = PartInfo::parse(&name) {
            let covered = active_infos.iter().any(|a| a.contains(&info));
            if covered || info.min_block >= state.next_block {
                tracing::info!(
                    "table {table}: removing part {name}: {}",
                    if covered {
                        "replaced by a committed merge"
                    } else {
                        "its insert never committed"
                    }
                );
                cfs::remove_dir_all_if_exists(&path)?;
            } else {
                tracing::warn!(
                    "table {table}: part {name} is not active in the commit log and neither covers nor is covered by an active part (next block {}, active: {:?}); moving it to detached/",
                    state.next_block,
                    active
                );
                detach(dir, &name, "unexpected")?;
            }
        } else {
            tracing::warn!("table {table}: ignoring unexpected directory {name}");
        }
    }
    let mut parts = Vec::new();
    let mut failures: Vec<(String, String)> = Vec::new();
    for name in active {
        if !on_disk.contains(name) {
            failures.push((name.clone(), "the part directory is missing".into()));
            continue;
        }
        match DataPart::open(&dir.join(name), table, settings.check_checksums_on_start) {
            Ok(p) => parts.push(Arc::new(p)),
            Err(e) => failures.push((name.clone(), e.to_string())),
        }
    }
    if failures.len() > settings.max_suspicious_broken_parts {
        return Err(StorageError::TooManyBrokenParts(format!(
            "Suspiciously many ({}) broken parts to remove while loading table {table} (max_suspicious_broken_parts = {}); first: {}: {}",
            failures.len(),
            settings.max_suspicious_broken_parts,
            failures[0].0,
            failures[0].1
        )));
    }
    let mut broken = Vec::new();
    for (name, reason) in failures {
        tracing::error!("table {table}: detaching broken part {name}: {reason}");
        if dir.join(&name).exists() {
            let dest = detach(dir, &name, "broken-on-start")?;
            let _ = std::fs::write(dest.join("detach_reason.txt"), reason.as_bytes());
        }
        broken.push(name);
    }
    Ok(LoadedParts { parts, broken })
}
