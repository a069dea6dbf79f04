//! Helpers shared by the `pypi_*` tests: the uv oracle, a PEP 691 index
//! served on 127.0.0.1, and small wheels built in memory.

#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The worker's pip requirements.
pub const WORKER: [&str; 8] = [
    "huey>=2.6.0",
    "jinja2>=3.1.0",
    "orjson>=3.11.5",
    "pydantic>=2.12.5",
    "tqdm>=4.67.1",
    "aiosmtplib>=5.0.0",
    "email-validator>=2.3.0",
    "python-multipart>=0.0.21",
];

/// The CPython version the tests resolve for (a conda-forge 3.11 build).
pub const PYTHON: &str = "3.11.14";

/// The glibc version the tests resolve for.
pub const GLIBC: &str = "2.28";

/// Finds the uv binary that serves as the oracle: `ENVLOCK_UV`, or the virtual
/// environment made by `python3 -m venv target/uv-venv && target/uv-venv/bin/pip
/// install uv==0.13.9`. With `ENVLOCK_REQUIRE_UV=1` (set by `.ci/run`) a
/// missing uv fails the test; elsewhere the caller skips the comparison.
pub fn uv() -> Option<PathBuf> {
    let candidate = std::env::var_os("ENVLOCK_UV")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/uv-venv/bin/uv"));
    if candidate.is_file() {
        return Some(candidate);
    }
    if std::env::var("ENVLOCK_REQUIRE_UV").is_ok_and(|v| v == "1") {
        panic!(
            "uv not found at {}; set ENVLOCK_UV or run `python3 -m venv target/uv-venv && target/uv-venv/bin/pip install uv==0.13.9`",
            candidate.display()
        );
    }
    eprintln!(
        "skipping the uv comparison: uv not found at {}",
        candidate.display()
    );
    None
}

/// One package of uv's output: version and the packages that require it.
#[derive(Debug, Clone)]
pub struct UvPick {
    pub version: String,
    pub via: Vec<String>,
}

