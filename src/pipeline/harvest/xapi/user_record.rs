//! The dataset record built from one user object of an answer (not yet scored), tied to the
//! bytes it came from by their hash.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::shapes::ApiUser;
use super::{KEPT_USER_FIELDS, MOST_RECENT_POST_KEYS};
use crate::dataset::{Record, format_time, snowflake_time_of};
use crate::pipeline::checks::language::identify;
use crate::pipeline::score::{TOPIC_SOURCE, derived_topic_tags};

/// The dataset's `verified` for an API user.
///
/// `business`→`business`, `government`→`org`, `blue`→`blue`, `none`→`none`. Without
/// `verified_type`, `verified: true` means the pre-2023 checkmark (`legacy`), anything else `none`.
pub fn verified_label(user: &ApiUser) -> &'static str {
    verified_label_of(user.verified_type.as_deref(), user.verified)
}

/// [`verified_label`] from the two fields it reads, for a reader that has not typed the user.
pub fn verified_label_of(verified_type: Option<&str>, verified: Option<bool>) -> &'static str {
    match verified_type {
        Some("business") => "business",
        Some("government") => "org",
        Some("blue") => "blue",
        Some(_) => "none",
        None if verified == Some(true) => "legacy",
        None => "none",
    }
}

/// Where an answer is: the run (its directory's name under `runs/`) and the 1-based line of
/// its `responses.jsonl`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerPlace {
    pub run: String,
    pub response_line: u64,
}

/// The run id a run directory is named by.
pub fn run_id(run_dir: &std::path::Path) -> String {
    run_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| run_dir.display().to_string())
}

/// Where one user object came from: the answer, the hash of the object's bytes in it, when it
/// was asked for, and the evidence words of `meta.sources`.
#[derive(Debug, Clone, Copy)]
pub struct UserSource<'a> {
    pub answer: &'a AnswerPlace,
    pub sha256: &'a str,
    pub fetched_at: DateTime<Utc>,
    pub evidence: &'a str,
}

/// The API fields a record is built from that X sends for every user when asked (`url` and
/// `location` are left out when a user has none); those an answer did not carry are listed in
/// the record's `meta.absent_from_answer`.
pub const ANSWER_FIELDS: &[&str] = &[
    "name",
    "created_at",
    "description",
    "protected",
    "verified",
    "verified_type",
    "public_metrics",
];

/// Builds the dataset record for one API user (not yet scored).
///
/// Nothing is invented: a field the answer did not carry is left out (a merge then keeps the
/// stored value) and named in `meta.absent_from_answer`; `verified`, `is_org` and
/// `is_official` are derived only from a `verified_type` or `verified` the answer gave.
/// Metrics are copied as the API gave them: a `null` stays `null`, an absent one stays absent,
/// `post_count` is not renamed. What the answer implies without saying it is derived, and says
/// how: `last_post_at` from the snowflake id of the newest post (absent when the answer names
/// none: protected, or never posted), `topic_tags` from the author's own words with M2's lexicon
/// (`meta.topic_source`), `lang_primary` from the name and description (`und` when they cannot
/// tell; `meta.lang_source` says how).
/// `meta.provenance_hash` and `meta.custody` tie the record to the bytes it came from.
pub fn author_record(user: &ApiUser, source: &UserSource<'_>) -> Record {
    author_record_owned(user.clone(), source)
}

