//! Network faults injected by the loopback `ChannelServer` into `envlock
//! solve`, `check` and `install`: transient faults are retried and logged,
//! persistent faults end with exit code 4 and the URL, and nothing corrupt
//! stays in the cache.

mod common;

use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use common::{
    assert_exit, envlock, envlock_with_env, solve_worker_in, stderr, test_dir, worker_channel,
    worker_env_file,
};
use standin_channel::server::{ChannelServer, Fault};

const LOCK: &str = "locks/env-worker-arm64.lock";

/// Starts a server for the worker channel that stops itself after a minute idle.
fn serve() -> ChannelServer {
    ChannelServer::start(worker_channel())
        .expect("start server")
        .with_idle_timeout(Duration::from_secs(60))
}

fn mirror(server: &ChannelServer) -> String {
    format!("conda-forge={}", server.url())
}

fn solve(dir: &Path, server: &ChannelServer, cache: &str, vars: &[(&str, &str)]) -> Output {
    if !dir.join("env-worker-arm64.yaml").exists() {
        std::fs::copy(worker_env_file(), dir.join("env-worker-arm64.yaml")).expect("copy env file");
    }
    let mirror = mirror(server);
    let args = [
        "solve",
        "-v",
        "--ignore-pip",
        "-p",
        "linux-64",
        "--mirror",
        &mirror,
        "--cache-dir",
        cache,
    ];
    envlock_with_env(dir, &args, vars)
}

fn install(dir: &Path, server: &ChannelServer, prefix: &str, cache: &str) -> Output {
    let mirror = mirror(server);
    let args = [
        "install",
        "-v",
        LOCK,
        "-p",
        "linux-64",
        "--prefix",
        prefix,
        "--mirror",
        &mirror,
        "--cache-dir",
        cache,
        "--copy",
    ];
    envlock(dir, &args)
}

fn check(dir: &Path, server: &ChannelServer, cache: &str) -> Output {
    if !dir.join("env-worker-arm64.yaml").exists() {
        std::fs::copy(worker_env_file(), dir.join("env-worker-arm64.yaml")).expect("copy env file");
    }
    let mirror = mirror(server);
    envlock(
        dir,
        &[
            "check",
            "-v",
            "-p",
            "linux-64",
            "--mirror",
            &mirror,
            "--cache-dir",
            cache,
        ],
    )
}

/// Finds the path (relative to the channel) of the linux-64 archive whose name starts with `name-`.
fn archive_path(name: &str) -> String {
    let file = std::fs::read_dir(worker_channel().join("linux-64"))
        .expect("read channel")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .find(|file| file.starts_with(&format!("{name}-")) && file.ends_with(".conda"))
        .unwrap_or_else(|| panic!("no {name} archive in the channel"));
    format!("linux-64/{file}")
}

fn assert_retry_logged(output: &Output, path: &str) {
    let text = stderr(output);
    let line = text
        .lines()
        .find(|line| line.contains("retrying") && line.contains(path))
        .unwrap_or_else(|| panic!("no retry logged for {path}:\n{text}"));
    assert!(
        line.contains("attempt=1"),
        "the retry line lacks the attempt: {line}"
    );
}

fn transient_faults() -> Vec<(&'static str, Fault)> {
    vec![
        (
            "503-retry-after",
            Fault::Status {
                code: 503,
                retry_after: Some(1),
            },
        ),
        (
            "503",
            Fault::Status {
                code: 503,
                retry_after: None,
            },
        ),
        ("reset", Fault::Reset),
    ]
}

#[test]
fn solve_retries_transient_faults() {
    for (label, fault) in transient_faults() {
        let dir = test_dir(&format!("reliability-solve-{label}"));
        let server =
            serve().with_fault_times("linux-64/repodata_shards.msgpack.zst", fault.clone(), 1);
        let output = solve(&dir, &server, "cache", &[]);
        assert_exit(&output, 0);
        assert_retry_logged(&output, "linux-64/repodata_shards.msgpack.zst");
        let served = server
            .requests()
            .iter()
            .filter(|r| r.path == "/linux-64/repodata_shards.msgpack.zst")
            .count();
        assert_eq!(
            served, 2,
            "{label}: expected one failed and one retried request"
        );
    }
}

