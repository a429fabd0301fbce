//! Logical functions `and`, `or` (variadic, three-valued with NULL), `not`, `xor`;
//! results are UInt8 like ClickHouse.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, BooleanArray};
use arrow::compute::kernels::boolean;
use granary_storage::types::DataType;

use super::common::{bool_to_u8, check_arity, illegal_type, to_bool};
use super::{FunctionRegistry, ScalarFunction};
use crate::columnar::ColumnarValue;
use crate::error::Result;

fn check_logical(name: &str, args: &[DataType]) -> Result<bool> {
    let mut nullable = false;
    for (i, t) in args.iter().enumerate() {
        nullable |= t.is_nullable() || matches!(t, DataType::Nothing);
        let b = t.base();
        if !(b.is_numeric_like() && !matches!(b, DataType::Decimal { .. })
            || matches!(b, DataType::Nothing))
        {
            return Err(illegal_type(name, t, i));
        }
    }
    Ok(nullable)
}

/// Variadic `and` / `or`.
#[derive(Debug)]
struct AndOr {
    name: &'static str,
    and: bool,
}

impl ScalarFunction for AndOr {
    fn name(&self) -> &'static str {
        self.name
    }

    fn return_type(&self, args: &[DataType], _c: &[Option<ArrayRef>]) -> Result<DataType> {
        check_arity(self.name, args, 2, usize::MAX)?;
        let nullable = check_logical(self.name, args)?;
        Ok(if nullable {
            DataType::Nullable(Box::new(DataType::UInt8))
        } else {
            DataType::UInt8
        })
    }

    fn eval(
        &self,
        args: &[ColumnarValue],
        _types: &[DataType],
        result: &DataType,
        rows: usize,
    ) -> Result<ColumnarValue> {
        let scalar = args.iter().all(|a| a.is_scalar());
        let n = if scalar { 1 } else { rows };
        let mut acc: Option<BooleanArray> = None;
        for a in args {
            let arr = super::common::decode(a.as_array())?;
            let arr = if a.is_scalar() && n != 1 {
                crate::columnar::repeat(&arr, n)?
            } else {
                arr
            };
            let b = to_bool(&arr)?;
            acc = Some(match acc {
                None => b,
                Some(prev) => {
                    if self.and {
                        boolean::and_kleene(&prev, &b)?
                    } else {
                        boolean::or_kleene(&prev, &b)?
                    }
                }
            });
        }
        let acc = acc.unwrap_or_else(|| BooleanArray::from(vec![self.and; n]));
        let mut out = bool_to_u8(&acc);
        if !result.is_nullable() && out.null_count() > 0 {
            out = arrow::array::UInt8Array::new(out.values().clone(), None);
        }
        let out: ArrayRef = Arc::new(out);
        Ok(if scalar {
            ColumnarValue::Scalar(out)
        } else {
            ColumnarValue::Array(out)
        })
    }

    fn handles_nulls(&self) -> bool {
        true
    }
}

/// `not` and `xor`.
#[derive(Debug)]
struct NotXor {
    name: &'static str,
    xor: bool,
}

impl ScalarFunction for NotXor {
    fn name(&self) -> &'static str {
        self.name
    }

    fn return_type(&self, args: &[DataType], _c: &[Option<ArrayRef>]) -> Result<DataType> {
        if self.xor {
            check_arity(self.name, args, 2, usize::MAX)?;
        } else {
            check_arity(self.name, args, 1, 1)?;
        }
        check_logical(self.name, args)?;
        Ok(DataType::UInt8)
    }

    fn eval(
        &self,
        args: &[ColumnarValue],
        _types: &[DataType],
        _r: &DataType,
        rows: usize,
    ) -> Result<ColumnarValue> {
        let scalar = args.iter().all(|a| a.is_scalar());
        let n = if scalar { 1 } else { rows };
        let mut acc: Option<BooleanArray> = None;
        for a in args {
            let arr = if a.is_scalar() && n != 1 {
                crate::columnar::repeat(a.as_array(), n)?
            } else {
                a.as_array().clone()
            };
            let b = to_bool(&arr)?;
            acc = Some(match acc {
                None => b,
                Some(p) => {
                    let v = p.values() ^ b.values();
                    BooleanArray::new(v, None)
                }
            });
        }
        let mut acc = acc.unwrap_or_else(|| BooleanArray::from(vec![false; n]));
        if !self.xor {
            acc = BooleanArray::new(!acc.values(), None);
        } else {
            acc = BooleanArray::new(acc.values().clone(), None);
        }
        let out: ArrayRef = Arc::new(bool_to_u8(&acc));
        Ok(if scalar {
            ColumnarValue::Scalar(out)
        } else {
            ColumnarValue::Array(out)
        })
    }
}

/// Registers the logical functions.
pub fn register(r: &mut FunctionRegistry) {
    r.register(Arc::new(AndOr {
        name: "and",
        and: true,
    }));
    r.register(Arc::new(AndOr {
        name: "or",
        and: false,
    }));
    r.register(Arc::new(NotXor {
        name: "not",
        xor: false,
    }));
    r.register(Arc::new(NotXor {
        name: "xor",
        xor: true,
    }));
}

#[cfg(test)]
mod tests {
    use crate::functions::testutil::*;

    // chdb: SELECT and(1, NULL), and(0, NULL), or(1, NULL), or(0, NULL), not(5), xor(1, 1, 1)
    //   -> \N 0 1 \N 0 1
    #[test]
    fn three_valued() {
        let a = col("Nullable(UInt8)", &["1", "0", "\\N", "2"]);
        let b = konst("Nullable(Nothing)", "\\N");
        let (v, t) = eval_text("and", vec![a.clone(), b.clone()]).unwrap();
        assert_eq!(
            (v, t.as_str()),
            (
                vec!["\\N".into(), "0".into(), "\\N".into(), "\\N".into()],
                "Nullable(UInt8)"
            )
        );
        let (v, _) = eval_text("or", vec![a.clone(), b]).unwrap();
        assert_eq!(v, ["1", "\\N", "\\N", "1"]);
        let (v, t) = eval_text(
            "and",
            vec![
                col("UInt8", &["1", "0", "3"]),
                konst("Int32", "7"),
                col("Bool", &["true", "true", "false"]),
            ],
        )
        .unwrap();
        assert_eq!(
            (v, t.as_str()),
            (vec!["1".into(), "0".into(), "0".into()], "UInt8")
        );
        let (v, t) = eval_text("not", vec![a]).unwrap();
        assert_eq!(
            (v, t.as_str()),
            (
                vec!["0".into(), "1".into(), "\\N".into(), "0".into()],
                "Nullable(UInt8)"
            )
        );
        let (v, _) = eval_text(
            "xor",
            vec![
                konst("UInt8", "1"),
                konst("UInt8", "1"),
                konst("UInt8", "1"),
            ],
        )
        .unwrap();
        assert_eq!(v, ["1"]);
        assert_eq!(
            eval_text("and", vec![s_col(&["a"]), konst("UInt8", "1")])
                .unwrap_err()
                .code(),
            43
        );
    }
}
