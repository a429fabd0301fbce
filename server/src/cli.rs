//! The command line: `granary [--log-level L] server [--listen ADDR] [--data-dir DIR]`.
//!
//! Every flag is documented here; clap turns these doc comments into `--help`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Default address of the HTTP interface: ClickHouse's HTTP port, on loopback only.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8123";

/// Default data directory, relative to the working directory.
pub const DEFAULT_DATA_DIR: &str = "./granary-data";

/// Granary: a columnar OLAP database server that speaks ClickHouse's HTTP interface.
#[derive(Debug, Parser)]
#[command(
    name = "granary",
    version,
    arg_required_else_help = true,
    after_help = "Example:\n  granary server --listen 127.0.0.1:8123 --data-dir ./granary-data\n\n\
                  Run `granary server --help` for the server's flags."
)]
pub struct Cli {
    /// How much to log to stderr.
    #[arg(
        long,
        global = true,
        env = "GRANARY_LOG",
        value_enum,
        ignore_case = true,
        default_value_t = LogLevel::Info
    )]
    pub log_level: LogLevel,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands of `granary`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the database server and serve ClickHouse's HTTP interface until SIGINT or SIGTERM.
    Server(ServerArgs),
}

/// Flags of `granary server`.
#[derive(Debug, Clone, Args)]
pub struct ServerArgs {
    /// Address (HOST:PORT) the HTTP interface listens on; port 0 picks a free port.
    /// Use 0.0.0.0:8123 to accept connections from other machines.
    #[arg(long, value_name = "HOST:PORT", default_value = DEFAULT_LISTEN, value_parser = parse_listen)]
    pub listen: String,

    /// Directory that holds all of the server's data (tables, parts, metadata).
    /// Created if missing.
    #[arg(long, value_name = "DIR", default_value = DEFAULT_DATA_DIR)]
    pub data_dir: PathBuf,

    /// Users file (TOML): users with password hashes, allowed networks, readonly level,
    /// settings and quotas (see README, "Users"). Without it, user `default` needs no
    /// password and may connect from loopback only.
    #[arg(long, value_name = "FILE")]
    pub users_config: Option<PathBuf>,

    /// Threads that merge parts in the background (ClickHouse's background pool).
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub background_merge_threads: u16,
}

/// Log verbosity, from quietest to loudest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogLevel {
    /// Only errors.
    Error,
    /// Errors and warnings.
    Warn,
    /// Start-up, shutdown and other notable events (the default).
    Info,
    /// Also every HTTP request and connection.
    Debug,
    /// Everything, including the libraries' internals.
    Trace,
}

/// Checks that `value` looks like `HOST:PORT` with a numeric port (the host is resolved
/// when the server binds), so a typo fails at once with a usage error.
fn parse_listen(value: &str) -> Result<String, String> {
    let (host, port) = value
        .rsplit_once(':')
        .ok_or_else(|| format!("`{value}` is not HOST:PORT (e.g. 127.0.0.1:8123)"))?;
    if host.is_empty() {
        return Err(format!("`{value}` has no host (e.g. 127.0.0.1:{port})"));
    }
    port.parse::<u16>()
        .map_err(|_| format!("`{port}` is not a port number (0-65535)"))?;
    Ok(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn server_defaults() {
        let cli = Cli::try_parse_from(["granary", "server"]).expect("parses");
        let Command::Server(args) = cli.command;
        assert_eq!(args.listen, DEFAULT_LISTEN);
        assert_eq!(args.data_dir, PathBuf::from(DEFAULT_DATA_DIR));
    }

    #[test]
    fn server_flags_and_global_log_level() {
        let cli = Cli::try_parse_from([
            "granary",
            "server",
            "--listen",
            "[::1]:9000",
            "--data-dir",
            "/tmp/x",
            "--log-level",
            "DEBUG",
        ])
        .expect("parses");
        assert_eq!(cli.log_level, LogLevel::Debug);
        let Command::Server(args) = cli.command;
        assert_eq!(args.listen, "[::1]:9000");
        assert_eq!(args.data_dir, PathBuf::from("/tmp/x"));
    }

    #[test]
    fn bad_listen_addresses_are_usage_errors() {
        for bad in ["8123", ":8123", "localhost:http", "127.0.0.1:70000"] {
            assert!(
                Cli::try_parse_from(["granary", "server", "--listen", bad]).is_err(),
                "{bad} should be rejected"
            );
        }
        assert!(parse_listen("localhost:8123").is_ok());
    }
}
