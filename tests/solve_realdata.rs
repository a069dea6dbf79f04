//! `envlock solve` against genuine conda-forge repodata subsets (the
//! dependency tree of `python=3.9`, linux-64 and linux-aarch64), read from
//! `ENVLOCK_REALDATA` and used as a file:// mirror of conda-forge.

mod common;

use std::collections::HashMap;

use common::{assert_exit, envlock, realdata, test_dir};
use rattler_conda_types::Subdir;

#[test]
fn python39_locks_with_real_hashes() {
    let Some(realdata) = realdata() else { return };
    let channel = realdata.join("repodata/conda-subchannel-demo");
    let dir = test_dir("solve-realdata");
    std::fs::write(
        dir.join("env.yaml"),
        "channels:\n  - conda-forge\nplatforms:\n  - linux-64\n  - linux-aarch64\ndependencies:\n  - python=3.9\n  - pip\n  - sqlite\n",
    )
    .unwrap();
    let mirror = format!(
        "conda-forge={}",
        url::Url::from_directory_path(&channel).unwrap()
    );
    let output = envlock(
        &dir,
        &[
            "solve",
            "-f",
            "env.yaml",
            "--mirror",
            &mirror,
            "--cache-dir",
            "cache",
        ],
    );
    assert_exit(&output, 0);

    let mut real: HashMap<String, String> = HashMap::new();
    for subdir in ["linux-64", "linux-aarch64", "noarch"] {
        let text = std::fs::read_to_string(channel.join(subdir).join("repodata.json")).unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        for key in ["packages", "packages.conda"] {
            if let Some(map) = json[key].as_object() {
                for (file, record) in map {
                    if let Some(sha) = record["sha256"].as_str() {
                        real.insert(format!("{subdir}/{file}"), sha.to_string());
                    }
                }
            }
        }
    }

    let lock = envlock::lock::ReadLock::from_path(&dir.join("locks/env.lock")).unwrap();
    for platform in [Subdir::Linux64, Subdir::LinuxAarch64] {
        let records = lock.records(platform);
        assert!(records
            .iter()
            .any(|r| r.package_record.name.as_normalized() == "python"
                && r.package_record.version.to_string().starts_with("3.9")));
        for record in records {
            let key = format!(
                "{}/{}",
                record.package_record.subdir,
                record.url.path_segments().unwrap().next_back().unwrap()
            );
            let expected = real
                .get(&key)
                .unwrap_or_else(|| panic!("{key} not in the real repodata"));
            let locked = hex::encode(record.package_record.sha256.expect("sha256"));
            assert_eq!(&locked, expected, "{key}");
            assert!(
                record
                    .url
                    .as_str()
                    .starts_with("https://conda.anaconda.org/conda-forge/"),
                "{}",
                record.url
            );
        }
    }
}
