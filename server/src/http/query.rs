//! The query handler: `GET /?query=...` (read-only) and `POST /` (the query is the `query`
//! parameter, then the body). Runs the statement in a [`Session`] and answers in the
//! requested text format, or with a ClickHouse exception.

use std::collections::HashMap;

use http_body_util::{BodyExt, Limited};
use hyper::body::{Body as HttpBody, Bytes};
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};

use granary_query::format::output::{content_type, write_output, OutputSettings};
use granary_query::session::{QueryOutput, Session};
use granary_query::QueryError;

use super::response::{self, Body, ErrorCode};
use crate::server::ServerState;

/// Largest request body accepted (queries and inserted data), in bytes.
pub const MAX_BODY_BYTES: usize = 256 << 20;

/// URL parameters that are not settings.
const NON_SETTINGS: &[&str] = &[
    "query",
    "database",
    "default_format",
    "query_id",
    "session_id",
    "session_timeout",
    "session_check",
    "user",
    "password",
    "quota_key",
    "compress",
    "decompress",
    "buffer_size",
    "wait_end_of_query",
    "stacktrace",
    "client_protocol_version",
    "close_session",
    "role",
];

/// The HTTP status ClickHouse answers an error code with (`exceptionCodeToHTTPStatus`).
fn status_of(code: i32) -> StatusCode {
    match code {
        36 | 6 | 27 | 38 | 41 | 72 | 15 | 44 | 62 | 117 | 53 | 167 | 427 => StatusCode::BAD_REQUEST,
        60 | 46 | 47 | 50 | 56 | 81 | 115 | 63 | 73 => StatusCode::NOT_FOUND,
        1062 => StatusCode::PAYLOAD_TOO_LARGE,
        48 => StatusCode::NOT_IMPLEMENTED,
        159 => StatusCode::REQUEST_TIMEOUT,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

fn error_response(e: &QueryError) -> Response<Body> {
    response::exception(
        ErrorCode {
            code: e.code().max(0) as u32,
            name: e.code_name(),
            status: status_of(e.code()),
        },
        e.message(),
    )
}

fn simple_error(code: i32, name: &'static str, message: &str) -> Response<Body> {
    response::exception(
        ErrorCode {
            code: code as u32,
            name,
            status: status_of(code),
        },
        message,
    )
}

/// Writes `out` in `format` (any text output format ClickHouse has; see
/// [`granary_query::format::output`]).
fn render(
    out: &QueryOutput,
    format: &str,
    settings: &OutputSettings,
) -> Result<Vec<u8>, Box<Response<Body>>> {
    let mut body = Vec::new();
    write_output(format, out, settings, &mut body).map_err(|e| Box::new(error_response(&e)))?;
    Ok(body)
}

/// Answers a query request.
pub async fn handle_query<B>(state: &ServerState, request: Request<B>) -> Response<Body>
where
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let params: Vec<(String, String)> = request
        .uri()
        .query()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    let param: HashMap<&str, &str> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let is_get = request.method() == Method::GET || request.method() == Method::HEAD;
    let body = match Limited::new(request.into_body(), MAX_BODY_BYTES)
        .collect()
        .await
    {
        Ok(b) => b.to_bytes(),
        Err(e) => {
            return simple_error(
                1062,
                "QUERY_IS_TOO_LARGE",
                &format!("Cannot read the request body: {e} (at most {MAX_BODY_BYTES} bytes)"),
            )
        }
    };
    let mut sql = String::new();
    if let Some(q) = param.get("query") {
        sql.push_str(q);
        if !q.is_empty() && !body.is_empty() {
            sql.push('\n');
        }
    }
    match std::str::from_utf8(&body) {
        Ok(text) => sql.push_str(text),
        Err(_) => {
            return simple_error(
                6,
                "CANNOT_PARSE_TEXT",
                "The query is not valid UTF-8 (binary insert formats are not supported yet)",
            )
        }
    }
    if sql.trim().is_empty() {
        return simple_error(62, "SYNTAX_ERROR", "Empty query");
    }
    // Output settings are the server's to apply; the rest go to the session.
    let mut output_settings = OutputSettings::default();
    let mut settings: Vec<(String, String)> = Vec::new();
    for (k, v) in &params {
        if k.is_empty() || NON_SETTINGS.contains(&k.as_str()) || k.starts_with("param_") {
            continue;
        }
        match output_settings.apply(k, v) {
            Ok(true) => {}
            Ok(false) => settings.push((k.clone(), v.clone())),
            Err(e) => return error_response(&e),
        }
    }
    let database = param.get("database").map(|d| d.to_string());
    let default_format = param
        .get("default_format")
        .map(|f| f.to_string())
        .unwrap_or_else(|| "TabSeparated".to_string());
    let engine = state.engine.clone();
    let started = std::time::Instant::now();
    let result = tokio::task::spawn_blocking(move || -> Result<QueryOutput, QueryError> {
        let mut session = Session::new(engine);
        if let Some(db) = database {
            session.database = db;
        }
        session.set(&settings)?;
        if is_get && !is_read_only(&sql) {
            return Err(QueryError::new(
                granary_query::ErrorCode::BadArguments,
                "Cannot execute query in readonly mode: GET requests are read-only, use POST",
            ));
        }
        session.execute(&sql)
    })
    .await;
    let out = match result {
        Ok(Ok(out)) => out,
        Ok(Err(e)) => return error_response(&e),
        Err(e) => return simple_error(1001, "STD_EXCEPTION", &format!("The query failed: {e}")),
    };
    let format = out.format.clone().unwrap_or(default_format);
    output_settings.elapsed_seconds = started.elapsed().as_secs_f64();
    output_settings.rows_read = out.num_rows() as u64;
    output_settings.bytes_read = out
        .batches
        .iter()
        .map(|b| b.get_array_memory_size() as u64)
        .sum();
    match render(&out, &format, &output_settings) {
        Ok(bytes) => {
            let mut r = Response::new(Body::new(Bytes::from(bytes)));
            r.headers_mut().insert(
                CONTENT_TYPE,
                HeaderValue::from_static(content_type(&format)),
            );
            if let Ok(v) = HeaderValue::from_str(&format) {
                r.headers_mut().insert("X-ClickHouse-Format", v);
            }
            r
        }
        Err(resp) => *resp,
    }
}

/// Whether a statement only reads (what GET may run): SELECT, SHOW, DESCRIBE, EXISTS,
/// EXPLAIN, WITH.
fn is_read_only(sql: &str) -> bool {
    let first = sql
        .trim_start()
        .split(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or("")
        .to_ascii_uppercase();
    matches!(
        first.as_str(),
        "SELECT" | "SHOW" | "DESCRIBE" | "DESC" | "EXISTS" | "EXPLAIN" | "WITH" | ""
    ) || sql.trim_start().starts_with('(')
}
