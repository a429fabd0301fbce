//! The compressed block: a self-describing, checksummed unit of a column's `.bin` file.
//!
//! ```text
//! offset  size  field
//! 0       16    checksum: xxh3_128 of bytes 16..block_size, little-endian u128
//! 16      1     format version, 1
//! 17      1     stage count n, 0..=8
//! 18      2     reserved, zero
//! 20      4     value width in bytes (informational; stages carry their own)
//! 24      4     payload size
//! 28      4     uncompressed size, at most MAX_UNCOMPRESSED_BLOCK_SIZE
//! 32      6n    stages in compression order: method u8, argument u8, and the u32 size
//!               of the data entering the stage (= what decoding it must produce)
//! 32+6n   ...   payload: the output of the last stage (the data itself if n = 0)
//! ```
//!
//! All integers are little-endian. See `storage/FORMAT.md` for the stage formats.

use xxhash_rust::xxh3::xxh3_128;

use super::chain::{CodecChain, MAX_CHAIN_LEN};
use super::stage::{plan, Stage};
use crate::error::{Result, StorageError};

/// The largest uncompressed size a block may have: 1 GiB. Writers cut blocks far smaller
/// (about 1 MiB); the cap keeps a damaged or hostile header from demanding absurd memory.
pub const MAX_UNCOMPRESSED_BLOCK_SIZE: usize = 1 << 30;

/// The block format version this code writes and reads.
const FORMAT_VERSION: u8 = 1;
/// Size of the checksum at the start of every block.
const CHECKSUM_SIZE: usize = 16;
/// Size of the header before the stage descriptors.
const FIXED_HEADER_SIZE: usize = 32;
/// Size of one stage descriptor.
const STAGE_SIZE: usize = 6;
/// Intermediate buffers larger than this are not kept for reuse between blocks.
const MAX_CACHED_SCRATCH: usize = 64 << 20;

/// What the header of a compressed block says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockHeader {
    /// Size of the whole block in the file: header plus payload. The next block starts
    /// this many bytes after this one.
    pub block_size: usize,
    /// Size of the data once decompressed.
    pub uncompressed_size: usize,
    /// Size of the header: fixed part plus stage descriptors.
    pub header_size: usize,
    /// Size of the payload after the header.
    pub payload_size: usize,
    /// The value width the writer passed (informational).
    pub value_width: usize,
    /// How many codec stages were applied (0: stored as is).
    pub stage_count: usize,
}

fn corrupted(what: impl std::fmt::Display) -> StorageError {
    StorageError::CorruptedData(format!("Corrupted compressed block: {what}"))
}

fn u32_at(bytes: &[u8], at: usize) -> usize {
    bytes
        .get(at..at + 4)
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map_or(0, |b| u32::from_le_bytes(b) as usize)
}

/// Reads just the header of the block at the start of `input` (which may hold only the
/// header): sizes for readers that skip blocks. Checks the header's structure, not the
/// checksum; [`decompress_block`] checks that.
pub fn block_header(input: &[u8]) -> Result<BlockHeader> {
    let fixed = input.get(..FIXED_HEADER_SIZE).ok_or_else(|| {
        corrupted(format_args!(
            "{} bytes left, a block header needs {FIXED_HEADER_SIZE}",
            input.len()
        ))
    })?;
    if fixed[16] != FORMAT_VERSION {
        return Err(corrupted(format_args!(
            "unknown format version {}",
            fixed[16]
        )));
    }
    let stage_count = fixed[17] as usize;
    if stage_count > MAX_CHAIN_LEN {
        return Err(corrupted(format_args!("{stage_count} codec stages")));
    }
    if fixed[18] != 0 || fixed[19] != 0 {
        return Err(corrupted("reserved header bytes are not zero"));
    }
    let value_width = u32_at(fixed, 20);
    let payload_size = u32_at(fixed, 24);
    let uncompressed_size = u32_at(fixed, 28);
    if uncompressed_size > MAX_UNCOMPRESSED_BLOCK_SIZE {
        return Err(corrupted(format_args!(
            "uncompressed size {uncompressed_size} exceeds the {MAX_UNCOMPRESSED_BLOCK_SIZE} limit"
        )));
    }
    // Writers fall back to storing the data as is when compression would expand it.
    if payload_size > uncompressed_size {
        return Err(corrupted(format_args!(
            "payload of {payload_size} bytes for {uncompressed_size} uncompressed bytes"
        )));
    }
    let header_size = FIXED_HEADER_SIZE + STAGE_SIZE * stage_count;
    Ok(BlockHeader {
        block_size: header_size + payload_size,
        uncompressed_size,
        header_size,
        payload_size,
        value_width,
        stage_count,
    })
}

