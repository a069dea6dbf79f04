//! Hand-written package metadata shaped after conda-forge records, one module
//! per group of packages.
//!
//! Each [`Row`] describes one package version and its build string per
//! subdir. A dependency or constraint may contain `{<name>}`, which expands to
//! the build string of package `<name>` in the same subdir, so records that pin
//! a sibling's exact build (`libgcc 15.2.0 h767d61c_7`) stay correct in both
//! subdirs.

mod chemistry;
mod python_tree;
mod runtime;
mod scientific;

use std::collections::HashMap;

use crate::spec::{NoArch, PackageSpec};

/// Subdir name for x86-64 Linux builds.
pub const LINUX_64: &str = "linux-64";
/// Subdir name for 64-bit ARM Linux builds.
pub const LINUX_AARCH64: &str = "linux-aarch64";
/// Subdir name for architecture-independent builds.
pub const NOARCH: &str = "noarch";

/// The subdirs a package has builds in, with their build strings.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Builds {
    /// Architecture-specific builds. `None` means no build for that subdir.
    Arch {
        linux_64: Option<&'static str>,
        linux_aarch64: Option<&'static str>,
    },
    /// One build in `noarch`.
    NoArch { build: &'static str, kind: NoArch },
}

/// One package version in a metadata table.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Row {
    pub name: &'static str,
    pub version: &'static str,
    pub build_number: u64,
    pub builds: Builds,
    pub depends: &'static [&'static str],
    /// Dependencies added in one subdir only, as `(subdir, spec)`.
    pub subdir_depends: &'static [(&'static str, &'static str)],
    pub constrains: &'static [&'static str],
    /// SPDX expression. An empty string leaves the `license` field out.
    pub license: &'static str,
    /// PyPI project name, written as `pkg:pypi/<name>`.
    pub pypi: Option<&'static str>,
    pub entry_points: &'static [&'static str],
}

impl Row {
    /// A row with every optional field empty, for struct update syntax.
    pub const EMPTY: Row = Row {
        name: "",
        version: "",
        build_number: 0,
        builds: Builds::Arch {
            linux_64: None,
            linux_aarch64: None,
        },
        depends: &[],
        subdir_depends: &[],
        constrains: &[],
        license: "",
        pypi: None,
        entry_points: &[],
    };

    fn subdir_builds(&self) -> Vec<(&'static str, &'static str, NoArch)> {
        match self.builds {
            Builds::Arch {
                linux_64,
                linux_aarch64,
            } => [(LINUX_64, linux_64), (LINUX_AARCH64, linux_aarch64)]
                .into_iter()
                .filter_map(|(subdir, build)| build.map(|build| (subdir, build, NoArch::None)))
                .collect(),
            Builds::NoArch { build, kind } => vec![(NOARCH, build, kind)],
        }
    }
}

/// Returns every row of the worker closure, in table order.
pub(crate) fn worker_rows() -> Vec<Row> {
    [
        runtime::ROWS,
        python_tree::ROWS,
        scientific::ROWS,
        chemistry::ROWS,
    ]
    .concat()
}

/// Expands rows into one [`PackageSpec`] per build, with stand-in payloads.
pub(crate) fn expand(rows: &[Row]) -> Vec<PackageSpec> {
    let builds = build_lookup(rows);
    let mut packages = Vec::new();
    for row in rows {
        for (subdir, build, noarch) in row.subdir_builds() {
            packages.push(row_package(row, subdir, build, noarch, &builds));
        }
    }
    packages
}

/// Maps `(name, subdir)` to the build string. A noarch build is listed
/// under both architecture subdirs as well.
fn build_lookup(rows: &[Row]) -> HashMap<(&'static str, &'static str), &'static str> {
    let mut builds = HashMap::new();
    for row in rows {
        for (subdir, build, _) in row.subdir_builds() {
            if subdir == NOARCH {
                builds.insert((row.name, LINUX_64), build);
                builds.insert((row.name, LINUX_AARCH64), build);
            }
            builds.insert((row.name, subdir), build);
        }
    }
    builds
}

fn row_package(
    row: &Row,
    subdir: &str,
    build: &str,
    noarch: NoArch,
    builds: &HashMap<(&'static str, &'static str), &'static str>,
) -> PackageSpec {
    let extra = row
        .subdir_depends
        .iter()
        .filter(|(only_in, _)| *only_in == subdir)
        .map(|(_, spec)| *spec);
    // conda-build writes depends in sorted order.
    let mut depends: Vec<String> = row
        .depends
        .iter()
        .copied()
        .chain(extra)
        .map(|spec| expand_template(spec, subdir, builds))
        .collect();
    depends.sort();
    let constrains: Vec<String> = row
        .constrains
        .iter()
        .map(|spec| expand_template(spec, subdir, builds))
        .collect();

    let mut package = PackageSpec::new(row.name, row.version, build, subdir)
        .with_build_number(row.build_number)
        .with_noarch(noarch)
        .with_depends(depends)
        .with_constrains(constrains);
    if !row.license.is_empty() {
        package = package.with_license(row.license);
    }
    if let Some(project) = row.pypi {
        package = package.with_purl(format!("pkg:pypi/{project}"));
    }
    for entry_point in row.entry_points {
        package = package.with_entry_point(*entry_point);
    }
    package.with_standin_files()
}

/// Replaces each `{<name>}` in `spec` with that package's build string in
/// `subdir`. An unknown name is left in place, and a test checks that none
/// remain.
fn expand_template(
    spec: &str,
    subdir: &str,
    builds: &HashMap<(&'static str, &'static str), &'static str>,
) -> String {
    let mut expanded = String::with_capacity(spec.len());
    let mut rest = spec;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}').map(|offset| open + offset) else {
            break;
        };
        let name = &rest[open + 1..close];
        expanded.push_str(&rest[..open]);
        match builds.get(&(name, subdir)) {
            Some(build) => expanded.push_str(build),
            None => expanded.push_str(&rest[open..=close]),
        }
        rest = &rest[close + 1..];
    }
    expanded.push_str(rest);
    expanded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_expands_per_subdir() {
        let packages = expand(&worker_rows());
        let libgcc_ng: Vec<_> = packages.iter().filter(|p| p.name == "libgcc-ng").collect();
        let libgcc_64 = packages
            .iter()
            .find(|p| p.name == "libgcc" && p.subdir == LINUX_64)
            .unwrap();

        assert_eq!(libgcc_ng.len(), 2);
        let ng_64 = libgcc_ng.iter().find(|p| p.subdir == LINUX_64).unwrap();
        assert_eq!(
            ng_64.depends,
            vec![format!("libgcc 15.2.0 {}", libgcc_64.build)]
        );
    }

    #[test]
    fn no_template_left_unexpanded() {
        for package in expand(&worker_rows()) {
            for spec in package.depends.iter().chain(&package.constrains) {
                assert!(
                    !spec.contains('{'),
                    "{} has unexpanded {spec}",
                    package.dist_name()
                );
            }
        }
    }
}
