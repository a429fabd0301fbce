//! Conditionals and NULL functions: `if`, `multiIf`, `isNull`, `isNotNull`, `coalesce`,
//! `ifNull`, `nullIf`, `assumeNotNull`, `toNullable`, `isZeroOrNull`.

use std::sync::Arc;

use arrow::array::{new_null_array, Array, ArrayRef, BooleanArray, Scalar, UInt8Array};
use arrow::buffer::BooleanBuffer;
use granary_storage::types::DataType;

use super::cast::cast_array;
use super::common::{check_arity, decode, illegal_type, to_bool};
use super::comparison::{compare, CmpOp};
use super::supertype::least_supertype;
use super::{FunctionRegistry, ScalarFunction};
use crate::columnar::ColumnarValue;
use crate::error::Result;

fn check_cond(name: &str, t: &DataType, i: usize) -> Result<()> {
    let b = t.base();
    if matches!(b, DataType::Nothing)
        || (b.is_numeric_like() && !matches!(b, DataType::Decimal { .. }))
    {
        Ok(())
    } else {
        Err(illegal_type(name, t, i))
    }
}

/// The condition as a Boolean mask where NULL counts as false.
fn mask(v: &ColumnarValue) -> Result<BooleanArray> {
    let b = to_bool(&decode(v.as_array())?)?;
    Ok(match b.nulls() {
        Some(n) if n.null_count() > 0 => BooleanArray::new(b.values() & n.inner(), None),
        _ => b,
    })
}

/// `v` cast to the ClickHouse type `to`.
fn cast_to(v: &ColumnarValue, from: &DataType, to: &DataType) -> Result<ColumnarValue> {
    let a = cast_array(v.as_array(), from, to)?;
    Ok(if v.is_scalar() {
        ColumnarValue::Scalar(a)
    } else {
        ColumnarValue::Array(a)
    })
}

fn datum(v: &ColumnarValue) -> Box<dyn arrow::array::Datum> {
    match v {
        ColumnarValue::Scalar(a) => Box::new(Scalar::new(a.clone())),
        ColumnarValue::Array(a) => Box::new(a.clone()),
    }
}

/// Row-wise `cond ? t : f` over values already of one type.
fn select(
    cond: &ColumnarValue,
    t: &ColumnarValue,
    f: &ColumnarValue,
    rows: usize,
) -> Result<ColumnarValue> {
    let m = mask(cond)?;
    if cond.is_scalar() {
        let pick = if m.value(0) { t } else { f };
        return Ok(match pick {
            ColumnarValue::Scalar(s) if !(t.is_scalar() && f.is_scalar()) && rows != 1 => {
                // Other branch was a column: keep a column.
                ColumnarValue::Array(crate::columnar::repeat(s, rows)?)
            }
            p => p.clone(),
        });
    }
    let out = arrow::compute::kernels::zip::zip(&m, datum(t).as_ref(), datum(f).as_ref())?;
    Ok(ColumnarValue::Array(out))
}

/// `if(cond, then, else)`.
#[derive(Debug)]
struct If;

impl ScalarFunction for If {
    fn name(&self) -> &'static str {
        "if"
    }

    fn return_type(&self, args: &[DataType], _c: &[Option<ArrayRef>]) -> Result<DataType> {
        check_arity("if", args, 3, 3)?;
        check_cond("if", &args[0], 0)?;
        least_supertype(&args[1..])
    }

    fn eval(
        &self,
        args: &[ColumnarValue],
        types: &[DataType],
        result: &DataType,
        rows: usize,
    ) -> Result<ColumnarValue> {
        let t = cast_to(&args[1], &types[1], result)?;
        let f = cast_to(&args[2], &types[2], result)?;
        select(&args[0], &t, &f, rows)
    }

    fn handles_nulls(&self) -> bool {
        true
    }
}

/// `multiIf(c1, v1, c2, v2, ..., else)`.
#[derive(Debug)]
struct MultiIf;

impl ScalarFunction for MultiIf {
    fn name(&self) -> &'static str {
        "multiIf"
    }

    fn return_type(&self, args: &[DataType], _c: &[Option<ArrayRef>]) -> Result<DataType> {
        check_arity("multiIf", args, 3, usize::MAX)?;
        if args.len().is_multiple_of(2) {
            return Err(crate::error::QueryError::new(
                crate::error::ErrorCode::NumberOfArgumentsDoesntMatch,
                "Invalid number of arguments for function multiIf",
            ));
        }
        let mut values = Vec::new();
        for i in (0..args.len() - 1).step_by(2) {
            check_cond("multiIf", &args[i], i)?;
            values.push(args[i + 1].clone());
        }
        values.push(args[args.len() - 1].clone());
        least_supertype(&values)
    }

    fn eval(
        &self,
        args: &[ColumnarValue],
        types: &[DataType],
        result: &DataType,
        rows: usize,
    ) -> Result<ColumnarValue> {
        let last = args.len() - 1;
        let mut acc = cast_to(&args[last], &types[last], result)?;
        for i in (0..last).step_by(2).rev() {
            let v = cast_to(&args[i + 1], &types[i + 1], result)?;
            acc = select(&args[i], &v, &acc, rows)?;
        }
        Ok(acc)
    }

    fn handles_nulls(&self) -> bool {
        true
    }
}

