//! The checkpoint of a harvest run (`DIR/journal.jsonl`): one line saying what the run is, then one
//! line per answered batch, appended and fsynced before the batch counts as done, so that
//! `--resume` asks again only for what was never answered.
//!
//! Paths in the header are named relative to the run directory when they lie in its data
//! directory, so a data directory copied or moved is resumed in place; a journal written with
//! absolute paths is read against where the run is now (see [`RunHeader::located`]).
//!
//! Also repairs the append-only files of a run dir after a crash (a torn last line, records
//! written for a batch whose journal line never made it). Not here: deciding what to ask (see
//! `harvest`).

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::page::{PageAsk, PageSource};
use crate::pipeline::data_dir::RUNS_DIR;

pub(crate) const JOURNAL_FILE: &str = "journal.jsonl";

/// What a run is: enough to resume it with `--resume DIR` alone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct RunHeader {
    /// Always "run".
    pub kind: String,
    pub started_at: DateTime<Utc>,
    /// The handles file, when the run came from one: relative to the run directory when it
    /// lies in the run's data directory, else absolute.
    pub handles_file: Option<PathBuf>,
    pub api_base: String,
    pub batch_size: usize,
    /// The price per user returned the run was started with (micro-dollars), so a repair of
    /// its ledger lines prices them as it did. Absent in journals older than the ledger.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_micros: Option<u64>,
    /// The data directory whose ledger prices the run, so that `--resume DIR` alone keeps
    /// counting in the same ledger: `../..` for a run of `DIR/runs/`, else absolute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    /// The paged sources a discovery run reads (list members, seeds' followings), so that a
    /// resume goes on with each from the page its journal names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<PageSource>,
}

/// The data directory a run directory belongs to by place: `DIR` for `DIR/runs/<run>`.
pub(crate) fn home_of(run_dir: &Path) -> Option<PathBuf> {
    let run_dir = std::path::absolute(run_dir).ok()?;
    let parent = run_dir.parent()?;
    (parent.file_name()? == RUNS_DIR).then(|| parent.parent().map(Path::to_path_buf))?
}

/// `../..`: how a header names the data directory of a run of `DIR/runs/`.
fn home_from_run() -> PathBuf {
    Path::new("..").join("..")
}

fn same_dir(a: &Path, b: &Path) -> bool {
    super::ledger::run_key(a) == super::ledger::run_key(b)
}

impl RunHeader {
    /// The header as written into `run_dir`: paths inside the run's data directory named
    /// relative to the run, so that nothing in the journal points out of a copy of it.
    fn relative_to(mut self, run_dir: &Path) -> RunHeader {
        let Some(home) = home_of(run_dir) else {
            return self;
        };
        if !self.data_dir.as_deref().is_some_and(|d| same_dir(d, &home)) {
            return self;
        }
        self.data_dir = Some(home_from_run());
        let (home, run) = (
            super::ledger::run_key(&home),
            super::ledger::run_key(run_dir),
        );
        if let Some(h) = self.handles_file.as_deref().map(super::ledger::run_key) {
            if let Ok(rest) = h.strip_prefix(&run) {
                self.handles_file = Some(rest.to_path_buf());
            } else if let Ok(rest) = h.strip_prefix(&home) {
                self.handles_file = Some(home_from_run().join(rest));
            }
        }
        self
    }

    /// The header read against where `run_dir` is now. Relative paths are relative to the run.
    /// An absolute data directory that is not the run's own (`DIR` of `DIR/runs/<run>`) is
    /// where the directory was before it was copied or moved: it and the paths inside it are
    /// taken as the run's own directory's, so a resume never writes outside the directory it
    /// is given.
    pub(crate) fn located(mut self, run_dir: &Path) -> RunHeader {
        let resolve = |p: PathBuf| {
            if p.is_relative() { run_dir.join(p) } else { p }
        };
        self.data_dir = self.data_dir.map(resolve);
        self.handles_file = self.handles_file.map(resolve);
        let (Some(home), Some(old)) = (home_of(run_dir), self.data_dir.clone()) else {
            return self;
        };
        if same_dir(&old, &home) {
            self.data_dir = Some(home);
            return self;
        }
        if let Some(rest) = self
            .handles_file
            .as_deref()
            .and_then(|h| h.strip_prefix(&old).ok())
        {
            self.handles_file = Some(home.join(rest));
        }
        self.data_dir = Some(home);
        self
    }
}

/// Running totals of a run, carried in every batch line so a resumed run continues them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct RunTotals {
    pub requests: u64,
    pub retries: u64,
    pub waited_ms: u64,
    pub throttled: u64,
}

