//! Writing a new version's data file: runs of untouched stored rows are copied byte for byte
//! from the stored file by position (never split into lines, never parsed), the plan's
//! replacements are serialised in between, and the new authors follow as the caller hands
//! them over (serialised lines, or runs of batch rows copied by position like stored ones). A long run is copied inside the
//! kernel (copy_file_range(2) through `std::io::copy`), so its bytes never pass through this
//! process on the writing thread; the sha256 is computed on a second thread, which reads such a
//! run from the stored file itself (versions are never changed once named). A third thread
//! pushes the written part to disk as it grows, so the final fsync waits only for the tail.
//! Not here: deciding the edits (see `plan`).

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};

use sha2::{Digest, Sha256};

use super::stored_rows::RowSpan;
use crate::dataset::{DatasetError, Record};

/// Bytes gathered before they are written and handed to the hasher.
const CHUNK: usize = 4 << 20;
/// Bytes written between two requests to push the file to disk.
const SYNC_EVERY: u64 = 128 << 20;
/// Untouched runs at least this long are copied in the kernel; shorter ones (an edit every few
/// rows) go through the buffer, where system calls per run would cost more than the copy.
const KERNEL_COPY_MIN: u64 = 64 << 10;
/// A long run is copied this much at a time, so that hashing and pushing to disk follow it.
const KERNEL_COPY_STEP: u64 = 32 << 20;

/// What the hasher is given, in file order: bytes, or a range of a file copied in the kernel.
enum Piece<'f> {
    Bytes(Vec<u8>),
    Copied {
        from: &'f File,
        start: u64,
        len: u64,
    },
}

/// A piece of what follows the stored rows.
pub(super) enum Tail<'f> {
    /// Whole lines, each ending in `\n`, and how many.
    Lines { bytes: Vec<u8>, count: u64 },
    /// Rows `start..end` of `file` joined by single `\n`s, copied as they are plus a closing
    /// `\n` (`path` names the file in errors).
    Copy {
        file: &'f File,
        path: &'f Path,
        start: u64,
        end: u64,
        rows: u64,
    },
}

/// One change to the stored rows, by ordinal.
#[derive(Debug, Clone, Copy)]
pub(super) enum RowEdit<'a> {
    Replace(&'a Record),
    Drop,
}

/// The stored file the new one is made from.
pub(super) struct Base<'a> {
    pub path: &'a Path,
    pub spans: &'a [RowSpan],
}

/// Writes `target` durably (fsynced) from `base` with `edits` (sorted by row, one per row) and
/// the `tail` after the stored rows. Returns the file's sha256 (lowercase hex) and record count.
/// A stored row is written as its text without surrounding whitespace plus `\n`, as a
/// line-by-line copy would. The first error of `tail` stops the writing and is returned.
pub(super) fn write_version<'f, E: From<DatasetError>>(
    target: &Path,
    base: Option<Base<'_>>,
    edits: &[(u32, RowEdit<'_>)],
    tail: impl Iterator<Item = Result<Tail<'f>, E>>,
) -> Result<(String, u64), E> {
    let write_err = |source| DatasetError::Write {
        path: target.to_path_buf(),
        source,
    };
    let file = File::create(target).map_err(write_err)?;
    let syncing = file.try_clone().map_err(write_err)?;
    let read_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| DatasetError::Read { path, source }
    };
    let stored = match &base {
        Some(base) => Some(File::open(base.path).map_err(|source| DatasetError::Read {
            path: base.path.to_path_buf(),
            source,
        })?),
        None => None,
    };
    let (to_hasher, hashed) = sync_channel::<Piece>(4);
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
        let written = (|| -> Result<(), E> {
            if let (Some(base), Some(stored)) = (&base, &stored) {
                copy_with_edits(&mut out, stored, base, edits).map_err(|e| match e {
                    Failure::Read(source) => read_err(base.path)(source),
                    Failure::Write(source) => write_err(source),
                })?;
            }
            for piece in tail {
                match piece? {
                    Tail::Lines { bytes, count } => out.lines(&bytes, count).map_err(write_err)?,
                    Tail::Copy {
                        file,
                        path,
                        start,
                        end,
                        rows,
                    } => out
                        .copy_run(file, (start, end, rows))
                        .map_err(|e| match e {
                            Failure::Read(source) => read_err(path)(source),
                            Failure::Write(source) => write_err(source),
                        })?,
                }
            }
            Ok(out.flush().map_err(write_err)?)
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
        let sha = sha.map_err(|source| DatasetError::Read {
            path: base
                .as_ref()
                .map(|b| b.path)
                .unwrap_or(target)
                .to_path_buf(),
            source,
        })?;
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
fn copy_with_edits<'f>(
    out: &mut Output<'f>,
    stored: &'f File,
    base: &Base<'_>,
    edits: &[(u32, RowEdit<'_>)],
) -> Result<(), Failure> {
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
                        out.copy_run(stored, done)?;
                        Some((span.start, span.end(), 1))
                    }
                    None => Some((span.start, span.end(), 1)),
                };
            }
            Some(edit) => {
                if let Some(done) = run.take() {
                    out.copy_run(stored, done)?;
                }
                if let RowEdit::Replace(record) = edit {
                    out.record(record).map_err(Failure::Write)?;
                }
            }
        }
    }
    if let Some(done) = run {
        out.copy_run(stored, done)?;
    }
    Ok(())
}

