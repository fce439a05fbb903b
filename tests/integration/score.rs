//! The M2 score as specified: determinism, monotonicity, no silent zeros, the spread on the real
//! fixture, readable breakdowns, and `influx score` refusing to write from a broken file.

use std::path::Path;
use std::process::Command;

use influx::dataset::{Record, read_dataset};
use influx::pipeline::score::{
    Feature, Reference, build_reference, bundled_lexicon, model, score_record,
};
use proptest::prelude::*;
use serde_json::{Value, json};

const FIXTURE: &str = "tests/fixtures/latest-2025-11-14.jsonl";

fn fixture() -> Vec<Record> {
    read_dataset(Path::new(FIXTURE))
        .and_then(|d| d.require_complete(Path::new(FIXTURE)))
        .expect("the fixture reads")
        .records
}

fn with_metrics(records: Vec<Record>) -> Vec<Record> {
    records
        .into_iter()
        .filter(|r| r.metrics().has_activity())
        .collect()
}

fn meta(r: &Record) -> &serde_json::Map<String, Value> {
    r.meta().expect("scoring leaves a meta object")
}

fn component(r: &Record, key: &str) -> f64 {
    meta(r)["score_components"][key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} is a number in {:?}", meta(r)))
}

/// An API-shaped record with every metric present.
fn api_record(followers: u64, listed: u64, following: u64, tweets: u64, days_old: i64) -> Record {
    let created = chrono::DateTime::parse_from_rfc3339("2025-11-14T00:00:00Z").unwrap()
        - chrono::Duration::days(days_old);
    Record::from_value(json!({
        "id": "2244994945", "username": "someone", "name": "Some One",
        "description": "Rust developer writing about open source and security",
        "created_at": created.to_rfc3339(),
        "verified_type": "blue",
        "public_metrics": {"followers_count": followers, "following_count": following,
            "tweet_count": tweets, "listed_count": listed, "like_count": 1200, "media_count": 80},
        "meta": {"as_of": "2025-11-14T00:00:00.000Z"}
    }))
    .unwrap()
}

fn scored(mut r: Record) -> Record {
    score_record(&mut r);
    r
}

#[test]
fn scoring_the_same_record_twice_gives_the_same_bits() {
    for record in fixture() {
        let (mut a, mut b) = (record.clone(), record);
        let (sa, sb) = (score_record(&mut a), score_record(&mut b));
        assert_eq!(sa.map(f64::to_bits), sb.map(f64::to_bits));
        assert_eq!(a.to_line(), b.to_line());
    }
}

#[test]
fn rescoring_a_scored_record_changes_nothing() {
    for record in with_metrics(fixture()) {
        let once = scored(record);
        let twice = scored(once.clone());
        assert_eq!(once.to_line(), twice.to_line());
    }
}

#[test]
fn no_record_with_real_metrics_scores_exactly_zero() {
    for record in with_metrics(fixture()) {
        let score = scored(record).meta().unwrap()["score"].as_f64().unwrap();
        assert!(score > 0.0);
    }
    // Even the least active, least followed account imaginable.
    let nobody = scored(api_record(0, 0, 0, 0, 0));
    assert!(meta(&nobody)["score"].as_f64().unwrap() >= 1.0);
}

#[test]
fn records_without_metrics_are_unscored_with_a_reason_and_no_score() {
    let unscored: Vec<Record> = fixture()
        .into_iter()
        .filter(|r| !r.metrics().has_activity())
        .collect();
    assert_eq!(unscored.len(), 460);
    for mut record in unscored {
        let old = record.meta().and_then(|m| m.get("score")).cloned();
        assert_eq!(score_record(&mut record), None);
        let m = meta(&record);
        assert_eq!(m["score_state"], "unscored");
        assert!(!m.contains_key("score"), "an unscored record has no score");
        let reason = m["unscored_reason"].as_str().unwrap();
        assert!(reason.contains("no activity metrics"), "{reason}");
        assert_eq!(
            m.get("previous_score"),
            old.as_ref(),
            "the old score is kept"
        );
    }
}

#[test]
fn a_missing_metric_is_left_out_and_named_never_taken_as_zero() {
    let mut no_likes = api_record(50_000, 900, 400, 20_000, 3000);
    no_likes.fields_mut()["public_metrics"]
        .as_object_mut()
        .unwrap()
        .remove("like_count");
    let mut zero_likes = no_likes.clone();
    zero_likes.fields_mut()["public_metrics"]["like_count"] = json!(0);
    let (no_likes, zero_likes) = (scored(no_likes), scored(zero_likes));

    let components = &meta(&no_likes)["score_components"];
    let table = model().feature_table(&no_likes.view()).unwrap();
    assert!(table.iter().all(|row| row.feature != Feature::LikesPerDay));
    assert_eq!(table.len(), Feature::ALL.len() - 1);
    let missing = components["missing"].to_string();
    assert!(missing.contains("likes given"), "{missing}");
    assert!(
        component(&no_likes, "activity") > component(&zero_likes, "activity"),
        "absent likes must not count as zero likes"
    );
}

