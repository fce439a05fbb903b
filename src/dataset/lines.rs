//! Reading JSONL files, plain or gzip: line by line (numbered from 1, a bad line an error of
//! its own) or in large blocks of whole lines for readers that parse on every core.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, sync_channel};

use flate2::read::MultiGzDecoder;

use super::{DatasetError, LineError, Record, parse_line, spool};

/// Whether `path` is read and written gzip-compressed (by its name, as everywhere here).
pub fn is_gz(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "gz")
}

/// Whether `path` names standard input or output (`-`), as it does wherever a file is expected.
pub fn is_std_stream(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// The byte order mark some editors put at the start of a UTF-8 file: not part of the first line.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Opens a file for reading, un-gzipping `*.gz` transparently; `-` reads standard input.
pub fn open_reader(path: &Path) -> Result<Box<dyn BufRead + Send>, DatasetError> {
    Ok(Box::new(BufReader::with_capacity(
        1 << 20,
        open_unbuffered(path)?,
    )))
}

/// The file's bytes (decompressed for .gz) without a buffer of their own, for readers that
/// read large blocks: a buffer would only add a copy of every byte.
fn open_unbuffered(path: &Path) -> Result<Box<dyn Read + Send>, DatasetError> {
    if is_std_stream(path) {
        return Ok(Box::new(io::stdin()));
    }
    let file = File::open(path).map_err(|source| DatasetError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(if is_gz(path) {
        Box::new(MultiGzDecoder::new(file))
    } else {
        Box::new(file)
    })
}

/// The lines of a JSONL file, numbered from 1, blank lines skipped (they are not records).
/// Bytes that are not UTF-8 give a per-line error instead of stopping the read.
pub struct Lines {
    reader: Box<dyn BufRead + Send>,
    path: PathBuf,
    line: usize,
    buf: Vec<u8>,
}

impl Lines {
    pub fn open(path: &Path) -> Result<Self, DatasetError> {
        Ok(Lines {
            reader: open_reader(path)?,
            path: path.to_path_buf(),
            line: 0,
            buf: Vec::with_capacity(4096),
        })
    }
}

/// One non-blank line: its 1-based number and text (or the reason it is not text).
pub type NumberedLine = (usize, Result<String, LineError>);

impl Iterator for Lines {
    type Item = Result<NumberedLine, DatasetError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            self.buf.clear();
            match self.reader.read_until(b'\n', &mut self.buf) {
                Ok(0) => return None,
                Ok(_) => {
                    self.line += 1;
                    let line = self.line;
                    let mut bytes = trim_ascii(&self.buf);
                    if line == 1 {
                        bytes = trim_ascii(bytes.strip_prefix(BOM).unwrap_or(bytes));
                    }
                    if bytes.is_empty() {
                        continue;
                    }
                    let text = std::str::from_utf8(bytes)
                        .map(str::to_string)
                        .map_err(|_| LineError::NotUtf8 { line });
                    return Some(Ok((line, text)));
                }
                Err(source) => {
                    return Some(Err(DatasetError::Read {
                        path: self.path.clone(),
                        source,
                    }));
                }
            }
        }
    }
}

/// The lines of a JSONL file read a block of bytes at a time, for commands that check millions
/// of lines in parallel: no line is copied into a string of its own. Lines are numbered, trimmed,
/// blank-skipped and UTF-8-checked exactly as [`Lines`] does.
pub struct LineBlocks {
    reader: Box<dyn Read + Send>,
    path: PathBuf,
    line: usize,
    /// The start of a line whose end is in the next block.
    carry: Vec<u8>,
    block_bytes: usize,
}

/// One block of whole lines.
pub struct LineBlock {
    bytes: Vec<u8>,
    /// Each non-blank line's 1-based number and place in `bytes` (trimmed).
    lines: Vec<(usize, std::ops::Range<usize>)>,
}

impl LineBlocks {
    /// Opens `path`, handing out blocks of about `block_bytes` (more when one line is longer).
    pub fn open(path: &Path, block_bytes: usize) -> Result<Self, DatasetError> {
        Ok(Self::from_reader(open_unbuffered(path)?, path, block_bytes))
    }

    /// Opens `path` as [`LineBlocks::open`] does, and writes every byte read (decompressed) to
    /// `spool` as well, so that a line can be read again at the place its block gives it
    /// (`offset of the block + range`) in the spool. A spool that cannot take the bytes fails
    /// the read.
    pub(crate) fn spooled(
        path: &Path,
        spool: File,
        block_bytes: usize,
    ) -> Result<Self, DatasetError> {
        let tee = spool::Tee::new(open_unbuffered(path)?, spool);
        Ok(Self::from_reader(Box::new(tee), path, block_bytes))
    }

    fn from_reader(reader: Box<dyn Read + Send>, path: &Path, block_bytes: usize) -> Self {
        LineBlocks {
            reader,
            path: path.to_path_buf(),
            line: 0,
            carry: Vec::new(),
            block_bytes: block_bytes.max(1),
        }
    }

