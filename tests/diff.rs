//! `envlock diff` on hand-written locks that differ in every way a lock
//! refresh can change: added, removed, upgraded, downgraded, rebuilt, a
//! PyPI upgrade, and a platform that only the new lock has.

mod common;

use std::path::{Path, PathBuf};

use common::{assert_exit, envlock};

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/diff")
}

fn diff(format: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["diff", "old.lock", "new.lock", "--format", format];
    args.extend_from_slice(extra);
    envlock(&data(), &args)
}

#[test]
fn diff_text_snapshot() {
    let output = diff("text", &[]);
    assert_exit(&output, 0);
    insta::assert_snapshot!(String::from_utf8_lossy(&output.stdout));
}

#[test]
fn diff_markdown_snapshot() {
    let output = diff("markdown", &[]);
    assert_exit(&output, 0);
    insta::assert_snapshot!(String::from_utf8_lossy(&output.stdout));
}

#[test]
fn diff_json_snapshot() {
    let output = diff("json", &[]);
    assert_exit(&output, 0);
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(value["has_changes"], true);
    insta::assert_snapshot!(String::from_utf8_lossy(&output.stdout));
}

#[test]
fn diff_classifies_each_change() {
    let output = diff("json", &[]);
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let changes = value["platforms"]["linux-64"]["changes"]
        .as_array()
        .unwrap();
    let kind_of = |name: &str| {
        changes
            .iter()
            .find(|c| c["name"] == name)
            .map(|c| c["change"].as_str().unwrap().to_string())
            .unwrap_or_default()
    };
    assert_eq!(kind_of("libbar"), "added");
    assert_eq!(kind_of("libfoo"), "removed");
    assert_eq!(kind_of("xtb"), "upgraded");
    assert_eq!(kind_of("numpy"), "downgraded");
    assert_eq!(kind_of("openssl"), "rebuilt");
    assert_eq!(kind_of("tqdm"), "upgraded");
    assert_eq!(
        kind_of("crest"),
        "rebuilt",
        "a new archive hash with the same version and build is a change"
    );
    assert_eq!(
        kind_of("python"),
        "",
        "unchanged packages must not be listed"
    );
    let xtb = changes.iter().find(|c| c["name"] == "xtb").unwrap();
    assert_eq!(xtb["requested"], true);
    let libbar = changes.iter().find(|c| c["name"] == "libbar").unwrap();
    assert_eq!(libbar["requested"], false);
    assert_eq!(value["platforms"]["linux-aarch64"]["status"], "added");
}

#[test]
fn diff_with_itself_is_empty() {
    let output = envlock(&data(), &["diff", "new.lock", "new.lock", "--exit-code"]);
    assert_exit(&output, 0);
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        "No changes."
    );
    let json = envlock(
        &data(),
        &["diff", "old.lock", "old.lock", "--format", "json"],
    );
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(value["has_changes"], false);
}

#[test]
fn diff_exit_code_flags_changes() {
    assert_exit(&diff("text", &["--exit-code"]), 1);
    assert_exit(&diff("text", &[]), 0);
}

#[test]
fn diff_order_is_stable() {
    let first = diff("markdown", &[]).stdout;
    let second = diff("markdown", &[]).stdout;
    assert_eq!(first, second);
}

#[test]
fn diff_missing_lock_is_input_error() {
    let output = envlock(&data(), &["diff", "old.lock", "missing.lock"]);
    assert_exit(&output, 2);
    assert!(common::stderr(&output).contains("missing.lock"));
}
