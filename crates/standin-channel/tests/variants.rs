//! Each channel variant makes the change its name describes and no other.

mod common;

use std::fs;

use rattler_conda_types::package::{FileMode, PathsJson};
use rattler_conda_types::{RepoData, Subdir};
use rattler_package_streaming::seek::read_package_file;
use standin_channel::{
    write_channel, ChannelSpec, FileSpec, PackageSpec, Variant, LINUX_64, LINUX_AARCH64,
    NWCHEM_FILLER_PATH,
};

use common::{extract, record, solve, WORKER_SPECS};

fn repodata_names(root: &std::path::Path, subdir: &str) -> Vec<String> {
    let repodata = RepoData::from_path(root.join(subdir).join("repodata.json")).unwrap();
    repodata
        .conda_packages
        .keys()
        .map(|filename| filename.to_string())
        .collect()
}

#[tokio::test]
async fn crest_no_aarch64_drops_one_build() {
    let dir = tempfile::tempdir().unwrap();
    let spec = ChannelSpec::variant(Variant::CrestNoAarch64);
    let channel = write_channel(&spec, dir.path()).await.unwrap();

    let aarch64 = repodata_names(&channel.root, LINUX_AARCH64);
    let linux_64 = repodata_names(&channel.root, LINUX_64);
    assert!(
        !aarch64.iter().any(|f| f.starts_with("crest-")),
        "{aarch64:?}"
    );
    assert!(
        linux_64.iter().any(|f| f.starts_with("crest-3.0.2-")),
        "{linux_64:?}"
    );
    assert_eq!(
        spec.packages().len(),
        ChannelSpec::worker().packages().len() - 1
    );

    let aarch64_solve = solve(&channel.url, Subdir::LinuxAarch64, WORKER_SPECS, "2.28").await;
    assert!(aarch64_solve.unwrap_err().contains("crest"));
    let linux_64_solve = solve(&channel.url, Subdir::Linux64, WORKER_SPECS, "2.28").await;
    assert!(linux_64_solve.is_ok());
}

#[tokio::test]
async fn nwchem_no_basis_removes_only_libraries() {
    let dir = tempfile::tempdir().unwrap();
    let channel = write_channel(&ChannelSpec::variant(Variant::NwchemNoBasis), dir.path())
        .await
        .unwrap();

    for subdir in [LINUX_64, LINUX_AARCH64] {
        let extracted = extract(&channel.archive("nwchem", subdir).unwrap().path);
        assert!(
            !extracted.path().join("share/nwchem/libraries").exists(),
            "{subdir}"
        );
        assert!(
            extracted
                .path()
                .join("share/nwchem/libraryps/HGH_LDA/C")
                .is_file(),
            "{subdir}"
        );
        assert!(
            extracted.path().join("etc/default.nwchemrc").is_file(),
            "{subdir}"
        );
        assert!(extracted.path().join("bin/nwchem").is_file(), "{subdir}");
    }
}

#[tokio::test]
async fn nwchem_rc_binary_marks_rc_binary() {
    let dir = tempfile::tempdir().unwrap();
    let channel = write_channel(&ChannelSpec::variant(Variant::NwchemRcBinary), dir.path())
        .await
        .unwrap();

    for subdir in [LINUX_64, LINUX_AARCH64] {
        let paths: PathsJson =
            read_package_file(&channel.archive("nwchem", subdir).unwrap().path).unwrap();
        let rc = paths
            .paths
            .iter()
            .find(|entry| entry.relative_path.to_str() == Some("etc/default.nwchemrc"))
            .unwrap();
        let placeholder = rc.prefix_placeholder.as_ref().unwrap();
        assert_eq!(placeholder.file_mode, FileMode::Binary, "{subdir}");
    }
}

#[tokio::test]
async fn newer_xtb_crest_are_preferred() {
    let dir = tempfile::tempdir().unwrap();
    let channel = write_channel(&ChannelSpec::variant(Variant::NewerXtbCrest), dir.path())
        .await
        .unwrap();

    for subdir in [LINUX_64, LINUX_AARCH64] {
        let names = repodata_names(&channel.root, subdir);
        for prefix in ["xtb-6.7.1-", "xtb-6.7.2-", "crest-3.0.2-", "crest-3.0.3-"] {
            assert!(
                names.iter().any(|f| f.starts_with(prefix)),
                "{subdir} lacks {prefix}"
            );
        }
    }

    let unpinned = solve(
        &channel.url,
        Subdir::LinuxAarch64,
        &["python=3.11", "xtb", "crest"],
        "2.28",
    )
    .await
    .unwrap();
    assert_eq!(
        record(&unpinned, "xtb")
            .unwrap()
            .package_record
            .version
            .as_str(),
        "6.7.2"
    );
    assert_eq!(
        record(&unpinned, "crest")
            .unwrap()
            .package_record
            .version
            .as_str(),
        "3.0.3"
    );

    let pinned = solve(&channel.url, Subdir::LinuxAarch64, WORKER_SPECS, "2.28")
        .await
        .unwrap();
    assert_eq!(
        record(&pinned, "xtb")
            .unwrap()
            .package_record
            .version
            .as_str(),
        "6.7.1"
    );

    let newer = channel
        .archives
        .iter()
        .find(|a| a.name == "xtb" && a.version == "6.7.2" && a.subdir == LINUX_64)
        .unwrap();
    let extracted = extract(&newer.path);
    let script = fs::read_to_string(extracted.path().join("bin/xtb")).unwrap();
    assert!(script.contains("xtb version 6.7.2"), "{script}");
}

