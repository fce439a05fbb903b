//! The spend ledger of a data directory (`DIR/ledger.jsonl`): one line for every answered request
//! of every run of that directory — when it was sent, the UTC day it is billed to, the run and
//! the line of the run's responses.jsonl it answers, each user returned (id, handle, and whether
//! it was a free same-day re-read), the price and the cost.
//!
//! Why an append-only JSON-lines file and not an embedded database: the ledger is written in
//! the order requests are answered and read whole (a day's re-reads, a month's spend); one line a
//! request, fsynced in groups, is all the durability that needs, and anyone can read it with
//! `jq`. Why it cannot lose or double-count a request: every answer is first written to the run's
//! responses.jsonl, and each ledger line names that line. A run killed before its ledger lines
//! reached the disk leaves answers with no ledger line; the next harvest of the directory (which
//! holds the directory's harvest lock, so no other run is writing) adds exactly those, found by
//! (run directory, line), and never a line twice.
//!
//! X bills a user once per UTC day however often it is read ("soft guarantee"), so the cost of an
//! answer depends on every earlier answer of the day, by any run: [`LedgerBook`] keeps the ids
//! read on recent days. Not here: deciding what to send (see `engine` and `cost_plan`).

use std::collections::{HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::outputs::{RESPONSES_FILE, StoredAnswer};
use super::pricing::Micros;
use super::xapi::UsersBody;
use crate::dataset::lock_file::{LockError, LockFile, holder_note};
use crate::pipeline::data_dir::{DataDir, RUNS_DIR};
use crate::pipeline::harvest::journal;

/// Days of reads kept in memory before today: a run that crosses midnight still needs yesterday.
const DAYS_KEPT: i64 = 2;

/// One user an answer returned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerUser {
    pub id: String,
    pub handle: String,
    /// Already read on the same UTC day (by any run of the directory): not billed again.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub free: bool,
}

/// One answered request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    /// When the request was sent.
    pub at: DateTime<Utc>,
    /// The UTC day it is billed to.
    pub day: NaiveDate,
    /// The run's id: its directory's name.
    pub run: String,
    /// The run directory as the ledger names it (see [`run_name`]): `runs/<run>` for a run of
    /// the data directory, so a copied or moved directory's ledger still names its runs.
    pub run_dir: PathBuf,
    /// 1-based line of `run_dir/responses.jsonl` holding the answer.
    pub response_line: u64,
    /// Byte offset just past that line: how far the ledger covers the responses file.
    pub response_end: u64,
    /// HTTP status; `None` for a request that got no answer (transport error).
    pub status: Option<u16>,
    pub users: Vec<LedgerUser>,
    pub price_micros: Micros,
    pub cost_micros: Micros,
}

impl LedgerEntry {
    pub(crate) fn billed(&self) -> u64 {
        self.users.iter().filter(|u| !u.free).count() as u64
    }

    pub(crate) fn free_rereads(&self) -> u64 {
        self.users.iter().filter(|u| u.free).count() as u64
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("cannot read ledger {path}: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error("cannot write ledger {path}: {source}")]
    Write { path: PathBuf, source: io::Error },
    #[error("ledger {path} line {line} cannot be read: {reason}")]
    Corrupt {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    #[error(
        "another harvest is writing to {dir} ({holder}); one harvest at a time per data directory"
    )]
    Busy { dir: PathBuf, holder: String },
    #[error("cannot read {path} to repair the ledger: {source}")]
    Responses { path: PathBuf, source: io::Error },
}

/// What one run spent, over all its attempts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct RunSpend {
    pub requests: u64,
    pub cost_micros: Micros,
    pub users_billed: u64,
    pub free_rereads: u64,
}

impl RunSpend {
    pub(crate) fn add(&mut self, entry: &LedgerEntry) {
        self.requests += 1;
        self.cost_micros += entry.cost_micros;
        self.users_billed += entry.billed();
        self.free_rereads += entry.free_rereads();
    }
}

