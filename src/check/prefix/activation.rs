//! The activation environment that `envlock install` writes to
//! `etc/envlock/activate.sh`: `export NAME=value` lines that replace
//! conda activation in the image.

use std::collections::BTreeMap;

use super::paths::RuntimePaths;
use super::{CheckStatus, PrefixCheck};

/// The activation script, relative to the prefix.
pub const ACTIVATION_SCRIPT: &str = "etc/envlock/activate.sh";

/// Reads the `export NAME=WORD` lines of a POSIX shell script and ignores
/// other lines. A word may join single-quoted (literal), double-quoted and
/// bare parts, as in `'it'\''s'`. `$NAME`, `${NAME}` and `${NAME:-default}`
/// expand from earlier exports, and unknown names stay as written.
pub fn parse_exports(text: &str) -> BTreeMap<String, String> {
    let mut exports = BTreeMap::new();
    for line in text.lines() {
        let Some(assignment) = line.trim().strip_prefix("export ") else {
            continue;
        };
        let Some((name, word)) = assignment.trim_start().split_once('=') else {
            continue;
        };
        let valid_name = !name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !name.starts_with(|c: char| c.is_ascii_digit());
        if valid_name {
            let value = parse_word(word, &exports);
            exports.insert(name.to_string(), value);
        }
    }
    exports
}

/// Reads one shell word from the start of `text`.
fn parse_word(text: &str, known: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => out.extend(chars.by_ref().take_while(|&c| c != '\'')),
            '"' => {
                let mut quoted = String::new();
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' if matches!(chars.peek(), Some('"' | '\\' | '$' | '`')) => {
                            // An escaped `$` must not expand: keep it apart from `quoted`.
                            out.push_str(&expand(&quoted, known));
                            quoted.clear();
                            out.extend(chars.next());
                        }
                        c => quoted.push(c),
                    }
                }
                out.push_str(&expand(&quoted, known));
            }
            '\\' => out.extend(chars.next()),
            c if c.is_whitespace() || c == ';' => break,
            c => {
                let mut bare = String::from(c);
                while let Some(&next) = chars.peek() {
                    if next.is_whitespace() || matches!(next, ';' | '\'' | '"' | '\\') {
                        break;
                    }
                    bare.push(next);
                    chars.next();
                }
                out.push_str(&expand(&bare, known));
            }
        }
    }
    out
}

/// Expands `$NAME`, `${NAME}` and `${NAME:-default}` from `known`.
fn expand(text: &str, known: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let (name, fallback, consumed) = if let Some(braced) = after.strip_prefix('{') {
            match braced.find('}') {
                Some(end) => {
                    let inner = &braced[..end];
                    let (name, fallback) = match inner.split_once(":-") {
                        Some((name, fallback)) => (name, Some(fallback)),
                        None => (inner, None),
                    };
                    (name, fallback, end + 2)
                }
                None => ("", None, 0),
            }
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..end], None, end)
        };
        match (known.get(name).filter(|_| !name.is_empty()), fallback) {
            (Some(value), _) => out.push_str(value),
            (None, Some(fallback)) => out.push_str(fallback),
            (None, None) => out.push_str(&rest[at..at + 1 + consumed]),
        }
        rest = &after[consumed..];
    }
    out.push_str(rest);
    out
}

/// Facts about the prefix that the activation checks use.
pub struct ActivationContext<'a> {
    /// The run-time and on-disk locations.
    pub paths: &'a RuntimePaths,
    /// Whether nwchem is installed.
    pub has_nwchem: bool,
    /// Whether xtb is installed.
    pub has_xtb: bool,
}

/// Checks the variables that must point at existing paths.
pub fn check(
    exports: &BTreeMap<String, String>,
    context: &ActivationContext<'_>,
) -> Vec<PrefixCheck> {
    let mut checks = vec![check_conda_prefix(exports, context.paths)];
    if context.has_nwchem {
        checks.push(check_library(
            exports,
            "NWCHEM_BASIS_LIBRARY",
            true,
            context.paths,
        ));
        checks.push(check_library(
            exports,
            "NWCHEM_NWPW_LIBRARY",
            false,
            context.paths,
        ));
    }
    if context.has_xtb {
        checks.push(check_xtbpath(exports, context.paths));
    }
    checks
}

fn name(variable: &str) -> String {
    format!("{ACTIVATION_SCRIPT} {variable}")
}

fn check_conda_prefix(exports: &BTreeMap<String, String>, paths: &RuntimePaths) -> PrefixCheck {
    let check = name("CONDA_PREFIX");
    let Some(value) = exports.get("CONDA_PREFIX") else {
        return PrefixCheck::new(
            check,
            CheckStatus::Failed,
            "CONDA_PREFIX is not exported".to_string(),
        );
    };
    if paths.runtime.as_os_str() != value.as_str() {
        let detail = format!(
            "CONDA_PREFIX is {value}, but the environment runs at {}",
            paths.runtime.display()
        );
        return PrefixCheck::new(check, CheckStatus::Failed, detail);
    }
    PrefixCheck::new(
        check,
        CheckStatus::Passed,
        format!("CONDA_PREFIX is {value}"),
    )
}

