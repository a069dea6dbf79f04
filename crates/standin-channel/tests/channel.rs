//! The worker channel on disk: indexes, hashes, archive contents and
//! reproducibility.

mod common;

use std::collections::BTreeMap;
use std::fs;

use rattler_conda_types::package::{FileMode, IndexJson, PathType, PathsJson};
use rattler_conda_types::RepoData;
use rattler_package_streaming::seek::read_package_file;
use standin_channel::{
    nwchem_placeholder, write_channel, ChannelSpec, WrittenChannel, BASIS_SETS, LINUX_64,
    LINUX_AARCH64, NOARCH,
};

use common::{extract, hex, list_files};

async fn worker_channel() -> (tempfile::TempDir, WrittenChannel) {
    let dir = tempfile::tempdir().unwrap();
    let channel = write_channel(&ChannelSpec::worker(), dir.path())
        .await
        .unwrap();
    (dir, channel)
}

#[tokio::test]
async fn every_subdir_has_repodata_and_shards() {
    let (_dir, channel) = worker_channel().await;

    for subdir in [LINUX_64, LINUX_AARCH64, NOARCH] {
        let root = channel.root.join(subdir);
        for file in [
            "repodata.json",
            "repodata.json.zst",
            "repodata_shards.msgpack.zst",
        ] {
            assert!(root.join(file).is_file(), "{subdir}/{file} missing");
        }
        let shards = fs::read_dir(root.join("shards")).unwrap().count();
        assert!(shards > 0, "{subdir}/shards is empty");
        assert!(
            channel.subdirs[subdir].records > 0,
            "{subdir} has no records"
        );
    }
    assert!(!channel.root.join(".tmp").exists());
}

#[tokio::test]
async fn archive_hashes_match_repodata() {
    let (_dir, channel) = worker_channel().await;

    for subdir in [LINUX_64, LINUX_AARCH64, NOARCH] {
        let repodata =
            RepoData::from_path(channel.root.join(subdir).join("repodata.json")).unwrap();
        let written: BTreeMap<String, _> = channel
            .archives
            .iter()
            .filter(|a| a.subdir == subdir)
            .map(|a| {
                (
                    a.path.file_name().unwrap().to_string_lossy().into_owned(),
                    a,
                )
            })
            .collect();
        assert_eq!(
            repodata.conda_packages.len(),
            written.len(),
            "{subdir} record count"
        );

        for (filename, record) in &repodata.conda_packages {
            let archive = written
                .get(filename.to_string().as_str())
                .unwrap_or_else(|| panic!("{subdir}/{filename} not written"));
            let bytes = fs::read(&archive.path).unwrap();
            let sha256 = hex(&record.sha256.unwrap());
            assert_eq!(sha256, archive.sha256, "{filename} sha256 in summary");
            let actual = rattler_digest::compute_bytes_digest::<rattler_digest::Sha256>(&bytes);
            assert_eq!(hex(&actual), sha256, "{filename} sha256 on disk");
            assert_eq!(record.size, Some(bytes.len() as u64), "{filename} size");
        }
    }
}

#[tokio::test]
async fn nwchem_rc_is_text_prefix_file() {
    let (_dir, channel) = worker_channel().await;

    for subdir in [LINUX_64, LINUX_AARCH64] {
        let archive = channel.archive("nwchem", subdir).unwrap();
        let paths: PathsJson = read_package_file(&archive.path).unwrap();
        let rc = paths
            .paths
            .iter()
            .find(|entry| entry.relative_path.to_str() == Some("etc/default.nwchemrc"))
            .unwrap();
        let placeholder = rc.prefix_placeholder.as_ref().unwrap();

        assert_eq!(placeholder.file_mode, FileMode::Text, "{subdir}");
        assert_eq!(
            placeholder.placeholder,
            nwchem_placeholder(standin_channel::DEFAULT_TIMESTAMP_MS)
        );
        assert_eq!(placeholder.placeholder.len(), 255);
        assert!(placeholder
            .placeholder
            .starts_with("/home/conda/feedstock_root/build_artifacts/nwchem_"));

        let extracted = extract(&archive.path);
        let text = fs::read_to_string(extracted.path().join("etc/default.nwchemrc")).unwrap();
        let expected_basis = format!(
            "nwchem_basis_library {}/share/nwchem/libraries/",
            placeholder.placeholder
        );
        let expected_nwpw = format!(
            "nwchem_nwpw_library {}/share/nwchem/libraryps/",
            placeholder.placeholder
        );
        assert!(text.contains(&expected_basis), "{text}");
        assert!(text.contains(&expected_nwpw), "{text}");
        assert!(text.contains("ffield amber"), "{text}");
    }
}

#[tokio::test]
async fn both_nwchem_builds_contain_basis_files() {
    let (_dir, channel) = worker_channel().await;
    assert!(BASIS_SETS.len() >= 30);

    for subdir in [LINUX_64, LINUX_AARCH64] {
        let archive = channel.archive("nwchem", subdir).unwrap();
        let extracted = extract(&archive.path);
        for name in BASIS_SETS {
            let path = extracted.path().join("share/nwchem/libraries").join(name);
            let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{subdir} {name}: {e}"));
            assert!(
                (300..2000).contains(&text.len()),
                "{subdir} {name} has {} bytes",
                text.len()
            );
            assert!(
                text.contains(&format!("basis \"H_{name}\" PRINT")),
                "{subdir} {name}"
            );
        }
        for path in [
            "bin/nwchem",
            "bin/.nwchem-post-link.sh",
            "etc/conda/activate.d/nwchem_env.sh",
            "etc/conda/activate.d/nwchem_env.fish",
            "share/nwchem/libraryps/HGH_LDA/C",
            "share/nwchem/data/solvents/spce.rst",
        ] {
            assert!(extracted.path().join(path).is_file(), "{subdir} {path}");
        }
    }
}

