//! The order a record's fields are written in: known fields first in the schema's order, then
//! the others in the order they were read, at the top level and inside `meta`.

use serde_json::{Map, Value};

/// Top-level fields in the order a record is written; fields not listed follow in the order read.
pub(crate) const CANONICAL_ORDER: &[&str] = &[
    "id",
    "handle",
    "name",
    "verified",
    "followers_count",
    "is_org",
    "is_official",
    "lang_primary",
    "topic_tags",
    "created_at",
    "description",
    "url",
    "location",
    "protected",
    "public_metrics",
    "meta",
    "ext",
];

/// `meta` fields in the order they are written; others follow in the order read.
pub(crate) const CANONICAL_META_ORDER: &[&str] = &[
    "score",
    "score_state",
    "score_version",
    "score_components",
    "as_of",
    "last_refresh_at",
    "sources",
    "provenance_hash",
    "entry_threshold_passed",
    "quality_score",
    "rank_global",
    "last_active_at",
    "activity_metrics",
];

/// A borrowed view of a map that serialises in canonical order (see [`Record::to_canonical`]).
pub(super) struct Canonical<'a> {
    map: &'a Map<String, Value>,
    order: &'static [&'static str],
    /// True at the top level, where `meta` is itself put in canonical order.
    top: bool,
}

impl<'a> Canonical<'a> {
    pub(super) fn top(map: &'a Map<String, Value>) -> Self {
        Canonical {
            map,
            order: CANONICAL_ORDER,
            top: true,
        }
    }
}

impl serde::Serialize for Canonical<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut out = serializer.serialize_map(Some(self.map.len()))?;
        let mut entry = |key: &str, value: &Value| match value {
            Value::Object(meta) if self.top && key == "meta" => out.serialize_entry(
                key,
                &Canonical {
                    map: meta,
                    order: CANONICAL_META_ORDER,
                    top: false,
                },
            ),
            other => out.serialize_entry(key, other),
        };
        for key in self.order {
            if let Some(v) = self.map.get(*key) {
                entry(key, v)?;
            }
        }
        for (k, v) in self.map {
            if !self.order.contains(&k.as_str()) {
                entry(k, v)?;
            }
        }
        out.end()
    }
}

pub(super) fn reorder(
    map: &Map<String, Value>,
    order: &[&str],
    mut each: impl FnMut(&str, &Value) -> Value,
) -> Map<String, Value> {
    let mut out = Map::with_capacity(map.len());
    for key in order {
        if let Some(v) = map.get(*key) {
            out.insert((*key).to_string(), each(key, v));
        }
    }
    for (k, v) in map {
        if !order.contains(&k.as_str()) {
            out.insert(k.clone(), each(k, v));
        }
    }
    out
}
