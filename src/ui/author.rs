//! One author as the console lists it: the few figures a table row and the counters need,
//! taken once from a [`Record`] or straight from its JSONL line. Not the record itself (the
//! detail pane reads that, see `record_store`).

use crate::dataset::{AuthorView, ReadLine, Record};
use crate::pipeline::audit::{checks_with_metrics, raw_schema_clean, schema_clean_record};
use crate::pipeline::custody::{self, AnswerIndex, Claim};

/// Why a row deserves attention; a row may carry several.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RowFlags(u8);

impl RowFlags {
    pub const ZERO: RowFlags = RowFlags(1);
    pub const UNSCORED: RowFlags = RowFlags(1 << 1);
    pub const PLACEHOLDER: RowFlags = RowFlags(1 << 2);
    pub const DUPLICATE: RowFlags = RowFlags(1 << 3);
    pub const SCHEMA: RowFlags = RowFlags(1 << 4);
    /// Harvested by this console run: the figures are fresh.
    pub const FRESH: RowFlags = RowFlags(1 << 5);
    /// Claims an API source that its answer does not prove (unverifiable or mismatch).
    pub const UNVERIFIED: RowFlags = RowFlags(1 << 6);
    /// The history flags the author's growth (a follower spike or drop): a review flag.
    pub(crate) const GROWTH: RowFlags = RowFlags(1 << 7);

    pub fn contains(self, other: RowFlags) -> bool {
        self.0 & other.0 == other.0 && other.0 != 0
    }

    pub fn insert(&mut self, other: RowFlags) {
        self.0 |= other.0;
    }

    pub(crate) fn remove(&mut self, other: RowFlags) {
        self.0 &= !other.0;
    }

    /// Short words for the table's flag column; never colour alone.
    pub(crate) fn words(self) -> String {
        let mut out = Vec::new();
        for (flag, word) in [
            (RowFlags::ZERO, "zero"),
            (RowFlags::UNSCORED, "unscored"),
            (RowFlags::PLACEHOLDER, "placeholder"),
            (RowFlags::DUPLICATE, "dup"),
            (RowFlags::SCHEMA, "schema"),
            (RowFlags::UNVERIFIED, "unverified"),
            (RowFlags::GROWTH, "growth"),
            (RowFlags::FRESH, "fresh"),
        ] {
            if self.contains(flag) {
                out.push(word);
            }
        }
        out.join(" ")
    }
}

/// The table's view of one record.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthorRow {
    pub handle: String,
    pub name: String,
    /// `None` = unscored (absent or unreadable score), never folded into 0.
    pub score: Option<f64>,
    pub followers: Option<u64>,
    pub flags: RowFlags,
    /// Lower-case `handle name`, what `/` matches against.
    pub search: String,
}

impl AuthorRow {
    /// The score the table shows and sorts by: none for a row the checks call unscored, whose
    /// stored value (a legacy score) is not an M2 score; the detail shows it, labelled.
    pub fn ranked_score(&self) -> Option<f64> {
        if self.flags.contains(RowFlags::UNSCORED) {
            None
        } else {
            self.score
        }
    }

    /// Builds the row and its record-level flags. Duplicates are a property of the whole
    /// dataset, so the caller marks them (see [`mark_duplicates`]). With `answers`, the record
    /// is proved against them (the `unverified` flag); without, custody is not looked at.
    pub fn from_record(record: &Record, answers: Option<&AnswerIndex>) -> AuthorRow {
        let mut row = AuthorRow::from_view(&record.view(), schema_clean_record(record));
        if let Some(answers) = answers {
            row.mark_custody(custody::verify(&Claim::of_record(record), answers));
        }
        row
    }

