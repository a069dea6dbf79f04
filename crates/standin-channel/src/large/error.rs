//! The error type of writing a conda-forge-sized channel.

use std::path::PathBuf;

use crate::error::GenerateError;

/// An error while measuring the real repodata or writing the large channel.
#[derive(Debug, thiserror::Error)]
pub enum LargeChannelError {
    /// Writing or indexing the worker closure failed.
    #[error("failed to write the worker closure")]
    Worker(#[source] GenerateError),

    /// A real `repodata.json` could not be read or parsed.
    #[error("failed to read real repodata {path}; set ENVLOCK_REALDATA or --realdata to the real-data folder")]
    ReadRealRepodata {
        /// The file that was read.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// The `repodata.json` that the indexer wrote for the worker closure could
    /// not be read back.
    #[error("failed to read the indexed repodata {path}")]
    ReadIndexedRepodata {
        /// The file that was read.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// The real repodata of a subdirectory has no records to take a shape from.
    #[error("real repodata {path} has no records")]
    EmptyRealRepodata {
        /// The file that was read.
        path: PathBuf,
    },

    /// A generated field was rejected by `rattler_conda_types`.
    #[error("generated {field} {value:?} is invalid: {reason}")]
    InvalidGenerated {
        /// The record field, for example `version`.
        field: &'static str,
        /// The generated value.
        value: String,
        /// The parser's message.
        reason: String,
    },

    /// `rattler_index` failed to write the repodata of a subdirectory.
    #[error("failed to write the repodata of {subdir}")]
    WriteRepodata {
        /// The channel subdirectory.
        subdir: String,
        /// The indexer's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    /// A blocking task panicked or was cancelled.
    #[error("a generator task failed")]
    Task(#[source] tokio::task::JoinError),
}
