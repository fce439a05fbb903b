//! The placeholder detectors measured on real data: every record of a sample batch in the shape
//! the old pipeline shipped (tests/fixtures/placeholder-batch.jsonl, 74 records) is caught, and
//! the real dataset (tests/fixtures/latest-2025-11-14.jsonl) raises only the flags it deserves.

use std::collections::BTreeSet;
use std::path::Path;

use influx::dataset::{Dataset, Record, read_dataset};
use influx::pipeline::checks::placeholders::{BatchFlag, Severity, batch_flags, record_flags};
use serde_json::{Value, json};

fn fixture(name: &str) -> Dataset {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    let d = read_dataset(&path).expect("fixture readable");
    assert!(d.errors.is_empty(), "{name}: {:?}", d.errors);
    d
}

fn rec(v: Value) -> Record {
    Record::from_value(v).unwrap()
}

fn detectors(flags: &[BatchFlag]) -> BTreeSet<&'static str> {
    flags.iter().map(|f| f.detector).collect()
}

#[test]
fn every_record_of_the_sample_batch_is_caught_by_several_independent_detectors() {
    let batch = fixture("placeholder-batch.jsonl");
    assert_eq!(batch.records.len(), 74);
    for (r, line) in batch.records.iter().zip(&batch.lines) {
        let found: BTreeSet<&str> = record_flags(r).iter().map(|f| f.detector).collect();
        let expected: BTreeSet<&str> = [
            "provenance",
            "placeholder_name",
            "id_pattern",
            "snowflake_impossible",
            "midnight_created_at",
        ]
        .into();
        assert_eq!(found, expected, "line {line}");
    }
}

#[test]
fn each_record_flag_states_its_evidence() {
    let batch = fixture("placeholder-batch.jsonl");
    let flags = record_flags(&batch.records[1]);
    let text: Vec<&str> = flags.iter().map(|f| f.reason.as_str()).collect();
    let all = text.join("\n");
    for evidence in [
        "\"sample\"",
        "\"Test User other\"",
        "123456789000000001",
        "2011-10-10",
        "2020-01-01T00:00:00.000Z",
    ] {
        assert!(all.contains(evidence), "missing {evidence} in:\n{all}");
    }
}

#[test]
fn the_sample_batch_also_shows_every_batch_level_pattern() {
    let batch = fixture("placeholder-batch.jsonl");
    let flags = batch_flags(&batch.records);
    let found = detectors(&flags);
    for d in [
        "sequential_ids",
        "timestamp_collision",
        "arithmetic_progression",
        "lockstep_columns",
        "low_variance",
        "round_number_heaping",
    ] {
        assert!(found.contains(d), "{d} missing from {found:?}");
    }
    let seq = flags
        .iter()
        .find(|f| f.detector == "sequential_ids")
        .unwrap();
    assert_eq!(seq.records.len(), 74);
    assert_eq!(seq.severity, Severity::Strong);
    let low = flags.iter().find(|f| f.detector == "low_variance").unwrap();
    assert!(low.reason.contains("between 4.5 and 4.6"), "{}", low.reason);
}

#[test]
fn on_the_real_dataset_only_the_hand_typed_provenance_hashes_are_record_flags() {
    let real = fixture("latest-2025-11-14.jsonl");
    let mut flagged = Vec::new();
    for (r, &line) in real.records.iter().zip(&real.lines) {
        let flags = record_flags(r);
        if !flags.is_empty() {
            let ds: Vec<&str> = flags.iter().map(|f| f.detector).collect();
            assert_eq!(ds, vec!["placeholder_hash"], "line {line}: {flags:?}");
            flagged.push(line);
        }
    }
    // Lines 446-460 carry hashes like "2222...", "a1b2c3d4e5f6789012..." typed in by hand.
    assert_eq!(flagged, (446..=460).collect::<Vec<_>>());
}

#[test]
fn on_the_real_dataset_the_only_batch_flag_is_the_heaping_of_round_follower_counts() {
    let real = fixture("latest-2025-11-14.jsonl");
    let flags = batch_flags(&real.records);
    assert_eq!(
        detectors(&flags),
        BTreeSet::from(["round_number_heaping"]),
        "{flags:#?}"
    );
    assert_eq!(flags.len(), 1);
    assert_eq!(flags[0].severity, Severity::Review);
    assert_eq!(flags[0].records.len(), 91);
    assert!(
        flags[0].reason.starts_with("91 of 531 counts of followers"),
        "{}",
        flags[0].reason
    );
}

#[test]
fn a_real_snowflake_whose_created_at_disagrees_by_years_is_flagged_and_one_that_agrees_is_not() {
    let agree = rec(json!({"id":"1006398890260729856","handle":"DarknetDiaries",
        "created_at":"2018-06-12T04:52:48.000Z","public_metrics":{"tweet_count":2328}}));
    assert_eq!(record_flags(&agree), vec![]);
    let disagree = rec(json!({"id":"1006398890260729856","handle":"DarknetDiaries",
        "created_at":"2012-06-12T04:52:48.000Z","public_metrics":{"tweet_count":2328}}));
    let flags = record_flags(&disagree);
    assert_eq!(flags.len(), 1, "{flags:?}");
    assert_eq!(flags[0].detector, "snowflake_mismatch");
    assert!(flags[0].reason.contains("2018-06-12") && flags[0].reason.contains("2012-06-12"));
}

