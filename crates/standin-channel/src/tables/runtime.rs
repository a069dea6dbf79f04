//! Compiler runtimes, BLAS/LAPACK, MPI and the SSH client that the compiled
//! packages link against.
//!
//! NOTE: linux-64 build strings are conda-forge's own, read from public
//! `conda create` listings of late 2025 (`_openmp_mutex 2_gnu`,
//! `libgcc 15.2.0 h767d61c_7`, `libopenblas 0.3.30 pthreads_h94d23a6_2`,
//! `openmpi 4.1.6 hc5af2df_101`, ...), except `openblas` and `openssh`, whose
//! linux-64 builds are invented. The linux-aarch64 build strings are invented,
//! except `libzlib 1.3.1 h86ecc28_2`. All depends lists are written by hand in
//! conda-forge's style and may be shorter than the real ones.

use super::{Builds, Row};

const GLIBC: &str = "__glibc >=2.17,<3.0.a0";
const GCC_LICENSE: &str = "GPL-3.0-only WITH GCC-exception-3.1";

const fn arch(linux_64: &'static str, linux_aarch64: &'static str) -> Builds {
    Builds::Arch {
        linux_64: Some(linux_64),
        linux_aarch64: Some(linux_aarch64),
    }
}

pub(super) const ROWS: &[Row] = &[
    // GCC runtime libraries.
    Row {
        name: "_libgcc_mutex",
        version: "0.1",
        builds: Builds::Arch {
            linux_64: Some("conda_forge"),
            linux_aarch64: None,
        },
        ..Row::EMPTY
    },
    Row {
        name: "_openmp_mutex",
        version: "4.5",
        build_number: 2,
        builds: arch("2_gnu", "2_gnu"),
        depends: &["libgomp >=7.5.0"],
        subdir_depends: &[("linux-64", "_libgcc_mutex 0.1 conda_forge")],
        constrains: &["openmp_impl 9999"],
        license: "BSD-3-Clause",
        ..Row::EMPTY
    },
    Row {
        name: "libgomp",
        version: "15.2.0",
        build_number: 7,
        builds: arch("h767d61c_7", "he277a41_7"),
        depends: &[GLIBC],
        license: GCC_LICENSE,
        ..Row::EMPTY
    },
    Row {
        name: "libgcc",
        version: "15.2.0",
        build_number: 7,
        builds: arch("h767d61c_7", "he277a41_7"),
        depends: &[GLIBC, "_openmp_mutex >=4.5"],
        constrains: &["libgcc-ng ==15.2.0=*_7", "libgomp 15.2.0 {libgomp}"],
        license: GCC_LICENSE,
        ..Row::EMPTY
    },
    Row {
        name: "libgcc-ng",
        version: "15.2.0",
        build_number: 7,
        builds: arch("h69a702a_7", "he9431aa_7"),
        depends: &["libgcc 15.2.0 {libgcc}"],
        license: GCC_LICENSE,
        ..Row::EMPTY
    },
    Row {
        name: "libstdcxx",
        version: "15.2.0",
        build_number: 7,
        builds: arch("h8f9b012_7", "h3f4de04_7"),
        depends: &[GLIBC, "libgcc 15.2.0 {libgcc}"],
        license: GCC_LICENSE,
        ..Row::EMPTY
    },
    Row {
        name: "libstdcxx-ng",
        version: "15.2.0",
        build_number: 7,
        builds: arch("h4852527_7", "hf1166c9_7"),
        depends: &["libstdcxx 15.2.0 {libstdcxx}"],
        license: GCC_LICENSE,
        ..Row::EMPTY
    },
    Row {
        name: "libgfortran5",
        version: "15.2.0",
        build_number: 7,
        builds: arch("hcd61629_7", "h87db57e_7"),
        depends: &[GLIBC, "libgcc >=15.2.0"],
        constrains: &["libgfortran 15.2.0"],
        license: GCC_LICENSE,
        ..Row::EMPTY
    },
    Row {
        name: "libgfortran",
        version: "15.2.0",
        build_number: 7,
        builds: arch("h69a702a_7", "he9431aa_7"),
        depends: &["libgfortran5 15.2.0 {libgfortran5}"],
        constrains: &["libgfortran-ng ==15.2.0=*_7"],
        license: GCC_LICENSE,
        ..Row::EMPTY
    },
    Row {
        name: "libgfortran-ng",
        version: "15.2.0",
        build_number: 7,
        builds: arch("h69a702a_7", "he9431aa_7"),
        depends: &["libgfortran 15.2.0 {libgfortran}"],
        license: GCC_LICENSE,
        ..Row::EMPTY
    },
    Row {
        name: "libzlib",
        version: "1.3.1",
        build_number: 2,
        builds: arch("hb9d3cd8_2", "h86ecc28_2"),
        depends: &[GLIBC, "libgcc >=13"],
        constrains: &["zlib 1.3.1 *_2"],
        license: "Zlib",
        ..Row::EMPTY
    },
    // BLAS and LAPACK through OpenBLAS.
    Row {
        name: "libopenblas",
        version: "0.3.30",
        build_number: 2,
        builds: arch("pthreads_h94d23a6_2", "pthreads_h9531985_2"),
        depends: &[GLIBC, "libgcc >=14", "libgfortran", "libgfortran5 >=14.3.0"],
        constrains: &["openblas >=0.3.30,<0.3.31.0a0"],
        license: "BSD-3-Clause",
        ..Row::EMPTY
    },
    Row {
        name: "openblas",
        version: "0.3.30",
        build_number: 2,
        builds: arch("pthreads_h6f03675_2", "pthreads_h0ed9047_2"),
        depends: &["libopenblas 0.3.30 {libopenblas}"],
        license: "BSD-3-Clause",
        ..Row::EMPTY
    },
    Row {
        name: "libblas",
        version: "3.9.0",
        build_number: 37,
        builds: arch("37_h4a7cf45_openblas", "37_he8e25d9_openblas"),
        depends: &[
            "libopenblas >=0.3.30,<0.3.31.0a0",
            "libopenblas >=0.3.30,<1.0a0",
        ],
        constrains: &[
            "blas 2.137 openblas",
            "libcblas 3.9.0 37*_openblas",
            "liblapack 3.9.0 37*_openblas",
            "liblapacke 3.9.0 37*_openblas",
            "mkl <2026",
        ],
        license: "BSD-3-Clause",
        ..Row::EMPTY
    },
    Row {
        name: "libcblas",
        version: "3.9.0",
        build_number: 37,
        builds: arch("37_h0358290_openblas", "37_h81e74ef_openblas"),
        depends: &["libblas 3.9.0 {libblas}"],
        constrains: &["blas 2.137 openblas", "liblapack 3.9.0 37*_openblas"],
        license: "BSD-3-Clause",
        ..Row::EMPTY
    },
    Row {
        name: "liblapack",
        version: "3.9.0",
        build_number: 37,
        builds: arch("37_h47877c9_openblas", "37_h36f675c_openblas"),
        depends: &["libblas 3.9.0 {libblas}"],
        constrains: &["blas 2.137 openblas", "libcblas 3.9.0 37*_openblas"],
        license: "BSD-3-Clause",
        ..Row::EMPTY
    },
    // MPI and the SSH client that Open MPI's launcher uses.
    Row {
        name: "mpi",
        version: "1.0",
        builds: arch("openmpi", "openmpi"),
        license: "BSD-3-Clause",
        ..Row::EMPTY
    },
    Row {
        name: "openmpi",
        version: "4.1.6",
        build_number: 101,
        builds: arch("hc5af2df_101", "h099950d_101"),
        depends: &[
            GLIBC,
            "libgcc >=13",
            "libgfortran",
            "libgfortran5 >=13.3.0",
            "libstdcxx >=13",
            "libzlib >=1.3.1,<2.0a0",
            "mpi 1.0 openmpi",
        ],
        license: "BSD-3-Clause",
        ..Row::EMPTY
    },
    Row {
        name: "openssh",
        version: "10.2p1",
        build_number: 0,
        builds: arch("h1600a35_0", "h6b0d549_0"),
        depends: &[
            GLIBC,
            "krb5 >=1.21.3,<1.22.0a0",
            "libgcc >=14",
            "libzlib >=1.3.1,<2.0a0",
            "openssl >=3.5.4,<4.0a0",
        ],
        license: "LicenseRef-OpenSSH",
        ..Row::EMPTY
    },
    Row {
        name: "krb5",
        version: "1.21.3",
        build_number: 0,
        builds: arch("h659f571_0", "h11e20b8_0"),
        depends: &[
            "keyutils >=1.6.1,<2.0a0",
            "libedit >=3.1.20191231,<3.2.0a0",
            "libedit >=3.1.20191231,<4.0a0",
            "libgcc-ng >=12",
            "libstdcxx-ng >=12",
            "openssl >=3.3.1,<4.0a0",
        ],
        license: "MIT",
        ..Row::EMPTY
    },
    Row {
        name: "keyutils",
        version: "1.6.3",
        build_number: 0,
        builds: arch("hb9d3cd8_0", "h86ecc28_0"),
        depends: &[GLIBC, "libgcc >=13"],
        license: "LGPL-2.1-or-later",
        ..Row::EMPTY
    },
    Row {
        name: "libedit",
        version: "3.1.20250104",
        build_number: 0,
        builds: arch("pl5321h7949ede_0", "pl5321h3d9c172_0"),
        depends: &["libgcc >=13", "ncurses >=6.5,<7.0a0"],
        license: "BSD-2-Clause",
        ..Row::EMPTY
    },
];