/// `isNull`, `isNotNull`, `isZeroOrNull`.
#[derive(Debug)]
struct IsNull {
    name: &'static str,
    kind: u8,
}

impl ScalarFunction for IsNull {
    fn name(&self) -> &'static str {
        self.name
    }

    fn return_type(&self, args: &[DataType], _c: &[Option<ArrayRef>]) -> Result<DataType> {
        check_arity(self.name, args, 1, 1)?;
        Ok(DataType::UInt8)
    }

    fn eval(
        &self,
        args: &[ColumnarValue],
        _t: &[DataType],
        _r: &DataType,
        _rows: usize,
    ) -> Result<ColumnarValue> {
        let a = args[0].as_array();
        let n = a.len();
        let nulls = a.logical_nulls();
        let is_null = |i: usize| nulls.as_ref().is_some_and(|m| m.is_null(i));
        let vals: Vec<u8> = match self.kind {
            0 => (0..n).map(|i| is_null(i) as u8).collect(),
            1 => (0..n).map(|i| !is_null(i) as u8).collect(),
            _ => {
                let b = to_bool(&decode(a)?)?;
                (0..n).map(|i| (is_null(i) || !b.value(i)) as u8).collect()
            }
        };
        let out: ArrayRef = Arc::new(UInt8Array::from(vals));
        Ok(if args[0].is_scalar() {
            ColumnarValue::Scalar(out)
        } else {
            ColumnarValue::Array(out)
        })
    }

    fn handles_nulls(&self) -> bool {
        true
    }
}

/// `coalesce(a, b, ...)` and `ifNull(a, b)`.
#[derive(Debug)]
struct Coalesce {
    name: &'static str,
}

impl ScalarFunction for Coalesce {
    fn name(&self) -> &'static str {
        self.name
    }

    fn return_type(&self, args: &[DataType], _c: &[Option<ArrayRef>]) -> Result<DataType> {
        if self.name == "ifNull" {
            check_arity(self.name, args, 2, 2)?;
        } else {
            check_arity(self.name, args, 1, usize::MAX)?;
        }
        let s = least_supertype(args)?;
        let all_nullable = args
            .iter()
            .all(|t| t.is_nullable() || matches!(t, DataType::Nothing));
        Ok(match s {
            DataType::Nullable(inner) if !all_nullable => *inner,
            s => s,
        })
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
        let mut acc: Option<ColumnarValue> = None;
        for (a, t) in args.iter().zip(types) {
            let v = cast_to(a, t, &DataType::Nullable(Box::new(result.base().clone())))?;
            acc = Some(match acc {
                None => v,
                Some(prev) => {
                    let p = prev.as_array();
                    if p.logical_null_count() == 0 {
                        return Ok(prev);
                    }
                    let keep = arrow::compute::is_not_null(p.as_ref())?;
                    if prev.is_scalar() {
                        if keep.value(0) {
                            prev
                        } else {
                            v
                        }
                    } else {
                        ColumnarValue::Array(arrow::compute::kernels::zip::zip(
                            &keep,
                            datum(&prev).as_ref(),
                            datum(&v).as_ref(),
                        )?)
                    }
                }
            });
        }
        let out =
            acc.unwrap_or_else(|| ColumnarValue::Scalar(new_null_array(&result.to_arrow(), 1)));
        if !scalar && out.is_scalar() {
            return Ok(ColumnarValue::Array(out.into_array(n)?));
        }
        Ok(out)
    }

    fn handles_nulls(&self) -> bool {
        true
    }
}

/// `nullIf(a, b)`: NULL when a = b, else a.
#[derive(Debug)]
struct NullIf;

