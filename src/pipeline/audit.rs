//! The audit: a truthful account of what a dataset or batch file holds (records, distinct
//! handles, duplicates and their conflicts, zero and string scores, unscored records, schema
//! violations, placeholder flags, provenance, hand-typed counts, the score histogram) and whether
//! the configured gates pass. Pure: it reads records and returns an [`AuditReport`]; printing and
//! exit codes belong to `influx audit`.

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::Serialize;

use crate::pipeline::custody::Custody;
use serde_json::value::RawValue;

use crate::dataset::{Dataset, LineError, Record};
use crate::pipeline::checks::placeholders::{PlaceholderFlag, Severity};

mod author_detail;
pub(crate) mod drift;
pub(crate) mod duplicates;
mod error_lists;
mod facts;
pub(crate) mod gates;
pub(crate) mod histogram;
mod json;
pub(crate) mod precision;
mod stream;
mod tally;

pub(crate) use author_detail::{
    AuthorDetail, Components, CustodyChain, FeatureTable, Leaf, RawAnswer, author_detail,
};
pub(crate) use duplicates::DuplicateGroup;
use error_lists::ErrorLists;
pub(crate) use facts::{
    checks_of_view, checks_with_metrics, is_placeholder, raw_schema_clean, schema_clean_record,
};
pub use gates::{Gate, GateResult, Gates, UnknownGate};
pub use histogram::Histogram;
pub use json::write_report;
pub(crate) use precision::Precision;
pub use stream::{AuditError, audit_file, audit_file_against};

/// Everything the audit found. Serialises to the JSON `influx audit --json` prints.
#[derive(Debug, Clone, Serialize)]
pub struct AuditReport {
    /// The file audited, when the caller knows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Records read (lines that were JSON objects).
    pub records: usize,
    /// Distinct handles, case-insensitively.
    pub unique_handles: usize,
    /// Distinct ids.
    pub unique_ids: usize,
    /// Records with a handle, minus distinct handles: the rows a merge would fold away.
    pub duplicate_rows: usize,
    /// Records with neither `handle` nor `username`.
    pub without_handle: usize,
    pub duplicates: Vec<DuplicateGroup>,
    /// Records whose meta.score is 0 (a string "0.0" counts).
    pub zero_scores: usize,
    /// Records without usable activity metrics: any score they carry is not a measurement.
    pub unscored: usize,
    /// Records whose meta.score is stored as a string.
    pub string_scores: usize,
    /// Records carrying activity or public metrics.
    pub with_metrics: usize,
    /// Records whose `lang_primary` is `und`: their name and description could not tell the
    /// language (said so, never guessed).
    pub lang_undetermined: usize,
    pub schema_violations: SchemaViolations,
    pub placeholders: Placeholders,
    pub provenance: Provenance,
    pub precision: Precision,
    pub histogram: Histogram,
    pub gates: Vec<GateResult>,
    /// True when every gate in force passes.
    pub passed: bool,
    /// Lines that could not be read, each with its number and reason.
    pub errors: Vec<UnreadableLine>,
    /// Line numbers behind each counter, for a reader who wants to look at them.
    pub lines: CounterLines,
    /// The data directory's `latest.jsonl` no longer hashes as its manifest says (an audit of
    /// `--data DIR`): it fails the audit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_edit: Option<crate::pipeline::merge::ExternalEdit>,
    /// The shift of the score distribution from a previous version or file (`--against`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drift: Option<drift::Drift>,
    #[serde(skip)]
    indices: CounterIndices,
}

/// Records that break the bundled bigv v1.1.0 schema.
#[derive(Debug, Clone, Default)]
pub struct SchemaViolations {
    /// Records with at least one violation.
    pub count: usize,
    /// How many records each distinct message (path and rule) hit, for a summary.
    pub by_error: BTreeMap<String, usize>,
    pub records: Vec<SchemaRecord>,
    /// The distinct lists of messages the records point at.
    lists: ErrorLists,
}

/// One violating record. Its messages are shared with every record that has the same ones:
/// [`SchemaViolations::errors`] gives them.
#[derive(Debug, Clone)]
pub struct SchemaRecord {
    pub line: usize,
    pub handle: Option<String>,
    errors: u32,
}

impl SchemaViolations {}

