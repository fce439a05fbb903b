//! `DIR/history.sqlite`: the snapshots of every merged version, in SQLite (WAL, so that a
//! reader never waits for a merge). The schema is migrated in code, one step per
//! `PRAGMA user_version`. A version is recorded once: its snapshots are inserted, keyed on
//! (author, fetched_at), so that recording the same version (or an author unchanged since the
//! last one) again adds nothing.
//!
//! An author is who the merge says it is: an id and the folded handle it is stored under
//! (`author_key`), so that two handles claiming one id (an id collision, which the merge keeps
//! apart) keep two histories; a record that names its author's old handle in `meta.aliases`
//! (a rename) moves that author to its new handle, whole. The rule is the merge's own
//! (`merge::joins_id_owner`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::changed::read_changed;
use super::growth::{GrowthFlag, GrowthRules, analyse};
use super::snapshot::Snapshot;
use crate::dataset::{DatasetError, Lines, ReadLine};
use crate::pipeline::data_dir::DataDir;
use crate::pipeline::distribution::{Distribution, DistributionBuilder};
use crate::pipeline::merge::{self, MergeError, MergeOutcome, VersionDelta};

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
    // 5: the growth flags of the whole history, kept with the generation of the snapshots they
    // were computed from (a scan of every snapshot: 71 s at 52M, which every console open and
    // refresh census paid). `generation` counts the transactions that added snapshots.
    "CREATE TABLE generation (n INTEGER NOT NULL);
    INSERT INTO generation VALUES (0);
    CREATE TABLE flags_cache_state (generation INTEGER NOT NULL, rules TEXT NOT NULL);
    CREATE TABLE flags_cache (
        author_id TEXT NOT NULL,
        handle TEXT,
        kind TEXT NOT NULL,
        from_at TEXT NOT NULL,
        to_at TEXT NOT NULL,
        reason TEXT NOT NULL
    );",
    // 6: authors keyed as the merge keys them, (id, folded handle), instead of by id alone,
    // which blended two handles claiming one id into one history (a false growth flag from the
    // other author's followers). The snapshots of an id stored under several handles are split
    // by handle: these rows never recorded `meta.aliases`, so a rename stored before this step
    // cannot be told from a collision and is kept apart too (nothing is lost: each handle keeps
    // its snapshots, and `influx history` names the other handles of the id). A snapshot
    // without a handle joins the handle its id's author had last.
    "CREATE TABLE snapshots_keyed (
        week INTEGER NOT NULL,
        author_id TEXT NOT NULL,
        author_key TEXT NOT NULL,
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
        PRIMARY KEY (week, author_id, author_key, fetched_unix_ms)
    ) WITHOUT ROWID;
    INSERT INTO snapshots_keyed
        SELECT s.week, s.author_id,
               CASE WHEN s.handle IS NOT NULL THEN lower(ltrim(s.handle, '@'))
                    ELSE coalesce((SELECT lower(ltrim(a.handle, '@')) FROM authors a
                                   WHERE a.author_id = s.author_id), '') END,
               s.fetched_unix_ms, s.fetched_at, s.handle, s.followers_count, s.following_count,
               s.tweet_count, s.listed_count, s.score, s.score_state, s.score_version,
               s.version, s.run, s.response_line
        FROM snapshots s ORDER BY 1, 2, 3, 4;
    DROP TABLE snapshots;
    ALTER TABLE snapshots_keyed RENAME TO snapshots;
    CREATE TABLE authors_keyed (
        author_id TEXT NOT NULL,
        author_key TEXT NOT NULL,
        handle TEXT,
        last_unix_ms INTEGER NOT NULL,
        last_followers INTEGER,
        last_score REAL,
        prev_unix_ms INTEGER,
        prev_followers INTEGER,
        prev_score REAL,
        PRIMARY KEY (author_id, author_key)
    ) WITHOUT ROWID;
    INSERT INTO authors_keyed
        SELECT author_id, author_key, handle, fetched_unix_ms, followers_count, score,
               prev_ms, prev_followers, prev_score
        FROM (SELECT author_id, author_key, handle, fetched_unix_ms, followers_count, score,
                     lag(fetched_unix_ms) OVER oldest_first AS prev_ms,
                     lag(followers_count) OVER oldest_first AS prev_followers,
                     lag(score) OVER oldest_first AS prev_score,
                     row_number() OVER (PARTITION BY author_id, author_key
                                        ORDER BY fetched_unix_ms DESC) AS newest
              FROM snapshots
              WINDOW oldest_first AS (PARTITION BY author_id, author_key
                                      ORDER BY fetched_unix_ms))
        WHERE newest = 1;
    DROP TABLE authors;
    ALTER TABLE authors_keyed RENAME TO authors;
    CREATE INDEX authors_by_handle ON authors (handle COLLATE NOCASE);
    CREATE TABLE renames (
        author_id TEXT NOT NULL,
        from_key TEXT NOT NULL,
        to_key TEXT NOT NULL,
        PRIMARY KEY (author_id, from_key)
    ) WITHOUT ROWID;
    DROP TABLE flags_cache;
    CREATE TABLE flags_cache (
        author_id TEXT NOT NULL,
        author_key TEXT NOT NULL,
        handle TEXT,
        kind TEXT NOT NULL,
        from_at TEXT NOT NULL,
        to_at TEXT NOT NULL,
        reason TEXT NOT NULL
    );
    DELETE FROM flags_cache_state;
    UPDATE generation SET n = n + 1;",
    // 7: the generation that last added snapshots to each week bucket, so that `history export`
    // knows which weeks of its lake can have changed without counting every week's snapshots
    // (a count of two buckets is a scan of two million rows at 1M authors: 17 s over 52 weeks).
    // Buckets stored before this step are said to have changed at the current generation: a
    // lake exported earlier counts them once more, then knows.
    "ALTER TABLE weeks ADD COLUMN generation INTEGER;
    UPDATE weeks SET generation = (SELECT n FROM generation);",
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
    /// The file is there but empty while the data directory holds merged versions: what it
    /// recorded (every earlier week, the backfilled runs) is gone, and re-creating it would
    /// hide that.
    #[error(
        "the history {path} is empty, but the data directory holds version {version}: what it recorded is lost. Restore it from a backup, or move it away to start a new history (the next open backfills the runs in the data directory)"
    )]
    Lost { path: PathBuf, version: u64 },
}

