//! The `file(path, format[, structure])` table function over files in a user files
//! directory: Parquet/Arrow with their own schema (DESCRIBE-like types as ClickHouse infers
//! them: Nullable where the file says so), text formats with a structure, globs, missing
//! files (107) and paths escaping the directory (291).

mod common;

use common::text;

use granary_query::format::output::{write_output, OutputSettings};
use granary_query::session::Session;
use granary_storage::StorageEngine;

struct Env {
    _dir: tempfile::TempDir,
    files: std::path::PathBuf,
    s: Session,
}

fn env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let files = dir.path().join("user_files");
    std::fs::create_dir_all(&files).unwrap();
    let mut s = Session::new(StorageEngine::open(&dir.path().join("data")).unwrap());
    s.settings.user_files_path = Some(files.clone());
    Env {
        _dir: dir,
        files,
        s,
    }
}

impl Env {
    fn write(&mut self, name: &str, sql: &str, format: &str) {
        let out = self.s.execute(sql).unwrap();
        let mut buf = Vec::new();
        write_output(format, &out, &OutputSettings::default(), &mut buf).unwrap();
        std::fs::write(self.files.join(name), buf).unwrap();
    }

    fn rows(&mut self, sql: &str) -> Vec<String> {
        text(
            &self
                .s
                .execute(sql)
                .unwrap_or_else(|e| panic!("{sql}: {}", e.to_clickhouse_string())),
        )
    }

    fn types(&mut self, sql: &str) -> Vec<String> {
        let out = self.s.execute(sql).unwrap();
        out.columns.iter().map(|(_, t)| t.to_string()).collect()
    }

    fn code(&mut self, sql: &str) -> i32 {
        match self.s.execute(sql) {
            Ok(_) => panic!("{sql} should fail"),
            Err(e) => e.code(),
        }
    }
}

const DATA: &str = "SELECT number AS a, toString(number) AS s, [number] AS arr, \
    toDateTime(number, 'UTC') AS dt, if(number = 1, NULL, number) AS n FROM numbers(3)";

#[test]
fn parquet_with_its_own_schema() {
    let mut e = env();
    e.write("t.parquet", DATA, "Parquet");
    assert_eq!(
        e.types("SELECT * FROM file('t.parquet')"),
        [
            "UInt64",
            "String",
            "Array(UInt64)",
            "DateTime64(3, 'UTC')",
            "Nullable(UInt64)"
        ]
    );
    assert_eq!(
        e.rows("SELECT * FROM file('t.parquet', Parquet) ORDER BY a"),
        [
            "0\t0\t[0]\t1970-01-01 00:00:00.000\t0",
            "1\t1\t[1]\t1970-01-01 00:00:01.000\t\\N",
            "2\t2\t[2]\t1970-01-01 00:00:02.000\t2"
        ]
    );
    assert_eq!(
        e.rows("SELECT sum(a), count() FROM file('t.parquet', 'Parquet') WHERE s != '0'"),
        ["3\t2"]
    );
}

#[test]
fn arrow_files_and_structure_conversion() {
    let mut e = env();
    e.write("t.arrow", DATA, "Arrow");
    e.write("t.arrows", DATA, "ArrowStream");
    assert_eq!(
        e.rows("SELECT a, s FROM file('t.arrow', Arrow) ORDER BY a"),
        ["0\t0", "1\t1", "2\t2"]
    );
    assert_eq!(
        e.rows("SELECT count() FROM file('t.arrows', ArrowStream)"),
        ["3"]
    );
    assert_eq!(
        e.rows("SELECT * FROM file('t.arrow', Arrow, 'a String, missing UInt8') ORDER BY a"),
        ["0\t0", "1\t0", "2\t0"]
    );
}

#[test]
fn text_formats_need_a_structure() {
    let mut e = env();
    std::fs::write(e.files.join("t.csv"), "1,\"x\"\n2,\"y,z\"\n").unwrap();
    std::fs::write(e.files.join("t.tsv"), "1\tx\n2\ty\n").unwrap();
    std::fs::write(
        e.files.join("t.jsonl"),
        "{\"a\":1,\"b\":\"x\"}\n{\"b\":\"y\"}\n",
    )
    .unwrap();
    assert_eq!(
        e.rows("SELECT * FROM file('t.csv', CSV, 'a UInt32, b String')"),
        ["1\tx", "2\ty,z"]
    );
    assert_eq!(
        e.rows("SELECT b, a FROM file('t.tsv', TSV, 'a UInt32, b String')"),
        ["x\t1", "y\t2"]
    );
    assert_eq!(
        e.rows("SELECT * FROM file('t.jsonl', JSONEachRow, 'a UInt32, b String')"),
        ["1\tx", "0\ty"]
    );
    assert_eq!(e.code("SELECT * FROM file('t.csv', CSV)"), 636);
}

#[test]
fn globs_missing_files_and_escapes() {
    let mut e = env();
    std::fs::write(e.files.join("p1.csv"), "1\n").unwrap();
    std::fs::write(e.files.join("p2.csv"), "2\n3\n").unwrap();
    std::fs::write(e.files.join("q.csv"), "9\n").unwrap();
    assert_eq!(
        e.rows("SELECT sum(a), count() FROM file('p*.csv', CSV, 'a UInt8')"),
        ["6\t3"]
    );
    assert_eq!(
        e.rows("SELECT count() FROM file('none*.csv', CSV, 'a UInt8')"),
        ["0"]
    );
    assert_eq!(
        e.code("SELECT * FROM file('nope.csv', CSV, 'a UInt8')"),
        107
    );
    assert_eq!(
        e.code("SELECT * FROM file('../data/x.csv', CSV, 'a UInt8')"),
        291
    );
    assert_eq!(
        e.code("SELECT * FROM file('/etc/passwd', CSV, 'a String')"),
        291
    );
    std::fs::write(e.files.join("bad.parquet"), "not parquet").unwrap();
    assert_eq!(e.code("SELECT * FROM file('bad.parquet')"), 117);
}
