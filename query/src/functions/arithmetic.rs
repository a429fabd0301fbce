//! Arithmetic: `plus`, `minus`, `multiply`, `divide`, `intDiv`, `intDivOrZero`, `modulo`,
//! `moduloOrZero`, `negate`, `abs`, with ClickHouse's result types (integers widen to the
//! next size for `+`/`*`, `-` is signed, `/` is Float64), wrapping integer overflow,
//! Decimal scale rules and Date/DateTime arithmetic.

use std::sync::Arc;

use arrow::array::{ArrayRef, AsArray, PrimitiveArray};
use arrow::datatypes::{self as at, ArrowPrimitiveType};
use granary_storage::types::DataType;

use super::cast::{cast_array, decimal_i128, make_decimal};
use super::common::{binary_prim, check_arity, idx, numeric_cast, with_numeric, Num};
use super::{FunctionRegistry, ScalarFunction};
use crate::columnar::ColumnarValue;
use crate::error::{ErrorCode, QueryError, Result};

/// The arithmetic operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Plus,
    Minus,
    Multiply,
    Divide,
    IntDiv,
    IntDivOrZero,
    Modulo,
    ModuloOrZero,
}

/// A classified operand type.
#[derive(Clone, Debug, PartialEq)]
enum K {
    Int(u32, bool),
    Float,
    Decimal(u8, u8),
    Date,
    Date32,
    DateTime(Option<String>),
    DateTime64(u8, Option<String>),
}

fn classify(t: &DataType) -> Option<K> {
    Some(match t {
        DataType::UInt8 | DataType::Bool => K::Int(8, false),
        DataType::UInt16 => K::Int(16, false),
        DataType::UInt32 => K::Int(32, false),
        DataType::UInt64 => K::Int(64, false),
        DataType::Int8 => K::Int(8, true),
        DataType::Int16 => K::Int(16, true),
        DataType::Int32 => K::Int(32, true),
        DataType::Int64 => K::Int(64, true),
        DataType::Float32 | DataType::Float64 => K::Float,
        DataType::Decimal { precision, scale } => K::Decimal(*precision, *scale),
        DataType::Date => K::Date,
        DataType::Date32 => K::Date32,
        DataType::DateTime(z) => K::DateTime(z.clone()),
        DataType::DateTime64(p, z) => K::DateTime64(*p, z.clone()),
        _ => return None,
    })
}

