//! The command line: one module per subcommand, each with `Args` and `execute`.

pub mod check;
pub mod diff;
pub mod install;
pub mod shell_hook;
pub mod solve;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::exit_code::ExitClass;
use crate::printer::{Printer, Verbosity};

/// Solve, lock, check and install conda environments for container images.
#[derive(Debug, Parser)]
#[command(name = "envlock", version, about, long_about = None)]
pub struct Cli {
    /// More log output on stderr (-v: info, -vv: debug, -vvv: trace). RUST_LOG overrides it.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    /// Print only errors and warnings on stderr.
    #[arg(short, long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
enum Command {
    /// Solve an environment file for every target platform and write the lock.
    Solve(solve::Args),
    /// Check that required packages and their data files are available for every platform, or in an installed prefix.
    Check(check::Args),
    /// Compare two locks: packages added, removed, upgraded, downgraded or rebuilt per platform.
    Diff(diff::Args),
    /// Install a lock or an @EXPLICIT file into a prefix that runs without conda.
    Install(install::Args),
    /// Print the environment of an installed prefix (sh, JSON or Dockerfile ENV lines).
    ShellHook(shell_hook::Args),
}

/// A failed command: the diagnostic to show and the exit class.
#[derive(Debug)]
pub struct CommandError {
    /// The exit class of the failure.
    pub class: ExitClass,
    /// The diagnostic shown on stderr.
    pub report: miette::Report,
}

impl CommandError {
    /// Wraps a diagnostic with its exit class.
    pub fn new(
        class: ExitClass,
        diagnostic: impl miette::Diagnostic + Send + Sync + 'static,
    ) -> Self {
        Self {
            class,
            report: miette::Report::new(diagnostic),
        }
    }

    /// Wraps a diagnostic that classifies itself.
    pub fn classified<E>(error: E) -> Self
    where
        E: miette::Diagnostic + crate::exit_code::Classify + Send + Sync + 'static,
    {
        let class = error.exit_class();
        Self::new(class, error)
    }
}

/// The outcome of a command.
pub type CommandResult = Result<ExitClass, CommandError>;

/// Parses the command line, runs the command and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            let class = if error.use_stderr() {
                ExitClass::Input
            } else {
                ExitClass::Success
            };
            return class.into();
        }
    };
    init_tracing(cli.verbose);
    let _ = miette::set_hook(Box::new(|_| {
        Box::new(miette::MietteHandlerOpts::new().wrap_lines(false).build())
    }));
    let printer = Printer::new(if cli.quiet {
        Verbosity::Quiet
    } else {
        Verbosity::Normal
    });

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: failed to start the async runtime: {error}");
            return ExitClass::Internal.into();
        }
    };
    let outcome = runtime.block_on(async {
        match cli.command {
            Command::Solve(args) => solve::execute(args, printer).await,
            Command::Check(args) => check::execute(args, printer).await,
            Command::Diff(args) => diff::execute(args, printer).await,
            Command::Install(args) => install::execute(args, printer).await,
            Command::ShellHook(args) => shell_hook::execute(args, printer).await,
        }
    });
    match outcome {
        Ok(class) => class.into(),
        Err(error) => {
            // Error chains from rattler and reqwest can carry a full URL.
            eprintln!(
                "{}",
                crate::channels::redact_text(&format!("{:?}", error.report))
            );
            error.class.into()
        }
    }
}

fn init_tracing(verbose: u8) {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("envlock={level},warn")));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| RedactingStderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .without_time()
        .try_init();
}

/// Standard error for log lines, with credentials in URLs masked. rattler
/// logs the URLs it fetches (with a `/t/<token>/` or userinfo) at debug
/// level, so every line is redacted before it is written.
struct RedactingStderr;

impl std::io::Write for RedactingStderr {
    fn write(&mut self, buffer: &[u8]) -> std::io::Result<usize> {
        // The fmt layer writes one whole event per call, so URLs are not split.
        let text = String::from_utf8_lossy(buffer);
        std::io::stderr().write_all(crate::channels::redact_text(&text).as_bytes())?;
        Ok(buffer.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// The default cache directory: `$ENVLOCK_CACHE_DIR`, else `$XDG_CACHE_HOME/envlock`,
/// else `~/.cache/envlock`, else `.envlock-cache` in the working directory.
pub fn default_cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join("envlock");
    }
    if let Some(home) = std::env::var_os("HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(home).join(".cache").join("envlock");
    }
    tracing::warn!("neither XDG_CACHE_HOME nor HOME is set; caching in ./.envlock-cache");
    PathBuf::from(".envlock-cache")
}
