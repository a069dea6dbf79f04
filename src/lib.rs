//! envlock: solve, lock, check and install conda environments for container
//! images on several platforms, with no conda at runtime.

pub mod channels;
pub mod check;
pub mod cli;
pub mod diff;
pub mod envfile;
pub mod exit_code;
pub mod http;
pub mod http_retry;
pub mod install;
pub mod lock;
pub mod printer;
pub mod pypi;
pub mod reporter;
pub mod solve;
pub mod timing;
pub mod virtual_packages;
