//! The fast path of `influx score` (a line scored without building a JSON value, untouched
//! fields copied as written) must write exactly the bytes of the reference path: parse the line
//! into a `Record`, `score_record`, `Record::to_line`. Pinned on the real fixtures, on generated
//! records, and on the odd shapes real files hold, also when one buffer is reused line after line.

use influx::dataset::{Lines, parse_line};
use influx::generate;
use influx::pipeline::score::{score_line, score_line_into, score_record};
use proptest::prelude::*;

fn reference(text: &str) -> (String, Option<f64>) {
    let mut record = parse_line(1, text).expect("a test line is a JSON object");
    let score = score_record(&mut record);
    (record.to_line(), score)
}

fn assert_same(text: &str) {
    let fast = score_line(text).expect("a JSON object scores");
    let (line, score) = reference(text);
    assert_eq!(fast.line, line, "input: {text}");
    assert_eq!(fast.score, score, "input: {text}");
    // And the written line reads back as the record the reference path holds.
    assert_eq!(
        parse_line(1, &fast.line).unwrap(),
        parse_line(1, &line).unwrap()
    );
}

fn fixture_lines(name: &str) -> Vec<String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    Lines::open(&path)
        .unwrap()
        .map(|l| l.unwrap().1.unwrap())
        .collect()
}

#[test]
fn every_line_of_the_real_crisis_dataset_scores_to_the_same_bytes_either_way() {
    let lines = fixture_lines("latest-2025-11-14.jsonl");
    assert_eq!(lines.len(), 531);
    for line in &lines {
        assert_same(line);
    }
}

#[test]
fn the_placeholder_batch_and_the_api_sample_score_to_the_same_bytes_and_flags() {
    for name in ["placeholder-batch.jsonl", "prefetched.sample.jsonl"] {
        for line in fixture_lines(name) {
            assert_same(&line);
            let fast = score_line(&line).unwrap();
            let mut record = parse_line(1, &line).unwrap();
            score_record(&mut record);
            let suspect = record.meta().unwrap()["score_state"] == "suspect_placeholder";
            assert_eq!(fast.flagged, suspect, "{line}");
        }
    }
}

#[test]
fn rescoring_a_scored_line_gives_the_same_bytes_either_way() {
    for line in fixture_lines("latest-2025-11-14.jsonl").iter().take(80) {
        let once = score_line(line).unwrap().line;
        assert_same(&once);
        assert_eq!(
            score_line(&once).unwrap().line,
            once,
            "re-scoring changes nothing"
        );
    }
}

#[test]
fn odd_shapes_real_files_hold_score_to_the_same_bytes_either_way() {
    for text in [
        // Python's spacing and escapes, unknown fields, a string score, a previous score.
        r#"{"zeta": {"b": 1, "a": [1.50, 2000.0]}, "handle": "caf\u00e9", "id": "44196397", "meta": {"score": "100.0", "previous_score": 3, "x": 1}, "public_metrics": {"followers_count": 10, "following_count": 2, "tweet_count": 5, "listed_count": 1}, "created_at": "2013-12-14T04:35:55.000Z"}"#,
        // No meta at all; a meta that is not an object.
        r#"{"handle":"a","followers_count":5}"#,
        r#"{"handle":"a","meta":"oops","public_metrics":{"followers_count":10,"tweet_count":1}}"#,
        r#"{"handle":"a","meta":null}"#,
        // Repeated keys: the last value wins in the first key's place.
        r#"{"handle":"a","id":"1","handle":"b","meta":{"score":1,"score":2}}"#,
        // Unscored with an older reason and components to remove.
        r#"{"handle":"a","meta":{"unscored_reason":"x","score_components":{},"score":0.0,"z":[]}}"#,
        // Metrics as strings, negative counts, ext layout.
        r#"{"handle":"n","followers_count":"12","ext":{"activity_metrics":{"followers_count":-5,"tweet_count":"7","listed_count":1.0}}}"#,
        // An empty object.
        "{}",
    ] {
        assert_same(text);
    }
}

#[test]
fn a_line_that_is_not_one_json_object_is_left_to_the_ordinary_parse() {
    // Besides what is not an object: what a full parse refuses, a number beyond f64 or a lone
    // UTF-16 surrogate, so that the ordinary path names the line.
    for text in [
        "[1,2]",
        "{\"a\":",
        "3",
        "\"text\"",
        r#"{"handle":"a","x":1e999}"#,
        r#"{"handle":"a","name":"\ud800"}"#,
    ] {
        assert!(score_line(text).is_none(), "{text}");
    }
}

#[test]
fn exponents_long_numbers_and_escapes_score_to_the_same_bytes() {
    // Values serde_json writes otherwise than they are spelled are re-serialised, not copied.
    let long = format!(
        r#"{{"handle":"a","big":1{},"followers_count":10}}"#,
        "0".repeat(300)
    );
    for text in [
        r#"{"handle":"a","x":2e3}"#,
        r#"{"handle":"a","public_metrics":{"followers_count":1.5E3,"following_count":2,"tweet_count":5e1,"listed_count":1}}"#,
        r#"{"handle":"a","meta":{"score":3.1e1},"name":"\ud83d\ude80"}"#,
        long.as_str(),
    ] {
        assert_same(text);
    }
}

proptest! {
    #[test]
    fn generated_records_score_to_the_same_bytes_either_way(seed in 0u64..1000, n in 0u64..100_000) {
        let line = generate::record(seed, n).to_line();
        let fast = score_line(&line).unwrap();
        let (reference_line, score) = reference(&line);
        prop_assert_eq!(fast.line, reference_line);
        prop_assert_eq!(fast.score, score);
    }
}

#[test]
fn one_buffer_reused_for_every_line_holds_each_line_exactly_as_a_fresh_one_would() {
    let mut buffer = b"left over from an earlier, much longer line than any here".repeat(100);
    let mut lines = fixture_lines("latest-2025-11-14.jsonl");
    lines.extend(fixture_lines("placeholder-batch.jsonl"));
    lines.extend((0..200).map(|i| generate::record(7, i).to_line()));
    for line in &lines {
        let outcome = score_line_into(line, &mut buffer).expect("a JSON object scores");
        let fresh = score_line(line).unwrap();
        assert_eq!(std::str::from_utf8(&buffer).unwrap(), fresh.line);
        assert_eq!(
            (outcome.score, outcome.flagged),
            (fresh.score, fresh.flagged)
        );
    }
}
