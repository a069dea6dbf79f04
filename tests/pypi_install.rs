//! Installation of the worker's wheels, resolved against the real PyPI, into
//! temporary prefixes, including a foreign platform (linux-aarch64) on
//! whatever host runs the tests.

mod pypi_support;

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use envlock::pypi::{
    install_wheels, resolve, CondaProvided, DownloadError, InstallError, LockedWheel, PipSection,
    PypiTarget, ResolveOptions,
};
use rattler_conda_types::Subdir;

use pypi_support::{GLIBC, PYTHON, WORKER};

const SITE: &str = "lib/python3.11/site-packages";
const TARGET_PREFIX: &str = "/opt/env";

async fn worker_wheels(subdir: Subdir, cache: &Path) -> Vec<LockedWheel> {
    let section = PipSection::parse(&WORKER, Path::new(".")).unwrap();
    let target = PypiTarget::new(subdir, PYTHON, GLIBC).unwrap();
    resolve(
        &section,
        &target,
        &CondaProvided::none(),
        &ResolveOptions::new(cache),
    )
    .await
    .unwrap()
    .wheels
}

fn snapshot(root: &Path) -> BTreeMap<String, (Vec<u8>, u32)> {
    let mut files = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
                let relative = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                files.insert(relative, (std::fs::read(&path).unwrap(), mode));
            }
        }
    }
    files
}

/// Reads the ELF `e_machine` of every shared object directly in `dir`.
fn elf_machines(dir: &Path) -> Vec<(PathBuf, u16)> {
    let mut machines = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|extension| extension == "so") {
            let bytes = std::fs::read(&path).unwrap();
            assert_eq!(&bytes[..4], b"\x7fELF", "{} is not ELF", path.display());
            machines.push((path, u16::from_le_bytes([bytes[18], bytes[19]])));
        }
    }
    machines
}

