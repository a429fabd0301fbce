//! Comparisons: `equals`, `notEquals`, `less`, `greater`, `lessOrEquals`,
//! `greaterOrEquals`, returning UInt8 like ClickHouse. Mixed numeric types compare by
//! value (signed against unsigned included), strings by bytes, dates and times on a
//! common time type, and a String compared with a date, number or UUID is parsed as one.

use std::sync::Arc;

use arrow::array::{ArrayRef, BooleanArray, Scalar};
use arrow::compute::kernels::cmp;
use arrow::datatypes::{self as at, DataType as ArrowType};
use granary_storage::types::DataType;

use super::cast::cast_array;
use super::common::{binary_prim, bool_to_u8, check_arity, numeric_cast};
use super::string_eq;
use super::supertype::least_supertype;
use super::{FunctionRegistry, ScalarFunction};
use crate::columnar::ColumnarValue;
use crate::error::{ErrorCode, QueryError, Result};

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CmpOp {
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

/// One comparison function.
#[derive(Debug)]
struct Compare {
    name: &'static str,
    op: CmpOp,
}

/// How two operand types are brought together before comparing.
#[derive(Debug, Clone)]
enum Plan {
    /// Cast both to this ClickHouse type and compare with Arrow's kernels.
    Common(DataType),
    /// Compare as Float64 with IEEE semantics.
    Float,
    /// Both integers without a common type (UInt64 against signed): compare as i128.
    Wide,
}

fn is_int(t: &DataType) -> bool {
    t.is_integer() || matches!(t, DataType::Bool)
}

fn is_time(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Date | DataType::Date32 | DataType::DateTime(_) | DataType::DateTime64(..)
    )
}

fn is_str(t: &DataType) -> bool {
    matches!(t, DataType::String | DataType::FixedString(_))
}

fn plan(name: &str, a: &DataType, b: &DataType) -> Result<Plan> {
    let bad = || {
        QueryError::new(
            ErrorCode::IllegalTypeOfArgument,
            format!("Illegal types of arguments ({a}, {b}) of function {name}"),
        )
    };
    if a == b {
        return Ok(match a {
            DataType::Float32 | DataType::Float64 => Plan::Float,
            DataType::FixedString(_) => Plan::Common(DataType::String),
            DataType::Array(_) | DataType::Map(..) => return Err(bad()),
            t => Plan::Common(t.clone()),
        });
    }
    // A String against a non-string: parse the string as the other type.
    if is_str(a) && !is_str(b) {
        return plan_one_side(name, b);
    }
    if is_str(b) && !is_str(a) {
        return plan_one_side(name, a);
    }
    if is_str(a) && is_str(b) {
        return Ok(Plan::Common(DataType::String));
    }
    if is_time(a) || is_time(b) {
        if is_time(a) && is_time(b) {
            return Ok(Plan::Common(least_supertype(&[a.clone(), b.clone()])?));
        }
        // Date against a number: compare the number with the carrier value.
        return Ok(Plan::Wide);
    }
    let float = |t: &DataType| matches!(t, DataType::Float32 | DataType::Float64);
    if float(a) || float(b) {
        return Ok(Plan::Float);
    }
    if matches!(a, DataType::Decimal { .. }) || matches!(b, DataType::Decimal { .. }) {
        let s = |t: &DataType| match t {
            DataType::Decimal { scale, .. } => Some(*scale),
            t if is_int(t) => Some(0),
            _ => None,
        };
        let (Some(x), Some(y)) = (s(a), s(b)) else {
            return Err(bad());
        };
        return Ok(Plan::Common(DataType::Decimal {
            precision: 38,
            scale: x.max(y),
        }));
    }
    if is_int(a) && is_int(b) {
        return Ok(match least_supertype(&[a.clone(), b.clone()]) {
            Ok(t) => Plan::Common(t),
            Err(_) => Plan::Wide,
        });
    }
    if matches!(a, DataType::Uuid) && matches!(b, DataType::Uuid) {
        return Ok(Plan::Common(DataType::Uuid));
    }
    Err(bad())
}

fn plan_one_side(name: &str, t: &DataType) -> Result<Plan> {
    Ok(match t {
        DataType::Float32 | DataType::Float64 => Plan::Float,
        DataType::Array(_) | DataType::Map(..) | DataType::Nothing => {
            return Err(QueryError::new(
                ErrorCode::IllegalTypeOfArgument,
                format!("Illegal types of arguments (String, {t}) of function {name}"),
            ))
        }
        t => Plan::Common(t.clone()),
    })
}

fn cast_side(v: &ColumnarValue, from: &DataType, to: &DataType) -> Result<ArrayRef> {
    cast_array(v.as_array(), from, to)
}

fn datum(v: &ColumnarValue, a: ArrayRef) -> Box<dyn arrow::array::Datum> {
    if v.is_scalar() {
        Box::new(Scalar::new(a))
    } else {
        Box::new(a)
    }
}

