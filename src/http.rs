//! The HTTP client shared by every network operation.

use std::sync::Arc;

use rattler_networking::AuthenticationMiddleware;
use reqwest_middleware::ClientWithMiddleware;

/// An error while setting up the HTTP client.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ClientError {
    /// The credential stores could not be read.
    #[error("failed to read credentials: {0}")]
    #[diagnostic(help("check RATTLER_AUTH_FILE and ~/.netrc"))]
    Credentials(String),
    /// reqwest could not build a client.
    #[error("failed to build the HTTP client: {0}")]
    Build(String),
}

impl crate::exit_code::Classify for ClientError {
    fn exit_class(&self) -> crate::exit_code::ExitClass {
        match self {
            ClientError::Credentials(_) => crate::exit_code::ExitClass::Input,
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
pub fn client() -> Result<ClientWithMiddleware, ClientError> {
    let builder = || reqwest::Client::builder().user_agent(concat!("envlock/", env!("CARGO_PKG_VERSION")));
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
    Ok(reqwest_middleware::ClientBuilder::new(inner)
        .with_arc(Arc::new(auth))
        .build())
}
