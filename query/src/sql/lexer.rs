//! Tokens with byte offsets: sqlparser's tokenizer output, plus the helpers the front layer
//! uses to split statements at top-level keywords and hand token ranges to sqlparser.

use sqlparser::dialect::ClickHouseDialect;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer};

use super::error;
use super::ParseLimits;
use crate::error::Result;

/// The dialect every parse uses.
pub(super) static DIALECT: ClickHouseDialect = ClickHouseDialect {};

/// A tokenized piece of query text. Indices in the methods are indices of *significant*
/// tokens (whitespace and comments are skipped); ranges are half-open.
pub(super) struct Lexed<'a> {
    /// The whole original text (offsets are into it).
    pub sql: &'a str,
    /// Every token, whitespace included (sqlparser wants them).
    toks: Vec<TokenWithSpan>,
    /// For each significant token: its index in `toks` and its byte span in `sql`.
    sig: Vec<(usize, usize, usize)>,
    /// Byte offset where the tokenized piece starts (line 1, column 1 of its locations).
    start: usize,
    /// Byte offset where the tokenized piece ends.
    end: usize,
    /// The deepest expression nesting (as `max_ast_depth` counts it).
    pub depth: usize,
}

impl<'a> Lexed<'a> {
    /// Tokenizes all of `sql`, checking `limits.max_ast_depth`.
    pub fn new(sql: &'a str, limits: &ParseLimits) -> Result<Lexed<'a>> {
        Lexed::new_at(sql, 0, sql.len(), limits)
    }

    /// Tokenizes `sql[start..end]`; offsets stay relative to all of `sql`.
    pub fn new_at(sql: &'a str, start: usize, end: usize, limits: &ParseLimits) -> Result<Self> {
        let piece = &sql[start..end];
        let mut toks = Tokenizer::new(&DIALECT, piece)
            .with_unescape(false)
            .tokenize_with_location()
            .map_err(|e| {
                let pos = start + byte_offset(piece, e.location.line, e.location.column);
                let msg = e.message.clone();
                error::syntax_error(sql, pos, &msg)
            })?;
        for t in &mut toks {
            if let Token::SingleQuotedString(raw) = &mut t.token {
                *raw = clickhouse_unescape(raw);
            }
        }
        // Walk the text once, converting (line, column) to byte offsets.
        let mut cur = LineCursor::new(piece);
        let mut sig = Vec::with_capacity(toks.len());
        for (i, t) in toks.iter().enumerate() {
            if matches!(t.token, Token::Whitespace(_) | Token::EOF) {
                continue;
            }
            let s = cur.advance_to(t.span.start.line, t.span.start.column);
            let e = cur.advance_to(t.span.end.line, t.span.end.column);
            sig.push((i, start + s, start + e));
        }
        let mut lexed = Lexed {
            sql,
            toks,
            sig,
            start,
            end,
            depth: 0,
        };
        lexed.depth = lexed.check_depth(limits)?;
        Ok(lexed)
    }

    /// Number of significant tokens.
    pub fn len(&self) -> usize {
        self.sig.len()
    }

    /// Significant token `i` (EOF past the end).
    pub fn token(&self, i: usize) -> &Token {
        static EOF: Token = Token::EOF;
        self.sig.get(i).map_or(&EOF, |s| &self.toks[s.0].token)
    }

    /// Byte offset where token `i` starts (the end of the piece past the last token).
    pub fn offset_of(&self, i: usize) -> usize {
        self.sig.get(i).map_or(self.end, |s| s.1)
    }

    /// Byte offset where token `i` ends.
    pub fn end_of(&self, i: usize) -> usize {
        self.sig.get(i).map_or(self.end, |s| s.2)
    }

    /// The source text of tokens `from..to`.
    pub fn text(&self, from: usize, to: usize) -> &'a str {
        if from >= to {
            return "";
        }
        &self.sql[self.offset_of(from)..self.end_of(to - 1)]
    }

