//! ClickHouse data types: parsing from and printing to ClickHouse's spelling, and the Arrow
//! array type that carries each one in memory.
//!
//! The in-memory mapping keeps ClickHouse's physical representation so nothing is lost and
//! nothing is converted on the hot path:
//!
//! | ClickHouse                 | Arrow                                |
//! |----------------------------|--------------------------------------|
//! | `UInt8`..`UInt64`, `Int8`..`Int64`, `Float32`, `Float64` | the same |
//! | `Bool`                     | `Boolean`                            |
//! | `Decimal(P, S)`            | `Decimal128(P, S)` (P <= 38), `Decimal256(P, S)` otherwise |
//! | `String`                   | `Binary` (ClickHouse strings are bytes) |
//! | `FixedString(N)`           | `FixedSizeBinary(N)`                 |
//! | `UUID`                     | `FixedSizeBinary(16)` (big-endian, as printed) |
//! | `Date`                     | `UInt16` (days since 1970-01-01)     |
//! | `Date32`                   | `Int32` (days since 1970-01-01)      |
//! | `DateTime([tz])`           | `UInt32` (seconds since the epoch)   |
//! | `DateTime64(p[, tz])`      | `Int64` (ticks of 10^-p s)           |
//! | `LowCardinality(T)`        | `Dictionary(Int32, T)`               |
//! | `Nullable(T)`              | `T` with a validity bitmap           |
//! | `Array(T)`                 | `List(T)`                            |
//! | `Map(K, V)`                | `Map(entries: Struct(key: K, value: V))` |
//! | `AggregateFunction(f, T...)` | `Binary` (one serialized state per row) |
//! | `SimpleAggregateFunction(f, T)` | `T`'s carrier                     |

mod parse;

use std::fmt;
use std::sync::Arc;

use arrow::datatypes::{DataType as ArrowType, Field, Fields};
use serde::{Deserialize, Serialize};

use crate::error::{Result, StorageError};

/// A ClickHouse data type.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum DataType {
    /// `UInt8`
    UInt8,
    /// `UInt16`
    UInt16,
    /// `UInt32`
    UInt32,
    /// `UInt64`
    UInt64,
    /// `Int8`
    Int8,
    /// `Int16`
    Int16,
    /// `Int32`
    Int32,
    /// `Int64`
    Int64,
    /// `Float32`
    Float32,
    /// `Float64`
    Float64,
    /// `Bool`
    Bool,
    /// `Decimal(P, S)`: `precision` 1..=76 digits, `scale` 0..=precision.
    Decimal {
        /// Total number of decimal digits.
        precision: u8,
        /// Digits after the decimal point.
        scale: u8,
    },
    /// `String`: arbitrary bytes.
    String,
    /// `FixedString(N)`: exactly N bytes.
    FixedString(usize),
    /// `Date`: days since 1970-01-01 as UInt16.
    Date,
    /// `Date32`: days since 1970-01-01 as Int32.
    Date32,
    /// `DateTime` or `DateTime('tz')`: seconds since the epoch as UInt32.
    DateTime(Option<String>),
    /// `DateTime64(p)` or `DateTime64(p, 'tz')`: ticks of 10^-p seconds as Int64.
    DateTime64(u8, Option<String>),
    /// `UUID`: 16 bytes.
    Uuid,
    /// `LowCardinality(T)`: dictionary-encoded T.
    LowCardinality(Box<DataType>),
    /// `Nullable(T)`.
    Nullable(Box<DataType>),
    /// `Array(T)`.
    Array(Box<DataType>),
    /// `Map(K, V)`.
    Map(Box<DataType>, Box<DataType>),
    /// `Nothing`: the type of a bare `NULL` (as `Nullable(Nothing)`) and of empty arrays.
    /// Never stored in a table.
    Nothing,
    /// `AggregateFunction(f[(params)], T...)`: one serialized state of aggregate function
    /// `f` over arguments of types `T...` per row (see `query/src/aggregates/STATES.md`).
    AggregateFunction(AggregateFunctionType),
    /// `SimpleAggregateFunction(f, T)`: values of `T` that merges combine with `f`.
    SimpleAggregateFunction(String, Box<DataType>),
}

/// The function of an `AggregateFunction(...)` type: `name(params)` and argument types.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AggregateFunctionType {
    /// The function's name with its combinators (`uniq`, `quantiles`, `sumIf`).
    pub name: String,
    /// Parameters as written in ClickHouse's spelling (`0.5`, `'x'`), without parentheses.
    pub params: Vec<String>,
    /// Argument types.
    pub args: Vec<DataType>,
}

impl AggregateFunctionType {
    /// The function as ClickHouse spells it inside the type: `quantiles(0.5, 0.9)`.
    pub fn function(&self) -> String {
        if self.params.is_empty() {
            self.name.clone()
        } else {
            format!("{}({})", self.name, self.params.join(", "))
        }
    }
}

