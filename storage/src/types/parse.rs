//! A small recursive-descent parser for ClickHouse type names.

use super::{AggregateFunctionType, DataType};
use crate::error::{Result, StorageError};

/// Most nesting a type may have (`Array(Array(...))`), so hostile input cannot overflow the stack.
const MAX_TYPE_DEPTH: usize = 32;

/// Parses a whole type name; trailing text is an error.
pub(super) fn parse_type(s: &str) -> Result<DataType> {
    let mut p = TypeParser { s, pos: 0 };
    let t = p.parse(0)?;
    p.skip_ws();
    if p.pos != s.len() {
        return Err(p.error("unexpected text after the type"));
    }
    Ok(t)
}

/// An argument inside a type's parentheses.
enum Arg {
    Type(DataType),
    Number(u64),
    Str(String),
}

struct TypeParser<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> TypeParser<'a> {
    fn error(&self, what: &str) -> StorageError {
        StorageError::UnknownType(format!(
            "Cannot parse type '{}': {what} at position {}",
            self.s,
            self.pos + 1
        ))
    }

    fn skip_ws(&mut self) {
        while let Some(c) = self.s[self.pos..].chars().next() {
            if c.is_whitespace() {
                self.pos += c.len_utf8();
            } else {
                break;
            }
        }
    }

    fn peek(&mut self) -> Option<char> {
        self.skip_ws();
        self.s[self.pos..].chars().next()
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    fn ident(&mut self) -> Result<&'a str> {
        self.skip_ws();
        let start = self.pos;
        for (i, c) in self.s[start..].char_indices() {
            if !(c.is_ascii_alphanumeric() || c == '_') {
                self.pos = start + i;
                break;
            }
            self.pos = start + i + c.len_utf8();
        }
        if self.pos == start {
            return Err(self.error("expected a type name"));
        }
        Ok(&self.s[start..self.pos])
    }

    fn arg(&mut self, depth: usize) -> Result<Arg> {
        match self.peek() {
            Some(c) if c.is_ascii_digit() => {
                let start = self.pos;
                while self.s[self.pos..].starts_with(|c: char| c.is_ascii_digit()) {
                    self.pos += 1;
                }
                self.s[start..self.pos]
                    .parse()
                    .map(Arg::Number)
                    .map_err(|_| self.error("number too large"))
            }
            Some('\'') => {
                self.pos += 1;
                let mut out = String::new();
                let mut chars = self.s[self.pos..].char_indices();
                while let Some((i, c)) = chars.next() {
                    match c {
                        '\\' => match chars.next() {
                            Some((_, e)) => out.push(e),
                            None => break,
                        },
                        '\'' => {
                            self.pos += i + 1;
                            return Ok(Arg::Str(out));
                        }
                        c => out.push(c),
                    }
                }
                Err(self.error("unterminated string"))
            }
            _ => self.parse(depth + 1).map(Arg::Type),
        }
    }

    fn args(&mut self, depth: usize) -> Result<Vec<Arg>> {
        let mut args = Vec::new();
        if !self.eat('(') {
            return Ok(args);
        }
        if self.eat(')') {
            return Ok(args);
        }
        loop {
            args.push(self.arg(depth)?);
            if self.eat(')') {
                return Ok(args);
            }
            if !self.eat(',') {
                return Err(self.error("expected ',' or ')'"));
            }
        }
    }

    fn parse(&mut self, depth: usize) -> Result<DataType> {
        if depth > MAX_TYPE_DEPTH {
            return Err(self.error("type is nested too deeply"));
        }
        let name = self.ident()?;
        let lower = name.to_ascii_lowercase();
        if lower == "aggregatefunction" || lower == "simpleaggregatefunction" {
            return self.aggregate_function(lower == "simpleaggregatefunction", depth);
        }
        // SQL spellings such as `DOUBLE PRECISION`, `INT UNSIGNED`.
        let args = self.args(depth)?;
        let no_args = |t: DataType| -> Result<DataType> {
            if args.is_empty() || lower.starts_with("varchar") || lower == "char" {
                Ok(t)
            } else {
                Err(self.error("this type takes no arguments"))
            }
        };
        let t = match lower.as_str() {
            "uint8" | "tinyint unsigned" => no_args(DataType::UInt8)?,
            "uint16" => no_args(DataType::UInt16)?,
            "uint32" => no_args(DataType::UInt32)?,
            "uint64" => no_args(DataType::UInt64)?,
            "int8" | "tinyint" | "byte" => no_args(DataType::Int8)?,
            "int16" | "smallint" => no_args(DataType::Int16)?,
            "int32" | "int" | "integer" | "mediumint" => no_args(DataType::Int32)?,
            "int64" | "bigint" => no_args(DataType::Int64)?,
            "float32" | "float" | "real" => no_args(DataType::Float32)?,
            "float64" | "double" => no_args(DataType::Float64)?,
            "bool" | "boolean" => no_args(DataType::Bool)?,
            "string" | "text" | "varchar" | "char" | "blob" | "longtext" | "mediumtext"
            | "tinytext" | "bytea" => no_args(DataType::String)?,
            "date" => no_args(DataType::Date)?,
            "date32" => no_args(DataType::Date32)?,
            "uuid" => no_args(DataType::Uuid)?,
            "nothing" => no_args(DataType::Nothing)?,
            "datetime" | "timestamp" => match args.as_slice() {
                [] => DataType::DateTime(None),
                [Arg::Str(tz)] => DataType::DateTime(Some(tz.clone())),
                _ => return Err(self.error("DateTime takes an optional time zone")),
            },
            "datetime64" => match args.as_slice() {
                [Arg::Number(p)] if *p <= 9 => DataType::DateTime64(*p as u8, None),
                [Arg::Number(p), Arg::Str(tz)] if *p <= 9 => {
                    DataType::DateTime64(*p as u8, Some(tz.clone()))
                }
                _ => return Err(self.error("DateTime64 takes a precision 0..9 and a time zone")),
            },
            "fixedstring" => match args.as_slice() {
                [Arg::Number(n)] if *n >= 1 && *n <= 0xFF_FFFF => {
                    DataType::FixedString(*n as usize)
                }
                _ => return Err(self.error("FixedString takes a length N >= 1")),
            },
            "decimal" | "numeric" | "dec" => match args.as_slice() {
                [] => decimal(self, 10, 0)?,
                [Arg::Number(p)] => decimal(self, *p, 0)?,
                [Arg::Number(p), Arg::Number(s)] => decimal(self, *p, *s)?,
                _ => return Err(self.error("Decimal takes a precision and a scale")),
            },
            "decimal32" => scaled_decimal(self, 9, &args)?,
            "decimal64" => scaled_decimal(self, 18, &args)?,
            "decimal128" => scaled_decimal(self, 38, &args)?,
            "decimal256" => scaled_decimal(self, 76, &args)?,
            "nullable" => match args {
                a if a.len() == 1 => match a.into_iter().next() {
                    Some(Arg::Type(t)) => {
                        if matches!(
                            t,
                            DataType::Nullable(_)
                                | DataType::Array(_)
                                | DataType::Map(..)
                                | DataType::LowCardinality(_)
                        ) {
                            return Err(StorageError::UnknownType(format!(
                                "Nested type {t} cannot be inside Nullable type"
                            )));
                        }
                        DataType::Nullable(Box::new(t))
                    }
                    _ => return Err(self.error("Nullable takes a type")),
                },
                _ => return Err(self.error("Nullable takes one type")),
            },
            "lowcardinality" => match one_type(self, args)? {
                t @ (DataType::String
                | DataType::FixedString(_)
                | DataType::Nullable(_)
                | DataType::Date
                | DataType::DateTime(_)
                | DataType::UInt8
                | DataType::UInt16
                | DataType::UInt32
                | DataType::UInt64
                | DataType::Int8
                | DataType::Int16
                | DataType::Int32
                | DataType::Int64
                | DataType::Float32
                | DataType::Float64) => {
                    if let DataType::Nullable(inner) = &t {
                        if !matches!(**inner, DataType::String | DataType::FixedString(_)) {
                            return Err(StorageError::NotImplemented(format!(
                                "LowCardinality({t}) is not supported; use LowCardinality(Nullable(String))"
                            )));
                        }
                    }
                    if !matches!(
                        t,
                        DataType::String | DataType::FixedString(_) | DataType::Nullable(_)
                    ) {
                        return Err(StorageError::NotImplemented(format!(
                            "LowCardinality({t}) is not supported yet; LowCardinality works on String and FixedString"
                        )));
                    }
                    DataType::LowCardinality(Box::new(t))
                }
                t => {
                    return Err(StorageError::UnknownType(format!(
                        "Creating columns of type LowCardinality({t}) is prohibited"
                    )))
                }
            },
            "array" => DataType::Array(Box::new(one_type(self, args)?)),
            "map" => match args.len() {
                2 => {
                    let mut it = args.into_iter();
                    match (it.next(), it.next()) {
                        (Some(Arg::Type(k)), Some(Arg::Type(v))) => {
                            if !k.is_sortable() || k.is_nullable() {
                                return Err(StorageError::BadArguments(format!(
                                    "Map key type {k} is not allowed"
                                )));
                            }
                            DataType::Map(Box::new(k), Box::new(v))
                        }
                        _ => return Err(self.error("Map takes two types")),
                    }
                }
                _ => return Err(self.error("Map takes two types")),
            },
            _ => {
                return Err(StorageError::UnknownType(format!(
                    "Unknown data type family: {name}"
                )))
            }
        };
        Ok(t)
    }
}

