//! An active part on disk: its metadata, primary index and memory-mapped column files, and
//! reading any subset of columns over any set of mark ranges into Arrow arrays.

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use arrow::array::ArrayRef;
use arrow::datatypes::{Field, Schema};
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
use memmap2::Mmap;

use super::decode::{decode, decode_dict_values, finish, Acc, StreamCursor};
use super::layout::{escape_file_name, ColumnLayout};
use super::meta::{Checksums, PartMeta, PART_FORMAT_VERSION};
use super::name::PartInfo;
use super::writer::{index_type, CHECKSUMS_FILE, META_FILE, PRIMARY_INDEX_FILE};
use crate::codec;
use crate::error::{Result, StorageError};
use crate::types::DataType;

/// A half-open range of granules `[begin, end)` of one part.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MarkRange {
    /// First granule.
    pub begin: u64,
    /// One past the last granule.
    pub end: u64,
}

/// The bytes of a file: memory-mapped, or empty (an empty file cannot be mapped).
enum FileBytes {
    Mapped(Mmap),
    Empty,
}

impl FileBytes {
    fn open(path: &Path) -> Result<FileBytes> {
        let f = File::open(path).map_err(|e| StorageError::io(path, e))?;
        let len = f.metadata().map_err(|e| StorageError::io(path, e))?.len();
        if len == 0 {
            return Ok(FileBytes::Empty);
        }
        // SAFETY: parts are immutable once committed: no process writes to or truncates a
        // file of an active part (merges write new parts, deletion happens only after the
        // last reader drops the part). Every byte read is bounds-checked and checksummed.
        let m = unsafe { Mmap::map(&f) }.map_err(|e| StorageError::io(path, e))?;
        Ok(FileBytes::Mapped(m))
    }

    fn bytes(&self) -> &[u8] {
        match self {
            FileBytes::Mapped(m) => m,
            FileBytes::Empty => &[],
        }
    }
}

/// A column's open files: one per substream, its marks and its dictionaries.
struct ColumnFiles {
    layout: ColumnLayout,
    data_type: DataType,
    streams: Vec<(String, FileBytes)>,
    /// `marks[granule * streams + stream] = (block offset, offset in block)`.
    marks: Vec<(u64, u64)>,
    dicts: Vec<ArrayRef>,
}

/// One immutable part, shared by every snapshot that contains it. When the part has been
/// replaced (by a merge, a drop or a truncate) it is marked outdated, and its directory is
/// deleted when the last snapshot holding it is dropped.
pub struct DataPart {
    /// The part's name, parsed.
    pub info: PartInfo,
    /// Its metadata.
    pub meta: PartMeta,
    /// Total bytes on disk.
    pub bytes_on_disk: u64,
    /// Its directory.
    pub dir: PathBuf,
    /// The table it belongs to, for error messages.
    table: String,
    /// Key values at each granule start, plus the part's last row: one array per key column.
    index: Vec<ArrayRef>,
    columns: HashMap<String, OnceLock<std::result::Result<Arc<ColumnFiles>, String>>>,
    outdated: AtomicBool,
}

impl std::fmt::Debug for DataPart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DataPart({} of {})", self.info, self.table)
    }
}

fn read_file(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| StorageError::io(path, e))
}

impl DataPart {
    /// Opens the part in `dir` of `table`. With `verify`, every file is hashed and checked
    /// against `checksums.json`; without it only sizes are checked.
    pub fn open(dir: &Path, table: &str, verify: bool) -> Result<DataPart> {
        let name = dir.file_name().and_then(|n| n.to_str()).ok_or_else(|| {
            StorageError::CorruptedData(format!("bad part path {}", dir.display()))
        })?;
        let ctx = |e: StorageError| e.context(format!("table {table}, part {name}"));
        let info = PartInfo::parse(name).map_err(ctx)?;
        let sums: Checksums = serde_json::from_slice(&read_file(&dir.join(CHECKSUMS_FILE))?)
            .map_err(|e| {
                ctx(StorageError::CorruptedData(format!(
                    "file {CHECKSUMS_FILE}: {e}"
                )))
            })?;
        sums.verify(dir, verify).map_err(ctx)?;
        let meta_bytes = read_file(&dir.join(META_FILE))?;
        if let Some(sum) = sums.files.get(META_FILE) {
            if super::meta::hash_hex(&meta_bytes) != sum.hash {
                return Err(ctx(StorageError::ChecksumMismatch(format!(
                    "Checksum doesn't match for file {META_FILE}"
                ))));
            }
        }
        let meta: PartMeta = serde_json::from_slice(&meta_bytes).map_err(|e| {
            ctx(StorageError::CorruptedData(format!(
                "file {META_FILE}: {e}"
            )))
        })?;
        if meta.format_version != PART_FORMAT_VERSION {
            return Err(ctx(StorageError::CorruptedData(format!(
                "unsupported part format version {}",
                meta.format_version
            ))));
        }
        let expected_marks = meta.rows.div_ceil(meta.index_granularity.max(1));
        if meta.index_granularity == 0 || meta.marks != expected_marks {
            return Err(ctx(StorageError::CorruptedData(format!(
                "{} rows in {} marks of {} rows",
                meta.rows, meta.marks, meta.index_granularity
            ))));
        }
        let index = Self::load_index(dir, &meta)
            .map_err(|e| ctx(e.context(format!("file {PRIMARY_INDEX_FILE}"))))?;
        let columns = meta
            .columns
            .iter()
            .map(|c| (c.name.clone(), OnceLock::new()))
            .collect();
        Ok(DataPart {
            info,
            bytes_on_disk: sums.total_bytes(),
            meta,
            dir: dir.to_path_buf(),
            table: table.to_string(),
            index,
            columns,
            outdated: AtomicBool::new(false),
        })
    }

