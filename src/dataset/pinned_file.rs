//! A dataset file kept open at the length and time it was indexed, its lines read again by
//! place. A merge or rollback publishes a new file under the same name (it never rewrites one in
//! place), so this handle keeps reading the file the offsets were taken from; a file rewritten in
//! place is refused rather than misread.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use super::{Record, parse_line};

/// Why a line could not be read again.
#[derive(Debug, thiserror::Error)]
pub enum RecordReadError {
    #[error("{}: cannot read line {line} again: {source}", path.display())]
    Read {
        path: PathBuf,
        line: u64,
        source: std::io::Error,
    },
    #[error(
        "{}: changed since it was loaded (line {line} is no longer where it was); reopen the console",
        path.display()
    )]
    Changed { path: PathBuf, line: u64 },
    #[error("line {line}: no dataset file was indexed to read it from")]
    NoFile { line: u64 },
    #[error("{}: line {line} no longer reads as a record: {reason}", path.display())]
    NotARecord {
        path: PathBuf,
        line: u64,
        reason: String,
    },
}

/// An open file pinned at its length and modification time (cheap to clone: one handle).
#[derive(Debug, Clone)]
pub(crate) struct PinnedFile {
    path: PathBuf,
    file: Arc<File>,
    len: u64,
    modified: Option<SystemTime>,
}

impl PinnedFile {
    /// Pins `file`, opened at `path` (the name errors use).
    pub(crate) fn new(path: &Path, file: File) -> std::io::Result<PinnedFile> {
        let meta = file.metadata()?;
        Ok(PinnedFile {
            path: path.to_path_buf(),
            file: Arc::new(file),
            len: meta.len(),
            modified: meta.modified().ok(),
        })
    }

    /// The name it was opened by.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The record on line `line`, `len` bytes at `offset`: refused when the file has changed
    /// since it was pinned.
    pub(crate) fn read_line(
        &self,
        offset: u64,
        len: u64,
        line: u64,
    ) -> Result<Record, RecordReadError> {
        let path = || self.path.clone();
        let read_err = |source| RecordReadError::Read {
            path: path(),
            line,
            source,
        };
        let meta = self.file.metadata().map_err(read_err)?;
        if meta.len() != self.len || meta.modified().ok() != self.modified {
            return Err(RecordReadError::Changed { path: path(), line });
        }
        let mut bytes = vec![0; len as usize];
        self.file
            .read_exact_at(&mut bytes, offset)
            .map_err(read_err)?;
        let text = String::from_utf8(bytes)
            .map_err(|_| RecordReadError::Changed { path: path(), line })?;
        parse_line(line as usize, &text).map_err(|e| RecordReadError::NotARecord {
            path: path(),
            line,
            reason: e.to_string(),
        })
    }
}
