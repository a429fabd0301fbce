//! Partition-key expressions: the small part of ClickHouse's expression language that
//! `PARTITION BY` uses in practice (a column, `toYYYYMM(date)`, `toYYYYMMDD`, `toYear`,
//! `toDate`, `toStartOfMonth`, `toMonday`, `intDiv(x, n)`, `x % n` as `modulo(x, n)`, and
//! tuples of these), parsed from SQL text and evaluated over Arrow arrays.
//!
//! Date and time functions evaluate in UTC.

use std::fmt;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, UInt16Array, UInt32Array};
use arrow::compute::kernels::cast::cast;
use arrow::datatypes::{self as adt, DataType as ArrowType};
use arrow::record_batch::RecordBatch;
use serde::{Deserialize, Serialize};

use crate::error::{Result, StorageError};
use crate::types::DataType;

/// A partition-key expression.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyExpr {
    /// A column reference.
    Column(String),
    /// An integer literal.
    Literal(i64),
    /// A function call.
    Function(String, Vec<KeyExpr>),
    /// `(a, b)` or `tuple(a, b)`: several partition values.
    Tuple(Vec<KeyExpr>),
}

const FUNCTIONS: &[&str] = &[
    "toYYYYMM",
    "toYYYYMMDD",
    "toYear",
    "toDate",
    "toStartOfMonth",
    "toMonday",
    "intDiv",
    "modulo",
];

impl KeyExpr {
    /// Parses an expression such as `toYYYYMM(event_time)` or `(region, toYear(d))`.
    pub fn parse(text: &str) -> Result<KeyExpr> {
        let mut p = ExprParser {
            chars: text.chars().collect(),
            pos: 0,
            text,
        };
        let e = p.expr(0)?;
        p.ws();
        if p.pos != p.chars.len() {
            return Err(p.err("unexpected text"));
        }
        Ok(e)
    }

    /// The columns the expression reads.
    pub fn columns(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.collect_columns(&mut out);
        out
    }

    fn collect_columns(&self, out: &mut Vec<String>) {
        match self {
            KeyExpr::Column(c) => {
                if !out.contains(c) {
                    out.push(c.clone())
                }
            }
            KeyExpr::Literal(_) => {}
            KeyExpr::Function(_, args) | KeyExpr::Tuple(args) => {
                args.iter().for_each(|a| a.collect_columns(out))
            }
        }
    }

    /// Evaluates the expression over `batch`: one array per partition value (a tuple gives
    /// several, anything else one).
    /// `types` gives a column's ClickHouse type (needed for `DateTime64` precision).
    pub fn evaluate(
        &self,
        batch: &RecordBatch,
        types: &dyn Fn(&str) -> Option<DataType>,
    ) -> Result<Vec<ArrayRef>> {
        match self {
            KeyExpr::Tuple(items) => items.iter().map(|e| e.evaluate_one(batch, types)).collect(),
            e => Ok(vec![e.evaluate_one(batch, types)?]),
        }
    }

    fn evaluate_one(
        &self,
        batch: &RecordBatch,
        types: &dyn Fn(&str) -> Option<DataType>,
    ) -> Result<ArrayRef> {
        match self {
            KeyExpr::Column(name) => batch.column_by_name(name).cloned().ok_or_else(|| {
                StorageError::NoSuchColumn(format!("Missing column {name} for the partition key"))
            }),
            KeyExpr::Literal(v) => Ok(Arc::new(arrow::array::Int64Array::from(vec![
                *v;
                batch
                    .num_rows(
                    )
            ]))),
            KeyExpr::Tuple(_) => Err(StorageError::BadArguments(
                "A tuple can only be the whole partition key".into(),
            )),
            KeyExpr::Function(name, args) => {
                let mut vals = Vec::with_capacity(args.len());
                for a in args {
                    let v = a.evaluate_one(batch, types)?;
                    // Date functions see DateTime64 as whole seconds.
                    let v = match a {
                        KeyExpr::Column(c) => match types(c) {
                            Some(DataType::DateTime64(p, _)) if p > 0 => {
                                let scale = 10i64.pow(p as u32);
                                let ticks = v.as_primitive::<adt::Int64Type>();
                                Arc::new(arrow::array::Int64Array::from_iter_values(
                                    ticks.values().iter().map(|t| t.div_euclid(scale)),
                                )) as ArrayRef
                            }
                            _ => v,
                        },
                        _ => v,
                    };
                    vals.push(v);
                }
                apply(name, &vals)
            }
        }
    }
}

impl fmt::Display for KeyExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyExpr::Column(c) => f.write_str(c),
            KeyExpr::Literal(v) => write!(f, "{v}"),
            KeyExpr::Function(_, args) | KeyExpr::Tuple(args) => {
                if let KeyExpr::Function(n, _) = self {
                    f.write_str(n)?;
                }
                f.write_str("(")?;
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{a}")?;
                }
                f.write_str(")")
            }
        }
    }
}

