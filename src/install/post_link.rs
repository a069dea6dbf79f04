//! Post-link scripts: found and reported by default, run only on request.

use std::path::Path;

use serde::Serialize;

/// A package that ships a post-link script.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PostLinkScript {
    /// The package name.
    pub package: String,
    /// The script's path inside the prefix.
    pub script: String,
    /// Lines the script appends to `$PREFIX/.messages.txt`, as far as they
    /// can be read from plain `echo` or `printf` lines; empty when unknown.
    pub messages: Vec<String>,
}

/// Finds the post-link script of a package extracted at `package_dir`.
pub fn find(package: &str, package_dir: &Path) -> Option<PostLinkScript> {
    let relative = format!("bin/.{package}-post-link.sh");
    let text = std::fs::read_to_string(package_dir.join(&relative)).ok()?;
    Some(PostLinkScript {
        package: package.to_string(),
        script: relative,
        messages: messages_of(&text),
    })
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
