//! The set of packages in a channel, and the variants that tests need.

use crate::contents::filler_bytes;
use crate::spec::{FileMode, FileSpec, PackageSpec};
use crate::tables::{self, LINUX_64, LINUX_AARCH64};

/// Path of the filler file that [`ChannelSpec::with_nwchem_filler`] adds.
pub const NWCHEM_FILLER_PATH: &str = "share/nwchem/data/standin-filler.bin";

/// The packages of a channel, transformed with consuming builders before
/// [`crate::write_channel`] writes them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChannelSpec {
    packages: Vec<PackageSpec>,
}

impl ChannelSpec {
    /// Creates a channel with no packages.
    pub fn empty() -> Self {
        Self::default()
    }

    /// Returns the closure of envlock's worker environment (python 3.11,
    /// nwchem 7.3.1, xtb 6.7.1, crest 3.0.2, rdkit 2025.09.5, matplotlib,
    /// pandas, scipy, statsmodels, pip) for linux-64 and linux-aarch64.
    pub fn worker() -> Self {
        Self {
            packages: tables::expand(&tables::worker_rows()),
        }
    }

    /// Returns the channel of one named variant.
    pub fn variant(variant: Variant) -> Self {
        let worker = Self::worker();
        match variant {
            Variant::Worker => worker,
            Variant::CrestNoAarch64 => worker.without_build("crest", "3.0.2", LINUX_AARCH64),
            Variant::NwchemNoBasis => worker.map_package("nwchem", |p| {
                p.without_files_under("share/nwchem/libraries/")
            }),
            Variant::NwchemRcBinary => worker.map_package("nwchem", nwchem_rc_as_binary),
            Variant::NewerXtbCrest => worker.with_newer_xtb_crest(),
        }
    }

    /// Removes the build of `name` `version` in `subdir`.
    pub fn without_build(mut self, name: &str, version: &str, subdir: &str) -> Self {
        self.packages
            .retain(|p| !(p.name == name && p.version == version && p.subdir == subdir));
        self
    }

    /// Adds `package`, replacing a package with the same subdir, name,
    /// version and build.
    pub fn with_package(mut self, package: PackageSpec) -> Self {
        self.packages.retain(|p| {
            !(p.subdir == package.subdir
                && p.name == package.name
                && p.version == package.version
                && p.build == package.build)
        });
        self.packages.push(package);
        self
    }

    /// Applies `change` to every build of package `name`.
    pub fn map_package(mut self, name: &str, change: impl Fn(PackageSpec) -> PackageSpec) -> Self {
        self.packages = self
            .packages
            .into_iter()
            .map(|p| if p.name == name { change(p) } else { p })
            .collect();
        self
    }

    /// Adds `bytes` of deterministic, incompressible filler to every nwchem
    /// build at [`NWCHEM_FILLER_PATH`], so its archive grows by about that
    /// much (for HTTP range-request tests).
    pub fn with_nwchem_filler(self, bytes: usize) -> Self {
        self.map_package("nwchem", |package| {
            let seed = package.subdir.bytes().fold(0u64, |acc, b| {
                acc.wrapping_mul(31).wrapping_add(u64::from(b))
            });
            package.with_file(FileSpec::new(NWCHEM_FILLER_PATH, filler_bytes(bytes, seed)))
        })
    }

    /// Adds xtb 6.7.2 and crest 3.0.3 builds for linux-64 and linux-aarch64
    /// next to the worker's xtb 6.7.1 and crest 3.0.2, with the same
    /// dependencies.
    pub fn with_newer_xtb_crest(self) -> Self {
        const NEWER: &[(&str, &str, &str, &str)] = &[
            ("xtb", "6.7.2", LINUX_64, "h95e761d_0"),
            ("xtb", "6.7.2", LINUX_AARCH64, "hec66a78_0"),
            ("crest", "3.0.3", LINUX_64, "h7731af1_0"),
            ("crest", "3.0.3", LINUX_AARCH64, "h506bf2e_0"),
        ];
        let mut spec = self;
        for (name, version, subdir, build) in NEWER {
            let Some(current) = spec
                .packages
                .iter()
                .find(|p| p.name == *name && p.subdir == *subdir)
                .cloned()
            else {
                continue;
            };
            let newer = current
                .with_version(*version, *build)
                .with_build_number(0)
                .with_standin_files();
            spec = spec.with_package(newer);
        }
        spec
    }

    /// Returns the packages in insertion order.
    pub fn packages(&self) -> &[PackageSpec] {
        &self.packages
    }

    /// Returns every build of package `name`.
    pub fn builds_of<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a PackageSpec> + 'a {
        self.packages.iter().filter(move |p| p.name == name)
    }
}

/// Marks `etc/default.nwchemrc` as a binary prefix file, so an installer
/// would NUL-pad the replaced prefix instead of rewriting the text.
fn nwchem_rc_as_binary(package: PackageSpec) -> PackageSpec {
    package.map_file("etc/default.nwchemrc", |file| {
        let mode = match file.mode.clone() {
            FileMode::Text { placeholder } => FileMode::BinaryPlaceholder { placeholder },
            other => other,
        };
        file.with_mode(mode)
    })
}

/// A named channel variant, as offered by the `standin-channel` program.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Variant {
    /// The full worker closure.
    Worker,
    /// The worker closure without the linux-aarch64 build of crest 3.0.2.
    CrestNoAarch64,
    /// nwchem without its basis-set library (`share/nwchem/libraries/`).
    NwchemNoBasis,
    /// nwchem with `etc/default.nwchemrc` declared as a binary prefix file.
    NwchemRcBinary,
    /// The worker closure plus xtb 6.7.2 and crest 3.0.3.
    NewerXtbCrest,
}
