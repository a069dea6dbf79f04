//! `envlock diff`: compare two locks.

use std::path::PathBuf;

use crate::cli::{CommandError, CommandResult};
use crate::diff::{self, render};
use crate::exit_code::ExitClass;
use crate::lock::ReadLock;
use crate::printer::{OutputFormat, Printer};

/// Arguments of `envlock diff`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The old lock.
    pub old: PathBuf,
    /// The new lock.
    pub new: PathBuf,
    /// The output on stdout: text, json, or markdown (a pull-request body).
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
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
        OutputFormat::Text => render::text(&changes),
        OutputFormat::Json => render::json(&changes),
        OutputFormat::Markdown => render::markdown(&changes),
    };
    printer.machine(document);
    if args.exit_code && changes.has_changes() {
        return Ok(ExitClass::Differences);
    }
    Ok(ExitClass::Success)
}
