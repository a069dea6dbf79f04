//! A channel of conda-forge's size and shape around the worker closure.
//!
//! [`write_large_channel`] writes the worker closure as real archives (sized
//! like the real packages where the real records give a size) and then adds
//! repodata-only filler records until each subdirectory has about as many
//! records and names as conda-forge. The filler copies the history shapes of
//! genuine conda-forge records read at run time (see [`shape`]).
//! `repodata.json` and `repodata.json.zst` are written by
//! `rattler_index::write_repodata`, the indexer of the small stand-in, and
//! the sharded repodata (`repodata_shards.msgpack.zst` + `shards/`) by
//! [`shards`] in the same format, so the gateway reads what a real indexer
//! writes.

mod error;
mod history;
mod records;
pub mod shape;
mod shards;
mod sizes;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use opendal::services::FsConfig;
use opendal::{Configurator, Operator};
use rattler_conda_types::{RepoData, Subdir};
use rattler_index::{PreconditionChecks, RepodataMetadataCollection};

pub use error::LargeChannelError;
pub use records::SubdirTarget;
pub use shape::{NameShape, SubdirShapes};
pub use sizes::{ESTIMATED_KIB, NWCHEM_ESTIMATED_BYTES, SIZE_FILLER_DIR};

use crate::channel::ChannelSpec;
use crate::tables::{LINUX_64, LINUX_AARCH64, NOARCH};
use crate::write::write_channel;

/// The record targets, size divisor and seed of a channel for
/// [`write_large_channel`].
#[derive(Debug, Clone, PartialEq)]
pub struct LargeChannelSpec {
    realdata: PathBuf,
    targets: BTreeMap<String, SubdirTarget>,
    size_divisor: u64,
    seed: u64,
}

impl LargeChannelSpec {
    /// Creates the conda-forge-sized channel: at least 500,000 linux-64
    /// records over 25,000 names, 300,000 linux-aarch64 records over 15,000
    /// names and 150,000 noarch records over 10,000 names. `realdata` is the
    /// real-data folder with `repodata/conda-subchannel-demo/`.
    ///
    /// NOTE: the targets are estimates of conda-forge's size in 2025, not
    /// counts read from its repodata, which this project has no copy of.
    pub fn conda_forge(realdata: impl Into<PathBuf>) -> Self {
        let targets = [
            (LINUX_64, 500_000, 25_000),
            (LINUX_AARCH64, 300_000, 15_000),
            (NOARCH, 150_000, 10_000),
        ];
        Self {
            realdata: realdata.into(),
            targets: targets
                .into_iter()
                .map(|(subdir, records, names)| {
                    (subdir.to_string(), SubdirTarget { records, names })
                })
                .collect(),
            size_divisor: 1,
            seed: 0x656e_766c_6f63_6b00,
        }
    }

    /// Divides every record and name target by `divisor` (at least one name
    /// and record each) and the archive sizes too, for a quick smoke run.
    pub fn with_scale_divisor(mut self, divisor: u64) -> Self {
        let divisor = divisor.max(1);
        for target in self.targets.values_mut() {
            target.records = (target.records / divisor as usize).max(1);
            target.names = (target.names / divisor as usize).max(1);
        }
        self.size_divisor = divisor;
        self
    }

    /// Sets the seed of the filler generator.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Returns the record and name targets per subdirectory.
    pub fn targets(&self) -> &BTreeMap<String, SubdirTarget> {
        &self.targets
    }
}

/// Counts and file sizes of one written subdirectory.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LargeSubdirSummary {
    /// Records in `repodata.json`, worker closure included.
    pub records: usize,
    /// Distinct package names.
    pub names: usize,
    /// Size of `repodata.json` in bytes.
    pub repodata_bytes: u64,
    /// Size of `repodata.json.zst` in bytes.
    pub repodata_zst_bytes: u64,
    /// Size of `repodata_shards.msgpack.zst` in bytes.
    pub shard_index_bytes: u64,
    /// Total archive bytes of the worker closure in this subdirectory.
    pub archive_bytes: u64,
    /// Older real builds of the worker's names (repodata only).
    pub history_records: usize,
}

/// Writes the conda-forge-sized channel into `out_dir`, which must be
/// missing or empty, and returns a summary per subdirectory.
pub async fn write_large_channel(
    spec: &LargeChannelSpec,
    out_dir: &Path,
) -> Result<BTreeMap<String, LargeSubdirSummary>, LargeChannelError> {
    let mut shapes = BTreeMap::new();
    for subdir in spec.targets.keys() {
        shapes.insert(subdir.clone(), shape::measure(&spec.realdata, subdir)?);
    }

    let shape_refs: Vec<(&str, &SubdirShapes)> = shapes
        .iter()
        .map(|(subdir, shapes)| (subdir.as_str(), shapes))
        .collect();
    let worker = sizes::with_real_sizes(ChannelSpec::worker(), &shape_refs, spec.size_divisor);
    let written = write_channel(&worker, out_dir)
        .await
        .map_err(LargeChannelError::Worker)?;

    let mut newest = history::NewestBuilds::new();
    for subdir in spec.targets.keys() {
        let path = written.root.join(subdir).join("repodata.json");
        let repodata = RepoData::from_path(&path)
            .map_err(|source| LargeChannelError::ReadIndexedRepodata { path, source })?;
        history::collect_newest(&repodata, &mut newest);
    }

    let mut summaries = BTreeMap::new();
    for (index, (subdir, target)) in spec.targets.iter().enumerate() {
        let subdir_shapes = shapes.remove(subdir).unwrap_or_else(|| SubdirShapes {
            names: Vec::new(),
            max_size: BTreeMap::new(),
        });
        let seed = spec.seed.wrapping_add(index as u64);
        let real = shape::real_repodata_path(&spec.realdata, subdir);
        let filler = Filler {
            shapes: subdir_shapes,
            target: *target,
            seed,
            real,
            newest: newest.clone(),
        };
        let mut summary = add_filler(&written.root, subdir, filler).await?;
        summary.archive_bytes = written.subdirs.get(subdir).map_or(0, |s| s.total_bytes);
        summaries.insert(subdir.clone(), summary);
    }
    Ok(summaries)
}

