//! ClickHouse's `getLeastSupertype`: the narrowest type every value of several types
//! converts to (used by `if`, `multiIf`, `coalesce`, `greatest`, UNION and IN).

use granary_storage::types::DataType;

use crate::error::{ErrorCode, QueryError, Result};

fn no_common(types: &[DataType], why: &str) -> QueryError {
    let names: Vec<String> = types.iter().map(|t| t.to_string()).collect();
    // ClickHouse raises NO_COMMON_TYPE (386); the engine's closest code is TYPE_MISMATCH.
    QueryError::new(
        ErrorCode::TypeMismatch,
        format!(
            "There is no supertype for types {} because {why}",
            names.join(", ")
        ),
    )
}

/// Size in bits and signedness of an integer type; Bool counts as UInt8.
fn int_info(t: &DataType) -> Option<(u32, bool)> {
    Some(match t {
        DataType::UInt8 | DataType::Bool => (8, false),
        DataType::UInt16 => (16, false),
        DataType::UInt32 => (32, false),
        DataType::UInt64 => (64, false),
        DataType::Int8 => (8, true),
        DataType::Int16 => (16, true),
        DataType::Int32 => (32, true),
        DataType::Int64 => (64, true),
        _ => return None,
    })
}

/// Decimal digits needed for the whole part of an integer type.
fn int_digits(t: &DataType) -> Option<u8> {
    Some(match int_info(t)? {
        (8, _) => 3,
        (16, _) => 5,
        (32, _) => 10,
        (64, false) => 20,
        _ => 19,
    })
}

/// The integer type of `bits` bits.
fn int_type(bits: u32, signed: bool) -> DataType {
    match (bits, signed) {
        (8, false) => DataType::UInt8,
        (16, false) => DataType::UInt16,
        (32, false) => DataType::UInt32,
        (64, false) => DataType::UInt64,
        (8, true) => DataType::Int8,
        (16, true) => DataType::Int16,
        (32, true) => DataType::Int32,
        _ => DataType::Int64,
    }
}

/// The precision of the smallest ClickHouse decimal class holding `digits` digits.
pub(crate) fn decimal_class_precision(digits: u8) -> u8 {
    match digits {
        0..=9 => 9,
        10..=18 => 18,
        19..=38 => 38,
        _ => 76,
    }
}

/// The least common supertype of `types`, as ClickHouse's `getLeastSupertype`:
/// `Nullable` when any is nullable (or a bare NULL), numbers widen (signed and unsigned
/// mix into a wider signed type, any float makes a float), strings and fixed strings
/// give `String`, dates and times the widest time type, decimals the widest scale.
/// `LowCardinality` is dropped. Errors (TYPE_MISMATCH; ClickHouse says NO_COMMON_TYPE)
/// when no such type exists.
pub fn least_supertype(types: &[DataType]) -> Result<DataType> {
    if types.is_empty() {
        return Ok(DataType::Nullable(Box::new(DataType::Nothing)));
    }
    let mut nullable = false;
    let mut inner: Vec<DataType> = Vec::with_capacity(types.len());
    for t in types {
        if t.is_nullable() {
            nullable = true;
        }
        let b = strip_all(t);
        if b != DataType::Nothing {
            inner.push(b);
        }
    }
    if inner.is_empty() {
        return Ok(DataType::Nullable(Box::new(DataType::Nothing)));
    }
    let base = supertype_non_null(&inner)?;
    Ok(if nullable && can_be_nullable(&base) {
        DataType::Nullable(Box::new(base))
    } else {
        base
    })
}

fn can_be_nullable(t: &DataType) -> bool {
    !matches!(
        t,
        DataType::Array(_) | DataType::Map(..) | DataType::Nullable(_)
    )
}

/// Removes `Nullable`/`LowCardinality` at the top (and inside `LowCardinality`).
fn strip_all(t: &DataType) -> DataType {
    match t {
        DataType::Nullable(i) | DataType::LowCardinality(i) => strip_all(i),
        other => other.clone(),
    }
}

