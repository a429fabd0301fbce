//! `granary-server`: the `granary` binary's library half.
//!
//! It owns what a user of the server process sees: the command line ([`cli`]), logging
//! ([`logging`]), the ClickHouse-compatible HTTP interface ([`http`]) and the server's
//! life cycle — bind, serve, graceful shutdown ([`server`], [`signal`]). `main.rs` only
//! parses arguments and calls [`run`]; tests drive the same code through [`server::serve`].

#![warn(missing_docs)]

pub mod cli;
pub mod error;
pub mod http;
pub mod logging;
pub mod server;
pub mod signal;
pub mod users;

pub use cli::{Cli, Command, LogLevel, ServerArgs};
pub use error::ServerError;
pub use server::{serve, ServerState};

/// Runs the command the user asked for on a fresh Tokio runtime and returns when it is done.
///
/// For `granary server` that is after a graceful shutdown (SIGINT or SIGTERM). Logging must
/// already be set up (see [`logging::init`]).
pub fn run(cli: Cli) -> Result<(), ServerError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("granary-worker")
        .build()
        .map_err(ServerError::Runtime)?;
    match cli.command {
        Command::Server(args) => runtime.block_on(server::run(args)),
    }
}