/// [`author_record`] taking the user object, so its fields move into the record uncopied.
pub fn author_record_owned(mut user: ApiUser, source: &UserSource<'_>) -> Record {
    let absent: Vec<&str> = ANSWER_FIELDS
        .iter()
        .copied()
        .filter(|f| !user_carries(&user, f))
        .collect();
    let followers = user
        .public_metrics
        .as_ref()
        .and_then(|m| m.get("followers_count"))
        .filter(|v| v.is_u64())
        .cloned();
    let mut fields = Map::new();
    fields.insert("id".into(), Value::String(user.id.clone()));
    fields.insert("handle".into(), Value::String(user.username.clone()));
    if let Some(name) = &user.name {
        fields.insert("name".into(), Value::String(name.clone()));
    }
    if user.verified_type.is_some() || user.verified.is_some() {
        let verified_type = user.verified_type.as_deref();
        fields.insert("verified".into(), Value::from(verified_label(&user)));
        if verified_type.is_some() {
            let is_org = matches!(verified_type, Some("business" | "government"));
            fields.insert("is_org".into(), Value::Bool(is_org));
            fields.insert(
                "is_official".into(),
                Value::Bool(verified_type == Some("government")),
            );
        }
    }
    if let Some(f) = followers {
        fields.insert("followers_count".into(), f);
    }
    let tags = derived_topic_tags(
        Some(&user.username),
        user.name.as_deref(),
        user.description.as_deref(),
    );
    fields.insert(
        "topic_tags".into(),
        Value::Array(tags.into_iter().map(Value::String).collect()),
    );
    let language = identify(user.name.as_deref(), user.description.as_deref());
    fields.insert("lang_primary".into(), Value::from(language.tag));
    if let Some(at) = last_post_at(&user) {
        fields.insert("last_post_at".into(), Value::String(format_time(at)));
    }
    for key in KEPT_USER_FIELDS {
        if let Some(v) = user.other.shift_remove(key).filter(|v| !v.is_null()) {
            fields.insert(key.into(), v);
        }
    }
    let text = |v: Option<String>| v.map(Value::String);
    for (key, value) in [
        ("created_at", text(user.created_at)),
        ("description", text(user.description)),
        ("url", text(user.url)),
        ("location", text(user.location)),
        ("protected", user.protected.map(Value::Bool)),
        ("public_metrics", user.public_metrics),
    ] {
        if let Some(v) = value {
            fields.insert(key.into(), v);
        }
    }
    let when = format_time(source.fetched_at);
    let mut meta = json!({
        "last_refresh_at": when,
        "sources": [{"method": "x-api-v2", "fetched_at": when, "evidence": source.evidence}],
        "provenance_hash": source.sha256,
        "topic_source": TOPIC_SOURCE,
        "lang_source": language.source,
        "custody": [{
            "run": source.answer.run,
            "response_line": source.answer.response_line,
            "sha256": source.sha256,
            "fetched_at": when,
        }],
    });
    if !absent.is_empty() {
        meta["absent_from_answer"] = json!(absent);
    }
    fields.insert("meta".into(), meta);
    Record::from_map(fields)
}

/// The time of the author's newest post, read from its snowflake id (no post is bought); None
/// when the answer names no post (protected accounts, accounts that never posted).
pub fn last_post_at(user: &ApiUser) -> Option<DateTime<Utc>> {
    MOST_RECENT_POST_KEYS
        .iter()
        .find_map(|k| user.other.get(*k)?.as_str().and_then(snowflake_time_of))
}