#[test]
fn a_scored_record_stores_the_breakdown_and_reasons_but_not_the_derived_feature_table() {
    let r = scored(api_record(50_000, 900, 400, 20_000, 3000));
    let m = meta(&r);
    let components = m["score_components"].as_object().unwrap();
    for key in ["activity", "quality", "relevance", "composite", "reasons"] {
        assert!(components.contains_key(key), "{key} in {components:?}");
    }
    assert!(!components.contains_key("features"), "{components:?}");
    for key in ["score", "score_state", "score_version", "as_of"] {
        assert!(m.contains_key(key), "{key} in {m:?}");
    }
    // The table is recomputed from the record, bit for bit the same each time.
    let table = model().feature_table(&r.view()).unwrap();
    assert_eq!(table, model().feature_table(&r.view()).unwrap());
    assert_eq!(table.len(), Feature::ALL.len());
}

#[test]
fn a_record_without_a_fetch_time_is_scored_at_the_reference_snapshot_not_now() {
    let mut r = api_record(50_000, 900, 400, 20_000, 3000);
    r.meta_mut().remove("as_of");
    let r = scored(r);
    assert_eq!(
        meta(&r)["score_components"]["as_of_from"],
        "reference_snapshot"
    );
    assert_eq!(meta(&r)["as_of"], "2025-11-14T09:45:46.283Z");
}

#[test]
fn the_fixture_scores_spread_at_least_50_points_between_p5_and_p95_inside_0_to_100() {
    let mut scores: Vec<f64> = with_metrics(fixture())
        .into_iter()
        .filter_map(|mut r| score_record(&mut r))
        .collect();
    assert_eq!(scores.len(), 71);
    scores.sort_by(f64::total_cmp);
    assert!(
        scores.iter().all(|s| (0.0..=100.0).contains(s)),
        "{scores:?}"
    );
    let at = |p: f64| scores[((scores.len() - 1) as f64 * p).round() as usize];
    assert!(
        at(0.95) - at(0.05) >= 50.0,
        "p5 {} p95 {}",
        at(0.05),
        at(0.95)
    );
}

#[test]
fn a_string_score_becomes_a_number_and_the_string_is_kept_as_previous_score() {
    let mut r = with_metrics(fixture()).remove(0);
    r.meta_mut().insert("score".into(), json!("100.0"));
    let r = scored(r);
    assert!(meta(&r)["score"].is_f64());
    assert_eq!(meta(&r)["previous_score"], "100.0");
    assert_eq!(meta(&r)["score_state"], "scored");
}

#[test]
fn a_known_account_is_explained_in_words_a_person_can_read() {
    let fred = fixture()
        .into_iter()
        .find(|r| r.handle() == Some("fredwilson") && r.metrics().has_activity())
        .unwrap();
    let fred = scored(fred);
    let m = meta(&fred);
    assert!(m["score_version"].as_str().unwrap().starts_with("m2-"));
    assert_eq!(m["as_of"], "2025-11-14T06:42:01.143Z");
    let reasons: Vec<&str> = m["score_components"]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert!((2..=3).contains(&reasons.len()), "{reasons:?}");
    assert!(
        reasons.contains(&"listed on 13,433 lists (top 20% of reference)"),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("venture capital and startups (in tags)")),
        "{reasons:?}"
    );
    for key in ["activity", "quality", "relevance"] {
        assert!((0.0..=100.0).contains(&component(&fred, key)));
    }
}

#[test]
fn low_relevance_without_a_description_says_so() {
    let sama = fixture()
        .into_iter()
        .find(|r| r.handle() == Some("sama") && r.metrics().has_activity())
        .unwrap();
    let sama = scored(sama);
    let reasons = meta(&sama)["score_components"]["reasons"].to_string();
    assert!(reasons.contains("no description"), "{reasons}");
}

#[test]
fn the_frozen_reference_is_what_the_documented_command_rebuilds() {
    let frozen: Reference =
        serde_json::from_str(include_str!("../../assets/m2/reference.json")).unwrap();
    let rebuilt = build_reference(FIXTURE, &fixture(), &bundled_lexicon()).unwrap();
    assert_eq!(
        frozen, rebuilt,
        "run the m2_reference example to refresh it"
    );
    assert_eq!(frozen.records, 71);
}

