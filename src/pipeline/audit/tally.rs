//! The audit's running totals: record facts folded in file order into the counters, the lists the
//! report names records in, and the small stand-in records the batch-level detectors run on once
//! every record has been seen. Not here: reading or checking records (see `stream` and `facts`),
//! or the conflicting values of duplicated handles (the caller supplies them).

use std::collections::HashMap;

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
    /// Position of each handle's copies, keyed by the folded handle, and the keys in order of
    /// first appearance.
    copies: HashMap<String, Vec<u32>>,
    handle_order: Vec<String>,
    without_handle: usize,
    with_metrics: usize,
    idx: CounterIndices,
    histogram: Histogram,
    provenance: Provenance,
    schema_violations: SchemaViolations,
    placeholders: Placeholders,
    errors: Vec<UnreadableLine>,
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
        match facts.batch.handle_key() {
            Some(k) => match self.copies.get_mut(&k) {
                Some(v) => v.push(i as u32),
                None => {
                    self.copies.insert(k.clone(), vec![i as u32]);
                    self.handle_order.push(k);
                }
            },
            None => self.without_handle += 1,
        }
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
            *p.methods.entry(m).or_default() += 1;
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
                match sv.by_error.get_mut(e) {
                    Some(n) => *n += 1,
                    None => {
                        sv.by_error.insert(e.clone(), 1);
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

    /// Notes a line that could not become a record.
    pub fn add_error(&mut self, e: &LineError) {
        self.errors.push(UnreadableLine {
            line: e.line(),
            reason: e.to_string(),
        });
    }

    /// The handles seen more than once, in order of first appearance, with where their copies are.
    pub fn duplicated(&self) -> Vec<DuplicateCopies> {
        self.handle_order
            .iter()
            .filter_map(|k| {
                let idx = &self.copies[k];
                (idx.len() > 1).then(|| DuplicateCopies {
                    indices: idx.iter().map(|&i| i as usize).collect(),
                    lines: idx.iter().map(|&i| self.lines[i as usize]).collect(),
                })
            })
            .collect()
    }

    /// The report: batch-level detectors, precision and distinct counts over the stand-ins, with the
    /// duplicate groups (one per entry of [`Tally::duplicated`], in that order) from the caller.
    pub fn finish(self, duplicates: Vec<DuplicateGroup>, gates: &Gates) -> AuditReport {
        let Tally {
            batch,
            lines,
            copies,
            handle_order,
            without_handle,
            with_metrics,
            mut idx,
            histogram,
            provenance,
            mut schema_violations,
            mut placeholders,
            errors,
        } = self;
        let unique_handles = handle_order.len();
        drop((copies, handle_order));
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
