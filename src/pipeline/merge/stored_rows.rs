//! One pass over the stored dataset: where every row is (byte range, line number) and its
//! matching key, read in large blocks and parsed on every core. The byte ranges let the merge
//! read the few rows it touches again by position and copy the untouched ones byte for byte.
//! Not here: deciding what the rows mean for the merge (see `plan`).

use std::borrow::Cow;
use std::fs::File;
use std::io::Read;
use std::path::Path;

use rayon::prelude::*;

use super::keys::{LineKey, line_key};
use crate::dataset::{DatasetError, LineError};

/// Where one stored row is: the line's text without its surrounding whitespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct RowSpan {
    pub start: u64,
    pub len: u32,
    /// 1-based line number (blank lines are counted, never rows).
    pub line: u32,
}

impl RowSpan {
    pub(super) fn end(&self) -> u64 {
        self.start + u64::from(self.len)
    }
}

/// Why the scan stopped.
#[derive(Debug, thiserror::Error)]
pub(super) enum ScanError {
    #[error(transparent)]
    File(#[from] DatasetError),
    #[error(transparent)]
    Line(#[from] LineError),
    #[error("line {line} is longer than 4 GiB")]
    TooLong { line: usize },
}

/// Bytes read at a time; a block ends at its last newline, the rest opens the next block.
const BLOCK: usize = 8 << 20;

/// A run of whole lines and where it starts in the file.
struct Block {
    bytes: Vec<u8>,
    offset: u64,
}

/// Calls `each(row span, key)` for every non-blank line of `path`, in file order. Three stages
/// overlap: one thread reads blocks, one parses a block's keys on every core, and `each` runs
/// on the caller's thread on the block parsed before, so the caller's bookkeeping never leaves
/// the cores idle. Stops at the first unreadable line or the first error `each` returns.
pub(super) fn scan_rows<E: From<ScanError> + Send>(
    path: &Path,
    mut each: impl FnMut(RowSpan, LineKey<'_>) -> Result<(), E>,
) -> Result<String, E> {
    let open_err = |source| DatasetError::Open {
        path: path.to_path_buf(),
        source,
    };
    let read_err = |source| DatasetError::Read {
        path: path.to_path_buf(),
        source,
    };
    let mut file = File::open(path)
        .map_err(open_err)
        .map_err(ScanError::from)?;
    let (send_block, blocks) = std::sync::mpsc::sync_channel::<Block>(1);
    let (send_parsed, parsed) = std::sync::mpsc::sync_channel::<(Block, Vec<Part>)>(1);
    std::thread::scope(|scope| {
        // The file's sha256 is taken as it is read, on the reader's thread: checking it against
        // its manifest costs no second pass over a file of a gigabyte and more.
        let reader = scope.spawn(move || -> Result<String, DatasetError> {
            use sha2::{Digest, Sha256};
            let mut hasher = Sha256::new();
            let done = |hasher: Sha256| Ok(crate::digest::to_hex(&hasher.finalize()));
            let mut carry: Vec<u8> = Vec::new();
            let mut offset = 0u64;
            loop {
                let mut bytes = std::mem::take(&mut carry);
                bytes.reserve_exact(BLOCK);
                let filled = bytes.len();
                // `read_to_end` fills the spare capacity without zeroing it first.
                let n = (&mut file)
                    .take(BLOCK as u64)
                    .read_to_end(&mut bytes)
                    .map_err(read_err)?;
                hasher.update(&bytes[filled..]);
                if bytes.is_empty() {
                    return done(hasher);
                }
                if n > 0 {
                    match bytes[filled..].iter().rposition(|b| *b == b'\n') {
                        Some(last) => carry = bytes.split_off(filled + last + 1),
                        // One line longer than a block: read on until it ends.
                        None => {
                            carry = bytes;
                            continue;
                        }
                    }
                }
                let len = bytes.len() as u64;
                if send_block.send(Block { bytes, offset }).is_err() {
                    // The caller stopped: the hash is not asked for.
                    return done(hasher);
                }
                offset += len;
                if n == 0 {
                    return done(hasher);
                }
            }
        });
        scope.spawn(move || {
            for block in blocks {
                let parts: Vec<Part> = cut(&block.bytes)
                    .into_par_iter()
                    .map(|run| parse_part(block.offset, &block.bytes, run))
                    .collect();
                // A closed channel means the caller stopped: dropping `blocks` stops the reader.
                if send_parsed.send((block, parts)).is_err() {
                    return;
                }
            }
        });
        let mut line_base = 0usize;
        let mut outcome: Result<(), E> = Ok(());
        'blocks: for (block, parts) in parsed {
            for part in parts {
                for (span, key) in part.rows {
                    let line = line_base + span.line as usize;
                    let span = RowSpan {
                        line: u32::try_from(line).map_err(|_| ScanError::TooLong { line })?,
                        ..span
                    };
                    outcome = key
                        .map_err(|e| E::from(ScanError::Line(at_line(e, line))))
                        .and_then(|k| each(span, k.borrow_from(&block.bytes)));
                    if outcome.is_err() {
                        // Dropping the receiver stops the parser, which stops the reader.
                        break 'blocks;
                    }
                }
                line_base += part.lines;
            }
        }
        let read = reader.join().expect("the block reader does not panic");
        outcome?;
        read.map_err(|e| E::from(e.into()))
    })
}

/// Pieces a block is cut into, to be parsed on every core.
const PARTS: usize = 16;

/// Cuts a block into about `PARTS` runs of whole lines.
fn cut(bytes: &[u8]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::with_capacity(PARTS);
    let mut at = 0;
    while at < bytes.len() {
        let aim = (at + bytes.len() / PARTS).min(bytes.len() - 1);
        let end = bytes[aim..]
            .iter()
            .position(|b| *b == b'\n')
            .map_or(bytes.len(), |i| aim + i + 1);
        out.push(at..end);
        at = end;
    }
    out
}

/// A key string as it travels from the parsing thread to the caller: where it lies in its
/// block when the JSON needed no unescaping (the common case, no allocation), else the text.
#[derive(Debug)]
enum KeyText {
    At { start: u32, len: u32 },
    Owned(String),
}

/// [`LineKey`] detached from the block it borrows from, so that it can cross threads with it.
#[derive(Debug)]
struct DetachedKey {
    id: Option<KeyText>,
    handle_key: Option<KeyText>,
    score_version: Option<KeyText>,
}

impl DetachedKey {
    fn detach(key: LineKey<'_>, block: &[u8]) -> DetachedKey {
        let text = |t: Option<Cow<'_, str>>| {
            t.map(|t| match t {
                Cow::Borrowed(s) => {
                    let start = s.as_ptr() as usize - block.as_ptr() as usize;
                    debug_assert!(start + s.len() <= block.len());
                    KeyText::At {
                        start: start as u32,
                        len: s.len() as u32,
                    }
                }
                Cow::Owned(s) => KeyText::Owned(s),
            })
        };
        DetachedKey {
            id: text(key.id),
            handle_key: text(key.handle_key),
            score_version: text(key.score_version),
        }
    }

    /// The key again, borrowing from the block it was detached from.
    fn borrow_from(self, block: &[u8]) -> LineKey<'_> {
        let text = |t: Option<KeyText>| {
            t.map(|t| match t {
                KeyText::At { start, len } => {
                    let bytes = &block[start as usize..(start + len) as usize];
                    // These bytes were a `&str` when detached, and the block is unchanged.
                    Cow::Borrowed(std::str::from_utf8(bytes).expect("detached from a str"))
                }
                KeyText::Owned(s) => Cow::Owned(s),
            })
        };
        LineKey {
            id: text(self.id),
            handle_key: text(self.handle_key),
            score_version: text(self.score_version),
        }
    }
}

