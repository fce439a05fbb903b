//! Reading a row's record again for the console: held in memory, or its line of the pinned
//! dataset file (`dataset::PinnedFile`) read and parsed again.

use std::sync::Arc;

use crate::dataset::{Record, RecordReadError};
use crate::ui::record_store::{Place, RowRecord};

/// The row's record: held, or read again from the file (refused when the file has changed).
pub fn read_record(record: &RowRecord) -> Result<Arc<Record>, RecordReadError> {
    read_place(record, record.place())
}

/// The record the row held before a harvest in this session replaced it; `None` when no
/// harvest did.
pub(crate) fn read_stored(record: &RowRecord) -> Option<Result<Arc<Record>, RecordReadError>> {
    Some(read_place(record, record.stored()?))
}

fn read_place(record: &RowRecord, place: &Place) -> Result<Arc<Record>, RecordReadError> {
    match place {
        Place::Held(held) => Ok(Arc::clone(held)),
        &Place::Line { offset, len, line } => match record.file() {
            Some(file) => file.read_line(offset, len, line).map(Arc::new),
            None => Err(RecordReadError::NoFile { line }),
        },
    }
}
