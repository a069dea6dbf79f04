//! The environment of an installed prefix, written so it runs without conda.
//!
//! After linking, envlock computes what conda activation would set (the
//! packages' `etc/conda/activate.d` scripts and `etc/conda/env_vars.d`,
//! through rattler_shell), adds settings that conda-forge packages need but
//! do not set themselves, and writes `etc/envlock/activate.sh`,
//! `etc/envlock/entrypoint.sh` and `etc/envlock/environment.json`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rattler_conda_types::Subdir;
use rattler_shell::activation::{ActivationVariables, Activator, PathModificationBehavior};
use rattler_shell::environment::EnvironmentSnapshot;
use rattler_shell::process::ProcessLimits;
use rattler_shell::shell;
use serde::{Deserialize, Serialize};

use super::InstallError;

/// A variable that a package needs at runtime but does not set itself.
#[derive(Debug, Clone, Copy)]
pub struct PackageDefault {
    /// The package that needs it.
    pub package: &'static str,
    /// The variable.
    pub variable: &'static str,
    /// The value, relative to the prefix; it must exist in the prefix.
    pub relative_path: &'static str,
    /// Why envlock sets it.
    pub reason: &'static str,
}

/// Settings that conda-forge packages need at runtime and do not set in
/// their activation scripts.
pub const PACKAGE_DEFAULTS: [PackageDefault; 3] = [
    PackageDefault {
        package: "nwchem",
        variable: "NWCHEM_BASIS_LIBRARY",
        relative_path: "share/nwchem/libraries/",
        reason: "nwchem reads basis sets from this directory before any nwchemrc file; it treats the value as a directory only with the trailing slash",
    },
    PackageDefault {
        package: "nwchem",
        variable: "NWCHEM_NWPW_LIBRARY",
        relative_path: "share/nwchem/libraryps/",
        reason: "the plane-wave modules read pseudopotentials from this directory",
    },
    PackageDefault {
        package: "xtb",
        variable: "XTBPATH",
        relative_path: "share/xtb",
        reason: "xtb finds param_gfn*-xtb.txt only through XTBPATH; the package's share/xtb/config_env.bash that sets it is not an activate.d script, so conda never runs it",
    },
];

/// Variables of conda's shell integration that mean nothing without conda.
const SHELL_ONLY_VARIABLES: [&str; 8] = [
    "CONDA_SHLVL",
    "CONDA_PROMPT_MODIFIER",
    "CONDA_DEFAULT_ENV",
    "PS1",
    "_",
    "SHLVL",
    "PWD",
    "OLDPWD",
];

/// The PATH assumed when the image sets none (Debian's default).
pub const DEFAULT_SYSTEM_PATH: &str =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The environment of an installed prefix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivationEnvironment {
    /// The prefix the environment runs from.
    pub prefix: String,
    /// Directories put in front of PATH.
    pub path_prepend: Vec<String>,
    /// Variables to set, sorted by name.
    pub variables: BTreeMap<String, String>,
    /// Where each variable came from (`activate.d`, `env_vars.d`, `envlock default`, `environment file`).
    pub sources: BTreeMap<String, String>,
}

/// The file that stores the computed environment inside the prefix.
pub const ENVIRONMENT_JSON: &str = "etc/envlock/environment.json";
/// The activation script inside the prefix.
pub const ACTIVATE_SH: &str = "etc/envlock/activate.sh";
/// The entry point script inside the prefix.
pub const ENTRYPOINT_SH: &str = "etc/envlock/entrypoint.sh";

/// Computes the environment of the prefix linked at `work_dir`, which will
/// run from `target_prefix`.
pub async fn compute(
    work_dir: &Path,
    target_prefix: &Path,
    platform: Subdir,
    installed: &[String],
    file_variables: &BTreeMap<String, String>,
) -> Result<ActivationEnvironment, InstallError> {
    let failed = |message: String| InstallError::Activation { message };
    let activator = Activator::from_path(work_dir, shell::Bash::default(), platform)
        .map_err(|e| failed(e.to_string()))?;
    let baseline: EnvironmentSnapshot = [
        ("PATH", DEFAULT_SYSTEM_PATH),
        ("HOME", "/root"),
        ("LANG", "C.UTF-8"),
    ]
    .into_iter()
    .collect();
    let variables = ActivationVariables {
        conda_prefix: None,
        path: None,
        path_modification_behavior: PathModificationBehavior::Prepend,
        current_env: Default::default(),
    };
    let limits = ProcessLimits {
        timeout: Duration::from_secs(60),
        output_limit: 4 * 1024 * 1024,
    };
    let activated = activator
        .run_activation_bounded(variables, &baseline, limits)
        .await
        .map_err(|e| failed(e.to_string()))?;

    let work = work_dir.to_string_lossy().into_owned();
    let target = target_prefix.to_string_lossy().into_owned();
    let retarget = |value: &str| value.replace(&work, &target);

    let mut environment = ActivationEnvironment {
        prefix: target.clone(),
        path_prepend: Vec::new(),
        variables: BTreeMap::new(),
        sources: BTreeMap::new(),
    };
    for (key, value) in activated.iter() {
        let (Some(key), Some(value)) = (key.to_str(), value.to_str()) else {
            continue;
        };
        if baseline.get(key).and_then(|v| v.to_str()) == Some(value)
            || SHELL_ONLY_VARIABLES.contains(&key)
        {
            continue;
        }
        if key == "PATH" {
            environment.path_prepend = value
                .split(':')
                .filter(|entry| {
                    !DEFAULT_SYSTEM_PATH
                        .split(':')
                        .any(|system| system == *entry)
                })
                .map(retarget)
                .collect();
            continue;
        }
        let source = if activator.env_vars.contains_key(key) {
            "env_vars.d"
        } else {
            "activate.d"
        };
        environment
            .variables
            .insert(key.to_string(), retarget(value));
        environment
            .sources
            .insert(key.to_string(), source.to_string());
    }
    environment
        .variables
        .insert("CONDA_PREFIX".to_string(), target.clone());
    environment
        .sources
        .insert("CONDA_PREFIX".to_string(), "envlock".to_string());
    if environment.path_prepend.is_empty() {
        environment.path_prepend.push(format!("{target}/bin"));
    }

    apply_package_defaults(&mut environment, work_dir, &target, installed);
    for (key, value) in file_variables {
        tracing::info!(variable = %key, "setting a variable from the environment file");
        environment.variables.insert(key.clone(), value.clone());
        environment
            .sources
            .insert(key.clone(), "environment file".to_string());
    }
    Ok(environment)
}

