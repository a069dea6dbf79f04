//! The worker closure solves with rattler's resolvo solver for both
//! platforms, from `file://` and over HTTP with sharded repodata.

mod common;

use std::collections::BTreeSet;

use rattler_conda_types::Subdir;
use standin_channel::server::ChannelServer;
use standin_channel::{write_channel, ChannelSpec};

use common::{record, solve, WORKER_SPECS};

#[tokio::test]
async fn worker_solves_for_linux_64() {
    let dir = tempfile::tempdir().unwrap();
    let channel = write_channel(&ChannelSpec::worker(), dir.path())
        .await
        .unwrap();

    let records = solve(&channel.url, Subdir::Linux64, WORKER_SPECS, "2.28")
        .await
        .unwrap();

    let subdirs: BTreeSet<_> = records
        .iter()
        .map(|r| r.package_record.subdir.as_str())
        .collect();
    assert_eq!(subdirs, BTreeSet::from(["linux-64", "noarch"]));
    for (name, version) in [
        ("nwchem", "7.3.1"),
        ("xtb", "6.7.1"),
        ("crest", "3.0.2"),
        ("rdkit", "2025.09.5"),
        ("python", "3.11.16"),
    ] {
        let found = record(&records, name).unwrap_or_else(|| panic!("{name} missing"));
        assert_eq!(found.package_record.version.as_str(), version, "{name}");
    }
    assert!(record(&records, "ld_impl_linux-64").is_some());
    assert!(record(&records, "plumed").is_none());
}

#[tokio::test]
async fn worker_solves_for_linux_aarch64() {
    let dir = tempfile::tempdir().unwrap();
    let channel = write_channel(&ChannelSpec::worker(), dir.path())
        .await
        .unwrap();

    let records = solve(&channel.url, Subdir::LinuxAarch64, WORKER_SPECS, "2.28")
        .await
        .unwrap();

    let subdirs: BTreeSet<_> = records
        .iter()
        .map(|r| r.package_record.subdir.as_str())
        .collect();
    assert_eq!(subdirs, BTreeSet::from(["linux-aarch64", "noarch"]));
    for name in [
        "nwchem",
        "xtb",
        "crest",
        "rdkit",
        "plumed",
        "matplotlib",
        "statsmodels",
        "pip",
    ] {
        assert!(record(&records, name).is_some(), "{name} missing");
    }
    assert!(record(&records, "ld_impl_linux-64").is_none());
}

#[tokio::test]
async fn solution_contains_every_channel_name_it_needs() {
    let dir = tempfile::tempdir().unwrap();
    let channel = write_channel(&ChannelSpec::worker(), dir.path())
        .await
        .unwrap();

    let records = solve(&channel.url, Subdir::Linux64, WORKER_SPECS, "2.28")
        .await
        .unwrap();

    // Every dependency name of every solved record is itself solved, except
    // virtual packages.
    let names: BTreeSet<_> = records
        .iter()
        .map(|r| r.package_record.name.as_normalized().to_string())
        .collect();
    for solved in &records {
        for dependency in &solved.package_record.depends {
            let name = dependency.split_whitespace().next().unwrap();
            if !name.starts_with("__") {
                assert!(
                    names.contains(name),
                    "{} needs {name}",
                    solved.package_record.name.as_normalized()
                );
            }
        }
    }
}

#[tokio::test]
async fn old_glibc_makes_worker_unsolvable() {
    let dir = tempfile::tempdir().unwrap();
    let channel = write_channel(&ChannelSpec::worker(), dir.path())
        .await
        .unwrap();

    let result = solve(&channel.url, Subdir::Linux64, WORKER_SPECS, "2.12").await;

    let message = result.unwrap_err();
    assert!(message.contains("__glibc"), "{message}");
}

#[tokio::test]
async fn worker_solves_over_http_with_shards() {
    let dir = tempfile::tempdir().unwrap();
    write_channel(&ChannelSpec::worker(), dir.path())
        .await
        .unwrap();
    let server = ChannelServer::start(dir.path()).unwrap();

    let records = solve(&server.url(), Subdir::LinuxAarch64, WORKER_SPECS, "2.28")
        .await
        .unwrap();

    assert!(record(&records, "nwchem").is_some());
    let paths: Vec<String> = server.requests().into_iter().map(|r| r.path).collect();
    assert!(
        paths
            .iter()
            .any(|p| p == "/linux-aarch64/repodata_shards.msgpack.zst"),
        "{paths:?}"
    );
    assert!(
        paths
            .iter()
            .any(|p| p.starts_with("/linux-aarch64/shards/")),
        "{paths:?}"
    );
    assert!(
        server.requests().iter().all(|r| r.status == 200),
        "{:?}",
        server.requests()
    );
}
