//! The `granary` binary: parses the command line, sets up logging and runs the server.
//! Everything else lives in the `granary_server` library so tests can reuse it.

use std::process::ExitCode;

use clap::Parser;
use granary_server::{logging, Cli};

/// mimalloc: short queries allocate and free many small objects across threads, where
/// glibc's allocator spends a large share of the time.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(e) = logging::init(cli.log_level) {
        eprintln!("granary: error: cannot set up logging: {e}");
        return ExitCode::FAILURE;
    }
    match granary_server::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("granary: error: {e}");
            ExitCode::FAILURE
        }
    }
}