#[test]
fn an_old_sequential_id_is_not_read_as_a_snowflake() {
    let jack = rec(json!({"id":"12","handle":"jack","name":"jack",
        "created_at":"2006-03-21T20:50:14.000Z","public_metrics":{"tweet_count":30223,"media_count":2957}}));
    assert_eq!(record_flags(&jack), vec![]);
}

#[test]
fn a_record_claiming_an_api_source_without_api_metrics_has_lost_its_raw_answer() {
    let r = rec(
        json!({"id":"44196397","handle":"elonmusk","followers_count":1,
        "meta":{"sources":[{"method":"twitter-api-v2","fetched_at":"2025-11-13T04:49:57Z","evidence":"x"}]}}),
    );
    let flags = record_flags(&r);
    assert_eq!(flags.len(), 1);
    assert_eq!(flags[0].detector, "provenance");
    assert!(
        flags[0].reason.contains("raw answer is missing"),
        "{}",
        flags[0].reason
    );
}

#[test]
fn manual_sources_are_a_fact_not_a_flag() {
    let r = rec(
        json!({"id":"44196397","handle":"elonmusk","followers_count":229026322,
        "meta":{"sources":[{"method":"manual_curation","fetched_at":"2025-11-13T04:49:57Z","evidence":"x"}]}}),
    );
    assert_eq!(record_flags(&r), vec![]);
}

fn account(id: u64, followers: u64, tweets: u64) -> Record {
    rec(json!({"id": id.to_string(), "handle": format!("h{id}"),
        "public_metrics": {"followers_count": followers, "following_count": 10, "tweet_count": tweets,
            "listed_count": 3, "like_count": 7, "media_count": 1}}))
}

#[test]
fn identical_metric_vectors_on_different_ids_are_flagged_but_copies_of_one_id_are_not() {
    let same_account = vec![account(11, 500, 9), account(11, 500, 9)];
    assert!(!detectors(&batch_flags(&same_account)).contains("duplicate_metric_vector"));
    let two_accounts = vec![account(11, 500, 9), account(12, 500, 9)];
    let flags = batch_flags(&two_accounts);
    let dup = flags
        .iter()
        .find(|f| f.detector == "duplicate_metric_vector")
        .expect("flagged");
    assert_eq!(dup.records, vec![0, 1]);
}

#[test]
fn brand_new_all_zero_accounts_may_share_their_metrics() {
    let zeros = |id: u64| {
        rec(
            json!({"id": id.to_string(), "public_metrics": {"followers_count":0,"following_count":0,
            "tweet_count":0,"listed_count":0,"like_count":0,"media_count":0}}),
        )
    };
    assert!(!detectors(&batch_flags(&[zeros(1), zeros(2)])).contains("duplicate_metric_vector"));
}

#[test]
fn three_records_with_a_constant_step_are_not_yet_a_progression_but_four_are() {
    let three = vec![account(1, 100, 5), account(2, 200, 17), account(3, 300, 4)];
    assert!(!detectors(&batch_flags(&three)).contains("arithmetic_progression"));
    let four = vec![
        account(1, 100, 5),
        account(2, 200, 17),
        account(3, 300, 4),
        account(4, 400, 90),
    ];
    let flags = batch_flags(&four);
    let ap = flags
        .iter()
        .find(|f| f.detector == "arithmetic_progression")
        .expect("flagged");
    assert_eq!(ap.records, vec![0, 1, 2, 3]);
    assert!(ap.reason.contains("+100"), "{}", ap.reason);
}

#[test]
fn benford_only_speaks_on_batches_of_300_and_only_as_a_hint() {
    // Followers with first digits spread evenly over 1-9: far from Benford.
    let even: Vec<Record> = (0..300u64)
        .map(|i| account(i + 1, (i % 9 + 1) * 1_000_003 + i, 17 + i * i % 97))
        .collect();
    let flags = batch_flags(&even);
    let b = flags
        .iter()
        .find(|f| f.detector == "benford")
        .expect("hinted");
    assert_eq!(b.severity, Severity::Hint);
    assert!(!detectors(&batch_flags(&even[..299])).contains("benford"));
}

#[test]
fn follower_counts_spread_like_real_ones_raise_no_benford_hint() {
    // 10^(k/300 * 5): log-uniform over five decades, which is what Benford's law describes.
    let spread: Vec<Record> = (0..300u64)
        .map(|k| {
            let f = 10f64.powf(2.0 + 5.0 * k as f64 / 300.0) as u64 + 7;
            account(k + 1, f, 13 + k * 7 % 101)
        })
        .collect();
    assert!(!detectors(&batch_flags(&spread)).contains("benford"));
}
