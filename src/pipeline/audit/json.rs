//! The report as the JSON `influx audit --json` prints, written straight to the output: the
//! lists with a row per record (schema violations, placeholder records, the lines behind each
//! counter) are written by hand, in parallel stretches, and everything else through `serde_json`.
//! The bytes are exactly `serde_json::to_writer(report)`'s (tests pin them); at a million records
//! this is several times quicker, and never holds the text of more than a few stretches.
//! Not here: what the report holds (`AuditReport`).

use std::io::{self, Write};

use rayon::prelude::*;
use serde::Serialize;

use super::{AuditReport, CounterLines, FlaggedRecord, Placeholders, SchemaViolations};
use crate::pipeline::score::json_text::{digits_ending_at, write_str};

/// Rows written into one piece of text by one core.
const ROWS_PER_STRETCH: usize = 4096;
/// Stretches written side by side before they are handed to the output in order.
const STRETCHES_AT_ONCE: usize = 16;
/// Text gathered before it is handed to the output.
const FLUSH_BYTES: usize = 1 << 20;

/// Writes `report` as one JSON object (no newline), as `serde_json::to_writer` would.
pub fn write_report(report: &AuditReport, out: impl Write) -> io::Result<()> {
    write_report_in(report, out, ROWS_PER_STRETCH)
}

fn write_report_in(report: &AuditReport, out: impl Write, stretch: usize) -> io::Result<()> {
    let mut w = Sink {
        buf: Vec::with_capacity(FLUSH_BYTES + (64 << 10)),
        out,
        stretch,
    };
    let r = report;
    w.buf.push(b'{');
    if let Some(file) = &r.file {
        w.field("file", file, true)?;
    }
    let first = r.file.is_none();
    w.field("records", &r.records, first)?;
    w.field("unique_handles", &r.unique_handles, false)?;
    w.field("unique_ids", &r.unique_ids, false)?;
    w.field("duplicate_rows", &r.duplicate_rows, false)?;
    w.field("without_handle", &r.without_handle, false)?;
    w.field("duplicates", &r.duplicates, false)?;
    w.field("zero_scores", &r.zero_scores, false)?;
    w.field("unscored", &r.unscored, false)?;
    w.field("string_scores", &r.string_scores, false)?;
    w.field("with_metrics", &r.with_metrics, false)?;
    w.key("schema_violations", false);
    w.schema_violations(&r.schema_violations)?;
    w.key("placeholders", false);
    w.placeholders(&r.placeholders)?;
    w.field("provenance", &r.provenance, false)?;
    w.field("precision", &r.precision, false)?;
    w.field("histogram", &r.histogram, false)?;
    w.field("gates", &r.gates, false)?;
    w.field("passed", &r.passed, false)?;
    w.field("errors", &r.errors, false)?;
    w.key("lines", false);
    w.counter_lines(&r.lines)?;
    if let Some(edit) = &r.external_edit {
        w.field("external_edit", edit, false)?;
    }
    if let Some(a) = &r.anomalies {
        w.field("anomalies", a, false)?;
    }
    if let Some(d) = &r.drift {
        w.field("drift", d, false)?;
    }
    w.buf.push(b'}');
    w.flush()
}

/// Text on its way to the output.
struct Sink<W: Write> {
    buf: Vec<u8>,
    out: W,
    stretch: usize,
}

impl<W: Write> Sink<W> {
    fn flush(&mut self) -> io::Result<()> {
        self.out.write_all(&self.buf)?;
        self.buf.clear();
        self.out.flush()
    }

