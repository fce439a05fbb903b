//! What custody reads of one responses.jsonl line: whether it is a 200 answer, and the exact
//! bytes of each user object in its body's `data`, found in one serde_json pass over the line
//! (the line read as a [`StoredAnswer`] whose body keeps only the `data` items' texts). The
//! single-user endpoints' answers (`data` one object, not a list) are read the longer way
//! ([`UsersBody::user_texts`]), which gives the same texts.
//!
//! Why one pass: reading the body as raw text, then its entries, then `data`'s items walked the
//! same bytes three times; `perf record` of `influx audit --runs` on 960k records (2026-12-04)
//! put that walking at 15% of the command's samples.

use std::fmt;

use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use crate::pipeline::harvest::outputs::StoredAnswer;
use crate::pipeline::harvest::xapi::UsersBody;

/// The user objects of a 200 answer line, each as the bytes received; `None` for any other
/// line (an error answer, a torn line, a body that is not an object with a `data` list).
pub fn answer_users(line: &str) -> Option<Vec<&str>> {
    let stored: StoredAnswer<'_, DataItems<'_>> = StoredAnswer::read(line)?;
    if stored.status != Some(200) {
        return None;
    }
    match stored.body? {
        DataItems::Items(users) => Some(users),
        DataItems::NotUsers => None,
        DataItems::OneObject => {
            let stored: StoredAnswer<'_> = StoredAnswer::read(line)?;
            UsersBody::user_texts(stored.body?)
        }
    }
}

/// A body as custody reads it: its (last) `data` key's items.
#[derive(Debug, PartialEq)]
enum DataItems<'a> {
    /// `data` a list (its items' texts) or absent (none).
    Items(Vec<&'a str>),
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
        while let Some(item) = seq.next_element::<&'de RawValue>()? {
            items.push(item.get());
        }
        Ok(DataItems::Items(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(DataItems::OneObject)
    }
    not_users!();
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
        ];
        for line in lines {
            let users = answer_users(line).map(|u| u.into_iter().map(str::to_string).collect());
            assert_eq!(users, by_raw_body(line), "{line}");
        }
        assert_eq!(
            answer_users(lines[0]).unwrap(),
            vec![
                r#"{"id":"1","name":"A \"q\"","username":"a"}"#,
                r#"{"id":"2"}"#
            ]
        );
        assert_eq!(
            answer_users(lines[1]).unwrap(),
            vec![r#"{"id":"3","username":"c"}"#]
        );
    }
}