/// What recording one version added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recorded {
    pub version: u64,
    /// Snapshots new to the history (an author unchanged since an earlier version adds none).
    pub added: u64,
    /// Lines that describe no moment (no id, or no time the metrics were fetched).
    pub skipped: u64,
    /// Snapshots looked up in the store: every record's, or after a merge only those of the
    /// records it wrote anew (the records it copied from a recorded version add nothing).
    pub looked_up: u64,
}

/// One author's snapshots, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuthorHistory {
    pub id: String,
    /// The handle of the newest snapshot.
    pub handle: Option<String>,
    pub snapshots: Vec<Snapshot>,
    /// The handles of the other authors that claim the same id (an id collision, kept apart
    /// as the merge keeps them: their snapshots are not in `snapshots`).
    pub id_shared_with: Vec<String>,
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
    pub fn open(data_dir: &DataDir) -> Result<(History, Vec<Recorded>), HistoryError> {
        History::open_with(data_dir, None)
    }

    /// [`History::open`] right after `merged` was published: the new version is recorded from
    /// the records the merge wrote anew (and its distribution from all of them) when the
    /// history holds the version they were copied from; from every record otherwise. What is
    /// recorded is the same either way.
    pub fn open_after_merge(
        data_dir: &DataDir,
        merged: &MergeOutcome,
    ) -> Result<(History, Vec<Recorded>), HistoryError> {
        History::open_with(data_dir, merged.delta.as_ref().map(|d| (merged.version, d)))
    }

    fn open_with(
        data_dir: &DataDir,
        merged: Option<(u64, &VersionDelta)>,
    ) -> Result<(History, Vec<Recorded>), HistoryError> {
        let path = data_dir.history();
        let first = !path.exists();
        let emptied = path.metadata().is_ok_and(|m| m.len() == 0);
        if emptied && let Some((version, _, _)) = merge::stored_versions(data_dir)?.last() {
            return Err(HistoryError::Lost {
                path,
                version: *version,
            });
        }
        let mut history = History::open_file(&path)?;
        let mut repaired = Vec::new();
        for (version, sha256, file) in merge::stored_versions(data_dir)? {
            if history.has_version(version)? {
                continue;
            }
            let delta = match merged {
                Some((v, delta))
                    if v == version
                        && history.has_version_as(delta.base_version, &delta.base_sha256)? =>
                {
                    Some(delta)
                }
                _ => None,
            };
            repaired.push(history.record(version, &sha256, &file, delta)?);
        }
        if first {
            for records in run_records(&data_dir.runs_dir()) {
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

    /// True when `version` was recorded from a file with this sha256.
    fn has_version_as(&self, version: u64, sha256: &str) -> Result<bool, HistoryError> {
        self.conn
            .query_row(
                "SELECT 1 FROM recorded_versions WHERE version = ?1 AND sha256 = ?2",
                params![version as i64, sha256],
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
        self.record(version, sha256, file, None)
    }

    /// [`History::record_version`]; with a `delta`, only the records it says were not copied
    /// from its base (which this history holds) are looked up in the store.
    fn record(
        &mut self,
        version: u64,
        sha256: &str,
        file: &Path,
        delta: Option<&VersionDelta>,
    ) -> Result<Recorded, HistoryError> {
        let path = self.path.clone();
        let wrap = |source| HistoryError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(wrap)?;
        let mut distribution = DistributionBuilder::default();
        let recorded = match delta {
            None => insert_snapshots(&tx, &path, file, version, Some(&mut distribution))?,
            Some(delta) => insert_changed(&tx, &path, file, version, delta, &mut distribution)?,
        };
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
    pub(crate) fn import_file(&mut self, file: &Path) -> Result<Recorded, HistoryError> {
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
        let added = {
            let mut insert = Inserter::new(&tx).map_err(wrap)?;
            for s in snapshots {
                insert.insert(s).map_err(wrap)?;
            }
            insert.finish().map_err(wrap)?
        };
        tx.commit().map_err(wrap)?;
        Ok(added)
    }

    /// The snapshots of the author a handle names (case as X treats it: not at all), oldest
    /// first; when the handle was held by more than one id over time, the newest holder's. The
    /// other handles that claim the author's id are named, never blended in.
    pub fn author(&self, handle: &str) -> Result<Option<AuthorHistory>, HistoryError> {
        let sqlite = |e| self.sqlite(e);
        let handle = handle.trim_start_matches('@');
        let found: Option<(String, String)> = self
            .conn
            .query_row(
                "SELECT author_id, author_key FROM authors WHERE handle = ?1 COLLATE NOCASE
                 ORDER BY last_unix_ms DESC LIMIT 1",
                [handle],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(sqlite)?;
        let Some((id, key)) = found else {
            return Ok(None);
        };
        let snapshots = self.snapshots_keyed(&id, &key)?;
        let id_shared_with = self
            .conn
            .prepare(
                "SELECT coalesce(handle, '') FROM authors WHERE author_id = ?1
                 AND author_key != ?2 ORDER BY author_key",
            )
            .map_err(sqlite)?
            .query_map(params![id, key], |r| r.get(0))
            .map_err(sqlite)?
            .collect::<Result<Vec<String>, _>>()
            .map_err(sqlite)?;
        Ok(Some(AuthorHistory {
            handle: snapshots.last().and_then(|s| s.handle.clone()),
            id,
            snapshots,
            id_shared_with,
        }))
    }

    /// The snapshots of the author with `author_id` and `handle` (as a record names them),
    /// oldest first: that handle's, or the handle a rename moved it to; without a handle, the
    /// id's newest author's. Another handle claiming the same id is another author.
    pub fn snapshots_of(
        &self,
        author_id: &str,
        handle: Option<&str>,
    ) -> Result<Vec<Snapshot>, HistoryError> {
        let sqlite = |e| self.sqlite(e);
        let mut key = handle.map(merge::fold_handle).unwrap_or_default();
        // Bounded as the inserter bounds it: a rename never leads back.
        for _ in 0..16 {
            let next: Option<String> = self
                .conn
                .query_row(
                    "SELECT to_key FROM renames WHERE author_id = ?1 AND from_key = ?2",
                    params![author_id, key],
                    |r| r.get(0),
                )
                .optional()
                .map_err(sqlite)?;
            match next {
                Some(next) => key = next,
                None => break,
            }
        }
        if key.is_empty() {
            let newest: Option<String> = self
                .conn
                .query_row(
                    "SELECT author_key FROM authors WHERE author_id = ?1
                     ORDER BY last_unix_ms DESC LIMIT 1",
                    [author_id],
                    |r| r.get(0),
                )
                .optional()
                .map_err(sqlite)?;
            key = newest.unwrap_or_default();
        }
        self.snapshots_keyed(author_id, &key)
    }

    /// The snapshots stored under (`author_id`, `key`), oldest first.
    fn snapshots_keyed(&self, author_id: &str, key: &str) -> Result<Vec<Snapshot>, HistoryError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "{SNAPSHOT_COLUMNS} WHERE s.author_id = ?1 AND s.author_key = ?2
                 ORDER BY s.fetched_unix_ms"
            ))
            .map_err(|e| self.sqlite(e))?;
        let rows = stmt
            .query_map([author_id, key], snapshot_of_row)
            .map_err(|e| self.sqlite(e))?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.sqlite(e))
    }

    /// Every author whose growth is flagged under `rules`, in id order, read in one pass over
    /// the store (the refresh's selection and the audit's anomalies).
    pub(crate) fn flagged(&self, rules: &GrowthRules) -> Result<Vec<FlaggedAuthor>, HistoryError> {
        let sqlite = |e| self.sqlite(e);
        let generation: i64 = self
            .conn
            .query_row("SELECT n FROM generation", [], |r| r.get(0))
            .map_err(sqlite)?;
        let rules_key = format!("{rules:?}");
        if let Some(cached) = self.cached_flags(generation, &rules_key)? {
            return Ok(cached);
        }
        let flagged = self.scan_flagged(rules)?;
        // Keeping them is a saving, not a duty: a history another process is writing (busy past
        // the timeout) is left to the next reader.
        let _ = self.keep_flags(generation, &rules_key, &flagged);
        Ok(flagged)
    }

    /// The flags kept for `generation` under the same rules; `None` when none are.
    fn cached_flags(
        &self,
        generation: i64,
        rules: &str,
    ) -> Result<Option<Vec<FlaggedAuthor>>, HistoryError> {
        let sqlite = |e| self.sqlite(e);
        let fresh: Option<i64> = self
            .conn
            .query_row(
                "SELECT 1 FROM flags_cache_state WHERE generation = ?1 AND rules = ?2",
                params![generation, rules],
                |r| r.get(0),
            )
            .optional()
            .map_err(sqlite)?;
        if fresh.is_none() {
            return Ok(None);
        }
        let mut stmt = self
            .conn
            .prepare(
                "SELECT author_id, handle, kind, from_at, to_at, reason, author_key
                 FROM flags_cache ORDER BY rowid",
            )
            .map_err(sqlite)?;
        let rows = stmt
            .query_map([], |r| {
                let kind: String = r.get(2)?;
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    GrowthFlag::kind_named(&kind),
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, String>(6)?,
                ))
            })
            .map_err(sqlite)?;
        let mut out: Vec<FlaggedAuthor> = Vec::new();
        for row in rows {
            let (id, handle, kind, from, to, reason, key) = row.map_err(sqlite)?;
            // A kind this influx does not raise: kept by another version; computed again.
            let Some(kind) = kind else { return Ok(None) };
            let flag = GrowthFlag {
                kind,
                from,
                to,
                reason,
            };
            match out.last_mut() {
                Some(last) if last.id == id && last.handle_key == key => last.flags.push(flag),
                _ => out.push(FlaggedAuthor {
                    id,
                    handle_key: key,
                    handle,
                    flags: vec![flag],
                }),
            }
        }
        Ok(Some(out))
    }

    /// Keeps `flagged` as the flags of `generation` under `rules`, replacing what was kept.
    fn keep_flags(
        &self,
        generation: i64,
        rules: &str,
        flagged: &[FlaggedAuthor],
    ) -> rusqlite::Result<()> {
        let tx = rusqlite::Transaction::new_unchecked(
            &self.conn,
            rusqlite::TransactionBehavior::Immediate,
        )?;
        tx.execute("DELETE FROM flags_cache", [])?;
        tx.execute("DELETE FROM flags_cache_state", [])?;
        {
            let mut insert = tx.prepare(
                "INSERT INTO flags_cache (author_id, handle, kind, from_at, to_at, reason,
                 author_key) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            for author in flagged {
                for f in &author.flags {
                    insert.execute(params![
                        author.id,
                        author.handle,
                        f.kind,
                        f.from,
                        f.to,
                        f.reason,
                        author.handle_key
                    ])?;
                }
            }
        }
        tx.execute(
            "INSERT INTO flags_cache_state (generation, rules) VALUES (?1, ?2)",
            params![generation, rules],
        )?;
        tx.commit()
    }

    /// Every flagged author, from a scan of every snapshot.
    fn scan_flagged(&self, rules: &GrowthRules) -> Result<Vec<FlaggedAuthor>, HistoryError> {
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
            .map(|(stmt, week)| stmt.query_map([week], keyed_snapshot_of_row))
            .collect::<Result<Vec<_>, _>>()
            .map_err(sqlite)?;
        let mut heads = std::collections::BinaryHeap::new();
        for (i, stream) in streams.iter_mut().enumerate() {
            if let Some((s, key)) = stream.next().transpose().map_err(sqlite)? {
                heads.push(std::cmp::Reverse(Head(s, key, i)));
            }
        }
        let mut out = Vec::new();
        // One author's snapshots, and the key they are stored under.
        let mut group: Vec<Snapshot> = Vec::new();
        let mut group_key = String::new();
        let mut flush = |group: &mut Vec<Snapshot>, key: &str| {
            if group.len() > 1 {
                let flags = analyse(group, rules).flags;
                if !flags.is_empty() {
                    out.push(FlaggedAuthor {
                        id: group[0].author_id.clone(),
                        handle_key: key.to_string(),
                        handle: group.iter().rev().find_map(|s| s.handle.clone()),
                        flags,
                    });
                }
            }
            group.clear();
        };
        while let Some(std::cmp::Reverse(Head(row, key, i))) = heads.pop() {
            if let Some((next, next_key)) = streams[i].next().transpose().map_err(sqlite)? {
                heads.push(std::cmp::Reverse(Head(next, next_key, i)));
            }
            if group
                .first()
                .is_some_and(|g| g.author_id != row.author_id || group_key != key)
            {
                flush(&mut group, &group_key);
            }
            group_key = key;
            group.push(row);
        }
        flush(&mut group, &group_key);
        Ok(out)
    }

    /// The score distribution recorded with `version` (`None`: not recorded, e.g. a version
    /// recorded before distributions were kept).
    pub(crate) fn distribution(&self, version: u64) -> Result<Option<Distribution>, HistoryError> {
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

/// Snapshots parsed, sorted and sent as one run from the reading thread to the inserting one.
/// Inserted in key order, a run sweeps the authors table and the week's pages from one end to
/// the other instead of hopping at random (a million snapshots, one row a statement: 13.9 s in
/// file order, 7.0 s in id order, 8.9 s in runs of this size). About 40 MB a run; three at
/// most exist (one filling, one sent, one inserting).
const RUN: usize = 131_072;

/// What the reading thread sends: parsed snapshots in key order, and how many lines described
/// no moment.
struct Run {
    snapshots: Vec<Snapshot>,
    skipped: u64,
}

/// Inserts every snapshot of `file` (lines that describe no moment are counted as skipped),
/// counting each record into `distribution` when given. The lines are read and parsed on a
/// thread of their own while this one inserts: SQLite's work and the parsing overlap.
fn insert_snapshots(
    tx: &rusqlite::Transaction<'_>,
    history: &Path,
    file: &Path,
    version: u64,
    distribution: Option<&mut DistributionBuilder>,
) -> Result<Recorded, HistoryError> {
    let wrap = |source| HistoryError::Sqlite {
        path: history.to_path_buf(),
        source,
    };
    let lines = Lines::open(file)?;
    let counting = distribution.is_some();
    let mut skipped = 0u64;
    let mut looked_up = 0u64;
    let (built, added) = std::thread::scope(|scope| {
        // One run in the channel: the reader works ahead of SQLite by a bounded amount.
        let (send, runs) = std::sync::mpsc::sync_channel::<Result<Run, DatasetError>>(1);
        let reader = scope.spawn(move || read_snapshots(lines, version, counting, send));
        let mut inserted = || -> Result<u64, HistoryError> {
            let mut insert = Inserter::new(tx).map_err(wrap)?;
            for run in &runs {
                let run = run?;
                skipped += run.skipped;
                looked_up += run.snapshots.len() as u64;
                for s in run.snapshots {
                    insert.insert(s).map_err(wrap)?;
                }
            }
            insert.finish().map_err(wrap)
        };
        let added = inserted();
        // On an error the receiver is dropped here, which ends the reader at its next send.
        drop(runs);
        (
            reader.join().expect("the snapshot reader does not panic"),
            added,
        )
    });
    let added = added?;
    if let (Some(out), Some(built)) = (distribution, built) {
        *out = built;
    }
    Ok(Recorded {
        version,
        added,
        skipped,
        looked_up,
    })
}

/// Inserts the snapshots of the records of `file` that `delta` says a merge wrote anew, and
/// counts every record into `distribution`.
fn insert_changed(
    tx: &rusqlite::Transaction<'_>,
    history: &Path,
    file: &Path,
    version: u64,
    delta: &VersionDelta,
    distribution: &mut DistributionBuilder,
) -> Result<Recorded, HistoryError> {
    let wrap = |source| HistoryError::Sqlite {
        path: history.to_path_buf(),
        source,
    };
    let read = read_changed(file, version, delta)?;
    *distribution = read.distribution;
    let mut snapshots = read.snapshots;
    let looked_up = snapshots.len() as u64;
    sort_by_key(&mut snapshots);
    let mut insert = Inserter::new(tx).map_err(wrap)?;
    for s in snapshots {
        insert.insert(s).map_err(wrap)?;
    }
    Ok(Recorded {
        version,
        added: insert.finish().map_err(wrap)?,
        skipped: read.skipped,
        looked_up,
    })
}

/// In the order of the snapshots' key (week, author, time), which is also each author's time
/// order: the author's newest snapshot is upserted last.
fn sort_by_key(snapshots: &mut [Snapshot]) {
    snapshots.sort_unstable_by(|a, b| {
        (
            a.fetched_unix_ms.div_euclid(WEEK_MS),
            &a.author_id,
            a.fetched_unix_ms,
        )
            .cmp(&(
                b.fetched_unix_ms.div_euclid(WEEK_MS),
                &b.author_id,
                b.fetched_unix_ms,
            ))
    });
}

/// The reading thread: every line of `lines` parsed once, into its snapshot and (when
/// `counting`) the version's distribution, which it returns.
fn read_snapshots(
    lines: Lines,
    version: u64,
    counting: bool,
    send: std::sync::mpsc::SyncSender<Result<Run, DatasetError>>,
) -> Option<DistributionBuilder> {
    let mut distribution = counting.then(DistributionBuilder::default);
    let fresh = || Run {
        snapshots: Vec::with_capacity(RUN),
        skipped: 0,
    };
    let mut chunk = fresh();
    for line in lines {
        let text = match line {
            Ok((_, Ok(text))) => text,
            Ok((_, Err(_))) => {
                chunk.skipped += 1;
                continue;
            }
            Err(e) => {
                let _ = send.send(Err(e));
                return distribution;
            }
        };
        let snapshot = ReadLine::read_record(&text).ok().and_then(|read| {
            if let Some(d) = distribution.as_mut() {
                d.add(&read.view);
            }
            Snapshot::of_view(&read.view, read.meta.as_ref(), version)
        });
        match snapshot {
            Some(s) => chunk.snapshots.push(s),
            None => chunk.skipped += 1,
        }
        if chunk.snapshots.len() == RUN {
            let mut full = std::mem::replace(&mut chunk, fresh());
            sort_by_key(&mut full.snapshots);
            if send.send(Ok(full)).is_err() {
                return distribution;
            }
        }
    }
    sort_by_key(&mut chunk.snapshots);
    let _ = send.send(Ok(chunk));
    distribution
}

/// The snapshots' columns, in the order [`bind_snapshot`] binds them.
const INSERTED_COLUMNS: &str = "(author_id, handle, fetched_at, fetched_unix_ms,
     followers_count, following_count, tweet_count, listed_count, score, score_state,
     score_version, version, run, response_line, week, author_key)";