    fn load_index(dir: &Path, meta: &PartMeta) -> Result<Vec<ArrayRef>> {
        let bytes = read_file(&dir.join(PRIMARY_INDEX_FILE))?;
        let mut offset = 0usize;
        let mut out = Vec::new();
        let count = if meta.rows == 0 {
            0
        } else {
            meta.marks as usize + 1
        };
        for k in &meta.primary_key {
            let col = meta.column(k).ok_or_else(|| {
                StorageError::CorruptedData(format!("key column {k} missing from the part"))
            })?;
            let t = index_type(&col.data_type);
            let layout = ColumnLayout::of(&t);
            let mut cursors = Vec::new();
            for _ in &layout.streams {
                let rest = bytes.get(offset..).unwrap_or(&[]);
                let header = codec::block_header(rest)?;
                let mut c = StreamCursor::new(&bytes, PRIMARY_INDEX_FILE.to_string());
                c.seek(offset as u64, 0);
                cursors.push(c);
                offset += header.block_size;
            }
            let mut acc = Acc::new(&layout.node);
            decode(&layout.node, &mut cursors, count, &mut acc)?;
            out.push(finish(&layout.node, acc, &t, &[])?);
        }
        Ok(out)
    }

    /// The table this part belongs to.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// Number of rows.
    pub fn rows(&self) -> u64 {
        self.meta.rows
    }

    /// Number of granules.
    pub fn marks(&self) -> u64 {
        self.meta.marks
    }

    /// The primary index: per key column, its value at each granule start and, last, the
    /// part's final row (so `marks + 1` values).
    pub fn primary_index(&self) -> &[ArrayRef] {
        &self.index
    }

    /// Marks the part as replaced: its files are removed when the last holder drops it.
    pub fn mark_outdated(&self) {
        self.outdated.store(true, Ordering::Release);
    }

    /// Whether the part has been replaced.
    pub fn is_outdated(&self) -> bool {
        self.outdated.load(Ordering::Acquire)
    }

