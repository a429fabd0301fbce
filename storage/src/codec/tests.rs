//! Whole-block tests: every chain round-trips, realistic data compresses, damage is caught.

use proptest::prelude::*;

use super::*;
use crate::error::StorageError;

/// Every chain worth testing: each codec alone, each preprocessor before each
/// general-purpose codec, and a few longer chains.
fn all_chains() -> Vec<CodecChain> {
    let mut texts: Vec<String> = [
        "NONE",
        "LZ4",
        "ZSTD",
        "ZSTD(9)",
        "Delta",
        "Delta(1)",
        "Delta(2)",
        "Delta(4)",
        "Delta(8)",
        "DoubleDelta",
        "Gorilla",
        "T64",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for pre in ["Delta", "Delta(2)", "DoubleDelta", "Gorilla", "T64"] {
        for general in ["LZ4", "ZSTD(3)", "NONE"] {
            texts.push(format!("{pre}, {general}"));
        }
    }
    texts.push("Delta, DoubleDelta, T64, Gorilla, LZ4, ZSTD".into());
    texts.push("T64, Delta, ZSTD(1)".into());
    texts.push("LZ4, LZ4".into());
    texts
        .iter()
        .map(|t| CodecChain::parse(t).expect(t))
        .collect()
}

fn round_trip(chain: &CodecChain, width: usize, data: &[u8]) -> Vec<u8> {
    let mut block = vec![0xEE; 3];
    compress_block(chain, width, data, &mut block);
    let block = &block[3..];
    let header = block_header(block).unwrap();
    assert_eq!(header.block_size, block.len());
    assert_eq!(header.uncompressed_size, data.len());
    let mut out = vec![0x11];
    let used =
        decompress_block(block, &mut out).unwrap_or_else(|e| panic!("{chain} width {width}: {e}"));
    assert_eq!(used, block.len());
    assert_eq!(&out[1..], data, "{chain} width {width}");
    block.to_vec()
}

/// Compressible inputs: small values, runs, sorted sequences, as well as raw noise.
fn data_strategy() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..600),
        proptest::collection::vec(0u8..4, 0..3000),
        (any::<u64>(), 0u64..1000, 0usize..400, 0usize..8).prop_map(|(base, step, n, extra)| {
            let mut v: Vec<u8> = (0..n as u64)
                .flat_map(|i| base.wrapping_add(step * i).to_le_bytes())
                .collect();
            v.extend(std::iter::repeat_n(0xAB, extra));
            v
        }),
        (
            proptest::collection::vec(-1000.0f64..1000.0, 0..50),
            1usize..20
        )
            .prop_map(|(xs, rep)| {
                xs.iter()
                    .flat_map(|x| std::iter::repeat_n(*x, rep))
                    .flat_map(f64::to_le_bytes)
                    .collect()
            }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn every_chain_round_trips(data in data_strategy(), width in prop::sample::select(vec![0usize, 1, 2, 4, 8, 16])) {
        for chain in all_chains() {
            round_trip(&chain, width, &data);
        }
    }

    #[test]
    fn every_stage_round_trips_without_fallback(data in data_strategy(), width in prop::sample::select(vec![1u8, 2, 4, 8])) {
        use super::stage::{method, Stage};
        for m in [method::NONE, method::LZ4, method::ZSTD, method::DELTA, method::T64, method::DOUBLE_DELTA, method::GORILLA] {
            let arg = match m {
                method::NONE | method::LZ4 => 0,
                method::ZSTD => 3,
                _ => width,
            };
            let stage = Stage::from_stored(m, arg).unwrap();
            let mut enc = vec![9];
            stage.encode(&data, &mut enc).unwrap();
            let mut dec = vec![9];
            stage.decode(&enc[1..], data.len(), &mut dec).unwrap();
            prop_assert_eq!(&dec[1..], &data[..], "method {:#x} width {}", m, width);
        }
    }

    #[test]
    fn stage_decoders_survive_garbage(
        garbage in proptest::collection::vec(any::<u8>(), 0..300),
        expected in 0usize..20_000,
        width in prop::sample::select(vec![1u8, 2, 4, 8]),
    ) {
        use super::stage::{method, Stage};
        for m in [method::NONE, method::LZ4, method::ZSTD, method::DELTA, method::T64, method::DOUBLE_DELTA, method::GORILLA] {
            let arg = match m {
                method::NONE | method::LZ4 => 0,
                method::ZSTD => 3,
                _ => width,
            };
            let stage = Stage::from_stored(m, arg).unwrap();
            let mut out = Vec::new();
            if stage.decode(&garbage, expected, &mut out).is_ok() {
                prop_assert_eq!(out.len(), expected);
            }
        }
    }

    #[test]
    fn damage_behind_a_valid_checksum_is_an_error_not_a_panic(
        data in data_strategy(),
        chain in prop::sample::select(all_chains()),
        width in prop::sample::select(vec![1usize, 2, 4, 8]),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 1..4),
    ) {
        // A writer bug or a deliberate forgery: decoders see damaged input that the
        // checksum vouches for. They must fail cleanly or produce the recorded size.
        let mut block = Vec::new();
        compress_block(&chain, width, &data, &mut block);
        for (at, x) in &flips {
            let i = 32 + at.index(block.len() - 31) - 1;
            if i >= 32 {
                block[i] ^= x;
            }
        }
        let sum = xxhash_rust::xxh3::xxh3_128(&block[16..]);
        block[..16].copy_from_slice(&sum.to_le_bytes());
        let mut out = Vec::new();
        match decompress_block(&block, &mut out) {
            Ok(used) => {
                prop_assert_eq!(used, block.len());
                prop_assert_eq!(out.len(), data.len());
            }
            Err(_) => prop_assert!(out.is_empty()),
        }
    }

    #[test]
    fn garbage_is_an_error_not_a_panic(garbage in proptest::collection::vec(any::<u8>(), 0..300)) {
        let mut out = Vec::new();
        prop_assert!(decompress_block(&garbage, &mut out).is_err());
        prop_assert!(out.is_empty());
        let _ = block_header(&garbage);
        let _ = block_codecs(&garbage);
    }

    #[test]
    fn a_plausible_header_over_garbage_is_an_error(
        stages in proptest::collection::vec((prop::sample::select(vec![0x02u8, 0x82, 0x90, 0x92, 0x93, 0x94, 0x95, 0x07]), 0u8..10, 0u32..5000), 0..4),
        payload in proptest::collection::vec(any::<u8>(), 0..400),
        uncompressed in 0u32..5000,
    ) {
        // A correct checksum over random contents: every decoder must refuse, not panic.
        let mut block = vec![0u8; 32];
        block[16] = 1;
        block[17] = stages.len() as u8;
        block[24..28].copy_from_slice(&(payload.len() as u32).to_le_bytes());
        block[28..32].copy_from_slice(&uncompressed.max(payload.len() as u32).to_le_bytes());
        let uncompressed = uncompressed.max(payload.len() as u32);
        for (i, (m, a, s)) in stages.iter().enumerate() {
            // The first stage must decode to the uncompressed size to get past the header
            // checks and reach the decoders.
            let size = if i == 0 { uncompressed } else { *s };
            block.extend_from_slice(&[*m, *a]);
            block.extend_from_slice(&size.to_le_bytes());
        }
        block.extend_from_slice(&payload);
        let sum = xxhash_rust::xxh3::xxh3_128(&block[16..]);
        block[..16].copy_from_slice(&sum.to_le_bytes());
        let mut out = Vec::new();
        if decompress_block(&block, &mut out).is_ok() {
            let h = block_header(&block).unwrap();
            prop_assert_eq!(out.len(), h.uncompressed_size);
        } else {
            prop_assert!(out.is_empty());
        }
    }
}