/// Whether the answer carried `field` for this user.
fn user_carries(user: &ApiUser, field: &str) -> bool {
    match field {
        "name" => user.name.is_some(),
        "created_at" => user.created_at.is_some(),
        "description" => user.description.is_some(),
        "protected" => user.protected.is_some(),
        "verified" => user.verified.is_some(),
        "verified_type" => user.verified_type.is_some(),
        "public_metrics" => user.public_metrics.is_some(),
        other => user.other.contains_key(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::pipeline::harvest::xapi::DOCUMENTED_SUCCESS as SUCCESS;

    fn api_user(v: Value) -> ApiUser {
        serde_json::from_value(v).unwrap()
    }

    fn built(user: Value, sha256: &str, at: DateTime<Utc>, evidence: &str) -> Record {
        let answer = AnswerPlace {
            run: "20260102T030405Z".into(),
            response_line: 7,
        };
        let source = UserSource {
            answer: &answer,
            sha256,
            fetched_at: at,
            evidence,
        };
        author_record(&api_user(user), &source)
    }

    #[test]
    fn a_record_keeps_the_api_casing_and_metrics_as_given() {
        let body: Value = serde_json::from_str(SUCCESS).unwrap();
        let user = &body["data"][0];
        let at = crate::dataset::parse_time("2026-01-02T03:04:05Z").unwrap();
        let rec = built(
            user.clone(),
            &"ab".repeat(32),
            at,
            "GET /2/users/by batch 7",
        );
        assert_eq!(rec.view().provenance_hash(), Some("ab".repeat(32).as_str()));
        assert_eq!(rec.handle(), Some("XDevelopers"));
        assert_eq!(rec.id(), Some("2244994945"));
        assert_eq!(rec.get("verified"), Some(&json!("business")));
        assert_eq!(rec.get("followers_count"), Some(&json!(583423)));
        assert_eq!(rec.get("public_metrics"), user.get("public_metrics"));
        let src = &rec.sources()[0];
        assert_eq!(src.method, "x-api-v2");
        assert_eq!(src.evidence.as_deref(), Some("GET /2/users/by batch 7"));
        assert_eq!(rec.metrics().tweets, Some(14052));
    }

    #[test]
    fn null_and_absent_metrics_stay_null_and_absent_and_post_count_is_read() {
        let user = json!({"id":"5","username":"p","name":"P",
            "public_metrics":{"followers_count":10,"following_count":1,"post_count":7,"listed_count":0,"like_count":null}});
        let rec = built(user, &"0".repeat(64), Utc::now(), "e");
        let pm = rec.get("public_metrics").unwrap();
        assert_eq!(pm.get("like_count"), Some(&Value::Null));
        assert_eq!(pm.get("media_count"), None);
        let m = rec.metrics();
        assert_eq!(m.tweets, Some(7));
        assert_eq!(m.likes, None);
        assert_eq!(m.media, None);
    }

    #[test]
    fn verified_types_map_onto_the_dataset_vocabulary() {
        let label = |mut v: Value| {
            v["id"] = json!("1");
            v["username"] = json!("u");
            verified_label(&api_user(v))
        };
        assert_eq!(label(json!({"verified_type":"government"})), "org");
        assert_eq!(label(json!({"verified_type":"blue"})), "blue");
        assert_eq!(
            label(json!({"verified_type":"none","verified":false})),
            "none"
        );
        assert_eq!(label(json!({"verified":true})), "legacy");
        assert_eq!(label(json!({})), "none");
    }

    #[test]
    fn a_record_names_the_answer_it_came_from() {
        let at = crate::dataset::parse_time("2026-01-02T03:04:05Z").unwrap();
        let body: Value = serde_json::from_str(SUCCESS).unwrap();
        let rec = built(body["data"][0].clone(), &"ab".repeat(32), at, "e");
        assert_eq!(
            rec.meta().unwrap()["custody"],
            json!([{"run": "20260102T030405Z", "response_line": 7, "sha256": "ab".repeat(32),
                    "fetched_at": "2026-01-02T03:04:05.000Z"}])
        );
        assert!(rec.meta().unwrap().get("absent_from_answer").is_none());
    }

    #[test]
    fn fields_the_answer_did_not_carry_are_left_out_and_named_not_defaulted() {
        let rec = built(
            json!({"id":"1","username":"bare","name":"Bare"}),
            &"0".repeat(64),
            Utc::now(),
            "e",
        );
        for invented in [
            "verified",
            "is_org",
            "is_official",
            "followers_count",
            "public_metrics",
        ] {
            assert_eq!(rec.get(invented), None, "{invented}");
        }
        assert_eq!(
            rec.meta().unwrap()["absent_from_answer"],
            json!([
                "created_at",
                "description",
                "protected",
                "verified",
                "verified_type",
                "public_metrics"
            ])
        );
        // `verified: true` without a type is the old checkmark; is_org cannot be told from it.
        let legacy = built(
            json!({"id":"1","username":"old","name":"Old","verified":true}),
            &"0".repeat(64),
            Utc::now(),
            "e",
        );
        assert_eq!(legacy.get("verified"), Some(&json!("legacy")));
        assert_eq!(legacy.get("is_org"), None);
    }
}
