//! `envlock install`: install a lock or explicit file into a prefix.

use std::path::PathBuf;

use rattler_conda_types::Subdir;

use crate::channels::Mirror;
use crate::cli::{default_cache_dir, CommandError, CommandResult};
use crate::exit_code::ExitClass;
use crate::install::{self, HashPolicy, InstallOptions, LinkMode, NetworkMode, PostLinkMode};
use crate::printer::{OutputFormat, Printer};

/// Arguments of `envlock install`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// An envlock lock file or an @EXPLICIT file. Default: locks/env-worker-arm64.lock.
    pub input: Option<PathBuf>,
    /// The platform to install. Default: this machine's. Another platform needs this flag.
    #[arg(short = 'p', long)]
    pub platform: Option<Subdir>,
    /// The prefix to install into.
    #[arg(long)]
    pub prefix: PathBuf,
    /// Patch prefixes for this final location instead of --prefix (build in a staging root, run elsewhere).
    #[arg(long)]
    pub target_prefix: Option<PathBuf>,
    /// Fetch a channel from a mirror, as NAME=URL (repeatable).
    /// Without --mirror, ENVLOCK_MIRROR (space-separated NAME=URL values) is read, e.g. from a Dockerfile build argument.
    #[arg(long = "mirror", value_name = "NAME=URL")]
    pub mirrors: Vec<Mirror>,
    /// The cache directory (packages in <dir>/pkgs). Default: $XDG_CACHE_HOME/envlock or ~/.cache/envlock.
    #[arg(long, env = "ENVLOCK_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Copy files instead of hard-linking them from the cache (what images want). Default: hard links, copies where links fail.
    #[arg(long)]
    pub copy: bool,
    /// Use only the package cache; fail if a package is not in it.
    #[arg(long)]
    pub offline: bool,
    /// Run the packages' post-link scripts (only when the platform is this machine's).
    #[arg(long)]
    pub run_post_link_scripts: bool,
    /// Accept explicit-file lines without a hash.
    #[arg(long)]
    pub allow_unhashed: bool,
    /// The machine output on stdout.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
}

/// Runs `envlock install`.
pub async fn execute(args: Args, printer: Printer) -> CommandResult {
    let input = args
        .input
        .clone()
        .unwrap_or_else(install::input::default_lock_path);
    let options = InstallOptions::new(
        &args.prefix,
        args.cache_dir.clone().unwrap_or_else(default_cache_dir),
    )
    .with_target_prefix(args.target_prefix.clone())
    .with_platform(args.platform)
    .with_mirrors(
        crate::channels::mirrors_or_env(&args.mirrors)
            .map_err(|e| CommandError::new(ExitClass::Input, e))?,
    )
    .with_link_mode(if args.copy {
        LinkMode::Copy
    } else {
        LinkMode::HardLink
    })
    .with_network(if args.offline {
        NetworkMode::Offline
    } else {
        NetworkMode::Online
    })
    .with_post_link(if args.run_post_link_scripts {
        PostLinkMode::Run
    } else {
        PostLinkMode::Report
    })
    .with_hash_policy(if args.allow_unhashed {
        HashPolicy::AllowUnhashed
    } else {
        HashPolicy::Required
    });

    let report = install::install(&input, &options)
        .await
        .map_err(CommandError::classified)?;

    if report.changed == 0 {
        printer.status(format!(
            "{} is up to date ({} conda and {} PyPI packages, {})",
            report.prefix, report.packages, report.pypi_packages, report.platform
        ));
    } else {
        printer.status(format!(
            "installed {} conda and {} PyPI packages for {} into {} (runs from {}), {} changed",
            report.packages,
            report.pypi_packages,
            report.platform,
            report.prefix,
            report.target_prefix,
            report.changed
        ));
    }
    if report.pip_not_locked {
        printer
            .warn("the lock was solved with --ignore-pip: its pip requirements are not installed");
    }
    for script in &report.post_link_scripts {
        if script.ran {
            printer.status(format!(
                "  ran the post-link script of {}: {}",
                script.package, script.script
            ));
            for message in &script.messages {
                printer.status(format!("    it wrote to .messages.txt: {message}"));
            }
            continue;
        }
        if report.post_link_scripts_requested {
            printer.status(format!(
                "  post-link script of {} not run: the package was already installed: {}",
                script.package, script.script
            ));
            continue;
        }
        printer.status(format!(
            "  post-link script of {} not run (pass --run-post-link-scripts to run it): {}",
            script.package, script.script
        ));
        for message in &script.messages {
            printer.status(format!("    it would write to .messages.txt: {message}"));
        }
    }
    printer.status(format!(
        "  activate with: . {}/{}",
        report.target_prefix,
        install::activation::ACTIVATE_SH
    ));
    if args.format == OutputFormat::Json {
        printer.machine(serde_json::to_string_pretty(&report).unwrap_or_default());
    }
    Ok(ExitClass::Success)
}
