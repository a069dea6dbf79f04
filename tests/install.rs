//! `envlock install` on the host: a lock or explicit file from the
//! stand-in channel into a directory, with the failure cases that must
//! leave the prefix as it was.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{
    assert_exit, envlock, install_lock, programs, snapshot, solve_env, solve_worker_in, stderr,
    test_dir, worker_mirror,
};

const LOCK: &str = "locks/env-worker-arm64.lock";

fn install(dir: &Path, prefix: &str, cache: &str, extra: &[&str]) -> std::process::Output {
    let mirror = worker_mirror();
    let mut args = vec![
        "install",
        LOCK,
        "--prefix",
        prefix,
        "--mirror",
        &mirror,
        "--cache-dir",
        cache,
        "--copy",
    ];
    args.extend_from_slice(extra);
    envlock(dir, &args)
}

fn write_input(dir: &Path) -> PathBuf {
    let path = dir.join("h2o.nw");
    std::fs::write(
        &path,
        "title \"water\"\nbasis\n  * library 6-31g*\nend\ntask scf\n",
    )
    .unwrap();
    path
}

#[test]
fn install_activates_without_conda() {
    let dir = test_dir("install-activate");
    solve_worker_in(&dir, &[]);
    let output = install(&dir, "env", "cache", &[]);
    assert_exit(&output, 0);
    let prefix = dir.join("env");

    let activate = std::fs::read_to_string(prefix.join("etc/envlock/activate.sh")).unwrap();
    let prefix_text = prefix.display().to_string();
    assert!(
        activate.contains(&format!(
            "export NWCHEM_BASIS_LIBRARY='{prefix_text}/share/nwchem/libraries/'"
        )),
        "{activate}"
    );
    assert!(
        activate.contains(&format!(
            "export NWCHEM_NWPW_LIBRARY='{prefix_text}/share/nwchem/libraryps/'"
        )),
        "{activate}"
    );
    assert!(
        activate.contains(&format!("export XTBPATH='{prefix_text}/share/xtb'")),
        "{activate}"
    );
    assert!(
        activate.contains(&format!("export CONDA_PREFIX='{prefix_text}'")),
        "{activate}"
    );
    assert!(
        activate.contains("NWCHEM_STANDIN_ACTIVATED"),
        "activate.d variables are missing:\n{activate}"
    );
    assert!(!prefix.join("CACHEDIR.TAG").exists());

    let nwchemrc = std::fs::read_to_string(prefix.join("etc/default.nwchemrc")).unwrap();
    assert!(
        nwchemrc.contains(&format!(
            "nwchem_basis_library {prefix_text}/share/nwchem/libraries/"
        )),
        "{nwchemrc}"
    );

    let binary = std::fs::read(prefix.join("bin/nwchem")).unwrap();
    if programs::elf_machine(&binary).is_none() {
        eprintln!("skipped running nwchem: the stand-in is not a compiled program here");
        return;
    }
    let input = write_input(&dir);
    let entrypoint = prefix.join("etc/envlock/entrypoint.sh");
    let activated = Command::new("env")
        .arg("-i")
        .arg(&entrypoint)
        .arg("nwchem")
        .arg(&input)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&activated.stdout);
    assert!(activated.status.success(), "{text}");
    assert!(text.contains("from NWCHEM_BASIS_LIBRARY"), "{text}");

    let bare = Command::new("env")
        .arg("-i")
        .arg(prefix.join("bin/nwchem"))
        .arg(&input)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&bare.stdout);
    assert!(
        !bare.status.success(),
        "nwchem found its basis library without activation:\n{text}"
    );
    assert!(text.contains("could not open basis library"), "{text}");

    let xtb = Command::new("env")
        .arg("-i")
        .arg(&entrypoint)
        .arg("xtb")
        .output()
        .unwrap();
    assert!(
        xtb.status.success(),
        "{}",
        String::from_utf8_lossy(&xtb.stdout)
    );
    let bare_xtb = Command::new("env")
        .arg("-i")
        .arg(prefix.join("bin/xtb"))
        .output()
        .unwrap();
    assert!(
        !bare_xtb.status.success(),
        "xtb found its parameters without XTBPATH"
    );
}

