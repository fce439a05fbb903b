//! What custody reads of one responses.jsonl line: whether it is a 200 answer, and for each
//! user object in its body's `data`, the exact bytes received and where the API fields' texts
//! lie in them, found in one serde_json pass over the line (the line read as a
//! [`StoredAnswer`] whose body keeps only the `data` items). An item's bytes are told by its
//! first key's and last value's places (serde_json hands both out as slices of the line), so
//! no item is read twice. The few items that cannot be placed that way (not objects, empty,
//! a first key with escapes) and the single-user endpoints' answers (`data` one object) are
//! read the longer way ([`UsersBody::user_texts`]), which gives the same bytes.
//!
//! Why one pass: reading the body as raw text, then its entries, then `data`'s items walked the
//! same bytes three times; `perf record` of `influx audit --runs` on 960k records
//! put that walking at 15% of the command's samples, and reading each user object again to
//! prove a record against it at another 10%.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::answer_fields::{FieldPlaces, UserTexts};
use crate::dataset::raw_entries::Key;
use crate::pipeline::harvest::outputs::StoredAnswer;
use crate::pipeline::harvest::xapi::UsersBody;

/// One user object an answer held: its bytes as received, and where its API fields lie in
/// them (`None`: an object too large to place, read again when a record is proved).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct AnswerUser<'a> {
    pub text: &'a str,
    pub places: Option<FieldPlaces>,
}

impl<'a> AnswerUser<'a> {
    /// An item found some other way: its fields are placed by walking it.
    fn walked(text: &'a str) -> AnswerUser<'a> {
        AnswerUser {
            text,
            places: UserTexts::read(text).places(text),
        }
    }
}

/// The user objects of a 200 answer line; `None` for any other line (an error answer, a torn
/// line, a body that is not an object with a `data` list).
pub(super) fn answer_users(line: &str) -> Option<Vec<AnswerUser<'_>>> {
    let stored: StoredAnswer<'_, DataItems<'_>> = StoredAnswer::read(line)?;
    if stored.status != Some(200) {
        return None;
    }
    let placed = match stored.body? {
        DataItems::Items(items) => items
            .into_iter()
            .map(|item| item?.placed(line))
            .collect::<Option<Vec<_>>>(),
        DataItems::NotUsers => return None,
        DataItems::OneObject => None,
    };
    if placed.is_some() {
        return placed;
    }
    let stored: StoredAnswer<'_> = StoredAnswer::read(line)?;
    let texts = UsersBody::user_texts(stored.body?)?;
    Some(texts.into_iter().map(AnswerUser::walked).collect())
}

/// Where an object lies in `line`, told by its first key and its last value as serde_json
/// handed them out (slices of the line): from the `{` before the key to the `}` after the
/// value (serde_json checked that only whitespace lies between). `None` for an empty object or
/// one whose first key has escapes (serde_json then hands out a copy, not a slice).
#[derive(Debug, Default, PartialEq)]
struct Ends<'a> {
    first_key: Option<&'a str>,
    last_value: Option<&'a str>,
    /// A key was met (the first one is noted, or was not borrowed).
    keyed: bool,
}

impl<'a> Ends<'a> {
    // The key's variant is the point: only a borrowed one tells where it lies.
    #[allow(clippy::ptr_arg)]
    fn key(&mut self, key: &Cow<'a, str>) {
        if !self.keyed {
            self.keyed = true;
            if let Cow::Borrowed(k) = key {
                self.first_key = Some(k);
            }
        }
    }

    fn text_in(&self, line: &'a str) -> Option<&'a str> {
        let base = line.as_ptr() as usize;
        let key = (self.first_key?.as_ptr() as usize).checked_sub(base)?;
        let last = self.last_value?;
        let end = (last.as_ptr() as usize).checked_sub(base)? + last.len();
        let bytes = line.as_bytes();
        // The key's opening quote, then whitespace back to the brace.
        let before = bytes.get(..key.checked_sub(1)?)?;
        let start = before.iter().rposition(|b| !b.is_ascii_whitespace())?;
        let after = bytes.get(end..)?;
        let close = end + after.iter().position(|b| !b.is_ascii_whitespace())?;
        if bytes[start] != b'{' || bytes[close] != b'}' || bytes[key - 1] != b'"' {
            return None;
        }
        Some(&line[start..=close])
    }
}

/// One item of a `data` list as the pass read it: where it lies, the texts of its API fields'
/// keys, and where its (last) `public_metrics` object lies.
#[derive(Debug, PartialEq)]
struct Item<'a> {
    ends: Ends<'a>,
    texts: UserTexts<'a>,
    /// `None`: no `public_metrics`, or one that is not an object (then it cannot be placed).
    metrics: Option<Metrics<'a>>,
    /// A (last) `public_metrics` that was not an object, or an empty one.
    unplaced_metrics: bool,
    /// The last value was `public_metrics` (its end is known once it is placed).
    last_is_metrics: bool,
}

