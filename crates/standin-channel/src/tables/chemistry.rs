//! NWChem, xtb, CREST, RDKit and the libraries they depend on.
//!
//! The depends lists of nwchem, xtb, crest and rdkit follow conda-forge's
//! records of nwchem 7.2.2, xtb 6.6.1, crest 2.12 and rdkit 2022.03.1 (from
//! the regro/libcfgraph metadata), moved to the pinned versions and to the
//! `libgcc`/`libgfortran`/`libstdcxx` runtime names conda-forge uses since
//! 2024. rdkit leaves out cairo and pycairo, whose closure (fontconfig, X11)
//! is out of scope for a stand-in.
//!
//! NOTE: only these build strings are conda-forge's own. `libxc 6.2.2`,
//! `libxc-c 6.2.2` and `scalapack 2.2.0` come from libcfgraph (both
//! subdirs), `xtb 6.7.1 h8876d29_4` from a public rattler cache path (its
//! subdir is not stated there and is assumed to be linux-64), and
//! `zstd 1.5.7 hb8e6e7a_2` (linux-64) from a public `conda create` listing.
//! Every other build string here, including all nwchem, crest and rdkit
//! builds, is invented in conda-forge's format.

use super::{Builds, Row};
use crate::spec::NoArch;

const GLIBC: &str = "__glibc >=2.17,<3.0.a0";
const PY311: &str = "python >=3.11,<3.12.0a0";
const ABI311: &str = "python_abi 3.11.* *_cp311";

const fn arch(linux_64: &'static str, linux_aarch64: &'static str) -> Builds {
    Builds::Arch {
        linux_64: Some(linux_64),
        linux_aarch64: Some(linux_aarch64),
    }
}

