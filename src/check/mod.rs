//! `envlock check`: find environments that would build but not run, before
//! anything is built and again after install.
//!
//! Against channels ([`check_channels`]) the check reports, per target
//! platform, whether every required package has a build that matches its
//! spec, whether the environment as a whole solves, and whether the package
//! builds ship the files their content rules demand. It reads only the
//! `info/paths.json` of each archive, with HTTP range requests where the
//! server allows them (see [`archive`]).
//!
//! Against an installed prefix ([`prefix::check_prefix`]) it applies the same
//! content rules to `conda-meta` records and the files on disk, and checks
//! that nwchem and xtb find their data without conda activation.

pub mod archive;
pub mod availability;
pub mod content;
pub mod prefix;
pub mod render;
pub mod requirements;
pub mod rules;
pub mod run;

pub use run::{check_channels, ChannelCheckError, ChannelCheckOptions, ChannelReport};
