//! RowBinary and Native output against bytes captured from chdb 4.4 (ClickHouse 26.9.2.1),
//! and round trips through the binary input formats.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, BinaryArray, BinaryBuilder, BooleanArray, Decimal128Array, Decimal256Array,
    FixedSizeBinaryArray, Float32Array, Float64Array, Int16Array, Int32Array, Int64Array,
    Int8Array, ListArray, MapBuilder, NullArray, RecordBatch, UInt16Array, UInt32Array,
    UInt64Array, UInt8Array, UInt8Builder,
};
use arrow::datatypes::{i256, Field, Int32Type, Schema, UInt32Type};
use granary_storage::types::DataType;

use super::*;
use crate::format::input::{parse_input, InputSettings};

fn output(cols: Vec<(&str, &str, ArrayRef)>) -> QueryOutput {
    let fields: Vec<Field> = cols
        .iter()
        .map(|(n, _, a)| Field::new(*n, a.data_type().clone(), true))
        .collect();
    let arrays: Vec<ArrayRef> = cols.iter().map(|(_, _, a)| a.clone()).collect();
    let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).unwrap();
    QueryOutput {
        columns: cols
            .iter()
            .map(|(n, t, _)| (n.to_string(), DataType::parse(t).unwrap()))
            .collect(),
        batches: vec![batch],
        ..QueryOutput::default()
    }
}

