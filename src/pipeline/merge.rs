//! Merging batch files into the stored dataset (`DIR/latest/latest.jsonl` + `manifest.json`)
//! and rolling a merge back, atomically and crash-safe. Planning and applying are separate steps
//! so that the console can show a plan before anything is written. Nothing here prints.

mod appended;
mod batch;
mod delta;
mod key_hash;
mod keys;
pub mod manifest;
pub mod plan;
mod policy;
mod report;
pub(crate) mod resolve;
pub(crate) mod store;
mod stored_rows;
mod write;

use std::io::BufRead;
use std::path::{Path, PathBuf};

use chrono::Utc;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::dataset::{AtomicFile, DatasetError, format_time};
use crate::pipeline::data_dir::DataDir;
use appended::Appended;
pub use delta::VersionDelta;
pub(crate) use keys::{fold_aliases, fold_handle, joins_id_owner};
pub use manifest::ExternalEdit;
use manifest::{
    FlaggedOverride, HistoryEntry, Manifest, ManifestBatch, MergeEntry, RollbackEntry, operator,
    uniform_score_version,
};
pub use plan::{MergeOptions, MergePlan, plan};
pub use policy::{CleanPlan, LeftOut, merged_batches, plan_skipping_flagged};
pub use report::BlockedRecord;
use store::{DATA_FILE, MANIFEST_FILE, Store, StoreError};
use write::{Base, RowEdit, write_version};

/// A version's directory name in a message, or what stands for none.
fn version_words(name: &Option<String>) -> String {
    name.clone()
        .unwrap_or_else(|| "an empty data directory".to_string())
}

/// Why a merge, rollback or status could not be carried out.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Manifest(#[from] manifest::ManifestError),
    #[error("the stored dataset {path} cannot be read ({reason}); nothing was changed")]
    StoredUnreadable { path: PathBuf, reason: String },
    #[error("{0}")]
    Write(#[from] DatasetError),
    #[error("{count} input problem(s), first: {first}; nothing was written")]
    Unreadable { count: usize, first: String },
    #[error(
        "{count} record(s) are placeholder-flagged or schema-invalid; nothing was written (--allow-flagged merges them anyway)"
    )]
    Blocked { count: usize },
    #[error(
        "the dataset changed since the plan was made (planned on {}, now {}); plan again",
        version_words(planned),
        version_words(current)
    )]
    Stale {
        planned: Option<String>,
        current: Option<String>,
    },
    #[error(
        "the batch {path} changed since the plan was made ({what}); nothing was written, plan again"
    )]
    BatchChanged { path: PathBuf, what: String },
    #[error(transparent)]
    Answers(#[from] crate::pipeline::custody::AnswersError),
    #[error(
        "{words}; nothing was written (--accept-external-edit builds on it, recording both sha256)"
    )]
    ExternalEdit { words: String },
    #[error("nothing to roll back in {dir}: {why}")]
    NothingToRollBack { dir: PathBuf, why: String },
    #[error("{path} does not match its manifest (sha256 {found}, manifest says {expected})")]
    Corrupt {
        path: PathBuf,
        expected: String,
        found: String,
    },
}

/// What `apply` did.
#[derive(Debug, Clone, Serialize)]
pub struct MergeOutcome {
    /// False when the plan changed nothing: no new version was written.
    pub written: bool,
    pub version: u64,
    pub sha256: String,
    pub count: u64,
    pub path: PathBuf,
    /// The records the new version did not copy from its base, for the history; `None` when
    /// there was no base, or when the base was changed outside influx (its rows may then not be
    /// the ones the history recorded for it).
    #[serde(skip)]
    pub delta: Option<VersionDelta>,
}

/// What `rollback` did.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct RollbackOutcome {
    pub version: u64,
    pub from_version: u64,
    pub restored_version: u64,
    pub sha256: String,
    pub count: u64,
}