impl TypeParser<'_> {
    /// The arguments of `AggregateFunction(f[(params)], T...)` or
    /// `SimpleAggregateFunction(f, T)`, after the type's name.
    fn aggregate_function(&mut self, simple: bool, depth: usize) -> Result<DataType> {
        if !self.eat('(') {
            return Err(self.error("expected the aggregate function"));
        }
        let name = self.ident()?.to_string();
        if name.starts_with(|c: char| c.is_ascii_digit()) {
            return Err(StorageError::NotImplemented(
                "AggregateFunction with a version is not supported".into(),
            ));
        }
        let mut params = Vec::new();
        if self.eat('(') && !self.eat(')') {
            loop {
                params.push(self.param()?);
                if self.eat(')') {
                    break;
                }
                if !self.eat(',') {
                    return Err(self.error("expected ',' or ')'"));
                }
            }
        }
        let mut args = Vec::new();
        while self.eat(',') {
            args.push(self.parse(depth + 1)?);
        }
        if !self.eat(')') {
            return Err(self.error("expected ')'"));
        }
        if simple {
            if !params.is_empty() || args.len() != 1 {
                return Err(StorageError::BadArguments(format!(
                    "SimpleAggregateFunction takes a function without parameters and one type in '{}'",
                    self.s
                )));
            }
            let arg = args.into_iter().next().unwrap_or(DataType::Nothing);
            return Ok(DataType::SimpleAggregateFunction(name, Box::new(arg)));
        }
        Ok(DataType::AggregateFunction(AggregateFunctionType {
            name,
            params,
            args,
        }))
    }

    /// One parameter of an aggregate function: a number or a quoted string, kept as written.
    fn param(&mut self) -> Result<String> {
        self.skip_ws();
        let start = self.pos;
        let rest = &self.s[start..];
        if rest.starts_with('\'') {
            let mut escaped = false;
            for (i, c) in rest.char_indices().skip(1) {
                match c {
                    '\\' if !escaped => escaped = true,
                    '\'' if !escaped => {
                        self.pos = start + i + 1;
                        return Ok(rest[..=i].to_string());
                    }
                    _ => escaped = false,
                }
            }
            return Err(self.error("unterminated string"));
        }
        let len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+' | '_')))
            .unwrap_or(rest.len());
        if len == 0 {
            return Err(self.error("expected a parameter"));
        }
        self.pos = start + len;
        Ok(rest[..len].to_string())
    }
}

