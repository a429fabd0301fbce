//! Parse errors worded as ClickHouse words them.

use crate::error::{ErrorCode, QueryError};

/// Longest piece of query text quoted after a syntax error's position.
const SNIPPET_CHARS: usize = 100;

/// `Syntax error: failed at position N (<token>): <text from there>. <detail>` with code 62.
/// `pos` is a byte offset into `sql`; positions are printed 1-based, as ClickHouse does.
pub(super) fn syntax_error(sql: &str, pos: usize, detail: &str) -> QueryError {
    let pos = floor_char_boundary(sql, pos.min(sql.len()));
    let rest = sql[pos..].trim_end_matches([' ', '\t', '\n', '\r', ';']);
    let token = first_token(rest);
    let token = if token.is_empty() {
        "end of query".to_string()
    } else {
        token.to_string()
    };
    let snippet: String = rest.chars().take(SNIPPET_CHARS).collect();
    let detail = detail.trim();
    let detail = if detail.is_empty() {
        String::new()
    } else {
        format!(" {detail}")
    };
    QueryError::new(
        ErrorCode::SyntaxError,
        format!(
            "Syntax error: failed at position {} ({token}): {snippet}.{detail}",
            pos + 1
        ),
    )
}

/// A syntax error at `pos` that says what was expected.
pub(super) fn expected(sql: &str, pos: usize, what: &str) -> QueryError {
    syntax_error(sql, pos, &format!("Expected {what}"))
}

/// Code 62 for text over `max_query_size`.
pub(super) fn query_too_large() -> QueryError {
    QueryError::new(
        ErrorCode::SyntaxError,
        "Max query size exceeded (can be increased with the `max_query_size` setting)",
    )
}

/// Code 167 TOO_DEEP_AST.
pub(super) fn too_deep(max: usize) -> QueryError {
    QueryError::new(
        ErrorCode::TooDeepAst,
        format!("AST is too deep. Maximum: {max}"),
    )
}

/// Code 48 for ClickHouse syntax Granary does not implement.
pub(super) fn not_implemented(what: &str) -> QueryError {
    QueryError::new(ErrorCode::NotImplemented, what.to_string())
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The first word, number, quoted string or punctuation character of `s`.
fn first_token(s: &str) -> &str {
    let Some(c) = s.chars().next() else {
        return "";
    };
    let end = if c.is_alphanumeric() || c == '_' {
        s.find(|ch: char| !(ch.is_alphanumeric() || ch == '_' || ch == '.'))
            .unwrap_or(s.len())
    } else if c == '\'' || c == '"' || c == '`' {
        s[1..].find(c).map_or(s.len(), |e| e + 2)
    } else {
        c.len_utf8()
    };
    &s[..end]
}