impl ScalarFunction for NullIf {
    fn name(&self) -> &'static str {
        "nullIf"
    }

    fn return_type(&self, args: &[DataType], _c: &[Option<ArrayRef>]) -> Result<DataType> {
        check_arity("nullIf", args, 2, 2)?;
        Ok(match &args[0] {
            DataType::Nullable(_) | DataType::Nothing => args[0].clone(),
            DataType::LowCardinality(i) => DataType::Nullable(Box::new(i.base().clone())),
            t => DataType::Nullable(Box::new(t.clone())),
        })
    }

    fn eval(
        &self,
        args: &[ColumnarValue],
        types: &[DataType],
        result: &DataType,
        rows: usize,
    ) -> Result<ColumnarValue> {
        if matches!(result.base(), DataType::Nothing)
            || matches!(types[1].base(), DataType::Nothing)
        {
            return cast_to(&args[0], &types[0], result);
        }
        let a = cast_to(&args[0], &types[0], result)?;
        let sa = strip(&args[0])?;
        let sb = strip(&args[1])?;
        let eq = compare(CmpOp::Eq, &sa, &sb, types[0].base(), types[1].base())?;
        // Equal (and not NULL) rows become NULL.
        let eqm = BooleanBuffer::collect_bool(eq.len(), |i| eq.is_valid(i) && eq.value(i));
        let n = if a.is_scalar() && eq.len() == 1 {
            1
        } else {
            rows
        };
        let arr = if a.is_scalar() && n != 1 {
            crate::columnar::repeat(a.as_array(), n)?
        } else {
            a.as_array().clone()
        };
        let null = new_null_array(arr.data_type(), 1);
        let eqm = BooleanArray::new(
            if eqm.len() == 1 && n != 1 {
                BooleanBuffer::collect_bool(n, |_| eqm.value(0))
            } else {
                eqm
            },
            None,
        );
        let out = arrow::compute::kernels::zip::zip(&eqm, &Scalar::new(null), &arr)?;
        Ok(if n == 1 && args.iter().all(|a| a.is_scalar()) {
            ColumnarValue::Scalar(out)
        } else {
            ColumnarValue::Array(out)
        })
    }

    fn handles_nulls(&self) -> bool {
        true
    }
}

fn strip(v: &ColumnarValue) -> Result<ColumnarValue> {
    let a = decode(v.as_array())?;
    Ok(if v.is_scalar() {
        ColumnarValue::Scalar(a)
    } else {
        ColumnarValue::Array(a)
    })
}

/// `assumeNotNull(x)` and `toNullable(x)`.
#[derive(Debug)]
struct Nullability {
    name: &'static str,
    to_nullable: bool,
}

impl ScalarFunction for Nullability {
    fn name(&self) -> &'static str {
        self.name
    }

    fn return_type(&self, args: &[DataType], _c: &[Option<ArrayRef>]) -> Result<DataType> {
        check_arity(self.name, args, 1, 1)?;
        let t = &args[0];
        Ok(if self.to_nullable {
            match t {
                DataType::Nullable(_) | DataType::Nothing => t.clone(),
                DataType::LowCardinality(i) if i.is_nullable() => t.clone(),
                DataType::LowCardinality(i) => {
                    DataType::LowCardinality(Box::new(DataType::Nullable(i.clone())))
                }
                DataType::Array(_) | DataType::Map(..) => t.clone(),
                t => DataType::Nullable(Box::new(t.clone())),
            }
        } else {
            match t {
                DataType::Nullable(i) => (**i).clone(),
                DataType::LowCardinality(i) => match &**i {
                    DataType::Nullable(j) => DataType::LowCardinality(j.clone()),
                    _ => t.clone(),
                },
                t => t.clone(),
            }
        })
    }

    fn eval(
        &self,
        args: &[ColumnarValue],
        _t: &[DataType],
        _r: &DataType,
        _rows: usize,
    ) -> Result<ColumnarValue> {
        if self.to_nullable {
            return Ok(args[0].clone());
        }
        let a = args[0].as_array();
        if a.null_count() == 0 || matches!(a.data_type(), arrow::datatypes::DataType::Null) {
            return Ok(args[0].clone());
        }
        let out = arrow::array::make_array(a.to_data().into_builder().nulls(None).build()?);
        Ok(if args[0].is_scalar() {
            ColumnarValue::Scalar(out)
        } else {
            ColumnarValue::Array(out)
        })
    }

    fn handles_nulls(&self) -> bool {
        true
    }
}

/// Registers the conditional and NULL functions.
pub fn register(r: &mut FunctionRegistry) {
    r.register_case_insensitive(Arc::new(If));
    r.register(Arc::new(MultiIf));
    r.register(Arc::new(IsNull {
        name: "isNull",
        kind: 0,
    }));
    r.register(Arc::new(IsNull {
        name: "isNotNull",
        kind: 1,
    }));
    r.register(Arc::new(IsNull {
        name: "isZeroOrNull",
        kind: 2,
    }));
    r.register_case_insensitive(Arc::new(Coalesce { name: "coalesce" }));
    r.register_case_insensitive(Arc::new(Coalesce { name: "ifNull" }));
    r.alias("NVL", "ifNull", true);
    r.register_case_insensitive(Arc::new(NullIf));
    r.register(Arc::new(Nullability {
        name: "assumeNotNull",
        to_nullable: false,
    }));
    r.register(Arc::new(Nullability {
        name: "toNullable",
        to_nullable: true,
    }));
}

