//! Index options and installation against PEP 691 indexes served on
//! 127.0.0.1 by the test itself, with wheels built in memory.

mod pypi_support;

use std::collections::{BTreeMap, HashMap};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use envlock::pypi::{
    install_wheels, resolve, CondaProvided, InstallError, LockedWheel, PipSection, PypiTarget,
    ResolveError, ResolveOptions,
};
use rattler_conda_types::Subdir;

use pypi_support::{
    add_project, build_wheel, build_wheel_with, Response, TestServer, GLIBC, PYTHON,
};

const SITE: &str = "lib/python3.11/site-packages";

fn target() -> PypiTarget {
    PypiTarget::new(Subdir::LinuxAarch64, PYTHON, GLIBC).unwrap()
}

async fn resolve_lines(lines: &[String], cache: &Path) -> Result<Vec<LockedWheel>, ResolveError> {
    let section = PipSection::parse(lines, Path::new(".")).unwrap();
    let resolution = resolve(
        &section,
        &target(),
        &CondaProvided::none(),
        &ResolveOptions::new(cache),
    )
    .await?;
    Ok(resolution.wheels)
}

fn demo_routes(prefix: &str, demo_version: &str, pep658: bool) -> HashMap<String, Response> {
    let mut routes = HashMap::new();
    add_project(
        &mut routes,
        prefix,
        "envlock-demo",
        &[build_wheel(
            "envlock-demo",
            demo_version,
            &["envlock-helper>=1.0"],
        )],
        pep658,
    );
    add_project(
        &mut routes,
        prefix,
        "envlock-helper",
        &[build_wheel("envlock-helper", "1.2", &[])],
        pep658,
    );
    routes
}

#[tokio::test]
async fn index_url_credentials_stay_out_of_lock() {
    use base64::Engine;
    let token = base64::engine::general_purpose::STANDARD.encode("deploy:s3cret-token");
    let server = TestServer::start(demo_routes("private", "1.0", true), Some(token)).await;
    let host = server.base.trim_start_matches("http://");
    let lines = vec![
        format!("--index-url http://deploy:s3cret-token@{host}/private/simple/"),
        "envlock-demo".to_string(),
    ];
    let work = tempfile::tempdir().unwrap();
    let wheels = resolve_lines(&lines, work.path()).await.unwrap();

    let names: Vec<String> = wheels.iter().map(|wheel| wheel.name.to_string()).collect();
    assert_eq!(names, ["envlock-demo", "envlock-helper"]);
    for wheel in &wheels {
        let stored = format!("{:?}", wheel.to_pypi_package_data());
        assert!(!stored.contains("s3cret"), "{stored}");
        assert!(!stored.contains("deploy"), "{stored}");
        assert_eq!(
            wheel.index_url.as_str(),
            format!("{}/private/simple/", server.base)
        );
        assert!(wheel
            .url
            .as_str()
            .starts_with(&format!("{}/private/files/", server.base)));
    }

    let lines = vec![
        format!("--index-url http://deploy:wrong-token@{host}/private/simple/"),
        "envlock-demo".to_string(),
    ];
    let error = resolve_lines(&lines, work.path()).await.unwrap_err();
    let message = error.to_string();
    assert!(message.contains("401"), "{message}");
    assert!(!message.contains("wrong-token"), "{message}");
    assert!(!message.contains("deploy"), "{message}");
}

