//! The audit's running totals: record facts folded in file order into the counters, the lists the
//! report names records in, and the small stand-in records the batch-level detectors run on once
//! every record has been seen. Stretches of a file are folded apart, in parallel, and absorbed in
//! order, so that what is left to do one record at a time is one lookup of its (already hashed)
//! handle. Not here: reading or checking records (see `stream` and `facts`), or the conflicting
//! values of duplicated handles (the caller supplies them).

use std::collections::hash_map::{DefaultHasher, Entry};
use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hash, Hasher};

use rayon::prelude::*;

use super::facts::RecordFacts;
use super::{
    AuditReport, BatchFinding, CounterIndices, CounterLines, DuplicateGroup, FlaggedRecord, Gates,
    Histogram, Placeholders, Provenance, SchemaRecord, SchemaViolations, UnreadableLine,
    duplicates, precision,
};
use crate::dataset::{LineError, Record};
use crate::pipeline::placeholders::{self, BatchFlag, BatchRow, SourceKind};

/// Totals over the records folded so far.
#[derive(Default)]
pub(crate) struct Tally {
    /// What the batch-level detectors read of each record, in file order.
    batch: Vec<BatchRow>,
    /// 1-based file line of each record.
    lines: Vec<usize>,
    /// Folded handles of the records from position `settled` on, not yet in `first_copy`.
    pending: Vec<Option<HandleKey>>,
    settled: usize,
    /// Position of the first copy of each handle.
    first_copy: HashMap<HandleKey, u32, BuildHasherDefault<Prehashed>>,
    /// Positions of all copies of each handle seen more than once, keyed by its first position
    /// (so in order of first appearance).
    copies: BTreeMap<u32, Vec<u32>>,
    without_handle: usize,
    with_metrics: usize,
    idx: CounterIndices,
    histogram: Histogram,
    provenance: Provenance,
    schema_violations: SchemaViolations,
    placeholders: Placeholders,
    errors: Vec<UnreadableLine>,
}

/// A folded handle with its hash, worked out where the record was checked (in parallel).
#[derive(PartialEq, Eq)]
struct HandleKey {
    hash: u64,
    key: String,
}

impl HandleKey {
    fn new(key: String) -> Self {
        let mut h = DefaultHasher::new();
        key.hash(&mut h);
        HandleKey {
            hash: h.finish(),
            key,
        }
    }
}

impl Hash for HandleKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

/// Passes a [`HandleKey`]'s own hash through.
#[derive(Default)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is ever called (see `HandleKey::hash`); fold anything else in anyway.
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
    pub fn add(&mut self, line: usize, facts: RecordFacts) {
        let i = self.batch.len();
        let key = facts.batch.handle_key().map(HandleKey::new);
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
        } else {
            self.idx.unscored.push(i);
        }
        self.histogram.add(facts.histogram_score);
        let p = &mut self.provenance;
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
        let handle = || facts.batch.handle.clone();
        if !facts.schema_errors.is_empty() {
            self.idx.schema_violations.push(i);
            let sv = &mut self.schema_violations;
            for e in &facts.schema_errors {
                // Looked up before inserting: the same few messages repeat on every record.
                match sv.by_error.get_mut(e.as_ref()) {
                    Some(n) => *n += 1,
                    None => {
                        sv.by_error.insert(e.to_string(), 1);
                    }
                }
            }
            sv.records.push(SchemaRecord {
                line,
                handle: handle(),
                errors: facts.schema_errors,
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
                handle: handle(),
                id: facts.batch.id.clone(),
                line,
                reasons: facts.flags,
            });
        }
        self.batch.push(facts.batch);
        self.lines.push(line);
    }

    /// True before the first record or unreadable line.
    pub fn is_empty(&self) -> bool {
        self.batch.is_empty() && self.errors.is_empty()
    }

    /// Makes room for `records` records in the per-record lists.
    pub fn reserve(&mut self, records: usize) {
        self.batch.reserve(records);
        self.lines.reserve(records);
        self.first_copy.reserve(records);
    }

    /// Notes a line that could not become a record.
    pub fn add_error(&mut self, e: &LineError) {
        self.errors.push(UnreadableLine {
            line: e.line(),
            reason: e.to_string(),
        });
    }

    /// Folds in the tally of the stretch of the file that follows the records folded so far.
    pub fn absorb(&mut self, part: Tally) {
        let offset = self.batch.len();
        let shift =
            |v: &mut Vec<usize>, from: Vec<usize>| v.extend(from.into_iter().map(|i| i + offset));
        let Tally {
            batch,
            lines,
            pending,
            settled: _,
            first_copy: _,
            copies: _,
            without_handle,
            with_metrics,
            idx,
            histogram,
            provenance,
            schema_violations,
            placeholders,
            errors,
        } = part;
        self.batch.extend(batch);
        self.lines.extend(lines);
        self.pending.extend(pending);
        self.without_handle += without_handle;
        self.with_metrics += with_metrics;
        shift(&mut self.idx.zero_scores, idx.zero_scores);
        shift(&mut self.idx.string_scores, idx.string_scores);
        shift(&mut self.idx.unscored, idx.unscored);
        shift(&mut self.idx.schema_violations, idx.schema_violations);
        shift(&mut self.idx.placeholders, idx.placeholders);
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
        let sv = &mut self.schema_violations;
        for (e, n) in schema_violations.by_error {
            *sv.by_error.entry(e).or_default() += n;
        }
        sv.records.extend(schema_violations.records);
        let ph = &mut self.placeholders;
        for (d, n) in placeholders.by_detector {
            *ph.by_detector.entry(d).or_default() += n;
        }
        ph.records.extend(placeholders.records);
        self.errors.extend(errors);
        self.settle();
    }

    /// Files the pending handles under their first copy.
    fn settle(&mut self) {
        let start = self.settled;
        for (j, key) in self.pending.drain(..).enumerate() {
            let i = (start + j) as u32;
            let Some(key) = key else { continue };
            match self.first_copy.entry(key) {
                Entry::Occupied(first) => {
                    let first = *first.get();
                    self.copies
                        .entry(first)
                        .or_insert_with(|| vec![first])
                        .push(i);
                }
                Entry::Vacant(slot) => {
                    slot.insert(i);
                }
            }
        }
        self.settled = self.batch.len();
    }

    /// The handles seen more than once, in order of first appearance, with where their copies are.
    pub fn duplicated(&mut self) -> Vec<DuplicateCopies> {
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
    pub fn finish(mut self, duplicates: Vec<DuplicateGroup>, gates: &Gates) -> AuditReport {
        self.settle();
        let Tally {
            batch,
            lines,
            pending: _,
            settled: _,
            first_copy,
            copies,
            without_handle,
            with_metrics,
            mut idx,
            histogram,
            provenance,
            mut schema_violations,
            mut placeholders,
            errors,
        } = self;
        let unique_handles = first_copy.len();
        drop((first_copy, copies));
        let line = |i: usize| lines[i];

        schema_violations.count = schema_violations.records.len();
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
            schema_violations,
            placeholders,
            provenance,
            precision,
            histogram,
            gates: Vec::new(),
            passed: true,
            errors,
            lines: counter_lines,
            indices: idx,
        };
        report.judge(gates);
        report
    }
}

fn distinct_ids(records: &[BatchRow]) -> usize {
    let mut ids: Vec<&str> = records.iter().filter_map(|r| r.id.as_deref()).collect();
    ids.par_sort_unstable();
    ids.dedup();
    ids.len()
}

fn batch_finding(
    f: BatchFlag,
    records: &[BatchRow],
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