/// The rows of one run of lines, numbered from 1 within the run, and how many lines it holds.
struct Part {
    rows: Vec<(RowSpan, Result<DetachedKey, LineError>)>,
    lines: usize,
}

/// Splits the run of lines `block[run]` (the block starts at file offset `offset`), skipping
/// blank ones, and reads each line's key. The run is checked for UTF-8 once; only a run that
/// fails is checked line by line, to name the line.
fn parse_part(offset: u64, block: &[u8], run: std::ops::Range<usize>) -> Part {
    let bytes = &block[run.clone()];
    let mut rows = Vec::with_capacity(bytes.len() / 1024 + 1);
    let mut lines = 0usize;
    let mut raw_at = run.start;
    let mut row = |line: usize, raw: &[u8], text: Result<&str, LineError>| {
        let lead = raw.len() - raw.trim_ascii_start().len();
        let len = raw.trim_ascii().len();
        let start = raw_at + lead;
        raw_at += raw.len();
        if len == 0 {
            return;
        }
        let key = match u32::try_from(len) {
            Ok(_) => text.and_then(|t| line_key(line, t.trim_ascii())),
            Err(_) => Err(LineError::InvalidJson {
                line,
                reason: "longer than 4 GiB".to_string(),
            }),
        };
        let span = RowSpan {
            start: offset + start as u64,
            len: len.min(u32::MAX as usize) as u32,
            line: line as u32,
        };
        rows.push((span, key.map(|k| DetachedKey::detach(k, block))));
    };
    match std::str::from_utf8(bytes) {
        Ok(text) => {
            for raw in text.split_inclusive('\n') {
                lines += 1;
                row(lines, raw.as_bytes(), Ok(raw));
            }
        }
        Err(_) => {
            for raw in bytes.split_inclusive(|b| *b == b'\n') {
                lines += 1;
                let text = std::str::from_utf8(raw).map_err(|_| LineError::NotUtf8 { line: lines });
                row(lines, raw, text);
            }
        }
    }
    Part { rows, lines }
}

