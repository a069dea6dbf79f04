//! Broken lockfiles and explicit files given to `envlock install` and
//! `envlock diff`: each ends with a clear error and exit code 2, never a
//! panic. The cases are rattler's own invalid lockfiles (read from
//! `ENVLOCK_REALDATA`), broken variants of a lock that envlock wrote, and
//! broken explicit files. The fuzzers' regression inputs run here too.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{assert_exit, envlock, realdata, solve_worker_in, stderr, test_dir};

/// Asserts an input error: exit code 2, a message naming the file, no panic.
fn assert_input_error(output: &Output, file: &Path, what: &str) {
    let text = stderr(output);
    assert_eq!(
        output.status.code(),
        Some(2),
        "{what}: expected exit code 2\nstderr:\n{text}"
    );
    assert!(
        !text.contains("panicked"),
        "{what}: envlock panicked:\n{text}"
    );
    let name = file.file_name().expect("file name").to_string_lossy();
    assert!(
        text.contains(name.as_ref()),
        "{what}: the error does not name {name}:\n{text}"
    );
}

fn install(dir: &Path, file: &Path) -> Output {
    let file = file.to_str().expect("utf-8 path");
    envlock(
        dir,
        &[
            "install",
            file,
            "-p",
            "linux-64",
            "--prefix",
            "env",
            "--cache-dir",
            "cache",
        ],
    )
}

fn diff(dir: &Path, old: &Path, new: &Path) -> Output {
    envlock(
        dir,
        &[
            "diff",
            old.to_str().expect("utf-8 path"),
            new.to_str().expect("utf-8 path"),
        ],
    )
}

/// A lock that envlock wrote for linux-64, solved once per test process.
fn valid_lock() -> PathBuf {
    static LOCK: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    LOCK.get_or_init(|| {
        let dir = test_dir("reliability-input-valid");
        solve_worker_in(&dir, &["linux-64"]);
        dir.join("locks/env-worker-arm64.lock")
    })
    .clone()
}

/// Broken variants of a valid lock, as (name, contents).
fn broken_locks(valid: &str) -> Vec<(&'static str, Vec<u8>)> {
    let first_sha = valid
        .lines()
        .find(|line| line.trim_start().starts_with("sha256:"))
        .expect("a sha256 line")
        .to_string();
    let first_url = valid
        .lines()
        .find(|line| line.trim_start().starts_with("- conda:"))
        .expect("a conda line")
        .to_string();
    vec![
        ("empty.lock", Vec::new()),
        ("binary.lock", vec![0xff, 0xfe, 0x00, 0x9c, 0x80, 0x81]),
        ("scalar.lock", b"just a string\n".to_vec()),
        ("list.lock", b"- 1\n- 2\n".to_vec()),
        ("future-version.lock", valid.replacen("version: 7", "version: 99", 1).into_bytes()),
        ("text-version.lock", valid.replacen("version: 7", "version: seven", 1).into_bytes()),
        ("truncated.lock", valid.as_bytes()[..valid.len() / 2].to_vec()),
        ("bad-sha.lock", valid.replacen(&first_sha, "    sha256: not-hex", 1).into_bytes()),
        ("bad-url.lock", valid.replacen(&first_url, "  - conda: ::not a url::", 1).into_bytes()),
        ("tabs.lock", valid.replacen("version: 7", "version:\t\t7\n\t- x", 1).into_bytes()),
        ("deep.lock", format!("version: 7\nenvironments: {}{}\n", "[".repeat(5000), "]".repeat(5000)).into_bytes()),
        ("no-packages.lock", b"version: 7\nenvironments:\n  default:\n    channels: []\n    packages:\n      linux-64:\n      - conda: https://example.invalid/linux-64/a-1-0.conda\n".to_vec()),
    ]
}

/// Broken explicit files, as (name, contents).
fn broken_explicit_files() -> Vec<(&'static str, &'static str)> {
    let sha = "0".repeat(64);
    let leak = |text: String| -> &'static str { Box::leak(text.into_boxed_str()) };
    vec![
        ("no-hash.txt", "# platform: linux-64\n@EXPLICIT\nhttps://conda.anaconda.org/conda-forge/linux-64/a-1-0.conda\n"),
        ("short-hash.txt", "# platform: linux-64\n@EXPLICIT\nhttps://conda.anaconda.org/conda-forge/linux-64/a-1-0.conda#abc\n"),
        ("bad-hex.txt", leak(format!("# platform: linux-64\n@EXPLICIT\nhttps://conda.anaconda.org/conda-forge/linux-64/a-1-0.conda#{}\n", "z".repeat(64)))),
        ("not-url.txt", leak(format!("# platform: linux-64\n@EXPLICIT\nnot a url#{sha}\n"))),
        ("not-archive.txt", leak(format!("# platform: linux-64\n@EXPLICIT\nhttps://conda.anaconda.org/conda-forge/linux-64/readme.txt#{sha}\n"))),
        ("bad-platform.txt", leak(format!("# platform: linux-99\n@EXPLICIT\nhttps://conda.anaconda.org/conda-forge/linux-64/a-1-0.conda#{sha}\n"))),
        ("bare-name.txt", leak(format!("# platform: linux-64\n@EXPLICIT\n.conda#{sha}\n"))),
        ("ftp.txt", leak(format!("# platform: linux-64\n@EXPLICIT\nftp://example.invalid/linux-64/a-1-0.conda#{sha}\n"))),
        ("nul.txt", "# platform: linux-64\n@EXPLICIT\n\0\0\0\n"),
        ("option.txt", "# platform: linux-64\n@EXPLICIT\n--index-url https://example.invalid\n"),
    ]
}

