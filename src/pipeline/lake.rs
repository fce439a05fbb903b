//! The history for engines beyond one machine (`influx history export`): the snapshots of
//! `DIR/history.sqlite` as Hive-partitioned Parquet, `LAKE/snapshots/week=YYYY-Www/part-0.parquet`
//! (ISO weeks, UTC), and the authors at `LAKE/authors/part-0.parquet`, which DuckDB, Spark or
//! Trino read as one table. Incremental: `LAKE/_influx_manifest.json` lists every file with its
//! rows and sha256, so a week already exported and unchanged is not written again, and a week
//! that gained snapshots is written whole under a temporary name and renamed over the old file.
//! Not here: the history itself (`history`), the Parquet settings (`parquet`).

mod authors;
mod manifest;
mod snapshots;
mod weeks;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rayon::prelude::*;
use rusqlite::{Connection, OpenFlags};
use serde::Serialize;

pub(crate) use manifest::{LAKE_MANIFEST, LakeFile, LakeManifest};
use weeks::HistoryWeek;
pub(crate) use weeks::IsoWeek;

use crate::dataset::AtomicFile;
use crate::pipeline::parquet::ParquetError;

/// Why the lake could not be written.
#[derive(Debug, thiserror::Error)]
pub enum LakeError {
    #[error("the history {path} cannot be read: {source}")]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error(transparent)]
    Parquet(#[from] ParquetError),
    #[error("cannot write {path}: {reason}")]
    Write { path: PathBuf, reason: String },
    #[error("{path} is not a lake manifest influx can read: {reason}")]
    Manifest { path: PathBuf, reason: String },
}

/// What one export did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LakeOutcome {
    /// Weeks written (new, or changed since the last export), oldest first.
    pub weeks_written: Vec<String>,
    /// Weeks already in the lake and unchanged: not written again.
    pub weeks_unchanged: usize,
    /// Snapshots in the weeks written.
    pub snapshots_written: u64,
    /// Bytes of the files written.
    pub bytes_written: u64,
    /// Whether the authors table was written (it changes with every snapshot added).
    pub authors_written: bool,
}

/// A read-only connection to the history; each worker opens its own (WAL: readers never wait).
pub(crate) fn open_read_only(path: &Path) -> Result<Connection, LakeError> {
    Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(sqlite_err(path))
}

pub(crate) fn sqlite_err(path: &Path) -> impl Fn(rusqlite::Error) -> LakeError + '_ {
    move |source| LakeError::Sqlite {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes `bytes` to `lake/rel`: a temporary name, then renamed over the file, so a reader sees
/// the old week or the new one.
fn write_file(lake: &Path, rel: &str, bytes: &[u8]) -> Result<(), LakeError> {
    let path = lake.join(rel);
    let write_err = |reason: String| LakeError::Write {
        path: path.clone(),
        reason,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| write_err(e.to_string()))?;
    }
    AtomicFile::write_bytes(&path, bytes).map_err(|e| write_err(e.to_string()))
}

/// What became of one week the lake might lack or hold out of date.
enum WeekExport {
    Written(IsoWeek, LakeFile),
    /// The lake's file holds every snapshot the history has for the week.
    Unchanged(IsoWeek),
    /// The history holds no snapshot in the week (the other half of a bucket).
    Empty,
}

/// Counts `week`'s snapshots when the lake has a file for it (snapshots are only ever added,
/// never changed in place: the same count is the same week), and writes the week when the lake
/// lacks it or its file has fewer.
fn export_week(
    history: &Path,
    lake: &Path,
    week: &IsoWeek,
    known: Option<&LakeFile>,
) -> Result<WeekExport, LakeError> {
    if let Some(file) = known {
        let conn = open_read_only(history)?;
        if snapshots::count(&conn, history, week)? == file.rows {
            return Ok(WeekExport::Unchanged(*week));
        }
    }
    let (bytes, rows) = snapshots::week_parquet(history, week)?;
    if rows == 0 {
        return Ok(WeekExport::Empty);
    }
    write_file(lake, &week.file(), &bytes)?;
    Ok(WeekExport::Written(*week, LakeFile::of(&bytes, rows)))
}

/// Exports the snapshots of the history file `history` (weeks ending after `since`, every week
/// when None) and its authors into `lake`, writing only what changed since the last export.
/// The history must have been opened by this build (its schema migrated): see
/// [`crate::pipeline::history::History::open`].
pub fn export_history(
    history: &Path,
    lake: &Path,
    since: Option<DateTime<Utc>>,
) -> Result<LakeOutcome, LakeError> {
    let manifest_path = lake.join(LAKE_MANIFEST);
    let mut manifest = LakeManifest::read(&manifest_path)?;
    let conn = open_read_only(history)?;
    let generation: i64 = conn
        .query_row("SELECT n FROM generation", [], |r| r.get(0))
        .map_err(sqlite_err(history))?;
    // The history counts the transactions that added snapshots (its generation).
    let unchanged_history = manifest.generation == Some(generation);
    let weeks = weeks::weeks_in(&conn, history, since)?;
    drop(conn);
    // A week the lake holds is unchanged, without a look at its snapshots, when nothing was
    // added to its buckets since its file was last found whole (a lake written before files
    // kept that: when nothing was added to the history since the last export). Any other week
    // is counted, or written when the lake lacks it.
    let (known, to_look_at): (Vec<HistoryWeek>, Vec<HistoryWeek>) =
        weeks.into_iter().partition(|w| {
            manifest
                .files
                .get(&w.week.file())
                .is_some_and(|f| match f.generation {
                    Some(checked) => w.changed_at.is_some_and(|added| added <= checked),
                    None => unchanged_history,
                })
        });
    let looked_at: Vec<WeekExport> = to_look_at
        .into_par_iter()
        .map(|w| export_week(history, lake, &w.week, manifest.files.get(&w.week.file())))
        .collect::<Result<_, LakeError>>()?;
    let mut outcome = LakeOutcome {
        weeks_unchanged: known.len(),
        ..LakeOutcome::default()
    };
    let mut checked = Vec::new();
    for export in looked_at {
        match export {
            WeekExport::Written(week, file) => {
                outcome.weeks_written.push(week.label());
                outcome.snapshots_written += file.rows;
                outcome.bytes_written += file.bytes;
                manifest.files.insert(week.file(), file);
                checked.push(week);
            }
            WeekExport::Unchanged(week) => {
                outcome.weeks_unchanged += 1;
                checked.push(week);
            }
            WeekExport::Empty => {}
        }
    }
    for week in known.iter().map(|w| w.week).chain(checked) {
        if let Some(file) = manifest.files.get_mut(&week.file()) {
            file.generation = Some(generation);
        }
    }
    if !unchanged_history || !manifest.files.contains_key(authors::FILE) {
        let (bytes, rows) = authors::authors_parquet(history)?;
        let file = LakeFile::of(&bytes, rows);
        if manifest.files.get(authors::FILE) != Some(&file) {
            write_file(lake, authors::FILE, &bytes)?;
            outcome.authors_written = true;
            outcome.bytes_written += file.bytes;
            manifest.files.insert(authors::FILE.to_string(), file);
        }
    }
    manifest.generation = Some(generation);
    write_file(lake, LAKE_MANIFEST, manifest.to_pretty_json().as_bytes())?;
    Ok(outcome)
}
