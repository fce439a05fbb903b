//! The audit's running totals: record facts folded in file order into the counters, the lists the
//! report names records in, and the small stand-in records the batch-level detectors run on once
//! every record has been seen. Stretches of a file are folded apart, in parallel, and absorbed in
//! order, so that what is left to do one record at a time is one lookup of its (already hashed)
//! handle. Not here: reading or checking records (see `stream` and `facts`), or the conflicting
//! values of duplicated handles (the caller supplies them).

use std::collections::hash_map::{DefaultHasher, Entry};
use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

use rayon::prelude::*;

use super::facts::RecordFacts;
use super::{
    AuditReport, BatchFinding, CounterIndices, CounterLines, DuplicateGroup, FlaggedRecord, Gates,
    Histogram, Placeholders, Provenance, SchemaRecord, SchemaViolations, UnreadableLine,
    duplicates, precision,
};
use crate::dataset::{LineError, Record};
use crate::pipeline::checks::placeholders::{self, BatchFlag, DetectorRow, SourceKind};

/// Totals over the records folded so far.
#[derive(Default)]
pub(crate) struct Tally {
    /// What the batch-level detectors read of each record, in file order.
    batch: Vec<DetectorRow>,
    /// 1-based file line of each record.
    lines: Vec<usize>,
    /// Hashes of the folded handles of the records from position `settled` on, not yet filed.
    pending: Vec<Option<u64>>,
    settled: usize,
    /// Position of the first copy of each handle, by the hash of the folded handle: the handle
    /// itself is in the row, so no key is copied per record.
    first_copy: HashMap<u64, u32, BuildHasherDefault<Prehashed>>,
    /// First copies of handles whose hash another handle had first (almost never any).
    collided: HashMap<String, u32>,
    /// Positions of all copies of each handle seen more than once, keyed by its first position
    /// (so in order of first appearance).
    copies: BTreeMap<u32, Vec<u32>>,
    without_handle: usize,
    with_metrics: usize,
    lang_undetermined: usize,
    idx: CounterIndices,
    histogram: Histogram,
    provenance: Provenance,
    schema_violations: SchemaViolations,
    placeholders: Placeholders,
    errors: Vec<UnreadableLine>,
}

/// The hash of a handle folded as [`DetectorRow::handle_key`] folds it (without building the
/// folded text), worked out where the record was checked, in parallel.
fn handle_hash(handle: &str) -> u64 {
    let mut h = DefaultHasher::new();
    let mut folded = [0u8; 32];
    for piece in handle
        .trim_start_matches('@')
        .as_bytes()
        .chunks(folded.len())
    {
        let folded = &mut folded[..piece.len()];
        folded.copy_from_slice(piece);
        folded.make_ascii_lowercase();
        h.write(folded);
    }
    h.finish()
}

/// True when two handles fold to the same key (see [`DetectorRow::handle_key`]).
fn same_handle(a: &str, b: &str) -> bool {
    a.trim_start_matches('@')
        .eq_ignore_ascii_case(b.trim_start_matches('@'))
}

/// Passes a [`handle_hash`] through: the keys of `first_copy` are hashes already.
#[derive(Default)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is ever called (a u64 key hashes so); fold anything else in anyway.
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Where the records of each duplicated handle sit: positions (in the audited order) and lines.
pub(crate) struct DuplicateCopies {
    pub indices: Vec<usize>,
    pub lines: Vec<usize>,
}

impl Tally {
    /// Folds the next record (records must come in file order).
    pub(super) fn add(&mut self, line: usize, facts: RecordFacts) {
        let i = self.batch.len();
        let key = facts.batch.handle.as_deref().map(handle_hash);
        if key.is_none() {
            self.without_handle += 1;
        }
        self.pending.push(key);
        if facts.zero_score {
            self.idx.zero_scores.push(i);
        }
        if facts.string_score {
            self.idx.string_scores.push(i);
        }
        if facts.has_activity {
            self.with_metrics += 1;
        }
        if facts.lang_undetermined {
            self.lang_undetermined += 1;
        }
        if facts.unscored {
            self.idx.unscored.push(i);
        }
        self.histogram.add(facts.histogram_score);
        let p = &mut self.provenance;
        if let Some(custody) = facts.custody {
            p.custody
                .get_or_insert_default()
                .add(line, facts.batch.handle.as_deref(), custody);
        }
        for m in facts.methods {
            match p.methods.get_mut(&m) {
                Some(n) => *n += 1,
                None => {
                    p.methods.insert(m, 1);
                }
            }
        }
        match facts.source_kind {
            SourceKind::Api => p.api += 1,
            SourceKind::Manual => p.manual += 1,
            SourceKind::Sample => p.sample += 1,
            SourceKind::Other => p.other += 1,
            SourceKind::Unknown => p.unknown += 1,
        }
        if !facts.schema_errors.is_empty() {
            self.idx.schema_violations.push(i);
            let sv = &mut self.schema_violations;
            let errors = sv.lists.add(facts.schema_errors);
            // The handle is moved in from the record's row when the report is made.
            sv.records.push(SchemaRecord {
                line,
                handle: None,
                errors,
            });
        }
        if !facts.flags.is_empty() {
            self.idx.placeholders.push(i);
            let mut seen: Vec<&str> = facts.flags.iter().map(|f| f.detector).collect();
            seen.sort_unstable();
            seen.dedup();
            for d in seen {
                *self.placeholders.by_detector.entry(d).or_default() += 1;
            }
            self.placeholders.records.push(FlaggedRecord {
                handle: facts.batch.handle.clone(),
                id: facts.batch.id.clone(),
                line,
                reasons: facts.flags,
            });
        }
        self.batch.push(facts.batch);
        self.lines.push(line);
    }

