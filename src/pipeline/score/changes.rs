//! What scoring writes into a record's `meta`, as an ordered list of changes, so that a record in
//! memory and a line spliced raw receive exactly the same fields in the same places. Not here:
//! deciding the values (see `score_view`) or reading and writing files.

use std::cell::RefCell;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::ser::Serializer;
use serde_json::{Map, Value};

use super::model::{Breakdown, Model};
use super::round2;
use super::{explain, json_text};
use crate::dataset::format_time;

/// One change to `meta`.
#[derive(Debug, Clone, PartialEq)]
pub enum MetaChange {
    /// Sets a field: replaced in its place when present, appended when not.
    Set(&'static str, MetaValue),
    /// Removes a field, the others keeping their order.
    Remove(&'static str),
    /// Moves the stored `score` (if any) to `previous_score`, so nothing is lost.
    ScoreToPrevious,
}

/// A value scoring writes.
#[derive(Debug, Clone, PartialEq)]
pub enum MetaValue {
    Number(f64),
    Static(&'static str),
    Text(String),
    /// A time, written as `format_time` writes it.
    Time(DateTime<Utc>),
    Bool(bool),
    Components(Box<Components>),
}

impl Serialize for MetaValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            MetaValue::Number(v) => s.serialize_f64(*v),
            MetaValue::Static(v) => s.serialize_str(v),
            MetaValue::Text(v) => s.serialize_str(v),
            MetaValue::Time(t) => with_time_text(*t, |text| s.serialize_str(text)),
            MetaValue::Bool(v) => s.serialize_bool(*v),
            MetaValue::Components(c) => c.serialize(s),
        }
    }
}

impl MetaValue {
    /// Appends the value's JSON text: the bytes `serde_json` writes for it, without going
    /// through a `Serializer` (tests/integration/score_line.rs pins them against the `Value` path).
    pub fn write_json(&self, out: &mut Vec<u8>) {
        match self {
            MetaValue::Number(v) => json_text::write_f64(out, *v),
            MetaValue::Static(v) => json_text::write_str(out, v),
            MetaValue::Text(v) => json_text::write_str(out, v),
            MetaValue::Time(t) => with_time_text(*t, |text| json_text::write_str(out, text)),
            MetaValue::Bool(v) => out.extend_from_slice(if *v { b"true" } else { b"false" }),
            MetaValue::Components(c) => c.write_json(out),
        }
    }

    pub(crate) fn to_value(&self) -> Value {
        match self {
            MetaValue::Number(v) => Value::from(*v),
            MetaValue::Static(v) => Value::from(*v),
            MetaValue::Text(v) => Value::from(v.as_str()),
            MetaValue::Time(t) => Value::from(format_time(*t)),
            MetaValue::Bool(v) => Value::from(*v),
            MetaValue::Components(c) => {
                serde_json::to_value(c).expect("the breakdown serialises to JSON")
            }
        }
    }
}

/// Calls `f` with `format_time(time)`. A file's records are mostly fetched at the same few
/// times: the text of the last one is kept per thread, not formatted (or allocated) again.
fn with_time_text<R>(time: DateTime<Utc>, f: impl FnOnce(&str) -> R) -> R {
    thread_local! {
        static LAST: RefCell<Option<(DateTime<Utc>, String)>> = const { RefCell::new(None) };
    }
    LAST.with_borrow_mut(|last| {
        if last.as_ref().is_none_or(|(t, _)| *t != time) {
            *last = Some((time, format_time(time)));
        }
        f(&last.as_ref().expect("set above").1)
    })
}

/// The outcome of scoring one record: its score (None = unscored), whether it was flagged as a
/// placeholder, and the changes to its `meta`.
#[derive(Debug, Clone, PartialEq)]
pub struct Scoring {
    pub score: Option<f64>,
    pub flagged: bool,
    pub changes: Vec<MetaChange>,
}

impl Scoring {
    /// Applies the changes to a record's `meta` in memory.
    pub(crate) fn apply(&self, meta: &mut Map<String, Value>) {
        for change in &self.changes {
            match change {
                MetaChange::Set(key, value) => {
                    meta.insert((*key).to_string(), value.to_value());
                }
                MetaChange::Remove(key) => {
                    meta.shift_remove(*key);
                }
                MetaChange::ScoreToPrevious => {
                    if let Some(old) = meta.shift_remove("score") {
                        meta.insert("previous_score".into(), old);
                    }
                }
            }
        }
    }
}

/// `meta.score_components`: the breakdown a person reads in the detail pane. The per-feature
/// table is not stored: it is derived from the record and the versioned tables, so the pane
/// recomputes it (`Model::feature_table`) instead of every record carrying ~550 bytes of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Components {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activity: Option<f64>,
    pub quality: f64,
    pub relevance: f64,
    pub composite: f64,
    pub reasons: explain::Reasons,
    pub topics: Vec<&'static str>,
    pub verified_bonus: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_age_days: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub age_from: Option<&'static str>,
    pub as_of_from: &'static str,
    pub missing: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub placeholder_flags: Option<Vec<String>>,
}

