//! Credentials in channel URLs (a `/t/<token>/` path, userinfo, a query
//! string), in `RATTLER_AUTH_FILE` and in a netrc file must never reach the
//! lock, the explicit files, `envlock diff` output, logs at `-vvv` or error
//! messages. The loopback server requires the credentials, so a passing
//! solve proves they were sent.

mod common;
mod pypi_support;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use common::{assert_exit, envlock_with_env, stderr, test_dir, worker_channel};
use standin_channel::server::{Auth, ChannelServer};

const TOKEN: &str = "tok-5ecret-a1b2c3";
const USER: &str = "deploy-user";
const PASSWORD: &str = "pa55-5ecret-d4e5";
const QUERY_SECRET: &str = "qry-5ecret-f6a7";

fn serve(auth: Option<Auth>) -> ChannelServer {
    let server = ChannelServer::start(worker_channel())
        .expect("start server")
        .with_idle_timeout(Duration::from_secs(60));
    match auth {
        Some(auth) => server.with_auth(auth),
        None => server,
    }
}

/// Writes an environment file with `channel` and two packages.
fn write_env(dir: &Path, channel: &str) -> PathBuf {
    let path = dir.join("env.yaml");
    std::fs::write(
        &path,
        format!("channels:\n  - {channel}\ndependencies:\n  - xtb\n  - crest\n"),
    )
    .expect("write env file");
    path
}

fn solve(dir: &Path, vars: &[(&str, &str)]) -> Output {
    envlock_with_env(
        dir,
        &[
            "solve",
            "-vvv",
            "-f",
            "env.yaml",
            "-p",
            "linux-64",
            "--cache-dir",
            "cache",
        ],
        vars,
    )
}

fn install(dir: &Path, prefix: &str, vars: &[(&str, &str)]) -> Output {
    let args = [
        "install",
        "-vvv",
        "locks/env.lock",
        "-p",
        "linux-64",
        "--prefix",
        prefix,
        "--cache-dir",
        "cache",
        "--copy",
    ];
    envlock_with_env(dir, &args, vars)
}

/// Asserts that no secret appears in `text`, naming `what` on failure.
fn assert_clean(what: &str, text: &str) {
    for secret in [TOKEN, PASSWORD, QUERY_SECRET] {
        assert!(
            !text.contains(secret),
            "{what} contains the secret {secret}:\n{text}"
        );
    }
}

/// Asserts the run's output and every file the solve wrote are free of secrets.
fn assert_outputs_clean(dir: &Path, output: &Output) {
    assert_clean("stderr", &stderr(output));
    assert_clean("stdout", &String::from_utf8_lossy(&output.stdout));
    for entry in std::fs::read_dir(dir.join("locks")).expect("locks directory") {
        let path = entry.expect("entry").path();
        assert_clean(
            &path.display().to_string(),
            &std::fs::read_to_string(&path).expect("read lock file"),
        );
    }
}

fn auth_file(dir: &Path, server: &ChannelServer, authentication: serde_json::Value) -> PathBuf {
    let host = server.url().host_str().expect("host").to_string();
    let path = dir.join("auth.json");
    std::fs::write(
        &path,
        serde_json::json!({ host: authentication }).to_string(),
    )
    .expect("write auth file");
    path
}

#[test]
fn path_token_stays_out_of_outputs() {
    let dir = test_dir("reliability-secret-token");
    let server = serve(Some(Auth::PathToken(TOKEN.into())));
    write_env(&dir, &format!("{}t/{TOKEN}/", server.url()));
    let output = solve(&dir, &[]);
    assert_exit(&output, 0);
    assert_outputs_clean(&dir, &output);
    let lock = std::fs::read_to_string(dir.join("locks/env.lock")).unwrap();
    assert!(
        lock.contains(&format!("{}linux-64/xtb-", server.url())),
        "the lock lacks the canonical URL:\n{lock}"
    );

    let bare = install(&dir, "env-bare", &[]);
    assert_exit(&bare, 4);
    assert_clean("stderr of an install without credentials", &stderr(&bare));

    let auth = auth_file(&dir, &server, serde_json::json!({ "CondaToken": TOKEN }));
    let installed = install(
        &dir,
        "env",
        &[("RATTLER_AUTH_FILE", auth.to_str().unwrap())],
    );
    assert_exit(&installed, 0);
    assert_clean("stderr of the install", &stderr(&installed));
    assert!(dir.join("env/bin/xtb").exists());
    assert_clean("the prefix records", &conda_meta_text(&dir.join("env")));
}

