//! `envlock check` on real conda-forge metadata from `ENVLOCK_REALDATA`:
//! the repodata subsets of `python=3.9` as a file:// mirror, and the file
//! lists of nwchem 7.2.2, xtb 6.6.1 and crest 2.12 from libcfgraph.

mod common;

use std::path::Path;

use common::{assert_exit, envlock, realdata, stderr, test_dir};
use envlock::check::rules::{
    builtin_rules, FileList, PrefixInfo, RuleLevel, RuleResult, RuleStatus,
};

fn check(dir: &Path, channel: &Path, require: &str) -> (std::process::Output, serde_json::Value) {
    let mirror = format!(
        "conda-forge={}",
        url::Url::from_directory_path(channel).unwrap()
    );
    let output = envlock(
        dir,
        &[
            "check",
            "-f",
            "env.yaml",
            "--mirror",
            &mirror,
            "--cache-dir",
            "cache",
            "--no-default-requirements",
            "--require",
            require,
            "--format",
            "json",
        ],
    );
    let report = serde_json::from_slice(&output.stdout).unwrap_or(serde_json::Value::Null);
    (output, report)
}

fn availability<'a>(report: &'a serde_json::Value, platform: &str) -> &'a serde_json::Value {
    report["availability"]
        .as_array()
        .expect("availability")
        .iter()
        .find(|a| a["platform"] == platform)
        .unwrap_or_else(|| panic!("no {platform} entry in {}", report["availability"]))
}

#[test]
fn python39_passes_and_graalpy_fails_on_aarch64_only() {
    let Some(realdata) = realdata() else { return };
    let channel = realdata.join("repodata/conda-subchannel-demo");
    let dir = test_dir("check-realdata-repodata");
    std::fs::write(
        dir.join("env.yaml"),
        "channels:\n  - conda-forge\nplatforms:\n  - linux-64\n  - linux-aarch64\ndependencies:\n  - python=3.9\n",
    )
    .unwrap();

    let (output, report) = check(&dir, &channel, "python=3.9");
    assert_exit(&output, 0);
    for platform in ["linux-64", "linux-aarch64"] {
        let python = availability(&report, platform);
        assert_eq!(python["satisfiable"], true, "{python}");
        assert!(
            python["newest_matching"]
                .as_str()
                .unwrap()
                .starts_with("3.9."),
            "{python}"
        );
    }
    for solve in report["solves"].as_array().unwrap() {
        assert_eq!(solve["status"], "solvable", "{solve}");
    }

    let (output, report) = check(&dir, &channel, "graalpy");
    assert_exit(&output, 6);
    let text = stderr(&output);
    assert!(
        text.contains("graalpy has no linux-aarch64 build"),
        "{text}"
    );
    assert!(
        text.contains("newest elsewhere: 23.0.0 on linux-64"),
        "{text}"
    );
    let problems = report["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 1, "only linux-aarch64 fails: {problems:?}");
    // graalpy's linux-64 builds pin their own python 3.8.5, so python=3.9
    // plus graalpy does not solve there; check reports that as a warning.
    let linux_64_solve = report["solves"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["platform"] == "linux-64")
        .unwrap();
    assert_eq!(linux_64_solve["status"], "unsolvable", "{linux_64_solve}");
    assert!(
        text.contains("the environment as a whole does not solve there"),
        "{text}"
    );
    let linux_64 = availability(&report, "linux-64");
    assert_eq!(linux_64["satisfiable"], true, "{linux_64}");
    assert_eq!(linux_64["builds"], 2, "{linux_64}");
    assert_eq!(availability(&report, "linux-aarch64")["builds"], 0);
}

/// Reads a libcfgraph artifact: its `files` list and `index` record.
fn artifact(realdata: &Path, relative: &str) -> (FileList, serde_json::Value) {
    let text = std::fs::read_to_string(realdata.join("libcfgraph").join(relative))
        .expect("libcfgraph artifact");
    let json: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let files = json["files"]
        .as_array()
        .expect("a files list")
        .iter()
        .filter_map(|f| f.as_str())
        .map(String::from);
    (FileList::from_paths(files), json["index"].clone())
}

fn results_for(package: &str, files: &FileList) -> Vec<RuleResult> {
    builtin_rules()
        .iter()
        .filter(|r| r.package.as_normalized() == package)
        .map(|r| r.evaluate(files))
        .collect()
}

fn result<'a>(results: &'a [RuleResult], id: &str) -> &'a RuleResult {
    results
        .iter()
        .find(|r| r.rule == id)
        .unwrap_or_else(|| panic!("no result for {id}"))
}