/// What the ledger says about recent days: which users were read (so a re-read is free), which
/// handles (so a plan can say a re-read will be free before it is sent), and what each run spent.
#[derive(Debug, Default)]
pub struct LedgerBook {
    read: HashMap<NaiveDate, HashSet<String>>,
    handles: HashMap<NaiveDate, HashSet<String>>,
    spent_by_day: HashMap<NaiveDate, Micros>,
    runs: HashMap<PathBuf, RunSpend>,
    /// The responses.jsonl lines of each run that have a ledger line, with the byte offset
    /// just past each: requests in flight together are answered (and ledgered) out of order.
    covered: HashMap<PathBuf, HashMap<u64, u64>>,
    oldest_kept: Option<NaiveDate>,
}

impl LedgerBook {
    fn new(today: NaiveDate) -> LedgerBook {
        LedgerBook {
            oldest_kept: today.checked_sub_signed(TimeDelta::days(DAYS_KEPT)),
            ..LedgerBook::default()
        }
    }

    fn keeps(&self, day: NaiveDate) -> bool {
        self.oldest_kept.is_none_or(|o| day >= o)
    }

    /// Takes in an entry already in the ledger.
    fn absorb(&mut self, entry: &LedgerEntry) {
        if self.keeps(entry.day) || self.read.contains_key(&entry.day) {
            let read = self.read.entry(entry.day).or_default();
            let handles = self.handles.entry(entry.day).or_default();
            for u in &entry.users {
                read.insert(u.id.clone());
                handles.insert(u.handle.to_ascii_lowercase());
            }
            *self.spent_by_day.entry(entry.day).or_default() += entry.cost_micros;
        }
        let name = run_name(&entry.run_dir);
        self.runs.entry(name.clone()).or_default().add(entry);
        self.covered
            .entry(name)
            .or_default()
            .insert(entry.response_line, entry.response_end);
    }

    /// Prices the users of one answer sent at `at`, and counts them as read. Users read before
    /// on that UTC day, by any run, are free.
    pub(crate) fn charge(&mut self, request: AnsweredRequest, price: Micros) -> LedgerEntry {
        let day = request.at.date_naive();
        let read = self.read.entry(day).or_default();
        let mut cost = 0;
        let users = request
            .users
            .into_iter()
            .map(|(id, handle)| {
                let free = !read.insert(id.clone());
                if !free {
                    cost += price;
                }
                LedgerUser { id, handle, free }
            })
            .collect();
        let entry = LedgerEntry {
            at: request.at,
            day,
            run: request
                .run_dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            run_dir: run_name(&request.run_dir),
            response_line: request.response_line,
            response_end: request.response_end,
            status: request.status,
            users,
            price_micros: price,
            cost_micros: cost,
        };
        self.absorb(&entry);
        entry
    }

    /// True when `handle` was read on `day` (case-insensitive): a re-read that day is free.
    pub(crate) fn read_on(&self, day: NaiveDate, handle: &str) -> bool {
        self.handles
            .get(&day)
            .is_some_and(|h| h.contains(&handle.to_ascii_lowercase()))
    }

    /// What `run_dir` has spent so far, over all its attempts.
    pub(crate) fn run(&self, run_dir: &Path) -> RunSpend {
        self.runs
            .get(&run_name(run_dir))
            .copied()
            .unwrap_or_default()
    }

    /// What every run of the directory spent on `day`.
    pub(crate) fn spent_on(&self, day: NaiveDate) -> Micros {
        self.spent_by_day.get(&day).copied().unwrap_or(0)
    }

    /// The run's responses.jsonl lines that have a ledger line, and where the unbroken run of
    /// them from line 1 ends: (last line of it, byte offset past it).
    fn covered(&self, run_dir: &Path) -> (Option<&HashMap<u64, u64>>, u64, u64) {
        let lines = self.covered.get(&run_name(run_dir));
        let (mut line, mut end) = (0, 0);
        if let Some(lines) = lines {
            while let Some(e) = lines.get(&(line + 1)) {
                line += 1;
                end = *e;
            }
        }
        (lines, line, end)
    }
}

/// An answer to be priced: when its request was sent, where its response line is, and the users
/// it returned as (id, handle).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AnsweredRequest {
    pub at: DateTime<Utc>,
    pub run_dir: PathBuf,
    pub response_line: u64,
    pub response_end: u64,
    pub status: Option<u16>,
    pub users: Vec<(String, String)>,
}