impl DataType {
    /// Parses a ClickHouse type name such as `Nullable(DateTime64(3, 'UTC'))`.
    /// Also accepts the SQL aliases ClickHouse accepts (`BIGINT`, `TEXT`, `TIMESTAMP`, ...).
    pub fn parse(s: &str) -> Result<DataType> {
        parse::parse_type(s)
    }

    /// The Arrow type that carries values of this type in memory (see the module docs).
    pub fn to_arrow(&self) -> ArrowType {
        match self {
            DataType::UInt8 => ArrowType::UInt8,
            DataType::UInt16 | DataType::Date => ArrowType::UInt16,
            DataType::UInt32 | DataType::DateTime(_) => ArrowType::UInt32,
            DataType::UInt64 => ArrowType::UInt64,
            DataType::Int8 => ArrowType::Int8,
            DataType::Int16 => ArrowType::Int16,
            DataType::Int32 | DataType::Date32 => ArrowType::Int32,
            DataType::Int64 | DataType::DateTime64(..) => ArrowType::Int64,
            DataType::Float32 => ArrowType::Float32,
            DataType::Float64 => ArrowType::Float64,
            DataType::Bool => ArrowType::Boolean,
            DataType::Decimal { precision, scale } => {
                if *precision <= 38 {
                    ArrowType::Decimal128(*precision, *scale as i8)
                } else {
                    ArrowType::Decimal256(*precision, *scale as i8)
                }
            }
            DataType::String => ArrowType::Binary,
            DataType::FixedString(n) => ArrowType::FixedSizeBinary(*n as i32),
            DataType::Uuid => ArrowType::FixedSizeBinary(16),
            DataType::LowCardinality(inner) => {
                ArrowType::Dictionary(Box::new(ArrowType::Int32), Box::new(inner.to_arrow()))
            }
            DataType::Nullable(inner) => inner.to_arrow(),
            DataType::Nothing => ArrowType::Null,
            DataType::AggregateFunction(_) => ArrowType::Binary,
            DataType::SimpleAggregateFunction(_, inner) => inner.to_arrow(),
            // Nested fields are always marked nullable, as Arrow's builders make them; the
            // ClickHouse type says whether NULLs really occur.
            DataType::Array(inner) => {
                ArrowType::List(Arc::new(Field::new("item", inner.to_arrow(), true)))
            }
            DataType::Map(k, v) => {
                let entries = Field::new(
                    "entries",
                    ArrowType::Struct(Fields::from(vec![
                        Field::new("key", k.to_arrow(), false),
                        Field::new("value", v.to_arrow(), true),
                    ])),
                    false,
                );
                ArrowType::Map(Arc::new(entries), false)
            }
        }
    }

    /// An Arrow field named `name` for this type, nullable exactly when the type is.
    pub fn to_arrow_field(&self, name: &str) -> Field {
        Field::new(name, self.to_arrow(), self.is_nullable())
    }

    /// Whether values may be NULL: `Nullable(T)` and `LowCardinality(Nullable(T))`.
    pub fn is_nullable(&self) -> bool {
        match self {
            DataType::Nullable(_) => true,
            DataType::LowCardinality(inner) | DataType::SimpleAggregateFunction(_, inner) => {
                inner.is_nullable()
            }
            _ => false,
        }
    }

    /// The type without `Nullable` and `LowCardinality` wrappers.
    pub fn base(&self) -> &DataType {
        match self {
            DataType::Nullable(inner) | DataType::LowCardinality(inner) => inner.base(),
            other => other,
        }
    }

    /// The type queries see: `T` for `SimpleAggregateFunction(f, T)` (it behaves as `T`
    /// everywhere but in merges), the type itself otherwise.
    pub fn query_type(&self) -> DataType {
        match self {
            DataType::SimpleAggregateFunction(_, inner) => (**inner).clone(),
            other => other.clone(),
        }
    }

    /// Width in bytes of one value for fixed-width types stored as plain little-endian values
    /// (what codecs such as Delta and T64 operate on); `None` for variable-width and
    /// composite types.
    pub fn fixed_width(&self) -> Option<usize> {
        Some(match self {
            DataType::UInt8 | DataType::Int8 | DataType::Bool => 1,
            DataType::UInt16 | DataType::Int16 | DataType::Date => 2,
            DataType::UInt32
            | DataType::Int32
            | DataType::Float32
            | DataType::Date32
            | DataType::DateTime(_) => 4,
            DataType::UInt64 | DataType::Int64 | DataType::Float64 | DataType::DateTime64(..) => 8,
            DataType::Decimal { precision, .. } => decimal_width(*precision),
            DataType::FixedString(n) => *n,
            DataType::Uuid => 16,
            _ => return None,
        })
    }

