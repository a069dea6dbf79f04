//! The environment file reader on third-party environment files: conda-lock's and
//! pixi's test inputs and a real worker environment, read from `ENVLOCK_REALDATA`.
//!
//! Every file either parses or fails with a diagnostic, and none panics. One insta
//! snapshot per file records a summary of what parsed or the rendered diagnostic.

use std::fmt::Write as _;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use envlock::envfile::{EnvFileError, EnvironmentFile, Platform};
use miette::{GraphicalReportHandler, GraphicalTheme};

/// Folders under `ENVLOCK_REALDATA` whose YAML files are walked.
const PEER_FOLDERS: [&str; 2] = ["peers/conda-lock", "peers/pixi"];

/// A single file under `ENVLOCK_REALDATA` read in addition to the walked folders.
const WORKER_FILE: &str = "env-worker-arm64.yaml";

/// Top-level keys, at least one of which every environment file has.
const ENVIRONMENT_KEYS: [&str; 4] = ["name", "channels", "dependencies", "platforms"];

/// Returns the real-data folder, or `None` when the test should be skipped.
///
/// Panics when `ENVLOCK_REQUIRE_REALDATA=1` (set by `.ci/run`) and the folder is
/// not configured or missing, so CI never passes without running these checks.
fn realdata_root() -> Option<PathBuf> {
    let in_ci = std::env::var("ENVLOCK_REQUIRE_REALDATA").is_ok_and(|v| v == "1");
    let Some(root) = std::env::var_os("ENVLOCK_REALDATA").map(PathBuf::from) else {
        assert!(
            !in_ci,
            "ENVLOCK_REQUIRE_REALDATA=1 but ENVLOCK_REALDATA is not set"
        );
        println!("skipped: ENVLOCK_REALDATA is not set, so there is no third-party data to read");
        return None;
    };
    if !root.is_dir() {
        assert!(
            !in_ci,
            "ENVLOCK_REALDATA={} is not a folder",
            root.display()
        );
        println!(
            "skipped: ENVLOCK_REALDATA={} is not a folder, so there is no third-party data to read",
            root.display()
        );
        return None;
    }
    Some(root)
}

fn collect_yaml_files(folder: &Path, files: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(folder)
        .unwrap_or_else(|error| panic!("failed to list {}: {error}", folder.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect_yaml_files(&path, files);
        } else if path
            .extension()
            .is_some_and(|extension| extension == "yml" || extension == "yaml")
        {
            files.push(path);
        }
    }
}

/// Returns why a file is not an environment file, or `None` if it looks like one.
fn skip_reason(path: &Path, text: &str) -> Option<String> {
    let file_name = path.file_name()?.to_string_lossy().to_lowercase();
    let name_says_lock = file_name.contains("lock");

    // Files that are not valid YAML go to the reader, which must report them.
    let root = marked_yaml::parse_yaml(0, text).ok();
    let mapping = root.as_ref().and_then(|root| root.as_mapping());
    let has_key = |key: &str| mapping.is_some_and(|mapping| mapping.get_node(key).is_some());
    if has_key("version") && (has_key("package") || has_key("packages")) {
        return Some("lockfile: top level has `version` and `package` or `packages`".to_string());
    }
    if name_says_lock {
        return Some("lockfile: the file name contains `lock`".to_string());
    }
    let mapping = mapping?;
    if !ENVIRONMENT_KEYS.iter().any(|key| has_key(key)) {
        let keys: Vec<&str> = mapping.keys().map(|key| key.as_str()).collect();
        return Some(format!(
            "not an environment file: top-level keys are [{}]",
            keys.join(", ")
        ));
    }
    None
}

fn render(error: &EnvFileError) -> String {
    let mut output = String::new();
    GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
        .with_width(100)
        .render_report(&mut output, error)
        .unwrap();
    output
}

