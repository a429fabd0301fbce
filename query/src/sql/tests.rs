//! Unit tests of the SQL front layer: queries, limits, INSERT, small statements, params.

use std::collections::HashMap;

use super::*;

fn parse(sql: &str) -> Result<Statement> {
    parse_statement(sql, &ParseLimits::default())
}

fn ok(sql: &str) -> Statement {
    match parse(sql) {
        Ok(s) => s,
        Err(e) => panic!("{sql}: {}", e.to_clickhouse_string()),
    }
}

fn code(sql: &str) -> i32 {
    match parse(sql) {
        Ok(s) => panic!("{sql} parsed: {s:?}"),
        Err(e) => e.code(),
    }
}

fn select(sql: &str) -> (Box<Query>, Option<String>, Vec<(String, String)>) {
    match ok(sql) {
        Statement::Select {
            query,
            format,
            settings,
        } => (query, format, settings),
        other => panic!("{sql}: not a select: {other:?}"),
    }
}

fn kv(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn format_and_settings_are_cut_off() {
    let (q, f, s) = select("SELECT 1 FORMAT JSON");
    assert_eq!(q.to_string(), "SELECT 1");
    assert_eq!(f.as_deref(), Some("JSON"));
    assert!(s.is_empty());

    let (q, f, s) =
        select("SELECT a FROM t WHERE x = 1 SETTINGS max_threads = 2, s = 'x' FORMAT TSV;");
    assert_eq!(q.to_string(), "SELECT a FROM t WHERE x = 1");
    assert_eq!(f.as_deref(), Some("TSV"));
    assert_eq!(s, kv(&[("max_threads", "2"), ("s", "x")]));

    let (_, f, s) = select("SELECT 1 FORMAT Native SETTINGS a = -1");
    assert_eq!(f.as_deref(), Some("Native"));
    assert_eq!(s, kv(&[("a", "-1")]));

    let (_, f, s) = select("SELECT 1 SETTINGS x = true");
    assert_eq!(f, None);
    assert_eq!(s, kv(&[("x", "true")]));

    // `format` and `settings` as column names stay columns.
    let (q, f, s) = select("SELECT format, settings FROM t ORDER BY format");
    assert_eq!(f, None);
    assert!(s.is_empty());
    assert_eq!(
        q.to_string(),
        "SELECT format, settings FROM t ORDER BY format"
    );

    // clickhouse-connect's form.
    let (_, f, _) = select("SELECT name FROM system.settings LIMIT 10000\n FORMAT Native");
    assert_eq!(f.as_deref(), Some("Native"));
}

#[test]
fn selects_of_all_shapes_parse() {
    for sql in [
        "WITH x AS (SELECT 1) SELECT * FROM x",
        "(SELECT 1) UNION ALL (SELECT 2)",
        "SELECT * FROM t FINAL WHERE a > 1",
        "SELECT quantile(0.9)(x), uniqIf(y, y > 0) FROM t GROUP BY k WITH TOTALS",
        "SELECT x -> x + 1, arr[1], tup.1, m['k'], x::UInt64 FROM t",
        "SELECT a FROM t LIMIT 1 BY a",
        "SELECT count() FROM numbers(10)",
        "SELECT * FROM t SAMPLE 0.1 PREWHERE a = 1",
    ] {
        ok(sql);
    }
}

#[test]
fn final_is_recognised() {
    let (q, _, _) = select("SELECT * FROM t FINAL");
    let sqlparser::ast::SetExpr::Select(s) = q.body.as_ref() else {
        panic!("not a select")
    };
    let sqlparser::ast::TableFactor::Table { alias, .. } = &s.from[0].relation else {
        panic!("not a table")
    };
    assert!(is_final_alias(alias.as_ref().unwrap()));
    let (q, _, _) = select("SELECT * FROM t AS final");
    let sqlparser::ast::SetExpr::Select(s) = q.body.as_ref() else {
        panic!("not a select")
    };
    let sqlparser::ast::TableFactor::Table { alias, .. } = &s.from[0].relation else {
        panic!("not a table")
    };
    assert!(!is_final_alias(alias.as_ref().unwrap()));
}

#[test]
fn clickbench_queries_parse() {
    let text = include_str!("../../../clickbench/queries.sql");
    let mut n = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let (_, f, _) = select(line);
        assert_eq!(f, None);
        n += 1;
    }
    assert_eq!(n, 43);
}