/// `{"count", "by_error", "records": [{"line", "handle", "errors": [...]}]}`, each distinct list
/// of messages written once and copied into every record that has it.
impl Serialize for SchemaViolations {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeSeq, SerializeStruct};

        #[derive(Serialize)]
        struct Row<'a> {
            line: usize,
            handle: &'a Option<String>,
            errors: &'a RawValue,
        }
        struct Rows<'a>(&'a SchemaViolations);
        impl Serialize for Rows<'_> {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let lists = self.0.lists.as_json();
                let mut seq = serializer.serialize_seq(Some(self.0.records.len()))?;
                for r in &self.0.records {
                    seq.serialize_element(&Row {
                        line: r.line,
                        handle: &r.handle,
                        errors: &lists[r.errors as usize],
                    })?;
                }
                seq.end()
            }
        }

        let mut s = serializer.serialize_struct("SchemaViolations", 3)?;
        s.serialize_field("count", &self.count)?;
        s.serialize_field("by_error", &self.by_error)?;
        s.serialize_field("records", &Rows(self))?;
        s.end()
    }
}

/// Placeholder flags: per record, and per batch (patterns no single record shows).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Placeholders {
    /// Records with at least one record-level flag.
    pub count: usize,
    /// How many records each record-level detector flagged.
    pub by_detector: BTreeMap<&'static str, usize>,
    pub records: Vec<FlaggedRecord>,
    pub batches: Vec<BatchFinding>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FlaggedRecord {
    pub handle: Option<String>,
    pub id: Option<String>,
    pub line: usize,
    pub reasons: Vec<PlaceholderFlag>,
}

/// A batch-level flag with its records named by line and handle.
#[derive(Debug, Clone, Serialize)]
pub struct BatchFinding {
    pub detector: &'static str,
    pub severity: Severity,
    pub reason: String,
    pub lines: Vec<usize>,
    pub handles: Vec<String>,
}

/// Where records say they came from. A fact, not a flag: manual sources are common and honest.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Provenance {
    /// Records with at least one source that is an X API answer.
    pub api: usize,
    /// Records whose sources are all manual (`manual_csv`, `manual_seed`, `manual_curation`).
    pub manual: usize,
    /// Records with a source marked sample/mock/fixture/test (also a placeholder flag).
    pub sample: usize,
    /// Records from other tools (`rube_mcp_fetch`, scrapers).
    pub other: usize,
    /// Records that name no source.
    pub unknown: usize,
    /// Source entries per `method`, as written.
    pub methods: BTreeMap<String, usize>,
    /// What could be proved, when the audit was given the runs (`--data DIR`, `--runs DIR`).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub custody: Option<CustodyCounts>,
}

/// Records that claim an API source, proved against the answers they came from.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CustodyCounts {
    pub claimed_api: usize,
    pub verified: usize,
    /// No answer to compare with (old data, a run not kept, a forged batch).
    pub unverifiable: usize,
    /// The answer says otherwise.
    pub mismatch: usize,
    /// Each record not verified, in file order, with why.
    pub unverified_records: Vec<UnverifiedRecord>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnverifiedRecord {
    pub line: usize,
    pub handle: Option<String>,
    /// `unverifiable` or `mismatch`.
    pub outcome: &'static str,
    pub reason: String,
    /// On a mismatch: each field, the record's value and the answer's.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub diffs: Vec<crate::pipeline::custody::FieldDiff>,
}

impl CustodyCounts {
    /// Counts one record's custody.
    pub(crate) fn add(&mut self, line: usize, handle: Option<&str>, custody: Custody) {
        match &custody {
            Custody::NotClaimed => return,
            Custody::Verified { .. } => self.verified += 1,
            Custody::Unverifiable { .. } => self.unverifiable += 1,
            Custody::Mismatch { .. } => self.mismatch += 1,
        }
        self.claimed_api += 1;
        if !custody.is_unverified() {
            return;
        }
        let outcome = custody.outcome();
        let reason = custody.words();
        let diffs = match custody {
            Custody::Mismatch { diffs, .. } => diffs,
            _ => Vec::new(),
        };
        self.unverified_records.push(UnverifiedRecord {
            line,
            handle: handle.map(str::to_string),
            outcome,
            reason,
            diffs,
        });
    }

    /// Folds in the counts of the stretch that follows.
    pub(crate) fn absorb(&mut self, other: CustodyCounts) {
        self.claimed_api += other.claimed_api;
        self.verified += other.verified;
        self.unverifiable += other.unverifiable;
        self.mismatch += other.mismatch;
        self.unverified_records.extend(other.unverified_records);
    }
}

