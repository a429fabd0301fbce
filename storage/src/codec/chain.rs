//! [`Codec`] and [`CodecChain`]: what a column's `CODEC(...)` clause says, parsed from and
//! printed back to ClickHouse's spelling.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::zstd::LEVELS;
use crate::error::{Result, StorageError};

/// The most stages a chain may have (ClickHouse has no such limit, but nothing useful
/// needs more than a few).
pub const MAX_CHAIN_LEN: usize = 8;

/// The level `ZSTD` without an argument means (ClickHouse's default).
pub const DEFAULT_ZSTD_LEVEL: i32 = 1;

/// One stage of a codec chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Codec {
    /// `NONE`: stores the bytes as they are.
    None,
    /// `LZ4`: fast general-purpose compression; the default.
    Lz4,
    /// `ZSTD(level)`: stronger, slower general-purpose compression; `level` in 1..=22.
    Zstd {
        /// Compression level, 1..=22.
        level: i32,
    },
    /// `Delta(width)`: replaces each `width`-byte value by its difference from the previous
    /// one. `width` is 1, 2, 4 or 8, or 0 for the column's value width (`Delta` alone).
    Delta {
        /// Value width in bytes; 0 means the column's value width.
        width: u8,
    },
    /// `DoubleDelta`: delta of deltas with variable bit widths; for timestamps and
    /// monotonic counters.
    DoubleDelta,
    /// `Gorilla`: XOR with the previous value (Facebook's Gorilla); for floats.
    Gorilla,
    /// `T64`: crops unused high bits of integers by transposing groups of 64 values.
    T64,
}

impl Codec {
    /// Whether this stage is a general-purpose compressor (`NONE`, `LZ4`, `ZSTD`) rather
    /// than a preprocessor that reshapes fixed-width values.
    pub fn is_general_purpose(&self) -> bool {
        matches!(self, Codec::None | Codec::Lz4 | Codec::Zstd { .. })
    }

    /// Checks the arguments (ZSTD level, Delta width).
    pub fn validate(&self) -> Result<()> {
        match *self {
            Codec::Zstd { level } if !LEVELS.contains(&level) => Err(StorageError::BadArguments(
                format!("ZSTD codec level must be between 1 and 22, got {level}"),
            )),
            Codec::Delta { width } if !matches!(width, 0 | 1 | 2 | 4 | 8) => {
                Err(StorageError::BadArguments(format!(
                    "Delta codec width must be 1, 2, 4 or 8 bytes, got {width}"
                )))
            }
            _ => Ok(()),
        }
    }

    /// Parses one stage, e.g. `ZSTD(3)` or `delta`.
    fn parse(item: &str) -> Result<Codec> {
        let item = item.trim();
        let (name, args) = match item.find('(') {
            Some(open) => {
                let inner = item[open + 1..].strip_suffix(')').ok_or_else(|| {
                    StorageError::BadArguments(format!("codec `{item}`: missing `)`"))
                })?;
                (item[..open].trim(), Some(inner.trim()))
            }
            None => (item, None),
        };
        let int_arg = |what: &str| -> Result<Option<i64>> {
            match args {
                None => Ok(None),
                Some(a) => a.parse::<i64>().map(Some).map_err(|_| {
                    StorageError::BadArguments(format!(
                        "codec {name}: {what} must be one integer, got `{a}`"
                    ))
                }),
            }
        };
        let no_args = |codec: Codec| -> Result<Codec> {
            match args {
                None => Ok(codec),
                Some(_) => Err(StorageError::BadArguments(format!(
                    "codec {name} takes no arguments"
                ))),
            }
        };
        let codec = match name.to_ascii_lowercase().as_str() {
            "none" => no_args(Codec::None)?,
            "lz4" => no_args(Codec::Lz4)?,
            "doubledelta" => no_args(Codec::DoubleDelta)?,
            "gorilla" => no_args(Codec::Gorilla)?,
            "t64" => no_args(Codec::T64)?,
            "zstd" => {
                let level = int_arg("the level")?.unwrap_or(DEFAULT_ZSTD_LEVEL as i64);
                Codec::Zstd {
                    level: i32::try_from(level).unwrap_or(i32::MAX),
                }
            }
            "delta" => {
                let width = int_arg("the width")?.unwrap_or(0);
                if !matches!(width, 1 | 2 | 4 | 8) && args.is_some() {
                    return Err(StorageError::BadArguments(format!(
                        "Delta codec width must be 1, 2, 4 or 8 bytes, got {width}"
                    )));
                }
                Codec::Delta { width: width as u8 }
            }
            "" => {
                return Err(StorageError::BadArguments(format!(
                    "empty codec name in `{item}`"
                )))
            }
            _ => {
                return Err(StorageError::UnknownCodec(format!(
                    "Unknown codec family: {name}. Supported: NONE, LZ4, ZSTD(level), \
                     Delta(width), DoubleDelta, Gorilla, T64"
                )))
            }
        };
        codec.validate()?;
        Ok(codec)
    }
}

