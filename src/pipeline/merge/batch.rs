//! One streamed pass over the batch files of a merge: where every batch row is (file, byte
//! range, line number), its matching key, and the checks made on each row on its own
//! (unreadable lines, placeholder flags, the schema of the row merged alone), block by block on
//! every core, holding no record. A row is read again by position when the plan or `apply`
//! needs it; a compressed batch's rows from its decompressed bytes, spooled aside as they are
//! read (`spool`). Not here: grouping rows into authors (see `plan`).

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use rayon::prelude::*;

use super::MergeError;
use super::report::{BatchSummary, BlockedRecord, UnreadableInput};
use super::resolve::{Origin, OriginKind, display_key, resolve_alone};
use super::stored_rows::RowSpan;
use crate::dataset::{DatasetError, LineBlocks, LineError, Record, is_gz, parse_line, spool};
use crate::pipeline::checks::{placeholders, schema};
use crate::pipeline::custody::{self, AnswerIndex, Custody};

/// Bytes of a batch file read and checked at a time.
const BLOCK: usize = 8 << 20;

/// What identifies a file's content for as long as nobody writes to it: a batch may be read
/// again by `apply` only if it still matches the stamp taken when the plan read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct FileStamp {
    dev: u64,
    ino: u64,
    len: u64,
    modified: Option<SystemTime>,
}

impl FileStamp {
    fn of(meta: &std::fs::Metadata) -> FileStamp {
        FileStamp {
            dev: meta.dev(),
            ino: meta.ino(),
            len: meta.len(),
            modified: meta.modified().ok(),
        }
    }

    /// How `now` differs from this stamp, in words; None when it does not.
    fn difference(&self, now: &FileStamp) -> Option<String> {
        if (self.dev, self.ino) != (now.dev, now.ino) {
            Some("it was replaced by another file".to_string())
        } else if self.len != now.len {
            Some(format!("{} bytes, {} when planned", now.len, self.len))
        } else if self.modified != now.modified {
            Some("it was modified".to_string())
        } else {
            None
        }
    }
}

/// One batch file as the plan read it.
#[derive(Debug, Clone)]
pub(super) struct BatchFile {
    pub path: PathBuf,
    /// Where its rows are read again: the file itself, as long as it matches the stamp taken
    /// when the plan read it, or for a compressed file the spool of its decompressed bytes
    /// (rows' places are places in those bytes).
    pub source: RowSource,
}

#[derive(Debug, Clone)]
pub(super) enum RowSource {
    Stamped(FileStamp),
    /// Unnamed and written only by the plan, so it cannot change under it.
    Spooled(Arc<File>),
}

/// A batch row: where it is, and whether it is written exactly as it stands when its author
/// is new and has no other row (the row merged alone serialises to the same bytes).
#[derive(Debug, Clone, Copy)]
pub(super) struct BatchRowSpan {
    pub span: RowSpan,
    pub file: u32,
    pub verbatim: bool,
}

/// Every batch row read, by index in input order (batches in the order given).
#[derive(Debug, Clone, Default)]
pub(super) struct BatchRows {
    pub files: Vec<BatchFile>,
    pub rows: Vec<BatchRowSpan>,
}

/// What the plan learns from the batch files besides the rows themselves.
#[derive(Debug, Default)]
pub(super) struct BatchFindings {
    pub summaries: Vec<BatchSummary>,
    pub unreadable: Vec<UnreadableInput>,
    /// Rows blocked on their own (placeholder flags, nothing to match by), by row index.
    pub blocked: BTreeMap<u32, BlockedRecord>,
    /// Schema findings on the row merged alone (what is written for a new author of one
    /// row), by row index; only rows with findings.
    pub alone_invalid: HashMap<u32, Vec<String>>,
    /// How each row is named in reports (`display_key`), by row index.
    pub names: Vec<String>,
    /// `meta.score_version` of each row merged alone, as an index into `versions`.
    pub version_of_row: Vec<u16>,
    pub versions: Vec<Option<String>>,
}

