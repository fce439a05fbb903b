//! The report as the JSON `influx audit --json` prints: `serde_json` writing through a 1 MB
//! buffer, so that a million records' report reaches the kernel in large blocks, not a line's
//! worth at a time. Not here: what the report holds (`AuditReport`).
//!
//! This replaced a hand-written writer (rows written in parallel stretches, 300 lines): on the
//! report of 1M generated records `cargo bench --bench audit -- report_json` measured it at
//! about three times as long as `serde_json::to_writer` (docs/perf-log.md), so issue 15's rule (keep
//! hand-written JSON only where it is at least 1.3x faster) removed it.

use std::io::{self, Write};

/// Writes `report` (the report, or what the command prints around it) as one JSON object (no
/// newline).
pub fn write_report(report: &impl serde::Serialize, out: impl Write) -> io::Result<()> {
    let mut out = io::BufWriter::with_capacity(1 << 20, out);
    serde_json::to_writer(&mut out, report)?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::audit::{Gates, audit};

    #[test]
    fn the_report_of_the_real_fixture_is_written_as_serde_json_writes_it() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/latest-2025-11-14.jsonl");
        let d = crate::dataset::read_dataset(&path).expect("fixture");
        let report = audit(&d.records, &d.lines, &Gates::default());
        let mut out = Vec::new();
        write_report(&report, &mut out).unwrap();
        assert_eq!(out, serde_json::to_vec(&report).unwrap());
        assert!(!out.ends_with(b"\n"), "one object, no newline");
    }
}