impl Components {
    /// Appends the JSON text `serde_json` writes for `self` (same fields, order and skips as the
    /// derived `Serialize`).
    pub(crate) fn write_json(&self, out: &mut Vec<u8>) {
        use json_text::{write_f64, write_str, write_str_array};
        // Each key with its quotes, colon and the comma before it is one literal: the field
        // names are fixed, and this is written for every scored record.
        out.push(b'{');
        if let Some(a) = self.activity {
            out.extend_from_slice(br#""activity":"#);
            write_f64(out, a);
            out.push(b',');
        }
        out.extend_from_slice(br#""quality":"#);
        write_f64(out, self.quality);
        out.extend_from_slice(br#","relevance":"#);
        write_f64(out, self.relevance);
        out.extend_from_slice(br#","composite":"#);
        write_f64(out, self.composite);
        out.extend_from_slice(br#","reasons":"#);
        write_str_array(out, self.reasons.iter());
        out.extend_from_slice(br#","topics":"#);
        write_str_array(out, &self.topics);
        out.extend_from_slice(br#","verified_bonus":"#);
        write_f64(out, self.verified_bonus);
        if let Some(days) = self.account_age_days {
            out.extend_from_slice(br#","account_age_days":"#);
            write_f64(out, days);
        }
        if let Some(from) = self.age_from {
            out.extend_from_slice(br#","age_from":"#);
            write_str(out, from);
        }
        out.extend_from_slice(br#","as_of_from":"#);
        write_str(out, self.as_of_from);
        out.extend_from_slice(br#","missing":"#);
        write_str_array(out, &self.missing);
        if let Some(flags) = &self.placeholder_flags {
            out.extend_from_slice(br#","placeholder_flags":"#);
            write_str_array(out, flags);
        }
        out.push(b'}');
    }

    pub(crate) fn new(b: &Breakdown, model: &'static Model) -> Self {
        let lexicon = model.lexicon();
        // `found` is sorted by topic: a topic found in several fields is named once.
        let mut topics: Vec<&'static str> = Vec::with_capacity(b.relevance.found.len());
        let mut last = None;
        for (topic, _) in &b.relevance.found {
            if last.replace(*topic) != Some(*topic) {
                topics.push(lexicon.topic(*topic).id.as_str());
            }
        }
        let age = b.inputs.inputs.age;
        Components {
            activity: b.activity.map(round2),
            quality: round2(b.quality),
            relevance: round2(b.relevance.value),
            composite: round2(b.composite),
            reasons: explain::reasons(b, lexicon),
            topics,
            verified_bonus: b.verified_bonus,
            account_age_days: age.map(|a| round2(a.days)),
            age_from: age.map(|a| a.from.key()),
            as_of_from: b.inputs.as_of_from.key(),
            missing: explain::missing(b),
            placeholder_flags: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::parse_time;

    #[test]
    fn a_time_is_written_as_format_time_writes_it_repeated_or_not() {
        let times = [
            "2026-11-01T12:00:00.000Z",
            "2026-11-01T12:00:00.000Z",
            "2025-11-14T09:45:46.283Z",
            "2026-11-01T12:00:00.000Z",
            "2026-11-01T12:00:00.001Z",
            "2026-11-01T12:00:00.001Z",
        ];
        for t in times {
            let time = MetaValue::Time(parse_time(t).unwrap());
            let mut out = Vec::new();
            time.write_json(&mut out);
            assert_eq!(
                out,
                serde_json::to_vec(&format_time(parse_time(t).unwrap())).unwrap()
            );
            assert_eq!(serde_json::to_vec(&time).unwrap(), out);
            assert_eq!(time.to_value(), Value::from(t));
        }
    }

    #[test]
    fn components_are_written_as_their_derived_serialize_writes_them_with_or_without_options() {
        let full = Components {
            activity: Some(41.5),
            quality: 63.21,
            relevance: 0.0,
            composite: 50.07,
            reasons: ["posts 2.7 times a day (top 4% of reference)", "a \"b\""]
                .into_iter()
                .collect(),
            topics: vec!["ai_ml", "open_source"],
            verified_bonus: 2.0,
            account_age_days: Some(3650.25),
            age_from: Some("created_at"),
            as_of_from: "metrics",
            missing: vec!["like_count".into()],
            placeholder_flags: Some(vec!["its name \"Test User\"".into()]),
        };
        let bare = Components {
            activity: None,
            reasons: explain::Reasons::default(),
            topics: vec![],
            account_age_days: None,
            age_from: None,
            missing: vec![],
            placeholder_flags: None,
            ..full.clone()
        };
        for c in [full, bare] {
            let mut out = Vec::new();
            c.write_json(&mut out);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                serde_json::to_string(&c).unwrap()
            );
        }
    }
}