impl fmt::Display for Codec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Codec::None => f.write_str("NONE"),
            Codec::Lz4 => f.write_str("LZ4"),
            Codec::Zstd { level } => write!(f, "ZSTD({level})"),
            Codec::Delta { width: 0 } => f.write_str("Delta"),
            Codec::Delta { width } => write!(f, "Delta({width})"),
            Codec::DoubleDelta => f.write_str("DoubleDelta"),
            Codec::Gorilla => f.write_str("Gorilla"),
            Codec::T64 => f.write_str("T64"),
        }
    }
}

/// An ordered chain, applied left to right when compressing (like ClickHouse's
/// `CODEC(...)` list) and right to left when decompressing.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CodecChain {
    /// The stages, first applied first.
    pub stages: Vec<Codec>,
}

impl CodecChain {
    /// Parses the inside of `CODEC(...)`: `"LZ4"`, `"ZSTD(3)"`, `"Delta(4), ZSTD"`,
    /// `"NONE"`, case-insensitive (a surrounding `CODEC(...)` is accepted too).
    ///
    /// Unknown codec names are [`StorageError::UnknownCodec`]; bad arguments (a ZSTD level
    /// outside 1..=22, a Delta width other than 1, 2, 4, 8, arguments to a codec that
    /// takes none, an empty list, more than [`MAX_CHAIN_LEN`] stages) are
    /// [`StorageError::BadArguments`].
    pub fn parse(s: &str) -> Result<CodecChain> {
        let mut text = s.trim();
        if text.len() > 6
            && text
                .get(..6)
                .is_some_and(|p| p.eq_ignore_ascii_case("codec("))
            && text.ends_with(')')
        {
            text = text[6..text.len() - 1].trim();
        }
        if text.is_empty() {
            return Err(StorageError::BadArguments(
                "CODEC(...) needs at least one codec, e.g. CODEC(LZ4)".into(),
            ));
        }
        let stages = split_top_level(text)?
            .into_iter()
            .map(Codec::parse)
            .collect::<Result<Vec<_>>>()?;
        let chain = CodecChain { stages };
        chain.validate()?;
        Ok(chain)
    }

    /// Checks every stage's arguments and the chain's length.
    pub fn validate(&self) -> Result<()> {
        if self.stages.is_empty() {
            return Err(StorageError::BadArguments(
                "a codec chain needs at least one codec".into(),
            ));
        }
        if self.stages.len() > MAX_CHAIN_LEN {
            return Err(StorageError::BadArguments(format!(
                "a codec chain has at most {MAX_CHAIN_LEN} codecs, got {}",
                self.stages.len()
            )));
        }
        self.stages.iter().try_for_each(Codec::validate)
    }

    /// The default chain: `LZ4`.
    pub fn default_lz4() -> CodecChain {
        CodecChain {
            stages: vec![Codec::Lz4],
        }
    }

    /// Canonical text, e.g. `"Delta(4), ZSTD(3)"`; [`CodecChain::parse`] reads it back to
    /// an equal chain.
    pub fn to_sql(&self) -> String {
        self.to_string()
    }
}

