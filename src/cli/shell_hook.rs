//! `envlock shell-hook`: print the environment of an installed prefix.

use std::path::PathBuf;

use crate::cli::{CommandError, CommandResult};
use crate::exit_code::ExitClass;
use crate::install::activation;
use crate::printer::Printer;

/// The output format of `shell-hook`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum HookFormat {
    /// POSIX sh exports (the content of etc/envlock/activate.sh).
    #[default]
    Sh,
    /// The environment as JSON.
    Json,
    /// Dockerfile ENV lines.
    Dockerfile,
}

/// Arguments of `envlock shell-hook`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The installed prefix.
    #[arg(long)]
    pub prefix: PathBuf,
    /// The output format.
    #[arg(long, value_enum, default_value_t = HookFormat::Sh)]
    pub format: HookFormat,
}

/// Runs `envlock shell-hook`.
pub async fn execute(args: Args, printer: Printer) -> CommandResult {
    let environment =
        activation::read(&args.prefix).map_err(|e| CommandError::new(ExitClass::Input, e))?;
    let text = match args.format {
        HookFormat::Sh => activation::render_activate_sh(&environment),
        HookFormat::Json => serde_json::to_string_pretty(&environment).unwrap_or_default(),
        HookFormat::Dockerfile => activation::render_dockerfile(&environment),
    };
    printer.machine(text);
    Ok(ExitClass::Success)
}
