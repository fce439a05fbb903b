//! A borrowed, typed view of the fields of an author record that scoring and the placeholder
//! detectors read, built either straight from a JSONL line (no `serde_json::Value`, no copy of
//! anything the view does not need: see `view_read`) or from a [`Record`](super::Record) already in memory.
//! Both ways end in the same [`AuthorView`], so the metric-layout rules in [`AuthorView::metrics`]
//! exist once. Not here: writing records (see `raw_object` for the splice that keeps unread fields as
//! they were written).

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

#[cfg(test)]
use super::raw_object::Raw;
use super::{Metrics, MetricsOrigin, Source, StoredScore, parse_time};

/// A JSON value reduced to what the typed readers need; containers are only known as "other".
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Scalar<'a> {
    #[default]
    Absent,
    Number {
        value: f64,
        /// The value as an unsigned integer when it was written as one.
        unsigned: Option<u64>,
    },
    Text(Cow<'a, str>),
    /// `null`, a boolean, an array or an object.
    Other,
}

impl<'a> Scalar<'a> {
    pub(crate) fn from_value(v: Option<&'a Value>) -> Self {
        match v {
            None => Scalar::Absent,
            Some(Value::Number(n)) => match n.as_f64() {
                Some(value) => Scalar::Number {
                    value,
                    unsigned: n.as_u64(),
                },
                None => Scalar::Other,
            },
            Some(Value::String(s)) => Scalar::Text(Cow::Borrowed(s)),
            Some(_) => Scalar::Other,
        }
    }

    #[cfg(test)]
    /// Parses one raw JSON value; invalid text is not possible here (the line was validated).
    pub(crate) fn from_raw(raw: Option<Raw<'a>>) -> Self {
        let Some(raw) = raw else {
            return Scalar::Absent;
        };
        let text = raw.get();
        // The common shapes (a string without escapes, a small unsigned integer, a literal) are
        // read here; a parser per field costs more than the field on a million lines.
        if let Some(inner) = text.strip_prefix('"').and_then(|t| t.strip_suffix('"'))
            && !inner.contains('\\')
        {
            return Scalar::Text(Cow::Borrowed(inner));
        }
        if (1..=19).contains(&text.len()) && text.bytes().all(|c| c.is_ascii_digit()) {
            let v: u64 = text.parse().expect("19 digits fit a u64");
            return Scalar::Number {
                value: v as f64,
                unsigned: Some(v),
            };
        }
        if matches!(text, "true" | "false" | "null") {
            return Scalar::Other;
        }
        serde_json::from_str(text).unwrap_or(Scalar::Other)
    }

    pub(crate) fn text(&self) -> Option<&str> {
        match self {
            Scalar::Text(s) => Some(s),
            _ => None,
        }
    }

    pub(crate) fn number(&self) -> Option<f64> {
        match self {
            Scalar::Number { value, .. } => Some(*value),
            _ => None,
        }
    }

    /// A count: a non-negative integer, written as a number (`5`, `5.0`) or as text (`"5"`).
    pub(crate) fn count(&self) -> Option<u64> {
        match self {
            Scalar::Number { value, unsigned } => unsigned
                .or_else(|| (*value >= 0.0 && value.fract() == 0.0).then_some(*value as u64)),
            Scalar::Text(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    pub(crate) fn time(&self) -> Option<DateTime<Utc>> {
        self.text().and_then(parse_time)
    }
}

/// A flat JSON object of scalars (a metrics block), in the order written, later duplicates
/// replacing earlier ones as `serde_json::Map` does.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Block<'a> {
    entries: Vec<(Cow<'a, str>, Scalar<'a>)>,
}

impl<'a> Block<'a> {
    pub(crate) fn get(&self, key: &str) -> &Scalar<'a> {
        self.entries
            .iter()
            .find(|(k, _)| k == key)
            .map_or(&Scalar::Absent, |(_, v)| v)
    }

    pub(crate) fn entries(&self) -> impl Iterator<Item = (&str, &Scalar<'a>)> {
        self.entries.iter().map(|(k, v)| (k.as_ref(), v))
    }

    pub(super) fn insert(&mut self, key: Cow<'a, str>, value: Scalar<'a>) {
        match self.entries.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.entries.push((key, value)),
        }
    }

    fn from_value(v: Option<&'a Value>) -> Option<Self> {
        let map = v?.as_object()?;
        let mut block = Block {
            entries: Vec::with_capacity(map.len()),
        };
        for (k, v) in map {
            block.insert(Cow::Borrowed(k), Scalar::from_value(Some(v)));
        }
        Some(block)
    }
}

