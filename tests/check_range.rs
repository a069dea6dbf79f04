//! `envlock check` reading package file lists over HTTP: range requests
//! when the server honours them, a verified full download when it does not.

mod common;

use std::path::Path;
use std::process::Output;

use common::{assert_exit, envlock, stderr, test_dir, worker_env_file, write_channel};
use standin_channel::server::{ChannelServer, RequestRecord};
use standin_channel::ChannelSpec;

/// Size of the incompressible filler added to every nwchem build.
const FILLER_BYTES: usize = 8 * 1024 * 1024;

fn check_json(dir: &Path, mirror: &str, cache: &str) -> (Output, serde_json::Value) {
    let output = envlock(
        dir,
        &[
            "check",
            "--mirror",
            mirror,
            "--cache-dir",
            cache,
            "--format",
            "json",
        ],
    );
    let report = serde_json::from_slice(&output.stdout).unwrap_or(serde_json::Value::Null);
    (output, report)
}

fn nwchem_requests(requests: &[RequestRecord]) -> Vec<&RequestRecord> {
    requests
        .iter()
        .filter(|r| r.path.contains("/nwchem-") && r.path.ends_with(".conda"))
        .collect()
}

/// Sets up a channel with large nwchem archives, serves it, and locks the
/// worker environment against it; returns the server and the mirror value.
fn serve_and_lock(dir: &Path) -> (ChannelServer, String) {
    write_channel(
        &ChannelSpec::worker().with_nwchem_filler(FILLER_BYTES),
        &dir.join("channel"),
    );
    std::fs::copy(worker_env_file(), dir.join("env-worker-arm64.yaml")).expect("copy env file");
    let server = ChannelServer::start(&dir.join("channel")).expect("start server");
    let mirror = format!("conda-forge={}", server.url());
    let solved = envlock(
        dir,
        &[
            "solve",
            "--ignore-pip",
            "--mirror",
            &mirror,
            "--cache-dir",
            "cache",
        ],
    );
    assert_exit(&solved, 0);
    server.clear_requests();
    (server, mirror)
}

fn nwchem_content(report: &serde_json::Value) -> Vec<&serde_json::Value> {
    report["content"]
        .as_array()
        .expect("content")
        .iter()
        .filter(|p| p["package"] == "nwchem")
        .collect()
}

#[test]
fn range_requests_read_a_small_part() {
    let dir = test_dir("check-range");
    let (server, mirror) = serve_and_lock(&dir);

    let (output, report) = check_json(&dir, &mirror, "cache");
    assert_exit(&output, 0);
    let requests = server.requests();
    let nwchem = nwchem_content(&report);
    assert_eq!(nwchem.len(), 2, "{}", report["content"]);

    for package in nwchem {
        assert_eq!(package["source"], "lock", "{package}");
        let transfer = &package["transfer"];
        assert_eq!(transfer["method"], "range-requests", "{package}");

        let archive = package["archive"].as_str().unwrap();
        let platform = package["platform"].as_str().unwrap();
        let size = std::fs::metadata(dir.join("channel").join(platform).join(archive))
            .unwrap()
            .len();
        assert_eq!(transfer["archive_size"].as_u64(), Some(size));

        let served: Vec<&RequestRecord> = nwchem_requests(&requests)
            .into_iter()
            .filter(|r| r.path.ends_with(archive))
            .collect();
        assert!(!served.is_empty(), "no request for {archive}: {requests:?}");
        for request in &served {
            assert!(
                request.range.is_some(),
                "request without Range: {request:?}"
            );
            assert_eq!(request.status, 206, "{request:?}");
        }
        let sent: u64 = served.iter().map(|r| r.bytes_sent).sum();
        assert_eq!(
            transfer["bytes"].as_u64(),
            Some(sent),
            "reported bytes must match the server log"
        );
        assert_eq!(transfer["requests"].as_u64(), Some(served.len() as u64));
        eprintln!(
            "{archive}: {sent} of {size} bytes in {} request(s) ({:.3}%)",
            served.len(),
            100.0 * sent as f64 / size as f64
        );
        assert!(sent * 20 < size, "{sent} bytes of {size} is not under 5%");
    }
}

