//! Responds to one request with path resolution, faults, ranges and the body.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::http::{self, RangeSelection, ReadError, Request};
use super::{Fault, RequestRecord, Shared};

/// Read and write timeout of a connection, so a stuck client cannot keep a
/// thread forever.
const IO_TIMEOUT: Duration = Duration::from_secs(30);

/// Body bytes written per `write` call.
const CHUNK_BYTES: u64 = 64 * 1024;

/// Reads one request from `stream`, sends the response and logs it.
pub(super) fn handle_connection(stream: TcpStream, shared: &Shared) {
    if let Err(error) = configure(&stream) {
        tracing::warn!(%error, "configuring a connection failed; connection dropped");
        return;
    }

    let mut reader = BufReader::new(&stream);
    let request = match http::read_request(&mut reader) {
        Ok(request) => request,
        Err(ReadError::Io(error)) => {
            tracing::debug!(%error, "connection closed before a complete request");
            return;
        }
        Err(ReadError::Malformed(reason)) => {
            let mut record = new_record("", "", None);
            let outcome = send_simple(&stream, "GET", 400, &[], reason, &mut record);
            log_send_error(&record, outcome);
            shared.record(record);
            return;
        }
    };

    let raw_path = request_path(&request.target);
    let Some(path) = shared.authorize(&raw_path, request.authorization.as_deref()) else {
        // The log keeps the path without a conda token, so tests can search
        // it for secrets that must not be there.
        let mut record = new_record(&request.method, &redact_token(&raw_path), None);
        let challenge = [("WWW-Authenticate", "Basic realm=\"standin\"".to_string())];
        let outcome = send_simple(
            &stream,
            &request.method,
            401,
            &challenge,
            "credentials required",
            &mut record,
        );
        log_send_error(&record, outcome);
        shared.touch();
        shared.record(record);
        return;
    };
    let mut record = new_record(&request.method, &path, request.range.clone());
    let outcome = respond(&stream, &request, &path, shared, &mut record);
    log_send_error(&record, outcome);
    shared.touch();
    shared.record(record);
}

fn configure(stream: &TcpStream) -> io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    stream.set_nodelay(true)
}

fn new_record(method: &str, path: &str, range: Option<String>) -> RequestRecord {
    RequestRecord {
        method: method.to_string(),
        path: path.to_string(),
        range,
        status: 0,
        bytes_sent: 0,
        fault: None,
    }
}

fn log_send_error(record: &RequestRecord, outcome: io::Result<()>) {
    if let Err(error) = outcome {
        tracing::debug!(path = %record.path, %error, "sending the response failed");
    }
}

/// Replaces the token of a `/t/<token>/` path with `********`.
fn redact_token(path: &str) -> String {
    match path
        .strip_prefix("/t/")
        .and_then(|rest| rest.split_once('/'))
    {
        Some((_, rest)) => format!("/t/********/{rest}"),
        None => path.to_string(),
    }
}

/// Returns the decoded path of a request target without query or fragment.
/// A path with malformed escapes comes back raw, and resolution rejects it.
fn request_path(target: &str) -> String {
    let raw = target.split(['?', '#']).next().unwrap_or_default();
    http::percent_decode(raw).unwrap_or_else(|| raw.to_string())
}

fn respond(
    stream: &TcpStream,
    request: &Request,
    path: &str,
    shared: &Shared,
    record: &mut RequestRecord,
) -> io::Result<()> {
    let method = request.method.as_str();
    if method != "GET" && method != "HEAD" {
        let allow = [("Allow", "GET, HEAD".to_string())];
        return send_simple(
            stream,
            method,
            405,
            &allow,
            "only GET and HEAD are served",
            record,
        );
    }

    let relative = path.trim_start_matches('/');
    record.fault = shared.take_fault(relative);
    match &record.fault {
        // The connection closes when `handle_connection` drops the stream,
        // after the request is logged.
        Some(Fault::Reset) => return Ok(()),
        Some(Fault::Status { code, retry_after }) => {
            let headers: Vec<_> = retry_after
                .iter()
                .map(|seconds| ("Retry-After", seconds.to_string()))
                .collect();
            return send_simple(stream, method, *code, &headers, "injected fault", record);
        }
        Some(Fault::Stall { delay }) => stall(*delay, shared),
        _ => {}
    }

    match resolve(&shared.root, path) {
        Ok(file_path) => send_file(stream, request, &file_path, shared, record),
        Err((status, reason)) => send_simple(stream, method, status, &[], reason, record),
    }
}

/// Sleeps for `delay`, waking early when the server stops.
fn stall(delay: Duration, shared: &Shared) {
    let until = Instant::now() + delay;
    while Instant::now() < until && !shared.stop.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(10).min(until - Instant::now()));
    }
}

