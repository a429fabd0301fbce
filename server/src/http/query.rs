//! The query handler: `GET /?query=...` (read-only) and `POST /` (the query is the `query`
//! parameter, then the body). Runs the statement in a [`Session`] and answers in the
//! requested text format, or with a ClickHouse exception.

use std::collections::HashMap;

use http_body_util::{BodyExt, Limited};
use hyper::body::{Body as HttpBody, Bytes};
use hyper::header::{HeaderValue, ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};

use granary_query::format::output::{content_type, write_output, OutputSettings};
use granary_query::session::{QueryOutput, Session};
use granary_query::QueryError;

use super::compression::{self, DecodeError};
use super::headers::{self, Summary};
use super::multipart;
use super::response::{self, Body, ErrorCode};
use super::session::{self, SessionError};
use super::PeerAddr;
use crate::server::ServerState;
use crate::users::quota::QueryUse;
use crate::users::User;

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
        192 | 193 | 497 | 516 => StatusCode::FORBIDDEN,
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

/// Settings that only steer the HTTP transport: accepted and applied here, never passed
/// to the session (which would reject them as unknown).
const HTTP_SETTINGS: &[&str] = &[
    "enable_http_compression",
    "http_zlib_compression_level",
    "send_progress_in_http_headers",
    "http_headers_progress_interval_ms",
    "add_http_cors_header",
    "http_response_buffer_size",
    "http_wait_end_of_query",
    "cancel_http_readonly_queries_on_client_close",
];

/// Answers a query request: runs it, then adds the headers every query answer carries
/// (query id, time zone, server name) and counts it in the server's metrics.
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
    let query_id = params
        .iter()
        .find(|(k, _)| k == "query_id")
        .map(|(_, v)| v.clone())
        .or_else(|| headers::get(request.headers(), headers::QUERY_ID).map(str::to_owned))
        .filter(|id| !id.is_empty() && HeaderValue::from_str(id).is_ok())
        .unwrap_or_else(headers::new_query_id);
    let mut response = match authenticate(state, &request, &params) {
        Ok(user) => run_as(state, request, &params, &user).await,
        Err(r) => *r,
    };
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&query_id) {
        h.insert(headers::QUERY_ID, v);
    }
    h.insert(headers::TIMEZONE, HeaderValue::from_static("UTC"));
    if let Ok(v) = HeaderValue::from_str(&state.display_name) {
        h.insert(headers::DISPLAY_NAME, v);
    }
    state
        .metrics
        .query_finished(!response.status().is_success());
    response
}

/// Who sent the request: the user its credentials name, if the password is right and the
/// client's address is in the user's networks (else 516 AUTHENTICATION_FAILED, HTTP 403).
/// Runs before the body is read.
fn authenticate<B>(
    state: &ServerState,
    request: &Request<B>,
    params: &[(String, String)],
) -> Result<std::sync::Arc<User>, Box<Response<Body>>> {
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let fail = |m: &str| Box::new(simple_error(516, "AUTHENTICATION_FAILED", m));
    let creds = headers::credentials(request.headers(), param("user"), param("password"))
        .map_err(|e| fail(&e.0))?;
    let peer = request.extensions().get::<PeerAddr>().map(|p| p.0.ip());
    state
        .users
        .authenticate(&creds.user, &creds.password, peer)
        .map_err(|e| fail(&e.0))
}

/// Runs the request as `user`, counting it in the user's quota: a query over a limit of
/// the quota fails with 201 QUOTA_EXCEEDED.
async fn run_as<B>(
    state: &ServerState,
    request: Request<B>,
    params: &[(String, String)],
    user: &User,
) -> Response<Body>
where
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let Some(quota) = &user.quota else {
        return run(state, request, params, user).await;
    };
    if let Err(e) = state.users.quotas.start_query(&user.name, quota) {
        return simple_error(201, "QUOTA_EXCEEDED", &e.0);
    }
    let response = run(state, request, params, user).await;
    let used = response
        .extensions()
        .get::<QueryUse>()
        .copied()
        .unwrap_or(QueryUse {
            failed: !response.status().is_success(),
            ..QueryUse::default()
        });
    match state.users.quotas.finish_query(&user.name, quota, used) {
        Err(e) if !used.failed => simple_error(201, "QUOTA_EXCEEDED", &e.0),
        _ => response,
    }
}