impl<'a> Item<'a> {
    /// The item as a user object of `line`; `None` when it cannot be placed.
    fn placed(mut self, line: &'a str) -> Option<AnswerUser<'a>> {
        if self.unplaced_metrics {
            return None;
        }
        let metrics = match &self.metrics {
            Some(m) => Some((m.ends.text_in(line)?, m.followers)),
            None => None,
        };
        if self.last_is_metrics {
            self.ends.last_value = metrics.map(|(text, _)| text);
        }
        let text = self.ends.text_in(line)?;
        if let Some((metrics, followers)) = metrics {
            self.texts.note_metrics(metrics, followers);
        }
        Some(AnswerUser {
            text,
            places: self.texts.places(text),
        })
    }
}

/// A user object's `public_metrics` object: where it lies and its (last) `followers_count`.
#[derive(Debug, Default, PartialEq)]
struct Metrics<'a> {
    ends: Ends<'a>,
    followers: Option<&'a str>,
}

/// A body as custody reads it: its (last) `data` key's items.
#[derive(Debug, PartialEq)]
enum DataItems<'a> {
    /// `data` a list (its items) or absent (none).
    Items(Vec<Option<Item<'a>>>),
    /// `data` one object: the single-user endpoints' shape.
    OneObject,
    /// The body is not an object, or its `data` neither a list nor an object.
    NotUsers,
}

impl<'de> Deserialize<'de> for DataItems<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(Body)
    }
}

/// The visits of the values that are neither a list nor an object: none holds users.
macro_rules! not_users {
    () => {
        not_users!(visit_bool(bool), visit_i64(i64), visit_u64(u64), visit_f64(f64), visit_str(&str), visit_unit());
    };
    ($($visit:ident($($t:ty)?)),*) => {
        $(fn $visit<E: serde::de::Error>(self $(, _: $t)?) -> Result<Self::Value, E> {
            Ok(DataItems::NotUsers)
        })*
    };
}

struct Body;

impl<'de> Visitor<'de> for Body {
    type Value = DataItems<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an answer's body")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut data = DataItems::Items(Vec::new());
        while let Some(IsData(is_data)) = map.next_key()? {
            if is_data {
                data = map.next_value_seed(Data)?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(data)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(DataItems::NotUsers)
    }
    not_users!();
}

/// Whether a key is `data` (escaped or not), read without copying it.
struct IsData(bool);

impl<'de> Deserialize<'de> for IsData {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Key;
        impl Visitor<'_> for Key {
            type Value = IsData;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E>(self, v: &str) -> Result<IsData, E> {
                Ok(IsData(v == "data"))
            }
        }
        d.deserialize_str(Key)
    }
}

/// A body's `data`: a list's items kept as their texts.
struct Data;

impl<'de> DeserializeSeed<'de> for Data {
    type Value = DataItems<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Data {
    type Value = DataItems<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an answer's data")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(100));
        while let Some(ReadItem(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(DataItems::Items(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(DataItems::OneObject)
    }
    not_users!();
}

/// One `data` item, read as an [`Item`] when it is an object.
#[derive(Default)]
struct ReadItem<'a>(Option<Item<'a>>);

impl<'de> Deserialize<'de> for ReadItem<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ItemVisitor)
    }
}

struct ItemVisitor;

/// The visits of the values that are not objects: nothing is placed in them (a list is walked
/// to its end).
macro_rules! not_placed {
    () => {
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(Self::Value::default())
        }
        not_placed!(visit_bool(bool), visit_i64(i64), visit_u64(u64), visit_f64(f64), visit_str(&str), visit_unit());
    };
    ($($visit:ident($($t:ty)?)),*) => {
        $(fn $visit<E: serde::de::Error>(self $(, _: $t)?) -> Result<Self::Value, E> {
            Ok(Self::Value::default())
        })*
    };
}

impl<'de> Visitor<'de> for ItemVisitor {
    type Value = ReadItem<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a user object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut item = Item {
            ends: Ends::default(),
            texts: UserTexts::default(),
            metrics: None,
            unplaced_metrics: false,
            last_is_metrics: false,
        };
        while let Some(Key(key)) = map.next_key()? {
            item.ends.key(&key);
            if key == "public_metrics" {
                // Read in place, its followers with it, so that no one reads it again.
                let ReadMetrics(metrics) = map.next_value()?;
                item.unplaced_metrics =
                    metrics.as_ref().is_none_or(|m| m.ends.last_value.is_none());
                item.metrics = metrics;
                item.last_is_metrics = true;
                continue;
            }
            let value: &'de RawValue = map.next_value()?;
            item.texts.note(&key, value.get());
            item.ends.last_value = Some(value.get());
            item.last_is_metrics = false;
        }
        Ok(ReadItem(Some(item)))
    }
    not_placed!();
}

/// A `public_metrics` value, read as [`Metrics`] when it is an object.
#[derive(Default)]
struct ReadMetrics<'a>(Option<Metrics<'a>>);

