//! Marks on authors the API says are gone: a refresh that is told an account was not found or
//! is suspended writes the stored record again with `meta.status` (`state`, `since`,
//! `checked_at`) into `run/status.jsonl`, merged after the run's records, so the author is kept
//! and not asked again until the back-off passes; an author found again is marked `active`.
//! Also the clean copies of batches whose flagged lines the merge left out.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::census::status_of;
use super::{RefreshError, read_records};
use crate::dataset::{AtomicFile, Record, format_time};
use crate::pipeline::data_dir::DataDir;
use crate::pipeline::harvest::{RECORDS_FILE, Summary};
use crate::pipeline::merge::BlockedRecord;
use crate::pipeline::merge::fold_handle as fold;

pub(super) const STATUS_FILE: &str = "status.jsonl";

/// What was marked.
#[derive(Debug, Default)]
pub(super) struct Marks {
    /// `run/status.jsonl`, when anything was marked.
    pub file: Option<PathBuf>,
    /// Handles marked not found or suspended.
    pub gone: Vec<String>,
}

fn set_status(record: &mut Record, state: &str, since: &str, now: DateTime<Utc>) {
    let fields = record.fields_mut();
    let meta = fields
        .entry("meta")
        .or_insert_with(|| Value::Object(Default::default()));
    if let Value::Object(m) = meta {
        m.insert(
            "status".into(),
            json!({"state": state, "since": since, "checked_at": format_time(now)}),
        );
    }
}

/// Writes the marks of a harvest's answers against the stored dataset.
pub(super) fn write(
    data_dir: &DataDir,
    run_dir: &Path,
    summary: &Summary,
    not_gone: &[String],
    now: DateTime<Utc>,
) -> Result<Marks, RefreshError> {
    let mut gone: HashMap<String, &'static str> = HashMap::new();
    for h in &summary.not_found {
        gone.insert(fold(h), "not_found");
    }
    // Found under their id (renamed, or answered after all), or not yet looked up by id.
    for h in not_gone {
        gone.remove(h);
    }
    for h in &summary.suspended {
        gone.insert(fold(h), "suspended");
    }
    let mut out: Vec<Record> = Vec::new();
    let mut marked = Vec::new();
    // Stored authors marked earlier, which an answer now shows again.
    let mut was_gone: HashSet<String> = HashSet::new();
    let latest = data_dir.latest_file();
    read_records(&latest, |mut r| {
        let Some(key) = r.handle_key() else { return };
        let status = status_of(&r);
        if let Some(&state) = gone.get(&key) {
            // Gone in the same way as before: since then, not since now.
            let since = status
                .filter(|s| s.state == state)
                .and_then(|s| s.since)
                .unwrap_or_else(|| format_time(now));
            set_status(&mut r, state, &since, now);
            marked.push(r.view().handle().unwrap_or(&key).to_string());
            out.push(r);
        } else if status.is_some_and(|s| s.state != "active") {
            was_gone.insert(key);
        }
    })?;
    if !was_gone.is_empty() {
        let since = format_time(now);
        read_records(&run_dir.join(RECORDS_FILE), |mut r| {
            if r.handle_key().is_some_and(|k| was_gone.contains(&k)) {
                set_status(&mut r, "active", &since, now);
                out.push(r);
            }
        })?;
    }
    if out.is_empty() {
        return Ok(Marks::default());
    }
    let path = run_dir.join(STATUS_FILE);
    let mut file = AtomicFile::create(&path).map_err(RefreshError::Dataset)?;
    for r in &out {
        file.write_record(r).map_err(RefreshError::Dataset)?;
    }
    file.commit().map_err(RefreshError::Dataset)?;
    Ok(Marks {
        file: Some(path),
        gone: marked,
    })
}

/// Whether a batch file is a file of marks (or its clean copy) rather than refreshed records.
pub(super) fn is_marks_file(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with("status."))
}

/// The batches with the blocked lines left out: a batch holding any is replaced by a copy
/// beside it (`records.clean.jsonl`, `status.clean.jsonl`) without them; a batch left empty is
/// dropped.
pub(super) fn without_blocked(
    batches: &[PathBuf],
    blocked: &[BlockedRecord],
    run_dir: &Path,
) -> Result<Vec<PathBuf>, RefreshError> {
    let mut out = Vec::new();
    for batch in batches {
        let lines: HashSet<usize> = blocked
            .iter()
            .filter(|b| &b.path == batch)
            .map(|b| b.line)
            .collect();
        if lines.is_empty() {
            out.push(batch.clone());
            continue;
        }
        let text = std::fs::read(batch).map_err(|source| RefreshError::Io {
            path: batch.clone(),
            source,
        })?;
        let mut kept = Vec::with_capacity(text.len());
        let mut any = false;
        for (i, line) in text.split_inclusive(|b| *b == b'\n').enumerate() {
            if !lines.contains(&(i + 1)) {
                any |= !line.trim_ascii().is_empty();
                kept.extend_from_slice(line);
            }
        }
        if !any {
            continue;
        }
        let stem = batch
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_else(|| "batch".into());
        let clean = run_dir.join(format!("{stem}.clean.jsonl"));
        AtomicFile::write_bytes(&clean, &kept).map_err(RefreshError::Dataset)?;
        out.push(clean);
    }
    Ok(out)
}
