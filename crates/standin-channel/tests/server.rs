//! The test HTTP server: files, ranges, errors, the request log, faults and
//! shutdown. Requests are written by hand so that paths reach the server
//! exactly as sent.

use std::fs;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use standin_channel::server::{ChannelServer, Fault};

struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// Sends `head` (request line and headers, without the final blank line)
/// and returns the raw bytes until the server closes the connection.
fn exchange(address: SocketAddr, head: &str) -> Vec<u8> {
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    stream
        .write_all(format!("{head}\r\n\r\n").as_bytes())
        .unwrap();
    let mut raw = Vec::new();
    // A closed connection without a response reads as zero bytes.
    let _ = stream.read_to_end(&mut raw);
    raw
}

fn parse(raw: &[u8]) -> Response {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("no header end");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .map(|line| {
            let (name, value) = line.split_once(':').unwrap();
            (name.trim().to_string(), value.trim().to_string())
        })
        .collect();
    Response {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    }
}

fn request(server: &ChannelServer, method: &str, path: &str, headers: &[&str]) -> Response {
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {}", server.address());
    for header in headers {
        head.push_str("\r\n");
        head.push_str(header);
    }
    parse(&exchange(server.address(), &head))
}

/// Creates a served directory with a 1000-byte file of known bytes.
fn served_dir() -> (tempfile::TempDir, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let contents: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
    fs::create_dir_all(dir.path().join("linux-64")).unwrap();
    fs::write(dir.path().join("linux-64/pkg.conda"), &contents).unwrap();
    fs::write(dir.path().join("linux-64/repodata.json"), b"{}").unwrap();
    (dir, contents)
}

#[test]
fn serves_whole_file() {
    let (dir, contents) = served_dir();
    let server = ChannelServer::start(dir.path()).unwrap();

    let response = request(&server, "GET", "/linux-64/pkg.conda", &[]);

    assert_eq!(response.status, 200);
    assert_eq!(response.body, contents);
    assert_eq!(response.header("Content-Length"), Some("1000"));
    assert_eq!(response.header("Accept-Ranges"), Some("bytes"));
    assert_eq!(
        response.header("Content-Type"),
        Some("application/octet-stream")
    );
    let json = request(&server, "GET", "/linux-64/repodata.json", &[]);
    assert_eq!(json.header("Content-Type"), Some("application/json"));
}

#[test]
fn url_has_trailing_slash() {
    let (dir, _) = served_dir();
    let server = ChannelServer::start(dir.path()).unwrap();

    let url = server.url();

    assert_eq!(url.as_str(), format!("http://{}/", server.address()));
    assert_eq!(url.host_str(), Some("127.0.0.1"));
}

#[test]
fn honours_range_when_on() {
    let (dir, contents) = served_dir();
    let server = ChannelServer::start(dir.path()).unwrap();

    let first = request(
        &server,
        "GET",
        "/linux-64/pkg.conda",
        &["Range: bytes=10-19"],
    );
    assert_eq!(first.status, 206);
    assert_eq!(first.body, &contents[10..20]);
    assert_eq!(first.header("Content-Range"), Some("bytes 10-19/1000"));
    assert_eq!(first.header("Content-Length"), Some("10"));

    let suffix = request(
        &server,
        "GET",
        "/linux-64/pkg.conda",
        &["Range: bytes=-100"],
    );
    assert_eq!(suffix.status, 206);
    assert_eq!(suffix.body, &contents[900..]);
    assert_eq!(suffix.header("Content-Range"), Some("bytes 900-999/1000"));

    let open_ended = request(
        &server,
        "GET",
        "/linux-64/pkg.conda",
        &["Range: bytes=990-"],
    );
    assert_eq!(open_ended.body, &contents[990..]);

    let beyond = request(
        &server,
        "GET",
        "/linux-64/pkg.conda",
        &["Range: bytes=5000-"],
    );
    assert_eq!(beyond.status, 416);
    assert_eq!(beyond.header("Content-Range"), Some("bytes */1000"));
}

