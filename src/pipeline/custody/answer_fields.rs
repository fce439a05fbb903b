//! What an answer's user object says of each field a record takes from the API, read from its
//! bytes when a record is proved against it: the values' JSON text as the answer wrote it (a
//! record written by influx spells them the same way, so comparing is comparing texts). The
//! bytes were checked as JSON when the runs were indexed, so they are only walked.

use std::borrow::Cow;

use serde_json::Value;

use super::claim::API_FIELDS;
use crate::dataset::raw_object::Raw;
use crate::pipeline::harvest::xapi::verified_label_of;

/// `(field, JSON text)` for each of [`API_FIELDS`] the answer carried, in that order. A
/// top-level `null` is not carried (the harvest leaves such a field out of the record).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AnswerFields<'a>(Vec<(&'static str, Cow<'a, str>)>);

impl<'a> AnswerFields<'a> {
    /// The fields of one user object, `text` being its bytes as received: JSON already checked
    /// when the runs were indexed, so it is only walked.
    pub fn read(text: &'a str) -> AnswerFields<'a> {
        let mut user = UserTexts::default();
        // Not an object (an answer's `data` item of another shape): it says nothing.
        let Some(object) = Raw::of(text).object() else {
            return AnswerFields::default();
        };
        for (key, value) in object.entries() {
            let slot = match key {
                "id" => &mut user.id,
                "username" => &mut user.username,
                "name" => &mut user.name,
                "description" => &mut user.description,
                "created_at" => &mut user.created_at,
                "protected" => &mut user.protected,
                "verified" => &mut user.verified,
                "verified_type" => &mut user.verified_type,
                "public_metrics" => &mut user.public_metrics,
                _ => continue,
            };
            *slot = Some(value.get());
        }
        AnswerFields(
            API_FIELDS
                .iter()
                .filter_map(|f| Some((*f, user.value(f)?)))
                .collect(),
        )
    }

    /// The answer's JSON text for `field`; `None` when the answer did not carry it.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.iter().find(|(f, _)| *f == field).map(|(_, t)| &**t)
    }
}

/// The texts of the keys an answer's API fields come from (a repeated key: the last).
#[derive(Default)]
struct UserTexts<'a> {
    id: Option<&'a str>,
    username: Option<&'a str>,
    name: Option<&'a str>,
    description: Option<&'a str>,
    created_at: Option<&'a str>,
    protected: Option<&'a str>,
    verified: Option<&'a str>,
    verified_type: Option<&'a str>,
    public_metrics: Option<&'a str>,
}

impl<'a> UserTexts<'a> {
    /// What the answer says a record field is.
    fn value(&self, field: &str) -> Option<Cow<'a, str>> {
        let carried = |v: Option<&'a str>| v.filter(|t| *t != "null");
        let text = match field {
            "id" => self.id,
            "handle" => self.username,
            "name" => self.name,
            "description" => self.description,
            "created_at" => self.created_at,
            "protected" => self.protected,
            "public_metrics" => self.public_metrics,
            "followers_count" => {
                let metrics = Raw::of(self.public_metrics?).object()?;
                let followers = metrics.get("followers_count").map(|raw| raw.get());
                return followers.map(Cow::Borrowed);
            }
            "verified" => {
                let (kind, legacy) = (carried(self.verified_type), carried(self.verified));
                if kind.is_none() && legacy.is_none() {
                    return None;
                }
                let kind: Option<Cow<'_, str>> = kind.and_then(|t| serde_json::from_str(t).ok());
                let label = verified_label_of(kind.as_deref(), legacy.map(|t| t == "true"));
                return Some(Cow::Owned(Value::from(label).to_string()));
            }
            _ => None,
        };
        carried(text).map(Cow::Borrowed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::harvest::xapi::{ApiUser, verified_label};

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

    #[test]
    fn the_raw_reading_and_the_ordinary_parse_give_the_same_values() {
        let users = [
            r#"{"id":"7","username":"Seven","name":"Séven","created_at":"2020-01-01T00:00:00.000Z","protected":false,"verified_type":"blue","public_metrics":{"followers_count":10,"tweet_count":null}}"#,
            r#"{"id":"8","username":"eight","name":null,"verified":true}"#,
            r#"{"id":"9","username":"nine","verified":false,"description":"a \"quoted\" d"}"#,
            r#"{"id":"1","username":"one","public_metrics":{"following_count":1}}"#,
        ];
        for text in users {
            let raw = AnswerFields::read(text);
            let map: serde_json::Map<String, Value> = serde_json::from_str(text).unwrap();
            for field in API_FIELDS {
                let parsed = map_value(&map, field);
                let read: Option<Value> = raw.get(field).map(|t| serde_json::from_str(t).unwrap());
                assert_eq!(read, parsed, "{field} of {text}");
            }
        }
        let seven = AnswerFields::read(users[0]);
        assert_eq!(seven.get("handle"), Some(r#""Seven""#));
        assert_eq!(seven.get("verified"), Some(r#""blue""#));
        assert_eq!(seven.get("followers_count"), Some("10"));
        assert_eq!(seven.get("description"), None, "not carried, not invented");
        assert_eq!(
            AnswerFields::read(users[1]).get("name"),
            None,
            "null is not carried"
        );
        assert_eq!(
            AnswerFields::read(users[1]).get("verified"),
            Some(r#""legacy""#)
        );
    }
}
