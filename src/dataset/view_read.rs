//! Reading a record line's [`AuthorView`] in the same serde_json pass that checks the line and
//! finds its fields (`raw_entries`): the values the view needs are deserialized where they lie,
//! not found first and parsed again. Every value is still checked as a `serde_json::Value` parse
//! checks it, and its compact length worked out as `raw_entries::Checked` works it out, so the
//! raw fields are those [`RawObject::parse_with_inner`] gives. Not here: what the view's fields
//! mean (see `author_view`).
//!
//! Why: `perf record` of `influx score` on 100k records put 17% of its samples in
//! `AuthorView::from_raw`, which parsed `public_metrics`, `topic_tags`, `meta.sources` and the
//! activity blocks a second time from their raw text.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::author_view::{AuthorView, Block, Scalar};
use super::raw_entries::{Checked, CheckedVisitor, Claims, CompactArray, CompactObject, Key};
use super::raw_object::{RawObject, Refused};
use super::{Source, parse_time};

/// A record line read once: its top-level fields and its `meta` as raw text, and its view.
#[derive(Debug, Clone)]
pub struct ReadLine<'a> {
    pub top: RawObject<'a>,
    /// `None` when the line has no `meta` or its `meta` is not an object.
    pub meta: Option<RawObject<'a>>,
    pub view: AuthorView<'a>,
}

impl<'a> ReadLine<'a> {
    /// Reads `text`, which must be one JSON object a `serde_json::Value` parse accepts (else
    /// [`Refused`]). A `meta` that is not an object reads as none; the view has no `meta` fields.
    pub(crate) fn read(text: &'a str) -> Result<Self, Refused> {
        let mut reader = ViewReader::default();
        let (top, meta) = RawObject::parse_claimed(text, "meta", &mut reader)?;
        Ok(ReadLine {
            top,
            meta,
            view: reader.view,
        })
    }

    /// [`ReadLine::read`], refusing besides a `meta` that is there but not an object (the
    /// readers that check records leave that to the full path).
    pub fn read_record(text: &'a str) -> Result<Self, Refused> {
        let line = Self::read(text)?;
        if line.meta.is_none() && line.top.get("meta").is_some() {
            return Err(Refused);
        }
        Ok(line)
    }
}

/// The [`Claims`] that fill an [`AuthorView`].
#[derive(Default)]
struct ViewReader<'a> {
    view: AuthorView<'a>,
}

impl<'de> Claims<'de> for ViewReader<'de> {
    fn claims(&self, key: &str, inner: bool) -> bool {
        if inner {
            matches!(
                key,
                "score"
                    | "score_state"
                    | "as_of"
                    | "last_refresh_at"
                    | "provenance_hash"
                    | "topic_source"
                    | "sources"
                    | "activity_metrics"
            )
        } else {
            matches!(
                key,
                "id" | "handle"
                    | "username"
                    | "name"
                    | "description"
                    | "verified"
                    | "verified_type"
                    | "followers_count"
                    | "created_at"
                    | "lang_primary"
                    | "topic_tags"
                    | "public_metrics"
                    | "ext"
            )
        }
    }

    fn read<D: Deserializer<'de>>(
        &mut self,
        key: &str,
        inner: bool,
        d: D,
    ) -> Result<Option<usize>, D::Error> {
        let view = &mut self.view;
        let slot = match (inner, key) {
            (false, "id") => &mut view.id,
            (false, "handle") => &mut view.handle,
            (false, "username") => &mut view.username,
            (false, "name") => &mut view.name,
            (false, "description") => &mut view.description,
            (false, "verified") => &mut view.verified,
            (false, "verified_type") => &mut view.verified_type,
            (false, "followers_count") => &mut view.followers_count,
            (false, "created_at") => &mut view.created_at,
            (false, "lang_primary") => &mut view.lang_primary,
            (false, "topic_tags") => {
                let (tags, compact) = d.deserialize_any(TagsSeen)?;
                view.topic_tags = tags;
                return Ok(compact);
            }
            (false, "public_metrics") => {
                let (block, compact) = d.deserialize_any(BlockSeen)?;
                view.public_metrics = block;
                return Ok(compact);
            }
            (false, "ext") => {
                let (block, compact) = d.deserialize_any(ExtSeen)?;
                view.ext_activity = block;
                return Ok(compact);
            }
            (true, "score") => &mut view.meta_score,
            (true, "score_state") => &mut view.meta_score_state,
            (true, "as_of") => &mut view.meta_as_of,
            (true, "last_refresh_at") => &mut view.meta_last_refresh_at,
            (true, "provenance_hash") => &mut view.provenance_hash,
            (true, "topic_source") => &mut view.meta_topic_source,
            (true, "sources") => {
                let (sources, compact) = d.deserialize_any(SourcesSeen)?;
                view.sources = sources;
                return Ok(compact);
            }
            (true, "activity_metrics") => {
                let (block, compact) = d.deserialize_any(BlockSeen)?;
                view.meta_activity = block;
                return Ok(compact);
            }
            _ => return Checked::deserialize(d).map(|c| c.compact()),
        };
        let (scalar, compact) = d.deserialize_any(ScalarSeen)?;
        *slot = scalar;
        Ok(compact)
    }

    /// Only the last `meta` counts, as the last value of any repeated key does.
    fn inner_begins(&mut self) {
        let view = &mut self.view;
        view.meta_score = Scalar::Absent;
        view.meta_score_state = Scalar::Absent;
        view.meta_as_of = Scalar::Absent;
        view.meta_last_refresh_at = Scalar::Absent;
        view.provenance_hash = Scalar::Absent;
        view.meta_topic_source = Scalar::Absent;
        view.sources = Vec::new();
        view.meta_activity = None;
    }
}