/// The ledger file, open for appending.
#[derive(Debug)]
pub(crate) struct LedgerFile {
    path: PathBuf,
    file: File,
}

impl LedgerFile {
    /// Appends entries and makes them durable with one fsync.
    pub(crate) fn append(&mut self, entries: &[LedgerEntry]) -> Result<(), LedgerError> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut buf = Vec::with_capacity(entries.len() * 512);
        for e in entries {
            serde_json::to_writer(&mut buf, e).expect("ledger lines are plain data");
            buf.push(b'\n');
        }
        self.file
            .write_all(&buf)
            .and_then(|()| self.file.sync_data())
            .map_err(|source| LedgerError::Write {
                path: self.path.clone(),
                source,
            })
    }
}

/// The directory's harvest lock: while it is held, no other influx process writes to the
/// ledger, so a repair cannot race a run that is still writing. Released when dropped.
#[derive(Debug)]
pub struct HarvestLock {
    _lock: LockFile,
}

impl HarvestLock {
    /// Takes the lock or says who holds it; never waits.
    pub fn take(data_dir: &DataDir, run_dir: &Path) -> Result<HarvestLock, LedgerError> {
        let note = holder_note(&format!(", run {}", run_dir.display()));
        match LockFile::take(&data_dir.harvest_lock(), &note) {
            Ok(lock) => Ok(HarvestLock { _lock: lock }),
            Err(LockError::Busy { holder, .. }) => Err(LedgerError::Busy {
                dir: data_dir.root().to_path_buf(),
                holder,
            }),
            Err(LockError::Io { path, source }) => Err(LedgerError::Write { path, source }),
        }
    }
}

/// Reads every entry of the ledger, in order; a torn last line (a crash mid-write) is skipped.
pub fn read_entries(data_dir: &DataDir) -> Result<Vec<LedgerEntry>, LedgerError> {
    let mut out = Vec::new();
    for_each_entry(&data_dir.ledger(), |e| out.push(e))?;
    Ok(out)
}

