//! The query handler: `GET /?query=...` and `POST /`.

use hyper::{Request, Response};

use super::response::{self, Body, ErrorCode};
use crate::server::ServerState;

/// Message of the placeholder answer to every query.
pub const NOT_SUPPORTED_MESSAGE: &str = "SQL queries are not supported yet by this build";

/// Answers a query request.
///
/// Placeholder until the SQL engine (`granary_query`) lands: every query is answered with
/// HTTP 501 and `Code: 48. DB::Exception: ... (NOT_IMPLEMENTED)`. Replace this function
/// to execute queries; its callers need not change.
pub async fn handle_query<B>(_state: &ServerState, _request: Request<B>) -> Response<Body> {
    response::exception(ErrorCode::NOT_IMPLEMENTED, NOT_SUPPORTED_MESSAGE)
}