#[test]
fn solve_retries_truncated_shard() {
    let dir = test_dir("reliability-solve-truncated");
    let server = serve().with_fault_times(
        "linux-64/repodata_shards.msgpack.zst",
        Fault::TruncateBody { after_bytes: 10 },
        1,
    );
    let output = solve(&dir, &server, "cache", &[]);
    assert_exit(&output, 0);
    assert!(dir.join(LOCK).is_file());
}

#[test]
fn solve_persistent_500_fails_with_url() {
    let dir = test_dir("reliability-solve-500");
    let server = serve().with_fault(
        "linux-64/*",
        Fault::Status {
            code: 500,
            retry_after: None,
        },
    );
    let started = Instant::now();
    let output = solve(&dir, &server, "cache", &[]);
    assert_exit(&output, 4);
    let text = stderr(&output);
    assert!(
        text.contains(&server.url().to_string()),
        "the error does not name the URL:\n{text}"
    );
    assert!(text.contains("giving up"), "{text}");
    assert!(
        started.elapsed() < Duration::from_secs(120),
        "took {:?}",
        started.elapsed()
    );
    let attempts = server
        .requests()
        .iter()
        .filter(|r| r.path == "/linux-64/repodata_shards.msgpack.zst")
        .count();
    eprintln!(
        "{attempts} requests for the shard index in {:?}",
        started.elapsed()
    );
    assert_eq!(
        attempts, 4,
        "the shard index was not tried exactly four times"
    );
    assert!(!dir.join(LOCK).exists());
}

#[test]
fn solve_missing_shards_fall_back() {
    let dir = test_dir("reliability-solve-no-shards");
    let server = serve().with_fault(
        "*repodata_shards*",
        Fault::Status {
            code: 404,
            retry_after: None,
        },
    );
    let output = solve(&dir, &server, "cache", &[]);
    assert_exit(&output, 0);
    let requests = server.requests();
    assert!(
        requests
            .iter()
            .any(|r| r.path.starts_with("/linux-64/repodata.json") && r.status == 200),
        "{requests:?}"
    );
}

#[test]
fn solve_stall_times_out() {
    let dir = test_dir("reliability-solve-stall");
    let server = serve().with_fault(
        "linux-64/*",
        Fault::Stall {
            delay: Duration::from_secs(300),
        },
    );
    let started = Instant::now();
    let output = solve(&dir, &server, "cache", &[("ENVLOCK_HTTP_TIMEOUT", "1")]);
    let elapsed = started.elapsed();
    assert_exit(&output, 4);
    let text = stderr(&output);
    assert!(text.contains(&server.url().to_string()), "{text}");
    assert!(
        elapsed < Duration::from_secs(90),
        "a stalled server held the solve for {elapsed:?}"
    );
}

