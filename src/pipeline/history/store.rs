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
    // 3: snapshots clustered by the week they were fetched in, so that a weekly refresh's
    // snapshots are appended at the end of the table instead of into every author's pages (a
    // million of them rewrote the whole 8 GB table through the WAL: 150 s). Per author: the
    // `authors` table (id -> newest handle) and one seek per week.
    "CREATE TABLE snapshots_by_week (
        week INTEGER NOT NULL,
        author_id TEXT NOT NULL,
        fetched_unix_ms INTEGER NOT NULL,
        fetched_at TEXT NOT NULL,
        handle TEXT,
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
        PRIMARY KEY (week, author_id, fetched_unix_ms)
    ) WITHOUT ROWID;
    INSERT OR IGNORE INTO snapshots_by_week
        SELECT fetched_unix_ms / 604800000, author_id, fetched_unix_ms, fetched_at, handle,
               followers_count, following_count, tweet_count, listed_count, score, score_state,
               score_version, version, run, response_line
        FROM snapshots ORDER BY 1, 2, 3;
    CREATE TABLE weeks (week INTEGER PRIMARY KEY);
    INSERT INTO weeks SELECT DISTINCT week FROM snapshots_by_week;
    CREATE TABLE authors (
        author_id TEXT PRIMARY KEY,
        handle TEXT,
        last_unix_ms INTEGER NOT NULL
    ) WITHOUT ROWID;
    INSERT INTO authors SELECT author_id, handle, max(fetched_unix_ms) FROM snapshots
        GROUP BY author_id;
    CREATE INDEX authors_by_handle ON authors (handle COLLATE NOCASE);
    DROP TABLE snapshots;
    ALTER TABLE snapshots_by_week RENAME TO snapshots;",
    // 4: each author's two newest snapshots' followers and score, kept as snapshots arrive,
    // so that the largest changes (the movers) are one pass over a million authors rather
    // than over every snapshot. Authors recorded before this step gain them with their next
    // snapshot.
    "ALTER TABLE authors ADD COLUMN last_followers INTEGER;
    ALTER TABLE authors ADD COLUMN last_score REAL;
    ALTER TABLE authors ADD COLUMN prev_unix_ms INTEGER;
    ALTER TABLE authors ADD COLUMN prev_followers INTEGER;
    ALTER TABLE authors ADD COLUMN prev_score REAL;",
];

