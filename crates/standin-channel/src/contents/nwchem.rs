//! The NWChem payload, laid out like conda-forge's nwchem package: the
//! program, a post-link script, the basis-set and pseudopotential libraries,
//! force-field data, `etc/default.nwchemrc` with the build prefix in it, and
//! activation scripts.

use super::note;
use crate::spec::{FileSpec, PackageSpec};

/// Basis-set library files written under `share/nwchem/libraries/`. All
/// names occur in conda-forge's nwchem 7.2.2 build, which ships 608 such
/// files; NWChem spells `6-31g*` as `6-31gs` and `6-31g**` as `6-31gss`.
pub const BASIS_SETS: &[&str] = &[
    "3-21g",
    "3-21gs",
    "6-31++gss",
    "6-31+gs",
    "6-31g",
    "6-31gs",
    "6-31gss",
    "6-311++gss",
    "6-311g",
    "6-311gs",
    "6-311gss",
    "ahlrichs_coulomb_fitting",
    "ahlrichs_pvdz",
    "ahlrichs_vtz",
    "aug-cc-pvdz",
    "aug-cc-pvqz",
    "aug-cc-pvtz",
    "cc-pv5z",
    "cc-pvdz",
    "cc-pvdz-ri",
    "cc-pvqz",
    "cc-pvtz",
    "crenbl_ecp",
    "def2-ecp",
    "def2-qzvp",
    "def2-qzvpp",
    "def2-svp",
    "def2-svpd",
    "def2-tzvp",
    "def2-tzvpd",
    "def2-tzvpp",
    "dgauss_a1_dft_coulomb_fitting",
    "lanl2dz_ecp",
    "pcseg-0",
    "pcseg-1",
    "pcseg-2",
    "sto-3g",
    "sto-6g",
    "weigend_coulomb_fitting",
];

/// Pseudopotential files under `share/nwchem/libraryps/`.
const PSEUDOPOTENTIALS: &[&str] = &["HGH_LDA/C", "HGH_LDA/H", "HGH_LDA/O", "TM/C", "TM/O"];

/// Force-field and solvent files under `share/nwchem/data/`, one in each
/// directory that `default.nwchemrc` names.
const DATA_FILES: &[&str] = &[
    "amber_q/BNZ.frg",
    "amber_s/amber.par",
    "amber_u/amber.par",
    "amber_x/amber.par",
    "charmm_s/charmm.par",
    "charmm_x/charmm.par",
    "solvents/spce.rst",
];

/// Length of conda-build's padded build prefix.
const PLACEHOLDER_LENGTH: usize = 255;

/// Returns the build prefix that conda-forge's builder would have written into
/// `etc/default.nwchemrc`: `/home/conda/feedstock_root/build_artifacts/`
/// `nwchem_<timestamp>/_h_env_placehold_placehold_...`, padded to 255 bytes.
pub fn nwchem_placeholder(timestamp_ms: u64) -> String {
    let mut placeholder =
        format!("/home/conda/feedstock_root/build_artifacts/nwchem_{timestamp_ms}/_h_env");
    while placeholder.len() < PLACEHOLDER_LENGTH {
        placeholder.push_str("_placehold");
    }
    placeholder.truncate(PLACEHOLDER_LENGTH);
    placeholder
}

/// Returns the nwchem stand-in payload.
pub(super) fn files(package: &PackageSpec) -> Vec<FileSpec> {
    let placeholder = nwchem_placeholder(package.timestamp);
    let mut files = vec![
        FileSpec::executable("bin/nwchem", nwchem_script(package)),
        FileSpec::executable("bin/.nwchem-post-link.sh", post_link_script(package)),
        FileSpec::text_with_prefix(
            "etc/default.nwchemrc",
            default_nwchemrc(&placeholder),
            placeholder,
        ),
        FileSpec::new(
            "etc/conda/activate.d/nwchem_env.sh",
            activation_script(package, "export NWCHEM_STANDIN_ACTIVATED=1"),
        ),
        FileSpec::new(
            "etc/conda/activate.d/nwchem_env.fish",
            activation_script(package, "set -gx NWCHEM_STANDIN_ACTIVATED 1"),
        ),
    ];
    for name in BASIS_SETS {
        files.push(FileSpec::new(
            format!("share/nwchem/libraries/{name}"),
            basis_library(package, name),
        ));
    }
    for path in PSEUDOPOTENTIALS {
        files.push(FileSpec::new(
            format!("share/nwchem/libraryps/{path}"),
            note(package, &format!("the {path} pseudopotential")),
        ));
    }
    for path in DATA_FILES {
        files.push(FileSpec::new(
            format!("share/nwchem/data/{path}"),
            note(package, &format!("the {path} force-field data")),
        ));
    }
    files
}

