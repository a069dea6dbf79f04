//! `envlock check` against the stand-in channel as a file:// mirror:
//! availability per platform and content rules on the newest builds.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{
    assert_exit, envlock, stderr, test_dir, worker_channel, worker_env_file, write_channel,
};
use standin_channel::{ChannelSpec, Variant, LINUX_AARCH64};

/// Copies the worker environment into `dir` and returns the `--mirror` value for `channel`.
fn prepare(dir: &Path, channel: &Path) -> String {
    std::fs::copy(worker_env_file(), dir.join("env-worker-arm64.yaml")).expect("copy env file");
    let url = url::Url::from_directory_path(channel).expect("file url");
    format!("conda-forge={url}")
}

/// Runs `envlock check --format json` in `dir` with extra arguments.
fn check(dir: &Path, mirror: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "check",
        "--mirror",
        mirror,
        "--cache-dir",
        "cache",
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    envlock(dir, &args)
}

fn report(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", stderr(output)))
}

/// Writes a variant channel under `dir` and returns its path.
fn variant_channel(dir: &Path, spec: &ChannelSpec) -> PathBuf {
    let channel = dir.join("channel");
    write_channel(spec, &channel);
    channel
}

fn find<'a>(items: &'a serde_json::Value, package: &str, platform: &str) -> &'a serde_json::Value {
    items
        .as_array()
        .expect("array")
        .iter()
        .find(|item| item["package"] == package && item["platform"] == platform)
        .unwrap_or_else(|| panic!("no entry for {package} on {platform} in {items}"))
}

