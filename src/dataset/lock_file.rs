//! A lock held on a file for as long as a process works on a directory (flock through std's
//! `File::try_lock`): the kernel releases it when the process dies, however it dies, so a crash
//! never leaves a stale lock behind. The holder writes who it is into the file, for the error a
//! second process shows. Never waits.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// A held lock; released when dropped.
#[derive(Debug)]
pub(crate) struct LockFile {
    _file: File,
}

/// Why a lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub(crate) enum LockError {
    /// Another process holds it; `holder` is what that process wrote ("pid 12 since ...").
    #[error("{path} is held by {holder}")]
    Busy { path: PathBuf, holder: String },
    #[error("cannot use the lock file {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
}

impl LockFile {
    /// Takes the lock at `path` (creating it and its directory) and writes `note` into it.
    pub(crate) fn take(path: &Path, note: &str) -> Result<LockFile, LockError> {
        let io_err = |source| LockError::Io {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io_err)?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(io_err)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                return Err(LockError::Busy {
                    path: path.to_path_buf(),
                    holder: if holder.is_empty() {
                        "a process that has not said which".into()
                    } else {
                        holder.to_string()
                    },
                });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io_err(e)),
        }
        file.set_len(0)
            .and_then(|()| file.write_all(note.as_bytes()))
            .map_err(io_err)?;
        Ok(LockFile { _file: file })
    }
}

/// "pid N since TIME": who holds a lock, in the words its error shows.
pub(crate) fn holder_note(what: &str) -> String {
    format!(
        "pid {} since {}{what}",
        std::process::id(),
        crate::dataset::format_time(chrono::Utc::now())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_taker_is_refused_with_the_holders_note_and_the_lock_frees_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("x.lock");
        let held = LockFile::take(&path, "pid 1 since then").unwrap();
        match LockFile::take(&path, "pid 2") {
            Err(LockError::Busy { holder, .. }) => assert_eq!(holder, "pid 1 since then"),
            other => panic!("expected Busy, got {other:?}"),
        }
        drop(held);
        LockFile::take(&path, "pid 2").expect("free again once dropped");
    }
}
