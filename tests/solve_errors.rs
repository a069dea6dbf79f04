//! Bad input to `envlock solve`: each case has its exit code and the words
//! the message must contain, and none may panic or write a lock.

mod common;

use common::{envlock, stderr, test_dir, worker_channel};

/// One bad-input case.
struct Case {
    name: &'static str,
    /// The environment file's text; `None` means the file does not exist.
    env: Option<&'static str>,
    /// Extra arguments after `solve -f env.yaml`.
    args: &'static [&'static str],
    /// Whether to add `--mirror conda-forge=<stand-in channel>`.
    mirror: bool,
    code: i32,
    /// Substrings the stderr must contain.
    expect: &'static [&'static str],
}

const GOOD_HEAD: &str = "channels:\n  - conda-forge\ndependencies:\n";

fn cases() -> Vec<Case> {
    vec![
        Case { name: "malformed yaml", env: Some("channels: [conda-forge\ndependencies:\n  - python\n"), args: &[], mirror: false, code: 2, expect: &["env.yaml"] },
        Case { name: "tab indentation", env: Some("channels:\n\t- conda-forge\ndependencies:\n  - python\n"), args: &[], mirror: false, code: 2, expect: &["env.yaml"] },
        Case { name: "unknown top-level key", env: Some("channels: [conda-forge]\ndependencies: [python]\nchannel_priority: strict\n"), args: &[], mirror: false, code: 2, expect: &["channel_priority"] },
        Case { name: "dependencies not a list", env: Some("channels: [conda-forge]\ndependencies: python\n"), args: &[], mirror: false, code: 2, expect: &["dependencies"] },
        Case { name: "empty dependencies", env: Some("channels: [conda-forge]\ndependencies: []\n"), args: &[], mirror: false, code: 2, expect: &["dependencies"] },
        Case { name: "missing dependencies", env: Some("channels: [conda-forge]\n"), args: &[], mirror: false, code: 2, expect: &["dependencies"] },
        Case { name: "bad match spec", env: Some("channels: [conda-forge]\ndependencies:\n  - numpy>>1\n"), args: &[], mirror: false, code: 2, expect: &["numpy>>1"] },
        Case { name: "unknown selector", env: Some("channels: [conda-forge]\ndependencies:\n  - python  # [linux-aarch64]\n"), args: &[], mirror: false, code: 2, expect: &["linux-aarch64", "3"] },
        Case { name: "unknown platform in file", env: Some("channels: [conda-forge]\nplatforms: [linux-arm64]\ndependencies: [python]\n"), args: &[], mirror: false, code: 2, expect: &["linux-arm64"] },
        Case { name: "unknown platform argument", env: Some("channels: [conda-forge]\ndependencies: [python]\n"), args: &["-p", "linux-arm64"], mirror: false, code: 2, expect: &["linux-arm64"] },
        Case { name: "defaults channel", env: Some("channels:\n  - defaults\ndependencies: [python]\n"), args: &[], mirror: false, code: 2, expect: &["defaults", "conda-forge"] },
        Case { name: "missing file", env: None, args: &[], mirror: false, code: 2, expect: &["env.yaml"] },
        Case { name: "empty file", env: Some(""), args: &[], mirror: false, code: 2, expect: &["env.yaml"] },
        Case { name: "editable pip line", env: Some("channels: [conda-forge]\ndependencies:\n  - python\n  - pip\n  - pip:\n    - -e ./src\n"), args: &[], mirror: true, code: 2, expect: &["editable", "env.yaml:6"] },
        Case { name: "git pip requirement", env: Some("channels: [conda-forge]\ndependencies:\n  - python\n  - pip\n  - pip:\n    - huey\n    - git+https://example.invalid/huey.git\n"), args: &[], mirror: true, code: 2, expect: &["VCS", "env.yaml:7"] },
        Case { name: "variable name with dash", env: Some("channels: [conda-forge]\ndependencies: [python]\nvariables:\n  MY-VAR: 1\n"), args: &[], mirror: false, code: 2, expect: &["MY-VAR", "shell variable name"] },
        Case { name: "variable PATH", env: Some("channels: [conda-forge]\ndependencies: [python]\nvariables:\n  PATH: /opt/bin\n"), args: &[], mirror: false, code: 2, expect: &["PATH", "set by envlock"] },
        Case { name: "lockfile is the environment file", env: Some("channels: [conda-forge]\ndependencies: [python]\n"), args: &["--lockfile", "env.yaml"], mirror: true, code: 2, expect: &["environment file", "will not overwrite"] },
        Case { name: "mirror without equals", env: Some("channels: [conda-forge]\ndependencies: [python]\n"), args: &["--mirror", "conda-forge"], mirror: false, code: 2, expect: &["NAME=URL"] },
        Case { name: "mirror relative path", env: Some("channels: [conda-forge]\ndependencies: [python]\n"), args: &["--mirror", "conda-forge=some/dir"], mirror: false, code: 2, expect: &["absolute"] },
        Case { name: "mirror for unused channel", env: Some("channels: [conda-forge]\ndependencies: [python]\n"), args: &["--mirror", "bioconda=/tmp"], mirror: false, code: 2, expect: &["bioconda"] },
        Case { name: "bad virtual package", env: Some("channels: [conda-forge]\ndependencies: [python]\n"), args: &["--virtual-package", "linux-64:glibc=2.28"], mirror: false, code: 2, expect: &["glibc", "two underscores"] },
        Case { name: "virtual package without platform", env: Some("channels: [conda-forge]\ndependencies: [python]\n"), args: &["--virtual-package", "__glibc=2.28"], mirror: false, code: 2, expect: &["PLATFORM:NAME=VERSION"] },
        Case { name: "unreachable mirror", env: Some("channels: [conda-forge]\ndependencies: [python]\n"), args: &["--mirror", "conda-forge=http://127.0.0.1:9/none/"], mirror: false, code: 4, expect: &["127.0.0.1:9"] },
        Case { name: "unsatisfiable version", env: Some("channels: [conda-forge]\ndependencies:\n  - python=2.6\n"), args: &[], mirror: true, code: 3, expect: &["python", "linux"] },
        Case { name: "package missing everywhere", env: Some("channels: [conda-forge]\ndependencies:\n  - no-such-package\n"), args: &[], mirror: true, code: 3, expect: &["no-such-package", "no build"] },
        Case { name: "conflicting pins", env: Some("channels: [conda-forge]\ndependencies:\n  - python=3.11\n  - nwchem=7.3.1\n  - python_abi=3.12\n"), args: &[], mirror: true, code: 3, expect: &["cannot be solved"] },
        Case { name: "noarch target platform", env: Some("channels: [conda-forge]\ndependencies: [python]\n"), args: &["-p", "noarch"], mirror: false, code: 2, expect: &["noarch is not a target platform"] },
        Case { name: "override for unsolved platform", env: Some("channels: [conda-forge]\ndependencies: [python]\n"), args: &["-p", "linux-64", "--virtual-package", "linux-aarch64:__glibc=2.34"], mirror: false, code: 2, expect: &["linux-aarch64", "not a target platform"] },
        Case { name: "nested list dependency", env: Some("channels: [conda-forge]\ndependencies:\n  - [python]\n"), args: &[], mirror: false, code: 2, expect: &["env.yaml"] },
    ]
}

