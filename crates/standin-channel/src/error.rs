//! The error type of channel generation.

use std::path::PathBuf;

/// An error while writing packages or indexing the channel.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// The output directory already has entries, which the indexer would mix
    /// into the channel.
    #[error("output directory {path} is not empty; remove it or choose another directory")]
    OutputNotEmpty {
        /// The output directory.
        path: PathBuf,
    },

    /// A package description has a field that conda tools would reject.
    #[error("invalid package {package}: {reason}")]
    InvalidPackage {
        /// `<subdir>/<name>-<version>-<build>`.
        package: String,
        /// Description of the problem, with the offending value.
        reason: String,
    },

    /// Two package descriptions would write the same archive.
    #[error("two packages would both be written to {subdir}/{filename}")]
    DuplicatePackage {
        /// The channel subdirectory.
        subdir: String,
        /// The archive file name.
        filename: String,
    },

    /// Serializing one of the `info/*.json` files failed.
    #[error("failed to serialize {file} of {package}")]
    Serialize {
        /// `<subdir>/<name>-<version>-<build>`.
        package: String,
        /// The file inside the archive, for example `info/paths.json`.
        file: &'static str,
        /// The underlying error.
        #[source]
        source: serde_json::Error,
    },

    /// Creating, writing or reading a file failed.
    #[error("failed to write {path}")]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// `rattler_package_streaming` failed to write an archive.
    #[error("failed to write the archive {path}")]
    Archive {
        /// The archive being written.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// `rattler_index` failed to index the channel.
    #[error("failed to index the channel at {path}")]
    Index {
        /// The channel root.
        path: PathBuf,
        /// The indexer's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    /// The background task that writes archives panicked or was cancelled.
    #[error("the archive writer task failed")]
    Task(#[source] tokio::task::JoinError),
}

impl GenerateError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| GenerateError::Io { path, source }
    }
}