/// Counts spread evenly over orders of magnitude, as real counts are: 0 to 10^`max_exp`.
fn count(max_exp: f64) -> impl Strategy<Value = u64> {
    (0.0..max_exp).prop_map(|e: f64| 10f64.powf(e) as u64 - 1)
}

proptest! {
    #[test]
    fn more_followers_never_lower_quality_or_score(
        f in count(9.5), more in count(9.0), listed in count(6.5),
        following in count(6.0), tweets in count(6.5), days in 0i64..7000,
    ) {
        let low = scored(api_record(f, listed, following, tweets, days));
        let high = scored(api_record(f + more, listed, following, tweets, days));
        prop_assert!(component(&high, "quality") >= component(&low, "quality"));
        prop_assert!(meta(&high)["score"].as_f64() >= meta(&low)["score"].as_f64());
    }

    #[test]
    fn more_list_memberships_never_lower_quality_or_score(
        f in count(9.5), listed in count(6.5), more in count(6.5),
        following in count(6.0), tweets in count(6.5), days in 0i64..7000,
    ) {
        let low = scored(api_record(f, listed, following, tweets, days));
        let high = scored(api_record(f, listed + more, following, tweets, days));
        prop_assert!(component(&high, "quality") >= component(&low, "quality"));
        prop_assert!(meta(&high)["score"].as_f64() >= meta(&low)["score"].as_f64());
    }

    #[test]
    fn any_record_with_metrics_scores_between_1_and_100(
        f in count(9.5), listed in count(7.0), following in count(7.0),
        tweets in count(7.0), days in -100i64..9000,
    ) {
        let r = scored(api_record(f, listed, following, tweets, days));
        let s = meta(&r)["score"].as_f64().unwrap();
        prop_assert!((1.0..=100.0).contains(&s), "{}", s);
    }
}

// ---- the command ----

fn influx() -> Command {
    Command::new(env!("CARGO_BIN_EXE_influx"))
}

/// `influx score --json INPUT --out OUT`, run to the end.
fn score_json(input: &std::path::Path, out: &std::path::Path) -> std::process::Output {
    influx()
        .args(["score", "--json"])
        .arg(input)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap()
}

#[test]
fn influx_score_keeps_every_record_in_order_with_all_its_other_fields() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("scored.jsonl");
    let run = influx()
        .args(["score", FIXTURE, "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0), "{run:?}");
    let summary: Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(summary["event"], "score_summary");
    assert_eq!(
        (
            &summary["records"],
            &summary["scored"],
            &summary["unscored"]
        ),
        (&json!(531), &json!(71), &json!(460))
    );

    let written = read_dataset(&out).unwrap();
    let before = fixture();
    assert_eq!(written.records.len(), before.len());
    let score_keys = [
        "score",
        "score_state",
        "score_version",
        "score_components",
        "as_of",
        "previous_score",
        "unscored_reason",
        "quality_score",
        "entry_threshold_passed",
    ];
    for (old, new) in before.iter().zip(&written.records) {
        let strip = |r: &Record| {
            let mut v = r.clone().into_value();
            let meta = v["meta"].as_object_mut().unwrap();
            for k in score_keys {
                meta.remove(k);
            }
            v
        };
        assert_eq!(strip(old), strip(new));
        if let Some(s) = new.meta().unwrap().get("score") {
            assert!(s.is_number());
        }
    }
}

#[test]
fn a_bad_line_makes_influx_score_exit_2_naming_the_line_and_leaves_out_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("batch.jsonl");
    let mut text = std::fs::read_to_string(FIXTURE).unwrap();
    let mut lines: Vec<&str> = text.lines().take(5).collect();
    lines.insert(3, "{\"handle\": \"truncated\", \"meta\": {");
    text = lines.join("\n");
    std::fs::write(&input, text).unwrap();
    let out = dir.path().join("scored.jsonl");
    std::fs::write(&out, "precious\n").unwrap();

    let run = score_json(&input, &out);
    assert_eq!(run.status.code(), Some(2));
    let stdout = String::from_utf8(run.stdout).unwrap();
    let first: Value = serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
    assert_eq!(first["event"], "bad_line");
    assert_eq!(first["line"], 4);
    assert!(first["file"].as_str().unwrap().ends_with("batch.jsonl"));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "precious\n");
    let leftovers = std::fs::read_dir(dir.path()).unwrap().count();
    assert_eq!(leftovers, 2, "no temporary file is left behind");
}

