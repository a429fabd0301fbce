//! Request and response headers of the query handler: query ids, credentials, and the
//! `X-ClickHouse-*` headers every query answer carries (`shared/clickhouse-http.md` §3).

use hyper::header::{HeaderMap, HeaderValue, AUTHORIZATION};

/// `X-ClickHouse-Query-Id`: the query's id (request and response).
pub const QUERY_ID: &str = "X-ClickHouse-Query-Id";
/// `X-ClickHouse-Format`: the output format (request: default format; response: used).
pub const FORMAT: &str = "X-ClickHouse-Format";
/// `X-ClickHouse-Database`: the current database for the request (wins over `database=`).
pub const DATABASE: &str = "X-ClickHouse-Database";
/// `X-ClickHouse-Timezone`: the server time zone.
pub const TIMEZONE: &str = "X-ClickHouse-Timezone";
/// `X-ClickHouse-Server-Display-Name`: the server's host name.
pub const DISPLAY_NAME: &str = "X-ClickHouse-Server-Display-Name";
/// `X-ClickHouse-Summary`: the query's progress counters as JSON.
pub const SUMMARY: &str = "X-ClickHouse-Summary";
/// `X-ClickHouse-Progress`: progress counters as JSON, sent with
/// `send_progress_in_http_headers=1` (same fields as the summary).
pub const PROGRESS: &str = "X-ClickHouse-Progress";
/// `X-ClickHouse-User`: the user name.
pub const USER: &str = "X-ClickHouse-User";
/// `X-ClickHouse-Key`: the password.
pub const KEY: &str = "X-ClickHouse-Key";

/// The value of header `name` as text, if present and valid UTF-8.
pub fn get<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// A fresh random query id in the UUID v4 text form.
pub fn new_query_id() -> String {
    let mut b: [u8; 16] = rand::random();
    b[6] = (b[6] & 0x0f) | 0x40; // version 4
    b[8] = (b[8] & 0x3f) | 0x80; // RFC 4122 variant
    granary_storage::engine::uuid_text(u128::from_be_bytes(b))
}

/// The server's display name: the host name, or `granary` when it cannot be read.
pub fn display_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty() && HeaderValue::from_str(h).is_ok())
        .unwrap_or_else(|| "granary".to_owned())
}

/// The counters of `X-ClickHouse-Summary` (ClickHouse's `ProgressValues`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Rows read.
    pub read_rows: u64,
    /// Bytes read.
    pub read_bytes: u64,
    /// Rows written (INSERT).
    pub written_rows: u64,
    /// Bytes written (INSERT).
    pub written_bytes: u64,
    /// Rows the query expected to read.
    pub total_rows_to_read: u64,
    /// Rows in the result.
    pub result_rows: u64,
    /// Bytes of the result.
    pub result_bytes: u64,
    /// Nanoseconds the query took.
    pub elapsed_ns: u64,
}

impl Summary {
    /// The header value: a JSON object whose numbers are strings, in ClickHouse's order.
    pub fn to_json(&self) -> String {
        format!(
            "{{\"read_rows\":\"{}\",\"read_bytes\":\"{}\",\"written_rows\":\"{}\",\
             \"written_bytes\":\"{}\",\"total_rows_to_read\":\"{}\",\"result_rows\":\"{}\",\
             \"result_bytes\":\"{}\",\"elapsed_ns\":\"{}\"}}",
            self.read_rows,
            self.read_bytes,
            self.written_rows,
            self.written_bytes,
            self.total_rows_to_read,
            self.result_rows,
            self.result_bytes,
            self.elapsed_ns
        )
    }
}

/// Why a request's credentials were refused (516 AUTHENTICATION_FAILED, HTTP 403).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthError(pub String);

/// A user name and password, as a request gave them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The user name (`default` when none was given).
    pub user: String,
    /// The password (empty when none was given).
    pub password: String,
}

