//! Process exit codes, one per failure class, so scripts and CI can react to
//! the kind of failure without parsing messages.

use std::process::ExitCode;

/// The class of an outcome, mapped to a documented process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitClass {
    /// Everything requested was done.
    Success,
    /// An unexpected internal failure (a bug or an I/O error envlock did not foresee).
    Internal,
    /// Invalid command line, environment file, lockfile or other input.
    Input,
    /// The environment has no solution on at least one platform.
    Unsatisfiable,
    /// A channel, mirror or index could not be reached or answered with an error.
    Network,
    /// `solve --check` found the lock missing or out of date.
    LockOutdated,
    /// `check` found a requirement or content rule unmet.
    CheckFailed,
    /// `install` failed while downloading, verifying or linking packages.
    InstallFailed,
    /// `diff --exit-code` found differences (code 1, as `git diff --exit-code`).
    Differences,
}

impl ExitClass {
    /// The numeric exit code of this class, as documented in the README.
    pub const fn code(self) -> u8 {
        match self {
            ExitClass::Success => 0,
            ExitClass::Internal => 1,
            ExitClass::Input => 2,
            ExitClass::Unsatisfiable => 3,
            ExitClass::Network => 4,
            ExitClass::LockOutdated => 5,
            ExitClass::CheckFailed => 6,
            ExitClass::InstallFailed => 7,
            ExitClass::Differences => 1,
        }
    }
}

impl From<ExitClass> for ExitCode {
    fn from(class: ExitClass) -> Self {
        ExitCode::from(class.code())
    }
}

/// Errors that know which exit class they belong to.
pub trait Classify {
    /// The exit class this error maps to.
    fn exit_class(&self) -> ExitClass;
}