/// The stored dataset as the console shows it.
#[derive(Debug, Clone, Serialize)]
pub struct DatasetStatus {
    pub data_dir: PathBuf,
    /// None when nothing was ever merged into this directory.
    pub current: Option<Manifest>,
    /// The version `rollback` would restore, if it is still stored.
    pub rollback_available: Option<u64>,
}

/// The current version, its count and history.
pub fn status(data_dir: &DataDir) -> Result<DatasetStatus, MergeError> {
    let store = Store::new(data_dir);
    let current = store.current()?;
    let rollback_available = match current.as_ref().and_then(|c| c.manifest.rollback_to) {
        Some(v) => store.find_version(v)?.map(|_| v),
        None => None,
    };
    Ok(DatasetStatus {
        data_dir: data_dir.root().to_path_buf(),
        current: current.map(|c| c.manifest),
        rollback_available,
    })
}

/// Carries out a plan: writes the new version beside the old one and switches `DIR/latest` to
/// it in one rename. Refuses a plan with unreadable input, with blocked records (unless it was
/// made with `allow_flagged`), or made against a version that is no longer current.
pub fn apply(data_dir: &DataDir, plan: &MergePlan) -> Result<MergeOutcome, MergeError> {
    if let Some(first) = plan.unreadable.first() {
        let at = first.line.map(|l| format!(":{l}")).unwrap_or_default();
        return Err(MergeError::Unreadable {
            count: plan.unreadable.len(),
            first: format!("{}{at}: {}", first.path.display(), first.reason),
        });
    }
    if let (Some(edit), false) = (&plan.external_edit, plan.accept_external_edit) {
        return Err(MergeError::ExternalEdit {
            words: edit.words(),
        });
    }
    if !plan.can_apply() {
        return Err(MergeError::Blocked {
            count: plan.blocked.len(),
        });
    }
    let store = Store::new(data_dir);
    let lock = store.lock()?;
    let current = store.current()?;
    let current_name = current.as_ref().map(|c| c.name.clone());
    if current_name != plan.edits.base_name {
        return Err(MergeError::Stale {
            planned: plan.edits.base_name.clone(),
            current: current_name,
        });
    }
    store.remove_leftovers(&lock)?;
    if let (true, Some(cur)) = (plan.changes_nothing(), &current) {
        return Ok(MergeOutcome {
            written: false,
            version: cur.manifest.version,
            sha256: cur.manifest.sha256.clone(),
            count: cur.manifest.count,
            path: cur.data_file(),
            delta: None,
        });
    }

    // Batch rows are read again while writing: a batch changed since the plan is refused
    // before anything is staged, and checked again once the new file is written.
    let opened = plan.edits.batch.open_unchanged()?;
    let version = store.next_version(current.as_ref())?;
    let staging = store.stage(&lock)?;
    let (sha256, count) = write_merged(&staging.dir.join(DATA_FILE), plan, &opened)?;
    plan.edits.batch.still_unchanged(&opened)?;
    if count != plan.count_after {
        return Err(MergeError::StoredUnreadable {
            path: plan.edits.base_file.clone().unwrap_or_default(),
            reason: format!(
                "wrote {count} records where the plan expected {}",
                plan.count_after
            ),
        });
    }
    let now = format_time(Utc::now());
    let by = operator();
    let mut history = current
        .as_ref()
        .map(|c| c.manifest.history.clone())
        .unwrap_or_default();
    history.push(HistoryEntry::Merge(MergeEntry {
        version,
        timestamp: now.clone(),
        by: by.clone(),
        base_version: plan.base_version,
        batches: plan
            .batches
            .iter()
            .map(|b| ManifestBatch {
                path: b.path.clone(),
                records: b.records as u64,
            })
            .collect(),
        added: plan.added.len() as u64,
        updated: plan.updated.len() as u64,
        unchanged: plan.unchanged as u64,
        collapsed: plan.collapsed.len() as u64,
        conflicts: plan.conflicts.len() as u64,
        count,
        flagged_override: (!plan.blocked.is_empty()).then(|| FlaggedOverride {
            by: by.clone(),
            timestamp: now.clone(),
            records: plan.blocked.len() as u64,
        }),
        external_edit: plan.external_edit.clone(),
    }));
    let manifest = Manifest {
        version,
        sha256: sha256.clone(),
        count,
        score_version: uniform_score_version(
            plan.score_versions.iter().map(|(v, n)| (v.as_deref(), *n)),
        ),
        timestamp: now,
        rollback_to: plan.base_version,
        history,
    };
    store::write_file(
        &staging.dir,
        MANIFEST_FILE,
        manifest.to_pretty_json().as_bytes(),
    )?;
    let final_dir = store.publish(&lock, staging, version)?;
    store.prune(&lock, &[version, plan.base_version.unwrap_or(version)])?;
    let delta = match (&current, &plan.external_edit) {
        (Some(base), None) => Some(VersionDelta::of_edits(
            (base.manifest.version, base.manifest.sha256.clone()),
            plan.edits.spans.len(),
            &plan.edits.replace,
            &plan.edits.drop,
        )),
        _ => None,
    };
    Ok(MergeOutcome {
        written: true,
        version,
        sha256,
        count,
        path: final_dir.join(DATA_FILE),
        delta,
    })
}