#[test]
fn installs_are_byte_identical() {
    let dir = test_dir("install-reproducible");
    solve_worker_in(&dir, &[]);
    assert_exit(&install(&dir, "env", "cache-one", &[]), 0);
    let one = snapshot(&dir.join("env"));
    std::fs::remove_dir_all(dir.join("env")).unwrap();
    assert_exit(&install(&dir, "env", "cache-two", &[]), 0);
    let two = snapshot(&dir.join("env"));

    let differing: Vec<_> = one
        .keys()
        .chain(two.keys())
        .filter(|path| one.get(*path) != two.get(*path))
        .collect();
    assert!(
        differing.is_empty(),
        "files differ between installs with different caches: {differing:?}"
    );
    for (path, (_, bytes)) in &one {
        if path.starts_with("conda-meta") {
            let text = String::from_utf8_lossy(bytes);
            assert!(
                !text.contains("cache-one"),
                "{} records the package cache: {text}",
                path.display()
            );
        }
    }
}

#[test]
fn second_install_is_noop() {
    let dir = test_dir("install-noop");
    solve_worker_in(&dir, &[]);
    assert_exit(&install(&dir, "env", "cache", &[]), 0);
    let before = snapshot(&dir.join("env"));
    let again = install(&dir, "env", "cache", &["--format", "json"]);
    assert_exit(&again, 0);
    let report: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(report["changed"], 0, "{report}");
    assert_eq!(
        before,
        snapshot(&dir.join("env")),
        "the second install changed the prefix"
    );
}

#[test]
fn offline_uses_cache_only() {
    let dir = test_dir("install-offline");
    solve_worker_in(&dir, &[]);
    let empty = install(&dir, "env", "empty-cache", &["--offline"]);
    assert_exit(&empty, 4);
    assert!(
        stderr(&empty).contains("not in the package cache"),
        "{}",
        stderr(&empty)
    );
    assert!(!dir.join("env").exists(), "a failed install left a prefix");

    assert_exit(&install(&dir, "warm", "cache", &[]), 0);
    let offline = envlock(
        &dir,
        &[
            "install",
            LOCK,
            "--prefix",
            "env",
            "--cache-dir",
            "cache",
            "--offline",
            "--copy",
        ],
    );
    assert_exit(&offline, 0);
    assert!(dir.join("env/etc/envlock/entrypoint.sh").is_file());
}

#[test]
fn missing_platform_is_explained() {
    let dir = test_dir("install-platform");
    solve_worker_in(&dir, &["linux-aarch64"]);
    let output = install(&dir, "env", "cache", &["--platform", "linux-64"]);
    assert_exit(&output, 2);
    let text = stderr(&output);
    assert!(text.contains("no linux-64 environment"), "{text}");
    assert!(text.contains("linux-aarch64"), "{text}");
    assert!(text.contains("envlock solve -p linux-64"), "{text}");
    assert!(!dir.join("env").exists());
}

#[test]
fn too_long_prefix_is_rejected() {
    let dir = test_dir("install-long-prefix");
    solve_worker_in(&dir, &[]);
    let long = format!("/opt/{}", "x".repeat(300));
    let output = install(&dir, "env", "cache", &["--target-prefix", &long]);
    assert_exit(&output, 2);
    assert!(
        stderr(&output).contains("placeholder"),
        "{}",
        stderr(&output)
    );
    assert!(!dir.join("env").exists(), "the prefix was touched");
}

#[test]
fn tampered_package_leaves_prefix_unchanged() {
    let dir = test_dir("install-tampered");
    solve_worker_in(&dir, &[]);
    let channel = dir.join("tampered-channel");
    let status = Command::new("cp")
        .arg("-a")
        .arg(common::worker_channel())
        .arg(&channel)
        .status()
        .unwrap();
    assert!(status.success());
    let archive = std::fs::read_dir(channel.join("linux-64"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with("xtb-"))
        .unwrap();
    let mut bytes = std::fs::read(&archive).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&archive, bytes).unwrap();

    let mirror = format!(
        "conda-forge={}",
        url::Url::from_directory_path(&channel).unwrap()
    );
    let args = [
        "install",
        LOCK,
        "--prefix",
        "env",
        "--mirror",
        &mirror,
        "--cache-dir",
        "cache",
        "--copy",
    ];
    let output = envlock(&dir, &args);
    assert_ne!(output.status.code(), Some(0));
    assert!(stderr(&output).contains("xtb"), "{}", stderr(&output));
    assert!(
        !dir.join("env").exists(),
        "a failed install created the prefix"
    );
    assert!(
        !dir.join(".env.envlock-staging").exists(),
        "the staging directory was left behind"
    );

    assert_exit(&install(&dir, "env", "cache2", &[]), 0);
    let before = snapshot(&dir.join("env"));
    let again = envlock(
        &dir,
        &[
            "install",
            LOCK,
            "--prefix",
            "env",
            "--mirror",
            &mirror,
            "--cache-dir",
            "cache3",
            "--copy",
        ],
    );
    assert_ne!(again.status.code(), Some(0));
    assert_eq!(
        before,
        snapshot(&dir.join("env")),
        "a failed install changed an existing prefix"
    );
}

