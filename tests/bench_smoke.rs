//! Runs `bench/run --smoke` once on a tiny channel so the benchmark script
//! keeps working. Nothing is asserted about times, only that the script runs
//! and writes a table with every section, and that a missing peer is named in
//! the table instead of failing the run.
//!
//! The script builds the `standin-channel` binaries with a nested
//! `cargo build`, needs `python3`, and takes the shapes of its large channel
//! from `ENVLOCK_REALDATA`.

mod common;

use std::path::Path;
use std::process::Command;

use common::{realdata, test_dir};

fn run_smoke(name: &str, extra: &[&str]) -> String {
    let realdata = realdata().expect("checked by the caller");
    let dir = test_dir(name);
    let report = dir.join("BENCHMARKS.md");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let output = Command::new("python3")
        .arg(root.join("bench/run"))
        .args([
            "--smoke",
            "--envlock",
            env!("CARGO_BIN_EXE_envlock"),
            "--out",
        ])
        .arg(&report)
        .arg("--work")
        .arg(dir.join("work"))
        .arg("--realdata")
        .arg(&realdata)
        .args(extra)
        .current_dir(root)
        .output()
        .expect("run python3 bench/run");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "bench/run --smoke failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(
        stdout.contains("time ratio envlock/peer"),
        "no table on stdout:\n{stdout}"
    );
    std::fs::read_to_string(&report).unwrap_or_else(|e| panic!("read {}: {e}", report.display()))
}

fn table_rows<'a>(report: &'a str, section: &str) -> Vec<&'a str> {
    let prefix = format!("| {section} |");
    report
        .lines()
        .filter(|line| line.starts_with(&prefix))
        .collect()
}

#[test]
fn smoke_run_writes_every_section() {
    if realdata().is_none() {
        return;
    }
    let report = run_smoke("bench-smoke", &[]);

    assert!(
        report.contains("## Machine"),
        "no machine section in:\n{report}"
    );
    assert!(
        report.contains("load average"),
        "no load average in:\n{report}"
    );
    assert_eq!(
        table_rows(&report, "1 solve").len(),
        5,
        "solve rows in:\n{report}"
    );
    assert_eq!(
        table_rows(&report, "2 install").len(),
        3,
        "install rows in:\n{report}"
    );
    assert_eq!(
        table_rows(&report, "3 check").len(),
        1,
        "check rows in:\n{report}"
    );
    for row in table_rows(&report, "1 solve") {
        let peer_measured = row.contains("same records");
        let peer_skipped = row.contains("py-rattler skipped");
        assert!(
            peer_measured || peer_skipped,
            "solve row neither compares nor names the skipped peer: {row}"
        );
        assert!(
            !row.contains("RECORDS DIFFER"),
            "envlock and py-rattler disagree: {row}"
        );
        assert!(
            row.contains("same as on the small stand-in"),
            "the large channel changes the worker's solution: {row}"
        );
    }
}

#[test]
fn smoke_run_without_peers_names_them() {
    if realdata().is_none() {
        return;
    }
    let report = run_smoke(
        "bench-smoke-no-peers",
        &["--without-peers", "--only", "solve", "--only", "install"],
    );

    let solve = table_rows(&report, "1 solve");
    assert_eq!(solve.len(), 5, "solve rows in:\n{report}");
    for row in solve {
        assert!(
            row.contains("py-rattler skipped"),
            "skipped peer not named: {row}"
        );
    }
    let install = table_rows(&report, "2 install");
    assert!(
        install.iter().any(|row| row.contains("py-rattler skipped")),
        "skipped install peer not named in:\n{report}"
    );
    assert!(
        install.iter().any(|row| row.contains("cp -a")),
        "cp -a peer missing in:\n{report}"
    );
}

/// Runs `bench/compare --smoke --runs 1` on the channel in `work` with
/// the given builds and cases.
fn run_compare(work: &Path, before: &str, after: &str, cases: &[&str]) -> std::process::Output {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    Command::new("python3")
        .arg(root.join("bench/compare"))
        .args([
            "--smoke", "--runs", "1", "--before", before, "--after", after,
        ])
        .arg("--work")
        .arg(work)
        .arg("--realdata")
        .arg(realdata().expect("checked by the caller"))
        .args(cases)
        .current_dir(root)
        .output()
        .expect("run python3 bench/compare")
}

#[test]
fn compare_smoke_prints_before_and_after() {
    if realdata().is_none() {
        return;
    }
    // bench/run writes the tiny channel and builds the stand-in binaries.
    run_smoke("bench-compare", &["--without-peers", "--only", "install"]);
    let work = Path::new(env!("CARGO_TARGET_TMPDIR")).join("envlock-tests/bench-compare/work");
    let envlock = env!("CARGO_BIN_EXE_envlock");

    let output = run_compare(
        &work,
        envlock,
        envlock,
        &["install-link", "solve-shards-cold"],
    );

    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "bench/compare --smoke failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    for case in ["install-link", "solve-shards-cold"] {
        assert!(
            stdout.contains(&format!("| before/after | {case} |")),
            "no {case} row in:\n{stdout}"
        );
    }

    // A binary that exits 0 without installing is reported, not timed.
    let not_envlock = run_compare(&work, "/bin/true", envlock, &["install-link"]);
    let stderr = String::from_utf8_lossy(&not_envlock.stderr);
    assert_eq!(not_envlock.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("did not write"), "{stderr}");
    assert!(!stderr.contains("Traceback"), "{stderr}");
}

#[test]
fn bench_scripts_reject_bad_arguments() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let envlock = env!("CARGO_BIN_EXE_envlock");
    let cases: [(&str, Vec<&str>, &str); 4] = [
        (
            "bench/run",
            vec!["--runs", "0"],
            "--runs must be at least 1",
        ),
        (
            "bench/run",
            vec!["--envlock", "/nonexistent/envlock"],
            "not an executable file",
        ),
        (
            "bench/compare",
            vec![
                "--before",
                "/nonexistent/envlock",
                "--after",
                envlock,
                "install-link",
            ],
            "not an executable file",
        ),
        (
            "bench/compare",
            vec!["--before", envlock, "--after", envlock, "no-such-case"],
            "invalid choice",
        ),
    ];
    for (script, args, expected) in cases {
        let output = Command::new("python3")
            .arg(root.join(script))
            .args(&args)
            .current_dir(root)
            .output()
            .expect("run python3");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{script} {args:?}: {stderr}");
        assert!(stderr.contains(expected), "{script} {args:?}: {stderr}");
    }
}
