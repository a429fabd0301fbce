//! ClickHouse's HTTP interface: which handler answers which request, and the answers.
//!
//! [`route`] classifies a request the way ClickHouse's default handlers do (see
//! `shared/clickhouse-http.md` §1); [`handle`] produces the response. Queries go to
//! [`query::handle_query`], which runs them through the SQL engine.

pub mod compression;
pub mod headers;
pub mod metrics;
pub mod multipart;
pub mod play;
pub mod query;
pub mod response;
pub mod session;

use std::net::SocketAddr;
use std::sync::Arc;

use hyper::{Method, Request, Response, Uri};
use tracing::debug;

use crate::server::ServerState;
pub use response::Body;

/// The client's address, put in each request's extensions by the connection that read
/// it (users may connect only from their allowed networks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerAddr(pub SocketAddr);

/// Which of ClickHouse's default HTTP handlers a request belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `GET /` or `HEAD /` without a query string: the liveness answer `Ok.`.
    Root,
    /// `GET /ping` or `HEAD /ping`: the liveness answer `Ok.`.
    Ping,
    /// `GET /replicas_status`: `Ok.`, as a server with no lagging replicas answers.
    ReplicasStatus,
    /// A query: `GET|HEAD /?...`, `GET|HEAD /query?...`, `POST /` or `POST /query?...`.
    Query,
    /// `OPTIONS` on a query path: a CORS preflight, answered with `204 No Content`.
    Options,
    /// `GET /play`: a page to run queries from a browser.
    Play,
    /// `GET /metrics`: Prometheus text with the server's counters.
    Metrics,
    /// Anything else: `404` with a hint of what exists.
    NotFound,
}

/// Classifies a request by method and URI, following ClickHouse's default handler order.
pub fn route(method: &Method, uri: &Uri) -> Route {
    let path = uri.path();
    let has_query_string = uri.query().is_some();
    let is_get = method == Method::GET || method == Method::HEAD;
    // ClickHouse's query handler: URIs starting with `/?` or `/query?`; POST/OPTIONS also
    // on exactly `/`.
    let query_uri = (path == "/" || path == "/query") && has_query_string;
    match path {
        "/" if is_get && !has_query_string => Route::Root,
        "/ping" if is_get => Route::Ping,
        "/replicas_status" if is_get => Route::ReplicasStatus,
        "/play" if is_get => Route::Play,
        "/metrics" if is_get => Route::Metrics,
        _ if is_get && query_uri => Route::Query,
        _ if (query_uri || path == "/") && method == Method::POST => Route::Query,
        _ if (query_uri || path == "/") && method == Method::OPTIONS => Route::Options,
        _ => Route::NotFound,
    }
}

/// Answers one HTTP request. Never fails: every problem becomes an HTTP error response.
pub async fn handle<B>(state: Arc<ServerState>, request: Request<B>) -> Response<Body>
where
    B: hyper::body::Body<Data = hyper::body::Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let method = request.method().clone();
    let uri = request.uri().clone();
    let response = match route(&method, &uri) {
        Route::Root | Route::Ping | Route::ReplicasStatus => response::ok(),
        Route::Query => query::handle_query(&state, request).await,
        Route::Options => response::no_content(),
        Route::Play => response::html(play::PLAY_HTML),
        Route::Metrics => response::metrics(metrics::render(&state)),
        Route::NotFound => response::not_found(&uri),
    };
    // Only the path: the query string may carry a password (`?password=...`).
    debug!(%method, path = uri.path(), status = response.status().as_u16(), "http request");
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(method: Method, uri: &str) -> Route {
        route(&method, &uri.parse().expect("valid test URI"))
    }

    #[test]
    fn health_checks() {
        assert_eq!(r(Method::GET, "/"), Route::Root);
        assert_eq!(r(Method::HEAD, "/"), Route::Root);
        assert_eq!(r(Method::GET, "/ping"), Route::Ping);
        assert_eq!(r(Method::HEAD, "/ping"), Route::Ping);
        assert_eq!(r(Method::GET, "/replicas_status"), Route::ReplicasStatus);
        assert_eq!(r(Method::GET, "/play"), Route::Play);
        assert_eq!(r(Method::GET, "/metrics"), Route::Metrics);
    }

    #[test]
    fn queries() {
        assert_eq!(r(Method::GET, "/?query=SELECT%201"), Route::Query);
        assert_eq!(r(Method::HEAD, "/?query=SELECT%201"), Route::Query);
        assert_eq!(r(Method::GET, "/?"), Route::Query);
        assert_eq!(r(Method::GET, "/query?query=SELECT%201"), Route::Query);
        assert_eq!(r(Method::POST, "/"), Route::Query);
        assert_eq!(r(Method::POST, "/?database=default"), Route::Query);
        assert_eq!(r(Method::POST, "/query?x=1"), Route::Query);
        assert_eq!(r(Method::OPTIONS, "/"), Route::Options);
        assert_eq!(r(Method::OPTIONS, "/?query=1"), Route::Options);
    }

    #[test]
    fn everything_else_is_not_found() {
        assert_eq!(r(Method::GET, "/nope"), Route::NotFound);
        assert_eq!(r(Method::GET, "/query"), Route::NotFound);
        assert_eq!(r(Method::POST, "/query"), Route::NotFound);
        assert_eq!(r(Method::POST, "/ping"), Route::NotFound);
        assert_eq!(r(Method::PUT, "/"), Route::NotFound);
        assert_eq!(r(Method::DELETE, "/?query=1"), Route::NotFound);
        assert_eq!(r(Method::GET, "/ping/x"), Route::NotFound);
    }
}
