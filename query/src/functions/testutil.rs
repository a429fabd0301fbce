//! Test helpers: call a registered function on Arrow arrays and read results as text.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, BinaryArray};
use granary_storage::types::DataType;

use crate::columnar::ColumnarValue;
use crate::error::Result;
use crate::functions::registry;

/// An argument: values, ClickHouse type, whether constant.
pub type Arg = (ArrayRef, DataType, bool);

/// Calls `name` through the registry (so the NullAdapter runs).
pub fn call(name: &str, args: Vec<Arg>) -> Result<(ColumnarValue, DataType)> {
    let f = registry()
        .get(name)
        .unwrap_or_else(|| panic!("no function {name}"));
    let types: Vec<DataType> = args.iter().map(|a| a.1.clone()).collect();
    let consts: Vec<Option<ArrayRef>> = args.iter().map(|a| a.2.then(|| a.0.clone())).collect();
    let rt = f.return_type(&types, &consts)?;
    let rows = args
        .iter()
        .filter(|a| !a.2)
        .map(|a| a.0.len())
        .max()
        .unwrap_or(1);
    let vals: Vec<ColumnarValue> = args
        .into_iter()
        .map(|a| {
            if a.2 {
                ColumnarValue::Scalar(a.0)
            } else {
                ColumnarValue::Array(a.0)
            }
        })
        .collect();
    let out = f.eval(&vals, &types, &rt, rows)?;
    if !out.is_scalar() {
        assert_eq!(out.as_array().len(), rows, "{name}: wrong row count");
    }
    Ok((out, rt))
}

/// Calls and renders the result as ClickHouse text (`\N` for NULL), with its type name.
pub fn eval_text(name: &str, args: Vec<Arg>) -> Result<(Vec<String>, String)> {
    let (v, t) = call(name, args)?;
    Ok((texts(&v, &t), t.to_string()))
}

/// Strings column.
pub fn strs(v: &[Option<&str>]) -> ArrayRef {
    Arc::new(BinaryArray::from_iter(
        v.iter().map(|s| s.map(|s| s.as_bytes())),
    ))
}

/// A String argument column.
pub fn s_col(v: &[&str]) -> Arg {
    (
        strs(&v.iter().map(|s| Some(*s)).collect::<Vec<_>>()),
        DataType::String,
        false,
    )
}

/// A String constant argument.
pub fn s_const(v: &str) -> Arg {
    (strs(&[Some(v)]), DataType::String, true)
}

/// A column of type `t` parsed from texts (via `_CAST` from String; "\\N" is NULL).
pub fn col(t: &str, v: &[&str]) -> Arg {
    let ty = DataType::parse(t).expect("type");
    let s: Vec<Option<&str>> = v
        .iter()
        .map(|x| if *x == "\\N" { None } else { Some(*x) })
        .collect();
    let a = crate::functions::cast::cast_array(
        &strs(&s),
        &DataType::Nullable(Box::new(DataType::String)),
        &ty,
    )
    .expect("cast");
    (a, ty, false)
}

/// A constant of type `t` from text.
pub fn konst(t: &str, v: &str) -> Arg {
    let (a, ty, _) = col(t, &[v]);
    (a, ty, true)
}

/// Texts of a result.
pub fn texts(v: &ColumnarValue, t: &DataType) -> Vec<String> {
    let s = crate::functions::tostring::to_string_array(v.as_array(), t).expect("toString");
    let b = s.as_binary::<i32>();
    (0..b.len())
        .map(|i| {
            if b.is_null(i) {
                "\\N".to_string()
            } else {
                String::from_utf8_lossy(b.value(i)).into_owned()
            }
        })
        .collect()
}