/// Writes the plan's result into `target` (inside the hidden staging directory, so no
/// temporary name is needed); returns its sha256 and count. `opened` are the plan's batch
/// files, for the new authors written from their rows.
fn write_merged(
    target: &Path,
    plan: &MergePlan,
    opened: &[Option<std::fs::File>],
) -> Result<(String, u64), MergeError> {
    let mut edits: Vec<(u32, RowEdit<'_>)> = plan
        .edits
        .replace
        .iter()
        .map(|(row, record)| (*row, RowEdit::Replace(record)))
        .chain(plan.edits.drop.iter().map(|row| (*row, RowEdit::Drop)))
        .collect();
    edits.sort_unstable_by_key(|(row, _)| *row);
    let base = plan.edits.base_file.as_deref().map(|path| Base {
        path,
        spans: &plan.edits.spans,
    });
    let appended = Appended::new(&plan.edits.append, &plan.edits.batch, opened);
    write_version(target, base, &edits, appended)
}

/// Restores the version that was current before the last merge (or rollback), as a new version
/// whose history records the rollback.
pub(crate) fn rollback(data_dir: &DataDir) -> Result<RollbackOutcome, MergeError> {
    let store = Store::new(data_dir);
    let lock = store.lock()?;
    let nothing = |why: &str| MergeError::NothingToRollBack {
        dir: data_dir.root().to_path_buf(),
        why: why.to_string(),
    };
    let current = store
        .current()?
        .ok_or_else(|| nothing("no dataset stored yet"))?;
    let target = current
        .manifest
        .rollback_to
        .ok_or_else(|| nothing("the current version has no earlier one"))?;
    let target_dir = store
        .find_version(target)?
        .ok_or_else(|| nothing(&format!("version {target} is no longer stored")))?;
    let target_manifest = Manifest::read(&target_dir.join(MANIFEST_FILE))?;
    let target_file = target_dir.join(DATA_FILE);
    let found = sha256_of(&target_file)?;
    if found != target_manifest.sha256 {
        return Err(MergeError::Corrupt {
            path: target_file,
            expected: target_manifest.sha256,
            found,
        });
    }
    store.remove_leftovers(&lock)?;

    let version = store.next_version(Some(&current))?;
    let staging = store.stage(&lock)?;
    let staged_file = staging.dir.join(DATA_FILE);
    // Versions are never modified once named, so the restored one can share the file.
    if std::fs::hard_link(&target_file, &staged_file).is_err() {
        let mut out = AtomicFile::create(&staged_file)?;
        let mut input = std::fs::File::open(&target_file).map_err(|source| DatasetError::Read {
            path: target_file.clone(),
            source,
        })?;
        std::io::copy(&mut input, out.writer()).map_err(|source| DatasetError::Write {
            path: staged_file.clone(),
            source,
        })?;
        out.commit()?;
    }
    let mut history = current.manifest.history.clone();
    let now = format_time(Utc::now());
    history.push(HistoryEntry::Rollback(RollbackEntry {
        version,
        timestamp: now.clone(),
        by: operator(),
        from_version: current.manifest.version,
        restored_version: target,
        sha256: target_manifest.sha256.clone(),
    }));
    let manifest = Manifest {
        version,
        sha256: target_manifest.sha256.clone(),
        count: target_manifest.count,
        score_version: target_manifest.score_version.clone(),
        timestamp: now,
        rollback_to: target_manifest.rollback_to,
        history,
    };
    store::write_file(
        &staging.dir,
        MANIFEST_FILE,
        manifest.to_pretty_json().as_bytes(),
    )?;
    store.publish(&lock, staging, version)?;
    let mut protect = vec![version, target];
    protect.extend(target_manifest.rollback_to);
    store.prune(&lock, &protect)?;
    Ok(RollbackOutcome {
        version,
        from_version: current.manifest.version,
        restored_version: target,
        sha256: target_manifest.sha256,
        count: target_manifest.count,
    })
}

/// Every version the store still holds, oldest first: its number, its manifest's sha256 and
/// its data file. The history records from these what a crash kept it from recording.
pub fn stored_versions(data_dir: &DataDir) -> Result<Vec<(u64, String, PathBuf)>, MergeError> {
    let store = Store::new(data_dir);
    let mut out = Vec::new();
    for (version, dir) in store.version_dirs()? {
        let manifest = Manifest::read(&dir.join(MANIFEST_FILE))?;
        out.push((version, manifest.sha256, dir.join(DATA_FILE)));
    }
    Ok(out)
}

/// Whether the stored `latest.jsonl` is still what its manifest says: `None` when it is (or
/// nothing is stored yet), the edit otherwise. Reads the whole file (a merge learns the same
/// in its own scan of it, see `plan`).
pub(crate) fn external_edit(data_dir: &DataDir) -> Result<Option<ExternalEdit>, MergeError> {
    let Some(cur) = Store::new(data_dir).current()? else {
        return Ok(None);
    };
    let sha256 = sha256_of(&cur.data_file())?;
    Ok(ExternalEdit::of(&cur.manifest, sha256))
}

/// Stores `file` exactly as it is (duplicates and all) as version 1 of an empty data
/// directory, so that the first real merge, which collapses duplicates, can be rolled back to
/// it. The demo imports the old pipeline's dataset this way.
pub(crate) fn import_verbatim(data_dir: &DataDir, file: &Path) -> Result<MergeOutcome, MergeError> {
    let store = Store::new(data_dir);
    let lock = store.lock()?;
    let staging = store.stage(&lock)?;
    let text = std::fs::read(file).map_err(|source| DatasetError::Read {
        path: file.to_path_buf(),
        source,
    })?;
    store::write_file(&staging.dir, DATA_FILE, &text)?;
    let count = crate::dataset::read_dataset(file)?.records.len() as u64;
    let sha256 = sha256_of(file)?;
    let manifest = Manifest {
        version: 1,
        sha256: sha256.clone(),
        count,
        score_version: None,
        timestamp: format_time(Utc::now()),
        rollback_to: None,
        history: Vec::new(),
    };
    store::write_file(
        &staging.dir,
        MANIFEST_FILE,
        manifest.to_pretty_json().as_bytes(),
    )?;
    let final_dir = store.publish(&lock, staging, 1)?;
    Ok(MergeOutcome {
        written: true,
        version: 1,
        sha256,
        count,
        path: final_dir.join(DATA_FILE),
        delta: None,
    })
}

/// sha256 of a file, lowercase hex.
pub fn sha256_of(path: &Path) -> Result<String, MergeError> {
    let read = |source| DatasetError::Read {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(read)?;
    let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
    let mut hasher = Sha256::new();
    loop {
        let buf = reader.fill_buf().map_err(read)?;
        if buf.is_empty() {
            break;
        }
        hasher.update(buf);
        let n = buf.len();
        reader.consume(n);
    }
    Ok(crate::digest::to_hex(&hasher.finalize()))
}
