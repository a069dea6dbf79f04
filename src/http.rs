//! The HTTP client shared by every network operation.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rattler_networking::AuthenticationMiddleware;
use reqwest_middleware::ClientWithMiddleware;

/// An error while setting up the HTTP client.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ClientError {
    /// The credential stores could not be read.
    #[error("failed to read credentials: {0}")]
    #[diagnostic(help("check RATTLER_AUTH_FILE and ~/.netrc"))]
    Credentials(String),
    /// `ENVLOCK_HTTP_TIMEOUT` is not a positive number of seconds.
    #[error("invalid {READ_TIMEOUT_VARIABLE} '{value}': expected a positive number of seconds")]
    #[diagnostic(help(
        "for example ENVLOCK_HTTP_TIMEOUT=120, or unset it for the default of 60 seconds"
    ))]
    InvalidTimeout {
        /// The value as set.
        value: String,
    },
    /// reqwest could not build a client.
    #[error("failed to build the HTTP client: {0}")]
    Build(String),
}

impl crate::exit_code::Classify for ClientError {
    fn exit_class(&self) -> crate::exit_code::ExitClass {
        match self {
            ClientError::Credentials(_) | ClientError::InvalidTimeout { .. } => {
                crate::exit_code::ExitClass::Input
            }
            ClientError::Build(_) => crate::exit_code::ExitClass::Internal,
        }
    }
}

/// Builds a client that adds credentials from rattler's authentication
/// storage (`RATTLER_AUTH_FILE`, `~/.netrc`, the keyring) to matching requests.
///
/// TLS certificates come from the system store. A slim image often has no
/// `ca-certificates`, and then the system verifier cannot start; envlock
/// falls back to the Mozilla roots bundled in the binary (webpki-root-certs)
/// and logs that it did.
///
/// Every request is bounded in time: [`CONNECT_TIMEOUT`] to connect, and
/// [`read_timeout`] without receiving a byte (while waiting for the headers
/// or for the next part of the body). Transient failures are retried by
/// [`crate::http_retry::RetryMiddleware`].
pub fn client() -> Result<ClientWithMiddleware, ClientError> {
    let read_timeout = read_timeout()?;
    let builder = || {
        reqwest::Client::builder()
            .user_agent(concat!("envlock/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(CONNECT_TIMEOUT)
            .read_timeout(read_timeout)
    };
    let inner = match builder().build() {
        Ok(client) => client,
        Err(error) => {
            tracing::warn!(%error, "the system TLS certificate store is unusable; using the bundled Mozilla roots");
            let bundled = webpki_root_certs::TLS_SERVER_ROOT_CERTS
                .iter()
                .filter_map(|der| reqwest::Certificate::from_der(der.as_ref()).ok());
            builder()
                .tls_certs_only(bundled)
                .build()
                .map_err(|e| ClientError::Build(crate::solve::repodata::error_chain(&e)))?
        }
    };
    let auth = AuthenticationMiddleware::from_env_and_defaults()
        .map_err(|e| ClientError::Credentials(e.to_string()))?;
    // The retry middleware comes after authentication, so every attempt
    // carries the credentials.
    Ok(reqwest_middleware::ClientBuilder::new(inner)
        .with_arc(Arc::new(auth))
        .with(crate::http_retry::RetryMiddleware::default())
        .build())
}

/// An HTTP client that is built on first use.
///
/// Building a client loads the system's TLS certificates (2.5 ms for the
/// 141 files of `/etc/ssl/certs` on the development machine), which an
/// install from a warm package cache never needs. The settings that can be
/// wrong (`ENVLOCK_HTTP_TIMEOUT`) are still checked when this is created.
#[derive(Clone, Default)]
pub struct LazyClient {
    built: Arc<Mutex<Option<ClientWithMiddleware>>>,
}

impl LazyClient {
    /// Checks the client settings without building the client.
    pub fn new() -> Result<Self, ClientError> {
        read_timeout()?;
        Ok(Self::default())
    }

    /// Returns the client, which the first call builds.
    pub fn get(&self) -> Result<ClientWithMiddleware, ClientError> {
        // A poisoned lock only means another task panicked while building,
        // so the slot is still usable.
        let mut slot = self.built.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(client) = slot.as_ref() {
            return Ok(client.clone());
        }
        tracing::debug!("building the HTTP client");
        let client = client()?;
        *slot = Some(client.clone());
        Ok(client)
    }
}

/// Time allowed to open a connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// Default time allowed without receiving any data on a connection.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(60);

/// The environment variable that overrides [`DEFAULT_READ_TIMEOUT`], in seconds.
pub const READ_TIMEOUT_VARIABLE: &str = "ENVLOCK_HTTP_TIMEOUT";

/// The read timeout: `ENVLOCK_HTTP_TIMEOUT` seconds when set, else [`DEFAULT_READ_TIMEOUT`].
fn read_timeout() -> Result<Duration, ClientError> {
    let Ok(value) = std::env::var(READ_TIMEOUT_VARIABLE) else {
        return Ok(DEFAULT_READ_TIMEOUT);
    };
    match value.trim().parse::<u64>() {
        Ok(seconds) if seconds > 0 => Ok(Duration::from_secs(seconds)),
        _ => Err(ClientError::InvalidTimeout { value }),
    }
}
