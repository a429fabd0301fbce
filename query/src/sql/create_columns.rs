//! The column list of `CREATE TABLE`: `name Type [NULL | NOT NULL] [DEFAULT | MATERIALIZED |
//! ALIAS | EPHEMERAL expr] [CODEC(...)] [COMMENT '...'] [PRIMARY KEY]`, plus table-level
//! `PRIMARY KEY (...)` and `INDEX` elements.
//!
//! Types are read from their source text with ClickHouse's type parser
//! ([`DataType::parse`]); sqlparser's idea of types differs from ClickHouse's.

use sqlparser::tokenizer::Token;

use granary_storage::codec::CodecChain;
use granary_storage::schema::{ColumnDef, ColumnDefault, DefaultKind};
use granary_storage::types::DataType;

use super::lexer::Lexed;
use super::{error, ParseLimits};
use crate::error::{ErrorCode, QueryError, Result};

/// Words that end a column's type.
const TYPE_END: &[&str] = &[
    "NULL",
    "NOT",
    "DEFAULT",
    "MATERIALIZED",
    "ALIAS",
    "EPHEMERAL",
    "CODEC",
    "COMMENT",
    "TTL",
    "PRIMARY",
    "STATISTICS",
    "SETTINGS",
];

/// Words that end a column's default expression.
const EXPR_END: &[&str] = &[
    "CODEC",
    "COMMENT",
    "TTL",
    "PRIMARY",
    "STATISTICS",
    "SETTINGS",
];

/// Parses the elements between the parentheses of `CREATE TABLE t (...)`: the columns and
/// the primary key given inside the list (`PRIMARY KEY (a, b)` or `col T PRIMARY KEY`).
pub(super) fn parse_columns(
    lexed: &Lexed<'_>,
    from: usize,
    to: usize,
    limits: &ParseLimits,
) -> Result<(Vec<ColumnDef>, Option<Vec<String>>)> {
    let mut columns = Vec::new();
    let mut pk: Option<Vec<String>> = None;
    let mut add_pk = |cols: Vec<String>, at: usize| -> Result<()> {
        if pk.is_some() {
            return Err(QueryError::new(
                ErrorCode::BadArguments,
                format!(
                    "Multiple primary keys are not allowed (at position {})",
                    lexed.offset_of(at) + 1
                ),
            ));
        }
        pk = Some(cols);
        Ok(())
    };
    for (s, e) in lexed.split_commas(from, to) {
        if s >= e {
            return Err(error::expected(
                lexed.sql,
                lexed.offset_of(s),
                "column declaration",
            ));
        }
        if lexed.are_kws(s, &["PRIMARY", "KEY"]) {
            add_pk(key_list(lexed, s + 2, e)?, s)?;
            continue;
        }
        if lexed.is_kw(s, "INDEX") {
            // Data-skipping indexes only speed reads up; Granary has none and ignores them.
            continue;
        }
        if lexed.is_kw(s, "CONSTRAINT") || lexed.is_kw(s, "PROJECTION") {
            return Err(error::not_implemented(&format!(
                "{} in CREATE TABLE is not supported",
                lexed.keyword_upper(s).unwrap_or_default()
            )));
        }
        let (column, is_pk) = parse_column(lexed, s, e, limits)?;
        if is_pk {
            add_pk(vec![column.name.clone()], s)?;
        }
        columns.push(column);
    }
    Ok((columns, pk))
}

/// `(a, b)`, `a`, `tuple()` inside a column list's `PRIMARY KEY`.
fn key_list(lexed: &Lexed<'_>, s: usize, e: usize) -> Result<Vec<String>> {
    let (s, e) = if lexed.token(s) == &Token::LParen && lexed.matching_close(s) == Some(e - 1) {
        (s + 1, e - 1)
    } else if lexed.is_kw(s, "tuple") && lexed.token(s + 1) == &Token::LParen {
        (s + 2, e - 1)
    } else {
        (s, e)
    };
    if s >= e {
        return Ok(Vec::new());
    }
    lexed
        .split_commas(s, e)
        .into_iter()
        .map(|(a, b)| match lexed.ident(a) {
            Some(name) if b == a + 1 => Ok(name),
            _ => Err(error::not_implemented(&format!(
                "Primary key expressions other than columns are not supported: {}",
                lexed.text(a, b)
            ))),
        })
        .collect()
}