/// Compresses `data` (values of `value_width` bytes each: 1, 2, 4, 8 are what Delta,
/// DoubleDelta, Gorilla and T64 work on; 0 for variable-length data, where they are
/// skipped) as one self-describing block and appends it, header and payload, to `out`.
///
/// Stages that do not apply to `value_width` are skipped, so is a general-purpose stage
/// (LZ4, ZSTD) that does not shrink its input, and if the chain would still expand the
/// data, the block stores it as is (zero stages). The header records what was actually
/// done, so [`decompress_block`] needs no schema.
///
/// # Panics
///
/// If `data` is larger than [`MAX_UNCOMPRESSED_BLOCK_SIZE`]: writers must cut blocks.
pub fn compress_block(chain: &CodecChain, value_width: usize, data: &[u8], out: &mut Vec<u8>) {
    assert!(
        data.len() <= MAX_UNCOMPRESSED_BLOCK_SIZE,
        "compress_block: {} bytes exceed the {MAX_UNCOMPRESSED_BLOCK_SIZE}-byte block limit",
        data.len()
    );
    let mut stages = if data.is_empty() {
        Vec::new()
    } else {
        plan(chain, value_width)
    };
    if stages.len() > MAX_CHAIN_LEN {
        stages.clear();
    }
    let start = out.len();
    if write_block(&stages, value_width, data, out).is_err() {
        out.truncate(start);
        // Storing as is cannot fail.
        let _ = write_block(&[], value_width, data, out);
    }
}

/// Writes one block with `stages`; `Err` if a stage fails, an intermediate result outgrows
/// the size limit, or the payload is larger than `data` (the caller then stores as is).
/// A general-purpose stage (LZ4, ZSTD) that does not shrink its input is dropped: its
/// decoding would cost time and buy nothing.
fn write_block(
    stages: &[Stage],
    value_width: usize,
    data: &[u8],
    out: &mut Vec<u8>,
) -> std::result::Result<(), ()> {
    let start = out.len();
    let planned_header_size = FIXED_HEADER_SIZE + STAGE_SIZE * stages.len();
    out.resize(start + planned_header_size, 0);
    let mut prev = Vec::new();
    let mut next = Vec::new();
    let mut have_prev = false;
    let mut applied = [(Stage { method: 0, arg: 0 }, 0usize); MAX_CHAIN_LEN];
    let mut count = 0;
    for (i, stage) in stages.iter().enumerate() {
        let input: &[u8] = if have_prev { &prev } else { data };
        if input.len() > MAX_UNCOMPRESSED_BLOCK_SIZE {
            return Err(());
        }
        let last = i + 1 == stages.len();
        let target = if last {
            &mut *out
        } else {
            next.clear();
            &mut next
        };
        let mark = target.len();
        stage.encode(input, target)?;
        if stage.is_general_purpose() && target.len() - mark >= input.len() {
            target.truncate(mark);
            if last {
                target.extend_from_slice(input);
            }
            continue;
        }
        *applied.get_mut(count).ok_or(())? = (*stage, input.len());
        count += 1;
        if !last {
            std::mem::swap(&mut prev, &mut next);
            have_prev = true;
        }
    }
    if stages.is_empty() {
        out.extend_from_slice(data);
    }
    let header_size = FIXED_HEADER_SIZE + STAGE_SIZE * count;
    if header_size < planned_header_size {
        out.copy_within(start + planned_header_size.., start + header_size);
        out.truncate(out.len() - (planned_header_size - header_size));
    }
    let payload_size = out.len() - start - header_size;
    if payload_size > data.len() {
        return Err(());
    }
    let header = &mut out[start..start + header_size];
    header[16] = FORMAT_VERSION;
    header[17] = count as u8;
    let value_width = u32::try_from(value_width).unwrap_or(u32::MAX);
    header[20..24].copy_from_slice(&value_width.to_le_bytes());
    header[24..28].copy_from_slice(&(payload_size as u32).to_le_bytes());
    header[28..32].copy_from_slice(&(data.len() as u32).to_le_bytes());
    for ((stage, size), desc) in applied[..count]
        .iter()
        .zip(header[FIXED_HEADER_SIZE..].chunks_exact_mut(STAGE_SIZE))
    {
        desc[0] = stage.method;
        desc[1] = stage.arg;
        desc[2..6].copy_from_slice(&(*size as u32).to_le_bytes());
    }
    let checksum = xxh3_128(&out[start + CHECKSUM_SIZE..]);
    out[start..start + CHECKSUM_SIZE].copy_from_slice(&checksum.to_le_bytes());
    Ok(())
}

