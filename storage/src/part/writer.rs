//! Writing a part: rows (already sorted by the sort key) are cut into granules, each column
//! encoded into its substreams, compressed in blocks that end on granule boundaries, with a
//! mark per granule and substream, a sparse primary index, metadata and checksums. Every
//! file and the directory are fsynced before [`PartWriter::finish`] returns.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use arrow::array::{Array, ArrayRef};
use arrow::compute::{cast, concat, concat_batches};
use arrow::record_batch::RecordBatch;
use xxhash_rust::xxh3::Xxh3;

use super::encode::{encode, encode_dict_values, DictBuilder};
use super::layout::{escape_file_name, ColumnLayout};
use super::meta::{Checksums, FileChecksum, PartColumn, PartMeta, PART_FORMAT_VERSION};
use super::name::PartInfo;
use crate::codec::{self, CodecChain};
use crate::error::{Result, StorageError};
use crate::fs as cfs;
use crate::schema::TableSchema;
use crate::types::DataType;
use crate::value::{min_max, Value};

/// Name of the per-part metadata file.
pub const META_FILE: &str = "part.json";
/// Name of the checksums file.
pub const CHECKSUMS_FILE: &str = "checksums.json";
/// Name of the sparse primary index file.
pub const PRIMARY_INDEX_FILE: &str = "primary.idx";

/// The type a key column has in `primary.idx` (LowCardinality is stored decoded).
pub fn index_type(t: &DataType) -> DataType {
    match t {
        DataType::LowCardinality(inner) => (**inner).clone(),
        other => other.clone(),
    }
}

/// A file being written, hashed as it goes.
struct HashedFile {
    name: String,
    path: PathBuf,
    out: BufWriter<File>,
    hasher: Xxh3,
    size: u64,
}

impl HashedFile {
    fn create(dir: &Path, name: String) -> Result<HashedFile> {
        let path = dir.join(&name);
        let f = File::create(&path).map_err(|e| StorageError::io(&path, e))?;
        Ok(HashedFile {
            name,
            path,
            out: BufWriter::with_capacity(1 << 16, f),
            hasher: Xxh3::new(),
            size: 0,
        })
    }

    fn write(&mut self, bytes: &[u8]) -> Result<()> {
        self.out
            .write_all(bytes)
            .map_err(|e| StorageError::io(&self.path, e))?;
        self.hasher.update(bytes);
        self.size += bytes.len() as u64;
        Ok(())
    }

    fn finish(self, sums: &mut Checksums) -> Result<()> {
        let f = self
            .out
            .into_inner()
            .map_err(|e| StorageError::io(&self.path, e.into_error()))?;
        f.sync_all().map_err(|e| StorageError::io(&self.path, e))?;
        sums.files.insert(
            self.name,
            FileChecksum {
                size: self.size,
                hash: format!("{:032x}", self.hasher.digest128()),
            },
        );
        Ok(())
    }
}

struct ColumnWriter {
    name: String,
    data_type: DataType,
    layout: ColumnLayout,
    codec: CodecChain,
    files: Vec<HashedFile>,
    bufs: Vec<Vec<u8>>,
    marks: Vec<u8>,
    dicts: Vec<DictBuilder>,
    min_max: Option<(Value, Value)>,
    has_null: bool,
    scratch: Vec<u8>,
}

impl ColumnWriter {
    fn flush_stream(&mut self, s: usize) -> Result<()> {
        if self.bufs[s].is_empty() {
            return Ok(());
        }
        self.scratch.clear();
        codec::compress_block(
            &self.codec,
            self.layout.streams[s].value_width,
            &self.bufs[s],
            &mut self.scratch,
        );
        self.files[s].write(&self.scratch)?;
        self.bufs[s].clear();
        Ok(())
    }
}

/// What [`PartWriter::finish`] produced: a complete, fsynced part in a temporary directory,
/// to be renamed into place by a commit.
#[derive(Debug)]
pub struct WrittenPart {
    /// The part's final identity.
    pub info: PartInfo,
    /// The temporary directory holding it.
    pub tmp_dir: PathBuf,
    /// Its metadata.
    pub meta: PartMeta,
    /// Total bytes of its files.
    pub bytes: u64,
}

/// Writes one part. Call [`PartWriter::write`] with batches in sort order, then
/// [`PartWriter::finish`].
pub struct PartWriter {
    info: PartInfo,
    dir: PathBuf,
    granularity: usize,
    min_block: usize,
    columns: Vec<ColumnWriter>,
    pk: Vec<usize>,
    pk_values: Vec<Vec<ArrayRef>>,
    last_row: Option<RecordBatch>,
    pending: Vec<RecordBatch>,
    pending_rows: usize,
    rows: u64,
    marks: u64,
    partition_value: Vec<Value>,
    arrow_schema: arrow::datatypes::SchemaRef,
}

