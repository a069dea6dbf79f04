//! Resolution of pip sections against the real PyPI, compared with
//! `uv pip compile` run in the same test (resolved versions move over time,
//! so no list of versions is committed).

mod pypi_support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use envlock::envfile::EnvironmentFile;
use envlock::pypi::{
    resolve, CondaProvided, CondaPythonPackage, PipSection, PypiTarget, Resolution, ResolveError,
    ResolveOptions,
};
use rattler_conda_types::Subdir;

use pypi_support::{uv, uv_compile, TestServer, UvPick, GLIBC, PYTHON, WORKER};

const PLATFORMS: [(Subdir, &str); 2] = [
    (Subdir::Linux64, "x86_64-manylinux_2_28"),
    (Subdir::LinuxAarch64, "aarch64-manylinux_2_28"),
];

fn target(subdir: Subdir) -> PypiTarget {
    PypiTarget::new(subdir, PYTHON, GLIBC).unwrap()
}

async fn resolve_lines(
    lines: &[&str],
    subdir: Subdir,
    provided: &CondaProvided,
    cache: &Path,
) -> Result<Resolution, ResolveError> {
    let section = PipSection::parse(lines, Path::new(".")).unwrap();
    let options = ResolveOptions::new(cache);
    resolve(&section, &target(subdir), provided, &options).await
}

/// Starts a mirror of the PyPI pages cached in `cache` and returns its
/// index URL for uv.
async fn mirror_url(cache: &Path) -> String {
    let mirror = TestServer::start_mirror(cache).await;
    format!("{}/simple", mirror.base)
}

fn versions(resolution: &Resolution) -> BTreeMap<String, String> {
    resolution
        .wheels
        .iter()
        .map(|wheel| (wheel.name.to_string(), wheel.version.to_string()))
        .collect()
}

fn uv_versions(picks: &BTreeMap<String, UvPick>) -> BTreeMap<String, String> {
    picks
        .iter()
        .map(|(name, pick)| (name.clone(), pick.version.clone()))
        .collect()
}

/// Reads the realdata worker file's pip lines for a platform.
fn realdata_pip_lines(subdir: Subdir) -> Option<Vec<String>> {
    let Some(root) = std::env::var_os("ENVLOCK_REALDATA") else {
        assert!(
            !std::env::var("ENVLOCK_REQUIRE_REALDATA").is_ok_and(|v| v == "1"),
            "ENVLOCK_REQUIRE_REALDATA=1 but ENVLOCK_REALDATA is not set"
        );
        eprintln!("skipping: ENVLOCK_REALDATA is not set");
        return None;
    };
    let path = Path::new(&root).join("env-worker-arm64.yaml");
    let env = EnvironmentFile::from_path(&path).unwrap();
    Some(
        env.pip_requirements_for(subdir)
            .iter()
            .map(|pip| pip.text.clone())
            .collect(),
    )
}

#[tokio::test]
async fn worker_matches_uv_on_both_platforms() {
    let work = tempfile::tempdir().unwrap();
    for (subdir, uv_platform) in PLATFORMS {
        let resolution = resolve_lines(&WORKER, subdir, &CondaProvided::none(), work.path())
            .await
            .unwrap();
        let ours = versions(&resolution);
        for name in [
            "orjson",
            "pydantic",
            "pydantic-core",
            "jinja2",
            "markupsafe",
            "tqdm",
            "huey",
        ] {
            assert!(
                ours.contains_key(name),
                "{name} missing for {subdir}: {ours:?}"
            );
        }
        for wheel in &resolution.wheels {
            assert_eq!(wheel.sha256.len(), 64, "{}", wheel.filename);
            assert_eq!(wheel.index_url.as_str(), "https://pypi.org/simple/");
            assert!(wheel.filename.ends_with(".whl"));
            let arch_specific = !wheel.filename.ends_with("-none-any.whl");
            if arch_specific {
                let arch = if subdir == Subdir::Linux64 {
                    "x86_64"
                } else {
                    "aarch64"
                };
                assert!(
                    wheel.filename.contains(arch),
                    "{} is not for {arch}",
                    wheel.filename
                );
            }
        }
        let orjson = resolution
            .wheels
            .iter()
            .find(|wheel| wheel.name.as_ref() == "orjson")
            .unwrap();
        assert!(orjson.filename.contains("cp311"), "{}", orjson.filename);

        if let Some(uv) = uv() {
            let mirror = mirror_url(work.path()).await;
            let picks = uv_compile(&uv, &WORKER, uv_platform, None, &mirror, work.path()).await;
            let oracle = uv_versions(&picks);
            assert_eq!(ours, oracle, "envlock and uv disagree for {subdir}");
        }
    }
}