/// Reads the block at the start of `input`, verifies its checksum and appends the
/// decompressed bytes to `out`. Returns how many bytes of `input` the block occupied.
///
/// Any damage (truncation, flipped bits, sizes that lie) is an error, never a panic:
/// [`StorageError::ChecksumMismatch`] when the checksum does not match,
/// [`StorageError::CorruptedData`] when the header is malformed or the block is cut short,
/// [`StorageError::UnknownCodec`] for a codec this build does not know. On error `out` is
/// left as it was.
pub fn decompress_block(input: &[u8], out: &mut Vec<u8>) -> Result<usize> {
    let header = block_header(input)?;
    let block = input.get(..header.block_size).ok_or_else(|| {
        corrupted(format_args!(
            "block of {} bytes cut short at {} bytes",
            header.block_size,
            input.len()
        ))
    })?;
    verify_checksum(block)?;
    let mut stages = [(Stage { method: 0, arg: 0 }, 0usize); MAX_CHAIN_LEN];
    for (slot, desc) in stages
        .iter_mut()
        .zip(block[FIXED_HEADER_SIZE..header.header_size].chunks_exact(STAGE_SIZE))
    {
        let size = u32_at(desc, 2);
        if size > MAX_UNCOMPRESSED_BLOCK_SIZE {
            return Err(corrupted(format_args!(
                "stage size {size} exceeds the limit"
            )));
        }
        *slot = (Stage::from_stored(desc[0], desc[1])?, size);
    }
    let stages = &stages[..header.stage_count];
    let payload = &block[header.header_size..];
    let first_size = stages.first().map_or(payload.len(), |s| s.1);
    if first_size != header.uncompressed_size {
        return Err(corrupted(format_args!(
            "stages decode to {first_size} bytes, the header says {}",
            header.uncompressed_size
        )));
    }
    let start = out.len();
    out.reserve(header.uncompressed_size);
    let res = decode_stages(stages, payload, out);
    if let Err(e) = res {
        out.truncate(start);
        return Err(e);
    }
    Ok(header.block_size)
}

/// Compares the checksum at the start of `block` with the hash of the rest.
fn verify_checksum(block: &[u8]) -> Result<()> {
    let (stored, rest) = block.split_at(CHECKSUM_SIZE);
    let stored = <[u8; CHECKSUM_SIZE]>::try_from(stored).map_or(0, u128::from_le_bytes);
    let actual = xxh3_128(rest);
    if stored != actual {
        return Err(StorageError::ChecksumMismatch(format!(
            "Checksum doesn't match: corrupted data. Reference: {stored:#034x}. \
             Actual: {actual:#034x}. Size of compressed block: {}",
            block.len()
        )));
    }
    Ok(())
}

thread_local! {
    /// Intermediate buffers of multi-stage chains, kept to spare an allocation per block.
    static SCRATCH: std::cell::Cell<[Vec<u8>; 2]> = const { std::cell::Cell::new([Vec::new(), Vec::new()]) };
}

/// Decodes `payload` through `stages` (in reverse) and appends the result to `out`.
fn decode_stages(stages: &[(Stage, usize)], payload: &[u8], out: &mut Vec<u8>) -> Result<()> {
    let Some(((first, first_size), rest)) = stages.split_first() else {
        out.extend_from_slice(payload);
        return Ok(());
    };
    if rest.is_empty() {
        return first.decode(payload, *first_size, out);
    }
    let [mut prev, mut next] = SCRATCH.with(|s| s.take());
    let mut res = Ok(());
    // Stages 1.. decode into scratch buffers; stage 0 decodes straight into `out`.
    for (i, (stage, size)) in stages.iter().enumerate().rev() {
        let input: &[u8] = if i + 1 == stages.len() {
            payload
        } else {
            &prev
        };
        res = if i == 0 {
            stage.decode(input, *size, out)
        } else {
            next.clear();
            stage.decode(input, *size, &mut next)
        };
        if res.is_err() {
            break;
        }
        std::mem::swap(&mut prev, &mut next);
    }
    if prev.capacity() <= MAX_CACHED_SCRATCH && next.capacity() <= MAX_CACHED_SCRATCH {
        SCRATCH.with(|s| s.set([prev, next]));
    }
    res
}

/// The codec stages the block at the start of `input` was actually compressed with (NONE
/// and inapplicable preprocessors dropped, widths resolved): for diagnostics and tests.
pub fn block_codecs(input: &[u8]) -> Result<CodecChain> {
    let header = block_header(input)?;
    let descs = input
        .get(FIXED_HEADER_SIZE..header.header_size)
        .ok_or_else(|| corrupted("stage descriptors cut short"))?;
    let stages = descs
        .chunks_exact(STAGE_SIZE)
        .map(|d| Stage::from_stored(d[0], d[1]).map(|s| s.codec()))
        .collect::<Result<Vec<_>>>()?;
    Ok(CodecChain { stages })
}