    /// Token `i` upper-cased if it is an unquoted word.
    pub fn keyword_upper(&self, i: usize) -> Option<String> {
        match self.token(i) {
            Token::Word(w) if w.quote_style.is_none() => Some(w.value.to_ascii_uppercase()),
            _ => None,
        }
    }

    /// Whether token `i` is the unquoted word `kw` (any case).
    pub fn is_kw(&self, i: usize, kw: &str) -> bool {
        matches!(self.token(i), Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(kw))
    }

    /// Whether tokens from `i` on are the unquoted words `kws`.
    pub fn are_kws(&self, i: usize, kws: &[&str]) -> bool {
        kws.iter().enumerate().all(|(k, kw)| self.is_kw(i + k, kw))
    }

    /// Token `i` as an identifier (a quoted or unquoted word).
    pub fn ident(&self, i: usize) -> Option<String> {
        match self.token(i) {
            Token::Word(w) => Some(w.value.clone()),
            _ => None,
        }
    }

    /// Index of the `)`/`]`/`}` closing the bracket at `i`.
    pub fn matching_close(&self, i: usize) -> Option<usize> {
        let mut depth = 0usize;
        for k in i..self.len() {
            match self.token(k) {
                Token::LParen | Token::LBracket | Token::LBrace => depth += 1,
                Token::RParen | Token::RBracket | Token::RBrace => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return Some(k);
                    }
                }
                _ => {}
            }
        }
        None
    }

    /// Bracket depth before each token of `from..to` (relative to `from`).
    pub fn depths(&self, from: usize, to: usize) -> Vec<usize> {
        let mut out = Vec::with_capacity(to.saturating_sub(from));
        let mut d = 0usize;
        for k in from..to {
            if matches!(
                self.token(k),
                Token::RParen | Token::RBracket | Token::RBrace
            ) {
                d = d.saturating_sub(1);
            }
            out.push(d);
            if matches!(
                self.token(k),
                Token::LParen | Token::LBracket | Token::LBrace
            ) {
                d += 1;
            }
        }
        out
    }

    /// Splits `from..to` at top-level commas.
    pub fn split_commas(&self, from: usize, to: usize) -> Vec<(usize, usize)> {
        let depths = self.depths(from, to);
        let mut out = Vec::new();
        let mut start = from;
        for k in from..to {
            if depths[k - from] == 0 && matches!(self.token(k), Token::Comma) {
                out.push((start, k));
                start = k + 1;
            }
        }
        out.push((start, to));
        out
    }

    /// Ends the statement at a `;`: returns the index of the first `;` in `from..to` (or
    /// `to`); anything but more `;` after it is a second statement, which is refused.
    pub fn strip_statement_end(&self, from: usize, to: usize) -> Result<usize> {
        for k in from..to {
            if matches!(self.token(k), Token::SemiColon) {
                if let Some(extra) =
                    (k + 1..to).find(|&j| !matches!(self.token(j), Token::SemiColon))
                {
                    return Err(error::syntax_error(
                        self.sql,
                        self.offset_of(extra),
                        "Multi-statements are not allowed",
                    ));
                }
                return Ok(k);
            }
        }
        Ok(to)
    }

    /// Runs `f` with a sqlparser [`Parser`] over tokens `from..to`; all of them must be
    /// consumed.
    pub fn parse_range<T>(
        &self,
        from: usize,
        to: usize,
        limits: &ParseLimits,
        f: impl FnOnce(&mut Parser<'_>) -> std::result::Result<T, ParserError>,
    ) -> Result<T> {
        let (lo, hi) = match (
            self.sig.get(from),
            to.checked_sub(1).and_then(|t| self.sig.get(t)),
        ) {
            (Some(a), Some(b)) if from < to => (a.0, b.0 + 1),
            _ => (0, 0),
        };
        let mut parser = Parser::new(&DIALECT)
            .with_recursion_limit(limits.max_ast_depth.max(1))
            .with_tokens_with_locations(self.toks[lo..hi].to_vec());
        let out = f(&mut parser).map_err(|e| self.parser_error(e, limits))?;
        let next = parser.peek_token();
        if next.token != Token::EOF {
            return Err(self.parser_error(
                ParserError::ParserError(format!(
                    "Expected: end of query, found: {}{}",
                    next.token, next.span.start
                )),
                limits,
            ));
        }
        Ok(out)
    }

    /// Our error for a sqlparser error about this text.
    pub fn parser_error(&self, e: ParserError, limits: &ParseLimits) -> crate::error::QueryError {
        let msg = match e {
            ParserError::RecursionLimitExceeded => return error::too_deep(limits.max_ast_depth),
            ParserError::TokenizerError(m) | ParserError::ParserError(m) => m,
        };
        // sqlparser appends " at Line: L, Column: C" to most messages.
        let (pos, msg) = match msg.rfind(" at Line: ") {
            Some(at) => {
                let loc = &msg[at + " at Line: ".len()..];
                let mut parts = loc.split(", Column: ");
                let line = parts.next().and_then(|l| l.trim().parse::<u64>().ok());
                let col = parts.next().and_then(|c| c.trim().parse::<u64>().ok());
                match (line, col) {
                    (Some(l), Some(c)) => (
                        self.start + byte_offset(&self.sql[self.start..self.end], l, c),
                        msg[..at].to_string(),
                    ),
                    _ => (self.end, msg.clone()),
                }
            }
            None => (self.end, msg),
        };
        error::syntax_error(self.sql, pos, &msg)
    }

    /// Estimates the depth of the expression tree sqlparser would build and refuses text
    /// deeper than `limits.max_ast_depth`, before any recursion happens. Brackets nest; a
    /// chain `a + b + c` nests once per operator (sqlparser folds it left-deep); a chain of
    /// AND/OR adds one level per operator on top of the deepest operand.
    /// Fails with TOO_DEEP_AST when the nesting exceeds `max_ast_depth`; otherwise
    /// returns the deepest nesting seen.
    fn check_depth(&self, limits: &ParseLimits) -> Result<usize> {
        #[derive(Default, Clone, Copy)]
        struct Frame {
            logical: usize,
            run: usize,
            max_run: usize,
        }
        let max = limits.max_ast_depth;
        let cost = |f: &Frame| f.logical + f.run.max(f.max_run);
        let mut frames = vec![Frame::default()];
        // Sum over the enclosing (non-top) frames of 1 + their cost.
        let mut base = 0usize;
        let mut deepest = 0usize;
        for i in 0..self.len() {
            let top = frames.len() - 1;
            match self.token(i) {
                Token::LParen | Token::LBracket | Token::LBrace => {
                    base += 1 + cost(&frames[top]);
                    frames.push(Frame::default());
                }
                Token::RParen | Token::RBracket | Token::RBrace if frames.len() > 1 => {
                    frames.pop();
                    let parent = frames.len() - 1;
                    base = base.saturating_sub(1 + cost(&frames[parent]));
                }
                Token::Comma => frames[top] = Frame::default(),
                Token::Word(w) if w.quote_style.is_none() => {
                    let f = &mut frames[top];
                    match w.value.to_ascii_uppercase().as_str() {
                        "AND" | "OR" => {
                            f.logical += 1;
                            f.max_run = f.max_run.max(f.run);
                            f.run = 0;
                        }
                        "NOT" | "IS" | "LIKE" | "ILIKE" | "IN" | "BETWEEN" | "INTERVAL" => {
                            f.run += 1
                        }
                        "SELECT" | "FROM" | "WHERE" | "PREWHERE" | "GROUP" | "ORDER" | "HAVING"
                        | "LIMIT" | "ON" | "USING" | "JOIN" | "WHEN" | "THEN" | "ELSE" | "AS"
                        | "UNION" | "BY" | "SETTINGS" | "FORMAT" => *f = Frame::default(),
                        _ => {}
                    }
                }
                Token::Plus
                | Token::Minus
                | Token::Mul
                | Token::Div
                | Token::Mod
                | Token::StringConcat
                | Token::Eq
                | Token::DoubleEq
                | Token::Neq
                | Token::Lt
                | Token::Gt
                | Token::LtEq
                | Token::GtEq
                | Token::DoubleColon
                | Token::Arrow
                | Token::Period
                | Token::Colon
                | Token::ExclamationMark
                | Token::Caret
                | Token::Ampersand
                | Token::Pipe => frames[top].run += 1,
                _ => {}
            }
            let top = frames.len() - 1;
            let depth = base + 1 + cost(&frames[top]);
            if depth > max {
                return Err(error::too_deep(max));
            }
            deepest = deepest.max(depth);
        }
        Ok(deepest)
    }
}

