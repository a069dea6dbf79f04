//! Stand-ins for the Python interpreter, xtb and CREST.

use super::note;
use crate::spec::{FileSpec, PackageSpec};

/// Returns a POSIX `sh` script that prints `version_line` for `--version`
/// and otherwise reports on stderr that it is a stand-in and exits with 1.
/// A later test can put a compiled program in its place with
/// [`PackageSpec::with_file`].
fn program_script(package: &PackageSpec, program: &str, version_line: &str) -> String {
    format!(
        "#!/bin/sh\n\
         # Stand-in for the {program} program from {name} {version} ({subdir}),\n\
         # generated for envlock tests.\n\
         case \"$1\" in\n\
         \x20 --version|-version|-V)\n\
         \x20   echo \"{version_line}\"\n\
         \x20   exit 0\n\
         \x20   ;;\n\
         esac\n\
         echo \"{program}: stand-in from {name} {version} ({subdir}), not the real program\" >&2\n\
         exit 1\n",
        name = package.name,
        version = package.version,
        subdir = package.subdir,
    )
}

/// Returns `bin/python3.11` with `python3` and `python` links, and the
/// site-packages directory marker that CPython ships.
pub(super) fn python_files(package: &PackageSpec) -> Vec<FileSpec> {
    let version_line = format!("Python {}", package.version);
    vec![
        FileSpec::executable(
            "bin/python3.11",
            program_script(package, "python3.11", &version_line),
        ),
        FileSpec::symlink("bin/python3", "python3.11"),
        FileSpec::symlink("bin/python", "python3.11"),
        FileSpec::new(
            "lib/python3.11/site-packages/README.txt",
            "This directory exists so that 3rd party packages can be installed\n\
             here.  Read the source for site.py for more details.\n",
        ),
    ]
}

/// Returns the xtb program, library and parameter files, laid out as in
/// conda-forge's xtb package.
pub(super) fn xtb_files(package: &PackageSpec) -> Vec<FileSpec> {
    let version_line = format!(
        " * xtb version {} (stand-in) compiled for {}",
        package.version, package.subdir
    );
    let mut files = vec![
        FileSpec::executable("bin/xtb", program_script(package, "xtb", &version_line)),
        FileSpec::new("lib/libxtb.so.6", note(package, "libxtb.so.6")),
        FileSpec::new("share/xtb/.param_gfnff.xtb", gfnff_parameters(package)),
        FileSpec::new("share/xtb/config_env.bash", xtb_config_env(package)),
    ];
    for method in ["gfn0", "gfn1", "gfn2"] {
        files.push(FileSpec::new(
            format!("share/xtb/param_{method}-xtb.txt"),
            xtb_parameters(package, method),
        ));
    }
    files
}

/// Returns the CREST program.
pub(super) fn crest_files(package: &PackageSpec) -> Vec<FileSpec> {
    let version_line = format!(
        "Version {}, stand-in compiled for {}",
        package.version, package.subdir
    );
    vec![FileSpec::executable(
        "bin/crest",
        program_script(package, "crest", &version_line),
    )]
}

fn xtb_parameters(package: &PackageSpec, method: &str) -> String {
    format!(
        "# {}\
         $info\n\
         \x20 name {method}-xtb stand-in parameters\n\
         $end\n\
         $globpar\n\
         \x20 ks           1.85000\n\
         \x20 kp           2.23000\n\
         \x20 kd           2.23000\n\
         $end\n",
        note(package, &format!("the {method}-xtb parameter file"))
    )
}

fn gfnff_parameters(package: &PackageSpec) -> String {
    format!(
        "# {}\
         gfnff stand-in topology parameters\n",
        note(package, "the GFN-FF parameter file")
    )
}

/// `config_env.bash` as xtb ships it: sourcing it points `XTBPATH` at the
/// parameter files. conda never runs it because it is not in `activate.d`.
fn xtb_config_env(package: &PackageSpec) -> String {
    format!(
        "# {}\
         # Source this file to use the parameter files of this installation.\n\
         XTBHOME=\"$(cd \"$(dirname \"${{BASH_SOURCE[0]}}\")/../..\" && pwd)\"\n\
         export XTBHOME\n\
         export XTBPATH=\"${{XTBHOME}}/share/xtb:${{XTBHOME}}:${{HOME}}\"\n\
         export MANPATH=\"${{MANPATH}}:${{XTBHOME}}/share/man\"\n\
         export PATH=\"${{PATH}}:${{XTBHOME}}/bin\"\n\
         export LD_LIBRARY_PATH=\"${{LD_LIBRARY_PATH}}:${{XTBHOME}}/lib\"\n",
        note(package, "xtb's config_env.bash")
    )
}
