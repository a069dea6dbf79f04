//! `envlock install` into Debian bookworm roots made with debootstrap, as a
//! Dockerfile's `RUN envlock install` would run it: inside a root of the
//! host's architecture with chroot, and from the host into a root of the
//! other architecture (arm64 on an x86_64 host) that runs its programs
//! through qemu-user-static and binfmt_misc.

mod common;

use std::path::Path;

use common::rootfs::{chroot, chroot_env_i, foreign_arch, fresh_root, native_arch};
use common::{assert_exit, envlock, programs, solve_worker_in, stderr, test_dir};
use standin_channel::server::ChannelServer;

const H2O: &str = "title \"water\"\nbasis\n  * library 6-31g*\nend\ntask scf\n";

/// Puts the envlock binary, the lock and an nwchem input into `root`.
fn stage_root(root: &Path, lock_dir: &Path) {
    let bin = root.join("usr/local/bin/envlock");
    let _ = std::fs::remove_file(&bin);
    if std::fs::hard_link(env!("CARGO_BIN_EXE_envlock"), &bin).is_err() {
        std::fs::copy(env!("CARGO_BIN_EXE_envlock"), &bin).expect("copy envlock into the root");
    }
    let work = root.join("work");
    std::fs::create_dir_all(work.join("locks")).unwrap();
    for entry in std::fs::read_dir(lock_dir.join("locks")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, work.join("locks").join(path.file_name().unwrap())).unwrap();
    }
    std::fs::write(work.join("h2o.nw"), H2O).unwrap();
}

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Checks that nwchem and xtb find their data through the entry point and
/// fail like the real programs without it.
fn assert_activation_matters(root: &Path) {
    let activated = chroot_env_i(
        root,
        &[
            "/opt/env/etc/envlock/entrypoint.sh",
            "nwchem",
            "/work/h2o.nw",
        ],
    );
    assert!(
        activated.status.success(),
        "nwchem failed through the entry point:\n{}{}",
        stdout(&activated),
        stderr(&activated)
    );
    assert!(
        stdout(&activated).contains("/opt/env/share/nwchem/libraries/ (from NWCHEM_BASIS_LIBRARY)"),
        "{}",
        stdout(&activated)
    );

    let bare = chroot_env_i(root, &["/opt/env/bin/nwchem", "/work/h2o.nw"]);
    assert!(
        !bare.status.success(),
        "nwchem found its basis library without activation:\n{}",
        stdout(&bare)
    );
    assert!(
        stdout(&bare).contains("could not open basis library"),
        "{}",
        stdout(&bare)
    );

    let xtb = chroot_env_i(
        root,
        &["/opt/env/etc/envlock/entrypoint.sh", "xtb", "--gfn", "2"],
    );
    assert!(
        xtb.status.success(),
        "xtb failed through the entry point:\n{}",
        stdout(&xtb)
    );
    assert!(
        stdout(&xtb).contains("/opt/env/share/xtb/param_gfn2-xtb.txt (from XTBPATH)"),
        "{}",
        stdout(&xtb)
    );
    let bare_xtb = chroot_env_i(root, &["/opt/env/bin/xtb", "--gfn", "2"]);
    assert!(
        !bare_xtb.status.success(),
        "xtb found its parameters without XTBPATH:\n{}",
        stdout(&bare_xtb)
    );
}

#[test]
fn native_root_install_runs_nwchem() {
    let arch = native_arch();
    let Some(root) = fresh_root(arch, "install-native") else {
        return;
    };
    let dir = test_dir("rootfs-native");
    solve_worker_in(&dir, &[]);
    stage_root(&root, &dir);
    let server = ChannelServer::start(common::worker_channel()).expect("start server");
    let mirror = format!("conda-forge={}", server.url());

    let output = chroot(
        &root,
        &[
            "envlock",
            "install",
            "/work/locks/env-worker-arm64.lock",
            "--copy",
            "--prefix",
            "/opt/env",
            "--mirror",
            &mirror,
            "--cache-dir",
            "/var/cache/envlock",
        ],
    );
    assert_exit(&output, 0);
    let nwchem = std::fs::read(root.join("opt/env/bin/nwchem")).unwrap();
    assert_eq!(
        programs::elf_machine(&nwchem),
        Some(arch.elf_machine),
        "bin/nwchem is not a {} program",
        arch.debian
    );
    assert!(!root.join("opt/env/CACHEDIR.TAG").exists());
    assert_activation_matters(&root);

    let again = chroot(
        &root,
        &[
            "envlock",
            "install",
            "/work/locks/env-worker-arm64.lock",
            "--copy",
            "--prefix",
            "/opt/env",
            "--mirror",
            &mirror,
            "--cache-dir",
            "/var/cache/envlock",
        ],
    );
    assert_exit(&again, 0);
    assert!(stderr(&again).contains("up to date"), "{}", stderr(&again));
}

