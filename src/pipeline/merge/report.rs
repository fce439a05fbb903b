//! What a merge plan reports about its inputs and its authors: unreadable lines, blocked records,
//! changed authors, id collisions, and each batch as read. Plain data, shared by the planner
//! (`plan`) and the batch reader (`batch`), so that neither needs the other's types.

use std::path::PathBuf;

use serde::Serialize;

/// A line of an input that could not be read, or an input that could not be read at all.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnreadableInput {
    pub path: PathBuf,
    /// 1-based; None when the whole file is the problem (missing, empty).
    pub line: Option<usize>,
    pub reason: String,
}

/// A batch record that blocks the merge unless `--allow-flagged`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BlockedRecord {
    pub path: PathBuf,
    pub line: usize,
    pub handle: String,
    pub reasons: Vec<String>,
}

/// An author whose stored record the merge changes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UpdatedAuthor {
    pub handle: String,
    /// Stored rows folded into this one record (1 when the dataset had no duplicate).
    pub stored_rows: usize,
}

/// Two different handles that carry the same id: kept apart (a merge never makes an author
/// disappear on an id alone), reported so that a person can tell a rename from a wrong id.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IdCollision {
    pub id: String,
    pub handles: Vec<String>,
}

/// One input file as read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BatchSummary {
    pub path: PathBuf,
    pub records: usize,
}
