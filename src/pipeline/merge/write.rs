//! Writing a new version's data file: runs of untouched stored rows are copied byte for byte
//! from the stored file by position (never split into lines, never parsed), the plan's
//! replacements and new authors are serialised in between. The sha256 is computed on a second
//! thread while the file is written, and a third thread pushes the written part to disk as it
//! grows, so the final fsync waits only for the tail. Not here: deciding the edits (see `plan`).

use std::fs::File;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};

use sha2::{Digest, Sha256};

use super::scan::RowSpan;
use crate::dataset::{DatasetError, Record};

/// Bytes gathered before they are written and handed to the hasher.
const CHUNK: usize = 4 << 20;
/// Bytes written between two requests to push the file to disk.
const SYNC_EVERY: u64 = 128 << 20;

/// One change to the stored rows, by ordinal.
#[derive(Debug, Clone, Copy)]
pub enum RowEdit<'a> {
    Replace(&'a Record),
    Drop,
}

/// The stored file the new one is made from.
pub struct Base<'a> {
    pub path: &'a Path,
    pub spans: &'a [RowSpan],
}

/// Writes `target` durably (fsynced) from `base` with `edits` (sorted by row, one per row) and
/// `append` after the stored rows. Returns the file's sha256 (lowercase hex) and record count.
/// A stored row is written as its text without surrounding whitespace plus `\n`, as a
/// line-by-line copy would.
pub fn write_version(
    target: &Path,
    base: Option<Base<'_>>,
    edits: &[(u32, RowEdit<'_>)],
    append: &[Record],
) -> Result<(String, u64), DatasetError> {
    let write_err = |source| DatasetError::Write {
        path: target.to_path_buf(),
        source,
    };
    let file = File::create(target).map_err(write_err)?;
    let syncing = file.try_clone().map_err(write_err)?;
    let (to_hasher, hashed) = sync_channel::<Vec<u8>>(4);
    let (to_syncer, sync_requests) = sync_channel::<()>(1);
    std::thread::scope(|scope| {
        let hasher = scope.spawn(move || hash_all(hashed));
        let syncer = scope.spawn(move || sync_on_request(&syncing, sync_requests));
        let mut out = Output {
            file,
            pending: Vec::with_capacity(CHUNK + (64 << 10)),
            to_hasher,
            to_syncer,
            since_sync: 0,
            count: 0,
        };
        let written = (|| -> Result<(), DatasetError> {
            if let Some(base) = &base {
                copy_with_edits(&mut out, base, edits).map_err(|e| match e {
                    Failure::Read(source) => DatasetError::Read {
                        path: base.path.to_path_buf(),
                        source,
                    },
                    Failure::Write(source) => write_err(source),
                })?;
            }
            for record in append {
                out.record(record).map_err(write_err)?;
            }
            out.flush().map_err(write_err)
        })();
        let Output {
            file,
            to_hasher,
            to_syncer,
            count,
            ..
        } = out;
        drop((to_hasher, to_syncer));
        let sha = hasher.join().expect("hashing does not panic");
        let synced = syncer.join().expect("syncing does not panic");
        written?;
        synced.map_err(write_err)?;
        file.sync_all().map_err(write_err)?;
        Ok((sha, count))
    })
}

enum Failure {
    Read(std::io::Error),
    Write(std::io::Error),
}

/// Walks the stored rows in order: a run of untouched rows whose texts are separated by exactly
/// one `\n` is one byte range, copied at once.
fn copy_with_edits(
    out: &mut Output,
    base: &Base<'_>,
    edits: &[(u32, RowEdit<'_>)],
) -> Result<(), Failure> {
    let stored = File::open(base.path).map_err(Failure::Read)?;
    let mut edits = edits.iter().peekable();
    let mut run: Option<(u64, u64, u64)> = None; // (start, end, rows)
    for (row, span) in base.spans.iter().enumerate() {
        let edit = match edits.peek() {
            Some((r, e)) if *r as usize == row => {
                edits.next();
                Some(*e)
            }
            _ => None,
        };
        match edit {
            None => {
                run = match run {
                    Some((start, end, rows)) if span.start == end + 1 => {
                        Some((start, span.end(), rows + 1))
                    }
                    Some(done) => {
                        out.copy_run(&stored, done)?;
                        Some((span.start, span.end(), 1))
                    }
                    None => Some((span.start, span.end(), 1)),
                };
            }
            Some(edit) => {
                if let Some(done) = run.take() {
                    out.copy_run(&stored, done)?;
                }
                if let RowEdit::Replace(record) = edit {
                    out.record(record).map_err(Failure::Write)?;
                }
            }
        }
    }
    if let Some(done) = run {
        out.copy_run(&stored, done)?;
    }
    Ok(())
}

/// The file being written, its pending bytes, and the threads it feeds.
struct Output {
    file: File,
    pending: Vec<u8>,
    to_hasher: SyncSender<Vec<u8>>,
    to_syncer: SyncSender<()>,
    since_sync: u64,
    count: u64,
}

impl Output {
    fn record(&mut self, record: &Record) -> std::io::Result<()> {
        self.pending.extend_from_slice(record.to_line().as_bytes());
        self.pending.push(b'\n');
        self.count += 1;
        if self.pending.len() >= CHUNK {
            self.flush()?;
        }
        Ok(())
    }

    /// Copies stored bytes `start..end` (`rows` rows joined by `\n`) and a closing `\n`.
    fn copy_run(
        &mut self,
        stored: &File,
        (start, end, rows): (u64, u64, u64),
    ) -> Result<(), Failure> {
        let mut at = start;
        while at < end {
            let room = (CHUNK + (64 << 10))
                .saturating_sub(self.pending.len())
                .max(1 << 16);
            let n = room.min((end - at) as usize);
            let filled = self.pending.len();
            self.pending.resize(filled + n, 0);
            stored
                .read_exact_at(&mut self.pending[filled..], at)
                .map_err(Failure::Read)?;
            at += n as u64;
            if self.pending.len() >= CHUNK {
                self.flush().map_err(Failure::Write)?;
            }
        }
        self.pending.push(b'\n');
        self.count += rows;
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        self.file.write_all(&self.pending)?;
        self.since_sync += self.pending.len() as u64;
        if self.since_sync >= SYNC_EVERY {
            self.since_sync = 0;
            // A push already under way covers this one too.
            if let Err(TrySendError::Disconnected(())) = self.to_syncer.try_send(()) {
                return Err(std::io::Error::other("the disk syncer stopped"));
            }
        }
        let full = std::mem::replace(&mut self.pending, Vec::with_capacity(CHUNK + (64 << 10)));
        // The hasher only stops early if it panicked, which `join` reports.
        let _ = self.to_hasher.send(full);
        Ok(())
    }
}

fn hash_all(chunks: Receiver<Vec<u8>>) -> String {
    let mut hasher = Sha256::new();
    for chunk in chunks {
        hasher.update(&chunk);
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Writes the file's dirty pages out while the writer goes on, so that the closing fsync does
/// not have to write the whole file at once. The first failure is returned: the kernel reports
/// a writeback error once per open file, and this thread shares the writer's.
fn sync_on_request(file: &File, requests: Receiver<()>) -> std::io::Result<()> {
    for () in requests {
        file.sync_data()?;
    }
    Ok(())
}