#[test]
fn ignores_range_when_off() {
    let (dir, contents) = served_dir();
    let server = ChannelServer::start(dir.path()).unwrap().with_range(false);

    let response = request(
        &server,
        "GET",
        "/linux-64/pkg.conda",
        &["Range: bytes=10-19"],
    );

    assert_eq!(response.status, 200);
    assert_eq!(response.body, contents);
    assert_eq!(response.header("Accept-Ranges"), None);
    assert_eq!(response.header("Content-Range"), None);

    server.set_range(true);
    let again = request(
        &server,
        "GET",
        "/linux-64/pkg.conda",
        &["Range: bytes=10-19"],
    );
    assert_eq!(again.status, 206);
}

#[test]
fn head_sends_headers_only() {
    let (dir, _) = served_dir();
    let server = ChannelServer::start(dir.path()).unwrap();

    let response = request(&server, "HEAD", "/linux-64/pkg.conda", &[]);

    assert_eq!(response.status, 200);
    assert_eq!(response.header("Content-Length"), Some("1000"));
    assert!(response.body.is_empty());
}

#[test]
fn missing_file_is_404() {
    let (dir, _) = served_dir();
    let server = ChannelServer::start(dir.path()).unwrap();

    assert_eq!(
        request(&server, "GET", "/linux-64/absent.conda", &[]).status,
        404
    );
    assert_eq!(request(&server, "GET", "/linux-64/", &[]).status, 404);
    assert_eq!(request(&server, "GET", "/", &[]).status, 404);
}

#[test]
fn rejects_parent_segments() {
    let outer = tempfile::tempdir().unwrap();
    fs::write(outer.path().join("secret.txt"), "outside").unwrap();
    let root = outer.path().join("channel");
    fs::create_dir(&root).unwrap();
    let server = ChannelServer::start(&root).unwrap();

    for path in [
        "/../secret.txt",
        "/linux-64/../../secret.txt",
        "/%2e%2e/secret.txt",
    ] {
        let response = request(&server, "GET", path, &[]);
        assert_eq!(response.status, 400, "{path}");
        assert!(
            !String::from_utf8_lossy(&response.body).contains("outside"),
            "{path}"
        );
    }
}

#[test]
fn rejects_symlink_out_of_root() {
    let outer = tempfile::tempdir().unwrap();
    fs::write(outer.path().join("secret.txt"), "outside").unwrap();
    let root = outer.path().join("channel");
    fs::create_dir(&root).unwrap();
    std::os::unix::fs::symlink(outer.path().join("secret.txt"), root.join("link.txt")).unwrap();
    let server = ChannelServer::start(&root).unwrap();

    assert_eq!(request(&server, "GET", "/link.txt", &[]).status, 403);
}

#[test]
fn other_methods_are_405() {
    let (dir, _) = served_dir();
    let server = ChannelServer::start(dir.path()).unwrap();

    let response = request(&server, "POST", "/linux-64/pkg.conda", &[]);

    assert_eq!(response.status, 405);
    assert_eq!(response.header("Allow"), Some("GET, HEAD"));
}

#[test]
fn logs_requests() {
    let (dir, _) = served_dir();
    let server = ChannelServer::start(dir.path()).unwrap();

    request(
        &server,
        "GET",
        "/linux-64/pkg.conda?token=x",
        &["Range: bytes=0-9"],
    );
    request(&server, "HEAD", "/linux-64/absent.conda", &[]);

    let log = server.requests();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].method, "GET");
    assert_eq!(log[0].path, "/linux-64/pkg.conda");
    assert_eq!(log[0].range.as_deref(), Some("bytes=0-9"));
    assert_eq!(log[0].status, 206);
    assert_eq!(log[0].bytes_sent, 10);
    assert_eq!(log[1].method, "HEAD");
    assert_eq!(log[1].status, 404);
    assert_eq!(log[1].bytes_sent, 0);

    server.clear_requests();
    assert!(server.requests().is_empty());
}

