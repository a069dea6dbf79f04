//! Progress reporting, swappable between a terminal spinner and nothing.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// Receives progress events from long-running operations.
pub trait Reporter: Send + Sync {
    /// A named step starts, e.g. "fetching repodata for linux-64".
    fn on_step_start(&self, step: &str);
    /// The current step finished.
    fn on_step_finish(&self);
}

/// A reporter that shows nothing (not a terminal, quiet or JSON output).
#[derive(Debug, Default)]
pub struct QuietReporter;

impl Reporter for QuietReporter {
    fn on_step_start(&self, _step: &str) {}
    fn on_step_finish(&self) {}
}

/// A reporter that draws an indicatif spinner on stderr.
#[derive(Debug)]
pub struct SpinnerReporter {
    bar: ProgressBar,
}

impl SpinnerReporter {
    /// Creates a hidden spinner; it appears on the first step.
    pub fn new() -> Self {
        let bar = ProgressBar::new_spinner();
        let style = ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        bar.set_style(style);
        Self { bar }
    }
}

impl Default for SpinnerReporter {
    fn default() -> Self {
        Self::new()
    }
}

impl Reporter for SpinnerReporter {
    fn on_step_start(&self, step: &str) {
        self.bar.set_message(step.to_string());
        self.bar.enable_steady_tick(Duration::from_millis(120));
    }

    fn on_step_finish(&self) {
        self.bar.finish_and_clear();
        self.bar.reset();
    }
}

/// Chooses the reporter for a printer: a spinner on a terminal, otherwise quiet.
pub fn for_printer(printer: &crate::printer::Printer) -> Box<dyn Reporter> {
    if printer.shows_progress() {
        Box::new(SpinnerReporter::new())
    } else {
        Box::new(QuietReporter)
    }
}
