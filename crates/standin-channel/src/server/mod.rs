//! A static-file HTTP server on 127.0.0.1 for tests. It serves a channel
//! directory with byte ranges, logs every request and can inject faults.
//!
//! ```no_run
//! # fn main() -> std::io::Result<()> {
//! use standin_channel::server::{ChannelServer, Fault};
//!
//! let server = ChannelServer::start(std::path::Path::new("/tmp/channel"))?
//!     .with_range(false)
//!     .with_fault_times("*/repodata.json", Fault::Status { code: 503, retry_after: Some(1) }, 1);
//! let url = server.url(); // http://127.0.0.1:<port>/
//! # Ok(())
//! # }
//! ```

mod auth;
mod fault;
mod http;
mod respond;

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use url::Url;

pub use auth::Auth;
pub use fault::Fault;
use fault::FaultRule;

/// Default time without requests after which the server stops itself, so a
/// leaked server cannot run forever.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(10 * 60);

/// How often the accept loop checks for a stop request.
const POLL_INTERVAL: Duration = Duration::from_millis(10);

/// One request and the server's response to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    /// HTTP method, for example `GET` or `HEAD`.
    pub method: String,
    /// Request path with `%XX` escapes decoded and the query removed, for
    /// example `/linux-64/repodata.json`. A path that cannot be decoded is
    /// logged as sent.
    pub path: String,
    /// The `Range` header as sent, if any.
    pub range: Option<String>,
    /// Status code sent, or 0 when the connection closed without a response.
    pub status: u16,
    /// Body bytes written to the socket.
    pub bytes_sent: u64,
    /// The fault injected into this response, if any.
    pub fault: Option<Fault>,
}

/// State shared between the handle, the accept loop and connection threads.
struct Shared {
    root: PathBuf,
    range_enabled: AtomicBool,
    stop: AtomicBool,
    running: AtomicBool,
    idle_timeout: Mutex<Duration>,
    last_activity: Mutex<Instant>,
    faults: Mutex<Vec<FaultRule>>,
    auth: Mutex<Option<Auth>>,
    requests: Mutex<Vec<RequestRecord>>,
    /// Connections accepted whose request is not logged yet.
    in_flight: std::sync::atomic::AtomicUsize,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking connection thread leaves plain data behind, which stays usable.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    fn touch(&self) {
        *lock(&self.last_activity) = Instant::now();
    }

    fn idle_expired(&self) -> bool {
        lock(&self.last_activity).elapsed() >= *lock(&self.idle_timeout)
    }

    fn take_fault(&self, relative_path: &str) -> Option<Fault> {
        lock(&self.faults)
            .iter_mut()
            .find_map(|rule| rule.take(relative_path))
    }

    /// Checks a request's credentials. Returns the path to serve, or `None`
    /// when the credentials are missing or wrong.
    fn authorize(&self, path: &str, authorization: Option<&str>) -> Option<String> {
        match lock(&self.auth).as_ref() {
            Some(auth) => auth.authorize(path, authorization),
            None => Some(path.to_string()),
        }
    }

    fn record(&self, record: RequestRecord) {
        tracing::debug!(
            method = %record.method,
            path = %record.path,
            status = record.status,
            bytes = record.bytes_sent,
            "request served"
        );
        lock(&self.requests).push(record);
    }
}

/// A running test server. Dropping it stops the server.
pub struct ChannelServer {
    address: SocketAddr,
    url: Url,
    shared: Arc<Shared>,
    accept_thread: Option<JoinHandle<()>>,
}

impl ChannelServer {
    /// Starts serving `root` on 127.0.0.1 at an ephemeral port, with range
    /// requests on, no faults and [`DEFAULT_IDLE_TIMEOUT`].
    pub fn start(root: &Path) -> io::Result<Self> {
        let root = root.canonicalize()?;
        let listener = TcpListener::bind(("127.0.0.1", 0))?;
        listener.set_nonblocking(true)?;
        let address = listener.local_addr()?;
        let url = Url::parse(&format!("http://{address}/")).map_err(io::Error::other)?;

        let shared = Arc::new(Shared {
            root,
            range_enabled: AtomicBool::new(true),
            stop: AtomicBool::new(false),
            running: AtomicBool::new(true),
            idle_timeout: Mutex::new(DEFAULT_IDLE_TIMEOUT),
            last_activity: Mutex::new(Instant::now()),
            faults: Mutex::new(Vec::new()),
            auth: Mutex::new(None),
            requests: Mutex::new(Vec::new()),
            in_flight: std::sync::atomic::AtomicUsize::new(0),
        });
        let loop_shared = Arc::clone(&shared);
        let accept_thread = std::thread::Builder::new()
            .name(format!("standin-server-{}", address.port()))
            .spawn(move || accept_loop(listener, loop_shared))?;
        tracing::info!(%address, root = %shared.root.display(), "test channel server started");

        Ok(Self {
            address,
            url,
            shared,
            accept_thread: Some(accept_thread),
        })
    }

