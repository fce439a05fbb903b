//! `influx release --check DIR`: a release against its manifest: every file present with its
//! size and sha256, the JSONL (plain and gzipped) with `count` lines, the Parquet with `count`
//! rows. DIR is a release directory (`release/`, read through `current`) or one release.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::manifest::{MANIFEST_FILE, ReleaseManifest};
use super::selection::{count_lines, file_sha256};
use super::store::CURRENT;
use super::{GZ_FILE, JSONL_FILE, PARQUET_FILE, ReleaseError};

/// What the check found.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct CheckOutcome {
    pub dir: PathBuf,
    pub release: u64,
    pub count: u64,
    /// Each difference, said plainly; empty when the release is whole.
    pub differences: Vec<String>,
}

impl CheckOutcome {
    pub(crate) fn whole(&self) -> bool {
        self.differences.is_empty()
    }
}

fn parquet_rows(path: &Path) -> Result<u64, String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let reader =
        parquet::file::reader::SerializedFileReader::new(file).map_err(|e| e.to_string())?;
    use parquet::file::reader::FileReader;
    Ok(reader.metadata().file_metadata().num_rows() as u64)
}

pub(crate) fn check_release(dir: &Path) -> Result<CheckOutcome, ReleaseError> {
    let dir = if dir.join(MANIFEST_FILE).exists() {
        dir.to_path_buf()
    } else {
        dir.join(CURRENT)
    };
    let manifest = ReleaseManifest::read(&dir.join(MANIFEST_FILE))?;
    let mut differences = Vec::new();
    for f in &manifest.files {
        let path = dir.join(&f.name);
        match file_sha256(&path) {
            Err(e) => differences.push(e.to_string()),
            Ok((bytes, sha256)) => {
                if bytes != f.bytes {
                    differences.push(format!(
                        "{}: {bytes} bytes, the manifest says {}",
                        f.name, f.bytes
                    ));
                }
                if sha256 != f.sha256 {
                    differences.push(format!(
                        "{}: sha256 {sha256}, the manifest says {}",
                        f.name, f.sha256
                    ));
                }
            }
        }
    }
    for name in [JSONL_FILE, GZ_FILE, PARQUET_FILE] {
        if !manifest.files.iter().any(|f| f.name == name) {
            differences.push(format!("{name}: not listed in the manifest"));
            continue;
        }
        let path = dir.join(name);
        if !path.exists() {
            continue;
        }
        let counted = if name == PARQUET_FILE {
            parquet_rows(&path)
        } else {
            count_lines(&path).map_err(|e| e.to_string())
        };
        match counted {
            Ok(n) if n == manifest.count => {}
            Ok(n) => differences.push(format!(
                "{name}: {n} authors, the manifest says {}",
                manifest.count
            )),
            Err(e) => differences.push(format!("{name}: cannot be read: {e}")),
        }
    }
    Ok(CheckOutcome {
        dir,
        release: manifest.release,
        count: manifest.count,
        differences,
    })
}
