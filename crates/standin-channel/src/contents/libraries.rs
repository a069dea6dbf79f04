//! One stand-in file per library package, at the path of its main shared
//! library or program.

use super::note;
use crate::spec::{FileSpec, PackageSpec};

/// Main file of each library package. Paths under `bin/` are made executable.
const MAIN_FILES: &[(&str, &str)] = &[
    ("bzip2", "lib/libbz2.so.1.0.8"),
    ("dftd4", "lib/libdftd4.so.3"),
    ("keyutils", "lib/libkeyutils.so.1"),
    ("krb5", "lib/libkrb5.so.3"),
    ("ld_impl_linux-64", "bin/x86_64-conda-linux-gnu-ld"),
    ("libblas", "lib/libblas.so.3"),
    ("libboost", "lib/libboost_system.so.1.86.0"),
    ("libboost-python", "lib/libboost_python311.so.1.86.0"),
    ("libcblas", "lib/libcblas.so.3"),
    ("libedit", "lib/libedit.so.0"),
    ("libexpat", "lib/libexpat.so.1"),
    ("libffi", "lib/libffi.so.8"),
    ("libfreetype6", "lib/libfreetype.so.6"),
    ("libgcc", "lib/libgcc_s.so.1"),
    ("libgfortran5", "lib/libgfortran.so.5.0.0"),
    ("libgomp", "lib/libgomp.so.1.0.0"),
    ("libjpeg-turbo", "lib/libjpeg.so.8"),
    ("liblapack", "lib/liblapack.so.3"),
    ("liblzma", "lib/liblzma.so.5"),
    ("libnsl", "lib/libnsl.so.3"),
    ("libopenblas", "lib/libopenblasp-r0.3.30.so"),
    ("libpng", "lib/libpng16.so.16"),
    ("libsqlite", "lib/libsqlite3.so.0"),
    ("libstdcxx", "lib/libstdc++.so.6.0.34"),
    ("libuuid", "lib/libuuid.so.1"),
    ("libxc", "lib/libxcf03.so.12"),
    ("libxc-c", "lib/libxc.so.12"),
    ("libxcrypt", "lib/libcrypt.so.2"),
    ("libzlib", "lib/libz.so.1.3.1"),
    ("mctc-lib", "lib/libmctc-lib.so.0"),
    ("multicharge", "lib/libmulticharge.so.0"),
    ("ncurses", "lib/libncursesw.so.6"),
    ("openmpi", "lib/libmpi.so.40"),
    ("openssh", "bin/ssh"),
    ("openssl", "lib/libssl.so.3"),
    ("plumed", "lib/libplumedKernel.so"),
    ("qhull", "lib/libqhull_r.so.8.0"),
    ("readline", "lib/libreadline.so.8"),
    ("scalapack", "lib/libscalapack.so"),
    ("simple-dftd3", "lib/libs-dftd3.so.1"),
    ("tblite", "lib/libtblite.so.0"),
    ("tk", "lib/libtk8.6.so"),
    ("toml-f", "lib/libtoml-f.so.0"),
    ("zstd", "lib/libzstd.so.1"),
];

/// Returns the stand-in files of a library package; a name missing from
/// the table gets a text file under `share/standin/`.
pub(super) fn library_files(package: &PackageSpec) -> Vec<FileSpec> {
    if package.name == "_openmp_mutex" {
        // conda-forge's mutex package links libgomp's library under the name
        // that OpenMP programs load.
        return vec![FileSpec::symlink("lib/libgomp.so.1", "libgomp.so.1.0.0")];
    }

    let main_file = MAIN_FILES
        .iter()
        .find(|(name, _)| *name == package.name)
        .map(|(_, path)| (*path).to_string());
    match main_file {
        Some(path) => {
            let executable = path.starts_with("bin/");
            let contents = note(package, &path);
            vec![FileSpec::new(path, contents).with_executable(executable)]
        }
        None => vec![FileSpec::new(
            format!("share/standin/{}.txt", package.name),
            note(package, "the package's files"),
        )],
    }
}
