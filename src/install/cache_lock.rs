//! An advisory lock that serialises envlock installs sharing one package
//! cache directory.
//!
//! rattler's package cache locks each package while it extracts it, but an
//! install that validates a package while another process is still linking
//! from it can re-extract it underneath that process, which then fails with
//! "No such file or directory". Holding one lock per platform cache from the
//! first fetch to the end of linking avoids that; a second install waits.

use std::fs::File;
use std::path::{Path, PathBuf};

use super::InstallError;

/// A held lock on a package cache directory, released when dropped.
#[derive(Debug)]
pub struct CacheLock {
    _file: File,
}

/// Takes the lock for the package cache at `cache`, waiting while another
/// process holds it.
pub async fn acquire(cache: &Path) -> Result<CacheLock, InstallError> {
    let path = lock_path(cache);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|source| InstallError::PrefixIo {
            path: parent.to_path_buf(),
            source,
        })?;
    }
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|source| InstallError::PrefixIo {
            path: path.clone(),
            source,
        })?;
    match file.try_lock() {
        Ok(()) => return Ok(CacheLock { _file: file }),
        Err(std::fs::TryLockError::WouldBlock) => {
            tracing::info!(lock = %path.display(), "waiting for another envlock install that uses the same package cache");
        }
        Err(std::fs::TryLockError::Error(source)) => {
            return Err(InstallError::PrefixIo { path, source })
        }
    }
    let locked = tokio::task::spawn_blocking(move || file.lock().map(|()| file)).await;
    match locked {
        Ok(Ok(file)) => Ok(CacheLock { _file: file }),
        Ok(Err(source)) => Err(InstallError::PrefixIo { path, source }),
        Err(join) => Err(InstallError::PrefixIo {
            path,
            source: std::io::Error::other(join.to_string()),
        }),
    }
}

/// The lock file of a platform's package cache: a sibling of the directory,
/// so rattler never sees it as a cache entry.
fn lock_path(cache: &Path) -> PathBuf {
    let mut name = cache
        .file_name()
        .map(|name| name.to_os_string())
        .unwrap_or_default();
    name.push(".envlock-lock");
    cache.with_file_name(name)
}
