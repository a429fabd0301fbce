//! `SELECT` (with the trailing `SETTINGS` and `FORMAT` clauses sqlparser mis-reads) and
//! `EXPLAIN`.

use sqlparser::tokenizer::Token;

use super::lexer::Lexed;
use super::{error, ParseLimits, Statement};
use crate::error::Result;

/// Words after which `FORMAT` is an identifier (a column called `format`), not the clause.
const FORMAT_AS_IDENT_AFTER: &[&str] = &[
    "SELECT", "BY", "WHERE", "PREWHERE", "AND", "OR", "NOT", "AS", "ON", "HAVING", "DISTINCT",
    "WHEN", "THEN", "ELSE", "IN",
];

/// The trailing `SETTINGS` and `FORMAT` clauses of a query (either order).
pub(super) struct Tail {
    /// Where the query proper ends.
    pub end: usize,
    /// `FORMAT name`.
    pub format: Option<String>,
    /// `SETTINGS k = v, ...`.
    pub settings: Vec<(String, String)>,
}

/// Cuts `FORMAT name` and `SETTINGS k = v, ...` off the end of tokens `from..to`.
pub(super) fn split_tail(lexed: &Lexed<'_>, from: usize, to: usize) -> Tail {
    let depths = lexed.depths(from, to);
    let top = |k: usize| depths.get(k - from).copied() == Some(0);
    let mut tail = Tail {
        end: to,
        format: None,
        settings: Vec::new(),
    };
    for _ in 0..2 {
        let end = tail.end;
        if tail.format.is_none()
            && end >= from + 3
            && top(end - 2)
            && lexed.is_kw(end - 2, "FORMAT")
        {
            let prev = lexed.keyword_upper(end - 3).unwrap_or_default();
            let is_clause = !FORMAT_AS_IDENT_AFTER.contains(&prev.as_str())
                && !matches!(
                    lexed.token(end - 3),
                    Token::Comma | Token::LParen | Token::Eq | Token::Period
                );
            if let (true, Token::Word(w)) = (is_clause, lexed.token(end - 1)) {
                tail.format = Some(w.value.clone());
                tail.end = end - 2;
                continue;
            }
        }
        if tail.settings.is_empty() {
            // The last top-level SETTINGS whose remainder is a list of assignments.
            if let Some(s) = (from + 1..end)
                .rev()
                .find(|&k| top(k) && lexed.is_kw(k, "SETTINGS"))
            {
                if let Some(list) = parse_assignments(lexed, s + 1, end) {
                    if !list.is_empty() {
                        tail.settings = list;
                        tail.end = s;
                        continue;
                    }
                }
            }
        }
        break;
    }
    tail
}

/// Reads `name = value, ...` from tokens `from..to`; `None` if they are anything else.
/// String values are unquoted; numbers keep their text (with a leading `-`).
pub(super) fn parse_assignments(
    lexed: &Lexed<'_>,
    from: usize,
    to: usize,
) -> Option<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut k = from;
    while k < to {
        let name = match lexed.token(k) {
            Token::Word(w) => w.value.clone(),
            _ => return None,
        };
        if !matches!(lexed.token(k + 1), Token::Eq) {
            return None;
        }
        k += 2;
        let negative = matches!(lexed.token(k), Token::Minus);
        if negative {
            k += 1;
        }
        let value = match lexed.token(k) {
            Token::Number(n, _) if negative => format!("-{n}"),
            Token::Number(n, _) => n.clone(),
            _ if negative => return None,
            Token::SingleQuotedString(s) | Token::DoubleQuotedString(s) => s.clone(),
            Token::Word(w) => w.value.clone(),
            _ => return None,
        };
        k += 1;
        out.push((name, value));
        if k < to {
            if !matches!(lexed.token(k), Token::Comma) {
                return None;
            }
            k += 1;
            if k >= to {
                return None;
            }
        }
    }
    Some(out)
}

/// `SELECT ...` / `WITH ...` / `(SELECT ...)` with optional trailing SETTINGS and FORMAT.
pub(super) fn parse_select(
    lexed: &Lexed<'_>,
    from: usize,
    to: usize,
    limits: &ParseLimits,
) -> Result<Statement> {
    let tail = split_tail(lexed, from, to);
    if tail.end <= from {
        return Err(error::syntax_error(
            lexed.sql,
            lexed.offset_of(from),
            "Expected a query",
        ));
    }
    let query = lexed.parse_range(from, tail.end, limits, |p| p.parse_query())?;
    Ok(Statement::Select {
        query,
        format: tail.format,
        settings: tail.settings,
    })
}

/// `EXPLAIN [AST | SYNTAX | QUERY TREE | PLAN | PIPELINE | ESTIMATE] [opt = v, ...] stmt`.
pub(super) fn parse_explain(
    lexed: &Lexed<'_>,
    from: usize,
    to: usize,
    limits: &ParseLimits,
) -> Result<Statement> {
    let mut k = from + 1;
    let mut kind = "PLAN".to_string();
    if lexed.are_kws(k, &["QUERY", "TREE"]) {
        kind = "QUERY TREE".into();
        k += 2;
    } else if let Some(w) = lexed.keyword_upper(k) {
        if matches!(
            w.as_str(),
            "AST" | "SYNTAX" | "PLAN" | "PIPELINE" | "ESTIMATE" | "CURRENT"
        ) {
            kind = w;
            k += 1;
        }
    }
    // Options: `name = value` pairs before the statement.
    let mut options = Vec::new();
    while matches!(lexed.token(k), Token::Word(_)) && matches!(lexed.token(k + 1), Token::Eq) {
        let mut end = k + 3;
        if matches!(lexed.token(k + 2), Token::Minus) {
            end += 1;
        }
        let Some(mut one) = parse_assignments(lexed, k, end.min(to)) else {
            return Err(error::expected(
                lexed.sql,
                lexed.offset_of(k),
                "an EXPLAIN option value",
            ));
        };
        options.append(&mut one);
        k = end;
        if matches!(lexed.token(k), Token::Comma) {
            k += 1;
        }
    }
    if k >= to {
        return Err(error::expected(
            lexed.sql,
            lexed.offset_of(k),
            "a statement to explain",
        ));
    }
    let statement = super::parse_lexed(lexed, k, to, limits)?;
    Ok(Statement::Explain {
        kind,
        options,
        statement: Box::new(statement),
    })
}
