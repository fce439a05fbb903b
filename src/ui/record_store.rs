//! Where the whole record behind each table row is, for the detail pane. Rows loaded from a
//! dataset file keep only where their line is (offset and length); the console's `Operations`
//! read the line again when the row is selected (once per selection: the detail pane's answer
//! is kept, see `detail_answer`). Records harvested in this session (not in the file yet) and
//! records given in memory are held whole. Not here: building the rows or reading a line again
//! (`cli::console_ops`), showing the record (`panes::detail`).

use std::sync::Arc;

use crate::dataset::{PinnedFile, Record};

/// Where one row's record is.
#[derive(Debug, Clone)]
pub(crate) enum Place {
    /// `len` bytes at `offset` of the indexed file: line number `line`.
    Line {
        offset: u64,
        len: u64,
        line: u64,
    },
    Held(Arc<Record>),
}

/// Row number -> the row's record, read again on demand.
#[derive(Default, Clone)]
pub struct RecordStore {
    /// The dataset file the rows were loaded from, kept open (see [`PinnedFile`]).
    file: Option<PinnedFile>,
    places: Vec<Place>,
    /// Where the record a harvest replaced was (the first one replaced in this session: the
    /// stored record), by row: what a re-harvest is compared with.
    stored: std::collections::HashMap<usize, Place>,
}

impl std::fmt::Debug for RecordStore {
    // A million places say nothing in a debug print; where they point does.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordStore")
            .field("file", &self.file.as_ref().map(PinnedFile::path))
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

    /// An empty index over `file`, for [`RecordStore::push_line`].
    pub(crate) fn for_file(file: PinnedFile) -> RecordStore {
        RecordStore {
            file: Some(file),
            places: Vec::new(),
            stored: Default::default(),
        }
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

    /// Where row `row`'s record is, detached from the store (a few words to copy), so that it
    /// can be read on another thread while the store goes on changing.
    pub fn row(&self, row: usize) -> Option<RowRecord> {
        Some(RowRecord {
            file: self.file.clone(),
            place: self.places.get(row)?.clone(),
            stored: self.stored.get(&row).cloned(),
        })
    }

    /// Every record when all are held in memory (harvested or given whole); `None` when some
    /// are lines of the file, which only the console's `Operations` read.
    pub fn held(&self) -> Option<Vec<Record>> {
        self.places
            .iter()
            .map(|place| match place {
                Place::Held(record) => Some(Record::clone(record)),
                Place::Line { .. } => None,
            })
            .collect()
    }
}

/// One row's record, to be read (see [`RecordStore::row`]).
#[derive(Debug, Clone)]
pub struct RowRecord {
    file: Option<PinnedFile>,
    place: Place,
    /// The record a harvest in this session replaced, when one did.
    stored: Option<Place>,
}

impl RowRecord {
    /// The file the row's lines are in (none when every record is held).
    pub(crate) fn file(&self) -> Option<&PinnedFile> {
        self.file.as_ref()
    }

    /// Where the row's record is.
    pub(crate) fn place(&self) -> &Place {
        &self.place
    }

    /// Where the record a harvest in this session replaced is; `None` when no harvest did.
    pub(crate) fn stored(&self) -> Option<&Place> {
        self.stored.as_ref()
    }
}