/// Runs `uv pip compile` for a manylinux platform (e.g.
/// `aarch64-manylinux_2_28`) with wheels only, like envlock for foreign
/// platforms, and returns name → pick. `index_url` is usually a
/// [`TestServer::start_mirror`] so that uv reads the same pages as envlock.
pub async fn uv_compile(
    uv: &Path,
    requirements: &[&str],
    platform: &str,
    cutoff: Option<chrono::DateTime<chrono::Utc>>,
    index_url: &str,
    work: &Path,
) -> BTreeMap<String, UvPick> {
    let input = work.join(format!("uv-input-{platform}.txt"));
    std::fs::write(&input, requirements.join("\n") + "\n").unwrap();
    let mut command = tokio::process::Command::new(uv);
    command
        .args([
            "pip",
            "compile",
            "--quiet",
            "--no-header",
            "--annotation-style",
            "line",
        ])
        .args(["--python-platform", platform, "--python-version", PYTHON])
        .args([
            "--only-binary",
            ":all:",
            "--no-python-downloads",
            "--index-url",
            index_url,
        ])
        .arg("--cache-dir")
        .arg(work.join("uv-cache"))
        .arg(&input)
        .env("UV_PYTHON_DOWNLOADS", "never")
        .env_remove("UV_INDEX_URL")
        .env_remove("UV_EXTRA_INDEX_URL");
    if let Some(cutoff) = cutoff {
        command
            .arg("--exclude-newer")
            .arg(cutoff.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    }
    let output = command.output().await.expect("uv runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "uv pip compile failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    parse_uv_output(&stdout)
}

fn parse_uv_output(text: &str) -> BTreeMap<String, UvPick> {
    let mut picks = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (pin, comment) = line.split_once('#').unwrap_or((line, ""));
        let (name, version) = pin.trim().split_once("==").expect("uv pins with ==");
        let via = comment
            .trim()
            .strip_prefix("via ")
            .unwrap_or("")
            .split(',')
            .map(|part| part.trim().to_string())
            .filter(|part| !part.is_empty())
            .collect();
        picks.insert(
            normalise(name),
            UvPick {
                version: version.trim().to_string(),
                via,
            },
        );
    }
    picks
}

/// PEP 503 normalisation.
pub fn normalise(name: &str) -> String {
    let lowered = name.trim().to_ascii_lowercase().replace(['_', '.'], "-");
    let mut result = String::new();
    for c in lowered.chars() {
        if c == '-' && result.ends_with('-') {
            continue;
        }
        result.push(c);
    }
    result
}

/// A response of the test index server.
#[derive(Clone)]
pub struct Response {
    pub content_type: String,
    pub body: Vec<u8>,
}

/// The content a [`TestServer`] serves.
#[derive(Clone)]
enum Content {
    /// Fixed paths.
    Routes(Arc<HashMap<String, Response>>),
    /// PyPI's `/simple/<name>/` JSON pages, taken from an envlock cache
    /// directory when the resolution there fetched them, else from PyPI.
    Mirror(PathBuf),
}

/// An HTTP/1.1 server on 127.0.0.1 that serves fixed paths, optionally
/// behind Basic authentication, and records the requested paths.
pub struct TestServer {
    pub base: String,
    pub requests: Arc<Mutex<Vec<String>>>,
}

impl TestServer {
    /// Serves `routes` (path → response) until the runtime stops. With
    /// `basic_auth` (the base64 of `user:password`), requests without that
    /// header get 401.
    pub async fn start(routes: HashMap<String, Response>, basic_auth: Option<String>) -> Self {
        Self::serve(Content::Routes(Arc::new(routes)), basic_auth).await
    }

    /// Serves the PyPI project pages that an envlock resolution with this
    /// cache directory read, so that uv resolves from the same page
    /// versions. PyPI's CDN sometimes serves an older copy of a page for
    /// days, so two clients fetching at different moments can see different
    /// releases. Pages the resolution did not read come from PyPI.
    pub async fn start_mirror(cache_dir: &Path) -> Self {
        Self::serve(Content::Mirror(cache_dir.to_path_buf()), None).await
    }

    async fn serve(content: Content, basic_auth: Option<String>) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let log = requests.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    return;
                };
                let content = content.clone();
                let auth = basic_auth.clone();
                let log = log.clone();
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut buffer = [0u8; 4096];
                    while !head.windows(4).any(|window| window == b"\r\n\r\n") {
                        let Ok(read) = stream.read(&mut buffer).await else {
                            return;
                        };
                        if read == 0 {
                            return;
                        }
                        head.extend_from_slice(&buffer[..read]);
                    }
                    let head = String::from_utf8_lossy(&head).to_string();
                    let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
                    log.lock().unwrap().push(path.clone());
                    let authorised = match &auth {
                        None => true,
                        Some(expected) => head.lines().any(|line| {
                            line.to_ascii_lowercase().starts_with("authorization:")
                                && line.ends_with(&format!("Basic {expected}"))
                        }),
                    };

                    let (status, content_type, body) = if authorised {
                        respond(&content, &path).await
                    } else {
                        (
                            "401 Unauthorized",
                            "text/plain".to_string(),
                            b"unauthorized".to_vec(),
                        )
                    };
                    let header = format!(
                        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = stream.write_all(header.as_bytes()).await;
                    let _ = stream.write_all(&body).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        Self { base, requests }
    }
}

async fn respond(content: &Content, path: &str) -> (&'static str, String, Vec<u8>) {
    let not_found = (
        "404 Not Found",
        "text/plain".to_string(),
        b"not found".to_vec(),
    );
    let json = "application/vnd.pypi.simple.v1+json".to_string();
    match content {
        Content::Routes(routes) => match routes.get(path) {
            Some(response) => (
                "200 OK",
                response.content_type.clone(),
                response.body.clone(),
            ),
            None => not_found,
        },
        Content::Mirror(cache_dir) => {
            let Some(name) = path
                .strip_prefix("/simple/")
                .map(|rest| rest.trim_end_matches('/'))
            else {
                return not_found;
            };
            if let Some(page) = cached_page(cache_dir, name) {
                return ("200 OK", json, page);
            }
            let response = reqwest::Client::new()
                .get(format!("https://pypi.org/simple/{name}/"))
                .header("Accept", "application/vnd.pypi.simple.v1+json")
                .send()
                .await;
            match response {
                Ok(response) if response.status().is_success() => (
                    "200 OK",
                    json,
                    response
                        .bytes()
                        .await
                        .map(|body| body.to_vec())
                        .unwrap_or_default(),
                ),
                _ => not_found,
            }
        }
    }
}

/// Finds `pypi/simple/<index key>/<name>.json` below an envlock cache directory.
fn cached_page(cache_dir: &Path, name: &str) -> Option<Vec<u8>> {
    let simple = cache_dir.join("pypi/simple");
    for entry in std::fs::read_dir(simple).ok()? {
        let page = entry.ok()?.path().join(format!("{}.json", normalise(name)));
        if let Ok(bytes) = std::fs::read(page) {
            return Some(bytes);
        }
    }
    None
}

