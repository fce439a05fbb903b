//! One rule per fact: `influx audit --json` and the console's counters count the same records
//! as zero-scored, unscored, placeholder, schema-breaking and duplicated, on records built where
//! the console's and the audit's old rules disagreed (a record with metrics but no score was
//! unscored in the console and not in the audit).

use std::process::Command;

use chrono::TimeZone;
use influx::cli::console_ops::load_rows;
use influx::generate::record;
use influx::ui::{App, Settings};
use serde_json::{Value, json};

/// Generated records (realistic, with metrics) edited into the cases the rules must agree on.
fn disputed_records() -> Vec<Value> {
    let base = |n: u64| -> Value { serde_json::from_str(&record(3, n).to_line()).unwrap() };
    let mut out = Vec::new();
    // Metrics, no score at all: unscored (the old audit said scored).
    out.push(base(0));
    // Metrics and a score of exactly 0: zero, and scored.
    let mut zero = base(1);
    zero["meta"]["score"] = json!(0.0);
    out.push(zero);
    // A score with nothing behind it: unscored whatever the number.
    let mut empty = base(2);
    empty["meta"]["score"] = json!(55.0);
    empty.as_object_mut().unwrap().remove("public_metrics");
    out.push(empty);
    // A score written as text that is no number: unscored, not zero.
    let mut text = base(3);
    text["meta"]["score"] = json!("n/a");
    out.push(text);
    // A scored record, and the same handle again in another casing: one duplicate.
    let mut scored = base(4);
    scored["meta"]["score"] = json!(42.0);
    out.push(scored.clone());
    scored["handle"] = json!(scored["handle"].as_str().unwrap().to_uppercase());
    out.push(scored);
    out
}

#[test]
fn audit_json_and_the_console_counters_count_the_same_records() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("disputed.jsonl");
    let mut text = String::new();
    for r in disputed_records() {
        text.push_str(&r.to_string());
        text.push('\n');
    }
    // The old pipeline's real data besides: placeholders, schema breaks, many duplicates.
    text.push_str(include_str!("../fixtures/latest-2025-11-14.jsonl"));
    std::fs::write(&path, &text).unwrap();

    let out = Command::new(env!("CARGO_BIN_EXE_influx"))
        .args(["audit", "--json"])
        .arg(&path)
        .output()
        .unwrap();
    let audit: Value = serde_json::from_slice(&out.stdout).unwrap();

    let app = App::new(
        Settings::default(),
        chrono::Utc.with_ymd_and_hms(2026, 12, 2, 0, 0, 0).unwrap(),
    )
    .with_loaded(load_rows(&path).unwrap());
    let c = app.counts;

    assert_eq!(audit["zero_scores"], c.zero as u64, "zero scores");
    assert_eq!(audit["unscored"], c.unscored as u64, "unscored");
    assert_eq!(
        audit["placeholders"]["count"], c.placeholders as u64,
        "placeholders"
    );
    assert_eq!(
        audit["schema_violations"]["count"], c.schema as u64,
        "schema"
    );
    assert_eq!(
        audit["duplicate_rows"], c.duplicates as u64,
        "duplicate rows"
    );
    assert_eq!(
        audit["duplicates"].as_array().unwrap().len(),
        c.duplicate_handles,
        "duplicated handles"
    );
    // The disputed cases themselves: 460 unscored in the crisis data, plus the record with
    // metrics and no score, the score with no metrics, and the text score.
    assert_eq!(c.unscored, 460 + 3);
    assert_eq!(c.zero, 271 + 1);
}
