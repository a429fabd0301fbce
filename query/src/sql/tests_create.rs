//! Unit tests of CREATE TABLE / DATABASE / MATERIALIZED VIEW parsing.

use granary_storage::codec::CodecChain;
use granary_storage::schema::{DefaultKind, TableEngine};
use granary_storage::types::DataType;

use super::*;

fn create(sql: &str) -> CreateTable {
    match parse_statement(sql, &ParseLimits::default()) {
        Ok(Statement::CreateTable(c)) => *c,
        Ok(other) => panic!("{sql}: {other:?}"),
        Err(e) => panic!("{sql}: {}", e.to_clickhouse_string()),
    }
}

fn code(sql: &str) -> i32 {
    match parse_statement(sql, &ParseLimits::default()) {
        Ok(s) => panic!("{sql} parsed: {s:?}"),
        Err(e) => e.code(),
    }
}

fn ty(s: &str) -> DataType {
    DataType::parse(s).unwrap()
}

#[test]
fn seed_events_table() {
    let sql = "CREATE TABLE events (event_id UInt64, user_id UInt32, event_type LowCardinality(String), properties Map(String, String), event_time DateTime64(3)) ENGINE = MergeTree() PARTITION BY toYYYYMM(event_time) ORDER BY (event_type, user_id, event_time)";
    let c = create(sql);
    assert_eq!(c.name, "events");
    assert_eq!(c.database, None);
    assert_eq!(c.engine_name, "MergeTree");
    assert_eq!(c.create_query, sql);
    let s = &c.schema;
    let names: Vec<_> = s.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "event_id",
            "user_id",
            "event_type",
            "properties",
            "event_time"
        ]
    );
    assert_eq!(s.columns[2].data_type, ty("LowCardinality(String)"));
    assert_eq!(s.columns[3].data_type, ty("Map(String, String)"));
    assert_eq!(s.columns[4].data_type, ty("DateTime64(3)"));
    assert_eq!(s.order_by, ["event_type", "user_id", "event_time"]);
    assert_eq!(s.primary_key, s.order_by);
    assert_eq!(
        s.partition_by.as_ref().unwrap().to_string(),
        "toYYYYMM(event_time)"
    );
    assert_eq!(s.engine, TableEngine::MergeTree);
}

#[test]
fn clickbench_hits_table() {
    let c = create(include_str!("../../../clickbench/create.sql"));
    assert!(c.or_replace);
    assert_eq!(c.schema.columns.len(), 105);
    assert_eq!(
        c.schema.order_by,
        ["CounterID", "EventDate", "UserID", "EventTime", "WatchID"]
    );
    assert_eq!(c.schema.columns[0].data_type, DataType::Int64);
    assert_eq!(c.schema.columns[2].data_type, DataType::String);
    assert_eq!(c.schema.columns[4].data_type, DataType::DateTime(None));
    assert_eq!(
        c.settings,
        vec![
            ("fsync_after_insert".to_string(), "1".to_string()),
            ("auto_statistics_types".to_string(), String::new())
        ]
    );
}

#[test]
fn clauses_in_any_order_with_everything() {
    let c = create(
        "CREATE TABLE IF NOT EXISTS db.t (
            k String,
            v UInt64 DEFAULT 7 CODEC(Delta(8), ZSTD(3)) COMMENT 'value',
            d DateTime64(3, 'UTC') MATERIALIZED now64(),
            a Nullable(Decimal(18, 4)) ALIAS v * 2,
            n Int32 NULL,
            m Map(String, Array(UInt64)),
            l LowCardinality(Nullable(String)),
            `quoted name` FixedString(4),
            INDEX idx k TYPE bloom_filter GRANULARITY 4
        )
        SETTINGS index_granularity = 1024
        ORDER BY (k, v)
        PRIMARY KEY k
        COMMENT 'a table'
        PARTITION BY (k, toYear(d))
        ENGINE = ReplacingMergeTree(v)",
    );
    assert_eq!(c.database.as_deref(), Some("db"));
    assert!(c.if_not_exists);
    assert_eq!(c.engine_name, "ReplacingMergeTree");
    assert_eq!(
        c.schema.engine,
        TableEngine::ReplacingMergeTree {
            version: Some("v".into())
        }
    );
    assert_eq!(c.schema.order_by, ["k", "v"]);
    assert_eq!(c.schema.primary_key, ["k"]);
    assert_eq!(c.schema.settings.index_granularity, 1024);
    assert_eq!(c.comment, "a table");
    let cols = &c.schema.columns;
    assert_eq!(cols.len(), 8);
    let v = &cols[1];
    assert_eq!(v.default.as_ref().unwrap().kind, DefaultKind::Default);
    assert_eq!(v.default.as_ref().unwrap().expr, "7");
    assert_eq!(
        v.codec,
        Some(CodecChain::parse("Delta(8), ZSTD(3)").unwrap())
    );
    assert_eq!(v.comment, "value");
    assert_eq!(cols[2].data_type, ty("DateTime64(3, 'UTC')"));
    assert_eq!(
        cols[2].default.as_ref().unwrap().kind,
        DefaultKind::Materialized
    );
    assert_eq!(cols[2].default.as_ref().unwrap().expr, "now64()");
    assert_eq!(cols[3].default.as_ref().unwrap().kind, DefaultKind::Alias);
    assert_eq!(cols[3].default.as_ref().unwrap().expr, "v * 2");
    assert_eq!(cols[4].data_type, ty("Nullable(Int32)"));
    assert_eq!(cols[5].data_type, ty("Map(String, Array(UInt64))"));
    assert_eq!(cols[6].data_type, ty("LowCardinality(Nullable(String))"));
    assert_eq!(cols[7].name, "quoted name");
    assert_eq!(cols[3].data_type, ty("Nullable(Decimal(18, 4))"));
}

