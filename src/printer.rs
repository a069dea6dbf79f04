//! User-facing output: people read stderr, programs read stdout.

use std::io::{IsTerminal, Write};

/// The format of machine output on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum OutputFormat {
    /// Human-readable text on stderr only; nothing on stdout.
    #[default]
    Text,
    /// A JSON document on stdout.
    Json,
}

/// How much envlock tells people on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Verbosity {
    /// Errors only.
    Quiet,
    /// Summaries and warnings.
    #[default]
    Normal,
}

/// The one place user output goes through.
#[derive(Debug, Clone, Copy, Default)]
pub struct Printer {
    verbosity: Verbosity,
}

impl Printer {
    /// Creates a printer with the given verbosity.
    pub fn new(verbosity: Verbosity) -> Self {
        Self { verbosity }
    }

    /// Writes a line for people to stderr, unless quiet.
    pub fn status(&self, line: impl AsRef<str>) {
        if self.verbosity != Verbosity::Quiet {
            let _ = writeln!(std::io::stderr(), "{}", line.as_ref());
        }
    }

    /// Writes a warning for people to stderr, even when quiet.
    pub fn warn(&self, line: impl AsRef<str>) {
        let _ = writeln!(std::io::stderr(), "warning: {}", line.as_ref());
    }

    /// Writes machine output to stdout.
    pub fn machine(&self, document: impl AsRef<str>) {
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(document.as_ref().as_bytes());
        if !document.as_ref().ends_with('\n') {
            let _ = stdout.write_all(b"\n");
        }
        let _ = stdout.flush();
    }

    /// Whether progress bars may be drawn: stderr is a terminal and output is not quiet.
    pub fn shows_progress(&self) -> bool {
        self.verbosity != Verbosity::Quiet && std::io::stderr().is_terminal()
    }
}
