//! Crash-safe file operations. This module is the only code that makes files durable or
//! renames parts into place.
//!
//! Guarantee: after [`write_file_durable`], [`fsync_dir`] or [`durable_rename`] returns `Ok`,
//! the written bytes or the rename survive a power loss or `kill -9` (given a filesystem
//! that honours `fsync`, as ext4 and xfs do).

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::Path;

use crate::error::{Result, StorageError};

/// Flushes a file's data and metadata to disk.
pub fn fsync_file(path: &Path) -> Result<()> {
    let f = File::open(path).map_err(|e| StorageError::io(path, e))?;
    f.sync_all().map_err(|e| StorageError::io(path, e))
}

/// Flushes a directory's entries (creations, renames, deletions inside it) to disk.
pub fn fsync_dir(path: &Path) -> Result<()> {
    let f = File::open(path).map_err(|e| StorageError::io(path, e))?;
    f.sync_all().map_err(|e| StorageError::io(path, e))
}

/// Writes `bytes` to a new file at `path` and fsyncs it (not its directory).
pub fn write_file_synced(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
        .map_err(|e| StorageError::io(path, e))?;
    f.write_all(bytes).map_err(|e| StorageError::io(path, e))?;
    f.sync_all().map_err(|e| StorageError::io(path, e))
}

/// Replaces `path` atomically with `bytes`: written to `path.tmp`, fsynced, renamed over
/// `path`, and the directory fsynced. Readers see the old or the new content, never a mix.
pub fn write_file_durable(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp);
    write_file_synced(&tmp, bytes)?;
    durable_rename(&tmp, path)
}

/// Renames `from` to `to` and fsyncs the parent directories of both.
pub fn durable_rename(from: &Path, to: &Path) -> Result<()> {
    fs::rename(from, to).map_err(|e| StorageError::io(from, e))?;
    if let Some(parent) = to.parent() {
        fsync_dir(parent)?;
    }
    if let Some(parent) = from.parent() {
        if Some(parent) != to.parent() {
            fsync_dir(parent)?;
        }
    }
    Ok(())
}

/// Creates a directory and all its parents, fsyncing the directory that received it.
pub fn create_dir_durable(path: &Path) -> Result<()> {
    if path.is_dir() {
        return Ok(());
    }
    fs::create_dir_all(path).map_err(|e| StorageError::io(path, e))?;
    if let Some(parent) = path.parent() {
        fsync_dir(parent)?;
    }
    Ok(())
}

/// Removes a directory tree; a missing directory is not an error.
pub fn remove_dir_all_if_exists(path: &Path) -> Result<()> {
    match fs::remove_dir_all(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(StorageError::io(path, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durable_write_replaces_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.json");
        write_file_durable(&p, b"one").unwrap();
        write_file_durable(&p, b"two!").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two!");
        assert!(!dir.path().join("f.json.tmp").exists());
    }
}
