//! Property tests of the part format: random values of every type, any granularity and
//! codec, round-trip through a written part; and no bytes on disk make a read panic.

use std::sync::Arc;

use arrow::array::*;
use arrow::datatypes::{DataType as ArrowType, Int32Type};
use arrow::record_batch::RecordBatch;
use granary_storage::codec::CodecChain;
use granary_storage::part::{DataPart, MarkRange, PartInfo, PartWriter};
use granary_storage::schema::{ColumnDef, TableSchema};
use granary_storage::types::DataType;
use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const TYPES: &[&str] = &[
    "UInt8",
    "UInt16",
    "UInt32",
    "UInt64",
    "Int8",
    "Int16",
    "Int32",
    "Int64",
    "Float32",
    "Float64",
    "Bool",
    "Decimal(9, 3)",
    "Decimal(18, 6)",
    "Decimal(30, 2)",
    "String",
    "FixedString(5)",
    "Date",
    "Date32",
    "DateTime",
    "DateTime64(6)",
    "UUID",
    "LowCardinality(String)",
    "LowCardinality(Nullable(String))",
    "Nullable(UInt64)",
    "Nullable(String)",
    "Nullable(Float64)",
    "Array(UInt8)",
    "Array(String)",
    "Array(Nullable(Int32))",
    "Array(Array(Int16))",
    "Map(String, Int64)",
    "Map(UInt16, Array(String))",
];

const CODECS: &[&str] = &[
    "LZ4",
    "ZSTD(1)",
    "NONE",
    "Delta, LZ4",
    "DoubleDelta",
    "Gorilla, ZSTD(3)",
    "T64, LZ4",
];

/// `n` random values of type `t` (NULLs included where the type allows).
fn random_array(t: &DataType, n: usize, rng: &mut StdRng) -> ArrayRef {
    let arrow = t.to_arrow();
    match t {
        DataType::Nullable(inner) => {
            let values = random_array(inner, n, rng);
            let nulls = arrow::buffer::NullBuffer::from_iter((0..n).map(|_| rng.gen_bool(0.7)));
            make_array(
                values
                    .to_data()
                    .into_builder()
                    .nulls(Some(nulls))
                    .build()
                    .unwrap(),
            )
        }
        DataType::LowCardinality(inner) => {
            let pool: Vec<String> = (0..rng.gen_range(1..20)).map(|i| format!("v{i}")).collect();
            let nullable = inner.is_nullable();
            let vals: DictionaryArray<Int32Type> = (0..n)
                .map(|_| {
                    if nullable && rng.gen_bool(0.2) {
                        None
                    } else {
                        Some(pool[rng.gen_range(0..pool.len())].as_str())
                    }
                })
                .collect();
            arrow::compute::cast(&vals, &arrow).unwrap()
        }
        DataType::Array(inner) => {
            let sizes: Vec<usize> = (0..n).map(|_| rng.gen_range(0..4)).collect();
            let total: usize = sizes.iter().sum();
            let values = random_array(inner, total, rng);
            let ArrowType::List(field) = arrow else {
                unreachable!()
            };
            Arc::new(ListArray::new(
                field,
                arrow::buffer::OffsetBuffer::from_lengths(sizes),
                values,
                None,
            ))
        }
        DataType::Map(k, v) => {
            let sizes: Vec<usize> = (0..n).map(|_| rng.gen_range(0..3)).collect();
            let total: usize = sizes.iter().sum();
            let keys = random_array(k, total, rng);
            let values = random_array(v, total, rng);
            let ArrowType::Map(entries, sorted) = arrow else {
                unreachable!()
            };
            let ArrowType::Struct(fields) = entries.data_type().clone() else {
                unreachable!()
            };
            let s = StructArray::new(fields, vec![keys, values], None);
            Arc::new(MapArray::new(
                entries,
                arrow::buffer::OffsetBuffer::from_lengths(sizes),
                s,
                None,
                sorted,
            ))
        }
        DataType::String => Arc::new(BinaryArray::from_iter_values((0..n).map(|_| {
            let len = rng.gen_range(0..12);
            (0..len).map(|_| rng.gen::<u8>()).collect::<Vec<u8>>()
        }))),
        DataType::Bool => Arc::new(BooleanArray::from_iter(
            (0..n).map(|_| Some(rng.gen_bool(0.5))),
        )),
        DataType::Decimal { precision, .. } => {
            let max = 10i128.pow(*precision as u32) - 1;
            let v = Decimal128Array::from_iter_values((0..n).map(|_| rng.gen_range(-max..=max)));
            arrow::compute::cast(&v, &arrow).unwrap()
        }
        other => {
            // Fixed-width: random bytes of the right width.
            let w = other.fixed_width().unwrap();
            let bytes: Vec<u8> = (0..n * w).map(|_| rng.gen()).collect();
            let data = ArrayData::builder(arrow)
                .len(n)
                .add_buffer(arrow::buffer::Buffer::from_slice_ref(&bytes))
                .build()
                .unwrap();
            make_array(data)
        }
    }
}