/// One answered batch: what became of each of its handles.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct JournalBatch {
    /// Always "batch".
    pub kind: String,
    pub batch: usize,
    pub found: Vec<String>,
    pub protected: Vec<String>,
    pub not_found: Vec<String>,
    pub suspended: Vec<String>,
    /// `[handle, reason]`: in the answer's batch but not reconcilable (missing from the response).
    pub failed: Vec<(String, String)>,
    /// Length of records.jsonl once this batch's records were written and synced.
    pub records_len: u64,
    pub totals: RunTotals,
    /// The page this batch asked for, when it read a paged source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<PageAsk>,
    /// The page its answer named next (`None` on a source's last page).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_page: Option<PageAsk>,
}

impl JournalBatch {
    /// Handles this batch answered for good (failed ones are asked again on resume).
    pub(crate) fn answered(&self) -> impl Iterator<Item = &String> {
        self.found
            .iter()
            .chain(&self.protected)
            .chain(&self.not_found)
            .chain(&self.suspended)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("cannot write journal {path}: {source}")]
    Write { path: PathBuf, source: io::Error },
    #[error("cannot read journal {path}: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error("{path} has no journal: nothing to resume (start the run without --resume)")]
    Missing { path: PathBuf },
    #[error("journal {path} line {line} cannot be read: {reason}")]
    Corrupt {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    #[error("{path} already holds a run journal: use --resume to finish it, or another --out")]
    Exists { path: PathBuf },
}

/// An open journal, appended to as batches are answered.
#[derive(Debug)]
pub(crate) struct Journal {
    path: PathBuf,
    file: File,
}

/// What an earlier attempt of the run left.
#[derive(Debug, Clone)]
pub(crate) struct Resumed {
    pub header: RunHeader,
    pub batches: Vec<JournalBatch>,
}

impl Resumed {
    pub(crate) fn last_totals(&self) -> RunTotals {
        self.batches.last().map(|b| b.totals).unwrap_or_default()
    }

    pub(crate) fn records_len(&self) -> u64 {
        self.batches.last().map_or(0, |b| b.records_len)
    }

    pub(crate) fn next_batch(&self) -> usize {
        self.batches.iter().map(|b| b.batch + 1).max().unwrap_or(1)
    }

    /// The page each of the run's sources goes on with: the first page of a source no answer
    /// of the journal read, the page the last journaled answer of a source named next, and
    /// none for a source whose last page was read. A page asked but never journaled is asked
    /// again from the token that named it, so no page is skipped.
    pub(crate) fn pages_left(&self) -> Vec<PageAsk> {
        self.header
            .sources
            .iter()
            .filter_map(|source| {
                let last = self
                    .batches
                    .iter()
                    .filter(|b| b.page.as_ref().is_some_and(|p| p.source == *source))
                    .max_by_key(|b| b.batch);
                match last {
                    None => Some(PageAsk::first(source.clone())),
                    Some(b) => b.next_page.clone(),
                }
            })
            .collect()
    }
}

impl Journal {
    /// Starts the journal of a new run in `dir`; refuses to overwrite one.
    pub(crate) fn create(dir: &Path, header: &RunHeader) -> Result<Journal, JournalError> {
        let path = dir.join(JOURNAL_FILE);
        let write_err = |source| JournalError::Write {
            path: path.clone(),
            source,
        };
        let file = OpenOptions::new()
            .append(true)
            .create_new(true)
            .open(&path)
            .map_err(|source| {
                if source.kind() == io::ErrorKind::AlreadyExists {
                    JournalError::Exists { path: path.clone() }
                } else {
                    write_err(source)
                }
            })?;
        crate::dataset::sync_dir(dir).map_err(write_err)?;
        let mut journal = Journal { path, file };
        journal.append_line(&header.clone().relative_to(dir))?;
        Ok(journal)
    }

    /// Opens the journal of an interrupted run, dropping a torn last line.
    pub(crate) fn resume(dir: &Path) -> Result<(Journal, Resumed), JournalError> {
        let path = dir.join(JOURNAL_FILE);
        if !path.exists() {
            return Err(JournalError::Missing {
                path: dir.to_path_buf(),
            });
        }
        drop_torn_tail(&path).map_err(|source| JournalError::Read {
            path: path.clone(),
            source,
        })?;
        let resumed = Journal::read(dir)?;
        let file = OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(|source| JournalError::Write {
                path: path.clone(),
                source,
            })?;
        Ok((Journal { path, file }, resumed))
    }

