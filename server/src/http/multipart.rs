//! `multipart/form-data` request bodies: the query and its `param_<name>` values sent as
//! form fields (as the official Rust client does for server-side parameters).
//!
//! Each field without a file name becomes a request parameter, exactly as if it had been
//! in the URL; the `query` field is the query text. Fields with a file name are
//! ClickHouse's external tables, which Granary does not have (48 NOT_IMPLEMENTED).

/// Whether `content_type` is `multipart/form-data`; its boundary if so.
pub fn boundary(content_type: &str) -> Option<&str> {
    let (kind, rest) = content_type.split_once(';')?;
    if !kind.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    rest.split(';').find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| v.trim().trim_matches('"'))
            .filter(|b| !b.is_empty())
    })
}

/// Why a form could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormError {
    /// The body is not a well-formed form (the message says where).
    Malformed(String),
    /// A field is a file: an external table.
    ExternalTable(String),
}

/// The fields of a `multipart/form-data` body with `boundary`, as (name, value) pairs.
pub fn parse(body: &[u8], boundary: &str) -> Result<Vec<(String, String)>, FormError> {
    let delimiter = format!("--{boundary}").into_bytes();
    let bad = |m: &str| FormError::Malformed(m.to_owned());
    let mut rest = body;
    let start = find(rest, &delimiter).ok_or_else(|| bad("no boundary in the body"))?;
    rest = &rest[start + delimiter.len()..];
    let mut fields = Vec::new();
    loop {
        if rest.starts_with(b"--") {
            return Ok(fields);
        }
        rest = rest
            .strip_prefix(b"\r\n")
            .ok_or_else(|| bad("a boundary is not followed by a line break"))?;
        let head_end = find(rest, b"\r\n\r\n").ok_or_else(|| bad("a part has no header end"))?;
        let head = String::from_utf8_lossy(&rest[..head_end]).into_owned();
        rest = &rest[head_end + 4..];
        let mut closing = b"\r\n".to_vec();
        closing.extend_from_slice(&delimiter);
        let end = find(rest, &closing).ok_or_else(|| bad("a part is not closed by a boundary"))?;
        let value = &rest[..end];
        rest = &rest[end + closing.len()..];
        let disposition = head
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.trim()
                    .eq_ignore_ascii_case("content-disposition")
                    .then_some(v)
            })
            .ok_or_else(|| bad("a part has no Content-Disposition"))?;
        let name = attribute(disposition, "name").ok_or_else(|| bad("a part has no name"))?;
        if attribute(disposition, "filename").is_some() {
            return Err(FormError::ExternalTable(name));
        }
        let value = String::from_utf8(value.to_vec())
            .map_err(|_| bad(&format!("field `{name}` is not UTF-8")))?;
        fields.push((name, value));
    }
}

/// `name="value"` in a Content-Disposition header.
fn attribute(disposition: &str, name: &str) -> Option<String> {
    disposition.split(';').find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().trim_matches('"').to_owned())
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields() {
        assert_eq!(boundary("multipart/form-data; boundary=xyz"), Some("xyz"));
        assert_eq!(
            boundary("Multipart/Form-Data; boundary=\"a b\""),
            Some("a b")
        );
        assert_eq!(boundary("text/plain"), None);
        let body = b"--xyz\r\nContent-Disposition: form-data; name=\"query\"\r\n\r\n\
                     SELECT {a:UInt8}\r\n--xyz\r\nContent-Disposition: form-data; \
                     name=\"param_a\"\r\n\r\n1\r\n--xyz--\r\n";
        assert_eq!(
            parse(body, "xyz").unwrap(),
            vec![
                ("query".to_owned(), "SELECT {a:UInt8}".to_owned()),
                ("param_a".to_owned(), "1".to_owned())
            ]
        );
    }

    #[test]
    fn errors() {
        let file = b"--b\r\nContent-Disposition: form-data; name=\"t\"; filename=\"t.tsv\"\r\n\r\n1\r\n--b--";
        assert_eq!(parse(file, "b"), Err(FormError::ExternalTable("t".into())));
        for bad in [
            &b""[..],
            b"--b",
            b"--b\r\nx",
            b"--b\r\n\r\n\r\nv\r\n--b--",
            b"--b\r\nContent-Disposition: form-data; name=\"q\"\r\n\r\nnever closed",
        ] {
            assert!(
                matches!(parse(bad, "b"), Err(FormError::Malformed(_))),
                "{bad:?}"
            );
        }
    }
}
