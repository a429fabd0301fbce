//! The server's start-up and run-time errors, worded to tell the user what to do.

use std::io;
use std::path::PathBuf;

/// Why the server could not start or had to stop.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The Tokio runtime could not be created (out of threads or memory).
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[source] io::Error),

    /// The SIGINT/SIGTERM handlers could not be installed.
    #[error("cannot install the SIGINT/SIGTERM handlers: {0}")]
    Signal(#[source] io::Error),

    /// The data directory could not be created or is not a directory.
    #[error("cannot use data directory {}: {source} (choose another with --data-dir)", path.display())]
    DataDir {
        /// The directory as given on the command line.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: io::Error,
    },

    /// The users file could not be read or is invalid.
    #[error(transparent)]
    Users(#[from] crate::users::UsersError),

    /// The storage engine could not open the data directory.
    #[error("cannot open the storage engine: {0}")]
    Storage(String),

    /// Another process already listens on the address.
    #[error(
        "cannot listen on {addr}: the address is already in use \
         (is another Granary or ClickHouse server running? choose another with --listen)"
    )]
    AddrInUse {
        /// The `--listen` address.
        addr: String,
    },

    /// The listen address could not be resolved or bound for another reason.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The `--listen` address.
        addr: String,
        /// What the operating system said.
        #[source]
        source: io::Error,
    },
}