/// Reads the request's credentials: `X-ClickHouse-User`/`X-ClickHouse-Key` headers,
/// `Authorization: Basic`, or the `user`/`password` URL parameters — one method only;
/// none at all is user `default` with an empty password. Checking them is
/// [`crate::users::Users::authenticate`]'s job.
pub fn credentials(
    headers: &HeaderMap,
    user_param: Option<&str>,
    password_param: Option<&str>,
) -> Result<Credentials, AuthError> {
    let from_headers = (get(headers, USER).is_some() || get(headers, KEY).is_some()).then(|| {
        (
            get(headers, USER),
            get(headers, KEY).unwrap_or("").to_owned(),
        )
    });
    let from_basic = match headers.get(AUTHORIZATION) {
        Some(v) => {
            let text = v.to_str().unwrap_or("");
            match text.strip_prefix("Basic ") {
                Some(b64) => {
                    let decoded = base64_decode(b64.trim())
                        .and_then(|b| String::from_utf8(b).ok())
                        .ok_or_else(|| {
                            AuthError("Malformed Basic authorization header".to_owned())
                        })?;
                    let (u, p) = decoded.split_once(':').unwrap_or((decoded.as_str(), ""));
                    Some((u.to_owned(), p.to_owned()))
                }
                None => {
                    return Err(AuthError(
                        "Only Basic authorization is supported".to_owned(),
                    ))
                }
            }
        }
        None => None,
    };
    let from_params = (user_param.is_some() || password_param.is_some())
        .then(|| (user_param, password_param.unwrap_or("").to_owned()));
    let methods = usize::from(from_headers.is_some())
        + usize::from(from_basic.is_some())
        + usize::from(from_params.is_some());
    if methods > 1 {
        return Err(AuthError(
            "Credentials were given in more than one way (X-ClickHouse-User/Key headers, \
             Authorization header, user/password parameters); use only one"
                .to_owned(),
        ));
    }
    let (user, password) = if let Some((u, p)) = from_basic {
        (u, p)
    } else if let Some((u, p)) = from_headers.or(from_params) {
        (u.unwrap_or("default").to_owned(), p)
    } else {
        ("default".to_owned(), String::new())
    };
    let user = if user.is_empty() {
        "default".to_owned()
    } else {
        user
    };
    Ok(Credentials { user, password })
}

/// Decodes standard base64 (with or without padding); `None` if malformed.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    fn value(c: u8) -> Option<u32> {
        match c {
            b'A'..=b'Z' => Some(u32::from(c - b'A')),
            b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
            b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        }
    }
    let bytes = text.trim_end_matches('=').as_bytes();
    if bytes.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let mut acc = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            acc |= value(c)? << (18 - 6 * i);
        }
        let n = chunk.len() - 1;
        for i in 0..n {
            out.push((acc >> (16 - 8 * i)) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_ids_look_like_uuid_v4() {
        let id = new_query_id();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert_ne!(id, new_query_id());
    }

    #[test]
    fn base64() {
        assert_eq!(base64_decode("ZGVmYXVsdDo="), Some(b"default:".to_vec()));
        assert_eq!(base64_decode("YQ"), Some(b"a".to_vec()));
        assert_eq!(base64_decode("!!"), None);
    }

    #[test]
    fn credentials_from_one_method() {
        let creds = |h: &HeaderMap, u, p| credentials(h, u, p).map(|c| (c.user, c.password));
        let pair = |u: &str, p: &str| Ok((u.to_owned(), p.to_owned()));
        let mut h = HeaderMap::new();
        assert_eq!(creds(&h, None, None), pair("default", ""));
        assert_eq!(creds(&h, Some("bob"), Some("x")), pair("bob", "x"));
        assert_eq!(creds(&h, None, Some("x")), pair("default", "x"));
        h.insert(USER, HeaderValue::from_static("alice"));
        h.insert(KEY, HeaderValue::from_static("pw"));
        assert_eq!(creds(&h, None, None), pair("alice", "pw"));
        assert!(creds(&h, Some("default"), None).is_err(), "mixed");
        let mut b = HeaderMap::new();
        // base64("bob:a:b")
        b.insert(
            AUTHORIZATION,
            HeaderValue::from_static("Basic Ym9iOmE6Yg=="),
        );
        assert_eq!(creds(&b, None, None), pair("bob", "a:b"));
        b.insert(AUTHORIZATION, HeaderValue::from_static("Bearer x"));
        assert!(creds(&b, None, None).is_err());
        b.insert(AUTHORIZATION, HeaderValue::from_static("Basic !!"));
        assert!(creds(&b, None, None).is_err());
    }

    #[test]
    fn summary_json() {
        let s = Summary {
            result_rows: 3,
            elapsed_ns: 5,
            ..Summary::default()
        };
        assert_eq!(
            s.to_json(),
            "{\"read_rows\":\"0\",\"read_bytes\":\"0\",\"written_rows\":\"0\",\"written_bytes\":\"0\",\
             \"total_rows_to_read\":\"0\",\"result_rows\":\"3\",\"result_bytes\":\"0\",\"elapsed_ns\":\"5\"}"
        );
    }
}