    fn err_ctx(&self, file: &str) -> impl Fn(StorageError) -> StorageError + '_ {
        let file = file.to_string();
        move |e| {
            e.context(format!(
                "table {}, part {}, file {file}",
                self.table, self.info
            ))
        }
    }

    fn column_files(&self, name: &str) -> Result<Arc<ColumnFiles>> {
        let cell = self.columns.get(name).ok_or_else(|| {
            StorageError::NoSuchColumn(format!(
                "There is no column {name} in part {} of table {}",
                self.info, self.table
            ))
        })?;
        let r = cell.get_or_init(|| {
            self.open_column(name).map(Arc::new).map_err(|e| {
                // Errors are cached as text with their code re-derived on use.
                format!("{}\u{0}{}", e.code(), e)
            })
        });
        match r {
            Ok(c) => Ok(c.clone()),
            Err(msg) => {
                let (code, text) = msg.split_once('\u{0}').unwrap_or(("246", msg));
                Err(match code {
                    "40" => StorageError::ChecksumMismatch(text.to_string()),
                    _ => StorageError::CorruptedData(text.to_string()),
                })
            }
        }
    }

    fn open_column(&self, name: &str) -> Result<ColumnFiles> {
        let col = self
            .meta
            .column(name)
            .ok_or_else(|| StorageError::NoSuchColumn(name.to_string()))?;
        let layout = ColumnLayout::of(&col.data_type);
        let base = escape_file_name(name);
        let mut streams = Vec::new();
        for s in &layout.streams {
            let file = format!("{base}{}.bin", s.suffix);
            let bytes = FileBytes::open(&self.dir.join(&file)).map_err(self.err_ctx(&file))?;
            streams.push((file, bytes));
        }
        let mrk = format!("{base}.mrk");
        let raw = read_file(&self.dir.join(&mrk)).map_err(self.err_ctx(&mrk))?;
        let n = layout.streams.len();
        if raw.len() as u64 != self.meta.marks * n as u64 * 16 {
            return Err(self.err_ctx(&mrk)(StorageError::CorruptedData(format!(
                "marks file has {} bytes, expected {}",
                raw.len(),
                self.meta.marks * n as u64 * 16
            ))));
        }
        let marks = raw
            .chunks_exact(16)
            .map(|c| {
                let mut a = [0u8; 8];
                let mut b = [0u8; 8];
                a.copy_from_slice(&c[..8]);
                b.copy_from_slice(&c[8..]);
                (u64::from_le_bytes(a), u64::from_le_bytes(b))
            })
            .collect();
        let mut dicts = Vec::new();
        for suffix in &layout.dicts {
            let file = format!("{base}{suffix}.bin");
            let bytes = read_file(&self.dir.join(&file)).map_err(self.err_ctx(&file))?;
            let mut raw = Vec::new();
            codec::decompress_block(&bytes, &mut raw).map_err(self.err_ctx(&file))?;
            let width = match col.data_type.base() {
                DataType::FixedString(n) => *n,
                _ => 0,
            };
            dicts.push(decode_dict_values(&raw, width).map_err(self.err_ctx(&file))?);
        }
        Ok(ColumnFiles {
            layout,
            data_type: col.data_type.clone(),
            streams,
            marks,
            dicts,
        })
    }

    /// Reads `columns` over `ranges` (ascending, non-overlapping, within the part) into one
    /// batch. Errors name the table, the part and the file.
    pub fn read(&self, columns: &[&str], ranges: &[MarkRange]) -> Result<RecordBatch> {
        let rows: u64 = ranges
            .iter()
            .map(|r| {
                (r.begin..r.end.min(self.meta.marks))
                    .map(|g| self.meta.granule_rows(g))
                    .sum::<u64>()
            })
            .sum();
        let mut arrays = Vec::with_capacity(columns.len());
        let mut fields = Vec::with_capacity(columns.len());
        for name in columns {
            let cf = self.column_files(name)?;
            let array = self.read_column(&cf, ranges)?;
            if array.len() as u64 != rows {
                return Err(StorageError::CorruptedData(format!(
                    "table {}, part {}: column {name} has {} rows, expected {rows}",
                    self.table,
                    self.info,
                    array.len()
                )));
            }
            fields.push(Field::new(
                *name,
                array.data_type().clone(),
                cf.data_type.is_nullable(),
            ));
            arrays.push(array);
        }
        let schema = Arc::new(Schema::new(fields));
        let opts = RecordBatchOptions::new().with_row_count(Some(rows as usize));
        Ok(RecordBatch::try_new_with_options(schema, arrays, &opts)?)
    }

    fn read_column(&self, cf: &ColumnFiles, ranges: &[MarkRange]) -> Result<ArrayRef> {
        let n = cf.layout.streams.len();
        let mut cursors: Vec<StreamCursor<'_>> = cf
            .streams
            .iter()
            .map(|(name, bytes)| StreamCursor::new(bytes.bytes(), name.clone()))
            .collect();
        let mut acc = Acc::new(&cf.layout.node);
        for r in ranges {
            if r.begin >= r.end {
                continue;
            }
            if r.end > self.meta.marks {
                return Err(StorageError::Logical(format!(
                    "mark range {}..{} beyond {} marks of part {}",
                    r.begin, r.end, self.meta.marks, self.info
                )));
            }
            for (s, c) in cursors.iter_mut().enumerate() {
                let (block, in_block) = cf.marks[r.begin as usize * n + s];
                c.seek(block, in_block);
            }
            for g in r.begin..r.end {
                decode(
                    &cf.layout.node,
                    &mut cursors,
                    self.meta.granule_rows(g) as usize,
                    &mut acc,
                )
                .map_err(|e| {
                    e.context(format!(
                        "table {}, part {}, column {}, granule {g}",
                        self.table,
                        self.info,
                        cf.streams.first().map(|s| s.0.as_str()).unwrap_or("")
                    ))
                })?;
            }
        }
        finish(&cf.layout.node, acc, &cf.data_type, &cf.dicts)
            .map_err(|e| e.context(format!("table {}, part {}", self.table, self.info)))
    }

    /// Reads every granule of `columns`.
    pub fn read_all(&self, columns: &[&str]) -> Result<RecordBatch> {
        self.read(
            columns,
            &[MarkRange {
                begin: 0,
                end: self.meta.marks,
            }],
        )
    }
}

impl Drop for DataPart {
    fn drop(&mut self) {
        if self.is_outdated() {
            if let Err(e) = crate::fs::remove_dir_all_if_exists(&self.dir) {
                tracing::warn!("cannot remove outdated part {}: {e}", self.dir.display());
            } else {
                tracing::debug!("removed outdated part {}", self.dir.display());
            }
        }
    }
}
