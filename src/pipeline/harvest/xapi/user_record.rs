//! The dataset record built from one user object of an answer (not yet scored), and the
//! hash that ties it to the bytes it came from.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use crate::dataset::{Record, format_time};

/// The dataset's `verified` for an API user.
///
/// `business`→`business`, `government`→`org`, `blue`→`blue`, `none`→`none`. Without
/// `verified_type`, `verified: true` means the pre-2023 checkmark (`legacy`), anything else `none`.
pub fn verified_label(user: &Value) -> &'static str {
    match user.get("verified_type").and_then(Value::as_str) {
        Some("business") => "business",
        Some("government") => "org",
        Some("blue") => "blue",
        Some(_) => "none",
        None if user.get("verified").and_then(Value::as_bool) == Some(true) => "legacy",
        None => "none",
    }
}

/// Builds the dataset record for one API user (not yet scored).
///
/// Metrics are copied as the API gave them: a `null` stays `null`, an absent one stays absent,
/// `post_count` is not renamed. `lang_primary` is not set: the lookup does not say it.
pub fn author_record(user: &Value, fetched_at: DateTime<Utc>, evidence: &str) -> Record {
    author_record_owned(user.clone(), fetched_at, evidence)
}

/// [`author_record`] taking the user object, so its fields move into the record uncopied.
pub fn author_record_owned(user: Value, fetched_at: DateTime<Utc>, evidence: &str) -> Record {
    let provenance = provenance_hash(&user);
    let verified = verified_label(&user);
    let verified_type = user.get("verified_type").and_then(Value::as_str);
    let is_org = matches!(verified_type, Some("business" | "government"));
    let is_official = verified_type == Some("government");
    let followers = user
        .get("public_metrics")
        .and_then(|m| m.get("followers_count"))
        .filter(|v| v.is_u64())
        .cloned();
    let mut user = match user {
        Value::Object(map) => map,
        // Not an object: nothing to copy but what is derived above.
        _ => Map::new(),
    };
    let mut fields = Map::new();
    let mut take = |fields: &mut Map<String, Value>, key: &str, as_key: &str| {
        if let Some(v) = user.remove(key) {
            fields.insert(as_key.to_string(), v);
        }
    };
    take(&mut fields, "id", "id");
    take(&mut fields, "username", "handle");
    take(&mut fields, "name", "name");
    fields.insert("verified".into(), Value::from(verified));
    if let Some(f) = followers {
        fields.insert("followers_count".into(), f);
    }
    fields.insert("is_org".into(), Value::Bool(is_org));
    fields.insert("is_official".into(), Value::Bool(is_official));
    fields.insert("topic_tags".into(), Value::Array(Vec::new()));
    for key in [
        "created_at",
        "description",
        "url",
        "location",
        "protected",
        "public_metrics",
    ] {
        take(&mut fields, key, key);
    }
    let when = format_time(fetched_at);
    fields.insert(
        "meta".into(),
        json!({
            "last_refresh_at": when,
            "sources": [{"method": "x-api-v2", "fetched_at": when, "evidence": evidence}],
            "provenance_hash": provenance,
        }),
    );
    Record::from_map(fields)
}

/// SHA-256 of the user object exactly as the API sent it (its compact JSON text, the bytes of
/// `user.to_string()`), so a record can be traced to its answer. Streamed into the hasher.
fn provenance_hash(user: &Value) -> String {
    use sha2::{Digest, Sha256};
    struct Hashing(Sha256);
    impl std::io::Write for Hashing {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.update(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut hashing = Hashing(Sha256::new());
    serde_json::to_writer(&mut hashing, user).expect("a JSON value always serialises");
    crate::digest::to_hex(&hashing.0.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUCCESS: &str = r#"{"data":[{"id":"2244994945","name":"X Developers","username":"XDevelopers",
      "created_at":"2013-12-14T04:35:55.000Z","description":"The voice of the X developer community",
      "verified":true,"verified_type":"business","protected":false,
      "public_metrics":{"followers_count":583423,"following_count":2048,"tweet_count":14052,
                        "listed_count":1672,"like_count":3140,"media_count":812}}]}"#;

    #[test]
    fn a_record_keeps_the_api_casing_and_metrics_as_given() {
        let body: Value = serde_json::from_str(SUCCESS).unwrap();
        let user = &body["data"][0];
        let at = crate::dataset::parse_time("2026-01-02T03:04:05Z").unwrap();
        let rec = author_record(user, at, "GET /2/users/by batch 7");
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
        let rec = author_record(&user, Utc::now(), "e");
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
        let label = |v: Value| verified_label(&v);
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
