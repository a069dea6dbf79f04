//! `envlock solve` end to end: the binary against the stand-in channel
//! served over loopback HTTP (sharded repodata) and file://.

mod common;

use std::path::Path;

use common::{
    assert_exit, envlock, envlock_with_env, stderr, test_dir, worker_channel, worker_env_file,
};
use rattler_conda_types::Subdir;
use standin_channel::server::ChannelServer;

const CANONICAL: &str = "https://conda.anaconda.org/conda-forge/";

/// Solves the worker environment in `dir` against `mirror`; returns the lock path.
fn solve_worker(dir: &Path, mirror: &str, cache: &str) -> std::process::Output {
    std::fs::copy(worker_env_file(), dir.join("env-worker-arm64.yaml")).expect("copy env file");
    let mirror_arg = format!("conda-forge={mirror}");
    envlock(
        dir,
        &[
            "solve",
            "--ignore-pip",
            "--mirror",
            &mirror_arg,
            "--cache-dir",
            cache,
        ],
    )
}

#[test]
fn worker_locks_over_http_with_shards() {
    let dir = test_dir("solve-http");
    let server = ChannelServer::start(worker_channel()).expect("start server");
    let output = solve_worker(&dir, server.url().as_str(), "cache");
    assert_exit(&output, 0);
    assert!(
        stderr(&output).contains("pip requirement(s)"),
        "--ignore-pip must warn:\n{}",
        stderr(&output)
    );

    let lock_path = dir.join("locks/env-worker-arm64.lock");
    let text = std::fs::read_to_string(&lock_path).expect("lock written");
    assert!(
        text.contains("# envlock-pip linux-64: not-locked"),
        "{text}"
    );
    let lock = envlock::lock::ReadLock::from_path(&lock_path).expect("lock parses");
    assert_eq!(lock.platforms().len(), 2);

    for platform in [Subdir::Linux64, Subdir::LinuxAarch64] {
        let records = lock.records(platform);
        assert!(
            records.len() > 20,
            "{platform}: only {} records",
            records.len()
        );
        for record in &records {
            assert!(
                record.url.as_str().starts_with(CANONICAL),
                "not canonical: {}",
                record.url
            );
            assert!(
                record.package_record.sha256.is_some(),
                "no sha256: {}",
                record.url
            );
            let subdir = record.package_record.subdir.as_str();
            assert!(
                subdir == platform.as_str() || subdir == "noarch",
                "{platform} has a {subdir} record: {}",
                record.url
            );
        }
        for name in ["python", "nwchem", "xtb", "crest", "rdkit"] {
            assert!(
                records
                    .iter()
                    .any(|r| r.package_record.name.as_normalized() == name),
                "{platform}: {name} missing"
            );
        }

        let explicit =
            std::fs::read_to_string(dir.join(format!("locks/env-worker-arm64.{platform}.txt")))
                .expect("explicit file");
        assert!(
            explicit.contains(&format!("# platform: {platform}\n@EXPLICIT\n")),
            "{explicit}"
        );
        let lines: Vec<&str> = explicit
            .lines()
            .filter(|l| !l.starts_with('#') && !l.starts_with('@'))
            .collect();
        assert_eq!(lines.len(), records.len());
        for line in lines {
            let (url, hash) = line.split_once('#').expect("hash fragment");
            assert!(url.starts_with(CANONICAL), "{line}");
            assert_eq!(hash.len(), 64, "{line}");
        }
    }
    let requests = server.requests();
    assert!(
        requests
            .iter()
            .any(|r| r.path.contains("repodata_shards.msgpack.zst")),
        "sharded index not used: {requests:?}"
    );
    assert!(
        !requests.iter().any(|r| r.path.ends_with("/repodata.json")),
        "fell back to repodata.json: {requests:?}"
    );
}

#[test]
fn explicit_file_is_in_install_order() {
    let dir = test_dir("solve-order");
    let mirror = url::Url::from_directory_path(worker_channel()).expect("file url");
    assert_exit(&solve_worker(&dir, mirror.as_str(), "cache"), 0);
    let explicit =
        std::fs::read_to_string(dir.join("locks/env-worker-arm64.linux-64.txt")).unwrap();
    let position = |name: &str| {
        explicit
            .lines()
            .position(|l| {
                l.rsplit('/')
                    .next()
                    .is_some_and(|f| f.starts_with(&format!("{name}-")))
            })
            .unwrap_or_else(|| panic!("{name} not in explicit file"))
    };
    assert!(
        position("python") < position("nwchem"),
        "python must come before nwchem"
    );
    assert!(
        position("xtb") < position("crest"),
        "xtb must come before crest"
    );
}