    /// Reads what an earlier attempt left without changing anything (a torn last line is
    /// skipped, not cut): what a plan of the resumed run needs.
    pub(crate) fn read(dir: &Path) -> Result<Resumed, JournalError> {
        let path = dir.join(JOURNAL_FILE);
        if !path.exists() {
            return Err(JournalError::Missing {
                path: dir.to_path_buf(),
            });
        }
        let mut text = std::fs::read_to_string(&path).map_err(|source| JournalError::Read {
            path: path.clone(),
            source,
        })?;
        if !text.ends_with('\n') {
            let keep = text.rfind('\n').map_or(0, |i| i + 1);
            text.truncate(keep);
        }
        let corrupt = |line: usize, reason: String| JournalError::Corrupt {
            path: path.clone(),
            line,
            reason,
        };
        let mut lines = text.lines().enumerate();
        let header: RunHeader = match lines.next() {
            Some((_, l)) => serde_json::from_str::<RunHeader>(l)
                .map_err(|e| corrupt(1, e.to_string()))?
                .located(dir),
            None => return Err(corrupt(1, "empty journal".into())),
        };
        let mut batches = Vec::new();
        for (i, l) in lines {
            if l.trim().is_empty() {
                continue;
            }
            let entry: JournalBatch =
                serde_json::from_str(l).map_err(|e| corrupt(i + 1, e.to_string()))?;
            batches.push(entry);
        }
        Ok(Resumed { header, batches })
    }

    #[cfg(test)]
    /// Appends one batch line and makes it durable before returning.
    pub(crate) fn append(&mut self, entry: &JournalBatch) -> Result<(), JournalError> {
        self.append_many(std::slice::from_ref(entry))
    }

    /// Appends several batch lines with one fsync (group commit: an fsync costs milliseconds).
    pub(crate) fn append_many(&mut self, entries: &[JournalBatch]) -> Result<(), JournalError> {
        let mut buf = Vec::with_capacity(entries.len() * 256);
        for entry in entries {
            serde_json::to_writer(&mut buf, entry).expect("journal lines are plain data");
            buf.push(b'\n');
        }
        self.write_synced(&buf)
    }

    fn append_line<T: Serialize>(&mut self, value: &T) -> Result<(), JournalError> {
        let mut line = serde_json::to_vec(value).expect("journal lines are plain data");
        line.push(b'\n');
        self.write_synced(&line)
    }

    fn write_synced(&mut self, bytes: &[u8]) -> Result<(), JournalError> {
        self.file
            .write_all(bytes)
            .and_then(|()| self.file.sync_data())
            .map_err(|source| JournalError::Write {
                path: self.path.clone(),
                source,
            })
    }
}

/// Reads only what a run is (its first journal line), to find its handles file and settings.
pub(crate) fn read_header(dir: &Path) -> Result<RunHeader, JournalError> {
    let path = dir.join(JOURNAL_FILE);
    let file = File::open(&path).map_err(|source| {
        if source.kind() == io::ErrorKind::NotFound {
            JournalError::Missing {
                path: dir.to_path_buf(),
            }
        } else {
            JournalError::Read {
                path: path.clone(),
                source,
            }
        }
    })?;
    let mut first = String::new();
    io::BufRead::read_line(&mut io::BufReader::new(file), &mut first).map_err(|source| {
        JournalError::Read {
            path: path.clone(),
            source,
        }
    })?;
    serde_json::from_str::<RunHeader>(&first)
        .map(|h| h.located(dir))
        .map_err(|e| JournalError::Corrupt {
            path,
            line: 1,
            reason: e.to_string(),
        })
}

/// Cuts a file after its last complete line (a crash can leave half a line); returns how many
/// bytes were cut, so a caller can say so.
pub(crate) fn drop_torn_tail(path: &Path) -> io::Result<u64> {
    let mut file = match OpenOptions::new().read(true).write(true).open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok(0);
    }
    // Read backwards in chunks until a newline is found.
    let mut end = len;
    let mut buf = vec![0u8; 64 * 1024];
    let mut keep = 0;
    while end > 0 {
        let start = end.saturating_sub(buf.len() as u64);
        let chunk = &mut buf[..(end - start) as usize];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(chunk)?;
        if let Some(pos) = chunk.iter().rposition(|b| *b == b'\n') {
            keep = start + pos as u64 + 1;
            break;
        }
        end = start;
    }
    if keep < len {
        file.set_len(keep)?;
        file.sync_all()?;
    }
    Ok(len - keep)
}