/// The visits a typed reader does not take: the value is checked (as [`CheckedVisitor`] does)
/// and read as `$none`.
macro_rules! others_checked {
    ($none:expr) => {
        fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Self::Value, E> {
            Ok(($none, CheckedVisitor.visit_bool::<E>(v)?.compact()))
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(($none, CheckedVisitor.visit_i64::<E>(v)?.compact()))
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(($none, CheckedVisitor.visit_u64::<E>(v)?.compact()))
        }
        fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Ok(($none, CheckedVisitor.visit_f64::<E>(v)?.compact()))
        }
        fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
            Ok(($none, CheckedVisitor.visit_borrowed_str::<E>(v)?.compact()))
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(($none, CheckedVisitor.visit_str::<E>(v)?.compact()))
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(($none, CheckedVisitor.visit_unit::<E>()?.compact()))
        }
    };
}

macro_rules! containers_checked {
    ($none:expr) => {
        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            Ok(($none, CheckedVisitor.visit_seq(seq)?.compact()))
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            Ok(($none, CheckedVisitor.visit_map(map)?.compact()))
        }
    };
}

/// A scalar read alone (`Scalar::from_raw`'s fallback) is read as in the pass, its length dropped.
impl<'de> Deserialize<'de> for Scalar<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        ScalarSeen.deserialize(d).map(|(scalar, _)| scalar)
    }
}

/// A [`Scalar`] and its compact length.
struct ScalarSeen;

impl<'de> DeserializeSeed<'de> for ScalarSeen {
    type Value = (Scalar<'de>, Option<usize>);
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ScalarSeen {
    type Value = (Scalar<'de>, Option<usize>);
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
        let scalar = Scalar::Number {
            value: v as f64,
            unsigned: Some(v),
        };
        Ok((scalar, CheckedVisitor.visit_u64::<E>(v)?.compact()))
    }
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
        let scalar = Scalar::Number {
            value: v as f64,
            unsigned: u64::try_from(v).ok(),
        };
        Ok((scalar, CheckedVisitor.visit_i64::<E>(v)?.compact()))
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Self::Value, E> {
        let scalar = Scalar::Number {
            value: v,
            unsigned: None,
        };
        Ok((scalar, CheckedVisitor.visit_f64::<E>(v)?.compact()))
    }
    fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        let compact = CheckedVisitor.visit_borrowed_str::<E>(v)?.compact();
        Ok((Scalar::Text(Cow::Borrowed(v)), compact))
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
        let compact = CheckedVisitor.visit_str::<E>(v)?.compact();
        Ok((Scalar::Text(Cow::Owned(v.to_string())), compact))
    }
    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok((Scalar::Other, CheckedVisitor.visit_bool::<E>(v)?.compact()))
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok((Scalar::Other, CheckedVisitor.visit_unit::<E>()?.compact()))
    }
    containers_checked!(Scalar::Other);
}

/// A flat block of scalars (`public_metrics`, an `activity_metrics`); `None` when not an object.
struct BlockSeen;

