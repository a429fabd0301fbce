//! `FORMAT Parquet | Arrow | ArrowStream` output and input through a session: the schema
//! ClickHouse (26.9, checked with chdb + pyarrow) writes, round trips through INSERT, and
//! malformed data (error 117, nothing inserted).

mod common;

use common::text;

use arrow::datatypes::{DataType as ArrowType, TimeUnit};
use granary_query::format::output::{write_output, OutputSettings};
use granary_query::session::Session;
use granary_storage::StorageEngine;

fn session() -> (tempfile::TempDir, Session) {
    let dir = tempfile::tempdir().unwrap();
    let s = Session::new(StorageEngine::open(dir.path()).unwrap());
    (dir, s)
}

const CREATE: &str = "CREATE TABLE t (u8 UInt8, i64 Int64, u64 UInt64, f Float64, b Bool, \
    s String, fs FixedString(2), d Date, d32 Date32, dt DateTime, dt64 DateTime64(3), \
    dt6 DateTime64(6, 'UTC'), dec Decimal(9, 2), dec38 Decimal(38, 10), u UUID, \
    lc LowCardinality(String), n Nullable(Int32), ns Nullable(String), arr Array(UInt32), \
    an Array(Nullable(String)), m Map(String, UInt64)) ENGINE = MergeTree ORDER BY u8";

const ROWS: &str = "INSERT INTO t VALUES \
    (1, -5, 18446744073709551615, 1.5, true, 'abc', 'xy', '2024-01-02', '1900-01-01', \
     '2024-01-02 03:04:05', '2024-01-02 03:04:05.123', '2024-01-02 03:04:05.123456', 1.25, \
     12345.6789, '00112233-4455-6677-8899-aabbccddeeff', 'red', NULL, 'x', [1, 2], \
     [NULL, 'a'], {'k': 7}), \
    (2, 7, 0, -0.5, false, '', 'ab', '1970-01-01', '2100-12-31', '1970-01-01 00:00:00', \
     '1970-01-01 00:00:00.000', '2000-01-01 00:00:00.000001', -3.5, 0, \
     '00000000-0000-0000-0000-000000000000', 'blue', 42, NULL, [], [], {})";

fn render(s: &mut Session, sql: &str, format: &str, settings: &OutputSettings) -> Vec<u8> {
    let out = s.execute(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    let mut buf = Vec::new();
    write_output(format, &out, settings, &mut buf).unwrap_or_else(|e| panic!("{format}: {e}"));
    buf
}

fn field_types(schema: &arrow::datatypes::Schema) -> Vec<(String, String, bool)> {
    schema
        .fields()
        .iter()
        .map(|f| (f.name().clone(), f.data_type().to_string(), f.is_nullable()))
        .collect()
}

#[test]
fn arrow_file_schema_matches_clickhouse() {
    let (_d, mut s) = session();
    s.execute(CREATE).unwrap();
    s.execute(ROWS).unwrap();
    let bytes = render(
        &mut s,
        "SELECT * FROM t ORDER BY u8",
        "Arrow",
        &OutputSettings::default(),
    );
    assert!(bytes.starts_with(b"ARROW1"));
    let reader =
        arrow::ipc::reader::FileReader::try_new(std::io::Cursor::new(bytes), None).unwrap();
    let schema = reader.schema();
    let f = |n: &str| schema.field_with_name(n).unwrap().clone();
    assert_eq!(f("u8").data_type(), &ArrowType::UInt8);
    assert_eq!(f("s").data_type(), &ArrowType::Utf8);
    assert_eq!(f("fs").data_type(), &ArrowType::FixedSizeBinary(2));
    assert_eq!(f("d").data_type(), &ArrowType::Date32);
    assert_eq!(f("dt").data_type(), &ArrowType::UInt32);
    assert_eq!(
        f("dt64").data_type(),
        &ArrowType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()))
    );
    assert_eq!(
        f("dt6").data_type(),
        &ArrowType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
    );
    assert_eq!(f("dec").data_type(), &ArrowType::Decimal128(9, 2));
    assert_eq!(f("u").data_type(), &ArrowType::FixedSizeBinary(16));
    assert_eq!(
        f("u")
            .metadata()
            .get("ARROW:extension:name")
            .map(String::as_str),
        Some("arrow.uuid")
    );
    assert_eq!(f("lc").data_type(), &ArrowType::Utf8);
    assert!(f("n").is_nullable() && !f("u8").is_nullable());
    assert_eq!(
        field_types(&schema)
            .into_iter()
            .find(|(n, _, _)| n == "an")
            .map(|(_, t, _)| t),
        Some("List(Utf8)".to_string())
    );
    let batches: Vec<_> = reader.map(|b| b.unwrap()).collect();
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 2);
}

#[test]
fn parquet_schema_matches_clickhouse() {
    let (_d, mut s) = session();
    s.execute(CREATE).unwrap();
    s.execute(ROWS).unwrap();
    let bytes = render(
        &mut s,
        "SELECT * FROM t ORDER BY u8",
        "Parquet",
        &OutputSettings::default(),
    );
    assert!(bytes.starts_with(b"PAR1") && bytes.ends_with(b"PAR1"));
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
        bytes::Bytes::from(bytes),
    )
    .unwrap();
    let meta = reader.metadata().clone();
    let col = meta.row_group(0).column(0);
    assert_eq!(col.compression().to_string(), "ZSTD(ZstdLevel(1))");
    let schema = reader.schema().clone();
    let f = |n: &str| schema.field_with_name(n).unwrap().data_type().clone();
    assert_eq!(f("s"), ArrowType::Utf8);
    assert_eq!(f("d"), ArrowType::Date32);
    assert_eq!(
        f("dt"),
        ArrowType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()))
    );
    assert_eq!(
        f("dt64"),
        ArrowType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()))
    );
    assert_eq!(f("u64"), ArrowType::UInt64);
    let rows: usize = reader.build().unwrap().map(|b| b.unwrap().num_rows()).sum();
    assert_eq!(rows, 2);
}

