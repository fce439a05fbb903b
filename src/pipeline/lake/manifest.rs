//! `LAKE/_influx_manifest.json`: every file of the lake with its rows, bytes and sha256, and the
//! history's generation it was exported at (what lets the next export skip the weeks it has).

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::LakeError;

pub(crate) const LAKE_MANIFEST: &str = "_influx_manifest.json";

/// One file of the lake.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct LakeFile {
    pub rows: u64,
    pub bytes: u64,
    pub sha256: String,
    /// A week's: the history's generation at which the file was last found to hold every
    /// snapshot of its week (absent in lakes written before it was kept: such a week is counted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generation: Option<i64>,
}

impl LakeFile {
    pub(crate) fn of(bytes: &[u8], rows: u64) -> LakeFile {
        LakeFile {
            rows,
            bytes: bytes.len() as u64,
            sha256: crate::digest::sha256_hex(bytes),
            generation: None,
        }
    }
}

/// The lake's manifest; an absent file is an empty lake.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct LakeManifest {
    /// The history's `generation` (transactions that added snapshots) when last exported.
    pub generation: Option<i64>,
    /// Each file by its path inside the lake.
    pub files: BTreeMap<String, LakeFile>,
}

impl LakeManifest {
    pub(crate) fn read(path: &Path) -> Result<LakeManifest, LakeError> {
        let text = match std::fs::read(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(LakeManifest::default());
            }
            Err(e) => {
                return Err(LakeError::Manifest {
                    path: path.to_path_buf(),
                    reason: e.to_string(),
                });
            }
        };
        serde_json::from_slice(&text).map_err(|e| LakeError::Manifest {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })
    }

    pub(crate) fn to_pretty_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a lake manifest always serialises")
    }
}