fn apply_package_defaults(
    environment: &mut ActivationEnvironment,
    work_dir: &Path,
    target: &str,
    installed: &[String],
) {
    for default in PACKAGE_DEFAULTS {
        if !installed.iter().any(|name| name == default.package) {
            continue;
        }
        if let Some(existing) = environment.variables.get(default.variable) {
            tracing::info!(variable = default.variable, value = %existing, "kept the value the package's activation sets");
            continue;
        }
        if !work_dir.join(default.relative_path).exists() {
            tracing::warn!(
                package = default.package,
                path = default.relative_path,
                "not setting {}: the path is missing from the prefix",
                default.variable
            );
            continue;
        }
        let value = format!("{target}/{}", default.relative_path);
        tracing::info!(variable = default.variable, %value, reason = default.reason, "setting a package default");
        environment
            .variables
            .insert(default.variable.to_string(), value);
        environment
            .sources
            .insert(default.variable.to_string(), "envlock default".to_string());
    }
}

/// Quotes a value for POSIX sh with single quotes.
pub fn sh_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', "'\\''"))
}

/// Renders `activate.sh`: plain exports, no conda and no activate.d scripts.
pub fn render_activate_sh(environment: &ActivationEnvironment) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "# Generated by envlock install: the environment of {}, without conda.\n# Source it from a POSIX shell; it runs nothing else.\n",
        environment.prefix
    ));
    let path = environment.path_prepend.join(":");
    out.push_str(&format!(
        "export PATH={}:\"${{PATH:-{DEFAULT_SYSTEM_PATH}}}\"\n",
        sh_quote(&path)
    ));
    for (key, value) in &environment.variables {
        out.push_str(&format!("export {key}={}\n", sh_quote(value)));
    }
    out
}

/// Renders `entrypoint.sh`: activate, then run the command.
pub fn render_entrypoint_sh(environment: &ActivationEnvironment) -> String {
    format!(
        "#!/bin/sh\n# Generated by envlock install: activates {prefix} without conda, then runs the command.\n. {activate}\nexec \"$@\"\n",
        prefix = environment.prefix,
        activate = sh_quote(&format!("{}/{ACTIVATE_SH}", environment.prefix)),
    )
}

/// Renders Dockerfile `ENV` lines for the environment.
pub fn render_dockerfile(environment: &ActivationEnvironment) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "ENV PATH=\"{}:$PATH\"\n",
        environment.path_prepend.join(":")
    ));
    for (key, value) in &environment.variables {
        let escaped = value
            .replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('$', "\\$");
        out.push_str(&format!("ENV {key}=\"{escaped}\"\n"));
    }
    out
}

/// Writes the three activation files into the prefix at `work_dir`; a file
/// whose content is unchanged is left alone, so a second install is a no-op.
pub fn write_files(
    work_dir: &Path,
    environment: &ActivationEnvironment,
) -> Result<(), InstallError> {
    let json = serde_json::to_string_pretty(environment).unwrap_or_default() + "\n";
    let files: [(&str, String, u32); 3] = [
        (ENVIRONMENT_JSON, json, 0o644),
        (ACTIVATE_SH, render_activate_sh(environment), 0o644),
        (ENTRYPOINT_SH, render_entrypoint_sh(environment), 0o755),
    ];
    for (relative, contents, mode) in files {
        write_if_changed(&work_dir.join(relative), &contents, mode)?;
    }
    Ok(())
}

fn write_if_changed(path: &Path, contents: &str, mode: u32) -> Result<(), InstallError> {
    use std::os::unix::fs::PermissionsExt;
    if std::fs::read_to_string(path).is_ok_and(|existing| existing == contents) {
        return Ok(());
    }
    let io = |source| InstallError::PrefixIo {
        path: path.to_path_buf(),
        source,
    };
    let directory = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(directory).map_err(io)?;
    let temporary = tempfile::NamedTempFile::new_in(directory).map_err(io)?;
    std::fs::write(temporary.path(), contents).map_err(io)?;
    std::fs::set_permissions(temporary.path(), std::fs::Permissions::from_mode(mode))
        .map_err(io)?;
    temporary.persist(path).map_err(|e| io(e.error))?;
    Ok(())
}

/// Reads the environment stored in an installed prefix.
pub fn read(prefix: &Path) -> Result<ActivationEnvironment, InstallError> {
    let path: PathBuf = prefix.join(ENVIRONMENT_JSON);
    let text = std::fs::read_to_string(&path).map_err(|source| InstallError::Activation {
        message: format!(
            "cannot read {}: {source}; is {} a prefix written by `envlock install`?",
            path.display(),
            prefix.display()
        ),
    })?;
    serde_json::from_str(&text).map_err(|e| InstallError::Activation {
        message: format!("invalid {}: {e}", path.display()),
    })
}
