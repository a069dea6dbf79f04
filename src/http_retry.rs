//! Retrying transient HTTP failures for every request sent through
//! [`crate::http::client`].
//!
//! A request is retried when the connection fails or times out before the
//! response headers arrive, or when the server responds with 408, 429, 500, 502,
//! 503 or 504. Every retry is logged at `warn` with the redacted URL and the
//! attempt number. A failure while the body streams is not seen here, so
//! callers retry those: solve, check and rattler's package cache do.
//! NOTE: PyPI index pages and wheels (`src/pypi/download.rs`) are not yet
//! retried when their body breaks off.

use std::time::Duration;

use reqwest::{Request, Response, StatusCode};
use reqwest_middleware::{Middleware, Next};

use crate::channels::redact_url;

/// Retries after the first attempt, so a request is sent at most four times.
pub const MAX_RETRIES: u32 = 3;

/// Delay before the first retry. It doubles for every further retry.
pub const BASE_DELAY: Duration = Duration::from_millis(500);

/// Upper bound on one delay, also for a longer `Retry-After`.
pub const MAX_DELAY: Duration = Duration::from_secs(10);

/// A middleware that retries transient failures with exponential backoff,
/// bounded by [`MAX_RETRIES`] and [`MAX_DELAY`].
#[derive(Debug, Clone, Copy)]
pub struct RetryMiddleware {
    max_retries: u32,
    base_delay: Duration,
    max_delay: Duration,
}

impl Default for RetryMiddleware {
    fn default() -> Self {
        Self {
            max_retries: MAX_RETRIES,
            base_delay: BASE_DELAY,
            max_delay: MAX_DELAY,
        }
    }
}

impl RetryMiddleware {
    /// The delay before retry number `retry` (1-based): `Retry-After` when the
    /// server sent one, else the exponential backoff, both capped.
    fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        let backoff = self.base_delay.saturating_mul(1 << (retry - 1).min(16));
        retry_after.unwrap_or(backoff).min(self.max_delay)
    }
}

/// Whether a status is worth another attempt.
fn is_transient_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 429 | 500 | 502 | 503 | 504)
}

/// Whether a failure before the response is worth another attempt.
fn is_transient_error(error: &reqwest_middleware::Error) -> bool {
    match error {
        reqwest_middleware::Error::Reqwest(error) => {
            error.is_connect() || error.is_timeout() || error.is_request() || error.is_body()
        }
        reqwest_middleware::Error::Middleware(_) => false,
    }
}

/// The `Retry-After` header in seconds. HTTP dates are not supported and
/// fall back to the backoff.
fn retry_after(response: &Response) -> Option<Duration> {
    let value = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

#[async_trait::async_trait]
impl Middleware for RetryMiddleware {
    async fn handle(
        &self,
        request: Request,
        extensions: &mut http::Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        let mut attempt: u32 = 1;
        loop {
            // A request with a streaming body cannot be cloned, so it gets one attempt.
            let Some(copy) = request.try_clone() else {
                return next.run(request, extensions).await;
            };
            let outcome = next.clone().run(copy, extensions).await;
            let (reason, server_delay) = match &outcome {
                Ok(response) if is_transient_status(response.status()) => (
                    format!("status {}", response.status()),
                    retry_after(response),
                ),
                Err(error) if is_transient_error(error) => (
                    crate::channels::redact_text(&crate::solve::repodata::error_chain(error)),
                    None,
                ),
                _ => return outcome,
            };
            if attempt > self.max_retries {
                tracing::warn!(url = %redact_url(request.url()), attempts = attempt, %reason, "giving up after retries");
                return outcome;
            }
            let delay = self.delay(attempt, server_delay);
            tracing::warn!(
                url = %redact_url(request.url()),
                attempt,
                max_attempts = self.max_retries + 1,
                delay_ms = delay.as_millis() as u64,
                %reason,
                "request failed, retrying"
            );
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delay_doubles_and_is_capped() {
        let retry = RetryMiddleware::default();
        assert_eq!(retry.delay(1, None), Duration::from_millis(500));
        assert_eq!(retry.delay(2, None), Duration::from_secs(1));
        assert_eq!(retry.delay(3, None), Duration::from_secs(2));
        assert_eq!(retry.delay(30, None), MAX_DELAY);
        assert_eq!(
            retry.delay(1, Some(Duration::from_secs(3))),
            Duration::from_secs(3)
        );
        assert_eq!(retry.delay(1, Some(Duration::from_secs(3600))), MAX_DELAY);
    }

    #[test]
    fn transient_statuses() {
        for code in [408, 429, 500, 502, 503, 504] {
            assert!(
                is_transient_status(StatusCode::from_u16(code).unwrap()),
                "{code}"
            );
        }
        for code in [200, 304, 400, 401, 403, 404, 416] {
            assert!(
                !is_transient_status(StatusCode::from_u16(code).unwrap()),
                "{code}"
            );
        }
    }
}
