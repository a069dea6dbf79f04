//! The linking step of an install: conda packages (into a staged prefix
//! by [`super::fresh`], into an existing one by rattler's installer), then
//! the locked wheels, then the activation files.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use rattler::install::{Installer, LinkOptions};
use rattler_cache::package_cache::PackageCache;
use rattler_conda_types::{RepoDataRecord, Subdir};

use super::activation::{self, ActivationEnvironment};
use super::fresh::{FreshLink, FreshPackage};
use super::prefix::{self, PrefixLayout};
use super::{InstallError, InstallOptions, LinkMode, NetworkMode, PostLinkMode};
use crate::pypi::LockedWheel;
use crate::timing::Phase;

/// Everything the linking step needs.
pub(super) struct LinkJob<'a> {
    /// The staging or final directory and the path the prefix runs from.
    pub layout: &'a PrefixLayout,
    /// The platform being installed.
    pub platform: Subdir,
    /// The conda records, in install order.
    pub records: &'a [RepoDataRecord],
    /// The extracted package of each record, in the package cache.
    pub package_dirs: &'a [PathBuf],
    /// The package cache, which already contains every record.
    pub cache: &'a PackageCache,
    /// The HTTP client, for rattler's installer.
    pub client: crate::http::LazyClient,
    /// The install options.
    pub options: &'a InstallOptions,
    /// The environment file's `variables:`.
    pub variables: &'a BTreeMap<String, String>,
    /// The locked wheels of the pip section.
    pub wheels: &'a [LockedWheel],
}

/// The result of a [`LinkJob`].
pub(super) struct LinkOutcome {
    /// The conda packages linked, with `changed` counting the wheels too.
    pub conda: CondaLinked,
    /// The computed activation environment.
    pub environment: ActivationEnvironment,
}

/// The result of linking the conda packages.
pub(super) struct CondaLinked {
    /// How many packages were linked, removed or replaced.
    pub changed: usize,
    /// The lines each post-link script that ran wrote to `.messages.txt`.
    pub post_link_messages: BTreeMap<String, Vec<String>>,
    /// The names of the packages linked in this install.
    pub linked: BTreeSet<String>,
}

impl LinkJob<'_> {
    /// Links the conda packages, installs the wheels and writes the
    /// activation files.
    pub async fn run(self) -> Result<LinkOutcome, InstallError> {
        let layout = self.layout;
        let phase = Phase::start("link");
        let mut conda = self.link_conda().await?;
        drop(phase);
        let phase = Phase::start("scrub conda-meta");
        prefix::scrub_conda_meta(&layout.work_dir)?;
        prefix::remove_empty_clobber_dirs(&layout.work_dir)?;
        drop(phase);
        let phase = Phase::start("pip");
        conda.changed += install_pip(layout, self.records, self.wheels, self.options).await?;
        drop(phase);

        let installed: Vec<String> = self
            .records
            .iter()
            .map(|r| r.package_record.name.as_normalized().to_string())
            .collect();
        let phase = Phase::start("activation");
        let environment = activation::compute(
            &layout.work_dir,
            &layout.target_prefix,
            self.platform,
            &installed,
            self.variables,
        )
        .await?;
        activation::write_files(&layout.work_dir, &environment)?;
        drop(phase);
        Ok(LinkOutcome { conda, environment })
    }

    /// Links the conda packages: a staged prefix with [`super::fresh`],
    /// an existing one with rattler's installer.
    async fn link_conda(&self) -> Result<CondaLinked, InstallError> {
        let layout = self.layout;
        if layout.is_staged() {
            let packages: Vec<FreshPackage<'_>> = self
                .records
                .iter()
                .zip(self.package_dirs)
                .map(|(record, directory)| FreshPackage { record, directory })
                .collect();
            let fresh = FreshLink {
                work_dir: &layout.work_dir,
                target_prefix: &layout.target_prefix,
                platform: self.platform,
                link: self.options.link,
                post_link: self.options.post_link,
            };
            return fresh.run(&packages).await;
        }
        let mut installer = Installer::new()
            .with_package_cache(self.cache.clone())
            .with_download_client(self.client.get()?)
            .with_target_platform(self.platform)
            .with_execute_link_scripts(self.options.post_link == PostLinkMode::Run);
        if layout.target_prefix != layout.work_dir {
            installer = installer.with_alternative_target_prefix(layout.target_prefix.clone());
        }
        if self.options.link == LinkMode::Copy {
            // Symbolic links inside packages stay links (a link whose target is
            // in another package cannot be copied); only file links are disabled.
            installer = installer.with_link_options(LinkOptions {
                allow_symbolic_links: Some(true),
                allow_hard_links: Some(false),
                allow_ref_links: Some(false),
            });
        }
        let result = installer
            .install(&layout.work_dir, self.records.to_vec())
            .await
            .map_err(|e| InstallError::Link {
                prefix: layout.prefix.clone(),
                message: crate::solve::repodata::error_chain(&e),
            })?;
        let failed = super::post_link::failed_packages(&result.post_link_script_result);
        if !failed.is_empty() {
            // Unregistered, these packages are linked again by the next
            // install, which runs their scripts again instead of reporting
            // the prefix as up to date.
            prefix::forget_packages(&layout.work_dir, &failed)?;
        }
        let linked = result
            .transaction
            .installed_packages()
            .map(|record| record.package_record.name.as_normalized().to_string())
            .collect();
        Ok(CondaLinked {
            changed: result.transaction.operations.len(),
            post_link_messages: super::post_link::check_outcome(result.post_link_script_result)?,
            linked,
        })
    }
}