fn int_type(bits: u32, signed: bool) -> DataType {
    match (bits.min(64), signed) {
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

fn next(bits: u32) -> u32 {
    (bits * 2).min(64)
}

/// A binary arithmetic function.
#[derive(Debug)]
struct Arith {
    name: &'static str,
    op: Op,
}

fn illegal_types(name: &str, a: &DataType, b: &DataType) -> QueryError {
    QueryError::new(
        ErrorCode::IllegalTypeOfArgument,
        format!("Illegal types {a} and {b} of arguments of function {name}"),
    )
}

fn div_zero() -> QueryError {
    QueryError::new(ErrorCode::IllegalDivision, "Division by zero")
}

impl Arith {
    fn result(&self, a: &DataType, b: &DataType) -> Result<DataType> {
        let err = || illegal_types(self.name, a, b);
        let (ka, kb) = (classify(a).ok_or_else(err)?, classify(b).ok_or_else(err)?);
        use K::*;
        let op = self.op;
        Ok(match (&ka, &kb) {
            (Int(x, sx), Int(y, sy)) => match op {
                Op::Plus | Op::Multiply => int_type(next(*x.max(y)), *sx || *sy),
                Op::Minus => int_type(next(*x.max(y)), true),
                Op::Divide => DataType::Float64,
                Op::IntDiv | Op::IntDivOrZero => int_type(*x, *sx || *sy),
                Op::Modulo | Op::ModuloOrZero => {
                    if *sx {
                        int_type(next(*y), true)
                    } else {
                        int_type(*y, false)
                    }
                }
            },
            (Float, Int(..)) | (Int(..), Float) | (Float, Float) => match op {
                Op::IntDiv | Op::IntDivOrZero => match (a, &ka) {
                    (DataType::Float32, _) => DataType::Int32,
                    (_, Int(x, _)) => int_type(*x, true),
                    _ => DataType::Int64,
                },
                _ => DataType::Float64,
            },
            (Decimal(..), Float) | (Float, Decimal(..)) => match op {
                Op::IntDiv | Op::IntDivOrZero => DataType::Int64,
                _ => DataType::Float64,
            },
            (Decimal(p1, s1), Decimal(p2, s2)) => {
                let p = *p1.max(p2);
                match op {
                    Op::Plus | Op::Minus => DataType::Decimal {
                        precision: p,
                        scale: *s1.max(s2),
                    },
                    Op::Multiply => {
                        if s1 + s2 > p {
                            return Err(QueryError::new(
                                ErrorCode::ArgumentOutOfBound,
                                "Decimal result's scale is out of bounds",
                            ));
                        }
                        DataType::Decimal {
                            precision: p,
                            scale: s1 + s2,
                        }
                    }
                    Op::Divide => {
                        if s2 > s1 {
                            return Err(QueryError::new(
                                ErrorCode::ArgumentOutOfBound,
                                "Decimal result's scale is less than argument's one",
                            ));
                        }
                        DataType::Decimal {
                            precision: p,
                            scale: *s1,
                        }
                    }
                    Op::IntDiv | Op::IntDivOrZero => DataType::Int64,
                    Op::Modulo | Op::ModuloOrZero => DataType::Decimal {
                        precision: p,
                        scale: *s1.max(s2),
                    },
                }
            }
            (Decimal(p, s), Int(..)) | (Int(..), Decimal(p, s)) => match op {
                Op::IntDiv | Op::IntDivOrZero => DataType::Int64,
                _ => DataType::Decimal {
                    precision: *p,
                    scale: *s,
                },
            },
            (Date, Int(..) | Float) if matches!(op, Op::Plus | Op::Minus) => DataType::Date,
            (Int(..) | Float, Date) if op == Op::Plus => DataType::Date,
            (Date32, Int(..) | Float) if matches!(op, Op::Plus | Op::Minus) => DataType::Date32,
            (Int(..) | Float, Date32) if op == Op::Plus => DataType::Date32,
            (DateTime(_), Int(..) | Float) if matches!(op, Op::Plus | Op::Minus) => a.clone(),
            (Int(..) | Float, DateTime(_)) if op == Op::Plus => b.clone(),
            (DateTime64(..), Int(..) | Float) if matches!(op, Op::Plus | Op::Minus) => a.clone(),
            (Int(..) | Float, DateTime64(..)) if op == Op::Plus => b.clone(),
            (Date, Date)
            | (Date32, Date32)
            | (Date, Date32)
            | (Date32, Date)
            | (DateTime(_), DateTime(_))
                if op == Op::Minus =>
            {
                DataType::Int32
            }
            _ => return Err(err()),
        })
    }
}

/// The wrapping integer / plain float operations on a native type.
trait Wrapping: Num {
    fn add(self, o: Self) -> Self;
    fn sub(self, o: Self) -> Self;
    fn mul(self, o: Self) -> Self;
}
macro_rules! wrapping_int {
    ($($t:ty),*) => {$(
        impl Wrapping for $t {
            #[inline(always)] fn add(self, o: Self) -> Self { self.wrapping_add(o) }
            #[inline(always)] fn sub(self, o: Self) -> Self { self.wrapping_sub(o) }
            #[inline(always)] fn mul(self, o: Self) -> Self { self.wrapping_mul(o) }
        }
    )*};
}
wrapping_int!(u8, u16, u32, u64, i8, i16, i32, i64);
macro_rules! plain_float {
    ($($t:ty),*) => {$(
        impl Wrapping for $t {
            #[inline(always)] fn add(self, o: Self) -> Self { self + o }
            #[inline(always)] fn sub(self, o: Self) -> Self { self - o }
            #[inline(always)] fn mul(self, o: Self) -> Self { self * o }
        }
    )*};
}
plain_float!(f32, f64);

fn cast_value(v: &ColumnarValue, to: &at::DataType) -> Result<ColumnarValue> {
    let a = numeric_cast(v.as_array(), to)?;
    Ok(match v {
        ColumnarValue::Scalar(_) => ColumnarValue::Scalar(a),
        ColumnarValue::Array(_) => ColumnarValue::Array(a),
    })
}

fn same_type_op(
    op: Op,
    a: &ColumnarValue,
    b: &ColumnarValue,
    t: &at::DataType,
) -> Result<ColumnarValue> {
    let a = cast_value(a, t)?;
    let b = cast_value(b, t)?;
    with_numeric!(t, T => {
        type N = <T as ArrowPrimitiveType>::Native;
        match op {
            Op::Plus => binary_prim::<T, T, T, _>(&a, &b, |x: N, y: N| x.add(y)),
            Op::Minus => binary_prim::<T, T, T, _>(&a, &b, |x: N, y: N| x.sub(y)),
            _ => binary_prim::<T, T, T, _>(&a, &b, |x: N, y: N| x.mul(y)),
        }
    }, _ => Err(QueryError::new(ErrorCode::LogicalError, format!("arithmetic on {t}"))))
}

/// Values as i128 (integers exact, floats truncated).
fn to_i128(v: &ColumnarValue) -> Result<Vec<i128>> {
    let a = v.as_array();
    with_numeric!(a.data_type(), T => {
        Ok(a.as_primitive::<T>().values().iter().map(|x| x.to_i128()).collect())
    }, _ => {
        let b = numeric_cast(a, &at::DataType::Int64)?;
        Ok(b.as_primitive::<at::Int64Type>().values().iter().map(|x| *x as i128).collect())
    })
}

fn from_i128(v: Vec<i128>, t: &at::DataType, scalar: bool) -> Result<ColumnarValue> {
    let arr: ArrayRef = with_numeric!(t, T => {
        Arc::new(PrimitiveArray::<T>::from_iter_values(v.into_iter().map(<T as ArrowPrimitiveType>::Native::from_i128)))
    }, _ => return Err(QueryError::new(ErrorCode::LogicalError, format!("integer result {t}"))));
    Ok(if scalar {
        ColumnarValue::Scalar(arr)
    } else {
        ColumnarValue::Array(arr)
    })
}

/// Integer division / modulo in i128, wrapped to the result type. NULL rows are skipped.
fn int_div_mod(
    op: Op,
    a: &ColumnarValue,
    b: &ColumnarValue,
    rows: usize,
    t: &at::DataType,
) -> Result<ColumnarValue> {
    let scalar = a.is_scalar() && b.is_scalar();
    let n = if scalar { 1 } else { rows };
    let (x, y) = (to_i128(a)?, to_i128(b)?);
    let bn = b.as_array().logical_nulls();
    let an = a.as_array().logical_nulls();
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let (p, q) = (x[idx(a, i)], y[idx(b, i)]);
        if q == 0 {
            let null = bn.as_ref().is_some_and(|m| m.is_null(idx(b, i)))
                || an.as_ref().is_some_and(|m| m.is_null(idx(a, i)));
            if null || matches!(op, Op::IntDivOrZero | Op::ModuloOrZero) {
                out.push(0);
                continue;
            }
            return Err(div_zero());
        }
        out.push(match op {
            Op::IntDiv | Op::IntDivOrZero => p.wrapping_div(q),
            _ => p.wrapping_rem(q),
        });
    }
    from_i128(out, t, scalar)
}

fn float_op(op: Op, a: &ColumnarValue, b: &ColumnarValue) -> Result<ColumnarValue> {
    let a = cast_value(a, &at::DataType::Float64)?;
    let b = cast_value(b, &at::DataType::Float64)?;
    type F = at::Float64Type;
    match op {
        Op::Plus => binary_prim::<F, F, F, _>(&a, &b, |x, y| x + y),
        Op::Minus => binary_prim::<F, F, F, _>(&a, &b, |x, y| x - y),
        Op::Multiply => binary_prim::<F, F, F, _>(&a, &b, |x, y| x * y),
        Op::Divide => binary_prim::<F, F, F, _>(&a, &b, |x, y| x / y),
        _ => binary_prim::<F, F, F, _>(&a, &b, |x, y| x % y),
    }
}

/// Raw decimal values at `scale` of a decimal or integer operand.
fn decimal_raw(v: &ColumnarValue, t: &DataType, scale: u8) -> Result<Vec<i128>> {
    match t {
        DataType::Decimal { scale: s, .. } => {
            let d = decimal_i128(v.as_array(), t)?;
            let s = *s;
            Ok(if scale >= s {
                let m = 10i128.pow((scale - s) as u32);
                d.values().iter().map(|x| x.wrapping_mul(m)).collect()
            } else {
                let m = 10i128.pow((s - scale) as u32);
                d.values().iter().map(|x| x / m).collect()
            })
        }
        _ => {
            let m = 10i128.pow(scale as u32);
            Ok(to_i128(v)?.into_iter().map(|x| x.wrapping_mul(m)).collect())
        }
    }
}

fn dec_scale(t: &DataType) -> u8 {
    match t {
        DataType::Decimal { scale, .. } => *scale,
        _ => 0,
    }
}

fn decimal_op(
    op: Op,
    a: &ColumnarValue,
    b: &ColumnarValue,
    ta: &DataType,
    tb: &DataType,
    rt: &DataType,
    rows: usize,
) -> Result<ColumnarValue> {
    let DataType::Decimal { precision, scale } = rt else {
        // intDiv of decimals: through Float64 truncation.
        let f = float_op(Op::Divide, &to_f64(a, ta)?, &to_f64(b, tb)?)?;
        let fa = f.as_array().as_primitive::<at::Float64Type>();
        if fa.values().iter().any(|v| v.is_infinite() || v.is_nan())
            && !matches!(op, Op::IntDivOrZero)
        {
            return Err(div_zero());
        }
        let i: PrimitiveArray<at::Int64Type> =
            fa.unary(|v| if v.is_finite() { v as i64 } else { 0 });
        return Ok(if f.is_scalar() {
            ColumnarValue::Scalar(Arc::new(i))
        } else {
            ColumnarValue::Array(Arc::new(i))
        });
    };
    let scalar = a.is_scalar() && b.is_scalar();
    let n = if scalar { 1 } else { rows };
    let (sa, sb) = (dec_scale(ta), dec_scale(tb));
    let overflow = || {
        QueryError::new(
            ErrorCode::DecimalOverflow,
            format!("Decimal math overflow in function {}", op_name(op)),
        )
    };
    let mut out = Vec::with_capacity(n);
    let nulls_a = a.as_array().logical_nulls();
    let nulls_b = b.as_array().logical_nulls();
    match op {
        Op::Plus | Op::Minus | Op::Modulo | Op::ModuloOrZero => {
            let x = decimal_raw(a, ta, *scale)?;
            let y = decimal_raw(b, tb, *scale)?;
            for i in 0..n {
                let (p, q) = (x[idx(a, i)], y[idx(b, i)]);
                out.push(match op {
                    Op::Plus => p.checked_add(q).ok_or_else(overflow)?,
                    Op::Minus => p.checked_sub(q).ok_or_else(overflow)?,
                    _ => {
                        if q == 0 {
                            if op == Op::Modulo
                                && !nulls_b.as_ref().is_some_and(|m| m.is_null(idx(b, i)))
                            {
                                return Err(div_zero());
                            }
                            0
                        } else {
                            p % q
                        }
                    }
                });
            }
        }
        Op::Multiply => {
            let x = decimal_raw(a, ta, sa)?;
            let y = decimal_raw(b, tb, sb)?;
            for i in 0..n {
                out.push(
                    x[idx(a, i)]
                        .checked_mul(y[idx(b, i)])
                        .ok_or_else(overflow)?,
                );
            }
        }
        _ => {
            let x = decimal_raw(a, ta, sa)?;
            let y = decimal_raw(b, tb, sb)?;
            let shift = (*scale as i32 - sa as i32 + sb as i32).max(0) as u32;
            let m = 10i128.pow(shift);
            for i in 0..n {
                let q = y[idx(b, i)];
                if q == 0 {
                    let null = nulls_b.as_ref().is_some_and(|m| m.is_null(idx(b, i)))
                        || nulls_a.as_ref().is_some_and(|m| m.is_null(idx(a, i)));
                    if null {
                        out.push(0);
                        continue;
                    }
                    return Err(div_zero());
                }
                out.push(x[idx(a, i)].checked_mul(m).ok_or_else(overflow)? / q);
            }
        }
    }
    let arr = make_decimal(
        PrimitiveArray::<at::Decimal128Type>::from_iter_values(out),
        *precision,
        *scale,
    )?;
    Ok(if scalar {
        ColumnarValue::Scalar(arr)
    } else {
        ColumnarValue::Array(arr)
    })
}

fn to_f64(v: &ColumnarValue, t: &DataType) -> Result<ColumnarValue> {
    let a = cast_array(v.as_array(), t, &DataType::Float64)?;
    Ok(if v.is_scalar() {
        ColumnarValue::Scalar(a)
    } else {
        ColumnarValue::Array(a)
    })
}

fn op_name(op: Op) -> &'static str {
    match op {
        Op::Plus => "plus",
        Op::Minus => "minus",
        Op::Multiply => "multiply",
        Op::Divide => "divide",
        Op::IntDiv => "intDiv",
        Op::IntDivOrZero => "intDivOrZero",
        Op::Modulo => "modulo",
        Op::ModuloOrZero => "moduloOrZero",
    }
}