/// An NWChem library variable must name an existing directory in the
/// prefix; NWChem appends file names directly, so the basis library needs
/// its trailing slash.
fn check_library(
    exports: &BTreeMap<String, String>,
    variable: &str,
    slash_required: bool,
    paths: &RuntimePaths,
) -> PrefixCheck {
    let check = name(variable);
    let Some(value) = exports.get(variable) else {
        return PrefixCheck::new(
            check,
            CheckStatus::Failed,
            format!("{variable} is not exported"),
        );
    };
    let Some(local) = paths.on_disk(value) else {
        let detail = format!(
            "{variable} is {value}, outside the prefix {}",
            paths.runtime.display()
        );
        return PrefixCheck::new(check, CheckStatus::Failed, detail);
    };
    if !local.is_dir() {
        let detail = format!(
            "{variable} is {value}, but {} is not a directory",
            local.display()
        );
        return PrefixCheck::new(check, CheckStatus::Failed, detail);
    }
    match (value.ends_with('/'), slash_required) {
        (true, _) => PrefixCheck::new(check, CheckStatus::Passed, format!("{variable} is {value}")),
        (false, true) => PrefixCheck::new(
            check,
            CheckStatus::Failed,
            format!("{variable} is {value} without a trailing slash; NWChem needs it to find files in the directory"),
        ),
        (false, false) => PrefixCheck::new(
            check,
            CheckStatus::Warning,
            format!("{variable} is {value} without a trailing slash"),
        ),
    }
}

/// Every `XTBPATH` entry inside the prefix must exist, and one of them
/// should hold `param_gfn0-xtb.txt`, which xtb does not have compiled in.
fn check_xtbpath(exports: &BTreeMap<String, String>, paths: &RuntimePaths) -> PrefixCheck {
    let check = name("XTBPATH");
    let Some(value) = exports.get("XTBPATH") else {
        return PrefixCheck::new(
            check,
            CheckStatus::Failed,
            "XTBPATH is not exported".to_string(),
        );
    };
    let mut with_gfn0 = false;
    for entry in value.split(':').filter(|e| !e.is_empty()) {
        let Some(local) = paths.on_disk(entry) else {
            continue;
        };
        if !local.exists() {
            let detail = format!("XTBPATH entry {entry} does not exist ({})", local.display());
            return PrefixCheck::new(check, CheckStatus::Failed, detail);
        }
        with_gfn0 |= local.join("param_gfn0-xtb.txt").is_file();
    }
    if !value.split(':').any(|entry| paths.on_disk(entry).is_some()) {
        let detail = format!("XTBPATH is {value}, with no directory inside the prefix");
        return PrefixCheck::new(check, CheckStatus::Failed, detail);
    }
    if with_gfn0 {
        PrefixCheck::new(check, CheckStatus::Passed, format!("XTBPATH is {value}"))
    } else {
        let detail = format!(
            "XTBPATH is {value}, but no entry holds param_gfn0-xtb.txt, so `xtb --gfn 0` fails"
        );
        PrefixCheck::new(check, CheckStatus::Warning, detail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exports_are_parsed_and_expanded() {
        let text = "# comment\nexport CONDA_PREFIX=\"/opt/env\"\nexport NWCHEM_BASIS_LIBRARY=\"${CONDA_PREFIX}/share/nwchem/libraries/\"\n\
                    export XTBPATH=$CONDA_PREFIX/share/xtb\nexport LITERAL='$CONDA_PREFIX'\nexport PATH=\"$CONDA_PREFIX/bin:$PATH\"\nunset FOO\n";
        let exports = parse_exports(text);
        assert_eq!(exports["CONDA_PREFIX"], "/opt/env");
        assert_eq!(
            exports["NWCHEM_BASIS_LIBRARY"],
            "/opt/env/share/nwchem/libraries/"
        );
        assert_eq!(exports["XTBPATH"], "/opt/env/share/xtb");
        assert_eq!(exports["LITERAL"], "$CONDA_PREFIX");
        assert_eq!(exports["PATH"], "/opt/env/bin:$PATH");
        assert_eq!(exports.len(), 5);
    }

    #[test]
    fn single_quoted_words_as_envlock_install_writes_them() {
        let text = "export PATH='/opt/env/bin':\"${PATH:-/usr/bin:/bin}\"\nexport NOTE='it'\\''s'\nexport XTBPATH='/opt/env/share/xtb'\n";
        let exports = parse_exports(text);
        assert_eq!(exports["PATH"], "/opt/env/bin:/usr/bin:/bin");
        assert_eq!(exports["NOTE"], "it's");
        assert_eq!(exports["XTBPATH"], "/opt/env/share/xtb");
    }
}