/// The span of one week bucket, in milliseconds.
const WEEK_MS: i64 = 7 * 86_400_000;

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
        // A weekly append touches the new week's pages and the authors table (~50 MB at 1M
        // authors): both stay in SQLite's cache instead of going back and forth to the OS.
        conn.pragma_update(None, "cache_size", -262_144)
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

    /// Inserts snapshots given one by one (a generated history for benchmarks), in one
    /// transaction; returns how many were new.
    pub fn insert_all(
        &mut self,
        snapshots: impl IntoIterator<Item = Snapshot>,
    ) -> Result<u64, HistoryError> {
        let path = self.path.clone();
        let wrap = |source| HistoryError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(wrap)?;
        let mut added = 0;
        {
            let mut insert = Inserter::new(&tx).map_err(wrap)?;
            for s in snapshots {
                added += insert.insert(&s).map_err(wrap)?;
            }
        }
        tx.commit().map_err(wrap)?;
        Ok(added)
    }

    /// The snapshots of the author a handle names (case as X treats it: not at all), oldest
    /// first; when the handle was held by more than one id over time, the newest holder's.
    pub fn author(&self, handle: &str) -> Result<Option<AuthorHistory>, HistoryError> {
        let handle = handle.trim_start_matches('@');
        let id: Option<String> = self
            .conn
            .query_row(
                "SELECT author_id FROM authors WHERE handle = ?1 COLLATE NOCASE
                 ORDER BY last_unix_ms DESC LIMIT 1",
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
                "{SNAPSHOT_COLUMNS} WHERE s.author_id = ?1 ORDER BY s.fetched_unix_ms"
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
        let sqlite = |e| self.sqlite(e);
        let weeks: Vec<i64> = {
            let mut stmt = self
                .conn
                .prepare("SELECT week FROM weeks ORDER BY week")
                .map_err(sqlite)?;
            stmt.query_map([], |r| r.get(0))
                .map_err(sqlite)?
                .collect::<Result<_, _>>()
                .map_err(sqlite)?
        };
        // Each week's snapshots are stored in (author, time) order: merging the weeks' streams
        // reads every author's snapshots together without sorting the table.
        let mut stmts = weeks
            .iter()
            .map(|_| self.conn.prepare(WEEK_COLUMNS))
            .collect::<Result<Vec<_>, _>>()
            .map_err(sqlite)?;
        let mut streams = stmts
            .iter_mut()
            .zip(&weeks)
            .map(|(stmt, week)| stmt.query_map([week], snapshot_of_row))
            .collect::<Result<Vec<_>, _>>()
            .map_err(sqlite)?;
        let mut heads = std::collections::BinaryHeap::new();
        for (i, stream) in streams.iter_mut().enumerate() {
            if let Some(s) = stream.next().transpose().map_err(sqlite)? {
                heads.push(std::cmp::Reverse(Head(s, i)));
            }
        }
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
        while let Some(std::cmp::Reverse(Head(row, i))) = heads.pop() {
            if let Some(next) = streams[i].next().transpose().map_err(sqlite)? {
                heads.push(std::cmp::Reverse(Head(next, i)));
            }
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

    /// The `limit` authors whose score, and those whose followers, changed most between their
    /// two newest snapshots (one pass over the authors table).
    pub fn movers(&self, limit: usize) -> Result<Movers, HistoryError> {
        let sqlite = |e| self.sqlite(e);
        let list = |order: &str| -> Result<Vec<Mover>, HistoryError> {
            let mut stmt = self
                .conn
                .prepare(&format!(
                    "SELECT author_id, handle, prev_unix_ms, last_unix_ms, prev_followers,
                     last_followers, prev_score, last_score FROM authors
                     WHERE prev_unix_ms IS NOT NULL AND {order} IS NOT NULL
                     ORDER BY {order} DESC LIMIT ?1"
                ))
                .map_err(sqlite)?;
            let count = |v: Option<i64>| v.map(|n| n as u64);
            let rows = stmt
                .query_map([limit as i64], |r| {
                    let (before, after): (Option<i64>, Option<i64>) = (r.get(4)?, r.get(5)?);
                    let (s0, s1): (Option<f64>, Option<f64>) = (r.get(6)?, r.get(7)?);
                    Ok(Mover {
                        id: r.get(0)?,
                        handle: r.get(1)?,
                        from: ms_time(r.get(2)?),
                        to: ms_time(r.get(3)?),
                        followers_before: count(before),
                        followers_after: count(after),
                        followers_delta: before.zip(after).map(|(b, a)| a - b),
                        score_before: s0,
                        score_after: s1,
                        score_delta: s0.zip(s1).map(|(b, a)| ((a - b) * 100.0).round() / 100.0),
                    })
                })
                .map_err(sqlite)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(sqlite)
        };
        Ok(Movers {
            by_score: list("abs(last_score - prev_score)")?,
            by_followers: list("abs(last_followers - prev_followers)")?,
        })
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
        .filter_map(|e| {
            e.ok()
                .map(|e| e.path().join(crate::pipeline::harvest::RECORDS_FILE))
        })
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
    let mut insert = Inserter::new(tx).map_err(wrap)?;
    for line in Lines::open(file)? {
        let (_, text) = line?;
        if let (Ok(t), Some(d)) = (&text, distribution.as_deref_mut()) {
            d.add_line(t);
        }
        let Some(s) = text.ok().and_then(|t| Snapshot::of_line(&t, version)) else {
            skipped += 1;
            continue;
        };
        added += insert.insert(&s).map_err(wrap)?;
    }
    Ok(Recorded {
        version,
        added,
        skipped,
    })
}

const INSERT: &str = "INSERT OR IGNORE INTO snapshots (author_id, handle, fetched_at,
     fetched_unix_ms, followers_count, following_count, tweet_count, listed_count, score,
     score_state, score_version, version, run, response_line, week)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)";

/// The newest handle of each author, for `influx history HANDLE`.
/// The newest handle of each author and its two newest snapshots' followers and score (an
/// older snapshot given later, a backfill, changes neither).
const UPSERT_AUTHOR: &str = "INSERT INTO authors
     (author_id, handle, last_unix_ms, last_followers, last_score) VALUES (?1, ?2, ?3, ?4, ?5)
     ON CONFLICT (author_id) DO UPDATE SET
     prev_unix_ms = authors.last_unix_ms, prev_followers = authors.last_followers,
     prev_score = authors.last_score, handle = excluded.handle,
     last_unix_ms = excluded.last_unix_ms, last_followers = excluded.last_followers,
     last_score = excluded.last_score
     WHERE excluded.last_unix_ms > authors.last_unix_ms";

/// What inserting snapshots writes: the snapshot, its author's newest handle, its week.
struct Inserter<'c> {
    snapshot: rusqlite::Statement<'c>,
    author: rusqlite::Statement<'c>,
    week: rusqlite::Statement<'c>,
    weeks: std::collections::HashSet<i64>,
}

