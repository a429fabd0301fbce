//! Small statements parsed by hand: DROP, TRUNCATE, OPTIMIZE, ALTER ... DROP PARTITION,
//! USE, SET, SHOW, DESCRIBE, EXISTS, SYSTEM. Anything else goes to sqlparser whole.

use sqlparser::tokenizer::Token;

use super::lexer::Lexed;
use super::select::{parse_assignments, split_tail};
use super::{error, ParseLimits, PartitionSpec, Statement};
use crate::error::Result;

/// `[db.]name` at token `k`: (database, name, index after it).
pub(super) fn table_name(lexed: &Lexed<'_>, k: usize) -> Result<(Option<String>, String, usize)> {
    let Some(first) = lexed.ident(k) else {
        return Err(error::expected(
            lexed.sql,
            lexed.offset_of(k),
            "table identifier",
        ));
    };
    if matches!(lexed.token(k + 1), Token::Period) {
        match lexed.ident(k + 2) {
            Some(second) => Ok((Some(first), second, k + 3)),
            None => Err(error::expected(
                lexed.sql,
                lexed.offset_of(k + 2),
                "table identifier",
            )),
        }
    } else {
        Ok((None, first, k + 1))
    }
}

/// Fails unless `k == to` (the statement is complete).
pub(super) fn expect_end(lexed: &Lexed<'_>, k: usize, to: usize) -> Result<()> {
    if k < to {
        return Err(error::expected(
            lexed.sql,
            lexed.offset_of(k),
            "end of query",
        ));
    }
    Ok(())
}

/// `IF EXISTS` at `k`: (present, index after).
fn if_exists(lexed: &Lexed<'_>, k: usize) -> (bool, usize) {
    if lexed.are_kws(k, &["IF", "EXISTS"]) {
        (true, k + 2)
    } else {
        (false, k)
    }
}

/// Parses a statement other than SELECT, EXPLAIN, CREATE and INSERT.
pub(super) fn parse_other(
    lexed: &Lexed<'_>,
    from: usize,
    to: usize,
    limits: &ParseLimits,
) -> Result<Statement> {
    let first = lexed.keyword_upper(from).unwrap_or_default();
    let k = from + 1;
    match first.as_str() {
        "DROP" | "DETACH" => parse_drop(lexed, k, to),
        "TRUNCATE" => {
            let k = if lexed.is_kw(k, "TABLE") { k + 1 } else { k };
            let (_, k) = if_exists(lexed, k);
            let (database, name, k) = table_name(lexed, k)?;
            expect_end(lexed, k, to)?;
            Ok(Statement::Truncate { database, name })
        }
        "OPTIMIZE" => parse_optimize(lexed, k, to, limits),
        "ALTER" => parse_alter(lexed, k, to, limits),
        "USE" => {
            let Some(database) = lexed.ident(k) else {
                return Err(error::expected(
                    lexed.sql,
                    lexed.offset_of(k),
                    "database name",
                ));
            };
            expect_end(lexed, k + 1, to)?;
            Ok(Statement::Use { database })
        }
        "SET" => match parse_assignments(lexed, k, to) {
            Some(settings) if !settings.is_empty() => Ok(Statement::Set { settings }),
            _ => Err(error::expected(
                lexed.sql,
                lexed.offset_of(k),
                "setting assignments: SET name = value, ...",
            )),
        },
        "SHOW" => parse_show(lexed, k, to, limits),
        "DESCRIBE" | "DESC" => {
            let tail = split_tail(lexed, from, to);
            let k = if lexed.is_kw(k, "TABLE") { k + 1 } else { k };
            if matches!(lexed.token(k), Token::LParen) {
                return Err(error::not_implemented(
                    "DESCRIBE of a subquery is not supported",
                ));
            }
            let (database, name, k) = table_name(lexed, k)?;
            expect_end(lexed, k, tail.end)?;
            Ok(Statement::Describe {
                database,
                name,
                format: tail.format,
            })
        }
        "EXISTS" => {
            let tail = split_tail(lexed, from, to);
            let k = if lexed.is_kw(k, "TABLE") || lexed.is_kw(k, "TEMPORARY") {
                if lexed.is_kw(k, "TEMPORARY") && lexed.is_kw(k + 1, "TABLE") {
                    k + 2
                } else {
                    k + 1
                }
            } else {
                k
            };
            let (database, name, k) = table_name(lexed, k)?;
            expect_end(lexed, k, tail.end)?;
            Ok(Statement::Exists {
                database,
                name,
                format: tail.format,
            })
        }
        "SYSTEM" => {
            let stop = if lexed.is_kw(k, "STOP") {
                true
            } else if lexed.is_kw(k, "START") {
                false
            } else {
                return Err(error::not_implemented(&format!(
                    "SYSTEM {} is not supported (only SYSTEM STOP/START MERGES)",
                    lexed.text(k, to)
                )));
            };
            if !lexed.is_kw(k + 1, "MERGES") {
                return Err(error::not_implemented(&format!(
                    "SYSTEM {} is not supported (only SYSTEM STOP/START MERGES)",
                    lexed.text(k, to)
                )));
            }
            let k = k + 2;
            if k >= to {
                return Ok(Statement::SystemMerges {
                    stop,
                    database: None,
                    name: None,
                });
            }
            let (database, name, k) = table_name(lexed, k)?;
            expect_end(lexed, k, to)?;
            Ok(Statement::SystemMerges {
                stop,
                database,
                name: Some(name),
            })
        }
        _ => {
            let stmt = lexed.parse_range(from, to, limits, |p| p.parse_statement())?;
            Ok(Statement::Other(Box::new(stmt)))
        }
    }
}

