//! Stand-in payloads: small files at the paths the real packages use.
//!
//! Every generated file marks itself as a stand-in. Programs are POSIX `sh`
//! scripts and shared libraries are short text files, so nothing in the
//! channel runs real code.

mod filler;
mod libraries;
mod nwchem;
mod programs;

pub use filler::filler_bytes;
pub use nwchem::{nwchem_placeholder, BASIS_SETS};

use crate::spec::{FileSpec, NoArch, PackageSpec};

/// Packages that ship no files of their own, like their conda-forge
/// counterparts (metapackages and mutex packages).
const METAPACKAGES: &[&str] = &[
    "_libgcc_mutex",
    "freetype",
    "libfreetype",
    "libgcc-ng",
    "libgfortran",
    "libgfortran-ng",
    "libstdcxx-ng",
    "matplotlib",
    "mpi",
    "openblas",
    "python_abi",
    "typing-extensions",
];

/// Returns the stand-in payload for `package`, chosen by its name, version,
/// subdir and package URLs.
pub fn standin_files(package: &PackageSpec) -> Vec<FileSpec> {
    let name = package.name.as_str();
    if METAPACKAGES.contains(&name) {
        return Vec::new();
    }
    match name {
        "nwchem" => nwchem::files(package),
        "xtb" => programs::xtb_files(package),
        "crest" => programs::crest_files(package),
        "python" => programs::python_files(package),
        "tzdata" => vec![FileSpec::new(
            "share/zoneinfo/UTC",
            note(package, "the UTC zone file"),
        )],
        "ca-certificates" => vec![FileSpec::new(
            "ssl/cacert.pem",
            note(package, "the CA certificate bundle"),
        )],
        _ if !package.purls.is_empty() => python_module_files(package),
        _ => libraries::library_files(package),
    }
}

/// Returns one line that names the stand-in, the real file it replaces and the
/// package build it belongs to.
pub(crate) fn note(package: &PackageSpec, replaced: &str) -> String {
    format!(
        "Stand-in for {replaced} from {} {} ({}), generated for envlock tests.\n",
        package.name, package.version, package.subdir
    )
}

/// Writes `__init__.py` (or a single module file) for a Python package.
/// `noarch: python` packages use the `site-packages/` layout that the
/// installer remaps; compiled packages install into CPython 3.11's directory.
fn python_module_files(package: &PackageSpec) -> Vec<FileSpec> {
    let site_packages = match package.noarch {
        NoArch::Python => "site-packages",
        NoArch::None | NoArch::Generic => "lib/python3.11/site-packages",
    };
    let contents = format!(
        "\"\"\"Stand-in for the {} package ({}), generated for envlock tests.\"\"\"\n__version__ = \"{}\"\n",
        package.name, package.subdir, package.version
    );
    vec![FileSpec::new(
        format!("{site_packages}/{}", python_module_path(&package.name)),
        contents,
    )]
}

/// Maps a conda package name to the module file it installs.
fn python_module_path(name: &str) -> String {
    match name {
        "python-dateutil" => "dateutil/__init__.py".to_string(),
        "python-tzdata" => "tzdata/__init__.py".to_string(),
        "matplotlib-base" => "matplotlib/__init__.py".to_string(),
        "pillow" => "PIL/__init__.py".to_string(),
        "six" => "six.py".to_string(),
        "typing_extensions" => "typing_extensions.py".to_string(),
        _ => format!("{}/__init__.py", name.replace('-', "_")),
    }
}