/// The key of a batch row, handed to the plan in input order.
pub(super) struct RowKey<'a> {
    pub id: Option<&'a str>,
    pub handle_key: Option<&'a str>,
    /// `meta.aliases`, folded: the handles this author had before a rename. A row whose id
    /// belongs to an author stored under one of them is that author, renamed.
    pub aliases: &'a [String],
}

/// What the plan is told as the batches are read.
pub(super) enum BatchEvent<'a> {
    /// About this many more rows follow (judged from a file's first block), so that the
    /// plan's indexes are sized once instead of growing row by row.
    Expect(usize),
    /// The row with this index (in input order) has this key.
    Row(u32, RowKey<'a>),
}

/// A line checked on its own, on a worker thread.
enum Checked {
    Row(Box<CheckedRow>),
    Unreadable(LineError),
}

struct CheckedRow {
    span: RowSpan,
    id: Option<String>,
    handle_key: Option<String>,
    aliases: Vec<String>,
    name: String,
    verbatim: bool,
    score_version: Option<String>,
    flags: Vec<String>,
    alone_invalid: Vec<String>,
}

/// Reads every batch file in order, telling `each` about every readable row in input order.
/// Problems with the input are findings, never errors: `apply` refuses them.
/// A compressed batch is spooled in `spool_dir`.
pub(super) fn scan_batches(
    paths: &[PathBuf],
    spool_dir: &Path,
    answers: &AnswerIndex,
    mut each: impl FnMut(BatchEvent<'_>),
) -> (BatchRows, BatchFindings) {
    let mut rows = BatchRows::default();
    let mut findings = BatchFindings::default();
    for path in paths {
        let before = rows.rows.len();
        let bad_before = findings.unreadable.len();
        let complete = scan_file(
            path,
            spool_dir,
            answers,
            &mut rows,
            &mut findings,
            &mut each,
        );
        let read = rows.rows.len() - before;
        findings.summaries.push(BatchSummary {
            path: path.clone(),
            records: read,
        });
        if complete && read == 0 && findings.unreadable.len() == bad_before {
            findings.unreadable.push(UnreadableInput {
                path: path.clone(),
                line: None,
                reason: "holds no records (empty file)".to_string(),
            });
        }
    }
    (rows, findings)
}

/// One file; false when it could not be read to its end (reported as unreadable).
fn scan_file(
    path: &Path,
    spool_dir: &Path,
    answers: &AnswerIndex,
    rows: &mut BatchRows,
    findings: &mut BatchFindings,
    each: &mut impl FnMut(BatchEvent<'_>),
) -> bool {
    let whole = |reason: String| UnreadableInput {
        path: path.to_path_buf(),
        line: None,
        reason,
    };
    let compressed = is_gz(path);
    // The stamp is taken before the first byte is read: a change made while the plan reads
    // the file shows at apply.
    let meta = std::fs::metadata(path).ok();
    let opened = open_rows(path, spool_dir, compressed, meta.as_ref());
    let (blocks, source) = match opened {
        Ok(b) => b,
        Err(e) => {
            findings.unreadable.push(whole(e.to_string()));
            return false;
        }
    };
    let file = u32::try_from(rows.files.len()).unwrap_or(u32::MAX);
    let file_bytes = meta.map_or(0, |m| m.len());
    rows.files.push(BatchFile {
        path: path.to_path_buf(),
        source,
    });
    std::thread::scope(|scope| {
        let mut offset = 0u64;
        for block in blocks.read_ahead(scope) {
            let block = match block {
                Ok(b) => b,
                Err(e) => {
                    findings.unreadable.push(whole(e.to_string()));
                    return false;
                }
            };
            if offset == 0 {
                // A compressed file's size says little about its lines: no guess.
                let expected = if compressed {
                    0
                } else {
                    block.lines_in_file(file_bytes)
                };
                rows.rows.reserve(expected);
                findings.names.reserve(expected);
                findings.version_of_row.reserve(expected);
                each(BatchEvent::Expect(expected));
            }
            let checked: Vec<Checked> = (0..block.len())
                .into_par_iter()
                .with_min_len(64)
                .map(|k| {
                    let (line, text) = block.line(k);
                    let range = block.range(k);
                    check_line(offset + range.start as u64, line, text, answers)
                })
                .collect();
            offset += block.byte_len() as u64;
            for c in checked {
                take(c, path, file, rows, findings, each);
            }
        }
        true
    })
}

/// The blocks of a batch file's lines, and where its rows will be read again. A compressed
/// file is decompressed once: the bytes the scan reads are spooled as they go by.
fn open_rows(
    path: &Path,
    spool_dir: &Path,
    compressed: bool,
    meta: Option<&std::fs::Metadata>,
) -> Result<(LineBlocks, RowSource), DatasetError> {
    match meta {
        Some(meta) if !compressed => Ok((
            LineBlocks::open(path, BLOCK)?,
            RowSource::Stamped(FileStamp::of(meta)),
        )),
        _ => {
            let read_err = |source| DatasetError::Read {
                path: path.to_path_buf(),
                source,
            };
            let spooled = spool::create(spool_dir).map_err(read_err)?;
            let writer = spooled.try_clone().map_err(read_err)?;
            Ok((
                LineBlocks::spooled(path, writer, BLOCK)?,
                RowSource::Spooled(Arc::new(spooled)),
            ))
        }
    }
}

/// Checks one line: parsed, merged alone, flagged, schema-checked. The record is dropped here:
/// the row is read again by its place when it is needed.
fn check_line(
    start: u64,
    line: usize,
    text: Result<&str, LineError>,
    answers: &AnswerIndex,
) -> Checked {
    let text = match text {
        Ok(t) => t,
        Err(e) => return Checked::Unreadable(e),
    };
    let (Ok(len), Ok(line32)) = (u32::try_from(text.len()), u32::try_from(line)) else {
        return Checked::Unreadable(LineError::InvalidJson {
            line,
            reason: "longer than 4 GiB".to_string(),
        });
    };
    let record = match parse_line(line, text) {
        Ok(r) => r,
        Err(e) => return Checked::Unreadable(e),
    };
    let mut flags: Vec<String> = placeholders::record_flags(&record)
        .into_iter()
        .map(|f| format!("placeholder ({}): {}", f.detector, f.reason))
        .collect();
    if record.id().is_none() && record.handle_key().is_none() {
        flags.push("neither an id nor a handle: it cannot be matched".to_string());
    }
    // A record its own answer contradicts blocks like a flag; one with no answer to prove it
    // (old data) is the audit's to report, not the merge's to refuse.
    if let mismatch @ Custody::Mismatch { .. } = custody::verify_record(&record, answers) {
        flags.push(format!("custody: {}", mismatch.words()));
    }
    let id = record.id().map(str::to_string);
    let handle_key = record.handle_key();
    let aliases = aliases_of(&record);
    let name = display_key(&record);
    let alone = resolve_alone(&record);
    let written = alone.as_ref().unwrap_or(&record);
    let verbatim = written.to_line() == text;
    let score_version = score_version(written).map(str::to_string);
    // A row that stands as it would be written is in canonical order already: its schema is
    // checked on the record itself, not on a reordered copy.
    let alone_invalid = match (verbatim, alone) {
        (true, Some(alone)) => value_reasons(&alone.into_value()),
        (true, None) => value_reasons(&record.into_value()),
        (false, alone) => schema_reasons(alone.as_ref().unwrap_or(&record)),
    };
    Checked::Row(Box::new(CheckedRow {
        span: RowSpan {
            start,
            len,
            line: line32,
        },
        id,
        handle_key,
        aliases,
        name,
        verbatim,
        score_version,
        flags,
        alone_invalid,
    }))
}

/// `meta.aliases` of a record, folded as handles are (see `keys::fold_handle`).
pub(super) fn aliases_of(record: &Record) -> Vec<String> {
    record
        .meta()
        .and_then(|m| m.get("aliases"))
        .map(super::keys::fold_aliases)
        .unwrap_or_default()
}

/// Adds one checked line to the rows and findings, in input order.
fn take(
    checked: Checked,
    path: &Path,
    file: u32,
    rows: &mut BatchRows,
    findings: &mut BatchFindings,
    each: &mut impl FnMut(BatchEvent<'_>),
) {
    let row = match checked {
        Checked::Unreadable(e) => {
            findings.unreadable.push(UnreadableInput {
                path: path.to_path_buf(),
                line: Some(e.line()),
                reason: e.to_string(),
            });
            return;
        }
        Checked::Row(row) => *row,
    };
    let index = u32::try_from(rows.rows.len()).unwrap_or(u32::MAX);
    each(BatchEvent::Row(
        index,
        RowKey {
            id: row.id.as_deref(),
            handle_key: row.handle_key.as_deref(),
            aliases: &row.aliases,
        },
    ));
    if !row.flags.is_empty() {
        findings.blocked.insert(
            index,
            BlockedRecord {
                path: path.to_path_buf(),
                line: row.span.line as usize,
                handle: row.name.clone(),
                reasons: row.flags,
            },
        );
    }
    if !row.alone_invalid.is_empty() {
        findings.alone_invalid.insert(index, row.alone_invalid);
    }
    let versions = &mut findings.versions;
    let v = match versions.iter().position(|v| *v == row.score_version) {
        Some(i) => i,
        None => {
            versions.push(row.score_version);
            versions.len() - 1
        }
    };
    findings
        .version_of_row
        .push(u16::try_from(v).unwrap_or(u16::MAX));
    findings.names.push(row.name);
    rows.rows.push(BatchRowSpan {
        span: row.span,
        file,
        verbatim: row.verbatim,
    });
}

/// What a new author of this one row becomes: the row resolved on its own (which puts
/// `meta.sources` in their fixed order, for one).
pub(super) fn merged_alone(record: Record) -> Record {
    resolve_alone(&record).unwrap_or(record)
}

pub(super) fn score_version(record: &Record) -> Option<&str> {
    record
        .meta()
        .and_then(|m| m.get("score_version"))
        .and_then(|v| v.as_str())
}

/// The schema is checked on what would be WRITTEN: the merged record. A harvested update that
/// lacks a field the API never gives (`lang_primary`) keeps the stored value and is valid; a new
/// author must be complete on its own.
pub(crate) fn schema_reasons(merged: &Record) -> Vec<String> {
    value_reasons(&merged.to_canonical())
}

fn value_reasons(canonical: &serde_json::Value) -> Vec<String> {
    schema::violations(canonical)
        .into_iter()
        .map(|v| format!("schema: {v}"))
        .collect()
}

impl BatchRows {
    /// The files that rows are read from again, opened, each batch checked against its stamp.
    pub(super) fn open_unchanged(&self) -> Result<Vec<Option<File>>, MergeError> {
        self.files
            .iter()
            .map(|f| match &f.source {
                RowSource::Spooled(spooled) => spooled
                    .try_clone()
                    .map(Some)
                    .map_err(|e| changed(f, format!("its spooled rows: {e}"))),
                RowSource::Stamped(stamp) => {
                    let file = File::open(&f.path).map_err(|e| changed(f, e.to_string()))?;
                    check_stamp(f, stamp, &file)?;
                    Ok(Some(file))
                }
            })
            .collect()
    }

    /// Checks again that the opened batches still match their stamps (after reading them).
    pub(super) fn still_unchanged(&self, opened: &[Option<File>]) -> Result<(), MergeError> {
        for (f, file) in self.files.iter().zip(opened) {
            if let (RowSource::Stamped(stamp), Some(file)) = (&f.source, file) {
                check_stamp(f, stamp, file)?;
            }
        }
        Ok(())
    }

    /// The full record of batch row `index`, read by position from its opened file.
    pub(super) fn record(&self, index: u32, opened: &[Option<File>]) -> Result<Record, MergeError> {
        let row = self.rows[index as usize];
        let f = &self.files[row.file as usize];
        let file = opened[row.file as usize]
            .as_ref()
            .ok_or_else(|| changed(f, "it was not opened".to_string()))?;
        let mut buf = vec![0; row.span.len as usize];
        file.read_exact_at(&mut buf, row.span.start)
            .map_err(|e| changed(f, e.to_string()))?;
        let line = row.span.line as usize;
        std::str::from_utf8(&buf)
            .map_err(|_| LineError::NotUtf8 { line })
            .and_then(|text| parse_line(line, text))
            .map_err(|e| changed(f, e.to_string()))
    }

    /// Where batch row `index` came from, as conflicts name it.
    pub(super) fn origin(&self, index: u32) -> Origin {
        let row = &self.rows[index as usize];
        Origin {
            source: OriginKind::Batch,
            path: self.files[row.file as usize].path.clone(),
            line: row.span.line as usize,
        }
    }
}

fn check_stamp(f: &BatchFile, stamp: &FileStamp, file: &File) -> Result<(), MergeError> {
    let meta = file.metadata().map_err(|e| {
        changed(
            f,
            DatasetError::Read {
                path: f.path.clone(),
                source: e,
            }
            .to_string(),
        )
    })?;
    match stamp.difference(&FileStamp::of(&meta)) {
        Some(what) => Err(changed(f, what)),
        None => Ok(()),
    }
}

fn changed(f: &BatchFile, what: String) -> MergeError {
    MergeError::BatchChanged {
        path: f.path.clone(),
        what,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const CANONICAL: &str = r#"{"id":"1","handle":"Ann","meta":{"score":1.0}}"#;
    const REORDERED: &str = r#"{"handle":"bob","id":"2"}"#;
    const UNSORTED_SOURCES: &str = r#"{"handle":"cy","meta":{"sources":[{"fetched_at":"2025-02-01T00:00:00Z"},{"fetched_at":"2025-01-01T00:00:00Z"}]}}"#;

    fn scan(path: &Path) -> (BatchRows, BatchFindings, Vec<(u32, Option<String>)>) {
        let mut keys = Vec::new();
        let spool_dir = path.parent().unwrap();
        let (rows, findings) = scan_batches(
            &[path.to_path_buf()],
            spool_dir,
            &AnswerIndex::default(),
            |event| {
                if let BatchEvent::Row(i, key) = event {
                    keys.push((i, key.handle_key.map(str::to_string)));
                }
            },
        );
        (rows, findings, keys)
    }

    #[test]
    fn rows_are_placed_by_byte_range_and_marked_verbatim_only_when_written_as_they_stand() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.jsonl");
        let text = format!("{CANONICAL}\n\n  {REORDERED}\r\n{{broken\n{UNSORTED_SOURCES}");
        std::fs::write(&path, &text).unwrap();
        let (rows, findings, keys) = scan(&path);
        let placed: Vec<(&str, u32, bool)> = rows
            .rows
            .iter()
            .map(|r| {
                (
                    &text[r.span.start as usize..r.span.end() as usize],
                    r.span.line,
                    r.verbatim,
                )
            })
            .collect();
        assert_eq!(
            placed,
            [
                (CANONICAL, 1, true),
                (REORDERED, 3, false),
                (UNSORTED_SOURCES, 5, false)
            ]
        );
        let handles: Vec<Option<&str>> = keys.iter().map(|(_, h)| h.as_deref()).collect();
        assert_eq!(handles, [Some("ann"), Some("bob"), Some("cy")]);
        assert_eq!(findings.names, ["Ann", "bob", "cy"]);
        assert_eq!(findings.unreadable.len(), 1);
        assert_eq!(findings.unreadable[0].line, Some(4));
        assert!(matches!(rows.files[0].source, RowSource::Stamped(_)));
        let opened = rows.open_unchanged().unwrap();
        assert_eq!(rows.record(1, &opened).unwrap().handle(), Some("bob"));
    }

    #[test]
    fn a_batch_written_to_after_it_was_opened_for_reading_again_is_caught_by_the_second_check() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.jsonl");
        std::fs::write(&path, format!("{CANONICAL}\n")).unwrap();
        let (rows, _, _) = scan(&path);
        let opened = rows.open_unchanged().unwrap();
        rows.still_unchanged(&opened).unwrap();
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        writeln!(f, "{REORDERED}").unwrap();
        let err = rows.still_unchanged(&opened).unwrap_err();
        assert!(
            matches!(&err, MergeError::BatchChanged { path: p, .. } if *p == path),
            "{err}"
        );
        assert!(rows.open_unchanged().is_err());
    }

    fn write_gz(path: &Path, text: &str) {
        let mut gz = flate2::write::GzEncoder::new(
            std::fs::File::create(path).unwrap(),
            flate2::Compression::default(),
        );
        gz.write_all(text.as_bytes()).unwrap();
        gz.finish().unwrap();
    }

    #[test]
    fn rows_of_a_compressed_batch_are_read_again_from_its_spooled_bytes_named_by_the_gz_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.jsonl.gz");
        let text = format!("{CANONICAL}\n\n{REORDERED}\n{{broken\n");
        write_gz(&path, &text);
        let (rows, findings, keys) = scan(&path);
        assert_eq!(keys.len(), 2);
        assert!(matches!(rows.files[0].source, RowSource::Spooled(_)));
        // Places are places in the decompressed bytes; lines are the file's lines.
        let placed: Vec<(&str, u32)> = rows
            .rows
            .iter()
            .map(|r| {
                (
                    &text[r.span.start as usize..r.span.end() as usize],
                    r.span.line,
                )
            })
            .collect();
        assert_eq!(placed, [(CANONICAL, 1), (REORDERED, 3)]);
        assert_eq!(findings.unreadable[0].path, path);
        assert_eq!(findings.unreadable[0].line, Some(4));
        assert_eq!(rows.origin(1).path, path);
        // The spool has no name in the directory, and what was planned is what is read, even
        // when the compressed file is gone by then.
        std::fs::remove_file(&path).unwrap();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        let opened = rows.open_unchanged().unwrap();
        assert_eq!(rows.record(0, &opened).unwrap().handle(), Some("Ann"));
        assert_eq!(rows.record(1, &opened).unwrap().handle(), Some("bob"));
        rows.still_unchanged(&opened).unwrap();
    }

    #[test]
    fn rows_of_a_compressed_batch_past_its_first_block_are_read_back_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.jsonl.gz");
        let pad = "x".repeat(3000);
        let lines: Vec<String> = (0..3500)
            .map(|i| format!(r#"{{"id":"{i}","handle":"h{i}","description":"{pad}"}}"#))
            .collect();
        let text = lines.join("\n");
        assert!(text.len() > BLOCK, "the batch spans more than one block");
        write_gz(&path, &text);
        let (rows, findings, _) = scan(&path);
        assert!(findings.unreadable.is_empty());
        assert_eq!(rows.rows.len(), lines.len());
        let opened = rows.open_unchanged().unwrap();
        let at_block = BLOCK / (lines[0].len() + 1);
        for i in [0, at_block - 1, at_block, at_block + 1, lines.len() - 1] {
            let record = rows.record(i as u32, &opened).unwrap();
            assert_eq!(record.handle(), Some(format!("h{i}").as_str()), "row {i}");
            assert_eq!(rows.rows[i].span.line as usize, i + 1);
        }
    }

    #[test]
    fn a_truncated_compressed_batch_is_reported_unreadable_by_its_name() {
        let dir = tempfile::tempdir().unwrap();
        let whole = dir.path().join("whole.jsonl.gz");
        let lines: String = (0..2000)
            .map(|i| format!("{{\"id\":\"{i}\",\"handle\":\"h{i}\"}}\n"))
            .collect();
        write_gz(&whole, &lines);
        let bytes = std::fs::read(&whole).unwrap();
        let path = dir.path().join("cut.jsonl.gz");
        std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        let (_, findings, _) = scan(&path);
        assert_eq!(findings.unreadable.len(), 1);
        assert_eq!(findings.unreadable[0].path, path);
        assert_eq!(findings.unreadable[0].line, None);
    }
}