#[test]
fn same_inputs_give_identical_bytes() {
    let channel = url::Url::from_directory_path(worker_channel()).expect("file url");
    let mut outputs = Vec::new();
    for (run, glibc) in [("a", None), ("b", None), ("c", Some("2.99"))] {
        let dir = test_dir(&format!("solve-determinism-{run}"));
        std::fs::copy(worker_env_file(), dir.join("env-worker-arm64.yaml")).unwrap();
        let mirror = format!("conda-forge={channel}");
        let args = [
            "solve",
            "--ignore-pip",
            "--mirror",
            &mirror,
            "--cache-dir",
            "cache",
        ];
        let vars: Vec<(&str, &str)> = glibc
            .map(|v| vec![("CONDA_OVERRIDE_GLIBC", v)])
            .unwrap_or_default();
        assert_exit(&envlock_with_env(&dir, &args, &vars), 0);
        let read = |name: &str| std::fs::read(dir.join("locks").join(name)).unwrap();
        outputs.push((
            read("env-worker-arm64.lock"),
            read("env-worker-arm64.linux-64.txt"),
            read("env-worker-arm64.linux-aarch64.txt"),
        ));
    }
    assert!(outputs[0] == outputs[1], "two runs wrote different bytes");
    assert!(
        outputs[0] == outputs[2],
        "CONDA_OVERRIDE_GLIBC changed the lock"
    );
}

#[test]
fn check_detects_changed_inputs_only() {
    let dir = test_dir("solve-check");
    let channel = url::Url::from_directory_path(worker_channel()).expect("file url");
    let mirror = format!("conda-forge={channel}");
    let check_args = ["solve", "--check", "--ignore-pip", "--mirror", &mirror];

    std::fs::copy(worker_env_file(), dir.join("env-worker-arm64.yaml")).unwrap();
    let missing = envlock(&dir, &check_args);
    assert_exit(&missing, 5);
    assert!(
        stderr(&missing).contains("does not exist"),
        "{}",
        stderr(&missing)
    );
    assert!(!dir.join("locks").exists(), "--check must write nothing");

    assert_exit(
        &envlock(
            &dir,
            &[
                "solve",
                "--ignore-pip",
                "--mirror",
                &mirror,
                "--cache-dir",
                "cache",
            ],
        ),
        0,
    );
    assert_exit(&envlock(&dir, &check_args), 0);

    let original = std::fs::read_to_string(dir.join("env-worker-arm64.yaml")).unwrap();
    let cosmetic = original
        .replace(
            "  - pandas>=2.3.3\n  - scipy>=1.17.0\n",
            "  - scipy>=1.17.0   # comment\n\n  - pandas>=2.3.3\n",
        )
        .replacen("name: base\n", "# a comment line\nname: base\n", 1);
    assert_ne!(cosmetic, original);
    std::fs::write(dir.join("env-worker-arm64.yaml"), &cosmetic).unwrap();
    assert_exit(&envlock(&dir, &check_args), 0);

    std::fs::write(
        dir.join("env-worker-arm64.yaml"),
        original.replace("xtb=6.7.1", "xtb>=6.7"),
    )
    .unwrap();
    let changed = envlock(&dir, &check_args);
    assert_exit(&changed, 5);
    assert!(
        stderr(&changed).contains("conda-specs"),
        "{}",
        stderr(&changed)
    );

    std::fs::write(dir.join("env-worker-arm64.yaml"), &original).unwrap();
    let vp_changed = envlock(
        &dir,
        &[
            &check_args[..],
            &["--virtual-package", "linux-64:__glibc=2.34"],
        ]
        .concat(),
    );
    assert_exit(&vp_changed, 5);
    assert!(
        stderr(&vp_changed).contains("virtual-packages"),
        "{}",
        stderr(&vp_changed)
    );
}

#[test]
fn json_summary_on_stdout() {
    let dir = test_dir("solve-json");
    let channel = url::Url::from_directory_path(worker_channel()).expect("file url");
    std::fs::copy(worker_env_file(), dir.join("env-worker-arm64.yaml")).unwrap();
    let mirror = format!("conda-forge={channel}");
    let output = envlock(
        &dir,
        &[
            "solve",
            "--ignore-pip",
            "--mirror",
            &mirror,
            "--format",
            "json",
            "--cache-dir",
            "cache",
            "-p",
            "linux-aarch64",
        ],
    );
    assert_exit(&output, 0);
    let summary: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("JSON on stdout");
    let platform = &summary["platforms"]["linux-aarch64"];
    assert!(platform["packages"].as_u64().unwrap() > 20);
    assert!(platform["download_bytes"].as_u64().unwrap() > 0);
    assert_eq!(platform["pip"], "not-locked");
    assert!(
        summary["platforms"].get("linux-64").is_none(),
        "-p must restrict the platforms"
    );
    let vps: Vec<String> = serde_json::from_value(platform["virtual_packages"].clone()).unwrap();
    assert!(vps.contains(&"__archspec=1=aarch64".to_string()), "{vps:?}");
    assert!(vps.contains(&"__glibc=2.28=0".to_string()), "{vps:?}");
}
