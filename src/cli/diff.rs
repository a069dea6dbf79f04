//! `envlock diff`: compare two locks.

use std::path::PathBuf;

use crate::cli::{CommandError, CommandResult};
use crate::diff::{self, render};
use crate::exit_code::ExitClass;
use crate::lock::ReadLock;
use crate::printer::Printer;

/// The output format of `diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum DiffFormat {
    /// Lines for a terminal.
    #[default]
    Text,
    /// A JSON document.
    Json,
    /// A pull-request body: a summary line and a table per platform.
    Markdown,
}

/// Arguments of `envlock diff`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The old lock.
    pub old: PathBuf,
    /// The new lock.
    pub new: PathBuf,
    /// The output on stdout: text, json, or markdown (a pull-request body).
    #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
    pub format: DiffFormat,
    /// Exit with code 1 when the locks differ (default: 0 either way).
    #[arg(long)]
    pub exit_code: bool,
}

/// Runs `envlock diff`.
pub async fn execute(args: Args, printer: Printer) -> CommandResult {
    let old = ReadLock::from_path(&args.old).map_err(CommandError::classified)?;
    let new = ReadLock::from_path(&args.new).map_err(CommandError::classified)?;
    let changes = diff::compare(&old, &new);
    let document = match args.format {
        DiffFormat::Text => render::text(&changes),
        DiffFormat::Json => render::json(&changes),
        DiffFormat::Markdown => render::markdown(&changes),
    };
    printer.machine(document);
    if args.exit_code && changes.has_changes() {
        return Ok(ExitClass::Differences);
    }
    Ok(ExitClass::Success)
}
