//! Linking into a new (staged) prefix without rattler's `Installer`.
//!
//! rattler's installer writes every `conda-meta` record through a temporary
//! file that it flushes to disk with `fsync` before renaming it. It also
//! records the package cache's paths in each record, which envlock then has
//! to remove again. A new prefix is built in a staging directory and renamed
//! into place at the end, and an interrupted install leaves only that
//! directory, which the next run removes. So the flush per record protects
//! nothing here, and it took about a third of a warm-cache install of the
//! worker lock (measured in BENCHMARKS.md). This module drives the rattler
//! parts the installer uses (transaction, install driver, `link_package`)
//! and writes each record once, in the form of
//! [`super::prefix::render_record`].
//!
//! An existing prefix is still updated by rattler's installer, which also
//! unlinks the packages the lock no longer has.

use std::path::{Path, PathBuf};

use futures::{StreamExt, TryStreamExt};
use rattler::install::{InstallDriver, InstallOptions as LinkPackageOptions, Transaction};
use rattler_conda_types::prefix::Prefix;
use rattler_conda_types::{PrefixRecord, RepoDataRecord, Subdir};

use super::link::CondaLinked;
use super::{InstallError, LinkMode, PostLinkMode};

/// How many packages are linked at the same time.
const CONCURRENT_LINKS: usize = 4;

/// One package to link: its locked record and its directory in the package cache.
pub struct FreshPackage<'a> {
    /// The locked record.
    pub record: &'a RepoDataRecord,
    /// The extracted package in the cache.
    pub directory: &'a Path,
}

/// Links packages into an empty work directory.
pub struct FreshLink<'a> {
    /// The staging directory the packages are linked into.
    pub work_dir: &'a Path,
    /// The path the environment will run from.
    pub target_prefix: &'a Path,
    /// The platform of the packages.
    pub platform: Subdir,
    /// Hard links or copies.
    pub link: LinkMode,
    /// Whether post-link scripts run.
    pub post_link: PostLinkMode,
}

impl FreshLink<'_> {
    /// Links every package, writes its `conda-meta` record and runs the
    /// post-link scripts when requested.
    pub async fn run(&self, packages: &[FreshPackage<'_>]) -> Result<CondaLinked, InstallError> {
        let link_error = |message: String| InstallError::Link {
            prefix: self.work_dir.to_path_buf(),
            message,
        };
        let transaction = Transaction::from_current_and_desired(
            Vec::<PrefixRecord>::new(),
            packages.iter().map(|p| p.record.clone()),
            None,
            None,
            self.platform,
        )
        .map_err(|e| link_error(crate::solve::repodata::error_chain(&e)))?;
        let prefix = Prefix::create(self.work_dir.to_path_buf()).map_err(|source| {
            InstallError::PrefixIo {
                path: self.work_dir.to_path_buf(),
                source,
            }
        })?;
        let driver = InstallDriver::builder()
            .execute_link_scripts(self.post_link == PostLinkMode::Run)
            .finish();
        driver
            .pre_process(&transaction, self.work_dir, None)
            .map_err(|e| link_error(crate::solve::repodata::error_chain(&e)))?;

        let options = self.link_options(transaction.python_info.clone());
        // Largest first, as rattler's installer does, so one big package
        // does not start last.
        let mut ordered: Vec<&FreshPackage<'_>> = packages.iter().collect();
        ordered.sort_by_key(|p| std::cmp::Reverse(p.record.package_record.size.unwrap_or(0)));
        futures::stream::iter(ordered)
            .map(|package| self.link_one(package, &prefix, &driver, options.clone()))
            .buffer_unordered(CONCURRENT_LINKS)
            .try_collect::<Vec<()>>()
            .await?;

        // NOTE: post-link scripts run with PREFIX set to the staging
        // directory, not the final prefix or --target-prefix, because
        // rattler's driver takes the prefix it links into. A script that
        // writes PREFIX into a file records the wrong path.
        let processed = driver
            .post_process(&transaction, &prefix, None)
            .map_err(|e| link_error(crate::solve::repodata::error_chain(&e)))?;
        Ok(CondaLinked {
            changed: packages.len(),
            post_link_messages: super::post_link::check_outcome(processed.post_link_result)?,
            linked: packages
                .iter()
                .map(|p| p.record.package_record.name.as_normalized().to_string())
                .collect(),
        })
    }

    /// Builds the options shared by every package.
    fn link_options(
        &self,
        python_info: Option<rattler::install::PythonInfo>,
    ) -> LinkPackageOptions {
        let mut options = LinkPackageOptions {
            platform: Some(self.platform),
            python_info,
            ..LinkPackageOptions::default()
        };
        if self.target_prefix != self.work_dir {
            options.target_prefix = Some(self.target_prefix.to_path_buf());
        }
        if self.link == LinkMode::Copy {
            // Symbolic links inside packages stay links. Only file links are disabled.
            options.allow_symbolic_links = Some(true);
            options.allow_hard_links = Some(false);
            options.allow_ref_links = Some(false);
        }
        options
    }

    /// Links one package and writes its record.
    async fn link_one(
        &self,
        package: &FreshPackage<'_>,
        prefix: &Prefix,
        driver: &InstallDriver,
        options: LinkPackageOptions,
    ) -> Result<(), InstallError> {
        let label = package.record.identifier.to_string();
        let paths = rattler::install::link_package(package.directory, prefix, driver, options)
            .await
            .map_err(|e| InstallError::Link {
                prefix: self.work_dir.to_path_buf(),
                message: format!("{label}: {}", crate::solve::repodata::error_chain(&e)),
            })?;
        let record = PrefixRecord::from_repodata_record(package.record.clone(), paths);
        let path = record_path(self.work_dir, &record);
        let text = super::prefix::render_record(&record).map_err(|e| InstallError::Link {
            prefix: self.work_dir.to_path_buf(),
            message: format!("{label}: cannot render its conda-meta record: {e}"),
        })?;
        std::fs::write(&path, text).map_err(|source| InstallError::PrefixIo { path, source })
    }
}

/// Returns the path of the record of a package.
fn record_path(work_dir: &Path, record: &PrefixRecord) -> PathBuf {
    work_dir.join("conda-meta").join(record.file_name())
}
