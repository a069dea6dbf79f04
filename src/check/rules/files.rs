//! The file list of one package build, as content rules see it.

use rattler_conda_types::package::{FileMode, PathType, PathsJson};

/// The prefix placeholder of a file, as far as the file list records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrefixInfo {
    /// The source does not record placeholders (a plain path list).
    Unknown,
    /// The file has no prefix placeholder.
    None,
    /// The installer replaces `placeholder` as text (`file_mode: "text"`).
    Text {
        /// The build prefix written into the file.
        placeholder: String,
    },
    /// The installer replaces `placeholder` in place, padded with NUL bytes
    /// (`file_mode: "binary"`).
    Binary {
        /// The build prefix written into the file.
        placeholder: String,
    },
}

impl PrefixInfo {
    /// Returns the placeholder, if the file has one.
    pub fn placeholder(&self) -> Option<&str> {
        match self {
            PrefixInfo::Text { placeholder } | PrefixInfo::Binary { placeholder } => {
                Some(placeholder)
            }
            PrefixInfo::Unknown | PrefixInfo::None => None,
        }
    }

    /// Builds the value from a `file_mode` and `prefix_placeholder` pair as
    /// `paths.json` and `conda-meta` records store them.
    pub fn from_parts(file_mode: Option<FileMode>, placeholder: Option<String>) -> Self {
        match (placeholder, file_mode) {
            (None, _) => PrefixInfo::None,
            (Some(placeholder), Some(FileMode::Binary)) => PrefixInfo::Binary { placeholder },
            // conda treats a placeholder without a file mode as text.
            (Some(placeholder), Some(FileMode::Text) | None) => PrefixInfo::Text { placeholder },
        }
    }
}

/// One file of a package build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedFile {
    /// Path relative to the prefix, with `/` separators.
    pub path: String,
    /// Prefix placeholder information.
    pub prefix: PrefixInfo,
    /// Whether the file exists. Always true for files read from an archive;
    /// for an installed prefix, whether the file is still on disk.
    pub present: bool,
}

/// The files of one package build. Directories are not listed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileList {
    /// The files, in source order.
    pub files: Vec<ListedFile>,
}

impl FileList {
    /// Builds the list from a package's `info/paths.json`.
    pub fn from_paths_json(paths: &PathsJson) -> Self {
        let files = paths
            .paths
            .iter()
            .filter(|entry| entry.path_type != PathType::Directory)
            .map(|entry| ListedFile {
                path: slash_path(&entry.relative_path),
                prefix: match &entry.prefix_placeholder {
                    Some(p) => {
                        PrefixInfo::from_parts(Some(p.file_mode), Some(p.placeholder.clone()))
                    }
                    None => PrefixInfo::None,
                },
                present: true,
            })
            .collect();
        Self { files }
    }

    /// Builds the list from bare paths, with placeholders unknown.
    pub fn from_paths<I, S>(paths: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let files = paths
            .into_iter()
            .map(|path| ListedFile {
                path: path.into(),
                prefix: PrefixInfo::Unknown,
                present: true,
            })
            .collect();
        Self { files }
    }
}

/// Renders a relative path with `/` separators.
pub(crate) fn slash_path(path: &std::path::Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}
