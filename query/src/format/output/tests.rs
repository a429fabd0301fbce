//! Output formats against bytes captured from chdb 4.4 (ClickHouse 26.9.2.1). The
//! `chdb_*` tests are generated: each names the query whose output it holds, and builds
//! the same result as Arrow batches.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BinaryArray, BinaryBuilder, BooleanArray, Decimal128Array, Float32Array,
    Float64Array, Int32Array, Int64Array, ListArray, MapBuilder, RecordBatch, UInt16Array,
    UInt32Array, UInt64Array, UInt8Array, UInt8Builder,
};
use arrow::datatypes::{Field, Schema, UInt8Type};
use granary_storage::types::DataType;

use super::*;

mod chdb;

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

fn bin(v: &[Option<&str>]) -> ArrayRef {
    Arc::new(BinaryArray::from(
        v.iter().map(|s| s.map(str::as_bytes)).collect::<Vec<_>>(),
    ))
}

fn q1() -> QueryOutput {
    let mut m = MapBuilder::new(None, BinaryBuilder::new(), UInt8Builder::new());
    m.keys().append_value(b"a");
    m.values().append_value(1);
    m.append(true).unwrap();
    let arr = ListArray::from_iter_primitive::<UInt8Type, _, _>(vec![Some(vec![Some(1), Some(2)])]);
    let sa = {
        let values = BinaryArray::from(vec![&b"x"[..], &b"y"[..]]);
        let offsets = arrow::buffer::OffsetBuffer::new(vec![0i32, 2].into());
        ListArray::new(
            Arc::new(Field::new("item", arrow::datatypes::DataType::Binary, true)),
            offsets,
            Arc::new(values),
            None,
        )
    };
    output(vec![
        ("u8", "UInt8", Arc::new(UInt8Array::from(vec![42]))),
        ("i64", "Int64", Arc::new(Int64Array::from(vec![-7]))),
        ("u64", "UInt64", Arc::new(UInt64Array::from(vec![u64::MAX]))),
        ("f", "Float64", Arc::new(Float64Array::from(vec![1.5]))),
        ("s", "String", bin(&[Some("a\tb\nc\\d'e\"/")])),
        ("n", "Nullable(String)", bin(&[None])),
        ("arr", "Array(UInt8)", Arc::new(arr)),
        ("d", "Date", Arc::new(UInt16Array::from(vec![19724]))),
        (
            "dt",
            "DateTime('UTC')",
            Arc::new(UInt32Array::from(vec![1704164645])),
        ),
        (
            "dec",
            "Decimal(9, 2)",
            Arc::new(
                Decimal128Array::from(vec![314])
                    .with_precision_and_scale(9, 2)
                    .unwrap(),
            ),
        ),
        ("b", "Bool", Arc::new(BooleanArray::from(vec![true]))),
        ("m", "Map(String, UInt8)", Arc::new(m.finish())),
        ("sa", "Array(String)", Arc::new(sa)),
    ])
}

fn q2() -> QueryOutput {
    output(vec![
        ("number", "UInt64", Arc::new(UInt64Array::from(vec![0, 1]))),
        ("s", "String", bin(&[Some("0"), Some("1")])),
    ])
}

fn q3() -> QueryOutput {
    output(vec![(
        "number",
        "UInt64",
        Arc::new(UInt64Array::from(Vec::<u64>::new())),
    )])
}

fn q4() -> QueryOutput {
    output(vec![
        ("a", "Float64", Arc::new(Float64Array::from(vec![f64::NAN]))),
        (
            "b",
            "Float64",
            Arc::new(Float64Array::from(vec![f64::INFINITY])),
        ),
        (
            "c",
            "Float64",
            Arc::new(Float64Array::from(vec![f64::NEG_INFINITY])),
        ),
        ("d", "Float64", Arc::new(Float64Array::from(vec![0.1]))),
        ("e", "Float32", Arc::new(Float32Array::from(vec![0.1f32]))),
        (
            "f",
            "Nullable(Int64)",
            Arc::new(Int64Array::from(vec![None])),
        ),
        ("g", "Int32", Arc::new(Int32Array::from(vec![5]))),
    ])
}