fn supertype_non_null(types: &[DataType]) -> Result<DataType> {
    let first = &types[0];
    if types.iter().all(|t| t == first) {
        return Ok(first.clone());
    }
    // Arrays.
    if types.iter().any(|t| matches!(t, DataType::Array(_))) {
        let mut elems = Vec::new();
        for t in types {
            match t {
                DataType::Array(e) => elems.push((**e).clone()),
                _ => {
                    return Err(no_common(
                        types,
                        "some of them are Array and some of them are not",
                    ))
                }
            }
        }
        return Ok(DataType::Array(Box::new(least_supertype(&elems)?)));
    }
    // Strings.
    let stringish = |t: &DataType| matches!(t, DataType::String | DataType::FixedString(_));
    if types.iter().any(stringish) {
        if types.iter().all(stringish) {
            return Ok(DataType::String);
        }
        return Err(no_common(
            types,
            "some of them are String/FixedString and some of them are not",
        ));
    }
    // Dates and times.
    let timeish = |t: &DataType| {
        matches!(
            t,
            DataType::Date | DataType::Date32 | DataType::DateTime(_) | DataType::DateTime64(..)
        )
    };
    if types.iter().any(timeish) {
        if !types.iter().all(timeish) {
            return Err(no_common(
                types,
                "some of them are Date/Date32/DateTime/DateTime64 and some of them are not",
            ));
        }
        let mut max_p: Option<u8> = None;
        let mut tz: Option<String> = None;
        let mut has_dt = false;
        let mut has_d32 = false;
        for t in types {
            match t {
                DataType::DateTime64(p, z) => {
                    max_p = Some(max_p.map_or(*p, |m| m.max(*p)));
                    if tz.is_none() {
                        tz = z.clone();
                    }
                }
                DataType::DateTime(z) => {
                    has_dt = true;
                    if tz.is_none() {
                        tz = z.clone();
                    }
                }
                DataType::Date32 => has_d32 = true,
                _ => {}
            }
        }
        return Ok(match max_p {
            Some(p) => DataType::DateTime64(p, tz),
            None if has_dt => DataType::DateTime(tz),
            None if has_d32 => DataType::Date32,
            None => DataType::Date,
        });
    }
    if types.iter().any(|t| matches!(t, DataType::Uuid)) {
        return Err(no_common(
            types,
            "some of them are UUID and some of them are not",
        ));
    }
    // Decimals.
    if types.iter().any(|t| matches!(t, DataType::Decimal { .. })) {
        let mut whole = 0u8;
        let mut scale = 0u8;
        for t in types {
            match t {
                DataType::Decimal {
                    precision,
                    scale: s,
                } => {
                    whole = whole.max(precision - s);
                    scale = scale.max(*s);
                }
                t => match int_digits(t) {
                    Some(d) => whole = whole.max(d),
                    None => {
                        return Err(no_common(
                            types,
                            "some of them are Decimal and some of them are not integers",
                        ))
                    }
                },
            }
        }
        let digits = whole.saturating_add(scale).min(76);
        return Ok(DataType::Decimal {
            precision: decimal_class_precision(digits),
            scale,
        });
    }
    // Numbers.
    if types.iter().all(|t| matches!(t, DataType::Bool)) {
        return Ok(DataType::Bool);
    }
    let mut max_float = 0u32;
    let mut max_signed = 0u32;
    let mut max_unsigned = 0u32;
    for t in types {
        match t {
            DataType::Float32 => max_float = max_float.max(32),
            DataType::Float64 => max_float = max_float.max(64),
            t => match int_info(t) {
                Some((b, true)) => max_signed = max_signed.max(b),
                Some((b, false)) => max_unsigned = max_unsigned.max(b),
                None => return Err(no_common(types, "they are not all numbers")),
            },
        }
    }
    if max_float > 0 {
        let max_int = max_signed.max(max_unsigned);
        return Ok(if max_float == 32 && max_int <= 16 {
            DataType::Float32
        } else {
            DataType::Float64
        });
    }
    if max_signed > 0 && max_unsigned > 0 {
        let bits = max_signed.max(max_unsigned * 2);
        if bits > 64 {
            return Err(no_common(
                types,
                "some of them are signed integers and some are unsigned integers, but there is no signed integer type that can exactly represent all their values",
            ));
        }
        return Ok(int_type(bits, true));
    }
    if max_signed > 0 {
        Ok(int_type(max_signed, true))
    } else {
        Ok(int_type(max_unsigned, false))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> DataType {
        DataType::parse(s).unwrap()
    }

    fn sup(ts: &[&str]) -> String {
        let v: Vec<DataType> = ts.iter().map(|t| p(t)).collect();
        least_supertype(&v)
            .map(|t| t.to_string())
            .unwrap_or_else(|e| format!("ERR {e}"))
    }

    // chdb: SELECT toTypeName([toUInt32(1), toInt8(1)]), ... (see module docs)
    #[test]
    fn clickhouse_supertypes() {
        assert_eq!(sup(&["UInt32", "Int8"]), "Int64");
        assert_eq!(sup(&["Int16", "Float32"]), "Float32");
        assert_eq!(sup(&["Int32", "Float32"]), "Float64");
        assert_eq!(sup(&["Decimal(9, 2)", "Decimal(18, 4)"]), "Decimal(18, 4)");
        assert_eq!(sup(&["Decimal(9, 2)", "Int64"]), "Decimal(38, 2)");
        assert_eq!(sup(&["Decimal(9, 2)", "Int8"]), "Decimal(9, 2)");
        assert_eq!(sup(&["Date", "DateTime"]), "DateTime");
        assert_eq!(sup(&["Date", "Date32"]), "Date32");
        assert_eq!(sup(&["DateTime", "DateTime64(3)"]), "DateTime64(3)");
        assert_eq!(sup(&["Nullable(Nothing)", "UInt8"]), "Nullable(UInt8)");
        assert_eq!(sup(&["FixedString(1)", "String"]), "String");
        assert_eq!(sup(&["LowCardinality(String)", "String"]), "String");
        assert_eq!(
            sup(&["UInt8", "UInt16", "Nullable(UInt8)"]),
            "Nullable(UInt16)"
        );
        assert!(sup(&["String", "UInt8"]).starts_with("ERR"));
        assert!(sup(&["UInt64", "Int64"]).starts_with("ERR"));
    }
}
