//! Column codecs and the compressed block format.
//!
//! A column's `.bin` file is a sequence of compressed blocks. Each block is compressed
//! with the column's [`CodecChain`], ClickHouse's `CODEC(...)` list: optional
//! preprocessors that reshape fixed-width values (`Delta`, `DoubleDelta`, `Gorilla`,
//! `T64`) followed by a general-purpose codec (`LZ4`, the default, `ZSTD(level)` or
//! `NONE`). A chain of preprocessors alone stores their output uncompressed, as in
//! ClickHouse.
//!
//! Blocks are self-describing: the header records the stages actually applied, their
//! arguments and sizes, and an xxh3-128 checksum of everything after it, so
//! [`decompress_block`] needs no schema and rejects any damage with an error instead of
//! a panic. The byte layout is in [`block`] and `storage/FORMAT.md`.
//!
//! ```
//! use granary_storage::codec::{compress_block, decompress_block, CodecChain};
//!
//! let chain = CodecChain::parse("DoubleDelta, LZ4").unwrap();
//! let timestamps: Vec<u8> = (0..1000u32).flat_map(|i| (1_700_000_000 + i).to_le_bytes()).collect();
//! let mut file = Vec::new();
//! compress_block(&chain, 4, &timestamps, &mut file);
//! assert!(file.len() < 100);
//! let mut back = Vec::new();
//! assert_eq!(decompress_block(&file, &mut back).unwrap(), file.len());
//! assert_eq!(back, timestamps);
//! ```

pub mod block;
mod chain;

mod bitpack;
mod bitstream;
mod delta;
mod double_delta;
mod gorilla;
mod lz4;
mod stage;
mod t64;
mod word;
mod zstd;

#[cfg(test)]
mod tests;

pub use block::{
    block_codecs, block_header, compress_block, decompress_block, BlockHeader,
    MAX_UNCOMPRESSED_BLOCK_SIZE,
};
pub use chain::{Codec, CodecChain, DEFAULT_ZSTD_LEVEL, MAX_CHAIN_LEN};