#[test]
fn explicit_file_needs_hashes() {
    let dir = test_dir("install-explicit");
    solve_worker_in(&dir, &[]);
    let explicit =
        std::fs::read_to_string(dir.join("locks/env-worker-arm64.linux-64.txt")).unwrap();
    let unhashed: String = explicit
        .lines()
        .map(|l| {
            format!(
                "{}\n",
                l.split('#').next().filter(|u| !u.is_empty()).unwrap_or(l)
            )
        })
        .collect();
    std::fs::write(dir.join("unhashed.txt"), &unhashed).unwrap();
    let mirror = worker_mirror();
    let refused = envlock(
        &dir,
        &[
            "install",
            "unhashed.txt",
            "--prefix",
            "env",
            "--mirror",
            &mirror,
            "--cache-dir",
            "cache",
        ],
    );
    assert_exit(&refused, 2);
    let text = stderr(&refused);
    assert!(text.contains("unhashed.txt:4"), "{text}");
    assert!(text.contains("--allow-unhashed"), "{text}");
    assert!(!dir.join("env").exists());

    let installed = envlock(
        &dir,
        &[
            "install",
            "locks/env-worker-arm64.linux-64.txt",
            "--prefix",
            "env",
            "--mirror",
            &mirror,
            "--cache-dir",
            "cache",
            "--copy",
        ],
    );
    assert_exit(&installed, 0);
    let record = std::fs::read_dir(dir.join("env/conda-meta"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("crest-")
        })
        .unwrap();
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(record).unwrap()).unwrap();
    let depends: Vec<String> = serde_json::from_value(json["depends"].clone()).unwrap();
    assert!(
        depends.iter().any(|d| d.starts_with("xtb")),
        "depends not read from the archive: {depends:?}"
    );
    assert!(
        json["url"]
            .as_str()
            .unwrap()
            .starts_with("https://conda.anaconda.org/conda-forge/"),
        "{json}"
    );

    let allowed = envlock(
        &dir,
        &[
            "install",
            "unhashed.txt",
            "--prefix",
            "env2",
            "--mirror",
            &mirror,
            "--cache-dir",
            "cache",
            "--allow-unhashed",
        ],
    );
    assert_exit(&allowed, 0);
}

#[test]
fn killed_install_completes_on_rerun() {
    let dir = test_dir("install-killed");
    solve_worker_in(&dir, &[]);
    assert_exit(&install(&dir, "env", "cache", &[]), 0);
    let reference = snapshot(&dir.join("env"));
    std::fs::remove_dir_all(dir.join("env")).unwrap();

    let staging = dir.join(".env.envlock-staging");
    let killed_midway = (0..5).any(|_| kill_during_linking(&dir, &staging));
    assert!(
        killed_midway,
        "could not kill the install while it was linking in five attempts"
    );
    assert!(
        dir.join(".env.envlock-staging/conda-meta").is_dir(),
        "the kill left no partial staging directory"
    );
    assert!(
        !dir.join("env").exists(),
        "a killed install of a new prefix left the prefix"
    );

    assert_exit(&install(&dir, "env", "cache", &[]), 0);
    assert!(
        reference == snapshot(&dir.join("env")),
        "the re-run after a kill differs from an uninterrupted install"
    );
    assert!(!staging.exists());
}

/// Starts an install and SIGKILLs it once a few packages are linked into the
/// staging directory. Returns whether the kill landed before the install
/// finished.
fn kill_during_linking(dir: &Path, staging: &Path) -> bool {
    use std::os::unix::process::ExitStatusExt;
    let mirror = worker_mirror();
    let mut child = Command::new(env!("CARGO_BIN_EXE_envlock"))
        .args([
            "install",
            LOCK,
            "--prefix",
            "env",
            "--mirror",
            &mirror,
            "--cache-dir",
            "cache",
            "--copy",
        ])
        .current_dir(dir)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let linked = |staging: &Path| {
        std::fs::read_dir(staging.join("conda-meta"))
            .map(|d| d.count())
            .unwrap_or(0)
    };
    while linked(staging) < 3 && std::time::Instant::now() < deadline {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_micros(200));
    }
    let _ = child.kill();
    let status = child.wait().unwrap();
    if status.signal() == Some(9) {
        return true;
    }
    let _ = std::fs::remove_dir_all(dir.join("env"));
    false
}