#[tokio::test]
async fn nwchem_post_link_script_appends_message() {
    let (_dir, channel) = worker_channel().await;
    let extracted = extract(&channel.archive("nwchem", LINUX_64).unwrap().path);
    let prefix = tempfile::tempdir().unwrap();

    let status = std::process::Command::new("sh")
        .arg(extracted.path().join("bin/.nwchem-post-link.sh"))
        .env("PREFIX", prefix.path())
        .status()
        .unwrap();

    assert!(status.success());
    let messages = fs::read_to_string(prefix.path().join(".messages.txt")).unwrap();
    assert!(messages.contains("nwchem"), "{messages}");
}

#[tokio::test]
async fn xtb_and_crest_have_expected_layout() {
    let (_dir, channel) = worker_channel().await;

    for subdir in [LINUX_64, LINUX_AARCH64] {
        let xtb = extract(&channel.archive("xtb", subdir).unwrap().path);
        let files = list_files(xtb.path());
        for path in [
            "bin/xtb",
            "lib/libxtb.so.6",
            "share/xtb/param_gfn0-xtb.txt",
            "share/xtb/param_gfn1-xtb.txt",
            "share/xtb/param_gfn2-xtb.txt",
            "share/xtb/.param_gfnff.xtb",
            "share/xtb/config_env.bash",
        ] {
            assert!(
                files.iter().any(|f| f == path),
                "{subdir} xtb lacks {path}: {files:?}"
            );
        }
        let config = fs::read_to_string(xtb.path().join("share/xtb/config_env.bash")).unwrap();
        assert!(config.contains("export XTBPATH="), "{config}");

        let output = std::process::Command::new("sh")
            .arg(xtb.path().join("bin/xtb"))
            .arg("--version")
            .output()
            .unwrap();
        assert!(output.status.success());
        assert!(String::from_utf8_lossy(&output.stdout).contains("xtb version 6.7.1"));

        let crest = extract(&channel.archive("crest", subdir).unwrap().path);
        assert!(crest.path().join("bin/crest").is_file(), "{subdir} crest");
    }
}

#[tokio::test]
async fn python_and_noarch_layouts() {
    let (_dir, channel) = worker_channel().await;

    let python = extract(&channel.archive("python", LINUX_AARCH64).unwrap().path);
    let link = fs::read_link(python.path().join("bin/python")).unwrap();
    assert_eq!(link.to_str(), Some("python3.11"));
    assert!(python.path().join("bin/python3.11").is_file());
    assert!(python.path().join("lib/python3.11/site-packages").is_dir());

    let rdkit = extract(&channel.archive("rdkit", LINUX_64).unwrap().path);
    assert!(rdkit
        .path()
        .join("lib/python3.11/site-packages/rdkit/__init__.py")
        .is_file());

    let pip = channel.archive("pip", NOARCH).unwrap();
    let index: IndexJson = read_package_file(&pip.path).unwrap();
    assert!(index.noarch.is_python());
    assert_eq!(
        index
            .purls
            .unwrap()
            .iter()
            .map(|p| p.to_string())
            .collect::<Vec<_>>(),
        vec!["pkg:pypi/pip".to_string()]
    );
    let extracted = extract(&pip.path);
    assert!(extracted
        .path()
        .join("site-packages/pip/__init__.py")
        .is_file());
    assert!(extracted.path().join("info/link.json").is_file());
}

#[tokio::test]
async fn paths_json_describes_every_file() {
    let (_dir, channel) = worker_channel().await;

    for archive in &channel.archives {
        let paths: PathsJson = read_package_file(&archive.path).unwrap();
        let extracted = extract(&archive.path);
        for entry in &paths.paths {
            let path = extracted.path().join(&entry.relative_path);
            match entry.path_type {
                PathType::SoftLink => assert!(path.is_symlink(), "{}", path.display()),
                _ => {
                    let bytes = fs::read(&path).unwrap();
                    let sha256 =
                        rattler_digest::compute_bytes_digest::<rattler_digest::Sha256>(&bytes);
                    assert_eq!(Some(sha256), entry.sha256, "{}", path.display());
                    assert_eq!(
                        Some(bytes.len() as u64),
                        entry.size_in_bytes,
                        "{}",
                        path.display()
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn runtime_records_require_glibc() {
    let (_dir, channel) = worker_channel().await;

    for subdir in [LINUX_64, LINUX_AARCH64] {
        for name in ["libgcc", "libgomp", "libstdcxx", "libgfortran5"] {
            let archive = channel.archive(name, subdir).unwrap();
            let index: IndexJson = read_package_file(&archive.path).unwrap();
            assert!(
                index.depends.iter().any(|d| d == "__glibc >=2.17,<3.0.a0"),
                "{subdir} {name}: {:?}",
                index.depends
            );
        }
    }
}

#[tokio::test]
async fn same_spec_gives_identical_archives() {
    let (_first_dir, first) = worker_channel().await;
    let (_second_dir, second) = worker_channel().await;

    assert_eq!(first.archives.len(), second.archives.len());
    for (a, b) in first.archives.iter().zip(&second.archives) {
        assert_eq!(a.path.file_name(), b.path.file_name());
        assert_eq!(a.sha256, b.sha256, "{}", a.path.display());
        assert_eq!(fs::read(&a.path).unwrap(), fs::read(&b.path).unwrap());
    }
}

#[tokio::test]
async fn output_directory_must_be_empty() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("leftover"), "x").unwrap();

    let error = write_channel(&ChannelSpec::worker(), dir.path())
        .await
        .unwrap_err();

    assert!(error.to_string().contains("is not empty"), "{error}");
}