impl Default for CodecChain {
    fn default() -> Self {
        CodecChain::default_lz4()
    }
}

impl fmt::Display for CodecChain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, codec) in self.stages.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{codec}")?;
        }
        Ok(())
    }
}

/// Splits `a, b(1, 2), c` at the commas outside parentheses.
fn split_top_level(text: &str) -> Result<Vec<&str>> {
    let mut items = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, ch) in text.char_indices() {
        match ch {
            '(' => depth += 1,
            ')' => {
                depth = depth.checked_sub(1).ok_or_else(|| {
                    StorageError::BadArguments(format!("unbalanced `)` in CODEC({text})"))
                })?
            }
            ',' if depth == 0 => {
                items.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if depth != 0 {
        return Err(StorageError::BadArguments(format!(
            "unbalanced `(` in CODEC({text})"
        )));
    }
    items.push(&text[start..]);
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_clickhouse_spellings() {
        let c = CodecChain::parse("Delta(4), ZSTD(3)").unwrap();
        assert_eq!(
            c.stages,
            vec![Codec::Delta { width: 4 }, Codec::Zstd { level: 3 }]
        );
        assert_eq!(c.to_sql(), "Delta(4), ZSTD(3)");
        assert_eq!(CodecChain::parse("lz4").unwrap(), CodecChain::default());
        assert_eq!(
            CodecChain::parse(" zstd ").unwrap().stages,
            vec![Codec::Zstd { level: 1 }]
        );
        assert_eq!(
            CodecChain::parse("CODEC(DoubleDelta, LZ4)")
                .unwrap()
                .to_sql(),
            "DoubleDelta, LZ4"
        );
        assert_eq!(
            CodecChain::parse("t64,lz4").unwrap().stages,
            vec![Codec::T64, Codec::Lz4]
        );
        assert_eq!(CodecChain::parse("Gorilla").unwrap().to_sql(), "Gorilla");
        assert_eq!(CodecChain::parse("NONE").unwrap().to_sql(), "NONE");
        assert_eq!(CodecChain::parse("Delta").unwrap().to_sql(), "Delta");
        assert_eq!(
            CodecChain::parse("ZSTD( 22 )").unwrap().to_sql(),
            "ZSTD(22)"
        );
    }

    #[test]
    fn rejects_unknown_codecs_and_bad_arguments() {
        let code = |s: &str| CodecChain::parse(s).unwrap_err().code();
        assert_eq!(code("FOO"), 432);
        assert_eq!(code("CODEC(FOO)"), 432);
        assert_eq!(code("LZ4, Brotli"), 432);
        assert_eq!(code("ZSTD(99)"), 36);
        assert_eq!(code("ZSTD(0)"), 36);
        assert_eq!(code("ZSTD(-1)"), 36);
        assert_eq!(code("ZSTD(99999999999)"), 36);
        assert_eq!(code("ZSTD(x)"), 36);
        assert_eq!(code("Delta(3)"), 36);
        assert_eq!(code("Delta(0)"), 36);
        assert_eq!(code("LZ4(1)"), 36);
        assert_eq!(code("T64()"), 36);
        assert_eq!(code(""), 36);
        assert_eq!(code("LZ4,"), 36);
        assert_eq!(code("ZSTD(1"), 36);
        assert_eq!(code("ZSTD)1("), 36);
        assert_eq!(code(&["LZ4"; 9].join(",")), 36);
    }

    #[test]
    fn to_sql_round_trips_every_codec() {
        let all = vec![
            Codec::None,
            Codec::Lz4,
            Codec::Zstd { level: 7 },
            Codec::Delta { width: 0 },
            Codec::Delta { width: 2 },
            Codec::DoubleDelta,
            Codec::Gorilla,
            Codec::T64,
        ];
        let chain = CodecChain { stages: all };
        assert_eq!(CodecChain::parse(&chain.to_sql()).unwrap(), chain);
        let json = serde_json::to_string(&chain).unwrap();
        assert_eq!(serde_json::from_str::<CodecChain>(&json).unwrap(), chain);
    }
}