impl ScalarFunction for Arith {
    fn name(&self) -> &'static str {
        self.name
    }

    fn return_type(&self, args: &[DataType], _constants: &[Option<ArrayRef>]) -> Result<DataType> {
        check_arity(self.name, args, 2, 2)?;
        self.result(&args[0], &args[1])
    }

    fn eval(
        &self,
        args: &[ColumnarValue],
        types: &[DataType],
        result: &DataType,
        rows: usize,
    ) -> Result<ColumnarValue> {
        let (a, b) = (&args[0], &args[1]);
        let (ta, tb) = (&types[0], &types[1]);
        let (ka, kb) = (classify(ta), classify(tb));
        let op = self.op;
        match (&ka, &kb) {
            (Some(K::Decimal(..)), Some(K::Decimal(..) | K::Int(..)))
            | (Some(K::Int(..)), Some(K::Decimal(..))) => {
                return decimal_op(op, a, b, ta, tb, result, rows);
            }
            (Some(K::Decimal(..)), _) | (_, Some(K::Decimal(..))) => {
                let (fa, fb) = (to_f64(a, ta)?, to_f64(b, tb)?);
                return Arith {
                    name: self.name,
                    op,
                }
                .eval(
                    &[fa, fb],
                    &[DataType::Float64, DataType::Float64],
                    result,
                    rows,
                );
            }
            _ => {}
        }
        // Dates and times: compute in Int64 and wrap to the carrier.
        let time = |k: &Option<K>| {
            matches!(
                k,
                Some(K::Date | K::Date32 | K::DateTime(_) | K::DateTime64(..))
            )
        };
        if time(&ka) || time(&kb) {
            let (ta_, a_, tb_, b_) = if time(&kb) && !time(&ka) {
                (tb, b, ta, a)
            } else {
                (ta, a, tb, b)
            };
            let mut other = cast_value(b_, &at::DataType::Int64)?;
            if let DataType::DateTime64(p, _) = ta_ {
                if !matches!(tb_, DataType::DateTime64(..)) {
                    let m = 10i64.pow(*p as u32);
                    other = binary_prim::<at::Int64Type, at::Int64Type, at::Int64Type, _>(
                        &other,
                        &ColumnarValue::Scalar(Arc::new(PrimitiveArray::<at::Int64Type>::from(
                            vec![m],
                        ))),
                        |x, y| x.wrapping_mul(y),
                    )?;
                }
            }
            let this = cast_value(a_, &at::DataType::Int64)?;
            let r = same_type_op(op, &this, &other, &at::DataType::Int64)?;
            return cast_value(&r, &result.to_arrow());
        }
        let rt = result.to_arrow();
        match op {
            Op::Divide => float_op(op, a, b),
            Op::Plus | Op::Minus | Op::Multiply => same_type_op(op, a, b, &rt),
            _ if matches!(ka, Some(K::Float)) || matches!(kb, Some(K::Float)) => {
                if matches!(op, Op::Modulo | Op::ModuloOrZero) {
                    return float_op(op, a, b);
                }
                let fa = cast_value(a, &at::DataType::Float64)?;
                let fb = cast_value(b, &at::DataType::Float64)?;
                int_div_mod(
                    op,
                    &cast_value(&fa, &at::DataType::Int64)?,
                    &cast_value(&fb, &at::DataType::Int64)?,
                    rows,
                    &rt,
                )
            }
            _ => int_div_mod(op, a, b, rows, &rt),
        }
    }
}