/// One line that could not become a record.
#[derive(Debug, Clone, Serialize)]
pub struct UnreadableLine {
    pub line: usize,
    pub reason: String,
}

/// The counters whose records a reader may want to see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counter {
    ZeroScores,
    Unscored,
    StringScores,
    Placeholders,
    /// Rows beyond the first copy of a handle.
    Duplicates,
    SchemaViolations,
    Precision,
}

/// Line numbers per counter (1-based, as in the file).
#[derive(Debug, Clone, Default, Serialize)]
pub struct CounterLines {
    pub zero_scores: Vec<usize>,
    pub unscored: Vec<usize>,
    pub string_scores: Vec<usize>,
    pub placeholders: Vec<usize>,
    pub duplicates: Vec<usize>,
    pub schema_violations: Vec<usize>,
    pub precision: Vec<usize>,
}

/// Positions in the audited slice per counter (what the console indexes its records with).
#[derive(Debug, Clone, Default)]
struct CounterIndices {
    zero_scores: Vec<usize>,
    unscored: Vec<usize>,
    string_scores: Vec<usize>,
    placeholders: Vec<usize>,
    duplicates: Vec<usize>,
    schema_violations: Vec<usize>,
    precision: Vec<usize>,
}

impl AuditReport {
    /// Positions (in the slice given to [`audit`]) of the records behind a counter.
    pub fn indices(&self, counter: Counter) -> &[usize] {
        let i = &self.indices;
        match counter {
            Counter::ZeroScores => &i.zero_scores,
            Counter::Unscored => &i.unscored,
            Counter::StringScores => &i.string_scores,
            Counter::Placeholders => &i.placeholders,
            Counter::Duplicates => &i.duplicates,
            Counter::SchemaViolations => &i.schema_violations,
            Counter::Precision => &i.precision,
        }
    }

    /// The value a gate judges.
    pub(crate) fn gate_value(&self, gate: Gate) -> usize {
        match gate {
            Gate::ZeroScores => self.zero_scores,
            Gate::Placeholders => self.placeholders.count,
            Gate::Duplicates => self.duplicate_rows,
            Gate::UnreadableLines => self.errors.len(),
            Gate::SchemaViolations => self.schema_violations.count,
            Gate::Unscored => self.unscored,
            Gate::StringScores => self.string_scores,
            Gate::BatchFlags => self.placeholders.batches.len(),
            Gate::Precision => self.precision.count,
            Gate::Mismatch => self.provenance.custody.as_ref().map_or(0, |c| c.mismatch),
            Gate::Unverifiable => self
                .provenance
                .custody
                .as_ref()
                .map_or(0, |c| c.unverifiable),
        }
    }

    /// The gates that failed.
    pub fn failed_gates(&self) -> impl Iterator<Item = &GateResult> {
        self.gates.iter().filter(|g| !g.pass)
    }

    fn judge(&mut self, gates: &Gates) {
        self.gates = gates.evaluate(|g| self.gate_value(g));
        self.passed = self.gates.iter().all(|g| g.pass);
    }
}

/// Audits records read together; `lines[i]` is the file line of `records[i]` (position + 1
/// when missing). Lines that could not be read are not known here: see [`audit_dataset`].
/// For a file, [`audit_file`] audits while reading and never holds the records.
pub fn audit(records: &[Record], lines: &[usize], gates: &Gates) -> AuditReport {
    audit_with_errors(records, lines, &[], gates)
}

/// Audits a file as read by [`crate::dataset::read_dataset`], its unreadable lines included.
pub fn audit_dataset(dataset: &Dataset, gates: &Gates) -> AuditReport {
    audit_with_errors(&dataset.records, &dataset.lines, &dataset.errors, gates)
}

fn audit_with_errors(
    records: &[Record],
    lines: &[usize],
    errors: &[LineError],
    gates: &Gates,
) -> AuditReport {
    let line = |i: usize| lines.get(i).copied().unwrap_or(i + 1);
    let checked: Vec<facts::RecordFacts> =
        records.par_iter().map(facts::facts_of_borrowed).collect();
    let mut tally = tally::Tally::default();
    for (i, facts) in checked.into_iter().enumerate() {
        tally.add(line(i), facts);
    }
    for e in errors {
        tally.add_error(e);
    }
    let groups = tally::groups_from(tally.duplicated(), |i| &records[i]);
    tally.finish(groups, gates)
}
