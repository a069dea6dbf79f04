//! The normalised inputs of a solve and their content hashes.
//!
//! The hashes cover what decides the solution (channels in priority order,
//! the conda specs after selectors, the virtual packages, the pip section
//! and envlock's lock schema) and nothing else, so comments, whitespace and
//! the order of dependency lines do not change them.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

/// The version of envlock's lock header and hashing scheme. Bump it when
/// either changes meaning, so old locks are reported as out of date.
pub const LOCK_SCHEMA_VERSION: u32 = 1;

/// The treatment of the `pip:` section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PipMode {
    /// The environment has no pip requirements on this platform.
    Empty,
    /// The pip requirements were skipped with `--ignore-pip` and are not in the lock.
    NotLocked,
    /// The pip requirements are locked as PyPI packages in the lock.
    Locked,
}

impl PipMode {
    /// The word stored in the lock header.
    pub fn as_str(self) -> &'static str {
        match self {
            PipMode::Empty => "none",
            PipMode::NotLocked => "not-locked",
            PipMode::Locked => "locked",
        }
    }
}

/// The normalised inputs of one platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformInputs {
    /// Canonical channel URLs, in priority order.
    pub channels: Vec<String>,
    /// Conda match specs after selectors, normalised and sorted.
    pub conda_specs: Vec<String>,
    /// Virtual packages as `NAME=VERSION=BUILD`, sorted.
    pub virtual_packages: Vec<String>,
    /// pip requirement lines after selectors, trimmed and sorted.
    pub pip: Vec<String>,
    /// The treatment of the pip section.
    pub pip_mode: PipMode,
    /// The environment file's `variables:`, set at activation.
    pub variables: BTreeMap<String, String>,
}

/// One named component of the inputs, e.g. `conda-specs`.
pub const COMPONENTS: [&str; 6] = [
    "channels",
    "conda-specs",
    "virtual-packages",
    "pip",
    "variables",
    "schema",
];

impl PlatformInputs {
    /// The names of the requested conda packages and pip requirements, sorted and unique.
    pub fn requested_names(&self) -> Vec<String> {
        let conda = self.conda_specs.iter().filter_map(|spec| spec_name(spec));
        let pip = self.pip.iter().filter_map(|line| pip_name(line));
        let names: std::collections::BTreeSet<String> = conda.chain(pip).collect();
        names.into_iter().collect()
    }

    /// The normalised text of each component, keyed by [`COMPONENTS`] names.
    fn component_texts(&self) -> BTreeMap<&'static str, String> {
        let pip = format!("{}\n{}", self.pip_mode.as_str(), self.pip.join("\n"));
        let variables: Vec<String> = self
            .variables
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let variables = variables.join("\n");
        BTreeMap::from([
            ("channels", self.channels.join("\n")),
            ("conda-specs", self.conda_specs.join("\n")),
            ("virtual-packages", self.virtual_packages.join("\n")),
            ("pip", pip),
            ("variables", variables),
            ("schema", LOCK_SCHEMA_VERSION.to_string()),
        ])
    }

    /// Short hashes of each component (16 hex digits), so a changed input can be named.
    pub fn component_hashes(&self) -> BTreeMap<&'static str, String> {
        self.component_texts()
            .into_iter()
            .map(|(name, text)| (name, hex::encode(&Sha256::digest(text.as_bytes())[..8])))
            .collect()
    }

    /// The content hash over the full text of all components (64 hex digits).
    pub fn content_hash(&self) -> String {
        let mut hasher = Sha256::new();
        for (name, text) in self.component_texts() {
            hasher.update(name.as_bytes());
            hasher.update((text.len() as u64).to_le_bytes());
            hasher.update(text.as_bytes());
        }
        hex::encode(hasher.finalize())
    }
}

/// The package name of a normalised conda match spec (`channel::name ...`).
fn spec_name(spec: &str) -> Option<String> {
    let name = spec.split_whitespace().next()?;
    let name = name.rsplit("::").next()?;
    let end = name
        .find(|c: char| "=<>!~[".contains(c))
        .unwrap_or(name.len());
    Some(name[..end].to_lowercase()).filter(|n| !n.is_empty())
}

/// The normalised distribution name of a pip requirement line, if it has one.
fn pip_name(line: &str) -> Option<String> {
    let line = line.trim();
    if line.starts_with('-') {
        return None;
    }
    let end = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || "-_.".contains(c)))
        .unwrap_or(line.len());
    let name = line[..end].to_lowercase().replace(['_', '.'], "-");
    Some(name).filter(|n| !n.is_empty())
}