/// Each author's two newest snapshots' followers and score (an older snapshot given later, a
/// backfill, changes neither; a snapshot the store held already is never newer than the
/// author's newest, so it changes nothing either). The handle is set apart ([`SET_HANDLE_TAIL`]):
/// setting it here rewrites its index entry even when it is the same (3.7 s of a million
/// snapshots), and an author's handle seldom changes.
const UPSERT_AUTHOR_TAIL: &str = " ON CONFLICT (author_id, author_key) DO UPDATE SET
     prev_unix_ms = authors.last_unix_ms, prev_followers = authors.last_followers,
     prev_score = authors.last_score,
     last_unix_ms = excluded.last_unix_ms, last_followers = excluded.last_followers,
     last_score = excluded.last_score
     WHERE excluded.last_unix_ms > authors.last_unix_ms";

/// The newest handle of each author, for `influx history HANDLE`: written only when the
/// author's newest snapshot names another handle than the stored one (a case change, or a
/// rename the author was moved by).
const SET_HANDLE_TAIL: &str = ") AS v WHERE authors.author_id = v.column1
     AND authors.author_key = v.column2 AND authors.last_unix_ms = v.column4
     AND authors.handle IS NOT v.column3";

/// Snapshots written per statement: one statement of 64 rows costs SQLite far less than 64
/// statements of one (each execution is set up, run and halted).
const ROWS_PER_STATEMENT: usize = 64;

