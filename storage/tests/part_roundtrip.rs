//! Every type round-trips through a written and re-opened part, over any mark ranges.

use std::sync::Arc;

use arrow::array::*;
use arrow::datatypes::Int32Type;
use arrow::record_batch::RecordBatch;
use granary_storage::part::{DataPart, MarkRange, PartInfo, PartWriter};
use granary_storage::schema::{ColumnDef, TableSchema};
use granary_storage::types::DataType;
use granary_storage::value::Value;

fn schema(granularity: usize) -> TableSchema {
    let cols = [
        ("u8", "UInt8"),
        ("u64", "UInt64"),
        ("i16", "Int16"),
        ("f32", "Float32"),
        ("f64", "Float64"),
        ("b", "Bool"),
        ("d9", "Decimal(9, 2)"),
        ("d18", "Decimal(18, 4)"),
        ("d38", "Decimal(38, 10)"),
        ("s", "String"),
        ("fs", "FixedString(3)"),
        ("dt", "Date"),
        ("d32", "Date32"),
        ("ts", "DateTime"),
        ("ts64", "DateTime64(3)"),
        ("uuid", "UUID"),
        ("lc", "LowCardinality(String)"),
        ("lcn", "LowCardinality(Nullable(String))"),
        ("ni", "Nullable(Int32)"),
        ("ns", "Nullable(String)"),
        ("arr", "Array(Nullable(Int64))"),
        ("arrs", "Array(String)"),
        ("m", "Map(String, UInt32)"),
    ];
    let mut s = TableSchema::new(
        cols.iter()
            .map(|(n, t)| ColumnDef::new(*n, DataType::parse(t).unwrap()))
            .collect(),
        &["u64", "s"],
    )
    .unwrap();
    s.settings.index_granularity = granularity;
    s.settings.min_compress_block_size = 64;
    s
}

fn batch(schema: &TableSchema, n: usize, seed: u64) -> RecordBatch {
    let r = |i: usize| (i as u64).wrapping_mul(2654435761).wrapping_add(seed);
    let strings: Vec<String> = (0..n).map(|i| "x".repeat((r(i) % 13) as usize)).collect();
    let mut lb = ListBuilder::new(Int64Builder::new());
    let mut lsb = ListBuilder::new(BinaryBuilder::new());
    let mut mb = MapBuilder::new(None, BinaryBuilder::new(), UInt32Builder::new());
    for i in 0..n {
        for j in 0..(r(i) % 4) {
            if j == 1 {
                lb.values().append_null();
            } else {
                lb.values().append_value(j as i64 * 7 - 3);
            }
            lsb.values().append_value(format!("e{j}"));
            mb.keys().append_value(format!("k{j}"));
            mb.values().append_value(j as u32);
        }
        lb.append(true);
        lsb.append(true);
        mb.append(true).unwrap();
    }
    let lc: DictionaryArray<Int32Type> = (0..n).map(|i| ["red", "green", "blue"][i % 3]).collect();
    let lcn: DictionaryArray<Int32Type> = (0..n)
        .map(|i| {
            if i % 5 == 0 {
                None
            } else {
                Some(["a", "b"][i % 2])
            }
        })
        .collect();
    let cols: Vec<ArrayRef> = vec![
        Arc::new(UInt8Array::from_iter_values((0..n).map(|i| r(i) as u8))),
        Arc::new(UInt64Array::from_iter_values((0..n).map(|i| i as u64 / 3))),
        Arc::new(Int16Array::from_iter_values((0..n).map(|i| r(i) as i16))),
        Arc::new(Float32Array::from_iter_values(
            (0..n).map(|i| i as f32 * 0.5),
        )),
        Arc::new(Float64Array::from_iter_values(
            (0..n).map(|i| r(i) as f64 / 7.0),
        )),
        Arc::new(BooleanArray::from_iter((0..n).map(|i| Some(i % 3 == 0)))),
        Arc::new(
            Decimal128Array::from_iter_values((0..n).map(|i| i as i128 * 101 - 5000))
                .with_precision_and_scale(9, 2)
                .unwrap(),
        ),
        Arc::new(
            Decimal128Array::from_iter_values((0..n).map(|i| -(i as i128) * 1_000_000_007))
                .with_precision_and_scale(18, 4)
                .unwrap(),
        ),
        Arc::new(
            Decimal128Array::from_iter_values((0..n).map(|i| (i as i128) << 70))
                .with_precision_and_scale(38, 10)
                .unwrap(),
        ),
        Arc::new(BinaryArray::from_iter_values(strings.iter())),
        Arc::new(
            FixedSizeBinaryArray::try_from_iter((0..n).map(|i| [(i % 256) as u8, 1, 2])).unwrap(),
        ),
        Arc::new(UInt16Array::from_iter_values(
            (0..n).map(|i| 15000 + i as u16),
        )),
        Arc::new(Int32Array::from_iter_values((0..n).map(|i| -(i as i32)))),
        Arc::new(UInt32Array::from_iter_values(
            (0..n).map(|i| 1_700_000_000 + i as u32),
        )),
        Arc::new(Int64Array::from_iter_values(
            (0..n).map(|i| 1_700_000_000_000 + i as i64),
        )),
        Arc::new(FixedSizeBinaryArray::try_from_iter((0..n).map(|i| [i as u8; 16])).unwrap()),
        as_binary_dict(Arc::new(lc)),
        as_binary_dict(Arc::new(lcn)),
        Arc::new(Int32Array::from_iter(
            (0..n).map(|i| (i % 4 != 0).then_some(i as i32)),
        )),
        Arc::new(BinaryArray::from_iter(
            (0..n).map(|i| (i % 3 != 0).then(|| format!("n{i}"))),
        )),
        Arc::new(lb.finish()),
        Arc::new(lsb.finish()),
        Arc::new(mb.finish()),
    ];
    RecordBatch::try_new(schema.arrow_schema(), cols).unwrap()
}

