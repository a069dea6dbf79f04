//! `envlock solve` keeps locked versions, and `--update` moves only what it
//! names, against a stand-in channel that gained newer xtb and crest builds.

mod common;

use std::path::Path;

use common::{assert_exit, envlock, stderr, test_dir, worker_channel, write_channel};
use rattler_conda_types::Subdir;
use standin_channel::ChannelSpec;

const ENV: &str = "channels:\n  - conda-forge\nplatforms:\n  - linux-64\n  - linux-aarch64\ndependencies:\n  - python=3.11\n  - xtb>=6.7\n  - crest>=3.0\n";

fn versions(dir: &Path) -> Vec<(Subdir, String, String)> {
    let lock = envlock::lock::ReadLock::from_path(&dir.join("locks/env.lock")).unwrap();
    let mut out = Vec::new();
    for platform in [Subdir::Linux64, Subdir::LinuxAarch64] {
        for record in lock.records(platform) {
            let name = record.package_record.name.as_normalized().to_string();
            if name == "xtb" || name == "crest" {
                out.push((platform, name, record.package_record.version.to_string()));
            }
        }
    }
    out.sort();
    out
}

fn version_of(list: &[(Subdir, String, String)], name: &str) -> Vec<String> {
    list.iter()
        .filter(|(_, n, _)| n == name)
        .map(|(_, _, v)| v.clone())
        .collect()
}

fn solve(dir: &Path, mirror: &str, extra: &[&str]) {
    let mut args = vec![
        "solve",
        "-f",
        "env.yaml",
        "--mirror",
        mirror,
        "--cache-dir",
        "cache",
    ];
    args.extend_from_slice(extra);
    let output = envlock(dir, &args);
    assert_exit(&output, 0);
}

#[test]
fn update_moves_only_named_packages() {
    let dir = test_dir("solve-update");
    std::fs::write(dir.join("env.yaml"), ENV).unwrap();
    let old_mirror = format!(
        "conda-forge={}",
        url::Url::from_directory_path(worker_channel()).unwrap()
    );
    solve(&dir, &old_mirror, &[]);
    let before = versions(&dir);
    assert_eq!(version_of(&before, "xtb"), ["6.7.1", "6.7.1"]);
    assert_eq!(version_of(&before, "crest"), ["3.0.2", "3.0.2"]);

    let newer = dir.join("newer-channel");
    write_channel(&ChannelSpec::worker().with_newer_xtb_crest(), &newer);
    let new_mirror = format!(
        "conda-forge={}",
        url::Url::from_directory_path(&newer).unwrap()
    );

    solve(&dir, &new_mirror, &[]);
    assert_eq!(
        versions(&dir),
        before,
        "a plain solve moved locked packages"
    );

    std::fs::write(
        dir.join("env.yaml"),
        ENV.replace("  - python=3.11\n", "  - python=3.11\n  - pip\n"),
    )
    .unwrap();
    solve(&dir, &new_mirror, &[]);
    assert_eq!(
        versions(&dir),
        before,
        "adding an unrelated spec moved locked packages"
    );

    solve(&dir, &new_mirror, &["--update", "crest"]);
    let after_crest = versions(&dir);
    assert_eq!(
        version_of(&after_crest, "crest"),
        ["3.0.3", "3.0.3"],
        "crest did not move"
    );
    assert_eq!(
        version_of(&after_crest, "xtb"),
        ["6.7.1", "6.7.1"],
        "xtb moved although only crest was named"
    );

    solve(&dir, &new_mirror, &["--update"]);
    let after_all = versions(&dir);
    assert_eq!(version_of(&after_all, "xtb"), ["6.7.2", "6.7.2"]);
    assert_eq!(version_of(&after_all, "crest"), ["3.0.3", "3.0.3"]);
}

#[test]
fn update_unknown_name_fails() {
    let dir = test_dir("solve-update-unknown");
    std::fs::write(dir.join("env.yaml"), ENV).unwrap();
    let mirror = format!(
        "conda-forge={}",
        url::Url::from_directory_path(worker_channel()).unwrap()
    );
    solve(&dir, &mirror, &[]);
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
            "--update",
            "crset",
        ],
    );
    assert_exit(&output, 2);
    assert!(
        stderr(&output).contains("no conda or PyPI package named crset"),
        "{}",
        stderr(&output)
    );
}