#[test]
fn invalid_timeout_is_rejected() {
    let dir = test_dir("reliability-bad-timeout");
    let server = serve();
    let output = solve(&dir, &server, "cache", &[("ENVLOCK_HTTP_TIMEOUT", "soon")]);
    assert_exit(&output, 2);
    assert!(
        stderr(&output).contains("ENVLOCK_HTTP_TIMEOUT"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn install_retries_transient_faults() {
    let dir = test_dir("reliability-install-transient");
    solve_worker_in(&dir, &["linux-64"]);
    let mut faults = transient_faults();
    faults.push(("truncated", Fault::TruncateBody { after_bytes: 100 }));
    faults.push((
        "wrong-length",
        Fault::WrongContentLength { declared: 1 << 20 },
    ));
    for (index, (label, fault)) in faults.into_iter().enumerate() {
        let path = archive_path("xtb");
        let server = serve().with_fault_times(&path, fault, 1);
        let prefix = format!("env-{index}");
        let output = install(&dir, &server, &prefix, &format!("cache-{index}"));
        assert_exit(&output, 0);
        assert!(
            dir.join(&prefix).join("bin/xtb").exists(),
            "{label}: xtb is not installed"
        );
        if index < 3 {
            // Failures before the headers go through the retry middleware,
            // which logs them. rattler's package cache repeats a broken body
            // without a log line.
            assert_retry_logged(&output, &path);
        }
        let served = server
            .requests()
            .iter()
            .filter(|r| r.path == format!("/{path}"))
            .count();
        assert!(served >= 2, "{label}: the archive was not fetched again");
    }
}

#[test]
fn install_persistent_500_fails() {
    let dir = test_dir("reliability-install-500");
    solve_worker_in(&dir, &["linux-64"]);
    let path = archive_path("xtb");
    let server = serve().with_fault(
        &path,
        Fault::Status {
            code: 500,
            retry_after: None,
        },
    );
    let started = Instant::now();
    let output = install(&dir, &server, "env", "cache");
    assert_exit(&output, 4);
    let text = stderr(&output);
    assert!(text.contains("xtb"), "{text}");
    assert!(
        text.contains(&format!("{}{path}", server.url())),
        "the error does not name the URL:\n{text}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(180),
        "took {:?}",
        started.elapsed()
    );
    assert!(!dir.join("env").exists());
    // The retry middleware sends each request at most 4 times, and rattler's
    // package cache repeats the download at most 4 times.
    let attempts = server
        .requests()
        .iter()
        .filter(|r| r.path == format!("/{path}"))
        .count();
    eprintln!("{attempts} requests for {path} in {:?}", started.elapsed());
    assert!(
        (4..=16).contains(&attempts),
        "{attempts} requests for a persistently failing archive"
    );
}

#[test]
fn truncated_download_leaves_cache_usable() {
    let dir = test_dir("reliability-cache-truncated");
    solve_worker_in(&dir, &["linux-64"]);
    let path = archive_path("xtb");
    let server = serve().with_fault(&path, Fault::TruncateBody { after_bytes: 200 });
    let output = install(&dir, &server, "env", "cache");
    assert_ne!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(!dir.join("env").exists());

    server.clear_faults();
    let healthy = install(&dir, &server, "env", "cache");
    assert_exit(&healthy, 0);
    assert!(dir.join("env/bin/xtb").exists());
}

#[test]
fn check_retries_transient_faults() {
    let mut faults = transient_faults();
    faults.push(("truncated", Fault::TruncateBody { after_bytes: 100 }));
    for (label, fault) in faults {
        let dir = test_dir(&format!("reliability-check-{label}"));
        let path = archive_path("xtb");
        let server = serve().with_fault_times(&path, fault, 1);
        let output = check(&dir, &server, "cache");
        assert_exit(&output, 0);
        assert_retry_logged(&output, &path);
    }
}

#[test]
fn check_persistent_500_fails() {
    let dir = test_dir("reliability-check-500");
    let path = archive_path("xtb");
    let server = serve().with_fault(
        &path,
        Fault::Status {
            code: 500,
            retry_after: None,
        },
    );
    let output = check(&dir, &server, "cache");
    assert_exit(&output, 4);
    let text = stderr(&output);
    assert!(
        text.contains(&format!("{}{path}", server.url())),
        "the error does not name the URL:\n{text}"
    );
}

#[test]
fn concurrent_installs_share_cache() {
    let dir = test_dir("reliability-concurrent");
    solve_worker_in(&dir, &["linux-64"]);
    let server = serve().with_fault(
        "*.conda",
        Fault::Slow {
            bytes_per_second: 200_000,
        },
    );
    let mirror = mirror(&server);
    let spawn = |prefix: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_envlock"))
            .args([
                "install",
                LOCK,
                "-p",
                "linux-64",
                "--prefix",
                prefix,
                "--mirror",
                &mirror,
                "--cache-dir",
                "cache",
                "--copy",
            ])
            .current_dir(&dir)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn envlock")
    };
    let first = spawn("env-a");
    let second = spawn("env-b");
    let first = first.wait_with_output().expect("wait");
    let second = second.wait_with_output().expect("wait");
    assert_exit(&first, 0);
    assert_exit(&second, 0);
    assert!(dir.join("env-a/bin/xtb").exists());
    assert!(dir.join("env-b/bin/xtb").exists());
}
