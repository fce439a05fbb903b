//! The author record (bigv v1.0.0 and its real-world variants) and JSONL reading and writing.
//!
//! A record keeps every field it was read with, known or not, so that writing it back loses
//! nothing; the typed accessors below are views onto that map. All the variant spellings of
//! metrics (`meta.activity_metrics`, `ext.activity_metrics`, top-level `public_metrics`,
//! `post_count` for `tweet_count`) are mapped in ONE place: [`AuthorView::metrics`], which reads
//! a record in memory and a line read raw alike.
//! Not here: scoring, auditing or merging; those read records through this module.

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, sync_channel};

use chrono::{DateTime, Utc};
use flate2::Compression;
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use serde_json::{Map, Value};

pub mod author_view;
pub mod raw_object;
pub mod spool;
mod strict_json;
mod valid_json;
mod writeback;

pub use author_view::AuthorView;
use writeback::WritebackFile;

/// Top-level fields in the order a record is written; fields not listed follow in the order read.
pub const CANONICAL_ORDER: &[&str] = &[
    "id",
    "handle",
    "name",
    "verified",
    "followers_count",
    "is_org",
    "is_official",
    "lang_primary",
    "topic_tags",
    "created_at",
    "description",
    "url",
    "location",
    "protected",
    "public_metrics",
    "meta",
    "ext",
];

/// `meta` fields in the order they are written; others follow in the order read.
pub const CANONICAL_META_ORDER: &[&str] = &[
    "score",
    "score_state",
    "score_version",
    "score_components",
    "as_of",
    "last_refresh_at",
    "sources",
    "provenance_hash",
    "entry_threshold_passed",
    "quality_score",
    "rank_global",
    "last_active_at",
    "activity_metrics",
];

/// Why a line of a JSONL file could not become a record.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LineError {
    #[error("line {line}: not valid JSON: {reason}")]
    InvalidJson { line: usize, reason: String },
    #[error("line {line}: a JSON {found}, not an object")]
    NotAnObject { line: usize, found: &'static str },
    #[error("line {line}: not valid UTF-8 text")]
    NotUtf8 { line: usize },
}

impl LineError {
    pub fn line(&self) -> usize {
        match self {
            LineError::InvalidJson { line, .. }
            | LineError::NotAnObject { line, .. }
            | LineError::NotUtf8 { line } => *line,
        }
    }
}

/// Errors that stop a whole file from being read or written.
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    #[error("cannot open {path}: {source}")]
    Open { path: PathBuf, source: io::Error },
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: io::Error },
    #[error("{path}: {count} line(s) could not be read, first: {first}")]
    BadLines {
        path: PathBuf,
        count: usize,
        first: LineError,
    },
}

/// One author record: the JSON object as read, with typed views.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    fields: Map<String, Value>,
}

/// How `meta.score` is stored.
#[derive(Debug, Clone, PartialEq)]
pub enum StoredScore {
    Absent,
    Number(f64),
    /// Stored as a string, as the old pipeline sometimes did (`"100.0"`); `parsed` if it reads as a number.
    Text {
        raw: String,
        parsed: Option<f64>,
    },
    /// `null`, a bool, an array or an object.
    Other,
}

impl StoredScore {
    pub fn value(&self) -> Option<f64> {
        match self {
            StoredScore::Number(v) => Some(*v),
            StoredScore::Text { parsed, .. } => *parsed,
            _ => None,
        }
    }
}

/// Where a record's metrics came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricsOrigin {
    /// Top-level `public_metrics`, as the X API answers.
    PublicMetrics,
    /// `meta.activity_metrics` (the old pipeline's layout).
    MetaActivity,
    /// `ext.activity_metrics` (a later variant of the dataset).
    ExtActivity,
    /// Only the top-level `followers_count`, no activity metrics at all.
    FollowersOnly,
    None,
}

/// Account metrics in one vocabulary, whatever layout the record used. `None` = absent, never 0.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct Metrics {
    pub followers: Option<u64>,
    pub following: Option<u64>,
    pub tweets: Option<u64>,
    pub listed: Option<u64>,
    /// Likes given by the account (`like_count`, `total_like_count`).
    pub likes: Option<u64>,
    pub media: Option<u64>,
    pub created_at: Option<DateTime<Utc>>,
    /// When the metrics were fetched: the moment the record describes.
    pub as_of: Option<DateTime<Utc>>,
    #[serde(skip)]
    pub origin: Option<MetricsOrigin>,
}

