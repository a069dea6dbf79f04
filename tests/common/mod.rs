//! Helpers shared by envlock's integration tests: the stand-in channel, a
//! loopback server for it, and running the `envlock` binary.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use standin_channel::ChannelSpec;

pub mod programs;
pub mod rootfs;

/// The reference environment, as committed at the repository root.
pub fn worker_env_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("env-worker-arm64.yaml")
}

/// A directory for one test's files, kept under Cargo's target directory.
pub fn test_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("envlock-tests")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create test directory");
    dir
}

/// Writes a channel for `spec` into `dir` (blocking).
pub fn write_channel(spec: &ChannelSpec, dir: &Path) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime
        .block_on(standin_channel::write_channel(spec, dir))
        .expect("write stand-in channel");
}

/// The placeholder a binary file of the stand-in python carries, as long
/// as conda-forge's (255 bytes minus the `_placehold` padding rules).
pub fn binary_placeholder() -> String {
    standin_channel::nwchem_placeholder(1_700_000_000_000).replace("nwchem_", "python_")
}

/// The worker channel spec used by the tests: the generator's worker
/// closure plus compiled `nwchem`/`xtb` stand-ins per platform (see
/// `programs`) and a binary-placeholder file in python, as the real
/// `libpython` has.
pub fn worker_spec() -> ChannelSpec {
    let mut spec = ChannelSpec::worker().map_package("python", |package| {
        let mut contents = b"ELF stand-in for libpython; build prefix: ".to_vec();
        contents.extend_from_slice(binary_placeholder().as_bytes());
        contents.extend_from_slice(b"/lib\0tail");
        let mut file = standin_channel::FileSpec::new("lib/libpython3.11.so.1.0", contents);
        file.mode = standin_channel::FileMode::BinaryPlaceholder {
            placeholder: binary_placeholder(),
        };
        package.with_file(file)
    });
    match spec.clone().with_compiled_programs() {
        Ok(compiled) => spec = compiled,
        Err(reason) if rootfs::required() => {
            panic!("cannot compile the stand-in programs: {reason}")
        }
        Err(reason) => eprintln!("note: keeping the sh stand-ins of nwchem and xtb: {reason}"),
    }
    spec
}

/// The worker stand-in channel, generated once per test process.
pub fn worker_channel() -> &'static Path {
    static CHANNEL: OnceLock<PathBuf> = OnceLock::new();
    CHANNEL.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("envlock-tests")
            .join(format!("worker-channel-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        write_channel(&worker_spec(), &dir);
        dir
    })
}

/// The worker channel as a `--mirror` argument value for conda-forge (file://).
pub fn worker_mirror() -> String {
    let url = url::Url::from_directory_path(worker_channel()).expect("file url");
    format!("conda-forge={url}")
}

/// Solves the worker environment (without pip) into `dir/locks/`.
pub fn solve_worker_in(dir: &Path, platforms: &[&str]) {
    std::fs::copy(worker_env_file(), dir.join("env-worker-arm64.yaml")).expect("copy env file");
    let mirror = worker_mirror();
    let mut args = vec![
        "solve",
        "--ignore-pip",
        "--mirror",
        &mirror,
        "--cache-dir",
        "solve-cache",
    ];
    for platform in platforms {
        args.extend_from_slice(&["-p", platform]);
    }
    assert_exit(&envlock(dir, &args), 0);
}

/// Runs the envlock binary with `args` in `cwd`, with a clean environment
/// apart from PATH and HOME (so no host configuration leaks in).
pub fn envlock(cwd: &Path, args: &[&str]) -> Output {
    envlock_with_env(cwd, args, &[])
}

/// Like [`envlock`], with extra environment variables.
pub fn envlock_with_env(cwd: &Path, args: &[&str], vars: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_envlock"));
    command.args(args).current_dir(cwd).env_clear();
    for key in ["PATH", "HOME"] {
        if let Some(value) = std::env::var_os(key) {
            command.env(key, value);
        }
    }
    for (key, value) in vars {
        command.env(key, value);
    }
    command.output().expect("run envlock")
}

/// The stderr of a run, as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Asserts a run exited with `code`, showing its stderr otherwise.
pub fn assert_exit(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "expected exit code {code}\nstdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stdout),
        stderr(output)
    );
}

