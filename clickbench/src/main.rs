//! `hits-gen`: writes a synthetic ClickBench `hits` table as TSV or Parquet.
//!
//! `hits-gen --rows N --seed S --format tsv|parquet --out FILE`; the same seed and row count
//! always give the same bytes.

use std::fs::File;
use std::io::{self, BufWriter};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, ValueEnum};
use granary_clickbench::write::{default_threads, write_parquet, write_tsv};

/// Output formats.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    /// ClickHouse TabSeparated, like `hits.tsv`.
    Tsv,
    /// Parquet with `hits.parquet`'s physical types.
    Parquet,
}

/// Generates ClickBench's `hits` table (105 columns), deterministic by seed.
#[derive(Debug, Parser)]
#[command(name = "hits-gen")]
struct Args {
    /// Number of rows.
    #[arg(long)]
    rows: u64,
    /// Random seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Tsv)]
    format: Format,
    /// Output file.
    #[arg(long)]
    out: PathBuf,
    /// Worker threads (default: the number of cores); the output does not depend on it.
    #[arg(long)]
    threads: Option<usize>,
}

fn run(args: &Args) -> io::Result<()> {
    let mut file = BufWriter::with_capacity(1 << 20, File::create(&args.out)?);
    let threads = args.threads.unwrap_or_else(default_threads);
    match args.format {
        Format::Tsv => write_tsv(args.rows, args.seed, threads, &mut file),
        Format::Parquet => write_parquet(args.rows, args.seed, threads, file),
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    let start = Instant::now();
    if let Err(e) = run(&args) {
        eprintln!("hits-gen: {}: {e}", args.out.display());
        return ExitCode::FAILURE;
    }
    let secs = start.elapsed().as_secs_f64();
    let bytes = std::fs::metadata(&args.out).map(|m| m.len()).unwrap_or(0);
    eprintln!(
        "hits-gen: {} rows, {} bytes in {:.2} s ({:.0} rows/s) -> {}",
        args.rows,
        bytes,
        secs,
        args.rows as f64 / secs.max(1e-9),
        args.out.display()
    );
    ExitCode::SUCCESS
}
