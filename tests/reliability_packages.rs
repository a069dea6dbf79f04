//! Hostile and broken package archives given to `envlock install` through an
//! explicit file: paths that leave the prefix, symbolic links out of it,
//! metadata that disagrees with the contents, wrong hashes and corrupt zstd.
//! Each must be rejected before anything is linked.
//!
//! The archives are built by hand with the `zip`, `zstd` and `tar` crates,
//! because the stand-in generator only writes well-formed packages.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::{assert_exit, envlock, stderr, test_dir};
use sha2::Digest;

/// One member of a hand-built package payload.
enum Member {
    File(&'static str, &'static [u8]),
    Symlink(&'static str, String),
}

/// A tar header with `path` written into the name field as raw bytes, so
/// `..` and absolute paths survive (the `tar` builder rejects them).
fn raw_header(path: &str, size: u64, kind: tar::EntryType) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    let name = &mut header.as_gnu_mut().expect("gnu header").name;
    name[..path.len()].copy_from_slice(path.as_bytes());
    header.set_size(size);
    header.set_mode(0o644);
    header.set_entry_type(kind);
    header.set_mtime(1_700_000_000);
    header.set_cksum();
    header
}

fn tar_zst(members: &[(String, Vec<u8>, Option<String>)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (path, contents, link) in members {
        match link {
            Some(target) => {
                let mut header = raw_header(path, 0, tar::EntryType::Symlink);
                header.set_link_name(target).expect("link name");
                header.set_cksum();
                builder
                    .append(&header, std::io::empty())
                    .expect("append link");
            }
            None => {
                let header = raw_header(path, contents.len() as u64, tar::EntryType::Regular);
                builder
                    .append(&header, contents.as_slice())
                    .expect("append file");
            }
        }
    }
    let tar = builder.into_inner().expect("finish tar");
    zstd::encode_all(tar.as_slice(), 3).expect("zstd")
}

/// The `paths.json` entry of a member, with its real size unless `size` overrides it.
fn paths_entry(member: &Member, size: Option<u64>) -> serde_json::Value {
    match member {
        Member::File(path, contents) => {
            let sha = hex::encode(sha2::Sha256::digest(contents));
            serde_json::json!({"_path": path, "path_type": "hardlink", "sha256": sha, "size_in_bytes": size.unwrap_or(contents.len() as u64)})
        }
        Member::Symlink(path, _) => serde_json::json!({"_path": path, "path_type": "softlink"}),
    }
}

/// How a hand-built archive departs from a well-formed one.
#[derive(Default)]
struct Damage {
    /// Extra `paths.json` entries with no member in the archive.
    unlisted_paths: Vec<&'static str>,
    /// A wrong `size_in_bytes` for the first file.
    wrong_size: Option<u64>,
    /// Replace the payload member with bytes that are not zstd.
    corrupt_payload: bool,
}

/// Writes `<channel>/linux-64/<name>-1.0-0.conda` and returns its path.
fn build_package(channel: &Path, name: &str, members: &[Member], damage: &Damage) -> PathBuf {
    let dist = format!("{name}-1.0-0");
    let mut entries: Vec<serde_json::Value> = members
        .iter()
        .enumerate()
        .map(|(index, member)| {
            paths_entry(member, if index == 0 { damage.wrong_size } else { None })
        })
        .collect();
    for path in &damage.unlisted_paths {
        entries
            .push(serde_json::json!({"_path": path, "path_type": "hardlink", "size_in_bytes": 1}));
    }
    let paths = serde_json::json!({"paths": entries, "paths_version": 1});
    let index = serde_json::json!({
        "name": name, "version": "1.0", "build": "0", "build_number": 0, "depends": [],
        "subdir": "linux-64", "arch": "x86_64", "platform": "linux", "license": "BSD-3-Clause",
    });
    let info = tar_zst(&[
        (
            "info/index.json".into(),
            index.to_string().into_bytes(),
            None,
        ),
        (
            "info/paths.json".into(),
            paths.to_string().into_bytes(),
            None,
        ),
    ]);
    let payload_members: Vec<(String, Vec<u8>, Option<String>)> = members
        .iter()
        .map(|member| match member {
            Member::File(path, contents) => (path.to_string(), contents.to_vec(), None),
            Member::Symlink(path, target) => (path.to_string(), Vec::new(), Some(target.clone())),
        })
        .collect();
    let payload = if damage.corrupt_payload {
        b"this is not a zstd frame at all".to_vec()
    } else {
        tar_zst(&payload_members)
    };

    let directory = channel.join("linux-64");
    std::fs::create_dir_all(&directory).expect("create subdir");
    let path = directory.join(format!("{dist}.conda"));
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).expect("create archive"));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("metadata.json", stored).expect("zip member");
    zip.write_all(br#"{"conda_pkg_format_version": 2}"#)
        .expect("write");
    zip.start_file(format!("pkg-{dist}.tar.zst"), stored)
        .expect("zip member");
    zip.write_all(&payload).expect("write");
    zip.start_file(format!("info-{dist}.tar.zst"), stored)
        .expect("zip member");
    zip.write_all(&info).expect("write");
    zip.finish().expect("finish zip");
    path
}