/// Converts tokenizer (line, column) — both 1-based, columns in characters — to a byte
/// offset in `text`.
pub(super) fn byte_offset(text: &str, line: u64, column: u64) -> usize {
    let mut cur = LineCursor::new(text);
    cur.advance_to(line, column)
}

/// Walks text forwards, mapping tokenizer locations to byte offsets.
struct LineCursor<'a> {
    text: &'a str,
    pos: usize,
    line: u64,
    col: u64,
}

impl<'a> LineCursor<'a> {
    fn new(text: &'a str) -> Self {
        LineCursor {
            text,
            pos: 0,
            line: 1,
            col: 1,
        }
    }

    fn advance_to(&mut self, line: u64, col: u64) -> usize {
        while (self.line, self.col) < (line, col) {
            let Some(c) = self.text[self.pos..].chars().next() else {
                break;
            };
            self.pos += c.len_utf8();
            if c == '\n' {
                self.line += 1;
                self.col = 1;
            } else {
                self.col += 1;
            }
        }
        self.pos
    }
}

/// Skips whitespace and `--`, `#!`-less `/* */` comments from `pos`; returns the new offset.
pub(super) fn skip_blanks_and_comments(sql: &str, mut pos: usize) -> usize {
    let b = sql.as_bytes();
    loop {
        while pos < b.len() && b[pos].is_ascii_whitespace() {
            pos += 1;
        }
        if b[pos..].starts_with(b"--") {
            while pos < b.len() && b[pos] != b'\n' {
                pos += 1;
            }
        } else if b[pos..].starts_with(b"/*") {
            match sql[pos + 2..].find("*/") {
                Some(e) => pos += 2 + e + 2,
                None => return b.len(),
            }
        } else {
            return pos;
        }
    }
}

