//! The small part of HTTP/1.1 that the test server implements: one request
//! per connection, `GET` and `HEAD`, and single byte ranges.

use std::io::{self, BufRead, Read, Write};

/// Maximum size of the request line plus headers.
const MAX_HEAD_BYTES: usize = 16 * 1024;

/// A parsed request head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Request {
    pub method: String,
    /// The request target as sent, for example `/linux-64/repodata.json?x=1`.
    pub target: String,
    /// The value of the `Range` header, if any.
    pub range: Option<String>,
    /// The value of the `Authorization` header, if any.
    pub authorization: Option<String>,
}

/// An error while reading a request head.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The client closed the connection or the read failed or timed out.
    Io(io::Error),
    /// The bytes are not an HTTP/1.x request head.
    Malformed(&'static str),
}

/// Reads the request line and headers. The server ignores request bodies.
pub(crate) fn read_request(reader: &mut impl BufRead) -> Result<Request, ReadError> {
    let mut total = 0;
    let request_line = read_line(reader, &mut total)?;
    let mut parts = request_line.split_whitespace();
    let (Some(method), Some(target), Some(version)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(ReadError::Malformed(
            "request line needs method, target and version",
        ));
    };
    if !version.starts_with("HTTP/1.") || parts.next().is_some() {
        return Err(ReadError::Malformed(
            "only HTTP/1.x request lines are accepted",
        ));
    }

    let mut range = None;
    let mut authorization = None;
    loop {
        let line = read_line(reader, &mut total)?;
        if line.is_empty() {
            break;
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(ReadError::Malformed("header line without ':'"));
        };
        if name.trim().eq_ignore_ascii_case("range") {
            range = Some(value.trim().to_string());
        } else if name.trim().eq_ignore_ascii_case("authorization") {
            authorization = Some(value.trim().to_string());
        }
    }
    Ok(Request {
        method: method.to_string(),
        target: target.to_string(),
        range,
        authorization,
    })
}

fn read_line(reader: &mut impl BufRead, total: &mut usize) -> Result<String, ReadError> {
    let mut line = Vec::new();
    let read = reader
        .by_ref()
        .take((MAX_HEAD_BYTES - *total) as u64)
        .read_until(b'\n', &mut line)
        .map_err(ReadError::Io)?;
    *total += read;
    if read == 0 {
        return Err(ReadError::Io(io::ErrorKind::UnexpectedEof.into()));
    }
    if !line.ends_with(b"\n") {
        return Err(ReadError::Malformed("request head is too long or cut off"));
    }
    let text =
        String::from_utf8(line).map_err(|_| ReadError::Malformed("request head is not UTF-8"))?;
    Ok(text.trim_end_matches(['\r', '\n']).to_string())
}

/// Decodes `%XX` escapes in a URL path. Returns `None` for a malformed
/// escape or a result that is not UTF-8.
pub(crate) fn percent_decode(path: &str) -> Option<String> {
    let bytes = path.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            decoded.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            decoded.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(decoded).ok()
}

/// The part of a file a `Range` header selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RangeSelection {
    /// Serve the whole file with 200. The request has no `Range` header, or
    /// one that the server ignores as RFC 9110 allows (another unit, several
    /// ranges, bad syntax).
    Full,
    /// Serve bytes `start..=end` with 206.
    Partial { start: u64, end: u64 },
    /// Respond with 416 because the range starts at or beyond the end of the file.
    Unsatisfiable,
}

/// Interprets a `Range` header value for a file of `len` bytes. Supports
/// `bytes=a-b`, `bytes=a-` and `bytes=-n`.
pub(crate) fn select_range(header: &str, len: u64) -> RangeSelection {
    let Some(spec) = header.trim().strip_prefix("bytes=") else {
        return RangeSelection::Full;
    };
    if spec.contains(',') {
        return RangeSelection::Full;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return RangeSelection::Full;
    };
    let (first, last) = (first.trim(), last.trim());

    if first.is_empty() {
        // A suffix range selects the last `n` bytes.
        return match last.parse::<u64>() {
            Ok(0) => RangeSelection::Unsatisfiable,
            Ok(_) if len == 0 => RangeSelection::Unsatisfiable,
            Ok(n) => RangeSelection::Partial {
                start: len.saturating_sub(n),
                end: len - 1,
            },
            Err(_) => RangeSelection::Full,
        };
    }

    let Ok(start) = first.parse::<u64>() else {
        return RangeSelection::Full;
    };
    let end = if last.is_empty() {
        u64::MAX
    } else {
        match last.parse::<u64>() {
            Ok(end) if end >= start => end,
            _ => return RangeSelection::Full,
        }
    };
    if start >= len {
        return RangeSelection::Unsatisfiable;
    }
    RangeSelection::Partial {
        start,
        end: end.min(len - 1),
    }
}

/// Returns the reason phrase for `status`.
pub(crate) fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        206 => "Partial Content",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        416 => "Range Not Satisfiable",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

/// Writes the status line and headers, always with `Connection: close`.
pub(crate) fn write_head(
    writer: &mut impl Write,
    status: u16,
    headers: &[(&str, String)],
) -> io::Result<()> {
    let mut head = format!("HTTP/1.1 {status} {}\r\n", reason_phrase(status));
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("Connection: close\r\n\r\n");
    writer.write_all(head.as_bytes())
}

/// Returns the `Content-Type` for a file name.
pub(crate) fn content_type(path: &str) -> &'static str {
    if path.ends_with(".json") {
        "application/json"
    } else {
        "application/octet-stream"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_cases() {
        use RangeSelection::*;
        let cases = [
            ("bytes=0-9", 100, Partial { start: 0, end: 9 }),
            ("bytes=90-", 100, Partial { start: 90, end: 99 }),
            ("bytes=90-200", 100, Partial { start: 90, end: 99 }),
            ("bytes=-10", 100, Partial { start: 90, end: 99 }),
            ("bytes=-200", 100, Partial { start: 0, end: 99 }),
            ("bytes=100-", 100, Unsatisfiable),
            ("bytes=-0", 100, Unsatisfiable),
            ("bytes=0-", 0, Unsatisfiable),
            ("bytes=5-1", 100, Full),
            ("bytes=0-1,5-6", 100, Full),
            ("items=0-1", 100, Full),
            ("bytes=x-1", 100, Full),
        ];
        for (header, len, expected) in cases {
            assert_eq!(
                select_range(header, len),
                expected,
                "{header} on {len} bytes"
            );
        }
    }

    #[test]
    fn request_head_parses() {
        let raw = b"GET /noarch/repodata.json HTTP/1.1\r\nHost: x\r\nrange: bytes=0-1\r\n\r\n";
        let request = read_request(&mut &raw[..]).unwrap();
        assert_eq!(request.method, "GET");
        assert_eq!(request.target, "/noarch/repodata.json");
        assert_eq!(request.range.as_deref(), Some("bytes=0-1"));
    }

    #[test]
    fn malformed_request_rejected() {
        let raw = b"GET /x SPDY/3\r\n\r\n";
        assert!(matches!(
            read_request(&mut &raw[..]),
            Err(ReadError::Malformed(_))
        ));
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("/a%2Bb").as_deref(), Some("/a+b"));
        assert_eq!(percent_decode("/%2e%2e/x").as_deref(), Some("/../x"));
        assert_eq!(percent_decode("/%zz"), None);
        assert_eq!(percent_decode("/%2"), None);
    }
}
