//! A local conda channel that stands in for conda-forge in envlock's tests.
//!
//! [`ChannelSpec::worker`] describes the whole closure of envlock's worker
//! environment for linux-64 and linux-aarch64, with package names, versions,
//! build strings and dependencies shaped after conda-forge's records and
//! small stand-in payloads. [`write_channel`] writes real `.conda` archives
//! and indexes them with `rattler_index`, and [`server::ChannelServer`] serves
//! the result over HTTP on 127.0.0.1.
//!
//! ```no_run
//! # async fn example() -> Result<(), standin_channel::GenerateError> {
//! use standin_channel::{write_channel, ChannelSpec};
//!
//! let spec = ChannelSpec::worker().without_build("crest", "3.0.2", "linux-aarch64");
//! let channel = write_channel(&spec, std::path::Path::new("/tmp/channel")).await?;
//! println!("{}", channel.url);
//! # Ok(())
//! # }
//! ```

mod channel;
mod contents;
mod error;
pub mod large;
mod metadata;
pub mod programs;
pub mod server;
mod spec;
mod tables;
mod write;

pub use channel::{ChannelSpec, Variant, NWCHEM_FILLER_PATH};
pub use contents::{filler_bytes, nwchem_placeholder, BASIS_SETS};
pub use error::GenerateError;
pub use spec::{FileMode, FileSpec, NoArch, PackageSpec, DEFAULT_TIMESTAMP_MS};
pub use tables::{LINUX_64, LINUX_AARCH64, NOARCH};
pub use write::{
    write_archives, write_channel, write_package, SubdirSummary, WrittenArchive, WrittenChannel,
};