    /// Reads until the block holds `block_bytes` or the file ends; true at the end.
    fn fill(&mut self, bytes: &mut Vec<u8>) -> io::Result<bool> {
        while bytes.len() < self.block_bytes {
            // Straight into the block: the reader has no buffer to copy through.
            let want = (self.block_bytes - bytes.len()) as u64;
            if (&mut self.reader).take(want).read_to_end(bytes)? == 0 {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

impl LineBlocks {
    /// Reads on a thread of `scope`, staying one block ahead of the receiver (two blocks in
    /// memory at most), so that the file streams in while the caller works on the last block.
    /// The thread stops after a read error, or when the receiver is dropped.
    pub(crate) fn read_ahead<'scope>(
        self,
        scope: &'scope std::thread::Scope<'scope, '_>,
    ) -> Receiver<Result<LineBlock, DatasetError>> {
        let (tx, rx) = sync_channel(1);
        scope.spawn(move || {
            for block in self {
                let failed = block.is_err();
                if tx.send(block).is_err() || failed {
                    return;
                }
            }
        });
        rx
    }
}

impl Iterator for LineBlocks {
    type Item = Result<LineBlock, DatasetError>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut bytes = std::mem::take(&mut self.carry);
        bytes.reserve(self.block_bytes);
        loop {
            let at_end = match self.fill(&mut bytes) {
                Ok(at_end) => at_end,
                Err(source) => {
                    return Some(Err(DatasetError::Read {
                        path: self.path.clone(),
                        source,
                    }));
                }
            };
            if at_end {
                if bytes.is_empty() {
                    return None;
                }
                // The last line may lack its newline; it is a line all the same.
                if bytes.last() != Some(&b'\n') {
                    bytes.push(b'\n');
                }
                break;
            }
            match memchr::memrchr(b'\n', &bytes) {
                Some(last) => {
                    self.carry = bytes[last + 1..].to_vec();
                    bytes.truncate(last + 1);
                    break;
                }
                // One line longer than a block: read on until it ends.
                None => self.block_bytes = self.block_bytes.saturating_mul(2),
            }
        }
        let mut lines = Vec::with_capacity(bytes.len() / 512 + 1);
        let mut start = 0;
        for end in memchr::memchr_iter(b'\n', &bytes) {
            self.line += 1;
            let mut raw = &bytes[start..end];
            let mut bom = 0;
            if self.line == 1
                && let Some(rest) = raw.strip_prefix(BOM)
            {
                (raw, bom) = (rest, BOM.len());
            }
            let lead = bom + raw.len() - raw.trim_ascii_start().len();
            let kept = raw.trim_ascii().len();
            if kept > 0 {
                lines.push((self.line, start + lead..start + lead + kept));
            }
            start = end + 1;
        }
        Some(Ok(LineBlock { bytes, lines }))
    }
}

impl LineBlock {
    /// About how many non-blank lines a file of `file_bytes` holds, judged from this block (its
    /// first) with 5% to spare: reserving room for them once spares copying a million rows as
    /// lists grow.
    pub(crate) fn lines_in_file(&self, file_bytes: u64) -> usize {
        if self.byte_len() == 0 {
            return 0;
        }
        let per_line = self.byte_len() as f64 / self.len().max(1) as f64;
        (file_bytes as f64 / per_line * 1.05) as usize
    }

    /// Non-blank lines in the block.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Bytes the block holds, blank lines and line ends included.
    pub(crate) fn byte_len(&self) -> usize {
        self.bytes.len()
    }

    /// Where the `k`-th non-blank line (trimmed) sits in the block's bytes. Blocks follow each
    /// other without gap or overlap, so with the sizes of the blocks before it ([`Self::byte_len`])
    /// this is the line's place in the (uncompressed) file, for reading it again later.
    pub(crate) fn range(&self, k: usize) -> std::ops::Range<usize> {
        self.lines[k].1.clone()
    }

    /// The `k`-th non-blank line: its number and text, or why it is not text.
    pub fn line(&self, k: usize) -> (usize, Result<&str, LineError>) {
        let (line, range) = &self.lines[k];
        let text = std::str::from_utf8(&self.bytes[range.clone()])
            .map_err(|_| LineError::NotUtf8 { line: *line });
        (*line, text)
    }
}

fn trim_ascii(b: &[u8]) -> &[u8] {
    b.trim_ascii()
}

/// A whole file read: the records with their line numbers, and every line that failed.
#[derive(Debug, Default)]
pub struct Dataset {
    pub records: Vec<Record>,
    /// 1-based line number of each record, parallel to `records`.
    pub lines: Vec<usize>,
    pub errors: Vec<LineError>,
}

impl Dataset {
    /// Fails with [`DatasetError::BadLines`] when any line could not be read: for commands
    /// that would otherwise write back, or merge, an incomplete dataset.
    pub fn require_complete(self, path: &Path) -> Result<Self, DatasetError> {
        match self.errors.first() {
            None => Ok(self),
            Some(first) => Err(DatasetError::BadLines {
                path: path.to_path_buf(),
                count: self.errors.len(),
                first: first.clone(),
            }),
        }
    }
}

/// Reads every line of a JSONL (or `.jsonl.gz`) file. Bad lines are collected, never dropped silently.
pub fn read_dataset(path: &Path) -> Result<Dataset, DatasetError> {
    let mut out = Dataset::default();
    for item in Lines::open(path)? {
        let (line, text) = item?;
        match text.and_then(|t| parse_line(line, &t)) {
            Ok(r) => {
                out.records.push(r);
                out.lines.push(line);
            }
            Err(e) => out.errors.push(e),
        }
    }
    Ok(out)
}