#[test]
fn engines() {
    let e = |sql: &str| create(sql).schema.engine;
    assert_eq!(
        e("CREATE TABLE t (k UInt8, a UInt64, b Int64) ENGINE = SummingMergeTree((a, b)) ORDER BY k"),
        TableEngine::SummingMergeTree {
            columns: vec!["a".into(), "b".into()]
        }
    );
    assert_eq!(
        e("CREATE TABLE t (k UInt8, a UInt64) ENGINE = SummingMergeTree(a) ORDER BY k"),
        TableEngine::SummingMergeTree {
            columns: vec!["a".into()]
        }
    );
    assert_eq!(
        e("CREATE TABLE t (k UInt8, a UInt64) ENGINE = SummingMergeTree ORDER BY k"),
        TableEngine::SummingMergeTree { columns: vec![] }
    );
    assert_eq!(
        e("CREATE TABLE t (k UInt8, sign Int8) ENGINE = CollapsingMergeTree(sign) ORDER BY k"),
        TableEngine::CollapsingMergeTree {
            sign: "sign".into()
        }
    );
    assert_eq!(
        e("CREATE TABLE t (k UInt8) ENGINE AggregatingMergeTree ORDER BY tuple()"),
        TableEngine::AggregatingMergeTree
    );
    let c = create("CREATE TABLE t (k UInt8) ENGINE = MergeTree ORDER BY tuple()");
    assert!(c.schema.order_by.is_empty());
    let c = create("CREATE TABLE t (k UInt8) ENGINE = MergeTree ORDER BY k");
    assert_eq!(c.schema.order_by, ["k"]);

    let c = create("CREATE TABLE t (a UInt32) ENGINE = Memory");
    assert_eq!(c.other_engine, Some(("Memory".into(), vec![])));
    let c = create(
        "CREATE TABLE q (a UInt32) ENGINE = Kafka SETTINGS kafka_broker_list = 'b:9092', kafka_topic_list = 't', kafka_group_name = 'g', kafka_format = 'JSONEachRow'",
    );
    assert_eq!(c.engine_name, "Kafka");
    assert_eq!(c.other_engine, Some(("Kafka".into(), vec![])));
    assert_eq!(c.settings[0], ("kafka_broker_list".into(), "b:9092".into()));
    let c = create("CREATE TABLE q (a UInt32) ENGINE = Kafka('b:9092', 't', 'g', 'JSONEachRow')");
    assert_eq!(
        c.other_engine.unwrap().1,
        ["b:9092", "t", "g", "JSONEachRow"]
    );
}

#[test]
fn as_select() {
    let c = create("CREATE TABLE t ENGINE = MergeTree ORDER BY a AS SELECT 1 AS a");
    assert!(c.schema.columns.is_empty());
    assert_eq!(c.schema.order_by, ["a"]);
    assert_eq!(c.as_select.unwrap().to_string(), "SELECT 1 AS a");
}

