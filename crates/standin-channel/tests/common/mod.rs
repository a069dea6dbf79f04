//! Helpers shared by the integration tests: archive inspection and solving.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::str::FromStr;

use rattler_conda_types::package::BuildString;
use rattler_conda_types::{
    Channel, GenericVirtualPackage, MatchSpec, PackageName, ParseStrictness, RepoDataRecord,
    Subdir, Version,
};
use rattler_repodata_gateway::Gateway;
use rattler_solve::{SolverImpl, SolverTask};
use tempfile::TempDir;
use url::Url;

/// The worker environment's specs.
pub const WORKER_SPECS: &[&str] = &[
    "python=3.11",
    "nwchem=7.3.1",
    "xtb=6.7.1",
    "crest=3.0.2",
    "rdkit=2025.09.5",
    "matplotlib>=3.10.0",
    "pandas>=2.3.3",
    "scipy>=1.17.0",
    "statsmodels>=0.14.0",
    "pip",
];

/// Extracts a `.conda` archive into a new temporary directory.
pub fn extract(archive: &Path) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    rattler_package_streaming::fs::extract(archive, dir.path()).unwrap();
    dir
}

/// Returns the files of an extracted package, relative to its root, sorted.
pub fn list_files(root: &Path) -> Vec<String> {
    let mut files = Vec::new();
    let mut pending: Vec<PathBuf> = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            if entry.file_type().unwrap().is_dir() {
                pending.push(path);
            } else {
                let relative = path.strip_prefix(root).unwrap();
                files.push(relative.to_string_lossy().into_owned());
            }
        }
    }
    files.sort();
    files
}

/// Returns the virtual packages envlock declares for a platform, with the
/// given glibc version.
pub fn virtual_packages(platform: Subdir, glibc: &str) -> Vec<GenericVirtualPackage> {
    let archspec = match platform {
        Subdir::LinuxAarch64 => "aarch64",
        _ => "x86_64",
    };
    [
        ("__unix", "0", "0"),
        ("__linux", "4.18", "0"),
        ("__glibc", glibc, "0"),
        ("__archspec", "1", archspec),
    ]
    .into_iter()
    .map(|(name, version, build)| GenericVirtualPackage {
        name: PackageName::new_unchecked(name),
        version: Version::from_str(version).unwrap(),
        build_string: BuildString::from_str(build).unwrap(),
    })
    .collect()
}

/// Solves `specs` for `platform` against the channel at `url` with resolvo.
pub async fn solve(
    url: &Url,
    platform: Subdir,
    specs: &[&str],
    glibc: &str,
) -> Result<Vec<RepoDataRecord>, String> {
    let cache = tempfile::tempdir().unwrap();
    let gateway = Gateway::builder().with_cache_dir(cache.path()).finish();
    solve_with(&gateway, url, platform, specs, glibc).await
}

/// Solves like [`solve`], with a gateway from the caller.
pub async fn solve_with(
    gateway: &Gateway,
    url: &Url,
    platform: Subdir,
    specs: &[&str],
    glibc: &str,
) -> Result<Vec<RepoDataRecord>, String> {
    let specs: Vec<MatchSpec> = specs
        .iter()
        .map(|spec| MatchSpec::from_str(spec, ParseStrictness::Lenient).unwrap())
        .collect();
    let channel = Channel::from_url(url.clone());
    let repodata = gateway
        .query([channel], [platform, Subdir::NoArch], specs.clone())
        .recursive(true)
        .execute()
        .await
        .map_err(|e| format!("fetching repodata failed: {e}"))?;

    let task = SolverTask {
        specs,
        virtual_packages: virtual_packages(platform, glibc),
        ..SolverTask::from_iter(repodata.repodata.iter())
    };
    rattler_solve::resolvo::Solver
        .solve(task)
        .map(|result| result.records)
        .map_err(|e| e.to_string())
}

/// Returns the record named `name` from a solution.
pub fn record<'a>(records: &'a [RepoDataRecord], name: &str) -> Option<&'a RepoDataRecord> {
    records
        .iter()
        .find(|r| r.package_record.name.as_normalized() == name)
}

/// Formats a digest as lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
