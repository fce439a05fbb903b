//! `DIR/history.sqlite`: the snapshots of every merged version, in SQLite (WAL, so that a
//! reader never waits for a merge). The schema is migrated in code, one step per
//! `PRAGMA user_version`. A version is recorded once: its snapshots are inserted, keyed on
//! (author id, fetched_at), so that recording the same version (or an author unchanged since
//! the last one) again adds nothing.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::growth::{GrowthFlag, GrowthRules, analyse};
use super::snapshot::Snapshot;
use crate::dataset::{DatasetError, Lines};
use crate::pipeline::audit::drift::{Distribution, DistributionBuilder};
use crate::pipeline::merge::{self, MergeError};

/// The history's file inside the data directory.
pub const HISTORY_FILE: &str = "history.sqlite";

/// The schema, one migration per step; `PRAGMA user_version` says how many have run.
const MIGRATIONS: &[&str] = &[
    // 1: snapshots and the versions recorded.
    "CREATE TABLE snapshots (
        author_id TEXT NOT NULL,
        handle TEXT,
        fetched_at TEXT NOT NULL,
        fetched_unix_ms INTEGER NOT NULL,
        followers_count INTEGER,
        following_count INTEGER,
        tweet_count INTEGER,
        listed_count INTEGER,
        score REAL,
        score_state TEXT,
        score_version TEXT,
        version INTEGER NOT NULL,
        run TEXT,
        response_line INTEGER,
        PRIMARY KEY (author_id, fetched_at)
    ) WITHOUT ROWID;
    CREATE INDEX snapshots_by_handle ON snapshots (handle COLLATE NOCASE);
    CREATE TABLE recorded_versions (
        version INTEGER PRIMARY KEY,
        sha256 TEXT NOT NULL,
        snapshots_added INTEGER NOT NULL
    );",
    // 2: each recorded version's score distribution (JSON), for drift between versions.
    "CREATE TABLE distributions (
        version INTEGER PRIMARY KEY,
        distribution TEXT NOT NULL
    );",
];

/// Why the history could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("the history {path} cannot be used: {source}")]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error(
        "the history {path} was written by a newer influx (schema {found}, this one knows {known})"
    )]
    Newer {
        path: PathBuf,
        found: i64,
        known: usize,
    },
    #[error(transparent)]
    Dataset(#[from] DatasetError),
    #[error(transparent)]
    Merge(#[from] MergeError),
}

/// What recording one version added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recorded {
    pub version: u64,
    /// Snapshots new to the history (an author unchanged since an earlier version adds none).
    pub added: u64,
    /// Lines that describe no moment (no id, or no time the metrics were fetched).
    pub skipped: u64,
}

/// One author's snapshots, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuthorHistory {
    pub id: String,
    /// The handle of the newest snapshot.
    pub handle: Option<String>,
    pub snapshots: Vec<Snapshot>,
}

/// The open history of one data directory.
pub struct History {
    conn: Connection,
    path: PathBuf,
}

impl History {
    /// Opens (creating and migrating when needed) `DIR/history.sqlite`, and records the versions
    /// the store holds that the history lacks: the repair after a merge stopped between
    /// publishing and recording.
    ///
    /// The first open (no history file yet) also backfills the directory's runs: the answers
    /// harvested before the history existed.
    pub fn open(data_dir: &Path) -> Result<(History, Vec<Recorded>), HistoryError> {
        let path = data_dir.join(HISTORY_FILE);
        let first = !path.exists();
        let mut history = History::open_file(&path)?;
        let mut repaired = Vec::new();
        for (version, sha256, file) in merge::stored_versions(data_dir)? {
            if !history.has_version(version)? {
                repaired.push(history.record_version(version, &sha256, &file)?);
            }
        }
        if first {
            for records in run_records(&data_dir.join("runs")) {
                repaired.push(history.import_file(&records)?);
            }
        }
        Ok((history, repaired))
    }

    /// Opens one history file, migrating its schema to this build's.
    pub fn open_file(path: &Path) -> Result<History, HistoryError> {
        let wrap = |source| HistoryError::Sqlite {
            path: path.to_path_buf(),
            source,
        };
        let mut conn = Connection::open(path).map_err(wrap)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(wrap)?;
        // WAL with NORMAL sync is durable at every checkpoint and never corrupt; a crash may
        // lose the last transaction, which the repair on open records again.
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(wrap)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(wrap)?;
        let found: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(wrap)?;
        if found > MIGRATIONS.len() as i64 {
            return Err(HistoryError::Newer {
                path: path.to_path_buf(),
                found,
                known: MIGRATIONS.len(),
            });
        }
        for (step, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
            let tx = conn.transaction().map_err(wrap)?;
            tx.execute_batch(sql).map_err(wrap)?;
            tx.pragma_update(None, "user_version", (step + 1) as i64)
                .map_err(wrap)?;
            tx.commit().map_err(wrap)?;
        }
        Ok(History {
            conn,
            path: path.to_path_buf(),
        })
    }