#[tokio::test]
async fn resolution_is_deterministic() {
    let work = tempfile::tempdir().unwrap();
    let first = resolve_lines(
        &WORKER,
        Subdir::LinuxAarch64,
        &CondaProvided::none(),
        work.path(),
    )
    .await
    .unwrap();
    let second = resolve_lines(
        &WORKER,
        Subdir::LinuxAarch64,
        &CondaProvided::none(),
        work.path(),
    )
    .await
    .unwrap();
    assert_eq!(first.wheels, second.wheels);
    let names: Vec<_> = first
        .wheels
        .iter()
        .map(|wheel| wheel.name.to_string())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
}

#[tokio::test]
async fn realdata_pip_section_matches_uv() {
    let work = tempfile::tempdir().unwrap();
    for (subdir, uv_platform) in PLATFORMS {
        let Some(lines) = realdata_pip_lines(subdir) else {
            return;
        };
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        assert_eq!(
            lines.len(),
            14,
            "the worker file's pip section changed: {lines:?}"
        );
        let resolution = resolve_lines(&lines, subdir, &CondaProvided::none(), work.path())
            .await
            .unwrap();
        let ours = versions(&resolution);
        for name in [
            "fastapi",
            "uvicorn",
            "pandas",
            "scipy",
            "statsmodels",
            "matplotlib",
            "numpy",
        ] {
            assert!(ours.contains_key(name), "{name} missing for {subdir}");
        }
        if let Some(uv) = uv() {
            let oracle = uv_versions(
                &uv_compile(
                    &uv,
                    &lines,
                    uv_platform,
                    None,
                    &mirror_url(work.path()).await,
                    work.path(),
                )
                .await,
            );
            assert_eq!(ours, oracle, "envlock and uv disagree for {subdir}");
        }
    }
}

/// Lists the conda packages a worker environment would have. Some records
/// have purls and others none, so both mapping paths run.
fn worker_conda_packages() -> Vec<CondaPythonPackage> {
    vec![
        CondaPythonPackage::new("pandas", "2.3.3").with_purls(["pkg:pypi/pandas"]),
        CondaPythonPackage::new("scipy", "1.17.0").with_purls(["pkg:pypi/scipy"]),
        CondaPythonPackage::new("numpy", "2.3.5").with_purls(["pkg:pypi/numpy"]),
        CondaPythonPackage::new("statsmodels", "0.14.5"),
        CondaPythonPackage::new("matplotlib-base", "3.10.8"),
        CondaPythonPackage::new("openssl", "3.5.4").with_purls(Vec::<String>::new()),
        CondaPythonPackage::new("tzdata", "2025b"),
        CondaPythonPackage::new("python", "3.11.14"),
    ]
}

/// uv's packages minus those that conda provides and those that only they
/// pull in: a package stays when at least one package that requires it
/// (or the pip section itself) stays.
fn without_conda_closure(
    picks: &BTreeMap<String, UvPick>,
    conda: &BTreeSet<String>,
) -> BTreeMap<String, String> {
    let mut removed: BTreeSet<String> = conda.clone();
    loop {
        let before = removed.len();
        for (name, pick) in picks {
            if removed.contains(name) {
                continue;
            }
            let direct = pick.via.iter().any(|via| via.starts_with("-r"));
            let parents: Vec<String> = pick
                .via
                .iter()
                .filter(|via| !via.starts_with("-r"))
                .map(|via| pypi_support::normalise(via))
                .collect();
            if !direct
                && !parents.is_empty()
                && parents.iter().all(|parent| removed.contains(parent))
            {
                removed.insert(name.clone());
            }
        }
        if removed.len() == before {
            break;
        }
    }
    picks
        .iter()
        .filter(|(name, _)| !removed.contains(*name))
        .map(|(name, pick)| (name.clone(), pick.version.clone()))
        .collect()
}

