//! The server's life cycle: prepare the data directory, bind, serve HTTP connections,
//! and shut down gracefully (stop accepting, finish in-flight requests, exit).

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use granary_storage::StorageEngine;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tracing::{debug, info, warn};

use crate::cli::ServerArgs;
use crate::error::ServerError;
use crate::{http, signal};

/// How long a graceful shutdown waits for open connections to finish their requests
/// before it drops them.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// How long shutdown waits for Kafka consumers to finish their batch and leave.
const KAFKA_STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// How long to pause after a failed `accept` (e.g. out of file descriptors) before the
/// next one, so the loop does not spin.
const ACCEPT_ERROR_BACKOFF: Duration = Duration::from_millis(100);

/// What every request handler can reach: shared, read-only server state.
pub struct ServerState {
    /// The data directory (exists; absolute when it could be resolved).
    pub data_dir: PathBuf,
    /// The storage engine over `data_dir`.
    pub engine: Arc<StorageEngine>,
    /// HTTP sessions kept between requests (`session_id`).
    pub sessions: http::session::SessionStore,
    /// Counters for `/metrics`.
    pub metrics: http::metrics::Metrics,
    /// `X-ClickHouse-Server-Display-Name`: the host name.
    pub display_name: String,
    /// Who may connect, and their quota counters.
    pub users: crate::users::Users,
}

impl std::fmt::Debug for ServerState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerState")
            .field("data_dir", &self.data_dir)
            .finish_non_exhaustive()
    }
}

impl ServerState {
    /// State for a server whose data lives in `data_dir` (which must exist), served by
    /// `engine`.
    pub fn new(data_dir: PathBuf, engine: Arc<StorageEngine>) -> ServerState {
        ServerState {
            data_dir,
            engine,
            sessions: http::session::SessionStore::default(),
            metrics: http::metrics::Metrics::default(),
            display_name: http::headers::display_name(),
            users: crate::users::Users::default(),
        }
    }

    /// The same state with `users` instead of the built-in `default` user.
    pub fn with_users(mut self, users: crate::users::Users) -> ServerState {
        self.users = users;
        self
    }
}

/// `granary server`: prepares the data directory, binds `args.listen`, and serves until
/// SIGINT or SIGTERM, then shuts down gracefully.
pub async fn run(args: ServerArgs) -> Result<(), ServerError> {
    let shutdown = signal::shutdown_signal().map_err(ServerError::Signal)?;
    let users = match &args.users_config {
        Some(path) => {
            let users = crate::users::Users::load(path)?;
            info!("users file {}: {} users", path.display(), users.len());
            users
        }
        None => {
            info!("no --users-config: user `default` without a password, from loopback only");
            crate::users::Users::default()
        }
    };
    let data_dir = prepare_data_dir(&args.data_dir)?;
    info!("data directory: {}", data_dir.display());
    // The directory the file() table function reads (ClickHouse's user_files_path).
    let user_files = data_dir.join("user_files");
    if let Err(e) = std::fs::create_dir_all(&user_files) {
        tracing::warn!("cannot create {}: {e}", user_files.display());
    }

    // Load the catalog and every active part (cleaning up what a crash left behind), then
    // keep parts few with the background merge pool.
    let open_dir = data_dir.clone();
    granary_query::install_storage_hooks();
    let engine = tokio::task::spawn_blocking(move || StorageEngine::open(&open_dir))
        .await
        .map_err(|e| {
            ServerError::Storage(format!("the storage engine panicked while opening: {e}"))
        })?
        .map_err(|e| ServerError::Storage(e.to_string()))?;
    let tables = engine.all_tables().len();
    info!("storage engine open: {tables} tables");
    let mut merges = engine.start_background_merges(usize::from(args.background_merge_threads));
    // Consumers for every Kafka table a materialized view reads.
    let kafka = granary_ingest::KafkaEngine::start(engine.clone());
    granary_query::kafka_consumers::register_source(Arc::downgrade(&kafka) as _);
    let state = Arc::new(ServerState::new(data_dir, engine).with_users(users));

    let listener = bind(&args.listen).await?;
    let local = listener
        .local_addr()
        .map_err(|source| ServerError::Listen {
            addr: args.listen.clone(),
            source,
        })?;
    info!(
        "Granary {} HTTP interface listening on http://{local}",
        env!("CARGO_PKG_VERSION")
    );
    serve(listener, state, shutdown).await;
    tokio::task::spawn_blocking(move || kafka.shutdown(KAFKA_STOP_TIMEOUT))
        .await
        .ok();
    tokio::task::spawn_blocking(move || merges.stop())
        .await
        .ok();
    info!("Granary stopped");
    Ok(())
}