/// `n` groups of `width` placeholders: `(?,?),(?,?)`.
fn placeholders(n: usize, width: usize) -> String {
    let group = format!("({})", vec!["?"; width].join(","));
    vec![group; n].join(",")
}

/// The three statements that write `n` snapshots: the snapshots, their authors' newest two,
/// their authors' handles.
fn statements_for(n: usize) -> [String; 3] {
    [
        format!(
            "INSERT OR IGNORE INTO snapshots {INSERTED_COLUMNS} VALUES {}",
            placeholders(n, 16)
        ),
        format!(
            "INSERT INTO authors (author_id, author_key, handle, last_unix_ms, last_followers,
             last_score) VALUES {}{UPSERT_AUTHOR_TAIL}",
            placeholders(n, 6)
        ),
        format!(
            "UPDATE authors SET handle = v.column3 FROM (VALUES {}{SET_HANDLE_TAIL}",
            placeholders(n, 4)
        ),
    ]
}

/// The key a snapshot names by itself: its handle folded as the merge folds it, or none (`""`).
fn own_key(s: &Snapshot) -> String {
    s.handle
        .as_deref()
        .map(merge::fold_handle)
        .unwrap_or_default()
}

/// What inserting snapshots writes: the snapshots, their authors' newest handle and two newest
/// snapshots, their weeks; [`ROWS_PER_STATEMENT`] at a time.
struct Inserter<'c> {
    tx: &'c rusqlite::Transaction<'c>,
    /// The statements for a full batch, prepared once (building and looking up their 2 KB of
    /// SQL per batch took a third of the time); a last, shorter batch prepares its own.
    full: Option<[rusqlite::Statement<'c>; 3]>,
    pending: Vec<Snapshot>,
    weeks: std::collections::HashSet<i64>,
    added: u64,
    /// (id, a key an author left by a rename) -> the key it is stored under now: a snapshot
    /// that names the old handle (a backfill) is the same author's. Few, held whole.
    renamed: HashMap<(String, String), String>,
    /// Whether a rename moved stored snapshots (the cached growth flags no longer hold).
    moved: bool,
}

