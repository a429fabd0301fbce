//! [`Stage`]: one codec as applied to a block and recorded in its header (method byte and
//! argument byte), and [`plan`], which resolves a [`CodecChain`] against a value width
//! into the stages that actually run.

use super::chain::{Codec, CodecChain};
use super::word::is_word_width;
use super::zstd::LEVELS;
use super::{delta, double_delta, gorilla, lz4, t64, zstd};
use crate::error::{Result, StorageError};

/// Method bytes as stored in block headers (ClickHouse's `CompressionMethodByte` values).
pub(crate) mod method {
    /// `NONE`.
    pub const NONE: u8 = 0x02;
    /// `LZ4`.
    pub const LZ4: u8 = 0x82;
    /// `ZSTD`.
    pub const ZSTD: u8 = 0x90;
    /// `Delta`.
    pub const DELTA: u8 = 0x92;
    /// `T64`.
    pub const T64: u8 = 0x93;
    /// `DoubleDelta`.
    pub const DOUBLE_DELTA: u8 = 0x94;
    /// `Gorilla`.
    pub const GORILLA: u8 = 0x95;
}

/// One codec as applied to a block: its method byte and its argument byte (the ZSTD
/// level, or the value width in bytes for the preprocessors; 0 otherwise).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Stage {
    /// One of [`method`]'s constants.
    pub method: u8,
    /// ZSTD level, or value width in bytes for Delta/DoubleDelta/Gorilla/T64, or 0.
    pub arg: u8,
}

impl Stage {
    /// Validates a stage read from a block header.
    pub(crate) fn from_stored(method: u8, arg: u8) -> Result<Stage> {
        use method::*;
        let valid = match method {
            NONE | LZ4 => arg == 0,
            ZSTD => LEVELS.contains(&(arg as i32)),
            DELTA | T64 | DOUBLE_DELTA | GORILLA => is_word_width(arg as usize),
            _ => {
                return Err(StorageError::UnknownCodec(format!(
                    "Unknown codec method byte 0x{method:02x} in a compressed block"
                )))
            }
        };
        if !valid {
            return Err(StorageError::CorruptedData(format!(
                "invalid argument {arg} for codec method 0x{method:02x} in a compressed block"
            )));
        }
        Ok(Stage { method, arg })
    }

    /// The codec this stage applies.
    pub(crate) fn codec(&self) -> Codec {
        match self.method {
            method::LZ4 => Codec::Lz4,
            method::ZSTD => Codec::Zstd {
                level: self.arg as i32,
            },
            method::DELTA => Codec::Delta { width: self.arg },
            method::T64 => Codec::T64,
            method::DOUBLE_DELTA => Codec::DoubleDelta,
            method::GORILLA => Codec::Gorilla,
            _ => Codec::None,
        }
    }

    /// Whether this is a general-purpose compressor (NONE, LZ4, ZSTD).
    pub(crate) fn is_general_purpose(&self) -> bool {
        matches!(self.method, method::NONE | method::LZ4 | method::ZSTD)
    }

    /// Appends the encoding of `input` to `out`; `Err` only if a compression library fails.
    pub(crate) fn encode(&self, input: &[u8], out: &mut Vec<u8>) -> std::result::Result<(), ()> {
        let width = self.arg as usize;
        match self.method {
            method::LZ4 => return lz4::encode(input, out),
            method::ZSTD => return zstd::encode(self.arg as i32, input, out),
            method::DELTA => delta::encode(width, input, out),
            method::T64 => t64::encode(width, input, out),
            method::DOUBLE_DELTA => double_delta::encode(width, input, out),
            method::GORILLA => gorilla::encode(width, input, out),
            _ => out.extend_from_slice(input),
        }
        Ok(())
    }