/// One column declaration in tokens `s..e`; also says whether it carried `PRIMARY KEY`.
fn parse_column(
    lexed: &Lexed<'_>,
    s: usize,
    e: usize,
    limits: &ParseLimits,
) -> Result<(ColumnDef, bool)> {
    let Some(name) = lexed.ident(s) else {
        return Err(error::expected(
            lexed.sql,
            lexed.offset_of(s),
            "column name",
        ));
    };
    let depths = lexed.depths(s, e);
    let top = |k: usize| depths[k - s] == 0;
    let is_any = |k: usize, words: &[&str]| {
        top(k)
            && lexed
                .keyword_upper(k)
                .is_some_and(|w| words.contains(&w.as_str()))
    };
    // The type runs to the first clause keyword.
    let mut k = s + 1;
    while k < e && !is_any(k, TYPE_END) {
        k += 1;
    }
    let type_text = lexed.text(s + 1, k);
    if type_text.is_empty() {
        return Err(error::not_implemented(&format!(
            "Column {name} has no type; columns whose type is inferred from DEFAULT are not supported"
        )));
    }
    let mut data_type = DataType::parse(type_text).map_err(|err| {
        QueryError::new(
            if err.code() == 50 {
                ErrorCode::UnknownType
            } else {
                ErrorCode::BadArguments
            },
            err.to_string(),
        )
    })?;
    let mut column = ColumnDef::new(name.clone(), DataType::Nothing);
    let mut is_pk = false;
    while k < e {
        let word = lexed.keyword_upper(k).unwrap_or_default();
        match word.as_str() {
            "NULL" => {
                if !data_type.is_nullable() {
                    data_type = DataType::parse(&format!("Nullable({data_type})"))?;
                }
                k += 1;
            }
            "NOT" if lexed.is_kw(k + 1, "NULL") => k += 2,
            "DEFAULT" | "MATERIALIZED" | "ALIAS" | "EPHEMERAL" => {
                let kind = match word.as_str() {
                    "DEFAULT" => DefaultKind::Default,
                    "MATERIALIZED" => DefaultKind::Materialized,
                    "ALIAS" => DefaultKind::Alias,
                    _ => DefaultKind::Ephemeral,
                };
                if column.default.is_some() {
                    return Err(error::syntax_error(
                        lexed.sql,
                        lexed.offset_of(k),
                        "A column has at most one of DEFAULT, MATERIALIZED, ALIAS, EPHEMERAL",
                    ));
                }
                let start = k + 1;
                let mut end = start;
                while end < e && !is_any(end, EXPR_END) {
                    end += 1;
                }
                if start == end && kind != DefaultKind::Ephemeral {
                    return Err(error::expected(lexed.sql, lexed.offset_of(start), "expression"));
                }
                if start < end {
                    // Checked here so a bad default fails the CREATE, not a later insert.
                    lexed.parse_range(start, end, limits, |p| p.parse_expr())?;
                }
                column.default = Some(ColumnDefault {
                    kind,
                    expr: lexed.text(start, end).to_string(),
                });
                k = end;
            }
            "CODEC" => {
                let close = match lexed.token(k + 1) {
                    Token::LParen => lexed.matching_close(k + 1).filter(|&c| c < e),
                    _ => None,
                }
                .ok_or_else(|| error::expected(lexed.sql, lexed.offset_of(k + 1), "CODEC(...)"))?;
                column.codec = Some(CodecChain::parse(lexed.text(k + 2, close))?);
                k = close + 1;
            }
            "COMMENT" => match lexed.token(k + 1) {
                Token::SingleQuotedString(c) => {
                    column.comment = c.clone();
                    k += 2;
                }
                _ => {
                    return Err(error::expected(
                        lexed.sql,
                        lexed.offset_of(k + 1),
                        "string literal after COMMENT",
                    ))
                }
            },
            "PRIMARY" if lexed.is_kw(k + 1, "KEY") => {
                is_pk = true;
                k += 2;
            }
            "TTL" => return Err(error::not_implemented("Column TTL is not supported")),
            _ => {
                return Err(error::expected(
                    lexed.sql,
                    lexed.offset_of(k),
                    "NULL, NOT NULL, DEFAULT, MATERIALIZED, ALIAS, EPHEMERAL, CODEC, COMMENT or PRIMARY KEY",
                ))
            }
        }
    }
    column.data_type = data_type;
    Ok((column, is_pk))
}