    fn sqlite(&self, source: rusqlite::Error) -> HistoryError {
        HistoryError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    pub fn has_version(&self, version: u64) -> Result<bool, HistoryError> {
        self.conn
            .query_row(
                "SELECT 1 FROM recorded_versions WHERE version = ?1",
                [version as i64],
                |_| Ok(()),
            )
            .optional()
            .map(|found| found.is_some())
            .map_err(|e| self.sqlite(e))
    }

    /// Records the snapshots of one published version (`file` is its latest.jsonl), in one
    /// transaction: a version is recorded whole or not at all.
    pub fn record_version(
        &mut self,
        version: u64,
        sha256: &str,
        file: &Path,
    ) -> Result<Recorded, HistoryError> {
        let path = self.path.clone();
        let wrap = |source| HistoryError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(wrap)?;
        let mut distribution = DistributionBuilder::default();
        let recorded = insert_snapshots(&tx, &path, file, version, Some(&mut distribution))?;
        tx.execute(
            "INSERT OR REPLACE INTO recorded_versions (version, sha256, snapshots_added)
             VALUES (?1, ?2, ?3)",
            params![version as i64, sha256, recorded.added as i64],
        )
        .map_err(wrap)?;
        let distribution =
            serde_json::to_string(&distribution.finish()).expect("a distribution is plain data");
        tx.execute(
            "INSERT OR REPLACE INTO distributions (version, distribution) VALUES (?1, ?2)",
            params![version as i64, distribution],
        )
        .map_err(wrap)?;
        tx.commit().map_err(wrap)?;
        Ok(recorded)
    }

    /// Backfills the snapshots of a JSONL file that no version holds (a run's records.jsonl, an
    /// old export), as version 0, in one transaction. Idempotent: a snapshot already held (same
    /// author id and fetched_at) is not added again.
    pub fn import_file(&mut self, file: &Path) -> Result<Recorded, HistoryError> {
        let path = self.path.clone();
        let wrap = |source| HistoryError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(wrap)?;
        let recorded = insert_snapshots(&tx, &path, file, IMPORTED, None)?;
        tx.commit().map_err(wrap)?;
        Ok(recorded)
    }

    /// The snapshots of the author a handle names (case as X treats it: not at all), oldest
    /// first; when the handle was held by more than one id over time, the newest holder's.
    pub fn author(&self, handle: &str) -> Result<Option<AuthorHistory>, HistoryError> {
        let handle = handle.trim_start_matches('@');
        let id: Option<String> = self
            .conn
            .query_row(
                "SELECT author_id FROM snapshots WHERE handle = ?1 COLLATE NOCASE
                 ORDER BY fetched_unix_ms DESC LIMIT 1",
                [handle],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.sqlite(e))?;
        let Some(id) = id else { return Ok(None) };
        let snapshots = self.snapshots_of(&id)?;
        Ok(Some(AuthorHistory {
            handle: snapshots.last().and_then(|s| s.handle.clone()),
            id,
            snapshots,
        }))
    }

    /// One author's snapshots by id, oldest first.
    pub fn snapshots_of(&self, author_id: &str) -> Result<Vec<Snapshot>, HistoryError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "{SNAPSHOT_COLUMNS} WHERE author_id = ?1 ORDER BY fetched_unix_ms"
            ))
            .map_err(|e| self.sqlite(e))?;
        let rows = stmt
            .query_map([author_id], snapshot_of_row)
            .map_err(|e| self.sqlite(e))?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.sqlite(e))
    }

    /// Every author whose growth is flagged under `rules`, in id order, read in one pass over
    /// the store (the refresh's selection and the audit's anomalies).
    pub fn flagged(&self, rules: &GrowthRules) -> Result<Vec<FlaggedAuthor>, HistoryError> {
        let mut stmt = self
            .conn
            .prepare(&format!(
                "{SNAPSHOT_COLUMNS} ORDER BY author_id, fetched_unix_ms"
            ))
            .map_err(|e| self.sqlite(e))?;
        let mut rows = stmt
            .query_map([], snapshot_of_row)
            .map_err(|e| self.sqlite(e))?;
        let mut out = Vec::new();
        let mut group: Vec<Snapshot> = Vec::new();
        let mut flush = |group: &mut Vec<Snapshot>| {
            if group.len() > 1 {
                let flags = analyse(group, rules).flags;
                if !flags.is_empty() {
                    out.push(FlaggedAuthor {
                        id: group[0].author_id.clone(),
                        handle: group.iter().rev().find_map(|s| s.handle.clone()),
                        flags,
                    });
                }
            }
            group.clear();
        };
        loop {
            let row = rows.next().transpose().map_err(|e| self.sqlite(e))?;
            let Some(row) = row else { break };
            if group.first().is_some_and(|g| g.author_id != row.author_id) {
                flush(&mut group);
            }
            group.push(row);
        }
        flush(&mut group);
        Ok(out)
    }

    /// The score distribution recorded with `version` (`None`: not recorded, e.g. a version
    /// recorded before distributions were kept).
    pub fn distribution(&self, version: u64) -> Result<Option<Distribution>, HistoryError> {
        let text: Option<String> = self
            .conn
            .query_row(
                "SELECT distribution FROM distributions WHERE version = ?1",
                [version as i64],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.sqlite(e))?;
        Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
    }

    /// How many snapshots the history holds, and the file's size in bytes (WAL included).
    pub fn size(&self) -> Result<(u64, u64), HistoryError> {
        let n: i64 = self
            .conn
            .query_row("SELECT count(*) FROM snapshots", [], |r| r.get(0))
            .map_err(|e| self.sqlite(e))?;
        let bytes = [self.path.clone(), self.path.with_extension("sqlite-wal")]
            .iter()
            .filter_map(|p| std::fs::metadata(p).ok())
            .map(|m| m.len())
            .sum();
        Ok((n as u64, bytes))
    }
}