#[tokio::test]
async fn primary_index_wins_over_extra_index() {
    let mut routes = HashMap::new();
    // The primary index has envlock-demo 1.0 only. The extra index has the
    // helper and a newer envlock-demo that must not be taken.
    add_project(
        &mut routes,
        "primary",
        "envlock-demo",
        &[build_wheel("envlock-demo", "1.0", &["envlock-helper"])],
        true,
    );
    add_project(
        &mut routes,
        "extra",
        "envlock-demo",
        &[build_wheel("envlock-demo", "9.0", &["envlock-helper"])],
        true,
    );
    add_project(
        &mut routes,
        "extra",
        "envlock-helper",
        &[build_wheel("envlock-helper", "1.2", &[])],
        true,
    );
    let server = TestServer::start(routes, None).await;

    let lines = vec![
        format!("--index-url {}/primary/simple", server.base),
        format!("--extra-index-url {}/extra/simple", server.base),
        "envlock-demo".to_string(),
    ];
    let work = tempfile::tempdir().unwrap();
    let wheels = resolve_lines(&lines, work.path()).await.unwrap();

    let picked: BTreeMap<String, (String, String)> = wheels
        .iter()
        .map(|wheel| {
            (
                wheel.name.to_string(),
                (wheel.version.to_string(), wheel.index_url.to_string()),
            )
        })
        .collect();
    assert_eq!(
        picked["envlock-demo"],
        (
            "1.0".to_string(),
            format!("{}/primary/simple/", server.base)
        )
    );
    assert_eq!(
        picked["envlock-helper"],
        ("1.2".to_string(), format!("{}/extra/simple/", server.base))
    );
}

#[tokio::test]
async fn metadata_from_wheel_without_pep658() {
    let server = TestServer::start(demo_routes("plain", "1.0", false), None).await;
    let lines = vec![
        format!("--index-url {}/plain/simple", server.base),
        "envlock-demo".to_string(),
    ];
    let work = tempfile::tempdir().unwrap();
    let wheels = resolve_lines(&lines, work.path()).await.unwrap();
    assert_eq!(wheels.len(), 2);
    assert_eq!(
        wheels[0].requires_dist[0].to_string(),
        "envlock-helper>=1.0"
    );
    let requests = server.requests.lock().unwrap().clone();
    assert!(
        requests.iter().any(|path| path.ends_with(".whl")),
        "{requests:?}"
    );
    assert!(
        !requests.iter().any(|path| path.ends_with(".metadata")),
        "{requests:?}"
    );
}

#[tokio::test]
async fn html_only_index_is_rejected() {
    let mut routes = HashMap::new();
    routes.insert(
        "/html/simple/envlock-demo/".to_string(),
        Response {
            content_type: "text/html".into(),
            body: b"<html><body></body></html>".to_vec(),
        },
    );
    let server = TestServer::start(routes, None).await;
    let lines = vec![
        format!("--index-url {}/html/simple", server.base),
        "envlock-demo".to_string(),
    ];
    let work = tempfile::tempdir().unwrap();
    let message = resolve_lines(&lines, work.path())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("did not respond with PEP 691 JSON"),
        "{message}"
    );
    assert!(message.contains("text/html"), "{message}");
}

/// Collects every file below `root` with its bytes and mode, for exact comparisons.
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

async fn local_demo_wheels(server: &TestServer, work: &Path) -> Vec<LockedWheel> {
    let lines = vec![
        format!("--index-url {}/local/simple", server.base),
        "envlock-demo".to_string(),
    ];
    resolve_lines(&lines, work).await.unwrap()
}