#[test]
fn server_without_range_falls_back_to_full_download() {
    let dir = test_dir("check-no-range");
    let (server, mirror) = serve_and_lock(&dir);
    server.set_range(false);

    let (output, report) = check_json(&dir, &mirror, "cache");
    assert_exit(&output, 0);
    for package in nwchem_content(&report) {
        let archive = package["archive"].as_str().unwrap();
        let platform = package["platform"].as_str().unwrap();
        let size = std::fs::metadata(dir.join("channel").join(platform).join(archive))
            .unwrap()
            .len();
        assert_eq!(package["transfer"]["method"], "full-download", "{package}");
        assert_eq!(
            package["transfer"]["bytes"].as_u64(),
            Some(size),
            "{package}"
        );
        let cached = dir.join("cache/check-archives").join(archive);
        assert_eq!(
            std::fs::metadata(&cached).map(|m| m.len()).ok(),
            Some(size),
            "{} not cached",
            cached.display()
        );
    }
    let full: u64 = nwchem_requests(&server.requests())
        .iter()
        .map(|r| r.bytes_sent)
        .sum();
    assert!(
        full > 2 * FILLER_BYTES as u64,
        "expected two full downloads, the server sent {full} bytes"
    );

    server.clear_requests();
    let (again, report) = check_json(&dir, &mirror, "cache");
    assert_exit(&again, 0);
    for package in nwchem_content(&report) {
        assert_eq!(package["transfer"]["method"], "cache", "{package}");
        assert_eq!(package["transfer"]["bytes"], 0, "{package}");
    }
    assert!(
        nwchem_requests(&server.requests()).is_empty(),
        "cached archives were fetched again"
    );
    assert!(
        stderr(&again).contains("matches the record's sha256"),
        "{}",
        stderr(&again)
    );
}

#[test]
fn corrupt_cached_archive_is_downloaded_again() {
    let dir = test_dir("check-cache-corrupt");
    let (server, mirror) = serve_and_lock(&dir);
    server.set_range(false);
    let (first, report) = check_json(&dir, &mirror, "cache");
    assert_exit(&first, 0);
    let archive = nwchem_content(&report)[0]["archive"]
        .as_str()
        .unwrap()
        .to_string();
    std::fs::write(
        dir.join("cache/check-archives").join(&archive),
        b"not the archive",
    )
    .unwrap();

    let (second, report) = check_json(&dir, &mirror, "cache");
    assert_exit(&second, 0);
    let package = nwchem_content(&report)
        .into_iter()
        .find(|p| p["archive"] == archive.as_str())
        .cloned()
        .unwrap();
    assert_eq!(package["transfer"]["method"], "full-download", "{package}");
}

/// Runs `future` on a fresh single-threaded runtime.
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(future)
}

fn archive_url(server: &ChannelServer, relative: &str) -> url::Url {
    server.url().join(relative).expect("archive URL")
}

fn basis_rule() -> envlock::check::rules::ContentRule {
    envlock::check::rules::builtin_rules()
        .into_iter()
        .find(|r| r.id == "nwchem-basis-library")
        .expect("built-in rule")
}

#[test]
fn small_tail_reads_the_directory_and_member_separately() {
    use envlock::check::archive::{PackageFetcher, TransferMethod};

    let dir = test_dir("check-small-tail");
    let package = ChannelSpec::worker()
        .with_nwchem_filler(1024 * 1024)
        .builds_of("nwchem")
        .find(|p| p.subdir == standin_channel::LINUX_64)
        .cloned()
        .expect("nwchem build");
    std::fs::create_dir_all(dir.join("linux-64")).unwrap();
    let written =
        standin_channel::write_package(&package, &dir.join("linux-64")).expect("write archive");
    let server = ChannelServer::start(&dir).expect("start server");
    let url = archive_url(&server, &format!("linux-64/{}", package.filename()));

    // A 64-byte tail contains the end record but not the central directory,
    // so the fetcher needs one request for the directory and one for the member.
    let fetcher = PackageFetcher::new(envlock::http::client().expect("client"), &dir.join("cache"))
        .with_tail_bytes(64);
    let fetched = block_on(fetcher.fetch_file_list(&url, None)).expect("file list");
    assert_eq!(fetched.transfer.method, TransferMethod::RangeRequests);
    assert_eq!(fetched.transfer.requests, 3, "{:?}", server.requests());
    assert_eq!(fetched.transfer.archive_size, Some(written.size));
    let sent: u64 = server.requests().iter().map(|r| r.bytes_sent).sum();
    assert_eq!(fetched.transfer.bytes, sent);
    assert!(
        sent < 16 * 1024,
        "{sent} bytes for a {}-byte archive",
        written.size
    );
    let result = basis_rule().evaluate(&fetched.files);
    assert_eq!(
        result.matched,
        standin_channel::BASIS_SETS.len(),
        "{}",
        result.detail
    );
}