#[test]
fn status_fault_with_retry_after() {
    let (dir, _) = served_dir();
    let server = ChannelServer::start(dir.path()).unwrap().with_fault_times(
        "*/repodata.json",
        Fault::Status {
            code: 503,
            retry_after: Some(2),
        },
        1,
    );

    let first = request(&server, "GET", "/linux-64/repodata.json", &[]);
    let second = request(&server, "GET", "/linux-64/repodata.json", &[]);
    let other = request(&server, "GET", "/linux-64/pkg.conda", &[]);

    assert_eq!(first.status, 503);
    assert_eq!(first.header("Retry-After"), Some("2"));
    assert_eq!(second.status, 200);
    assert_eq!(other.status, 200);
    assert!(server.requests()[0].fault.is_some());
    assert!(server.requests()[1].fault.is_none());
}

#[test]
fn reset_fault_sends_nothing() {
    let (dir, _) = served_dir();
    let server = ChannelServer::start(dir.path())
        .unwrap()
        .with_fault("*.conda", Fault::Reset);

    let raw = exchange(
        server.address(),
        "GET /linux-64/pkg.conda HTTP/1.1\r\nHost: x",
    );

    assert!(raw.is_empty());
    assert_eq!(server.requests()[0].status, 0);
}

#[test]
fn truncate_fault_cuts_body() {
    let (dir, contents) = served_dir();
    let server = ChannelServer::start(dir.path())
        .unwrap()
        .with_fault("*.conda", Fault::TruncateBody { after_bytes: 100 });

    let response = request(&server, "GET", "/linux-64/pkg.conda", &[]);

    assert_eq!(response.header("Content-Length"), Some("1000"));
    assert_eq!(response.body, &contents[..100]);
    assert_eq!(server.requests()[0].bytes_sent, 100);
}

#[test]
fn wrong_content_length_fault() {
    let (dir, contents) = served_dir();
    let server = ChannelServer::start(dir.path())
        .unwrap()
        .with_fault("*.conda", Fault::WrongContentLength { declared: 2000 });

    let response = request(&server, "GET", "/linux-64/pkg.conda", &[]);

    assert_eq!(response.header("Content-Length"), Some("2000"));
    assert_eq!(response.body, contents);
}

#[test]
fn stall_and_slow_faults_delay() {
    let (dir, contents) = served_dir();
    let server = ChannelServer::start(dir.path())
        .unwrap()
        .with_fault(
            "linux-64/repodata.json",
            Fault::Stall {
                delay: Duration::from_millis(300),
            },
        )
        .with_fault(
            "*.conda",
            Fault::Slow {
                bytes_per_second: 2000,
            },
        );

    let started = Instant::now();
    let stalled = request(&server, "GET", "/linux-64/repodata.json", &[]);
    let stall_time = started.elapsed();
    let started = Instant::now();
    let slow = request(&server, "GET", "/linux-64/pkg.conda", &[]);
    let slow_time = started.elapsed();

    assert_eq!(stalled.status, 200);
    assert!(stall_time >= Duration::from_millis(300), "{stall_time:?}");
    assert_eq!(slow.body, contents);
    assert!(slow_time >= Duration::from_millis(450), "{slow_time:?}");
}

#[test]
fn stops_when_dropped() {
    let (dir, _) = served_dir();
    let server = ChannelServer::start(dir.path()).unwrap();
    let address = server.address();

    drop(server);

    assert!(TcpStream::connect(address).is_err());
}

#[test]
fn stops_after_idle_timeout() {
    let (dir, _) = served_dir();
    let server = ChannelServer::start(dir.path())
        .unwrap()
        .with_idle_timeout(Duration::from_millis(200));

    std::thread::sleep(Duration::from_millis(600));

    assert!(!server.is_running());
    assert!(TcpStream::connect(server.address()).is_err());
}
