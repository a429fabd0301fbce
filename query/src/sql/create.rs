//! `CREATE TABLE`, `CREATE DATABASE`, `CREATE VIEW` and `CREATE MATERIALIZED VIEW`.
//!
//! The table's engine clauses are split by us at top-level keywords (ENGINE, ORDER BY,
//! PARTITION BY, PRIMARY KEY, SAMPLE BY, TTL, SETTINGS, COMMENT, AS), so they may come in
//! any order, as ClickHouse allows; each piece is then parsed on its own.

use sqlparser::ast::Expr;
use sqlparser::tokenizer::Token;

use granary_storage::key_expr::KeyExpr;
use granary_storage::schema::{TableEngine, TableSchema};
use granary_storage::settings::MergeTreeSettings;

use super::create_columns::parse_columns;
use super::ddl::{expect_end, table_name};
use super::lexer::Lexed;
use super::select::parse_assignments;
use super::{
    error, CreateMaterializedView, CreateTable, CreateView, ParseLimits, Statement, ViewTarget,
};
use crate::error::{ErrorCode, QueryError, Result};

/// ClickHouse MergeTree settings that Granary accepts and ignores (they tune behaviour
/// Granary does not have, e.g. wide/compact parts or statistics).
const IGNORED_SETTINGS: &[&str] = &[
    "fsync_after_insert",
    "fsync_part_directory",
    "auto_statistics_types",
    "min_bytes_for_wide_part",
    "min_rows_for_wide_part",
    "min_bytes_for_compact_part",
    "index_granularity_bytes",
    "enable_mixed_granularity_parts",
    "storage_policy",
    "allow_nullable_key",
    "compress_marks",
    "compress_primary_key",
    "non_replicated_deduplication_window",
    "replicated_deduplication_window",
    "merge_with_ttl_timeout",
    "ttl_only_drop_parts",
    "use_minimalistic_part_header_in_zookeeper",
    "min_age_to_force_merge_seconds",
    "min_age_to_force_merge_on_partition_only",
];

/// The engine clauses of `CREATE TABLE`, as token ranges.
#[derive(Default)]
struct Clauses {
    engine: Option<(usize, usize)>,
    order_by: Option<(usize, usize)>,
    partition_by: Option<(usize, usize)>,
    primary_key: Option<(usize, usize)>,
    sample_by: Option<(usize, usize)>,
    ttl: Option<(usize, usize)>,
    settings: Option<(usize, usize)>,
    comment: Option<(usize, usize)>,
    as_: Option<(usize, usize)>,
}

/// `CREATE [OR REPLACE] ...`.
pub(super) fn parse_create(
    lexed: &Lexed<'_>,
    from: usize,
    to: usize,
    limits: &ParseLimits,
) -> Result<Statement> {
    let mut k = from + 1;
    let or_replace = lexed.are_kws(k, &["OR", "REPLACE"]);
    if or_replace {
        k += 2;
    }
    if lexed.is_kw(k, "TEMPORARY") {
        k += 1;
    }
    if lexed.is_kw(k, "TABLE") {
        return parse_create_table(lexed, from, k + 1, to, or_replace, false, limits);
    }
    if lexed.is_kw(k, "DATABASE") {
        let (if_not_exists, k) = if_not_exists(lexed, k + 1);
        let Some(name) = lexed.ident(k) else {
            return Err(error::expected(
                lexed.sql,
                lexed.offset_of(k),
                "database name",
            ));
        };
        // ON CLUSTER, ENGINE = Atomic, COMMENT: accepted and ignored.
        return Ok(Statement::CreateDatabase {
            name,
            if_not_exists,
        });
    }
    if lexed.are_kws(k, &["MATERIALIZED", "VIEW"]) {
        return parse_create_mv(lexed, from, k + 2, to, limits);
    }
    if lexed.is_kw(k, "VIEW") {
        let (if_not_exists, k) = if_not_exists(lexed, k + 1);
        let (database, name, k) = table_name(lexed, k)?;
        let k = skip_on_cluster(lexed, k);
        if !lexed.is_kw(k, "AS") {
            return Err(error::expected(lexed.sql, lexed.offset_of(k), "AS SELECT"));
        }
        let query = lexed.parse_range(k + 1, to, limits, |p| p.parse_query())?;
        return Ok(Statement::CreateView(Box::new(CreateView {
            database,
            name,
            if_not_exists,
            or_replace,
            query,
            select_query: lexed.text(k + 1, to).to_string(),
            create_query: lexed.text(from, to).to_string(),
        })));
    }
    let stmt = lexed.parse_range(from, to, limits, |p| p.parse_statement())?;
    Ok(Statement::Other(Box::new(stmt)))
}