#[test]
fn real_nwchem_file_list_meets_the_nwchem_rules() {
    let Some(realdata) = realdata() else { return };
    // Only the linux-aarch64 artifact has the whole file list; the linux-64
    // one is a partial excerpt.
    let (files, index) = artifact(
        &realdata,
        "linux-aarch64/nwchem-7.2.2-py311_mpi_pr_h841075d_5.json",
    );
    assert_eq!(index["version"], "7.2.2");
    let results = results_for("nwchem", &files);

    let basis = result(&results, "nwchem-basis-library");
    assert_eq!(basis.status, RuleStatus::Passed, "{}", basis.detail);
    assert_eq!(basis.matched, 608);
    for name in ["sto-3g", "6-31gs", "cc-pvdz"] {
        let path = format!("share/nwchem/libraries/{name}");
        assert!(
            files.files.iter().any(|f| f.path == path),
            "{path} not in the real file list"
        );
    }
    let nwpw = result(&results, "nwchem-nwpw-library");
    assert_eq!(nwpw.status, RuleStatus::Passed, "{}", nwpw.detail);
    assert_eq!(nwpw.matched, 419);

    // libcfgraph lists paths only, not prefix placeholders, so the text
    // prefix part of this rule cannot be decided from it.
    assert!(files.files.iter().all(|f| f.prefix == PrefixInfo::Unknown));
    let rc = result(&results, "nwchem-default-nwchemrc");
    assert_eq!(rc.matched, 1);
    assert_eq!(rc.status, RuleStatus::Unknown, "{}", rc.detail);
}

#[test]
fn real_xtb_lacks_gfn_parameter_files() {
    let Some(realdata) = realdata() else { return };
    for relative in [
        "linux-64/xtb-6.6.1-hf49bc11_0.json",
        "linux-aarch64/xtb-6.6.1-hcad76a7_0.json",
    ] {
        let (files, index) = artifact(&realdata, relative);
        assert_eq!(index["version"], "6.6.1");
        let shared: Vec<&str> = files
            .files
            .iter()
            .map(|f| f.path.as_str())
            .filter(|p| p.starts_with("share/xtb/"))
            .collect();
        // conda-forge's xtb 6.6.1 ships only the GFN-FF parameters and the
        // config_env scripts under share/xtb.
        assert_eq!(
            shared,
            [
                "share/xtb/.param_gfnff.xtb",
                "share/xtb/config_env.bash",
                "share/xtb/config_env.csh"
            ],
            "{relative}"
        );

        let results = results_for("xtb", &files);
        let gfn0 = result(&results, "xtb-param-gfn0");
        assert_eq!(gfn0.status, RuleStatus::Failed, "{relative}");
        assert_eq!(gfn0.level, RuleLevel::Error);
        assert!(gfn0.is_failure());
        assert!(
            gfn0.reason.contains("no compiled-in GFN0-xTB parameters"),
            "{}",
            gfn0.reason
        );
        assert!(gfn0.reason.contains("XTBPATH"), "{}", gfn0.reason);
        for id in ["xtb-param-gfn1", "xtb-param-gfn2"] {
            let missing = result(&results, id);
            assert_eq!(missing.status, RuleStatus::Failed, "{relative} {id}");
            assert!(
                !missing.is_failure(),
                "{id} is a warning: xtb falls back to compiled-in parameters"
            );
            assert!(missing.reason.contains("compiled-in"), "{}", missing.reason);
        }
    }
}

#[test]
fn real_crest_file_list_has_no_content_rules() {
    let Some(realdata) = realdata() else { return };
    for relative in [
        "linux-64/crest-2.12-h9d67668_0.json",
        "linux-aarch64/crest-2.12-h0b5e8e2_0.json",
    ] {
        let (files, _) = artifact(&realdata, relative);
        let paths: Vec<&str> = files.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["bin/crest", "share/man/man1/crest.1"], "{relative}");
        assert!(
            results_for("crest", &files).is_empty(),
            "crest has no built-in content rules"
        );
    }
}