impl Metrics {
    /// True when the record carries activity metrics (more than a follower count).
    pub fn has_activity(&self) -> bool {
        matches!(
            self.origin,
            Some(
                MetricsOrigin::PublicMetrics
                    | MetricsOrigin::MetaActivity
                    | MetricsOrigin::ExtActivity
            )
        )
    }

    /// The metric names that are absent, in the API's words (for "unscored because ..." reasons).
    pub fn missing(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        let pairs = [
            (self.followers.is_none(), "followers_count"),
            (self.following.is_none(), "following_count"),
            (self.tweets.is_none(), "tweet_count"),
            (self.listed.is_none(), "listed_count"),
            (self.likes.is_none(), "like_count"),
            (self.media.is_none(), "media_count"),
            (self.created_at.is_none(), "created_at"),
        ];
        for (absent, name) in pairs {
            if absent {
                out.push(name);
            }
        }
        out
    }
}

/// One entry of `meta.sources`, borrowing its text from the record or line it was read from
/// (a million lines read for scoring would otherwise copy two strings each).
#[derive(Debug, Clone, PartialEq)]
pub struct Source<'a> {
    pub method: Cow<'a, str>,
    pub fetched_at: Option<DateTime<Utc>>,
    pub evidence: Option<Cow<'a, str>>,
}

/// Parses the timestamps the datasets and the API use: RFC 3339 with or without fraction,
/// with `Z` or an offset, and the naive `YYYY-MM-DDTHH:MM:SS` the old scripts sometimes wrote (taken as UTC).
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    api_time(s).or_else(|| parse_time_any(s))
}

/// The API's own spelling, `2013-12-14T04:35:55.000Z` (what [`format_time`] writes), read
/// without the general parser: two of them are read for every record scored. `None` for any
/// other text, and for a leap second or a date that does not exist (the general parser decides).
fn api_time(s: &str) -> Option<DateTime<Utc>> {
    let b: &[u8; 24] = s.as_bytes().try_into().ok()?;
    let punctuation = [
        (4, b'-'),
        (7, b'-'),
        (10, b'T'),
        (13, b':'),
        (16, b':'),
        (19, b'.'),
        (23, b'Z'),
    ];
    if punctuation.iter().any(|&(i, c)| b[i] != c) {
        return None;
    }
    let number = |from: usize, to: usize| {
        b[from..to].iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let date = chrono::NaiveDate::from_ymd_opt(
        i32::try_from(number(0, 4)?).ok()?,
        number(5, 7)?,
        number(8, 10)?,
    )?;
    let second = number(17, 19)?;
    if second > 59 {
        return None;
    }
    let time = date.and_hms_milli_opt(number(11, 13)?, number(14, 16)?, second, number(20, 23)?)?;
    Some(time.and_utc())
}

/// Any of the spellings [`parse_time`] takes.
fn parse_time_any(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%d"] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, fmt) {
            return Some(t.and_utc());
        }
        if let Ok(d) = chrono::NaiveDate::parse_from_str(s, fmt) {
            return d.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
        }
    }
    None
}

/// Formats a time the way the API does: `2013-12-14T04:35:55.000Z`.
pub fn format_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

