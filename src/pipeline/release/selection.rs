//! Which records of a version a release holds: the admitted authors (`meta.admission.decision`
//! absent or `admitted`, as ranks read it), one row per author (a handle's first, as the export
//! reads it), each line copied byte for byte; and the count of every reason the others were
//! left out for.

use std::collections::HashSet;
use std::io::Write;
use std::path::Path;

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::ReleaseError;
use super::manifest::Exclusions;
use crate::dataset::{Lines, parse_line};

/// What selecting wrote.
pub(super) struct Selected {
    /// The handle (or id) of each line written, in order, to name records a gate fails on.
    pub names: Vec<String>,
    pub excluded: Exclusions,
    /// sha256 of the version's file as read.
    pub source_sha256: String,
}

/// Copies the admitted authors of `source` to `out`, one line each.
pub(super) fn select_admitted(
    source: &Path,
    out: &mut dyn Write,
) -> Result<Selected, ReleaseError> {
    let mut names = Vec::new();
    let mut excluded = Exclusions::default();
    let mut seen = HashSet::new();
    let mut hash = Sha256::new();
    let write_err = |e: std::io::Error| ReleaseError::Io {
        action: "cannot write",
        path: source.to_path_buf(),
        reason: e.to_string(),
    };
    for item in crate::dataset::Lines::open(source)? {
        let (n, text) = item?;
        let text = text.map_err(|e| ReleaseError::Unreadable {
            path: source.to_path_buf(),
            reason: e.to_string(),
        })?;
        let record = parse_line(n, &text).map_err(|e| ReleaseError::Unreadable {
            path: source.to_path_buf(),
            reason: e.to_string(),
        })?;
        let admission = record.meta().and_then(|m| m.get("admission"));
        let decision = admission
            .and_then(|a| a.get("decision"))
            .and_then(Value::as_str);
        if let Some(d) = decision.filter(|d| *d != "admitted") {
            excluded.total += 1;
            *excluded.by_decision.entry(d.to_string()).or_default() += 1;
            let by_operator =
                admission.and_then(|a| a.get("decided_by")) == Some(&"operator".into());
            let rules = admission
                .and_then(|a| a.get("reasons"))
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|r| r.get("rule").and_then(Value::as_str));
            let reasons: Vec<&str> = if by_operator {
                vec!["operator"]
            } else {
                rules.collect()
            };
            for r in reasons {
                *excluded.by_reason.entry(r.to_string()).or_default() += 1;
            }
            continue;
        }
        if let Some(key) = record.handle_key()
            && !seen.insert(key)
        {
            excluded.duplicate_rows += 1;
            continue;
        }
        out.write_all(text.as_bytes()).map_err(write_err)?;
        out.write_all(b"\n").map_err(write_err)?;
        names.push(
            record
                .handle()
                .or(record.id())
                .map_or_else(|| format!("line {n}"), str::to_string),
        );
    }
    // The version's own bytes, hashed apart from the lines (blank lines and line ends included):
    // the manifest's sha256 is of the file.
    let mut reader = crate::dataset::open_reader(source)?;
    std::io::copy(&mut reader, &mut HashWriter(&mut hash)).map_err(|e| ReleaseError::Io {
        action: "cannot read",
        path: source.to_path_buf(),
        reason: e.to_string(),
    })?;
    Ok(Selected {
        names,
        excluded,
        source_sha256: crate::digest::to_hex(&hash.finalize()),
    })
}

/// sha256 of a file, read in blocks.
pub(super) fn file_sha256(path: &Path) -> Result<(u64, String), ReleaseError> {
    let mut hash = Sha256::new();
    let mut file = std::fs::File::open(path).map_err(|e| ReleaseError::Io {
        action: "cannot open",
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    let bytes =
        std::io::copy(&mut file, &mut HashWriter(&mut hash)).map_err(|e| ReleaseError::Io {
            action: "cannot read",
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
    Ok((bytes, crate::digest::to_hex(&hash.finalize())))
}

/// Lines (non-blank) of a JSONL file, plain or gzipped.
pub(super) fn count_lines(path: &Path) -> Result<u64, ReleaseError> {
    let mut n = 0;
    for item in Lines::open(path)? {
        let (_, text) = item?;
        if text.is_ok() {
            n += 1;
        }
    }
    Ok(n)
}

struct HashWriter<'a>(&'a mut Sha256);

impl Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