fn if_not_exists(lexed: &Lexed<'_>, k: usize) -> (bool, usize) {
    if lexed.are_kws(k, &["IF", "NOT", "EXISTS"]) {
        (true, k + 3)
    } else {
        (false, k)
    }
}

fn skip_on_cluster(lexed: &Lexed<'_>, k: usize) -> usize {
    if lexed.are_kws(k, &["ON", "CLUSTER"]) {
        k + 3
    } else {
        k
    }
}

fn parse_create_mv(
    lexed: &Lexed<'_>,
    from: usize,
    k: usize,
    to: usize,
    limits: &ParseLimits,
) -> Result<Statement> {
    let start = k;
    let (if_not_exists, k) = if_not_exists(lexed, k);
    let (database, name, k) = table_name(lexed, k)?;
    let k = skip_on_cluster(lexed, k);
    // The top-level AS that starts the query (engine clauses and a column list may come
    // before it), and POPULATE just before it.
    let depths = lexed.depths(k, to);
    let Some(as_at) = (k..to).find(|&i| depths[i - k] == 0 && lexed.is_kw(i, "AS")) else {
        return Err(error::expected(lexed.sql, lexed.offset_of(to), "AS SELECT"));
    };
    let populate = as_at > k && lexed.is_kw(as_at - 1, "POPULATE");
    let clauses_end = if populate { as_at - 1 } else { as_at };
    let target = if lexed.is_kw(k, "TO") {
        let (tdb, tname, after) = table_name(lexed, k + 1)?;
        if after != as_at || populate {
            return Err(error::expected(
                lexed.sql,
                lexed.offset_of(after),
                "AS SELECT (POPULATE cannot be used with TO)",
            ));
        }
        ViewTarget::To(tdb, tname)
    } else {
        let Statement::CreateTable(inner) =
            parse_create_table(lexed, from, start, clauses_end, false, true, limits)?
        else {
            return Err(error::expected(lexed.sql, lexed.offset_of(k), "ENGINE"));
        };
        ViewTarget::Inner(inner)
    };
    let query = lexed.parse_range(as_at + 1, to, limits, |p| p.parse_query())?;
    Ok(Statement::CreateMaterializedView(Box::new(
        CreateMaterializedView {
            database,
            name,
            if_not_exists,
            target,
            populate,
            query,
            select_query: lexed.text(as_at + 1, to).to_string(),
            create_query: lexed.text(from, to).to_string(),
        },
    )))
}