/// Reads the body (bounded), decoding its `Content-Encoding` with a bound on the decoded
/// size too.
async fn read_body<B>(body: B, encoding: Option<String>) -> Result<Bytes, Response<Body>>
where
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let raw = match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => {
            return Err(simple_error(
                1062,
                "QUERY_IS_TOO_LARGE",
                &format!("Cannot read the request body: {e} (at most {MAX_BODY_BYTES} bytes)"),
            ))
        }
    };
    let Some(encoding) = encoding.filter(|e| !compression::is_identity(e)) else {
        return Ok(raw);
    };
    let decoded =
        tokio::task::spawn_blocking(move || compression::decode(&encoding, &raw, MAX_BODY_BYTES))
            .await;
    match decoded {
        Ok(Ok(bytes)) => Ok(Bytes::from(bytes)),
        Ok(Err(e @ DecodeError::TooLarge(_))) => {
            Err(simple_error(1062, "QUERY_IS_TOO_LARGE", &e.to_string()))
        }
        Ok(Err(e @ DecodeError::Unsupported(_))) => {
            Err(simple_error(36, "BAD_ARGUMENTS", &e.to_string()))
        }
        Ok(Err(e @ DecodeError::Corrupt(_))) => Err(response::exception(
            ErrorCode {
                code: 271,
                name: "CANNOT_DECOMPRESS",
                status: StatusCode::BAD_REQUEST,
            },
            &e.to_string(),
        )),
        Err(e) => Err(simple_error(
            1001,
            "STD_EXCEPTION",
            &format!("Decompression failed: {e}"),
        )),
    }
}

/// Separates the user name from the client's `session_id` in the session store's keys.
const SESSION_KEY_SEPARATOR: char = '\0';

/// The client's `session_id` part of a session store key.
fn session_name(key: &str) -> &str {
    key.split_once(SESSION_KEY_SEPARATOR)
        .map_or(key, |(_, id)| id)
}

/// The session a request runs in: a fresh one, or one checked out of the session store.
struct SessionUse {
    id: Option<String>,
    timeout: std::time::Duration,
    close: bool,
}

