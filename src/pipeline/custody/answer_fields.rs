//! What an answer's user object says of each field a record takes from the API: the values'
//! JSON text as the answer wrote it (a record written by influx spells them the same way, so
//! comparing is comparing texts). Read two ways to the same [`AnswerFields`]: from the places
//! the index noted while it walked the answer ([`FieldPlaces`], no second reading), or by
//! walking the object's bytes ([`AnswerFields::read`], for the objects the index could not
//! place). Which key feeds which field, and what a `null` or a verified type means, is
//! [`UserTexts`]' one rule for both.

use std::borrow::Cow;

use super::claim::API_FIELDS;
use crate::dataset::raw_object::Raw;
use crate::pipeline::harvest::xapi::verified_label_of;

const FIELDS: usize = API_FIELDS.len();
/// The place of `verified` among [`API_FIELDS`]: its value is a label the answer's
/// `verified_type` and `verified` make, not a text of the answer.
const VERIFIED: usize = 5;

/// The labels `verified` can take, and their JSON texts (a test checks that they agree).
const LABELS: [&str; 5] = ["business", "org", "blue", "none", "legacy"];
const QUOTED_LABELS: [&str; 5] = [
    "\"business\"",
    "\"org\"",
    "\"blue\"",
    "\"none\"",
    "\"legacy\"",
];

/// The JSON text of each of [`API_FIELDS`] the answer carried (by its place in that list). A
/// top-level `null` is not carried (the harvest leaves such a field out of the record).
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct AnswerFields<'a>([Option<Cow<'a, str>>; FIELDS]);

impl<'a> AnswerFields<'a> {
    /// The fields of one user object, `text` being its bytes as received: JSON already checked
    /// when the runs were indexed, so it is only walked.
    pub(crate) fn read(text: &'a str) -> AnswerFields<'a> {
        let texts = UserTexts::read(text);
        AnswerFields(std::array::from_fn(|k| texts.value(k)))
    }

    /// The fields of the user object `text`, from the places the index noted in it.
    pub(crate) fn placed(text: &'a str, places: &FieldPlaces) -> AnswerFields<'a> {
        AnswerFields(std::array::from_fn(|k| {
            if k == VERIFIED {
                let label = places.verified.checked_sub(1)?;
                return Some(Cow::Borrowed(QUOTED_LABELS[usize::from(label)]));
            }
            let place = places.texts[k];
            let start = usize::from(place.start);
            (place.len > 0).then(|| Cow::Borrowed(&text[start..start + usize::from(place.len)]))
        }))
    }

    /// The answer's JSON text for the field at place `k` of [`API_FIELDS`]; `None` when the
    /// answer did not carry it.
    pub(crate) fn at(&self, k: usize) -> Option<&str> {
        self.0.get(k)?.as_deref()
    }

    #[cfg(test)]
    /// The answer's JSON text for `field`; `None` when the answer did not carry it.
    pub(crate) fn get(&self, field: &str) -> Option<&str> {
        self.at(super::claim::api_field(field)?)
    }
}

/// Where one field's text lies in its user object: `len` 0 is not carried (no JSON text is
/// empty).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Place {
    start: u16,
    len: u16,
}

/// Where each of [`API_FIELDS`]' texts lies in one user object, offsets from its first byte,
/// and which label `verified` is (0: not carried; else a place in `LABELS`, plus one). Objects
/// of 64 KiB or more are not placed (nor is a label `LABELS` lacks): those are read again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct FieldPlaces {
    texts: [Place; FIELDS],
    verified: u8,
}

/// The texts of the keys an answer's API fields come from (a repeated key: the last), as
/// slices of the user object's text.
#[derive(Debug, Default, PartialEq)]
pub(super) struct UserTexts<'a> {
    id: Option<&'a str>,
    username: Option<&'a str>,
    name: Option<&'a str>,
    description: Option<&'a str>,
    created_at: Option<&'a str>,
    protected: Option<&'a str>,
    verified: Option<&'a str>,
    verified_type: Option<&'a str>,
    public_metrics: Option<&'a str>,
    /// `public_metrics.followers_count`, when the reader that noted `public_metrics` read it
    /// too (`Some(None)`: the metrics hold none); `None`: read it from `public_metrics`.
    followers: Option<Option<&'a str>>,
}

