//! `envlock check` reading package file lists over HTTP: range requests
//! when the server honours them, a verified full download when it does not.

mod common;

use std::path::Path;
use std::process::Output;

use common::{assert_exit, envlock, stderr, test_dir, worker_env_file, write_channel};
use standin_channel::ChannelSpec;
use standin_channel::server::{ChannelServer, RequestRecord};

/// Size of the incompressible filler added to every nwchem build.
const FILLER_BYTES: usize = 8 * 1024 * 1024;

fn check_json(dir: &Path, mirror: &str, cache: &str) -> (Output, serde_json::Value) {
    let output = envlock(dir, &["check", "--mirror", mirror, "--cache-dir", cache, "--format", "json"]);
    let report = serde_json::from_slice(&output.stdout).unwrap_or(serde_json::Value::Null);
    (output, report)
}

fn nwchem_requests(requests: &[RequestRecord]) -> Vec<&RequestRecord> {
    requests.iter().filter(|r| r.path.contains("/nwchem-") && r.path.ends_with(".conda")).collect()
}

/// Sets up a channel with large nwchem archives, serves it, and locks the
/// worker environment against it; returns the server and the mirror value.
fn serve_and_lock(dir: &Path) -> (ChannelServer, String) {
    write_channel(&ChannelSpec::worker().with_nwchem_filler(FILLER_BYTES), &dir.join("channel"));
    std::fs::copy(worker_env_file(), dir.join("env-worker-arm64.yaml")).expect("copy env file");
    let server = ChannelServer::start(&dir.join("channel")).expect("start server");
    let mirror = format!("conda-forge={}", server.url());
    let solved = envlock(dir, &["solve", "--ignore-pip", "--mirror", &mirror, "--cache-dir", "cache"]);
    assert_exit(&solved, 0);
    server.clear_requests();
    (server, mirror)
}

fn nwchem_content(report: &serde_json::Value) -> Vec<&serde_json::Value> {
    report["content"].as_array().expect("content").iter().filter(|p| p["package"] == "nwchem").collect()
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
        let size = std::fs::metadata(dir.join("channel").join(platform).join(archive)).unwrap().len();
        assert_eq!(transfer["archive_size"].as_u64(), Some(size));

        let served: Vec<&RequestRecord> = nwchem_requests(&requests).into_iter().filter(|r| r.path.ends_with(archive)).collect();
        assert!(!served.is_empty(), "no request for {archive}: {requests:?}");
        for request in &served {
            assert!(request.range.is_some(), "request without Range: {request:?}");
            assert_eq!(request.status, 206, "{request:?}");
        }
        let sent: u64 = served.iter().map(|r| r.bytes_sent).sum();
        assert_eq!(transfer["bytes"].as_u64(), Some(sent), "reported bytes must match the server log");
        assert_eq!(transfer["requests"].as_u64(), Some(served.len() as u64));
        eprintln!("{archive}: {sent} of {size} bytes in {} request(s) ({:.3}%)", served.len(), 100.0 * sent as f64 / size as f64);
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
        let size = std::fs::metadata(dir.join("channel").join(platform).join(archive)).unwrap().len();
        assert_eq!(package["transfer"]["method"], "full-download", "{package}");
        assert_eq!(package["transfer"]["bytes"].as_u64(), Some(size), "{package}");
        let cached = dir.join("cache/check-archives").join(archive);
        assert_eq!(std::fs::metadata(&cached).map(|m| m.len()).ok(), Some(size), "{} not cached", cached.display());
    }
    let full: u64 = nwchem_requests(&server.requests()).iter().map(|r| r.bytes_sent).sum();
    assert!(full > 2 * FILLER_BYTES as u64, "expected two full downloads, the server sent {full} bytes");

    server.clear_requests();
    let (again, report) = check_json(&dir, &mirror, "cache");
    assert_exit(&again, 0);
    for package in nwchem_content(&report) {
        assert_eq!(package["transfer"]["method"], "cache", "{package}");
        assert_eq!(package["transfer"]["bytes"], 0, "{package}");
    }
    assert!(nwchem_requests(&server.requests()).is_empty(), "cached archives were fetched again");
    assert!(stderr(&again).contains("matches the record's sha256"), "{}", stderr(&again));
}

#[test]
fn corrupt_cached_archive_is_downloaded_again() {
    let dir = test_dir("check-cache-corrupt");
    let (server, mirror) = serve_and_lock(&dir);
    server.set_range(false);
    let (first, report) = check_json(&dir, &mirror, "cache");
    assert_exit(&first, 0);
    let archive = nwchem_content(&report)[0]["archive"].as_str().unwrap().to_string();
    std::fs::write(dir.join("cache/check-archives").join(&archive), b"not the archive").unwrap();

    let (second, report) = check_json(&dir, &mirror, "cache");
    assert_exit(&second, 0);
    let package = nwchem_content(&report).into_iter().find(|p| p["archive"] == archive.as_str()).cloned().unwrap();
    assert_eq!(package["transfer"]["method"], "full-download", "{package}");
}
