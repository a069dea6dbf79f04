//! `envlock check`: required packages, content rules, and installed prefixes.

use std::path::{Path, PathBuf};

use rattler_conda_types::Subdir;

use crate::channels::Mirror;
use crate::check::prefix::{check_prefix, PrefixCheckOptions};
use crate::check::requirements::RequireArg;
use crate::check::rules::{builtin_rules, effective_rules, RuleConfig};
use crate::check::{check_channels, render, ChannelCheckOptions};
use crate::cli::solve::{LockPaths, DEFAULT_ENVIRONMENT_FILE};
use crate::cli::{default_cache_dir, CommandError, CommandResult};
use crate::envfile::EnvironmentFile;
use crate::exit_code::ExitClass;
use crate::printer::Printer;
use crate::virtual_packages::VirtualPackageOverride;

/// The machine output of `check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum CheckFormat {
    /// A report for people on stderr only.
    #[default]
    Text,
    /// The report on stderr, and a JSON document on stdout.
    Json,
}

/// Arguments of `envlock check`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The environment file; its directory may hold envlock.toml with content rules.
    #[arg(short = 'f', long = "file", default_value = DEFAULT_ENVIRONMENT_FILE)]
    pub file: PathBuf,
    /// A target platform (repeatable). Default: the file's `platforms:`, else linux-aarch64 and linux-64. With --prefix: the prefix's platform (default: from its records).
    #[arg(short = 'p', long = "platform")]
    pub platforms: Vec<Subdir>,
    /// The lock whose records content rules inspect. Default: locks/<file stem>.lock.
    #[arg(long)]
    pub lockfile: Option<PathBuf>,
    /// Fetch a channel from a mirror, as NAME=URL (repeatable).
    #[arg(long = "mirror", value_name = "NAME=URL")]
    pub mirrors: Vec<Mirror>,
    /// Require a package, as a match spec such as crest=3.0.2 (repeatable); replaces the default spec for that package.
    #[arg(long = "require", value_name = "SPEC")]
    pub require: Vec<RequireArg>,
    /// Require only the --require packages, not nwchem, xtb, crest and rdkit.
    #[arg(long)]
    pub no_default_requirements: bool,
    /// Override a virtual package for the whole-environment solve, as PLATFORM:NAME=VERSION[=BUILD] (repeatable).
    #[arg(long = "virtual-package", value_name = "PLATFORM:NAME=VERSION")]
    pub virtual_packages: Vec<VirtualPackageOverride>,
    /// The output format: text on stderr, or also JSON on stdout.
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    pub format: CheckFormat,
    /// The cache directory for repodata and downloaded archives. Default: $XDG_CACHE_HOME/envlock or ~/.cache/envlock.
    #[arg(long, env = "ENVLOCK_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Check an installed environment in DIR instead of the channels.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["lockfile", "mirrors", "require", "no_default_requirements", "virtual_packages"])]
    pub prefix: Option<PathBuf>,
    /// With --prefix: the path the environment runs at, when it was installed for another location. Default: CONDA_PREFIX from etc/envlock/activate.sh, else DIR.
    #[arg(long, value_name = "PATH", requires = "prefix")]
    pub target_prefix: Option<PathBuf>,
}

/// Runs `envlock check`.
pub async fn execute(args: Args, printer: Printer) -> CommandResult {
    let config = RuleConfig::next_to(&args.file).map_err(CommandError::classified)?;
    let rules = effective_rules(builtin_rules(), config.as_ref());
    let rules_file = config.as_ref().map(|c| c.path.as_path());
    if let Some(path) = rules_file {
        printer.status(format!("content rules: built-in and {}", path.display()));
    }

    match &args.prefix {
        Some(directory) => run_prefix(&args, directory, &rules, rules_file, printer),
        None => run_channels(&args, &rules, rules_file, printer).await,
    }
}

async fn run_channels(
    args: &Args,
    rules: &[crate::check::rules::ContentRule],
    rules_file: Option<&Path>,
    printer: Printer,
) -> CommandResult {
    let env = EnvironmentFile::from_path(&args.file)
        .map_err(|e| CommandError::new(ExitClass::Input, e))?;
    let options = ChannelCheckOptions {
        platforms: args.platforms.clone(),
        mirrors: crate::channels::mirrors_or_env(&args.mirrors)
            .map_err(|e| CommandError::new(ExitClass::Input, e))?,
        virtual_packages: args.virtual_packages.clone(),
        require: args.require.clone(),
        default_requirements: !args.no_default_requirements,
        lockfile: LockPaths::new(&args.file, args.lockfile.as_deref()).lock,
        cache_dir: args.cache_dir.clone().unwrap_or_else(default_cache_dir),
    };
    let reporter = crate::reporter::for_printer(&printer);
    let report = check_channels(&env, &options, rules, rules_file, reporter.as_ref())
        .await
        .map_err(CommandError::classified)?;

    for line in render::channel_report(&report) {
        printer.status(line);
    }
    if args.format == CheckFormat::Json {
        printer.machine(serde_json::to_string_pretty(&report).unwrap_or_default());
    }
    Ok(if report.passed {
        ExitClass::Success
    } else {
        ExitClass::CheckFailed
    })
}

fn run_prefix(
    args: &Args,
    directory: &Path,
    rules: &[crate::check::rules::ContentRule],
    rules_file: Option<&Path>,
    printer: Printer,
) -> CommandResult {
    let platform = match args.platforms.as_slice() {
        [] => None,
        [platform] => Some(*platform),
        _ => {
            return Err(CommandError::new(
                ExitClass::Input,
                miette::diagnostic!(
                    help = "a prefix is installed for one platform; pass --platform once",
                    "--prefix takes at most one --platform, got {}",
                    args.platforms.len()
                ),
            ));
        }
    };
    let options = PrefixCheckOptions {
        directory: directory.to_path_buf(),
        platform,
        target_prefix: args.target_prefix.clone(),
    };
    let report = check_prefix(&options, rules, rules_file).map_err(CommandError::classified)?;

    for line in render::prefix_report(&report) {
        printer.status(line);
    }
    if args.format == CheckFormat::Json {
        printer.machine(serde_json::to_string_pretty(&report).unwrap_or_default());
    }
    Ok(if report.passed {
        ExitClass::Success
    } else {
        ExitClass::CheckFailed
    })
}
