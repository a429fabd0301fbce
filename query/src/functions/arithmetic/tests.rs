use crate::functions::testutil::*;

fn ev(name: &str, args: Vec<Arg>) -> (Vec<String>, String) {
    eval_text(name, args).unwrap()
}

// chdb: SELECT toTypeName(toUInt8(1)+toUInt8(1)) -> UInt16, toUInt8(200)*toUInt8(200) -> 40000,
// toTypeName(toUInt8(1)-toUInt8(1)) -> Int16, toTypeName(toUInt64(1)+toInt64(1)) -> Int64,
// toInt64(9223372036854775807) + 1 -> -9223372036854775808
#[test]
fn integer_result_types_and_wrapping() {
    assert_eq!(
        ev(
            "plus",
            vec![col("UInt8", &["200", "1"]), col("UInt8", &["200", "\\N"])]
        )
        .1,
        "UInt16"
    );
    assert_eq!(
        ev(
            "multiply",
            vec![col("UInt8", &["200"]), konst("UInt8", "200")]
        ),
        (vec!["40000".into()], "UInt16".into())
    );
    assert_eq!(
        ev("minus", vec![col("UInt8", &["1"]), konst("UInt8", "2")]),
        (vec!["-1".into()], "Int16".into())
    );
    assert_eq!(
        ev("plus", vec![col("UInt64", &["1"]), col("Int64", &["-3"])]),
        (vec!["-2".into()], "Int64".into())
    );
    assert_eq!(
        ev(
            "plus",
            vec![col("Int64", &["9223372036854775807"]), konst("UInt8", "1")]
        )
        .0,
        ["-9223372036854775808"]
    );
    assert_eq!(
        ev(
            "multiply",
            vec![
                col("UInt64", &["18446744073709551615"]),
                konst("UInt8", "2")
            ]
        ),
        (vec!["18446744073709551614".into()], "UInt64".into())
    );
    assert_eq!(
        ev("plus", vec![col("Int32", &["1"]), col("Int32", &["2"])]).1,
        "Int64"
    );
    assert_eq!(
        ev("plus", vec![col("Float32", &["1"]), col("Float32", &["2"])]).1,
        "Float64"
    );
    let (v, t) = ev(
        "plus",
        vec![col("Nullable(UInt8)", &["1", "\\N"]), konst("UInt8", "1")],
    );
    assert_eq!(
        (v, t.as_str()),
        (vec!["2".to_string(), "\\N".to_string()], "Nullable(UInt16)")
    );
    let (v, _) = ev("plus", vec![col("UInt8", &[]), konst("UInt8", "1")]);
    assert!(v.is_empty());
}

// chdb: SELECT 1/0, -1/0, 0/0 -> inf -inf nan; intDiv(-7, 2) -> -3; -7 % 3 -> -1; 7 % -3 -> 1;
// -7.5 % 2 -> -1.5; intDiv(1, 0) -> Code 153; intDivOrZero(5, 0) -> 0
#[test]
fn division() {
    assert_eq!(
        ev(
            "divide",
            vec![col("Int8", &["1", "-1", "0", "7"]), konst("UInt8", "0")]
        )
        .0,
        ["inf", "-inf", "nan", "inf"]
    );
    assert_eq!(
        ev("divide", vec![col("Int8", &["7"]), konst("UInt8", "2")]),
        (vec!["3.5".into()], "Float64".into())
    );
    assert_eq!(
        ev("intDiv", vec![col("Int8", &["-7"]), konst("UInt8", "2")]),
        (vec!["-3".into()], "Int8".into())
    );
    assert_eq!(
        ev("modulo", vec![col("Int8", &["-7"]), konst("UInt8", "3")]),
        (vec!["-1".into()], "Int16".into())
    );
    assert_eq!(
        ev("modulo", vec![col("UInt8", &["7"]), konst("Int8", "-3")]).0,
        ["1"]
    );
    assert_eq!(
        ev(
            "modulo",
            vec![col("Float64", &["-7.5"]), konst("UInt8", "2")]
        )
        .0,
        ["-1.5"]
    );
    let e = eval_text("intDiv", vec![col("UInt8", &["1"]), konst("UInt8", "0")]).unwrap_err();
    assert_eq!(e.code(), 153);
    assert_eq!(
        ev(
            "intDivOrZero",
            vec![col("UInt8", &["5"]), konst("UInt8", "0")]
        )
        .0,
        ["0"]
    );
    // NULL divisor rows are not errors.
    assert_eq!(
        ev(
            "intDiv",
            vec![
                col("UInt8", &["5", "6"]),
                col("Nullable(UInt8)", &["\\N", "2"])
            ]
        )
        .0,
        ["\\N", "3"]
    );
    // chdb: intDiv(toUInt64(18446744073709551615), -1) -> 1
    assert_eq!(
        ev(
            "intDiv",
            vec![
                col("UInt64", &["18446744073709551615"]),
                konst("Int8", "-1")
            ]
        ),
        (vec!["1".into()], "Int64".into())
    );
}