#[tokio::test]
async fn realdata_with_conda_provided_matches_uv() {
    let work = tempfile::tempdir().unwrap();
    let packages = worker_conda_packages();
    let provided = CondaProvided::from_conda_packages(&packages);
    let conda_names: BTreeSet<String> = ["pandas", "scipy", "numpy", "statsmodels", "matplotlib"]
        .map(String::from)
        .into();
    for (subdir, uv_platform) in PLATFORMS {
        let Some(lines) = realdata_pip_lines(subdir) else {
            return;
        };
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        let resolution = resolve_lines(&lines, subdir, &provided, work.path())
            .await
            .unwrap();
        let ours = versions(&resolution);
        for name in &conda_names {
            assert!(
                !ours.contains_key(name),
                "{name} is installed by pip although conda provides it"
            );
        }
        // numpy is needed only by conda-provided packages, whose
        // dependencies conda resolves, so the pip resolution never reaches it.
        let from_conda: BTreeSet<String> = resolution
            .from_conda
            .iter()
            .map(|d| d.name.to_string())
            .collect();
        let direct: BTreeSet<String> = ["matplotlib", "pandas", "scipy", "statsmodels"]
            .map(String::from)
            .into();
        assert_eq!(from_conda, direct);
        let matplotlib = resolution
            .from_conda
            .iter()
            .find(|d| d.name.as_ref() == "matplotlib")
            .unwrap();
        assert_eq!(matplotlib.conda_name, "matplotlib-base");
        // Packages only the conda-provided ones need (python-dateutil, pytz,
        // patsy, contourpy, ...) are conda's business, not pip's.
        for name in [
            "python-dateutil",
            "pytz",
            "patsy",
            "contourpy",
            "kiwisolver",
        ] {
            assert!(
                !ours.contains_key(name),
                "{name} should come with conda's packages"
            );
        }

        if let Some(uv) = uv() {
            // uv does not know about conda, so it resolves the conda-provided
            // packages too. Compare only what is left after removing them
            // and the packages that nothing else in the pip section needs.
            let picks = uv_compile(
                &uv,
                &lines,
                uv_platform,
                None,
                &mirror_url(work.path()).await,
                work.path(),
            )
            .await;
            let oracle = without_conda_closure(&picks, &conda_names);
            assert_eq!(ours, oracle, "envlock and uv disagree for {subdir}");
        }
    }
}

#[tokio::test]
async fn sdist_only_package_fails() {
    // docopt publishes only a source distribution (docopt-0.6.2.tar.gz).
    let work = tempfile::tempdir().unwrap();
    let error = resolve_lines(
        &["docopt"],
        Subdir::LinuxAarch64,
        &CondaProvided::none(),
        work.path(),
    )
    .await
    .unwrap_err();
    let message = error.to_string();
    assert!(
        matches!(error, ResolveError::NoCompatibleWheel { .. }),
        "{message}"
    );
    assert!(message.contains("docopt 0.6.2"), "{message}");
    assert!(message.contains("linux-aarch64"), "{message}");
    assert!(
        message.contains("source distributions are not built for foreign platforms"),
        "{message}"
    );
}

