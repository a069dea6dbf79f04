//! `etc/default.nwchemrc` of an installed nwchem: the library directories
//! it names must exist inside the prefix.

use super::paths::{looks_like_build_path, RuntimePaths};
use super::{CheckStatus, PrefixCheck};

/// The file, relative to the prefix.
pub const NWCHEMRC: &str = "etc/default.nwchemrc";

/// The keys whose values must be library directories in the prefix.
const LIBRARY_KEYS: [&str; 2] = ["nwchem_basis_library", "nwchem_nwpw_library"];

/// Returns the value of `key` in nwchemrc text (`key value` lines).
pub fn value_of<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    text.lines().find_map(|line| {
        let mut words = line.split_whitespace();
        (words.next() == Some(key)).then(|| words.next()).flatten()
    })
}

/// Checks both library entries of the installed `etc/default.nwchemrc`.
pub fn check(paths: &RuntimePaths) -> Vec<PrefixCheck> {
    let file = paths.directory.join(NWCHEMRC);
    let text = match std::fs::read_to_string(&file) {
        Ok(text) => text,
        Err(error) => {
            let detail = format!("{NWCHEMRC} cannot be read: {error}");
            return vec![PrefixCheck::new(NWCHEMRC, CheckStatus::Failed, detail)];
        }
    };
    LIBRARY_KEYS
        .iter()
        .map(|key| {
            let name = format!("{NWCHEMRC} {key}");
            match value_of(&text, key) {
                None => PrefixCheck::new(name, CheckStatus::Failed, format!("{key} is not set")),
                Some(value) => check_directory(name, key, value, paths),
            }
        })
        .collect()
}

/// A library entry must be an existing directory inside the prefix.
fn check_directory(name: String, key: &str, value: &str, paths: &RuntimePaths) -> PrefixCheck {
    if looks_like_build_path(value) {
        let detail =
            format!("{key} is {value}, the build machine's path: the file was not prefix-replaced");
        return PrefixCheck::new(name, CheckStatus::Failed, detail);
    }
    match paths.on_disk(value) {
        None => PrefixCheck::new(
            name,
            CheckStatus::Failed,
            format!(
                "{key} is {value}, outside the prefix {}",
                paths.runtime.display()
            ),
        ),
        Some(local) if local.is_dir() => {
            let status = if value.ends_with('/') {
                CheckStatus::Passed
            } else {
                CheckStatus::Warning
            };
            let slash = if value.ends_with('/') {
                ""
            } else {
                " (no trailing slash; NWChem appends file names to it)"
            };
            PrefixCheck::new(
                name,
                status,
                format!("{key} is {value}, an existing directory{slash}"),
            )
        }
        Some(local) => PrefixCheck::new(
            name,
            CheckStatus::Failed,
            format!(
                "{key} is {value}, but {} is not a directory",
                local.display()
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_read_by_key() {
        let text = "nwchem_basis_library /opt/env/share/nwchem/libraries/\nffield amber\n";
        assert_eq!(
            value_of(text, "nwchem_basis_library"),
            Some("/opt/env/share/nwchem/libraries/")
        );
        assert_eq!(value_of(text, "nwchem_nwpw_library"), None);
    }
}
