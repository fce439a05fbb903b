//! `manifest.json` of a release: what it was made from (the dataset version and its sha256, the
//! schema, score model and admission rules versions), what it holds (each file's name, bytes and
//! sha256, the authors), what it left out (counts per exclusion reason) and when it was made. The
//! only file of a release that changes with the time it was made: the data files do not.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::ReleaseError;

pub(crate) const MANIFEST_FILE: &str = "manifest.json";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ReleaseManifest {
    /// The release's number (its directory's name).
    pub release: u64,
    pub dataset_version: u64,
    pub dataset_sha256: String,
    /// Authors in the release: lines of the JSONL, rows of the Parquet.
    pub count: u64,
    pub files: Vec<ReleaseFile>,
    pub schema_version: String,
    /// The M2 model's version the records were scored with (`mixed` when they differ).
    pub score_version: Option<String>,
    /// The admission rules in force (`version` of the rules file).
    pub rules_version: String,
    pub excluded: Exclusions,
    /// Gates the operator relaxed for this release (`--allow`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed: Vec<String>,
    pub generated_at: String,
}

/// One data file of a release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ReleaseFile {
    pub name: String,
    pub bytes: u64,
    pub sha256: String,
}

/// The records of the version a release left out, and why.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Exclusions {
    pub total: u64,
    /// By `meta.admission.decision` (`excluded`, `review`).
    pub by_decision: BTreeMap<String, u64>,
    /// By rule that fired (`below_threshold`, `org`, ...; `operator` for an operator's word); a
    /// record counts once under each of its reasons.
    pub by_reason: BTreeMap<String, u64>,
    /// Rows beyond a handle's first (the release holds one row per author).
    pub duplicate_rows: u64,
}

impl ReleaseManifest {
    pub(crate) fn read(path: &Path) -> Result<ReleaseManifest, ReleaseError> {
        let text = std::fs::read(path).map_err(|e| ReleaseError::Io {
            action: "cannot read",
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        serde_json::from_slice(&text).map_err(|e| ReleaseError::Io {
            action: "cannot read the manifest",
            path: path.to_path_buf(),
            reason: e.to_string(),
        })
    }

    pub(crate) fn to_pretty_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a release manifest always serialises")
    }

    /// Whether `other` holds the same data, made the same way (the time and number aside).
    pub(crate) fn same_data(&self, other: &ReleaseManifest) -> bool {
        self.dataset_sha256 == other.dataset_sha256
            && self.files == other.files
            && self.rules_version == other.rules_version
    }
}