impl<'c> Inserter<'c> {
    fn new(tx: &'c rusqlite::Transaction<'c>) -> rusqlite::Result<Inserter<'c>> {
        let renamed = tx
            .prepare("SELECT author_id, from_key, to_key FROM renames")?
            .query_map([], |r| Ok(((r.get(0)?, r.get(1)?), r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(Inserter {
            tx,
            full: None,
            pending: Vec::with_capacity(ROWS_PER_STATEMENT),
            weeks: std::collections::HashSet::new(),
            added: 0,
            renamed,
            moved: false,
        })
    }

    /// Queues one snapshot; a full batch is written.
    fn insert(&mut self, s: Snapshot) -> rusqlite::Result<()> {
        self.pending.push(s);
        if self.pending.len() == ROWS_PER_STATEMENT {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes what is queued, and says how many snapshots were new to the store (a snapshot
    /// it held already, same author and time, is not added again).
    fn finish(mut self) -> rusqlite::Result<u64> {
        self.flush()?;
        if self.added > 0 || self.moved {
            // The cached growth flags no longer describe the history.
            self.tx.execute("UPDATE generation SET n = n + 1", [])?;
        }
        Ok(self.added)
    }

    /// The key `key` of author `id` is stored under now (itself unless a rename moved it).
    fn current_key(&self, id: &str, key: String) -> String {
        let mut key = key;
        // Bounded: a rename never leads back (its target is a key no author left), but a
        // history edited by hand might.
        for _ in 0..16 {
            match self.renamed.get(&(id.to_string(), key.clone())) {
                Some(next) => key = next.clone(),
                None => break,
            }
        }
        key
    }

    /// The author key of each pending snapshot, by the merge's identity rule: the author of
    /// the same id and handle; else the author of the same id whom the merge's rule joins it to
    /// (one without a handle yet, or a rename its aliases name), which is moved to the new
    /// handle; else a new author (for a handle the id's author does not have: an id collision,
    /// kept apart). A snapshot without a handle is the id's newest author's.
    fn keys_of_pending(&mut self) -> rusqlite::Result<Vec<String>> {
        let mut ids: Vec<&str> = self.pending.iter().map(|s| s.author_id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        // The stored authors of these ids, in one statement: (key, newest snapshot).
        let mut known: HashMap<String, Vec<(String, i64)>> = HashMap::new();
        {
            let mut stmt = self.tx.prepare_cached(&format!(
                "SELECT author_id, author_key, last_unix_ms FROM authors WHERE author_id IN ({})",
                vec!["?"; ids.len()].join(",")
            ))?;
            let rows = stmt.query_map(rusqlite::params_from_iter(&ids), |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get(2)?))
            })?;
            for row in rows {
                let (id, key, at) = row?;
                known.entry(id).or_default().push((key, at));
            }
        }
        let mut keys = Vec::with_capacity(self.pending.len());
        let mut moves: Vec<(String, String, String)> = Vec::new();
        for s in &self.pending {
            let own = self.current_key(&s.author_id, own_key(s));
            let authors = known.entry(s.author_id.clone()).or_default();
            let key = if own.is_empty() {
                match authors.iter().max_by_key(|(_, at)| *at) {
                    Some((key, _)) => key.clone(),
                    None => {
                        authors.push((own.clone(), s.fetched_unix_ms));
                        own
                    }
                }
            } else if authors.iter().any(|(k, _)| *k == own) {
                own
            } else {
                let joined = authors.iter().position(|(k, _)| {
                    merge::joins_id_owner(!k.is_empty(), |h| h == k, &s.aliases)
                });
                match joined {
                    Some(i) => {
                        let from = std::mem::replace(&mut authors[i].0, own.clone());
                        moves.push((s.author_id.clone(), from, own.clone()));
                    }
                    None => authors.push((own.clone(), s.fetched_unix_ms)),
                }
                own
            };
            keys.push(key);
        }
        for (id, from, to) in moves {
            self.move_author(&id, &from, &to)?;
        }
        // A snapshot queued before its author was moved follows it.
        for (s, key) in self.pending.iter().zip(keys.iter_mut()) {
            *key = self.current_key(&s.author_id, std::mem::take(key));
        }
        Ok(keys)
    }

    /// Moves author `id` from key `from` to `to` (no author of `id` holds `to` yet): its
    /// snapshots, its row, and every key that led to `from`.
    fn move_author(&mut self, id: &str, from: &str, to: &str) -> rusqlite::Result<()> {
        self.tx.execute(
            "UPDATE snapshots SET author_key = ?3
             WHERE week IN (SELECT week FROM weeks) AND author_id = ?1 AND author_key = ?2",
            params![id, from, to],
        )?;
        self.tx.execute(
            "UPDATE authors SET author_key = ?3 WHERE author_id = ?1 AND author_key = ?2",
            params![id, from, to],
        )?;
        self.tx.execute(
            "UPDATE renames SET to_key = ?3 WHERE author_id = ?1 AND to_key = ?2",
            params![id, from, to],
        )?;
        self.tx.execute(
            "INSERT OR REPLACE INTO renames (author_id, from_key, to_key) VALUES (?1, ?2, ?3)",
            params![id, from, to],
        )?;
        for target in self.renamed.values_mut() {
            if *target == from {
                *target = to.to_string();
            }
        }
        self.renamed
            .insert((id.to_string(), from.to_string()), to.to_string());
        self.moved = true;
        Ok(())
    }

    fn flush(&mut self) -> rusqlite::Result<()> {
        let n = self.pending.len();
        if n == 0 {
            return Ok(());
        }
        for s in &self.pending {
            let week = s.fetched_unix_ms.div_euclid(WEEK_MS);
            if self.weeks.insert(week) {
                // The generation this writer's transaction will be (see `finish`); a bucket
                // whose snapshots were all known already claims it too, which only makes the
                // next lake export count that bucket's weeks once.
                self.tx
                    .prepare_cached(
                        "INSERT INTO weeks (week, generation)
                         VALUES (?1, (SELECT n + 1 FROM generation))
                         ON CONFLICT (week) DO UPDATE SET generation = excluded.generation",
                    )?
                    .execute([week])?;
            }
        }
        let keys = self.keys_of_pending()?;
        let prepare = |n| -> rusqlite::Result<[rusqlite::Statement<'c>; 3]> {
            let [a, b, c] = statements_for(n);
            Ok([
                self.tx.prepare(&a)?,
                self.tx.prepare(&b)?,
                self.tx.prepare(&c)?,
            ])
        };
        let mut short;
        let [snapshots, authors, handles] = if n == ROWS_PER_STATEMENT {
            if self.full.is_none() {
                self.full = Some(prepare(n)?);
            }
            self.full.as_mut().expect("prepared above")
        } else {
            short = prepare(n)?;
            &mut short
        };
        let mut at = 1;
        for (s, key) in self.pending.iter().zip(&keys) {
            at = bind_snapshot(snapshots, at, s, key)?;
        }
        self.added += snapshots.raw_execute()? as u64;
        let stmt = authors;
        let mut at = 1;
        for (s, key) in self.pending.iter().zip(&keys) {
            stmt.raw_bind_parameter(at, &s.author_id)?;
            stmt.raw_bind_parameter(at + 1, key)?;
            stmt.raw_bind_parameter(at + 2, &s.handle)?;
            stmt.raw_bind_parameter(at + 3, s.fetched_unix_ms)?;
            stmt.raw_bind_parameter(at + 4, s.followers_count.map(|n| n as i64))?;
            stmt.raw_bind_parameter(at + 5, s.score)?;
            at += 6;
        }
        stmt.raw_execute()?;
        let stmt = handles;
        let mut at = 1;
        for (s, key) in self.pending.iter().zip(&keys) {
            stmt.raw_bind_parameter(at, &s.author_id)?;
            stmt.raw_bind_parameter(at + 1, key)?;
            stmt.raw_bind_parameter(at + 2, &s.handle)?;
            stmt.raw_bind_parameter(at + 3, s.fetched_unix_ms)?;
            at += 4;
        }
        stmt.raw_execute()?;
        self.pending.clear();
        Ok(())
    }
}

/// Binds one snapshot's 16 columns ([`INSERTED_COLUMNS`]), stored under author key `key`, from
/// parameter `at`; returns the next free parameter.
fn bind_snapshot(
    stmt: &mut rusqlite::Statement<'_>,
    at: usize,
    s: &Snapshot,
    key: &str,
) -> rusqlite::Result<usize> {
    let count = |v: Option<u64>| v.map(|n| n as i64);
    stmt.raw_bind_parameter(at, &s.author_id)?;
    stmt.raw_bind_parameter(at + 1, &s.handle)?;
    stmt.raw_bind_parameter(at + 2, &s.fetched_at)?;
    stmt.raw_bind_parameter(at + 3, s.fetched_unix_ms)?;
    stmt.raw_bind_parameter(at + 4, count(s.followers_count))?;
    stmt.raw_bind_parameter(at + 5, count(s.following_count))?;
    stmt.raw_bind_parameter(at + 6, count(s.tweet_count))?;
    stmt.raw_bind_parameter(at + 7, count(s.listed_count))?;
    stmt.raw_bind_parameter(at + 8, s.score)?;
    stmt.raw_bind_parameter(at + 9, &s.score_state)?;
    stmt.raw_bind_parameter(at + 10, &s.score_version)?;
    stmt.raw_bind_parameter(at + 11, s.version as i64)?;
    stmt.raw_bind_parameter(at + 12, &s.run)?;
    stmt.raw_bind_parameter(at + 13, s.response_line.map(|n| n as i64))?;
    stmt.raw_bind_parameter(at + 14, s.fetched_unix_ms.div_euclid(WEEK_MS))?;
    stmt.raw_bind_parameter(at + 15, key)?;
    Ok(at + 16)
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

/// The next snapshot of one week's stream with its author key, ordered by (author, time) for
/// the merge.
struct Head(Snapshot, String, usize);

impl Head {
    fn key(&self) -> (&str, &str, i64) {
        (&self.0.author_id, &self.1, self.0.fetched_unix_ms)
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
    /// The folded handle the author is stored under: with `id`, who the author is (two handles
    /// claiming one id are two authors, as in the merge). A record is this author when its id
    /// and `merge::fold_handle` of its handle are these.
    #[serde(skip)]
    pub handle_key: String,
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
     score_version, version, run, response_line, author_key FROM snapshots WHERE week = ?1 \
     ORDER BY author_id, author_key, fetched_unix_ms";

/// A row of [`WEEK_COLUMNS`]: the snapshot and its author key.
fn keyed_snapshot_of_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(Snapshot, String)> {
    Ok((snapshot_of_row(r)?, r.get(14)?))
}

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
        aliases: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_history_of_schema_2_is_migrated_keeping_every_snapshot_with_each_handle_of_an_id_apart() {
        let dir = tempfile::tempdir().unwrap();
        let path = DataDir::new(dir.path()).history();
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
        // Rows of that age never recorded aliases: a rename cannot be told from two handles
        // claiming one id, so each handle keeps its own snapshots, and names the other.
        let followers = |handle| {
            history
                .snapshots_of("42", Some(handle))
                .unwrap()
                .iter()
                .map(|s| s.followers_count)
                .collect::<Vec<_>>()
        };
        assert_eq!(followers("old_name"), [Some(100)]);
        assert_eq!(followers("new_name"), [Some(150)]);
        let author = history.author("NEW_NAME").unwrap().unwrap();
        assert_eq!((author.id.as_str(), author.snapshots.len()), ("42", 1));
        assert_eq!(author.id_shared_with, ["old_name"]);
        assert_eq!(history.size().unwrap().0, 2, "no snapshot lost");
    }

    fn snapshot(id: &str, handle: &str, day: i64, followers: u64) -> Snapshot {
        let ms = 1_767_225_600_000 + day * 86_400_000;
        super::super::snapshot::test_snapshot(id, handle, ms, Some(followers), Some(day as f64))
    }

    #[test]
    fn the_newest_snapshot_names_the_handle_and_an_older_one_given_later_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut history = History::open_file(&DataDir::new(dir.path()).history()).unwrap();
        // The refresh writes a renamed author with its old handle in `meta.aliases`.
        let mut renamed = snapshot("42", "new_name", 7, 150);
        renamed.aliases = vec!["old_name".into()];
        history
            .insert_all([snapshot("42", "old_name", 0, 100), renamed])
            .unwrap();
        let author = history.author("new_name").unwrap().expect("renamed");
        assert!(author.id_shared_with.is_empty(), "a rename is no collision");
        assert_eq!((author.id.as_str(), author.snapshots.len()), ("42", 2));
        assert!(history.author("old_name").unwrap().is_none());
        // A backfill of an older snapshot under the old handle neither renames the author back
        // nor moves its two newest snapshots.
        history
            .insert_all([snapshot("42", "old_name", 3, 120)])
            .unwrap();
        assert_eq!(
            history.author("new_name").unwrap().unwrap().snapshots.len(),
            3
        );
        assert!(history.author("old_name").unwrap().is_none());
        let movers = history.movers(5).unwrap();
        let m = &movers.by_followers[0];
        assert_eq!(
            (m.followers_before, m.followers_after),
            (Some(100), Some(150))
        );
        // The same snapshot again adds nothing.
        assert_eq!(
            history
                .insert_all([snapshot("42", "new_name", 7, 150)])
                .unwrap(),
            0
        );
    }

    #[test]
    fn two_handles_claiming_one_id_are_two_authors_each_with_its_own_growth() {
        let dir = tempfile::tempdir().unwrap();
        let mut history = History::open_file(&DataDir::new(dir.path()).history()).unwrap();
        history
            .insert_all([
                snapshot("5943622", "pmarca", 0, 1_920_743),
                snapshot("5943622", "sivers", 0, 180_000),
                snapshot("5943622", "pmarca", 7, 1_920_897),
                snapshot("5943622", "sivers", 7, 180_100),
            ])
            .unwrap();
        for (handle, other, followers) in [
            ("pmarca", "sivers", [1_920_743, 1_920_897]),
            ("sivers", "pmarca", [180_000, 180_100]),
        ] {
            let author = history.author(handle).unwrap().expect("its own history");
            let seen: Vec<_> = author.snapshots.iter().map(|s| s.followers_count).collect();
            assert_eq!(seen, followers.map(Some), "{handle}");
            assert_eq!(author.id_shared_with, [other]);
            assert_eq!(
                history.snapshots_of("5943622", Some(handle)).unwrap(),
                author.snapshots
            );
        }
        assert!(history.flagged(&GrowthRules::bundled()).unwrap().is_empty());
        let movers = history.movers(5).unwrap();
        assert!(
            movers
                .by_followers
                .iter()
                .all(|m| m.followers_delta.is_some_and(|d| d.abs() < 1_000)),
            "{movers:?}"
        );
    }

    #[test]
    fn a_history_that_blended_two_handles_of_one_id_is_split_by_handle_and_its_false_flag_dropped()
    {
        let dir = tempfile::tempdir().unwrap();
        let path = DataDir::new(dir.path()).history();
        {
            let conn = Connection::open(&path).unwrap();
            for sql in &MIGRATIONS[..5] {
                conn.execute_batch(sql).unwrap();
            }
            conn.pragma_update(None, "user_version", 5).unwrap();
            let day = |d: i64| 1_767_225_600_000 + d * 86_400_000;
            for (d, handle, followers) in [
                (0, "pmarca", 1_920_743),
                (1, "sivers", 180_000),
                (2, "pmarca", 1_920_870),
                (3, "pmarca", 1_920_897),
            ] {
                conn.execute(
                    "INSERT INTO snapshots (week, author_id, fetched_unix_ms, fetched_at, handle,
                     followers_count, version) VALUES (?1, '5943622', ?2, ?3, ?4, ?5, 1)",
                    params![day(d) / WEEK_MS, day(d), format!("t{d}"), handle, followers],
                )
                .unwrap();
            }
            conn.execute_batch(
                "INSERT INTO weeks SELECT DISTINCT week FROM snapshots;
                 INSERT INTO authors (author_id, handle, last_unix_ms) VALUES
                     ('5943622', 'pmarca', 1767484800000);
                 INSERT INTO flags_cache_state VALUES (0, 'any');
                 INSERT INTO flags_cache VALUES
                     ('5943622', 'pmarca', 'follower_drop', 'a', 'b', '1920743 -> 180000');",
            )
            .unwrap();
        }
        let history = History::open_file(&path).unwrap();
        let pmarca = history.author("pmarca").unwrap().unwrap();
        assert_eq!(pmarca.snapshots.len(), 3);
        assert_eq!(pmarca.id_shared_with, ["sivers"]);
        let sivers = history.author("sivers").unwrap().expect("found again");
        assert_eq!(sivers.snapshots[0].followers_count, Some(180_000));
        assert_eq!(history.size().unwrap().0, 4, "no snapshot lost");
        assert!(history.flagged(&GrowthRules::bundled()).unwrap().is_empty());
    }

    #[test]
    fn the_growth_flags_are_kept_until_snapshots_are_added_or_the_rules_change() {
        let dir = tempfile::tempdir().unwrap();
        let mut history = History::open_file(&DataDir::new(dir.path()).history()).unwrap();
        let steady = (0..4).map(|w| snapshot("1", "steady", w * 7, 10_000 + 70 * w as u64));
        let bought = [
            snapshot("2", "bought", 0, 10_000),
            snapshot("2", "bought", 7, 10_070),
        ];
        history.insert_all(steady.chain(bought)).unwrap();
        let rules = GrowthRules::bundled();
        assert!(history.flagged(&rules).unwrap().is_empty());

        // A jump makes a flag: the snapshots changed, so the kept (empty) flags are not used.
        history
            .insert_all([snapshot("2", "bought", 14, 40_000)])
            .unwrap();
        let flagged = history.flagged(&rules).unwrap();
        assert_eq!(flagged.len(), 1);
        assert_eq!(
            (flagged[0].id.as_str(), flagged[0].flags[0].kind),
            ("2", "follower_spike")
        );

        // Kept: the same answer comes back without a scan. Deleting the snapshots behind the
        // store's back (no generation counted) shows it is read from what was kept.
        history
            .conn
            .execute("DELETE FROM snapshots WHERE author_id = '2'", [])
            .unwrap();
        assert_eq!(history.flagged(&rules).unwrap(), flagged);

        // Other rules are another question: computed again, from the snapshots left.
        let mut lenient = rules.clone();
        lenient.follower_drop.fraction = 0.9;
        assert!(history.flagged(&lenient).unwrap().is_empty());
        // And a snapshot added makes the kept flags stale for the bundled rules too.
        history
            .insert_all([snapshot("1", "steady", 28, 10_280)])
            .unwrap();
        assert!(history.flagged(&rules).unwrap().is_empty());
    }
}