#[test]
fn one_statement_only() {
    ok("SELECT 1;");
    ok("SELECT 1 ;  ");
    ok("SELECT 1;;");
    let e = parse("SELECT 1; SELECT 2").unwrap_err();
    assert_eq!(e.code(), 62);
    assert!(
        e.message().contains("Multi-statements are not allowed"),
        "{}",
        e.message()
    );
    assert_eq!(code(""), 62);
    assert_eq!(code("  ;"), 62);
}

#[test]
fn limits_are_enforced_without_overflowing() {
    let limits = ParseLimits {
        max_query_size: 10,
        max_ast_depth: 1000,
    };
    let e = parse_statement("SELECT 1 SETTINGS max_threads = 1", &limits).unwrap_err();
    assert_eq!(e.code(), 62);
    assert!(e.message().starts_with("Max query size exceeded"));

    let deep = format!("SELECT {}1{}", "(".repeat(100_000), ")".repeat(100_000));
    let limits = ParseLimits {
        max_query_size: 1 << 20,
        max_ast_depth: 1000,
    };
    let e = parse_statement(&deep, &limits).unwrap_err();
    assert_eq!(e.code(), 167);
    assert_eq!(e.message(), "AST is too deep. Maximum: 1000");

    let chain = format!("SELECT 1{}", "+1".repeat(100_000));
    assert_eq!(parse_statement(&chain, &limits).unwrap_err().code(), 167);
    let arr = format!("SELECT {}1{}", "[".repeat(5000), "]".repeat(5000));
    assert_eq!(parse_statement(&arr, &limits).unwrap_err().code(), 167);
    let nots = format!("SELECT {}1", "NOT ".repeat(50_000));
    assert_eq!(parse_statement(&nots, &limits).unwrap_err().code(), 167);

    // Reasonable nesting and long flat lists are fine.
    ok(&format!("SELECT {}1{}", "(".repeat(200), ")".repeat(200)));
    ok(&format!("SELECT 1{}", "+1".repeat(500)));
    ok(&format!(
        "SELECT * FROM t WHERE a IN ({})",
        vec!["1"; 20_000].join(", ")
    ));
}

#[test]
fn syntax_errors_look_like_clickhouse() {
    let e = parse("SELECT 1 1 1").unwrap_err();
    assert_eq!(e.code(), 62);
    assert!(
        e.message()
            .starts_with("Syntax error: failed at position 10 (1): 1 1."),
        "{}",
        e.message()
    );
    let e = parse("SELECT * FROM").unwrap_err();
    assert!(
        e.message()
            .starts_with("Syntax error: failed at position 14 (end of query): ."),
        "{}",
        e.message()
    );
    assert_eq!(code("SELEC 1"), 62);
    assert_eq!(code("SELECT 'unterminated"), 62);
}

#[test]
fn inserts() {
    let Statement::Insert(i) = ok("INSERT INTO db.t (a, `b c`) VALUES (1, 'x'), (2, NULL);") else {
        panic!()
    };
    assert_eq!(i.database.as_deref(), Some("db"));
    assert_eq!(i.name, "t");
    assert_eq!(i.columns, vec!["a", "b c"]);
    let InsertSource::Values(rows) = &i.source else {
        panic!()
    };
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1][1].to_string(), "NULL");

    // Rows without commas between them, ClickHouse style, and an empty map.
    let Statement::Insert(i) = ok("INSERT INTO t VALUES (1, {})(2, {'a':'b'})") else {
        panic!()
    };
    assert!(matches!(&i.source, InsertSource::Values(r) if r.len() == 2));

    let sql = "INSERT INTO t FORMAT TabSeparated\n1\tx'\n2\t\"y\n";
    let Statement::Insert(i) = ok(sql) else {
        panic!()
    };
    let InsertSource::Format {
        format,
        data_offset,
    } = &i.source
    else {
        panic!()
    };
    assert_eq!(format, "TabSeparated");
    assert_eq!(&sql[*data_offset..], "1\tx'\n2\t\"y\n");

    let sql = "INSERT INTO t SETTINGS async_insert = 1 FORMAT JSONEachRow {\"a\": 1}";
    let Statement::Insert(i) = ok(sql) else {
        panic!()
    };
    assert_eq!(i.settings, kv(&[("async_insert", "1")]));
    let InsertSource::Format { data_offset, .. } = &i.source else {
        panic!()
    };
    assert_eq!(&sql[*data_offset..], "{\"a\": 1}");

    let Statement::Insert(i) = ok("INSERT INTO t (a) SELECT number FROM numbers(3)") else {
        panic!()
    };
    assert!(matches!(i.source, InsertSource::Select(_)));

    // The data does not count towards max_query_size, the header does.
    let big = format!("INSERT INTO t FORMAT CSV\n{}", "1,2\n".repeat(100_000));
    ok(&big);
    let big_values = format!(
        "INSERT INTO t VALUES {}",
        vec!["(1, 'a')"; 50_000].join(",")
    );
    ok(&big_values);

    assert_eq!(code("INSERT INTO t"), 62);
    assert_eq!(code("INSERT INTO t VALUES"), 62);
    assert_eq!(code("INSERT INTO t VALUES (1"), 62);
    assert_eq!(code("INSERT INTO t FORMAT"), 62);
}