impl PartWriter {
    /// Starts writing part `info` of a table with `schema` into the new directory `tmp_dir`.
    pub fn new(
        schema: &TableSchema,
        info: PartInfo,
        partition_value: Vec<Value>,
        tmp_dir: PathBuf,
    ) -> Result<PartWriter> {
        std::fs::create_dir_all(&tmp_dir).map_err(|e| StorageError::io(&tmp_dir, e))?;
        let mut columns = Vec::new();
        for c in schema.stored_columns() {
            let layout = ColumnLayout::of(&c.data_type);
            let base = escape_file_name(&c.name);
            let files = layout
                .streams
                .iter()
                .map(|s| HashedFile::create(&tmp_dir, format!("{base}{}.bin", s.suffix)))
                .collect::<Result<Vec<_>>>()?;
            columns.push(ColumnWriter {
                name: c.name.clone(),
                data_type: c.data_type.clone(),
                codec: c.codec_chain(),
                bufs: vec![Vec::new(); layout.streams.len()],
                dicts: (0..layout.dicts.len())
                    .map(|_| DictBuilder::default())
                    .collect(),
                layout,
                files,
                marks: Vec::new(),
                min_max: None,
                has_null: false,
                scratch: Vec::new(),
            });
        }
        let pk = schema
            .primary_key
            .iter()
            .map(|k| {
                columns.iter().position(|c| &c.name == k).ok_or_else(|| {
                    StorageError::NoSuchColumn(format!("Primary key column {k} is not stored"))
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(PartWriter {
            info,
            dir: tmp_dir,
            granularity: schema.settings.index_granularity.max(1),
            min_block: schema.settings.min_compress_block_size.max(1),
            pk_values: vec![Vec::new(); pk.len()],
            pk,
            columns,
            last_row: None,
            pending: Vec::new(),
            pending_rows: 0,
            rows: 0,
            marks: 0,
            partition_value,
            arrow_schema: schema.arrow_schema(),
        })
    }

    /// Appends rows. Columns must be the table's stored columns, in order, with the Arrow
    /// types of [`DataType::to_arrow`]; rows must continue the sort order.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        if batch.num_columns() != self.columns.len() {
            return Err(StorageError::TypeMismatch(format!(
                "Expected {} columns, got {}",
                self.columns.len(),
                batch.num_columns()
            )));
        }
        if batch.num_rows() == 0 {
            return Ok(());
        }
        for (c, a) in self.columns.iter_mut().zip(batch.columns()) {
            let (mm, has_null) = min_max(a)?;
            c.has_null |= has_null;
            c.min_max = merge_min_max(c.min_max.take(), mm);
        }
        self.pending.push(batch.clone());
        self.pending_rows += batch.num_rows();
        if self.pending_rows >= self.granularity {
            let all = if self.pending.len() == 1 {
                self.pending.pop().unwrap_or_else(|| batch.clone())
            } else {
                let b = concat_batches(&self.pending[0].schema(), &self.pending)?;
                self.pending.clear();
                b
            };
            self.pending.clear();
            let full = all.num_rows() / self.granularity * self.granularity;
            let mut start = 0;
            while start < full {
                self.write_granule(&all.slice(start, self.granularity))?;
                start += self.granularity;
            }
            self.pending_rows = all.num_rows() - full;
            if self.pending_rows > 0 {
                self.pending.push(all.slice(full, self.pending_rows));
            }
        }
        Ok(())
    }

    fn write_granule(&mut self, g: &RecordBatch) -> Result<()> {
        for (ci, c) in self.columns.iter_mut().enumerate() {
            for s in 0..c.files.len() {
                c.marks.extend_from_slice(&c.files[s].size.to_le_bytes());
                c.marks
                    .extend_from_slice(&(c.bufs[s].len() as u64).to_le_bytes());
            }
            encode(
                &c.layout.node,
                g.column(ci).as_ref(),
                &mut c.bufs,
                &mut c.dicts,
            )
            .map_err(|e| e.context(format!("column {}", c.name)))?;
            for s in 0..c.files.len() {
                if c.bufs[s].len() >= self.min_block {
                    c.flush_stream(s)?;
                }
            }
        }
        for (i, &ci) in self.pk.iter().enumerate() {
            self.pk_values[i].push(g.column(ci).slice(0, 1));
        }
        self.last_row = Some(g.slice(g.num_rows() - 1, 1));
        self.rows += g.num_rows() as u64;
        self.marks += 1;
        Ok(())
    }

    /// Writes the remaining rows, the marks, dictionaries, primary index, metadata and
    /// checksums, fsyncs everything and returns the finished part.
    pub fn finish(mut self) -> Result<WrittenPart> {
        if self.pending_rows > 0 {
            let rest = concat_batches(&self.arrow_schema, &self.pending)?;
            self.pending.clear();
            self.write_granule(&rest)?;
        }
        let mut sums = Checksums::default();
        let mut part_columns = Vec::new();
        let mut pk_arrays: Vec<ArrayRef> = Vec::new();
        for (i, &ci) in self.pk.iter().enumerate() {
            let mut pieces = std::mem::take(&mut self.pk_values[i]);
            if let Some(last) = &self.last_row {
                pieces.push(last.column(ci).clone());
            }
            let t = index_type(&self.columns[ci].data_type);
            let pieces = pieces
                .iter()
                .map(|p| cast(p, &t.to_arrow()))
                .collect::<std::result::Result<Vec<_>, _>>()?;
            let refs: Vec<&dyn Array> = pieces.iter().map(|a| a.as_ref()).collect();
            pk_arrays.push(if refs.is_empty() {
                arrow::array::new_empty_array(&t.to_arrow())
            } else {
                concat(&refs)?
            });
        }
        for mut c in std::mem::take(&mut self.columns) {
            for s in 0..c.files.len() {
                c.flush_stream(s)?;
            }
            let base = escape_file_name(&c.name);
            for f in c.files.drain(..) {
                f.finish(&mut sums)?;
            }
            let marks_name = format!("{base}.mrk");
            cfs::write_file_synced(&self.dir.join(&marks_name), &c.marks)?;
            sums.add(&marks_name, &c.marks);
            for (d, suffix) in c.layout.dicts.iter().enumerate() {
                let width = match &c.layout.node {
                    super::layout::Node::LowCard { value_width, .. } => *value_width,
                    _ => dict_width(&c.data_type),
                };
                let mut raw = Vec::new();
                encode_dict_values(&c.dicts[d].values, width, &mut raw);
                let mut block = Vec::new();
                codec::compress_block(&c.codec, 0, &raw, &mut block);
                let name = format!("{base}{suffix}.bin");
                cfs::write_file_synced(&self.dir.join(&name), &block)?;
                sums.add(&name, &block);
            }
            part_columns.push(PartColumn {
                name: c.name.clone(),
                data_type: c.data_type.clone(),
                codec: c.codec.clone(),
                min_max: c.min_max.take(),
                has_null: c.has_null,
            });
        }
        // primary.idx: for each key column, each of its substreams as one block.
        let mut idx = Vec::new();
        for (i, &ci) in self.pk.iter().enumerate() {
            let t = index_type(&part_columns[ci].data_type);
            let layout = ColumnLayout::of(&t);
            let mut bufs = vec![Vec::new(); layout.streams.len()];
            encode(&layout.node, pk_arrays[i].as_ref(), &mut bufs, &mut [])?;
            for (s, b) in bufs.iter().enumerate() {
                codec::compress_block(
                    &CodecChain::default_lz4(),
                    layout.streams[s].value_width,
                    b,
                    &mut idx,
                );
            }
        }
        cfs::write_file_synced(&self.dir.join(PRIMARY_INDEX_FILE), &idx)?;
        sums.add(PRIMARY_INDEX_FILE, &idx);

        let meta = PartMeta {
            format_version: PART_FORMAT_VERSION,
            rows: self.rows,
            index_granularity: self.granularity as u64,
            marks: self.marks,
            partition_value: self.partition_value.clone(),
            primary_key: self
                .pk
                .iter()
                .map(|&ci| part_columns[ci].name.clone())
                .collect(),
            columns: part_columns,
            created_at: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0),
        };
        let meta_bytes = serde_json::to_vec_pretty(&meta)
            .map_err(|e| StorageError::Logical(format!("serialize part metadata: {e}")))?;
        cfs::write_file_synced(&self.dir.join(META_FILE), &meta_bytes)?;
        sums.add(META_FILE, &meta_bytes);
        let sums_bytes = serde_json::to_vec_pretty(&sums)
            .map_err(|e| StorageError::Logical(format!("serialize checksums: {e}")))?;
        cfs::write_file_synced(&self.dir.join(CHECKSUMS_FILE), &sums_bytes)?;
        cfs::fsync_dir(&self.dir)?;
        Ok(WrittenPart {
            info: self.info.clone(),
            tmp_dir: self.dir.clone(),
            meta,
            bytes: sums.total_bytes() + sums_bytes.len() as u64,
        })
    }
}

fn dict_width(t: &DataType) -> usize {
    match t.base() {
        DataType::FixedString(n) => *n,
        _ => 0,
    }
}

fn merge_min_max(a: Option<(Value, Value)>, b: Option<(Value, Value)>) -> Option<(Value, Value)> {
    match (a, b) {
        (None, x) | (x, None) => x,
        (Some((lo1, hi1)), Some((lo2, hi2))) => Some((
            if lo2.total_cmp(&lo1).is_lt() {
                lo2
            } else {
                lo1
            },
            if hi2.total_cmp(&hi1).is_gt() {
                hi2
            } else {
                hi1
            },
        )),
    }
}

/// Sorts `batch` by the given key columns (ascending, NULLs first, as ClickHouse sorts keys).
/// Stable, so rows with equal keys keep their insertion order.
pub fn sort_batch(batch: &RecordBatch, key_columns: &[usize]) -> Result<RecordBatch> {
    if key_columns.is_empty() || batch.num_rows() <= 1 {
        return Ok(batch.clone());
    }
    let fields: Vec<arrow::row::SortField> = key_columns
        .iter()
        .map(|&i| arrow::row::SortField::new(batch.column(i).data_type().clone()))
        .collect();
    let conv = arrow::row::RowConverter::new(fields)?;
    let cols: Vec<ArrayRef> = key_columns
        .iter()
        .map(|&i| batch.column(i).clone())
        .collect();
    let rows = conv.convert_columns(&cols)?;
    // Sort by the first 16 bytes of each row's memcmp-comparable encoding, read as a
    // big-endian integer; only rows whose prefixes tie are compared whole. Ties then go
    // by row number, so the sort is stable (equal keys keep their insertion order).
    let prefix = |i: usize| -> u128 {
        let bytes = rows.row(i);
        let bytes = bytes.as_ref();
        let mut p = [0u8; 16];
        let n = bytes.len().min(16);
        p[..n].copy_from_slice(&bytes[..n]);
        u128::from_be_bytes(p)
    };
    let mut keyed: Vec<(u128, u32)> = (0..batch.num_rows())
        .map(|i| (prefix(i), i as u32))
        .collect();
    keyed.sort_unstable_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| rows.row(a.1 as usize).cmp(&rows.row(b.1 as usize)))
            .then(a.1.cmp(&b.1))
    });
    let idx = arrow::array::UInt32Array::from_iter_values(keyed.into_iter().map(|(_, i)| i));
    let columns = batch
        .columns()
        .iter()
        .map(|c| arrow::compute::take(c.as_ref(), &idx, None))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(RecordBatch::try_new(batch.schema(), columns)?)
}

