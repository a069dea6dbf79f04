//! Generated filler records that give a subdirectory conda-forge's size.

use std::str::FromStr;

use rattler_conda_types::package::{BuildString, DistArchiveIdentifier};
use rattler_conda_types::{NoArchType, PackageName, PackageRecord, Version};
use rattler_digest::{Md5Hash, Sha256Hash};

use super::error::LargeChannelError;
use super::shape::{NameShape, SubdirShapes};

/// Share of generated dependencies copied from the template's real `depends`
/// (for example `python >=3.9,<3.10.0a0` or `libgcc-ng >=12`); the rest name
/// other filler packages.
const REAL_DEPENDS_PERCENT: u64 = 30;

/// Record and name targets of one subdirectory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubdirTarget {
    /// Minimum number of filler records.
    pub records: usize,
    /// Minimum number of filler package names.
    pub names: usize,
}

/// A SplitMix64 generator, so the same seed always gives the same channel.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut mixed = self.0;
        mixed = (mixed ^ (mixed >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        mixed = (mixed ^ (mixed >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        mixed ^ (mixed >> 31)
    }

    /// Returns a value in `0..bound`; `bound` must not be zero.
    pub(crate) fn below(&mut self, bound: usize) -> usize {
        (self.next_u64() % bound as u64) as usize
    }

    fn hex(&mut self, digits: usize) -> String {
        let mut text = format!("{:016x}{:016x}", self.next_u64(), self.next_u64());
        text.truncate(digits);
        text
    }
}

/// Generates filler records for `subdir` until both targets are met.
///
/// Each filler name copies the shape of a randomly chosen real name. Its
/// number of versions is scaled by `target.records / (target.names * mean)`,
/// where `mean` is the real mean of records per name, so the total lands near
/// the record target with the name target met. Names are `x<index>-<real
/// name>`, which no package of the worker closure matches, so the worker
/// environment solves to the same records as on the small stand-in.
pub fn generate(
    subdir: &str,
    shapes: &SubdirShapes,
    target: SubdirTarget,
    seed: u64,
) -> Result<Vec<(DistArchiveIdentifier, PackageRecord)>, LargeChannelError> {
    let mut rng = Rng::new(seed);
    let scale =
        target.records as f64 / (target.names.max(1) as f64 * shapes.mean_records_per_name());
    let mut records = Vec::with_capacity(target.records + target.records / 10);
    let mut names: Vec<String> = Vec::with_capacity(target.names);

    while names.len() < target.names || records.len() < target.records {
        let shape = &shapes.names[rng.below(shapes.names.len())];
        let name = format!("x{:05}-{}", names.len(), shape.name);
        let versions = ((shape.builds_per_version.len() as f64 * scale).round() as usize).max(1);
        for version_index in 0..versions {
            let builds = shape.builds_per_version[version_index % shape.builds_per_version.len()];
            for build_number in 0..builds {
                let record = filler_record(
                    &mut rng,
                    FillerName {
                        name: &name,
                        shape,
                        subdir,
                    },
                    version_index,
                    build_number,
                    &names,
                )?;
                records.push(record);
            }
        }
        names.push(name);
    }
    Ok(records)
}

#[derive(Clone, Copy)]
struct FillerName<'a> {
    name: &'a str,
    shape: &'a NameShape,
    subdir: &'a str,
}

fn filler_record(
    rng: &mut Rng,
    filler: FillerName<'_>,
    version_index: usize,
    build_number: usize,
    earlier_names: &[String],
) -> Result<(DistArchiveIdentifier, PackageRecord), LargeChannelError> {
    let shape = filler.shape;
    let version_text = format!(
        "{}.{}.{}",
        version_index / 20,
        version_index % 20,
        build_number % 3
    );
    let template = &shape.builds[rng.below(shape.builds.len())];
    let build_text = build_string(rng, template, build_number);

    let name = parse("name", filler.name, PackageName::from_str)?;
    let version = parse("version", &version_text, Version::from_str)?;
    let build = parse("build string", &build_text, BuildString::from_str)?;
    let mut record = PackageRecord::new(name, version, build);
    record.build_number = build_number as u64;
    record.subdir = filler.subdir.to_string();
    record.depends = depends(rng, shape, earlier_names);
    record.md5 = Some(Md5Hash::from(random_bytes::<16>(rng)));
    record.sha256 = Some(Sha256Hash::from(random_bytes::<32>(rng)));
    record.size = Some(10_000 + rng.next_u64() % 5_000_000);
    record.timestamp = jiff::Timestamp::from_millisecond(
        crate::DEFAULT_TIMESTAMP_MS as i64 - (rng.next_u64() % 200_000_000_000) as i64,
    )
    .ok()
    .map(Into::into);
    record.license = Some("BSD-3-Clause".to_string());
    if shape.noarch_python {
        record.noarch = NoArchType::python();
    }

    let filename = format!("{}-{version_text}-{build_text}.conda", filler.name);
    let key = parse("file name", &filename, DistArchiveIdentifier::from_str)?;
    Ok((key, record))
}

/// Copies a real build string with a new hash and build number, so
/// `py39h5eee18b_3` becomes `py39h<7 new hex digits>_<n>`.
fn build_string(rng: &mut Rng, template: &str, build_number: usize) -> String {
    let prefix = template
        .rsplit_once('_')
        .map_or(template, |(prefix, _)| prefix);
    let hashed = prefix.len() >= 8
        && prefix.as_bytes()[prefix.len() - 8] == b'h'
        && prefix[prefix.len() - 7..]
            .bytes()
            .all(|b| b.is_ascii_hexdigit());
    let stem = if hashed {
        format!("{}h{}", &prefix[..prefix.len() - 8], rng.hex(7))
    } else {
        format!("{prefix}h{}", rng.hex(7))
    };
    format!("{stem}_{build_number}")
}

fn depends(rng: &mut Rng, shape: &NameShape, earlier_names: &[String]) -> Vec<String> {
    let count = shape.depends_counts[rng.below(shape.depends_counts.len())];
    let mut depends = Vec::with_capacity(count);
    for _ in 0..count {
        let take_filler = !earlier_names.is_empty()
            && (shape.depends.is_empty() || rng.next_u64() % 100 >= REAL_DEPENDS_PERCENT);
        if take_filler {
            let target = &earlier_names[rng.below(earlier_names.len())];
            depends.push(format!("{target} >={}.0", rng.below(3)));
        } else if !shape.depends.is_empty() {
            depends.push(shape.depends[rng.below(shape.depends.len())].clone());
        }
    }
    depends.sort();
    depends.dedup();
    depends
}

fn random_bytes<const N: usize>(rng: &mut Rng) -> [u8; N] {
    let mut bytes = [0u8; N];
    for chunk in bytes.chunks_mut(8) {
        let word = rng.next_u64().to_le_bytes();
        chunk.copy_from_slice(&word[..chunk.len()]);
    }
    bytes
}

fn parse<T, E: std::fmt::Display>(
    field: &'static str,
    value: &str,
    parser: impl Fn(&str) -> Result<T, E>,
) -> Result<T, LargeChannelError> {
    parser(value).map_err(|error| LargeChannelError::InvalidGenerated {
        field,
        value: value.to_string(),
        reason: error.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn shapes() -> SubdirShapes {
        let shape = NameShape {
            name: "numpy".to_string(),
            builds_per_version: vec![2, 3],
            builds: vec!["py39h5eee18b_3".to_string(), "conda_forge".to_string()],
            depends_counts: vec![0, 2],
            depends: vec!["python >=3.9,<3.10.0a0".to_string()],
            noarch_python: false,
        };
        SubdirShapes {
            names: vec![shape],
            max_size: BTreeMap::new(),
        }
    }

    #[test]
    fn generate_meets_both_targets() {
        let target = SubdirTarget {
            records: 200,
            names: 30,
        };
        let records = generate("linux-64", &shapes(), target, 7).unwrap();

        assert!(records.len() >= 200, "{} records", records.len());
        let mut names: Vec<_> = records
            .iter()
            .map(|(_, r)| r.name.as_normalized().to_string())
            .collect();
        names.sort();
        names.dedup();
        assert!(names.len() >= 30, "{} names", names.len());
        assert!(names
            .iter()
            .all(|name| name.starts_with('x') && name.ends_with("-numpy")));
    }

    #[test]
    fn generate_is_deterministic() {
        let target = SubdirTarget {
            records: 50,
            names: 5,
        };
        let first = generate("linux-64", &shapes(), target, 7).unwrap();
        let second = generate("linux-64", &shapes(), target, 7).unwrap();

        assert_eq!(first, second);
    }

    #[test]
    fn build_string_replaces_hash() {
        let mut rng = Rng::new(1);
        let build = build_string(&mut rng, "py39h5eee18b_3", 4);

        assert!(build.starts_with("py39h"), "{build}");
        assert!(build.ends_with("_4"), "{build}");
        assert_ne!(build, "py39h5eee18b_4");
        assert_eq!(build.len(), "py39h5eee18b_4".len());
    }
}