fn parse_create_table(
    lexed: &Lexed<'_>,
    from: usize,
    k: usize,
    to: usize,
    or_replace: bool,
    view_inner: bool,
    limits: &ParseLimits,
) -> Result<Statement> {
    let (if_not_exists, k) = if_not_exists(lexed, k);
    let (database, name, k) = table_name(lexed, k)?;
    let mut k = skip_on_cluster(lexed, k);
    let mut columns = Vec::new();
    let mut column_pk = None;
    if matches!(lexed.token(k), Token::LParen) {
        let close = lexed.matching_close(k).filter(|&c| c < to).ok_or_else(|| {
            error::expected(lexed.sql, lexed.offset_of(to), "closing parenthesis")
        })?;
        (columns, column_pk) = parse_columns(lexed, k + 1, close, limits)?;
        k = close + 1;
    }
    let clauses = split_clauses(lexed, k, to)?;

    // AS SELECT.
    let as_select = match clauses.as_ {
        Some((s, e)) => {
            if !(lexed.is_kw(s, "SELECT")
                || lexed.is_kw(s, "WITH")
                || lexed.token(s) == &Token::LParen)
            {
                return Err(error::not_implemented(
                    "CREATE TABLE ... AS <table> is not supported; use AS SELECT",
                ));
            }
            Some(lexed.parse_range(s, e, limits, |p| p.parse_query())?)
        }
        None => None,
    };
    if columns.is_empty() && as_select.is_none() && !view_inner {
        return Err(error::expected(
            lexed.sql,
            lexed.offset_of(k),
            "a column list or AS SELECT",
        ));
    }
    if clauses.ttl.is_some() {
        return Err(error::not_implemented("Table TTL is not supported"));
    }

    // ENGINE.
    let Some((es, ee)) = clauses.engine else {
        return Err(error::expected(lexed.sql, lexed.offset_of(k), "ENGINE"));
    };
    let (engine_name, engine_args) = parse_engine(lexed, es, ee)?;
    let engine = merge_tree_engine(&engine_name, &engine_args)?;

    let settings = match clauses.settings {
        Some((s, e)) => parse_assignments(lexed, s, e).ok_or_else(|| {
            error::expected(lexed.sql, lexed.offset_of(s), "settings: name = value, ...")
        })?,
        None => Vec::new(),
    };
    let comment = match clauses.comment {
        Some((s, e)) => match lexed.token(s) {
            Token::SingleQuotedString(c) if e == s + 1 => c.clone(),
            _ => {
                return Err(error::expected(
                    lexed.sql,
                    lexed.offset_of(s),
                    "string literal",
                ))
            }
        },
        None => String::new(),
    };

    let mut schema = TableSchema {
        columns,
        order_by: Vec::new(),
        primary_key: Vec::new(),
        partition_by: None,
        engine: engine.clone().unwrap_or(TableEngine::MergeTree),
        settings: MergeTreeSettings::default(),
    };
    let mut other_engine = None;
    match engine {
        Some(_) => {
            let key = |r: Option<(usize, usize)>| -> Result<Option<Vec<String>>> {
                r.map(|(s, e)| key_columns(lexed, s, e, limits)).transpose()
            };
            let order_by = key(clauses.order_by)?;
            let mut primary_key = key(clauses.primary_key)?;
            if column_pk.is_some() {
                if primary_key.is_some() {
                    return Err(QueryError::new(
                        ErrorCode::BadArguments,
                        "Multiple primary keys are not allowed.",
                    ));
                }
                primary_key = column_pk;
            }
            let Some(order_by) = order_by.or_else(|| primary_key.clone()) else {
                return Err(QueryError::new(
                    ErrorCode::BadArguments,
                    "You must provide an ORDER BY or PRIMARY KEY expression in the table definition. If you don't want this table to be sorted, use ORDER BY/PRIMARY KEY tuple()",
                ));
            };
            schema.primary_key = primary_key.unwrap_or_else(|| order_by.clone());
            schema.order_by = order_by;
            if let Some((s, e)) = clauses.partition_by {
                schema.partition_by = Some(KeyExpr::parse(lexed.text(s, e))?);
            }
            for (name, value) in &settings {
                if IGNORED_SETTINGS.contains(&name.as_str()) {
                    continue;
                }
                schema.settings.set(name, value)?;
            }
            if !schema.columns.is_empty() {
                check_key_columns(&schema)?;
                schema.validate()?;
            }
        }
        None => other_engine = Some((engine_name.clone(), engine_args)),
    }
    Ok(Statement::CreateTable(Box::new(CreateTable {
        database,
        name,
        if_not_exists,
        or_replace,
        schema,
        engine_name,
        as_select,
        other_engine,
        settings,
        comment,
        create_query: lexed.text(from, to).to_string(),
    })))
}