/// Creates the data directory if missing and returns its absolute path.
fn prepare_data_dir(path: &Path) -> Result<PathBuf, ServerError> {
    let fail = |source| ServerError::DataDir {
        path: path.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(path).map_err(fail)?;
    if !path.is_dir() {
        return Err(fail(io::Error::other("not a directory")));
    }
    Ok(std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()))
}

/// Resolves `addr` (HOST:PORT) and binds the first address that accepts a listener.
pub async fn bind(addr: &str) -> Result<TcpListener, ServerError> {
    let listen_error = |source| ServerError::Listen {
        addr: addr.to_owned(),
        source,
    };
    let mut last_error = io::Error::new(io::ErrorKind::NotFound, "the host resolves to no address");
    for candidate in tokio::net::lookup_host(addr).await.map_err(listen_error)? {
        match TcpListener::bind(candidate).await {
            Ok(listener) => return Ok(listener),
            Err(e) if e.kind() == io::ErrorKind::AddrInUse => {
                return Err(ServerError::AddrInUse {
                    addr: addr.to_owned(),
                })
            }
            Err(e) => last_error = e,
        }
    }
    Err(listen_error(last_error))
}

/// Serves HTTP/1.1 on `listener` until `shutdown` completes, then shuts down gracefully:
/// stops accepting, lets every open connection finish the request it is on (idle
/// keep-alive connections close at once), and returns when all are closed or after
/// [`DRAIN_TIMEOUT`].
pub async fn serve(
    listener: TcpListener,
    state: Arc<ServerState>,
    shutdown: impl Future<Output = ()>,
) {
    let (stop_tx, stop_rx) = watch::channel(());
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    connections.spawn(serve_connection(stream, peer, state.clone(), stop_rx.clone()));
                }
                Err(e) => {
                    warn!("cannot accept a connection: {e}");
                    tokio::time::sleep(ACCEPT_ERROR_BACKOFF).await;
                }
            },
            Some(finished) = connections.join_next(), if !connections.is_empty() => {
                if let Err(e) = finished {
                    warn!("a connection task failed: {e}");
                }
            }
        }
    }

    drop(listener);
    // Receivers only wait for the change; `send` fails only when none is left, which is fine.
    let _ = stop_tx.send(());
    if !connections.is_empty() {
        info!(
            "waiting for {} open connection(s) to finish",
            connections.len()
        );
    }
    let drain = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(DRAIN_TIMEOUT, drain).await.is_err() {
        warn!(
            "{} connection(s) still open after {DRAIN_TIMEOUT:?}; closing them",
            connections.len()
        );
        connections.shutdown().await;
    }
}

/// Serves the requests of one connection; on shutdown, finishes the current request
/// and closes.
async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    state: Arc<ServerState>,
    mut stop: watch::Receiver<()>,
) {
    // Small answers should leave at once rather than wait for Nagle's algorithm.
    if let Err(e) = stream.set_nodelay(true) {
        debug!(%peer, "cannot set TCP_NODELAY: {e}");
    }
    let service = service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
        let state = state.clone();
        request.extensions_mut().insert(http::PeerAddr(peer));
        async move { Ok::<_, Infallible>(http::handle(state, request).await) }
    });
    let connection = http1::Builder::new()
        // The timer enables hyper's header read timeout (30 s), which stops slow or idle
        // half-sent requests from holding a connection open forever.
        .timer(TokioTimer::new())
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    let result = tokio::select! {
        result = connection.as_mut() => result,
        _ = stop.changed() => {
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(e) = result {
        debug!(%peer, "connection closed with an error: {e}");
    }
}
