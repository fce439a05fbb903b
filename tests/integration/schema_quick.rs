//! The audit's raw schema check (`schema::raw_violations`) must never disagree with the
//! `jsonschema` validator: when it answers, its answer is the validator's, word for word and in
//! the same order; when it cannot tell it says so, and the audit validates the parsed value.
//! Pinned on the real fixtures, on generated records, and on records mutated field by field.

use influx::dataset::ReadLine;
use influx::generate;
use influx::pipeline::checks::schema::{raw_violations, violations};
use proptest::prelude::*;
use serde_json::{Value, json};

/// The raw check's answer for a line, or `None` when it leaves the line to the validator.
fn quick(text: &str) -> Option<Vec<&'static str>> {
    let read = ReadLine::read_record(text).ok()?;
    raw_violations(&read.top, read.meta.as_ref())
}

fn validator(text: &str) -> Vec<String> {
    violations(&serde_json::from_str::<Value>(text).expect("test lines are JSON"))
}

/// Checks every line; returns how many the raw check answered.
fn agrees_on(lines: &str) -> usize {
    let mut answered = 0;
    for (n, text) in lines.lines().enumerate() {
        if let Some(v) = quick(text) {
            answered += 1;
            assert_eq!(v, validator(text), "line {}: {text}", n + 1);
        }
    }
    answered
}

#[test]
fn on_the_real_crisis_dataset_every_answer_is_the_validators() {
    let answered = agrees_on(include_str!("../fixtures/latest-2025-11-14.jsonl"));
    assert!(answered > 400, "only {answered} of 531 lines answered raw");
}

#[test]
fn on_the_other_real_fixtures_and_demo_batches_every_answer_is_the_validators() {
    agrees_on(include_str!("../fixtures/prefetched.sample.jsonl"));
    agrees_on(include_str!("../fixtures/placeholder-batch.jsonl"));
    for batch in [
        include_str!("../../assets/demo/batches/batch-07-api.jsonl"),
        include_str!("../../assets/demo/batches/batch-11-sample.jsonl"),
        include_str!("../../assets/demo/batches/batch-12-sample.jsonl"),
    ] {
        agrees_on(batch);
    }
}

#[test]
fn generated_records_are_answered_raw_with_their_missing_meta_fields() {
    let lines: String = (0..200)
        .map(|i| generate::record(7, i).to_line() + "\n")
        .collect::<String>();
    assert_eq!(agrees_on(&lines), 200);
}

fn valid_record() -> Value {
    json!({"id":"12","handle":"jack","name":"jack","verified":"blue","followers_count":6415998,
        "is_org":false,"is_official":false,"lang_primary":"en","topic_tags":["ai"],
        "created_at":"2006-03-21T20:50:14.000Z","ext":{"note":1},
        "meta":{"score":86.1,"last_refresh_at":"2025-11-13T05:05:26.393032+00:00",
          "sources":[{"method":"manual_seed","fetched_at":"2025-11-13T05:05:26Z","evidence":"x"}],
          "provenance_hash":"f11699eddfc2ce3157410ae57f77b14cc4030f15c65d18620772306f58d584ea",
          "entry_threshold_passed":true,"quality_score":80.0,"rank_global":3,
          "last_active_at":"2025-11-12T00:00:00-05:00"}})
}

#[test]
fn a_valid_record_is_answered_raw_with_no_violations() {
    let text = valid_record().to_string();
    assert_eq!(quick(&text), Some(Vec::new()));
    assert_eq!(validator(&text), Vec::<String>::new());
}

#[test]
fn what_the_raw_check_leaves_to_the_validator() {
    let mut cases = Vec::new();
    for (path, value) in [
        ("/followers_count", json!(5.0)),
        ("/meta/score", json!("86.1")),
        ("/meta/last_refresh_at", json!("2025-11-13t05:05:26z")),
        ("/meta/last_refresh_at", json!("2016-12-31T23:59:60Z")),
        ("/handle", json!("\u{e9}t\u{e9}")),
        ("/meta", json!("not an object")),
    ] {
        let mut r = valid_record();
        *r.pointer_mut(path).unwrap() = value;
        cases.push(r.to_string());
    }
    cases.push(valid_record().to_string().replace("6415998", "6.415998e6"));
    for text in cases {
        assert_eq!(quick(&text), None, "{text}");
    }
}