    /// True before the first record or unreadable line.
    pub(super) fn is_empty(&self) -> bool {
        self.batch.is_empty() && self.errors.is_empty()
    }

    /// Makes room for `records` records in the per-record lists.
    pub(super) fn reserve(&mut self, records: usize) {
        self.batch.reserve(records);
        self.lines.reserve(records);
        self.first_copy.reserve(records);
    }

    /// Notes a line that could not become a record.
    pub(super) fn add_error(&mut self, e: &LineError) {
        self.errors.push(UnreadableLine {
            line: e.line(),
            reason: e.to_string(),
        });
    }

    /// Folds in the tally of the stretch of the file that follows the records folded so far, and
    /// hands it back emptied with the room of its lists kept: filling it again for the next
    /// stretch takes no fresh memory (fresh pages cost the kernel a clearing each).
    pub(super) fn absorb(&mut self, part: Tally) -> Tally {
        let offset = self.batch.len();
        let shift = |v: &mut Vec<usize>, from: &mut Vec<usize>| {
            v.extend(from.drain(..).map(|i| i + offset));
        };
        let Tally {
            mut batch,
            mut lines,
            mut pending,
            settled: _,
            first_copy: _,
            collided: _,
            copies: _,
            without_handle,
            with_metrics,
            lang_undetermined,
            mut idx,
            histogram,
            provenance,
            schema_violations,
            placeholders,
            mut errors,
        } = part;
        self.batch.append(&mut batch);
        self.lines.append(&mut lines);
        self.pending.append(&mut pending);
        self.without_handle += without_handle;
        self.with_metrics += with_metrics;
        self.lang_undetermined += lang_undetermined;
        shift(&mut self.idx.zero_scores, &mut idx.zero_scores);
        shift(&mut self.idx.string_scores, &mut idx.string_scores);
        shift(&mut self.idx.unscored, &mut idx.unscored);
        shift(&mut self.idx.schema_violations, &mut idx.schema_violations);
        shift(&mut self.idx.placeholders, &mut idx.placeholders);
        self.histogram.absorb(&histogram);
        let p = &mut self.provenance;
        p.api += provenance.api;
        p.manual += provenance.manual;
        p.sample += provenance.sample;
        p.other += provenance.other;
        p.unknown += provenance.unknown;
        for (m, n) in provenance.methods {
            *p.methods.entry(m).or_default() += n;
        }
        if let Some(custody) = provenance.custody {
            p.custody.get_or_insert_default().absorb(custody);
        }
        let SchemaViolations {
            lists,
            records: mut schema_records,
            ..
        } = schema_violations;
        let sv = &mut self.schema_violations;
        let moved = sv.lists.absorb(lists);
        sv.records.extend(schema_records.drain(..).map(|mut r| {
            r.errors = moved[r.errors as usize];
            r
        }));
        let Placeholders {
            by_detector,
            records: mut flagged,
            ..
        } = placeholders;
        let ph = &mut self.placeholders;
        for (d, n) in by_detector {
            *ph.by_detector.entry(d).or_default() += n;
        }
        ph.records.append(&mut flagged);
        self.errors.append(&mut errors);
        self.settle();
        Tally {
            batch,
            lines,
            pending,
            idx,
            schema_violations: SchemaViolations {
                records: schema_records,
                ..SchemaViolations::default()
            },
            placeholders: Placeholders {
                records: flagged,
                ..Placeholders::default()
            },
            errors,
            ..Tally::default()
        }
    }

