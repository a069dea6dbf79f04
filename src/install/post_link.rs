//! Post-link scripts: found and reported by default, run only on request.

use std::collections::BTreeMap;
use std::path::Path;

use rattler::install::link_script::{LinkScriptError, PrePostLinkResult};
use serde::Serialize;

use super::InstallError;

/// A package that ships a post-link script.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PostLinkScript {
    /// The package name.
    pub package: String,
    /// The script's path inside the prefix.
    pub script: String,
    /// Lines the script appends to `$PREFIX/.messages.txt`. After a run,
    /// these are the lines it wrote. Otherwise they are read from its plain
    /// `echo` and `printf` lines, and empty when none can be read.
    pub messages: Vec<String>,
    /// Whether the script ran in this install: it was requested and the
    /// package was linked now (an installed package's script does not run again).
    pub ran: bool,
}

/// Finds the post-link script of a package extracted at `package_dir`.
pub fn find(package: &str, package_dir: &Path) -> Option<PostLinkScript> {
    let relative = format!("bin/.{package}-post-link.sh");
    let text = std::fs::read_to_string(package_dir.join(&relative)).ok()?;
    Some(PostLinkScript {
        package: package.to_string(),
        script: relative,
        messages: messages_of(&text),
        ran: false,
    })
}

/// Checks rattler's result of running the post-link scripts and returns
/// the messages each package's script wrote. rattler itself only logs a
/// script that failed, so envlock turns that into an error.
pub fn check_outcome(
    outcome: Option<Result<PrePostLinkResult, LinkScriptError>>,
) -> Result<BTreeMap<String, Vec<String>>, InstallError> {
    let result = match outcome {
        None => return Ok(BTreeMap::new()),
        Some(result) => result.map_err(|e| InstallError::PostLinkFailed {
            packages: String::new(),
            message: crate::solve::repodata::error_chain(&e),
        })?,
    };
    if !result.failed_packages.is_empty() {
        let mut names: Vec<&str> = result
            .failed_packages
            .iter()
            .map(|name| name.as_normalized())
            .collect();
        names.sort_unstable();
        return Err(InstallError::PostLinkFailed {
            packages: names.join(", "),
            message: "the script exited with an error".to_string(),
        });
    }
    Ok(result
        .messages
        .into_iter()
        .map(|(name, text)| {
            let lines = text.lines().map(str::to_string).collect();
            (name.as_normalized().to_string(), lines)
        })
        .collect())
}

/// Returns the packages whose post-link script failed.
pub fn failed_packages(
    outcome: &Option<Result<PrePostLinkResult, LinkScriptError>>,
) -> Vec<String> {
    match outcome {
        Some(Ok(result)) => result
            .failed_packages
            .iter()
            .map(|name| name.as_normalized().to_string())
            .collect(),
        _ => Vec::new(),
    }
}

/// Extracts the text of `echo "..." >> "$PREFIX/.messages.txt"` lines.
fn messages_of(script: &str) -> Vec<String> {
    script
        .lines()
        .map(str::trim)
        .filter(|line| {
            line.contains(".messages.txt")
                && (line.starts_with("echo") || line.starts_with("printf"))
        })
        .filter_map(|line| {
            let command = line.split(">>").next()?.trim();
            let text = command.split_once(' ').map(|(_, rest)| rest.trim())?;
            Some(text.trim_matches(|c| c == '"' || c == '\'').to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_read_from_echo_lines() {
        let script = "#!/bin/bash\necho \"nwchem: set NWCHEM_BASIS_LIBRARY\" >> \"$PREFIX/.messages.txt\"\nexit 0\n";
        assert_eq!(
            messages_of(script),
            vec!["nwchem: set NWCHEM_BASIS_LIBRARY".to_string()]
        );
    }
}