#[cfg(test)]
mod tests {
    use crate::functions::testutil::*;

    // chdb: SELECT if(number % 2, 'a', NULL) ... -> Nullable(String); multiIf(x < 2, 'lo', x < 4, 'mid', 'hi');
    // coalesce(NULL, 1, 2) -> 1 (UInt8); ifNull(NULL::Nullable(Int32), 5) -> 5 Int32; nullIf(1, 1) -> \N
    #[test]
    fn conditionals() {
        let c = col("Nullable(UInt8)", &["1", "0", "\\N"]);
        let (v, t) = eval_text(
            "if",
            vec![c.clone(), s_const("a"), konst("Nullable(Nothing)", "\\N")],
        )
        .unwrap();
        assert_eq!(
            (v, t.as_str()),
            (
                vec!["a".into(), "\\N".into(), "\\N".into()],
                "Nullable(String)"
            )
        );
        let (v, t) = eval_text(
            "if",
            vec![
                c.clone(),
                col("UInt8", &["1", "2", "3"]),
                konst("Int16", "-1"),
            ],
        )
        .unwrap();
        assert_eq!(
            (v, t.as_str()),
            (vec!["1".into(), "-1".into(), "-1".into()], "Int16")
        );
        let (v, _) = eval_text(
            "if",
            vec![
                konst("UInt8", "0"),
                col("UInt8", &["1", "2"]),
                konst("UInt8", "9"),
            ],
        )
        .unwrap();
        assert_eq!(v, ["9", "9"]);
        let x = col("UInt32", &["1", "3", "5"]);
        let lt2 = crate::functions::testutil::call("less", vec![x.clone(), konst("UInt8", "2")])
            .unwrap()
            .0;
        let lt4 = crate::functions::testutil::call("less", vec![x, konst("UInt8", "4")])
            .unwrap()
            .0;
        let (v, t) = eval_text(
            "multiIf",
            vec![
                (
                    lt2.as_array().clone(),
                    granary_storage::types::DataType::UInt8,
                    false,
                ),
                s_const("lo"),
                (
                    lt4.as_array().clone(),
                    granary_storage::types::DataType::UInt8,
                    false,
                ),
                s_const("mid"),
                s_const("hi"),
            ],
        )
        .unwrap();
        assert_eq!(
            (v, t.as_str()),
            (vec!["lo".into(), "mid".into(), "hi".into()], "String")
        );
        assert_eq!(
            eval_text("if", vec![c, s_const("a"), konst("UInt8", "1")])
                .unwrap_err()
                .code(),
            53
        );
    }

    #[test]
    fn null_functions() {
        let a = col("Nullable(Int32)", &["1", "\\N"]);
        assert_eq!(
            eval_text("isNull", vec![a.clone()]).unwrap(),
            (vec!["0".into(), "1".into()], "UInt8".into())
        );
        assert_eq!(
            eval_text("isNotNull", vec![a.clone()]).unwrap().0,
            ["1", "0"]
        );
        assert_eq!(
            eval_text("ifNull", vec![a.clone(), konst("UInt8", "5")]).unwrap(),
            (vec!["1".into(), "5".into()], "Int32".into())
        );
        assert_eq!(
            eval_text(
                "coalesce",
                vec![
                    konst("Nullable(Nothing)", "\\N"),
                    a.clone(),
                    konst("Nullable(UInt8)", "\\N")
                ]
            )
            .unwrap(),
            (vec!["1".into(), "\\N".into()], "Nullable(Int32)".into())
        );
        assert_eq!(
            eval_text(
                "coalesce",
                vec![konst("Nullable(Nothing)", "\\N"), konst("UInt8", "1")]
            )
            .unwrap()
            .0,
            ["1"]
        );
        assert_eq!(
            eval_text(
                "nullIf",
                vec![col("UInt8", &["1", "2"]), konst("UInt8", "1")]
            )
            .unwrap(),
            (vec!["\\N".into(), "2".into()], "Nullable(UInt8)".into())
        );
        assert_eq!(
            eval_text("assumeNotNull", vec![col("Nullable(UInt8)", &["1"])]).unwrap(),
            (vec!["1".into()], "UInt8".into())
        );
        assert_eq!(
            eval_text("toNullable", vec![col("UInt8", &["1"])]).unwrap(),
            (vec!["1".into()], "Nullable(UInt8)".into())
        );
        assert_eq!(
            eval_text("isNull", vec![konst("Nullable(Nothing)", "\\N")])
                .unwrap()
                .0,
            ["1"]
        );
    }
}
