//! Sharded repodata (`repodata_shards.msgpack.zst` + `shards/`) in
//! `rattler_index`'s format.
//!
//! `rattler_index::write_repodata` writes every shard concurrently, one open
//! file per package name, which exceeds a 20,000 open-file limit at
//! conda-forge's 25,000 names. This writer produces the same files (one
//! MessagePack map per name with named fields, zstd level 0, named by the
//! SHA-256 of the compressed bytes, and an index with `./shards/` as
//! `shards_base_url`) one after another.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use rattler_conda_types::{RepoData, Shard, ShardedRepodata, ShardedSubdirInfo};
use rattler_digest::{compute_bytes_digest, Sha256};
use serde::Serialize;

use super::error::LargeChannelError;

/// zstd level of the shards and the index, the same as `rattler_index`
/// 0.34.5 (0 selects zstd's default level).
const SHARD_ZSTD_LEVEL: i32 = 0;

/// Writes `<subdir_dir>/shards/<sha256>.msgpack.zst` for every package name
/// of `repodata` and then `<subdir_dir>/repodata_shards.msgpack.zst`.
pub fn write_shards(
    repodata: &RepoData,
    subdir: &str,
    subdir_dir: &Path,
) -> Result<(), LargeChannelError> {
    let shards_dir = subdir_dir.join("shards");
    fs::create_dir_all(&shards_dir).map_err(|source| shard_error(subdir, source.into()))?;

    let mut digests = Vec::new();
    let mut names: Vec<&str> = repodata
        .conda_packages
        .values()
        .chain(repodata.packages.values())
        .map(|record| record.name.as_normalized())
        .collect();
    names.sort_unstable();
    names.dedup();

    // One name at a time keeps only one shard's records cloned in memory.
    let mut conda_by_name: BTreeMap<&str, Vec<_>> = BTreeMap::new();
    for (key, record) in &repodata.conda_packages {
        conda_by_name
            .entry(record.name.as_normalized())
            .or_default()
            .push((key, record));
    }
    let mut bz2_by_name: BTreeMap<&str, Vec<_>> = BTreeMap::new();
    for (key, record) in &repodata.packages {
        bz2_by_name
            .entry(record.name.as_normalized())
            .or_default()
            .push((key, record));
    }
    for name in names {
        let mut shard = Shard::default();
        for (key, record) in conda_by_name.remove(name).unwrap_or_default() {
            shard.conda_packages.insert(key.clone(), record.clone());
        }
        for (key, record) in bz2_by_name.remove(name).unwrap_or_default() {
            shard.packages.insert(key.clone(), record.clone());
        }
        let encoded = encode(&shard).map_err(|source| shard_error(subdir, source))?;
        let digest = compute_bytes_digest::<Sha256>(&encoded);
        let path = shards_dir.join(format!("{}.msgpack.zst", hex(&digest)));
        fs::write(&path, &encoded).map_err(|source| shard_error(subdir, source.into()))?;
        digests.push((name.to_string(), digest));
    }

    let info = repodata.info.as_ref();
    let index = ShardedRepodata {
        info: ShardedSubdirInfo {
            subdir: subdir.to_string(),
            base_url: info.and_then(|i| i.base_url.clone()).unwrap_or_default(),
            shards_base_url: "./shards/".into(),
            created_at: Some(jiff::Timestamp::now()),
            repodata_revisions: info
                .map(|i| i.repodata_revisions.clone())
                .unwrap_or_default(),
            channel_relations: info.and_then(|i| i.channel_relations.clone()),
            virtual_package_detectors: info.and_then(|i| i.virtual_package_detectors.clone()),
        },
        shards: digests.into_iter().collect(),
    };
    let encoded = encode(&index).map_err(|source| shard_error(subdir, source))?;
    let index_path = subdir_dir.join("repodata_shards.msgpack.zst");
    fs::write(&index_path, encoded).map_err(|source| shard_error(subdir, source.into()))
}

fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>> {
    let msgpack = rmp_serde::to_vec_named(value)?;
    Ok(zstd::stream::encode_all(&msgpack[..], SHARD_ZSTD_LEVEL)?)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn shard_error(
    subdir: &str,
    source: Box<dyn std::error::Error + Send + Sync>,
) -> LargeChannelError {
    LargeChannelError::WriteRepodata {
        subdir: subdir.to_string(),
        source,
    }
}
