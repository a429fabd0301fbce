//! String functions: `length`, `lengthUTF8`, `empty`, `notEmpty`, `lower`, `upper`,
//! `lowerUTF8`, `upperUTF8`, `reverse`, `substring`, `concat`, `position`,
//! `positionCaseInsensitive`, `startsWith`, `endsWith`, `trimBoth`/`trimLeft`/`trimRight`,
//! `repeat`, `splitByChar`, `replaceAll`, `replaceOne`. Strings are bytes, as in ClickHouse.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BinaryArray, BinaryBuilder, ListBuilder, PrimitiveArray, UInt64Array,
    UInt8Array,
};
use arrow::datatypes as at;
use granary_storage::types::DataType;
use memchr::memmem;

use super::common::{check_arity, idx, illegal_type};
use super::tostring::to_string_array;
use super::{FunctionRegistry, ScalarFunction};
use crate::columnar::ColumnarValue;
use crate::error::Result;

/// A String (or FixedString) argument as a Binary array.
pub(crate) fn str_arg(v: &ColumnarValue, t: &DataType) -> Result<ArrayRef> {
    match t {
        DataType::String => Ok(v.as_array().clone()),
        DataType::FixedString(_) => Ok(arrow::compute::cast(v.as_array(), &at::DataType::Binary)?),
        t => to_string_array(v.as_array(), t),
    }
}

fn is_stringish(t: &DataType) -> bool {
    matches!(t, DataType::String | DataType::FixedString(_))
}

fn wrap(a: ArrayRef, scalar: bool) -> ColumnarValue {
    if scalar {
        ColumnarValue::Scalar(a)
    } else {
        ColumnarValue::Array(a)
    }
}

/// The kinds of string function implemented here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Length,
    LengthUtf8,
    Empty,
    NotEmpty,
    Lower,
    Upper,
    LowerUtf8,
    UpperUtf8,
    Reverse,
    Substring,
    Concat,
    Position,
    PositionCi,
    StartsWith,
    EndsWith,
    TrimBoth,
    TrimLeft,
    TrimRight,
    Repeat,
    SplitByChar,
    ReplaceAll,
    ReplaceOne,
}

/// One string function.
#[derive(Debug)]
struct StrFn {
    name: &'static str,
    kind: Kind,
}

