//! A profile as the API writes it: only `id`, `name`, `username` unless `user.fields` asks for
//! more, fields in the API's order, ids as strings, absent metrics left out and null ones null.

use serde::ser::{Serialize, SerializeMap, Serializer};

use super::profiles::Affiliation;
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
    "most_recent_post_id",
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
pub(super) struct UserFields(u32);

impl UserFields {
    const CREATED_AT: u32 = 1;
    const DESCRIPTION: u32 = 1 << 1;
    const LOCATION: u32 = 1 << 2;
    const URL: u32 = 1 << 3;
    const PROFILE_IMAGE_URL: u32 = 1 << 4;
    const VERIFIED: u32 = 1 << 5;
    const VERIFIED_TYPE: u32 = 1 << 6;
    const PROTECTED: u32 = 1 << 7;
    const PINNED_TWEET_ID: u32 = 1 << 8;
    const PUBLIC_METRICS: u32 = 1 << 9;
    const MOST_RECENT_TWEET_ID: u32 = 1 << 10;
    /// Spec 2.167's name for the same id; answered under the name asked.
    const MOST_RECENT_POST_ID: u32 = 1 << 11;
    const VERIFIED_FOLLOWERS_COUNT: u32 = 1 << 12;
    const IS_IDENTITY_VERIFIED: u32 = 1 << 13;
    const PARODY: u32 = 1 << 14;
    const AFFILIATION: u32 = 1 << 15;

    /// Parses a `user.fields` value; the error holds the first name the API would reject.
    pub(super) fn parse(list: Option<&str>) -> Result<UserFields, String> {
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
                "most_recent_tweet_id" => Self::MOST_RECENT_TWEET_ID,
                "most_recent_post_id" => Self::MOST_RECENT_POST_ID,
                "verified_followers_count" => Self::VERIFIED_FOLLOWERS_COUNT,
                "is_identity_verified" => Self::IS_IDENTITY_VERIFIED,
                "parody" => Self::PARODY,
                "affiliation" => Self::AFFILIATION,
                other if KNOWN_FIELDS.contains(&other) => 0,
                other => return Err(other.to_string()),
            };
        }
        Ok(UserFields(bits))
    }

    fn has(self, bit: u32) -> bool {
        self.0 & bit != 0
    }

    pub(super) fn names() -> &'static [&'static str] {
        KNOWN_FIELDS
    }
}

/// A profile rendered with a field selection.
pub(super) struct UserView<'a> {
    pub profile: &'a Profile,
    pub fields: UserFields,
}

struct MetricsView<'a>(&'a Profile);

struct AffiliationView<'a>(&'a Affiliation);

impl Serialize for AffiliationView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let a = self.0;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("description", &a.description)?;
        m.serialize_entry("url", &a.url)?;
        m.serialize_entry("badge_url", &a.badge_url)?;
        m.serialize_entry("user_id", &[a.user_id.to_string()])?;
        m.end()
    }
}

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
        if let Some(t) = p.most_recent_post_id {
            for (bit, key) in [
                (UserFields::MOST_RECENT_TWEET_ID, "most_recent_tweet_id"),
                (UserFields::MOST_RECENT_POST_ID, "most_recent_post_id"),
            ] {
                if f.has(bit) {
                    m.serialize_entry(key, &t.to_string())?;
                }
            }
        }
        if f.has(UserFields::VERIFIED_FOLLOWERS_COUNT) {
            m.serialize_entry("verified_followers_count", &p.verified_followers)?;
        }
        if f.has(UserFields::IS_IDENTITY_VERIFIED) {
            m.serialize_entry("is_identity_verified", &p.identity_verified)?;
        }
        if f.has(UserFields::PARODY) {
            m.serialize_entry("parody", &p.parody)?;
        }
        if f.has(UserFields::AFFILIATION)
            && let Some(a) = &p.affiliation
        {
            m.serialize_entry("affiliation", &AffiliationView(a))?;
        }
        m.end()
    }
}