/// Seconds (or days, for date types) of each row of a temporal or integer array, as i64.
fn epoch_seconds(a: &ArrayRef, fname: &str) -> Result<(Vec<i64>, bool)> {
    // Returns (values, values_are_days).
    let days = matches!(a.data_type(), ArrowType::UInt16 | ArrowType::Int32);
    let v = cast(a, &ArrowType::Int64)?;
    let v = v.as_primitive::<adt::Int64Type>();
    if !matches!(
        a.data_type(),
        ArrowType::UInt16 | ArrowType::Int32 | ArrowType::UInt32 | ArrowType::Int64
    ) {
        return Err(StorageError::BadArguments(format!(
            "Illegal type {} of argument of function {fname}",
            a.data_type()
        )));
    }
    Ok((v.values().to_vec(), days))
}

/// Days since 1970-01-01 -> (year, month 1..12, day 1..31), proleptic Gregorian.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// (year, month, day) -> days since 1970-01-01.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 } as i64;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn apply(name: &str, args: &[ArrayRef]) -> Result<ArrayRef> {
    let arity = |n: usize| -> Result<()> {
        if args.len() != n {
            return Err(StorageError::BadArguments(format!(
                "Number of arguments for function {name} doesn't match: passed {}, should be {n}",
                args.len()
            )));
        }
        Ok(())
    };
    let to_days = |a: &ArrayRef| -> Result<Vec<i64>> {
        let (v, days) = epoch_seconds(a, name)?;
        if days {
            return Ok(v);
        }
        // Int64 here is DateTime64 already scaled to seconds by `evaluate_one`.
        Ok(v.into_iter().map(|s| s.div_euclid(86_400)).collect())
    };
    match name {
        "toYYYYMM" | "toYYYYMMDD" | "toYear" => {
            arity(1)?;
            let days = to_days(&args[0])?;
            let out: UInt32Array = days
                .into_iter()
                .map(|d| {
                    let (y, m, dd) = civil_from_days(d);
                    Some(match name {
                        "toYYYYMM" => (y * 100 + m as i64) as u32,
                        "toYYYYMMDD" => (y * 10_000 + m as i64 * 100 + dd as i64) as u32,
                        _ => y as u32,
                    })
                })
                .collect();
            Ok(Arc::new(out))
        }
        "toDate" | "toStartOfMonth" | "toMonday" => {
            arity(1)?;
            let days = to_days(&args[0])?;
            let out: UInt16Array = days
                .into_iter()
                .map(|d| {
                    let r = match name {
                        "toStartOfMonth" => {
                            let (y, m, _) = civil_from_days(d);
                            days_from_civil(y, m, 1)
                        }
                        // 1970-01-01 was a Thursday: Monday-based weekday = (d + 3) mod 7.
                        "toMonday" => d - (d + 3).rem_euclid(7),
                        _ => d,
                    };
                    Some(r.clamp(0, u16::MAX as i64) as u16)
                })
                .collect();
            Ok(Arc::new(out))
        }
        "intDiv" | "modulo" => {
            arity(2)?;
            let a = cast(&args[0], &ArrowType::Int64)?;
            let b = cast(&args[1], &ArrowType::Int64)?;
            let (a, b) = (
                a.as_primitive::<adt::Int64Type>(),
                b.as_primitive::<adt::Int64Type>(),
            );
            let mut out = Vec::with_capacity(a.len());
            for i in 0..a.len() {
                let (x, y) = (a.value(i), b.value(i));
                if y == 0 {
                    return Err(StorageError::BadArguments(format!(
                        "Division by zero in function {name} of the partition key"
                    )));
                }
                out.push(if name == "intDiv" {
                    x.wrapping_div(y)
                } else {
                    x.wrapping_rem(y)
                });
            }
            Ok(Arc::new(arrow::array::Int64Array::from(out)))
        }
        _ => Err(StorageError::BadArguments(format!(
            "Function {name} is not supported in a partition key (supported: {})",
            FUNCTIONS.join(", ")
        ))),
    }
}

/// Deepest nesting a key expression may have.
const MAX_DEPTH: usize = 32;

struct ExprParser<'a> {
    chars: Vec<char>,
    pos: usize,
    text: &'a str,
}