fn bytes(format: &str, out: &QueryOutput, revision: u64) -> String {
    let settings = OutputSettings {
        client_protocol_version: revision,
        ..OutputSettings::default()
    };
    let mut buf = Vec::new();
    write_output(format, out, &settings, &mut buf).unwrap();
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks RowBinary, RowBinaryWithNamesAndTypes and Native, then reads RowBinary and Native
/// back for the same column types and compares the arrays (when `round_trip`).
fn check(out: &QueryOutput, row_binary: &str, with_types: &str, native: &str, round_trip: bool) {
    assert_eq!(bytes("RowBinary", out, 0), row_binary, "RowBinary");
    assert_eq!(
        bytes("RowBinaryWithNamesAndTypes", out, 0),
        with_types,
        "RowBinaryWithNamesAndTypes"
    );
    assert_eq!(bytes("Native", out, 0), native, "Native");
    if !round_trip {
        return;
    }
    let columns: Vec<(String, DataType)> = out.columns.clone();
    for (format, hex) in [
        ("RowBinary", row_binary),
        ("RowBinaryWithNamesAndTypes", with_types),
        ("Native", native),
    ] {
        let data = unhex(hex);
        let arrays = parse_input(format, &data, &columns, &InputSettings::default())
            .unwrap_or_else(|e| panic!("{format}: {e}"));
        for (i, a) in arrays.iter().enumerate() {
            let want = out.batches[0].column(i);
            let want = rowbinary::normalize(want, &columns[i].1).unwrap();
            assert_eq!(a.to_data(), want.to_data(), "{format} column {i}");
        }
    }
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn bin(v: &[Option<&str>]) -> ArrayRef {
    Arc::new(BinaryArray::from(
        v.iter().map(|s| s.map(str::as_bytes)).collect::<Vec<_>>(),
    ))
}

/// `SELECT toUInt8(1) a, toInt16(-2) b, toUInt32(3) c, toInt64(-4) d, toUInt64(5) e,
/// toInt8(-6) f, toUInt16(7) g, toInt32(-8) h`
#[test]
fn integers() {
    let out = output(vec![
        ("a", "UInt8", Arc::new(UInt8Array::from(vec![1]))),
        ("b", "Int16", Arc::new(Int16Array::from(vec![-2]))),
        ("c", "UInt32", Arc::new(UInt32Array::from(vec![3]))),
        ("d", "Int64", Arc::new(Int64Array::from(vec![-4]))),
        ("e", "UInt64", Arc::new(UInt64Array::from(vec![5]))),
        ("f", "Int8", Arc::new(Int8Array::from(vec![-6]))),
        ("g", "UInt16", Arc::new(UInt16Array::from(vec![7]))),
        ("h", "Int32", Arc::new(Int32Array::from(vec![-8]))),
    ]);
    check(
        &out,
        "01feff03000000fcffffffffffffff0500000000000000fa0700f8ffffff",
        "08016101620163016401650166016701680555496e743805496e7431360655496e74333205496e7436340655496e74363404496e74380655496e74313605496e74333201feff03000000fcffffffffffffff0500000000000000fa0700f8ffffff",
        "080101610555496e743801016205496e743136feff01630655496e74333203000000016405496e743634fcffffffffffffff01650655496e7436340500000000000000016604496e7438fa01670655496e7431360700016805496e743332f8ffffff",
        true,
    );
    // `SELECT toUInt8(1) a, toInt16(-2) b`
    let out = output(vec![
        ("a", "UInt8", Arc::new(UInt8Array::from(vec![1]))),
        ("b", "Int16", Arc::new(Int16Array::from(vec![-2]))),
    ]);
    assert_eq!(bytes("RowBinaryWithNames", &out, 0), "020161016201feff");
}

/// `SELECT toFloat32(1.5) a, toFloat64(-2.25) b, true c`
#[test]
fn floats_and_bool() {
    let out = output(vec![
        ("a", "Float32", Arc::new(Float32Array::from(vec![1.5]))),
        ("b", "Float64", Arc::new(Float64Array::from(vec![-2.25]))),
        ("c", "Bool", Arc::new(BooleanArray::from(vec![true]))),
    ]);
    check(
        &out,
        "0000c03f00000000000002c001",
        "0301610162016307466c6f6174333207466c6f6174363404426f6f6c0000c03f00000000000002c001",
        "0301016107466c6f617433320000c03f016207466c6f6174363400000000000002c0016304426f6f6c01",
        true,
    );
}

/// `SELECT 'ab' s, toFixedString('xy',3) f`
#[test]
fn strings() {
    let out = output(vec![
        ("s", "String", bin(&[Some("ab")])),
        (
            "f",
            "FixedString(3)",
            Arc::new(
                FixedSizeBinaryArray::try_from_iter(vec![b"xy\0".to_vec()].into_iter()).unwrap(),
            ),
        ),
    ]);
    check(
        &out,
        "026162787900",
        "020173016606537472696e670e4669786564537472696e67283329026162787900",
        "0201017306537472696e6702616201660e4669786564537472696e67283329787900",
        true,
    );
}

/// `SELECT toDate('2024-01-02') d, toDate32('1900-01-01') d32,
/// toDateTime('2024-01-02 03:04:05','UTC') dt, toDateTime64('2024-01-02 03:04:05.123',3,'UTC') dt64`
#[test]
fn dates_and_times() {
    let out = output(vec![
        ("d", "Date", Arc::new(UInt16Array::from(vec![19724]))),
        ("d32", "Date32", Arc::new(Int32Array::from(vec![-25567]))),
        (
            "dt",
            "DateTime('UTC')",
            Arc::new(UInt32Array::from(vec![1704164645])),
        ),
        (
            "dt64",
            "DateTime64(3, 'UTC')",
            Arc::new(Int64Array::from(vec![1704164645123])),
        ),
    ]);
    check(
        &out,
        "0c4d219cffff257d936503d920c88c010000",
        "0401640364333202647404647436340444617465064461746533320f4461746554696d6528275554432729144461746554696d65363428332c202755544327290c4d219cffff257d936503d920c88c010000",
        // Native drops the time zone of DateTime (not DateTime64) for clients older than
        // revision 54337, and plain HTTP is revision 0.
        "0401016404446174650c4d0364333206446174653332219cffff026474084461746554696d65257d93650464743634144461746554696d65363428332c2027555443272903d920c88c010000",
        true,
    );
}

/// `SELECT toDecimal32(1.5,2) a, toDecimal64(-2.5,4) b, toDecimal128(3.25,10) c,
/// toDecimal256(-4.5, 40) d`
#[test]
fn decimals() {
    let d = |v: i128, p: u8, s: i8| -> ArrayRef {
        Arc::new(
            Decimal128Array::from(vec![v])
                .with_precision_and_scale(p, s)
                .unwrap(),
        )
    };
    // toDecimal256(-4.5, 40) goes through Float64, so it is not exactly -4.5e40.
    let mut le = [0u8; 32];
    le.copy_from_slice(&unhex(
        "7cffe720efbf3c3e080118df1040c3c17bffffffffffffffffffffffffffffff",
    ));
    let big = i256::from_le_bytes(le);
    let out = output(vec![
        ("a", "Decimal(9, 2)", d(150, 9, 2)),
        ("b", "Decimal(18, 4)", d(-25000, 18, 4)),
        ("c", "Decimal(38, 10)", d(32_500_000_000, 38, 10)),
        (
            "d",
            "Decimal(76, 40)",
            Arc::new(
                Decimal256Array::from(vec![big])
                    .with_precision_and_scale(76, 40)
                    .unwrap(),
            ),
        ),
    ]);
    check(
        &out,
        "96000000589effffffffffff00a526910700000000000000000000007cffe720efbf3c3e080118df1040c3c17bffffffffffffffffffffffffffffff",
        "0401610162016301640d446563696d616c28392c2032290e446563696d616c2831382c2034290f446563696d616c2833382c203130290f446563696d616c2837362c2034302996000000589effffffffffff00a526910700000000000000000000007cffe720efbf3c3e080118df1040c3c17bffffffffffffffffffffffffffffff",
        "040101610d446563696d616c28392c2032299600000001620e446563696d616c2831382c203429589effffffffffff01630f446563696d616c2833382c2031302900a5269107000000000000000000000001640f446563696d616c2837362c203430297cffe720efbf3c3e080118df1040c3c17bffffffffffffffffffffffffffffff",
        true,
    );
}

/// `SELECT toUUID('61f0c404-5cb3-11e7-907b-a6006ad3dba0') u`
#[test]
fn uuid() {
    let u = unhex("61f0c4045cb311e7907ba6006ad3dba0");
    let out = output(vec![(
        "u",
        "UUID",
        Arc::new(FixedSizeBinaryArray::try_from_iter(vec![u].into_iter()).unwrap()),
    )]);
    check(
        &out,
        "e711b35c04c4f061a0dbd36a00a67b90",
        "0101750455554944e711b35c04c4f061a0dbd36a00a67b90",
        "010101750455554944e711b35c04c4f061a0dbd36a00a67b90",
        true,
    );
}

/// `SELECT toNullable(toUInt8(1)) a UNION ALL SELECT NULL` (chdb sends two blocks; one
/// block holds the same column data).
#[test]
fn nullable() {
    let out = output(vec![(
        "a",
        "Nullable(UInt8)",
        Arc::new(UInt8Array::from(vec![Some(1), None])),
    )]);
    check(
        &out,
        "000101",
        "0101610f4e756c6c61626c652855496e743829000101",
        "010201610f4e756c6c61626c652855496e74382900010100",
        true,
    );
}

/// `SELECT [1,2,3]::Array(UInt32) a UNION ALL SELECT []` (one block), and
/// `SELECT [NULL, 1]::Array(Nullable(Int32)) a`.
#[test]
fn arrays() {
    let a = ListArray::from_iter_primitive::<UInt32Type, _, _>(vec![
        Some(vec![Some(1), Some(2), Some(3)]),
        Some(vec![]),
    ]);
    let out = output(vec![("a", "Array(UInt32)", Arc::new(a))]);
    check(
        &out,
        "0301000000020000000300000000",
        "0101610d41727261792855496e743332290301000000020000000300000000",
        "010201610d41727261792855496e7433322903000000000000000300000000000000010000000200000003000000",
        true,
    );
    let a = ListArray::from_iter_primitive::<Int32Type, _, _>(vec![Some(vec![None, Some(1)])]);
    let out = output(vec![("a", "Array(Nullable(Int32))", Arc::new(a))]);
    check(
        &out,
        "02010001000000",
        "010161164172726179284e756c6c61626c6528496e743332292902010001000000",
        "01010161164172726179284e756c6c61626c6528496e7433322929020000000000000001000000000001000000",
        true,
    );
}

/// `SELECT [['a'],[],['b','c']] a`
#[test]
fn nested_arrays() {
    let inner = {
        let values = bin(&[Some("a"), Some("b"), Some("c")]);
        ListArray::new(
            Arc::new(Field::new("item", arrow::datatypes::DataType::Binary, true)),
            arrow::buffer::OffsetBuffer::new(vec![0i32, 1, 1, 3].into()),
            values,
            None,
        )
    };
    let outer = ListArray::new(
        Arc::new(Field::new("item", inner.data_type().clone(), true)),
        arrow::buffer::OffsetBuffer::new(vec![0i32, 3].into()),
        Arc::new(inner),
        None,
    );
    let out = output(vec![("a", "Array(Array(String))", Arc::new(outer))]);
    check(
        &out,
        "03010161000201620163",
        "01016114417272617928417272617928537472696e67292903010161000201620163",
        "0101016114417272617928417272617928537472696e6729290300000000000000010000000000000001000000000000000300000000000000016101620163",
        true,
    );
}

/// `SELECT map('a',1,'b',2)::Map(String,UInt8) m`
#[test]
fn map() {
    let mut m = MapBuilder::new(None, BinaryBuilder::new(), UInt8Builder::new());
    m.keys().append_value(b"a");
    m.values().append_value(1);
    m.keys().append_value(b"b");
    m.values().append_value(2);
    m.append(true).unwrap();
    let out = output(vec![("m", "Map(String, UInt8)", Arc::new(m.finish()))]);
    check(
        &out,
        "02016101016202",
        "01016d124d617028537472696e672c2055496e74382902016101016202",
        "0101016d124d617028537472696e672c2055496e7438290200000000000000016101620102",
        false,
    );
}

fn low_cardinality(values: &[Option<&str>], ty: &str) -> ArrayRef {
    let dt = DataType::parse(ty).unwrap();
    arrow::compute::cast(&bin(values), &dt.to_arrow()).unwrap()
}

/// `SELECT CAST(arrayJoin(['x', 'y', '', 'x']) AS LowCardinality(String)) l` and the same
/// with a NULL as `LowCardinality(Nullable(String))`.
#[test]
fn low_cardinality_dictionaries() {
    let ty = "LowCardinality(String)";
    let out = output(vec![(
        "l",
        ty,
        low_cardinality(&[Some("x"), Some("y"), Some(""), Some("x")], ty),
    )]);
    check(
        &out,
        "01780179000178",
        "01016c164c6f7743617264696e616c69747928537472696e672901780179000178",
        "0104016c164c6f7743617264696e616c69747928537472696e67290100000000000000000600000000000003000000000000000001780179040000000000000001020001",
        true,
    );
    let ty = "LowCardinality(Nullable(String))";
    let out = output(vec![(
        "l",
        ty,
        low_cardinality(&[Some("x"), None, Some("y"), Some(""), Some("x")], ty),
    )]);
    check(
        &out,
        "000178010001790000000178",
        "01016c204c6f7743617264696e616c697479284e756c6c61626c6528537472696e672929000178010001790000000178",
        "0105016c204c6f7743617264696e616c697479284e756c6c61626c6528537472696e67292901000000000000000006000000000000040000000000000000000178017905000000000000000200030102",
        true,
    );
}

/// `SELECT NULL n` and `SELECT [] a`.
#[test]
fn nothing() {
    let out = output(vec![(
        "n",
        "Nullable(Nothing)",
        Arc::new(NullArray::new(1)),
    )]);
    assert_eq!(bytes("RowBinary", &out, 0), "01");
    assert_eq!(
        bytes("Native", &out, 0),
        "0101016e114e756c6c61626c65284e6f7468696e67290130"
    );
}

/// `SELECT number FROM numbers(0)`: Native writes nothing, the header formats their header.
#[test]
fn empty_result() {
    let mut out = output(vec![(
        "number",
        "UInt64",
        Arc::new(UInt64Array::from(Vec::<u64>::new())),
    )]);
    assert_eq!(bytes("Native", &out, 0), "");
    assert_eq!(bytes("RowBinary", &out, 0), "");
    assert_eq!(
        bytes("RowBinaryWithNamesAndTypes", &out, 0),
        "01066e756d6265720655496e743634"
    );
    out.batches.clear();
    assert_eq!(bytes("Native", &out, 54405), "");
}

/// `client_protocol_version`: BlockInfo before each block, the custom serialization flag
/// from 54454, DateTime time zones kept from 54337 (what clickhouse-connect probes with
/// `SELECT 1 AS check`).
#[test]
fn client_protocol_version() {
    let out = output(vec![(
        "check",
        "UInt8",
        Arc::new(UInt8Array::from(vec![1])),
    )]);
    let framed = bytes("Native", &out, 54405);
    assert_eq!(framed, "010002ffffffff00010105636865636b0555496e743801");
    assert_eq!(&unhex(&framed)[8..16], b"\x01\x01\x05check");
    assert_eq!(
        bytes("Native", &out, 54460),
        "010002ffffffff00010105636865636b0555496e74380001"
    );
    let out = output(vec![(
        "dt",
        "DateTime('UTC')",
        Arc::new(UInt32Array::from(vec![0])),
    )]);
    assert!(bytes("Native", &out, 54405).contains("4461746554696d6528275554432729"));
}

/// `SELECT CAST(['x', 'y'] AS Array(LowCardinality(String))) l`, the same with `[]`, and
/// `SELECT map('a', NULL)::Map(LowCardinality(String), Nullable(UInt8)) m`: the
/// LowCardinality version prefix comes before the array offsets.
#[test]
fn low_cardinality_inside_array_and_map() {
    let lists = |rows: Vec<Vec<&str>>| -> ArrayRef {
        let mut offsets = vec![0i32];
        let mut values = Vec::new();
        for r in &rows {
            values.extend(r.iter().map(|s| Some(*s)));
            offsets.push(values.len() as i32);
        }
        Arc::new(ListArray::new(
            Arc::new(Field::new("item", arrow::datatypes::DataType::Binary, true)),
            arrow::buffer::OffsetBuffer::new(offsets.into()),
            bin(&values),
            None,
        ))
    };
    let ty = "Array(LowCardinality(String))";
    let dt = DataType::parse(ty).unwrap();
    let a = rowbinary::normalize(&lists(vec![vec!["x", "y"]]), &dt).unwrap();
    let out = output(vec![("l", ty, a)]);
    assert_eq!(
        bytes("Native", &out, 0),
        "0101016c1d4172726179284c6f7743617264696e616c69747928537472696e6729290100000000000000020000000000000000060000000000000300000000000000000178017902000000000000000102"
    );
    let a = rowbinary::normalize(&lists(vec![vec![]]), &dt).unwrap();
    let out = output(vec![("l", ty, a)]);
    assert_eq!(
        bytes("Native", &out, 0),
        "0101016c1d4172726179284c6f7743617264696e616c69747928537472696e67292901000000000000000000000000000000"
    );
    let columns = vec![("l".to_string(), dt)];
    let back = parse_input(
        "Native",
        &unhex(&bytes("Native", &out, 0)),
        &columns,
        &InputSettings::default(),
    )
    .unwrap();
    assert_eq!(back[0].len(), 1);

    let mut m = MapBuilder::new(None, BinaryBuilder::new(), UInt8Builder::new());
    m.keys().append_value(b"a");
    m.values().append_null();
    m.append(true).unwrap();
    let ty = "Map(LowCardinality(String), Nullable(UInt8))";
    let dt = DataType::parse(ty).unwrap();
    let a: ArrayRef = Arc::new(m.finish());
    let a = rowbinary::normalize(&a, &dt).unwrap();
    let out = output(vec![("m", ty, a)]);
    assert_eq!(
        bytes("Native", &out, 0),
        "0101016d2c4d6170284c6f7743617264696e616c69747928537472696e67292c204e756c6c61626c652855496e7438292901000000000000000100000000000000000600000000000002000000000000000001610100000000000000010100"
    );
}
