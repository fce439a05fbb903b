//! The data directory's layout, named in one file: where the stored dataset, the runs, the
//! ledger, the history, the candidates, the refresh's state and the release live under
//! `--data DIR`. Every module asks here instead of joining names by hand, so the layout can be
//! read (and changed) in one place. Not here: what is in those files.

use std::path::{Path, PathBuf};

/// `DIR/latest`: the link to the current version's directory (swapped atomically by a merge).
pub(crate) const LATEST_LINK: &str = "latest";
/// The dataset file inside a version's directory.
pub(crate) const DATA_FILE: &str = "latest.jsonl";
/// `DIR/versions/<n>-<time>/`: the current version and the one rollback needs.
pub(crate) const VERSIONS_DIR: &str = "versions";
/// `DIR/runs/<run>/`: every harvest's records, answers, journal and summary.
pub(crate) const RUNS_DIR: &str = "runs";
/// `DIR/batches/`: batch files waiting to be merged.
pub(crate) const BATCHES_DIR: &str = "batches";
/// `DIR/ledger.jsonl`: every answered request and what it cost.
pub const LEDGER_FILE: &str = "ledger.jsonl";
/// `DIR/history.sqlite`: every author's snapshots over time.
pub const HISTORY_FILE: &str = "history.sqlite";
/// `DIR/candidates.jsonl`: every discovered candidate, its decision and the operator's word.
pub(crate) const CANDIDATES_FILE: &str = "candidates.jsonl";
/// `DIR/refresh/`: the refresh's pending run and its last report.
pub(crate) const REFRESH_DIR: &str = "refresh";
/// `DIR/release/`: the published index for consumers (`current` and the release before it).
pub(crate) const RELEASE_DIR: &str = "release";

/// The stored dataset's file (it may not exist before a first merge).
pub(crate) fn latest_file(root: &Path) -> PathBuf {
    root.join(LATEST_LINK).join(DATA_FILE)
}

pub(crate) fn runs_dir(root: &Path) -> PathBuf {
    root.join(RUNS_DIR)
}

pub(crate) fn batches_dir(root: &Path) -> PathBuf {
    root.join(BATCHES_DIR)
}
