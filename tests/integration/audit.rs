//! `influx audit` run as a real process: the figures it must report on the real dataset, its exit
//! codes and gates, and what it does with broken input (truncated, binary, empty, missing, a
//! JSON array). Plus the library report the console reads (records behind each counter).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use influx::dataset::read_dataset;
use influx::pipeline::audit::{Counter, Gate, Gates, audit, audit_dataset, audit_file};
use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn influx_audit(file: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_influx"))
        .arg("audit")
        .arg(file)
        .args(extra)
        .env("NO_COLOR", "1")
        .output()
        .expect("influx runs")
}

fn json_of(out: &Output) -> Value {
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    let v = serde_json::from_str(lines.next().expect("one JSON line")).expect("JSON report");
    assert_eq!(lines.next(), None, "exactly one JSON object on stdout");
    v
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn gate<'a>(report: &'a Value, name: &str) -> Option<&'a Value> {
    report["gates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == name)
}

#[test]
fn the_real_dataset_reports_exactly_what_it_holds_and_fails_its_gates() {
    let out = influx_audit(&fixture("latest-2025-11-14.jsonl"), &["--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let r = json_of(&out);
    assert_eq!(r["records"], 531);
    assert_eq!(r["unique_handles"], 319);
    assert_eq!(r["duplicate_rows"], 212);
    assert_eq!(r["zero_scores"], 271);
    assert_eq!(r["string_scores"], 5);
    assert_eq!(r["with_metrics"], 71);
    assert_eq!(r["unscored"], 460);
    assert_eq!(r["unique_ids"], 325);
    assert_eq!(r["duplicates"].as_array().unwrap().len(), 131);
    assert_eq!(r["precision"]["count"], 91);
    assert_eq!(r["placeholders"]["count"], 15);
    assert_eq!(r["errors"].as_array().unwrap().len(), 0);
    // Every record lacks quality_score and entry_threshold_passed, which the schema requires.
    assert_eq!(r["schema_violations"]["count"], 531);
    assert_eq!(r["provenance"]["manual"], 528);
    assert_eq!(r["provenance"]["other"], 3);
    assert_eq!(r["provenance"]["api"], 0);
    assert_eq!(gate(&r, "zero_scores").unwrap()["pass"], false);
    assert_eq!(gate(&r, "duplicates").unwrap()["pass"], false);
    assert_eq!(gate(&r, "unreadable_lines").unwrap()["pass"], true);
    assert_eq!(r["passed"], false);
}

#[test]
fn a_duplicated_handle_lists_its_lines_and_conflicting_values() {
    let r = json_of(&influx_audit(
        &fixture("latest-2025-11-14.jsonl"),
        &["--json"],
    ));
    let groups = r["duplicates"].as_array().unwrap();
    // The README's example: one handle with followers 4,119,068 / 1,500,000 / 3,148,809 / 4,121,423.
    let g = groups
        .iter()
        .find(|g| {
            g["conflicts"].as_array().unwrap().iter().any(|c| {
                c["field"] == "followers_count"
                    && c["values"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|v| v["value"] == 4119068)
            })
        })
        .expect("the four-copy handle is reported");
    let followers: Vec<u64> = g["conflicts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["field"] == "followers_count")
        .unwrap()["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["value"].as_u64().unwrap())
        .collect();
    assert_eq!(followers, vec![4119068, 1500000, 3148809, 4121423]);
    assert_eq!(g["lines"].as_array().unwrap().len(), 4);
}

#[test]
fn relaxed_gates_let_the_real_dataset_pass() {
    let out = influx_audit(
        &fixture("latest-2025-11-14.jsonl"),
        &[
            "--json",
            "--allow",
            "duplicates",
            "--allow",
            "placeholders",
            "--max-zero-scores",
            "271",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let r = json_of(&out);
    assert!(
        gate(&r, "duplicates").is_none(),
        "an allowed gate is not judged"
    );
    assert_eq!(gate(&r, "zero_scores").unwrap()["threshold"], 271);
    assert_eq!(
        r["duplicate_rows"], 212,
        "an allowed counter is still reported"
    );
}

#[test]
fn an_added_gate_can_fail_a_file_the_defaults_would_pass() {
    let args = [
        "--json",
        "--allow",
        "zero_scores",
        "--allow",
        "duplicates",
        "--allow",
        "placeholders",
    ];
    let file = fixture("latest-2025-11-14.jsonl");
    assert_eq!(influx_audit(&file, &args).status.code(), Some(0));
    let mut stricter = args.to_vec();
    stricter.extend(["--gate", "schema_violations=0"]);
    let out = influx_audit(&file, &stricter);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        gate(&json_of(&out), "schema_violations").unwrap()["value"],
        531
    );
}

#[test]
fn an_unknown_gate_is_refused_with_the_list_of_known_ones() {
    let out = influx_audit(&fixture("latest-2025-11-14.jsonl"), &["--allow", "zeros"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("zero_scores"), "{}", stderr(&out));
}

#[test]
fn the_sample_batch_fails_on_placeholders_with_every_record_named() {
    let out = influx_audit(&fixture("placeholder-batch.jsonl"), &["--json"]);
    assert_eq!(out.status.code(), Some(1));
    let r = json_of(&out);
    assert_eq!(r["placeholders"]["count"], 74);
    assert_eq!(gate(&r, "placeholders").unwrap()["pass"], false);
    assert_eq!(r["provenance"]["sample"], 74);
    assert_eq!(
        r["schema_violations"]["count"], 0,
        "the schema alone would let it through"
    );
    let first = &r["placeholders"]["records"][0];
    assert_eq!(first["handle"], "someone");
    assert_eq!(first["id"], "123456789000000000");
    assert_eq!(first["line"], 1);
    assert!(!r["placeholders"]["batches"].as_array().unwrap().is_empty());
}

fn write_temp(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn first_lines(n: usize) -> String {
    let text = std::fs::read_to_string(fixture("latest-2025-11-14.jsonl")).unwrap();
    text.lines().take(n).map(|l| format!("{l}\n")).collect()
}

#[test]
fn a_truncated_last_line_is_named_and_the_readable_lines_are_still_reported() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = first_lines(10);
    text.truncate(text.len() - 80);
    let file = write_temp(&dir, "cut.jsonl", text.as_bytes());
    let out = influx_audit(&file, &["--json"]);
    assert_eq!(out.status.code(), Some(2));
    let r = json_of(&out);
    assert_eq!(r["records"], 9);
    assert_eq!(r["errors"][0]["line"], 10);
    assert!(
        stderr(&out).contains("line 10: not valid JSON"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("cut.jsonl"), "{}", stderr(&out));
}

#[test]
fn a_line_that_is_a_json_array_is_named_with_its_kind() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("{}[1, 2, 3]\n{}", first_lines(2), first_lines(1));
    let file = write_temp(&dir, "array.jsonl", text.as_bytes());
    let out = influx_audit(&file, &["--json"]);
    assert_eq!(out.status.code(), Some(2));
    let r = json_of(&out);
    assert_eq!(r["records"], 3);
    assert_eq!(r["errors"][0]["line"], 3);
    assert!(
        stderr(&out).contains("line 3: a JSON array, not an object"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_binary_file_is_unusable_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let bytes: Vec<u8> = (0..=255u8).cycle().take(2000).collect();
    let file = write_temp(&dir, "blob.bin", &bytes);
    let out = influx_audit(&file, &["--json"]);
    assert_eq!(out.status.code(), Some(2));
    let r = json_of(&out);
    assert_eq!(r["records"], 0);
    assert!(!r["errors"].as_array().unwrap().is_empty());
    assert!(
        stderr(&out).contains("holds no records: nothing to audit"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn an_empty_file_has_no_records_and_is_unusable() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_temp(&dir, "empty.jsonl", b"");
    let out = influx_audit(&file, &["--json"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(json_of(&out)["records"], 0);
    assert!(
        stderr(&out).contains("empty.jsonl holds no records: nothing to audit"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_missing_file_is_unusable_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("nowhere.jsonl");
    let out = influx_audit(&file, &["--json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("nowhere.jsonl"), "{}", stderr(&out));
    assert!(
        json_of(&out)["error"]
            .as_str()
            .unwrap()
            .contains("cannot open")
    );
}

#[test]
fn the_report_gives_the_console_the_records_behind_each_counter() {
    let d = read_dataset(&fixture("latest-2025-11-14.jsonl")).unwrap();
    let r = audit(&d.records, &d.lines, &Gates::default());
    assert_eq!(r.indices(Counter::ZeroScores).len(), 271);
    assert_eq!(r.indices(Counter::Unscored).len(), 460);
    assert_eq!(r.indices(Counter::StringScores).len(), 5);
    assert_eq!(r.indices(Counter::Duplicates).len(), 212);
    assert_eq!(r.indices(Counter::SchemaViolations).len(), 531);
    assert_eq!(r.indices(Counter::Placeholders).len(), 15);
    assert_eq!(r.indices(Counter::Precision).len(), 91);
    for &i in r.indices(Counter::ZeroScores) {
        assert_eq!(d.records[i].stored_score().value(), Some(0.0));
    }
    for &i in r.indices(Counter::StringScores) {
        assert!(d.records[i].meta().unwrap()["score"].is_string());
    }
    assert_eq!(r.lines.zero_scores.len(), 271);
}

#[test]
fn the_histogram_puts_records_without_metrics_apart_and_shows_their_zeros() {
    let d = read_dataset(&fixture("latest-2025-11-14.jsonl")).unwrap();
    let r = audit_dataset(&d, &Gates::none());
    // The 71 records that do carry metrics were all stored with score 0: the scoring crisis.
    assert_eq!(r.histogram.scored(), 71);
    assert_eq!(r.histogram.zero, 71);
    assert_eq!(r.histogram.unscored, 460);
    assert!(r.gates.is_empty() && r.passed);
}

#[test]
fn gates_relaxed_in_the_library_match_the_command_line() {
    let d = read_dataset(&fixture("latest-2025-11-14.jsonl")).unwrap();
    let mut g = Gates::default();
    g.allow(Gate::Duplicates)
        .allow(Gate::Placeholders)
        .set(Gate::ZeroScores, 271);
    assert!(audit_dataset(&d, &g).passed);
    g.set(Gate::ZeroScores, 270);
    let r = audit_dataset(&d, &g);
    assert!(!r.passed);
    assert_eq!(r.failed_gates().next().unwrap().name, Gate::ZeroScores);
}

/// The report as a terminal without colour shows it, without growth flags.
fn terminal_text(r: &influx::pipeline::audit::AuditReport) -> String {
    let printed = influx::cli::audit::Printed {
        report: r,
        anomalies: None,
    };
    influx::cli::audit::render(&printed, false, false)
}

#[test]
fn the_terminal_report_names_the_figures_and_the_failed_gates() {
    let d = read_dataset(&fixture("latest-2025-11-14.jsonl")).unwrap();
    let r = audit_dataset(&d, &Gates::default());
    let text = terminal_text(&r);
    // Compared with runs of spaces folded, so column widths may change.
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for needle in [
        "records 531 319 unique handles, 325 unique ids",
        "duplicate rows 212",
        "zero scores 271",
        "string scores 5",
        "with metrics 71",
        "FAIL zero_scores 271 (max 0)",
        "pass unreadable_lines",
        "placeholder_hash",
        "round_number_heaping",
        "3 gates failed",
    ] {
        assert!(flat.contains(needle), "missing {needle:?} in:\n{text}");
    }
    assert!(!text.contains('\u{1b}'), "no colour when asked for none");
}

/// The real dataset, named as the pinned reports name it (relative to the crate).
const REAL: &str = "tests/fixtures/latest-2025-11-14.jsonl";

fn pinned(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/audit")
        .join(name);
    std::fs::read_to_string(&path).expect("pinned report")
}

#[test]
fn the_json_report_of_the_real_dataset_is_byte_for_byte_the_one_the_whole_file_audit_printed() {
    // tests/audit/*.report.* were printed by `influx audit` before it streamed (commit 2b1a897).
    let out = Command::new(env!("CARGO_BIN_EXE_influx"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["audit", "--json", REAL])
        .output()
        .expect("influx runs");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout) == pinned("latest-2025-11-14.report.json"),
        "the JSON report changed"
    );
}

#[test]
fn the_terminal_report_of_the_real_dataset_is_the_one_the_whole_file_audit_printed() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(REAL);
    let mut r = audit_file(&path, &Gates::default()).expect("readable");
    r.file = Some(REAL.to_string());
    let text = terminal_text(&r);
    assert_eq!(text, pinned("latest-2025-11-14.report.txt"));
}

/// The real dataset with its duplicates, plus what a stream must also get right: unreadable
/// lines, blank lines, a copy of a handle far from the first, a record without handle.
fn awkward_file(dir: &Path) -> PathBuf {
    let mut text = std::fs::read_to_string(fixture("latest-2025-11-14.jsonl")).unwrap();
    text.push_str("{\"id\": truncated\n\n[1, 2]\n");
    text.push_str(r#"{"id":"44196397","handle":"ELONMUSK","meta":{"score":"12.5"}}"#);
    text.push('\n');
    text.push_str(r#"{"id":"9","followers_count":3000,"meta":{"score":0}}"#);
    text.push_str("\n\n");
    let path = dir.join("awkward.jsonl");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn auditing_while_streaming_reports_exactly_what_auditing_the_records_in_memory_reports() {
    let dir = tempfile::tempdir().unwrap();
    let path = awkward_file(dir.path());
    let streamed = audit_file(&path, &Gates::default()).unwrap();
    let in_memory = audit_dataset(&read_dataset(&path).unwrap(), &Gates::default());
    assert_eq!(streamed.errors.len(), 2);
    assert_eq!(
        (streamed.errors[0].line, streamed.errors[1].line),
        (532, 534),
        "bad lines are named by their numbers, blank lines counted"
    );
    assert_eq!(
        serde_json::to_value(&streamed).unwrap(),
        serde_json::to_value(&in_memory).unwrap()
    );
    for c in [
        Counter::Duplicates,
        Counter::ZeroScores,
        Counter::Placeholders,
    ] {
        assert_eq!(streamed.indices(c), in_memory.indices(c), "{c:?}");
    }
}

#[test]
fn a_gzipped_file_streams_to_the_same_report_as_the_plain_one() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let plain = awkward_file(dir.path());
    let gz = dir.path().join("awkward.jsonl.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::fast(),
    );
    enc.write_all(&std::fs::read(&plain).unwrap()).unwrap();
    enc.finish().unwrap();
    let a = serde_json::to_value(audit_file(&plain, &Gates::default()).unwrap()).unwrap();
    let b = serde_json::to_value(audit_file(&gz, &Gates::default()).unwrap()).unwrap();
    assert_eq!(a, b);
}