// chdb: SELECT toTypeName(toDecimal32(1,2)+toDecimal32(1,3)) -> Decimal(9, 3); toDecimal32(1,2)*toDecimal32(1,3) -> Decimal(9, 5);
// toDecimal32(1,2)/toInt8(3) -> 0.33 Decimal(9, 2); toDecimal32(1,2)+1.5 -> Float64
#[test]
fn decimals() {
    assert_eq!(
        ev(
            "plus",
            vec![
                col("Decimal(9, 2)", &["1.25"]),
                col("Decimal(9, 3)", &["1.001"])
            ]
        ),
        (vec!["2.251".into()], "Decimal(9, 3)".into())
    );
    assert_eq!(
        ev(
            "multiply",
            vec![
                col("Decimal(9, 2)", &["1.5"]),
                col("Decimal(9, 3)", &["2.001"])
            ]
        ),
        (vec!["3.0015".into()], "Decimal(9, 5)".into())
    );
    assert_eq!(
        ev(
            "divide",
            vec![col("Decimal(9, 2)", &["1"]), konst("Int8", "3")]
        ),
        (vec!["0.33".into()], "Decimal(9, 2)".into())
    );
    assert_eq!(
        ev(
            "plus",
            vec![col("Decimal(9, 2)", &["1"]), konst("Float64", "1.5")]
        ),
        (vec!["2.5".into()], "Float64".into())
    );
    assert_eq!(
        ev(
            "minus",
            vec![col("Decimal(9, 2)", &["1"]), col("Int64", &["3"])]
        ),
        (vec!["-2".into()], "Decimal(9, 2)".into())
    );
    assert_eq!(
        eval_text(
            "divide",
            vec![col("Decimal(9, 2)", &["1"]), konst("Int8", "0")]
        )
        .unwrap_err()
        .code(),
        153
    );
}

// chdb: SELECT toDate('2020-01-01')+1, toDate('1970-01-01') - 1 -> 2149-06-06,
// toDate('2020-01-01') - toDate('2019-01-01') -> 365 (Int32), toDateTime64('2020-01-01 00:00:00', 3) + 1 -> 2020-01-01 00:00:01.000
#[test]
fn dates() {
    assert_eq!(
        ev(
            "plus",
            vec![col("Date", &["2020-01-01"]), konst("UInt8", "1")]
        ),
        (vec!["2020-01-02".into()], "Date".into())
    );
    assert_eq!(
        ev(
            "plus",
            vec![konst("UInt8", "1"), col("Date", &["2020-01-01"])]
        )
        .0,
        ["2020-01-02"]
    );
    assert_eq!(
        ev(
            "minus",
            vec![col("Date", &["1970-01-01"]), konst("UInt8", "1")]
        )
        .0,
        ["2149-06-06"]
    );
    assert_eq!(
        ev(
            "minus",
            vec![col("Date", &["2020-01-01"]), col("Date", &["2019-01-01"])]
        ),
        (vec!["365".into()], "Int32".into())
    );
    assert_eq!(
        ev(
            "minus",
            vec![
                col("DateTime", &["2020-01-01 00:00:00"]),
                col("DateTime", &["2019-01-01 00:00:00"])
            ]
        )
        .0,
        ["31536000"]
    );
    assert_eq!(
        ev(
            "plus",
            vec![
                col("DateTime64(3)", &["2020-01-01 00:00:00"]),
                konst("UInt8", "1")
            ]
        )
        .0,
        ["2020-01-01 00:00:01.000"]
    );
    assert_eq!(
        ev(
            "plus",
            vec![
                col("DateTime", &["2020-01-01 00:00:00"]),
                konst("UInt16", "3600")
            ]
        )
        .0,
        ["2020-01-01 01:00:00"]
    );
}

// chdb: SELECT -toUInt8(1) -> Int16; abs(toInt8(-128)) -> 128 (UInt8); -toUInt64(1) -> Int64
#[test]
fn negate_abs() {
    assert_eq!(
        ev("negate", vec![col("UInt8", &["1"])]),
        (vec!["-1".into()], "Int16".into())
    );
    assert_eq!(
        ev("abs", vec![col("Int8", &["-128", "5"])]),
        (vec!["128".into(), "5".into()], "UInt8".into())
    );
    assert_eq!(ev("negate", vec![konst("UInt64", "1")]).1, "Int64");
    assert_eq!(
        ev("negate", vec![col("Float32", &["1.5"])]),
        (vec!["-1.5".into()], "Float32".into())
    );
    assert_eq!(
        ev("negate", vec![col("Decimal(9, 2)", &["1.5"])]).0,
        ["-1.5"]
    );
    assert_eq!(
        eval_text("plus", vec![s_col(&["a"]), konst("UInt8", "1")])
            .unwrap_err()
            .code(),
        43
    );
}
