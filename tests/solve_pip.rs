//! The pip section, locked per platform against the real PyPI with the
//! stand-in conda channel: wheels for the target's architecture, markers
//! evaluated for the target, and Python packages from conda not locked twice.

mod common;

use std::path::Path;

use common::{assert_exit, envlock, solve_env, stderr, test_dir, worker_env_file, worker_mirror};
use rattler_conda_types::Subdir;

fn lock(dir: &Path, name: &str) -> envlock::lock::ReadLock {
    envlock::lock::ReadLock::from_path(&dir.join("locks").join(format!("{name}.lock")))
        .expect("lock parses")
}

fn names(lock: &envlock::lock::ReadLock, platform: Subdir) -> Vec<String> {
    lock.pypi_packages(platform)
        .iter()
        .map(|p| p.name().to_string())
        .collect()
}

#[test]
fn worker_pip_section_locks_both_platforms() {
    let dir = test_dir("solve-pip-worker");
    std::fs::copy(worker_env_file(), dir.join("env-worker-arm64.yaml")).unwrap();
    let mirror = worker_mirror();
    let output = envlock(
        &dir,
        &[
            "solve",
            "--mirror",
            &mirror,
            "--cache-dir",
            "cache",
            "--format",
            "json",
        ],
    );
    assert_exit(&output, 0);
    let text = std::fs::read_to_string(dir.join("locks/env-worker-arm64.lock")).unwrap();
    assert!(text.contains("# envlock-pip linux-64: locked"), "{text}");
    assert!(text.contains("# envlock-pip linux-aarch64: locked"));

    let lock = lock(&dir, "env-worker-arm64");
    for (platform, wheel_arch) in [
        (Subdir::Linux64, "x86_64"),
        (Subdir::LinuxAarch64, "aarch64"),
    ] {
        let packages = lock.pypi_packages(platform);
        let names = names(&lock, platform);
        for required in [
            "huey",
            "jinja2",
            "orjson",
            "pydantic",
            "pydantic-core",
            "tqdm",
            "aiosmtplib",
            "email-validator",
            "python-multipart",
        ] {
            assert!(
                names.iter().any(|n| n == required),
                "{platform}: {required} is not locked: {names:?}"
            );
        }
        for package in &packages {
            let location = package.location().to_string();
            assert!(
                location.starts_with("https://files.pythonhosted.org/"),
                "{location}"
            );
            assert!(location.ends_with(".whl"), "not a wheel: {location}");
            let has_sha256 = match package {
                rattler_lock::PypiPackageData::Distribution(data) => {
                    data.hash.as_ref().and_then(|h| h.sha256()).is_some()
                }
                _ => false,
            };
            assert!(has_sha256, "{location} is not a wheel with a sha256");
        }
        let orjson = packages
            .iter()
            .find(|p| p.name().to_string() == "orjson")
            .unwrap()
            .location()
            .to_string();
        assert!(
            orjson.contains("cp311") && orjson.contains(wheel_arch),
            "{platform}: {orjson}"
        );
        assert!(
            !orjson.contains(if wheel_arch == "x86_64" {
                "aarch64"
            } else {
                "x86_64"
            }),
            "{orjson}"
        );
    }

    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let from_conda = summary["platforms"]["linux-64"]["pypi_from_conda"]
        .as_array()
        .unwrap();
    assert!(
        from_conda.iter().any(|n| n == "typing-extensions"),
        "conda's typing-extensions must satisfy pydantic's requirement: {summary}"
    );
    assert!(
        !names(&lock, Subdir::Linux64)
            .iter()
            .any(|n| n == "typing-extensions"),
        "typing-extensions is locked twice"
    );
}

#[test]
fn pip_markers_and_conda_provided_packages() {
    let dir = test_dir("solve-pip-markers");
    std::fs::write(
        dir.join("env.yaml"),
        "channels: [conda-forge]\nplatforms: [linux-64, linux-aarch64]\ndependencies:\n  - python=3.11\n  - pandas>=2.3.3\n  - pip\n  - pip:\n    - pandas>=2.0\n    - tqdm>=4.67\n    - \"colorama; platform_machine == 'aarch64'\"\n",
    )
    .unwrap();
    let mirror = worker_mirror();
    assert_exit(
        &envlock(
            &dir,
            &[
                "solve",
                "-f",
                "env.yaml",
                "--mirror",
                &mirror,
                "--cache-dir",
                "cache",
            ],
        ),
        0,
    );
    let lock = lock(&dir, "env");
    let x86 = names(&lock, Subdir::Linux64);
    let arm = names(&lock, Subdir::LinuxAarch64);
    assert!(
        arm.iter().any(|n| n == "colorama"),
        "the aarch64 marker was dropped on aarch64: {arm:?}"
    );
    assert!(
        !x86.iter().any(|n| n == "colorama"),
        "the aarch64 marker was kept on linux-64: {x86:?}"
    );
    for names in [&x86, &arm] {
        assert!(
            !names.iter().any(|n| n == "pandas"),
            "conda's pandas was locked again from PyPI: {names:?}"
        );
        assert!(names.iter().any(|n| n == "tqdm"));
    }

    std::fs::write(
        dir.join("env.yaml"),
        "channels: [conda-forge]\ndependencies:\n  - python=3.11\n  - pandas>=2.3.3\n  - pip\n  - pip:\n    - pandas<2.0\n",
    )
    .unwrap();
    let conflict = envlock(
        &dir,
        &[
            "solve",
            "-f",
            "env.yaml",
            "-p",
            "linux-64",
            "--mirror",
            &mirror,
            "--cache-dir",
            "cache",
        ],
    );
    assert_exit(&conflict, 3);
    assert!(
        stderr(&conflict).contains("pandas"),
        "{}",
        stderr(&conflict)
    );
}