#[tokio::test]
async fn platform_marker_is_evaluated_for_target() {
    let work = tempfile::tempdir().unwrap();
    let lines = ["tqdm", "six ; platform_machine == \"aarch64\""];
    let arm = resolve_lines(
        &lines,
        Subdir::LinuxAarch64,
        &CondaProvided::none(),
        work.path(),
    )
    .await
    .unwrap();
    let intel = resolve_lines(&lines, Subdir::Linux64, &CondaProvided::none(), work.path())
        .await
        .unwrap();
    assert!(versions(&arm).contains_key("six"));
    assert!(!versions(&intel).contains_key("six"));
    assert!(versions(&intel).contains_key("tqdm"));
}

#[tokio::test]
async fn conda_version_conflict_names_both() {
    let work = tempfile::tempdir().unwrap();
    let packages = [CondaPythonPackage::new("pandas", "2.1.0").with_purls(["pkg:pypi/pandas"])];
    let provided = CondaProvided::from_conda_packages(&packages);
    let error = resolve_lines(&["pandas>=2.3.3"], Subdir::Linux64, &provided, work.path())
        .await
        .unwrap_err();
    let message = error.to_string();
    assert!(
        matches!(error, ResolveError::CondaVersionConflict { .. }),
        "{message}"
    );
    assert!(message.contains("pandas>=2.3.3"), "{message}");
    assert!(message.contains("conda package pandas 2.1.0"), "{message}");
}

#[tokio::test]
async fn offline_uses_only_the_cache() {
    let work = tempfile::tempdir().unwrap();
    let section = PipSection::parse(&WORKER, Path::new(".")).unwrap();
    let target = target(Subdir::LinuxAarch64);
    let online = resolve(
        &section,
        &target,
        &CondaProvided::none(),
        &ResolveOptions::new(work.path()),
    )
    .await
    .unwrap();
    let options = ResolveOptions::new(work.path()).with_offline(true);
    let offline = resolve(&section, &target, &CondaProvided::none(), &options)
        .await
        .unwrap();
    assert_eq!(online.wheels, offline.wheels);

    let empty = tempfile::tempdir().unwrap();
    let options = ResolveOptions::new(empty.path()).with_offline(true);
    let error = resolve(&section, &target, &CondaProvided::none(), &options)
        .await
        .unwrap_err();
    let message = error.to_string();
    assert!(message.contains("offline mode"), "{message}");
    assert!(message.contains("is not in the cache"), "{message}");
}

#[tokio::test]
async fn unknown_package_is_not_found() {
    let work = tempfile::tempdir().unwrap();
    let error = resolve_lines(
        &["envlock-test-no-such-package-7f3a9c"],
        Subdir::Linux64,
        &CondaProvided::none(),
        work.path(),
    )
    .await
    .unwrap_err();
    let message = error.to_string();
    assert!(matches!(error, ResolveError::NotFound { .. }), "{message}");
    assert!(
        message.contains("envlock-test-no-such-package-7f3a9c"),
        "{message}"
    );
    assert!(message.contains("https://pypi.org/simple/"), "{message}");
}

#[tokio::test]
async fn exclude_newer_matches_uv() {
    let work = tempfile::tempdir().unwrap();
    let cutoff = "2024-06-01T00:00:00Z"
        .parse::<chrono::DateTime<chrono::Utc>>()
        .unwrap();
    let lines = ["pydantic>=2", "tqdm"];
    let section = PipSection::parse(&lines, Path::new(".")).unwrap();
    let options = ResolveOptions::new(work.path()).with_exclude_newer(cutoff);
    let resolution = resolve(
        &section,
        &target(Subdir::LinuxAarch64),
        &CondaProvided::none(),
        &options,
    )
    .await
    .unwrap();
    let ours = versions(&resolution);
    let pydantic: pep440_rs::Version = ours["pydantic"].parse().unwrap();
    assert!(
        pydantic < "2.8".parse().unwrap(),
        "pydantic {pydantic} was released after the cutoff"
    );

    if let Some(uv) = uv() {
        let oracle = uv_versions(
            &uv_compile(
                &uv,
                &lines,
                "aarch64-manylinux_2_28",
                Some(cutoff),
                &mirror_url(work.path()).await,
                work.path(),
            )
            .await,
        );
        assert_eq!(ours, oracle);
    }
}
