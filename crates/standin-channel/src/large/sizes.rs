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

/// Adds filler to every worker package whose name has a real record of at
/// least 1 MiB in the package's own subdirectory. The filler makes the archive
/// about as large as the largest real archive of that name, and nwchem gets
/// [`NWCHEM_ESTIMATED_BYTES`]. `scale` divides all sizes (1 for real sizes,
/// more for a quick smoke run).
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
            .unwrap_or(if package.name == "nwchem" {
                NWCHEM_ESTIMATED_BYTES
            } else {
                0
            });
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
