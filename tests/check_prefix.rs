//! `envlock check --prefix` on installed stand-in environments.
//!
//! `install_standin` below replaces `envlock install`, which is built
//! separately: it extracts the stand-in archives of nwchem, xtb, crest and
//! rdkit, copies their files into a prefix, replaces text prefix
//! placeholders and writes `conda-meta/<name>-<version>-<build>.json`
//! records with `files` and `paths_data`, as conda installers do.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{assert_exit, envlock, stderr, test_dir};
use standin_channel::{ChannelSpec, LINUX_64, NOARCH};

const PACKAGES: [&str; 4] = ["nwchem", "xtb", "crest", "rdkit"];

/// How the stand-in installer treats prefix placeholders.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Placeholders {
    /// Replace them with this run-time prefix (`None`: the prefix directory).
    ReplaceWith(Option<&'static str>),
    /// Leave the build prefix in the files.
    Keep,
}

/// Installs the linux-64 stand-in builds of [`PACKAGES`] into `<dir>/prefix`.
fn install_standin(dir: &Path, placeholders: Placeholders) -> PathBuf {
    let prefix = dir.join("prefix");
    let archives = dir.join("archives");
    std::fs::create_dir_all(prefix.join("conda-meta")).unwrap();
    std::fs::create_dir_all(&archives).unwrap();
    let worker = ChannelSpec::worker();
    let packages = worker.packages().iter().filter(|p| {
        PACKAGES.contains(&p.name.as_str()) && (p.subdir == LINUX_64 || p.subdir == NOARCH)
    });
    for package in packages {
        let written = standin_channel::write_package(package, &archives).expect("write archive");
        let extracted = dir.join("pkgs").join(package.dist_name());
        rattler_package_streaming::fs::extract(&written.path, &extracted).expect("extract archive");
        link_package(&extracted, &prefix, placeholders, package);
    }
    prefix
}

/// Copies one extracted package into `prefix` and writes its record.
fn link_package(
    extracted: &Path,
    prefix: &Path,
    placeholders: Placeholders,
    package: &standin_channel::PackageSpec,
) {
    let paths_json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(extracted.join("info/paths.json")).unwrap())
            .unwrap();
    let runtime = match placeholders {
        Placeholders::ReplaceWith(Some(runtime)) => Some(runtime.to_string()),
        Placeholders::ReplaceWith(None) => Some(prefix.display().to_string()),
        Placeholders::Keep => None,
    };
    let mut files = Vec::new();
    let mut paths = Vec::new();
    for entry in paths_json["paths"].as_array().unwrap() {
        let relative = entry["_path"].as_str().unwrap();
        let source = extracted.join(relative);
        let target = prefix.join(relative);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        if entry["path_type"] == "softlink" {
            std::os::unix::fs::symlink(std::fs::read_link(&source).unwrap(), &target).unwrap();
        } else {
            std::fs::copy(&source, &target).unwrap();
        }
        if let (Some(placeholder), Some(runtime), Some("text")) = (
            entry["prefix_placeholder"].as_str(),
            &runtime,
            entry["file_mode"].as_str(),
        ) {
            let text = std::fs::read_to_string(&target).unwrap();
            std::fs::write(&target, text.replace(placeholder, runtime)).unwrap();
        }
        files.push(relative.to_string());
        paths.push(entry.clone());
    }
    let record = serde_json::json!({
        "name": package.name,
        "version": package.version,
        "build": package.build,
        "build_number": package.build_number,
        "subdir": package.subdir,
        "channel": "https://conda.anaconda.org/conda-forge",
        "files": files,
        "paths_data": { "paths_version": 1, "paths": paths },
    });
    let record_path = prefix
        .join("conda-meta")
        .join(format!("{}.json", package.dist_name()));
    std::fs::write(record_path, serde_json::to_string_pretty(&record).unwrap()).unwrap();
}