fn nwchem_script(package: &PackageSpec) -> String {
    format!(
        "#!/bin/sh\n\
         # Stand-in for the nwchem program from {name} {version} ({subdir}),\n\
         # generated for envlock tests.\n\
         echo \"              Northwest Computational Chemistry Package (NWChem) {version}\"\n\
         echo \"nwchem: stand-in for {subdir}; it runs no calculation\" >&2\n\
         exit 1\n",
        name = package.name,
        version = package.version,
        subdir = package.subdir,
    )
}

/// Returns a post-link script in conda's format. The installer runs it with
/// `PREFIX` set, and it appends a line to `$PREFIX/.messages.txt`.
fn post_link_script(package: &PackageSpec) -> String {
    format!(
        "#!/bin/sh\n\
         # Stand-in for nwchem's post-link script ({} {}, {}).\n\
         echo \"nwchem stand-in post-link script ran for ${{PKG_NAME:-nwchem}} ${{PKG_VERSION:-{}}}\" >> \"${{PREFIX}}/.messages.txt\"\n",
        package.name, package.version, package.subdir, package.version
    )
}

/// `etc/default.nwchemrc` as conda-forge's nwchem writes it, with the build
/// prefix where the installed prefix belongs.
fn default_nwchemrc(placeholder: &str) -> String {
    let data = format!("{placeholder}/share/nwchem/data");
    format!(
        "nwchem_basis_library {placeholder}/share/nwchem/libraries/\n\
         nwchem_nwpw_library {placeholder}/share/nwchem/libraryps/\n\
         ffield amber\n\
         amber_1 {data}/amber_s/\n\
         amber_2 {data}/amber_q/\n\
         amber_3 {data}/amber_x/\n\
         amber_4 {data}/amber_u/\n\
         spce {data}/solvents/spce.rst\n\
         charmm_s {data}/charmm_s/\n\
         charmm_x {data}/charmm_x/\n"
    )
}

// NOTE: the content of conda-forge's nwchem_env.sh and nwchem_env.fish is not
// known here; these scripts only set a harmless marker variable.
fn activation_script(package: &PackageSpec, command: &str) -> String {
    format!(
        "# Stand-in activation script from {} {} ({}).\n{command}\n",
        package.name, package.version, package.subdir
    )
}

/// Returns a basis library in NWChem's format with hydrogen, carbon and
/// oxygen entries. Every file uses the STO-3G numbers, so only the layout is
/// real.
fn basis_library(package: &PackageSpec, name: &str) -> String {
    let mut text = format!(
        "# {}\
         # Every entry below uses STO-3G exponents and coefficients.\n",
        note(package, &format!("the {name} basis library"))
    );
    text.push_str(&format!(
        "basis \"H_{name}\" PRINT\n\
         #BASIS SET: (3s) -> [1s]\n\
         H    S\n\
         \x20     3.42525091             0.15432897\n\
         \x20     0.62391373             0.53532814\n\
         \x20     0.16885540             0.44463454\n\
         END\n"
    ));
    for (element, exponents) in [
        ("C", ["71.6168370", "13.0450960", "3.5305122"]),
        ("O", ["130.7093200", "23.8088610", "6.4436083"]),
    ] {
        text.push_str(&format!(
            "basis \"{element}_{name}\" PRINT\n\
             #BASIS SET: (6s,3p) -> [2s,1p]\n\
             {element}    S\n\
             \x20   {}              0.15432897\n\
             \x20   {}              0.53532814\n\
             \x20   {}              0.44463454\n\
             END\n",
            exponents[0], exponents[1], exponents[2]
        ));
    }
    text
}