impl<'de> Visitor<'de> for BlockSeen {
    type Value = (Option<Block<'de>>, Option<usize>);
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut block = Block::default();
        let mut object = CompactObject::new();
        while let Some(Key(key)) = map.next_key()? {
            let (value, compact) = map.next_value_seed(ScalarSeen)?;
            object.add(&key, compact);
            block.insert(key, value);
        }
        Ok((Some(block), object.compact()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        Ok((None, CheckedVisitor.visit_seq(seq)?.compact()))
    }
    others_checked!(None);
}

/// `ext`, of which the view takes `activity_metrics`.
struct ExtSeen;

impl<'de> Visitor<'de> for ExtSeen {
    type Value = (Option<Block<'de>>, Option<usize>);
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut activity = None;
        let mut object = CompactObject::new();
        while let Some(Key(key)) = map.next_key()? {
            let compact = if key == "activity_metrics" {
                let (block, compact) = map.next_value_seed(Typed(BlockSeen))?;
                activity = block;
                compact
            } else {
                map.next_value::<Checked>()?.compact()
            };
            object.add(&key, compact);
        }
        Ok((activity, object.compact()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        Ok((None, CheckedVisitor.visit_seq(seq)?.compact()))
    }
    others_checked!(None);
}

/// The string entries of `topic_tags`; none when it is not an array.
struct TagsSeen;

impl<'de> Visitor<'de> for TagsSeen {
    type Value = (Vec<Cow<'de, str>>, Option<usize>);
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut tags = Vec::new();
        let mut array = CompactArray::new();
        while let Some((tag, compact)) = seq.next_element_seed(ScalarSeen)? {
            array.add(compact);
            if let Scalar::Text(tag) = tag {
                tags.push(tag);
            }
        }
        Ok((tags, array.compact()))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        Ok((Vec::new(), CheckedVisitor.visit_map(map)?.compact()))
    }
    others_checked!(Vec::new());
}

/// `meta.sources`: its entries that are objects (others skipped, as `Record::sources` does).
struct SourcesSeen;

impl<'de> Visitor<'de> for SourcesSeen {
    type Value = (Vec<Source<'de>>, Option<usize>);
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut sources = Vec::new();
        let mut array = CompactArray::new();
        while let Some((source, compact)) = seq.next_element_seed(Typed(SourceSeen))? {
            array.add(compact);
            sources.extend(source);
        }
        Ok((sources, array.compact()))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        Ok((Vec::new(), CheckedVisitor.visit_map(map)?.compact()))
    }
    others_checked!(Vec::new());
}

/// One entry of `meta.sources`; `None` when it is not an object.
struct SourceSeen;

impl<'de> Visitor<'de> for SourceSeen {
    type Value = (Option<Source<'de>>, Option<usize>);
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut method, mut fetched_at, mut evidence) =
            (Scalar::Absent, Scalar::Absent, Scalar::Absent);
        let mut object = CompactObject::new();
        while let Some(Key(key)) = map.next_key()? {
            let slot = match &*key {
                "method" => &mut method,
                "fetched_at" => &mut fetched_at,
                "evidence" => &mut evidence,
                _ => {
                    object.add(&key, map.next_value::<Checked>()?.compact());
                    continue;
                }
            };
            let (value, compact) = map.next_value_seed(ScalarSeen)?;
            *slot = value;
            object.add(&key, compact);
        }
        let text = |s: Scalar<'de>| match s {
            Scalar::Text(s) => Some(s),
            _ => None,
        };
        let source = Source {
            fetched_at: fetched_at.text().and_then(parse_time),
            method: text(method).unwrap_or_default(),
            evidence: text(evidence),
        };
        Ok((Some(source), object.compact()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        Ok((None, CheckedVisitor.visit_seq(seq)?.compact()))
    }
    others_checked!(None);
}

/// A typed visitor used as a seed (`next_value_seed`, `next_element_seed`).
struct Typed<V>(V);

impl<'de, V: Visitor<'de>> DeserializeSeed<'de> for Typed<V> {
    type Value = V::Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::edited_lines::{edited, edits, seeds};
    use crate::dataset::raw_object::Raw;
    use proptest::prelude::*;
    use serde_json::Value;

    /// What the one pass reads of `text` is what reading it the ordinary way gives: the
    /// same lines refused, the view of the parsed record, and the raw fields
    /// `RawObject::parse_with_inner` finds.
    fn reads_as_value_does(text: &str) {
        let read = ReadLine::read(text);
        let parsed = match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => Some(map),
            _ => None,
        };
        assert_eq!(read.is_ok(), parsed.is_some(), "{text}");
        let (Ok(read), Some(map)) = (read, parsed) else {
            return;
        };
        assert_eq!(read.view, AuthorView::from_map(&map), "{text}");
        let (top, meta) = RawObject::parse_with_inner(text, "meta").expect("read already");
        fn entries<'a>(o: &RawObject<'a>) -> Vec<(String, Raw<'a>)> {
            o.entries().map(|(k, v)| (k.to_string(), v)).collect()
        }
        assert_eq!(entries(&read.top), entries(&top), "{text}");
        assert_eq!(
            read.meta.as_ref().map(entries),
            meta.as_ref().map(entries),
            "{text}"
        );
    }

    #[test]
    fn every_layout_is_read_as_the_parsed_record_reads_it() {
        for text in seeds() {
            reads_as_value_does(&text);
            assert!(ReadLine::read(&text).is_ok(), "{text}");
        }
    }

    #[test]
    fn only_the_last_meta_is_read() {
        let read = ReadLine::read(
            r#"{"meta":{"score":5,"sources":[{"method":"m"}]},"meta":{"as_of":"2026-01-01T00:00:00Z"}}"#,
        )
        .unwrap();
        assert_eq!(read.view.meta_score, Scalar::Absent);
        assert!(read.view.sources.is_empty());
        assert!(read.view.meta_as_of.time().is_some());
        let read = ReadLine::read(r#"{"meta":{"score":5},"meta":7}"#).unwrap();
        assert_eq!(read.view.meta_score, Scalar::Absent);
        assert!(read.meta.is_none());
        assert_eq!(
            ReadLine::read_record(r#"{"meta":{"score":5},"meta":7}"#).err(),
            Some(Refused)
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        /// The contract: edited records (broken or not) read as a `Value` parse reads them.
        #[test]
        fn edited_records_read_as_the_parsed_record_reads_them(
            seed in 0..seeds().len(),
            edits in edits(),
        ) {
            reads_as_value_does(&edited(&seeds()[seed], edits));
        }
    }
}
