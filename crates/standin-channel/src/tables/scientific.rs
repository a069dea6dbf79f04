//! numpy, scipy, pandas, matplotlib, statsmodels and their dependencies,
//! built for CPython 3.11.
//!
//! NOTE: only these build strings are conda-forge's own, read from public
//! listings: `numpy 2.4.6 py311h2e04523_0` (linux-64, from a public micromamba
//! log), and the linux-64 builds of `freetype`, `libfreetype`, `libfreetype6`,
//! `libpng` and `libjpeg-turbo` (from a public `conda create` listing of late
//! 2025). Every other build string in this table is invented in conda-forge's
//! format, and the depends lists are hand-written subsets of conda-forge's
//! (matplotlib, for example, leaves out the Qt bindings).

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

const fn python_noarch(build: &'static str) -> Builds {
    Builds::NoArch {
        build,
        kind: NoArch::Python,
    }
}

pub(super) const ROWS: &[Row] = &[
    Row {
        name: "numpy",
        version: "2.4.6",
        build_number: 0,
        builds: arch("py311h2e04523_0", "py311h1fb17c2_0"),
        depends: &[
            GLIBC,
            "libblas >=3.9.0,<4.0a0",
            "libcblas >=3.9.0,<4.0a0",
            "libgcc >=14",
            "liblapack >=3.9.0,<4.0a0",
            "libstdcxx >=14",
            PY311,
            ABI311,
        ],
        constrains: &["numpy-base <0a0"],
        license: "BSD-3-Clause",
        pypi: Some("numpy"),
        ..Row::EMPTY
    },
    Row {
        name: "scipy",
        version: "1.17.0",
        build_number: 0,
        builds: arch("py311hf28c105_0", "py311h3926305_0"),
        depends: &[
            GLIBC,
            "libblas >=3.9.0,<4.0a0",
            "libcblas >=3.9.0,<4.0a0",
            "libgcc >=14",
            "libgfortran",
            "libgfortran5 >=14.3.0",
            "liblapack >=3.9.0,<4.0a0",
            "libstdcxx >=14",
            "numpy <2.7",
            "numpy >=1.23,<3",
            "numpy >=1.25.2",
            PY311,
            ABI311,
        ],
        license: "BSD-3-Clause",
        pypi: Some("scipy"),
        ..Row::EMPTY
    },
    Row {
        name: "pandas",
        version: "2.3.3",
        build_number: 1,
        builds: arch("py311ha170b33_1", "py311ha09f76b_1"),
        depends: &[
            GLIBC,
            "libgcc >=14",
            "libstdcxx >=14",
            "numpy >=1.22.4",
            "numpy >=1.23,<3",
            PY311,
            "python-dateutil >=2.8.2",
            "python-tzdata >=2022.7",
            ABI311,
            "pytz >=2020.1",
        ],
        license: "BSD-3-Clause",
        pypi: Some("pandas"),
        ..Row::EMPTY
    },
    Row {
        name: "python-dateutil",
        version: "2.9.0.post0",
        build_number: 2,
        builds: python_noarch("pyhe01879c_2"),
        depends: &["python >=3.9", "six >=1.5"],
        license: "Apache-2.0",
        pypi: Some("python-dateutil"),
        ..Row::EMPTY
    },
    Row {
        name: "six",
        version: "1.17.0",
        build_number: 1,
        builds: python_noarch("pyhe01879c_1"),
        depends: &["python >=3.9"],
        license: "MIT",
        pypi: Some("six"),
        ..Row::EMPTY
    },
    Row {
        name: "python-tzdata",
        version: "2025.2",
        build_number: 0,
        builds: python_noarch("pyhd8ed1ab_0"),
        depends: &["python >=3.9"],
        license: "Apache-2.0",
        pypi: Some("tzdata"),
        ..Row::EMPTY
    },
    Row {
        name: "pytz",
        version: "2025.2",
        build_number: 0,
        builds: python_noarch("pyhd8ed1ab_0"),
        depends: &["python >=3.9"],
        license: "MIT",
        pypi: Some("pytz"),
        ..Row::EMPTY
    },
    Row {
        name: "matplotlib",
        version: "3.10.7",
        build_number: 0,
        builds: arch("py311h953f48f_0", "py311hf29d0da_0"),
        depends: &[
            "matplotlib-base >=3.10.7,<3.10.8.0a0",
            PY311,
            ABI311,
            "tornado >=5",
        ],
        license: "PSF-2.0",
        ..Row::EMPTY
    },
    Row {
        name: "matplotlib-base",
        version: "3.10.7",
        build_number: 0,
        builds: arch("py311h0fd630f_0", "py311h93bd04c_0"),
        depends: &[
            GLIBC,
            "contourpy >=1.0.1",
            "cycler >=0.10",
            "fonttools >=4.22.0",
            "freetype",
            "kiwisolver >=1.3.1",
            "libfreetype >=2.14.1",
            "libfreetype6 >=2.14.1",
            "libgcc >=14",
            "libstdcxx >=14",
            "numpy >=1.23",
            "numpy >=1.23,<3",
            "packaging >=20.0",
            "pillow >=8",
            "pyparsing >=2.3.1",
            PY311,
            "python-dateutil >=2.7",
            ABI311,
            "qhull >=2020.2,<2020.3.0a0",
            "tk >=8.6.13,<8.7.0a0",
        ],
        license: "PSF-2.0",
        pypi: Some("matplotlib"),
        ..Row::EMPTY
    },
    Row {
        name: "tornado",
        version: "6.5.2",
        build_number: 1,
        builds: arch("py311h95e60af_1", "py311h658cda1_1"),
        depends: &[GLIBC, "libgcc >=14", PY311, ABI311],
        license: "Apache-2.0",
        pypi: Some("tornado"),
        ..Row::EMPTY
    },
    Row {
        name: "contourpy",
        version: "1.3.3",
        build_number: 2,
        builds: arch("py311h0cb1e29_2", "py311hf9ebdac_2"),
        depends: &[
            GLIBC,
            "libgcc >=14",
            "libstdcxx >=14",
            "numpy >=1.25",
            PY311,
            ABI311,
        ],
        license: "BSD-3-Clause",
        pypi: Some("contourpy"),
        ..Row::EMPTY
    },
    Row {
        name: "cycler",
        version: "0.12.1",
        build_number: 2,
        builds: python_noarch("pyhcf101f3_2"),
        depends: &["python >=3.10"],
        license: "BSD-3-Clause",
        pypi: Some("cycler"),
        ..Row::EMPTY
    },
    Row {
        name: "fonttools",
        version: "4.60.1",
        build_number: 0,
        builds: arch("py311h3898d19_0", "py311h0becd7b_0"),
        depends: &[GLIBC, "libgcc >=14", PY311, ABI311, "unicodedata2 >=15.1.0"],
        license: "MIT",
        pypi: Some("fonttools"),
        ..Row::EMPTY
    },
    Row {
        name: "unicodedata2",
        version: "16.0.0",
        build_number: 1,
        builds: arch("py311h8e81973_1", "py311hdbc496c_1"),
        depends: &[GLIBC, "libgcc >=14", PY311, ABI311],
        license: "Apache-2.0",
        pypi: Some("unicodedata2"),
        ..Row::EMPTY
    },
    Row {
        name: "freetype",
        version: "2.14.1",
        build_number: 0,
        builds: arch("ha770c72_0", "h2217bea_0"),
        depends: &[
            "libfreetype 2.14.1 {libfreetype}",
            "libfreetype6 2.14.1 {libfreetype6}",
        ],
        license: "GPL-2.0-only OR FTL",
        ..Row::EMPTY
    },
    Row {
        name: "libfreetype",
        version: "2.14.1",
        build_number: 0,
        builds: arch("ha770c72_0", "h2217bea_0"),
        depends: &["libfreetype6 >=2.14.1"],
        license: "GPL-2.0-only OR FTL",
        ..Row::EMPTY
    },
    Row {
        name: "libfreetype6",
        version: "2.14.1",
        build_number: 0,
        builds: arch("h73754d4_0", "h4a23d59_0"),
        depends: &[
            GLIBC,
            "libgcc >=14",
            "libpng >=1.6.50,<1.7.0a0",
            "libzlib >=1.3.1,<2.0a0",
        ],
        constrains: &["freetype >=2.14.1"],
        license: "GPL-2.0-only OR FTL",
        ..Row::EMPTY
    },
    Row {
        name: "libpng",
        version: "1.6.50",
        build_number: 1,
        builds: arch("h421ea60_1", "h6b4cb24_1"),
        depends: &[GLIBC, "libgcc >=14", "libzlib >=1.3.1,<2.0a0"],
        license: "zlib-acknowledgement",
        ..Row::EMPTY
    },
    Row {
        name: "libjpeg-turbo",
        version: "3.1.0",
        build_number: 0,
        builds: arch("hb9d3cd8_0", "h86ecc28_0"),
        depends: &[GLIBC, "libgcc >=13"],
        constrains: &["jpeg <0.0.0a"],
        license: "IJG AND BSD-3-Clause AND Zlib",
        ..Row::EMPTY
    },
    Row {
        name: "kiwisolver",
        version: "1.4.9",
        build_number: 1,
        builds: arch("py311h24ede6a_1", "py311h8a6a63e_1"),
        depends: &[GLIBC, "libgcc >=14", "libstdcxx >=14", PY311, ABI311],
        license: "BSD-3-Clause",
        pypi: Some("kiwisolver"),
        ..Row::EMPTY
    },
    Row {
        name: "packaging",
        version: "25.0",
        build_number: 1,
        builds: python_noarch("pyh29332c3_1"),
        depends: &["python >=3.8"],
        license: "Apache-2.0",
        pypi: Some("packaging"),
        ..Row::EMPTY
    },
    Row {
        name: "pillow",
        version: "12.0.0",
        build_number: 0,
        builds: arch("py311h1e27a1c_0", "py311h9227665_0"),
        depends: &[
            GLIBC,
            "libfreetype >=2.14.1",
            "libfreetype6 >=2.14.1",
            "libgcc >=14",
            "libjpeg-turbo >=3.1.0,<4.0a0",
            "libzlib >=1.3.1,<2.0a0",
            PY311,
            ABI311,
            "tk >=8.6.13,<8.7.0a0",
        ],
        license: "HPND",
        pypi: Some("pillow"),
        ..Row::EMPTY
    },
    Row {
        name: "pyparsing",
        version: "3.2.5",
        build_number: 0,
        builds: python_noarch("pyhcf101f3_0"),
        depends: &["python >=3.10"],
        license: "MIT",
        pypi: Some("pyparsing"),
        ..Row::EMPTY
    },
    Row {
        name: "qhull",
        version: "2020.2",
        build_number: 5,
        builds: arch("h434a139_5", "h4ef8aa3_5"),
        depends: &[GLIBC, "libgcc >=13", "libstdcxx >=13"],
        license: "LicenseRef-Qhull",
        ..Row::EMPTY
    },
    Row {
        name: "statsmodels",
        version: "0.14.5",
        build_number: 1,
        builds: arch("py311h8f6d055_1", "py311hd0eda82_1"),
        depends: &[
            GLIBC,
            "libgcc >=14",
            "numpy >=1.22.3",
            "numpy >=1.23,<3",
            "packaging >=21.3",
            "pandas !=2.1.0,>=1.4",
            "patsy >=0.5.6",
            PY311,
            ABI311,
            "scipy !=1.9.2,>=1.8",
        ],
        license: "BSD-3-Clause",
        pypi: Some("statsmodels"),
        ..Row::EMPTY
    },
    Row {
        name: "patsy",
        version: "1.0.2",
        build_number: 0,
        builds: python_noarch("pyhcf101f3_0"),
        depends: &["numpy >=1.4", "python >=3.10"],
        license: "BSD-2-Clause AND PSF-2.0",
        pypi: Some("patsy"),
        ..Row::EMPTY
    },
];