impl<'de> Deserialize<'de> for ReadMetrics<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ReadMetrics<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("public metrics")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut metrics = Metrics::default();
                while let Some(Key(key)) = map.next_key()? {
                    metrics.ends.key(&key);
                    let value: &'de RawValue = map.next_value()?;
                    if key == "followers_count" {
                        metrics.followers = Some(value.get());
                    }
                    metrics.ends.last_value = Some(value.get());
                }
                Ok(ReadMetrics(Some(metrics)))
            }
            not_placed!();
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reading this replaced, in three passes (raw body, its entries, `data`'s items),
    /// with the full parse for a body that reading refused: the oracle.
    fn by_raw_body(line: &str) -> Option<Vec<String>> {
        let stored: StoredAnswer<'_> = StoredAnswer::read(line)?;
        if stored.status != Some(200) {
            return None;
        }
        let body = stored.body?;
        if let Some(users) = UsersBody::user_texts(body) {
            return Some(users.into_iter().map(str::to_string).collect());
        }
        let parsed = UsersBody::parse(body.get().as_bytes()).ok()?;
        Some(
            parsed
                .data
                .iter()
                .map(|u| u.text.get().to_string())
                .collect(),
        )
    }

    #[test]
    fn the_users_of_an_answer_are_the_texts_the_body_holds() {
        let lines = [
            r#"{"sent_at":"2026-01-01T00:00:00Z","status":200,"body":{"data":[{"id":"1","name":"A \"q\"","username":"a"}, {"id":"2"}],"errors":[{"value":"x"}]}}"#,
            r#"{"status":200,"body":{"data":{"id":"3","username":"c"}}}"#,
            r#"{"status":200,"body":{"errors":[{"value":"x"}]}}"#,
            r#"{"status":200,"body":{"data":[1,"two",null]}}"#,
            r#"{"status":200,"body":{"data":[{"id":"1"}],"data":[{"id":"2"}]}}"#,
            r#"{"status":200,"body":{"data":"no"}}"#,
            r#"{"status":200,"body":{"data":null}}"#,
            r#"{"status":200,"body":[1]}"#,
            r#"{"status":200,"body":null}"#,
            r#"{"status":200}"#,
            r#"{"status":429,"body":{"title":"Too Many Requests"}}"#,
            r#"{"status":200,"body":{"data":[{"id":"2""#,
            r#"{"status":200,"status":200,"body":{"data":[]}}"#,
            r#"{"status":"200","body":{"data":[]}}"#,
            "not json",
            // Placed from their keys and values, whatever the whitespace and nesting:
            "{\"status\":200,\"body\":{\"data\":[ \n{ \"id\" :\"1\",\"public_metrics\":{\"followers_count\":2} } ,\t{\"username\":\"b\",\"x\":[{}]}\r\n]}}",
            // ...or read the longer way: an escaped first key, an empty object, a non-object:
            r#"{"status":200,"body":{"data":[{"\u0069d":"1","name":"n"},{"id":"2"}]}}"#,
            r#"{"status":200,"body":{"data":[{},{"id":"2"}]}}"#,
            r#"{"status":200,"body":{"data":[{"id":"1"},7]}}"#,
            r#"{"status":200,"body":{"data":[{"id":"1","name":"\"}{\""}]}}"#,
            // Metrics read in place: last, repeated, not objects, empty, escaped keys.
            r#"{"status":200,"body":{"data":[{"id":"1","public_metrics":{"followers_count":1,"followers_count":2} },{"id":"2","public_metrics":{"tweet_count":3}}]}}"#,
            r#"{"status":200,"body":{"data":[{"id":"1","public_metrics":{"followers_count":1},"public_metrics":{"followers_count":5},"name":"n"}]}}"#,
            r#"{"status":200,"body":{"data":[{"id":"1","public_metrics":null},{"id":"2","public_metrics":[1,{"a":2}]}]}}"#,
            r#"{"status":200,"body":{"data":[{"id":"1","public_metrics":{}},{"id":"2","public_metrics":{"\u0066ollowers_count":7}}]}}"#,
            r#"{"status":200,"body":{"data":[{"id":"1","public_metrics":{"followers_count":null}}]}}"#,
        ];
        for line in lines {
            let users = answer_users(line);
            let texts = users
                .as_ref()
                .map(|u| u.iter().map(|u| u.text.to_string()).collect());
            assert_eq!(texts, by_raw_body(line), "{line}");
            for user in users.into_iter().flatten() {
                assert_eq!(user, AnswerUser::walked(user.text), "{line}");
            }
        }
        fn texts(line: &str) -> Vec<&str> {
            answer_users(line).unwrap().iter().map(|u| u.text).collect()
        }
        assert_eq!(
            texts(lines[0]),
            vec![
                r#"{"id":"1","name":"A \"q\"","username":"a"}"#,
                r#"{"id":"2"}"#
            ]
        );
        assert_eq!(texts(lines[1]), vec![r#"{"id":"3","username":"c"}"#]);
        assert_eq!(
            texts(lines[15]),
            vec![
                r#"{ "id" :"1","public_metrics":{"followers_count":2} }"#,
                r#"{"username":"b","x":[{}]}"#
            ]
        );
    }
}