fn check_prefix(dir: &Path, prefix: &Path, extra: &[&str]) -> (Output, serde_json::Value) {
    let prefix = prefix.display().to_string();
    let mut args = vec!["check", "--prefix", prefix.as_str(), "--format", "json"];
    args.extend_from_slice(extra);
    let output = envlock(dir, &args);
    let report = serde_json::from_slice(&output.stdout).unwrap_or(serde_json::Value::Null);
    (output, report)
}

fn check_named<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["check"] == name)
        .unwrap_or_else(|| panic!("no check '{name}' in {}", report["checks"]))
}

fn write_activation(prefix: &Path, runtime: &str, basis: &str) {
    let script = format!(
        "# Stands in for the activation script of envlock install.\n\
         export CONDA_PREFIX=\"{runtime}\"\n\
         export PATH=\"${{CONDA_PREFIX}}/bin:$PATH\"\n\
         export NWCHEM_BASIS_LIBRARY=\"{basis}\"\n\
         export NWCHEM_NWPW_LIBRARY=\"${{CONDA_PREFIX}}/share/nwchem/libraryps/\"\n\
         export XTBPATH=\"${{CONDA_PREFIX}}/share/xtb\"\n"
    );
    std::fs::create_dir_all(prefix.join("etc/envlock")).unwrap();
    std::fs::write(prefix.join("etc/envlock/activate.sh"), script).unwrap();
}

#[test]
fn standin_prefix_passes() {
    let dir = test_dir("check-prefix-ok");
    let prefix = install_standin(&dir, Placeholders::ReplaceWith(None));
    let (output, report) = check_prefix(&dir, &prefix, &[]);
    assert_exit(&output, 0);
    assert!(
        stderr(&output).contains("skipped: no etc/envlock/activate.sh"),
        "{}",
        stderr(&output)
    );

    assert_eq!(report["platform"], "linux-64");
    assert_eq!(
        check_named(&report, "etc/envlock/activate.sh")["status"],
        "skipped"
    );
    for name in ["bin/nwchem (nwchem)", "bin/xtb (xtb)", "bin/crest (crest)"] {
        assert_eq!(check_named(&report, name)["status"], "passed", "{name}");
    }
    for key in ["nwchem_basis_library", "nwchem_nwpw_library"] {
        let check = check_named(&report, &format!("etc/default.nwchemrc {key}"));
        assert_eq!(check["status"], "passed", "{check}");
    }
    assert_eq!(
        check_named(&report, "etc/default.nwchemrc prefix replacement")["status"],
        "passed"
    );
    for content in report["content"].as_array().unwrap() {
        for rule in content["rules"].as_array().unwrap() {
            assert_eq!(rule["status"], "passed", "{rule}");
        }
    }
}

#[test]
fn prefix_without_basis_library_fails() {
    let dir = test_dir("check-prefix-no-basis");
    let prefix = install_standin(&dir, Placeholders::ReplaceWith(None));
    std::fs::remove_dir_all(prefix.join("share/nwchem/libraries")).unwrap();
    let (output, report) = check_prefix(&dir, &prefix, &[]);
    assert_exit(&output, 6);
    let text = stderr(&output);
    assert!(text.contains("rule nwchem-basis-library failed"), "{text}");
    assert!(text.contains("0 of 39 listed file(s)"), "{text}");
    let basis = check_named(&report, "etc/default.nwchemrc nwchem_basis_library");
    assert_eq!(basis["status"], "failed", "{basis}");
}

#[test]
fn activation_script_is_checked() {
    let dir = test_dir("check-prefix-activation");
    let prefix = install_standin(&dir, Placeholders::ReplaceWith(None));
    let runtime = prefix.display().to_string();
    write_activation(&prefix, &runtime, "${CONDA_PREFIX}/share/nwchem/libraries/");
    let (output, report) = check_prefix(&dir, &prefix, &[]);
    assert_exit(&output, 0);
    for variable in [
        "CONDA_PREFIX",
        "NWCHEM_BASIS_LIBRARY",
        "NWCHEM_NWPW_LIBRARY",
        "XTBPATH",
    ] {
        let check = check_named(&report, &format!("etc/envlock/activate.sh {variable}"));
        assert_eq!(check["status"], "passed", "{check}");
    }

    write_activation(&prefix, &runtime, "${CONDA_PREFIX}/share/nwchem/libraries");
    let (output, _) = check_prefix(&dir, &prefix, &[]);
    assert_exit(&output, 6);
    let text = stderr(&output);
    assert!(text.contains("NWCHEM_BASIS_LIBRARY"), "{text}");
    assert!(text.contains("without a trailing slash"), "{text}");
}