/// Runs the query of a request as `user` and renders its answer.
async fn run<B>(
    state: &ServerState,
    request: Request<B>,
    params: &[(String, String)],
    user: &User,
) -> Response<Body>
where
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let param: HashMap<&str, &str> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let is_get = request.method() == Method::GET || request.method() == Method::HEAD;
    let req_headers = request.headers();
    let readonly = match readonly_level(user.readonly, is_get, param.get("readonly").copied()) {
        Ok(level) => level,
        Err(e) => return error_response(&e),
    };
    let session_id = param
        .get("session_id")
        .filter(|s| !s.is_empty())
        .map(|s| s.to_string());
    let timeout = match session::parse_timeout(param.get("session_timeout").copied()) {
        Ok(t) => t,
        Err(e) => return session_error(&e),
    };
    let session_use = SessionUse {
        // Sessions belong to a user, as in ClickHouse: the same id of another user is
        // another session.
        id: session_id.map(|id| format!("{}{SESSION_KEY_SEPARATOR}{id}", user.name)),
        timeout,
        close: param.get("close_session").is_some_and(|v| is_true(v)),
    };
    let session_check = param.get("session_check").is_some_and(|v| is_true(v));
    let database = headers::get(req_headers, headers::DATABASE)
        .or(param.get("database").copied())
        .filter(|d| !d.is_empty())
        .map(str::to_owned);
    let default_format = headers::get(req_headers, headers::FORMAT)
        .or(param.get("default_format").copied())
        .filter(|f| !f.is_empty())
        .unwrap_or("TabSeparated")
        .to_owned();
    let accept_encoding = request
        .headers()
        .get(ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let content_encoding = request
        .headers()
        .get(CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let form_boundary = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(multipart::boundary)
        .map(str::to_owned);
    let mut body = match read_body(request.into_body(), content_encoding).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    // A form's fields are parameters like the URL's; its `query` field is the query.
    let with_form: Vec<(String, String)>;
    let mut query_param = param.get("query").map(|q| q.to_string());
    let params = match form_boundary {
        None => params,
        Some(boundary) => {
            let fields = match multipart::parse(&body, &boundary) {
                Ok(f) => f,
                Err(multipart::FormError::Malformed(m)) => {
                    return simple_error(
                        36,
                        "BAD_ARGUMENTS",
                        &format!("Cannot read the multipart/form-data body: {m}"),
                    )
                }
                Err(multipart::FormError::ExternalTable(name)) => {
                    return simple_error(
                        48,
                        "NOT_IMPLEMENTED",
                        &format!(
                            "External tables (form field `{name}` is a file) are not supported"
                        ),
                    )
                }
            };
            body = Bytes::new();
            with_form = params.iter().cloned().chain(fields).collect();
            if let Some((_, q)) = with_form.iter().rev().find(|(k, _)| k == "query") {
                query_param = Some(q.clone());
            }
            &with_form
        }
    };
    // The statement is text; the rows after `INSERT ... FORMAT X` may be binary.
    let mut sql: Vec<u8> = Vec::with_capacity(body.len() + 1);
    if let Some(q) = &query_param {
        sql.extend_from_slice(q.as_bytes());
        if !q.is_empty() && !body.is_empty() {
            sql.push(b'\n');
        }
    }
    sql.extend_from_slice(&body);
    drop(body);
    if sql.trim_ascii().is_empty() {
        return simple_error(62, "SYNTAX_ERROR", "Empty query");
    }
    // Output and transport settings are the server's to apply; the rest go to the session.
    // The user's own settings come first; the request's may override them unless the user
    // is readonly=1.
    let mut output_settings = OutputSettings::default();
    let mut settings: Vec<(String, String)> = Vec::new();
    let mut http_compression = false;
    let mut send_progress = false;
    let user_settings = user.settings.iter().map(|kv| (kv, false));
    let url_settings = params.iter().map(|kv| (kv, true));
    for ((k, v), from_url) in user_settings.chain(url_settings) {
        if k.is_empty()
            || NON_SETTINGS.contains(&k.as_str())
            || k.starts_with("param_")
            || k == "readonly"
        {
            continue;
        }
        if HTTP_SETTINGS.contains(&k.as_str()) {
            if k == "enable_http_compression" {
                http_compression = is_true(v);
            }
            if k == "send_progress_in_http_headers" {
                send_progress = is_true(v);
            }
            continue;
        }
        if from_url && readonly == 1 {
            return simple_error(
                164,
                "READONLY",
                &format!("Cannot modify '{k}' setting in readonly mode"),
            );
        }
        match output_settings.apply(k, v) {
            Ok(true) => {}
            Ok(false) => settings.push((k.clone(), v.clone())),
            Err(e) => return error_response(&e),
        }
    }
    if let Some(v) = param.get("client_protocol_version") {
        if let Err(e) = output_settings.apply("client_protocol_version", v) {
            return error_response(&e);
        }
    }
    let session = match &session_use.id {
        Some(key) => match state.sessions.check_out(key, session_check, &state.engine) {
            Ok(s) => s,
            // Errors name the session as the client did, without the user prefix.
            Err(SessionError::NotFound(_)) => {
                return session_error(&SessionError::NotFound(session_name(key).to_owned()))
            }
            Err(SessionError::Locked(_)) => {
                return session_error(&SessionError::Locked(session_name(key).to_owned()))
            }
            Err(e) => return session_error(&e),
        },
        None => Session::new(state.engine.clone()),
    };
    let started = std::time::Instant::now();
    let persistent = session_use.id.is_some();
    let request = QueryRequest {
        database,
        settings,
        readonly,
        is_get,
        user: user.name.clone(),
        params: params
            .iter()
            .filter_map(|(k, v)| Some((k.strip_prefix("param_")?.to_owned(), v.clone())))
            .collect(),
    };
    let result = tokio::task::spawn_blocking(move || {
        let mut session = session;
        let result = execute(&mut session, persistent, request, &sql);
        (session, result)
    })
    .await;
    let out = match result {
        Ok((session, result)) => {
            if let Some(id) = &session_use.id {
                state
                    .sessions
                    .check_in(id, session, session_use.timeout, session_use.close);
            }
            match result {
                Ok(out) => out,
                Err(e) => return error_response(&e),
            }
        }
        Err(e) => {
            if let Some(id) = &session_use.id {
                state.sessions.discard(id);
            }
            return simple_error(1001, "STD_EXCEPTION", &format!("The query failed: {e}"));
        }
    };
    let format = out.format.clone().unwrap_or(default_format);
    output_settings.elapsed_seconds = started.elapsed().as_secs_f64();
    output_settings.rows_read = out.num_rows() as u64;
    output_settings.bytes_read = out
        .batches
        .iter()
        .map(|b| b.get_array_memory_size() as u64)
        .sum();
    let bytes = match render(&out, &format, &output_settings) {
        Ok(bytes) => bytes,
        Err(resp) => return *resp,
    };
    let summary = Summary {
        read_rows: output_settings.rows_read,
        read_bytes: output_settings.bytes_read,
        result_rows: out.num_rows() as u64,
        result_bytes: bytes.len() as u64,
        elapsed_ns: u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX),
        ..Summary::default()
    };
    let encoding = accept_encoding
        .as_deref()
        .filter(|_| http_compression)
        .and_then(compression::choose);
    let (bytes, encoding) = match encoding {
        Some(enc) => match compression::encode(enc, &bytes) {
            Ok(packed) => (packed, Some(enc)),
            // Compression into memory does not fail in practice; send it plain if it does.
            Err(_) => (bytes, None),
        },
        None => (bytes, None),
    };
    let mut r = Response::new(Body::new(Bytes::from(bytes)));
    let h = r.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static(content_type(&format)),
    );
    if let Ok(v) = HeaderValue::from_str(&format) {
        h.insert(headers::FORMAT, v);
    }
    if let Ok(v) = HeaderValue::from_str(&summary.to_json()) {
        h.insert(headers::SUMMARY, v);
    }
    if send_progress {
        // The whole result is buffered, so the one progress header is the final one.
        if let Ok(v) = HeaderValue::from_str(&summary.to_json()) {
            h.insert(headers::PROGRESS, v);
        }
    }
    if let Some(enc) = encoding {
        h.insert(CONTENT_ENCODING, HeaderValue::from_static(enc));
    }
    r.extensions_mut().insert(QueryUse {
        failed: false,
        result_rows: summary.result_rows,
        read_rows: summary.read_rows,
    });
    r
}

