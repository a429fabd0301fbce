//! RowBinary and Native input: header handling, conversions, and bad data failing cleanly.

use arrow::array::{Array, AsArray};
use arrow::datatypes::{Int64Type, UInt16Type, UInt32Type};
use granary_storage::types::DataType;

use super::{parse_input, parse_input_detailed, InputSettings};

fn cols(spec: &[(&str, &str)]) -> Vec<(String, DataType)> {
    spec.iter()
        .map(|(n, t)| (n.to_string(), DataType::parse(t).unwrap()))
        .collect()
}

fn code(format: &str, data: &[u8], columns: &[(String, DataType)]) -> i32 {
    parse_input(format, data, columns, &InputSettings::default())
        .unwrap_err()
        .code()
}

#[test]
fn truncated_and_garbage_input_fail_cleanly() {
    let c = cols(&[("a", "UInt32"), ("s", "String")]);
    // A row cut inside the UInt32, inside the string, and a huge string length.
    assert_eq!(code("RowBinary", &[1, 0], &c), 33);
    assert_eq!(code("RowBinary", &[1, 0, 0, 0, 5, b'a'], &c), 33);
    assert_eq!(
        code("RowBinary", &[1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x7f], &c),
        33
    );
    // Native: a row count far beyond the data, an unknown type, a truncated column.
    assert_eq!(
        code("Native", &[1, 0xff, 0xff, 0xff, 0x7f, 1, b'a'], &c),
        33
    );
    assert_eq!(code("Native", b"\x01\x01\x01a\x04Nope\x00", &c), 50);
    assert_eq!(code("Native", b"\x01\x02\x01a\x06UInt32\x01\x00", &c), 33);
    // Every prefix of a valid Native block fails without a panic.
    let block = b"\x02\x02\x01a\x06UInt32\x01\x00\x00\x00\x02\x00\x00\x00\x01s\x0dArray(String)\x01\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x01x\x01y";
    let c2 = cols(&[("a", "UInt32"), ("s", "Array(String)")]);
    assert!(parse_input("Native", block, &c2, &InputSettings::default()).is_ok());
    for n in 1..block.len() {
        assert!(parse_input("Native", &block[..n], &c2, &InputSettings::default()).is_err());
    }
}

#[test]
fn native_converts_types_and_defaults_missing_columns() {
    let c = cols(&[("a", "Int64"), ("b", "UInt16"), ("n", "Nullable(String)")]);
    // Block 1: a as UInt32 (converted); b and n missing. Block 2: b only.
    let mut data = b"\x01\x02\x01a\x06UInt32".to_vec();
    data.extend_from_slice(&[7, 0, 0, 0, 9, 0, 0, 0]);
    data.extend_from_slice(b"\x01\x01\x01b\x06UInt16\x05\x00");
    let parsed = parse_input_detailed("Native", &data, &c, &InputSettings::default()).unwrap();
    assert_eq!(parsed.rows, 3);
    let a = parsed.columns[0].array.as_primitive::<Int64Type>();
    assert_eq!(a.values().to_vec(), vec![7, 9, 0]);
    let b = parsed.columns[1].array.as_primitive::<UInt16Type>();
    assert_eq!(b.values().to_vec(), vec![0, 0, 5]);
    let mask = parsed.columns[1].defaulted.as_ref().unwrap();
    assert_eq!(
        mask.iter().collect::<Vec<_>>(),
        vec![Some(true), Some(true), Some(false)]
    );
    assert!(parsed.columns[2].absent);
    // An unknown column is skipped by default, an error without skip_unknown_fields.
    let data = b"\x01\x01\x01z\x06UInt32\x01\x00\x00\x00";
    assert_eq!(
        parse_input_detailed("Native", data, &c, &InputSettings::default())
            .unwrap()
            .rows,
        1
    );
    let strict = InputSettings {
        skip_unknown_fields: false,
        ..InputSettings::default()
    };
    assert_eq!(
        parse_input("Native", data, &c, &strict).unwrap_err().code(),
        117
    );
}

/// A LowCardinality(Nullable(String)) column as clickhouse-connect writes it: NULL at key 0,
/// no default key, UInt8 indexes.
#[test]
fn native_low_cardinality_from_clickhouse_connect() {
    let c = cols(&[("l", "LowCardinality(Nullable(String))")]);
    let mut data = b"\x01\x03\x01l\x20LowCardinality(Nullable(String))".to_vec();
    data.extend_from_slice(&1u64.to_le_bytes());
    data.extend_from_slice(&0x600u64.to_le_bytes());
    data.extend_from_slice(&3u64.to_le_bytes());
    data.extend_from_slice(b"\x00\x01a\x01b");
    data.extend_from_slice(&3u64.to_le_bytes());
    data.extend_from_slice(&[2, 0, 1]);
    let arrays = parse_input("Native", &data, &c, &InputSettings::default()).unwrap();
    let values: Vec<Option<String>> = (0..3)
        .map(|i| {
            let mut out = Vec::new();
            let ok =
                crate::format::output::value::write_raw(arrays[0].as_ref(), i, &c[0].1, &mut out);
            ok.then(|| String::from_utf8(out).unwrap())
        })
        .collect();
    assert_eq!(values, vec![Some("b".into()), None, Some("a".into())]);
    // An index outside the dictionary is an error.
    let n = data.len();
    data[n - 1] = 9;
    assert_eq!(code("Native", &data, &c), 117);
}

#[test]
fn row_binary_headers() {
    let c = cols(&[("a", "UInt32"), ("b", "String")]);
    // Names in another order.
    let data = b"\x02\x01b\x01a\x01x\x05\x00\x00\x00";
    let arrays = parse_input("RowBinaryWithNames", data, &c, &InputSettings::default()).unwrap();
    assert_eq!(arrays[0].as_primitive::<UInt32Type>().value(0), 5);
    assert_eq!(arrays[1].as_binary::<i32>().value(0), b"x");
    // Types must match the columns'.
    let data = b"\x01\x01a\x06String\x01x";
    let e = parse_input(
        "RowBinaryWithNamesAndTypes",
        data,
        &c,
        &InputSettings::default(),
    )
    .unwrap_err();
    assert_eq!(e.code(), 117);
    assert_eq!(e.message(), "Type of 'a' must be UInt32, not String");
    // A column the header lacks takes its default.
    let data = b"\x01\x01a\x06UInt32\x02\x00\x00\x00";
    let arrays = parse_input(
        "RowBinaryWithNamesAndTypes",
        data,
        &c,
        &InputSettings::default(),
    )
    .unwrap();
    assert_eq!(arrays[1].len(), 1);
}