#[test]
fn small_statements() {
    assert_eq!(
        ok("DROP TABLE IF EXISTS db.t SYNC"),
        Statement::DropTable {
            database: Some("db".into()),
            name: "t".into(),
            if_exists: true
        }
    );
    assert_eq!(
        ok("DROP DATABASE d"),
        Statement::DropDatabase {
            name: "d".into(),
            if_exists: false
        }
    );
    assert_eq!(
        ok("TRUNCATE TABLE t"),
        Statement::Truncate {
            database: None,
            name: "t".into()
        }
    );
    let Statement::Optimize {
        partition,
        final_,
        deduplicate,
        ..
    } = ok("OPTIMIZE TABLE t PARTITION 202401 FINAL DEDUPLICATE")
    else {
        panic!()
    };
    assert!(final_ && deduplicate);
    assert!(matches!(partition, Some(PartitionSpec::Expr(_))));
    assert!(matches!(
        ok("OPTIMIZE TABLE t FINAL"),
        Statement::Optimize {
            final_: true,
            partition: None,
            ..
        }
    ));
    for (sql, want) in [
        ("ALTER TABLE t DROP PARTITION 202401", "202401"),
        ("ALTER TABLE t DROP PARTITION '202401'", "'202401'"),
        ("ALTER TABLE t DROP PARTITION (1, 'a')", "(1, 'a')"),
    ] {
        let Statement::AlterDropPartition {
            partition: PartitionSpec::Expr(e),
            ..
        } = ok(sql)
        else {
            panic!("{sql}")
        };
        assert_eq!(e.to_string(), want);
    }
    assert_eq!(
        ok("ALTER TABLE db.t DROP PARTITION ID '2024'"),
        Statement::AlterDropPartition {
            database: Some("db".into()),
            name: "t".into(),
            partition: PartitionSpec::Id("2024".into())
        }
    );
    assert_eq!(
        ok("USE analytics"),
        Statement::Use {
            database: "analytics".into()
        }
    );
    assert_eq!(
        ok("SET max_threads = 4, readonly = 'x'"),
        Statement::Set {
            settings: kv(&[("max_threads", "4"), ("readonly", "x")])
        }
    );
    assert_eq!(
        ok("SHOW TABLES FROM db LIKE 'a%'"),
        Statement::ShowTables {
            database: Some("db".into()),
            like: Some("a%".into()),
            format: None
        }
    );
    assert_eq!(
        ok("SHOW DATABASES"),
        Statement::ShowDatabases {
            like: None,
            format: None
        }
    );
    assert_eq!(
        ok("SHOW CREATE TABLE db.t FORMAT TSVRaw"),
        Statement::ShowCreateTable {
            database: Some("db".into()),
            name: "t".into(),
            format: Some("TSVRaw".into())
        }
    );
    assert_eq!(
        ok("DESCRIBE TABLE `t`\n FORMAT Native"),
        Statement::Describe {
            database: None,
            name: "t".into(),
            format: Some("Native".into())
        }
    );
    assert!(matches!(ok("DESC t"), Statement::Describe { .. }));
    assert_eq!(
        ok("EXISTS TABLE t"),
        Statement::Exists {
            database: None,
            name: "t".into(),
            format: None
        }
    );
    assert_eq!(
        ok("SYSTEM STOP MERGES db.t"),
        Statement::SystemMerges {
            stop: true,
            database: Some("db".into()),
            name: Some("t".into())
        }
    );
    assert_eq!(
        ok("SYSTEM START MERGES"),
        Statement::SystemMerges {
            stop: false,
            database: None,
            name: None
        }
    );
    assert_eq!(code("SYSTEM FLUSH LOGS"), 48);
    assert_eq!(code("DROP TABLE"), 62);
    assert_eq!(code("DROP TABLE t extra"), 62);
    assert!(matches!(ok("RENAME TABLE a TO b"), Statement::Other(_)));
    assert_eq!(code("ALTER TABLE t DELETE WHERE a = 1"), 48);
    assert!(matches!(
        ok("ALTER TABLE t ADD COLUMN c UInt8"),
        Statement::Other(_)
    ));
}

