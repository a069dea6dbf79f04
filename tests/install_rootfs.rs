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
    let activated = chroot_env_i(root, &["/opt/env/etc/envlock/entrypoint.sh", "nwchem", "/work/h2o.nw"]);
    assert!(activated.status.success(), "nwchem failed through the entry point:\n{}{}", stdout(&activated), stderr(&activated));
    assert!(stdout(&activated).contains("/opt/env/share/nwchem/libraries/ (from NWCHEM_BASIS_LIBRARY)"), "{}", stdout(&activated));

    let bare = chroot_env_i(root, &["/opt/env/bin/nwchem", "/work/h2o.nw"]);
    assert!(!bare.status.success(), "nwchem found its basis library without activation:\n{}", stdout(&bare));
    assert!(stdout(&bare).contains("could not open basis library"), "{}", stdout(&bare));

    let xtb = chroot_env_i(root, &["/opt/env/etc/envlock/entrypoint.sh", "xtb", "--gfn", "2"]);
    assert!(xtb.status.success(), "xtb failed through the entry point:\n{}", stdout(&xtb));
    assert!(stdout(&xtb).contains("/opt/env/share/xtb/param_gfn2-xtb.txt (from XTBPATH)"), "{}", stdout(&xtb));
    let bare_xtb = chroot_env_i(root, &["/opt/env/bin/xtb", "--gfn", "2"]);
    assert!(!bare_xtb.status.success(), "xtb found its parameters without XTBPATH:\n{}", stdout(&bare_xtb));
}

#[test]
fn native_root_install_runs_nwchem() {
    let arch = native_arch();
    let Some(root) = fresh_root(arch, "install-native") else { return };
    let dir = test_dir("rootfs-native");
    solve_worker_in(&dir, &[]);
    stage_root(&root, &dir);
    let server = ChannelServer::start(common::worker_channel()).expect("start server");
    let mirror = format!("conda-forge={}", server.url());

    let output = chroot(
        &root,
        &["envlock", "install", "/work/locks/env-worker-arm64.lock", "--copy", "--prefix", "/opt/env", "--mirror", &mirror, "--cache-dir", "/var/cache/envlock"],
    );
    assert_exit(&output, 0);
    let nwchem = std::fs::read(root.join("opt/env/bin/nwchem")).unwrap();
    assert_eq!(programs::elf_machine(&nwchem), Some(arch.elf_machine), "bin/nwchem is not a {} program", arch.debian);
    assert!(!root.join("opt/env/CACHEDIR.TAG").exists());
    assert_activation_matters(&root);

    let again = chroot(
        &root,
        &["envlock", "install", "/work/locks/env-worker-arm64.lock", "--copy", "--prefix", "/opt/env", "--mirror", &mirror, "--cache-dir", "/var/cache/envlock"],
    );
    assert_exit(&again, 0);
    assert!(stderr(&again).contains("up to date"), "{}", stderr(&again));
}

#[test]
fn foreign_root_from_host_runs_nwchem() {
    let arch = foreign_arch();
    let Some(root) = fresh_root(arch, "install-foreign") else { return };
    let dir = test_dir("rootfs-foreign");
    solve_worker_in(&dir, &[]);
    stage_root(&root, &dir);
    let server = ChannelServer::start(common::worker_channel()).expect("start server");
    let mirror = format!("conda-forge={}", server.url());
    let prefix = root.join("opt/env");
    let prefix_arg = prefix.display().to_string();

    let without_platform = envlock(&dir, &["install", "locks/env-worker-arm64.lock", "--prefix", &prefix_arg, "--mirror", &mirror, "--cache-dir", "cache"]);
    let nwchem_if_any = std::fs::read(prefix.join("bin/nwchem")).ok();
    assert!(
        nwchem_if_any.is_none_or(|b| programs::elf_machine(&b) != Some(arch.elf_machine)),
        "installing without --platform must pick the host platform"
    );
    assert_exit(&without_platform, 0);
    std::fs::remove_dir_all(&prefix).unwrap();

    let output = envlock(
        &dir,
        &["install", "locks/env-worker-arm64.lock", "--platform", arch.conda, "--prefix", &prefix_arg, "--target-prefix", "/opt/env", "--mirror", &mirror, "--cache-dir", "cache", "--copy"],
    );
    assert_exit(&output, 0);
    let nwchem = std::fs::read(prefix.join("bin/nwchem")).unwrap();
    assert_eq!(programs::elf_machine(&nwchem), Some(arch.elf_machine), "bin/nwchem is not a {} program", arch.debian);
    let rc = std::fs::read_to_string(prefix.join("etc/default.nwchemrc")).unwrap();
    assert!(rc.contains("nwchem_basis_library /opt/env/share/nwchem/libraries/"), "prefix not patched for the target:\n{rc}");
    let activate = std::fs::read_to_string(prefix.join("etc/envlock/activate.sh")).unwrap();
    assert!(!activate.contains(&root.display().to_string()), "the staging root leaked into activate.sh:\n{activate}");
    assert_activation_matters(&root);
}
