//! Run-time paths of the installed environment, mapped to the directory
//! being checked.

use std::path::{Path, PathBuf};

/// Parts of the build prefixes that conda-build writes into packages: the
/// padding of its placeholder prefix, conda-forge's build directory, and
/// the placeholder of old packages (`/opt/anaconda1anaconda2anaconda3`).
const BUILD_PATH_MARKERS: &[&str] = &[
    "_placehold",
    "/feedstock_root/build_artifacts/",
    "/opt/anaconda1anaconda2anaconda3",
];

/// Returns whether `path` contains a conda build prefix.
pub fn looks_like_build_path(path: &str) -> bool {
    BUILD_PATH_MARKERS
        .iter()
        .any(|marker| path.contains(marker))
}

/// The checked directory and the prefix path the environment runs at.
#[derive(Debug, Clone)]
pub struct RuntimePaths {
    /// The directory being checked (absolute).
    pub directory: PathBuf,
    /// The path the environment runs at: `--target-prefix`, else
    /// `CONDA_PREFIX` from the activation script, else [`Self::directory`].
    pub runtime: PathBuf,
}

impl RuntimePaths {
    /// Maps an absolute run-time path inside the prefix to the checked
    /// directory; `None` for relative paths and paths outside the prefix.
    pub fn on_disk(&self, path: &str) -> Option<PathBuf> {
        let path = Path::new(path);
        if !path.is_absolute() {
            return None;
        }
        for base in [&self.runtime, &self.directory] {
            if let Ok(rest) = path.strip_prefix(base) {
                return Some(self.directory.join(rest));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtime_paths_map_into_the_directory() {
        let paths = RuntimePaths {
            directory: "/tmp/rootfs/opt/env".into(),
            runtime: "/opt/env".into(),
        };
        assert_eq!(
            paths.on_disk("/opt/env/share/xtb"),
            Some(PathBuf::from("/tmp/rootfs/opt/env/share/xtb"))
        );
        assert_eq!(
            paths.on_disk("/tmp/rootfs/opt/env/bin"),
            Some(PathBuf::from("/tmp/rootfs/opt/env/bin"))
        );
        assert_eq!(paths.on_disk("/usr/bin/env"), None);
        assert_eq!(paths.on_disk("share/xtb"), None);
    }

    #[test]
    fn build_prefixes_are_recognised() {
        assert!(looks_like_build_path(
            "/home/conda/feedstock_root/build_artifacts/nwchem_1/_h_env_placehold_placehold/share"
        ));
        assert!(!looks_like_build_path("/opt/env/share/nwchem/libraries/"));
    }
}
