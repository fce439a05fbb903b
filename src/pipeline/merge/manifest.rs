//! `manifest.json`: what one stored dataset version holds (sha256, count, score version) and the
//! history of merges and rollbacks that led to it. Not here: writing it atomically (see `store`).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The manifest written beside every `latest.jsonl` version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Sequence number of this version (its directory name starts with it).
    pub version: u64,
    /// sha256 of `latest.jsonl`, lowercase hex.
    pub sha256: String,
    /// Records (lines) in `latest.jsonl`.
    pub count: u64,
    /// `meta.score_version` when every record carries the same one, `"mixed"` when they differ,
    /// null when no record carries one.
    pub score_version: Option<String>,
    pub timestamp: String,
    /// The version that was current before this one was made: what `influx rollback` restores.
    pub rollback_to: Option<u64>,
    /// Every merge and rollback, oldest first.
    pub history: Vec<HistoryEntry>,
}

/// One step in a dataset's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum HistoryEntry {
    Merge(MergeEntry),
    Rollback(RollbackEntry),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MergeEntry {
    pub version: u64,
    pub timestamp: String,
    pub by: String,
    /// The version merged into; null for the first merge.
    pub base_version: Option<u64>,
    pub batches: Vec<ManifestBatch>,
    pub added: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Duplicate rows of the existing dataset folded into one record each.
    pub collapsed: u64,
    pub conflicts: u64,
    pub count: u64,
    /// Present when the operator merged flagged records with `--allow-flagged`.
    pub flagged_override: Option<FlaggedOverride>,
    /// Present when the merge built on a `latest.jsonl` changed outside influx
    /// (`--accept-external-edit`): what the manifest said and what the file was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_edit: Option<ExternalEdit>,
}

/// A stored `latest.jsonl` that no longer hashes as its manifest says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExternalEdit {
    pub version: u64,
    pub manifest_sha256: String,
    pub file_sha256: String,
}

impl ExternalEdit {
    /// `None` when the file's sha256 is the manifest's.
    pub(crate) fn of(manifest: &Manifest, file_sha256: String) -> Option<ExternalEdit> {
        (manifest.sha256 != file_sha256).then(|| ExternalEdit {
            version: manifest.version,
            manifest_sha256: manifest.sha256.clone(),
            file_sha256,
        })
    }

    /// Said plainly, for every front end.
    pub(crate) fn words(&self) -> String {
        format!(
            "latest.jsonl was changed outside influx since version {}: sha256 {} (the manifest says {})",
            self.version, self.file_sha256, self.manifest_sha256
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestBatch {
    pub path: PathBuf,
    pub records: u64,
}

/// Who let flagged records in, when, and how many.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlaggedOverride {
    pub by: String,
    pub timestamp: String,
    pub records: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RollbackEntry {
    pub version: u64,
    pub timestamp: String,
    pub by: String,
    /// The version that was current when the rollback ran.
    pub from_version: u64,
    /// The version whose content was restored.
    pub restored_version: u64,
    pub sha256: String,
}

/// Why a manifest could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a valid manifest: {source}")]
    Invalid {
        path: PathBuf,
        source: serde_json::Error,
    },
}

impl Manifest {
    pub fn read(path: &Path) -> Result<Manifest, ManifestError> {
        let text = std::fs::read(path).map_err(|source| ManifestError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        serde_json::from_slice(&text).map_err(|source| ManifestError::Invalid {
            path: path.to_path_buf(),
            source,
        })
    }

    pub(crate) fn to_pretty_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a manifest always serialises")
    }
}

/// The operator, for the history: `$USER`, else `$LOGNAME`, else "unknown".
pub(crate) fn operator() -> String {
    ["USER", "LOGNAME"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
        .unwrap_or_else(|| "unknown".to_string())
}

/// The score version of a whole dataset from counts of each record's `meta.score_version`.
pub(crate) fn uniform_score_version<'a>(
    versions: impl IntoIterator<Item = (Option<&'a str>, u64)>,
) -> Option<String> {
    let mut seen: Option<Option<&str>> = None;
    for (v, n) in versions {
        if n == 0 {
            continue;
        }
        match seen {
            None => seen = Some(v),
            Some(prev) if prev == v => {}
            Some(_) => return Some("mixed".to_string()),
        }
    }
    seen.flatten().map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn score_version_is_the_shared_one_mixed_when_they_differ_and_null_when_none() {
        assert_eq!(
            uniform_score_version([(Some("m2-1"), 3)]),
            Some("m2-1".into())
        );
        assert_eq!(
            uniform_score_version([(Some("m2-1"), 3), (None, 1)]),
            Some("mixed".into())
        );
        assert_eq!(uniform_score_version([(None, 5)]), None);
        assert_eq!(uniform_score_version([]), None);
        assert_eq!(
            uniform_score_version([(Some("a"), 0), (Some("b"), 2)]),
            Some("b".into())
        );
    }
}