fn q5() -> QueryOutput {
    output(vec![
        ("n", "UInt64", Arc::new(UInt64Array::from(vec![0, 1, 2]))),
        (
            "s",
            "Nullable(String)",
            bin(&[Some("é"), None, Some("éxx")]),
        ),
        (
            "big",
            "Int64",
            Arc::new(Int64Array::from(vec![0, 1000000, 2000000])),
        ),
    ])
}

fn q6() -> QueryOutput {
    output(vec![
        ("s", "String", bin(&[Some("a\nbc")])),
        ("x", "UInt8", Arc::new(UInt8Array::from(vec![1]))),
    ])
}

fn numbers(n: u64) -> QueryOutput {
    output(vec![(
        "number",
        "UInt64",
        Arc::new(UInt64Array::from((0..n).collect::<Vec<_>>())),
    )])
}

fn q7() -> QueryOutput {
    numbers(10)
}

fn q8() -> QueryOutput {
    numbers(7)
}

fn quoted() -> OutputSettings {
    OutputSettings {
        json_quote_64bit_integers: true,
        write_statistics: false,
        ..OutputSettings::default()
    }
}

fn unquoted() -> OutputSettings {
    OutputSettings {
        json_quote_64bit_integers: false,
        write_statistics: false,
        ..OutputSettings::default()
    }
}

fn max_rows(n: usize) -> OutputSettings {
    OutputSettings {
        pretty_max_rows: n,
        ..quoted()
    }
}

#[track_caller]
fn check(format: &str, out: &QueryOutput, s: &OutputSettings, want: &str) {
    let mut buf = Vec::new();
    write_output(format, out, s, &mut buf).unwrap();
    assert_eq!(String::from_utf8_lossy(&buf), want, "format {format}");
}

/// `SELECT number FROM numbers(10) LIMIT 2 FORMAT JSON` (statistics as chdb reported them).
#[test]
fn json_with_limit_and_statistics() {
    let s = OutputSettings {
        elapsed_seconds: 0.006306326,
        rows_read: 2,
        bytes_read: 16,
        rows_before_limit: Some(2),
        ..OutputSettings::default()
    };
    check("JSON", &numbers(2), &s, "{\n\t\"meta\":\n\t[\n\t\t{\n\t\t\t\"name\": \"number\",\n\t\t\t\"type\": \"UInt64\"\n\t\t}\n\t],\n\n\t\"data\":\n\t[\n\t\t{\n\t\t\t\"number\": 0\n\t\t},\n\t\t{\n\t\t\t\"number\": 1\n\t\t}\n\t],\n\n\t\"rows\": 2,\n\n\t\"rows_before_limit_at_least\": 2,\n\n\t\"statistics\":\n\t{\n\t\t\"elapsed\": 0.006306326,\n\t\t\"rows_read\": 2,\n\t\t\"bytes_read\": 16\n\t}\n}\n");
}

#[test]
fn unknown_and_binary_formats_are_errors() {
    let mut buf = Vec::new();
    let e = write_output("Nope", &q2(), &quoted(), &mut buf).unwrap_err();
    assert_eq!(e.code(), 73);
    assert_eq!(e.message(), "Unknown output format Nope");
    let e = write_output("Avro", &q2(), &quoted(), &mut buf).unwrap_err();
    assert_eq!(e.code(), 48);
    assert!(e.message().contains("Avro"));
    assert!(is_known_format("JSONEachRow") && is_known_format("jsoneachrow"));
    assert!(!is_known_format("Nope"));
    assert_eq!(
        content_type("CSVWithNames"),
        "text/csv; charset=UTF-8; header=present"
    );
    assert_eq!(
        content_type("TSV"),
        "text/tab-separated-values; charset=UTF-8"
    );
    assert_eq!(content_type("JSON"), "application/json; charset=UTF-8");
    assert_eq!(content_type("PrettyCompact"), "text/plain; charset=UTF-8");
}