fn one_type(p: &TypeParser<'_>, args: Vec<Arg>) -> Result<DataType> {
    let n = args.len();
    match args.into_iter().next() {
        Some(Arg::Type(t)) if n == 1 => Ok(t),
        _ => Err(p.error("expected exactly one type argument")),
    }
}

fn decimal(p: &TypeParser<'_>, precision: u64, scale: u64) -> Result<DataType> {
    if !(1..=76).contains(&precision) || scale > precision {
        return Err(StorageError::BadArguments(format!(
            "Decimal precision {precision} and scale {scale} are out of bounds (precision 1..76, scale 0..precision) in '{}'",
            p.s
        )));
    }
    Ok(DataType::Decimal {
        precision: precision as u8,
        scale: scale as u8,
    })
}

fn scaled_decimal(p: &TypeParser<'_>, precision: u64, args: &[Arg]) -> Result<DataType> {
    match args {
        [Arg::Number(s)] => decimal(p, precision, *s),
        _ => Err(p.error("expected a scale")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_canonical_names() {
        for name in [
            "UInt8",
            "Int64",
            "Float32",
            "Bool",
            "Decimal(18, 4)",
            "Decimal(50, 10)",
            "String",
            "FixedString(16)",
            "Date",
            "Date32",
            "DateTime",
            "DateTime('Europe/Moscow')",
            "DateTime64(3)",
            "DateTime64(6, 'UTC')",
            "UUID",
            "LowCardinality(String)",
            "LowCardinality(Nullable(String))",
            "Nullable(Float64)",
            "Array(Nullable(Int32))",
            "Map(String, Array(UInt64))",
            "AggregateFunction(uniqHLL12, UInt32)",
            "AggregateFunction(quantiles(0.5, 0.9), Float64)",
            "AggregateFunction(count)",
            "AggregateFunction(uniqIf, UInt8, UInt8)",
            "AggregateFunction(argMin, String, Nullable(UInt8))",
            "AggregateFunction(groupArray(10), Array(String))",
            "SimpleAggregateFunction(sum, UInt64)",
            "SimpleAggregateFunction(anyLast, Nullable(String))",
        ] {
            let t = DataType::parse(name).unwrap();
            assert_eq!(t.to_string(), name);
        }
    }

    #[test]
    fn aggregate_function_types() {
        let t = DataType::parse("AggregateFunction( quantiles(0.5,0.9) , Float64)").unwrap();
        assert_eq!(
            t.to_string(),
            "AggregateFunction(quantiles(0.5, 0.9), Float64)"
        );
        assert_eq!(t.to_arrow(), arrow::datatypes::DataType::Binary);
        let s = DataType::parse("SimpleAggregateFunction(max, Nullable(String))").unwrap();
        assert_eq!(s.to_arrow(), arrow::datatypes::DataType::Binary);
        assert!(s.is_nullable());
        assert_eq!(s.query_type().to_string(), "Nullable(String)");
    }

    #[test]
    fn accepts_sql_aliases() {
        assert_eq!(DataType::parse("BIGINT").unwrap(), DataType::Int64);
        assert_eq!(DataType::parse("TEXT").unwrap(), DataType::String);
        assert_eq!(DataType::parse("VARCHAR(255)").unwrap(), DataType::String);
        assert_eq!(
            DataType::parse("TIMESTAMP").unwrap(),
            DataType::DateTime(None)
        );
        assert_eq!(DataType::parse("SMALLINT").unwrap(), DataType::Int16);
        assert_eq!(
            DataType::parse("Decimal32(2)").unwrap(),
            DataType::Decimal {
                precision: 9,
                scale: 2
            }
        );
    }

    #[test]
    fn rejects_bad_types() {
        for bad in [
            "",
            "Foo",
            "Nullable(Array(Int8))",
            "Decimal(80, 2)",
            "Array(",
            "Int32 x",
            "FixedString(0)",
            "DateTime64(12)",
            "AggregateFunction(",
            "AggregateFunction(uniq, Foo)",
            "SimpleAggregateFunction(sum)",
            "SimpleAggregateFunction(sum, UInt64, UInt8)",
        ] {
            assert!(DataType::parse(bad).is_err(), "{bad}");
        }
        let deep = "Array(".repeat(1000) + "Int8" + &")".repeat(1000);
        assert!(DataType::parse(&deep).is_err());
    }
}
