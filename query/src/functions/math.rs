//! Math functions: `round`, `roundBankers`, `floor`, `ceil`, `trunc`, `sqrt`, `exp`, `log`,
//! `log2`, `log10`, `pow`, `sign`, `pi`, `e`, `greatest`, `least`.

use std::sync::Arc;

use arrow::array::{ArrayRef, AsArray, Float64Array};
use arrow::datatypes as at;
use granary_storage::types::DataType;

use super::cast::cast_array;
use super::common::{binary_prim, check_arity, const_i64, illegal_type, numeric_cast};
use super::comparison::{compare, CmpOp};
use super::supertype::least_supertype;
use super::{FunctionRegistry, ScalarFunction};
use crate::columnar::ColumnarValue;
use crate::error::Result;

fn is_num(t: &DataType) -> bool {
    t.is_numeric_like()
        && !matches!(
            t,
            DataType::Date
                | DataType::Date32
                | DataType::DateTime(_)
                | DataType::DateTime64(..)
                | DataType::Decimal { .. }
        )
}

fn wrap(a: ArrayRef, s: bool) -> ColumnarValue {
    if s {
        ColumnarValue::Scalar(a)
    } else {
        ColumnarValue::Array(a)
    }
}

/// Rounding functions: keep the argument's type.
#[derive(Debug)]
struct Round {
    name: &'static str,
    /// 0 round (ties to even for floats), 1 floor, 2 ceil, 3 trunc.
    kind: u8,
}

impl ScalarFunction for Round {
    fn name(&self) -> &'static str {
        self.name
    }

    fn return_type(&self, args: &[DataType], _c: &[Option<ArrayRef>]) -> Result<DataType> {
        check_arity(self.name, args, 1, 2)?;
        if !is_num(&args[0]) {
            return Err(illegal_type(self.name, &args[0], 0));
        }
        Ok(if matches!(args[0], DataType::Bool) {
            DataType::UInt8
        } else {
            args[0].clone()
        })
    }

    fn eval(
        &self,
        args: &[ColumnarValue],
        types: &[DataType],
        result: &DataType,
        _rows: usize,
    ) -> Result<ColumnarValue> {
        let digits = if args.len() > 1 {
            const_i64(Some(args[1].as_array())).unwrap_or(0)
        } else {
            0
        };
        let is_float = matches!(types[0], DataType::Float32 | DataType::Float64);
        if !is_float && digits >= 0 {
            return Ok(wrap(
                numeric_cast(args[0].as_array(), &result.to_arrow())?,
                args[0].is_scalar(),
            ));
        }
        let f = numeric_cast(args[0].as_array(), &at::DataType::Float64)?;
        let f = f.as_primitive::<at::Float64Type>();
        let p = 10f64.powi(digits as i32);
        let kind = self.kind;
        let r: Float64Array = f.unary(|x| {
            let y = x * p;
            let z = match kind {
                0 if is_float => y.round_ties_even(),
                0 => y.round(),
                1 => y.floor(),
                2 => y.ceil(),
                _ => y.trunc(),
            };
            z / p
        });
        let out = numeric_cast(&(Arc::new(r) as ArrayRef), &result.to_arrow())?;
        Ok(wrap(out, args[0].is_scalar()))
    }
}

/// Float64 functions of one argument.
#[derive(Debug)]
struct F1 {
    name: &'static str,
    f: fn(f64) -> f64,
}

impl ScalarFunction for F1 {
    fn name(&self) -> &'static str {
        self.name
    }

    fn return_type(&self, args: &[DataType], _c: &[Option<ArrayRef>]) -> Result<DataType> {
        check_arity(self.name, args, 1, 1)?;
        if !(is_num(&args[0]) || matches!(args[0], DataType::Decimal { .. })) {
            return Err(illegal_type(self.name, &args[0], 0));
        }
        Ok(DataType::Float64)
    }

    fn eval(
        &self,
        args: &[ColumnarValue],
        types: &[DataType],
        _r: &DataType,
        _rows: usize,
    ) -> Result<ColumnarValue> {
        let a = cast_array(args[0].as_array(), &types[0], &DataType::Float64)?;
        let f = self.f;
        let r: Float64Array = a.as_primitive::<at::Float64Type>().unary(f);
        Ok(wrap(Arc::new(r), args[0].is_scalar()))
    }
}