impl Record {
    /// Wraps a JSON object; anything else is not a record.
    pub fn from_value(v: Value) -> Result<Self, &'static str> {
        match v {
            Value::Object(fields) => Ok(Record { fields }),
            other => Err(json_kind(&other)),
        }
    }

    pub fn from_map(fields: Map<String, Value>) -> Self {
        Record { fields }
    }

    pub fn fields(&self) -> &Map<String, Value> {
        &self.fields
    }

    pub fn fields_mut(&mut self) -> &mut Map<String, Value> {
        &mut self.fields
    }

    pub fn into_value(self) -> Value {
        Value::Object(self.fields)
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.fields.get(key)
    }

    pub fn set(&mut self, key: &str, value: Value) {
        self.fields.insert(key.to_string(), value);
    }

    fn str_field(&self, key: &str) -> Option<&str> {
        self.fields.get(key).and_then(Value::as_str)
    }

    pub fn id(&self) -> Option<&str> {
        self.str_field("id")
    }

    /// The handle as stored; API-shaped objects say `username`.
    pub fn handle(&self) -> Option<&str> {
        self.str_field("handle")
            .or_else(|| self.str_field("username"))
    }

    /// The handle folded for matching: X matches usernames case-insensitively.
    pub fn handle_key(&self) -> Option<String> {
        self.handle()
            .map(|h| h.trim_start_matches('@').to_ascii_lowercase())
    }

    pub fn name(&self) -> Option<&str> {
        self.str_field("name")
    }

    pub fn description(&self) -> Option<&str> {
        self.str_field("description")
    }

    /// `verified` (bigv's enum) or, on API-shaped objects, `verified_type`.
    pub fn verified(&self) -> Option<&str> {
        self.str_field("verified_type")
            .or_else(|| self.str_field("verified"))
    }

    pub fn topic_tags(&self) -> Vec<&str> {
        self.fields
            .get("topic_tags")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    }

    pub fn meta(&self) -> Option<&Map<String, Value>> {
        self.fields.get("meta").and_then(Value::as_object)
    }

    /// `meta`, created as an empty object when absent or not an object.
    pub fn meta_mut(&mut self) -> &mut Map<String, Value> {
        let entry = self
            .fields
            .entry("meta")
            .or_insert_with(|| Value::Object(Map::new()));
        if !entry.is_object() {
            *entry = Value::Object(Map::new());
        }
        entry.as_object_mut().expect("meta was just made an object")
    }

    /// The typed view scoring and the placeholder detectors read (borrowing this record).
    pub fn view(&self) -> AuthorView<'_> {
        AuthorView::from_map(&self.fields)
    }

    pub fn stored_score(&self) -> StoredScore {
        StoredScore::from_scalar(&author_view::Scalar::from_value(
            self.meta().and_then(|m| m.get("score")),
        ))
    }

    pub fn sources(&self) -> Vec<Source<'_>> {
        author_view::sources_from_value(self.meta().and_then(|m| m.get("sources")))
    }

    /// The newest evidence for this record: latest `sources[].fetched_at`, else `meta.last_refresh_at`.
    pub fn fetched_at(&self) -> Option<DateTime<Utc>> {
        author_view::newest_evidence(
            &self.sources(),
            &author_view::Scalar::from_value(self.meta().and_then(|m| m.get("last_refresh_at"))),
        )
    }

    /// The record's metrics in one vocabulary: see [`AuthorView::metrics`], where the layouts
    /// are mapped.
    pub fn metrics(&self) -> Metrics {
        self.view().metrics()
    }

    /// The record as JSON with top-level and `meta` fields in canonical order; unknown fields
    /// follow in the order they were read, unchanged.
    pub fn to_canonical(&self) -> Value {
        Value::Object(reorder(&self.fields, CANONICAL_ORDER, |key, v| {
            if key == "meta"
                && let Value::Object(m) = v
            {
                return Value::Object(reorder(m, CANONICAL_META_ORDER, |_, v| v.clone()));
            }
            v.clone()
        }))
    }

    /// One JSONL line (no newline), canonical order. Serialised straight from the record, in
    /// the same order as [`Record::to_canonical`], without copying it first.
    pub fn to_line(&self) -> String {
        let mut out = Vec::with_capacity(1024);
        serde_json::to_writer(&mut out, &Canonical::top(&self.fields))
            .expect("a JSON object always serialises");
        String::from_utf8(out).expect("serde_json writes UTF-8")
    }
}

/// A borrowed view of a map that serialises in canonical order (see [`Record::to_canonical`]).
struct Canonical<'a> {
    map: &'a Map<String, Value>,
    order: &'static [&'static str],
    /// True at the top level, where `meta` is itself put in canonical order.
    top: bool,
}

impl<'a> Canonical<'a> {
    fn top(map: &'a Map<String, Value>) -> Self {
        Canonical {
            map,
            order: CANONICAL_ORDER,
            top: true,
        }
    }
}