/// A pure-Python wheel built in memory.
pub struct TestWheel {
    pub filename: String,
    pub bytes: Vec<u8>,
    pub metadata: Vec<u8>,
}

impl TestWheel {
    pub fn sha256(&self) -> String {
        hex::encode(Sha256::digest(&self.bytes))
    }
}

/// Builds `{name}-{version}-py3-none-any.whl` with a module, METADATA with
/// `requires`, a console script and a `.data/scripts` file.
pub fn build_wheel(name: &str, version: &str, requires: &[&str]) -> TestWheel {
    build_wheel_with(name, version, requires, &[])
}

/// Builds a wheel like [`build_wheel`], with extra archive entries (path, content).
pub fn build_wheel_with(
    name: &str,
    version: &str,
    requires: &[&str],
    extra: &[(&str, &[u8])],
) -> TestWheel {
    let module = name.replace('-', "_");
    let dist_info = format!("{module}-{version}.dist-info");
    let mut metadata = format!(
        "Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nRequires-Python: >=3.8\n"
    );
    for requirement in requires {
        metadata.push_str(&format!("Requires-Dist: {requirement}\n"));
    }
    let entries: Vec<(String, Vec<u8>)> = vec![
        (format!("{module}/__init__.py"), format!("VERSION = \"{version}\"\ndef main():\n    print(VERSION)\n").into_bytes()),
        (format!("{dist_info}/METADATA"), metadata.clone().into_bytes()),
        (format!("{dist_info}/WHEEL"), b"Wheel-Version: 1.0\nGenerator: envlock-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n".to_vec()),
        (format!("{dist_info}/entry_points.txt"), format!("[console_scripts]\n{name}-cli = {module}:main\n").into_bytes()),
        (format!("{module}-{version}.data/scripts/{name}-tool"), b"#!python\nprint('tool')\n".to_vec()),
        (format!("{module}-{version}.data/data/share/{name}/readme.txt"), b"data file\n".to_vec()),
        (format!("{dist_info}/RECORD"), b"stale,,\n".to_vec()),
    ];
    let mut cursor = std::io::Cursor::new(Vec::new());
    {
        let mut writer = zip::ZipWriter::new(&mut cursor);
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (path, content) in entries
            .iter()
            .map(|(p, c)| (p.as_str(), c.as_slice()))
            .chain(extra.iter().copied())
        {
            writer.start_file(path, options).unwrap();
            writer.write_all(content).unwrap();
        }
        writer.finish().unwrap();
    }
    TestWheel {
        filename: format!("{module}-{version}-py3-none-any.whl"),
        bytes: cursor.into_inner(),
        metadata: metadata.into_bytes(),
    }
}

/// Adds a project page and its wheels to `routes` under `/{prefix}/simple/`
/// and `/{prefix}/files/`; with `pep658` the page advertises `.metadata`
/// files and serves them.
pub fn add_project(
    routes: &mut HashMap<String, Response>,
    prefix: &str,
    name: &str,
    wheels: &[TestWheel],
    pep658: bool,
) {
    let mut files = Vec::new();
    for wheel in wheels {
        let file_path = format!("/{prefix}/files/{}", wheel.filename);
        routes.insert(
            file_path.clone(),
            Response {
                content_type: "application/octet-stream".into(),
                body: wheel.bytes.clone(),
            },
        );
        let mut entry = serde_json::json!({
            "filename": wheel.filename,
            "url": format!("../../files/{}", wheel.filename),
            "hashes": {"sha256": wheel.sha256()},
            "requires-python": ">=3.8",
        });
        if pep658 {
            routes.insert(
                format!("{file_path}.metadata"),
                Response {
                    content_type: "application/octet-stream".into(),
                    body: wheel.metadata.clone(),
                },
            );
            entry["core-metadata"] =
                serde_json::json!({"sha256": hex::encode(Sha256::digest(&wheel.metadata))});
        }
        files.push(entry);
    }
    let page = serde_json::json!({"meta": {"api-version": "1.1"}, "name": name, "files": files});
    routes.insert(
        format!("/{prefix}/simple/{name}/"),
        Response {
            content_type: "application/vnd.pypi.simple.v1+json".into(),
            body: serde_json::to_vec(&page).unwrap(),
        },
    );
}
