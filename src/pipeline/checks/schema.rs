//! bigv v1.1.0 JSON Schema validation: the bundled `assets/bigv.schema.json`, compiled once with
//! the `jsonschema` crate. Not here: deciding what a violation means for a merge or a gate.

use std::sync::OnceLock;

use jsonschema::Validator;
use serde_json::Value;

mod quick;

pub use quick::{MissingRequired, raw_missing, raw_violations};

/// The version of the bundled schema (its `version`; what changed is in its `$comment`).
pub(crate) const SCHEMA_VERSION: &str = "1.1.0";

/// The schema as shipped with the dataset (draft-07, v1.1.0), embedded so the binary needs no files.
pub(crate) const BIGV_SCHEMA: &str = include_str!("../../../assets/bigv.schema.json");

fn validator() -> &'static Validator {
    static VALIDATOR: OnceLock<Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        let schema: Value =
            serde_json::from_str(BIGV_SCHEMA).expect("assets/bigv.schema.json is valid JSON");
        // The schema declares `format: date-time`; asserting it catches the naive timestamps the
        // old scripts sometimes wrote.
        jsonschema::draft7::options()
            .should_validate_formats(true)
            .build(&schema)
            .expect("assets/bigv.schema.json is a valid draft-07 schema")
    })
}

/// The schema violations of one record, each in words with its JSON path; empty when valid.
pub fn violations(record: &Value) -> Vec<String> {
    let validator = validator();
    if validator.is_valid(record) {
        return Vec::new();
    }
    validator
        .iter_errors(record)
        .map(|e| {
            let path = e.instance_path().as_str();
            let at = if path.is_empty() { "/" } else { path };
            format!("{at}: {e}")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn valid_record() -> Value {
        json!({"id":"12","handle":"jack","name":"jack","verified":"blue","followers_count":6415998,
            "is_org":false,"is_official":false,"lang_primary":"en","topic_tags":[],
            "meta":{"score":86.1,"last_refresh_at":"2025-11-13T05:05:26.393032+00:00",
              "sources":[{"method":"manual_seed","fetched_at":"2025-11-13T05:05:26.393032+00:00","evidence":"x"}],
              "provenance_hash":"f11699eddfc2ce3157410ae57f77b14cc4030f15c65d18620772306f58d584ea",
              "entry_threshold_passed":true,"quality_score":80.0}})
    }

    #[test]
    fn the_version_constant_is_the_bundled_schemas_own() {
        let schema: Value = serde_json::from_str(BIGV_SCHEMA).unwrap();
        assert_eq!(schema["version"], SCHEMA_VERSION);
    }

    #[test]
    fn an_undetermined_language_and_a_last_post_time_are_valid_and_a_bad_one_is_not() {
        let mut r = valid_record();
        r["lang_primary"] = json!("und");
        r["last_post_at"] = json!("2026-11-30T18:04:11.000Z");
        r["meta"]["lang_source"] = json!("too_little_text");
        assert_eq!(violations(&r), Vec::<String>::new());
        r["lang_primary"] = json!("xyz");
        r["last_post_at"] = json!("last tuesday");
        let v = violations(&r).join("; ");
        assert!(
            v.contains("/lang_primary") && v.contains("/last_post_at"),
            "{v}"
        );
    }

    #[test]
    fn a_complete_bigv_record_has_no_violations() {
        assert_eq!(violations(&valid_record()), Vec::<String>::new());
    }

    #[test]
    fn a_string_score_is_a_type_violation_at_its_path() {
        let mut r = valid_record();
        r["meta"]["score"] = json!("100.0");
        let v = violations(&r);
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(v[0].starts_with("/meta/score: "), "{v:?}");
    }

    #[test]
    fn missing_required_fields_are_each_named() {
        let mut r = valid_record();
        r["meta"].as_object_mut().unwrap().remove("quality_score");
        r.as_object_mut().unwrap().remove("verified");
        let v = violations(&r).join("\n");
        assert!(v.contains("quality_score"), "{v}");
        assert!(v.contains("verified"), "{v}");
    }

    #[test]
    fn a_naive_timestamp_breaks_the_date_time_format() {
        let mut r = valid_record();
        r["meta"]["last_refresh_at"] = json!("2025-11-13 05:05");
        let v = violations(&r);
        assert!(
            v.iter().any(|e| e.starts_with("/meta/last_refresh_at")),
            "{v:?}"
        );
    }
}