impl ScalarFunction for StrFn {
    fn name(&self) -> &'static str {
        self.name
    }

    fn return_type(&self, args: &[DataType], _c: &[Option<ArrayRef>]) -> Result<DataType> {
        use Kind::*;
        let name = self.name;
        let (min, max) = match self.kind {
            Substring => (2, 3),
            Concat => (1, usize::MAX),
            Position | PositionCi => (2, 3),
            StartsWith | EndsWith | Repeat | SplitByChar => (2, 2),
            ReplaceAll | ReplaceOne => (3, 3),
            _ => (1, 1),
        };
        check_arity(name, args, min, max)?;
        let need_str = |i: usize| -> Result<()> {
            if is_stringish(&args[i]) {
                Ok(())
            } else {
                Err(illegal_type(name, &args[i], i))
            }
        };
        let need_int = |i: usize| -> Result<()> {
            if matches!(
                args[i],
                DataType::UInt8
                    | DataType::UInt16
                    | DataType::UInt32
                    | DataType::UInt64
                    | DataType::Int8
                    | DataType::Int16
                    | DataType::Int32
                    | DataType::Int64
            ) {
                Ok(())
            } else {
                Err(illegal_type(name, &args[i], i))
            }
        };
        Ok(match self.kind {
            Length => {
                if !(is_stringish(&args[0])
                    || matches!(args[0], DataType::Array(_) | DataType::Map(..)))
                {
                    return Err(illegal_type(name, &args[0], 0));
                }
                DataType::UInt64
            }
            LengthUtf8 => {
                need_str(0)?;
                DataType::UInt64
            }
            Empty | NotEmpty => {
                if !(is_stringish(&args[0])
                    || matches!(
                        args[0],
                        DataType::Array(_) | DataType::Map(..) | DataType::Uuid
                    ))
                {
                    return Err(illegal_type(name, &args[0], 0));
                }
                DataType::UInt8
            }
            Lower | Upper | LowerUtf8 | UpperUtf8 | Reverse | TrimBoth | TrimLeft | TrimRight => {
                need_str(0)?;
                if matches!(args[0], DataType::FixedString(_))
                    && !matches!(self.kind, TrimBoth | TrimLeft | TrimRight)
                {
                    args[0].clone()
                } else {
                    DataType::String
                }
            }
            Substring => {
                need_str(0)?;
                need_int(1)?;
                if args.len() == 3 {
                    need_int(2)?;
                }
                DataType::String
            }
            Concat => DataType::String,
            Position | PositionCi => {
                need_str(0)?;
                need_str(1)?;
                if args.len() == 3 {
                    need_int(2)?;
                }
                DataType::UInt64
            }
            StartsWith | EndsWith => {
                need_str(0)?;
                need_str(1)?;
                DataType::UInt8
            }
            Repeat => {
                need_str(0)?;
                need_int(1)?;
                DataType::String
            }
            SplitByChar => {
                need_str(0)?;
                need_str(1)?;
                DataType::Array(Box::new(DataType::String))
            }
            ReplaceAll | ReplaceOne => {
                need_str(0)?;
                need_str(1)?;
                need_str(2)?;
                DataType::String
            }
        })
    }

    fn eval(
        &self,
        args: &[ColumnarValue],
        types: &[DataType],
        result: &DataType,
        rows: usize,
    ) -> Result<ColumnarValue> {
        use Kind::*;
        let scalar = args.iter().all(|a| a.is_scalar());
        let n = if scalar { 1 } else { rows };
        let k = self.kind;
        // Length of arrays and maps.
        if matches!(k, Length | Empty | NotEmpty)
            && matches!(types[0], DataType::Array(_) | DataType::Map(..))
        {
            let a = args[0].as_array();
            let lens: Vec<u64> = match types[0] {
                DataType::Array(_) => {
                    let l = a.as_list::<i32>();
                    (0..l.len()).map(|i| l.value_length(i) as u64).collect()
                }
                _ => {
                    let m = a.as_map();
                    (0..m.len())
                        .map(|i| (m.value_offsets()[i + 1] - m.value_offsets()[i]) as u64)
                        .collect()
                }
            };
            return Ok(wrap(len_result(k, lens), scalar));
        }
        if matches!(k, Empty | NotEmpty) && matches!(types[0], DataType::Uuid) {
            let f = args[0].as_array().as_fixed_size_binary().clone();
            let v: Vec<u8> = (0..f.len())
                .map(|i| (f.value(i).iter().all(|b| *b == 0) == (k == Empty)) as u8)
                .collect();
            return Ok(wrap(Arc::new(UInt8Array::from(v)), scalar));
        }
        if k == Concat {
            return concat(args, types, n, scalar);
        }
        let s0 = str_arg(&args[0], &types[0])?;
        let s = s0.as_binary::<i32>();
        let a0 = &args[0];
        match k {
            Length => {
                let v: Vec<u64> = (0..s.len()).map(|i| s.value_length(i) as u64).collect();
                Ok(wrap(Arc::new(UInt64Array::from(v)), a0.is_scalar()))
            }
            LengthUtf8 => {
                let v: Vec<u64> = (0..s.len()).map(|i| utf8_len(s.value(i))).collect();
                Ok(wrap(Arc::new(UInt64Array::from(v)), a0.is_scalar()))
            }
            Empty | NotEmpty => {
                let v: Vec<u64> = (0..s.len()).map(|i| s.value_length(i) as u64).collect();
                Ok(wrap(len_result(k, v), a0.is_scalar()))
            }
            Lower | Upper | LowerUtf8 | UpperUtf8 | Reverse | TrimBoth | TrimLeft | TrimRight => {
                let out = map_str(s, |v, out| match k {
                    Lower => out.extend(v.iter().map(|c| c.to_ascii_lowercase())),
                    Upper => out.extend(v.iter().map(|c| c.to_ascii_uppercase())),
                    LowerUtf8 => match std::str::from_utf8(v) {
                        Ok(t) => out.extend_from_slice(t.to_lowercase().as_bytes()),
                        Err(_) => out.extend(v.iter().map(|c| c.to_ascii_lowercase())),
                    },
                    UpperUtf8 => match std::str::from_utf8(v) {
                        Ok(t) => out.extend_from_slice(t.to_uppercase().as_bytes()),
                        Err(_) => out.extend(v.iter().map(|c| c.to_ascii_uppercase())),
                    },
                    Reverse => out.extend(v.iter().rev()),
                    _ => {
                        let mut a = 0;
                        let mut b = v.len();
                        if k != TrimRight {
                            while a < b && v[a] == b' ' {
                                a += 1;
                            }
                        }
                        if k != TrimLeft {
                            while b > a && v[b - 1] == b' ' {
                                b -= 1;
                            }
                        }
                        out.extend_from_slice(&v[a..b]);
                    }
                });
                let out: ArrayRef = Arc::new(out);
                let out = if let DataType::FixedString(_) = result {
                    arrow::compute::cast(&out, &result.to_arrow())?
                } else {
                    out
                };
                Ok(wrap(out, a0.is_scalar()))
            }
            Substring => {
                let off = ints(&args[1])?;
                let len = if args.len() == 3 {
                    Some(ints(&args[2])?)
                } else {
                    None
                };
                let mut b = BinaryBuilder::with_capacity(n, 0);
                for i in 0..n {
                    let v = s.value(idx(a0, i));
                    let l = len.as_ref().map(|l| l[idx(&args[2], i)]);
                    let (x, y) = substring_range(v.len() as i64, off[idx(&args[1], i)], l);
                    b.append_value(&v[x..y]);
                }
                Ok(wrap(Arc::new(b.finish()), scalar))
            }
            Position | PositionCi => {
                let n1 = str_arg(&args[1], &types[1])?;
                let needles = n1.as_binary::<i32>();
                let start = if args.len() == 3 {
                    Some(ints(&args[2])?)
                } else {
                    None
                };
                let ci = k == PositionCi;
                let mut out = Vec::with_capacity(n);
                let finder = if args[1].is_scalar() && !ci {
                    Some(memmem::Finder::new(needles.value(0)).into_owned())
                } else {
                    None
                };
                for i in 0..n {
                    let h = s.value(idx(a0, i));
                    let from =
                        start.as_ref().map_or(1, |st| st[idx(&args[2], i)]).max(1) as usize - 1;
                    if from > h.len() {
                        out.push(0u64);
                        continue;
                    }
                    let hay = &h[from..];
                    let pos = if ci {
                        let nd = needles.value(idx(&args[1], i)).to_ascii_lowercase();
                        let hl = hay.to_ascii_lowercase();
                        memmem::find(&hl, &nd)
                    } else if let Some(f) = &finder {
                        f.find(hay)
                    } else {
                        memmem::find(hay, needles.value(idx(&args[1], i)))
                    };
                    out.push(pos.map_or(0, |p| (p + from + 1) as u64));
                }
                Ok(wrap(Arc::new(UInt64Array::from(out)), scalar))
            }
            StartsWith | EndsWith => {
                let n1 = str_arg(&args[1], &types[1])?;
                let p = n1.as_binary::<i32>();
                let out: Vec<u8> = (0..n)
                    .map(|i| {
                        let (h, x) = (s.value(idx(a0, i)), p.value(idx(&args[1], i)));
                        (if k == StartsWith {
                            h.starts_with(x)
                        } else {
                            h.ends_with(x)
                        }) as u8
                    })
                    .collect();
                Ok(wrap(Arc::new(UInt8Array::from(out)), scalar))
            }
            Repeat => {
                let times = ints(&args[1])?;
                let mut b = BinaryBuilder::with_capacity(n, 0);
                let mut buf = Vec::new();
                for i in 0..n {
                    let v = s.value(idx(a0, i));
                    let t = times[idx(&args[1], i)].clamp(0, 1 << 20) as usize;
                    if v.len().saturating_mul(t) > (1 << 30) {
                        return Err(crate::error::QueryError::new(
                            crate::error::ErrorCode::ArgumentOutOfBound,
                            "Too large string size in function repeat",
                        ));
                    }
                    buf.clear();
                    for _ in 0..t {
                        buf.extend_from_slice(v);
                    }
                    b.append_value(&buf);
                }
                Ok(wrap(Arc::new(b.finish()), scalar))
            }
            SplitByChar => {
                // splitByChar(separator, s)
                let sep = s.value(0);
                if !a0.is_scalar() || sep.len() != 1 {
                    return Err(crate::error::QueryError::new(
                        crate::error::ErrorCode::BadArguments,
                        "Illegal separator for function splitByChar. Must be exactly one byte.",
                    ));
                }
                let src = str_arg(&args[1], &types[1])?;
                let src = src.as_binary::<i32>();
                let mut lb = ListBuilder::new(BinaryBuilder::new());
                for i in 0..src.len() {
                    for part in src.value(i).split(|c| *c == sep[0]) {
                        lb.values().append_value(part);
                    }
                    lb.append(true);
                }
                let l = lb.finish();
                let field = Arc::new(at::Field::new("item", at::DataType::Binary, true));
                let l = arrow::array::ListArray::try_new(
                    field,
                    l.offsets().clone(),
                    l.values().clone(),
                    None,
                )?;
                Ok(wrap(Arc::new(l), args[1].is_scalar()))
            }
            ReplaceAll | ReplaceOne => {
                let n1 = str_arg(&args[1], &types[1])?;
                let n2 = str_arg(&args[2], &types[2])?;
                let (pat, rep) = (n1.as_binary::<i32>(), n2.as_binary::<i32>());
                let mut b = BinaryBuilder::with_capacity(n, 0);
                let mut buf = Vec::new();
                for i in 0..n {
                    let h = s.value(idx(a0, i));
                    let p = pat.value(idx(&args[1], i));
                    let r = rep.value(idx(&args[2], i));
                    buf.clear();
                    if p.is_empty() {
                        buf.extend_from_slice(h);
                    } else {
                        let mut last = 0;
                        for m in memmem::find_iter(h, p) {
                            if m < last {
                                continue;
                            }
                            buf.extend_from_slice(&h[last..m]);
                            buf.extend_from_slice(r);
                            last = m + p.len();
                            if k == ReplaceOne {
                                break;
                            }
                        }
                        buf.extend_from_slice(&h[last..]);
                    }
                    b.append_value(&buf);
                }
                Ok(wrap(Arc::new(b.finish()), scalar))
            }
            Concat => unreachable_concat(),
        }
    }
}