/// Summarizes a parsed file: keys, counts, selectors and the per-platform result.
fn summarize(env: &EnvironmentFile) -> String {
    let mut summary = String::new();
    let channels: Vec<&str> = env.channels.iter().map(|c| c.value.as_str()).collect();
    let platforms: Vec<Platform> = env.platforms.iter().map(|p| p.value).collect();
    let platform_names: Vec<&str> = platforms.iter().map(|p| p.as_str()).collect();
    let selectors: Vec<String> = env
        .dependencies
        .iter()
        .filter_map(|d| d.selector.as_ref().map(|s| format!("line {}: {s}", d.line)))
        .chain(env.pip.iter().filter_map(|p| {
            p.selector
                .as_ref()
                .map(|s| format!("line {}: {s} (pip)", p.line))
        }))
        .collect();

    writeln!(summary, "result: parsed").unwrap();
    writeln!(summary, "name: {}", env.name.as_deref().unwrap_or("(none)")).unwrap();
    writeln!(summary, "channels: [{}]", channels.join(", ")).unwrap();
    writeln!(summary, "platforms: [{}]", platform_names.join(", ")).unwrap();
    writeln!(summary, "variables: {}", env.variables.len()).unwrap();
    writeln!(summary, "conda dependencies: {}", env.dependencies.len()).unwrap();
    writeln!(summary, "pip requirements: {}", env.pip.len()).unwrap();
    writeln!(summary, "selectors: [{}]", selectors.join(", ")).unwrap();

    let targets = if platforms.is_empty() {
        vec![Platform::Linux64, Platform::LinuxAarch64]
    } else {
        platforms
    };
    for platform in targets {
        let specs: Vec<String> = env
            .conda_specs_for(platform)
            .iter()
            .map(|d| d.spec.to_string())
            .collect();
        let pip: Vec<&str> = env
            .pip_requirements_for(platform)
            .iter()
            .map(|p| p.text.as_str())
            .collect();
        writeln!(summary, "{platform}:").unwrap();
        writeln!(
            summary,
            "  conda ({}): {}",
            specs.len(),
            list_or_none(&specs)
        )
        .unwrap();
        writeln!(summary, "  pip ({}): {}", pip.len(), list_or_none(&pip)).unwrap();
    }
    summary
}

fn list_or_none<T: AsRef<str>>(items: &[T]) -> String {
    if items.is_empty() {
        return "none".to_string();
    }
    let items: Vec<&str> = items.iter().map(AsRef::as_ref).collect();
    items.join(", ")
}

fn snapshot_name(relative: &str) -> String {
    relative.replace(['/', '.'], "_")
}

#[test]
fn realdata_environment_files_parse_or_explain() {
    let Some(root) = realdata_root() else { return };

    let mut files = Vec::new();
    for folder in PEER_FOLDERS {
        collect_yaml_files(&root.join(folder), &mut files);
    }
    files.push(root.join(WORKER_FILE));

    let mut skipped = String::new();
    let mut panicked = Vec::new();
    let mut checked = 0;
    for path in &files {
        let relative = path
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .to_string();
        let text = std::fs::read_to_string(path).unwrap();
        if let Some(reason) = skip_reason(path, &text) {
            println!("skipped {relative}: {reason}");
            writeln!(skipped, "{relative}: {reason}").unwrap();
            continue;
        }

        let label = PathBuf::from(&relative);
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            match EnvironmentFile::from_source(&text, &label) {
                Ok(env) => summarize(&env),
                Err(error) => format!("result: error\n{}", render(&error)),
            }
        }));
        let Ok(report) = outcome else {
            panicked.push(relative);
            continue;
        };
        checked += 1;
        println!(
            "checked {relative}: {}",
            report.lines().next().unwrap_or("")
        );
        insta::with_settings!({ description => relative.as_str(), omit_expression => true }, {
            insta::assert_snapshot!(snapshot_name(&relative), format!("file: {relative}\n{report}"));
        });
    }

    assert!(panicked.is_empty(), "the reader panicked on: {panicked:?}");
    // The folder contains 59 environment files, so a much lower count means the walk broke.
    assert!(checked >= 50, "only {checked} environment files were found");
    insta::assert_snapshot!("realdata_skipped_files", skipped);
}

#[test]
fn realdata_worker_environment_parses() {
    let Some(root) = realdata_root() else { return };
    let env = EnvironmentFile::from_path(&root.join(WORKER_FILE)).unwrap();
    assert_eq!(env.name.as_deref(), Some("base"));
    assert!(env.platforms.is_empty());

    let arm = env.conda_specs_for(Platform::LinuxAarch64);
    let names: Vec<&str> = arm
        .iter()
        .map(|d| d.spec.name.as_exact().unwrap().as_normalized())
        .collect();
    assert!(names.contains(&"nwchem"));
    assert!(names.contains(&"pip"));
    assert!(env.pip.iter().any(|p| p.text == "huey>=2.6.0"));
}