/// The same error at its line in the whole file.
fn at_line(e: LineError, line: usize) -> LineError {
    match e {
        LineError::InvalidJson { reason, .. } => LineError::InvalidJson { line, reason },
        LineError::NotAnObject { found, .. } => LineError::NotAnObject { line, found },
        LineError::NotUtf8 { .. } => LineError::NotUtf8 { line },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn scan(bytes: &[u8]) -> Result<Vec<(RowSpan, Option<String>)>, ScanError> {
        let mut tmp = tempfile::NamedTempFile::new().unwrap();
        tmp.write_all(bytes).unwrap();
        let mut out = Vec::new();
        scan_rows::<ScanError>(tmp.path(), |span, key| {
            out.push((span, key.handle_key.map(|h| h.into_owned())));
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn spans_cover_each_line_without_its_whitespace_and_count_blank_lines() {
        let text = b"{\"handle\":\"A\"}\n\n  {\"handle\":\"b\"}  \r\n{\"handle\":\"c\"}";
        let rows = scan(text).unwrap();
        let got: Vec<(&[u8], u32, Option<&str>)> = rows
            .iter()
            .map(|(s, h)| {
                (
                    &text[s.start as usize..s.end() as usize],
                    s.line,
                    h.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (&b"{\"handle\":\"A\"}"[..], 1, Some("a")),
                (&b"{\"handle\":\"b\"}"[..], 3, Some("b")),
                (&b"{\"handle\":\"c\"}"[..], 4, Some("c")),
            ]
        );
    }

    #[test]
    fn rows_across_many_blocks_keep_their_offsets_and_line_numbers() {
        let line = |i: usize| {
            format!(
                "{{\"handle\":\"h{i}\",\"pad\":\"{}\"}}\n",
                "x".repeat(i % 97)
            )
        };
        let text: String = (0..300_000).map(line).collect();
        assert!(text.len() > 2 * BLOCK);
        let rows = scan(text.as_bytes()).unwrap();
        assert_eq!(rows.len(), 300_000);
        let mut offset = 0u64;
        for (i, (span, handle)) in rows.iter().enumerate() {
            assert_eq!((span.start, span.line as usize), (offset, i + 1));
            assert_eq!(handle.as_deref(), Some(format!("h{i}").as_str()));
            offset += span.len as u64 + 1;
        }
    }

    #[test]
    fn a_broken_or_non_utf8_line_stops_the_scan_naming_its_line() {
        assert!(matches!(
            scan(b"{\"id\":\"1\"}\n{\"id\":\n"),
            Err(ScanError::Line(LineError::InvalidJson { line: 2, .. }))
        ));
        assert!(matches!(
            scan(b"{\"id\":\"1\"}\n\n{\"id\":\"\xff\"}\n"),
            Err(ScanError::Line(LineError::NotUtf8 { line: 3 }))
        ));
    }

    #[test]
    fn escaped_and_plain_keys_read_the_same_in_every_block() {
        let line = |i: usize| {
            if i.is_multiple_of(2) {
                format!("{{\"handle\":\"H\\u0041{i}\",\"meta\":{{\"score_version\":\"v{i}\"}}}}\n")
            } else {
                format!(
                    "{{\"id\":\"{i}\",\"handle\":\"ha{i}\",\"pad\":\"{}\"}}\n",
                    "y".repeat(400)
                )
            }
        };
        let text: String = (0..100_000).map(line).collect();
        assert!(text.len() > 2 * BLOCK);
        let mut tmp = tempfile::NamedTempFile::new().unwrap();
        tmp.write_all(text.as_bytes()).unwrap();
        let mut seen = 0usize;
        scan_rows::<ScanError>(tmp.path(), |_, key| {
            let i = seen;
            if i.is_multiple_of(2) {
                assert_eq!(key.handle_key.as_deref(), Some(format!("ha{i}").as_str()));
                assert_eq!(key.score_version.as_deref(), Some(format!("v{i}").as_str()));
                assert_eq!(key.id, None);
            } else {
                assert_eq!(key.handle_key.as_deref(), Some(format!("ha{i}").as_str()));
                assert_eq!(key.id.as_deref(), Some(format!("{i}").as_str()));
            }
            seen += 1;
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, 100_000);
    }

    #[test]
    fn an_error_from_the_caller_stops_the_scan_at_that_row() {
        let text: String = (0..200_000)
            .map(|i| format!("{{\"handle\":\"h{i}\",\"pad\":\"{}\"}}\n", "z".repeat(100)))
            .collect();
        let mut tmp = tempfile::NamedTempFile::new().unwrap();
        tmp.write_all(text.as_bytes()).unwrap();
        let mut calls = 0;
        let outcome = scan_rows::<ScanError>(tmp.path(), |span, _| {
            calls += 1;
            if span.line == 10 {
                return Err(ScanError::TooLong { line: 10 });
            }
            Ok(())
        });
        assert!(matches!(outcome, Err(ScanError::TooLong { line: 10 })));
        assert_eq!(calls, 10);
    }
}