#[test]
fn rattler_invalid_locks_are_rejected() {
    let Some(realdata) = realdata() else { return };
    let folder = realdata.join("peers/rattler/test-data/lock_parse_fails/v7");
    let dir = test_dir("reliability-input-rattler");
    let valid = valid_lock();
    let mut count = 0;
    for entry in std::fs::read_dir(&folder).expect("lock_parse_fails folder") {
        let path = entry.expect("entry").path();
        let what = path.display().to_string();
        assert_input_error(&install(&dir, &path), &path, &format!("install {what}"));
        assert_input_error(
            &diff(&dir, &valid, &path),
            &path,
            &format!("diff valid {what}"),
        );
        assert_input_error(
            &diff(&dir, &path, &valid),
            &path,
            &format!("diff {what} valid"),
        );
        count += 1;
    }
    assert!(
        count >= 6,
        "expected rattler's six invalid v7 lockfiles, found {count}"
    );
    assert!(!dir.join("env").exists());
}

#[test]
fn broken_locks_are_rejected() {
    let dir = test_dir("reliability-input-locks");
    let valid = valid_lock();
    let text = std::fs::read_to_string(&valid).unwrap();
    for (name, contents) in broken_locks(&text) {
        let path = dir.join(name);
        std::fs::write(&path, contents).unwrap();
        assert_input_error(&install(&dir, &path), &path, &format!("install {name}"));
        assert_input_error(&diff(&dir, &valid, &path), &path, &format!("diff {name}"));
    }
    assert!(!dir.join("env").exists());
}

#[test]
fn broken_explicit_files_are_rejected() {
    let dir = test_dir("reliability-input-explicit");
    for (name, contents) in broken_explicit_files() {
        let path = dir.join(name);
        std::fs::write(&path, contents).unwrap();
        assert_input_error(&install(&dir, &path), &path, &format!("install {name}"));
    }
    assert!(!dir.join("env").exists());
}

#[test]
fn valid_lock_still_installs() {
    let dir = test_dir("reliability-input-control");
    let mirror = common::worker_mirror();
    let valid = valid_lock();
    let output = envlock(
        &dir,
        &[
            "install",
            valid.to_str().unwrap(),
            "-p",
            "linux-64",
            "--prefix",
            "env",
            "--mirror",
            &mirror,
            "--cache-dir",
            "cache",
            "--copy",
        ],
    );
    assert_exit(&output, 0);
}

/// Every input under `tests/data/reliability/fuzz/<target>/` once went
/// through the fuzz target of the same name; it must not panic.
#[test]
fn fuzz_regressions_do_not_panic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/reliability/fuzz");
    let mut count = 0;
    for target in ["envfile", "selector", "explicit", "lockfile"] {
        let Ok(entries) = std::fs::read_dir(root.join(target)) else {
            continue;
        };
        for entry in entries {
            let path = entry.expect("entry").path();
            let bytes = std::fs::read(&path).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            let outcome = std::panic::catch_unwind(|| run_target(target, &text));
            assert!(outcome.is_ok(), "{target} panicked on {}", path.display());
            count += 1;
        }
    }
    eprintln!("ran {count} fuzz regression inputs");
}

/// Runs one input through the parser a fuzz target exercises.
fn run_target(target: &str, text: &str) {
    let path = Path::new("fuzz-input");
    match target {
        "envfile" => drop(envlock::envfile::EnvironmentFile::from_source(text, path)),
        "selector" => drop(envlock::envfile::Selector::parse(text)),
        "explicit" => drop(envlock::install::input::parse_explicit(
            path,
            text,
            envlock::install::HashPolicy::AllowUnhashed,
        )),
        "lockfile" => {
            if let Ok(read) =
                envlock::lock::ReadLock::from_text(text, Path::new("/fuzz/input.lock"))
            {
                for platform in read.platforms() {
                    drop(read.records(platform));
                    drop(read.pypi_packages(platform));
                }
            }
        }
        other => panic!("unknown fuzz target {other}"),
    }
}