/// Collects the files and links under `dir`, recursively.
fn all_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if std::fs::symlink_metadata(&path).unwrap().is_dir() {
            all_files(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[test]
fn tar_bz2_archives_are_downloaded_whole() {
    use envlock::check::archive::{PackageFetcher, TransferMethod};
    use rattler_conda_types::compression_level::CompressionLevel;
    use rattler_package_streaming::write::write_tar_bz2_package;

    let dir = test_dir("check-tar-bz2");
    let package = ChannelSpec::worker()
        .builds_of("nwchem")
        .find(|p| p.subdir == standin_channel::LINUX_64)
        .cloned()
        .expect("nwchem build");
    let written = standin_channel::write_package(&package, &dir).expect("write archive");
    let extracted = dir.join("extracted");
    rattler_package_streaming::fs::extract(&written.path, &extracted).expect("extract");
    let mut paths = Vec::new();
    all_files(&extracted, &mut paths);
    paths.sort();
    std::fs::create_dir_all(dir.join("channel/linux-64")).unwrap();
    let name = format!("{}.tar.bz2", package.dist_name());
    let file = std::fs::File::create(dir.join("channel/linux-64").join(&name)).unwrap();
    write_tar_bz2_package(
        file,
        &extracted,
        &paths,
        CompressionLevel::Default,
        None,
        None,
    )
    .expect("write tar.bz2");
    let size = std::fs::metadata(dir.join("channel/linux-64").join(&name))
        .unwrap()
        .len();

    let server = ChannelServer::start(&dir.join("channel")).expect("start server");
    let fetcher = PackageFetcher::new(envlock::http::client().expect("client"), &dir.join("cache"));
    let fetched =
        block_on(fetcher.fetch_file_list(&archive_url(&server, &format!("linux-64/{name}")), None))
            .expect("file list");
    assert_eq!(fetched.transfer.method, TransferMethod::FullDownload);
    assert_eq!(fetched.transfer.bytes, size);
    assert!(
        server.requests().iter().all(|r| r.range.is_none()),
        "a .tar.bz2 needs no range request"
    );
    assert_eq!(
        basis_rule().evaluate(&fetched.files).matched,
        standin_channel::BASIS_SETS.len()
    );

    let local = url::Url::from_file_path(dir.join("channel/linux-64").join(&name)).unwrap();
    let fetched = block_on(fetcher.fetch_file_list(&local, None)).expect("file list");
    assert_eq!(fetched.transfer.method, TransferMethod::LocalFile);
    assert_eq!(
        basis_rule().evaluate(&fetched.files).matched,
        standin_channel::BASIS_SETS.len()
    );
}

#[test]
fn missing_archive_is_network_error() {
    use standin_channel::server::Fault;

    let dir = test_dir("check-missing-archive");
    let (server, mirror) = serve_and_lock(&dir);
    server.add_fault(
        "linux-64/nwchem-*.conda",
        Fault::Status {
            code: 404,
            retry_after: None,
        },
        None,
    );
    let (output, _) = check_json(&dir, &mirror, "cache");
    assert_exit(&output, 4);
    let text = stderr(&output);
    assert!(text.contains("HTTP 404"), "{text}");
    assert!(
        text.contains("linux-64/nwchem-7.3.1"),
        "the archive must be named:\n{text}"
    );
}

#[test]
fn full_download_with_wrong_sha256_is_rejected() {
    let dir = test_dir("check-hash-mismatch");
    let (server, mirror) = serve_and_lock(&dir);
    server.set_range(false);
    let lock_path = dir.join("locks/env-worker-arm64.lock");
    let lock = std::fs::read_to_string(&lock_path).unwrap();
    // The package list at the end of the lock has one unindented entry per record.
    let record = lock
        .find("\n- conda: https://conda.anaconda.org/conda-forge/linux-64/nwchem-")
        .expect("nwchem record");
    let sha_start =
        record + lock[record..].find("sha256: ").expect("sha256 line") + "sha256: ".len();
    let mut edited = lock.clone();
    edited.replace_range(sha_start..sha_start + 64, &"0".repeat(64));
    std::fs::write(&lock_path, edited).unwrap();

    let (output, _) = check_json(&dir, &mirror, "cache");
    assert_exit(&output, 4);
    let text = stderr(&output);
    assert!(text.contains("sha256 mismatch"), "{text}");
    assert!(
        !dir.join("cache/check-archives")
            .read_dir()
            .map(|mut d| d.any(|e| {
                e.map(|e| {
                    e.file_name()
                        .to_string_lossy()
                        .starts_with("nwchem-7.3.1-py311_mpi_pr_h52e6b43_0")
                })
                .unwrap_or(false)
            }))
            .unwrap_or(false),
        "a mismatching download must not stay in the cache"
    );
}