#[test]
fn userinfo_stays_out_of_outputs() {
    let dir = test_dir("reliability-secret-userinfo");
    let server = serve(Some(Auth::Basic {
        username: USER.into(),
        password: PASSWORD.into(),
    }));
    let url = server.url();
    write_env(
        &dir,
        &format!(
            "http://{USER}:{PASSWORD}@{}:{}/",
            url.host_str().unwrap(),
            url.port().unwrap()
        ),
    );
    let output = solve(&dir, &[]);
    assert_exit(&output, 0);
    assert_outputs_clean(&dir, &output);

    let auth = auth_file(
        &dir,
        &server,
        serde_json::json!({ "BasicHTTP": { "username": USER, "password": PASSWORD } }),
    );
    let installed = install(
        &dir,
        "env",
        &[("RATTLER_AUTH_FILE", auth.to_str().unwrap())],
    );
    assert_exit(&installed, 0);
    assert_clean("stderr of the install", &stderr(&installed));
}

#[test]
fn query_string_stays_out_of_outputs() {
    let dir = test_dir("reliability-secret-query");
    let server = serve(None);
    write_env(&dir, &format!("{}?token={QUERY_SECRET}", server.url()));
    let output = solve(&dir, &[]);
    assert_exit(&output, 0);
    assert_outputs_clean(&dir, &output);
}

#[test]
fn auth_file_and_netrc_stay_out_of_outputs() {
    let dir = test_dir("reliability-secret-auth-file");
    let server = serve(Some(Auth::Basic {
        username: USER.into(),
        password: PASSWORD.into(),
    }));
    write_env(&dir, server.url().as_str());
    let auth = auth_file(
        &dir,
        &server,
        serde_json::json!({ "BasicHTTP": { "username": USER, "password": PASSWORD } }),
    );
    let output = solve(&dir, &[("RATTLER_AUTH_FILE", auth.to_str().unwrap())]);
    assert_exit(&output, 0);
    assert_outputs_clean(&dir, &output);
    let first_lock = dir.join("first.lock");
    std::fs::copy(dir.join("locks/env.lock"), &first_lock).unwrap();

    std::fs::remove_dir_all(dir.join("locks")).unwrap();
    std::fs::remove_dir_all(dir.join("cache")).unwrap();
    let netrc = dir.join("netrc");
    std::fs::write(
        &netrc,
        format!(
            "machine {} login {USER} password {PASSWORD}\n",
            server.url().host_str().unwrap()
        ),
    )
    .unwrap();
    let output = solve(&dir, &[("NETRC", netrc.to_str().unwrap())]);
    assert_exit(&output, 0);
    assert_outputs_clean(&dir, &output);

    let diff = envlock_with_env(
        &dir,
        &[
            "diff",
            "-vvv",
            first_lock.to_str().unwrap(),
            "locks/env.lock",
        ],
        &[],
    );
    assert_exit(&diff, 0);
    assert_clean("diff stdout", &String::from_utf8_lossy(&diff.stdout));
    assert_clean("diff stderr", &stderr(&diff));
}

