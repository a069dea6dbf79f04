//! Debian roots for install tests: `debootstrap --variant=minbase bookworm`
//! (plus Debian's python3.11) for amd64 and arm64, cached under Cargo's
//! target directory and copied fresh for each test.
//!
//! These tests need root, debootstrap, and for arm64 qemu-user-static with
//! binfmt_misc. When `ENVLOCK_REQUIRE_ROOTFS=1` (set by `.ci/run`) a missing
//! prerequisite fails the test; otherwise the test is skipped with a note.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// Serialises root creation across the tests of one process.
static BUILD_LOCK: Mutex<()> = Mutex::new(());

/// Whether missing prerequisites must fail instead of skipping.
pub fn required() -> bool {
    std::env::var("ENVLOCK_REQUIRE_ROOTFS").is_ok_and(|v| v == "1")
}

/// Skips (returns `None`) or fails with `reason`, depending on [`required`].
pub fn unavailable<T>(reason: &str) -> Option<T> {
    if required() {
        panic!("ENVLOCK_REQUIRE_ROOTFS=1 but {reason}");
    }
    eprintln!("skipped: {reason}");
    None
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn have(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A Debian architecture with its conda platform and qemu name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arch {
    /// Debian's name (`amd64`, `arm64`).
    pub debian: &'static str,
    /// The conda platform (`linux-64`, `linux-aarch64`).
    pub conda: &'static str,
    /// qemu's name (`x86_64`, `aarch64`).
    pub qemu: &'static str,
    /// The ELF `e_machine` of its programs.
    pub elf_machine: u16,
}

const AMD64: Arch = Arch {
    debian: "amd64",
    conda: "linux-64",
    qemu: "x86_64",
    elf_machine: 62,
};
const ARM64: Arch = Arch {
    debian: "arm64",
    conda: "linux-aarch64",
    qemu: "aarch64",
    elf_machine: 183,
};

/// The host's architecture.
pub fn native_arch() -> Arch {
    if std::env::consts::ARCH == "aarch64" {
        ARM64
    } else {
        AMD64
    }
}

/// The other one of amd64 and arm64.
pub fn foreign_arch() -> Arch {
    if native_arch() == AMD64 {
        ARM64
    } else {
        AMD64
    }
}

/// Whether the kernel runs `arch`'s binaries through qemu (binfmt_misc).
pub fn binfmt_registered(arch: Arch) -> bool {
    std::fs::read_to_string(format!("/proc/sys/fs/binfmt_misc/qemu-{}", arch.qemu))
        .is_ok_and(|s| s.starts_with("enabled"))
}

/// A fresh copy of the cached Debian root for `arch`.
pub fn fresh_root(arch: Arch, test_name: &str) -> Option<PathBuf> {
    if !is_root() {
        return unavailable("the Debian root tests need root (chroot, debootstrap)");
    }
    if !have("debootstrap") {
        return unavailable("debootstrap is not installed");
    }
    if arch != native_arch() && !binfmt_registered(arch) {
        return unavailable(&format!(
            "qemu-{} is not registered with binfmt_misc",
            arch.qemu
        ));
    }
    let cached = cached_root(arch.debian)?;
    let root = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("rootfs-tests")
        .join(test_name);
    let _ = Command::new("rm").arg("-rf").arg(&root).status();
    std::fs::create_dir_all(root.parent().unwrap()).unwrap();
    let status = Command::new("cp")
        .arg("-a")
        .arg(&cached)
        .arg(&root)
        .status()
        .expect("cp");
    assert!(
        status.success(),
        "failed to copy {} to {}",
        cached.display(),
        root.display()
    );
    Some(root)
}

fn cached_root(arch: &str) -> Option<PathBuf> {
    let _guard = BUILD_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let base = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("..")
        .join("rootfs-cache");
    // Debian's python3.11 is in the roots because the stand-in channel's
    // python package has no interpreter; the PyPI tests import the locked
    // wheels with it.
    let root = base.join(format!("bookworm-{arch}-python3.11"));
    if root.join(".complete").is_file() {
        return Some(root);
    }
    let _ = Command::new("rm").arg("-rf").arg(&root).status();
    std::fs::create_dir_all(&base).unwrap();
    eprintln!(
        "creating the Debian bookworm {arch} root in {} (debootstrap)",
        root.display()
    );
    let output = Command::new("debootstrap")
        .args([
            "--variant=minbase",
            "--include=python3.11",
            &format!("--arch={arch}"),
            "bookworm",
        ])
        .arg(&root)
        .arg("http://deb.debian.org/debian")
        .output()
        .expect("run debootstrap");
    if !output.status.success() {
        let log = String::from_utf8_lossy(&output.stderr);
        return unavailable(&format!("debootstrap {arch} failed:\n{log}"));
    }
    std::fs::write(root.join(".complete"), "").unwrap();
    Some(root)
}

/// Runs `args` inside `root` with `chroot ROOT env -i ...` and returns the output.
pub fn chroot_env_i(root: &Path, args: &[&str]) -> std::process::Output {
    Command::new("chroot")
        .arg(root)
        .arg("env")
        .arg("-i")
        .args(args)
        .output()
        .expect("chroot")
}

/// Runs `args` inside `root` with the host environment's PATH only.
pub fn chroot(root: &Path, args: &[&str]) -> std::process::Output {
    Command::new("chroot")
        .arg(root)
        .args(args)
        .env_clear()
        .env(
            "PATH",
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        )
        .output()
        .expect("chroot")
}