/// The records files of the run directories under `runs` (or of `runs` itself when it is one
/// run), in the order the runs started.
pub fn run_records(runs: &Path) -> Vec<PathBuf> {
    let records = runs.join(crate::pipeline::harvest::RECORDS_FILE);
    if records.is_file() {
        return vec![records];
    }
    let Ok(entries) = std::fs::read_dir(runs) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path().join(crate::pipeline::harvest::RECORDS_FILE)))
        .filter(|p| p.is_file())
        .collect();
    out.sort();
    out
}

/// The version of a snapshot imported from a file that no version holds.
pub const IMPORTED: u64 = 0;

/// Inserts every snapshot of `file` (lines that describe no moment are counted as skipped),
/// counting each line into `distribution` when given.
fn insert_snapshots(
    tx: &rusqlite::Transaction<'_>,
    history: &Path,
    file: &Path,
    version: u64,
    mut distribution: Option<&mut DistributionBuilder>,
) -> Result<Recorded, HistoryError> {
    let wrap = |source| HistoryError::Sqlite {
        path: history.to_path_buf(),
        source,
    };
    let (mut added, mut skipped) = (0u64, 0u64);
    let mut insert = tx
        .prepare(
            "INSERT OR IGNORE INTO snapshots (author_id, handle, fetched_at,
             fetched_unix_ms, followers_count, following_count, tweet_count,
             listed_count, score, score_state, score_version, version, run,
             response_line)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        )
        .map_err(wrap)?;
    for line in Lines::open(file)? {
        let (_, text) = line?;
        if let (Ok(t), Some(d)) = (&text, distribution.as_deref_mut()) {
            d.add_line(t);
        }
        let Some(s) = text.ok().and_then(|t| Snapshot::of_line(&t, version)) else {
            skipped += 1;
            continue;
        };
        let count = |v: Option<u64>| v.map(|n| n as i64);
        added += insert
            .execute(params![
                s.author_id,
                s.handle,
                s.fetched_at,
                s.fetched_unix_ms,
                count(s.followers_count),
                count(s.following_count),
                count(s.tweet_count),
                count(s.listed_count),
                s.score,
                s.score_state,
                s.score_version,
                s.version as i64,
                s.run,
                s.response_line.map(|n| n as i64),
            ])
            .map_err(wrap)? as u64;
    }
    Ok(Recorded {
        version,
        added,
        skipped,
    })
}

/// An author the growth rules flag, with the flags.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FlaggedAuthor {
    pub id: String,
    pub handle: Option<String>,
    pub flags: Vec<GrowthFlag>,
}

const SNAPSHOT_COLUMNS: &str = "SELECT author_id, handle, fetched_at, fetched_unix_ms, \
     followers_count, following_count, tweet_count, listed_count, score, score_state, \
     score_version, version, run, response_line FROM snapshots";

fn snapshot_of_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Snapshot> {
    let count = |v: Option<i64>| v.map(|n| n as u64);
    Ok(Snapshot {
        author_id: r.get(0)?,
        handle: r.get(1)?,
        fetched_at: r.get(2)?,
        fetched_unix_ms: r.get(3)?,
        followers_count: count(r.get(4)?),
        following_count: count(r.get(5)?),
        tweet_count: count(r.get(6)?),
        listed_count: count(r.get(7)?),
        score: r.get(8)?,
        score_state: r.get(9)?,
        score_version: r.get(10)?,
        version: r.get::<_, i64>(11)? as u64,
        run: r.get(12)?,
        response_line: count(r.get(13)?),
    })
}
