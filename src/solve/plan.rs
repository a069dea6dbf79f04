//! Turning an environment file and command-line options into what to solve.

use std::collections::BTreeMap;
use std::path::Path;

use rattler_conda_types::{MatchSpec, Subdir};

use crate::channels::{resolve_channels, ChannelError, ChannelSource, Mirror};
use crate::envfile::EnvironmentFile;
use crate::lock::{PipMode, PlatformInputs};
use crate::solve::PlatformRequest;
use crate::virtual_packages::{VirtualPackageOverride, VirtualPackageSet};

/// The platforms envlock targets when neither `-p` nor `platforms:` names any.
pub const DEFAULT_PLATFORMS: [Subdir; 2] = [Subdir::LinuxAarch64, Subdir::Linux64];

/// The channel assumed when the environment file lists none.
pub const DEFAULT_CHANNEL: &str = "conda-forge";

/// The resolved solve request: platforms, channels, virtual packages, specs.
#[derive(Debug)]
pub struct SolvePlan {
    /// The target platforms, in the order they are solved.
    pub platforms: Vec<Subdir>,
    /// The channels, in priority order.
    pub channels: Vec<ChannelSource>,
    /// The virtual packages per platform.
    pub virtual_packages: VirtualPackageSet,
    /// The conda specs per platform, after selectors.
    pub specs: BTreeMap<Subdir, Vec<MatchSpec>>,
    /// The normalised inputs per platform.
    pub inputs: BTreeMap<Subdir, PlatformInputs>,
}

/// The options that shape a plan besides the environment file.
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    /// Platforms from `-p`; empty means "from the file, else the defaults".
    pub platforms: Vec<Subdir>,
    /// `--mirror` values.
    pub mirrors: Vec<Mirror>,
    /// `--virtual-package` overrides.
    pub virtual_packages: Vec<VirtualPackageOverride>,
    /// Whether the pip section is skipped.
    pub ignore_pip: bool,
}