pub(crate) fn sources_from_value(v: Option<&Value>) -> Vec<Source<'_>> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_object)
                .map(|s| Source {
                    method: Cow::Borrowed(s.get("method").and_then(Value::as_str).unwrap_or("")),
                    fetched_at: s
                        .get("fetched_at")
                        .and_then(Value::as_str)
                        .and_then(parse_time),
                    evidence: s.get("evidence").and_then(Value::as_str).map(Cow::Borrowed),
                })
                .collect()
        })
        .unwrap_or_default()
}

impl StoredScore {
    pub(crate) fn from_scalar(score: &Scalar<'_>) -> Self {
        match score {
            Scalar::Absent => StoredScore::Absent,
            Scalar::Number { value, .. } => StoredScore::Number(*value),
            Scalar::Text(s) => StoredScore::Text {
                raw: s.to_string(),
                parsed: s.trim().parse().ok(),
            },
            Scalar::Other => StoredScore::Other,
        }
    }
}

/// The latest `fetched_at` of the sources, else `meta.last_refresh_at`.
pub(crate) fn newest_evidence(
    sources: &[Source<'_>],
    last_refresh_at: &Scalar<'_>,
) -> Option<DateTime<Utc>> {
    sources
        .iter()
        .filter_map(|s| s.fetched_at)
        .max()
        .or_else(|| last_refresh_at.time())
}

/// What scoring and the record-level placeholder detectors read of an author record.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuthorView<'a> {
    pub id: Scalar<'a>,
    pub handle: Scalar<'a>,
    pub username: Scalar<'a>,
    pub name: Scalar<'a>,
    pub description: Scalar<'a>,
    pub verified: Scalar<'a>,
    pub verified_type: Scalar<'a>,
    pub followers_count: Scalar<'a>,
    pub created_at: Scalar<'a>,
    /// `lang_primary`: a language code, or `und` when the profile's text could not tell.
    pub lang_primary: Scalar<'a>,
    /// The string entries of `topic_tags`.
    pub topic_tags: Vec<Cow<'a, str>>,
    pub public_metrics: Option<Block<'a>>,
    /// `meta.score`, `meta.score_state`, `meta.as_of`, `meta.last_refresh_at`, `meta.provenance_hash`.
    pub meta_score: Scalar<'a>,
    pub meta_score_state: Scalar<'a>,
    pub meta_as_of: Scalar<'a>,
    pub meta_last_refresh_at: Scalar<'a>,
    pub provenance_hash: Scalar<'a>,
    /// `meta.topic_source`: set when influx derived `topic_tags` from the author's own words.
    pub meta_topic_source: Scalar<'a>,
    pub sources: Vec<Source<'a>>,
    pub meta_activity: Option<Block<'a>>,
    pub ext_activity: Option<Block<'a>>,
}