fn for_each_entry(path: &Path, mut each: impl FnMut(LedgerEntry)) -> Result<(), LedgerError> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(source) => {
            return Err(LedgerError::Read {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    let mut reader = BufReader::new(file);
    let mut line = String::new();
    let mut number = 0;
    loop {
        line.clear();
        let n = reader
            .read_line(&mut line)
            .map_err(|source| LedgerError::Read {
                path: path.to_path_buf(),
                source,
            })?;
        if n == 0 {
            return Ok(());
        }
        number += 1;
        if !line.ends_with('\n') {
            // Half a line: a write the crash cut; its answer is repaired from responses.jsonl.
            return Ok(());
        }
        if line.trim().is_empty() {
            continue;
        }
        let entry = serde_json::from_str(&line).map_err(|e| LedgerError::Corrupt {
            path: path.to_path_buf(),
            line: number,
            reason: e.to_string(),
        })?;
        each(entry);
    }
}

/// The ledger as a writer sees it: the book of recent days and the file to append to.
#[derive(Debug)]
pub(crate) struct Ledger {
    pub book: LedgerBook,
    pub file: LedgerFile,
}

impl Ledger {
    /// Opens the directory's ledger for a run holding `_lock` (which makes dropping a torn tail
    /// and repairing safe).
    pub(crate) fn open(
        data_dir: &DataDir,
        _lock: &HarvestLock,
        now: DateTime<Utc>,
    ) -> Result<Ledger, LedgerError> {
        let path = data_dir.ledger();
        let write = |source| LedgerError::Write {
            path: path.clone(),
            source,
        };
        journal::drop_torn_tail(&path).map_err(write)?;
        let book = read_book(data_dir, now)?;
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(write)?;
        Ok(Ledger {
            book,
            file: LedgerFile { path, file },
        })
    }

    /// Makes sure the book knows who was read on `day`, reading that day back from the file
    /// when it is older than the days kept (a killed run repaired days later must not bill
    /// again a user another run already paid for that day).
    fn load_day(&mut self, day: NaiveDate) -> Result<(), LedgerError> {
        if self.book.keeps(day) || self.book.read.contains_key(&day) {
            return Ok(());
        }
        let mut ids = HashSet::new();
        let mut handles = HashSet::new();
        for_each_entry(&self.file.path, |e| {
            if e.day == day {
                for u in e.users {
                    ids.insert(u.id);
                    handles.insert(u.handle.to_ascii_lowercase());
                }
            }
        })?;
        self.book.read.insert(day, ids);
        self.book.handles.insert(day, handles);
        Ok(())
    }

    /// Adds a ledger line for every answer of `run_dir`'s responses.jsonl that has none (the run
    /// was killed before its ledger lines were written). Returns how many were added.
    pub(crate) fn repair(&mut self, run_dir: &Path, price: Micros) -> Result<usize, LedgerError> {
        let path = run_dir.join(RESPONSES_FILE);
        let (covered, line, end) = self.book.covered(run_dir);
        let covered: HashSet<u64> = covered
            .map(|c| c.keys().copied().collect())
            .unwrap_or_default();
        let err = |source| LedgerError::Responses {
            path: path.clone(),
            source,
        };
        let mut file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(err(e)),
        };
        if file.metadata().map_err(err)?.len() <= end {
            return Ok(0);
        }
        file.seek(SeekFrom::Start(end)).map_err(err)?;
        let mut reader = BufReader::new(file);
        let mut text = String::new();
        let (mut number, mut offset) = (line, end);
        let mut added = Vec::new();
        loop {
            text.clear();
            let n = reader.read_line(&mut text).map_err(err)?;
            if n == 0 || !text.ends_with('\n') {
                break;
            }
            number += 1;
            offset += n as u64;
            if covered.contains(&number) {
                continue;
            }
            let Some(request) = answered_from_line(&text, run_dir, number, offset) else {
                continue;
            };
            self.load_day(request.at.date_naive())?;
            added.push(self.book.charge(request, price));
        }
        self.file.append(&added)?;
        Ok(added.len())
    }

    /// Repairs every run under `DIR/runs/` that this ledger prices (see [`Ledger::repair`]): a
    /// run whose journal names this data directory and its price. Runs from before the ledger
    /// (no price in their journal) or of another data directory are left alone: what they spent
    /// was never this ledger's to count.
    pub(crate) fn repair_all(&mut self, data_dir: &DataDir) -> Result<usize, LedgerError> {
        let Ok(entries) = std::fs::read_dir(data_dir.runs_dir()) else {
            return Ok(0);
        };
        let home = run_key(data_dir.root());
        let mut runs: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_dir())
            .collect();
        runs.sort();
        let mut added = 0;
        for run in runs {
            let Ok(header) = journal::read_header(&run) else {
                continue;
            };
            let (Some(price), Some(dir)) = (header.price_micros, header.data_dir) else {
                continue;
            };
            if run_key(&dir) == home {
                added += self.repair(&run_key(&run), price)?;
            }
        }
        Ok(added)
    }
}

/// The ledger as a run uses it: answers are priced under a short lock, in the order they come
/// back, and their lines written by a thread of its own that fsyncs them in groups, so that a
/// slow disk never holds up a request. Without a data directory (a library caller, a bench) the
/// run is still priced, in memory only.
#[derive(Debug)]
pub(crate) struct RunLedger {
    book: std::sync::Mutex<LedgerBook>,
    writer: Option<LedgerWriter>,
    price: Micros,
    run_dir: PathBuf,
}

impl RunLedger {
    pub(crate) fn new(
        book: LedgerBook,
        file: Option<LedgerFile>,
        price: Micros,
        run_dir: PathBuf,
    ) -> RunLedger {
        RunLedger {
            book: std::sync::Mutex::new(book),
            writer: file.map(LedgerWriter::spawn),
            price,
            run_dir,
        }
    }

    fn book(&self) -> std::sync::MutexGuard<'_, LedgerBook> {
        self.book.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Prices one answer of this run and queues its ledger line; `Err` once the ledger can no
    /// longer be written (the run must stop: it would spend without counting).
    pub(crate) fn charge(
        &self,
        at: DateTime<Utc>,
        place: super::outputs::ResponsePlace,
        status: Option<u16>,
        users: Vec<(String, String)>,
    ) -> Result<LedgerEntry, String> {
        if let Some(e) = self.writer.as_ref().and_then(LedgerWriter::failure) {
            return Err(e);
        }
        let entry = self.book().charge(
            AnsweredRequest {
                at,
                run_dir: self.run_dir.clone(),
                response_line: place.line,
                response_end: place.end,
                status,
                users,
            },
            self.price,
        );
        if let Some(w) = &self.writer {
            w.submit(entry.clone())?;
        }
        Ok(entry)
    }

