//! A dataset read as its authors: each handle's first row, as the export and the Parquet table
//! read it (a later row of the same handle is a duplicate, not another author). A line that is
//! not a record stops the reading, naming the file and the line.

use std::collections::HashSet;
use std::path::Path;

use super::{DatasetError, Lines, Record, parse_line};

/// A line of the dataset that is not a record.
#[derive(Debug)]
pub(crate) struct UnreadableRow {
    pub path: String,
    pub reason: String,
}

/// Calls `each` with every author of the dataset at `path`, in file order, once each.
pub(crate) fn for_each_author<E>(
    path: &Path,
    mut each: impl FnMut(Record) -> Result<(), E>,
) -> Result<(), E>
where
    E: From<DatasetError> + From<UnreadableRow>,
{
    let mut seen = HashSet::new();
    for item in Lines::open(path)? {
        let (n, text) = item?;
        let record = text
            .map_err(|e| e.to_string())
            .and_then(|t| parse_line(n, &t).map_err(|e| e.to_string()))
            .map_err(|reason| UnreadableRow {
                path: path.display().to_string(),
                reason,
            })?;
        if let Some(key) = record.handle_key()
            && !seen.insert(key)
        {
            continue;
        }
        each(record)?;
    }
    Ok(())
}