fn le_bytes<T: Copy, const N: usize>(
    values: impl Iterator<Item = T>,
    f: fn(T) -> [u8; N],
) -> Vec<u8> {
    values.flat_map(f).collect()
}

fn compressed_size(chain: &str, width: usize, data: &[u8]) -> usize {
    round_trip(&CodecChain::parse(chain).unwrap(), width, data).len()
}

#[test]
fn timestamps_shrink_with_delta_and_double_delta() {
    // A second-resolution DateTime column with a little jitter, and an exact 10 s series.
    let jittered = le_bytes(
        (0..100_000u32).map(|i| 1_700_000_000 + i * 3 + (i * 7919) % 3),
        u32::to_le_bytes,
    );
    let exact = le_bytes(
        (0..100_000i64).map(|i| 1_700_000_000_000 + i * 10_000),
        i64::to_le_bytes,
    );
    let lz4 = compressed_size("LZ4", 4, &jittered);
    let dd = compressed_size("DoubleDelta", 4, &jittered);
    let delta_zstd = compressed_size("Delta, ZSTD", 4, &jittered);
    assert!(dd * 3 < jittered.len(), "DoubleDelta {dd}");
    assert!(delta_zstd * 8 < jittered.len(), "Delta, ZSTD {delta_zstd}");
    assert!(delta_zstd < lz4, "Delta, ZSTD {delta_zstd} vs LZ4 {lz4}");
    let dd = compressed_size("DoubleDelta", 8, &exact);
    assert!(dd * 300 < exact.len(), "DoubleDelta {dd}");
    let dd_lz4 = compressed_size("DoubleDelta, LZ4", 8, &exact);
    assert!(dd_lz4 * 3000 < exact.len(), "DoubleDelta, LZ4 {dd_lz4}");
    let delta_lz4 = compressed_size("Delta, LZ4", 8, &exact);
    assert!(delta_lz4 * 100 < exact.len(), "Delta, LZ4 {delta_lz4}");
}

