//! Scoring a JSONL line without building a `serde_json::Value`: the line is read as raw
//! top-level fields, the typed view takes what the model needs, and the scored line is written
//! with every field scoring does not touch copied as it was written (see `dataset::raw`). The
//! bytes are those of `score_record` + `Record::to_line`; tests/integration/score_line.rs pins it. The few
//! lines the raw reader leaves to a full parse (an exponent, a very long number) are scored that
//! way, so every JSON object scores. Not here: the model, or what is written into `meta` (see `changes`).

use std::borrow::Cow;
use std::sync::OnceLock;

use crate::dataset::raw_object::{Raw, RawObject, write_canonical};
use crate::dataset::{CANONICAL_META_ORDER, CANONICAL_ORDER, ReadLine};

use super::changes::{MetaChange, MetaValue};
use super::json_text::write_key;
use super::score_view;

/// A scored line and what the summary needs of it.
#[derive(Debug, Clone, PartialEq)]
pub struct LineScore {
    /// The scored record, one line in canonical field order, no newline.
    pub line: String,
    /// `None` = unscored.
    pub score: Option<f64>,
    pub flagged: bool,
}

/// What the summary needs of a line scored into a caller's buffer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LineOutcome {
    /// `None` = unscored.
    pub score: Option<f64>,
    pub flagged: bool,
}

/// Scores one JSONL line. `None` when the line is not one JSON object: the caller parses it the
/// ordinary way to say precisely what is wrong with it.
pub fn score_line(text: &str) -> Option<LineScore> {
    let mut out = Vec::new();
    let outcome = score_line_into(text, &mut out)?;
    Some(LineScore {
        line: String::from_utf8(out).expect("JSON text is UTF-8"),
        score: outcome.score,
        flagged: outcome.flagged,
    })
}

/// [`score_line`] into `out` (cleared first; UTF-8 JSON text, no newline), so that a caller
/// scoring millions of lines can reuse its buffers instead of allocating one per line.
pub fn score_line_into(text: &str, out: &mut Vec<u8>) -> Option<LineOutcome> {
    out.clear();
    score_line_onto(text, out)
}

/// [`score_line`] appended to `out` (no newline), so that many lines can share one buffer.
/// On `None` `out` is as it was.
pub fn score_line_onto(text: &str, out: &mut Vec<u8>) -> Option<LineOutcome> {
    match ReadLine::read(text) {
        Ok(read) => Some(score_raw_onto(text, read, out)),
        // Valid JSON the raw path leaves to a full parse (an exponent, a lone surrogate...).
        Err(_) => score_parsed_onto(text, out),
    }
}

/// The slow way, for the few lines the raw path refuses: parsed whole, scored in memory,
/// written back. `None` when the line is not one JSON object.
fn score_parsed_onto(text: &str, out: &mut Vec<u8>) -> Option<LineOutcome> {
    let mut record = crate::dataset::parse_line(0, text).ok()?;
    let scoring = score_view(&record.view());
    scoring.apply(record.meta_mut());
    out.extend_from_slice(record.to_line().as_bytes());
    Some(LineOutcome {
        score: scoring.score,
        flagged: scoring.flagged,
    })
}

fn score_raw_onto(text: &str, read: ReadLine<'_>, out: &mut Vec<u8>) -> LineOutcome {
    let ReadLine { top, meta, view } = read;
    // A `meta` that is not an object is replaced by one, as `Record::meta_mut` does.
    let meta = top.get("meta").map(|_| meta.unwrap_or_default());
    let scoring = score_view(&view);

    // Room for what scoring adds, so that applying the changes does not grow the list.
    let mut entries: Vec<(Cow<'_, str>, Entry<'_>)> = Vec::with_capacity(
        meta.as_ref().map_or(0, |m| m.entries().size_hint().0) + scoring.changes.len(),
    );
    entries.extend(
        meta.iter()
            .flat_map(RawObject::entries)
            .map(|(k, v)| (Cow::Borrowed(k), Entry::Raw(v))),
    );
    for change in &scoring.changes {
        apply(&mut entries, change);
    }

    // Scoring adds about 700 bytes to a record (breakdown, reasons, version, times).
    out.reserve(text.len() + 1024);
    out.push(b'{');
    let mut field = Keys::default();
    // Each key is looked up in the canonical order once (keys of an object are unique).
    let mut placed: [Option<Raw<'_>>; CANONICAL_ORDER.len()] = [None; CANONICAL_ORDER.len()];
    let mut others = false;
    for (key, raw) in top.entries() {
        match top_position(key) {
            Some(i) => placed[i] = Some(raw),
            None => others = true,
        }
    }
    let quoted = quoted_keys();
    for (i, raw) in placed.into_iter().enumerate() {
        // Scoring always writes meta, so it has its place even when the line had none.
        if i == quoted.meta_at {
            field.write_quoted(out, &quoted.top[i]);
            write_meta(out, &entries, &quoted.meta);
        } else if let Some(raw) = raw {
            field.write_quoted(out, &quoted.top[i]);
            write_canonical(out, raw);
        }
    }
    if others {
        for (key, raw) in top.entries() {
            if top_position(key).is_none() {
                field.write(out, key);
                write_canonical(out, raw);
            }
        }
    }
    out.push(b'}');
    LineOutcome {
        score: scoring.score,
        flagged: scoring.flagged,
    }
}

/// Writes the keys of one object: a comma before all but the first.
#[derive(Default)]
struct Keys {
    written: bool,
}

impl Keys {
    fn write(&mut self, out: &mut Vec<u8>, key: &str) {
        if std::mem::replace(&mut self.written, true) {
            out.push(b',');
        }
        write_key(out, key);
    }

    /// A key of a canonical order, as [`QuotedKeys`] holds it: one copy, comma included.
    fn write_quoted(&mut self, out: &mut Vec<u8>, comma_key: &[u8]) {
        let first = !std::mem::replace(&mut self.written, true);
        out.extend_from_slice(&comma_key[usize::from(first)..]);
    }
}

/// The keys of the canonical orders as written after another key: `,"key":`. Every scored line
/// writes about thirty of them, so each is one copy instead of a comma, quotes and a colon.
struct QuotedKeys {
    top: Vec<Box<[u8]>>,
    meta: Vec<Box<[u8]>>,
    /// Where `meta` is in the top-level order.
    meta_at: usize,
}

fn quoted_keys() -> &'static QuotedKeys {
    static KEYS: OnceLock<QuotedKeys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let quote = |order: &[&str]| -> Vec<Box<[u8]>> {
            order
                .iter()
                .map(|key| {
                    let mut text = vec![b','];
                    write_key(&mut text, key);
                    text.into_boxed_slice()
                })
                .collect()
        };
        QuotedKeys {
            top: quote(CANONICAL_ORDER),
            meta: quote(CANONICAL_META_ORDER),
            meta_at: top_position("meta").expect("the canonical order places meta"),
        }
    })
}

