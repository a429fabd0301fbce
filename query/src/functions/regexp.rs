//! Regular-expression functions: `extract`, `replaceRegexpOne`, `replaceRegexpAll`
//! (alias `REGEXP_REPLACE`), with ClickHouse's `\0`..`\9` substitutions.

use std::sync::Arc;

use arrow::array::{ArrayRef, AsArray, BinaryBuilder};
use granary_storage::types::DataType;
use regex::bytes::Regex;

use super::common::{check_arity, idx, illegal_type};
use super::like::regex_matcher;
use super::string::str_arg;
use super::{FunctionRegistry, ScalarFunction};
use crate::columnar::ColumnarValue;
use crate::error::Result;

/// A piece of a replacement: literal bytes or a capture group.
enum Piece {
    Lit(Vec<u8>),
    Group(usize),
}

fn parse_replacement(r: &[u8]) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut lit = Vec::new();
    let mut i = 0;
    while i < r.len() {
        if r[i] == b'\\' && i + 1 < r.len() {
            let c = r[i + 1];
            if c.is_ascii_digit() {
                if !lit.is_empty() {
                    out.push(Piece::Lit(std::mem::take(&mut lit)));
                }
                out.push(Piece::Group((c - b'0') as usize));
            } else {
                lit.push(c);
            }
            i += 2;
            continue;
        }
        lit.push(r[i]);
        i += 1;
    }
    if !lit.is_empty() {
        out.push(Piece::Lit(lit));
    }
    out
}

fn replace(re: &Regex, s: &[u8], pieces: &[Piece], all: bool, out: &mut Vec<u8>) {
    let mut last = 0;
    for caps in re.captures_iter(s) {
        let Some(m) = caps.get(0) else { continue };
        out.extend_from_slice(&s[last..m.start()]);
        for p in pieces {
            match p {
                Piece::Lit(l) => out.extend_from_slice(l),
                Piece::Group(g) => {
                    if let Some(c) = caps.get(*g) {
                        out.extend_from_slice(c.as_bytes());
                    }
                }
            }
        }
        last = m.end();
        if !all {
            break;
        }
        if m.start() == m.end() {
            // Empty match: copy one byte to make progress, as RE2's GlobalReplace does.
            if last < s.len() {
                out.push(s[last]);
            }
            last += 1;
            if last > s.len() {
                return;
            }
            // regex's iterator already advances past empty matches.
        }
    }
    if last <= s.len() {
        out.extend_from_slice(&s[last..]);
    }
}

/// `extract`, `replaceRegexpOne`, `replaceRegexpAll`.
#[derive(Debug)]
struct ReFn {
    name: &'static str,
    /// 0 extract, 1 replace one, 2 replace all.
    kind: u8,
}

impl ScalarFunction for ReFn {
    fn name(&self) -> &'static str {
        self.name
    }

    fn return_type(&self, args: &[DataType], c: &[Option<ArrayRef>]) -> Result<DataType> {
        let n = if self.kind == 0 { 2 } else { 3 };
        check_arity(self.name, args, n, n)?;
        for (i, t) in args.iter().enumerate() {
            if !matches!(t, DataType::String | DataType::FixedString(_)) {
                return Err(illegal_type(self.name, t, i));
            }
        }
        if let Some(p) = super::common::const_bytes(c.get(1).and_then(|c| c.as_ref())) {
            regex_matcher(&p)?;
        }
        Ok(DataType::String)
    }

    fn eval(
        &self,
        args: &[ColumnarValue],
        types: &[DataType],
        _r: &DataType,
        rows: usize,
    ) -> Result<ColumnarValue> {
        let scalar = args.iter().all(|a| a.is_scalar());
        let n = if scalar { 1 } else { rows };
        let strs: Vec<ArrayRef> = args
            .iter()
            .zip(types)
            .map(|(a, t)| str_arg(a, t))
            .collect::<Result<_>>()?;
        let s = strs[0].as_binary::<i32>();
        let p = strs[1].as_binary::<i32>();
        let mut b = BinaryBuilder::with_capacity(n, 0);
        let mut buf = Vec::new();
        let mut cur: Option<(Vec<u8>, Arc<Regex>)> = None;
        let mut cur_rep: Option<(Vec<u8>, Vec<Piece>)> = None;
        for i in 0..n {
            let pat = p.value(idx(&args[1], i));
            if cur.as_ref().is_none_or(|(c, _)| c.as_slice() != pat) {
                cur = Some((pat.to_vec(), regex_matcher(pat)?));
            }
            let Some((_, re)) = cur.as_ref() else {
                continue;
            };
            let v = s.value(idx(&args[0], i));
            buf.clear();
            if self.kind == 0 {
                if let Some(c) = re.captures(v) {
                    let m = if re.captures_len() > 1 {
                        c.get(1)
                    } else {
                        c.get(0)
                    };
                    if let Some(m) = m {
                        buf.extend_from_slice(m.as_bytes());
                    }
                }
            } else {
                let r = strs[2].as_binary::<i32>().value(idx(&args[2], i));
                if cur_rep.as_ref().is_none_or(|(c, _)| c.as_slice() != r) {
                    cur_rep = Some((r.to_vec(), parse_replacement(r)));
                }
                if let Some((_, pieces)) = cur_rep.as_ref() {
                    replace(re, v, pieces, self.kind == 2, &mut buf);
                }
            }
            b.append_value(&buf);
        }
        let out: ArrayRef = Arc::new(b.finish());
        Ok(if scalar {
            ColumnarValue::Scalar(out)
        } else {
            ColumnarValue::Array(out)
        })
    }
}

/// Registers the regular-expression functions.
pub fn register(r: &mut FunctionRegistry) {
    r.register(Arc::new(ReFn {
        name: "extract",
        kind: 0,
    }));
    r.register(Arc::new(ReFn {
        name: "replaceRegexpOne",
        kind: 1,
    }));
    r.register(Arc::new(ReFn {
        name: "replaceRegexpAll",
        kind: 2,
    }));
    r.alias("REGEXP_REPLACE", "replaceRegexpAll", true);
    r.alias("regexpExtract", "extract", true);
}

#[cfg(test)]
mod tests {
    use crate::functions::testutil::*;

    // chdb: SELECT replaceRegexpAll('hello', 'l', '[\\0]') he[l][l]o, replaceRegexpOne('abc', '(b)', '\\1\\1') abbc,
    // extract('abc123', '\\d+') 123, extract('abc123', 'c(\\d)') 1
    #[test]
    fn regexps() {
        let ev = |n: &str, a: Vec<Arg>| eval_text(n, a).unwrap().0;
        assert_eq!(
            ev(
                "replaceRegexpAll",
                vec![s_col(&["hello"]), s_const("l"), s_const("[\\0]")]
            ),
            ["he[l][l]o"]
        );
        assert_eq!(
            ev(
                "replaceRegexpOne",
                vec![s_col(&["abc"]), s_const("(b)"), s_const("\\1\\1")]
            ),
            ["abbc"]
        );
        assert_eq!(
            ev(
                "REGEXP_REPLACE",
                vec![s_col(&["a1b22"]), s_const("\\d+"), s_const("#")]
            ),
            ["a#b#"]
        );
        assert_eq!(
            ev("extract", vec![s_col(&["abc123", "x"]), s_const("\\d+")]),
            ["123", ""]
        );
        assert_eq!(
            ev("extract", vec![s_col(&["abc123"]), s_const("c(\\d)")]),
            ["1"]
        );
    }
}