/// Key columns that do not exist are ClickHouse's 47 UNKNOWN_IDENTIFIER (the storage engine's
/// own check would say 16).
fn check_key_columns(schema: &TableSchema) -> Result<()> {
    let partition = schema
        .partition_by
        .as_ref()
        .map(|p| p.columns())
        .unwrap_or_default();
    let keys = schema
        .order_by
        .iter()
        .chain(&schema.primary_key)
        .chain(&partition);
    for k in keys {
        if !schema.columns.iter().any(|c| &c.name == k) {
            return Err(QueryError::new(
                ErrorCode::UnknownIdentifier,
                format!("Missing columns: '{k}' while processing: '{k}', required columns: '{k}'"),
            ));
        }
    }
    Ok(())
}

/// Splits the tokens after the column list into clauses.
fn split_clauses(lexed: &Lexed<'_>, from: usize, to: usize) -> Result<Clauses> {
    let depths = lexed.depths(from, to);
    let mut c = Clauses::default();
    // (clause start = first token after the keyword(s), which slot)
    let mut current: Option<(usize, u8)> = None;
    let mut k = from;
    let close = |c: &mut Clauses, cur: Option<(usize, u8)>, end: usize, at: usize| -> Result<()> {
        let Some((s, which)) = cur else {
            if at > from {
                return Err(error::expected(lexed.sql, lexed.offset_of(from), "ENGINE"));
            }
            return Ok(());
        };
        let slot = match which {
            0 => &mut c.engine,
            1 => &mut c.order_by,
            2 => &mut c.partition_by,
            3 => &mut c.primary_key,
            4 => &mut c.sample_by,
            5 => &mut c.ttl,
            6 => &mut c.settings,
            7 => &mut c.comment,
            _ => &mut c.as_,
        };
        if slot.is_some() {
            return Err(error::syntax_error(
                lexed.sql,
                lexed.offset_of(s),
                "Duplicate clause in CREATE TABLE",
            ));
        }
        if s >= end {
            return Err(error::syntax_error(
                lexed.sql,
                lexed.offset_of(s),
                "Expected an expression",
            ));
        }
        *slot = Some((s, end));
        Ok(())
    };
    while k < to {
        if depths[k - from] != 0 {
            k += 1;
            continue;
        }
        let found: Option<(u8, usize)> = if lexed.is_kw(k, "ENGINE") {
            Some((
                0,
                if lexed.token(k + 1) == &Token::Eq {
                    2
                } else {
                    1
                },
            ))
        } else if lexed.are_kws(k, &["ORDER", "BY"]) {
            Some((1, 2))
        } else if lexed.are_kws(k, &["PARTITION", "BY"]) {
            Some((2, 2))
        } else if lexed.are_kws(k, &["PRIMARY", "KEY"]) {
            Some((3, 2))
        } else if lexed.are_kws(k, &["SAMPLE", "BY"]) {
            Some((4, 2))
        } else if lexed.is_kw(k, "TTL") {
            Some((5, 1))
        } else if lexed.is_kw(k, "SETTINGS") {
            Some((6, 1))
        } else if lexed.is_kw(k, "COMMENT") {
            Some((7, 1))
        } else if lexed.is_kw(k, "AS") {
            Some((8, 1))
        } else {
            None
        };
        if let Some((which, len)) = found {
            close(&mut c, current, k, k)?;
            current = Some((k + len, which));
            k += len;
            if which == 8 {
                break; // the rest is the query
            }
            continue;
        }
        if current.is_none() {
            return Err(error::expected(
                lexed.sql,
                lexed.offset_of(k),
                "ENGINE, ORDER BY, PARTITION BY, PRIMARY KEY, SETTINGS or AS",
            ));
        }
        k += 1;
    }
    close(&mut c, current, to, to)?;
    Ok(c)
}

/// `Name` or `Name(args)`: the name and each argument's text (a single string literal is
/// given unquoted).
fn parse_engine(lexed: &Lexed<'_>, s: usize, e: usize) -> Result<(String, Vec<String>)> {
    let Some(name) = lexed.ident(s) else {
        return Err(error::expected(
            lexed.sql,
            lexed.offset_of(s),
            "engine name",
        ));
    };
    let mut args = Vec::new();
    let mut k = s + 1;
    if lexed.token(k) == &Token::LParen {
        let close = lexed
            .matching_close(k)
            .filter(|&c| c < e)
            .ok_or_else(|| error::expected(lexed.sql, lexed.offset_of(e), "closing parenthesis"))?;
        if close > k + 1 {
            for (a, b) in lexed.split_commas(k + 1, close) {
                match lexed.token(a) {
                    Token::SingleQuotedString(v) if b == a + 1 => args.push(v.clone()),
                    Token::Word(w) if b == a + 1 => args.push(w.value.clone()),
                    _ => args.push(lexed.text(a, b).to_string()),
                }
            }
        }
        k = close + 1;
    }
    expect_end(lexed, k, e)?;
    Ok((name, args))
}