/// The file being written, its pending bytes, and the threads it feeds.
struct Output<'f> {
    file: File,
    pending: Vec<u8>,
    to_hasher: SyncSender<Piece<'f>>,
    to_syncer: SyncSender<()>,
    since_sync: u64,
    count: u64,
}

impl<'f> Output<'f> {
    fn record(&mut self, record: &Record) -> std::io::Result<()> {
        self.pending.extend_from_slice(record.to_line().as_bytes());
        self.pending.push(b'\n');
        self.count += 1;
        if self.pending.len() >= CHUNK {
            self.flush()?;
        }
        Ok(())
    }

    /// `count` whole lines, each already ending in `\n`.
    fn lines(&mut self, bytes: &[u8], count: u64) -> std::io::Result<()> {
        self.pending.extend_from_slice(bytes);
        self.count += count;
        if self.pending.len() >= CHUNK {
            self.flush()?;
        }
        Ok(())
    }

    /// Copies stored bytes `start..end` (`rows` rows joined by `\n`) and a closing `\n`.
    fn copy_run(
        &mut self,
        stored: &'f File,
        (start, end, rows): (u64, u64, u64),
    ) -> Result<(), Failure> {
        if end - start >= KERNEL_COPY_MIN {
            self.copy_in_kernel(stored, start, end)?;
        } else {
            self.copy_through_buffer(stored, start, end)?;
        }
        self.pending.push(b'\n');
        self.count += rows;
        Ok(())
    }

    fn copy_through_buffer(&mut self, stored: &File, start: u64, end: u64) -> Result<(), Failure> {
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
        Ok(())
    }

    /// Writes what is pending, then has the kernel append stored bytes `start..end` to the file
    /// (`std::io::copy` between two files uses copy_file_range(2), falling back to a plain copy
    /// where the kernel cannot); the hasher reads the same range from the stored file.
    fn copy_in_kernel(&mut self, stored: &'f File, start: u64, end: u64) -> Result<(), Failure> {
        self.flush().map_err(Failure::Write)?;
        let mut from = stored;
        from.seek(SeekFrom::Start(start)).map_err(Failure::Read)?;
        let mut at = start;
        while at < end {
            let len = (end - at).min(KERNEL_COPY_STEP);
            let copied =
                std::io::copy(&mut from.take(len), &mut &self.file).map_err(Failure::Write)?;
            if copied != len {
                return Err(Failure::Read(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    format!("the stored file ended {} bytes early", len - copied),
                )));
            }
            let piece = Piece::Copied {
                from: stored,
                start: at,
                len,
            };
            self.send(piece, len).map_err(Failure::Write)?;
            at += len;
        }
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        self.file.write_all(&self.pending)?;
        let len = self.pending.len() as u64;
        let bytes = if self.pending.len() >= CHUNK / 4 {
            std::mem::replace(&mut self.pending, Vec::with_capacity(CHUNK + (64 << 10)))
        } else {
            // A few rows ahead of a kernel copy: hand over a copy and keep the big buffer,
            // rather than allocate a fresh one per untouched run.
            self.pending.split_off(0)
        };
        self.send(Piece::Bytes(bytes), len)
    }

    /// Hands `len` bytes just written to the hasher, and asks for a push to disk every
    /// `SYNC_EVERY` bytes.
    fn send(&mut self, piece: Piece<'f>, len: u64) -> std::io::Result<()> {
        self.since_sync += len;
        if self.since_sync >= SYNC_EVERY {
            self.since_sync = 0;
            // A push already under way covers this one too.
            if let Err(TrySendError::Disconnected(())) = self.to_syncer.try_send(()) {
                return Err(std::io::Error::other("the disk syncer stopped"));
            }
        }
        // The hasher stops early only on a read error or a panic, which `join` reports.
        let _ = self.to_hasher.send(piece);
        Ok(())
    }
}

