//! The author record (bigv v1.1.0 and its real-world variants) and JSONL reading and writing.
//!
//! A record keeps every field it was read with, known or not, so that writing it back loses
//! nothing; the typed accessors below are views onto that map. All the variant spellings of
//! metrics (`meta.activity_metrics`, `ext.activity_metrics`, top-level `public_metrics`,
//! `post_count` for `tweet_count`) are mapped in ONE place: [`AuthorView::metrics`], which reads
//! a record in memory and a line read raw alike.
//! Not here: scoring, auditing or merging; those read records through this module.
//!
//! The parts: `record` (the record and its typed views), `time` (the timestamps the data and
//! the API use), `canonical` (the field order records are written in), `lines` (reading JSONL,
//! plain or gzip, line by line or in blocks), `atomic_file` (writing a file all or nothing);
//! the JSON layers below them: `raw_entries` (where each entry of an object lies, serde_json
//! doing the reading), `raw_object` (fields kept as written), `author_view` (the typed, borrowed
//! view scoring and the detectors read), `view_read` (that view read in the checking pass).

use std::io;
use std::path::PathBuf;

mod atomic_file;
pub(crate) mod author_view;
mod authors;
mod canonical;
#[cfg(test)]
mod edited_lines;
mod lines;
pub(crate) mod lock_file;
mod pinned_file;
pub(crate) mod raw_entries;
pub(crate) mod raw_object;
mod record;
mod snowflake;
pub(crate) mod spool;
mod time;
mod view_read;
mod writeback;

pub use atomic_file::{AtomicFile, FinishWrite, sync_dir, write_dataset};
pub use author_view::AuthorView;
pub(crate) use authors::{UnreadableRow, for_each_author};
pub(crate) use canonical::{CANONICAL_META_ORDER, CANONICAL_ORDER};
pub use lines::{
    Dataset, LineBlock, LineBlocks, Lines, NumberedLine, is_gz, is_std_stream, open_reader,
    read_dataset,
};
pub(crate) use pinned_file::PinnedFile;
pub use pinned_file::RecordReadError;
pub use record::{Metrics, MetricsOrigin, Record, Source, StoredScore, parse_line};
pub use snowflake::{SNOWFLAKE_EPOCH_MS, SNOWFLAKE_MIN, snowflake_time, snowflake_time_of};
pub use time::{format_time, parse_time};
pub use view_read::ReadLine;

/// Why a line of a JSONL file could not become a record.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LineError {
    #[error("line {line}: not valid JSON: {reason}")]
    InvalidJson { line: usize, reason: String },
    #[error("line {line}: a JSON {found}, not an object")]
    NotAnObject { line: usize, found: &'static str },
    #[error("line {line}: not valid UTF-8 text")]
    NotUtf8 { line: usize },
}

impl LineError {
    pub fn line(&self) -> usize {
        match self {
            LineError::InvalidJson { line, .. }
            | LineError::NotAnObject { line, .. }
            | LineError::NotUtf8 { line } => *line,
        }
    }
}

/// Errors that stop a whole file from being read or written.
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    #[error("cannot open {path}: {source}")]
    Open { path: PathBuf, source: io::Error },
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: io::Error },
    #[error("{path}: {count} line(s) could not be read, first: {first}")]
    BadLines {
        path: PathBuf,
        count: usize,
        first: LineError,
    },
}
