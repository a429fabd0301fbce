//! Pattern matching: `like`, `notLike`, `ilike`, `notILike` (ClickHouse LIKE: `%`, `_`,
//! backslash escapes; fast paths for exact, prefix, suffix and substring patterns) and
//! `match` (RE2 syntax through the `regex` crate). Compiled patterns are cached.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use arrow::array::{Array, ArrayRef, AsArray, UInt8Array};
use granary_storage::types::DataType;
use memchr::memmem;
use regex::bytes::Regex;

use super::common::{check_arity, idx, illegal_type};
use super::string::str_arg;
use super::{FunctionRegistry, ScalarFunction};
use crate::columnar::ColumnarValue;
use crate::error::{ErrorCode, QueryError, Result};

/// A compiled matcher for one pattern.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub(crate) enum Matcher {
    /// Whole string equals.
    Exact(Vec<u8>),
    /// Starts with.
    Prefix(Vec<u8>),
    /// Ends with.
    Suffix(Vec<u8>),
    /// Contains.
    Contains(memmem::Finder<'static>),
    /// Anything.
    Any,
    /// A regular expression.
    Re(Arc<Regex>),
}

impl Matcher {
    /// Whether `s` matches.
    #[inline]
    pub(crate) fn is_match(&self, s: &[u8]) -> bool {
        match self {
            Matcher::Exact(p) => s == p.as_slice(),
            Matcher::Prefix(p) => s.starts_with(p),
            Matcher::Suffix(p) => s.ends_with(p),
            Matcher::Contains(f) => f.find(s).is_some(),
            Matcher::Any => true,
            Matcher::Re(r) => r.is_match(s),
        }
    }
}

/// A regex compiled once per distinct pattern and flags (process-wide cache).
pub(crate) fn cached_regex(pattern: &str) -> Result<Arc<Regex>> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<Regex>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    if let Ok(c) = cache.lock() {
        if let Some(r) = c.get(pattern) {
            return Ok(r.clone());
        }
    }
    let r = regex::bytes::RegexBuilder::new(pattern)
        .size_limit(1 << 26)
        .build()
        .map_err(|e| {
            QueryError::new(
                ErrorCode::CannotCompileRegexp,
                format!("OptimizedRegularExpression: cannot compile re2: {pattern}, error: {e}"),
            )
        })?;
    let r = Arc::new(r);
    if let Ok(mut c) = cache.lock() {
        if c.len() > 1024 {
            c.clear();
        }
        c.insert(pattern.to_string(), r.clone());
    }
    Ok(r)
}

/// Compiles a LIKE pattern.
pub(crate) fn like_matcher(p: &[u8], case_insensitive: bool) -> Result<Matcher> {
    // Tokenize: literal bytes, '%' and '_' wildcards.
    #[derive(PartialEq)]
    enum T {
        Lit(u8),
        Many,
        One,
    }
    let mut toks = Vec::with_capacity(p.len());
    let mut i = 0;
    while i < p.len() {
        match p[i] {
            b'\\' if i + 1 < p.len() => {
                toks.push(T::Lit(p[i + 1]));
                i += 2;
                continue;
            }
            b'%' => toks.push(T::Many),
            b'_' => toks.push(T::One),
            c => toks.push(T::Lit(c)),
        }
        i += 1;
    }
    if !case_insensitive && !toks.contains(&T::One) {
        let lead = toks.iter().take_while(|t| **t == T::Many).count();
        let trail = toks.iter().rev().take_while(|t| **t == T::Many).count();
        if lead == toks.len() && lead > 0 {
            return Ok(Matcher::Any);
        }
        let mid = &toks[lead..toks.len() - trail];
        if mid.iter().all(|t| matches!(t, T::Lit(_))) {
            let lit: Vec<u8> = mid
                .iter()
                .map(|t| if let T::Lit(c) = t { *c } else { 0 })
                .collect();
            return Ok(match (lead > 0, trail > 0) {
                (false, false) => Matcher::Exact(lit),
                (false, true) => Matcher::Prefix(lit),
                (true, false) => Matcher::Suffix(lit),
                (true, true) => Matcher::Contains(memmem::Finder::new(&lit).into_owned()),
            });
        }
    }
    let mut re = String::from(if case_insensitive { "(?si)^" } else { "(?s)^" });
    let mut lit = Vec::new();
    let flush = |lit: &mut Vec<u8>, re: &mut String| {
        if !lit.is_empty() {
            re.push_str(&regex::escape(&String::from_utf8_lossy(lit)));
            lit.clear();
        }
    };
    for t in &toks {
        match t {
            T::Lit(c) => lit.push(*c),
            T::Many => {
                flush(&mut lit, &mut re);
                re.push_str(".*");
            }
            T::One => {
                flush(&mut lit, &mut re);
                re.push('.');
            }
        }
    }
    flush(&mut lit, &mut re);
    re.push('$');
    Ok(Matcher::Re(cached_regex(&re)?))
}

/// Compiles a `match` pattern (RE2 syntax; `.` matches newlines as in ClickHouse).
pub(crate) fn regex_matcher(p: &[u8]) -> Result<Arc<Regex>> {
    cached_regex(&format!("(?s){}", String::from_utf8_lossy(p)))
}

/// `like`, `notLike`, `ilike`, `notILike`, `match`.
#[derive(Debug)]
struct Like {
    name: &'static str,
    negate: bool,
    ci: bool,
    regex: bool,
}

impl Like {
    fn compile(&self, p: &[u8]) -> Result<Matcher> {
        if self.regex {
            Ok(Matcher::Re(regex_matcher(p)?))
        } else {
            like_matcher(p, self.ci)
        }
    }
}

