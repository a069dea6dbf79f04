//! History shapes measured from genuine conda-forge repodata.
//!
//! A shape is what one real package name looks like in a subdirectory: how
//! many builds each of its versions has, its build strings, how many
//! dependencies each record has and the archive sizes. The generator copies
//! these shapes onto made-up names, so the counts follow the real
//! distribution instead of numbers chosen here.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rattler_conda_types::{PackageRecord, RepoData};

use super::error::LargeChannelError;

/// The real history of one package name in one subdirectory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameShape {
    /// The real package name.
    pub name: String,
    /// Builds per version, oldest version first.
    pub builds_per_version: Vec<usize>,
    /// Build strings of the real records.
    pub builds: Vec<String>,
    /// Number of `depends` entries of each real record.
    pub depends_counts: Vec<usize>,
    /// The real `depends` entries, used as is for some generated dependencies.
    pub depends: Vec<String>,
    /// Whether the records are `noarch: python`.
    pub noarch_python: bool,
}

impl NameShape {
    /// Returns the number of records of this name.
    pub fn records(&self) -> usize {
        self.builds_per_version.iter().sum()
    }
}

/// The shapes of every name in one real subdirectory, and its archive sizes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubdirShapes {
    /// One shape per real name, sorted by name.
    pub names: Vec<NameShape>,
    /// Largest archive size per real name, in bytes.
    pub max_size: BTreeMap<String, u64>,
}

impl SubdirShapes {
    /// Returns the mean number of records per name.
    pub fn mean_records_per_name(&self) -> f64 {
        let records: usize = self.names.iter().map(NameShape::records).sum();
        records as f64 / self.names.len().max(1) as f64
    }
}

/// Returns the path of the real `repodata.json` of `subdir` under the
/// real-data folder.
pub fn real_repodata_path(realdata: &Path, subdir: &str) -> PathBuf {
    realdata
        .join("repodata/conda-subchannel-demo")
        .join(subdir)
        .join("repodata.json")
}

/// Reads the real `repodata.json` of `subdir` and measures its shapes.
pub fn measure(realdata: &Path, subdir: &str) -> Result<SubdirShapes, LargeChannelError> {
    let path = real_repodata_path(realdata, subdir);
    let repodata =
        RepoData::from_path(&path).map_err(|source| LargeChannelError::ReadRealRepodata {
            path: path.clone(),
            source,
        })?;

    let mut by_name: BTreeMap<String, Vec<&PackageRecord>> = BTreeMap::new();
    for record in repodata
        .packages
        .values()
        .chain(repodata.conda_packages.values())
    {
        by_name
            .entry(record.name.as_normalized().to_string())
            .or_default()
            .push(record);
    }
    if by_name.is_empty() {
        return Err(LargeChannelError::EmptyRealRepodata { path });
    }

    let max_size = by_name
        .iter()
        .map(|(name, records)| {
            let size = records.iter().filter_map(|r| r.size).max().unwrap_or(0);
            (name.clone(), size)
        })
        .collect();
    let names = by_name
        .into_iter()
        .map(|(name, records)| shape_of(name, &records))
        .collect();
    Ok(SubdirShapes { names, max_size })
}

fn shape_of(name: String, records: &[&PackageRecord]) -> NameShape {
    let mut per_version: BTreeMap<&rattler_conda_types::Version, usize> = BTreeMap::new();
    for record in records {
        *per_version.entry(record.version.version()).or_default() += 1;
    }
    NameShape {
        name,
        builds_per_version: per_version.into_values().collect(),
        builds: records.iter().map(|r| r.build.to_string()).collect(),
        depends_counts: records.iter().map(|r| r.depends.len()).collect(),
        depends: records.iter().flat_map(|r| r.depends.clone()).collect(),
        noarch_python: records.iter().any(|r| r.noarch.is_python()),
    }
}