fn normalize(a: &ArrayRef) -> ArrayRef {
    match a.data_type() {
        ArrowType::Dictionary(_, v) => arrow::compute::cast(a, v).unwrap(),
        _ => a.clone(),
    }
}

fn write(dir: &std::path::Path, schema: &TableSchema, batch: &RecordBatch) -> DataPart {
    let info = PartInfo::parse("all_1_1_0").unwrap();
    let tmp = dir.join("tmp_insert");
    let mut w = PartWriter::new(schema, info.clone(), vec![], tmp).unwrap();
    // Feed in uneven pieces so granules straddle batches.
    let mut start = 0;
    let mut piece = 1;
    while start < batch.num_rows() {
        let len = piece.min(batch.num_rows() - start);
        w.write(&batch.slice(start, len)).unwrap();
        start += len;
        piece = piece * 3 + 1;
    }
    let written = w.finish().unwrap();
    let fin = dir.join(info.name());
    std::fs::rename(&written.tmp_dir, &fin).unwrap();
    DataPart::open(&fin, "db.t", true).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn every_type_round_trips(
        type_idx in 0..TYPES.len(),
        codec_idx in 0..CODECS.len(),
        rows in 0usize..300,
        granularity in 1usize..40,
        block in 1usize..4096,
        seed in any::<u64>(),
    ) {
        let t = DataType::parse(TYPES[type_idx]).unwrap();
        let mut col = ColumnDef::new("c", t.clone());
        col.codec = Some(CodecChain::parse(CODECS[codec_idx]).unwrap());
        let mut schema = TableSchema::new(
            vec![ColumnDef::new("k", DataType::UInt32), col],
            &["k"],
        ).unwrap();
        schema.settings.index_granularity = granularity;
        schema.settings.min_compress_block_size = block;
        let mut rng = StdRng::seed_from_u64(seed);
        let values = random_array(&t, rows, &mut rng);
        let keys: ArrayRef = Arc::new(UInt32Array::from_iter_values(0..rows as u32));
        let batch = RecordBatch::try_new(schema.arrow_schema(), vec![keys, values.clone()]).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let part = write(dir.path(), &schema, &batch);
        let all = part.read_all(&["c"]).unwrap();
        let (got_all, want_all) = (normalize(all.column(0)), normalize(&values));
        prop_assert_eq!(got_all.as_ref(), want_all.as_ref());
        // A random sub-range of granules.
        if part.marks() > 0 {
            let a = rng.gen_range(0..part.marks());
            let b = rng.gen_range(a + 1..=part.marks());
            let got = part.read(&["c"], &[MarkRange { begin: a, end: b }]).unwrap();
            let start = (a as usize) * granularity;
            let end = ((b as usize) * granularity).min(rows);
            let (got, want) = (normalize(got.column(0)), normalize(&values.slice(start, end - start)));
            prop_assert_eq!(got.as_ref(), want.as_ref());
        }
    }

    #[test]
    fn no_bytes_on_disk_make_a_read_panic(
        file_pick in any::<usize>(),
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..4),
        truncate in proptest::option::of(any::<usize>()),
        seed in any::<u64>(),
    ) {
        let cols: Vec<ColumnDef> = ["UInt64", "String", "Array(Nullable(Int32))", "LowCardinality(String)", "Map(String, Int64)"]
            .iter()
            .enumerate()
            .map(|(i, t)| ColumnDef::new(format!("c{i}"), DataType::parse(t).unwrap()))
            .collect();
        let mut schema = TableSchema::new(cols, &["c0"]).unwrap();
        schema.settings.index_granularity = 7;
        schema.settings.min_compress_block_size = 100;
        let mut rng = StdRng::seed_from_u64(seed);
        let arrays: Vec<ArrayRef> = schema
            .stored_columns()
            .map(|c| random_array(&c.data_type, 60, &mut rng))
            .collect();
        let batch = RecordBatch::try_new(schema.arrow_schema(), arrays).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let part = write(dir.path(), &schema, &batch);
        let part_dir = part.dir.clone();
        drop(part);
        let mut files: Vec<_> = std::fs::read_dir(&part_dir).unwrap().map(|e| e.unwrap().path()).collect();
        files.sort();
        let victim = &files[file_pick % files.len()];
        let mut bytes = std::fs::read(victim).unwrap();
        if !bytes.is_empty() {
            for (pos, x) in &flips {
                let i = pos % bytes.len();
                bytes[i] ^= x | 1;
            }
        }
        if let Some(t) = truncate {
            let keep = t % (bytes.len() + 1);
            bytes.truncate(keep);
        }
        std::fs::write(victim, &bytes).unwrap();
        // Whatever happened, opening and reading return Ok or Err; never panic.
        for verify in [false, true] {
            if let Ok(p) = DataPart::open(&part_dir, "db.t", verify) {
                for c in ["c0", "c1", "c2", "c3", "c4"] {
                    let _ = p.read_all(&[c]);
                    let _ = p.read(&[c], &[MarkRange { begin: 2, end: 5 }]);
                }
            }
        }
    }
}