#[test]
fn floats_shrink_with_gorilla() {
    // A sensor reading that moves in 0.25 steps and often repeats.
    let readings = le_bytes(
        (0..50_000u64).map(|i| 21.5 + (((i / 16) * 2_654_435_761) % 9) as f64 * 0.25),
        f64::to_le_bytes,
    );
    let gorilla = compressed_size("Gorilla", 8, &readings);
    assert!(gorilla * 4 < readings.len(), "Gorilla {gorilla}");
    let gorilla_lz4 = compressed_size("Gorilla, LZ4", 8, &readings);
    assert!(gorilla_lz4 < gorilla, "Gorilla, LZ4 {gorilla_lz4}");
}

#[test]
fn small_ints_shrink_with_t64() {
    let ints = le_bytes(
        (0..65_536u64).map(|i| (i * 2_654_435_761) % 1000),
        u64::to_le_bytes,
    );
    let t64 = compressed_size("T64", 8, &ints);
    // 10 of 64 bits survive.
    assert!(t64 * 6 < ints.len(), "T64 {t64}");
    let t64_lz4 = compressed_size("T64, LZ4", 8, &ints);
    let lz4 = compressed_size("LZ4", 8, &ints);
    assert!(t64_lz4 < lz4, "T64, LZ4 {t64_lz4} vs LZ4 {lz4}");
}