impl SolvePlan {
    /// Builds the plan. Fails on a non-empty pip section unless it is ignored.
    pub fn new(env: &EnvironmentFile, options: &PlanOptions) -> Result<Self, PlanError> {
        let platforms = choose_platforms(env, &options.platforms);
        if platforms.contains(&Subdir::NoArch) {
            return Err(PlanError::NoarchTarget);
        }
        if let Some(unused) = options
            .virtual_packages
            .iter()
            .find(|o| !platforms.contains(&o.platform))
        {
            return Err(PlanError::UnusedOverride {
                platform: unused.platform,
                name: unused.package.name.as_normalized().to_string(),
                targets: platforms
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }

        let channel_names = channel_names(env);
        let root = env.path.parent().map(Path::to_path_buf).unwrap_or_default();
        let root = std::path::absolute(&root).unwrap_or(root);
        let channels = resolve_channels(&channel_names, &options.mirrors, &root)?;
        let virtual_packages =
            VirtualPackageSet::for_platforms(&platforms, &options.virtual_packages);

        let mut specs = BTreeMap::new();
        let mut inputs = BTreeMap::new();
        for &platform in &platforms {
            let platform_specs: Vec<MatchSpec> = env
                .conda_specs_for(platform)
                .into_iter()
                .map(|d| d.spec.clone())
                .collect();
            let pip = pip_inputs(env, platform);
            let pip_mode = match (pip.is_empty(), options.ignore_pip) {
                (true, _) => PipMode::Empty,
                (false, true) => PipMode::NotLocked,
                (false, false) => PipMode::Locked,
            };
            inputs.insert(
                platform,
                platform_inputs(
                    &channels,
                    &platform_specs,
                    &virtual_packages,
                    platform,
                    pip,
                    pip_mode,
                    &env.variables,
                ),
            );
            specs.insert(platform, platform_specs);
        }
        Ok(Self {
            platforms,
            channels,
            virtual_packages,
            specs,
            inputs,
        })
    }

    /// The solve requests, one per platform, preferring `preferred` records.
    pub fn requests(
        &self,
        preferred: impl Fn(Subdir) -> Vec<rattler_conda_types::RepoDataRecord>,
    ) -> Vec<PlatformRequest> {
        self.platforms
            .iter()
            .map(|&platform| PlatformRequest {
                platform,
                specs: self.specs.get(&platform).cloned().unwrap_or_default(),
                preferred: preferred(platform),
            })
            .collect()
    }
}

/// An error while planning a solve.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum PlanError {
    /// A channel or mirror is invalid.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Channel(#[from] ChannelError),
    /// `noarch` is not a platform anything runs on.
    #[error("noarch is not a target platform")]
    #[diagnostic(help("noarch packages are included for every platform; pass a platform such as linux-64 or linux-aarch64"))]
    NoarchTarget,
    /// A `--virtual-package` override names a platform that is not solved.
    #[error("--virtual-package {platform}:{name} is for {platform}, which is not a target platform ({targets})")]
    #[diagnostic(help("add -p {platform}, or drop the override"))]
    UnusedOverride {
        /// The override's platform.
        platform: Subdir,
        /// The virtual package.
        name: String,
        /// The target platforms.
        targets: String,
    },
}

fn choose_platforms(env: &EnvironmentFile, requested: &[Subdir]) -> Vec<Subdir> {
    let mut platforms: Vec<Subdir> = if !requested.is_empty() {
        requested.to_vec()
    } else if !env.platforms.is_empty() {
        env.platforms.iter().map(|p| p.value).collect()
    } else {
        tracing::info!(platforms = ?DEFAULT_PLATFORMS, "no platforms given; assuming the defaults");
        DEFAULT_PLATFORMS.to_vec()
    };
    let mut seen = std::collections::BTreeSet::new();
    platforms.retain(|p| seen.insert(*p));
    platforms
}

/// The channels of the file, plus any channel named only in a
/// `channel::package` spec (appended at the lowest priority).
fn channel_names(env: &EnvironmentFile) -> Vec<String> {
    let mut names: Vec<String> = env.channels.iter().map(|c| c.value.clone()).collect();
    if names.is_empty() {
        tracing::warn!(path = %env.path.display(), "the environment file lists no channels; assuming {DEFAULT_CHANNEL}");
        names.push(DEFAULT_CHANNEL.to_string());
    }
    for dependency in &env.dependencies {
        if let Some(channel) = &dependency.spec.channel {
            let name = channel
                .name
                .clone()
                .unwrap_or_else(|| channel.base_url.as_str().to_string());
            let known = names.iter().any(|n| {
                n == &name
                    || n.trim_end_matches('/') == channel.base_url.as_str().trim_end_matches('/')
            });
            if !known {
                tracing::info!(channel = %name, spec = %dependency.text, "adding a channel named only in a spec");
                names.push(name);
            }
        }
    }
    names
}

fn platform_inputs(
    channels: &[ChannelSource],
    specs: &[MatchSpec],
    virtual_packages: &VirtualPackageSet,
    platform: Subdir,
    mut pip: Vec<String>,
    pip_mode: PipMode,
    variables: &BTreeMap<String, String>,
) -> PlatformInputs {
    let mut conda_specs: Vec<String> = specs.iter().map(ToString::to_string).collect();
    conda_specs.sort();
    pip.sort();
    PlatformInputs {
        channels: channels.iter().map(|c| c.canonical.to_string()).collect(),
        conda_specs,
        virtual_packages: virtual_packages.lock_strings(platform),
        pip,
        pip_mode,
        variables: variables.clone(),
    }
}

/// The normalised pip inputs of one platform: the requirements with `-r`
/// files expanded (so editing a requirements file changes the content
/// hash), the index URLs and `--pre`. A section that does not parse is
/// hashed as written; the pip lock reports the error.
fn pip_inputs(env: &EnvironmentFile, platform: Subdir) -> Vec<String> {
    let lines: Vec<String> = env
        .pip_requirements_for(platform)
        .iter()
        .map(|r| r.text.trim().to_string())
        .collect();
    if lines.is_empty() {
        return lines;
    }
    let env_dir = env.path.parent().map(Path::to_path_buf).unwrap_or_default();
    match crate::pypi::PipSection::parse(&lines, &env_dir) {
        Ok(section) => {
            let mut inputs: Vec<String> = section
                .requirements()
                .iter()
                .map(|r| r.requirement.to_string())
                .collect();
            inputs.extend(
                section
                    .indexes()
                    .iter()
                    .map(|index| format!("--index {}", index.url())),
            );
            if section.allows_prereleases() {
                inputs.push("--pre".to_string());
            }
            inputs
        }
        Err(error) => {
            tracing::debug!(%error, "hashing the pip section as written");
            lines
        }
    }
}