/// The MergeTree-family engine for `name(args)`, or `None` for another engine.
fn merge_tree_engine(name: &str, args: &[String]) -> Result<Option<TableEngine>> {
    let arity = |max: usize| -> Result<()> {
        if args.len() > max {
            return Err(QueryError::new(
                ErrorCode::NumberOfArgumentsDoesntMatch,
                format!(
                    "Storage {name} requires at most {max} parameters, {} given (the old MergeTree(date, key, granularity) syntax is not supported)",
                    args.len()
                ),
            ));
        }
        Ok(())
    };
    let column = |a: &str| a.trim().trim_matches('`').to_string();
    Ok(Some(match name {
        "MergeTree" => {
            arity(0)?;
            TableEngine::MergeTree
        }
        "ReplacingMergeTree" => {
            arity(1)?;
            TableEngine::ReplacingMergeTree {
                version: args.first().map(|a| column(a)),
            }
        }
        "SummingMergeTree" => {
            let mut columns = Vec::new();
            for a in args {
                let a = a.trim();
                let inner = a
                    .strip_prefix('(')
                    .and_then(|x| x.strip_suffix(')'))
                    .unwrap_or(a);
                columns.extend(inner.split(',').map(column).filter(|c| !c.is_empty()));
            }
            TableEngine::SummingMergeTree { columns }
        }
        "CollapsingMergeTree" => {
            if args.len() != 1 {
                return Err(QueryError::new(
                    ErrorCode::NumberOfArgumentsDoesntMatch,
                    "Storage CollapsingMergeTree requires 1 parameter: name of column with sign",
                ));
            }
            TableEngine::CollapsingMergeTree {
                sign: column(&args[0]),
            }
        }
        "AggregatingMergeTree" => {
            arity(0)?;
            TableEngine::AggregatingMergeTree
        }
        n if n.ends_with("MergeTree") => {
            return Err(error::not_implemented(&format!(
                "Table engine {n} is not supported"
            )))
        }
        _ => return Ok(None),
    }))
}

/// The columns of an `ORDER BY` / `PRIMARY KEY` expression: `col`, `(a, b)`, `tuple()`.
fn key_columns(lexed: &Lexed<'_>, s: usize, e: usize, limits: &ParseLimits) -> Result<Vec<String>> {
    let expr = lexed.parse_range(s, e, limits, |p| p.parse_expr())?;
    let unsupported = || {
        error::not_implemented(&format!(
            "Sorting key expressions other than columns are not supported: {}",
            lexed.text(s, e)
        ))
    };
    fn col(e: &Expr) -> Option<String> {
        match e {
            Expr::Identifier(id) => Some(id.value.clone()),
            Expr::Nested(inner) => col(inner),
            _ => None,
        }
    }
    let items: Vec<&Expr> = match &expr {
        Expr::Tuple(items) => items.iter().collect(),
        Expr::Function(f) if f.name.to_string().eq_ignore_ascii_case("tuple") => match &f.args {
            sqlparser::ast::FunctionArguments::None => Vec::new(),
            sqlparser::ast::FunctionArguments::List(l) => {
                let mut v = Vec::new();
                for a in &l.args {
                    match a {
                        sqlparser::ast::FunctionArg::Unnamed(
                            sqlparser::ast::FunctionArgExpr::Expr(x),
                        ) => v.push(x),
                        _ => return Err(unsupported()),
                    }
                }
                v
            }
            _ => return Err(unsupported()),
        },
        other => vec![other],
    };
    items
        .into_iter()
        .map(|x| col(x).ok_or_else(unsupported))
        .collect()
}