/// Where `key` is in [`CANONICAL_ORDER`]. A `match` on literal keys compares a few machine
/// words instead of calling `memcmp` per candidate, for the ~15 keys of every line; a unit test
/// pins it to the list.
fn top_position(key: &str) -> Option<usize> {
    Some(match key {
        "id" => 0,
        "handle" => 1,
        "name" => 2,
        "verified" => 3,
        "followers_count" => 4,
        "is_org" => 5,
        "is_official" => 6,
        "lang_primary" => 7,
        "topic_tags" => 8,
        "created_at" => 9,
        "description" => 10,
        "url" => 11,
        "location" => 12,
        "protected" => 13,
        "public_metrics" => 14,
        "meta" => 15,
        "ext" => 16,
        _ => return None,
    })
}

/// Where `key` is in [`CANONICAL_META_ORDER`] (as [`top_position`]).
fn meta_position(key: &str) -> Option<usize> {
    Some(match key {
        "score" => 0,
        "score_state" => 1,
        "score_version" => 2,
        "score_components" => 3,
        "as_of" => 4,
        "last_refresh_at" => 5,
        "sources" => 6,
        "provenance_hash" => 7,
        "entry_threshold_passed" => 8,
        "quality_score" => 9,
        "rank_global" => 10,
        "last_active_at" => 11,
        "activity_metrics" => 12,
        _ => return None,
    })
}

/// A `meta` field: as written, or as scoring sets it.
enum Entry<'a> {
    Raw(Raw<'a>),
    New(&'a MetaValue),
}

fn apply<'a>(entries: &mut Vec<(Cow<'a, str>, Entry<'a>)>, change: &'a MetaChange) {
    let position = |entries: &Vec<(Cow<'a, str>, Entry<'a>)>, key: &str| {
        entries.iter().position(|(k, _)| k == key)
    };
    match change {
        MetaChange::Set(key, value) => match position(entries, key) {
            Some(i) => entries[i].1 = Entry::New(value),
            None => entries.push((Cow::Borrowed(key), Entry::New(value))),
        },
        MetaChange::Remove(key) => {
            if let Some(i) = position(entries, key) {
                entries.remove(i);
            }
        }
        MetaChange::ScoreToPrevious => {
            if let Some(i) = position(entries, "score") {
                let (_, old) = entries.remove(i);
                match position(entries, "previous_score") {
                    Some(j) => entries[j].1 = old,
                    None => entries.push((Cow::Borrowed("previous_score"), old)),
                }
            }
        }
    }
}

fn write_meta(out: &mut Vec<u8>, entries: &[(Cow<'_, str>, Entry<'_>)], quoted: &[Box<[u8]>]) {
    out.push(b'{');
    let mut keys = Keys::default();
    let value = |out: &mut Vec<u8>, entry: &Entry<'_>| match entry {
        Entry::Raw(raw) => write_canonical(out, *raw),
        Entry::New(value) => value.write_json(out),
    };
    let mut placed: [Option<usize>; CANONICAL_META_ORDER.len()] =
        [None; CANONICAL_META_ORDER.len()];
    let mut others = false;
    for (at, (key, _)) in entries.iter().enumerate() {
        match meta_position(key) {
            Some(i) => placed[i] = Some(at),
            None => others = true,
        }
    }
    for (i, at) in placed.into_iter().enumerate() {
        if let Some(at) = at {
            keys.write_quoted(out, &quoted[i]);
            value(out, &entries[at].1);
        }
    }
    if others {
        for (k, e) in entries {
            if meta_position(k).is_none() {
                keys.write(out, k);
                value(out, e);
            }
        }
    }
    out.push(b'}');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_positions_are_those_of_the_canonical_orders() {
        for (i, key) in CANONICAL_ORDER.iter().enumerate() {
            assert_eq!(top_position(key), Some(i), "{key}");
        }
        for (i, key) in CANONICAL_META_ORDER.iter().enumerate() {
            assert_eq!(meta_position(key), Some(i), "{key}");
        }
        for other in [
            "",
            "Id",
            "ids",
            "meta ",
            "zeta",
            "previous_score",
            "unscored_reason",
        ] {
            assert_eq!(top_position(other), None, "{other}");
            assert_eq!(meta_position(other), None, "{other}");
        }
    }
}