    /// Files the pending handles under their first copy.
    fn settle(&mut self) {
        let start = self.settled;
        let pending = std::mem::take(&mut self.pending);
        for (j, hash) in pending.into_iter().enumerate() {
            if let Some(hash) = hash {
                self.file_handle((start + j) as u32, hash);
            }
        }
        self.settled = self.batch.len();
    }

    /// Files record `i`, whose folded handle hashes to `hash`, as a first copy or a copy.
    fn file_handle(&mut self, i: u32, hash: u64) {
        let first = match self.first_copy.entry(hash) {
            Entry::Vacant(slot) => {
                slot.insert(i);
                return;
            }
            Entry::Occupied(first) => *first.get(),
        };
        let handle = |k: u32| self.batch[k as usize].handle.as_deref().unwrap_or_default();
        let first = if same_handle(handle(first), handle(i)) {
            first
        } else {
            let key = self.batch[i as usize].handle_key().unwrap_or_default();
            match self.collided.entry(key) {
                Entry::Vacant(slot) => {
                    slot.insert(i);
                    return;
                }
                Entry::Occupied(first) => *first.get(),
            }
        };
        self.copies
            .entry(first)
            .or_insert_with(|| vec![first])
            .push(i);
    }

    /// The handles seen more than once, in order of first appearance, with where their copies are.
    pub(super) fn duplicated(&mut self) -> Vec<DuplicateCopies> {
        self.settle();
        self.copies
            .values()
            .map(|idx| DuplicateCopies {
                indices: idx.iter().map(|&i| i as usize).collect(),
                lines: idx.iter().map(|&i| self.lines[i as usize]).collect(),
            })
            .collect()
    }

    /// The report: batch-level detectors, precision and distinct counts over the stand-ins, with the
    /// duplicate groups (one per entry of [`Tally::duplicated`], in that order) from the caller.
    pub(super) fn finish(mut self, duplicates: Vec<DuplicateGroup>, gates: &Gates) -> AuditReport {
        self.settle();
        let Tally {
            mut batch,
            lines,
            pending: _,
            settled: _,
            first_copy,
            collided,
            copies,
            without_handle,
            with_metrics,
            lang_undetermined,
            mut idx,
            histogram,
            provenance,
            mut schema_violations,
            mut placeholders,
            errors,
        } = self;
        let unique_handles = first_copy.len() + collided.len();
        drop((first_copy, collided, copies));
        let line = |i: usize| lines[i];

        schema_violations.count = schema_violations.records.len();
        schema_violations.by_error = schema_violations.lists.by_error();
        placeholders.count = placeholders.records.len();
        placeholders.batches = placeholders::batch_row_flags(&batch)
            .into_iter()
            .map(|f| batch_finding(f, &batch, &line))
            .collect();

        idx.duplicates = duplicates
            .iter()
            .flat_map(|g| g.indices.iter().skip(1).copied())
            .collect();
        idx.duplicates.sort_unstable();
        let precision = precision::find(&batch, &lines);
        idx.precision = precision.records.iter().map(|r| r.index).collect();
        let unique_ids = distinct_ids(&batch);

        let to_lines = |v: &[usize]| v.iter().map(|&i| line(i)).collect::<Vec<_>>();
        let counter_lines = CounterLines {
            zero_scores: to_lines(&idx.zero_scores),
            unscored: to_lines(&idx.unscored),
            string_scores: to_lines(&idx.string_scores),
            placeholders: to_lines(&idx.placeholders),
            duplicates: to_lines(&idx.duplicates),
            schema_violations: to_lines(&idx.schema_violations),
            precision: to_lines(&idx.precision),
        };

        // The rows are read for the last time above: their handles move into the records.
        for (r, &i) in schema_violations
            .records
            .iter_mut()
            .zip(&idx.schema_violations)
        {
            r.handle = batch[i].handle.take();
        }

        let records = batch.len();
        let mut report = AuditReport {
            file: None,
            records,
            unique_handles,
            unique_ids,
            duplicate_rows: records - without_handle - unique_handles,
            without_handle,
            duplicates,
            zero_scores: idx.zero_scores.len(),
            unscored: idx.unscored.len(),
            string_scores: idx.string_scores.len(),
            with_metrics,
            lang_undetermined,
            schema_violations,
            placeholders,
            provenance,
            precision,
            histogram,
            gates: Vec::new(),
            passed: true,
            errors,
            lines: counter_lines,
            external_edit: None,
            drift: None,
            indices: idx,
        };
        report.judge(gates);
        report
    }
}