#[test]
fn bad_inputs_fail_clearly() {
    let channel = url::Url::from_directory_path(worker_channel()).expect("file url");
    let mirror = format!("conda-forge={channel}");
    let cases = cases();
    assert!(cases.len() >= 20);
    let mut failures = Vec::new();
    for (index, case) in cases.iter().enumerate() {
        let dir = test_dir(&format!("solve-bad-{index}"));
        if let Some(text) = case.env {
            std::fs::write(dir.join("env.yaml"), text).unwrap();
        }
        let mut args = vec!["solve", "-f", "env.yaml", "--cache-dir", "cache"];
        args.extend_from_slice(case.args);
        if case.mirror {
            args.extend_from_slice(&["--mirror", &mirror]);
        }
        let output = envlock(&dir, &args);
        let text = stderr(&output);
        let code = output.status.code();
        if code != Some(case.code) {
            failures.push(format!(
                "{}: exit {code:?}, expected {}\n{text}",
                case.name, case.code
            ));
        }
        for word in case.expect {
            if !text.contains(word) {
                failures.push(format!("{}: stderr lacks {word:?}\n{text}", case.name));
            }
        }
        if text.contains("panicked") {
            failures.push(format!("{}: panicked\n{text}", case.name));
        }
        if dir.join("locks").exists() {
            failures.push(format!("{}: wrote locks/ despite failing", case.name));
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn unsatisfiable_names_the_platform() {
    let dir = test_dir("solve-unsat-platform");
    let channel = url::Url::from_directory_path(worker_channel()).expect("file url");
    std::fs::write(dir.join("env.yaml"), format!("{GOOD_HEAD}  - python=2.6\n")).unwrap();
    let mirror = format!("conda-forge={channel}");
    let output = envlock(
        &dir,
        &[
            "solve",
            "-f",
            "env.yaml",
            "-p",
            "linux-aarch64",
            "--mirror",
            &mirror,
            "--cache-dir",
            "cache",
        ],
    );
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("linux-aarch64"),
        "{}",
        stderr(&output)
    );
}