/// The records [`add_filler`] adds to one subdirectory, and their sources.
struct Filler {
    /// The shapes of the real records of the subdirectory.
    shapes: SubdirShapes,
    /// How many records and names the subdirectory should reach.
    target: SubdirTarget,
    /// The seed of the random generator.
    seed: u64,
    /// The real `repodata.json` the worker's older builds come from.
    real: PathBuf,
    /// The newest build of every worker name, over all subdirectories.
    newest: history::NewestBuilds,
}

/// Adds older real builds of the worker's names and filler records to the
/// indexed `<root>/<subdir>/repodata.json`, and rewrites its plain and
/// sharded repodata.
async fn add_filler(
    root: &Path,
    subdir: &str,
    filler: Filler,
) -> Result<LargeSubdirSummary, LargeChannelError> {
    let repodata_path = root.join(subdir).join("repodata.json");
    let owned_subdir = subdir.to_string();
    let path = repodata_path.clone();
    let (repodata, history_records) = tokio::task::spawn_blocking(move || {
        let mut repodata = RepoData::from_path(&path)
            .map_err(|source| LargeChannelError::ReadIndexedRepodata { path, source })?;
        let real = RepoData::from_path(&filler.real).map_err(|source| {
            LargeChannelError::ReadRealRepodata {
                path: filler.real.clone(),
                source,
            }
        })?;
        let history_records = history::add_older_real_builds(&mut repodata, &real, &filler.newest);
        if !filler.shapes.names.is_empty() {
            let generated =
                records::generate(&owned_subdir, &filler.shapes, filler.target, filler.seed)?;
            for (key, record) in generated {
                repodata.conda_packages.insert(key, record);
            }
        }
        Ok::<_, LargeChannelError>((repodata, history_records))
    })
    .await
    .map_err(LargeChannelError::Task)??;

    let mut summary = LargeSubdirSummary {
        records: repodata.packages.len() + repodata.conda_packages.len(),
        history_records,
        ..LargeSubdirSummary::default()
    };
    let mut names: Vec<&str> = repodata
        .conda_packages
        .values()
        .chain(repodata.packages.values())
        .map(|record| record.name.as_normalized())
        .collect();
    names.sort_unstable();
    names.dedup();
    summary.names = names.len();

    let shard_root = root.to_path_buf();
    let shard_subdir = subdir.to_string();
    let repodata = tokio::task::spawn_blocking(move || {
        let subdir_dir = shard_root.join(&shard_subdir);
        shards::write_shards(&repodata, &shard_subdir, &subdir_dir).map(|()| repodata)
    })
    .await
    .map_err(LargeChannelError::Task)??;
    write_subdir_repodata(root, subdir, repodata).await?;

    let subdir_dir = root.join(subdir);
    summary.repodata_bytes = file_size(&subdir_dir.join("repodata.json"));
    summary.repodata_zst_bytes = file_size(&subdir_dir.join("repodata.json.zst"));
    summary.shard_index_bytes = file_size(&subdir_dir.join("repodata_shards.msgpack.zst"));
    Ok(summary)
}

async fn write_subdir_repodata(
    root: &Path,
    subdir: &str,
    repodata: RepoData,
) -> Result<(), LargeChannelError> {
    let write_error =
        |source: Box<dyn std::error::Error + Send + Sync>| LargeChannelError::WriteRepodata {
            subdir: subdir.to_string(),
            source,
        };
    let parsed_subdir = Subdir::from_str(subdir).map_err(|error| write_error(error.into()))?;

    let mut config = FsConfig::default();
    config.root = Some(root.to_string_lossy().to_string());
    config.atomic_write_dir = Some(root.join(".tmp").to_string_lossy().to_string());
    let operator =
        Operator::new(config.into_builder()).map_err(|error| write_error(error.into()))?;

    let metadata = RepodataMetadataCollection::new(
        &operator,
        parsed_subdir,
        false,
        true,
        false,
        PreconditionChecks::Disabled,
    )
    .await
    .map_err(|error| write_error(error.into()))?;
    rattler_index::write_repodata(repodata, None, parsed_subdir, operator, &metadata)
        .await
        .map_err(|error| write_error(error.into()))?;

    let scratch = root.join(".tmp");
    if scratch.is_dir() {
        let _ = std::fs::remove_dir(&scratch);
    }
    Ok(())
}

fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |metadata| metadata.len())
}
