//! `envlock install` SIGKILLed while it downloads, extracts, and writes the
//! activation files (tests/install.rs covers linking): a re-run with the
//! same cache completes to the same tree as an uninterrupted install.

mod common;

use std::collections::BTreeMap;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{assert_exit, envlock, snapshot, solve_worker_in, test_dir, worker_channel};
use standin_channel::server::{ChannelServer, Fault};

const LOCK: &str = "locks/env-worker-arm64.lock";

fn install_args<'a>(mirror: &'a str, cache: &'a str) -> Vec<&'a str> {
    vec![
        "install",
        LOCK,
        "-p",
        "linux-64",
        "--prefix",
        "env",
        "--mirror",
        mirror,
        "--cache-dir",
        cache,
        "--copy",
    ]
}

/// The number of conda packages locked for linux-64.
fn package_count(dir: &Path) -> usize {
    std::fs::read_to_string(dir.join("locks/env-worker-arm64.linux-64.txt"))
        .unwrap()
        .lines()
        .filter(|line| line.contains("://"))
        .count()
}

/// Starts an install and SIGKILLs it once `reached` holds, polling for at
/// most a minute. Returns whether the kill landed before the install ended.
fn kill_when(dir: &Path, mirror: &str, cache: &str, reached: impl Fn() -> bool) -> bool {
    let mut child = Command::new(env!("CARGO_BIN_EXE_envlock"))
        .args(install_args(mirror, cache))
        .current_dir(dir)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !reached() && Instant::now() < deadline {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    let _ = child.kill();
    child.wait().unwrap().signal() == Some(9)
}

/// Extracted package directories in a platform cache.
fn cached_packages(cache: &Path) -> usize {
    std::fs::read_dir(cache)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|entry| entry.path().join("info/index.json").exists())
                .count()
        })
        .unwrap_or(0)
}

/// Installs once uninterrupted and returns the tree, then removes it.
fn reference(dir: &Path, mirror: &str) -> BTreeMap<PathBuf, (u32, Vec<u8>)> {
    assert_exit(&envlock(dir, &install_args(mirror, "reference-cache")), 0);
    let tree = snapshot(&dir.join("env"));
    std::fs::remove_dir_all(dir.join("env")).unwrap();
    tree
}

fn assert_rerun_matches(
    dir: &Path,
    mirror: &str,
    cache: &str,
    expected: &BTreeMap<PathBuf, (u32, Vec<u8>)>,
    stage: &str,
) {
    assert!(
        !dir.join("env").exists(),
        "{stage}: a killed install of a new prefix left the prefix"
    );
    assert_exit(&envlock(dir, &install_args(mirror, cache)), 0);
    let tree = snapshot(&dir.join("env"));
    let differing: Vec<_> = expected
        .keys()
        .chain(tree.keys())
        .filter(|path| expected.get(*path) != tree.get(*path))
        .collect();
    assert!(
        differing.is_empty(),
        "{stage}: the re-run differs from an uninterrupted install in {differing:?}"
    );
    assert!(
        !dir.join(".env.envlock-staging").exists(),
        "{stage}: the staging directory is left"
    );
    std::fs::remove_dir_all(dir.join("env")).unwrap();
}

#[test]
fn kill_during_download_then_rerun() {
    let dir = test_dir("reliability-kill-download");
    solve_worker_in(&dir, &["linux-64"]);
    let server = ChannelServer::start(worker_channel())
        .unwrap()
        .with_idle_timeout(Duration::from_secs(120));
    let mirror = format!("conda-forge={}", server.url());
    let expected = reference(&dir, &mirror);

    server.add_fault(
        "*.conda",
        Fault::Slow {
            bytes_per_second: 20_000,
        },
        None,
    );
    server.clear_requests();
    let cache = dir.join("cache/pkgs/linux-64");
    let killed = kill_when(&dir, &mirror, "cache", || {
        cache.is_dir()
            && server
                .requests()
                .iter()
                .any(|request| request.path.ends_with(".conda"))
    });
    assert!(
        killed,
        "the install ended before it could be killed during the download"
    );
    assert!(
        cached_packages(&cache) < package_count(&dir),
        "every package was cached before the kill"
    );

    server.clear_faults();
    assert_rerun_matches(&dir, &mirror, "cache", &expected, "download");
}

#[test]
fn kill_during_extraction_then_rerun() {
    let dir = test_dir("reliability-kill-extract");
    solve_worker_in(&dir, &["linux-64"]);
    let mirror = common::worker_mirror();
    let expected = reference(&dir, &mirror);
    let total = package_count(&dir);

    let cache = dir.join("cache/pkgs/linux-64");
    let staging = dir.join(".env.envlock-staging");
    let mut landed = false;
    for attempt in 0..5 {
        let killed = kill_when(&dir, &mirror, "cache", || cached_packages(&cache) >= 2);
        if killed && !staging.exists() && cached_packages(&cache) < total {
            landed = true;
            break;
        }
        eprintln!("attempt {attempt}: the kill did not land during extraction; retrying with an empty cache");
        let _ = std::fs::remove_dir_all(dir.join("cache"));
        let _ = std::fs::remove_dir_all(&staging);
        let _ = std::fs::remove_dir_all(dir.join("env"));
    }
    assert!(
        landed,
        "could not kill the install while it was extracting in five attempts"
    );
    assert_rerun_matches(&dir, &mirror, "cache", &expected, "extraction");
}

#[test]
fn kill_during_activation_then_rerun() {
    let dir = test_dir("reliability-kill-activation");
    solve_worker_in(&dir, &["linux-64"]);
    let mirror = common::worker_mirror();
    let expected = reference(&dir, &mirror);
    let total = package_count(&dir);
    // A warm cache makes the fetch instant, so linking starts at once and the
    // poll below can catch the moment after the last package is linked.
    assert_exit(&envlock(&dir, &install_args(&mirror, "cache")), 0);
    std::fs::remove_dir_all(dir.join("env")).unwrap();

    let staging = dir.join(".env.envlock-staging");
    let linked = |staging: &Path| {
        std::fs::read_dir(staging.join("conda-meta"))
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
                    .count()
            })
            .unwrap_or(0)
    };
    let mut landed = false;
    for attempt in 0..10 {
        let killed = kill_when(&dir, &mirror, "cache", || linked(&staging) >= total);
        if killed && staging.exists() && !dir.join("env").exists() {
            landed = true;
            break;
        }
        eprintln!("attempt {attempt}: the kill did not land after linking; retrying");
        let _ = std::fs::remove_dir_all(dir.join("env"));
    }
    assert!(
        landed,
        "could not kill the install after linking and before the rename in ten attempts"
    );
    assert_rerun_matches(&dir, &mirror, "cache", &expected, "activation");
}