fn as_binary_dict(a: ArrayRef) -> ArrayRef {
    use arrow::datatypes::DataType as A;
    arrow::compute::cast(&a, &A::Dictionary(Box::new(A::Int32), Box::new(A::Binary))).unwrap()
}

/// Dictionary columns come back with the part's dictionary: compare logical values.
fn normalize(a: &ArrayRef) -> ArrayRef {
    match a.data_type() {
        arrow::datatypes::DataType::Dictionary(_, v) => arrow::compute::cast(a, v).unwrap(),
        _ => a.clone(),
    }
}

fn write_part(dir: &std::path::Path, schema: &TableSchema, batches: &[RecordBatch]) -> DataPart {
    let info = PartInfo::parse("all_1_1_0").unwrap();
    let tmp = dir.join("tmp_insert_all_1_1_0");
    let mut w = PartWriter::new(schema, info.clone(), vec![], tmp.clone()).unwrap();
    for b in batches {
        w.write(b).unwrap();
    }
    let written = w.finish().unwrap();
    let fin = dir.join(info.name());
    std::fs::rename(&written.tmp_dir, &fin).unwrap();
    DataPart::open(&fin, "test.t", true).unwrap()
}

#[test]
fn every_type_round_trips_over_any_ranges() {
    let dir = tempfile::tempdir().unwrap();
    let s = schema(7);
    let b1 = batch(&s, 50, 1);
    let b2 = batch(&s, 23, 2);
    let part = write_part(dir.path(), &s, &[b1.clone(), b2.clone()]);
    assert_eq!(part.rows(), 73);
    assert_eq!(part.marks(), 11);
    let expected = arrow::compute::concat_batches(&b1.schema(), &[b1, b2]).unwrap();
    let names: Vec<String> = s.stored_columns().map(|c| c.name.clone()).collect();
    let names: Vec<&str> = names.iter().map(|s| s.as_str()).collect();
    let all = part.read_all(&names).unwrap();
    for (i, n) in names.iter().enumerate() {
        assert_eq!(
            normalize(all.column(i)).as_ref(),
            normalize(expected.column(i)).as_ref(),
            "column {n}"
        );
    }
    // Disjoint ranges, including the short last granule.
    let ranges = [
        MarkRange { begin: 1, end: 3 },
        MarkRange { begin: 5, end: 6 },
        MarkRange { begin: 10, end: 11 },
    ];
    let got = part.read(&["s", "arr", "lcn", "m"], &ranges).unwrap();
    let want_rows: Vec<usize> = (7..21).chain(35..42).chain(70..73).collect();
    let idx = UInt32Array::from_iter_values(want_rows.iter().map(|r| *r as u32));
    for (i, n) in ["s", "arr", "lcn", "m"].iter().enumerate() {
        let col = expected.column(names.iter().position(|x| x == n).unwrap());
        let want = arrow::compute::take(col.as_ref(), &idx, None).unwrap();
        assert_eq!(
            normalize(got.column(i)).as_ref(),
            normalize(&want).as_ref(),
            "column {n}"
        );
    }
    // Metadata: min/max and the primary index (granule starts + last row).
    let meta = part.meta.column("u64").unwrap();
    assert_eq!(meta.min_max, Some((Value::UInt(0), Value::UInt(16))));
    assert_eq!(part.primary_index().len(), 2);
    assert_eq!(part.primary_index()[0].len(), 12);
    assert!(part.meta.column("ni").unwrap().has_null);
}