#[test]
fn bad_definitions() {
    // Unknown type.
    assert_eq!(
        code("CREATE TABLE t (a Foo) ENGINE = MergeTree ORDER BY a"),
        50
    );
    // No ORDER BY / PRIMARY KEY.
    assert_eq!(code("CREATE TABLE t (a UInt8) ENGINE = MergeTree"), 36);
    // Unknown table setting.
    assert_eq!(
        code("CREATE TABLE t (a UInt8) ENGINE = MergeTree ORDER BY a SETTINGS nope = 1"),
        115
    );
    // Sort key on a missing column.
    assert_eq!(
        code("CREATE TABLE t (a UInt8) ENGINE = MergeTree ORDER BY b"),
        47
    );
    assert_eq!(
        code("CREATE TABLE t (a UInt8) ENGINE = MergeTree ORDER BY a PARTITION BY c"),
        47
    );
    assert_eq!(
        code("CREATE TABLE t (a UInt8) ENGINE = ReplacingMergeTree(zz) ORDER BY a"),
        16
    );
    // Expressions in the sort key are not supported yet.
    assert_eq!(
        code("CREATE TABLE t (a UInt8) ENGINE = MergeTree ORDER BY a + 1"),
        48
    );
    // Duplicate clause, missing engine, garbage.
    assert_eq!(
        code("CREATE TABLE t (a UInt8) ENGINE = MergeTree ORDER BY a ORDER BY a"),
        62
    );
    assert_eq!(code("CREATE TABLE t (a UInt8) ORDER BY a"), 62);
    assert_eq!(
        code("CREATE TABLE t (a UInt8) ENGINE = MergeTree ORDER BY a xyz"),
        62
    );
    assert_eq!(code("CREATE TABLE t (a UInt8 DEFAULT) ENGINE = Memory"), 62);
    assert_eq!(code("CREATE TABLE t (a UInt8, ) ENGINE = Memory"), 62);
    assert_eq!(
        code("CREATE TABLE t (a UInt8 CODEC(Foo)) ENGINE = Memory"),
        432
    );
    assert_eq!(
        code("CREATE TABLE t (a UInt8) ENGINE = MergeTree(a, (a), 8192) ORDER BY a"),
        42
    );
    assert_eq!(
        code("CREATE TABLE t (a UInt8, s Int8) ENGINE = CollapsingMergeTree ORDER BY a"),
        42
    );
    assert_eq!(
        code("CREATE TABLE t (a UInt8) ENGINE = MergeTree ORDER BY a TTL a + 1"),
        48
    );
}

#[test]
fn databases_and_views() {
    assert_eq!(
        parse_statement(
            "CREATE DATABASE IF NOT EXISTS analytics ENGINE = Atomic",
            &ParseLimits::default()
        )
        .unwrap(),
        Statement::CreateDatabase {
            name: "analytics".into(),
            if_not_exists: true
        }
    );
    let Statement::CreateMaterializedView(mv) = parse_statement(
        "CREATE MATERIALIZED VIEW db.mv TO db.target AS SELECT k, count() AS c FROM src GROUP BY k",
        &ParseLimits::default(),
    )
    .unwrap() else {
        panic!()
    };
    assert_eq!(mv.database.as_deref(), Some("db"));
    assert_eq!(
        mv.target,
        ViewTarget::To(Some("db".into()), "target".into())
    );
    assert!(!mv.populate);
    assert_eq!(
        mv.query.to_string(),
        "SELECT k, count() AS c FROM src GROUP BY k"
    );
    let Statement::CreateMaterializedView(mv) = parse_statement(
        "CREATE MATERIALIZED VIEW IF NOT EXISTS mv ENGINE = SummingMergeTree() ORDER BY (k, h) POPULATE AS SELECT k, toStartOfHour(t) AS h, count() AS c FROM src GROUP BY k, h",
        &ParseLimits::default(),
    )
    .unwrap() else {
        panic!()
    };
    assert!(mv.populate && mv.if_not_exists);
    let ViewTarget::Inner(inner) = &mv.target else {
        panic!("{:?}", mv.target)
    };
    assert_eq!(
        inner.schema.order_by,
        vec!["k".to_string(), "h".to_string()]
    );
    assert!(inner.schema.columns.is_empty());
    assert_eq!(
        mv.select_query,
        "SELECT k, toStartOfHour(t) AS h, count() AS c FROM src GROUP BY k, h"
    );
    // A column list for the inner table.
    let Statement::CreateMaterializedView(mv) = parse_statement(
        "CREATE MATERIALIZED VIEW mv (k UInt8, c UInt64) ENGINE = MergeTree ORDER BY k AS SELECT k, count() AS c FROM src GROUP BY k",
        &ParseLimits::default(),
    )
    .unwrap() else {
        panic!()
    };
    let ViewTarget::Inner(inner) = &mv.target else {
        panic!()
    };
    assert_eq!(inner.schema.columns.len(), 2);
    // POPULATE with TO, and no AS at all, are errors.
    assert_eq!(
        code("CREATE MATERIALIZED VIEW mv TO t POPULATE AS SELECT 1 AS k FROM s"),
        62
    );
    assert_eq!(code("CREATE MATERIALIZED VIEW mv TO t"), 62);
    let Statement::CreateView(v) = parse_statement(
        "CREATE OR REPLACE VIEW db.v AS SELECT k FROM src WHERE k > 1",
        &ParseLimits::default(),
    )
    .unwrap() else {
        panic!()
    };
    assert!(v.or_replace);
    assert_eq!(v.database.as_deref(), Some("db"));
    assert_eq!(v.select_query, "SELECT k FROM src WHERE k > 1");
}
