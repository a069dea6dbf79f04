//! Installing a lock or an explicit file into a prefix, with no conda at runtime.
//!
//! Order of work: read the input, fetch and verify every package into the
//! cache, check the target prefix length, link into a staging directory (for
//! a new prefix) or the prefix itself (for an update), remove host paths
//! from `conda-meta`, write the activation files, and move the staging
//! directory into place. Any failure before the last step leaves the prefix
//! as it was.

pub mod activation;
mod cache_lock;
pub mod fetch;
mod fresh;
pub mod input;
mod link;
pub mod pip_sync;
pub mod post_link;
pub mod prefix;
pub mod validate;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rattler_cache::package_cache::PackageCache;
use rattler_conda_types::Subdir;
use serde::Serialize;

use crate::channels::{resolve_channels, Mirror};
use crate::exit_code::{Classify, ExitClass};
use crate::timing::Phase;

pub use fetch::NetworkMode;
pub use input::HashPolicy;

/// The way files get from the package cache into the prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LinkMode {
    /// Hard links where the file system allows them, else copies (rattler's default).
    #[default]
    HardLink,
    /// Always copy (`--copy`), so the prefix shares nothing with the cache.
    Copy,
}

/// Whether post-link scripts run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PostLinkMode {
    /// Report them, never run them.
    #[default]
    Report,
    /// Run them (`--run-post-link-scripts`, target platform only).
    Run,
}

/// Options of one install.
#[derive(Debug, Clone)]
pub struct InstallOptions {
    /// The prefix to install into.
    pub prefix: PathBuf,
    /// The path the prefix will run from, when it differs from `prefix`.
    pub target_prefix: Option<PathBuf>,
    /// The platform to install; `None` means the running system's.
    pub platform: Option<Subdir>,
    /// Mirrors for the lock's channels.
    pub mirrors: Vec<Mirror>,
    /// The cache directory (packages go to `<cache>/pkgs`).
    pub cache_dir: PathBuf,
    /// Hard links or copies.
    pub link: LinkMode,
    /// Online or offline.
    pub network: NetworkMode,
    /// Whether post-link scripts run.
    pub post_link: PostLinkMode,
    /// Whether explicit files may contain unhashed lines.
    pub hashes: HashPolicy,
}

impl InstallOptions {
    /// Options for installing into `prefix` with the cache at `cache_dir`.
    pub fn new(prefix: impl Into<PathBuf>, cache_dir: impl Into<PathBuf>) -> Self {
        Self {
            prefix: prefix.into(),
            target_prefix: None,
            platform: None,
            mirrors: Vec::new(),
            cache_dir: cache_dir.into(),
            link: LinkMode::default(),
            network: NetworkMode::default(),
            post_link: PostLinkMode::default(),
            hashes: HashPolicy::default(),
        }
    }

    /// Sets the final location of the prefix.
    pub fn with_target_prefix(mut self, target_prefix: Option<PathBuf>) -> Self {
        self.target_prefix = target_prefix;
        self
    }

    /// Sets the platform to install.
    pub fn with_platform(mut self, platform: Option<Subdir>) -> Self {
        self.platform = platform;
        self
    }

    /// Sets the mirrors.
    pub fn with_mirrors(mut self, mirrors: Vec<Mirror>) -> Self {
        self.mirrors = mirrors;
        self
    }

    /// Sets the link mode.
    pub fn with_link_mode(mut self, link: LinkMode) -> Self {
        self.link = link;
        self
    }

    /// Sets the network mode.
    pub fn with_network(mut self, network: NetworkMode) -> Self {
        self.network = network;
        self
    }

    /// Sets the post-link mode.
    pub fn with_post_link(mut self, post_link: PostLinkMode) -> Self {
        self.post_link = post_link;
        self
    }

    /// Sets the hash policy for explicit files.
    pub fn with_hash_policy(mut self, hashes: HashPolicy) -> Self {
        self.hashes = hashes;
        self
    }
}