/// Compares two values of ClickHouse types `ta` and `tb`; the result is a Boolean array
/// (length 1 when both are constants).
pub(crate) fn compare(
    op: CmpOp,
    a: &ColumnarValue,
    b: &ColumnarValue,
    ta: &DataType,
    tb: &DataType,
) -> Result<BooleanArray> {
    match plan("equals", ta, tb)? {
        Plan::Common(t) => {
            let (x, y) = (cast_side(a, ta, &t)?, cast_side(b, tb, &t)?);
            let column_and_constant = match (a.is_scalar(), b.is_scalar()) {
                (false, true) => Some((&x, &y)),
                (true, false) => Some((&y, &x)),
                _ => None,
            };
            if let Some((column, constant)) = column_and_constant
                .filter(|_| matches!(t, DataType::String) && matches!(op, CmpOp::Eq | CmpOp::Ne))
            {
                if let Some(r) = string_eq::constant_bytes(constant)
                    .and_then(|k| string_eq::eq_constant(column, k, op == CmpOp::Ne))
                {
                    return Ok(r);
                }
            }
            let (dx, dy) = (datum(a, x), datum(b, y));
            let r = match op {
                CmpOp::Eq => cmp::eq(dx.as_ref(), dy.as_ref()),
                CmpOp::Ne => cmp::neq(dx.as_ref(), dy.as_ref()),
                CmpOp::Lt => cmp::lt(dx.as_ref(), dy.as_ref()),
                CmpOp::Le => cmp::lt_eq(dx.as_ref(), dy.as_ref()),
                CmpOp::Gt => cmp::gt(dx.as_ref(), dy.as_ref()),
                CmpOp::Ge => cmp::gt_eq(dx.as_ref(), dy.as_ref()),
            }?;
            Ok(r)
        }
        Plan::Float => {
            let f = |v: &ColumnarValue, t: &DataType| -> Result<ColumnarValue> {
                let arr = if is_str(t) || matches!(t, DataType::Decimal { .. }) {
                    cast_array(v.as_array(), t, &DataType::Float64)?
                } else {
                    numeric_cast(v.as_array(), &ArrowType::Float64)?
                };
                Ok(if v.is_scalar() {
                    ColumnarValue::Scalar(arr)
                } else {
                    ColumnarValue::Array(arr)
                })
            };
            let (x, y) = (f(a, ta)?, f(b, tb)?);
            type F = at::Float64Type;
            type U = at::UInt8Type;
            let r = match op {
                CmpOp::Eq => binary_prim::<F, F, U, _>(&x, &y, |p, q| (p == q) as u8),
                CmpOp::Ne => binary_prim::<F, F, U, _>(&x, &y, |p, q| (p != q) as u8),
                CmpOp::Lt => binary_prim::<F, F, U, _>(&x, &y, |p, q| (p < q) as u8),
                CmpOp::Le => binary_prim::<F, F, U, _>(&x, &y, |p, q| (p <= q) as u8),
                CmpOp::Gt => binary_prim::<F, F, U, _>(&x, &y, |p, q| (p > q) as u8),
                CmpOp::Ge => binary_prim::<F, F, U, _>(&x, &y, |p, q| (p >= q) as u8),
            }?;
            u8_to_bool(r.as_array())
        }
        Plan::Wide => {
            // Integers compared exactly through Decimal128(38, 0).
            let d = ArrowType::Decimal128(38, 0);
            let w = |v: &ColumnarValue| -> Result<ArrayRef> {
                let i = numeric_cast(v.as_array(), &ArrowType::Int64);
                match v.data_type() {
                    ArrowType::UInt64 => Ok(arrow::compute::cast(v.as_array(), &d)?),
                    _ => Ok(arrow::compute::cast(&i?, &d)?),
                }
            };
            let (x, y) = (w(a)?, w(b)?);
            let (dx, dy) = (datum(a, x), datum(b, y));
            Ok(match op {
                CmpOp::Eq => cmp::eq(dx.as_ref(), dy.as_ref()),
                CmpOp::Ne => cmp::neq(dx.as_ref(), dy.as_ref()),
                CmpOp::Lt => cmp::lt(dx.as_ref(), dy.as_ref()),
                CmpOp::Le => cmp::lt_eq(dx.as_ref(), dy.as_ref()),
                CmpOp::Gt => cmp::gt(dx.as_ref(), dy.as_ref()),
                CmpOp::Ge => cmp::gt_eq(dx.as_ref(), dy.as_ref()),
            }?)
        }
    }
}

fn u8_to_bool(a: &ArrayRef) -> Result<BooleanArray> {
    super::common::to_bool(a)
}