#[tokio::test]
async fn aarch64_worker_installs_on_any_host() {
    let work = tempfile::tempdir().unwrap();
    let cache = work.path().join("cache");
    let wheels = worker_wheels(Subdir::LinuxAarch64, &cache).await;
    let prefix = work.path().join("prefix");
    let report = install_wheels(
        &prefix,
        Path::new(TARGET_PREFIX),
        SITE,
        &wheels,
        &cache,
        false,
    )
    .await
    .unwrap();
    assert_eq!(report.installed.len(), wheels.len());
    let site = prefix.join(SITE);

    for package in ["orjson", "pydantic_core"] {
        let machines = elf_machines(&site.join(package));
        assert!(!machines.is_empty(), "no extension module in {package}");
        for (path, machine) in machines {
            assert_eq!(machine, 183, "{} is not aarch64", path.display());
        }
    }

    for wheel in &wheels {
        let dist_info = std::fs::read_dir(&site)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .find(|path| {
                let name = path
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .to_ascii_lowercase()
                    .replace('_', "-");
                name.starts_with(&format!("{}-{}", wheel.name, wheel.version))
                    && name.ends_with(".dist-info")
            })
            .unwrap_or_else(|| panic!("no .dist-info for {} {}", wheel.name, wheel.version));
        assert_eq!(
            std::fs::read_to_string(dist_info.join("INSTALLER")).unwrap(),
            "envlock\n"
        );
        let record = std::fs::read_to_string(dist_info.join("RECORD")).unwrap();
        let record_name = format!(
            "{}/RECORD,,",
            dist_info.file_name().unwrap().to_string_lossy()
        );
        assert!(record.lines().any(|line| line == record_name), "{record}");
        assert!(record
            .lines()
            .filter(|line| *line != record_name)
            .all(|line| line.contains(",sha256=")));
    }

    let tqdm = std::fs::read_to_string(prefix.join("bin/tqdm")).unwrap();
    assert!(tqdm.starts_with("#!/opt/env/bin/python\n"), "{tqdm}");
    assert!(
        !tqdm.contains(&prefix.to_string_lossy().into_owned()),
        "{tqdm}"
    );
    let mode = std::fs::metadata(prefix.join("bin/tqdm"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o755);
    let compiled = snapshot(&prefix)
        .keys()
        .filter(|path| path.ends_with(".pyc"))
        .count();
    assert_eq!(compiled, 0, "nothing may be byte-compiled");

    // A second install reads only the cache and gives the same tree.
    let again = work.path().join("again");
    install_wheels(
        &again,
        Path::new(TARGET_PREFIX),
        SITE,
        &wheels,
        &cache,
        true,
    )
    .await
    .unwrap();
    assert_eq!(snapshot(&prefix), snapshot(&again));
}

#[tokio::test]
async fn wrong_sha256_leaves_prefix_unchanged() {
    let work = tempfile::tempdir().unwrap();
    let cache = work.path().join("cache");
    let mut wheels = worker_wheels(Subdir::LinuxAarch64, &cache).await;
    let tqdm = wheels
        .iter_mut()
        .find(|wheel| wheel.name.as_ref() == "tqdm")
        .unwrap();
    let wrong = "0".repeat(64);
    tqdm.sha256 = wrong.clone();

    let prefix = work.path().join("prefix");
    std::fs::create_dir_all(prefix.join("conda-meta")).unwrap();
    std::fs::write(prefix.join("conda-meta/history"), "kept\n").unwrap();
    let before = snapshot(&prefix);
    let error = install_wheels(
        &prefix,
        Path::new(TARGET_PREFIX),
        SITE,
        &wheels,
        &cache,
        false,
    )
    .await
    .unwrap_err();
    let message = error.to_string();
    assert!(
        matches!(
            error,
            InstallError::Download {
                source: DownloadError::HashMismatch { .. },
                ..
            }
        ),
        "{message}"
    );
    assert!(message.contains("sha256 mismatch"), "{message}");
    assert!(message.contains(&wrong), "{message}");
    assert_eq!(snapshot(&prefix), before);
    assert!(!cache.join("pypi/wheels").join(&wrong).exists());
}

#[tokio::test]
async fn offline_install_without_cache_fails() {
    let work = tempfile::tempdir().unwrap();
    let cache = work.path().join("cache");
    let wheels = worker_wheels(Subdir::Linux64, &cache).await;
    let empty = work.path().join("empty-cache");
    let prefix = work.path().join("prefix");
    let error = install_wheels(
        &prefix,
        Path::new(TARGET_PREFIX),
        SITE,
        &wheels,
        &empty,
        true,
    )
    .await
    .unwrap_err();
    let message = error.to_string();
    assert!(
        matches!(
            error,
            InstallError::Download {
                source: DownloadError::NotCached { .. },
                ..
            }
        ),
        "{message}"
    );
    assert!(message.contains("offline mode"), "{message}");
    assert!(!prefix.exists());
}

/// Finds the python3.11 on PATH, if any.
fn python311() -> Option<PathBuf> {
    let output = Command::new("sh")
        .args(["-c", "command -v python3.11"])
        .output()
        .ok()?;
    let path = String::from_utf8_lossy(&output.stdout).trim().to_string();
    (!path.is_empty()).then(|| PathBuf::from(path))
}

#[tokio::test]
async fn linux_64_worker_imports_with_python311() {
    // conda's python is a stand-in package without a real interpreter in
    // these tests, so a CPython 3.11 from the host (Debian's or pyenv's)
    // replaces it and imports the installed linux-64 wheels.
    let Some(python) = python311() else {
        eprintln!("skipping: no python3.11 on PATH");
        return;
    };
    if std::env::consts::ARCH != "x86_64" {
        eprintln!("skipping: linux-64 wheels need an x86_64 host");
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let cache = work.path().join("cache");
    let wheels = worker_wheels(Subdir::Linux64, &cache).await;
    let prefix = work.path().join("prefix");
    install_wheels(
        &prefix,
        Path::new(TARGET_PREFIX),
        SITE,
        &wheels,
        &cache,
        false,
    )
    .await
    .unwrap();

    let site = prefix.join(SITE);
    let output = Command::new(&python)
        .args(["-s", "-c", "import pydantic, orjson, huey, jinja2, tqdm; print(orjson.dumps({'ok': pydantic.VERSION}).decode())"])
        .env("PYTHONPATH", &site)
        .env("PYTHONNOUSERSITE", "1")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{} failed:\n{}",
        python.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("\"ok\""));

    let script = Command::new(&python)
        .arg(prefix.join("bin/tqdm"))
        .arg("--version")
        .env("PYTHONPATH", &site)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .unwrap();
    assert!(
        script.status.success(),
        "{}",
        String::from_utf8_lossy(&script.stderr)
    );
    let tqdm = wheels
        .iter()
        .find(|wheel| wheel.name.as_ref() == "tqdm")
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&script.stdout).trim(),
        tqdm.version.to_string()
    );
}
