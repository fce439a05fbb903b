//! The matching key of a stored JSONL line (id, folded handle, `meta.score_version`), read
//! without building the whole record: the existing dataset can hold millions of lines and most
//! of them are only copied. Not here: full records (see `dataset`).

use std::fmt;

use serde::Deserialize;
use serde::de::{self, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;

use crate::dataset::LineError;

/// What the merge needs to know about a line it may copy verbatim.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LineKey {
    pub id: Option<String>,
    /// `Record::handle_key` of the line, computed the same way.
    pub handle_key: Option<String>,
    pub score_version: Option<String>,
}

/// Folds a handle exactly as `Record::handle_key` does.
pub fn fold_handle(handle: &str) -> String {
    handle.trim_start_matches('@').to_ascii_lowercase()
}

#[derive(Deserialize)]
struct KeyFields {
    #[serde(default)]
    id: Option<Value>,
    #[serde(default)]
    handle: Option<Value>,
    #[serde(default)]
    username: Option<Value>,
    #[serde(default)]
    meta: Option<MetaScoreVersion>,
}

/// `meta.score_version` if `meta` is an object holding a string there; anything else is skipped.
struct MetaScoreVersion(Option<String>);

impl<'de> Deserialize<'de> for MetaScoreVersion {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct MetaVisitor;
        impl<'de> Visitor<'de> for MetaVisitor {
            type Value = MetaScoreVersion;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut found = None;
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    if key == "score_version" {
                        found = map.next_value::<Value>()?.as_str().map(str::to_string);
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
        d.deserialize_any(MetaVisitor)
    }
}

/// Reads the key of one line (`line` is 1-based, for the error). The whole line is still
/// checked to be one valid JSON object.
pub fn line_key(line: usize, text: &str) -> Result<LineKey, LineError> {
    let trimmed = text.trim_start();
    if !trimmed.starts_with('{') {
        // Same words as `parse_line` for a line that is JSON but not an object.
        return crate::dataset::parse_line(line, text).map(|_| LineKey::default());
    }
    let fields: KeyFields = serde_json::from_str(text).map_err(|e| LineError::InvalidJson {
        line,
        reason: e.to_string(),
    })?;
    let as_str = |v: Option<Value>| match v {
        Some(Value::String(s)) => Some(s),
        _ => None,
    };
    let handle = as_str(fields.handle).or_else(|| as_str(fields.username));
    Ok(LineKey {
        id: as_str(fields.id),
        handle_key: handle.as_deref().map(fold_handle),
        score_version: fields.meta.and_then(|m| m.0),
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
        ] {
            let key = line_key(1, text).unwrap();
            let record = parse_line(1, text).unwrap();
            assert_eq!(key.id.as_deref(), record.id(), "{text}");
            assert_eq!(key.handle_key, record.handle_key(), "{text}");
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