#[test]
fn pip_wheels_reinstall_offline() {
    let dir = test_dir("install-pip-offline");
    let env = "channels: [conda-forge]\ndependencies:\n  - python=3.11\n  - pip\n  - pip:\n    - tqdm>=4.67.1\n    - orjson>=3.11.5\n";
    solve_env(&dir, env, &["-p", "linux-64"]);
    assert_exit(&install_lock(&dir, "locks/env.lock", "env", &[]), 0);

    let site = dir.join("env/lib/python3.11/site-packages");
    assert!(site.join("tqdm").is_dir(), "tqdm is not installed");
    let dist_info = std::fs::read_dir(&site)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            let name = p.to_string_lossy();
            name.contains("orjson-") && name.ends_with(".dist-info")
        })
        .unwrap();
    assert_eq!(
        std::fs::read_to_string(dist_info.join("INSTALLER"))
            .unwrap()
            .trim(),
        "envlock"
    );
    assert!(dist_info.join("RECORD").is_file());
    let shebang = std::fs::read_to_string(dir.join("env/bin/tqdm")).unwrap();
    assert!(
        shebang.starts_with(&format!("#!{}/bin/python", dir.join("env").display())),
        "{shebang}"
    );
    let byte_compiled = std::fs::read_dir(&site)
        .unwrap()
        .any(|e| e.unwrap().path().join("__pycache__").exists());
    assert!(!byte_compiled, "wheels were byte-compiled");

    let before = snapshot(&dir.join("env"));
    std::fs::remove_dir_all(dir.join("env")).unwrap();
    let offline = envlock(
        &dir,
        &[
            "install",
            "locks/env.lock",
            "--prefix",
            "env",
            "--cache-dir",
            "cache",
            "--copy",
            "--offline",
        ],
    );
    assert_exit(&offline, 0);
    assert!(
        before == snapshot(&dir.join("env")),
        "the offline re-install differs from the first install"
    );
}

#[test]
fn check_prefix_reports_pypi_packages() {
    let dir = test_dir("install-check-pypi");
    let env = "channels: [conda-forge]\ndependencies:\n  - python=3.11\n  - pip\n  - pip:\n    - tqdm>=4.67.1\n";
    solve_env(&dir, env, &["-p", "linux-64"]);
    assert_exit(&install_lock(&dir, "locks/env.lock", "env", &[]), 0);

    let output = envlock(&dir, &["check", "--prefix", "env", "--format", "json"]);
    assert_exit(&output, 0);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let pypi = report["pypi"]
        .as_array()
        .unwrap_or_else(|| panic!("no pypi list in {report}"));
    let tqdm = pypi
        .iter()
        .find(|d| d["name"] == "tqdm")
        .expect("tqdm is reported");
    assert_eq!(tqdm["installer"], "envlock");

    let module = dir.join("env/lib/python3.11/site-packages/tqdm/__init__.py");
    std::fs::remove_file(module).unwrap();
    let broken = envlock(&dir, &["check", "--prefix", "env"]);
    assert_exit(&broken, 6);
    assert!(stderr(&broken).contains("tqdm"), "{}", stderr(&broken));
}

#[test]
fn explicit_md5_fragments_install() {
    let dir = test_dir("install-explicit-md5");
    solve_worker_in(&dir, &[]);
    let lock = envlock::lock::ReadLock::from_path(&dir.join(LOCK)).unwrap();
    let mut text = String::from("# platform: linux-64\n@EXPLICIT\n");
    for record in lock.records(rattler_conda_types::Subdir::Linux64) {
        let md5 = record.package_record.md5.expect("md5 in the lock");
        text.push_str(&format!("{}#{}\n", record.url, hex::encode(md5)));
    }
    std::fs::write(dir.join("md5.txt"), text).unwrap();
    let mirror = worker_mirror();
    let output = envlock(
        &dir,
        &[
            "install",
            "md5.txt",
            "--prefix",
            "env",
            "--mirror",
            &mirror,
            "--cache-dir",
            "md5-cache",
            "--copy",
        ],
    );
    assert_exit(&output, 0);
    assert!(dir.join("env/bin/nwchem").is_file());
}

