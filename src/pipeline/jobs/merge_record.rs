//! Merge-and-record: a merge plan applied (the new version published), then the version's
//! authors recorded in the history. The one way a front end or a job publishes a merge.

use crate::pipeline::data_dir::DataDir;
use crate::pipeline::history::{History, HistoryError, Recorded};
use crate::pipeline::merge::{self, MergeError, MergeOutcome, MergePlan};

#[derive(Debug, thiserror::Error)]
pub enum MergeRecordError {
    #[error(transparent)]
    Merge(#[from] MergeError),
    /// The version is published; only its history rows are missing.
    #[error("published version {version}; not yet recorded in the history: {source}")]
    History { version: u64, source: HistoryError },
}

/// Applies `plan` to the data directory and records the new version in its history, which it
/// hands back open (a refresh goes on to read its growth flags). Published first, recorded
/// second: a crash in between is repaired by the next open of the history.
pub(crate) fn merge_and_record(
    data_dir: &DataDir,
    plan: &MergePlan,
) -> Result<(MergeOutcome, History, Vec<Recorded>), MergeRecordError> {
    let outcome = merge::apply(data_dir, plan)?;
    let (history, recorded) = History::open_after_merge(data_dir, &outcome).map_err(|source| {
        MergeRecordError::History {
            version: outcome.version,
            source,
        }
    })?;
    Ok((outcome, history, recorded))
}
