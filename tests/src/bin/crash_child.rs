//! The victim of the crash test (`tests/tests/crash.rs`): opens the engine in a data
//! directory, creates the crash table if missing and inserts forever, until the parent
//! kills it with SIGKILL.
//!
//! Usage: `crash_child <data_dir> <seed> <first_insert_number>`
//!
//! It prints, flushing each line to stdout:
//! - `READY` once the engine is open, the table exists and merges run;
//! - `BEGIN n rows` before insert number `n` starts;
//! - `ACK n rows` after `insert` returned `Ok` (the insert is durable from then on);
//! - `OPTIMIZE begin`, then `OPTIMIZE ok` or `OPTIMIZE err <code> <message>`, around an
//!   `OPTIMIZE` (with or without FINAL) it runs every few inserts.
//!
//! Background merges run the whole time, so kills land in inserts, merges and optimizes.
//! Any other error is printed to stderr and ends the process with status 1.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use granary_storage::StorageEngine;
use granary_tests::crash;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("crash_child: {e}");
            ExitCode::from(1)
        }
    }
}

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    let [_, dir, seed, first] = &args[..] else {
        return Err("usage: crash_child <data_dir> <seed> <first_insert_number>".into());
    };
    let dir = PathBuf::from(dir);
    let seed: u64 = seed.parse().map_err(|e| format!("bad seed {seed}: {e}"))?;
    let mut n: u64 = first
        .parse()
        .map_err(|e| format!("bad insert number {first}: {e}"))?;
    let mut rng = StdRng::seed_from_u64(seed);

    let engine = StorageEngine::open(&dir).map_err(|e| format!("open: {e}"))?;
    let schema = crash::schema().map_err(|e| e.to_string())?;
    let table = engine
        .create_table(crash::DB, crash::TABLE, schema, crash::CREATE_QUERY, true)
        .map_err(|e| format!("create table: {e}"))?;
    let _merges = engine.start_background_merges(1);

    let out = std::io::stdout();
    let mut out = out.lock();
    let mut say = |line: String| -> Result<(), String> {
        writeln!(out, "{line}")
            .and_then(|_| out.flush())
            .map_err(|e| format!("stdout: {e}"))
    };
    say("READY".into())?;
    loop {
        let rows = rng.gen_range(1..=2000usize);
        let batch = crash::batch(n, rows, &mut rng).map_err(|e| e.to_string())?;
        say(format!("BEGIN {n} {rows}"))?;
        table
            .insert(&batch)
            .map_err(|e| format!("insert {n}: {}", e.to_clickhouse_string()))?;
        say(format!("ACK {n} {rows}"))?;
        n += 1;
        if rng.gen_ratio(1, 3) {
            let final_ = rng.gen_bool(0.5);
            say("OPTIMIZE begin".into())?;
            match table.optimize(None, final_) {
                Ok(()) => say("OPTIMIZE ok".into())?,
                Err(e) => say(format!("OPTIMIZE err {} {e}", e.code()))?,
            }
        }
    }
}
