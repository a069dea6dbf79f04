//! The `conda-meta` records and the layout of installed prefixes: a new
//! prefix (linked by envlock) and an updated one (linked by rattler's
//! installer) must come out the same, whatever order packages were linked in.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use common::{assert_exit, envlock, snapshot, test_dir, write_channel};
use standin_channel::{ChannelSpec, FileSpec};

/// The target prefix of every install, so files that contain the prefix
/// path are comparable between prefixes.
const TARGET: &str = "/opt/worker";

/// Writes the worker channel, with `share/clash.txt` in both xtb and crest
/// so rattler has a path to clobber, into `dir/channel`; returns the mirror.
fn clobbering_channel(dir: &Path) -> String {
    let spec = ChannelSpec::worker()
        .map_package("xtb", |p| {
            p.with_file(FileSpec::new("share/clash.txt", "from xtb\n"))
        })
        .map_package("crest", |p| {
            p.with_file(FileSpec::new("share/clash.txt", "from crest\n"))
        });
    let channel = dir.join("channel");
    write_channel(&spec, &channel);
    let url = url::Url::from_directory_path(&channel).unwrap();
    format!("conda-forge={url}")
}

/// Solves `dependencies` for linux-64 into `dir/locks/NAME.lock`.
fn solve(dir: &Path, mirror: &str, name: &str, dependencies: &[&str]) {
    let mut text = String::from("channels: [conda-forge]\ndependencies:\n");
    for dependency in dependencies {
        text.push_str(&format!("  - {dependency}\n"));
    }
    let file = format!("{name}.yaml");
    std::fs::write(dir.join(&file), text).unwrap();
    let solved = envlock(
        dir,
        &[
            "solve",
            "-f",
            &file,
            "-p",
            "linux-64",
            "--mirror",
            mirror,
            "--cache-dir",
            "cache",
        ],
    );
    assert_exit(&solved, 0);
}

/// Installs `dir/locks/NAME.lock` for linux-64 into `dir/PREFIX`, to run from [`TARGET`].
fn install(dir: &Path, mirror: &str, name: &str, prefix: &str) {
    let lock = format!("locks/{name}.lock");
    let installed = envlock(
        dir,
        &[
            "install",
            &lock,
            "--prefix",
            prefix,
            "--platform",
            "linux-64",
            "--target-prefix",
            TARGET,
            "--mirror",
            mirror,
            "--cache-dir",
            "cache",
        ],
    );
    assert_exit(&installed, 0);
}

/// Returns the paths whose contents or modes differ between two trees.
fn differing(one: &Path, two: &Path) -> Vec<String> {
    let (one, two) = (snapshot(one), snapshot(two));
    one.keys()
        .chain(two.keys())
        .filter(|path| one.get(*path) != two.get(*path))
        .map(|path| path.display().to_string())
        .collect()
}

#[test]
fn new_and_updated_prefixes_are_identical() {
    let dir = test_dir("install-records-update");
    let mirror = clobbering_channel(&dir);
    solve(&dir, &mirror, "small", &["python=3.11", "xtb"]);
    solve(
        &dir,
        &mirror,
        "full",
        &["python=3.11", "xtb", "crest", "nwchem"],
    );

    // Linked by envlock into a staging directory.
    install(&dir, &mirror, "full", "new");
    // Linked by rattler's installer into an existing environment.
    install(&dir, &mirror, "small", "updated");
    install(&dir, &mirror, "full", "updated");

    let differences = differing(&dir.join("new"), &dir.join("updated"));
    assert!(
        differences.is_empty(),
        "a new prefix and an updated one differ in: {differences:?}"
    );
    let clash = std::fs::read_to_string(dir.join("new/share/clash.txt")).unwrap();
    assert!(clash.starts_with("from "), "{clash}");
}

#[test]
fn repeated_installs_with_clobbered_paths_are_identical() {
    let dir = test_dir("install-records-clobber");
    let mirror = clobbering_channel(&dir);
    solve(
        &dir,
        &mirror,
        "full",
        &["python=3.11", "xtb", "crest", "nwchem"],
    );
    install(&dir, &mirror, "full", "first");
    for attempt in 0..4 {
        let prefix = format!("again-{attempt}");
        install(&dir, &mirror, "full", &prefix);
        let differences = differing(&dir.join("first"), &dir.join(&prefix));
        assert!(
            differences.is_empty(),
            "install {attempt} differs from the first in: {differences:?}"
        );
    }
    let clobbers = dir.join("first/__clobbers__");
    assert!(
        clobbers.is_dir(),
        "the losing copy of share/clash.txt is not kept under __clobbers__"
    );
}

#[test]
fn records_follow_umask_without_cache_paths() {
    let dir = test_dir("install-records-mode");
    let mirror = clobbering_channel(&dir);
    solve(&dir, &mirror, "small", &["python=3.11", "xtb"]);
    install(&dir, &mirror, "small", "env");
    // A file created the ordinary way shows the mode the umask gives.
    let probe = dir.join("probe");
    std::fs::write(&probe, "").unwrap();
    let expected = std::fs::metadata(&probe).unwrap().permissions().mode() & 0o777;

    let records: Vec<_> = std::fs::read_dir(dir.join("env/conda-meta"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    assert!(records.len() > 5, "{records:?}");
    for record in records {
        let mode = std::fs::metadata(&record).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, expected, "{} has mode {mode:o}", record.display());
        let value: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&record).unwrap()).unwrap();
        for key in ["extracted_package_dir", "package_tarball_full_path", "link"] {
            assert!(value.get(key).is_none(), "{} has {key}", record.display());
        }
        let keys: Vec<&String> = value.as_object().unwrap().keys().collect();
        let files = keys.iter().position(|k| *k == "files").unwrap();
        let paths = keys.iter().position(|k| *k == "paths_data").unwrap();
        assert!(
            files < paths,
            "{}: keys out of order: {keys:?}",
            record.display()
        );
    }
}
