//! Archive sizes of the worker closure taken from the real records.

use crate::channel::ChannelSpec;
use crate::contents::filler_bytes;
use crate::spec::FileSpec;

use super::shape::SubdirShapes;

/// Directory of the incompressible files that give worker packages their
/// real sizes: one file per package, `<name>.bin`, so no two packages ship
/// the same path and an install has nothing to clobber (as with the real
/// packages).
pub const SIZE_FILLER_DIR: &str = "share/standin-size-filler";

/// Packages smaller than this in the real records keep their stand-in
/// payload, because their size does not change install times much.
const MIN_FILLED_BYTES: u64 = 1 << 20;

/// Archive size given to nwchem, which has no record with a size in the real
/// data.
///
/// NOTE: an estimate of a conda-forge nwchem 7.x archive with its basis-set
/// library, not a measured size.
pub const NWCHEM_ESTIMATED_BYTES: u64 = 32 << 20;

/// Archive sizes, in KiB, given to the worker packages of 1 MiB or more that
/// have no record with a size in the real data (the real subset is the
/// dependency tree of python, without the scientific packages).
///
/// NOTE: estimates of conda-forge's linux-64 `.conda` archives of these
/// versions, not measured sizes; linux-aarch64 gets the same. With them the
/// worker's archives come to about 240 MB per platform instead of 90 MB.
pub const ESTIMATED_KIB: &[(&str, u64)] = &[
    ("rdkit", 30 << 10),
    ("scipy", 16 << 10),
    ("pandas", 14 << 10),
    ("libxc-c", 14 << 10),
    ("statsmodels", 11 << 10),
    ("xtb", 10 << 10),
    ("numpy", 8 << 10),
    ("matplotlib-base", 7 << 10),
    ("libopenblas", 5 << 10),
    ("plumed", 5 << 10),
    ("openmpi", 4 << 10),
    ("libstdcxx", 4 << 10),
    ("sqlalchemy", 3 << 10),
    ("libboost", 3 << 10),
    ("crest", 3 << 10),
    ("fonttools", 3 << 10),
    ("reportlab", 2 << 10),
    ("scalapack", 2 << 10),
    ("tblite", 2 << 10),
    ("libgfortran5", 1536),
    ("openssh", 1 << 10),
    ("pillow", 1 << 10),
    ("dftd4", 1 << 10),
];

/// Returns the size a worker package's archive gets when the real data has none.
fn estimated_bytes(name: &str) -> u64 {
    if name == "nwchem" {
        return NWCHEM_ESTIMATED_BYTES;
    }
    ESTIMATED_KIB
        .iter()
        .find(|(known, _)| *known == name)
        .map_or(0, |(_, kib)| kib << 10)
}

/// Adds filler to every worker package whose name has a real record of at
/// least 1 MiB in the package's own subdirectory. The filler makes the archive
/// about as large as the largest real archive of that name. nwchem gets
/// [`NWCHEM_ESTIMATED_BYTES`] and the names in [`ESTIMATED_KIB`] their
/// estimate. `scale` divides all sizes (1 for real sizes, more for a quick
/// smoke run).
pub fn with_real_sizes(
    spec: ChannelSpec,
    shapes: &[(&str, &SubdirShapes)],
    scale: u64,
) -> ChannelSpec {
    let mut sized = ChannelSpec::empty();
    for package in spec.packages() {
        let real_size = shapes
            .iter()
            .filter(|(subdir, _)| *subdir == package.subdir)
            .find_map(|(_, shapes)| shapes.max_size.get(&package.name).copied())
            .unwrap_or_else(|| estimated_bytes(&package.name));
        let package = if real_size >= MIN_FILLED_BYTES {
            let seed = package
                .name
                .bytes()
                .chain(package.subdir.bytes())
                .fold(0u64, |acc, b| {
                    acc.wrapping_mul(31).wrapping_add(u64::from(b))
                });
            let bytes = (real_size / scale.max(1)) as usize;
            let path = format!("{SIZE_FILLER_DIR}/{}.bin", package.name);
            package
                .clone()
                .with_file(FileSpec::new(path, filler_bytes(bytes, seed)))
        } else {
            package.clone()
        };
        sized = sized.with_package(package);
    }
    sized
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn filler_paths_differ_per_package() {
        let sized = with_real_sizes(ChannelSpec::worker(), &[], 1024);

        let mut paths = BTreeSet::new();
        for package in sized.packages() {
            for file in &package.files {
                if file.path.starts_with(SIZE_FILLER_DIR) {
                    let key = (package.subdir.clone(), file.path.clone());
                    assert!(
                        paths.insert(key),
                        "{} ships a shared filler path",
                        package.name
                    );
                }
            }
        }
        assert!(!paths.is_empty(), "no package got filler");
    }

    #[test]
    fn estimated_names_get_their_size() {
        let sized = with_real_sizes(ChannelSpec::worker(), &[], 1);

        let rdkit = sized
            .packages()
            .iter()
            .find(|p| p.name == "rdkit")
            .expect("the worker has rdkit");
        let filler = rdkit
            .file(&format!("{SIZE_FILLER_DIR}/rdkit.bin"))
            .expect("rdkit got filler");
        assert_eq!(filler.contents.len() as u64, estimated_bytes("rdkit"));
        assert_eq!(estimated_bytes("nwchem"), NWCHEM_ESTIMATED_BYTES);
        assert_eq!(estimated_bytes("no-such-package"), 0);
    }
}