/// Decodes a string literal's raw text as ClickHouse does: `\b \f \r \n \t \0 \a \v
/// \xHH \\ \'` are escapes, `''` is a quote, and any other backslash is kept with the
/// character after it (so regular expressions such as `'\d+'` keep their backslash).
pub fn clickhouse_unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('b') => out.push('\u{8}'),
                Some('f') => out.push('\u{c}'),
                Some('r') => out.push('\r'),
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('0') => out.push('\0'),
                Some('a') => out.push('\u{7}'),
                Some('v') => out.push('\u{b}'),
                Some('\\') => out.push('\\'),
                Some('\'') => out.push('\''),
                Some('x') => {
                    let hex: String = chars.clone().take(2).collect();
                    match (hex.len() == 2)
                        .then(|| u8::from_str_radix(&hex, 16).ok())
                        .flatten()
                    {
                        Some(b) if b.is_ascii() => {
                            out.push(b as char);
                            chars.next();
                            chars.next();
                        }
                        _ => out.push_str("\\x"),
                    }
                }
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            },
            '\'' if chars.peek() == Some(&'\'') => {
                chars.next();
                out.push('\'');
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod unescape_tests {
    use super::clickhouse_unescape as u;

    #[test]
    fn clickhouse_escapes() {
        assert_eq!(u(r"a\tb"), "a\tb");
        assert_eq!(u(r"\1"), r"\1");
        assert_eq!(u(r"(?:www\.)?"), r"(?:www\.)?");
        assert_eq!(u(r"it\'s"), "it's");
        assert_eq!(u("it''s"), "it's");
        assert_eq!(u(r"back\\slash"), r"back\slash");
        assert_eq!(u(r"\x41\x4"), r"A\x4");
    }
}