    /// Returns the base URL, `http://127.0.0.1:<port>/`.
    pub fn url(&self) -> Url {
        self.url.clone()
    }

    /// Returns the listening address.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Returns the served directory (canonicalized).
    pub fn root(&self) -> &Path {
        &self.shared.root
    }

    /// Turns `Range` handling on (206 and 416 responses) or off (every `GET`
    /// gets 200 and the whole file).
    pub fn with_range(self, enabled: bool) -> Self {
        self.set_range(enabled);
        self
    }

    /// Turns `Range` handling on or off while the server runs.
    pub fn set_range(&self, enabled: bool) {
        self.shared.range_enabled.store(enabled, Ordering::SeqCst);
    }

    /// Sets the time without requests after which the server stops itself.
    pub fn with_idle_timeout(self, timeout: Duration) -> Self {
        *lock(&self.shared.idle_timeout) = timeout;
        self
    }

    /// Requires `auth` on every request; requests without it get 401.
    pub fn with_auth(self, auth: Auth) -> Self {
        *lock(&self.shared.auth) = Some(auth);
        self
    }

    /// Injects `fault` into every request whose path (relative to the root,
    /// for example `linux-64/repodata.json`) matches `path_glob`, where `*`
    /// matches any characters including `/`. The first matching rule applies.
    pub fn with_fault(self, path_glob: &str, fault: Fault) -> Self {
        self.add_fault(path_glob, fault, None);
        self
    }

    /// Like [`ChannelServer::with_fault`], for the first `times` matching
    /// requests only.
    pub fn with_fault_times(self, path_glob: &str, fault: Fault, times: usize) -> Self {
        self.add_fault(path_glob, fault, Some(times));
        self
    }

    /// Adds a fault rule while the server runs. With `times: None` the fault
    /// applies to every matching request.
    pub fn add_fault(&self, path_glob: &str, fault: Fault, times: Option<usize>) {
        lock(&self.shared.faults).push(FaultRule {
            pattern: path_glob.to_string(),
            fault,
            remaining: times,
        });
    }

    /// Removes every fault rule.
    pub fn clear_faults(&self) {
        lock(&self.shared.faults).clear();
    }

    /// Returns the logged requests, oldest first.
    ///
    /// A response is logged after its last byte is written, which can be
    /// after the client has read it; so this waits (up to two seconds) for
    /// connections that are still being logged.
    pub fn requests(&self) -> Vec<RequestRecord> {
        let deadline = Instant::now() + Duration::from_secs(2);
        while self.shared.in_flight.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        lock(&self.shared.requests).clone()
    }

    /// Empties the request log.
    pub fn clear_requests(&self) {
        lock(&self.shared.requests).clear();
    }

    /// Returns whether the server still accepts connections (it stops when
    /// dropped or after the idle timeout).
    pub fn is_running(&self) -> bool {
        self.shared.running.load(Ordering::SeqCst)
    }
}

impl Drop for ChannelServer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.accept_thread.take() {
            if thread.join().is_err() {
                tracing::warn!(address = %self.address, "test channel server thread panicked");
            }
        }
    }
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let address = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let reason = loop {
        if shared.stop.load(Ordering::SeqCst) {
            break "stopped by its owner";
        }
        if shared.idle_expired() {
            break "idle timeout reached";
        }
        match listener.accept() {
            Ok((stream, _peer)) => {
                shared.touch();
                shared.in_flight.fetch_add(1, Ordering::SeqCst);
                spawn_connection(stream, Arc::clone(&shared));
            }
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                std::thread::sleep(POLL_INTERVAL);
            }
            Err(error) => {
                tracing::warn!(%address, %error, "accepting a connection failed");
                std::thread::sleep(POLL_INTERVAL);
            }
        }
    };
    shared.running.store(false, Ordering::SeqCst);
    tracing::info!(%address, reason, "test channel server stopped");
}

fn spawn_connection(stream: TcpStream, shared: Arc<Shared>) {
    let on_error = Arc::clone(&shared);
    let spawned = std::thread::Builder::new()
        .name("standin-server-connection".into())
        .spawn(move || {
            respond::handle_connection(stream, &shared);
            shared.in_flight.fetch_sub(1, Ordering::SeqCst);
        });
    if let Err(error) = spawned {
        on_error.in_flight.fetch_sub(1, Ordering::SeqCst);
        tracing::warn!(%error, "starting a connection thread failed; connection dropped");
    }
}
