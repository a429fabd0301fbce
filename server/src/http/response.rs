//! Building HTTP responses: the `Ok.` health answer, 404, and ClickHouse-style exceptions.

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Response, StatusCode, Uri};

/// The body type of every response (a whole buffer for now; streaming formats come later).
pub type Body = Full<Bytes>;

/// The header in which ClickHouse clients look for the error code of a failed request.
pub const EXCEPTION_CODE_HEADER: &str = "X-ClickHouse-Exception-Code";

const TEXT_HTML: &str = "text/html; charset=UTF-8";
const TEXT_PLAIN: &str = "text/plain; charset=UTF-8";

/// `200 Ok.\n`: ClickHouse's answer to `/` and `/ping`.
pub fn ok() -> Response<Body> {
    text_response(StatusCode::OK, TEXT_HTML, Bytes::from_static(b"Ok.\n"))
}

/// `200` with an HTML page (`/play`).
pub fn html(page: &'static str) -> Response<Body> {
    text_response(
        StatusCode::OK,
        TEXT_HTML,
        Bytes::from_static(page.as_bytes()),
    )
}

/// `200` with Prometheus text (`/metrics`).
pub fn metrics(text: String) -> Response<Body> {
    text_response(
        StatusCode::OK,
        "text/plain; version=0.0.4; charset=utf-8",
        Bytes::from(text),
    )
}

/// `204 No Content`, for CORS preflight (`OPTIONS`) requests.
pub fn no_content() -> Response<Body> {
    let mut response = Response::new(Body::default());
    *response.status_mut() = StatusCode::NO_CONTENT;
    response
}

/// `404`, naming the unknown URI and listing what the server does answer (as ClickHouse does).
pub fn not_found(uri: &Uri) -> Response<Body> {
    let body = format!(
        "There is no handle {uri}\n\n\
         Use / or /ping for health checks.\n\
         Or /replicas_status for more sophisticated health checks.\n\n\
         Send queries from your program with POST method or GET /?query=...\n"
    );
    text_response(StatusCode::NOT_FOUND, TEXT_PLAIN, Bytes::from(body))
}

/// A ClickHouse error: its numeric code, its name and the HTTP status it maps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorCode {
    /// The number, e.g. 48.
    pub code: u32,
    /// The name, e.g. `NOT_IMPLEMENTED`.
    pub name: &'static str,
    /// The HTTP status ClickHouse sends with it (`exceptionCodeToHTTPStatus`).
    pub status: StatusCode,
}

impl ErrorCode {
    /// `48 NOT_IMPLEMENTED`, HTTP 501.
    pub const NOT_IMPLEMENTED: ErrorCode = ErrorCode {
        code: 48,
        name: "NOT_IMPLEMENTED",
        status: StatusCode::NOT_IMPLEMENTED,
    };
}

/// The wire text of a ClickHouse exception:
/// `Code: <n>. DB::Exception: <message>. (<NAME>)\n`.
pub fn exception_text(error: ErrorCode, message: &str) -> String {
    format!(
        "Code: {}. DB::Exception: {message}. ({})\n",
        error.code, error.name
    )
}

/// A failed request as ClickHouse answers it: the mapped status, the exception text as
/// the body and the code in `X-ClickHouse-Exception-Code`.
pub fn exception(error: ErrorCode, message: &str) -> Response<Body> {
    let mut response = text_response(
        error.status,
        TEXT_PLAIN,
        Bytes::from(exception_text(error, message)),
    );
    response
        .headers_mut()
        .insert(EXCEPTION_CODE_HEADER, HeaderValue::from(error.code));
    response
}

fn text_response(status: StatusCode, content_type: &'static str, body: Bytes) -> Response<Body> {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exception_wire_format() {
        assert_eq!(
            exception_text(ErrorCode::NOT_IMPLEMENTED, "Not yet"),
            "Code: 48. DB::Exception: Not yet. (NOT_IMPLEMENTED)\n"
        );
        let response = exception(ErrorCode::NOT_IMPLEMENTED, "Not yet");
        assert_eq!(response.status(), StatusCode::NOT_IMPLEMENTED);
        assert_eq!(response.headers()[EXCEPTION_CODE_HEADER], "48");
    }
}