/// Maps a decoded URL path to a regular file under `root`. `..` segments,
/// NUL bytes and backslashes are rejected with 400, symbolic links leading
/// out of `root` with 403, and anything that is not a file with 404.
fn resolve(root: &Path, path: &str) -> Result<PathBuf, (u16, &'static str)> {
    let mut joined = root.to_path_buf();
    let mut has_segment = false;
    for segment in path.split('/') {
        match segment {
            "" | "." => continue,
            ".." => return Err((400, "'..' is not allowed in paths")),
            _ if segment.contains(['\0', '\\']) => {
                return Err((400, "NUL and backslash are not allowed in paths"))
            }
            _ => {
                joined.push(segment);
                has_segment = true;
            }
        }
    }
    if !has_segment {
        return Err((404, "directory listings are not served"));
    }

    let canonical = joined.canonicalize().map_err(|_| (404, "not found"))?;
    if !canonical.starts_with(root) {
        return Err((403, "path leads outside the served directory"));
    }
    if !canonical.is_file() {
        return Err((404, "not found"));
    }
    Ok(canonical)
}

/// Sends a short `text/plain` response, without a body for `HEAD`.
fn send_simple(
    mut stream: &TcpStream,
    method: &str,
    status: u16,
    extra_headers: &[(&str, String)],
    message: &str,
    record: &mut RequestRecord,
) -> io::Result<()> {
    let body = format!("{message}\n");
    let mut headers = vec![
        ("Content-Type", "text/plain; charset=utf-8".to_string()),
        ("Content-Length", body.len().to_string()),
    ];
    headers.extend(extra_headers.iter().cloned());
    http::write_head(&mut stream, status, &headers)?;
    record.status = status;
    if method != "HEAD" {
        stream.write_all(body.as_bytes())?;
        record.bytes_sent = body.len() as u64;
    }
    stream.flush()
}

fn send_file(
    mut stream: &TcpStream,
    request: &Request,
    file_path: &Path,
    shared: &Shared,
    record: &mut RequestRecord,
) -> io::Result<()> {
    let mut file = File::open(file_path)?;
    let len = file.metadata()?.len();
    let range_enabled = shared.range_enabled.load(Ordering::SeqCst);
    let selection = match (&request.range, range_enabled) {
        (Some(header), true) => http::select_range(header, len),
        _ => RangeSelection::Full,
    };

    let mut headers = vec![(
        "Content-Type",
        http::content_type(&file_path.to_string_lossy()).to_string(),
    )];
    if range_enabled {
        headers.push(("Accept-Ranges", "bytes".to_string()));
    }
    let (status, start, body_len) = match selection {
        RangeSelection::Full => (200, 0, len),
        RangeSelection::Partial { start, end } => {
            headers.push(("Content-Range", format!("bytes {start}-{end}/{len}")));
            (206, start, end - start + 1)
        }
        RangeSelection::Unsatisfiable => {
            headers.push(("Content-Range", format!("bytes */{len}")));
            (416, 0, 0)
        }
    };
    let declared = match &record.fault {
        Some(Fault::WrongContentLength { declared }) => *declared,
        _ => body_len,
    };
    headers.push(("Content-Length", declared.to_string()));

    http::write_head(&mut stream, status, &headers)?;
    record.status = status;
    if request.method == "HEAD" || body_len == 0 {
        return stream.flush();
    }

    let limit = match &record.fault {
        Some(Fault::TruncateBody { after_bytes }) => body_len.min(*after_bytes),
        _ => body_len,
    };
    let rate = match &record.fault {
        Some(Fault::Slow { bytes_per_second }) => Some((*bytes_per_second).max(1)),
        _ => None,
    };
    file.seek(SeekFrom::Start(start))?;
    send_body(stream, &mut file, limit, rate, shared, record)?;
    stream.flush()
}

/// Copies `limit` bytes from `file`, at most `rate` bytes per second when set.
fn send_body(
    mut stream: &TcpStream,
    file: &mut File,
    limit: u64,
    rate: Option<u64>,
    shared: &Shared,
    record: &mut RequestRecord,
) -> io::Result<()> {
    let chunk_len = match rate {
        Some(rate) => (rate / 10).clamp(1, CHUNK_BYTES),
        None => CHUNK_BYTES,
    };
    let started = Instant::now();
    let mut buffer = vec![0u8; chunk_len as usize];
    while record.bytes_sent < limit {
        if shared.stop.load(Ordering::SeqCst) {
            return Err(io::Error::other("server stopped during the response"));
        }
        let want = (limit - record.bytes_sent).min(chunk_len) as usize;
        let read = file.read(&mut buffer[..want])?;
        if read == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        stream.write_all(&buffer[..read])?;
        record.bytes_sent += read as u64;

        if let Some(rate) = rate {
            let due = Duration::from_secs_f64(record.bytes_sent as f64 / rate as f64);
            if let Some(wait) = due.checked_sub(started.elapsed()) {
                std::thread::sleep(wait);
            }
        }
    }
    Ok(())
}
