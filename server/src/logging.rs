//! Logging: `tracing` events, formatted by `tracing-subscriber`, written to stderr.

use std::io::IsTerminal;

use tracing::level_filters::LevelFilter;

use crate::cli::LogLevel;

impl From<LogLevel> for LevelFilter {
    fn from(level: LogLevel) -> Self {
        match level {
            LogLevel::Error => LevelFilter::ERROR,
            LogLevel::Warn => LevelFilter::WARN,
            LogLevel::Info => LevelFilter::INFO,
            LogLevel::Debug => LevelFilter::DEBUG,
            LogLevel::Trace => LevelFilter::TRACE,
        }
    }
}

/// Installs the process-wide logger: events at `level` and above go to stderr, coloured
/// only when stderr is a terminal. Fails if a logger was already installed.
pub fn init(level: LogLevel) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    tracing_subscriber::fmt()
        .with_max_level(LevelFilter::from(level))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init()
}