/// Cuts a file to `len` bytes when it is longer (records written after the last journal line).
pub(crate) fn truncate_to(path: &Path, len: u64) -> io::Result<()> {
    let file = match OpenOptions::new().write(true).open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound && len == 0 => return Ok(()),
        Err(e) => return Err(e),
    };
    if file.metadata()?.len() > len {
        file.set_len(len)?;
        file.sync_all()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> RunHeader {
        RunHeader {
            kind: "run".into(),
            started_at: Utc::now(),
            handles_file: Some("/tmp/h.txt".into()),
            api_base: "http://127.0.0.1:9".into(),
            batch_size: 100,
            price_micros: Some(10_000),
            data_dir: None,
            sources: Vec::new(),
        }
    }

    fn entry(batch: usize, found: &[&str], records_len: u64) -> JournalBatch {
        JournalBatch {
            kind: "batch".into(),
            batch,
            found: found.iter().map(|s| s.to_string()).collect(),
            records_len,
            ..JournalBatch::default()
        }
    }

    #[test]
    fn a_resumed_journal_returns_every_batch_appended_before() {
        let dir = tempfile::tempdir().unwrap();
        let mut j = Journal::create(dir.path(), &header()).unwrap();
        j.append(&entry(1, &["a", "b"], 10)).unwrap();
        j.append(&entry(2, &["c"], 20)).unwrap();
        drop(j);
        let (_, resumed) = Journal::resume(dir.path()).unwrap();
        assert_eq!(resumed.header.batch_size, 100);
        assert_eq!(resumed.batches.len(), 2);
        assert_eq!(resumed.records_len(), 20);
        assert_eq!(resumed.next_batch(), 3);
    }

    #[test]
    fn a_torn_last_line_is_dropped_and_the_journal_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let mut j = Journal::create(dir.path(), &header()).unwrap();
        j.append(&entry(1, &["a"], 5)).unwrap();
        drop(j);
        let path = dir.path().join(JOURNAL_FILE);
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(br#"{"kind":"batch","batch":2,"fou"#).unwrap();
        drop(f);
        let (mut j, resumed) = Journal::resume(dir.path()).unwrap();
        assert_eq!(resumed.batches.len(), 1);
        j.append(&entry(2, &["b"], 9)).unwrap();
        let (_, again) = Journal::resume(dir.path()).unwrap();
        assert_eq!(again.batches.len(), 2);
    }

    #[test]
    fn a_new_run_refuses_to_overwrite_an_existing_journal() {
        let dir = tempfile::tempdir().unwrap();
        Journal::create(dir.path(), &header()).unwrap();
        let err = Journal::create(dir.path(), &header()).unwrap_err();
        assert!(err.to_string().contains("--resume"), "{err}");
    }

    #[test]
    fn resuming_a_dir_without_a_journal_says_so() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            Journal::resume(dir.path()),
            Err(JournalError::Missing { .. })
        ));
    }

    #[test]
    fn a_header_names_paths_inside_its_data_directory_relative_to_the_run() {
        let data = tempfile::tempdir().unwrap();
        let run = crate::pipeline::data_dir::DataDir::new(data.path())
            .runs_dir()
            .join("hv");
        std::fs::create_dir_all(&run).unwrap();
        let mut h = header();
        h.data_dir = Some(data.path().to_path_buf());
        h.handles_file = Some(run.join("handles.txt"));
        Journal::create(&run, &h).unwrap();
        let text = std::fs::read_to_string(run.join(JOURNAL_FILE)).unwrap();
        assert!(!text.contains(&*data.path().to_string_lossy()), "{text}");
        let read = read_header(&run).unwrap();
        assert!(same_dir(read.data_dir.as_deref().unwrap(), data.path()));
        assert!(same_dir(
            read.handles_file.as_deref().unwrap(),
            &run.join("handles.txt")
        ));
    }

    #[test]
    fn an_old_header_with_absolute_paths_is_read_against_where_the_run_is_now() {
        let h = RunHeader {
            data_dir: Some("/old/place".into()),
            handles_file: Some("/old/place/runs/hv/handles.txt".into()),
            ..header()
        };
        let now = h.clone().located(Path::new("/new/place/runs/hv"));
        assert_eq!(now.data_dir, Some(PathBuf::from("/new/place")));
        assert_eq!(
            now.handles_file,
            Some(PathBuf::from("/new/place/runs/hv/handles.txt"))
        );
        // A handles file outside the old directory is still where it was.
        let outside = RunHeader {
            handles_file: Some("/home/me/h.txt".into()),
            ..h
        };
        let now = outside.located(Path::new("/new/place/runs/hv"));
        assert_eq!(now.handles_file, Some(PathBuf::from("/home/me/h.txt")));
    }

    #[test]
    fn drop_torn_tail_keeps_complete_lines_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("records.jsonl");
        std::fs::write(&path, "{\"a\":1}\n{\"b\":2}\n{\"c\":").unwrap();
        drop_torn_tail(&path).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "{\"a\":1}\n{\"b\":2}\n"
        );
        truncate_to(&path, 8).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"a\":1}\n");
    }
}