#[test]
fn round_trips_through_insert() {
    for format in ["Parquet", "Arrow", "ArrowStream"] {
        let (_d, mut s) = session();
        s.execute(CREATE).unwrap();
        s.execute(ROWS).unwrap();
        let before = text(&s.execute("SELECT * FROM t ORDER BY u8").unwrap());
        let bytes = render(
            &mut s,
            "SELECT * FROM t",
            format,
            &OutputSettings::default(),
        );
        s.execute(&CREATE.replace("TABLE t", "TABLE t2")).unwrap();
        let mut insert = format!("INSERT INTO t2 FORMAT {format}\n").into_bytes();
        insert.extend_from_slice(&bytes);
        s.execute_bytes(&insert)
            .unwrap_or_else(|e| panic!("{format}: {}", e.to_clickhouse_string()));
        let after = text(&s.execute("SELECT * FROM t2 ORDER BY u8").unwrap());
        assert_eq!(before, after, "{format}");
    }
}

#[test]
fn insert_matches_by_name_converts_and_defaults() {
    let (_d, mut s) = session();
    let bytes = render(
        &mut s,
        "SELECT toUInt8(number) AS a, toString(number * 10) AS s, 'zz' AS extra, \
         if(number = 1, NULL, number) AS n FROM numbers(3)",
        "Parquet",
        &OutputSettings::default(),
    );
    s.execute(
        "CREATE TABLE r (n UInt64, a Int64, s String, d String DEFAULT concat('d', s)) \
         ENGINE = MergeTree ORDER BY a",
    )
    .unwrap();
    let mut insert = b"INSERT INTO r FORMAT Parquet ".to_vec();
    insert.extend_from_slice(&bytes);
    s.execute_bytes(&insert).unwrap();
    assert_eq!(
        text(&s.execute("SELECT * FROM r ORDER BY a").unwrap()),
        ["0\t0\t0\td0", "0\t1\t10\td10", "2\t2\t20\td20"]
    );
}

#[test]
fn malformed_data_fails_with_117_and_inserts_nothing() {
    let (_d, mut s) = session();
    s.execute("CREATE TABLE r (a UInt64) ENGINE = MergeTree ORDER BY a")
        .unwrap();
    let good = render(
        &mut s,
        "SELECT number AS a FROM numbers(1000)",
        "Parquet",
        &OutputSettings::default(),
    );
    let arrow = render(
        &mut s,
        "SELECT number AS a FROM numbers(1000)",
        "Arrow",
        &OutputSettings::default(),
    );
    let stream = render(
        &mut s,
        "SELECT number AS a FROM numbers(1000)",
        "ArrowStream",
        &OutputSettings::default(),
    );
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("Parquet", b"garbage garbage".to_vec()),
        ("Parquet", good[..good.len() / 2].to_vec()),
        ("Parquet", good[good.len() / 2..].to_vec()),
        ("Arrow", b"garbage".to_vec()),
        ("Arrow", arrow[..arrow.len() - 20].to_vec()),
        (
            "ArrowStream",
            b"\xff\xff\xff\xff\x10\x00\x00\x00garbage".to_vec(),
        ),
        ("ArrowStream", stream[..stream.len() / 2].to_vec()),
    ];
    for (format, data) in cases {
        let mut insert = format!("INSERT INTO r FORMAT {format}\n").into_bytes();
        insert.extend_from_slice(&data);
        let e = s.execute_bytes(&insert).err().map(|e| e.code());
        assert_eq!(e, Some(117), "{format} with {} bytes", data.len());
    }
    assert_eq!(text(&s.execute("SELECT count() FROM r").unwrap()), ["0"]);
}

#[test]
fn settings_change_the_output() {
    let (_d, mut s) = session();
    let mut settings = OutputSettings::default();
    settings
        .apply("output_format_arrow_string_as_string", "0")
        .unwrap();
    settings
        .apply("output_format_parquet_compression_method", "snappy")
        .unwrap();
    settings
        .apply("output_format_parquet_row_group_size", "10")
        .unwrap();
    let arrow = render(&mut s, "SELECT 'a' AS s", "Arrow", &settings);
    let reader =
        arrow::ipc::reader::FileReader::try_new(std::io::Cursor::new(arrow), None).unwrap();
    assert_eq!(reader.schema().field(0).data_type(), &ArrowType::Binary);
    let pq = render(
        &mut s,
        "SELECT number FROM numbers(25)",
        "Parquet",
        &settings,
    );
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
        bytes::Bytes::from(pq),
    )
    .unwrap();
    assert_eq!(reader.metadata().num_row_groups(), 3);
    assert_eq!(
        reader.metadata().row_group(0).column(0).compression(),
        parquet::basic::Compression::SNAPPY
    );
    assert!(settings
        .apply("output_format_parquet_compression_method", "nope")
        .is_err());
}