/// `DROP TABLE|VIEW|DICTIONARY [IF EXISTS] [db.]t [SYNC]`, `DROP DATABASE [IF EXISTS] d [SYNC]`.
fn parse_drop(lexed: &Lexed<'_>, k: usize, to: usize) -> Result<Statement> {
    let mut k = k;
    if lexed.is_kw(k, "TEMPORARY") {
        k += 1;
    }
    let what = lexed.keyword_upper(k).unwrap_or_default();
    k += 1;
    let (exists, mut k) = if_exists(lexed, k);
    let mut end = to;
    if end > k && lexed.is_kw(end - 1, "SYNC") {
        end -= 1;
    }
    match what.as_str() {
        "TABLE" | "VIEW" => {
            let (database, name, next) = table_name(lexed, k)?;
            k = next;
            if lexed.are_kws(k, &["ON", "CLUSTER"]) {
                k += 3;
            }
            expect_end(lexed, k, end)?;
            Ok(Statement::DropTable {
                database,
                name,
                if_exists: exists,
            })
        }
        "DATABASE" => {
            let Some(name) = lexed.ident(k) else {
                return Err(error::expected(
                    lexed.sql,
                    lexed.offset_of(k),
                    "database name",
                ));
            };
            k += 1;
            if lexed.are_kws(k, &["ON", "CLUSTER"]) {
                k += 3;
            }
            expect_end(lexed, k, end)?;
            Ok(Statement::DropDatabase {
                name,
                if_exists: exists,
            })
        }
        _ => Err(error::expected(
            lexed.sql,
            lexed.offset_of(k - 1),
            "TABLE, VIEW or DATABASE after DROP",
        )),
    }
}

/// `PARTITION ID 'id'` or `PARTITION expr` starting after the PARTITION keyword; returns the
/// spec and the index after it (the expression runs to `end`).
fn partition_spec(
    lexed: &Lexed<'_>,
    k: usize,
    end: usize,
    limits: &ParseLimits,
) -> Result<PartitionSpec> {
    if lexed.is_kw(k, "ID") {
        return match lexed.token(k + 1) {
            Token::SingleQuotedString(s) if k + 2 == end => Ok(PartitionSpec::Id(s.clone())),
            _ => Err(error::expected(
                lexed.sql,
                lexed.offset_of(k + 1),
                "string literal after PARTITION ID",
            )),
        };
    }
    if k >= end {
        return Err(error::expected(
            lexed.sql,
            lexed.offset_of(k),
            "partition expression",
        ));
    }
    let e = lexed.parse_range(k, end, limits, |p| p.parse_expr())?;
    Ok(PartitionSpec::Expr(e))
}