/// Values a field may be given: right and wrong types, edge cases of each rule.
fn candidates() -> Vec<Value> {
    vec![
        json!(null),
        json!(true),
        json!(0),
        json!(1),
        json!(-1),
        json!(100),
        json!(100.0),
        json!(99.99999999999),
        json!(100.00000001),
        json!(0.0),
        json!(5.5),
        json!(""),
        json!("12"),
        json!("12a"),
        json!("jack_01"),
        json!("a_handle_of_16ch"),
        json!("en"),
        json!("en-US"),
        json!("EN"),
        json!("en-us"),
        json!("blue"),
        json!("gold"),
        json!("f11699eddfc2ce3157410ae57f77b14cc4030f15c65d18620772306f58d584ea"),
        json!("F11699EDDFC2CE3157410AE57F77B14CC4030F15C65D18620772306F58D584EA"),
        json!("2025-11-13T05:05:26Z"),
        json!("2024-02-29T23:59:59.5+14:00"),
        json!("2023-02-29T00:00:00Z"),
        json!("2025-04-31T00:00:00Z"),
        json!("2025-11-13T24:00:00Z"),
        json!("2025-11-13 05:05:26Z"),
        json!("2025-11-13T05:05:26"),
        json!("2025-11-13T05:05:26.Z"),
        json!("2025-11-13T05:05:26+24:00"),
        json!("1900-02-29T00:00:00Z"),
        json!("2000-02-29T00:00:00Z"),
        json!([]),
        json!(["a", "b"]),
        json!(["a", 1]),
        json!({}),
        json!([{"method":"api","fetched_at":"2025-11-13T05:05:26Z","evidence":"e"}]),
        json!([{"method":"api","fetched_at":"2025-11-13T05:05:26Z"}]),
        json!([{"method":"api","fetched_at":"2025-11-13T05:05:26Z","evidence":"e","extra":1}]),
        json!([{"method":1,"fetched_at":"2025-11-13T05:05:26Z","evidence":"e"}]),
        json!([{"method":"api","fetched_at":"2025-13-13T05:05:26Z","evidence":"e"}]),
        json!({"score": 50}),
    ]
}

const TOP_FIELDS: [&str; 11] = [
    "id",
    "handle",
    "name",
    "verified",
    "followers_count",
    "is_org",
    "is_official",
    "lang_primary",
    "topic_tags",
    "meta",
    "ext",
];
const META_FIELDS: [&str; 8] = [
    "score",
    "last_refresh_at",
    "sources",
    "provenance_hash",
    "entry_threshold_passed",
    "quality_score",
    "rank_global",
    "last_active_at",
];

#[derive(Debug, Clone)]
enum Mutation {
    Remove {
        meta: bool,
        field: usize,
    },
    Set {
        meta: bool,
        field: usize,
        value: usize,
    },
    /// Writes the field a second time, at the end: the last copy is the one that counts.
    Repeat {
        field: usize,
        value: usize,
    },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let n = candidates().len();
    prop_oneof![
        (any::<bool>(), 0..11usize).prop_map(|(meta, field)| Mutation::Remove { meta, field }),
        (any::<bool>(), 0..11usize, 0..n).prop_map(|(meta, field, value)| Mutation::Set {
            meta,
            field,
            value
        }),
        (0..10usize, 0..n).prop_map(|(field, value)| Mutation::Repeat { field, value }),
    ]
}

fn mutated(mutations: &[Mutation]) -> String {
    let values = candidates();
    let mut r = valid_record();
    let mut repeats = Vec::new();
    for m in mutations {
        match *m {
            Mutation::Remove { meta: false, field } => {
                r.as_object_mut().unwrap().remove(TOP_FIELDS[field]);
            }
            Mutation::Remove { meta: true, field } => {
                if let Some(meta) = r.get_mut("meta").and_then(Value::as_object_mut) {
                    meta.remove(META_FIELDS[field % META_FIELDS.len()]);
                }
            }
            Mutation::Set {
                meta: false,
                field,
                value,
            } => {
                r[TOP_FIELDS[field]] = values[value].clone();
            }
            Mutation::Set {
                meta: true,
                field,
                value,
            } => {
                if let Some(meta) = r.get_mut("meta").and_then(Value::as_object_mut) {
                    meta.insert(
                        META_FIELDS[field % META_FIELDS.len()].to_string(),
                        values[value].clone(),
                    );
                }
            }
            Mutation::Repeat { field, value } => {
                repeats.push(format!("{:?}:{}", TOP_FIELDS[field], values[value]));
            }
        }
    }
    let text = r.to_string();
    if repeats.is_empty() {
        return text;
    }
    format!("{},{}}}", &text[..text.len() - 1], repeats.join(","))
}

#[test]
fn every_single_field_change_is_answered_right_or_left_to_the_validator() {
    let mut singles = Vec::new();
    for meta in [false, true] {
        for field in 0..TOP_FIELDS.len() {
            singles.push(Mutation::Remove { meta, field });
            for value in 0..candidates().len() {
                singles.push(Mutation::Set { meta, field, value });
            }
        }
    }
    let mut answered = 0;
    for m in &singles {
        let text = mutated(std::slice::from_ref(m));
        if let Some(v) = quick(&text) {
            answered += 1;
            assert_eq!(v, validator(&text), "{m:?}: {text}");
        }
    }
    // Removals and valid values are answered raw; wrong values mostly are not.
    assert!(answered >= 100, "{answered} of {} answered", singles.len());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn any_answer_the_raw_check_gives_is_the_validators(
        mutations in proptest::collection::vec(mutation(), 1..6)
    ) {
        let text = mutated(&mutations);
        if let Some(v) = quick(&text) {
            prop_assert_eq!(v, validator(&text), "{}", text);
        }
    }
}
