//! The files of a run directory: records.jsonl and responses.jsonl (appended), summary.json
//! (written atomically at the end), and their repair when a crashed run is resumed.
//! Not here: the journal format (see `pipeline::journal`).

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::Serialize;

use crate::dataset::{AtomicFile, Record};
use crate::pipeline::handles::InvalidLine;
use crate::pipeline::journal;

pub const RECORDS_FILE: &str = "records.jsonl";
pub const RESPONSES_FILE: &str = "responses.jsonl";
pub const SUMMARY_FILE: &str = "summary.json";

#[derive(Debug, thiserror::Error)]
#[error("cannot write {path}: {source}")]
pub struct OutputError {
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

fn open_append(path: &Path) -> Result<File, OutputError> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|source| OutputError {
            path: path.to_path_buf(),
            source,
        })
}

/// Every raw answer of a run, one JSON line each, shared by concurrent batches.
#[derive(Debug)]
pub struct ResponseLog {
    path: PathBuf,
    out: Mutex<BufWriter<File>>,
    /// The first write error, reported once at the end rather than failing a batch.
    error: Mutex<Option<String>>,
}

impl ResponseLog {
    pub fn open(dir: &Path) -> Result<ResponseLog, OutputError> {
        let path = dir.join(RESPONSES_FILE);
        journal::drop_torn_tail(&path).map_err(|source| OutputError {
            path: path.clone(),
            source,
        })?;
        let file = open_append(&path)?;
        Ok(ResponseLog {
            path,
            out: Mutex::new(BufWriter::with_capacity(256 * 1024, file)),
            error: Mutex::new(None),
        })
    }

    /// Appends one line and hands it to the OS (a crash of the process loses nothing written).
    pub fn write(&self, value: &serde_json::Value) {
        let mut line = serde_json::to_vec(value).expect("JSON values always serialize");
        line.push(b'\n');
        let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
        if let Err(e) = out.write_all(&line).and_then(|()| out.flush()) {
            let mut error = self.error.lock().unwrap_or_else(|e| e.into_inner());
            error.get_or_insert_with(|| format!("cannot write {}: {e}", self.path.display()));
        }
    }

    pub fn error(&self) -> Option<String> {
        self.error.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// records.jsonl, appended batch by batch and synced before the journal names its length.
#[derive(Debug)]
pub struct RecordLog {
    path: PathBuf,
    file: File,
    len: u64,
}

impl RecordLog {
    /// Opens records.jsonl, cut back to `keep_len` bytes: what the journal vouches for.
    pub fn open(dir: &Path, keep_len: u64) -> Result<RecordLog, OutputError> {
        let path = dir.join(RECORDS_FILE);
        let err = |source| OutputError {
            path: path.clone(),
            source,
        };
        journal::truncate_to(&path, keep_len).map_err(err)?;
        journal::drop_torn_tail(&path).map_err(err)?;
        let file = open_append(&path)?;
        let len = file.metadata().map_err(err)?.len();
        Ok(RecordLog { path, file, len })
    }

    /// Appends the records of one batch and syncs them; returns the file's new length.
    pub fn append(&mut self, records: &[Record]) -> Result<u64, OutputError> {
        if records.is_empty() {
            return Ok(self.len);
        }
        let mut buf = Vec::with_capacity(records.len() * 512);
        for r in records {
            buf.extend_from_slice(r.to_line().as_bytes());
            buf.push(b'\n');
        }
        self.file
            .write_all(&buf)
            .and_then(|()| self.file.sync_data())
            .map_err(|source| OutputError {
                path: self.path.clone(),
                source,
            })?;
        self.len += buf.len() as u64;
        Ok(self.len)
    }
}

/// A handle that got no answer, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailedHandle {
    pub handle: String,
    pub reason: String,
}

/// `summary.json`: what a run (all its attempts together) achieved.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    /// Distinct valid handles of the input (plus any asked for one by one).
    pub requested: usize,
    /// Records written: found handles, protected ones included.
    pub harvested: usize,
    pub not_found: usize,
    pub suspended: usize,
    /// Found but protected (counted in `harvested` too).
    pub protected: usize,
    pub invalid: Vec<InvalidLine>,
    /// Input lines naming a handle already listed.
    pub duplicates: usize,
    pub failed: Vec<FailedHandle>,
    /// Handles never asked because the run was cancelled or stopped.
    pub pending: usize,
    pub requests: u64,
    pub retries: u64,
    pub waited_s: f64,
    /// 429 answers received.
    pub throttled: u64,
    /// Why the run stopped early, when it did.
    pub stopped: Option<String>,
    pub cancelled: bool,
}

impl Summary {
    pub fn write(&self, dir: &Path) -> Result<(), OutputError> {
        let path = dir.join(SUMMARY_FILE);
        let err = |e: crate::dataset::DatasetError| OutputError {
            path: path.clone(),
            source: std::io::Error::other(e.to_string()),
        };
        let mut file = AtomicFile::create(&path).map_err(err)?;
        let text = serde_json::to_string_pretty(self).expect("summary is plain data");
        file.write_line(&text).map_err(err)?;
        file.commit().map_err(err)
    }
}

/// Counts the lines of a file (0 when it does not exist).
pub fn count_lines(path: &Path) -> u64 {
    std::fs::read(path)
        .map(|b| b.iter().filter(|c| **c == b'\n').count() as u64)
        .unwrap_or(0)
}
