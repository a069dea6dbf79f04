//! The install step of `dockerfiles/Dockerfile.worker`, run without Docker:
//! the `RUN envlock install ...` command of the install stage is read from
//! the Dockerfile and run as written inside a debootstrapped Debian root
//! against the stand-in channel, then the final stage's ENTRYPOINT runs
//! nwchem. Editing the Dockerfile's command changes what this test runs.

mod common;

use std::path::{Path, PathBuf};

use common::rootfs::{chroot_env_i, fresh_root, native_arch};
use common::{assert_exit, envlock, solve_worker_in, stderr, test_dir};
use standin_channel::server::ChannelServer;

/// One stage of a Dockerfile: its `FROM` line and its instructions, with
/// continuation lines joined.
#[derive(Debug)]
struct Stage {
    from: String,
    instructions: Vec<String>,
}

fn dockerfile() -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("dockerfiles/Dockerfile.worker"),
    )
    .unwrap()
}

fn stages(text: &str) -> Vec<Stage> {
    let mut instructions = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('#') || (trimmed.is_empty() && current.is_empty()) {
            continue;
        }
        if let Some(body) = trimmed.strip_suffix('\\') {
            current.push_str(body.trim_end());
            current.push(' ');
            continue;
        }
        current.push_str(trimmed);
        if !current.trim().is_empty() {
            instructions.push(current.trim().to_string());
        }
        current.clear();
    }
    let mut stages: Vec<Stage> = Vec::new();
    for instruction in instructions {
        if instruction.starts_with("FROM ") {
            stages.push(Stage {
                from: instruction,
                instructions: Vec::new(),
            });
        } else if let Some(stage) = stages.last_mut() {
            stage.instructions.push(instruction);
        }
    }
    stages
}

/// The shell command of the install stage's `RUN envlock install ...`,
/// without the BuildKit `--mount` options.
fn install_command(stages: &[Stage]) -> String {
    let stage = stages
        .iter()
        .find(|s| s.from.ends_with(" AS install"))
        .expect("an install stage");
    let run = stage
        .instructions
        .iter()
        .find(|i| i.starts_with("RUN ") && i.contains("envlock install"))
        .expect("a RUN envlock install instruction");
    let words: Vec<&str> = run["RUN ".len()..].split_whitespace().collect();
    let command: Vec<&str> = words
        .into_iter()
        .skip_while(|w| w.starts_with("--mount="))
        .collect();
    command.join(" ")
}

fn entrypoint(stages: &[Stage]) -> Vec<String> {
    let last = stages.last().expect("a final stage");
    let line = last
        .instructions
        .iter()
        .find(|i| i.starts_with("ENTRYPOINT "))
        .expect("ENTRYPOINT");
    serde_json::from_str(&line["ENTRYPOINT ".len()..]).expect("ENTRYPOINT in exec form")
}

fn hook_env_lines(text: &str) -> Vec<String> {
    text.lines()
        .skip_while(|l| !l.contains("envlock shell-hook: begin"))
        .skip(1)
        .take_while(|l| !l.contains("envlock shell-hook: end"))
        .map(str::to_string)
        .collect()
}

#[test]
fn final_stage_has_only_the_prefix() {
    let parsed = stages(&dockerfile());
    assert_eq!(parsed.len(), 3, "builder, install and final stages");
    let last = parsed.last().unwrap();
    let copies: Vec<&String> = last
        .instructions
        .iter()
        .filter(|i| i.starts_with("COPY"))
        .collect();
    assert_eq!(
        copies,
        [&"COPY --from=install /opt/env /opt/env".to_string()],
        "the final stage copies something besides /opt/env"
    );
    let runs: Vec<&String> = last
        .instructions
        .iter()
        .filter(|i| i.starts_with("RUN "))
        .collect();
    assert!(
        !runs
            .iter()
            .any(|i| i.contains("envlock") || i.contains("micromamba") || i.contains("conda")),
        "{runs:?}"
    );
    assert!(
        last.instructions
            .iter()
            .any(|i| i.starts_with("USER ") && !i.contains("root")),
        "the final stage must not run as root"
    );
    assert_eq!(entrypoint(&parsed), ["/opt/env/etc/envlock/entrypoint.sh"]);
    let command = install_command(&parsed);
    assert!(
        command.contains("--copy") && command.contains("--prefix /opt/env"),
        "{command}"
    );
}

#[test]
fn dockerfile_install_step_runs_nwchem() {
    let arch = native_arch();
    let Some(root) = fresh_root(arch, "dockerfile-install") else {
        return;
    };
    let dir = test_dir("dockerfile-install");
    solve_worker_in(&dir, &[]);
    let text = dockerfile();
    let parsed = stages(&text);
    let command = install_command(&parsed);

    // What the install stage's COPY lines put into the image.
    let bin = root.join("usr/local/bin/envlock");
    if std::fs::hard_link(env!("CARGO_BIN_EXE_envlock"), &bin).is_err() {
        std::fs::copy(env!("CARGO_BIN_EXE_envlock"), &bin).unwrap();
    }
    let locks: PathBuf = root.join("work/locks");
    std::fs::create_dir_all(&locks).unwrap();
    for entry in std::fs::read_dir(dir.join("locks")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, locks.join(path.file_name().unwrap())).unwrap();
    }
    std::fs::write(root.join("work/h2o.nw"), "basis\n  * library 6-31g*\nend\n").unwrap();

    let server = ChannelServer::start(common::worker_channel()).unwrap();
    let mirror = format!("conda-forge={}", server.url());
    let output = std::process::Command::new("chroot")
        .arg(&root)
        .args(["/bin/sh", "-c", &command])
        .env_clear()
        .env(
            "PATH",
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        )
        .env("ENVLOCK_MIRROR", &mirror)
        .output()
        .unwrap();
    assert_exit(&output, 0);

    let mut run = entrypoint(&parsed);
    run.extend(["nwchem".to_string(), "/work/h2o.nw".to_string()]);
    let args: Vec<&str> = run.iter().map(String::as_str).collect();
    let nwchem = chroot_env_i(&root, &args);
    let text_out = String::from_utf8_lossy(&nwchem.stdout);
    assert!(nwchem.status.success(), "{text_out}{}", stderr(&nwchem));
    assert!(text_out.contains("from NWCHEM_BASIS_LIBRARY"), "{text_out}");

    let prefix = root.join("opt/env");
    let hook = envlock(
        &dir,
        &[
            "shell-hook",
            "--prefix",
            prefix.to_str().unwrap(),
            "--format",
            "dockerfile",
        ],
    );
    assert_exit(&hook, 0);
    let printed = String::from_utf8_lossy(&hook.stdout);
    for line in hook_env_lines(&text) {
        assert!(
            printed.lines().any(|p| p == line),
            "Dockerfile line {line:?} differs from shell-hook's output:\n{printed}"
        );
    }
}