#[test]
fn empty_and_incompressible_inputs() {
    for chain in all_chains() {
        for width in [0, 1, 8] {
            let block = round_trip(&chain, width, &[]);
            assert_eq!(block.len(), 32);
        }
    }
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let noise: Vec<u8> = (0..10_000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect();
    let block = round_trip(&CodecChain::default(), 1, &noise);
    // Stored as is rather than expanded.
    assert_eq!(block.len(), 32 + noise.len());
    assert_eq!(block_codecs(&block).unwrap().stages, vec![]);
}

#[test]
fn stored_chain_reflects_what_was_applied() {
    let data = le_bytes(0..1000u32, u32::to_le_bytes);
    let mut block = Vec::new();
    compress_block(
        &CodecChain::parse("NONE, Delta, ZSTD(4)").unwrap(),
        4,
        &data,
        &mut block,
    );
    assert_eq!(block_codecs(&block).unwrap().to_sql(), "Delta(4), ZSTD(4)");
    block.clear();
    compress_block(&CodecChain::parse("Delta").unwrap(), 4, &data, &mut block);
    assert_eq!(block_codecs(&block).unwrap().to_sql(), "Delta(4)");
    block.clear();
    compress_block(
        &CodecChain::parse("T64, LZ4").unwrap(),
        0,
        &[5; 1000],
        &mut block,
    );
    assert_eq!(block_codecs(&block).unwrap().to_sql(), "LZ4");
}

#[test]
fn consecutive_blocks_decode_in_sequence() {
    let chains = all_chains();
    let mut file = Vec::new();
    let mut expected = Vec::new();
    for (i, chain) in chains.iter().enumerate() {
        let data = le_bytes((0..(i as u64 * 37)).map(|v| v * v), u64::to_le_bytes);
        compress_block(chain, 8, &data, &mut file);
        expected.extend_from_slice(&data);
    }
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < file.len() {
        let skip = block_header(&file[pos..]).unwrap().block_size;
        pos += decompress_block(&file[pos..], &mut out).unwrap();
        assert!(pos <= file.len() && skip > 0);
    }
    assert_eq!(out, expected);
}

#[test]
fn any_flipped_byte_or_truncation_is_an_error() {
    let data = le_bytes((0..2000u32).map(|i| i / 3), u32::to_le_bytes);
    for chain in [
        "LZ4",
        "ZSTD(3)",
        "Delta, LZ4",
        "DoubleDelta",
        "Gorilla",
        "T64, ZSTD",
        "NONE",
    ] {
        let mut block = Vec::new();
        compress_block(&CodecChain::parse(chain).unwrap(), 4, &data, &mut block);
        for i in 0..block.len() {
            for flip in [0x01u8, 0x80, 0xFF] {
                let mut bad = block.clone();
                bad[i] ^= flip;
                let mut out = Vec::new();
                let err = decompress_block(&bad, &mut out).unwrap_err();
                assert!(out.is_empty());
                // Past the size fields, the checksum is what catches it.
                if !(16..32).contains(&i) {
                    assert!(
                        matches!(err, StorageError::ChecksumMismatch(_)),
                        "{chain} byte {i}: {err}"
                    );
                }
            }
        }
        for len in 0..block.len() {
            assert!(decompress_block(&block[..len], &mut Vec::new()).is_err());
        }
    }
}

#[test]
fn errors_carry_clickhouse_codes() {
    let mut block = Vec::new();
    compress_block(&CodecChain::default(), 8, &[7; 4096], &mut block);
    let last = block.len() - 1;
    block[last] ^= 1;
    assert_eq!(
        decompress_block(&block, &mut Vec::new())
            .unwrap_err()
            .code(),
        40
    );
    assert_eq!(
        decompress_block(&block[..10], &mut Vec::new())
            .unwrap_err()
            .code(),
        246
    );
}

/// Throughput of the hot path; run with
/// `cargo test -p granary-storage --release --lib codec::tests::throughput -- --ignored --nocapture`.
#[test]
#[ignore]
fn throughput() {
    use std::time::Instant;
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut rand = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    // 1 MiB blocks of 8-byte integers: a sorted id column with random gaps, and a
    // UInt64 counter-ish column of random values below 100 000.
    let n = 1usize << 17;
    let mut id = 1_000_000_000u64;
    let sorted: Vec<u8> = (0..n)
        .flat_map(|_| {
            id += rand() % 16;
            id.to_le_bytes()
        })
        .collect();
    let small: Vec<u8> = (0..n)
        .flat_map(|_| (rand() % 100_000).to_le_bytes())
        .collect();
    for (name, data) in [("sorted ids", &sorted), ("ints < 1e5", &small)] {
        for chain in [
            "LZ4",
            "ZSTD(1)",
            "ZSTD(3)",
            "Delta, LZ4",
            "DoubleDelta, LZ4",
            "T64, LZ4",
            "Gorilla",
            "NONE",
        ] {
            let chain = CodecChain::parse(chain).unwrap();
            // The best of many rounds: the machine may be shared with compilers.
            let rounds = 40;
            let mut block = Vec::new();
            let mut c = f64::MAX;
            for _ in 0..rounds {
                block.clear();
                let t = Instant::now();
                compress_block(&chain, 8, data, &mut block);
                c = c.min(t.elapsed().as_secs_f64());
            }
            let mut out = Vec::with_capacity(data.len());
            let mut d = f64::MAX;
            for _ in 0..rounds {
                out.clear();
                let t = Instant::now();
                decompress_block(&block, &mut out).unwrap();
                d = d.min(t.elapsed().as_secs_f64());
            }
            assert_eq!(&out, data);
            let mb = data.len() as f64 / 1e6;
            println!(
                "{name:<11} {:<17} ratio {:6.2}  compress {:6.0} MB/s  decompress {:6.0} MB/s",
                chain.to_sql(),
                data.len() as f64 / block.len() as f64,
                mb / c,
                mb / d
            );
        }
    }
}
