//! Array and map constructors and element access: `array(...)` (the `[a, b]` literal),
//! `map(k1, v1, ...)` (also `{'k': v}`), and `arrayElement(x, i)` (`arr[i]`, `m[key]`).

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, ListArray, MapArray, StructArray, UInt32Array,
};
use arrow::buffer::OffsetBuffer;
use arrow::datatypes::DataType as ArrowType;
use granary_storage::types::DataType;

use super::cast::cast_array;
use super::common::{out_rows, wrap};
use super::supertype::least_supertype;
use super::{FunctionRegistry, ScalarFunction};
use crate::columnar::{type_default, ColumnarValue};
use crate::error::Result;
use crate::query_err;

/// Registers the array and map functions.
pub fn register(r: &mut FunctionRegistry) {
    r.register(Arc::new(ArrayFn));
    r.register(Arc::new(MapFn));
    r.register(Arc::new(ArrayElement));
}

/// Row-major interleave: for every row, the values of each argument in turn.
fn interleave_rows(arrays: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let refs: Vec<&dyn Array> = arrays.iter().map(|a| a.as_ref()).collect();
    let mut idx = Vec::with_capacity(rows * arrays.len());
    for r in 0..rows {
        for i in 0..arrays.len() {
            idx.push((i, r));
        }
    }
    Ok(arrow::compute::interleave(&refs, &idx)?)
}

/// Each argument cast to `to` as an array of `rows` rows.
fn aligned(
    args: &[ColumnarValue],
    types: &[DataType],
    to: &DataType,
    rows: usize,
) -> Result<Vec<ArrayRef>> {
    args.iter()
        .zip(types)
        .map(|(a, t)| {
            let arr = a.clone().into_array(rows)?;
            if arr.data_type() == &ArrowType::Null {
                return Ok(arrow::array::new_null_array(&to.to_arrow(), rows));
            }
            cast_array(&arr, t, to)
        })
        .collect()
}

/// `array(x1, ..., xn)`: one array of n elements per row.
#[derive(Debug)]
struct ArrayFn;

impl ScalarFunction for ArrayFn {
    fn name(&self) -> &'static str {
        "array"
    }
    fn return_type(&self, args: &[DataType], _: &[Option<ArrayRef>]) -> Result<DataType> {
        if args.is_empty() {
            return Ok(DataType::Array(Box::new(DataType::Nothing)));
        }
        Ok(DataType::Array(Box::new(least_supertype(args)?)))
    }
    fn eval(
        &self,
        args: &[ColumnarValue],
        types: &[DataType],
        result: &DataType,
        rows: usize,
    ) -> Result<ColumnarValue> {
        let DataType::Array(elem) = result else {
            return query_err!(LogicalError, "array() result must be an Array");
        };
        let n = out_rows(args, rows);
        let ArrowType::List(field) = result.to_arrow() else {
            return query_err!(LogicalError, "array type");
        };
        let values = if args.is_empty() {
            arrow::array::new_empty_array(&elem.to_arrow())
        } else {
            interleave_rows(&aligned(args, types, elem, n)?, n)?
        };
        let offsets = OffsetBuffer::from_lengths(std::iter::repeat_n(args.len(), n));
        let list = ListArray::try_new(field, offsets, values, None)?;
        Ok(wrap(Arc::new(list), args.iter().all(|a| a.is_scalar())))
    }
    fn handles_nulls(&self) -> bool {
        true
    }
}

/// `map(k1, v1, ..., kn, vn)`: one map of n entries per row.
#[derive(Debug)]
struct MapFn;

impl ScalarFunction for MapFn {
    fn name(&self) -> &'static str {
        "map"
    }
    fn return_type(&self, args: &[DataType], _: &[Option<ArrayRef>]) -> Result<DataType> {
        if !args.len().is_multiple_of(2) {
            return query_err!(
                NumberOfArgumentsDoesntMatch,
                "Function map requires an even number of arguments, but {} given",
                args.len()
            );
        }
        if args.is_empty() {
            return Ok(DataType::Map(
                Box::new(DataType::Nothing),
                Box::new(DataType::Nothing),
            ));
        }
        let keys: Vec<DataType> = args.iter().step_by(2).cloned().collect();
        let values: Vec<DataType> = args.iter().skip(1).step_by(2).cloned().collect();
        Ok(DataType::Map(
            Box::new(least_supertype(&keys)?),
            Box::new(least_supertype(&values)?),
        ))
    }
    fn eval(
        &self,
        args: &[ColumnarValue],
        types: &[DataType],
        result: &DataType,
        rows: usize,
    ) -> Result<ColumnarValue> {
        let DataType::Map(kt, vt) = result else {
            return query_err!(LogicalError, "map() result must be a Map");
        };
        let n = out_rows(args, rows);
        let ArrowType::Map(entries, sorted) = result.to_arrow() else {
            return query_err!(LogicalError, "map type");
        };
        let ArrowType::Struct(fields) = entries.data_type().clone() else {
            return query_err!(LogicalError, "map entries type");
        };
        let pairs = args.len() / 2;
        let (keys, values) = if pairs == 0 {
            (
                arrow::array::new_empty_array(&kt.to_arrow()),
                arrow::array::new_empty_array(&vt.to_arrow()),
            )
        } else {
            let ka: Vec<ColumnarValue> = args.iter().step_by(2).cloned().collect();
            let kty: Vec<DataType> = types.iter().step_by(2).cloned().collect();
            let va: Vec<ColumnarValue> = args.iter().skip(1).step_by(2).cloned().collect();
            let vty: Vec<DataType> = types.iter().skip(1).step_by(2).cloned().collect();
            (
                interleave_rows(&aligned(&ka, &kty, kt, n)?, n)?,
                interleave_rows(&aligned(&va, &vty, vt, n)?, n)?,
            )
        };
        let s = StructArray::try_new(fields, vec![keys, values], None)?;
        let offsets = OffsetBuffer::from_lengths(std::iter::repeat_n(pairs, n));
        let m = MapArray::try_new(entries, offsets, s, None, sorted)?;
        Ok(wrap(Arc::new(m), args.iter().all(|a| a.is_scalar())))
    }
    fn handles_nulls(&self) -> bool {
        true
    }
}

