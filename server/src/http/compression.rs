//! HTTP body compression: decoding request bodies sent with `Content-Encoding` and
//! encoding responses when the client allows it (`enable_http_compression=1` plus
//! `Accept-Encoding`), as ClickHouse does (`shared/clickhouse-http.md` §2 "Compression").

use std::io::{self, Read, Write};

/// The encodings this server can decode and encode, by their `Content-Encoding` names.
/// `lz4` is the LZ4 *frame* format (what python's `lz4.frame` writes).
pub const SUPPORTED: &[&str] = &["gzip", "deflate", "br", "zstd", "lz4"];

/// Why a request body could not be decoded.
#[derive(Debug)]
pub enum DecodeError {
    /// The `Content-Encoding` is not one this server knows.
    Unsupported(String),
    /// The decoded body would exceed the limit (a "zip bomb" or simply too much data).
    TooLarge(usize),
    /// The body is not valid data in its declared encoding.
    Corrupt(String),
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::Unsupported(e) => write!(f, "Unknown compression method '{e}'"),
            DecodeError::TooLarge(max) => {
                write!(f, "The decompressed request body exceeds {max} bytes")
            }
            DecodeError::Corrupt(msg) => write!(f, "Cannot decompress the request body: {msg}"),
        }
    }
}

/// Normalises a `Content-Encoding` value: lower case, trimmed; `x-gzip` is `gzip`.
fn normalise(encoding: &str) -> String {
    let e = encoding.trim().to_ascii_lowercase();
    match e.as_str() {
        "x-gzip" => "gzip".to_owned(),
        _ => e,
    }
}

/// Whether `encoding` means "not compressed".
pub fn is_identity(encoding: &str) -> bool {
    matches!(normalise(encoding).as_str(), "" | "identity" | "none")
}

/// Decodes `body` sent with `Content-Encoding: encoding`, producing at most `max` bytes.
/// Blocking (CPU-bound): call it off the async executor for large bodies.
pub fn decode(encoding: &str, body: &[u8], max: usize) -> Result<Vec<u8>, DecodeError> {
    let encoding = normalise(encoding);
    let reader: Box<dyn Read + '_> = match encoding.as_str() {
        "" | "identity" | "none" => Box::new(body),
        "gzip" => Box::new(flate2::read::MultiGzDecoder::new(body)),
        // HTTP's `deflate` is the zlib format (RFC 1950), as ClickHouse reads it.
        "deflate" => Box::new(flate2::read::ZlibDecoder::new(body)),
        "br" => Box::new(brotli::Decompressor::new(body, 64 << 10)),
        "zstd" => Box::new(
            zstd::stream::read::Decoder::with_buffer(body)
                .map_err(|e| DecodeError::Corrupt(e.to_string()))?,
        ),
        "lz4" => Box::new(lz4_flex::frame::FrameDecoder::new(body)),
        _ => return Err(DecodeError::Unsupported(encoding)),
    };
    // Read one byte past the limit to tell "exactly max" from "more than max".
    let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    let mut out = Vec::new();
    reader
        .take(limit)
        .read_to_end(&mut out)
        .map_err(|e| DecodeError::Corrupt(e.to_string()))?;
    if out.len() > max {
        return Err(DecodeError::TooLarge(max));
    }
    Ok(out)
}

/// Picks the response encoding from an `Accept-Encoding` value: the first encoding in
/// the client's order that this server supports and the client did not refuse (`q=0`).
pub fn choose(accept_encoding: &str) -> Option<&'static str> {
    accept_encoding.split(',').find_map(|item| {
        let mut parts = item.split(';');
        let name = normalise(parts.next().unwrap_or(""));
        let refused = parts.any(|p| {
            p.trim()
                .strip_prefix("q=")
                .and_then(|q| q.trim().parse::<f32>().ok())
                .is_some_and(|q| q <= 0.0)
        });
        if refused {
            return None;
        }
        SUPPORTED.iter().copied().find(|s| *s == name)
    })
}

/// Compresses a response body with `encoding` (one of [`SUPPORTED`]).
pub fn encode(encoding: &str, body: &[u8]) -> io::Result<Vec<u8>> {
    match encoding {
        "gzip" => {
            let mut w = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            w.write_all(body)?;
            w.finish()
        }
        "deflate" => {
            let mut w = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
            w.write_all(body)?;
            w.finish()
        }
        "br" => {
            let mut out = Vec::new();
            {
                let mut w = brotli::CompressorWriter::new(&mut out, 64 << 10, 4, 22);
                w.write_all(body)?;
                w.flush()?;
            }
            Ok(out)
        }
        "zstd" => zstd::stream::encode_all(body, 1),
        "lz4" => {
            let mut w = lz4_flex::frame::FrameEncoder::new(Vec::new());
            w.write_all(body)?;
            w.finish().map_err(io::Error::other)
        }
        other => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("unsupported encoding {other}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_encoding() {
        let data = b"SELECT 1 FORMAT TSV\n".repeat(100);
        for enc in SUPPORTED {
            let packed = encode(enc, &data).expect("encode");
            assert_eq!(
                decode(enc, &packed, 1 << 20).expect("decode"),
                data,
                "{enc}"
            );
        }
    }

    #[test]
    fn caps_the_decoded_size() {
        let data = vec![0u8; 1 << 20];
        let packed = encode("gzip", &data).expect("encode");
        assert!(matches!(
            decode("gzip", &packed, 1000),
            Err(DecodeError::TooLarge(1000))
        ));
        assert_eq!(
            decode("gzip", &packed, 1 << 20).expect("fits").len(),
            1 << 20
        );
    }

    #[test]
    fn rejects_corrupt_and_unknown() {
        assert!(matches!(
            decode("gzip", b"not gzip at all", 100),
            Err(DecodeError::Corrupt(_))
        ));
        assert!(matches!(
            decode("xz", b"", 100),
            Err(DecodeError::Unsupported(_))
        ));
    }

    #[test]
    fn chooses_in_client_order() {
        assert_eq!(choose("lz4, zstd, gzip"), Some("lz4"));
        assert_eq!(choose("xz, gzip;q=0.5, br"), Some("gzip"));
        assert_eq!(choose("gzip;q=0, br"), Some("br"));
        assert_eq!(choose("identity, xz"), None);
        assert_eq!(choose(""), None);
    }
}
