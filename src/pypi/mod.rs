//! The `pip:` section of an environment file, locked per target platform
//! and installed without pip or Python.
//!
//! [`PipSection::parse`] reads the requirement lines and index options.
//! [`resolve`] picks one wheel per distribution for a [`PypiTarget`] from
//! PEP 691 JSON indexes (PubGrub, wheels only, markers evaluated for the
//! target) and leaves out what the conda solution already provides
//! ([`CondaProvided`]). [`install_wheels`] unpacks the locked wheels into a
//! prefix.
//!
//! ```no_run
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use envlock::pypi::{resolve, CondaProvided, PipSection, PypiTarget, ResolveOptions};
//! use rattler_conda_types::Subdir;
//!
//! let section = PipSection::parse(&["orjson>=3.11", "tqdm"], std::path::Path::new("."))?;
//! let target = PypiTarget::new(Subdir::LinuxAarch64, "3.11.14", "2.28")?;
//! let options = ResolveOptions::new("/tmp/envlock-cache");
//! let resolution = resolve(&section, &target, &CondaProvided::none(), &options).await?;
//! for wheel in &resolution.wheels {
//!     println!("{} {} {}", wheel.name, wheel.version, wheel.url);
//! }
//! # Ok(())
//! # }
//! ```

pub mod conda_pypi_names;
mod download;
mod index;
mod install;
mod locked;
mod provided;
pub mod redact;
mod resolve;
mod section;
mod target;
mod wheel_name;

pub use download::DownloadError;
pub use index::IndexError;
pub use install::{install_wheels, InstallError, InstallReport, InstalledWheel};
pub use locked::{LockedWheel, LockedWheelError};
pub use provided::{CondaProvided, CondaPythonPackage, MappingSource, ProvidedDistribution};
pub use resolve::{resolve, Resolution, ResolveError, ResolveOptions};
pub use section::{
    IndexUrl, LineOrigin, PipSection, PipSectionError, SectionRequirement, PYPI_SIMPLE_URL,
};
pub use target::{CompatibleTags, PypiTarget, TargetError, WheelArch};
pub use wheel_name::WheelFilename;