impl<'a> AuthorView<'a> {
    /// The view of a record in memory, borrowing its strings.
    pub(crate) fn from_map(fields: &'a Map<String, Value>) -> Self {
        let top = |k: &str| Scalar::from_value(fields.get(k));
        let meta = fields.get("meta").and_then(Value::as_object);
        let meta_field = |k: &str| Scalar::from_value(meta.and_then(|m| m.get(k)));
        AuthorView {
            id: top("id"),
            handle: top("handle"),
            username: top("username"),
            name: top("name"),
            description: top("description"),
            verified: top("verified"),
            verified_type: top("verified_type"),
            followers_count: top("followers_count"),
            created_at: top("created_at"),
            lang_primary: top("lang_primary"),
            topic_tags: fields
                .get("topic_tags")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(Cow::Borrowed)
                        .collect()
                })
                .unwrap_or_default(),
            public_metrics: Block::from_value(fields.get("public_metrics")),
            meta_score: meta_field("score"),
            meta_score_state: meta_field("score_state"),
            meta_as_of: meta_field("as_of"),
            meta_last_refresh_at: meta_field("last_refresh_at"),
            provenance_hash: meta_field("provenance_hash"),
            meta_topic_source: meta_field("topic_source"),
            sources: sources_from_value(meta.and_then(|m| m.get("sources"))),
            meta_activity: Block::from_value(meta.and_then(|m| m.get("activity_metrics"))),
            ext_activity: Block::from_value(
                fields
                    .get("ext")
                    .and_then(Value::as_object)
                    .and_then(|e| e.get("activity_metrics")),
            ),
        }
    }

    pub(crate) fn id(&self) -> Option<&str> {
        self.id.text()
    }

    /// The handle as stored; API-shaped objects say `username`.
    pub fn handle(&self) -> Option<&str> {
        self.handle.text().or_else(|| self.username.text())
    }

    pub(crate) fn name(&self) -> Option<&str> {
        self.name.text()
    }

    pub(crate) fn description(&self) -> Option<&str> {
        self.description.text()
    }

    /// `verified` (bigv's enum) or, on API-shaped objects, `verified_type`.
    pub(crate) fn verified(&self) -> Option<&str> {
        self.verified_type.text().or_else(|| self.verified.text())
    }

    /// Whether `topic_tags` were derived by influx from the author's own words (see
    /// `score::TOPIC_SOURCE`) rather than given by a person or an older pipeline.
    pub(crate) fn topics_derived(&self) -> bool {
        self.meta_topic_source.text().is_some()
    }

    pub(crate) fn provenance_hash(&self) -> Option<&str> {
        self.provenance_hash.text()
    }

    pub fn stored_score(&self) -> StoredScore {
        StoredScore::from_scalar(&self.meta_score)
    }

    pub fn sources(&self) -> &[Source<'a>] {
        &self.sources
    }

    /// The newest evidence for this record: latest `sources[].fetched_at`, else `meta.last_refresh_at`.
    pub(crate) fn fetched_at(&self) -> Option<DateTime<Utc>> {
        newest_evidence(&self.sources, &self.meta_last_refresh_at)
    }

    /// Every count in the known layouts read raw, negative ones included (for bound checks:
    /// [`Metrics`] drops what is not a count): the block it is in (`None` at the top level), its
    /// key and its value.
    pub(crate) fn raw_counts(
        &self,
    ) -> impl Iterator<Item = (Option<&'static str>, &str, f64)> + '_ {
        let top = self
            .followers_count
            .number()
            .map(|v| (None, "followers_count", v));
        let blocks = [
            ("public_metrics", &self.public_metrics),
            ("meta.activity_metrics", &self.meta_activity),
            ("ext.activity_metrics", &self.ext_activity),
        ];
        top.into_iter()
            .chain(blocks.into_iter().flat_map(|(prefix, block)| {
                block
                    .iter()
                    .flat_map(Block::entries)
                    .filter_map(move |(k, v)| v.number().map(|n| (Some(prefix), k, n)))
            }))
    }

    /// The record's metrics in one vocabulary. Precedence: `public_metrics` (API-shaped), then
    /// `meta.activity_metrics`, then `ext.activity_metrics`; the top-level `followers_count` fills
    /// followers when the chosen block lacks it.
    pub fn metrics(&self) -> Metrics {
        let top_followers = self.followers_count.count();
        let top_created = self.created_at.time();
        let fetched = self.fetched_at();

        if let Some(pm) = &self.public_metrics {
            return Metrics {
                followers: pm.get("followers_count").count().or(top_followers),
                following: pm.get("following_count").count(),
                tweets: pm
                    .get("tweet_count")
                    .count()
                    .or_else(|| pm.get("post_count").count()),
                listed: pm.get("listed_count").count(),
                likes: pm.get("like_count").count(),
                media: pm.get("media_count").count(),
                created_at: top_created,
                as_of: self.meta_as_of.time().or(fetched),
                origin: Some(MetricsOrigin::PublicMetrics),
            };
        }
        let activity = [
            (&self.meta_activity, MetricsOrigin::MetaActivity),
            (&self.ext_activity, MetricsOrigin::ExtActivity),
        ]
        .into_iter()
        .find_map(|(block, origin)| block.as_ref().map(|b| (b, origin)));
        if let Some((am, origin)) = activity {
            return Metrics {
                followers: am.get("followers_count").count().or(top_followers),
                following: am.get("following_count").count(),
                tweets: am
                    .get("tweet_count")
                    .count()
                    .or_else(|| am.get("post_count").count()),
                listed: am.get("listed_count").count(),
                likes: am
                    .get("total_like_count")
                    .count()
                    .or_else(|| am.get("like_count").count()),
                media: am.get("media_count").count(),
                created_at: am
                    .get("account_created_at")
                    .time()
                    .or_else(|| am.get("created_at").time())
                    .or(top_created),
                as_of: am.get("last_captured_at").time().or(fetched),
                origin: Some(origin),
            };
        }
        Metrics {
            followers: top_followers,
            created_at: top_created,
            as_of: fetched,
            origin: Some(if top_followers.is_some() {
                MetricsOrigin::FollowersOnly
            } else {
                MetricsOrigin::None
            }),
            ..Metrics::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_read_directly_are_those_serde_json_reads() {
        for text in [
            r#""plain""#,
            r#""""#,
            r#""with \"escape\"""#,
            r#""caf\u00e9""#,
            "0",
            "42",
            "9999999999999999999",
            "18446744073709551615",
            "18446744073709551616",
            "-3",
            "2.5",
            "true",
            "false",
            "null",
            "[1,2]",
            r#"{"a":1}"#,
        ] {
            let raw = Raw::of(text);
            let by_serde: Scalar = serde_json::from_str(text).unwrap();
            assert_eq!(Scalar::from_raw(Some(raw)), by_serde, "{text}");
        }
    }
}
