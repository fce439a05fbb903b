//! One pass over the stored dataset: where every row is (byte range, line number) and its
//! matching key, read in large blocks and parsed on every core. The byte ranges let the merge
//! read the few rows it touches again by position and copy the untouched ones byte for byte.
//! Not here: deciding what the rows mean for the merge (see `plan`).

use std::fs::File;
use std::io::Read;
use std::path::Path;

use rayon::prelude::*;

use super::keys::{LineKey, line_key};
use crate::dataset::{DatasetError, LineError};

/// Where one stored row is: the line's text without its surrounding whitespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowSpan {
    pub start: u64,
    pub len: u32,
    /// 1-based line number (blank lines are counted, never rows).
    pub line: u32,
}

impl RowSpan {
    pub fn end(&self) -> u64 {
        self.start + u64::from(self.len)
    }
}

/// Why the scan stopped.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
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

/// Calls `each(row span, key)` for every non-blank line of `path`, in file order. Reading runs
/// on its own thread, keys are parsed in parallel a block at a time, `each` runs on the caller's
/// thread. Stops at the first unreadable line or the first error `each` returns.
pub fn scan_rows<E: From<ScanError> + Send>(
    path: &Path,
    mut each: impl FnMut(RowSpan, LineKey<'_>) -> Result<(), E>,
) -> Result<(), E> {
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
    let (send, receive) = std::sync::mpsc::sync_channel::<Block>(2);
    std::thread::scope(|scope| {
        let reader = scope.spawn(move || -> Result<(), DatasetError> {
            let mut carry: Vec<u8> = Vec::new();
            let mut offset = 0u64;
            loop {
                let mut bytes = std::mem::take(&mut carry);
                let filled = bytes.len();
                bytes.resize(filled + BLOCK, 0);
                let n = read_full(&mut file, &mut bytes[filled..]).map_err(read_err)?;
                bytes.truncate(filled + n);
                if bytes.is_empty() {
                    return Ok(());
                }
                if n > 0 {
                    match bytes.iter().rposition(|b| *b == b'\n') {
                        Some(last) => carry = bytes.split_off(last + 1),
                        // One line longer than a block: read on until it ends.
                        None => {
                            carry = bytes;
                            continue;
                        }
                    }
                }
                let len = bytes.len() as u64;
                if send.send(Block { bytes, offset }).is_err() {
                    return Ok(());
                }
                offset += len;
                if n == 0 {
                    return Ok(());
                }
            }
        });
        let mut line_base = 0usize;
        let mut outcome: Result<(), E> = Ok(());
        'blocks: for block in receive {
            let parts: Vec<Part> = cut(&block.bytes)
                .into_par_iter()
                .map(|(at, bytes)| parse_part(block.offset + at as u64, bytes))
                .collect();
            for part in parts {
                for (span, key) in part.rows {
                    let line = line_base + span.line as usize;
                    let span = RowSpan {
                        line: u32::try_from(line).map_err(|_| ScanError::TooLong { line })?,
                        ..span
                    };
                    outcome = key
                        .map_err(|e| E::from(ScanError::Line(at_line(e, line))))
                        .and_then(|k| each(span, k));
                    if outcome.is_err() {
                        // Dropping the receiver stops the reader.
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

/// Cuts a block into about `PARTS` runs of whole lines; returns each with its offset.
fn cut(bytes: &[u8]) -> Vec<(usize, &[u8])> {
    let mut out = Vec::with_capacity(PARTS);
    let mut at = 0;
    while at < bytes.len() {
        let aim = (at + bytes.len() / PARTS).min(bytes.len() - 1);
        let end = bytes[aim..]
            .iter()
            .position(|b| *b == b'\n')
            .map_or(bytes.len(), |i| aim + i + 1);
        out.push((at, &bytes[at..end]));
        at = end;
    }
    out
}

/// The rows of one run of lines, numbered from 1 within the run, and how many lines it holds.
struct Part<'a> {
    rows: Vec<(RowSpan, Result<LineKey<'a>, LineError>)>,
    lines: usize,
}

/// Splits a run of lines, skipping blank ones, and reads each line's key.
fn parse_part(offset: u64, bytes: &[u8]) -> Part<'_> {
    let mut rows = Vec::with_capacity(bytes.len() / 1024 + 1);
    let mut at = 0usize;
    let mut lines = 0usize;
    for raw in bytes.split_inclusive(|b| *b == b'\n') {
        lines += 1;
        let lead = raw.len() - raw.trim_ascii_start().len();
        let text = raw.trim_ascii();
        at += raw.len();
        if text.is_empty() {
            continue;
        }
        let line = lines;
        let key = match u32::try_from(text.len()) {
            Ok(_) => std::str::from_utf8(text)
                .map_err(|_| LineError::NotUtf8 { line })
                .and_then(|t| line_key(line, t)),
            Err(_) => Err(LineError::InvalidJson {
                line,
                reason: "longer than 4 GiB".to_string(),
            }),
        };
        let span = RowSpan {
            start: offset + (at - raw.len() + lead) as u64,
            len: text.len().min(u32::MAX as usize) as u32,
            line: line as u32,
        };
        rows.push((span, key));
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

/// Reads until `buf` is full or the file ends; returns the bytes read.
fn read_full(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match file.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
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
}