/// Distinct ids. Most ids are decimal numbers written plainly (no sign, no leading zero), and
/// two of those are the same text exactly when they are the same number: they are sorted as
/// numbers, which is several times quicker than sorting a million strings; the rest as text.
fn distinct_ids(records: &[DetectorRow]) -> usize {
    let mut numbers: Vec<u64> = Vec::with_capacity(records.len());
    let mut texts: Vec<&str> = Vec::new();
    for id in records.iter().filter_map(|r| r.id.as_deref()) {
        match plain_number(id) {
            Some(n) => numbers.push(n),
            None => texts.push(id),
        }
    }
    numbers.par_sort_unstable();
    numbers.dedup();
    texts.par_sort_unstable();
    texts.dedup();
    numbers.len() + texts.len()
}

/// The value of a plainly written decimal number of up to 19 digits (all fit in a u64).
fn plain_number(text: &str) -> Option<u64> {
    let b = text.as_bytes();
    let plain = !b.is_empty()
        && b.len() <= 19
        && (b[0] != b'0' || b.len() == 1)
        && b.iter().all(u8::is_ascii_digit);
    plain.then(|| b.iter().fold(0, |n, &c| n * 10 + u64::from(c - b'0')))
}

fn batch_finding(
    f: BatchFlag,
    records: &[DetectorRow],
    line: &dyn Fn(usize) -> usize,
) -> BatchFinding {
    BatchFinding {
        detector: f.detector,
        severity: f.severity,
        reason: f.reason,
        lines: f.records.iter().map(|&i| line(i)).collect(),
        handles: f
            .records
            .iter()
            .filter_map(|&i| records[i].handle.clone())
            .collect(),
    }
}

/// Builds each duplicate group from its copies, read by `copy(position)`.
pub(crate) fn groups_from<'a>(
    dups: Vec<DuplicateCopies>,
    copy: impl Fn(usize) -> &'a Record + Sync,
) -> Vec<DuplicateGroup> {
    dups.into_par_iter()
        .map(|d| {
            let records: Vec<&Record> = d.indices.iter().map(|&i| copy(i)).collect();
            duplicates::group(&records, d.lines, d.indices)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::audit::facts::facts_of_borrowed;
    use serde_json::json;

    fn tally_of(handles: &[&str]) -> Tally {
        let mut tally = Tally::default();
        for (i, h) in handles.iter().enumerate() {
            let record = Record::from_value(json!({"id": i.to_string(), "handle": h})).unwrap();
            tally.add(i + 1, facts_of_borrowed(&record));
        }
        tally
    }

    fn copies(mut tally: Tally) -> Vec<Vec<usize>> {
        tally.duplicated().into_iter().map(|d| d.lines).collect()
    }

    #[test]
    fn copies_of_a_handle_are_found_whatever_its_case_or_leading_at() {
        let tally = tally_of(&["Swyx", "other", "@swyx", "SWYX", "Other", "third"]);
        assert_eq!(copies(tally), vec![vec![1, 3, 4], vec![2, 5]]);
    }

    #[test]
    fn handles_whose_hashes_collide_are_still_told_apart() {
        let mut tally = tally_of(&["alpha", "beta", "Alpha", "gamma", "BETA", "beta"]);
        // Every handle given one hash: only the handles themselves can tell them apart.
        for key in tally.pending.iter_mut() {
            *key = Some(7);
        }
        let unique = {
            tally.settle();
            tally.first_copy.len() + tally.collided.len()
        };
        assert_eq!(unique, 3);
        assert_eq!(copies(tally), vec![vec![1, 3], vec![2, 5, 6]]);
    }

    #[test]
    fn the_handle_hash_is_that_of_the_folded_handle_however_long() {
        let long = "A".repeat(70) + "b";
        assert_eq!(handle_hash("@Swyx"), handle_hash("swyx"));
        assert_eq!(handle_hash(&long), handle_hash(&long.to_ascii_lowercase()));
        assert_ne!(handle_hash(&long), handle_hash(&"a".repeat(71)));
    }

    #[test]
    fn distinct_ids_are_counted_as_distinct_texts() {
        let ids = [
            "12",
            "12",
            "012",
            "0",
            "00",
            "0",
            "9999999999999999999",
            "9999999999999999999",
            "18446744073709551616",
            "18446744073709551616",
            "abc",
            "abc",
            "-1",
            "",
            "1e3",
            "1000",
        ];
        let rows: Vec<DetectorRow> = ids
            .iter()
            .map(|id| DetectorRow {
                id: Some(id.to_string()),
                handle: None,
                score: None,
                metrics: Default::default(),
            })
            .chain(std::iter::once(DetectorRow {
                id: None,
                handle: None,
                score: None,
                metrics: Default::default(),
            }))
            .collect();
        let texts: std::collections::HashSet<&str> = ids.iter().copied().collect();
        assert_eq!(distinct_ids(&rows), texts.len());
    }
}