/// Writes an explicit file for `archives` with their real sha256 (or `sha256` when given).
fn explicit_file(dir: &Path, archives: &[&Path], sha256: Option<&str>) -> PathBuf {
    let mut text = "# platform: linux-64\n@EXPLICIT\n".to_string();
    for archive in archives {
        let digest = sha256
            .map(str::to_string)
            .unwrap_or_else(|| hex::encode(sha2::Sha256::digest(std::fs::read(archive).unwrap())));
        let url = url::Url::from_file_path(archive).expect("file url");
        text.push_str(&format!("{url}#{digest}\n"));
    }
    let path = dir.join("explicit.txt");
    std::fs::write(&path, text).expect("write explicit file");
    path
}

fn install(dir: &Path, explicit: &Path, prefix: &str) -> Output {
    let explicit = explicit.to_str().expect("utf-8 path");
    envlock(
        dir,
        &[
            "install",
            explicit,
            "-p",
            "linux-64",
            "--prefix",
            prefix,
            "--cache-dir",
            "cache",
            "--copy",
        ],
    )
}

/// Asserts that the install failed, named `needle`, and created no prefix.
fn assert_rejected(dir: &Path, output: &Output, code: i32, needle: &str) {
    assert_exit(output, code);
    let text = stderr(output);
    assert!(
        text.contains(needle),
        "the error does not mention {needle}:\n{text}"
    );
    assert!(!text.contains("panicked"), "{text}");
    assert!(
        !dir.join("env").exists(),
        "a rejected install created the prefix"
    );
    assert!(
        !dir.join(".env.envlock-staging").exists(),
        "a rejected install left the staging directory"
    );
}

fn good_members() -> Vec<Member> {
    vec![
        Member::File("share/good/data.txt", b"payload\n"),
        Member::Symlink("share/good/link.txt", "data.txt".into()),
    ]
}

#[test]
fn wellformed_handmade_package_installs() {
    let dir = test_dir("reliability-pkg-good");
    let archive = build_package(
        &dir.join("channel"),
        "good",
        &good_members(),
        &Damage::default(),
    );
    let output = install(&dir, &explicit_file(&dir, &[&archive], None), "env");
    assert_exit(&output, 0);
    assert_eq!(
        std::fs::read(dir.join("env/share/good/data.txt")).unwrap(),
        b"payload\n"
    );
    assert_eq!(
        std::fs::read_link(dir.join("env/share/good/link.txt")).unwrap(),
        Path::new("data.txt")
    );
}

#[test]
fn parent_path_is_rejected() {
    let dir = test_dir("reliability-pkg-parent");
    let members = [Member::File("../escaped.txt", b"owned\n")];
    let archive = build_package(&dir.join("channel"), "parent", &members, &Damage::default());
    let output = install(&dir, &explicit_file(&dir, &[&archive], None), "env");
    assert_rejected(&dir, &output, 7, "../escaped.txt");
    assert!(
        stderr(&output).contains("is absolute or contains '..'"),
        "{}",
        stderr(&output)
    );
    assert!(
        !dir.join("escaped.txt").exists(),
        "the package wrote outside the prefix"
    );
}

#[test]
fn absolute_path_is_rejected() {
    let dir = test_dir("reliability-pkg-absolute");
    let target = dir.join("outside/absolute.txt");
    let leaked: &'static str = Box::leak(target.display().to_string().into_boxed_str());
    let members = [Member::File(leaked, b"owned\n")];
    let archive = build_package(
        &dir.join("channel"),
        "absolute",
        &members,
        &Damage::default(),
    );
    let output = install(&dir, &explicit_file(&dir, &[&archive], None), "env");
    assert_rejected(&dir, &output, 7, "absolute.txt");
    assert!(
        stderr(&output).contains("is absolute or contains '..'"),
        "{}",
        stderr(&output)
    );
    assert!(!target.exists(), "the package wrote to an absolute path");
}

#[test]
fn symlink_out_of_prefix_is_rejected() {
    let dir = test_dir("reliability-pkg-symlink");
    let outside = dir.join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    let cases = [
        ("relative", "../../outside".to_string()),
        ("absolute", outside.display().to_string()),
    ];
    for (label, target) in cases {
        let channel = dir.join(format!("channel-{label}"));
        let archive = build_package(
            &channel,
            &format!("link-{label}"),
            &[Member::Symlink("lib/out", target.clone())],
            &Damage::default(),
        );
        let output = install(&dir, &explicit_file(&dir, &[&archive], None), "env");
        assert_rejected(&dir, &output, 7, "outside the prefix");

        // With a file written through the link, the extraction into the cache
        // already rejects the archive.
        let channel = dir.join(format!("channel-{label}-through"));
        let members = [
            Member::Symlink("lib/out", target),
            Member::File("lib/out/pwned.txt", b"owned\n"),
        ];
        let archive = build_package(
            &channel,
            &format!("through-{label}"),
            &members,
            &Damage::default(),
        );
        let output = install(&dir, &explicit_file(&dir, &[&archive], None), "env");
        assert_rejected(&dir, &output, 7, &format!("through-{label}-1.0-0"));
        assert!(
            std::fs::read_dir(&outside).unwrap().next().is_none(),
            "{label}: a file was written through the link"
        );
    }
}