#[test]
fn statements_without_columns_write_nothing() {
    let mut buf = Vec::new();
    write_output("JSON", &QueryOutput::default(), &quoted(), &mut buf).unwrap();
    assert!(buf.is_empty());
}

#[test]
fn settings_apply() {
    let mut s = OutputSettings::default();
    assert!(s
        .apply("output_format_json_quote_64bit_integers", "0")
        .unwrap());
    assert!(!s.json_quote_64bit_integers);
    assert!(!s.apply("max_threads", "1").unwrap());
    assert!(s.apply("output_format_write_statistics", "x").is_err());
}

/// `SELECT map() AS m, map('a',map('b',1)) AS mm, [map('x',1)] AS am FORMAT JSON` (data
/// section; chdb lays maps, and arrays of maps, out over lines).
#[test]
fn json_nested_maps() {
    use arrow::array::{Array, MapArray, StructArray};
    use arrow::buffer::OffsetBuffer;
    use arrow::datatypes::Fields;
    let entries = |keys: ArrayRef, values: ArrayRef| {
        let fields = Fields::from(vec![
            Field::new("key", keys.data_type().clone(), false),
            Field::new("value", values.data_type().clone(), true),
        ]);
        StructArray::new(fields, vec![keys, values], None)
    };
    let map = |keys: ArrayRef, values: ArrayRef, offsets: Vec<i32>| -> ArrayRef {
        let e = entries(keys, values);
        let field = Arc::new(Field::new("entries", e.data_type().clone(), false));
        Arc::new(MapArray::new(
            field,
            OffsetBuffer::new(offsets.into()),
            e,
            None,
            false,
        ))
    };
    let empty = map(
        bin(&[]),
        Arc::new(UInt8Array::from(Vec::<u8>::new())),
        vec![0, 0],
    );
    let inner = map(
        bin(&[Some("b")]),
        Arc::new(UInt8Array::from(vec![1])),
        vec![0, 1],
    );
    let mm = map(bin(&[Some("a")]), inner, vec![0, 1]);
    let x = map(
        bin(&[Some("x")]),
        Arc::new(UInt8Array::from(vec![1])),
        vec![0, 1],
    );
    let am = ListArray::new(
        Arc::new(Field::new("item", x.data_type().clone(), true)),
        OffsetBuffer::new(vec![0i32, 1].into()),
        x,
        None,
    );
    let out = output(vec![
        ("m", "Map(String, UInt8)", empty),
        ("mm", "Map(String, Map(String, UInt8))", mm),
        ("am", "Array(Map(String, UInt8))", Arc::new(am)),
    ]);
    let mut buf = Vec::new();
    write_output("JSON", &out, &quoted(), &mut buf).unwrap();
    let text = String::from_utf8(buf).unwrap();
    let data = "\t\"data\":\n\t[\n\t\t{\n\t\t\t\"m\": {},\n\t\t\t\"mm\": {\n\t\t\t\t\"a\": {\n\t\t\t\t\t\"b\": 1\n\t\t\t\t}\n\t\t\t},\n\t\t\t\"am\": [\n\t\t\t\t{\n\t\t\t\t\t\"x\": 1\n\t\t\t\t}\n\t\t\t]\n\t\t}\n\t],";
    assert!(text.contains(data), "{text}");
    let mut buf = Vec::new();
    write_output("JSONEachRow", &out, &quoted(), &mut buf).unwrap();
    assert_eq!(
        String::from_utf8(buf).unwrap(),
        "{\"m\":{},\"mm\":{\"a\":{\"b\":1}},\"am\":[{\"x\":1}]}\n"
    );
}