#[test]
fn foreign_root_from_host_runs_nwchem() {
    let arch = foreign_arch();
    let Some(root) = fresh_root(arch, "install-foreign") else {
        return;
    };
    let dir = test_dir("rootfs-foreign");
    solve_worker_in(&dir, &[]);
    stage_root(&root, &dir);
    let server = ChannelServer::start(common::worker_channel()).expect("start server");
    let mirror = format!("conda-forge={}", server.url());
    let prefix = root.join("opt/env");
    let prefix_arg = prefix.display().to_string();

    let without_platform = envlock(
        &dir,
        &[
            "install",
            "locks/env-worker-arm64.lock",
            "--prefix",
            &prefix_arg,
            "--mirror",
            &mirror,
            "--cache-dir",
            "cache",
        ],
    );
    let nwchem_if_any = std::fs::read(prefix.join("bin/nwchem")).ok();
    assert!(
        nwchem_if_any.is_none_or(|b| programs::elf_machine(&b) != Some(arch.elf_machine)),
        "installing without --platform must pick the host platform"
    );
    assert_exit(&without_platform, 0);
    std::fs::remove_dir_all(&prefix).unwrap();

    let output = envlock(
        &dir,
        &[
            "install",
            "locks/env-worker-arm64.lock",
            "--platform",
            arch.conda,
            "--prefix",
            &prefix_arg,
            "--target-prefix",
            "/opt/env",
            "--mirror",
            &mirror,
            "--cache-dir",
            "cache",
            "--copy",
        ],
    );
    assert_exit(&output, 0);
    let nwchem = std::fs::read(prefix.join("bin/nwchem")).unwrap();
    assert_eq!(
        programs::elf_machine(&nwchem),
        Some(arch.elf_machine),
        "bin/nwchem is not a {} program",
        arch.debian
    );
    let rc = std::fs::read_to_string(prefix.join("etc/default.nwchemrc")).unwrap();
    assert!(
        rc.contains("nwchem_basis_library /opt/env/share/nwchem/libraries/"),
        "prefix not patched for the target:\n{rc}"
    );
    let activate = std::fs::read_to_string(prefix.join("etc/envlock/activate.sh")).unwrap();
    assert!(
        !activate.contains(&root.display().to_string()),
        "the staging root leaked into activate.sh:\n{activate}"
    );
    assert_activation_matters(&root);
}

/// An environment with a pip section whose wheels import in Debian's CPython.
const PIP_ENV: &str = "channels: [conda-forge]\nplatforms: [linux-64, linux-aarch64]\ndependencies:\n  - python=3.11\n  - pip\n  - pip:\n    - pydantic>=2.12.5\n    - orjson>=3.11.5\n    - huey>=2.6.0\n";

/// Imports the locked wheels with Debian's python3.11 inside `root`.
///
/// The stand-in channel's python package has no interpreter, so Debian's
/// python3.11 (installed into the root by debootstrap) replaces it,
/// pointed at the site-packages that envlock installed.
fn assert_wheels_import(root: &Path) {
    let output = chroot_env_i(
        root,
        &[
            "PYTHONPATH=/opt/env/lib/python3.11/site-packages",
            "/usr/bin/python3.11",
            "-c",
            "import pydantic, orjson, huey; print(orjson.dumps({'ok': pydantic.VERSION}).decode())",
        ],
    );
    assert!(
        output.status.success(),
        "import failed:\n{}{}",
        stdout(&output),
        stderr(&output)
    );
    assert!(stdout(&output).contains("\"ok\""), "{}", stdout(&output));
}

#[test]
fn native_root_pip_wheels_import() {
    let arch = native_arch();
    let Some(root) = fresh_root(arch, "pip-native") else {
        return;
    };
    let dir = test_dir("rootfs-pip-native");
    std::fs::write(dir.join("env.yaml"), PIP_ENV).unwrap();
    assert_exit(
        &envlock(
            &dir,
            &[
                "solve",
                "-f",
                "env.yaml",
                "--mirror",
                &common::worker_mirror(),
                "--cache-dir",
                "cache",
            ],
        ),
        0,
    );
    stage_root(&root, &dir);
    // The wheels come from PyPI over HTTPS. An image gets its CA bundle from
    // Debian's ca-certificates; here the host's bundle replaces it,
    // because this machine may reach PyPI through a proxy with its own CA.
    let bundle = Path::new("/etc/ssl/certs/ca-certificates.crt");
    if bundle.is_file() {
        std::fs::create_dir_all(root.join("etc/ssl/certs")).unwrap();
        std::fs::copy(bundle, root.join("etc/ssl/certs/ca-certificates.crt")).unwrap();
    }
    let server = ChannelServer::start(common::worker_channel()).expect("start server");
    let mirror = format!("conda-forge={}", server.url());
    let output = chroot(
        &root,
        &[
            "envlock",
            "install",
            "/work/locks/env.lock",
            "--copy",
            "--prefix",
            "/opt/env",
            "--mirror",
            &mirror,
            "--cache-dir",
            "/var/cache/envlock",
        ],
    );
    assert_exit(&output, 0);
    assert_wheels_import(&root);
}

#[test]
fn foreign_root_pip_wheels_import() {
    let arch = foreign_arch();
    let Some(root) = fresh_root(arch, "pip-foreign") else {
        return;
    };
    let dir = test_dir("rootfs-pip-foreign");
    std::fs::write(dir.join("env.yaml"), PIP_ENV).unwrap();
    assert_exit(
        &envlock(
            &dir,
            &[
                "solve",
                "-f",
                "env.yaml",
                "--mirror",
                &common::worker_mirror(),
                "--cache-dir",
                "cache",
            ],
        ),
        0,
    );
    let prefix = root.join("opt/env");
    let output = envlock(
        &dir,
        &[
            "install",
            "locks/env.lock",
            "--platform",
            arch.conda,
            "--prefix",
            prefix.to_str().unwrap(),
            "--target-prefix",
            "/opt/env",
            "--mirror",
            &common::worker_mirror(),
            "--cache-dir",
            "cache",
            "--copy",
        ],
    );
    assert_exit(&output, 0);
    let core = std::fs::read_dir(prefix.join("lib/python3.11/site-packages/pydantic_core"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "so"))
        .expect("pydantic_core extension module");
    assert_eq!(
        programs::elf_machine(&std::fs::read(core).unwrap()),
        Some(arch.elf_machine),
        "pydantic_core is not built for {}",
        arch.debian
    );
    assert_wheels_import(&root);
}
