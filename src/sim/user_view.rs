//! A profile as the API writes it: only `id`, `name`, `username` unless `user.fields` asks for
//! more, fields in the API's order, ids as strings, absent metrics left out and null ones null.

use serde::ser::{Serialize, SerializeMap, Serializer};

use super::profiles::{Metric, Profile};
use crate::dataset::format_time;

/// Every `user.fields` value the real API accepts; the simulator renders those it models and
/// leaves the others out, as the API does for fields an account lacks.
const KNOWN_FIELDS: &[&str] = &[
    "affiliation",
    "confirmed_email",
    "connection_status",
    "created_at",
    "description",
    "entities",
    "id",
    "is_identity_verified",
    "location",
    "most_recent_tweet_id",
    "name",
    "parody",
    "pinned_tweet_id",
    "profile_banner_url",
    "profile_image_url",
    "protected",
    "public_metrics",
    "receives_your_dm",
    "subscription",
    "subscription_type",
    "url",
    "username",
    "verified",
    "verified_followers_count",
    "verified_type",
    "withheld",
];

/// The set of requested fields beyond the defaults.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UserFields(u16);

impl UserFields {
    const CREATED_AT: u16 = 1;
    const DESCRIPTION: u16 = 1 << 1;
    const LOCATION: u16 = 1 << 2;
    const URL: u16 = 1 << 3;
    const PROFILE_IMAGE_URL: u16 = 1 << 4;
    const VERIFIED: u16 = 1 << 5;
    const VERIFIED_TYPE: u16 = 1 << 6;
    const PROTECTED: u16 = 1 << 7;
    const PINNED_TWEET_ID: u16 = 1 << 8;
    const PUBLIC_METRICS: u16 = 1 << 9;

    /// Parses a `user.fields` value; the error holds the first name the API would reject.
    pub fn parse(list: Option<&str>) -> Result<UserFields, String> {
        let mut bits = 0;
        for name in list.unwrap_or("").split(',').filter(|n| !n.is_empty()) {
            bits |= match name {
                "created_at" => Self::CREATED_AT,
                "description" => Self::DESCRIPTION,
                "location" => Self::LOCATION,
                "url" => Self::URL,
                "profile_image_url" => Self::PROFILE_IMAGE_URL,
                "verified" => Self::VERIFIED,
                "verified_type" => Self::VERIFIED_TYPE,
                "protected" => Self::PROTECTED,
                "pinned_tweet_id" => Self::PINNED_TWEET_ID,
                "public_metrics" => Self::PUBLIC_METRICS,
                other if KNOWN_FIELDS.contains(&other) => 0,
                other => return Err(other.to_string()),
            };
        }
        Ok(UserFields(bits))
    }

    fn has(self, bit: u16) -> bool {
        self.0 & bit != 0
    }

    pub fn names() -> &'static [&'static str] {
        KNOWN_FIELDS
    }
}

/// A profile rendered with a field selection.
pub struct UserView<'a> {
    pub profile: &'a Profile,
    pub fields: UserFields,
}

struct MetricsView<'a>(&'a Profile);

impl Serialize for MetricsView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let p = self.0;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("followers_count", &p.followers)?;
        m.serialize_entry("following_count", &p.following)?;
        let tweet_key = if p.post_count_spelling {
            "post_count"
        } else {
            "tweet_count"
        };
        m.serialize_entry(tweet_key, &p.tweets)?;
        m.serialize_entry("listed_count", &p.listed)?;
        for (key, metric) in [("like_count", p.likes), ("media_count", p.media)] {
            match metric {
                Metric::Absent => {}
                Metric::Null => m.serialize_entry(key, &())?,
                Metric::Count(n) => m.serialize_entry(key, &n)?,
            }
        }
        m.end()
    }
}

impl Serialize for UserView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (p, f) = (self.profile, self.fields);
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("id", &p.id.to_string())?;
        m.serialize_entry("name", &p.name)?;
        m.serialize_entry("username", &p.username)?;
        if f.has(UserFields::CREATED_AT) {
            m.serialize_entry("created_at", &format_time(p.created_at))?;
        }
        if f.has(UserFields::DESCRIPTION) {
            m.serialize_entry("description", &p.description)?;
        }
        if f.has(UserFields::LOCATION) && !p.location.is_empty() {
            m.serialize_entry("location", &p.location)?;
        }
        if f.has(UserFields::URL) {
            m.serialize_entry("url", &p.url)?;
        }
        if f.has(UserFields::PROFILE_IMAGE_URL) {
            m.serialize_entry("profile_image_url", &p.profile_image_url)?;
        }
        if f.has(UserFields::VERIFIED) {
            m.serialize_entry("verified", &(p.verified_type != "none"))?;
        }
        if f.has(UserFields::VERIFIED_TYPE) {
            m.serialize_entry("verified_type", p.verified_type)?;
        }
        if f.has(UserFields::PROTECTED) {
            m.serialize_entry("protected", &p.protected)?;
        }
        if f.has(UserFields::PINNED_TWEET_ID)
            && let Some(t) = p.pinned_tweet_id
        {
            m.serialize_entry("pinned_tweet_id", &t.to_string())?;
        }
        if f.has(UserFields::PUBLIC_METRICS) {
            m.serialize_entry("public_metrics", &MetricsView(p))?;
        }
        m.end()
    }
}
