//! The growth flags of the authors of one file, as the audit reports them (`anomalies`): the
//! history of the data directory read once, each flagged author kept when the file holds it
//! (by id). Review flags, with their reason in words and numbers: they never fail the audit.

use std::collections::HashSet;
use std::path::Path;

use serde::Serialize;

use super::{GrowthRules, History, HistoryError};
use crate::dataset::{Lines, ReadLine};
use crate::pipeline::data_dir::DataDir;

/// One growth flag of one author.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Anomaly {
    pub handle: Option<String>,
    pub id: String,
    /// `follower_spike` or `follower_drop`.
    pub kind: &'static str,
    pub reason: String,
    /// The interval flagged: the snapshots' fetch times.
    pub from: String,
    pub to: String,
}

/// Every growth flag of the authors a file holds.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Anomalies {
    pub count: usize,
    pub records: Vec<Anomaly>,
}

/// The ids a JSONL file's records carry (lines that are not records are skipped: the audit
/// reports them).
fn ids_in(file: &Path) -> Result<HashSet<String>, HistoryError> {
    let mut ids = HashSet::new();
    let lines = Lines::open(file).map_err(HistoryError::Dataset)?;
    for item in lines {
        let (_, text) = item.map_err(HistoryError::Dataset)?;
        let Ok(text) = text else { continue };
        let Ok(read) = ReadLine::read_record(&text) else {
            continue;
        };
        if let Some(id) = read.view.id() {
            ids.insert(id.to_string());
        }
    }
    Ok(ids)
}

/// The growth flags, under `rules`, of the authors in `file`, from `data_dir`'s history.
pub(crate) fn anomalies(
    data_dir: &DataDir,
    file: &Path,
    rules: &GrowthRules,
) -> Result<Anomalies, HistoryError> {
    let (history, _) = History::open(data_dir)?;
    let ids = ids_in(file)?;
    let mut records = Vec::new();
    for author in history.flagged(rules)? {
        if !ids.contains(&author.id) {
            continue;
        }
        for f in author.flags {
            records.push(Anomaly {
                handle: author.handle.clone(),
                id: author.id.clone(),
                kind: f.kind,
                reason: f.reason,
                from: f.from,
                to: f.to,
            });
        }
    }
    Ok(Anomalies {
        count: records.len(),
        records,
    })
}
