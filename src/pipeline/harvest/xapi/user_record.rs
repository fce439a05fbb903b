//! The dataset record built from one user object of an answer (not yet scored), tied to the
//! bytes it came from by their hash.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::shapes::ApiUser;
use crate::dataset::{Record, format_time};

/// The dataset's `verified` for an API user.
///
/// `business`→`business`, `government`→`org`, `blue`→`blue`, `none`→`none`. Without
/// `verified_type`, `verified: true` means the pre-2023 checkmark (`legacy`), anything else `none`.
pub fn verified_label(user: &ApiUser) -> &'static str {
    match user.verified_type.as_deref() {
        Some("business") => "business",
        Some("government") => "org",
        Some("blue") => "blue",
        Some(_) => "none",
        None if user.verified == Some(true) => "legacy",
        None => "none",
    }
}

/// Builds the dataset record for one API user (not yet scored); `sha256` is the hash of the
/// user object's bytes as received (see [`super::shapes`]), kept as `meta.provenance_hash`.
///
/// Metrics are copied as the API gave them: a `null` stays `null`, an absent one stays absent,
/// `post_count` is not renamed. `lang_primary` is not set: the lookup does not say it.
pub fn author_record(
    user: &ApiUser,
    sha256: &str,
    fetched_at: DateTime<Utc>,
    evidence: &str,
) -> Record {
    author_record_owned(user.clone(), sha256, fetched_at, evidence)
}

/// [`author_record`] taking the user object, so its fields move into the record uncopied.
pub fn author_record_owned(
    user: ApiUser,
    sha256: &str,
    fetched_at: DateTime<Utc>,
    evidence: &str,
) -> Record {
    let verified = verified_label(&user);
    let verified_type = user.verified_type.as_deref();
    let is_org = matches!(verified_type, Some("business" | "government"));
    let is_official = verified_type == Some("government");
    let followers = user
        .public_metrics
        .as_ref()
        .and_then(|m| m.get("followers_count"))
        .filter(|v| v.is_u64())
        .cloned();
    let mut fields = Map::new();
    fields.insert("id".into(), Value::String(user.id));
    fields.insert("handle".into(), Value::String(user.username));
    if let Some(name) = user.name {
        fields.insert("name".into(), Value::String(name));
    }
    fields.insert("verified".into(), Value::from(verified));
    if let Some(f) = followers {
        fields.insert("followers_count".into(), f);
    }
    fields.insert("is_org".into(), Value::Bool(is_org));
    fields.insert("is_official".into(), Value::Bool(is_official));
    fields.insert("topic_tags".into(), Value::Array(Vec::new()));
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
    let when = format_time(fetched_at);
    fields.insert(
        "meta".into(),
        json!({
            "last_refresh_at": when,
            "sources": [{"method": "x-api-v2", "fetched_at": when, "evidence": evidence}],
            "provenance_hash": sha256,
        }),
    );
    Record::from_map(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::pipeline::harvest::xapi::DOCUMENTED_SUCCESS as SUCCESS;

    fn api_user(v: Value) -> ApiUser {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn a_record_keeps_the_api_casing_and_metrics_as_given() {
        let body: Value = serde_json::from_str(SUCCESS).unwrap();
        let user = &body["data"][0];
        let at = crate::dataset::parse_time("2026-01-02T03:04:05Z").unwrap();
        let rec = author_record(
            &api_user(user.clone()),
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
        let rec = author_record(&api_user(user), &"0".repeat(64), Utc::now(), "e");
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
}