    /// True when `handle` was read today by a run of the directory: reading it again is free.
    pub(crate) fn read_on(&self, day: NaiveDate, handle: &str) -> bool {
        self.book().read_on(day, handle)
    }

    /// How many of `handles` would be billed if found on `day`.
    pub(crate) fn billable(&self, day: NaiveDate, handles: &[String]) -> u64 {
        let book = self.book();
        handles.iter().filter(|h| !book.read_on(day, h)).count() as u64
    }

    /// What this run has spent, over all its attempts.
    pub(crate) fn spent(&self) -> RunSpend {
        self.book().run(&self.run_dir)
    }

    /// What the directory's runs spent on `day`, this one included.
    pub(crate) fn spent_on(&self, day: NaiveDate) -> Micros {
        self.book().spent_on(day)
    }

    /// Writes every queued line; returns the first write error.
    pub(crate) fn finish(&mut self) -> Result<(), String> {
        match self.writer.take() {
            Some(w) => w.finish(),
            None => Ok(()),
        }
    }
}

/// Appends ledger lines on a thread of its own, one fsync per group of lines that arrived
/// together.
#[derive(Debug)]
struct LedgerWriter {
    lines: Option<std::sync::mpsc::Sender<LedgerEntry>>,
    thread: Option<std::thread::JoinHandle<()>>,
    failure: std::sync::Arc<std::sync::Mutex<Option<String>>>,
}

impl LedgerWriter {
    fn spawn(mut file: LedgerFile) -> LedgerWriter {
        let (tx, rx) = std::sync::mpsc::channel::<LedgerEntry>();
        let failure = std::sync::Arc::new(std::sync::Mutex::new(None));
        let failed = failure.clone();
        let thread = std::thread::Builder::new()
            .name("influx-ledger".into())
            .spawn(move || {
                while let Ok(first) = rx.recv() {
                    let mut group = vec![first];
                    group.extend(rx.try_iter().take(1023));
                    if let Err(e) = file.append(&group) {
                        *failed.lock().unwrap_or_else(|e| e.into_inner()) = Some(e.to_string());
                        return;
                    }
                }
            });
        let (thread, failure) = match thread {
            Ok(t) => (Some(t), failure),
            Err(e) => {
                *failure.lock().unwrap_or_else(|e| e.into_inner()) =
                    Some(format!("cannot start the ledger writer: {e}"));
                (None, failure)
            }
        };
        LedgerWriter {
            lines: thread.as_ref().map(|_| tx),
            thread,
            failure,
        }
    }