#[tokio::test]
async fn nwchem_filler_grows_archive_deterministically() {
    const FILLER: usize = 3 * 1024 * 1024;
    let spec = ChannelSpec::worker().with_nwchem_filler(FILLER);
    let first_dir = tempfile::tempdir().unwrap();
    let second_dir = tempfile::tempdir().unwrap();

    let first = write_channel(&spec, first_dir.path()).await.unwrap();
    let second = write_channel(&spec, second_dir.path()).await.unwrap();

    for subdir in [LINUX_64, LINUX_AARCH64] {
        let archive = first.archive("nwchem", subdir).unwrap();
        assert!(
            archive.size > FILLER as u64,
            "{subdir}: {} bytes",
            archive.size
        );
        assert_eq!(
            archive.sha256,
            second.archive("nwchem", subdir).unwrap().sha256
        );
        let extracted = extract(&archive.path);
        let filler = fs::metadata(extracted.path().join(NWCHEM_FILLER_PATH)).unwrap();
        assert_eq!(filler.len(), FILLER as u64);
    }
    let xtb_size = first.archive("xtb", LINUX_64).unwrap().size;
    assert!(
        xtb_size < 100_000,
        "xtb archive unexpectedly large: {xtb_size}"
    );
}

#[tokio::test]
async fn with_file_replaces_program_per_subdir() {
    let program = b"\x7fELF stand-in bytes for aarch64".to_vec();
    let spec = ChannelSpec::worker().map_package("xtb", |package| {
        if package.subdir == LINUX_AARCH64 {
            package.with_file(FileSpec::executable("bin/xtb", program.clone()))
        } else {
            package
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let channel = write_channel(&spec, dir.path()).await.unwrap();

    let aarch64 = extract(&channel.archive("xtb", LINUX_AARCH64).unwrap().path);
    assert_eq!(fs::read(aarch64.path().join("bin/xtb")).unwrap(), program);
    let linux_64 = extract(&channel.archive("xtb", LINUX_64).unwrap().path);
    assert!(fs::read_to_string(linux_64.path().join("bin/xtb"))
        .unwrap()
        .starts_with("#!/bin/sh"));
}

#[tokio::test]
async fn with_package_adds_and_replaces() {
    let extra = PackageSpec::new("standin-extra", "1.0", "h0000000_0", LINUX_64)
        .with_depends(["python >=3.11"])
        .with_file(FileSpec::new("share/extra.txt", "extra"));
    let spec = ChannelSpec::worker()
        .with_package(extra.clone())
        .with_package(extra.clone().with_license("MIT"));

    let builds: Vec<_> = spec.builds_of("standin-extra").collect();
    assert_eq!(builds.len(), 1);
    assert_eq!(builds[0].license.as_deref(), Some("MIT"));

    let dir = tempfile::tempdir().unwrap();
    let channel = write_channel(&spec, dir.path()).await.unwrap();
    assert!(repodata_names(&channel.root, LINUX_64).contains(&extra.filename()));
}

#[tokio::test]
async fn invalid_dependency_is_rejected() {
    let broken =
        PackageSpec::new("broken", "1.0", "h0000000_0", LINUX_64).with_depends(["python >>3"]);
    let spec = ChannelSpec::empty().with_package(broken);
    let dir = tempfile::tempdir().unwrap();

    let error = write_channel(&spec, dir.path()).await.unwrap_err();

    let message = error.to_string();
    assert!(
        message.contains("linux-64/broken-1.0-h0000000_0"),
        "{message}"
    );
    assert!(message.contains("python >>3"), "{message}");
}

#[tokio::test]
async fn path_traversal_in_file_is_rejected() {
    let broken = PackageSpec::new("broken", "1.0", "h0000000_0", LINUX_64)
        .with_file(FileSpec::new("../escape", "x"));
    let spec = ChannelSpec::empty().with_package(broken);
    let dir = tempfile::tempdir().unwrap();

    let error = write_channel(&spec, dir.path()).await.unwrap_err();

    assert!(error.to_string().contains("../escape"), "{error}");
}