/// What a query runs with, besides its text.
struct QueryRequest {
    /// The request's current database, if it named one.
    database: Option<String>,
    /// Settings for the session (the user's, then the request's).
    settings: Vec<(String, String)>,
    /// The effective `readonly` level.
    readonly: u8,
    /// Whether the request is a GET (read-only; its errors say so).
    is_get: bool,
    /// The authenticated user.
    user: String,
    /// `param_<name>` values by name.
    params: HashMap<String, String>,
}

/// The `readonly` level a request runs at: the user's, raised to 2 for GET when the user
/// has none (ClickHouse's rule), then made stricter (never looser) by a `readonly` URL
/// parameter. Strictness grows 0 < 2 < 1.
fn readonly_level(user: u8, is_get: bool, param: Option<&str>) -> Result<u8, QueryError> {
    let strictness = |level: u8| match level {
        0 => 0,
        2 => 1,
        _ => 2,
    };
    let level = if is_get && user == 0 { 2 } else { user };
    let Some(text) = param.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(level);
    };
    let wanted: u8 = text.parse().ok().filter(|l| *l <= 2).ok_or_else(|| {
        QueryError::new(
            granary_query::ErrorCode::CannotParseNumber,
            format!("Cannot parse '{text}' as readonly level (0, 1 or 2)"),
        )
    })?;
    if strictness(wanted) < strictness(level) {
        return Err(QueryError::new(
            granary_query::ErrorCode::Readonly,
            "Cannot modify 'readonly' setting in readonly mode",
        ));
    }
    Ok(wanted)
}

/// Runs `query` in `session` as `request` says. For a kept session (`persistent`), the
/// request's `database` and URL settings apply to this query only: they are undone
/// afterwards unless the query itself was `USE` or `SET`.
fn execute(
    session: &mut Session,
    persistent: bool,
    request: QueryRequest,
    query: &[u8],
) -> Result<QueryOutput, QueryError> {
    let sql = granary_query::session::utf8_prefix(query);
    let saved = (
        session.database.clone(),
        session.settings.clone(),
        session.limits,
    );
    if let Some(db) = request.database {
        session.database = db;
    }
    session.readonly = request.readonly;
    session.user = request.user;
    session.params = request.params;
    let result = session
        .set(&request.settings)
        .and_then(|()| session.execute_bytes(query))
        .map_err(|e| {
            if request.is_get && e.code() == granary_query::ErrorCode::Readonly as i32 {
                QueryError::new(
                    granary_query::ErrorCode::Readonly,
                    format!(
                        "{}. For queries over HTTP, method GET implies readonly. \
                         You should use method POST for modifying queries",
                        e.message()
                    ),
                )
            } else {
                e
            }
        });
    session.params.clear();
    if persistent {
        let keyword = first_keyword(sql);
        let ok = result.is_ok();
        if !(ok && keyword == "USE") {
            session.database = saved.0;
        }
        if !(ok && keyword == "SET") {
            session.settings = saved.1;
            session.limits = saved.2;
        }
    }
    result
}

fn session_error(e: &SessionError) -> Response<Body> {
    let (code, name) = e.code();
    response::exception(
        ErrorCode {
            code,
            name,
            status: status_of(code as i32),
        },
        &e.message(),
    )
}

/// ClickHouse's reading of a boolean URL parameter.
fn is_true(v: &str) -> bool {
    matches!(
        v.trim().to_ascii_lowercase().as_str(),
        "1" | "true" | "yes" | "on"
    )
}

/// The statement's first keyword, upper-cased.
fn first_keyword(sql: &str) -> String {
    sql.trim_start()
        .split(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or("")
        .to_ascii_uppercase()
}