#[test]
fn a_flipped_byte_is_reported_with_table_part_and_file() {
    let dir = tempfile::tempdir().unwrap();
    let s = schema(8);
    let part = write_part(dir.path(), &s, &[batch(&s, 40, 3)]);
    let path = part.dir.join("f64.bin");
    drop(part);
    let mut bytes = std::fs::read(&path).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x40;
    std::fs::write(&path, &bytes).unwrap();
    let fin = dir.path().join("all_1_1_0");
    // Full verification at open catches it...
    let e = DataPart::open(&fin, "db.t", true).unwrap_err();
    assert_eq!(e.code(), 40, "{e}");
    assert!(e.to_string().contains("f64.bin"), "{e}");
    // ...and without it, the read does, naming table, part and file.
    let part = DataPart::open(&fin, "db.t", false).unwrap();
    let e = part.read_all(&["f64"]).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("db.t") && msg.contains("all_1_1_0") && msg.contains("f64.bin"),
        "{msg}"
    );
}

#[test]
fn granules_of_empty_arrays_and_all_null_low_cardinality() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = TableSchema::new(
        vec![
            ColumnDef::new("k", DataType::UInt32),
            ColumnDef::new("a", DataType::parse("Array(Int64)").unwrap()),
            ColumnDef::new("m", DataType::parse("Map(String, String)").unwrap()),
            ColumnDef::new(
                "lc",
                DataType::parse("LowCardinality(Nullable(String))").unwrap(),
            ),
        ],
        &["k"],
    )
    .unwrap();
    s.settings.index_granularity = 4;
    let n = 10;
    let mut lb = ListBuilder::new(Int64Builder::new());
    let mut mb = MapBuilder::new(None, BinaryBuilder::new(), BinaryBuilder::new());
    for _ in 0..n {
        lb.append(true);
        mb.append(true).unwrap();
    }
    let lc: DictionaryArray<Int32Type> = (0..n).map(|_| None::<&str>).collect();
    let cols: Vec<ArrayRef> = vec![
        Arc::new(UInt32Array::from_iter_values(0..n as u32)),
        Arc::new(lb.finish()),
        Arc::new(mb.finish()),
        as_binary_dict(Arc::new(lc)),
    ];
    let b = RecordBatch::try_new(s.arrow_schema(), cols).unwrap();
    // Written in two pieces so the writer's own concat sees an empty dictionary too.
    let part = write_part(dir.path(), &s, &[b.slice(0, 3), b.slice(3, 7)]);
    let got = part
        .read(&["a", "m", "lc"], &[MarkRange { begin: 1, end: 3 }])
        .unwrap();
    assert_eq!(got.num_rows(), 6);
    assert_eq!(got.column(2).null_count(), 6);
    assert!(
        got.column(0)
            .as_any()
            .downcast_ref::<ListArray>()
            .unwrap()
            .value_length(0)
            == 0
    );
}
