//! Unit tests of the input readers: splitting, escapes, header mapping, bad rows.

use arrow::array::{Array, AsArray};
use arrow::datatypes::{Float64Type, UInt32Type, UInt64Type};
use granary_storage::types::DataType;

use super::{parse_input, parse_input_detailed, InputSettings};

fn cols(spec: &[(&str, &str)]) -> Vec<(String, DataType)> {
    spec.iter()
        .map(|(n, t)| (n.to_string(), DataType::parse(t).unwrap()))
        .collect()
}

#[test]
fn tsv_basic_and_escapes() {
    let c = cols(&[("a", "UInt32"), ("s", "String")]);
    let out = parse_input("TSV", b"1\ta\\tb\n2\t\\N\n", &c, &InputSettings::default()).unwrap();
    assert_eq!(out[0].as_primitive::<UInt32Type>().values(), &[1, 2]);
    let s = out[1].as_binary::<i32>();
    assert_eq!(s.value(0), b"a\tb");
    assert_eq!(s.value(1), b"");
    assert_eq!(s.null_count(), 0);
}

#[test]
fn header_maps_columns_and_defaults() {
    let c = cols(&[("a", "UInt32"), ("b", "Nullable(String)")]);
    let p =
        parse_input_detailed("CSVWithNames", b"b,a\nx,7\n", &c, &InputSettings::default()).unwrap();
    assert_eq!(p.rows, 1);
    assert_eq!(p.columns[0].array.as_primitive::<UInt32Type>().value(0), 7);
    let p = parse_input_detailed("TSVWithNames", b"a\n7\n", &c, &InputSettings::default()).unwrap();
    assert!(p.columns[1].absent);
}

#[test]
fn first_bad_row_is_reported() {
    let c = cols(&[("a", "UInt32"), ("f", "Float64")]);
    let mut data = Vec::new();
    for i in 0..1000 {
        data.extend_from_slice(format!("{i}\t1.5\n").as_bytes());
    }
    data.extend_from_slice(b"1\tx\n2\ty\n");
    let e = parse_input("TSV", &data, &c, &InputSettings::default()).unwrap_err();
    assert!(e.message().contains("(at row 1001)"), "{}", e.message());
    assert!(
        e.message().contains("name: f, type: Float64"),
        "{}",
        e.message()
    );
    let s = InputSettings {
        allow_errors_num: 2,
        ..Default::default()
    };
    let p = parse_input_detailed("TSV", &data, &c, &s).unwrap();
    assert_eq!((p.rows, p.skipped), (1000, 2));
    assert_eq!(
        p.columns[1].array.as_primitive::<Float64Type>().value(999),
        1.5
    );
}

/// Throughput of a 10-column TSV (run with `--release -- --ignored --nocapture`).
#[test]
#[ignore]
fn tsv_throughput() {
    let c = cols(&[
        ("a", "UInt64"),
        ("b", "Int32"),
        ("c", "Float64"),
        ("d", "String"),
        ("e", "Date"),
        ("f", "DateTime"),
        ("g", "UInt8"),
        ("h", "String"),
        ("i", "Nullable(Int64)"),
        ("j", "Decimal(10, 2)"),
    ]);
    let rows = 1_000_000;
    let mut data = Vec::new();
    for i in 0..rows {
        data.extend_from_slice(
            format!(
                "{i}\t-{}\t{}.25\tname {i}\t2024-01-{:02}\t2024-01-02 03:04:{:02}\t{}\tsome\\ttext\t\\N\t{}.99\n",
                i % 1000,
                i % 77,
                i % 28 + 1,
                i % 60,
                i % 200,
                i % 5000
            )
            .as_bytes(),
        );
    }
    let t = std::time::Instant::now();
    let out = parse_input("TSV", &data, &c, &InputSettings::default()).unwrap();
    let el = t.elapsed();
    assert_eq!(
        out[0].as_primitive::<UInt64Type>().value(rows - 1),
        rows as u64 - 1
    );
    println!(
        "{rows} rows, {} MB in {:?}: {:.2} M rows/s",
        data.len() / 1_000_000,
        el,
        rows as f64 / el.as_secs_f64() / 1e6
    );
}
