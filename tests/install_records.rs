//! The `conda-meta` records and the layout of installed prefixes: a new
//! prefix (linked by envlock) and an updated one (linked by rattler's
//! installer) must come out the same, whatever order packages were linked in.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use common::{
    assert_exit, envlock, envlock_with_env, snapshot, solve_linux_64, stderr, test_dir,
    write_mirror,
};
use standin_channel::server::ChannelServer;
use standin_channel::{ChannelSpec, FileSpec};

/// The target prefix of every install, so files that contain the prefix
/// path are comparable between prefixes.
const TARGET: &str = "/opt/worker";

/// Writes the worker channel, with `share/clash.txt` in both xtb and crest
/// so rattler has a path to clobber, into `dir/channel`, and returns the
/// mirror value.
fn clobbering_channel(dir: &Path) -> String {
    let spec = ChannelSpec::worker()
        .map_package("xtb", |p| {
            p.with_file(FileSpec::new("share/clash.txt", "from xtb\n"))
        })
        .map_package("crest", |p| {
            p.with_file(FileSpec::new("share/clash.txt", "from crest\n"))
        });
    write_mirror(&spec, dir)
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
fn differing(first: &Path, second: &Path) -> Vec<String> {
    let (first, second) = (snapshot(first), snapshot(second));
    first
        .keys()
        .chain(second.keys())
        .filter(|path| first.get(*path) != second.get(*path))
        .map(|path| path.display().to_string())
        .collect()
}

#[test]
fn new_and_updated_prefixes_are_identical() {
    let dir = test_dir("install-records-update");
    let mirror = clobbering_channel(&dir);
    solve_linux_64(&dir, &mirror, "small", &["python=3.11", "xtb"]);
    solve_linux_64(
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
    solve_linux_64(
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
    solve_linux_64(&dir, &mirror, "small", &["python=3.11", "xtb"]);
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

/// Installs `dir/locks/NAME.lock` into `dir/PREFIX` from the HTTP `mirror`
/// with envlock's debug log on, and returns stderr.
fn install_logged(dir: &Path, mirror: &str, name: &str, prefix: &str) -> String {
    let lock = format!("locks/{name}.lock");
    let args = [
        "install",
        &lock,
        "--prefix",
        prefix,
        "--platform",
        "linux-64",
        "--mirror",
        mirror,
        "--cache-dir",
        "cache",
    ];
    let output = envlock_with_env(dir, &args, &[("RUST_LOG", "envlock=debug")]);
    assert_exit(&output, 0);
    stderr(&output)
}

#[test]
fn warm_cache_install_builds_no_client() {
    let dir = test_dir("install-records-client");
    clobbering_channel(&dir);
    let server = ChannelServer::start(&dir.join("channel")).expect("start server");
    let mirror = format!("conda-forge={}", server.url());
    solve_linux_64(&dir, &mirror, "small", &["python=3.11", "xtb"]);

    let cold = install_logged(&dir, &mirror, "small", "cold");
    let warm = install_logged(&dir, &mirror, "small", "warm");

    assert!(
        cold.contains("building the HTTP client"),
        "the cold install downloaded without a client: {cold}"
    );
    assert!(
        !warm.contains("building the HTTP client"),
        "the warm install built an HTTP client: {warm}"
    );
}

#[test]
fn install_logs_every_phase_time() {
    let dir = test_dir("install-records-timing");
    let mirror = clobbering_channel(&dir);
    solve_linux_64(&dir, &mirror, "small", &["python=3.11", "xtb"]);

    let log = install_logged(&dir, &mirror, "small", "env");

    for phase in [
        "read input",
        "fetch",
        "validate",
        "link",
        "scrub conda-meta",
        "pip",
        "activation",
        "commit",
    ] {
        assert!(
            log.contains(&format!("phase finished phase=\"{phase}\"")),
            "no time logged for the {phase} phase: {log}"
        );
    }
}