/// The outcome of an install.
#[derive(Debug, Clone, Serialize)]
pub struct InstallReport {
    /// The prefix.
    pub prefix: String,
    /// The path the prefix runs from.
    pub target_prefix: String,
    /// The installed platform.
    pub platform: String,
    /// Number of conda packages in the environment.
    pub packages: usize,
    /// Number of locked PyPI packages installed.
    pub pypi_packages: usize,
    /// Whether the lock records that its pip section was skipped (`--ignore-pip`).
    pub pip_not_locked: bool,
    /// Packages linked or relinked by this run (0 for a no-op).
    pub changed: usize,
    /// Packages with post-link scripts, and whether they ran.
    pub post_link_scripts: Vec<post_link::PostLinkScript>,
    /// Whether any post-link script ran in this install.
    pub post_link_scripts_ran: bool,
    /// Whether post-link scripts were requested (`--run-post-link-scripts`).
    pub post_link_scripts_requested: bool,
    /// The computed runtime environment.
    pub environment: activation::ActivationEnvironment,
}

/// A failed install.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum InstallError {
    /// The input file could not be read.
    #[error("failed to read {path}: {source}")]
    #[diagnostic(help("pass a lock written by `envlock solve` or an @EXPLICIT file"))]
    ReadInput {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The lock is invalid.
    #[error("{message}")]
    InvalidLock { message: String },
    /// An explicit file line is invalid.
    #[error("{path}:{line}: {message}")]
    #[diagnostic(help("explicit file lines are URL#SHA256 or URL#MD5 after an @EXPLICIT line"))]
    InvalidExplicit {
        path: PathBuf,
        line: usize,
        message: String,
    },
    /// The lock has no records for the platform.
    #[error("{path} has no {platform} environment (it has: {available})")]
    #[diagnostic(help("add the platform with `envlock solve -p {platform}` (or add it to `platforms:`), or pass --platform with one of the available platforms"))]
    PlatformNotInLock {
        path: PathBuf,
        platform: Subdir,
        available: String,
    },
    /// An explicit file for another platform, without `--platform`.
    #[error("{} is for {platform}, but this machine is {host}", path.display())]
    #[diagnostic(help("installing another platform's packages needs --platform {platform} (and usually --target-prefix)"))]
    ForeignExplicit {
        path: PathBuf,
        platform: Subdir,
        host: String,
    },
    /// The host platform is not a conda platform.
    #[error("the platform of this machine is not a conda platform")]
    #[diagnostic(help("pass --platform"))]
    UnknownHostPlatform,
    /// Post-link scripts were requested for a foreign platform.
    #[error("--run-post-link-scripts needs the target platform to be this machine's ({host}), but it is {platform}")]
    #[diagnostic(help("drop --run-post-link-scripts; the scripts would run with this machine's shell on the wrong architecture"))]
    ForeignPostLink { platform: Subdir, host: String },
    /// A post-link script failed (`--run-post-link-scripts`).
    #[error("the post-link script of {packages} failed: {message}")]
    #[diagnostic(help("the script's exit status is in the warning above; fix the package, or install without --run-post-link-scripts. In an existing prefix the package stays unregistered, so the next install runs its script again"))]
    PostLinkFailed { packages: String, message: String },
    /// `--target-prefix` is relative.
    #[error("the target prefix '{}' is not an absolute path", path.display())]
    #[diagnostic(help("pass an absolute path such as /opt/env"))]
    RelativeTargetPrefix { path: PathBuf },
    /// A package could not be fetched or verified.
    #[error("failed to fetch {package} from {url}: {message}")]
    #[diagnostic(help("check the URL, --mirror and the network; a hash mismatch means the archive is not the one locked"))]
    Fetch {
        package: String,
        url: String,
        message: String,
    },
    /// A downloaded archive does not match the locked hash.
    #[error("{package} from {url} does not match the locked hash: {message}")]
    #[diagnostic(help(
        "the archive on the server is not the one that was locked; re-solve, or check the mirror"
    ))]
    Integrity {
        package: String,
        url: String,
        message: String,
    },
    /// A package would write outside the prefix.
    #[error("{package} is unsafe: its path '{path}' is rejected because {reason}")]
    #[diagnostic(help("the package archive is malformed or hostile; nothing was linked. Remove it from the lock or the channel"))]
    UnsafePath {
        package: String,
        path: String,
        reason: String,
    },
    /// A package's metadata disagrees with its contents.
    #[error("{package} is invalid: '{path}' {reason}")]
    #[diagnostic(help("the package archive is malformed; nothing was linked. Rebuild the package or remove it from the lock"))]
    InvalidPackage {
        package: String,
        path: String,
        reason: String,
    },
    /// `--offline` and a package is not cached.
    #[error("{package} is not in the package cache, and --offline forbids downloading it")]
    #[diagnostic(help("run the install once without --offline with the same --cache-dir"))]
    NotCachedOffline { package: String },
    /// The target prefix is longer than a binary placeholder.
    #[error("the target prefix '{}' is {length} bytes long, but {package} patches {file} with a placeholder of {maximum} bytes", target_prefix.display())]
    #[diagnostic(help("choose a shorter prefix (at most {maximum} bytes), e.g. /opt/env"))]
    PrefixTooLong {
        target_prefix: PathBuf,
        length: usize,
        maximum: usize,
        package: String,
        file: String,
    },
    /// `--prefix` is a file, or a non-empty directory without `conda-meta/`.
    #[error("{} {reason}, so envlock will not install into it", path.display())]
    #[diagnostic(help(
        "choose a new or empty directory, or a prefix that envlock installed before"
    ))]
    NotAPrefix { path: PathBuf, reason: String },
    /// A file system operation on the prefix failed.
    #[error("failed to write {}: {source}", path.display())]
    PrefixIo {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// rattler's installer failed while linking.
    #[error("failed to link packages into {}: {message}", prefix.display())]
    Link { prefix: PathBuf, message: String },
    /// The locked wheels could not be installed.
    #[error("failed to install the locked PyPI packages: {message}")]
    #[diagnostic(help("check the network and the index; a hash mismatch means the wheel is not the one locked; with --offline, run once online with the same --cache-dir"))]
    Pip { message: String },
    /// The activation environment could not be computed.
    #[error("failed to compute the activation environment: {message}")]
    Activation { message: String },
    /// A channel or mirror is invalid.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Channel(#[from] crate::channels::ChannelError),
    /// The HTTP client could not be set up.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Client(#[from] crate::http::ClientError),
}