impl<'a> UserTexts<'a> {
    /// Walks a user object's entries; not an object (an answer's `data` item of another
    /// shape): it says nothing.
    pub(super) fn read(text: &'a str) -> UserTexts<'a> {
        let mut user = UserTexts::default();
        if let Some(object) = Raw::of(text).object() {
            for (key, value) in object.entries() {
                user.note(key, value.get());
            }
        }
        user
    }

    /// Notes the text of the value under `key`, when an API field comes from that key.
    pub(super) fn note(&mut self, key: &str, text: &'a str) {
        let slot = match key {
            "id" => &mut self.id,
            "username" => &mut self.username,
            "name" => &mut self.name,
            "description" => &mut self.description,
            "created_at" => &mut self.created_at,
            "protected" => &mut self.protected,
            "verified" => &mut self.verified,
            "verified_type" => &mut self.verified_type,
            "public_metrics" => {
                self.followers = None;
                &mut self.public_metrics
            }
            _ => return,
        };
        *slot = Some(text);
    }

    /// Notes `public_metrics`, an object, and its `followers_count` (its last), read with it.
    pub(super) fn note_metrics(&mut self, text: &'a str, followers: Option<&'a str>) {
        self.public_metrics = Some(text);
        self.followers = Some(followers);
    }

    /// Where the texts noted lie in `object` (the user object they were read from).
    pub(super) fn places(&self, object: &'a str) -> Option<FieldPlaces> {
        let base = object.as_ptr() as usize;
        let place_of = |text: &str| -> Option<Place> {
            let start = (text.as_ptr() as usize).checked_sub(base)?;
            (start + text.len() <= object.len()).then_some(())?;
            Some(Place {
                start: u16::try_from(start).ok()?,
                len: u16::try_from(text.len()).ok()?,
            })
        };
        let mut places = FieldPlaces::default();
        for k in 0..FIELDS {
            if k == VERIFIED {
                if let Some(label) = self.verified_label() {
                    let at = LABELS.iter().position(|l| *l == label)?;
                    places.verified = at as u8 + 1;
                }
                continue;
            }
            if let Some(text) = self.text(k) {
                places.texts[k] = place_of(text)?;
            }
        }
        Some(places)
    }

    /// What the answer says the field at place `k` of [`API_FIELDS`] is.
    fn value(&self, k: usize) -> Option<Cow<'a, str>> {
        if k == VERIFIED {
            let label = self.verified_label()?;
            return Some(match LABELS.iter().position(|l| *l == label) {
                Some(at) => Cow::Borrowed(QUOTED_LABELS[at]),
                None => Cow::Owned(serde_json::Value::from(label).to_string()),
            });
        }
        self.text(k).map(Cow::Borrowed)
    }