fn unreachable_concat() -> Result<ColumnarValue> {
    Err(crate::error::QueryError::new(
        crate::error::ErrorCode::LogicalError,
        "concat dispatched wrongly",
    ))
}

fn len_result(k: Kind, lens: Vec<u64>) -> ArrayRef {
    match k {
        Kind::Empty => Arc::new(UInt8Array::from_iter_values(
            lens.iter().map(|l| (*l == 0) as u8),
        )),
        Kind::NotEmpty => Arc::new(UInt8Array::from_iter_values(
            lens.iter().map(|l| (*l != 0) as u8),
        )),
        _ => Arc::new(UInt64Array::from(lens)),
    }
}

/// Number of UTF-8 code points (bytes that are not continuation bytes).
fn utf8_len(v: &[u8]) -> u64 {
    v.iter().filter(|&&c| (c & 0xC0) != 0x80).count() as u64
}

/// ClickHouse's substring range: 1-based offset, negative from the end, 0 is empty;
/// a negative length drops bytes from the end.
fn substring_range(len: i64, offset: i64, length: Option<i64>) -> (usize, usize) {
    if offset == 0 {
        return (0, 0);
    }
    let start = if offset > 0 { offset - 1 } else { len + offset };
    let end = match length {
        None => len,
        Some(l) if l >= 0 => start.saturating_add(l),
        Some(l) => len + l,
    };
    let s = start.clamp(0, len);
    let e = end.clamp(s, len);
    (s as usize, e as usize)
}