#[test]
fn explain() {
    let Statement::Explain {
        kind,
        options,
        statement,
    } = ok("EXPLAIN PLAN header = 1 SELECT 1 FORMAT TSV")
    else {
        panic!()
    };
    assert_eq!(kind, "PLAN");
    assert_eq!(options, kv(&[("header", "1")]));
    assert!(matches!(*statement, Statement::Select { .. }));
    let Statement::Explain { kind, .. } = ok("EXPLAIN SYNTAX SELECT 1") else {
        panic!()
    };
    assert_eq!(kind, "SYNTAX");
    let Statement::Explain { kind, .. } = ok("EXPLAIN SELECT 1") else {
        panic!()
    };
    assert_eq!(kind, "PLAN");
    assert_eq!(ok("EXPLAIN SELECT 1 FORMAT JSON").format(), Some("JSON"));
}

#[test]
fn query_parameters() {
    let params: HashMap<String, String> = [
        ("id", "42"),
        ("s", "it's\\tx"),
        ("tbl", "events"),
        ("d", "2024-01-01 00:00:00"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let out = substitute_params(
        "SELECT {id:UInt64}, {s: String}, '{id:UInt64}' FROM {tbl:Identifier} WHERE t > {d:DateTime('UTC')} -- {x:Int8}",
        &params,
    )
    .unwrap();
    assert_eq!(
        out,
        "SELECT _CAST(42, 'UInt64'), _CAST('it\\'s\\tx', 'String'), '{id:UInt64}' FROM `events` WHERE t > _CAST('2024-01-01 00:00:00', 'DateTime(\\'UTC\\')') -- {x:Int8}"
    );
    ok(&out);
    let e = substitute_params("SELECT {nope:UInt8}", &params).unwrap_err();
    assert_eq!(e.message(), "Substitution `nope` is not set");
    // Map literals are not placeholders.
    assert_eq!(
        substitute_params("SELECT {'a': 1}", &params).unwrap(),
        "SELECT {'a': 1}"
    );
}

#[test]
fn no_panic_on_any_prefix() {
    let samples = [
        "SELECT a, 'é\\'x' FROM db.t FINAL WHERE (a + 1) * 2 > 3 SETTINGS x = 1 FORMAT JSON;",
        "INSERT INTO t (a, `b`) SETTINGS s = 'v' VALUES (1, 'ü'), (-2, {'k': [1]})",
        "INSERT INTO t FORMAT TSV\n1\té\n",
        "CREATE TABLE IF NOT EXISTS d.t (a UInt8 DEFAULT 1 CODEC(ZSTD(1)) COMMENT 'ç', b Nullable(String), c UInt64, PRIMARY KEY (a)) ENGINE = SummingMergeTree((c)) PARTITION BY a SETTINGS index_granularity = 8 COMMENT 'x'",
        "ALTER TABLE t DROP PARTITION ID 'x'",
        "OPTIMIZE TABLE t PARTITION (1, 'a') FINAL DEDUPLICATE",
        "EXPLAIN PIPELINE header = 1 SELECT 1",
        "SHOW TABLES FROM db LIKE '%é'",
        "SYSTEM STOP MERGES db.t",
        "CREATE MATERIALIZED VIEW mv TO t AS SELECT 1",
    ];
    for s in samples {
        for (i, _) in s.char_indices() {
            let _ = parse(&s[..i]);
            let _ = parse(&s[i..]);
        }
        ok(s);
    }
}