    /// Whether this is one of the eight integer types `UInt8` .. `Int64` (not `Bool`).
    pub fn is_integer(&self) -> bool {
        matches!(
            self,
            DataType::UInt8
                | DataType::UInt16
                | DataType::UInt32
                | DataType::UInt64
                | DataType::Int8
                | DataType::Int16
                | DataType::Int32
                | DataType::Int64
        )
    }

    /// Whether this is an integer, float, decimal, date or time type (ordered numerically).
    pub fn is_numeric_like(&self) -> bool {
        self.base().is_integer()
            || matches!(
                self.base(),
                DataType::Float32
                    | DataType::Float64
                    | DataType::Bool
                    | DataType::Decimal { .. }
                    | DataType::Date
                    | DataType::Date32
                    | DataType::DateTime(_)
                    | DataType::DateTime64(..)
            )
    }

    /// Whether a column of this type can be part of a sort or partition key.
    pub fn is_sortable(&self) -> bool {
        !matches!(
            self.base(),
            DataType::Array(_)
                | DataType::Map(..)
                | DataType::Nothing
                | DataType::AggregateFunction(_)
                | DataType::SimpleAggregateFunction(..)
        )
    }

    /// Whether a column of this type can be stored in a table.
    pub fn is_storable(&self) -> bool {
        match self {
            DataType::Nothing => false,
            DataType::Nullable(t) | DataType::LowCardinality(t) | DataType::Array(t) => {
                t.is_storable()
            }
            DataType::Map(k, v) => k.is_storable() && v.is_storable(),
            DataType::SimpleAggregateFunction(_, t) => t.is_storable(),
            _ => true,
        }
    }
}

/// Bytes of one ClickHouse decimal of `precision` digits (Decimal32/64/128/256).
pub fn decimal_width(precision: u8) -> usize {
    match precision {
        0..=9 => 4,
        10..=18 => 8,
        19..=38 => 16,
        _ => 32,
    }
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataType::UInt8 => f.write_str("UInt8"),
            DataType::UInt16 => f.write_str("UInt16"),
            DataType::UInt32 => f.write_str("UInt32"),
            DataType::UInt64 => f.write_str("UInt64"),
            DataType::Int8 => f.write_str("Int8"),
            DataType::Int16 => f.write_str("Int16"),
            DataType::Int32 => f.write_str("Int32"),
            DataType::Int64 => f.write_str("Int64"),
            DataType::Float32 => f.write_str("Float32"),
            DataType::Float64 => f.write_str("Float64"),
            DataType::Bool => f.write_str("Bool"),
            DataType::Decimal { precision, scale } => write!(f, "Decimal({precision}, {scale})"),
            DataType::String => f.write_str("String"),
            DataType::FixedString(n) => write!(f, "FixedString({n})"),
            DataType::Date => f.write_str("Date"),
            DataType::Date32 => f.write_str("Date32"),
            DataType::DateTime(None) => f.write_str("DateTime"),
            DataType::DateTime(Some(tz)) => write!(f, "DateTime('{}')", escape_quoted(tz)),
            DataType::DateTime64(p, None) => write!(f, "DateTime64({p})"),
            DataType::DateTime64(p, Some(tz)) => {
                write!(f, "DateTime64({p}, '{}')", escape_quoted(tz))
            }
            DataType::Uuid => f.write_str("UUID"),
            DataType::LowCardinality(t) => write!(f, "LowCardinality({t})"),
            DataType::Nullable(t) => write!(f, "Nullable({t})"),
            DataType::Array(t) => write!(f, "Array({t})"),
            DataType::Map(k, v) => write!(f, "Map({k}, {v})"),
            DataType::Nothing => f.write_str("Nothing"),
            DataType::AggregateFunction(a) => {
                write!(f, "AggregateFunction({}", a.function())?;
                for t in &a.args {
                    write!(f, ", {t}")?;
                }
                f.write_str(")")
            }
            DataType::SimpleAggregateFunction(name, t) => {
                write!(f, "SimpleAggregateFunction({name}, {t})")
            }
        }
    }
}

fn escape_quoted(s: &str) -> String {
    s.replace('\\', "\\\\").replace('\'', "\\'")
}

impl From<DataType> for String {
    fn from(t: DataType) -> String {
        t.to_string()
    }
}

impl TryFrom<String> for DataType {
    type Error = StorageError;
    fn try_from(s: String) -> Result<DataType> {
        DataType::parse(&s)
    }
}

impl std::str::FromStr for DataType {
    type Err = StorageError;
    fn from_str(s: &str) -> Result<DataType> {
        DataType::parse(s)
    }
}