/// The sha256 of the pieces in order (lowercase hex); copied ranges are read again from the
/// file they were copied from.
fn hash_all(pieces: Receiver<Piece<'_>>) -> std::io::Result<String> {
    let mut hasher = Sha256::new();
    let mut buf = Vec::new();
    for piece in pieces {
        match piece {
            Piece::Bytes(bytes) => hasher.update(&bytes),
            Piece::Copied { from, start, len } => {
                buf.resize(CHUNK, 0);
                let mut at = start;
                while at < start + len {
                    let n = CHUNK.min((start + len - at) as usize);
                    from.read_exact_at(&mut buf[..n], at)?;
                    hasher.update(&buf[..n]);
                    at += n as u64;
                }
            }
        }
    }
    Ok(crate::digest::to_hex(&hasher.finalize()))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::parse_line;
    use crate::pipeline::merge::stored_rows::scan_rows;

    fn row(i: usize, pad: usize) -> String {
        format!(r#"{{"handle":"h{i}","pad":"{}"}}"#, "p".repeat(pad))
    }

    /// Writes `rows` as the stored file, then a version with every `every`-th row replaced and
    /// every `every + 1`-th dropped; checks it against the same edit done line by line.
    fn check(rows: usize, pad: usize, every: usize) {
        let dir = tempfile::tempdir().unwrap();
        let stored_path = dir.path().join("stored.jsonl");
        let stored_text: String = (0..rows).map(|i| row(i, pad) + "\n").collect();
        std::fs::write(&stored_path, &stored_text).unwrap();
        let mut spans = Vec::new();
        scan_rows::<super::super::stored_rows::ScanError>(&stored_path, |span, _| {
            spans.push(span);
            Ok(())
        })
        .unwrap();
        let replacement = parse_line(1, r#"{"handle":"new","score":1.5}"#).unwrap();
        let appended = parse_line(1, r#"{"handle":"added"}"#).unwrap();
        let edits: Vec<(u32, RowEdit<'_>)> = (0..rows as u32)
            .filter_map(|r| match r as usize {
                i if i % every == every - 1 => Some((r, RowEdit::Replace(&replacement))),
                i if i % (every + 1) == every => Some((r, RowEdit::Drop)),
                _ => None,
            })
            .collect();
        let target = dir.path().join("new.jsonl");
        let base = Base {
            path: &stored_path,
            spans: &spans,
        };
        let mut line = appended.to_line().into_bytes();
        line.push(b'\n');
        let tail = std::iter::once(Ok::<_, DatasetError>(Tail::Lines {
            bytes: line,
            count: 1,
        }));
        let (sha, count) = write_version(&target, Some(base), &edits, tail).unwrap();

        let mut expected = String::new();
        let mut lines = 0u64;
        for (i, line) in stored_text.lines().enumerate() {
            match edits.iter().find(|(r, _)| *r as usize == i) {
                Some((_, RowEdit::Replace(r))) => expected.push_str(&r.to_line()),
                Some((_, RowEdit::Drop)) => continue,
                None => expected.push_str(line),
            }
            expected.push('\n');
            lines += 1;
        }
        expected.push_str(&appended.to_line());
        expected.push('\n');
        let written = std::fs::read_to_string(&target).unwrap();
        assert!(written == expected, "rows {rows}, pad {pad}, every {every}");
        assert_eq!(count, lines + 1);
        assert_eq!(
            sha,
            crate::pipeline::merge::sha256_of(&target).unwrap(),
            "the sha256 is the written file's"
        );
    }

    #[test]
    fn runs_copied_in_the_kernel_give_the_bytes_and_sha_a_buffered_copy_gives() {
        // Runs of ~4 MB (kernel copy, several steps for the longest) between edits.
        check(6_000, 3_000, 1_500);
        // A run longer than one kernel copy step, with no edit at all in it.
        check(40_000, 1_000, 39_000);
    }

    #[test]
    fn short_runs_between_dense_edits_go_through_the_buffer_unchanged() {
        check(20_000, 100, 3);
    }
}