impl serde::Serialize for Canonical<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut out = serializer.serialize_map(Some(self.map.len()))?;
        let mut entry = |key: &str, value: &Value| match value {
            Value::Object(meta) if self.top && key == "meta" => out.serialize_entry(
                key,
                &Canonical {
                    map: meta,
                    order: CANONICAL_META_ORDER,
                    top: false,
                },
            ),
            other => out.serialize_entry(key, other),
        };
        for key in self.order {
            if let Some(v) = self.map.get(*key) {
                entry(key, v)?;
            }
        }
        for (k, v) in self.map {
            if !self.order.contains(&k.as_str()) {
                entry(k, v)?;
            }
        }
        out.end()
    }
}

fn reorder(
    map: &Map<String, Value>,
    order: &[&str],
    mut each: impl FnMut(&str, &Value) -> Value,
) -> Map<String, Value> {
    let mut out = Map::with_capacity(map.len());
    for key in order {
        if let Some(v) = map.get(*key) {
            out.insert((*key).to_string(), each(key, v));
        }
    }
    for (k, v) in map {
        if !order.contains(&k.as_str()) {
            out.insert(k.clone(), each(k, v));
        }
    }
    out
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Parses one line of a JSONL file into a record (`line` is 1-based, for the error).
pub fn parse_line(line: usize, text: &str) -> Result<Record, LineError> {
    let value: Value = serde_json::from_str(text).map_err(|e| LineError::InvalidJson {
        line,
        reason: e.to_string(),
    })?;
    Record::from_value(value).map_err(|found| LineError::NotAnObject { line, found })
}

/// Whether `path` is read and written gzip-compressed (by its name, as everywhere here).
pub fn is_gz(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "gz")
}

/// Opens a file for reading, un-gzipping `*.gz` transparently.
pub fn open_reader(path: &Path) -> Result<Box<dyn BufRead + Send>, DatasetError> {
    Ok(Box::new(BufReader::with_capacity(
        1 << 20,
        open_unbuffered(path)?,
    )))
}

