//! Reads `.slt` files into records (see `query/tests/slt.rs` for the format).

/// One test record.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    /// `statement ok` or `statement error [code]`.
    Statement {
        /// Line of the `statement` keyword.
        line: usize,
        /// The SQL.
        sql: String,
        /// `None`: must succeed; `Some(None)`: must fail; `Some(Some(c))`: must fail with code c.
        error: Option<Option<i32>>,
    },
    /// `query [rowsort]` with its expected TSV rows.
    Query {
        /// Line of the `query` keyword.
        line: usize,
        /// The SQL.
        sql: String,
        /// Compare sorted rows.
        rowsort: bool,
        /// Expected output lines (`(empty)` already turned into "").
        expected: Vec<String>,
    },
}

/// Splits a file into records; errors name the line.
pub fn parse_records(text: &str) -> Result<Vec<Record>, String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let l = lines[i].trim_end();
        if l.is_empty() || l.starts_with('#') {
            i += 1;
            continue;
        }
        let line = i + 1;
        let words: Vec<&str> = l.split_whitespace().collect();
        i += 1;
        // The SQL: lines up to a blank line or `----`.
        let mut sql = Vec::new();
        while i < lines.len() && !lines[i].trim().is_empty() && lines[i].trim_end() != "----" {
            sql.push(lines[i]);
            i += 1;
        }
        if sql.is_empty() {
            return Err(format!("line {line}: record without SQL"));
        }
        let sql = sql.join("\n");
        match words.as_slice() {
            ["statement", "ok"] => out.push(Record::Statement {
                line,
                sql,
                error: None,
            }),
            ["statement", "error"] => out.push(Record::Statement {
                line,
                sql,
                error: Some(None),
            }),
            ["statement", "error", code] => {
                let code = code
                    .parse()
                    .map_err(|_| format!("line {line}: bad error code {code}"))?;
                out.push(Record::Statement {
                    line,
                    sql,
                    error: Some(Some(code)),
                })
            }
            ["query", rest @ ..] => {
                let rowsort = rest.contains(&"rowsort");
                let mut expected = Vec::new();
                if i < lines.len() && lines[i].trim_end() == "----" {
                    i += 1;
                    while i < lines.len() && !lines[i].is_empty() {
                        let row = lines[i];
                        expected.push(if row == "(empty)" {
                            String::new()
                        } else {
                            row.to_string()
                        });
                        i += 1;
                    }
                }
                out.push(Record::Query {
                    line,
                    sql,
                    rowsort,
                    expected,
                })
            }
            _ => return Err(format!("line {line}: unknown record `{l}`")),
        }
    }
    Ok(out)
}