/// `pow(x, y)`.
#[derive(Debug)]
struct Pow;

impl ScalarFunction for Pow {
    fn name(&self) -> &'static str {
        "pow"
    }

    fn return_type(&self, args: &[DataType], _c: &[Option<ArrayRef>]) -> Result<DataType> {
        check_arity("pow", args, 2, 2)?;
        for (i, t) in args.iter().enumerate() {
            if !(is_num(t) || matches!(t, DataType::Decimal { .. })) {
                return Err(illegal_type("pow", t, i));
            }
        }
        Ok(DataType::Float64)
    }

    fn eval(
        &self,
        args: &[ColumnarValue],
        types: &[DataType],
        _r: &DataType,
        _rows: usize,
    ) -> Result<ColumnarValue> {
        let c = |i: usize| -> Result<ColumnarValue> {
            Ok(wrap(
                cast_array(args[i].as_array(), &types[i], &DataType::Float64)?,
                args[i].is_scalar(),
            ))
        };
        type F = at::Float64Type;
        binary_prim::<F, F, F, _>(&c(0)?, &c(1)?, f64::powf)
    }
}

/// `sign(x)`: Int8.
#[derive(Debug)]
struct Sign;

impl ScalarFunction for Sign {
    fn name(&self) -> &'static str {
        "sign"
    }

    fn return_type(&self, args: &[DataType], _c: &[Option<ArrayRef>]) -> Result<DataType> {
        check_arity("sign", args, 1, 1)?;
        if !(is_num(&args[0]) || matches!(args[0], DataType::Decimal { .. })) {
            return Err(illegal_type("sign", &args[0], 0));
        }
        Ok(DataType::Int8)
    }

    fn eval(
        &self,
        args: &[ColumnarValue],
        types: &[DataType],
        _r: &DataType,
        _rows: usize,
    ) -> Result<ColumnarValue> {
        let a = cast_array(args[0].as_array(), &types[0], &DataType::Float64)?;
        let r = a
            .as_primitive::<at::Float64Type>()
            .unary::<_, at::Int8Type>(|x| {
                if x > 0.0 {
                    1
                } else if x < 0.0 {
                    -1
                } else {
                    0
                }
            });
        Ok(wrap(Arc::new(r), args[0].is_scalar()))
    }
}

/// `pi()` and `e()`.
#[derive(Debug)]
struct Const {
    name: &'static str,
    v: f64,
}

impl ScalarFunction for Const {
    fn name(&self) -> &'static str {
        self.name
    }

    fn return_type(&self, args: &[DataType], _c: &[Option<ArrayRef>]) -> Result<DataType> {
        check_arity(self.name, args, 0, 0)?;
        Ok(DataType::Float64)
    }

    fn eval(
        &self,
        _a: &[ColumnarValue],
        _t: &[DataType],
        _r: &DataType,
        _rows: usize,
    ) -> Result<ColumnarValue> {
        Ok(ColumnarValue::Scalar(Arc::new(Float64Array::from(vec![
            self.v,
        ]))))
    }
}

/// `greatest(...)` and `least(...)` over the arguments' supertype.
#[derive(Debug)]
struct MinMax {
    name: &'static str,
    greatest: bool,
}

impl ScalarFunction for MinMax {
    fn name(&self) -> &'static str {
        self.name
    }

    fn return_type(&self, args: &[DataType], _c: &[Option<ArrayRef>]) -> Result<DataType> {
        check_arity(self.name, args, 1, usize::MAX)?;
        least_supertype(args)
    }

    fn eval(
        &self,
        args: &[ColumnarValue],
        types: &[DataType],
        result: &DataType,
        rows: usize,
    ) -> Result<ColumnarValue> {
        let scalar = args.iter().all(|a| a.is_scalar());
        let n = if scalar { 1 } else { rows };
        let cast = |i: usize| -> Result<ColumnarValue> {
            let a = cast_array(args[i].as_array(), &types[i], result)?;
            Ok(if args[i].is_scalar() && n != 1 {
                ColumnarValue::Array(crate::columnar::repeat(&a, n)?)
            } else {
                wrap(a, args[i].is_scalar())
            })
        };
        let mut acc = cast(0)?;
        for i in 1..args.len() {
            let v = cast(i)?;
            let better = compare(
                if self.greatest { CmpOp::Gt } else { CmpOp::Lt },
                &v,
                &acc,
                result,
                result,
            )?;
            let out = arrow::compute::kernels::zip::zip(&better, v.as_array(), acc.as_array())?;
            acc = wrap(out, scalar);
        }
        Ok(acc)
    }
}

