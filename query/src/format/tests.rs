//! TSV formatting of Arrow arrays, against strings printed by chdb 4.4 (ClickHouse 26.9).

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BinaryArray, BooleanArray, Decimal128Array, DictionaryArray, FixedSizeBinaryArray,
    Float32Array, Float64Array, Int32Array, Int64Array, ListBuilder, MapBuilder, RecordBatch,
    StringArray, StringBuilder, UInt16Array, UInt32Array, UInt64Array, UInt64Builder,
};
use arrow::datatypes::Int32Type;
use granary_storage::types::DataType;

use super::*;

fn tsv(array: &dyn arrow::array::Array, ty: &str) -> Vec<String> {
    let ty = DataType::parse(ty).unwrap();
    (0..array.len())
        .map(|r| {
            let mut out = Vec::new();
            write_tsv_value(array, r, &ty, &mut out);
            String::from_utf8(out).unwrap()
        })
        .collect()
}

#[test]
fn strings_are_escaped() {
    let a = BinaryArray::from(vec![
        &b"a\tb\nc\\d'e\"f"[..],
        &[0u8, 1, 8, 12, 13, 127][..],
        "é".as_bytes(),
    ]);
    assert_eq!(
        tsv(&a, "String"),
        ["a\\tb\\nc\\\\d\\'e\"f", "\\0\u{1}\\b\\f\\r\u{7f}", "é"]
    );
    let a = StringArray::from(vec![Some("x"), None]);
    assert_eq!(tsv(&a, "Nullable(String)"), ["x", "\\N"]);
    let a = FixedSizeBinaryArray::try_from_iter(vec![b"ab\0\0".to_vec()].into_iter()).unwrap();
    assert_eq!(tsv(&a, "FixedString(4)"), ["ab\\0\\0"]);
}

#[test]
fn numbers() {
    assert_eq!(
        tsv(&UInt64Array::from(vec![u64::MAX, 0]), "UInt64"),
        ["18446744073709551615", "0"]
    );
    assert_eq!(
        tsv(&Int64Array::from(vec![i64::MIN]), "Int64"),
        ["-9223372036854775808"]
    );
    assert_eq!(
        tsv(
            &Float64Array::from(vec![0.1 + 0.2, 1e100, f64::NAN, -0.0]),
            "Float64"
        ),
        ["0.30000000000000004", "1e100", "nan", "-0"]
    );
    assert_eq!(tsv(&Float32Array::from(vec![0.1f32]), "Float32"), ["0.1"]);
    let d = Decimal128Array::from(vec![150i128, -500, 0, -1230])
        .with_precision_and_scale(18, 2)
        .unwrap();
    assert_eq!(tsv(&d, "Decimal(18, 2)"), ["1.5", "-5", "0", "-12.3"]);
    assert_eq!(
        tsv(&BooleanArray::from(vec![true, false]), "Bool"),
        ["true", "false"]
    );
    assert_eq!(
        tsv(&Int32Array::from(vec![Some(3), None]), "Nullable(Int32)"),
        ["3", "\\N"]
    );
}

#[test]
fn dates_and_times() {
    assert_eq!(tsv(&UInt16Array::from(vec![19724]), "Date"), ["2024-01-02"]);
    assert_eq!(
        tsv(&Int32Array::from(vec![-25567]), "Date32"),
        ["1900-01-01"]
    );
    assert_eq!(
        tsv(&UInt32Array::from(vec![1704164645]), "DateTime"),
        ["2024-01-02 03:04:05"]
    );
    assert_eq!(
        tsv(
            &UInt32Array::from(vec![1717210800]),
            "DateTime('Asia/Tokyo')"
        ),
        ["2024-06-01 12:00:00"]
    );
    assert_eq!(
        tsv(
            &Int64Array::from(vec![1704164645123, -1500]),
            "DateTime64(3, 'UTC')"
        ),
        ["2024-01-02 03:04:05.123", "1969-12-31 23:59:58.500"]
    );
}

#[test]
fn uuid_and_low_cardinality() {
    let u = FixedSizeBinaryArray::try_from_iter(
        vec![vec![
            0x61, 0xf0, 0xc4, 0x04, 0x5c, 0xb3, 0x11, 0xe7, 0x90, 0x7b, 0xa6, 0x00, 0x6a, 0xd3,
            0xdb, 0xa0,
        ]]
        .into_iter(),
    )
    .unwrap();
    assert_eq!(tsv(&u, "UUID"), ["61f0c404-5cb3-11e7-907b-a6006ad3dba0"]);
    let d: DictionaryArray<Int32Type> = vec![Some("x"), None, Some("y"), Some("x")]
        .into_iter()
        .collect();
    assert_eq!(
        tsv(&d, "LowCardinality(Nullable(String))"),
        ["x", "\\N", "y", "x"]
    );
}

#[test]
fn arrays_and_maps_use_quoted_literals() {
    let mut b = ListBuilder::new(StringBuilder::new());
    b.values().append_value("a\tb");
    b.values().append_value("it's");
    b.values().append_null();
    b.append(true);
    b.append(true); // []
    let a = b.finish();
    assert_eq!(
        tsv(&a, "Array(Nullable(String))"),
        ["['a\\tb','it\\'s',NULL]", "[]"]
    );

    let mut b = ListBuilder::new(ListBuilder::new(UInt64Builder::new()));
    b.values().values().append_value(1);
    b.values().values().append_value(2);
    b.values().append(true);
    b.values().values().append_value(3);
    b.values().append(true);
    b.append(true);
    assert_eq!(tsv(&b.finish(), "Array(Array(UInt64))"), ["[[1,2],[3]]"]);

    let mut b = ListBuilder::new(arrow::array::UInt16Builder::new());
    b.values().append_value(19724);
    b.append(true);
    assert_eq!(tsv(&b.finish(), "Array(Date)"), ["['2024-01-02']"]);

    let mut m = MapBuilder::new(None, StringBuilder::new(), UInt64Builder::new());
    m.keys().append_value("k\tx");
    m.values().append_value(1);
    m.keys().append_value("z");
    m.values().append_value(2);
    m.append(true).unwrap();
    m.append(true).unwrap();
    assert_eq!(
        tsv(&m.finish(), "Map(String, UInt64)"),
        ["{'k\\tx':1,'z':2}", "{}"]
    );
}

#[test]
fn whole_batches() {
    let batch = RecordBatch::try_from_iter(vec![
        ("a", Arc::new(UInt32Array::from(vec![1, 2])) as ArrayRef),
        (
            "s",
            Arc::new(StringArray::from(vec!["x", "y\tz"])) as ArrayRef,
        ),
    ])
    .unwrap();
    assert_eq!(
        format_tsv(&[batch], &[DataType::UInt32, DataType::String]),
        "1\tx\n2\ty\\tz\n"
    );
}
