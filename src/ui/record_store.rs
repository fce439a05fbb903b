//! The whole record behind each table row, for the detail pane. Rows loaded from a dataset file
//! keep only where their line is (offset and length); the line is read and parsed again when the
//! row is selected (once per selection: the detail pane's answer is kept, see `detail_answer`).
//! Records harvested in this session (not in
//! the file yet) and records given in memory are held whole. Not here: building the rows (see
//! `dataset_rows`) or showing the record (see `panes::detail`).

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use crate::dataset::{Record, parse_line};

/// Why a row's record could not be read again.
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

/// Where one row's record is.
#[derive(Debug, Clone)]
enum Place {
    /// `len` bytes at `offset` of the indexed file: line number `line`.
    Line {
        offset: u64,
        len: u64,
        line: u64,
    },
    Held(Arc<Record>),
}

/// The dataset file the rows were loaded from, kept open: a merge or rollback publishes a new
/// file under the same name (it never rewrites one in place), so this handle keeps reading the
/// file the offsets were taken from.
#[derive(Debug, Clone)]
struct IndexedFile {
    path: PathBuf,
    file: Arc<File>,
    /// Length and modification time when it was indexed, checked before each read.
    len: u64,
    modified: Option<SystemTime>,
}

/// Row number -> the row's record, read again on demand.
#[derive(Default, Clone)]
pub struct RecordStore {
    file: Option<IndexedFile>,
    places: Vec<Place>,
    /// Where the record a harvest replaced was (the first one replaced in this session: the
    /// stored record), by row: what a re-harvest is compared with.
    stored: std::collections::HashMap<usize, Place>,
}

impl std::fmt::Debug for RecordStore {
    // A million places say nothing in a debug print; where they point does.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordStore")
            .field("file", &self.file.as_ref().map(|i| &i.path))
            .field("rows", &self.places.len())
            .finish()
    }
}

impl RecordStore {
    /// Every record held in memory (small datasets, tests).
    pub(crate) fn in_memory(records: Vec<Record>) -> RecordStore {
        RecordStore {
            file: None,
            places: records
                .into_iter()
                .map(|r| Place::Held(Arc::new(r)))
                .collect(),
            stored: Default::default(),
        }
    }

    /// An empty index over `file` (opened at `path`), for [`RecordStore::push_line`].
    pub(crate) fn for_file(path: &Path, file: File) -> std::io::Result<RecordStore> {
        let meta = file.metadata()?;
        Ok(RecordStore {
            file: Some(IndexedFile {
                path: path.to_path_buf(),
                file: Arc::new(file),
                len: meta.len(),
                modified: meta.modified().ok(),
            }),
            places: Vec::new(),
            stored: Default::default(),
        })
    }

    /// Reserves room for `n` more rows.
    pub(crate) fn reserve(&mut self, n: usize) {
        self.places.reserve(n);
    }

    /// The next row's record is line `line`, `len` bytes at `offset` of the file given to
    /// [`RecordStore::for_file`].
    pub(crate) fn push_line(&mut self, offset: u64, len: usize, line: usize) {
        self.places.push(Place::Line {
            offset,
            len: len as u64,
            line: line as u64,
        });
    }

    /// The next row's record, held in memory (a harvested author new to the dataset).
    pub(crate) fn push_held(&mut self, record: Arc<Record>) {
        self.places.push(Place::Held(record));
    }

    /// Row `row` now shows `record` (harvested in this session), held in memory; the record it
    /// replaces is kept as the row's stored record when it is the first one replaced.
    pub(crate) fn hold(&mut self, row: usize, record: Arc<Record>) {
        if let Some(place) = self.places.get_mut(row) {
            let before = std::mem::replace(place, Place::Held(record));
            self.stored.entry(row).or_insert(before);
        }
    }

    /// Rows with a record (a store built from rows alone has none).
    pub fn len(&self) -> usize {
        self.places.len()
    }

    /// Row `row`'s record, read again from the file when not held; `None` when the row has none.
    pub fn get(&self, row: usize) -> Option<Result<Arc<Record>, RecordReadError>> {
        Some(self.row(row)?.read())
    }

    /// Where row `row`'s record is, detached from the store (a few words to copy), so that it
    /// can be read on another thread while the store goes on changing.
    pub fn row(&self, row: usize) -> Option<RowRecord> {
        Some(RowRecord {
            file: self.file.clone(),
            place: self.places.get(row)?.clone(),
            stored: self.stored.get(&row).cloned(),
        })
    }

    /// Every record, in row order (reading the file again where not held): for small datasets
    /// and tests, never for a million rows.
    pub fn to_vec(&self) -> Result<Vec<Record>, RecordReadError> {
        (0..self.len())
            .filter_map(|row| self.get(row))
            .map(|r| r.map(Arc::unwrap_or_clone))
            .collect()
    }
}

/// One row's record, to be read (see [`RecordStore::row`]).
#[derive(Debug, Clone)]
pub struct RowRecord {
    file: Option<IndexedFile>,
    place: Place,
    /// The record a harvest in this session replaced, when one did.
    stored: Option<Place>,
}

impl RowRecord {
    /// The record: held, or read again from the file (refused when the file has changed).
    pub(crate) fn read(&self) -> Result<Arc<Record>, RecordReadError> {
        self.read_place(&self.place)
    }

    /// The record the row held before a harvest in this session replaced it; `None` when no
    /// harvest did.
    pub(crate) fn read_stored(&self) -> Option<Result<Arc<Record>, RecordReadError>> {
        Some(self.read_place(self.stored.as_ref()?))
    }

    fn read_place(&self, place: &Place) -> Result<Arc<Record>, RecordReadError> {
        match place {
            Place::Held(record) => Ok(Arc::clone(record)),
            &Place::Line { offset, len, line } => self.read_line(offset, len, line).map(Arc::new),
        }
    }

    fn read_line(&self, offset: u64, len: u64, line: u64) -> Result<Record, RecordReadError> {
        let Some(file) = self.file.as_ref() else {
            return Err(RecordReadError::NoFile { line });
        };
        let path = || file.path.clone();
        let read_err = |source| RecordReadError::Read {
            path: path(),
            line,
            source,
        };
        let meta = file.file.metadata().map_err(read_err)?;
        if meta.len() != file.len || meta.modified().ok() != file.modified {
            return Err(RecordReadError::Changed { path: path(), line });
        }
        let mut bytes = vec![0; len as usize];
        file.file
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