#[cfg(test)]
mod sort_tests {
    use std::sync::Arc;

    use arrow::array::{AsArray, BinaryArray, Int64Array, UInt32Array};
    use arrow::datatypes::{DataType, Field, Schema};
    use arrow::record_batch::RecordBatch;

    use super::sort_batch;

    #[test]
    fn sorts_stably_by_several_keys_including_long_strings() {
        let k: Vec<i64> = vec![3, -1, 3, 2, -1, 3];
        let s: Vec<&[u8]> = vec![
            b"same-long-prefix-aaaa-z",
            b"x",
            b"same-long-prefix-aaaa-a",
            b"",
            b"x",
            b"same-long-prefix-aaaa-a",
        ];
        let schema = Arc::new(Schema::new(vec![
            Field::new("k", DataType::Int64, false),
            Field::new("s", DataType::Binary, false),
            Field::new("n", DataType::UInt32, false),
        ]));
        let b = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(Int64Array::from(k)),
                Arc::new(BinaryArray::from_vec(s)),
                Arc::new(UInt32Array::from_iter_values(0..6)),
            ],
        )
        .unwrap();
        let sorted = sort_batch(&b, &[0, 1]).unwrap();
        let order: Vec<u32> = sorted
            .column(2)
            .as_primitive::<arrow::datatypes::UInt32Type>()
            .values()
            .to_vec();
        // -1,x (1 then 4: stable), 2,"" , 3,...a (2 then 5), 3,...z
        assert_eq!(order, vec![1, 4, 3, 2, 5, 0]);
    }
}