impl ExprParser<'_> {
    fn err(&self, what: &str) -> StorageError {
        StorageError::BadArguments(format!(
            "Cannot parse partition key '{}': {what} at position {}",
            self.text,
            self.pos + 1
        ))
    }
    fn ws(&mut self) {
        while self.pos < self.chars.len() && self.chars[self.pos].is_whitespace() {
            self.pos += 1;
        }
    }
    fn eat(&mut self, c: char) -> bool {
        self.ws();
        if self.chars.get(self.pos) == Some(&c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn expr(&mut self, depth: usize) -> Result<KeyExpr> {
        let lhs = self.primary(depth)?;
        if self.eat('%') {
            let rhs = self.primary(depth)?;
            return Ok(KeyExpr::Function("modulo".into(), vec![lhs, rhs]));
        }
        Ok(lhs)
    }
    fn list(&mut self, depth: usize) -> Result<Vec<KeyExpr>> {
        let mut items = Vec::new();
        if self.eat(')') {
            return Ok(items);
        }
        loop {
            items.push(self.expr(depth + 1)?);
            if self.eat(')') {
                return Ok(items);
            }
            if !self.eat(',') {
                return Err(self.err("expected ',' or ')'"));
            }
        }
    }
    fn primary(&mut self, depth: usize) -> Result<KeyExpr> {
        if depth > MAX_DEPTH {
            return Err(self.err("expression is nested too deeply"));
        }
        self.ws();
        if self.eat('(') {
            let items = self.list(depth)?;
            return Ok(if items.len() == 1 {
                items.into_iter().next().unwrap_or(KeyExpr::Tuple(vec![]))
            } else {
                KeyExpr::Tuple(items)
            });
        }
        let start = self.pos;
        if self
            .chars
            .get(self.pos)
            .is_some_and(|c| c.is_ascii_digit() || *c == '-')
        {
            self.pos += 1;
            while self.chars.get(self.pos).is_some_and(|c| c.is_ascii_digit()) {
                self.pos += 1;
            }
            let s: String = self.chars[start..self.pos].iter().collect();
            return s
                .parse()
                .map(KeyExpr::Literal)
                .map_err(|_| self.err("bad number"));
        }
        let quoted =
            self.chars.get(self.pos) == Some(&'`') || self.chars.get(self.pos) == Some(&'"');
        let name: String = if quoted {
            let q = self.chars[self.pos];
            self.pos += 1;
            let s = self.pos;
            while self.chars.get(self.pos).is_some_and(|c| *c != q) {
                self.pos += 1;
            }
            if self.pos >= self.chars.len() {
                return Err(self.err("unterminated identifier"));
            }
            self.pos += 1;
            self.chars[s..self.pos - 1].iter().collect()
        } else {
            while self
                .chars
                .get(self.pos)
                .is_some_and(|c| c.is_alphanumeric() || *c == '_' || *c == '.')
            {
                self.pos += 1;
            }
            self.chars[start..self.pos].iter().collect()
        };
        if name.is_empty() {
            return Err(self.err("expected a column or function"));
        }
        if !quoted && self.eat('(') {
            let args = self.list(depth)?;
            if name.eq_ignore_ascii_case("tuple") {
                return Ok(KeyExpr::Tuple(args));
            }
            let canonical = FUNCTIONS
                .iter()
                .find(|f| f.eq_ignore_ascii_case(&name))
                .ok_or_else(|| {
                    StorageError::BadArguments(format!(
                        "Function {name} is not supported in a partition key (supported: {})",
                        FUNCTIONS.join(", ")
                    ))
                })?;
            return Ok(KeyExpr::Function(canonical.to_string(), args));
        }
        Ok(KeyExpr::Column(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{UInt16Array, UInt32Array};
    use arrow::datatypes::{Field, Schema};

    #[test]
    fn parses_and_prints() {
        for s in [
            "toYYYYMM(event_time)",
            "(region, toYear(d))",
            "intDiv(id, 1000)",
            "c",
        ] {
            let e = KeyExpr::parse(s).unwrap();
            assert_eq!(e.to_string(), s);
        }
        assert_eq!(
            KeyExpr::parse("id % 4").unwrap().to_string(),
            "modulo(id, 4)"
        );
        assert!(KeyExpr::parse("rand()").is_err());
        assert!(KeyExpr::parse("toYYYYMM(").is_err());
    }

    #[test]
    fn evaluates_dates() {
        // 2024-02-29 12:00:00 UTC = 1709208000; day 19782 = 2024-02-29.
        let schema = Arc::new(Schema::new(vec![
            Field::new("t", ArrowType::UInt32, false),
            Field::new("d", ArrowType::UInt16, false),
        ]));
        let batch = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(UInt32Array::from(vec![1_709_208_000])),
                Arc::new(UInt16Array::from(vec![19_782])),
            ],
        )
        .unwrap();
        let v = KeyExpr::parse("(toYYYYMM(t), toYYYYMMDD(d), toMonday(d), toStartOfMonth(t))")
            .unwrap()
            .evaluate(&batch, &|_| None)
            .unwrap();
        assert_eq!(v[0].as_primitive::<adt::UInt32Type>().value(0), 202_402);
        assert_eq!(v[1].as_primitive::<adt::UInt32Type>().value(0), 20_240_229);
        // 2024-02-26 was a Monday.
        assert_eq!(
            civil_from_days(v[2].as_primitive::<adt::UInt16Type>().value(0) as i64),
            (2024, 2, 26)
        );
        assert_eq!(
            civil_from_days(v[3].as_primitive::<adt::UInt16Type>().value(0) as i64),
            (2024, 2, 1)
        );
        assert_eq!(days_from_civil(2024, 2, 29), 19_782);
    }
}