#[test]
fn rejected_credentials_are_redacted() {
    let dir = test_dir("reliability-secret-rejected");
    let server = serve(Some(Auth::PathToken("the-right-token".into())));
    write_env(&dir, &format!("{}t/{TOKEN}/", server.url()));
    let output = solve(&dir, &[]);
    assert_exit(&output, 4);
    let text = stderr(&output);
    assert_clean("stderr", &text);
    assert!(
        text.contains("********"),
        "the failing URL is not shown redacted:\n{text}"
    );

    let url = server.url();
    write_env(
        &dir,
        &format!(
            "http://{USER}:{PASSWORD}@{}:{}/",
            url.host_str().unwrap(),
            url.port().unwrap()
        ),
    );
    let output = solve(&dir, &[]);
    assert_exit(&output, 4);
    assert_clean("stderr", &stderr(&output));
}

/// A pip `--index-url` with userinfo: the solve authenticates with it, the
/// lock keeps the index without it, and the install gets the credentials
/// again from `RATTLER_AUTH_FILE`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pip_index_credentials_stay_out_of_outputs() {
    use base64::Engine;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
    let mut routes = std::collections::HashMap::new();
    let wheel = pypi_support::build_wheel("envlock-demo", "1.0", &[]);
    pypi_support::add_project(&mut routes, "private", "envlock-demo", &[wheel], true);
    let index = pypi_support::TestServer::start(routes, Some(basic)).await;
    let host = index.base.trim_start_matches("http://").to_string();

    let dir = test_dir("reliability-secret-pip");
    std::fs::write(
        dir.join("env.yaml"),
        format!(
            "channels: [conda-forge]\ndependencies:\n  - python=3.11\n  - pip\n  - pip:\n    - --index-url http://{USER}:{PASSWORD}@{host}/private/simple/\n    - envlock-demo\n"
        ),
    )
    .unwrap();
    // The channel generator starts its own runtime, so it runs off this one.
    let mirror = tokio::task::spawn_blocking(common::worker_mirror)
        .await
        .unwrap();
    let solve_dir = dir.clone();
    let solve_mirror = mirror.clone();
    let output = tokio::task::spawn_blocking(move || {
        let args = [
            "solve",
            "-vvv",
            "-f",
            "env.yaml",
            "-p",
            "linux-64",
            "--mirror",
            &solve_mirror,
            "--cache-dir",
            "cache",
        ];
        envlock_with_env(&solve_dir, &args, &[])
    })
    .await
    .unwrap();
    assert_exit(&output, 0);
    assert_outputs_clean(&dir, &output);
    let lock = std::fs::read_to_string(dir.join("locks/env.lock")).unwrap();
    assert!(
        lock.contains("envlock-demo"),
        "the wheel is not locked:\n{lock}"
    );
    assert!(
        !lock.contains(USER),
        "the lock names the index user:\n{lock}"
    );

    let auth = dir.join("auth.json");
    let auth_host = host.split(':').next().unwrap().to_string();
    std::fs::write(&auth, serde_json::json!({ auth_host: { "BasicHTTP": { "username": USER, "password": PASSWORD } } }).to_string()).unwrap();
    let install_dir = dir.clone();
    let installed = tokio::task::spawn_blocking(move || {
        let args = [
            "install",
            "-vvv",
            "locks/env.lock",
            "-p",
            "linux-64",
            "--prefix",
            "env",
            "--mirror",
            &mirror,
            "--cache-dir",
            "cache",
            "--copy",
        ];
        envlock_with_env(
            &install_dir,
            &args,
            &[("RATTLER_AUTH_FILE", auth.to_str().unwrap())],
        )
    })
    .await
    .unwrap();
    assert_exit(&installed, 0);
    assert_clean("stderr of the install", &stderr(&installed));
    let site_packages = std::fs::read_dir(dir.join("env/lib/python3.11/site-packages")).unwrap();
    let installed_names: Vec<String> = site_packages
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        installed_names
            .iter()
            .any(|name| name.starts_with("envlock_demo")),
        "the wheel is not installed: {installed_names:?}"
    );
}

/// The text of every `conda-meta/*.json` of a prefix.
fn conda_meta_text(prefix: &Path) -> String {
    std::fs::read_dir(prefix.join("conda-meta"))
        .expect("conda-meta")
        .map(|entry| std::fs::read_to_string(entry.expect("entry").path()).unwrap_or_default())
        .collect()
}