#[test]
fn a_file_of_many_blocks_is_scored_in_order_with_every_line_as_scored_alone() {
    // ~2.5 MB: several read blocks and many scoring pieces; a blank line, CRLF line ends and a
    // record only a full parse reads (an exponent) among them.
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("batch.jsonl");
    let mut lines: Vec<String> = (0..3000)
        .map(|i| influx::generate::record(11, i).to_line())
        .collect();
    lines[1500] = r#"{"handle":"expo","public_metrics":{"followers_count":1.5e3,"tweet_count":20,"following_count":3,"listed_count":1}}"#.into();
    let text = lines.join("\r\n").replacen("\r\n", "\n\n", 1);
    std::fs::write(&input, text).unwrap();
    let out = dir.path().join("scored.jsonl");
    let run = score_json(&input, &out);
    assert_eq!(run.status.code(), Some(0), "{run:?}");
    let summary: Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(summary["records"], 3000);

    let written = std::fs::read_to_string(&out).unwrap();
    let expected: Vec<String> = lines
        .iter()
        .map(|l| {
            let mut r = influx::dataset::parse_line(1, l).unwrap();
            influx::pipeline::score::score_record(&mut r);
            r.to_line()
        })
        .collect();
    assert_eq!(written.lines().count(), 3000);
    for (i, (got, want)) in written.lines().zip(&expected).enumerate() {
        assert_eq!(got, want, "line {}", i + 1);
    }
}

#[test]
fn bad_lines_far_apart_are_all_named_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("batch.jsonl");
    let mut lines: Vec<String> = (0..3000)
        .map(|i| influx::generate::record(12, i).to_line())
        .collect();
    lines[9] = "{not json".into();
    lines[2899] = "[1,2,3]".into();
    std::fs::write(&input, lines.join("\n")).unwrap();
    let out = dir.path().join("scored.jsonl");
    let run = score_json(&input, &out);
    assert_eq!(run.status.code(), Some(2));
    let events: Vec<Value> = String::from_utf8(run.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let named: Vec<&Value> = events
        .iter()
        .filter(|e| e["event"] == "bad_line")
        .map(|e| &e["line"])
        .collect();
    assert_eq!(named, [&json!(10), &json!(2900)]);
    assert_eq!(events.last().unwrap()["bad_lines"], 2);
    assert!(!out.exists());
}

#[test]
fn a_missing_input_file_makes_influx_score_exit_2_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("scored.jsonl");
    let run = influx()
        .args(["score", "--json", "/nonexistent/batch.jsonl", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stdout).contains("/nonexistent/batch.jsonl"));
    assert!(!out.exists());
}

#[test]
fn influx_score_writes_gzip_when_out_ends_in_gz() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("scored.jsonl.gz");
    let run = influx()
        .args(["score", FIXTURE, "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0));
    assert_eq!(read_dataset(&out).unwrap().records.len(), 531);
}

#[test]
fn a_scored_record_carries_the_bigv_fields_scoring_owns_and_an_unscored_one_is_not_admitted() {
    let r = scored(api_record(50_000, 900, 400, 12_000, 3_000));
    assert_eq!(
        meta(&r)["quality_score"].as_f64(),
        Some(component(&r, "quality"))
    );
    let admitted = meta(&r)["score_state"] == "scored";
    assert_eq!(meta(&r)["entry_threshold_passed"], Value::Bool(admitted));

    let bare =
        scored(Record::from_value(json!({"handle": "nobody", "followers_count": 10})).unwrap());
    assert_eq!(meta(&bare)["entry_threshold_passed"], Value::Bool(false));
    assert!(
        meta(&bare).get("quality_score").is_none(),
        "no quality score is invented without metrics"
    );
}

#[test]
fn score_counts_the_placeholders_the_audit_counts_on_the_same_file_scored_or_not() {
    let fixture = "tests/fixtures/latest-2025-11-14.jsonl";
    let tmp = tempfile::tempdir().unwrap();
    let out = crate::common::influx_bin()
        .args(["score", fixture, "--out"])
        .arg(tmp.path().join("scored.jsonl"))
        .output()
        .unwrap();
    let summary = crate::common::json_lines(&out.stdout)
        .into_iter()
        .find(|v| v["event"] == "score_summary")
        .expect("a summary line");
    let out = crate::common::influx_bin()
        .args(["audit", "--json", fixture])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let audit_placeholders = report["gates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "placeholders")
        .unwrap()["value"]
        .clone();
    assert_eq!(audit_placeholders, 15);
    assert_eq!(summary["flagged"], audit_placeholders);
}
