//! `envlock check --prefix` on prefixes that `envlock install` wrote, for
//! the host platform and for linux-aarch64 installed for /opt/env.

mod common;

use common::{assert_exit, envlock, solve_worker_in, stderr, test_dir, worker_mirror};

const LOCK: &str = "locks/env-worker-arm64.lock";

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn installed_prefix_passes_check() {
    let dir = test_dir("check-installed");
    solve_worker_in(&dir, &[]);
    let mirror = worker_mirror();
    assert_exit(
        &envlock(
            &dir,
            &[
                "install",
                LOCK,
                "--prefix",
                "env",
                "--mirror",
                &mirror,
                "--cache-dir",
                "cache",
                "--copy",
            ],
        ),
        0,
    );

    let output = envlock(&dir, &["check", "--prefix", "env", "--format", "json"]);
    assert_exit(&output, 0);
    let text = stdout(&output);
    assert!(
        !text.contains("no etc/envlock/activate.sh"),
        "check skipped the activation script of an envlock install:\n{text}"
    );
    let report: serde_json::Value = serde_json::from_str(&text).expect("JSON report");
    let rendered = report.to_string();
    for variable in [
        "NWCHEM_BASIS_LIBRARY",
        "NWCHEM_NWPW_LIBRARY",
        "XTBPATH",
        "CONDA_PREFIX",
    ] {
        assert!(
            rendered.contains(variable),
            "the report does not mention {variable}:\n{text}"
        );
    }

    std::fs::remove_dir_all(dir.join("env/share/nwchem/libraries")).unwrap();
    let broken = envlock(&dir, &["check", "--prefix", "env"]);
    assert_exit(&broken, 6);
    assert!(
        stderr(&broken).contains("share/nwchem/libraries"),
        "{}",
        stderr(&broken)
    );
}

#[test]
fn foreign_prefix_for_target_passes_check() {
    let dir = test_dir("check-installed-foreign");
    solve_worker_in(&dir, &[]);
    let mirror = worker_mirror();
    let install = envlock(
        &dir,
        &[
            "install",
            LOCK,
            "--platform",
            "linux-aarch64",
            "--prefix",
            "root/opt/env",
            "--target-prefix",
            "/opt/env",
            "--mirror",
            &mirror,
            "--cache-dir",
            "cache",
            "--copy",
        ],
    );
    assert_exit(&install, 0);
    let output = envlock(&dir, &["check", "--prefix", "root/opt/env"]);
    assert_exit(&output, 0);

    let wrong_platform = envlock(
        &dir,
        &["check", "--prefix", "root/opt/env", "-p", "linux-64"],
    );
    assert_exit(&wrong_platform, 6);
}