impl ScalarFunction for Like {
    fn name(&self) -> &'static str {
        self.name
    }

    fn return_type(&self, args: &[DataType], c: &[Option<ArrayRef>]) -> Result<DataType> {
        check_arity(self.name, args, 2, 2)?;
        for (i, t) in args.iter().enumerate() {
            if !matches!(t, DataType::String | DataType::FixedString(_)) {
                return Err(illegal_type(self.name, t, i));
            }
        }
        // Validate a constant pattern now (bad regex errors at bind time).
        if let Some(p) = super::common::const_bytes(c.get(1).and_then(|c| c.as_ref())) {
            self.compile(&p)?;
        }
        Ok(DataType::UInt8)
    }

    fn eval(
        &self,
        args: &[ColumnarValue],
        types: &[DataType],
        _r: &DataType,
        rows: usize,
    ) -> Result<ColumnarValue> {
        let s = str_arg(&args[0], &types[0])?;
        let s = s.as_binary::<i32>();
        let p = str_arg(&args[1], &types[1])?;
        let p = p.as_binary::<i32>();
        let scalar = args[0].is_scalar() && args[1].is_scalar();
        let n = if scalar { 1 } else { rows };
        let neg = self.negate as u8;
        let out: Vec<u8> = if args[1].is_scalar() {
            let m = self.compile(p.value(0))?;
            (0..n)
                .map(|i| m.is_match(s.value(idx(&args[0], i))) as u8 ^ neg)
                .collect()
        } else {
            let mut last: Option<(Vec<u8>, Matcher)> = None;
            let mut v = Vec::with_capacity(n);
            for i in 0..n {
                let pat = p.value(i);
                if p.is_null(i) {
                    v.push(0);
                    continue;
                }
                if last.as_ref().is_none_or(|(lp, _)| lp.as_slice() != pat) {
                    last = Some((pat.to_vec(), self.compile(pat)?));
                }
                let m = &last.as_ref().map(|l| &l.1);
                v.push(m.is_some_and(|m| m.is_match(s.value(idx(&args[0], i)))) as u8 ^ neg);
            }
            v
        };
        let out: ArrayRef = Arc::new(UInt8Array::from(out));
        Ok(if scalar {
            ColumnarValue::Scalar(out)
        } else {
            ColumnarValue::Array(out)
        })
    }
}

/// Registers the pattern-matching functions.
pub fn register(r: &mut FunctionRegistry) {
    r.register(Arc::new(Like {
        name: "like",
        negate: false,
        ci: false,
        regex: false,
    }));
    r.register(Arc::new(Like {
        name: "notLike",
        negate: true,
        ci: false,
        regex: false,
    }));
    r.register(Arc::new(Like {
        name: "ilike",
        negate: false,
        ci: true,
        regex: false,
    }));
    r.register(Arc::new(Like {
        name: "notILike",
        negate: true,
        ci: true,
        regex: false,
    }));
    r.register(Arc::new(Like {
        name: "match",
        negate: false,
        ci: false,
        regex: true,
    }));
    r.alias("REGEXP_MATCHES", "match", true);
}

#[cfg(test)]
mod tests {
    use crate::functions::testutil::*;

    fn ev(name: &str, args: Vec<Arg>) -> Vec<String> {
        eval_text(name, args).unwrap().0
    }

    // chdb: SELECT 'hello' LIKE '%ell%' 1, 'hello' LIKE 'h_llo' 1, 'a%b' LIKE 'a\\%b' 1, 'HeLLo' ILIKE 'hel%' 1,
    // 'hello' NOT LIKE 'he%' 0, match('abc123', '\\d+$') 1, 'привет' LIKE 'пр_вет' 1
    #[test]
    fn like_and_match() {
        let s = || s_col(&["hello", "help", "", "HeLLo"]);
        assert_eq!(
            ev("like", vec![s(), s_const("%ell%")]),
            ["1", "0", "0", "0"]
        );
        assert_eq!(ev("like", vec![s(), s_const("he%")]), ["1", "1", "0", "0"]);
        assert_eq!(ev("like", vec![s(), s_const("%lo")]), ["1", "0", "0", "0"]);
        assert_eq!(
            ev("like", vec![s(), s_const("hello")]),
            ["1", "0", "0", "0"]
        );
        assert_eq!(ev("like", vec![s(), s_const("%")]), ["1", "1", "1", "1"]);
        assert_eq!(ev("like", vec![s(), s_const("h_l%")]), ["1", "1", "0", "0"]);
        assert_eq!(
            ev("ilike", vec![s(), s_const("hel%")]),
            ["1", "1", "0", "1"]
        );
        assert_eq!(
            ev("notLike", vec![s(), s_const("he%")]),
            ["0", "0", "1", "1"]
        );
        assert_eq!(
            ev("like", vec![s_col(&["a%b", "axb"]), s_const("a\\%b")]),
            ["1", "0"]
        );
        assert_eq!(
            ev("like", vec![s_col(&["привет"]), s_const("пр_вет")]),
            ["1"]
        );
        assert_eq!(
            ev("like", vec![s_col(&["a.c", "abc"]), s_col(&["a.c", "a_c"])]),
            ["1", "1"]
        );
        assert_eq!(
            ev("match", vec![s_col(&["abc123", "abc"]), s_const("\\d+$")]),
            ["1", "0"]
        );
        assert_eq!(
            ev(
                "like",
                vec![col("Nullable(String)", &["\\N"]), s_const("%")]
            ),
            ["\\N"]
        );
        let e = eval_text("match", vec![s_col(&["a"]), s_const("(")]).unwrap_err();
        assert_eq!(e.code(), 427);
    }
}