/// `arrayElement(arr, i)` (1-based, negative from the end) and `arrayElement(map, key)`;
/// a missing element is the type's default (NULL for Nullable elements).
#[derive(Debug)]
struct ArrayElement;

impl ScalarFunction for ArrayElement {
    fn name(&self) -> &'static str {
        "arrayElement"
    }
    fn return_type(&self, args: &[DataType], _: &[Option<ArrayRef>]) -> Result<DataType> {
        if args.len() != 2 {
            return query_err!(NumberOfArgumentsDoesntMatch, "Number of arguments for function arrayElement doesn't match: passed {}, should be 2", args.len());
        }
        match &args[0] {
            DataType::Array(t) => {
                if !args[1].is_numeric_like() {
                    return query_err!(
                        IllegalTypeOfArgument,
                        "Second argument for function arrayElement must be an integer, got {}",
                        args[1]
                    );
                }
                Ok((**t).clone())
            }
            DataType::Map(_, v) => Ok((**v).clone()),
            other => query_err!(
                IllegalTypeOfArgument,
                "First argument for function arrayElement must be an array or a map, got {other}"
            ),
        }
    }
    fn eval(
        &self,
        args: &[ColumnarValue],
        types: &[DataType],
        result: &DataType,
        rows: usize,
    ) -> Result<ColumnarValue> {
        let n = out_rows(args, rows);
        let container = args[0].clone().into_array(n)?;
        let key = args[1].clone().into_array(n)?;
        // For each row, the index of its element in the flat values, or None.
        let (values, picks): (ArrayRef, Vec<Option<u32>>) = match &types[0] {
            DataType::Array(_) => {
                let list = container.as_list::<i32>();
                let idx = arrow::compute::cast(&key, &ArrowType::Int64)?;
                let idx = idx.as_primitive::<arrow::datatypes::Int64Type>();
                let o = list.value_offsets();
                let picks = (0..n)
                    .map(|r| {
                        if list.is_null(r) || idx.is_null(r) {
                            return None;
                        }
                        let (start, end) = (o[r] as i64, o[r + 1] as i64);
                        let i = idx.value(r);
                        let pos = if i > 0 { start + i - 1 } else { end + i };
                        (i != 0 && pos >= start && pos < end).then_some(pos as u32)
                    })
                    .collect();
                (list.values().clone(), picks)
            }
            DataType::Map(kt, _) => {
                let map = container.as_map();
                let want = cast_array(&key, &types[1], kt)?;
                let o = map.value_offsets();
                // The key of each entry's row, then compare entry keys with it.
                let mut rows_of_entries = Vec::with_capacity(map.keys().len());
                for r in 0..n {
                    for _ in o[r]..o[r + 1] {
                        rows_of_entries.push(r as u32);
                    }
                }
                let per_entry =
                    arrow::compute::take(want.as_ref(), &UInt32Array::from(rows_of_entries), None)?;
                let start = o[0] as usize;
                let keys = map.keys().slice(start, per_entry.len());
                let eq: BooleanArray = arrow::compute::kernels::cmp::eq(&keys, &per_entry)?;
                let picks = (0..n)
                    .map(|r| {
                        (o[r] as usize..o[r + 1] as usize)
                            .find(|e| eq.is_valid(e - start) && eq.value(e - start))
                            .map(|e| e as u32)
                    })
                    .collect();
                (map.values().clone(), picks)
            }
            other => return query_err!(IllegalTypeOfArgument, "arrayElement of {other}"),
        };
        let taken = arrow::compute::take(values.as_ref(), &UInt32Array::from(picks.clone()), None)?;
        let out = if result.is_nullable() || picks.iter().all(|p| p.is_some()) {
            taken
        } else {
            let mask = BooleanArray::from_iter(picks.iter().map(|p| Some(p.is_some())));
            let default = type_default(result, n)?;
            arrow::compute::kernels::zip::zip(&mask, &taken, &default)?
        };
        Ok(wrap(out, n == 1 && args.iter().all(|a| a.is_scalar())))
    }
}
