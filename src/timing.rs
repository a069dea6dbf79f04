//! Phase timings at debug level, so a slow run can be broken down with
//! `RUST_LOG=envlock::timing=debug` instead of a profiler.

use std::time::Instant;

/// Logs how long a phase took when it is dropped.
///
/// ```
/// let _phase = envlock::timing::Phase::start("link");
/// // ... the work of the phase ...
/// ```
#[must_use = "the phase is timed until this value is dropped"]
pub struct Phase {
    name: &'static str,
    started: Instant,
}

impl Phase {
    /// Starts timing the phase `name`.
    pub fn start(name: &'static str) -> Self {
        Self {
            name,
            started: Instant::now(),
        }
    }
}

impl Drop for Phase {
    fn drop(&mut self) {
        let elapsed = self.started.elapsed();
        tracing::debug!(
            phase = self.name,
            elapsed_ms = format!("{:.1}", elapsed.as_secs_f64() * 1000.0),
            "phase finished"
        );
    }
}
