//! The data directory (`--data DIR`) and its layout, named in one file: where the stored
//! dataset, the runs, the batches, the ledger, the history, the candidates, the refresh's state,
//! the release and the configuration live. Every function of the directory takes a [`DataDir`]
//! and asks it for a place instead of joining names by hand, so the layout can be read (and
//! changed) here alone. Not here: what is in those files. This file imports nothing from the
//! rest of the pipeline, so every module can use it without an import cycle.

use std::path::{Path, PathBuf};

/// `DIR/latest`: the link's name (a merge points it at a new version with rename(2)).
pub(crate) const LATEST_LINK: &str = "latest";
/// The dataset file inside a version's directory.
pub(crate) const DATA_FILE: &str = "latest.jsonl";
/// `DIR/versions`: the name the link's relative target starts with.
pub(crate) const VERSIONS_DIR: &str = "versions";
/// `DIR/runs`: the ledger and the refresh name a run `runs/<run>`, relative to the directory.
pub(crate) const RUNS_DIR: &str = "runs";
const BATCHES_DIR: &str = "batches";
const MERGE_LOCK: &str = ".lock";
const LEDGER_FILE: &str = "ledger.jsonl";
const HARVEST_LOCK: &str = "harvest.lock";
const HISTORY_FILE: &str = "history.sqlite";
const CANDIDATES_FILE: &str = "candidates.jsonl";
const REFRESH_DIR: &str = "refresh";
const RELEASE_DIR: &str = "release";
const CONFIG_FILE: &str = "influx.toml";
const LOG_FILE: &str = "influx.log";

/// A data directory: the one value every function of the directory takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    pub fn new(root: impl Into<PathBuf>) -> DataDir {
        DataDir { root: root.into() }
    }

    /// The directory itself (for messages, and for paths an operator gave relative to it).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `DIR/latest`: the link to the current version's directory.
    pub(crate) fn latest_link(&self) -> PathBuf {
        self.root.join(LATEST_LINK)
    }

    /// `DIR/latest/latest.jsonl`: the stored dataset (it may not exist before a first merge).
    pub(crate) fn latest_file(&self) -> PathBuf {
        self.latest_link().join(DATA_FILE)
    }

    /// `DIR/versions/<n>-<time>/`: the current version and the ones a rollback may need.
    pub(crate) fn versions_dir(&self) -> PathBuf {
        self.root.join(VERSIONS_DIR)
    }

    /// `DIR/.lock`: held by the one merge (or rollback) writing the dataset at a time.
    pub(crate) fn merge_lock(&self) -> PathBuf {
        self.root.join(MERGE_LOCK)
    }

    /// `DIR/runs/<run>/`: every harvest's records, answers, journal and summary.
    pub(crate) fn runs_dir(&self) -> PathBuf {
        self.root.join(RUNS_DIR)
    }

    /// `DIR/batches/`: batch files waiting to be merged.
    pub(crate) fn batches_dir(&self) -> PathBuf {
        self.root.join(BATCHES_DIR)
    }

    /// `DIR/ledger.jsonl`: every answered request and what it cost.
    pub(crate) fn ledger(&self) -> PathBuf {
        self.root.join(LEDGER_FILE)
    }

    /// `DIR/harvest.lock`: held by the one harvest that may write to the directory at a time.
    pub(crate) fn harvest_lock(&self) -> PathBuf {
        self.root.join(HARVEST_LOCK)
    }

    /// `DIR/history.sqlite`: every author's snapshots over time.
    pub fn history(&self) -> PathBuf {
        self.root.join(HISTORY_FILE)
    }

    /// `DIR/candidates.jsonl`: every discovered candidate, its decision and the operator's word.
    pub(crate) fn candidates(&self) -> PathBuf {
        self.root.join(CANDIDATES_FILE)
    }

    /// `DIR/refresh/`: the refresh's lock, its pending run and its last report.
    pub(crate) fn refresh_dir(&self) -> PathBuf {
        self.root.join(REFRESH_DIR)
    }

    /// `DIR/refresh/lock`: held by the one refresh of the directory at a time.
    pub(crate) fn refresh_lock(&self) -> PathBuf {
        self.refresh_dir().join("lock")
    }

    /// `DIR/refresh/pending.json`: the run a refresh started and has not merged yet.
    pub(crate) fn refresh_pending(&self) -> PathBuf {
        self.refresh_dir().join("pending.json")
    }

    /// `DIR/refresh/last.json`: what the last refresh did (the console and the metrics show it).
    pub(crate) fn refresh_last(&self) -> PathBuf {
        self.refresh_dir().join("last.json")
    }

    /// `DIR/release/`: the published index for consumers (`current` and the release before it).
    pub(crate) fn release_dir(&self) -> PathBuf {
        self.root.join(RELEASE_DIR)
    }

    /// `DIR/influx.toml`: the directory's configuration (plan, caps, admission rules' file).
    pub(crate) fn config_file(&self) -> PathBuf {
        self.root.join(CONFIG_FILE)
    }

    /// `DIR/influx.log`: the console's log.
    pub(crate) fn log_file(&self) -> PathBuf {
        self.root.join(LOG_FILE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_place_is_its_own_under_the_directory_and_the_dataset_is_behind_the_link() {
        let dir = DataDir::new("/data");
        assert_eq!(dir.root(), Path::new("/data"));
        assert_eq!(dir.latest_file(), Path::new("/data/latest/latest.jsonl"));
        assert_eq!(
            dir.refresh_pending(),
            Path::new("/data/refresh/pending.json")
        );
        let mut seen = std::collections::HashSet::new();
        for place in [
            dir.latest_link(),
            dir.versions_dir(),
            dir.merge_lock(),
            dir.runs_dir(),
            dir.batches_dir(),
            dir.ledger(),
            dir.harvest_lock(),
            dir.history(),
            dir.candidates(),
            dir.refresh_lock(),
            dir.refresh_last(),
            dir.release_dir(),
            dir.config_file(),
            dir.log_file(),
        ] {
            assert!(place.starts_with(dir.root()), "{place:?}");
            assert!(seen.insert(place.clone()), "{place:?} named twice");
        }
    }
}