#[test]
fn unreplaced_nwchemrc_fails() {
    let dir = test_dir("check-prefix-unreplaced");
    let prefix = install_standin(&dir, Placeholders::Keep);
    let (output, report) = check_prefix(&dir, &prefix, &[]);
    assert_exit(&output, 6);
    let basis = check_named(&report, "etc/default.nwchemrc nwchem_basis_library");
    assert!(
        basis["detail"]
            .as_str()
            .unwrap()
            .contains("build machine's path"),
        "{basis}"
    );
    let replaced = check_named(&report, "etc/default.nwchemrc prefix replacement");
    assert!(
        replaced["detail"]
            .as_str()
            .unwrap()
            .contains("still contains the build prefix"),
        "{replaced}"
    );
}

#[test]
fn foreign_elf_entry_point_fails() {
    let dir = test_dir("check-prefix-elf");
    let prefix = install_standin(&dir, Placeholders::ReplaceWith(None));
    // A 64-bit little-endian ELF header for AArch64 (e_machine 183) in an x86_64 prefix.
    let mut header = vec![0u8; 64];
    header[..4].copy_from_slice(b"\x7fELF");
    header[4] = 2;
    header[5] = 1;
    header[18..20].copy_from_slice(&183u16.to_le_bytes());
    std::fs::write(prefix.join("bin/xtb"), &header).unwrap();

    let (output, report) = check_prefix(&dir, &prefix, &[]);
    assert_exit(&output, 6);
    let xtb = check_named(&report, "bin/xtb (xtb)");
    let detail = xtb["detail"].as_str().unwrap();
    assert!(detail.contains("aarch64 (e_machine 183)"), "{detail}");
    assert!(detail.contains("x86_64 (e_machine 62)"), "{detail}");

    let (output, report) = check_prefix(&dir, &prefix, &["--platform", "linux-aarch64"]);
    assert_exit(&output, 0);
    assert_eq!(check_named(&report, "bin/xtb (xtb)")["status"], "passed");
}

#[test]
fn prefix_installed_for_another_location() {
    let dir = test_dir("check-prefix-target");
    let prefix = install_standin(&dir, Placeholders::ReplaceWith(Some("/opt/env")));

    let (output, report) = check_prefix(&dir, &prefix, &[]);
    assert_exit(&output, 6);
    let basis = check_named(&report, "etc/default.nwchemrc nwchem_basis_library");
    assert!(
        basis["detail"]
            .as_str()
            .unwrap()
            .contains("outside the prefix"),
        "{basis}"
    );

    let (output, report) = check_prefix(&dir, &prefix, &["--target-prefix", "/opt/env"]);
    assert_exit(&output, 0);
    assert_eq!(report["runtime_prefix"], "/opt/env");

    write_activation(&prefix, "/opt/env", "/opt/env/share/nwchem/libraries/");
    let (output, report) = check_prefix(&dir, &prefix, &[]);
    assert_exit(&output, 0);
    assert_eq!(
        check_named(&report, "etc/envlock/activate.sh XTBPATH")["status"],
        "passed"
    );
}

#[test]
fn directory_without_conda_meta_is_an_input_error() {
    let dir = test_dir("check-prefix-empty");
    let (output, _) = check_prefix(&dir, &dir, &[]);
    assert_exit(&output, 2);
    assert!(
        stderr(&output).contains("has no conda-meta directory"),
        "{}",
        stderr(&output)
    );
}