impl ScalarFunction for Compare {
    fn name(&self) -> &'static str {
        self.name
    }

    fn return_type(&self, args: &[DataType], _c: &[Option<ArrayRef>]) -> Result<DataType> {
        check_arity(self.name, args, 2, 2)?;
        plan(self.name, &args[0], &args[1])?;
        Ok(DataType::UInt8)
    }

    fn eval(
        &self,
        args: &[ColumnarValue],
        types: &[DataType],
        _r: &DataType,
        _rows: usize,
    ) -> Result<ColumnarValue> {
        let (a, b) = (&args[0], &args[1]);
        let r = compare(self.op, a, b, &types[0], &types[1]).map_err(|e| {
            if e.code() == ErrorCode::IllegalTypeOfArgument as i32 {
                QueryError::new(
                    ErrorCode::IllegalTypeOfArgument,
                    e.message().replace("equals", self.name),
                )
            } else {
                e
            }
        })?;
        let out: ArrayRef = Arc::new(bool_to_u8(&r));
        Ok(if a.is_scalar() && b.is_scalar() {
            ColumnarValue::Scalar(out)
        } else {
            ColumnarValue::Array(out)
        })
    }
}

/// Registers the comparison functions.
pub fn register(r: &mut FunctionRegistry) {
    for (name, op) in [
        ("equals", CmpOp::Eq),
        ("notEquals", CmpOp::Ne),
        ("less", CmpOp::Lt),
        ("lessOrEquals", CmpOp::Le),
        ("greater", CmpOp::Gt),
        ("greaterOrEquals", CmpOp::Ge),
    ] {
        r.register(Arc::new(Compare { name, op }));
    }
}

#[cfg(test)]
mod tests {
    use crate::functions::testutil::*;

    fn ev(name: &str, args: Vec<Arg>) -> Vec<String> {
        let (v, t) = eval_text(name, args).unwrap();
        assert!(t == "UInt8" || t == "Nullable(UInt8)", "{t}");
        v
    }

    // chdb: SELECT toUInt64(18446744073709551615) > toInt64(-1) -> 1; toInt8(-1) < toUInt8(1) -> 1;
    // nan = nan -> 0; 0. = -0. -> 1; toDate('2013-07-01') = '2013-07-01' -> 1;
    // toDateTime('2013-07-01 00:00:00') = toDate('2013-07-01') -> 1; 'abc' < 'abd' -> 1
    #[test]
    fn comparisons() {
        assert_eq!(
            ev(
                "greater",
                vec![
                    col("UInt64", &["18446744073709551615", "0"]),
                    konst("Int64", "-1")
                ]
            ),
            ["1", "1"]
        );
        assert_eq!(
            ev("less", vec![col("Int8", &["-1"]), col("UInt8", &["1"])]),
            ["1"]
        );
        assert_eq!(
            ev(
                "equals",
                vec![
                    col("Float64", &["nan", "0", "1"]),
                    col("Float64", &["nan", "-0", "1.0"])
                ]
            ),
            ["0", "1", "1"]
        );
        assert_eq!(
            ev(
                "equals",
                vec![
                    col("Date", &["2013-07-01", "2013-07-02"]),
                    s_const("2013-07-01")
                ]
            ),
            ["1", "0"]
        );
        assert_eq!(
            ev(
                "lessOrEquals",
                vec![
                    col("DateTime", &["2013-07-01 00:00:00"]),
                    konst("Date", "2013-07-01")
                ]
            ),
            ["1"]
        );
        assert_eq!(
            ev("less", vec![s_col(&["abc", "abd", ""]), s_const("abd")]),
            ["1", "0", "1"]
        );
        assert_eq!(
            ev(
                "notEquals",
                vec![col("Nullable(Int32)", &["1", "\\N"]), konst("UInt8", "1")]
            ),
            ["0", "\\N"]
        );
        assert_eq!(
            ev(
                "equals",
                vec![
                    col("Decimal(9, 2)", &["1.5"]),
                    konst("Decimal(18, 3)", "1.500")
                ]
            ),
            ["1"]
        );
        assert_eq!(
            ev(
                "greaterOrEquals",
                vec![col("Decimal(9, 2)", &["1.5"]), konst("Float64", "1.4")]
            ),
            ["1"]
        );
        assert_eq!(
            ev(
                "equals",
                vec![
                    col("UUID", &["61f0c404-5cb3-11e7-907b-a6006ad3dba0"]),
                    s_const("61f0c404-5cb3-11e7-907b-a6006ad3dba0")
                ]
            ),
            ["1"]
        );
        assert_eq!(
            ev("equals", vec![col("UInt32", &["5"]), s_const("5")]),
            ["1"]
        );
        assert_eq!(
            ev(
                "equals",
                vec![col("FixedString(2)", &["ab"]), s_const("ab")]
            ),
            ["1"]
        );
        let (v, _) = crate::functions::testutil::call(
            "equals",
            vec![konst("UInt8", "1"), konst("UInt8", "1")],
        )
        .unwrap();
        assert!(v.is_scalar());
        assert_eq!(
            eval_text("equals", vec![col("Date", &["2020-01-01"]), s_const("x")])
                .unwrap_err()
                .code(),
            38
        );
        assert_eq!(
            eval_text(
                "less",
                vec![
                    col("UUID", &["61f0c404-5cb3-11e7-907b-a6006ad3dba0"]),
                    konst("UInt8", "1")
                ]
            )
            .unwrap_err()
            .code(),
            43
        );
    }
}