impl Classify for InstallError {
    fn exit_class(&self) -> ExitClass {
        use InstallError::*;
        match self {
            ReadInput { .. }
            | InvalidLock { .. }
            | InvalidExplicit { .. }
            | PlatformNotInLock { .. }
            | UnknownHostPlatform
            | ForeignExplicit { .. }
            | NotAPrefix { .. }
            | ForeignPostLink { .. }
            | RelativeTargetPrefix { .. }
            | PrefixTooLong { .. }
            | Channel(_) => ExitClass::Input,
            Fetch { .. } | NotCachedOffline { .. } => ExitClass::Network,
            Client(error) => error.exit_class(),
            PrefixIo { .. }
            | Link { .. }
            | PostLinkFailed { .. }
            | Activation { .. }
            | Integrity { .. }
            | Pip { .. }
            | UnsafePath { .. }
            | InvalidPackage { .. } => ExitClass::InstallFailed,
        }
    }
}

/// Installs the lock or explicit file at `input` with `options`.
pub async fn install(
    input: &Path,
    options: &InstallOptions,
) -> Result<InstallReport, InstallError> {
    let phase = Phase::start("read input");
    let (platform, source) = input::read_source(input, options.platform, options.hashes)?;
    drop(phase);
    prefix::check_usable(&options.prefix)?;
    if options.post_link == PostLinkMode::Run {
        let host = input::host_platform()?;
        if host != platform {
            return Err(InstallError::ForeignPostLink {
                platform,
                host: host.to_string(),
            });
        }
    }

    let client = crate::http::LazyClient::new()?;
    // One package cache per platform: conda-forge has archives with the same
    // file name in several subdirs (e.g. _openmp_mutex-4.5-2_gnu), which a
    // shared cache would keep evicting and re-fetching.
    let cache_path = options.cache_dir.join("pkgs").join(platform.as_str());
    let cache = PackageCache::new(&cache_path);
    // Held until the install returns; see cache_lock for why.
    let _cache_lock = cache_lock::acquire(&cache_path).await?;
    let (channel_names, variables, wheels) = match &source {
        input::InstallSource::Lock {
            channels,
            variables,
            pypi,
            ..
        } => (
            channels.clone(),
            variables.clone(),
            link::locked_wheels(pypi)?,
        ),
        input::InstallSource::Explicit { entries } => {
            (explicit_channels(entries), BTreeMap::new(), Vec::new())
        }
    };
    let pip_not_locked = matches!(
        &source,
        input::InstallSource::Lock {
            pip_not_locked: true,
            ..
        }
    );
    let cwd = std::env::current_dir().unwrap_or_default();
    let channels = resolve_channels(&channel_names, &options.mirrors, &cwd)?;
    let fetcher = fetch::Fetcher {
        cache: cache.clone(),
        client: client.clone(),
        channels,
        network: options.network,
    };

    let records = match source {
        input::InstallSource::Lock { records, .. } => records,
        input::InstallSource::Explicit { entries } => fetcher.fetch_explicit(&entries).await?,
    };
    let phase = Phase::start("fetch");
    let package_dirs = fetcher.fetch_records(&records).await?;
    drop(phase);
    tracing::info!(
        packages = records.len(),
        "every package is fetched and verified"
    );
    let labelled: Vec<(String, PathBuf)> = records
        .iter()
        .zip(&package_dirs)
        .map(|(record, directory)| (record.identifier.to_string(), directory.clone()))
        .collect();
    let phase = Phase::start("validate");
    for (package, directory) in &labelled {
        validate::check_package(package, directory)?;
    }
    validate::check_links_across(&labelled)?;
    drop(phase);

    let layout = prefix::PrefixLayout::new(&options.prefix, options.target_prefix.as_deref())?;
    prefix::check_placeholder_lengths(&layout.target_prefix, &package_dirs)?;
    let mut post_link_scripts: Vec<_> = records
        .iter()
        .zip(&package_dirs)
        .filter_map(|(record, dir)| {
            post_link::find(record.package_record.name.as_normalized(), dir)
        })
        .collect();

    layout.prepare()?;
    let job = link::LinkJob {
        layout: &layout,
        platform,
        records: &records,
        package_dirs: &package_dirs,
        cache: &cache,
        client,
        options,
        variables: &variables,
        wheels: &wheels,
    };
    let outcome = job.run().await;
    let linked = match outcome {
        Ok(result) => result,
        Err(error) => {
            layout.abandon();
            return Err(error);
        }
    };
    let requested = options.post_link == PostLinkMode::Run;
    for script in &mut post_link_scripts {
        script.ran = requested && linked.conda.linked.contains(&script.package);
        if script.ran {
            script.messages = linked
                .conda
                .post_link_messages
                .get(&script.package)
                .cloned()
                .unwrap_or_default();
        }
    }
    let post_link_scripts_ran = post_link_scripts.iter().any(|s| s.ran);
    let phase = Phase::start("commit");
    layout.commit()?;
    drop(phase);

    Ok(InstallReport {
        prefix: layout.prefix.display().to_string(),
        target_prefix: layout.target_prefix.display().to_string(),
        platform: platform.to_string(),
        packages: records.len(),
        pypi_packages: wheels.len(),
        pip_not_locked,
        changed: linked.conda.changed,
        post_link_scripts,
        post_link_scripts_ran,
        post_link_scripts_requested: requested,
        environment: linked.environment,
    })
}

fn explicit_channels(entries: &[input::ExplicitEntry]) -> Vec<String> {
    let mut channels: Vec<String> = Vec::new();
    for entry in entries {
        let mut url = entry.url.clone();
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.pop().pop();
        }
        let text = url.as_str().to_string();
        if !channels.contains(&text) {
            channels.push(text);
        }
    }
    channels
}
