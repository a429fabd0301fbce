//! `LZ4`: the default general-purpose codec (LZ4 block format via `lz4_flex`). Fast to
//! compress and very fast to decompress: the right choice for the hot read path.

use crate::error::{Result, StorageError};

/// LZ4 cannot expand data by more than this factor (one 255-length byte run per literal
/// byte is the worst case), which bounds what a block may claim before we allocate.
const MAX_RATIO: usize = 255;

/// Appends the LZ4 compression of `input` to `out`; `Err` only if the library fails.
pub(crate) fn encode(input: &[u8], out: &mut Vec<u8>) -> std::result::Result<(), ()> {
    let start = out.len();
    out.resize(
        start + lz4_flex::block::get_maximum_output_size(input.len()),
        0,
    );
    match lz4_flex::block::compress_into(input, &mut out[start..]) {
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

/// Appends the `expected_len` bytes that `input` decompresses to onto `out`.
pub(crate) fn decode(input: &[u8], expected_len: usize, out: &mut Vec<u8>) -> Result<()> {
    if expected_len > input.len().saturating_mul(MAX_RATIO).saturating_add(16) {
        return Err(StorageError::CorruptedData(format!(
            "LZ4 stage: {} compressed bytes cannot hold {expected_len} bytes",
            input.len()
        )));
    }
    let start = out.len();
    out.resize(start + expected_len, 0);
    match lz4_flex::block::decompress_into(input, &mut out[start..]) {
        Ok(n) if n == expected_len => Ok(()),
        Ok(n) => Err(StorageError::CorruptedData(format!(
            "LZ4 stage: decompressed to {n} bytes, the block says {expected_len}"
        ))),
        Err(e) => Err(StorageError::CorruptedData(format!("LZ4 stage: {e}"))),
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
        let mut enc = Vec::new();
        encode(&data, &mut enc).unwrap();
        assert!(enc.len() < data.len() / 4);
        let mut dec = Vec::new();
        decode(&enc, data.len(), &mut dec).unwrap();
        assert_eq!(dec, data);
        assert!(decode(&enc, data.len() - 1, &mut Vec::new()).is_err());
        assert!(decode(&enc, data.len() + 1, &mut Vec::new()).is_err());
        assert!(decode(&enc[..enc.len() / 2], data.len(), &mut Vec::new()).is_err());
        assert!(decode(&[0xFF; 4], 1 << 20, &mut Vec::new()).is_err());
    }
}
