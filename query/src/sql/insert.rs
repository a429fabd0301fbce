//! `INSERT INTO [TABLE] [db.]t [(cols)] [SETTINGS ...] VALUES ... | FORMAT X <data> |
//! SELECT ...`.
//!
//! The header is found with a small scanner of our own so that row data after `FORMAT X`
//! is never tokenized (it is not SQL, and may be gigabytes); `max_query_size` applies to the
//! header only, as in ClickHouse.

use sqlparser::parser::Parser;
use sqlparser::tokenizer::Token;

use super::ddl::{expect_end, table_name};
use super::lexer::{skip_blanks_and_comments, Lexed};
use super::select::{parse_assignments, split_tail};
use super::{error, Insert, InsertSource, ParseLimits, Statement};
use crate::error::Result;

/// Where the header ends: the keyword that introduces the rows.
enum Body {
    Values(usize),
    Format(usize),
    Select(usize),
}

/// Parses a whole `INSERT` statement (`sql` starts with INSERT).
pub(super) fn parse_insert(sql: &str, limits: &ParseLimits) -> Result<Statement> {
    let body = find_body(sql, limits)?;
    let header_end = match body {
        Body::Values(p) | Body::Format(p) | Body::Select(p) => p,
    };
    if header_end > limits.max_query_size {
        return Err(error::query_too_large());
    }
    let head = Lexed::new_at(sql, 0, header_end, limits)?;
    let mut k = 1;
    if head.is_kw(k, "INTO") {
        k += 1;
    }
    if head.is_kw(k, "TABLE") {
        k += 1;
    }
    if head.is_kw(k, "FUNCTION") {
        return Err(error::not_implemented(
            "INSERT INTO FUNCTION is not supported",
        ));
    }
    let (database, name, mut k) = table_name(&head, k)?;
    let mut columns = Vec::new();
    if head.token(k) == &Token::LParen {
        let close = head.matching_close(k).ok_or_else(|| {
            error::expected(sql, head.offset_of(head.len()), "closing parenthesis")
        })?;
        if close > k + 1 {
            for (a, b) in head.split_commas(k + 1, close) {
                match head.ident(a) {
                    Some(c) if b == a + 1 => columns.push(c),
                    _ if b > a => columns.push(head.text(a, b).to_string()),
                    _ => return Err(error::expected(sql, head.offset_of(a), "column name")),
                }
            }
        }
        k = close + 1;
    }
    let mut settings = Vec::new();
    if head.is_kw(k, "SETTINGS") {
        settings = parse_assignments(&head, k + 1, head.len()).ok_or_else(|| {
            error::expected(sql, head.offset_of(k + 1), "settings: name = value, ...")
        })?;
        k = head.len();
    }
    expect_end(&head, k, head.len())?;

    let source = match body {
        Body::Values(p) => InsertSource::Values(parse_values(sql, p, limits)?),
        Body::Format(p) => {
            let (format, data_offset) = format_name(sql, p)?;
            if format.eq_ignore_ascii_case("Values") {
                InsertSource::Values(parse_values(sql, data_offset, limits)?)
            } else {
                InsertSource::Format {
                    format,
                    data_offset,
                }
            }
        }
        Body::Select(p) => {
            if sql.len() > limits.max_query_size {
                return Err(error::query_too_large());
            }
            let lexed = Lexed::new_at(sql, p, sql.len(), limits)?;
            let end = lexed.strip_statement_end(0, lexed.len())?;
            let tail = split_tail(&lexed, 0, end);
            settings.extend(tail.settings);
            let query = lexed.parse_range(0, tail.end, limits, |p| p.parse_query())?;
            InsertSource::Select(query)
        }
    };
    Ok(Statement::Insert(Box::new(Insert {
        database,
        name,
        columns,
        settings,
        source,
    })))
}

/// The format name after `FORMAT` (at `p`) and where the data begins: after the name, any
/// spaces and tabs, and at most one line break.
fn format_name(sql: &str, p: usize) -> Result<(String, usize)> {
    let b = sql.as_bytes();
    let start = skip_blanks_and_comments(sql, p + "FORMAT".len());
    let mut end = start;
    while end < b.len() && (b[end].is_ascii_alphanumeric() || b[end] == b'_') {
        end += 1;
    }
    if end == start {
        return Err(error::expected(sql, start, "format name"));
    }
    let mut data = end;
    while data < b.len() && (b[data] == b' ' || b[data] == b'\t') {
        data += 1;
    }
    if b[data..].starts_with(b"\r\n") {
        data += 2;
    } else if data < b.len() && b[data] == b'\n' {
        data += 1;
    }
    Ok((sql[start..end].to_string(), data))
}