impl<'c> Inserter<'c> {
    fn new(tx: &'c rusqlite::Transaction<'_>) -> rusqlite::Result<Inserter<'c>> {
        Ok(Inserter {
            snapshot: tx.prepare(INSERT)?,
            author: tx.prepare(UPSERT_AUTHOR)?,
            week: tx.prepare("INSERT OR IGNORE INTO weeks (week) VALUES (?1)")?,
            weeks: std::collections::HashSet::new(),
        })
    }

    /// Inserts one snapshot (1 when it was new, 0 when the store held it already).
    fn insert(&mut self, s: &Snapshot) -> rusqlite::Result<u64> {
        let week = s.fetched_unix_ms.div_euclid(WEEK_MS);
        if self.weeks.insert(week) {
            self.week.execute([week])?;
        }
        let added = insert_one(&mut self.snapshot, s, week)?;
        if added > 0 {
            self.author.execute(params![
                s.author_id,
                s.handle,
                s.fetched_unix_ms,
                s.followers_count.map(|n| n as i64),
                s.score
            ])?;
        }
        Ok(added)
    }
}

fn insert_one(
    stmt: &mut rusqlite::Statement<'_>,
    s: &Snapshot,
    week: i64,
) -> rusqlite::Result<u64> {
    let count = |v: Option<u64>| v.map(|n| n as i64);
    stmt.execute(params![
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
        week,
    ])
    .map(|n| n as u64)
}

/// The authors that changed most between their two newest snapshots.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Movers {
    pub by_score: Vec<Mover>,
    pub by_followers: Vec<Mover>,
}

/// One author's change between its two newest snapshots.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mover {
    pub id: String,
    pub handle: Option<String>,
    pub from: String,
    pub to: String,
    pub followers_before: Option<u64>,
    pub followers_after: Option<u64>,
    pub followers_delta: Option<i64>,
    pub score_before: Option<f64>,
    pub score_after: Option<f64>,
    pub score_delta: Option<f64>,
}

fn ms_time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(crate::dataset::format_time)
        .unwrap_or_default()
}

/// The next snapshot of one week's stream, ordered by (author, time) for the merge.
struct Head(Snapshot, usize);

impl Head {
    fn key(&self) -> (&str, i64) {
        (&self.0.author_id, self.0.fetched_unix_ms)
    }
}

impl PartialEq for Head {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl Eq for Head {}

impl PartialOrd for Head {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Head {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

/// An author the growth rules flag, with the flags.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FlaggedAuthor {
    pub id: String,
    pub handle: Option<String>,
    pub flags: Vec<GrowthFlag>,
}

/// Every column of a snapshot, one seek per week: the weeks are the outer loop (CROSS JOIN keeps
/// them there), each looked up by (week, author) in the snapshots' primary key.
const SNAPSHOT_COLUMNS: &str = "SELECT s.author_id, s.handle, s.fetched_at, s.fetched_unix_ms, \
     s.followers_count, s.following_count, s.tweet_count, s.listed_count, s.score, \
     s.score_state, s.score_version, s.version, s.run, s.response_line \
     FROM weeks w CROSS JOIN snapshots s ON s.week = w.week";

/// The same columns of one week's snapshots, in (author, time) order.
const WEEK_COLUMNS: &str = "SELECT author_id, handle, fetched_at, fetched_unix_ms, \
     followers_count, following_count, tweet_count, listed_count, score, score_state, \
     score_version, version, run, response_line FROM snapshots WHERE week = ?1 \
     ORDER BY author_id, fetched_unix_ms";

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_history_of_schema_2_is_migrated_to_weeks_keeping_every_snapshot_and_handle() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(HISTORY_FILE);
        {
            let conn = Connection::open(&path).unwrap();
            for sql in &MIGRATIONS[..2] {
                conn.execute_batch(sql).unwrap();
            }
            conn.pragma_update(None, "user_version", 2).unwrap();
            for (ms, handle, followers) in [
                (1_767_225_600_000_i64, "old_name", 100),
                (1_767_830_400_000, "new_name", 150),
            ] {
                conn.execute(
                    "INSERT INTO snapshots (author_id, handle, fetched_at, fetched_unix_ms,
                     followers_count, version) VALUES ('42', ?1, ?2, ?3, ?4, 1)",
                    params![handle, format!("t{ms}"), ms, followers],
                )
                .unwrap();
            }
        }
        let history = History::open_file(&path).unwrap();
        let snaps = history.snapshots_of("42").unwrap();
        assert_eq!(
            snaps.iter().map(|s| s.followers_count).collect::<Vec<_>>(),
            vec![Some(100), Some(150)]
        );
        let author = history.author("NEW_NAME").unwrap().unwrap();
        assert_eq!((author.id.as_str(), author.snapshots.len()), ("42", 2));
        assert_eq!(history.size().unwrap().0, 2);
    }
}