/// `negate` and `abs`.
#[derive(Debug)]
struct Unary {
    name: &'static str,
    abs: bool,
}

impl ScalarFunction for Unary {
    fn name(&self) -> &'static str {
        self.name
    }

    fn return_type(&self, args: &[DataType], _c: &[Option<ArrayRef>]) -> Result<DataType> {
        check_arity(self.name, args, 1, 1)?;
        Ok(match classify(&args[0]) {
            Some(K::Int(b, s)) => {
                if self.abs {
                    int_type(b, false)
                } else if s {
                    int_type(b, true)
                } else {
                    int_type(next(b), true)
                }
            }
            Some(K::Float) => args[0].clone(),
            Some(K::Decimal(..)) => args[0].clone(),
            _ => return Err(super::common::illegal_type(self.name, &args[0], 0)),
        })
    }

    fn eval(
        &self,
        args: &[ColumnarValue],
        types: &[DataType],
        result: &DataType,
        _rows: usize,
    ) -> Result<ColumnarValue> {
        let a = &args[0];
        if let DataType::Decimal { precision, scale } = result {
            let d = decimal_i128(a.as_array(), &types[0])?;
            let r: PrimitiveArray<at::Decimal128Type> = if self.abs {
                d.unary(|x| x.wrapping_abs())
            } else {
                d.unary(|x| x.wrapping_neg())
            };
            let arr = make_decimal(r, *precision, *scale)?;
            return Ok(if a.is_scalar() {
                ColumnarValue::Scalar(arr)
            } else {
                ColumnarValue::Array(arr)
            });
        }
        let rt = result.to_arrow();
        // Compute in the signed type of the result's width, then reinterpret.
        let src = cast_value(a, &types[0].to_arrow())?;
        let out: ArrayRef = with_numeric!(src.data_type(), T => {
            let p = src.as_array().as_primitive::<T>();
            let abs = self.abs;
            let f: PrimitiveArray<at::Float64Type>;
            if matches!(rt, at::DataType::Float32 | at::DataType::Float64) {
                f = p.unary(|x| { let v = x.to_f64(); if abs { v.abs() } else { -v } });
                numeric_cast(&(Arc::new(f) as ArrayRef), &rt)?
            } else {
                let r: PrimitiveArray<at::Int64Type> = p.unary(|x| {
                    let v = x.to_i128();
                    (if abs { v.abs() } else { -v }) as i64
                });
                numeric_cast(&(Arc::new(r) as ArrayRef), &rt)?
            }
        }, _ => return Err(super::common::illegal_type(self.name, &types[0], 0)));
        Ok(if a.is_scalar() {
            ColumnarValue::Scalar(out)
        } else {
            ColumnarValue::Array(out)
        })
    }
}

/// Registers the arithmetic functions.
pub fn register(r: &mut FunctionRegistry) {
    for (name, op) in [
        ("plus", Op::Plus),
        ("minus", Op::Minus),
        ("multiply", Op::Multiply),
        ("divide", Op::Divide),
        ("intDiv", Op::IntDiv),
        ("intDivOrZero", Op::IntDivOrZero),
        ("modulo", Op::Modulo),
        ("moduloOrZero", Op::ModuloOrZero),
    ] {
        r.register(Arc::new(Arith { name, op }));
    }
    r.alias("mod", "modulo", true);
    r.register(Arc::new(Unary {
        name: "negate",
        abs: false,
    }));
    r.register_case_insensitive(Arc::new(Unary {
        name: "abs",
        abs: true,
    }));
}

#[cfg(test)]
mod tests;