    /// The row of one JSONL line read raw, without building a [`Record`]: the same row as
    /// [`AuthorRow::from_record`] on the parsed line, or `None` when reading it raw could give
    /// another (the line is not an object a value parse takes, or the raw schema check cannot
    /// tell); the caller parses the line then.
    pub fn from_line(text: &str, answers: Option<&AnswerIndex>) -> Option<AuthorRow> {
        let ReadLine { top, meta, view } = ReadLine::read_record(text).ok()?;
        let schema_clean = raw_schema_clean(&top, meta.as_ref())?;
        let mut row = AuthorRow::from_view(&view, schema_clean);
        if let Some(answers) = answers {
            let claim = Claim::of_view(&view, &top, meta.as_ref());
            row.mark_custody(custody::verify(&claim, answers));
        }
        Some(row)
    }

    fn mark_custody(&mut self, custody: custody::Custody) {
        if custody.is_unverified() {
            self.flags.insert(RowFlags::UNVERIFIED);
        }
    }

    /// The row of a record read either way, flagged with the checks `influx audit` counts
    /// (one rule each, in `pipeline::audit`).
    fn from_view(view: &AuthorView<'_>, schema_clean: bool) -> AuthorRow {
        let score = view.stored_score().value();
        let metrics = view.metrics();
        let checks = checks_with_metrics(view, &metrics, schema_clean);
        let mut flags = RowFlags::default();
        for (holds, flag) in [
            (checks.unscored, RowFlags::UNSCORED),
            (checks.zero_score, RowFlags::ZERO),
            (checks.placeholder, RowFlags::PLACEHOLDER),
            (checks.schema_violation, RowFlags::SCHEMA),
        ] {
            if holds {
                flags.insert(flag);
            }
        }
        AuthorRow::new(
            view.handle().unwrap_or(""),
            view.name().unwrap_or(""),
            score,
            metrics.followers,
            flags,
        )
    }

    pub fn new(
        handle: &str,
        name: &str,
        score: Option<f64>,
        followers: Option<u64>,
        flags: RowFlags,
    ) -> AuthorRow {
        AuthorRow {
            handle: handle.to_string(),
            name: name.to_string(),
            score,
            followers,
            flags,
            search: format!("{} {}", handle, name).to_lowercase(),
        }
    }

    /// The handle as a lookup key: case-insensitive, without a leading `@`.
    pub(crate) fn key(&self) -> String {
        handle_key(&self.handle)
    }
}

pub(crate) fn handle_key(handle: &str) -> String {
    handle.trim().trim_start_matches('@').to_lowercase()
}

/// The rows holding each handle (by [`handle_key`]), kept so a harvested record finds its rows
/// without a pass over a million of them.
#[derive(Debug, Clone, Default)]
pub struct HandleRows(std::collections::HashMap<String, Vec<u32>>);

impl HandleRows {
    pub(crate) fn of(rows: &[AuthorRow]) -> HandleRows {
        let mut map: std::collections::HashMap<String, Vec<u32>> =
            std::collections::HashMap::with_capacity(rows.len());
        for (i, row) in rows.iter().enumerate() {
            map.entry(row.key()).or_default().push(i as u32);
        }
        HandleRows(map)
    }

    pub(crate) fn get(&self, key: &str) -> Option<&[u32]> {
        self.0.get(key).map(Vec::as_slice)
    }

    pub(crate) fn insert(&mut self, key: String, row: u32) {
        self.0.entry(key).or_default().push(row);
    }
}

/// Marks every row whose handle appears more than once. Returns (extra copies, handles affected)
/// and the rows of each handle.
pub(crate) fn mark_duplicates(rows: &mut [AuthorRow]) -> (usize, usize, HandleRows) {
    let by_handle = HandleRows::of(rows);
    let mut extra = 0;
    let mut handles = 0;
    for places in by_handle.0.values() {
        if places.len() > 1 {
            extra += places.len() - 1;
            handles += 1;
        }
        for &i in places {
            if places.len() > 1 {
                rows[i as usize].flags.insert(RowFlags::DUPLICATE);
            } else {
                rows[i as usize].flags.remove(RowFlags::DUPLICATE);
            }
        }
    }
    (extra, handles, by_handle)
}