/// `ENVLOCK_REALDATA` as a path, or `None` when unset. With
/// `ENVLOCK_REQUIRE_REALDATA=1` (set by `.ci/run`) a missing or non-existent
/// folder fails the test instead.
pub fn realdata() -> Option<PathBuf> {
    match std::env::var_os("ENVLOCK_REALDATA") {
        Some(dir) if Path::new(&dir).is_dir() => Some(PathBuf::from(dir)),
        other => {
            if std::env::var("ENVLOCK_REQUIRE_REALDATA").is_ok_and(|v| v == "1") {
                panic!("ENVLOCK_REQUIRE_REALDATA=1 but ENVLOCK_REALDATA does not point at a folder (got {other:?})");
            }
            eprintln!("skipped: ENVLOCK_REALDATA is not set to a folder");
            None
        }
    }
}

/// Every file of a tree: relative path → (mode, contents or link target).
pub fn snapshot(root: &Path) -> BTreeMap<PathBuf, (u32, Vec<u8>)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(directory) = stack.pop() {
        for entry in std::fs::read_dir(&directory).unwrap() {
            let path = entry.unwrap().path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            let relative = path.strip_prefix(root).unwrap().to_path_buf();
            let mode = meta.permissions().mode();
            if meta.file_type().is_symlink() {
                out.insert(
                    relative,
                    (
                        mode,
                        std::fs::read_link(&path)
                            .unwrap()
                            .into_os_string()
                            .into_encoded_bytes(),
                    ),
                );
            } else if meta.is_dir() {
                out.insert(relative, (mode, Vec::new()));
                stack.push(path);
            } else {
                out.insert(relative, (mode, std::fs::read(&path).unwrap()));
            }
        }
    }
    out
}

/// Writes `env.yaml` into `dir` and solves it against the worker channel,
/// with the cache in `dir/cache`; `extra` adds arguments such as `-p`.
pub fn solve_env(dir: &Path, text: &str, extra: &[&str]) {
    std::fs::write(dir.join("env.yaml"), text).expect("write env.yaml");
    let mirror = worker_mirror();
    let mut args = vec![
        "solve",
        "-f",
        "env.yaml",
        "--mirror",
        &mirror,
        "--cache-dir",
        "cache",
    ];
    args.extend_from_slice(extra);
    assert_exit(&envlock(dir, &args), 0);
}

/// Runs `envlock install LOCK --prefix PREFIX --copy` against the worker
/// channel with the cache in `dir/cache`; `extra` adds arguments.
pub fn install_lock(dir: &Path, lock: &str, prefix: &str, extra: &[&str]) -> Output {
    let mirror = worker_mirror();
    let mut args = vec![
        "install",
        lock,
        "--prefix",
        prefix,
        "--mirror",
        &mirror,
        "--cache-dir",
        "cache",
        "--copy",
    ];
    args.extend_from_slice(extra);
    envlock(dir, &args)
}

/// Writes a channel for `spec` into `dir/channel` and returns it as a
/// `--mirror` value for conda-forge (file://).
pub fn write_mirror(spec: &ChannelSpec, dir: &Path) -> String {
    let channel = dir.join("channel");
    write_channel(spec, &channel);
    let url = url::Url::from_directory_path(&channel).expect("file url");
    format!("conda-forge={url}")
}

/// Writes `dir/NAME.yaml` with `dependencies` and solves it for linux-64
/// against `mirror` into `dir/locks/NAME.lock`, with the cache in `dir/cache`.
pub fn solve_linux_64(dir: &Path, mirror: &str, name: &str, dependencies: &[&str]) {
    let mut text = String::from("channels: [conda-forge]\ndependencies:\n");
    for dependency in dependencies {
        text.push_str(&format!("  - {dependency}\n"));
    }
    let file = format!("{name}.yaml");
    std::fs::write(dir.join(&file), text).expect("write the environment file");
    let args = [
        "solve",
        "-f",
        &file,
        "-p",
        "linux-64",
        "--mirror",
        mirror,
        "--cache-dir",
        "cache",
    ];
    assert_exit(&envlock(dir, &args), 0);
}