#[tokio::test]
async fn install_maps_data_scripts_and_record() {
    let server = TestServer::start(demo_routes("local", "1.0", true), None).await;
    let work = tempfile::tempdir().unwrap();
    let cache = work.path().join("cache");
    let wheels = local_demo_wheels(&server, &cache).await;
    let prefix = work.path().join("prefix");
    let report = install_wheels(&prefix, Path::new("/opt/env"), SITE, &wheels, &cache, false)
        .await
        .unwrap();
    assert_eq!(report.installed.len(), 2);

    let site = prefix.join(SITE);
    assert!(site.join("envlock_demo/__init__.py").is_file());
    assert_eq!(
        std::fs::read_to_string(prefix.join("share/envlock-demo/readme.txt")).unwrap(),
        "data file\n"
    );
    let tool = std::fs::read_to_string(prefix.join("bin/envlock-demo-tool")).unwrap();
    assert_eq!(tool, "#!/opt/env/bin/python\nprint('tool')\n");
    let cli = std::fs::read_to_string(prefix.join("bin/envlock-demo-cli")).unwrap();
    assert!(cli.starts_with("#!/opt/env/bin/python\n"), "{cli}");
    assert!(cli.contains("from envlock_demo import main"), "{cli}");
    let mode = std::fs::metadata(prefix.join("bin/envlock-demo-cli"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o755);

    let dist_info = site.join("envlock_demo-1.0.dist-info");
    assert_eq!(
        std::fs::read_to_string(dist_info.join("INSTALLER")).unwrap(),
        "envlock\n"
    );
    let record = std::fs::read_to_string(dist_info.join("RECORD")).unwrap();
    assert!(!record.contains("stale"), "{record}");
    assert!(
        record.contains("envlock_demo/__init__.py,sha256="),
        "{record}"
    );
    assert!(
        record.contains("../../../bin/envlock-demo-cli,sha256="),
        "{record}"
    );
    assert!(
        record.contains("../../../share/envlock-demo/readme.txt,sha256="),
        "{record}"
    );
    assert!(
        record.contains("envlock_demo-1.0.dist-info/INSTALLER,sha256="),
        "{record}"
    );
    assert!(
        record.ends_with("envlock_demo-1.0.dist-info/RECORD,,\n"),
        "{record}"
    );
    let pyc = snapshot(&prefix)
        .keys()
        .filter(|path| path.ends_with(".pyc"))
        .count();
    assert_eq!(pyc, 0);
}

#[tokio::test]
async fn install_is_byte_identical() {
    let server = TestServer::start(demo_routes("local", "1.0", true), None).await;
    let work = tempfile::tempdir().unwrap();
    let cache = work.path().join("cache");
    let wheels = local_demo_wheels(&server, &cache).await;
    let first = work.path().join("first");
    let second = work.path().join("second");
    install_wheels(&first, Path::new("/opt/env"), SITE, &wheels, &cache, false)
        .await
        .unwrap();
    install_wheels(&second, Path::new("/opt/env"), SITE, &wheels, &cache, true)
        .await
        .unwrap();
    assert_eq!(snapshot(&first), snapshot(&second));
}

#[tokio::test]
async fn unsafe_wheel_path_leaves_prefix_unchanged() {
    let mut routes = demo_routes("local", "1.0", true);
    let evil = build_wheel_with("envlock-evil", "1.0", &[], &[("../../escape.txt", b"x")]);
    add_project(&mut routes, "local", "envlock-evil", &[evil], true);
    let server = TestServer::start(routes, None).await;
    let work = tempfile::tempdir().unwrap();
    let cache = work.path().join("cache");
    let lines = vec![
        format!("--index-url {}/local/simple", server.base),
        "envlock-demo".to_string(),
        "envlock-evil".to_string(),
    ];
    let wheels = resolve_lines(&lines, &cache).await.unwrap();
    let prefix = work.path().join("prefix");
    std::fs::create_dir_all(prefix.join("conda-meta")).unwrap();
    std::fs::write(prefix.join("conda-meta/history"), "kept\n").unwrap();
    let before = snapshot(&prefix);

    let error = install_wheels(&prefix, Path::new("/opt/env"), SITE, &wheels, &cache, false)
        .await
        .unwrap_err();
    assert!(matches!(error, InstallError::UnsafePath { .. }), "{error}");
    assert!(error.to_string().contains("../../escape.txt"), "{error}");
    assert_eq!(snapshot(&prefix), before);
    assert!(!work.path().join("escape.txt").exists());
}

#[tokio::test]
async fn invalid_site_packages_is_rejected() {
    let work = tempfile::tempdir().unwrap();
    for value in ["../lib", "/lib/python3.11/site-packages", ""] {
        let error = install_wheels(
            work.path(),
            Path::new("/opt/env"),
            value,
            &[],
            work.path(),
            true,
        )
        .await
        .unwrap_err();
        assert!(
            matches!(error, InstallError::InvalidSitePackages { .. }),
            "{value}: {error}"
        );
    }
}