/// An integer argument's values as i64.
fn ints(v: &ColumnarValue) -> Result<Vec<i64>> {
    let a = super::common::numeric_cast(v.as_array(), &at::DataType::Int64)?;
    let p: &PrimitiveArray<at::Int64Type> = a.as_primitive();
    Ok(p.values().to_vec())
}

/// Applies `f` to every string, writing into a fresh Binary array.
fn map_str(s: &BinaryArray, f: impl Fn(&[u8], &mut Vec<u8>)) -> BinaryArray {
    let mut b = BinaryBuilder::with_capacity(s.len(), s.values().len());
    let mut buf = Vec::new();
    for i in 0..s.len() {
        buf.clear();
        f(s.value(i), &mut buf);
        b.append_value(&buf);
    }
    let out = b.finish();
    let (o, v, _) = out.into_parts();
    BinaryArray::new(o, v, s.nulls().cloned())
}

fn concat(
    args: &[ColumnarValue],
    types: &[DataType],
    n: usize,
    scalar: bool,
) -> Result<ColumnarValue> {
    let strs: Vec<ArrayRef> = args
        .iter()
        .zip(types)
        .map(|(a, t)| str_arg(a, t))
        .collect::<Result<_>>()?;
    let views: Vec<&BinaryArray> = strs.iter().map(|a| a.as_binary::<i32>()).collect();
    let mut b = BinaryBuilder::with_capacity(n, 0);
    let mut buf = Vec::new();
    for i in 0..n {
        buf.clear();
        for (a, v) in args.iter().zip(&views) {
            buf.extend_from_slice(v.value(idx(a, i)));
        }
        b.append_value(&buf);
    }
    Ok(wrap(Arc::new(b.finish()), scalar))
}