/// The file's bytes (decompressed for .gz) without a buffer of their own, for readers that
/// read large blocks: a buffer would only add a copy of every byte.
fn open_unbuffered(path: &Path) -> Result<Box<dyn Read + Send>, DatasetError> {
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
                    let bytes = trim_ascii(&self.buf);
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
    pub fn spooled(path: &Path, spool: File, block_bytes: usize) -> Result<Self, DatasetError> {
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
    pub fn read_ahead<'scope>(
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
            let raw = &bytes[start..end];
            let lead = raw.len() - raw.trim_ascii_start().len();
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
    pub fn lines_in_file(&self, file_bytes: u64) -> usize {
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
    pub fn byte_len(&self) -> usize {
        self.bytes.len()
    }

    /// Where the `k`-th non-blank line (trimmed) sits in the block's bytes. Blocks follow each
    /// other without gap or overlap, so with the sizes of the blocks before it ([`Self::byte_len`])
    /// this is the line's place in the (uncompressed) file, for reading it again later.
    pub fn range(&self, k: usize) -> std::ops::Range<usize> {
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

/// Writes a file atomically: to a temporary name beside it, fsynced, renamed over the target,
/// then the directory fsynced. A reader sees the old file or the new one, never half of one.
pub struct AtomicFile {
    target: PathBuf,
    tmp: PathBuf,
    out: Option<Box<dyn FinishWrite>>,
}

/// A writer that can be flushed all the way to disk (gzip trailer included).
pub trait FinishWrite: Write + Send {
    fn finish_to_disk(self: Box<Self>) -> io::Result<()>;

    /// Writes the buffers in order (see [`AtomicFile::write_gathered`]).
    fn write_gathered(&mut self, buffers: &[&[u8]]) -> io::Result<()> {
        buffers.iter().try_for_each(|b| self.write_all(b))
    }
}

impl FinishWrite for BufWriter<WritebackFile> {
    fn finish_to_disk(self: Box<Self>) -> io::Result<()> {
        let file = self.into_inner().map_err(|e| e.into_error())?;
        file.into_file().sync_all()
    }

    fn write_gathered(&mut self, buffers: &[&[u8]]) -> io::Result<()> {
        let total: usize = buffers.iter().map(|b| b.len()).sum();
        if total < self.capacity() {
            return buffers.iter().try_for_each(|b| self.write_all(b));
        }
        // Past the buffer's size: straight to the kernel, after what the buffer holds.
        self.flush()?;
        self.get_mut().write_all_gathered(buffers)
    }
}

impl FinishWrite for GzEncoder<BufWriter<WritebackFile>> {
    fn finish_to_disk(self: Box<Self>) -> io::Result<()> {
        let buffered = (*self).finish()?;
        let file = buffered.into_inner().map_err(|e| e.into_error())?;
        file.into_file().sync_all()
    }
}

impl AtomicFile {
    /// Starts writing `target` (gzip when it ends in `.gz`).
    pub fn create(target: &Path) -> Result<Self, DatasetError> {
        let err = |source| DatasetError::Write {
            path: target.to_path_buf(),
            source,
        };
        let dir = parent_dir(target);
        std::fs::create_dir_all(&dir).map_err(err)?;
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "out".into());
        let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
        let file = File::create(&tmp).map_err(err)?;
        let buffered = BufWriter::with_capacity(1 << 20, WritebackFile::new(file));
        let out: Box<dyn FinishWrite> = if is_gz(target) {
            Box::new(GzEncoder::new(buffered, Compression::default()))
        } else {
            Box::new(buffered)
        };
        Ok(AtomicFile {
            target: target.to_path_buf(),
            tmp,
            out: Some(out),
        })
    }

    pub fn writer(&mut self) -> &mut dyn Write {
        self.out.as_mut().expect("writer used after commit")
    }

    /// Writes the buffers in order; when together they outgrow the write buffer they go to
    /// the kernel in one gathered write instead of being copied into it first.
    pub fn write_gathered(&mut self, buffers: &[&[u8]]) -> io::Result<()> {
        self.out
            .as_mut()
            .expect("writer used after commit")
            .write_gathered(buffers)
    }

    /// Writes one record as a canonical JSONL line.
    pub fn write_record(&mut self, record: &Record) -> Result<(), DatasetError> {
        let line = record.to_line();
        self.write_line(&line)
    }

    pub fn write_line(&mut self, line: &str) -> Result<(), DatasetError> {
        let target = self.target.clone();
        let w = self.writer();
        w.write_all(line.as_bytes())
            .and_then(|_| w.write_all(b"\n"))
            .map_err(|source| DatasetError::Write {
                path: target,
                source,
            })
    }

    /// Flushes, fsyncs, renames into place and fsyncs the directory.
    pub fn commit(mut self) -> Result<(), DatasetError> {
        let err = |source| DatasetError::Write {
            path: self.target.clone(),
            source,
        };
        let out = self.out.take().expect("commit called once");
        out.finish_to_disk().map_err(err)?;
        std::fs::rename(&self.tmp, &self.target).map_err(err)?;
        sync_dir(&parent_dir(&self.target)).map_err(err)
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        // Not committed: the temporary file must not linger beside the real one.
        if self.out.is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// fsyncs a directory so that a rename inside it survives a crash.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Writes records to `path` atomically, one canonical line each.
pub fn write_dataset<'a>(
    path: &Path,
    records: impl IntoIterator<Item = &'a Record>,
) -> Result<(), DatasetError> {
    let mut out = AtomicFile::create(path)?;
    for r in records {
        out.write_record(r)?;
    }
    out.commit()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rec(v: Value) -> Record {
        Record::from_value(v).unwrap()
    }

    #[test]
    fn metrics_from_meta_activity_use_the_old_pipeline_names() {
        let r = rec(json!({"handle":"a","followers_count":657137,
            "meta":{"activity_metrics":{"tweet_count":19912,"total_like_count":50294,"media_count":617,
            "listed_count":13433,"following_count":1352,"last_captured_at":"2025-11-14T06:42:01.143076+00:00",
            "account_created_at":"2009-01-01T00:00:00Z"}}}));
        let m = r.metrics();
        assert_eq!(m.origin, Some(MetricsOrigin::MetaActivity));
        assert_eq!(m.followers, Some(657137));
        assert_eq!(m.likes, Some(50294));
        assert_eq!(m.tweets, Some(19912));
        assert!(m.created_at.is_some() && m.as_of.is_some());
        assert!(m.has_activity());
    }

    #[test]
    fn metrics_from_public_metrics_accept_post_count_and_keep_absent_as_none() {
        let r = rec(
            json!({"username":"b","created_at":"2013-12-14T04:35:55.000Z",
            "public_metrics":{"followers_count":10,"following_count":2,"post_count":5,"listed_count":1,"like_count":null}}),
        );
        let m = r.metrics();
        assert_eq!(m.tweets, Some(5));
        assert_eq!(m.likes, None, "null is absent, not zero");
        assert_eq!(m.media, None);
        assert_eq!(m.missing(), vec!["like_count", "media_count"]);
        assert_eq!(r.handle(), Some("b"));
    }

    #[test]
    fn a_record_with_only_followers_has_no_activity() {
        let m = rec(json!({"followers_count": 5})).metrics();
        assert_eq!(m.origin, Some(MetricsOrigin::FollowersOnly));
        assert!(!m.has_activity());
    }

    #[test]
    fn string_scores_are_seen_as_strings() {
        let r = rec(json!({"meta":{"score":"100.0"}}));
        assert_eq!(
            r.stored_score(),
            StoredScore::Text {
                raw: "100.0".into(),
                parsed: Some(100.0)
            }
        );
    }

    #[test]
    fn canonical_order_puts_known_fields_first_and_keeps_unknown_ones() {
        let r = rec(json!({"zeta":1,"meta":{"x":1,"score":2.5},"handle":"h","id":"1"}));
        assert_eq!(
            r.to_line(),
            r#"{"id":"1","handle":"h","meta":{"score":2.5,"x":1},"zeta":1}"#
        );
    }

    #[test]
    fn a_line_is_the_canonical_record_serialised() {
        let r = rec(
            json!({"zeta":1,"meta":{"x":[1,{"b":2,"a":1}],"score":2.5,"as_of":"t"},
            "ext":{"meta":{"score":1,"a":2}},"handle":"h","id":"1"}),
        );
        assert_eq!(
            r.to_line(),
            serde_json::to_string(&r.to_canonical()).unwrap()
        );
    }

    #[test]
    fn bad_lines_name_their_line_and_reason() {
        assert!(matches!(
            parse_line(3, "{\"a\":"),
            Err(LineError::InvalidJson { line: 3, .. })
        ));
        assert_eq!(
            parse_line(4, "[1,2]"),
            Err(LineError::NotAnObject {
                line: 4,
                found: "array"
            })
        );
    }

    #[test]
    fn timestamps_in_every_observed_shape_parse() {
        for s in [
            "2013-12-14T04:35:55.000Z",
            "2013-12-14T04:35:55Z",
            "2025-11-14T06:42:01.143076+00:00",
            "2025-11-14T06:42:01",
        ] {
            assert!(parse_time(s).is_some(), "{s}");
        }
        assert_eq!(parse_time("yesterday"), None);
    }

    #[test]
    fn the_api_spelling_reads_as_the_general_parser_reads_it_at_the_edges() {
        for s in [
            "2013-12-14T04:35:55.000Z",
            "1970-01-01T00:00:00.000Z",
            "2024-02-29T23:59:59.999Z",
            "2023-02-29T12:00:00.000Z",
            "2016-12-31T23:59:60.000Z",
            "2013-12-14T24:00:00.000Z",
            "2013-13-14T04:35:55.000Z",
            "2013-12-14t04:35:55.000z",
            "2013-12-14T04:35:55.000+",
            "2013-12-14 04:35:55.000Z",
            "+013-12-14T04:35:55.000Z",
            "2013-12-14T04:35:5a.000Z",
            "2013-1a-14T04:35:55.000Z",
        ] {
            assert_eq!(parse_time(s), parse_time_any(s), "{s}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_text_in_the_api_shape_reads_as_the_general_parser_reads_it(
            s in "[0-9]{4}-[01][0-9]-[0-3][0-9][Tt ][0-2][0-9]:[0-6][0-9]:[0-6][0-9][.,][0-9]{3}[Zz+]"
        ) {
            proptest::prop_assert_eq!(parse_time(&s), parse_time_any(&s), "{}", s);
        }

        #[test]
        fn every_time_written_by_format_time_reads_back_by_the_fast_path(
            millis in 0i64..4_102_444_800_000
        ) {
            let t = DateTime::<Utc>::from_timestamp_millis(millis).unwrap();
            let text = format_time(t);
            proptest::prop_assert_eq!(api_time(&text), Some(t));
            proptest::prop_assert_eq!(parse_time_any(&text), Some(t));
        }
    }
}