pub(super) const ROWS: &[Row] = &[
    // NWChem.
    Row {
        name: "nwchem",
        version: "7.3.1",
        build_number: 0,
        builds: arch("py311_mpi_pr_h52e6b43_0", "py311_mpi_pr_hf2a74de_0"),
        depends: &[
            GLIBC,
            "_openmp_mutex >=4.5",
            "libgcc >=14",
            "libgfortran",
            "libgfortran5 >=14.3.0",
            "libgomp",
            "libopenblas",
            "libstdcxx >=14",
            "libxc >=6.2.2,<7.0a0 cpu_*",
            "openblas",
            "openmpi >=4.1.6,<5.0a0",
            "openssh",
            PY311,
            ABI311,
            "scalapack",
        ],
        subdir_depends: &[
            ("linux-aarch64", "plumed"),
            ("linux-aarch64", "python >=3.11,<3.12.0a0 *_cpython"),
        ],
        license: "ECL-2.0",
        ..Row::EMPTY
    },
    Row {
        name: "libxc",
        version: "6.2.2",
        build_number: 2,
        builds: arch("cpu_h22af20a_2", "cpu_ha210d89_2"),
        depends: &[
            "libgcc-ng >=12",
            "libgfortran-ng",
            "libgfortran5 >=12.3.0",
            "libxc-c 6.2.2 {libxc-c}",
        ],
        license: "MPL-2.0",
        ..Row::EMPTY
    },
    Row {
        name: "libxc-c",
        version: "6.2.2",
        build_number: 2,
        builds: arch("cpu_h1b64f48_2", "cpu_h64486cd_2"),
        depends: &["libgcc-ng >=12"],
        license: "MPL-2.0",
        ..Row::EMPTY
    },
    Row {
        name: "scalapack",
        version: "2.2.0",
        build_number: 1,
        builds: arch("h67de57e_1", "hb3004b9_1"),
        depends: &[
            "libblas >=3.8.0,<4.0a0",
            "libgcc-ng >=10.3.0",
            "libgfortran-ng",
            "libgfortran5 >=10.3.0",
            "liblapack >=3.8.0,<4.0a0",
            "openmpi >=4.1.2,<5.0a0",
        ],
        license: "BSD-2-Clause",
        ..Row::EMPTY
    },
    Row {
        name: "plumed",
        version: "2.9.2",
        build_number: 0,
        builds: Builds::Arch {
            linux_64: None,
            linux_aarch64: Some("mpi_openmpi_h6513270_0"),
        },
        depends: &[
            GLIBC,
            "libblas >=3.9.0,<4.0a0",
            "libgcc >=14",
            "liblapack >=3.9.0,<4.0a0",
            "libstdcxx >=14",
            "libzlib >=1.3.1,<2.0a0",
            "openmpi >=4.1.6,<5.0a0",
        ],
        license: "LGPL-3.0-only",
        ..Row::EMPTY
    },
    // xtb and CREST with the Grimme-lab Fortran libraries.
    Row {
        name: "xtb",
        version: "6.7.1",
        build_number: 4,
        builds: arch("h8876d29_4", "ha6a3a45_4"),
        depends: &[
            GLIBC,
            "_openmp_mutex >=4.5",
            "libblas >=3.9.0,<4.0a0",
            "libgcc >=14",
            "libgfortran",
            "libgfortran5 >=14.3.0",
            "liblapack >=3.9.0,<4.0a0",
            "mctc-lib >=0.4.1,<0.5.0a0",
            "tblite >=0.4.0,<0.5.0a0",
        ],
        license: "LGPL-3.0-or-later",
        ..Row::EMPTY
    },
    Row {
        name: "crest",
        version: "3.0.2",
        build_number: 0,
        builds: arch("h0c5c7fd_0", "h128b2f3_0"),
        depends: &[
            GLIBC,
            "_openmp_mutex >=4.5",
            "libblas >=3.9.0,<4.0a0",
            "libgcc >=14",
            "libgfortran",
            "libgfortran5 >=14.3.0",
            "liblapack >=3.9.0,<4.0a0",
            "tblite >=0.4.0,<0.5.0a0",
            "toml-f >=0.4.2,<0.5.0a0",
            "xtb",
        ],
        license: "LGPL-3.0-or-later",
        ..Row::EMPTY
    },
    Row {
        name: "tblite",
        version: "0.4.0",
        build_number: 0,
        builds: arch("hd23f082_0", "h892f902_0"),
        depends: &[
            GLIBC,
            "_openmp_mutex >=4.5",
            "libblas >=3.9.0,<4.0a0",
            "libgcc >=14",
            "libgfortran",
            "libgfortran5 >=14.3.0",
            "liblapack >=3.9.0,<4.0a0",
            "dftd4 >=3.7.0,<3.8.0a0",
            "mctc-lib >=0.4.1,<0.5.0a0",
            "multicharge >=0.3.0,<0.4.0a0",
            "simple-dftd3 >=1.2.1,<1.3.0a0",
            "toml-f >=0.4.2,<0.5.0a0",
        ],
        license: "LGPL-3.0-or-later",
        ..Row::EMPTY
    },
    Row {
        name: "dftd4",
        version: "3.7.0",
        build_number: 0,
        builds: arch("h1818e81_0", "h5d9dc9f_0"),
        depends: &[
            GLIBC,
            "_openmp_mutex >=4.5",
            "libblas >=3.9.0,<4.0a0",
            "libgcc >=14",
            "libgfortran",
            "libgfortran5 >=14.3.0",
            "liblapack >=3.9.0,<4.0a0",
            "mctc-lib >=0.4.1,<0.5.0a0",
            "multicharge >=0.3.0,<0.4.0a0",
        ],
        license: "LGPL-3.0-or-later",
        ..Row::EMPTY
    },
    Row {
        name: "multicharge",
        version: "0.3.0",
        build_number: 0,
        builds: arch("h3d9c172_0", "h1738f7d_0"),
        depends: &[
            GLIBC,
            "_openmp_mutex >=4.5",
            "libblas >=3.9.0,<4.0a0",
            "libgcc >=14",
            "libgfortran",
            "libgfortran5 >=14.3.0",
            "liblapack >=3.9.0,<4.0a0",
            "mctc-lib >=0.4.1,<0.5.0a0",
        ],
        license: "Apache-2.0",
        ..Row::EMPTY
    },
    Row {
        name: "simple-dftd3",
        version: "1.2.1",
        build_number: 0,
        builds: arch("h8d116ec_0", "h6cad4a2_0"),
        depends: &[
            GLIBC,
            "_openmp_mutex >=4.5",
            "libgcc >=14",
            "libgfortran",
            "libgfortran5 >=14.3.0",
            "mctc-lib >=0.4.1,<0.5.0a0",
            "toml-f >=0.4.2,<0.5.0a0",
        ],
        license: "LGPL-3.0-or-later",
        ..Row::EMPTY
    },
    Row {
        name: "toml-f",
        version: "0.4.2",
        build_number: 0,
        builds: arch("h0f21ddb_0", "hd3ac94a_0"),
        depends: &[GLIBC, "libgcc >=14", "libgfortran", "libgfortran5 >=14.3.0"],
        license: "Apache-2.0 OR MIT",
        ..Row::EMPTY
    },
    Row {
        name: "mctc-lib",
        version: "0.4.1",
        build_number: 0,
        builds: arch("h90c192c_0", "h1fb17c2_0"),
        depends: &[
            GLIBC,
            "_openmp_mutex >=4.5",
            "libgcc >=14",
            "libgfortran",
            "libgfortran5 >=14.3.0",
        ],
        license: "Apache-2.0",
        ..Row::EMPTY
    },
    // RDKit.
    Row {
        name: "rdkit",
        version: "2025.09.5",
        build_number: 0,
        builds: arch("py311h7f15052_0", "py311hae2eb15_0"),
        depends: &[
            GLIBC,
            "freetype >=2.14.1",
            "libboost >=1.86.0,<1.87.0a0",
            "libboost-python >=1.86.0,<1.87.0a0",
            "libgcc >=14",
            "libstdcxx >=14",
            "matplotlib-base",
            "numpy >=1.23,<3",
            "pandas",
            "pillow",
            PY311,
            ABI311,
            "reportlab",
            "sqlalchemy",
        ],
        license: "BSD-3-Clause",
        pypi: Some("rdkit"),
        ..Row::EMPTY
    },
    Row {
        name: "libboost",
        version: "1.86.0",
        build_number: 4,
        builds: arch("h881ed16_4", "h6d76b07_4"),
        depends: &[
            GLIBC,
            "bzip2 >=1.0.8,<2.0a0",
            "libgcc >=14",
            "liblzma >=5.8.1,<6.0a0",
            "libstdcxx >=14",
            "libzlib >=1.3.1,<2.0a0",
            "zstd >=1.5.7,<1.6.0a0",
        ],
        constrains: &["boost-cpp <0.0a0"],
        license: "BSL-1.0",
        ..Row::EMPTY
    },
    Row {
        name: "libboost-python",
        version: "1.86.0",
        build_number: 4,
        builds: arch("py311ha38fd54_4", "py311h301850c_4"),
        depends: &[
            "libboost 1.86.0 {libboost}",
            "libgcc >=14",
            "libstdcxx >=14",
            "numpy >=1.23,<3",
            PY311,
            ABI311,
        ],
        constrains: &["boost <0.0a0", "py-boost <0.0a0"],
        license: "BSL-1.0",
        ..Row::EMPTY
    },
    Row {
        name: "zstd",
        version: "1.5.7",
        build_number: 2,
        builds: arch("hb8e6e7a_2", "h5f55720_2"),
        depends: &[
            GLIBC,
            "libgcc >=13",
            "libstdcxx >=13",
            "libzlib >=1.3.1,<2.0a0",
        ],
        license: "BSD-3-Clause",
        ..Row::EMPTY
    },
    Row {
        name: "reportlab",
        version: "4.4.4",
        build_number: 0,
        builds: arch("py311h18f135d_0", "py311h8c38fb2_0"),
        depends: &[
            GLIBC,
            "chardet",
            "libgcc >=14",
            "pillow >=9.0.0",
            PY311,
            ABI311,
        ],
        license: "BSD-3-Clause",
        pypi: Some("reportlab"),
        ..Row::EMPTY
    },
    Row {
        name: "chardet",
        version: "5.2.0",
        build_number: 3,
        builds: Builds::NoArch {
            build: "pyhd8ed1ab_3",
            kind: NoArch::Python,
        },
        depends: &["python >=3.9"],
        license: "LGPL-2.1-only",
        pypi: Some("chardet"),
        entry_points: &["chardetect = chardet.cli.chardetect:main"],
        ..Row::EMPTY
    },
    Row {
        name: "sqlalchemy",
        version: "2.0.44",
        build_number: 0,
        builds: arch("py311hb64ce42_0", "py311h1012f03_0"),
        depends: &[
            GLIBC,
            "greenlet !=0.4.17",
            "libgcc >=14",
            PY311,
            ABI311,
            "typing-extensions >=4.6.0",
        ],
        license: "MIT",
        pypi: Some("sqlalchemy"),
        ..Row::EMPTY
    },
    Row {
        name: "greenlet",
        version: "3.2.4",
        build_number: 1,
        builds: arch("py311h907a70c_1", "py311h0f4205b_1"),
        depends: &[GLIBC, "libgcc >=14", "libstdcxx >=14", PY311, ABI311],
        license: "MIT",
        pypi: Some("greenlet"),
        ..Row::EMPTY
    },
    Row {
        name: "typing-extensions",
        version: "4.15.0",
        build_number: 0,
        builds: Builds::NoArch {
            build: "h9e7769b_0",
            kind: NoArch::Generic,
        },
        depends: &["typing_extensions ==4.15.0 pyhcf101f3_0"],
        license: "PSF-2.0",
        ..Row::EMPTY
    },
    Row {
        name: "typing_extensions",
        version: "4.15.0",
        build_number: 0,
        builds: Builds::NoArch {
            build: "pyhcf101f3_0",
            kind: NoArch::Python,
        },
        depends: &["python >=3.10"],
        license: "PSF-2.0",
        pypi: Some("typing-extensions"),
        ..Row::EMPTY
    },
];