#[test]
fn worker_channel_passes() {
    let dir = test_dir("check-worker");
    let mirror = prepare(&dir, worker_channel());
    let output = check(&dir, &mirror, &[]);
    assert_exit(&output, 0);
    let report = report(&output);

    let availability = report["availability"].as_array().expect("availability");
    assert_eq!(availability.len(), 8, "{availability:?}");
    for item in availability {
        assert_eq!(item["satisfiable"], true, "{item}");
        assert!(item["builds"].as_u64() >= Some(1), "{item}");
    }
    for platform in ["linux-aarch64", "linux-64"] {
        assert_eq!(
            find(&report["availability"], "crest", platform)["newest"],
            "3.0.2"
        );
    }
    for solve in report["solves"].as_array().expect("solves") {
        assert_eq!(solve["status"], "solvable", "{solve}");
    }

    let content = report["content"].as_array().expect("content");
    assert_eq!(
        content.len(),
        4,
        "nwchem and xtb on two platforms: {content:?}"
    );
    for package in content {
        assert_eq!(package["source"], "channel", "{package}");
        assert_eq!(package["transfer"]["method"], "local-file", "{package}");
        for rule in package["rules"].as_array().expect("rules") {
            assert_eq!(rule["status"], "passed", "{rule}");
        }
    }
    let basis = find(&report["content"], "nwchem", "linux-64")["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == "nwchem-basis-library")
        .cloned()
        .expect("basis rule");
    assert_eq!(
        basis["matched"].as_u64(),
        Some(standin_channel::BASIS_SETS.len() as u64)
    );

    let text = stderr(&output);
    assert!(
        text.contains("no lock at"),
        "the missing lock must be visible:\n{text}"
    );
    assert!(text.contains("check passed"), "{text}");
}

#[test]
fn crest_without_aarch64_build_fails() {
    let dir = test_dir("check-crest-aarch64");
    let worker = ChannelSpec::worker();
    let crest_arm = worker
        .builds_of("crest")
        .find(|p| p.subdir == LINUX_AARCH64)
        .cloned()
        .expect("crest linux-aarch64 build");
    let older = crest_arm
        .with_version("3.0.1", "h128b2f3_1")
        .with_standin_files();
    let spec = worker
        .with_package(older)
        .without_build("crest", "3.0.2", LINUX_AARCH64);
    let mirror = prepare(&dir, &variant_channel(&dir, &spec));

    let output = check(&dir, &mirror, &[]);
    assert_exit(&output, 6);
    let text = stderr(&output);
    assert!(
        text.contains("crest 3.0.2 has no linux-aarch64 build; newest there: 3.0.1"),
        "package, platform and alternative must be named:\n{text}"
    );

    let report = report(&output);
    let arm = find(&report["availability"], "crest", "linux-aarch64");
    assert_eq!(arm["satisfiable"], false);
    assert_eq!(arm["builds"], 1);
    assert_eq!(arm["newest"], "3.0.1");
    assert_eq!(
        find(&report["availability"], "crest", "linux-64")["satisfiable"],
        true
    );
    let solves = report["solves"].as_array().unwrap();
    let arm_solve = solves
        .iter()
        .find(|s| s["platform"] == "linux-aarch64")
        .unwrap();
    assert_eq!(arm_solve["status"], "skipped");
    assert_eq!(
        report["problems"].as_array().unwrap().len(),
        1,
        "{}",
        report["problems"]
    );
}

#[test]
fn require_pin_is_checked() {
    let dir = test_dir("check-require");
    let mirror = prepare(&dir, worker_channel());
    let output = check(&dir, &mirror, &["--require", "xtb=6.8"]);
    assert_exit(&output, 6);
    let text = stderr(&output);
    assert!(
        text.contains("xtb 6.8 has no linux-aarch64 build; newest there: 6.7.1"),
        "{text}"
    );
    assert!(
        text.contains("xtb 6.8 has no linux-64 build; newest there: 6.7.1"),
        "{text}"
    );
}

#[test]
fn nwchem_without_basis_files_fails() {
    let dir = test_dir("check-nwchem-basis");
    let mirror = prepare(
        &dir,
        &variant_channel(&dir, &ChannelSpec::variant(Variant::NwchemNoBasis)),
    );
    let output = check(&dir, &mirror, &[]);
    assert_exit(&output, 6);
    let text = stderr(&output);
    for platform in ["linux-aarch64", "linux-64"] {
        let expected = format!("nwchem on {platform}: rule nwchem-basis-library failed");
        assert!(text.contains(&expected), "missing '{expected}':\n{text}");
    }
    assert!(
        text.contains("0 file(s) match share/nwchem/libraries/**"),
        "{text}"
    );
}

#[test]
fn nwchemrc_binary_prefix_fails() {
    let dir = test_dir("check-nwchemrc");
    let mirror = prepare(
        &dir,
        &variant_channel(&dir, &ChannelSpec::variant(Variant::NwchemRcBinary)),
    );
    let output = check(&dir, &mirror, &[]);
    assert_exit(&output, 6);
    let text = stderr(&output);
    for platform in ["linux-aarch64", "linux-64"] {
        let expected = format!("nwchem on {platform}: rule nwchem-default-nwchemrc failed");
        assert!(text.contains(&expected), "missing '{expected}':\n{text}");
    }
    assert!(
        text.contains("etc/default.nwchemrc is a binary prefix file"),
        "{text}"
    );
    assert!(
        text.contains("build machine's paths"),
        "the rule's reason must be shown:\n{text}"
    );
}

#[test]
fn rules_file_adds_a_rule() {
    let dir = test_dir("check-rules-file");
    let mirror = prepare(&dir, worker_channel());
    std::fs::write(
        dir.join("envlock.toml"),
        "disable = [\"xtb-param-gfn1\"]\n\n[[rule]]\nid = \"crest-data\"\npackage = \"crest\"\npath = \"share/crest/**\"\nreason = \"crest needs its data\"\n",
    )
    .unwrap();
    let output = check(&dir, &mirror, &[]);
    assert_exit(&output, 6);
    let text = stderr(&output);
    assert!(
        text.contains("crest on linux-64: rule crest-data failed"),
        "{text}"
    );
    assert!(text.contains("crest needs its data"), "{text}");

    let report = report(&output);
    let xtb_rules: Vec<&str> = find(&report["content"], "xtb", "linux-64")["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["rule"].as_str())
        .collect();
    assert!(
        !xtb_rules.contains(&"xtb-param-gfn1"),
        "disabled rule still applied: {xtb_rules:?}"
    );
    assert!(xtb_rules.contains(&"xtb-param-gfn0"), "{xtb_rules:?}");
}

#[test]
fn rules_file_unknown_key_is_an_input_error() {
    let dir = test_dir("check-rules-unknown-key");
    let mirror = prepare(&dir, worker_channel());
    std::fs::write(
        dir.join("envlock.toml"),
        "[[rule]]\npackage = \"crest\"\npath = \"bin/crest\"\nreason = \"r\"\nminimum = 2\n",
    )
    .unwrap();
    let output = check(&dir, &mirror, &[]);
    assert_exit(&output, 2);
    let text = stderr(&output);
    assert!(text.contains("minimum"), "the key must be named:\n{text}");
    assert!(text.contains("line 5"), "the line must be named:\n{text}");
}

#[test]
fn content_rules_follow_the_file_spec() {
    let dir = test_dir("check-file-spec");
    let channel = variant_channel(&dir, &ChannelSpec::worker().with_newer_xtb_crest());
    let mirror = prepare(&dir, &channel);
    let output = check(
        &dir,
        &mirror,
        &["--no-default-requirements", "--require", "python"],
    );
    assert_exit(&output, 0);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("xtb-6.7.1-"),
        "the xtb=6.7.1 pin of the environment file was not used:\n{text}"
    );
    assert!(
        !text.contains("xtb-6.7.2-"),
        "content rules ran on an xtb the environment file does not allow:\n{text}"
    );
}
