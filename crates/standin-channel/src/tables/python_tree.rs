//! CPython 3.11 and the libraries and tools its conda-forge record depends on.
//!
//! The records follow the shape of conda-forge's python 3.9 records (from the
//! repodata subset in the jaimergp/conda-subchannel-demo repository, May
//! 2024), moved to 3.11 and to the library versions of late 2025.
//!
//! NOTE: build strings of the noarch records and of the linux-64 libraries
//! are conda-forge's own, read from public `conda create` listings of late
//! 2025. `python 3.11.16 h5f976f7_2_cpython` comes from a public micromamba
//! log, and `libxcrypt 4.4.36 h31becfc_1` (linux-aarch64) from the same
//! repodata subset. `python_abi 3.11 8_cp311` is inferred from conda-forge's
//! `python_abi 3.12 8_cp312`. Every other linux-aarch64 build string is
//! invented.

use super::{Builds, Row};
use crate::spec::NoArch;

const GLIBC: &str = "__glibc >=2.17,<3.0.a0";

const fn arch(linux_64: &'static str, linux_aarch64: &'static str) -> Builds {
    Builds::Arch {
        linux_64: Some(linux_64),
        linux_aarch64: Some(linux_aarch64),
    }
}

const fn noarch(build: &'static str, kind: NoArch) -> Builds {
    Builds::NoArch { build, kind }
}

