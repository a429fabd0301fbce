//! `system.*` tables: what Granary reports about its own databases, tables, parts,
//! settings, functions and formats.

use granary_query::session::Session;

fn tsv(s: &mut Session, sql: &str) -> String {
    let out = s.execute(sql).expect(sql);
    let types: Vec<_> = out.columns.iter().map(|(_, t)| t.clone()).collect();
    granary_query::format::format_tsv(&out.batches, &types)
}

fn session() -> (tempfile::TempDir, Session) {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = granary_storage::StorageEngine::open(dir.path()).expect("engine");
    (dir, Session::new(engine))
}

#[test]
fn tables_parts_and_databases() {
    let (_d, mut s) = session();
    s.execute("CREATE TABLE t (a UInt32) ENGINE = MergeTree ORDER BY a")
        .expect("create");
    s.execute("INSERT INTO t VALUES (1), (2)").expect("insert");
    s.execute("INSERT INTO t VALUES (3)").expect("insert");
    assert_eq!(
        tsv(
            &mut s,
            "SELECT total_rows, parts, engine FROM system.tables WHERE name = 't'"
        ),
        "3\t2\tMergeTree\n"
    );
    assert_eq!(
        tsv(
            &mut s,
            "SELECT name, rows, part_type, partition FROM system.parts WHERE table = 't' ORDER BY name"
        ),
        "all_1_1_0\t2\tWide\ttuple()\nall_2_2_0\t1\tWide\ttuple()\n"
    );
    assert_eq!(
        tsv(&mut s, "SELECT name, engine FROM system.databases WHERE name IN ('default', 'system') ORDER BY name"),
        "default\tAtomic\nsystem\tAtomic\n"
    );
    assert_eq!(tsv(&mut s, "SELECT count() FROM system.merges"), "0\n");
}

#[test]
fn settings_functions_formats() {
    let (_d, mut s) = session();
    s.execute("SET max_result_rows = 10").expect("set");
    assert_eq!(
        tsv(
            &mut s,
            "SELECT value, changed FROM system.settings WHERE name = 'max_result_rows'"
        ),
        "10\t1\n"
    );
    assert_eq!(
        tsv(
            &mut s,
            "SELECT is_aggregate FROM system.functions WHERE name = 'uniq'"
        ),
        "1\n"
    );
    assert_eq!(
        tsv(
            &mut s,
            "SELECT is_input, is_output FROM system.formats WHERE name = 'Pretty'"
        ),
        "0\t1\n"
    );
    assert_eq!(
        tsv(&mut s, "SELECT number FROM system.numbers LIMIT 3"),
        "0\n1\n2\n"
    );
}