/// `(..), (..) [;]` from byte `p`: each row's expressions.
fn parse_values(
    sql: &str,
    p: usize,
    limits: &ParseLimits,
) -> Result<Vec<Vec<sqlparser::ast::Expr>>> {
    let start = if sql[p..]
        .get(..6)
        .is_some_and(|w| w.eq_ignore_ascii_case("VALUES"))
    {
        p + 6
    } else {
        p
    };
    let lexed = Lexed::new_at(sql, start, sql.len(), limits)?;
    let end = lexed.strip_statement_end(0, lexed.len())?;
    if end == 0 {
        return Err(error::expected(
            sql,
            lexed.offset_of(0),
            "a row of values: (...)",
        ));
    }
    lexed.parse_range(0, end, limits, |parser: &mut Parser<'_>| {
        let mut rows = Vec::new();
        loop {
            parser.expect_token(&Token::LParen)?;
            if parser.consume_token(&Token::RParen) {
                rows.push(Vec::new());
            } else {
                rows.push(parser.parse_comma_separated(Parser::parse_expr)?);
                parser.expect_token(&Token::RParen)?;
            }
            let _ = parser.consume_token(&Token::Comma);
            if parser.peek_token().token == Token::EOF {
                return Ok(rows);
            }
        }
    })
}

/// Where the row data of `INSERT ... VALUES` / `INSERT ... FORMAT X` begins (the offset
/// of the keyword); `None` for `INSERT ... SELECT` or a header that does not parse.
pub(super) fn data_start(sql: &str, limits: &ParseLimits) -> Option<usize> {
    match find_body(sql, limits).ok()? {
        Body::Values(p) | Body::Format(p) => Some(p),
        Body::Select(_) => None,
    }
}

/// Scans the header of an INSERT up to the top-level VALUES, FORMAT, SELECT or WITH keyword,
/// without looking at anything after it.
fn find_body(sql: &str, limits: &ParseLimits) -> Result<Body> {
    let b = sql.as_bytes();
    let mut pos = 0usize;
    let mut depth = 0usize;
    loop {
        pos = skip_blanks_and_comments(sql, pos);
        if pos >= b.len() {
            return Err(error::expected(sql, pos, "VALUES, FORMAT or SELECT"));
        }
        if pos > limits.max_query_size {
            return Err(error::query_too_large());
        }
        let c = b[pos];
        match c {
            b'\'' | b'"' | b'`' => {
                // A quoted string or identifier: skip to its closing quote.
                let mut i = pos + 1;
                loop {
                    match b.get(i) {
                        None => return Err(error::syntax_error(sql, pos, "Unterminated quote")),
                        Some(&b'\\') => i += 2,
                        Some(&x) if x == c => {
                            if b.get(i + 1) == Some(&c) {
                                i += 2;
                            } else {
                                break;
                            }
                        }
                        Some(_) => i += 1,
                    }
                }
                pos = i + 1;
            }
            b'(' => {
                depth += 1;
                pos += 1;
            }
            b')' => {
                depth = depth.saturating_sub(1);
                pos += 1;
            }
            c if c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80 => {
                let start = pos;
                while pos < b.len()
                    && (b[pos].is_ascii_alphanumeric() || b[pos] == b'_' || b[pos] >= 0x80)
                {
                    pos += 1;
                }
                let word = &sql[start..pos];
                // `format.t` is a database called format, not the clause.
                let qualified = b.get(pos) == Some(&b'.') || (start > 0 && b[start - 1] == b'.');
                if depth == 0 && !qualified {
                    if word.eq_ignore_ascii_case("VALUES") {
                        return Ok(Body::Values(start));
                    }
                    if word.eq_ignore_ascii_case("FORMAT") {
                        return Ok(Body::Format(start));
                    }
                    if word.eq_ignore_ascii_case("SELECT") || word.eq_ignore_ascii_case("WITH") {
                        return Ok(Body::Select(start));
                    }
                }
            }
            _ => pos += 1,
        }
    }
}