    /// The answer's own text for the field at place `k` (any but `verified`).
    fn text(&self, k: usize) -> Option<&'a str> {
        let carried = |v: Option<&'a str>| v.filter(|t| *t != "null");
        let text = match API_FIELDS[k] {
            "id" => self.id,
            "handle" => self.username,
            "name" => self.name,
            "description" => self.description,
            "created_at" => self.created_at,
            "protected" => self.protected,
            "public_metrics" => self.public_metrics,
            "followers_count" => {
                if let Some(followers) = self.followers {
                    return followers;
                }
                let metrics = Raw::of(self.public_metrics?).object()?;
                return metrics.get("followers_count").map(|raw| raw.get());
            }
            _ => None,
        };
        carried(text)
    }

    /// The label `verified_type` and the legacy `verified` make; `None` when neither is carried.
    fn verified_label(&self) -> Option<&'static str> {
        let carried = |v: Option<&'a str>| v.filter(|t| *t != "null");
        let (kind, legacy) = (carried(self.verified_type), carried(self.verified));
        if kind.is_none() && legacy.is_none() {
            return None;
        }
        let kind: Option<Cow<'_, str>> = kind.and_then(|t| serde_json::from_str(t).ok());
        Some(verified_label_of(
            kind.as_deref(),
            legacy.map(|t| t == "true"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::harvest::xapi::{ApiUser, verified_label};
    use serde_json::Value;

    /// What the answer says of a field, read the ordinary way (parsed, typed): the oracle.
    fn map_value(user: &serde_json::Map<String, Value>, field: &str) -> Option<Value> {
        let carried = |key: &str| user.get(key).filter(|v| !v.is_null()).cloned();
        match field {
            "handle" => carried("username"),
            "followers_count" => user.get("public_metrics")?.get("followers_count").cloned(),
            "verified" => {
                if carried("verified_type").is_none() && carried("verified").is_none() {
                    return None;
                }
                let typed: ApiUser = serde_json::from_value(Value::Object(user.clone())).ok()?;
                Some(Value::from(verified_label(&typed)))
            }
            other => carried(other),
        }
    }

    const USERS: [&str; 5] = [
        r#"{"id":"7","username":"Seven","name":"Séven","created_at":"2020-01-01T00:00:00.000Z","protected":false,"verified_type":"blue","public_metrics":{"followers_count":10,"tweet_count":null}}"#,
        r#"{"id":"8","username":"eight","name":null,"verified":true}"#,
        r#"{"id":"9","username":"nine","verified":false,"description":"a \"quoted\" d"}"#,
        r#"{"id":"1","username":"one","public_metrics":{"following_count":1}}"#,
        r#"{ "id" : "2" , "id":"3", "username":"two", "verified_type":"government", "public_metrics" : { "followers_count" : 4 , "followers_count":5 } }"#,
    ];

    #[test]
    fn the_raw_reading_and_the_ordinary_parse_give_the_same_values() {
        for text in USERS {
            let raw = AnswerFields::read(text);
            let map: serde_json::Map<String, Value> = serde_json::from_str(text).unwrap();
            for field in API_FIELDS {
                let parsed = map_value(&map, field);
                let read: Option<Value> = raw.get(field).map(|t| serde_json::from_str(t).unwrap());
                assert_eq!(read, parsed, "{field} of {text}");
            }
        }
        let seven = AnswerFields::read(USERS[0]);
        assert_eq!(seven.get("handle"), Some(r#""Seven""#));
        assert_eq!(seven.get("verified"), Some(r#""blue""#));
        assert_eq!(seven.get("followers_count"), Some("10"));
        assert_eq!(seven.get("description"), None, "not carried, not invented");
        let eight = AnswerFields::read(USERS[1]);
        assert_eq!(eight.get("name"), None, "null is not carried");
        assert_eq!(eight.get("verified"), Some(r#""legacy""#));
    }

    #[test]
    fn the_places_the_index_notes_give_what_reading_the_object_gives() {
        for text in USERS {
            let places = UserTexts::read(text).places(text).unwrap();
            assert_eq!(
                AnswerFields::placed(text, &places),
                AnswerFields::read(text),
                "{text}"
            );
        }
        let huge = format!(r#"{{"id":"1","description":"{}"}}"#, "d".repeat(70_000));
        assert_eq!(
            UserTexts::read(&huge).places(&huge),
            None,
            "too large to place: read again"
        );
    }

    #[test]
    fn the_labels_json_texts_are_the_labels_written_as_json() {
        for (label, quoted) in LABELS.iter().zip(QUOTED_LABELS) {
            assert_eq!(serde_json::to_string(label).unwrap(), quoted);
        }
        assert_eq!(API_FIELDS[VERIFIED], "verified");
    }
}