/// `OPTIMIZE TABLE [db.]t [ON CLUSTER c] [PARTITION p] [FINAL] [DEDUPLICATE [BY ...]]`.
fn parse_optimize(
    lexed: &Lexed<'_>,
    k: usize,
    to: usize,
    limits: &ParseLimits,
) -> Result<Statement> {
    if !lexed.is_kw(k, "TABLE") {
        return Err(error::expected(lexed.sql, lexed.offset_of(k), "TABLE"));
    }
    let (database, name, mut k) = table_name(lexed, k + 1)?;
    if lexed.are_kws(k, &["ON", "CLUSTER"]) {
        k += 3;
    }
    // Flags at the end: FINAL, DEDUPLICATE (BY ... is not supported).
    let mut end = to;
    let mut final_ = false;
    let mut deduplicate = false;
    while end > k {
        if lexed.is_kw(end - 1, "FINAL") && !final_ {
            final_ = true;
        } else if lexed.is_kw(end - 1, "DEDUPLICATE") && !deduplicate {
            deduplicate = true;
        } else {
            break;
        }
        end -= 1;
    }
    let partition = if lexed.is_kw(k, "PARTITION") {
        Some(partition_spec(lexed, k + 1, end, limits)?)
    } else {
        expect_end(lexed, k, end)?;
        None
    };
    Ok(Statement::Optimize {
        database,
        name,
        partition,
        final_,
        deduplicate,
    })
}

/// `ALTER TABLE [db.]t [ON CLUSTER c] DROP PARTITION p`; other ALTERs go to sqlparser.
fn parse_alter(lexed: &Lexed<'_>, k: usize, to: usize, limits: &ParseLimits) -> Result<Statement> {
    if lexed.is_kw(k, "TABLE") {
        let (database, name, mut j) = table_name(lexed, k + 1)?;
        if lexed.are_kws(j, &["ON", "CLUSTER"]) {
            j += 3;
        }
        if lexed.are_kws(j, &["DROP", "PARTITION"]) {
            let partition = partition_spec(lexed, j + 2, to, limits)?;
            return Ok(Statement::AlterDropPartition {
                database,
                name,
                partition,
            });
        }
    }
    match lexed.parse_range(k - 1, to, limits, |p| p.parse_statement()) {
        Ok(stmt) => Ok(Statement::Other(Box::new(stmt))),
        // Mutations (`DELETE WHERE`, `UPDATE`), `MODIFY TTL`, ...: valid ClickHouse that
        // sqlparser cannot read and Granary does not run.
        Err(e) if e.code() == 62 && lexed.is_kw(k, "TABLE") => Err(error::not_implemented(
            &format!("ALTER TABLE {} is not supported", lexed.text(k + 1, to)),
        )),
        Err(e) => Err(e),
    }
}

/// `SHOW TABLES | DATABASES | CREATE TABLE`, with optional FORMAT.
fn parse_show(lexed: &Lexed<'_>, k: usize, to: usize, limits: &ParseLimits) -> Result<Statement> {
    let tail = split_tail(lexed, k - 1, to);
    let to = tail.end;
    let like_at = |j: usize| -> Result<(Option<String>, usize)> {
        if lexed.is_kw(j, "LIKE") || lexed.is_kw(j, "ILIKE") {
            match lexed.token(j + 1) {
                Token::SingleQuotedString(s) => Ok((Some(s.clone()), j + 2)),
                _ => Err(error::expected(
                    lexed.sql,
                    lexed.offset_of(j + 1),
                    "string literal after LIKE",
                )),
            }
        } else {
            Ok((None, j))
        }
    };
    let kw = lexed.keyword_upper(k).unwrap_or_default();
    match kw.as_str() {
        "TABLES" => {
            let mut j = k + 1;
            let mut database = None;
            if lexed.is_kw(j, "FROM") || lexed.is_kw(j, "IN") {
                database = lexed.ident(j + 1);
                if database.is_none() {
                    return Err(error::expected(
                        lexed.sql,
                        lexed.offset_of(j + 1),
                        "database name",
                    ));
                }
                j += 2;
            }
            let (like, j) = like_at(j)?;
            expect_end(lexed, j, to)?;
            Ok(Statement::ShowTables {
                database,
                like,
                format: tail.format,
            })
        }
        "DATABASES" => {
            let (like, j) = like_at(k + 1)?;
            expect_end(lexed, j, to)?;
            Ok(Statement::ShowDatabases {
                like,
                format: tail.format,
            })
        }
        "CREATE" => {
            let j = if lexed.is_kw(k + 1, "TABLE") {
                k + 2
            } else {
                k + 1
            };
            let (database, name, j) = table_name(lexed, j)?;
            expect_end(lexed, j, to)?;
            Ok(Statement::ShowCreateTable {
                database,
                name,
                format: tail.format,
            })
        }
        _ => {
            let stmt = lexed.parse_range(k - 1, to, limits, |p| p.parse_statement())?;
            Ok(Statement::Other(Box::new(stmt)))
        }
    }
}
