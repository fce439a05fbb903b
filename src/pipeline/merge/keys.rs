//! The matching key of a stored JSONL line (id, folded handle, `meta.score_version`), read
//! without building the whole record: the existing dataset can hold millions of lines and most
//! of them are only copied. Not here: full records (see `dataset`).

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, IgnoredAny, MapAccess, Visitor};

use crate::dataset::LineError;

/// What the merge needs to know about a line it may copy verbatim. Borrows from the line
/// whenever the JSON string needs no unescaping, so that a million lines cost no allocation.
#[derive(Debug, Clone, PartialEq, Default)]
pub(super) struct LineKey<'a> {
    pub id: Option<Cow<'a, str>>,
    /// `Record::handle_key` of the line, computed the same way.
    pub handle_key: Option<Cow<'a, str>>,
    pub score_version: Option<Cow<'a, str>>,
}

/// Folds a handle exactly as `Record::handle_key` does.
pub(crate) fn fold_handle(handle: &str) -> String {
    handle.trim_start_matches('@').to_ascii_lowercase()
}

/// The merge's identity rule for a record whose folded handle no author holds yet, but whose id
/// an author (`owner`) already does: the record is that author when the owner has no handle yet,
/// or when the record names one of the owner's handles among its `aliases` (a rename written by
/// the refresh); otherwise it is another author claiming the same id (an id collision), kept
/// apart and reported, since a merge never makes an author disappear on an id alone. The merge's
/// grouping and the history's keys both decide with this, so they never disagree on who is who.
pub(crate) fn joins_id_owner(
    owner_named: bool,
    owner_holds: impl Fn(&str) -> bool,
    aliases: &[String],
) -> bool {
    !owner_named || aliases.iter().any(|a| owner_holds(a))
}

/// `meta.aliases` (the handles an author had before a rename), folded as handles are; anything
/// but an array of strings names none.
pub(crate) fn fold_aliases(aliases: &serde_json::Value) -> Vec<String> {
    aliases
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str())
                .map(fold_handle)
                .collect()
        })
        .unwrap_or_default()
}

/// `fold_handle` without a copy when the handle is already folded.
fn fold_handle_cow(handle: Cow<'_, str>) -> Cow<'_, str> {
    let folded = !handle.starts_with('@') && !handle.bytes().any(|b| b.is_ascii_uppercase());
    if folded {
        handle
    } else {
        Cow::Owned(fold_handle(&handle))
    }
}

#[derive(Deserialize)]
struct KeyFields<'a> {
    #[serde(default, borrow)]
    id: TextOrOther<'a>,
    #[serde(default, borrow)]
    handle: TextOrOther<'a>,
    #[serde(default, borrow)]
    username: TextOrOther<'a>,
    #[serde(default, borrow)]
    meta: MetaScoreVersion<'a>,
}

/// A JSON string (borrowed when it has no escapes); any other JSON value is skipped as None,
/// the way `Record`'s accessors see a non-string `id` or `handle`.
#[derive(Default)]
struct TextOrOther<'a>(Option<Cow<'a, str>>);

impl<'de: 'a, 'a> Deserialize<'de> for TextOrOther<'a> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct TextVisitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for TextVisitor<'a> {
            type Value = TextOrOther<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(TextOrOther(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(TextOrOther(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(TextOrOther(Some(Cow::Owned(v))))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(TextOrOther(None))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(TextOrOther(None))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(TextOrOther(None))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(TextOrOther(None))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(TextOrOther(None))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(TextOrOther(None))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(TextOrOther(None))
            }
        }
        d.deserialize_any(TextVisitor(std::marker::PhantomData))
    }
}

/// `meta.score_version` if `meta` is an object holding a string there; anything else is skipped.
#[derive(Default)]
struct MetaScoreVersion<'a>(Option<Cow<'a, str>>);

impl<'de: 'a, 'a> Deserialize<'de> for MetaScoreVersion<'a> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct MetaVisitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for MetaVisitor<'a> {
            type Value = MetaScoreVersion<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut found = None;
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    if key == "score_version" {
                        found = map.next_value::<TextOrOther<'a>>()?.0;
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(MetaScoreVersion(found))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(MetaScoreVersion(None))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(MetaScoreVersion(None))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(MetaScoreVersion(None))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(MetaScoreVersion(None))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(MetaScoreVersion(None))
            }
            fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
                Ok(MetaScoreVersion(None))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(MetaScoreVersion(None))
            }
        }
        d.deserialize_any(MetaVisitor(std::marker::PhantomData))
    }
}

/// Reads the key of one line (`line` is 1-based, for the error). The whole line is still
/// checked to be one valid JSON object.
pub(super) fn line_key(line: usize, text: &str) -> Result<LineKey<'_>, LineError> {
    let trimmed = text.trim_start();
    if !trimmed.starts_with('{') {
        // Same words as `parse_line` for a line that is JSON but not an object.
        return crate::dataset::parse_line(line, text).map(|_| LineKey::default());
    }
    let fields: KeyFields = serde_json::from_str(text).map_err(|e| LineError::InvalidJson {
        line,
        reason: e.to_string(),
    })?;
    let handle = fields.handle.0.or(fields.username.0);
    Ok(LineKey {
        id: fields.id.0,
        handle_key: handle.map(fold_handle_cow),
        score_version: fields.meta.0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::parse_line;

    #[test]
    fn the_key_matches_what_the_full_record_says() {
        for text in [
            r#"{"id":"12","handle":"@Jack","meta":{"score":1,"score_version":"m2-1","sources":[]}}"#,
            r#"{"username":"Bob","id":7,"meta":null}"#,
            r#"{"handle":5,"username":"carol","meta":[1,2]}"#,
            r#"{"name":"no key at all","meta":"x"}"#,
            r#"{"id":{"nested":[1]},"handle":"plain_lower","meta":{"score_version":7}}"#,
            r#"{"id":"1","handle":"Esc\u0041ped","username":"ignored"}"#,
        ] {
            let key = line_key(1, text).unwrap();
            let record = parse_line(1, text).unwrap();
            assert_eq!(key.id.as_deref(), record.id(), "{text}");
            assert_eq!(
                key.handle_key.as_deref(),
                record.handle_key().as_deref(),
                "{text}"
            );
        }
        assert_eq!(
            line_key(1, r#"{"meta":{"score_version":"m2-1"}}"#)
                .unwrap()
                .score_version
                .as_deref(),
            Some("m2-1")
        );
    }

    #[test]
    fn a_broken_line_is_an_error_naming_its_line() {
        assert!(matches!(
            line_key(9, r#"{"id":"1","handle":"a""#),
            Err(LineError::InvalidJson { line: 9, .. })
        ));
        assert!(matches!(
            line_key(4, "[1]"),
            Err(LineError::NotAnObject { line: 4, .. })
        ));
    }
}