    fn failure(&self) -> Option<String> {
        self.failure
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn submit(&self, entry: LedgerEntry) -> Result<(), String> {
        let sent = self.lines.as_ref().is_some_and(|l| l.send(entry).is_ok());
        if sent {
            Ok(())
        } else {
            Err(self
                .failure()
                .unwrap_or_else(|| "the ledger writer has stopped".into()))
        }
    }

    fn finish(mut self) -> Result<(), String> {
        self.lines.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        match self.failure() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

/// How the ledger names a run: `runs/<run>` for a run directory in a `runs/` directory (a run
/// of the data directory, wherever the directory is now: copied or moved, its ledger still
/// names its runs), else the path as given. Ledgers written before named every run by its
/// absolute path; `/old/place/runs/<run>` is read as `runs/<run>` the same way.
pub(crate) fn run_name(run_dir: &Path) -> PathBuf {
    match (run_dir.parent(), run_dir.file_name()) {
        (Some(parent), Some(name)) if parent.file_name().is_some_and(|p| p == RUNS_DIR) => {
            Path::new(RUNS_DIR).join(name)
        }
        _ => run_dir.to_path_buf(),
    }
}

/// How the ledger names a directory: its canonical path, so that one run spelled two ways
/// (relative, through a symlink) is one run. A directory that does not exist yet is named by
/// its absolute path.
pub(crate) fn run_key(dir: &Path) -> PathBuf {
    std::fs::canonicalize(dir)
        .or_else(|_| std::path::absolute(dir))
        .unwrap_or_else(|_| dir.to_path_buf())
}

/// The book of the directory's ledger, read without taking the lock (a plan, `influx spend`).
pub(crate) fn read_book(data_dir: &DataDir, now: DateTime<Utc>) -> Result<LedgerBook, LedgerError> {
    let mut book = LedgerBook::new(now.date_naive());
    for_each_entry(&data_dir.ledger(), |e| book.absorb(&e))?;
    Ok(book)
}

/// Reads one responses.jsonl line back into what the ledger records of it; `None` for a line
/// that is not an answer of the run (nothing else is written there, but a hand-edited file
/// must not stop a repair).
fn answered_from_line(
    line: &str,
    run_dir: &Path,
    number: u64,
    end: u64,
) -> Option<AnsweredRequest> {
    let stored: StoredAnswer<'_> = StoredAnswer::read(line)?;
    let status = stored.status;
    Some(AnsweredRequest {
        at: crate::dataset::parse_time(stored.sent_at?)?,
        run_dir: run_dir.to_path_buf(),
        response_line: number,
        response_end: end,
        status,
        users: match (status, stored.body) {
            (Some(200), Some(body)) => UsersBody::parse(body.get().as_bytes())
                .map(|b| b.billed())
                .unwrap_or_default(),
            _ => Vec::new(),
        },
    })
}

/// The users an answer is billed for: those in the `data` of a 200 answer (X charges for the
/// resources it returns, each once; an error answer returns none).
pub(crate) fn billed_users(status: Option<u16>, body: &UsersBody) -> Vec<(String, String)> {
    if status == Some(200) {
        body.billed()
    } else {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        crate::dataset::parse_time(s).unwrap()
    }

    fn answered(when: &str, run: &str, line: u64, users: &[(&str, &str)]) -> AnsweredRequest {
        AnsweredRequest {
            at: at(when),
            run_dir: PathBuf::from(run),
            response_line: line,
            response_end: line * 100,
            status: Some(200),
            users: users
                .iter()
                .map(|(i, h)| (i.to_string(), h.to_string()))
                .collect(),
        }
    }

    #[test]
    fn a_user_is_billed_once_per_utc_day_by_any_run() {
        let mut book = LedgerBook::new(at("2026-12-02T00:00:00Z").date_naive());
        let first = book.charge(
            answered(
                "2026-12-02T08:00:00Z",
                "/d/runs/a",
                1,
                &[("1", "Ann"), ("2", "Bob")],
            ),
            10_000,
        );
        assert_eq!((first.cost_micros, first.billed()), (20_000, 2));
        let again = book.charge(
            answered(
                "2026-12-02T23:59:59Z",
                "/d/runs/b",
                1,
                &[("1", "ann"), ("3", "Cy")],
            ),
            10_000,
        );
        assert_eq!((again.cost_micros, again.free_rereads()), (10_000, 1));
        let next_day = book.charge(
            answered("2026-12-03T00:00:00Z", "/d/runs/b", 2, &[("1", "Ann")]),
            10_000,
        );
        assert_eq!(next_day.cost_micros, 10_000);
        assert!(book.read_on(at("2026-12-02T00:00:00Z").date_naive(), "ANN"));
        assert_eq!(book.run(Path::new("/d/runs/b")).cost_micros, 20_000);
        assert_eq!(
            book.spent_on(at("2026-12-02T00:00:00Z").date_naive()),
            30_000
        );
    }

    #[test]
    fn a_torn_last_line_is_skipped_and_a_corrupt_one_is_named() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = DataDir::new(tmp.path());
        let mut book = LedgerBook::new(Utc::now().date_naive());
        let e = book.charge(answered("2026-12-02T08:00:00Z", "/r", 1, &[("1", "a")]), 1);
        let mut text = serde_json::to_string(&e).unwrap();
        text.push('\n');
        std::fs::write(dir.ledger(), format!("{text}{{\"at\":")).unwrap();
        assert_eq!(read_entries(&dir).unwrap(), vec![e]);
        std::fs::write(dir.ledger(), format!("{text}nonsense\n")).unwrap();
        let err = read_entries(&dir).unwrap_err().to_string();
        assert!(err.contains("line 2"), "{err}");
    }

    #[test]
    fn users_are_billed_from_a_200_answer_only() {
        let many = UsersBody::parse(
            br#"{"data":[{"id":"1","username":"a"},{"id":"2","username":"b"}],"errors":[{"value":"c"}]}"#,
        )
        .unwrap();
        assert_eq!(billed_users(Some(200), &many).len(), 2);
        assert!(billed_users(Some(429), &many).is_empty());
        assert!(billed_users(None, &many).is_empty());
    }

    #[test]
    fn a_repair_adds_exactly_the_answers_a_killed_run_left_without_a_ledger_line() {
        let tmp = tempfile::tempdir().unwrap();
        let data = DataDir::new(tmp.path());
        let run = data.runs_dir().join("r");
        std::fs::create_dir_all(&run).unwrap();
        let answer = |n: u32, status: u32| {
            format!(
                "{{\"batch\":{n},\"status\":{status},\"sent_at\":\"2026-12-02T08:00:0{n}Z\",\"body\":{{\"data\":[{{\"id\":\"{n}\",\"username\":\"u{n}\"}}]}}}}\n"
            )
        };
        let text = format!("{}{}{}", answer(1, 200), answer(2, 200), answer(3, 503));
        std::fs::write(run.join(RESPONSES_FILE), &text).unwrap();
        let header = journal::RunHeader {
            kind: "run".into(),
            started_at: Utc::now(),
            handles_file: None,
            api_base: "http://127.0.0.1:9".into(),
            batch_size: 100,
            price_micros: Some(10_000),
            data_dir: Some(data.root().to_path_buf()),
            sources: Vec::new(),
        };
        journal::Journal::create(&run, &header).unwrap();
        // A run from before the ledger (no price in its journal) is never billed by a repair.
        let old = data.runs_dir().join("old");
        std::fs::create_dir_all(&old).unwrap();
        std::fs::write(old.join(RESPONSES_FILE), answer(4, 200)).unwrap();
        let legacy = journal::RunHeader {
            price_micros: None,
            data_dir: None,
            ..header.clone()
        };
        journal::Journal::create(&old, &legacy).unwrap();
        let run = run_key(&run);
        let lock = HarvestLock::take(&data, &run).unwrap();
        // The run had written the ledger line of its second answer only (answers in flight
        // together are ledgered out of order) when it was killed.
        let mut ledger = Ledger::open(&data, &lock, Utc::now()).unwrap();
        let second_end = (answer(1, 200).len() + answer(2, 200).len()) as u64;
        let e = ledger.book.charge(
            AnsweredRequest {
                at: at("2026-12-02T08:00:02Z"),
                run_dir: run.clone(),
                response_line: 2,
                response_end: second_end,
                status: Some(200),
                users: vec![("2".into(), "u2".into())],
            },
            10_000,
        );
        ledger.file.append(&[e]).unwrap();
        drop(ledger);

        let mut ledger = Ledger::open(&data, &lock, Utc::now()).unwrap();
        assert_eq!(ledger.repair_all(&data).unwrap(), 2, "lines 1 and 3");
        let mut again = Ledger::open(&data, &lock, Utc::now()).unwrap();
        assert_eq!(again.repair_all(&data).unwrap(), 0, "never twice");
        let entries = read_entries(&data).unwrap();
        let mut lines: Vec<u64> = entries.iter().map(|e| e.response_line).collect();
        lines.sort();
        assert_eq!(lines, vec![1, 2, 3]);
        let cost: u64 = entries.iter().map(|e| e.cost_micros).sum();
        assert_eq!(cost, 20_000, "two users billed; the 503 returned none");
        drop(ledger);
    }

    #[test]
    fn a_second_harvest_of_the_same_directory_is_refused_naming_the_first() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = DataDir::new(tmp.path());
        let _held = HarvestLock::take(&dir, Path::new("/runs/one")).unwrap();
        let err = HarvestLock::take(&dir, Path::new("/runs/two")).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("/runs/one") && text.contains("pid"), "{text}");
    }
}