    fn flush_when_full(&mut self) -> io::Result<()> {
        if self.buf.len() >= FLUSH_BYTES {
            self.out.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    /// `,"name":` (without the comma for the first field of an object).
    fn key(&mut self, name: &str, first: bool) {
        if !first {
            self.buf.push(b',');
        }
        write_str(&mut self.buf, name);
        self.buf.push(b':');
    }

    /// A field whose value is small: `serde_json` writes it.
    fn field(&mut self, name: &str, value: &impl Serialize, first: bool) -> io::Result<()> {
        self.key(name, first);
        serde_json::to_writer(&mut self.buf, value)?;
        self.flush_when_full()
    }

    /// `[row,row,...]`, the rows written side by side in stretches and handed on in order.
    fn list<T: Sync>(
        &mut self,
        rows: &[T],
        row: impl Fn(&mut Vec<u8>, &T) + Sync,
    ) -> io::Result<()> {
        self.buf.push(b'[');
        let mut first = true;
        for window in rows.chunks(self.stretch * STRETCHES_AT_ONCE) {
            let texts: Vec<Vec<u8>> = window
                .par_chunks(self.stretch)
                .map(|stretch| {
                    let mut text = Vec::with_capacity(stretch.len() * 64);
                    for r in stretch {
                        text.push(b',');
                        row(&mut text, r);
                    }
                    text
                })
                .collect();
            for text in texts {
                // Every row is written after a comma; the list's first row goes without.
                let text = if first { &text[1..] } else { &text[..] };
                first = false;
                self.buf.extend_from_slice(text);
                self.flush_when_full()?;
            }
        }
        self.buf.push(b']');
        Ok(())
    }

    fn schema_violations(&mut self, sv: &SchemaViolations) -> io::Result<()> {
        self.buf.push(b'{');
        self.field("count", &sv.count, true)?;
        self.field("by_error", &sv.by_error, false)?;
        self.key("records", false);
        let lists: Vec<Vec<u8>> = sv
            .lists
            .as_json()
            .into_iter()
            .map(|list| list.get().as_bytes().to_vec())
            .collect();
        self.list(&sv.records, |out, r| {
            out.extend_from_slice(b"{\"line\":");
            write_usize(out, r.line);
            out.extend_from_slice(b",\"handle\":");
            write_opt_str(out, r.handle.as_deref());
            out.extend_from_slice(b",\"errors\":");
            out.extend_from_slice(&lists[r.errors as usize]);
            out.push(b'}');
        })?;
        self.buf.push(b'}');
        Ok(())
    }

    fn placeholders(&mut self, p: &Placeholders) -> io::Result<()> {
        self.buf.push(b'{');
        self.field("count", &p.count, true)?;
        self.field("by_detector", &p.by_detector, false)?;
        self.key("records", false);
        self.list(&p.records, flagged_record)?;
        self.field("batches", &p.batches, false)?;
        self.buf.push(b'}');
        Ok(())
    }

    fn counter_lines(&mut self, l: &CounterLines) -> io::Result<()> {
        let lists: [(&str, &[usize]); 7] = [
            ("zero_scores", &l.zero_scores),
            ("unscored", &l.unscored),
            ("string_scores", &l.string_scores),
            ("placeholders", &l.placeholders),
            ("duplicates", &l.duplicates),
            ("schema_violations", &l.schema_violations),
            ("precision", &l.precision),
        ];
        self.buf.push(b'{');
        for (k, (name, lines)) in lists.into_iter().enumerate() {
            self.key(name, k == 0);
            self.list(lines, |out, &line| write_usize(out, line))?;
        }
        self.buf.push(b'}');
        Ok(())
    }
}

/// `{"handle":..,"id":..,"line":..,"reasons":[{"detector":..,"reason":..}]}`
fn flagged_record(out: &mut Vec<u8>, f: &FlaggedRecord) {
    out.extend_from_slice(b"{\"handle\":");
    write_opt_str(out, f.handle.as_deref());
    out.extend_from_slice(b",\"id\":");
    write_opt_str(out, f.id.as_deref());
    out.extend_from_slice(b",\"line\":");
    write_usize(out, f.line);
    out.extend_from_slice(b",\"reasons\":[");
    for (k, flag) in f.reasons.iter().enumerate() {
        if k > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"detector\":");
        write_str(out, flag.detector);
        out.extend_from_slice(b",\"reason\":");
        write_str(out, &flag.reason);
        out.push(b'}');
    }
    out.extend_from_slice(b"]}");
}

fn write_usize(out: &mut Vec<u8>, n: usize) {
    let mut digits = [0u8; 20];
    let start = digits_ending_at(&mut digits, 20, n as u64);
    out.extend_from_slice(&digits[start..]);
}

fn write_opt_str(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => write_str(out, s),
        None => out.extend_from_slice(b"null"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::{Record, read_dataset};
    use crate::pipeline::audit::{Gates, audit, audit_dataset};
    use serde_json::json;
    use std::path::Path;

    fn serde_bytes(report: &AuditReport) -> Vec<u8> {
        serde_json::to_vec(report).unwrap()
    }

    fn hand_bytes(report: &AuditReport, stretch: usize) -> Vec<u8> {
        let mut out = Vec::new();
        write_report_in(report, &mut out, stretch).unwrap();
        out
    }

    fn assert_same_bytes(report: &AuditReport, what: &str) {
        let want = serde_bytes(report);
        for stretch in [1, 3, ROWS_PER_STRETCH] {
            let got = hand_bytes(report, stretch);
            assert!(
                got == want,
                "{what}, stretches of {stretch}:\n got {}\nwant {}",
                String::from_utf8_lossy(&got[..got.len().min(2000)]),
                String::from_utf8_lossy(&want[..want.len().min(2000)])
            );
        }
    }

    #[test]
    fn the_reports_of_the_real_fixtures_are_written_byte_for_byte_as_serde_writes_them() {
        for name in [
            "latest-2025-11-14.jsonl",
            "prefetched.sample.jsonl",
            "placeholder-batch.jsonl",
        ] {
            let path = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures")
                .join(name);
            let mut report = audit_dataset(&read_dataset(&path).unwrap(), &Gates::default());
            assert_same_bytes(&report, name);
            report.file = Some(format!("dir/\"{name}\"\n"));
            assert_same_bytes(&report, name);
        }
    }

    #[test]
    fn generated_records_and_awkward_strings_are_written_as_serde_writes_them() {
        let mut records: Vec<Record> = (0..3000).map(|i| crate::generate::record(5, i)).collect();
        records.push(
            Record::from_value(json!({"id": "x\"1\\\u{1}", "handle": "tab\there\u{7f}é",
                "name": "Sample User", "followers_count": 1000}))
            .unwrap(),
        );
        records.push(Record::from_value(json!({"name": "no handle", "id": "00"})).unwrap());
        let lines: Vec<usize> = (1..=records.len()).collect();
        let report = audit(&records, &lines, &Gates::default());
        assert!(report.placeholders.count > 0 && report.schema_violations.count > 3000);
        assert_same_bytes(&report, "generated");
    }

    #[test]
    fn an_empty_report_is_written_as_serde_writes_it() {
        assert_same_bytes(&audit(&[], &[], &Gates::default()), "empty");
    }

    #[test]
    fn strings_are_escaped_as_serde_escapes_them() {
        for s in [
            "plain",
            "",
            "quote\" back\\ nl\n cr\r tab\t \u{8}\u{c}\u{1f}\u{7f} é ☃",
        ] {
            let mut out = Vec::new();
            write_str(&mut out, s);
            assert_eq!(out, serde_json::to_vec(s).unwrap(), "{s:?}");
        }
    }
}