#[test]
fn sdist_only_requirement_fails_clearly() {
    let dir = test_dir("solve-pip-sdist");
    std::fs::write(
        dir.join("env.yaml"),
        "channels: [conda-forge]\ndependencies:\n  - python=3.11\n  - pip\n  - pip:\n    - docopt==0.6.2\n",
    )
    .unwrap();
    let mirror = worker_mirror();
    let output = envlock(
        &dir,
        &[
            "solve",
            "-f",
            "env.yaml",
            "-p",
            "linux-aarch64",
            "--mirror",
            &mirror,
            "--cache-dir",
            "cache",
        ],
    );
    assert_exit(&output, 3);
    let text = stderr(&output);
    assert!(text.contains("docopt"), "{text}");
    assert!(
        text.contains("linux-aarch64") || text.contains("aarch64"),
        "{text}"
    );
    assert!(
        text.contains("source distributions are not built"),
        "{text}"
    );
    assert!(!dir.join("locks").exists());
}

#[test]
fn pip_section_changes_the_content_hash() {
    let dir = test_dir("solve-pip-hash");
    solve_env(&dir, "channels: [conda-forge]\ndependencies:\n  - python=3.11\n  - pip\n  - pip:\n    - tqdm>=4.67\n", &["-p", "linux-64"]);
    assert_exit(
        &envlock(
            &dir,
            &["solve", "-f", "env.yaml", "-p", "linux-64", "--check"],
        ),
        0,
    );
    std::fs::write(dir.join("env.yaml"), "channels: [conda-forge]\ndependencies:\n  - python=3.11\n  - pip\n  - pip:\n    - tqdm>=4.60\n").unwrap();
    let changed = envlock(
        &dir,
        &["solve", "-f", "env.yaml", "-p", "linux-64", "--check"],
    );
    assert_exit(&changed, 5);
    assert!(stderr(&changed).contains("pip"), "{}", stderr(&changed));
}

#[test]
fn requirements_file_change_invalidates_lock() {
    let dir = test_dir("solve-pip-requirements-file");
    std::fs::write(dir.join("requirements.txt"), "tqdm>=4.67\n").unwrap();
    solve_env(&dir, "channels: [conda-forge]\ndependencies:\n  - python=3.11\n  - pip\n  - pip:\n    - -r requirements.txt\n", &["-p", "linux-64"]);
    let mirror = worker_mirror();
    assert_exit(
        &envlock(
            &dir,
            &["solve", "-f", "env.yaml", "-p", "linux-64", "--check"],
        ),
        0,
    );
    let header = std::fs::read_to_string(dir.join("locks/env.lock")).unwrap();
    assert!(
        header.contains("# envlock-requested linux-64: pip python tqdm"),
        "requirements-file packages are not marked requested:\n{header}"
    );

    std::fs::write(dir.join("requirements.txt"), "tqdm>=4.67\nhuey>=2.6\n").unwrap();
    let changed = envlock(
        &dir,
        &["solve", "-f", "env.yaml", "-p", "linux-64", "--check"],
    );
    assert_exit(&changed, 5);
    assert!(stderr(&changed).contains("pip"), "{}", stderr(&changed));

    let check = envlock(
        &dir,
        &[
            "check",
            "-f",
            "env.yaml",
            "-p",
            "linux-64",
            "--mirror",
            &mirror,
            "--cache-dir",
            "cache",
            "--no-default-requirements",
            "--require",
            "python",
        ],
    );
    assert!(
        stderr(&check).contains("out of date"),
        "check must report the edited requirements file:\n{}",
        stderr(&check)
    );
    assert_exit(
        &envlock(
            &dir,
            &[
                "solve",
                "-f",
                "env.yaml",
                "-p",
                "linux-64",
                "--mirror",
                &mirror,
                "--cache-dir",
                "cache",
            ],
        ),
        0,
    );
    let fresh = envlock(
        &dir,
        &[
            "check",
            "-f",
            "env.yaml",
            "-p",
            "linux-64",
            "--mirror",
            &mirror,
            "--cache-dir",
            "cache",
            "--no-default-requirements",
            "--require",
            "python",
        ],
    );
    assert!(
        !stderr(&fresh).contains("out of date"),
        "check calls a fresh pip lock out of date:\n{}",
        stderr(&fresh)
    );
}

#[test]
fn locked_pypi_versions_are_kept() {
    let dir = test_dir("solve-pip-keep");
    let mirror = worker_mirror();
    let write = |spec: &str| {
        std::fs::write(dir.join("env.yaml"), format!("channels: [conda-forge]\ndependencies:\n  - python=3.11\n  - pip\n  - pip:\n    - {spec}\n")).unwrap();
    };
    let solve = |extra: &[&str]| {
        let mut args = vec![
            "solve",
            "-f",
            "env.yaml",
            "-p",
            "linux-64",
            "--mirror",
            &mirror,
            "--cache-dir",
            "cache",
        ];
        args.extend_from_slice(extra);
        assert_exit(&envlock(&dir, &args), 0);
    };
    let tqdm = || {
        let lock = lock(&dir, "env");
        lock.pypi_packages(Subdir::Linux64)
            .iter()
            .find(|p| p.name().to_string() == "tqdm")
            .map(|p| p.version_string())
            .unwrap()
    };
    write("tqdm==4.67.1");
    solve(&[]);
    assert_eq!(tqdm(), "4.67.1");
    write("tqdm>=4.67.1");
    solve(&[]);
    assert_eq!(
        tqdm(),
        "4.67.1",
        "a plain re-solve moved a locked PyPI package"
    );
    solve(&["--update", "tqdm"]);
    assert_ne!(tqdm(), "4.67.1", "--update tqdm did not move tqdm");
}
