//! Mapping of real conda records (rattler's `conda-meta` test data) to the
//! PyPI distributions they provide.

use std::path::Path;
use std::str::FromStr;

use envlock::pypi::{CondaProvided, CondaPythonPackage, MappingSource};
use pep508_rs::PackageName;
use rattler_conda_types::PrefixRecord;

fn realdata_record(file: &str) -> Option<CondaPythonPackage> {
    let Some(root) = std::env::var_os("ENVLOCK_REALDATA") else {
        assert!(
            !std::env::var("ENVLOCK_REQUIRE_REALDATA").is_ok_and(|v| v == "1"),
            "ENVLOCK_REQUIRE_REALDATA=1 but ENVLOCK_REALDATA is not set"
        );
        eprintln!("skipping: ENVLOCK_REALDATA is not set");
        return None;
    };
    let path = Path::new(&root)
        .join("peers/rattler/test-data/conda-meta")
        .join(file);
    let record = PrefixRecord::from_path(&path).unwrap();
    Some(CondaPythonPackage::from_record(
        &record.repodata_record.package_record,
    ))
}

#[test]
fn record_purls_decide_mapping() {
    let files = [
        "numpy-1.26.4-py311h7125741_0.json",
        "scipy-1.11.4-py311h2b215a9_0.json",
        "openssl-3.3.0-hfb2fe0b_3.json",
    ];
    let mut packages = Vec::new();
    for file in files {
        let Some(package) = realdata_record(file) else {
            return;
        };
        packages.push(package);
    }
    assert_eq!(
        packages[0].purls.as_deref(),
        Some(&["pkg:pypi/numpy".to_string()][..])
    );

    let provided = CondaProvided::from_conda_packages(&packages);
    let numpy = provided
        .get(&PackageName::from_str("numpy").unwrap())
        .unwrap();
    assert_eq!(numpy.source, MappingSource::Purl);
    assert_eq!(numpy.version.as_ref().unwrap().to_string(), "1.26.4");
    assert!(provided
        .get(&PackageName::from_str("scipy").unwrap())
        .is_some());
    // openssl's record has `purls: []`, so it is not a Python distribution.
    assert!(provided
        .get(&PackageName::from_str("openssl").unwrap())
        .is_none());
    assert_eq!(provided.iter().count(), 2);
}
