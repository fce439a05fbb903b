//! What the admission rules read of one candidate, taken from an X API user object (as
//! `/2/users/by` answers) or from a stored author record: the same fields under either layout,
//! borrowed, with "absent" kept apart from "false" and "0".

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::dataset::snowflake_time;
use crate::dataset::{AuthorView, Record, parse_time};
use crate::pipeline::checks::placeholders::{self, PlaceholderFlag};

/// One candidate as the rules see it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CandidateFacts<'a> {
    pub handle: Option<&'a str>,
    pub name: Option<&'a str>,
    pub description: Option<&'a str>,
    pub url: Option<&'a str>,
    pub followers: Option<u64>,
    /// `verified_type` (`blue`, `business`, `government`, `none`), or bigv's `verified`.
    pub verified_type: Option<&'a str>,
    pub protected: Option<bool>,
    pub parody: Option<bool>,
    /// The time of the newest post (decoded from its snowflake id, or as stored).
    pub last_post_at: Option<DateTime<Utc>>,
    /// Whether the source was in a position to name a last post: only then does its absence
    /// mean "never posted" rather than "not asked".
    pub last_post_asked: bool,
    /// An affiliation badge (a person affiliated with an organisation).
    pub affiliation: bool,
    /// The sample-data placeholder detectors that fired on the object.
    pub placeholders: Vec<PlaceholderFlag>,
}

impl<'a> CandidateFacts<'a> {
    #[cfg(test)]
    /// The facts of a user object of the X API. An answer without `most_recent_tweet_id`
    /// (`most_recent_post_id`) says nothing certain: the account may never have posted, or the
    /// API may no longer send the field (spec 2.167 made it an expansion), so the absence is
    /// "unknown", never "never posted" and never "inactive".
    pub(crate) fn from_api_user(user: &'a Value) -> Self {
        Self::from_object(user.as_object().unwrap_or(&EMPTY))
    }

    /// The facts of a stored author record (bigv, or an API-shaped record).
    pub fn from_record(record: &'a Record) -> Self {
        Self::from_object(record.fields())
    }

    fn from_object(fields: &'a Map<String, Value>) -> Self {
        let view = AuthorView::from_map(fields);
        let text = |k: &str| fields.get(k).and_then(Value::as_str);
        let flag = |k: &str| fields.get(k).and_then(Value::as_bool);
        let meta = fields.get("meta").and_then(Value::as_object);
        let ext = fields.get("ext").and_then(Value::as_object);
        let last_post_at = last_post(fields, meta);
        CandidateFacts {
            handle: text("handle").or_else(|| text("username")),
            name: text("name"),
            description: text("description"),
            url: text("url"),
            followers: view.metrics().followers,
            verified_type: text("verified_type").or_else(|| text("verified")),
            protected: flag("protected"),
            parody: flag("parody"),
            last_post_at,
            last_post_asked: last_post_at.is_some(),
            affiliation: fields.get("affiliation").is_some_and(|v| !v.is_null())
                || ext.is_some_and(|e| e.get("affiliation").is_some_and(|v| !v.is_null())),
            placeholders: placeholders::view_flags(&view),
        }
    }
}

#[cfg(test)]
static EMPTY: std::sync::LazyLock<Map<String, Value>> = std::sync::LazyLock::new(Map::new);

/// The newest post's time: a snowflake post id decodes to it; a stored time is read as is.
fn last_post(
    fields: &Map<String, Value>,
    meta: Option<&Map<String, Value>>,
) -> Option<DateTime<Utc>> {
    let id = ["most_recent_post_id", "most_recent_tweet_id"]
        .iter()
        .filter_map(|k| fields.get(*k))
        .find_map(|v| match v {
            Value::String(s) => s.parse::<u64>().ok(),
            other => other.as_u64(),
        });
    if let Some(t) = id.and_then(snowflake_time) {
        return Some(t);
    }
    fields
        .get("last_post_at")
        .or_else(|| meta.and_then(|m| m.get("last_active_at")))
        .and_then(Value::as_str)
        .and_then(parse_time)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_api_user_reads_followers_from_public_metrics_and_the_last_post_from_its_snowflake() {
        // 1_790_000_000_000_000_000 >> 22 = 426_770_336_608 ms after the snowflake epoch.
        let user = json!({
            "id": "2244994945", "username": "XDevelopers", "name": "Developers",
            "verified_type": "business", "protected": false,
            "public_metrics": {"followers_count": 583423, "following_count": 2048,
                "tweet_count": 14052, "listed_count": 1672, "like_count": 3140, "media_count": 812},
            "most_recent_tweet_id": "1790000000000000000",
            "affiliation": {"description": "X"}
        });
        let facts = CandidateFacts::from_api_user(&user);
        assert_eq!(facts.handle, Some("XDevelopers"));
        assert_eq!(facts.followers, Some(583_423));
        assert_eq!(facts.verified_type, Some("business"));
        assert_eq!(facts.protected, Some(false));
        assert!(facts.affiliation);
        assert_eq!(
            facts.last_post_at.map(|t| t.timestamp_millis()),
            Some((1_790_000_000_000_000_000u64 >> 22) as i64 + 1_288_834_974_657)
        );
        assert!(facts.last_post_asked, "a named post was asked for");
    }

    #[test]
    fn a_bigv_record_reads_its_top_level_followers_and_verified() {
        let record = Record::from_value(json!({
            "id": "44196397", "handle": "elonmusk", "name": "Elon Musk", "verified": "blue",
            "followers_count": 229026322
        }))
        .unwrap();
        let facts = CandidateFacts::from_record(&record);
        assert_eq!(facts.followers, Some(229_026_322));
        assert_eq!(facts.verified_type, Some("blue"));
        assert_eq!(facts.protected, None);
        assert!(!facts.last_post_asked);
    }
}