    /// Appends exactly `expected_len` decoded bytes of `input` to `out`, or fails.
    pub(crate) fn decode(
        &self,
        input: &[u8],
        expected_len: usize,
        out: &mut Vec<u8>,
    ) -> Result<()> {
        let width = self.arg as usize;
        match self.method {
            method::LZ4 => lz4::decode(input, expected_len, out),
            method::ZSTD => zstd::decode(input, expected_len, out),
            method::DELTA => delta::decode(width, input, expected_len, out),
            method::T64 => t64::decode(width, input, expected_len, out),
            method::DOUBLE_DELTA => double_delta::decode(width, input, expected_len, out),
            method::GORILLA => gorilla::decode(width, input, expected_len, out),
            _ if input.len() == expected_len => {
                out.extend_from_slice(input);
                Ok(())
            }
            _ => Err(StorageError::CorruptedData(format!(
                "NONE stage: {} bytes stored, the block says {expected_len}",
                input.len()
            ))),
        }
    }
}

/// The stages `chain` applies to values of `value_width` bytes, in compression order.
///
/// `NONE` stages are dropped (they are the identity). Preprocessors that do not apply are
/// dropped too: all of them when `value_width` is 0 (variable-length data),
/// DoubleDelta/Gorilla/T64 and a width-less `Delta` when `value_width` is not 1, 2, 4 or
/// 8, and a `Delta(w)` whose `w` is invalid. ZSTD levels are clamped to 1..=22.
pub(crate) fn plan(chain: &CodecChain, value_width: usize) -> Vec<Stage> {
    let word = |m: u8| {
        is_word_width(value_width).then_some(Stage {
            method: m,
            arg: value_width as u8,
        })
    };
    chain
        .stages
        .iter()
        .filter_map(|codec| match *codec {
            Codec::None => None,
            Codec::Lz4 => Some(Stage {
                method: method::LZ4,
                arg: 0,
            }),
            Codec::Zstd { level } => Some(Stage {
                method: method::ZSTD,
                arg: level.clamp(*LEVELS.start(), *LEVELS.end()) as u8,
            }),
            Codec::Delta { width: 0 } => word(method::DELTA),
            Codec::Delta { width } => {
                (value_width > 0 && is_word_width(width as usize)).then_some(Stage {
                    method: method::DELTA,
                    arg: width,
                })
            }
            Codec::DoubleDelta => word(method::DOUBLE_DELTA),
            Codec::Gorilla => word(method::GORILLA),
            Codec::T64 => word(method::T64),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_resolves_widths_and_drops_no_ops() {
        let chain = CodecChain::parse("NONE, Delta, DoubleDelta, T64, Gorilla, ZSTD(5)").unwrap();
        let methods = |w| -> Vec<Codec> { plan(&chain, w).iter().map(Stage::codec).collect() };
        assert_eq!(
            methods(4),
            vec![
                Codec::Delta { width: 4 },
                Codec::DoubleDelta,
                Codec::T64,
                Codec::Gorilla,
                Codec::Zstd { level: 5 }
            ]
        );
        assert_eq!(methods(0), vec![Codec::Zstd { level: 5 }]);
        assert_eq!(methods(16), vec![Codec::Zstd { level: 5 }]);
        let explicit = CodecChain::parse("Delta(2)").unwrap();
        assert_eq!(
            plan(&explicit, 16),
            vec![Stage {
                method: method::DELTA,
                arg: 2
            }]
        );
        assert!(plan(&explicit, 0).is_empty());
    }

    #[test]
    fn stored_stages_are_validated() {
        assert_eq!(Stage::from_stored(0x42, 0).unwrap_err().code(), 432);
        assert_eq!(
            Stage::from_stored(method::DELTA, 3).unwrap_err().code(),
            246
        );
        assert_eq!(
            Stage::from_stored(method::ZSTD, 23).unwrap_err().code(),
            246
        );
        assert_eq!(Stage::from_stored(method::LZ4, 1).unwrap_err().code(), 246);
        assert!(Stage::from_stored(method::GORILLA, 8).is_ok());
    }
}
