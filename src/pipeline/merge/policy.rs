//! The merge policy both front ends follow: which batches a merge takes. `influx merge
//! --skip-flagged` and the console both merge the batches that hold no blocked record and leave
//! the others out, saying why; and the merge store answers which batch files the current version
//! already holds (so the console lists only pending ones). Not here: planning one set of batches
//! (see `plan`) or writing it (see `merge::apply`).

use std::path::PathBuf;

use serde::Serialize;

use super::MergeError;
use super::manifest::{HistoryEntry, ManifestBatch};
use super::plan::{MergeOptions, MergePlan, plan};
use super::report::BlockedRecord;
use crate::pipeline::data_dir::DataDir;

/// A batch file a merge left out, and the records that kept it out.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LeftOut {
    pub path: PathBuf,
    pub blocked: Vec<BlockedRecord>,
}

/// The plan of the batches that can be merged, and those left out for their flagged records.
#[derive(Debug, Clone, Serialize)]
pub struct CleanPlan {
    pub plan: MergePlan,
    pub left_out: Vec<LeftOut>,
}

/// Plans `batches`, leaving out every file that holds a record the merge would block, so that
/// one sample-data batch does not hold every other batch back. With `allow_flagged` nothing is
/// blocked, so nothing is left out.
pub fn plan_skipping_flagged(
    data_dir: &DataDir,
    batches: &[PathBuf],
    options: &MergeOptions,
) -> Result<CleanPlan, MergeError> {
    let full = plan(data_dir, batches, options)?;
    if full.blocked.is_empty() {
        return Ok(CleanPlan {
            plan: full,
            left_out: Vec::new(),
        });
    }
    let mut left_out: Vec<LeftOut> = Vec::new();
    for b in &full.blocked {
        match left_out.iter_mut().find(|l| l.path == b.path) {
            Some(l) => l.blocked.push(b.clone()),
            None => left_out.push(LeftOut {
                path: b.path.clone(),
                blocked: vec![b.clone()],
            }),
        }
    }
    let clean: Vec<PathBuf> = batches
        .iter()
        .filter(|f| !left_out.iter().any(|l| &l.path == *f))
        .cloned()
        .collect();
    let plan = plan(data_dir, &clean, options)?;
    Ok(CleanPlan { plan, left_out })
}

/// The batch files whose records the current version holds, each with the records it held when
/// merged: a merge adds its batches to those of its base version, a rollback returns to the set
/// of the version it restored.
pub fn merged_batches(data_dir: &DataDir) -> Result<Vec<ManifestBatch>, MergeError> {
    let status = super::status(data_dir)?;
    Ok(status
        .current
        .map(|m| merged_paths(&m.history))
        .unwrap_or_default())
}

fn merged_paths(history: &[HistoryEntry]) -> Vec<ManifestBatch> {
    let mut by_version: std::collections::HashMap<u64, Vec<ManifestBatch>> = Default::default();
    let mut current = Vec::new();
    for entry in history {
        let (version, set) = match entry {
            HistoryEntry::Merge(m) => {
                let mut set = m
                    .base_version
                    .and_then(|b| by_version.get(&b).cloned())
                    .unwrap_or_default();
                set.extend(m.batches.iter().cloned());
                (m.version, set)
            }
            HistoryEntry::Rollback(r) => (
                r.version,
                by_version
                    .get(&r.restored_version)
                    .cloned()
                    .unwrap_or_default(),
            ),
        };
        current = set.clone();
        by_version.insert(version, set);
    }
    current
}