/// Registers the string functions.
pub fn register(r: &mut FunctionRegistry) {
    use Kind::*;
    let ci: &[(&'static str, Kind)] = &[
        ("length", Length),
        ("lengthUTF8", LengthUtf8),
        ("empty", Empty),
        ("notEmpty", NotEmpty),
        ("lower", Lower),
        ("upper", Upper),
        ("lowerUTF8", LowerUtf8),
        ("upperUTF8", UpperUtf8),
        ("reverse", Reverse),
        ("substring", Substring),
        ("concat", Concat),
        ("position", Position),
        ("positionCaseInsensitive", PositionCi),
        ("startsWith", StartsWith),
        ("endsWith", EndsWith),
        ("trimBoth", TrimBoth),
        ("trimLeft", TrimLeft),
        ("trimRight", TrimRight),
        ("repeat", Repeat),
        ("splitByChar", SplitByChar),
        ("replaceAll", ReplaceAll),
        ("replaceOne", ReplaceOne),
    ];
    for (name, kind) in ci {
        let f = Arc::new(StrFn { name, kind: *kind });
        if matches!(
            kind,
            Length | Lower | Upper | Reverse | Substring | Concat | Position | Repeat
        ) {
            r.register_case_insensitive(f);
        } else {
            r.register(f);
        }
    }
    for (alias, target) in [
        ("char_length", "lengthUTF8"),
        ("character_length", "lengthUTF8"),
        ("lcase", "lower"),
        ("ucase", "upper"),
        ("substr", "substring"),
        ("mid", "substring"),
        ("locate", "position"),
        ("trim", "trimBoth"),
        ("ltrim", "trimLeft"),
        ("rtrim", "trimRight"),
        ("replace", "replaceAll"),
        ("octet_length", "length"),
    ] {
        r.alias(alias, target, true);
    }
}

#[cfg(test)]
mod tests {
    use crate::functions::testutil::*;

    fn ev(name: &str, args: Vec<Arg>) -> Vec<String> {
        eval_text(name, args).unwrap().0
    }

    // chdb: SELECT substring('hello', -3) llo, substring('hello', 0) '', substring('hello', 2, 2) el,
    // substring('hello', -3, 2) ll, substring('hello', 10) '', substring('hello', 2, -1) ell,
    // substring('hello', -10, 7) he; position('hello', 'l') 3; position('hello', '') 1; lower('ÀB') Àb;
    // upperUTF8('àb') ÀB; concat('a', 1, NULL) \N; reverse('abc') cba; repeat('ab', 3) ababab;
    // splitByChar(',', 'a,,b') ['a','','b']; trimBoth('  a  ') a; lengthUTF8('привет') 6
    #[test]
    fn strings() {
        let h = || s_col(&["hello"]);
        let i = |v: &str| konst("Int64", v);
        assert_eq!(ev("substring", vec![h(), i("-3")]), ["llo"]);
        assert_eq!(ev("substring", vec![h(), i("0")]), [""]);
        assert_eq!(ev("substring", vec![h(), i("2"), i("2")]), ["el"]);
        assert_eq!(ev("substr", vec![h(), i("-3"), i("2")]), ["ll"]);
        assert_eq!(ev("SUBSTRING", vec![h(), i("10")]), [""]);
        assert_eq!(ev("mid", vec![h(), i("2"), i("-1")]), ["ell"]);
        assert_eq!(ev("substring", vec![h(), i("-10"), i("7")]), ["he"]);
        assert_eq!(ev("position", vec![h(), s_const("l")]), ["3"]);
        assert_eq!(ev("locate", vec![h(), s_const("")]), ["1"]);
        assert_eq!(
            ev("positionCaseInsensitive", vec![h(), s_const("LL")]),
            ["3"]
        );
        assert_eq!(
            ev("position", vec![h(), s_const("l"), konst("UInt8", "4")]),
            ["4"]
        );
        assert_eq!(ev("lower", vec![s_col(&["ÀB"])]), ["Àb"]);
        assert_eq!(ev("upperUTF8", vec![s_col(&["àb"])]), ["ÀB"]);
        assert_eq!(
            ev(
                "concat",
                vec![
                    s_col(&["a", "b"]),
                    konst("UInt8", "1"),
                    konst("Nullable(Nothing)", "\\N")
                ]
            ),
            ["\\N"]
        );
        assert_eq!(
            ev(
                "concat",
                vec![
                    s_col(&["a", "b"]),
                    konst("UInt8", "1"),
                    col("Nullable(String)", &["x", "\\N"])
                ]
            ),
            ["a1x", "\\N"]
        );
        assert_eq!(ev("reverse", vec![s_col(&["abc"])]), ["cba"]);
        assert_eq!(
            ev("repeat", vec![s_col(&["ab"]), konst("UInt8", "3")]),
            ["ababab"]
        );
        assert_eq!(
            ev("splitByChar", vec![s_const(","), s_col(&["a,,b"])]),
            ["['a','','b']"]
        );
        assert_eq!(ev("trim", vec![s_col(&["  a  "])]), ["a"]);
        assert_eq!(ev("ltrim", vec![s_col(&["  a  "])]), ["a  "]);
        assert_eq!(ev("lengthUTF8", vec![s_col(&["привет"])]), ["6"]);
        assert_eq!(ev("length", vec![s_col(&["привет", ""])]), ["12", "0"]);
        assert_eq!(ev("empty", vec![s_col(&["", "x"])]), ["1", "0"]);
        assert_eq!(
            ev("startsWith", vec![s_col(&["hello", "x"]), s_const("he")]),
            ["1", "0"]
        );
        assert_eq!(
            ev("endsWith", vec![s_col(&["hello"]), s_const("lo")]),
            ["1"]
        );
        assert_eq!(
            ev(
                "replaceAll",
                vec![s_col(&["aXbXc"]), s_const("X"), s_const("--")]
            ),
            ["a--b--c"]
        );
        assert_eq!(
            ev(
                "replaceOne",
                vec![s_col(&["aXbXc"]), s_const("X"), s_const("")]
            ),
            ["abXc"]
        );
        assert!(ev("substring", vec![s_col(&[]), i("1")]).is_empty());
    }
}
