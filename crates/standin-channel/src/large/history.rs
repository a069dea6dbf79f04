//! Older builds of the worker's own packages, taken from real conda-forge
//! records. With them the solver sorts through a version history for those
//! names, as on conda-forge, where python, openssl or setuptools have
//! hundreds of builds.

use std::collections::BTreeMap;

use rattler_conda_types::{PackageRecord, RepoData, Version};

/// The newest (version, build number) of every package name of a channel.
pub type NewestBuilds = BTreeMap<String, (Version, u64)>;

/// Adds to `channel` every record of `real` whose name is in `newest` and
/// that sorts below that newest build (a lower version, or the same version
/// with a lower build number). `newest` covers every subdirectory, so older
/// arch-specific builds of a name that is noarch now (setuptools, pip) are
/// added too, as conda-forge has them. The newest builds stay the worker's,
/// so the worker environment solves to the same records. Records are
/// repodata only: their archives do not exist, which does not matter
/// because the solver never picks them. Returns how many records were added.
pub fn add_older_real_builds(
    channel: &mut RepoData,
    real: &RepoData,
    newest: &NewestBuilds,
) -> usize {
    let mut added = 0;
    let real_records = real
        .conda_packages
        .iter()
        .map(|entry| (entry, true))
        .chain(real.packages.iter().map(|entry| (entry, false)));
    for ((file_name, record), is_conda) in real_records {
        let Some((version, build_number)) = newest.get(record.name.as_normalized()) else {
            continue;
        };
        let older = (record.version.version(), record.build_number) < (version, *build_number);
        let target = if is_conda {
            &mut channel.conda_packages
        } else {
            &mut channel.packages
        };
        if older && !target.contains_key(file_name) {
            target.insert(file_name.clone(), record.clone());
            added += 1;
        }
    }
    added
}

/// Adds the newest (version, build number) of every name in `repodata` to `newest`.
pub fn collect_newest(repodata: &RepoData, newest: &mut NewestBuilds) {
    let records: Vec<&PackageRecord> = repodata
        .conda_packages
        .values()
        .chain(repodata.packages.values())
        .collect();
    for record in records {
        let key = (record.version.version().clone(), record.build_number);
        let slot = newest
            .entry(record.name.as_normalized().to_string())
            .or_insert_with(|| key.clone());
        if key > *slot {
            *slot = key;
        }
    }
}

#[cfg(test)]
mod tests {
    use rattler_conda_types::package::DistArchiveIdentifier;

    use super::*;

    fn repodata(records: &[(&str, &str, u64)]) -> RepoData {
        let mut repodata: RepoData =
            serde_json::from_str(r#"{"info":{"subdir":"linux-64"}}"#).unwrap();
        for (name, version, build_number) in records {
            let json = format!(
                r#"{{"name":"{name}","version":"{version}","build":"h0_{build_number}","build_number":{build_number},"depends":[]}}"#
            );
            let record: PackageRecord = serde_json::from_str(&json).unwrap();
            let file = format!("{name}-{version}-h0_{build_number}.conda");
            let key = DistArchiveIdentifier::try_from_filename(&file).unwrap();
            repodata.conda_packages.insert(key, record);
        }
        repodata
    }

    #[test]
    fn only_older_builds_of_known_names_are_added() {
        let mut channel = repodata(&[("openssl", "3.5.4", 0), ("python", "3.11.16", 2)]);
        let mut newest = NewestBuilds::new();
        collect_newest(&channel, &mut newest);
        collect_newest(&repodata(&[("setuptools", "80.9.0", 0)]), &mut newest);
        let real = repodata(&[
            ("openssl", "3.5.4", 0),
            ("openssl", "3.6.0", 0),
            ("openssl", "3.0.1", 3),
            ("python", "3.11.16", 1),
            ("python", "3.9.18", 0),
            ("zlib", "1.2.13", 0),
            ("setuptools", "59.8.0", 1),
        ]);

        let added = add_older_real_builds(&mut channel, &real, &newest);

        let mut files: Vec<String> = channel
            .conda_packages
            .keys()
            .map(|k| k.to_string())
            .collect();
        files.sort();
        assert_eq!(added, 4);
        assert_eq!(
            files,
            [
                "openssl-3.0.1-h0_3.conda",
                "openssl-3.5.4-h0_0.conda",
                "python-3.11.16-h0_1.conda",
                "python-3.11.16-h0_2.conda",
                "python-3.9.18-h0_0.conda",
                "setuptools-59.8.0-h0_1.conda",
            ]
        );
    }
}
