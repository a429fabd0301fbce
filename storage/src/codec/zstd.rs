//! `ZSTD(level)`: Zstandard frames via the `zstd` crate, with one compression and one
//! decompression context reused per thread (creating a context costs more than
//! compressing a small block).

use std::cell::RefCell;

use zstd::zstd_safe::{self, CCtx, DCtx};

use crate::error::{Result, StorageError};

/// The levels `ZSTD(level)` accepts.
pub(crate) const LEVELS: std::ops::RangeInclusive<i32> = 1..=22;

thread_local! {
    static CCTX: RefCell<Option<CCtx<'static>>> = const { RefCell::new(None) };
    static DCTX: RefCell<Option<DCtx<'static>>> = const { RefCell::new(None) };
}

/// Appends one Zstandard frame (with its content size) of `input` to `out`; `Err` only if
/// the library fails.
pub(crate) fn encode(level: i32, input: &[u8], out: &mut Vec<u8>) -> std::result::Result<(), ()> {
    let start = out.len();
    out.resize(start + zstd_safe::compress_bound(input.len()), 0);
    let level = level.clamp(*LEVELS.start(), *LEVELS.end());
    let res = CCTX.with(|cell| match cell.try_borrow_mut() {
        Ok(mut slot) => {
            slot.get_or_insert_with(CCtx::create)
                .compress(&mut out[start..], input, level)
        }
        Err(_) => CCtx::create().compress(&mut out[start..], input, level),
    });
    match res {
        Ok(n) => {
            out.truncate(start + n);
            Ok(())
        }
        Err(_) => {
            out.truncate(start);
            Err(())
        }
    }
}

/// Appends the `expected_len` bytes that the single frame `input` decompresses to onto
/// `out`. The frame must record exactly that content size.
pub(crate) fn decode(input: &[u8], expected_len: usize, out: &mut Vec<u8>) -> Result<()> {
    let corrupted = |what: String| StorageError::CorruptedData(format!("ZSTD stage: {what}"));
    match zstd_safe::get_frame_content_size(input) {
        Ok(Some(size)) if size == expected_len as u64 => {}
        Ok(Some(size)) => {
            return Err(corrupted(format!(
                "frame holds {size} bytes, the block says {expected_len}"
            )))
        }
        _ => return Err(corrupted("missing or invalid frame header".into())),
    }
    match zstd_safe::find_frame_compressed_size(input) {
        Ok(n) if n == input.len() => {}
        _ => return Err(corrupted("frame size does not match the stage size".into())),
    }
    let start = out.len();
    out.resize(start + expected_len, 0);
    let dst = &mut out[start..];
    let res = DCTX.with(|cell| match cell.try_borrow_mut() {
        Ok(mut slot) => slot.get_or_insert_with(DCtx::create).decompress(dst, input),
        Err(_) => DCtx::create().decompress(dst, input),
    });
    match res {
        Ok(n) if n == expected_len => Ok(()),
        Ok(n) => Err(corrupted(format!(
            "decompressed to {n} bytes, the block says {expected_len}"
        ))),
        Err(code) => Err(corrupted(zstd_safe::get_error_name(code).to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_wrong_sizes() {
        let data: Vec<u8> = (0..10_000u32)
            .flat_map(|i| (i % 100).to_le_bytes())
            .collect();
        for level in [1, 3, 9, 22] {
            let mut enc = Vec::new();
            encode(level, &data, &mut enc).unwrap();
            assert!(enc.len() < data.len() / 4);
            let mut dec = vec![1, 2, 3];
            decode(&enc, data.len(), &mut dec).unwrap();
            assert_eq!(&dec[3..], &data[..]);
            assert!(decode(&enc, data.len() - 1, &mut Vec::new()).is_err());
            assert!(decode(&enc[..enc.len() - 1], data.len(), &mut Vec::new()).is_err());
        }
        let mut empty = Vec::new();
        encode(1, &[], &mut empty).unwrap();
        let mut dec = Vec::new();
        decode(&empty, 0, &mut dec).unwrap();
        assert!(dec.is_empty());
        assert!(decode(&[0xFF; 16], 10, &mut Vec::new()).is_err());
    }
}
