//! Shutdown signals: SIGINT (Ctrl-C) and SIGTERM both ask for a graceful shutdown.

use std::future::Future;
use std::io;

use tracing::info;

/// Installs the SIGINT and SIGTERM handlers now and returns a future that completes when
/// either signal arrives. Must be called inside a Tokio runtime.
///
/// Installing before the server starts listening means a signal sent as soon as the
/// server answers is never lost.
#[cfg(unix)]
pub fn shutdown_signal() -> io::Result<impl Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};

    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        let name = tokio::select! {
            _ = interrupt.recv() => "SIGINT",
            _ = terminate.recv() => "SIGTERM",
        };
        info!("received {name}, shutting down gracefully");
    })
}

/// Returns a future that completes on Ctrl-C (the only shutdown signal off Unix).
#[cfg(not(unix))]
pub fn shutdown_signal() -> io::Result<impl Future<Output = ()>> {
    Ok(async {
        if tokio::signal::ctrl_c().await.is_ok() {
            info!("received Ctrl-C, shutting down gracefully");
        } else {
            std::future::pending::<()>().await;
        }
    })
}