pub(super) fn locked_wheels(
    packages: &[rattler_lock::PypiPackageData],
) -> Result<Vec<crate::pypi::LockedWheel>, InstallError> {
    packages
        .iter()
        .map(|package| {
            crate::pypi::LockedWheel::from_pypi_package_data(package).map_err(|e| {
                InstallError::InvalidLock {
                    message: format!("invalid PyPI package in the lock: {e}"),
                }
            })
        })
        .collect()
}

/// Installs the locked wheels into the python of the conda solution,
/// without running pip or python (so it works for a foreign platform).
async fn install_pip(
    layout: &PrefixLayout,
    records: &[RepoDataRecord],
    wheels: &[LockedWheel],
    options: &InstallOptions,
) -> Result<usize, InstallError> {
    let python = records
        .iter()
        .find(|r| r.package_record.name.as_normalized() == "python");
    let Some(python) = python else {
        if wheels.is_empty() {
            return Ok(0);
        }
        return Err(InstallError::InvalidLock {
            message: "the lock has PyPI packages but no python package".to_string(),
        });
    };
    let site_packages = site_packages_of(&python.package_record);
    let keep: std::collections::BTreeSet<(String, String)> = wheels
        .iter()
        .map(|w| {
            (
                super::pip_sync::normalize(w.name.as_ref()),
                w.version.to_string(),
            )
        })
        .collect();
    let removed = super::pip_sync::remove_stale(
        &layout.work_dir,
        &layout.work_dir.join(&site_packages),
        &keep,
    )
    .map_err(|source| InstallError::PrefixIo {
        path: layout.work_dir.join(&site_packages),
        source,
    })?;
    if wheels.is_empty() {
        return Ok(removed.len());
    }
    crate::pypi::install_wheels(
        &layout.work_dir,
        &layout.target_prefix,
        &site_packages,
        wheels,
        &options.cache_dir,
        options.network == NetworkMode::Offline,
    )
    .await
    .map_err(|e| InstallError::Pip {
        message: crate::channels::redact_text(&crate::solve::repodata::error_chain(&e)),
    })?;
    tracing::info!(wheels = wheels.len(), %site_packages, "installed the locked wheels");
    Ok(removed.len())
}

/// The site-packages directory of a python record, relative to the prefix:
/// the record's `python_site_packages_path` (CEP 17) when present, else
/// `lib/pythonX.Y/site-packages`.
fn site_packages_of(python: &rattler_conda_types::PackageRecord) -> String {
    if let Some(path) = &python.python_site_packages_path {
        return path.clone();
    }
    let version = python.version.to_string();
    let major_minor: Vec<&str> = version.split('.').take(2).collect();
    format!("lib/python{}/site-packages", major_minor.join("."))
}