#[test]
fn file_through_symlink_is_rejected() {
    let dir = test_dir("reliability-pkg-through-link");
    let link_package = build_package(
        &dir.join("channel"),
        "alias",
        &[Member::Symlink("data", "share".into())],
        &Damage::default(),
    );
    let writer = build_package(
        &dir.join("channel"),
        "writer",
        &[Member::File("data/file.txt", b"x\n")],
        &Damage::default(),
    );
    let output = install(
        &dir,
        &explicit_file(&dir, &[&link_package, &writer], None),
        "env",
    );
    assert_rejected(&dir, &output, 7, "below the symbolic link data");
}

#[test]
fn paths_json_disagreement_is_reported() {
    let dir = test_dir("reliability-pkg-paths-json");
    let missing = Damage {
        unlisted_paths: vec!["bin/ghost"],
        ..Damage::default()
    };
    let archive = build_package(
        &dir.join("channel-missing"),
        "ghost",
        &good_members(),
        &missing,
    );
    let output = install(&dir, &explicit_file(&dir, &[&archive], None), "env");
    assert_rejected(&dir, &output, 7, "bin/ghost");
    assert!(
        stderr(&output).contains("missing from the archive"),
        "{}",
        stderr(&output)
    );

    let wrong_size = Damage {
        wrong_size: Some(4096),
        ..Damage::default()
    };
    let archive = build_package(
        &dir.join("channel-size"),
        "sized",
        &good_members(),
        &wrong_size,
    );
    let output = install(&dir, &explicit_file(&dir, &[&archive], None), "env");
    assert_rejected(&dir, &output, 7, "records 4096 bytes");
}

#[test]
fn wrong_hash_leaves_prefix_unchanged() {
    let dir = test_dir("reliability-pkg-hash");
    let archive = build_package(
        &dir.join("channel"),
        "good",
        &good_members(),
        &Damage::default(),
    );
    assert_exit(
        &install(&dir, &explicit_file(&dir, &[&archive], None), "existing"),
        0,
    );
    let before = std::fs::read_dir(dir.join("existing/conda-meta"))
        .unwrap()
        .count();

    let wrong = "0".repeat(64);
    let output = install(&dir, &explicit_file(&dir, &[&archive], Some(&wrong)), "env");
    assert_ne!(output.status.code(), Some(0));
    assert!(
        stderr(&output).contains("good-1.0-0"),
        "{}",
        stderr(&output)
    );
    assert!(!dir.join("env").exists());

    let other = build_package(
        &dir.join("channel-2"),
        "good",
        &[Member::File("share/good/data.txt", b"changed\n")],
        &Damage::default(),
    );
    let mismatched = explicit_file(
        &dir,
        &[&other],
        Some(&hex::encode(sha2::Sha256::digest(
            std::fs::read(&archive).unwrap(),
        ))),
    );
    let output = envlock(
        &dir,
        &[
            "install",
            mismatched.to_str().unwrap(),
            "-p",
            "linux-64",
            "--prefix",
            "existing",
            "--cache-dir",
            "cache-2",
            "--copy",
        ],
    );
    assert_ne!(
        output.status.code(),
        Some(0),
        "an archive with another hash was installed"
    );
    assert_eq!(
        std::fs::read(dir.join("existing/share/good/data.txt")).unwrap(),
        b"payload\n",
        "the existing prefix changed"
    );
    assert_eq!(
        std::fs::read_dir(dir.join("existing/conda-meta"))
            .unwrap()
            .count(),
        before
    );

    // The rejected archive left nothing in cache-2 that the right one would reuse.
    let healthy = explicit_file(&dir, &[&archive], None);
    let output = envlock(
        &dir,
        &[
            "install",
            healthy.to_str().unwrap(),
            "-p",
            "linux-64",
            "--prefix",
            "fresh",
            "--cache-dir",
            "cache-2",
            "--copy",
        ],
    );
    assert_exit(&output, 0);
    assert_eq!(
        std::fs::read(dir.join("fresh/share/good/data.txt")).unwrap(),
        b"payload\n",
        "a rejected archive was reused from the cache"
    );
}

#[test]
fn corrupt_zstd_member_is_rejected() {
    let dir = test_dir("reliability-pkg-zstd");
    let damage = Damage {
        corrupt_payload: true,
        ..Damage::default()
    };
    let archive = build_package(&dir.join("channel"), "corrupt", &good_members(), &damage);
    let output = install(&dir, &explicit_file(&dir, &[&archive], None), "env");
    assert_rejected(&dir, &output, 7, "corrupt-1.0-0");
}