/// Registers the math functions.
pub fn register(r: &mut FunctionRegistry) {
    for (name, kind) in [("round", 0u8), ("floor", 1), ("ceil", 2), ("trunc", 3)] {
        r.register_case_insensitive(Arc::new(Round { name, kind }));
    }
    r.alias("ceiling", "ceil", true);
    r.alias("truncate", "trunc", true);
    type Unary = (&'static str, fn(f64) -> f64);
    let f1: [Unary; 9] = [
        ("sqrt", f64::sqrt),
        ("exp", f64::exp),
        ("log", f64::ln),
        ("log2", f64::log2),
        ("log10", f64::log10),
        ("sin", f64::sin),
        ("cos", f64::cos),
        ("cbrt", f64::cbrt),
        ("exp2", f64::exp2),
    ];
    for (name, f) in f1 {
        r.register_case_insensitive(Arc::new(F1 { name, f }));
    }
    r.alias("ln", "log", true);
    r.register_case_insensitive(Arc::new(Pow));
    r.alias("power", "pow", true);
    r.register_case_insensitive(Arc::new(Sign));
    r.register_case_insensitive(Arc::new(Const {
        name: "pi",
        v: std::f64::consts::PI,
    }));
    r.register_case_insensitive(Arc::new(Const {
        name: "e",
        v: std::f64::consts::E,
    }));
    r.register_case_insensitive(Arc::new(MinMax {
        name: "greatest",
        greatest: true,
    }));
    r.register_case_insensitive(Arc::new(MinMax {
        name: "least",
        greatest: false,
    }));
}

#[cfg(test)]
mod tests {
    use crate::functions::testutil::*;

    // chdb: SELECT round(2.5) 2, round(3.5) 4, round(-2.5) -2, round(1.2345, 2) 1.23, floor(-1.5) -2, ceil(1.2) 2,
    // toTypeName(round(toUInt8(5))) UInt8, sqrt(4) Float64, greatest(1, 2.5) 2.5, greatest(toUInt8(1), toInt8(2)) Int16,
    // sign(-5) -1 Int8, pow(2, 10) 1024
    #[test]
    fn math() {
        let ev = |n: &str, a: Vec<Arg>| eval_text(n, a).unwrap();
        assert_eq!(
            ev("round", vec![col("Float64", &["2.5", "3.5", "-2.5"])]).0,
            ["2", "4", "-2"]
        );
        assert_eq!(
            ev(
                "round",
                vec![col("Float64", &["1.2345"]), konst("UInt8", "2")]
            )
            .0,
            ["1.23"]
        );
        assert_eq!(ev("floor", vec![col("Float64", &["-1.5"])]).0, ["-2"]);
        assert_eq!(ev("CEIL", vec![col("Float64", &["1.2"])]).0, ["2"]);
        assert_eq!(
            ev("round", vec![col("UInt8", &["5"])]),
            (vec!["5".into()], "UInt8".into())
        );
        assert_eq!(
            ev("sqrt", vec![col("UInt8", &["4"])]),
            (vec!["2".into()], "Float64".into())
        );
        assert_eq!(
            ev(
                "greatest",
                vec![konst("UInt8", "1"), col("Float64", &["2.5", "0.5"])]
            )
            .0,
            ["2.5", "1"]
        );
        assert_eq!(
            ev("least", vec![col("UInt8", &["1"]), col("Int8", &["2"])]),
            (vec!["1".into()], "Int16".into())
        );
        assert_eq!(
            ev("sign", vec![col("Int32", &["-5", "0"])]),
            (vec!["-1".into(), "0".into()], "Int8".into())
        );
        assert_eq!(
            ev("pow", vec![konst("UInt8", "2"), konst("UInt8", "10")]).0,
            ["1024"]
        );
    }
}
