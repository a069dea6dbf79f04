//! `--run-post-link-scripts` on both link paths: a new prefix (linked by
//! envlock) and an existing one (updated by rattler's installer). A script
//! that fails must fail the install, since rattler itself only logs it.

mod common;

use std::path::Path;

use common::{assert_exit, envlock, solve_linux_64, stderr, test_dir, write_mirror};
use standin_channel::{ChannelSpec, FileSpec};

/// The post-link script xtb gets: it leaves a marker file and a message.
const WORKING_SCRIPT: &str = "#!/bin/sh\necho ran > \"$PREFIX/share/xtb-post-link-ran\"\necho \"xtb post-link message\" >> \"$PREFIX/.messages.txt\"\n";

/// A post-link script that fails.
const FAILING_SCRIPT: &str = "#!/bin/sh\necho \"xtb post-link failing\" >&2\nexit 3\n";

/// Writes the worker channel with `script` as xtb's post-link script into
/// `dir/channel`, and returns the mirror argument for it.
fn channel_with_script(dir: &Path, script: &str) -> String {
    let spec = ChannelSpec::worker().map_package("xtb", |p| {
        p.with_file(FileSpec::executable("bin/.xtb-post-link.sh", script))
    });
    write_mirror(&spec, dir)
}

/// Installs `dir/locks/NAME.lock` into `dir/env` with the post-link scripts run.
fn install(dir: &Path, mirror: &str, name: &str) -> std::process::Output {
    install_with(dir, mirror, name, &["--run-post-link-scripts"])
}

/// Installs `dir/locks/NAME.lock` into `dir/env` with `extra` arguments.
fn install_with(dir: &Path, mirror: &str, name: &str, extra: &[&str]) -> std::process::Output {
    let lock = format!("locks/{name}.lock");
    let mut args = vec![
        "install",
        &lock,
        "--prefix",
        "env",
        "--platform",
        "linux-64",
        "--mirror",
        mirror,
        "--cache-dir",
        "cache",
    ];
    args.extend_from_slice(extra);
    envlock(dir, &args)
}

#[test]
fn script_runs_in_new_prefix() {
    let dir = test_dir("post-link-new");
    let mirror = channel_with_script(&dir, WORKING_SCRIPT);
    solve_linux_64(&dir, &mirror, "xtb", &["python=3.11", "xtb"]);

    let installed = install(&dir, &mirror, "xtb");

    assert_exit(&installed, 0);
    assert!(
        dir.join("env/share/xtb-post-link-ran").is_file(),
        "the post-link script did not run"
    );
    assert!(
        stderr(&installed).contains("xtb post-link message"),
        "the script's message is not shown: {}",
        stderr(&installed)
    );
}

#[test]
fn script_runs_in_updated_prefix() {
    let dir = test_dir("post-link-update");
    let mirror = channel_with_script(&dir, WORKING_SCRIPT);
    solve_linux_64(&dir, &mirror, "python", &["python=3.11"]);
    solve_linux_64(&dir, &mirror, "xtb", &["python=3.11", "xtb"]);
    assert_exit(&install(&dir, &mirror, "python"), 0);

    let updated = install(&dir, &mirror, "xtb");

    assert_exit(&updated, 0);
    assert!(
        dir.join("env/share/xtb-post-link-ran").is_file(),
        "the post-link script did not run on update"
    );
    assert!(
        stderr(&updated).contains("xtb post-link message"),
        "the script's message is not shown: {}",
        stderr(&updated)
    );
}

#[test]
fn failing_script_fails_install() {
    let dir = test_dir("post-link-failing");
    let mirror = channel_with_script(&dir, FAILING_SCRIPT);
    solve_linux_64(&dir, &mirror, "xtb", &["python=3.11", "xtb"]);

    let failed = install(&dir, &mirror, "xtb");

    assert_exit(&failed, 7);
    let message = stderr(&failed);
    assert!(
        message.contains("post-link script of xtb failed"),
        "the failing package is not named: {message}"
    );
    assert!(
        !dir.join("env").exists(),
        "a failed install left a prefix behind"
    );
}

#[test]
fn script_of_installed_package_is_not_rerun() {
    let dir = test_dir("post-link-up-to-date");
    let mirror = channel_with_script(&dir, WORKING_SCRIPT);
    solve_linux_64(&dir, &mirror, "xtb", &["python=3.11", "xtb"]);
    assert_exit(&install_with(&dir, &mirror, "xtb", &[]), 0);

    let again = install_with(
        &dir,
        &mirror,
        "xtb",
        &["--run-post-link-scripts", "--format", "json"],
    );

    assert_exit(&again, 0);
    let report: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(report["post_link_scripts_ran"], false, "{report}");
    assert_eq!(report["post_link_scripts_requested"], true, "{report}");
    assert!(
        !dir.join("env/share/xtb-post-link-ran").exists(),
        "the script ran for a package that was already installed"
    );
    assert!(
        stderr(&again).contains("not run: the package was already installed"),
        "{}",
        stderr(&again)
    );
}

#[test]
fn failing_script_on_update_fails_again() {
    let dir = test_dir("post-link-failing-update");
    let mirror = channel_with_script(&dir, FAILING_SCRIPT);
    solve_linux_64(&dir, &mirror, "python", &["python=3.11"]);
    solve_linux_64(&dir, &mirror, "xtb", &["python=3.11", "xtb"]);
    assert_exit(&install(&dir, &mirror, "python"), 0);

    let first = install(&dir, &mirror, "xtb");
    let second = install(&dir, &mirror, "xtb");

    assert_exit(&first, 7);
    assert_exit(&second, 7);
    assert!(
        stderr(&second).contains("post-link script of xtb failed"),
        "{}",
        stderr(&second)
    );
}