#[test]
fn post_link_scripts_are_reported_not_run() {
    let dir = test_dir("install-post-link");
    solve_worker_in(&dir, &[]);
    let output = install(&dir, "env", "cache", &["--format", "json"]);
    assert_exit(&output, 0);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["post_link_scripts_ran"], false);
    let scripts = report["post_link_scripts"].as_array().unwrap();
    assert!(scripts.iter().any(|s| s["package"] == "nwchem"), "{report}");
    assert!(stderr(&output).contains("not run"), "{}", stderr(&output));
    assert!(
        !dir.join("env/.messages.txt").exists(),
        "a post-link script ran without --run-post-link-scripts"
    );

    let foreign = if cfg!(target_arch = "x86_64") {
        "linux-aarch64"
    } else {
        "linux-64"
    };
    let rejected = install(
        &dir,
        "env2",
        "cache",
        &["--platform", foreign, "--run-post-link-scripts"],
    );
    assert_exit(&rejected, 2);
    assert!(
        stderr(&rejected).contains("--run-post-link-scripts"),
        "{}",
        stderr(&rejected)
    );
    assert!(!dir.join("env2").exists());
}

#[test]
fn shell_hook_prints_three_formats() {
    let dir = test_dir("install-shell-hook");
    solve_worker_in(&dir, &[]);
    assert_exit(&install(&dir, "env", "cache", &[]), 0);
    let prefix = dir.join("env").display().to_string();

    let sh = envlock(&dir, &["shell-hook", "--prefix", "env"]);
    assert_exit(&sh, 0);
    let activate = std::fs::read_to_string(dir.join("env/etc/envlock/activate.sh")).unwrap();
    assert_eq!(String::from_utf8_lossy(&sh.stdout), activate);

    let json = envlock(&dir, &["shell-hook", "--prefix", "env", "--format", "json"]);
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(value["variables"]["XTBPATH"], format!("{prefix}/share/xtb"));
    assert_eq!(value["sources"]["NWCHEM_BASIS_LIBRARY"], "envlock default");

    let docker = envlock(
        &dir,
        &["shell-hook", "--prefix", "env", "--format", "dockerfile"],
    );
    let text = String::from_utf8_lossy(&docker.stdout);
    assert!(
        text.lines()
            .any(|l| l == format!("ENV PATH=\"{prefix}/bin:$PATH\"")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l == format!("ENV NWCHEM_BASIS_LIBRARY=\"{prefix}/share/nwchem/libraries/\"")),
        "{text}"
    );

    let missing = envlock(&dir, &["shell-hook", "--prefix", "cache"]);
    assert_exit(&missing, 2);
    assert!(
        stderr(&missing).contains("envlock install"),
        "{}",
        stderr(&missing)
    );
}

#[test]
fn reinstall_removes_dropped_wheels() {
    let dir = test_dir("install-pip-sync");
    let env = |pip: &str| {
        format!("channels: [conda-forge]\ndependencies:\n  - python=3.11\n  - pip\n  - pip:\n{pip}")
    };
    solve_env(
        &dir,
        &env("    - tqdm>=4.67.1\n    - huey>=2.6.0\n"),
        &["-p", "linux-64"],
    );
    assert_exit(&install_lock(&dir, "locks/env.lock", "env", &[]), 0);
    let site = dir.join("env/lib/python3.11/site-packages");
    assert!(site.join("huey").is_dir());

    solve_env(&dir, &env("    - tqdm>=4.67.1\n"), &["-p", "linux-64"]);
    let output = install_lock(&dir, "locks/env.lock", "env", &["--format", "json"]);
    assert_exit(&output, 0);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(
        report["changed"].as_u64().unwrap() >= 1,
        "dropping a wheel is a change: {report}"
    );
    assert!(
        !site.join("huey").exists(),
        "huey's files were left in site-packages"
    );
    let huey_dist_info = std::fs::read_dir(&site).unwrap().any(|e| {
        e.unwrap()
            .file_name()
            .to_string_lossy()
            .starts_with("huey-")
    });
    assert!(!huey_dist_info, "huey's dist-info was left");
    assert!(site.join("tqdm").is_dir());
}
