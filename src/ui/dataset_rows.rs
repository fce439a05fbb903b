//! A dataset as the console shows it: one [`AuthorRow`] per record in file order, a
//! [`RecordStore`] of where each record is, the lines that are not records, and what the data
//! directory says beside it (custody, history, last refresh). The console's `Operations` read it
//! (`cli::console_ops`); this is what they hand over. Not here: the derived state (duplicates,
//! counters, orders: `App::rows_changed`).

use std::path::PathBuf;
use std::sync::Arc;

use super::author::AuthorRow;
use super::record_store::RecordStore;
use crate::dataset::{DatasetError, LineError};
use crate::pipeline::custody::AnswerIndex;

/// A dataset file as the console shows it.
#[derive(Debug, Clone, Default)]
pub struct LoadedRows {
    /// The file, as named when it was loaded.
    pub path: PathBuf,
    /// One row per record, in file order.
    pub rows: Vec<AuthorRow>,
    /// The record behind each row, same order.
    pub records: RecordStore,
    /// The lines that are not records, by number; every other line is in `rows`.
    pub bad_lines: Vec<LineError>,
    /// The answers the rows were proved against (their `unverified` flags), kept for the
    /// detail pane's custody chain. `None`: custody was not looked at.
    pub answers: Option<Arc<AnswerIndex>>,
    /// The stored file no longer matches its manifest, in words (see `merge::external_edit`).
    pub external_edit: Option<String>,
    /// The directory's history (`DIR/history.sqlite`), when it has one: the detail pane draws
    /// the selected author's snapshots from it.
    pub history_file: Option<PathBuf>,
    /// The previous version's scores in the histogram's ten bins, from the history (the
    /// histogram draws them beside the current ones): (version, bins).
    pub previous_bins: Option<(u64, [u64; 10])>,
    /// The largest score and follower changes, from the history (the movers overlay).
    pub movers: Option<crate::pipeline::history::Movers>,
    /// What the directory's last `influx refresh` did (`DIR/refresh/last.json`).
    pub last_refresh: Option<crate::pipeline::refresh::LastRefresh>,
    /// The refresh's census of the dataset, made when it was read: the authors `s` harvests
    /// are its candidates, chosen by the refresh's own rule (`pipeline::refresh::census`).
    pub census: Option<crate::pipeline::refresh::Census>,
}

impl LoadedRows {
    /// Each bad line in words, with the file and the line number.
    pub fn bad_line_words(&self) -> impl Iterator<Item = String> + '_ {
        self.bad_lines
            .iter()
            .map(|e| format!("{}: {e}", self.path.display()))
    }
}

/// Why a dataset file could not be loaded at all.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Dataset(#[from] DatasetError),
    #[error("{}: cannot open: {source}", path.display())]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{}: the console reads its lines again by place, which a compressed file does not allow; un-gzip it",
        path.display()
    )]
    Compressed { path: PathBuf },
    #[error("{}: changed while it was being loaded; open it again", path.display())]
    Changed { path: PathBuf },
}