pub(super) const ROWS: &[Row] = &[
    Row {
        name: "python",
        version: "3.11.16",
        build_number: 2,
        builds: arch("h5f976f7_2_cpython", "h1738f7d_2_cpython"),
        depends: &[
            GLIBC,
            "bzip2 >=1.0.8,<2.0a0",
            "libexpat >=2.7.1,<3.0a0",
            "libffi >=3.4.6,<3.5.0a0",
            "libgcc >=14",
            "liblzma >=5.8.1,<6.0a0",
            "libnsl >=2.0.1,<2.1.0a0",
            "libsqlite >=3.50.4,<4.0a0",
            "libuuid >=2.41.2,<3.0a0",
            "libxcrypt >=4.4.36",
            "libzlib >=1.3.1,<2.0a0",
            "ncurses >=6.5,<7.0a0",
            "openssl >=3.5.4,<4.0a0",
            "readline >=8.2,<9.0a0",
            "tk >=8.6.13,<8.7.0a0",
            "tzdata",
            "pip",
        ],
        subdir_depends: &[("linux-64", "ld_impl_linux-64 >=2.36.1")],
        constrains: &["python_abi 3.11.* *_cp311"],
        license: "Python-2.0",
        ..Row::EMPTY
    },
    Row {
        name: "python_abi",
        version: "3.11",
        build_number: 8,
        builds: noarch("8_cp311", NoArch::Generic),
        constrains: &["python 3.11.* *_cpython"],
        license: "BSD-3-Clause",
        ..Row::EMPTY
    },
    Row {
        name: "ld_impl_linux-64",
        version: "2.44",
        build_number: 2,
        builds: Builds::Arch {
            linux_64: Some("ha97dd6f_2"),
            linux_aarch64: None,
        },
        depends: &[GLIBC],
        constrains: &["binutils_impl_linux-64 2.44"],
        license: "GPL-3.0-only",
        ..Row::EMPTY
    },
    Row {
        name: "bzip2",
        version: "1.0.8",
        build_number: 8,
        builds: arch("hda65f42_8", "h4777abc_8"),
        depends: &[GLIBC, "libgcc >=14"],
        license: "bzip2-1.0.6",
        ..Row::EMPTY
    },
    Row {
        name: "libexpat",
        version: "2.7.1",
        build_number: 0,
        builds: arch("hecca717_0", "h8d116ec_0"),
        depends: &[GLIBC, "libgcc >=14"],
        constrains: &["expat 2.7.1.*"],
        license: "MIT",
        ..Row::EMPTY
    },
    Row {
        name: "libffi",
        version: "3.4.6",
        build_number: 1,
        builds: arch("h2dba641_1", "he21f813_1"),
        depends: &[GLIBC, "libgcc >=13"],
        license: "MIT",
        ..Row::EMPTY
    },
    Row {
        name: "liblzma",
        version: "5.8.1",
        build_number: 2,
        builds: arch("hb9d3cd8_2", "h86ecc28_2"),
        depends: &[GLIBC, "libgcc >=13"],
        license: "0BSD",
        ..Row::EMPTY
    },
    Row {
        name: "libnsl",
        version: "2.0.1",
        build_number: 1,
        builds: arch("hb9d3cd8_1", "h86ecc28_1"),
        depends: &[GLIBC, "libgcc >=13"],
        license: "LGPL-2.1-only",
        ..Row::EMPTY
    },
    Row {
        name: "libsqlite",
        version: "3.50.4",
        build_number: 0,
        builds: arch("h0c1763c_0", "h6cad4a2_0"),
        depends: &[GLIBC, "libgcc >=14", "libzlib >=1.3.1,<2.0a0"],
        license: "blessing",
        ..Row::EMPTY
    },
    Row {
        name: "libuuid",
        version: "2.41.2",
        build_number: 0,
        builds: arch("he9a06e4_0", "h0f21ddb_0"),
        depends: &[GLIBC, "libgcc >=14"],
        license: "BSD-3-Clause",
        ..Row::EMPTY
    },
    Row {
        name: "libxcrypt",
        version: "4.4.36",
        build_number: 1,
        builds: arch("hd590300_1", "h31becfc_1"),
        depends: &["libgcc-ng >=12"],
        license: "LGPL-2.1-or-later",
        ..Row::EMPTY
    },
    Row {
        name: "ncurses",
        version: "6.5",
        build_number: 3,
        builds: arch("h2d0b736_3", "ha32ae93_3"),
        depends: &[GLIBC, "libgcc >=13"],
        license: "X11 AND BSD-3-Clause",
        ..Row::EMPTY
    },
    Row {
        name: "openssl",
        version: "3.5.4",
        build_number: 0,
        builds: arch("h26f9b46_0", "hd3ac94a_0"),
        depends: &[GLIBC, "ca-certificates", "libgcc >=14"],
        license: "Apache-2.0",
        ..Row::EMPTY
    },
    Row {
        name: "ca-certificates",
        version: "2025.10.5",
        build_number: 0,
        builds: noarch("hbd8a1cb_0", NoArch::Generic),
        depends: &["__unix"],
        license: "ISC",
        ..Row::EMPTY
    },
    Row {
        name: "readline",
        version: "8.2",
        build_number: 2,
        builds: arch("h8c095d6_2", "h8382b9d_2"),
        depends: &["libgcc >=13", "ncurses >=6.5,<7.0a0"],
        license: "GPL-3.0-only",
        ..Row::EMPTY
    },
    Row {
        name: "tk",
        version: "8.6.13",
        build_number: 102,
        builds: arch("noxft_hd72426e_102", "noxft_h90c192c_102"),
        depends: &[GLIBC, "libgcc >=13", "libzlib >=1.3.1,<2.0a0"],
        license: "TCL",
        ..Row::EMPTY
    },
    Row {
        name: "tzdata",
        version: "2025b",
        build_number: 0,
        builds: noarch("h78e105d_0", NoArch::Generic),
        license: "LicenseRef-Public-Domain",
        ..Row::EMPTY
    },
    Row {
        name: "pip",
        version: "25.2",
        build_number: 0,
        builds: noarch("pyh8b19718_0", NoArch::Python),
        depends: &["python >=3.9,<3.13.0a0", "setuptools", "wheel"],
        license: "MIT",
        pypi: Some("pip"),
        entry_points: &[
            "pip = pip._internal.cli.main:main",
            "pip3 = pip._internal.cli.main:main",
        ],
        ..Row::EMPTY
    },
    Row {
        name: "setuptools",
        version: "80.9.0",
        build_number: 0,
        builds: noarch("pyhff2d567_0", NoArch::Python),
        depends: &["python >=3.9"],
        license: "MIT",
        pypi: Some("setuptools"),
        ..Row::EMPTY
    },
    Row {
        name: "wheel",
        version: "0.45.1",
        build_number: 1,
        builds: noarch("pyhd8ed1ab_1", NoArch::Python),
        depends: &["python >=3.9"],
        license: "MIT",
        pypi: Some("wheel"),
        entry_points: &["wheel = wheel.cli:main"],
        ..Row::EMPTY
    },
];
