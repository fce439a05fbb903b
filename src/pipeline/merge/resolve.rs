//! Folding every copy of one author (stored rows and batch records) into one record: the newest
//! evidence (`Record::fetched_at`) wins field by field, `meta` and `ext` are resolved per
//! sub-field, `meta.sources` are united (evidence is never thrown away), and every field whose
//! copies disagree is reported as a conflict. Not here: deciding which records are one author.

use std::cmp::Ordering;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::dataset::{Record, format_time, parse_time};

/// Where a copy of a record came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Origin {
    /// `dataset` for the stored dataset, `batch` for an input file.
    pub source: OriginKind,
    pub path: PathBuf,
    /// 1-based line in that file.
    pub line: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OriginKind {
    Dataset,
    Batch,
}

/// One copy of an author, in input order (stored rows first, then batches in the order given).
#[derive(Debug, Clone)]
pub(crate) struct Candidate<'a> {
    pub record: &'a Record,
    pub origin: Origin,
}

/// One value a conflicting field had, and where.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeenValue {
    pub value: Value,
    pub from: Origin,
    pub fetched_at: Option<String>,
}

/// A field whose copies disagreed, with the value kept and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldConflict {
    pub handle: String,
    /// `followers_count`, `meta.score`, `ext.activity_metrics`, ...
    pub field: String,
    /// The value stored before the merge (the first stored row), if any.
    pub old: Option<Value>,
    /// The value after the merge.
    pub new: Value,
    /// Which copy won.
    pub won: Origin,
    pub why: String,
    /// Every copy that carried the field, in input order.
    pub values: Vec<SeenValue>,
}

/// Fields whose objects are resolved key by key rather than as one value.
const NESTED: &[&str] = &["meta", "ext"];

struct Ranked<'a> {
    cand: &'a Candidate<'a>,
    fetched_at: Option<DateTime<Utc>>,
    index: usize,
}

/// Newest evidence first; an undated copy loses to a dated one; a tie goes to the later input.
fn precedence(a: &Ranked, b: &Ranked) -> Ordering {
    a.fetched_at.cmp(&b.fetched_at).then(a.index.cmp(&b.index))
}

/// The one record for an author and the conflicts found on the way. `candidates` is non-empty.
pub(crate) fn resolve(candidates: &[Candidate]) -> (Record, Vec<FieldConflict>) {
    let ranked: Vec<Ranked> = candidates
        .iter()
        .enumerate()
        .map(|(index, cand)| Ranked {
            cand,
            fetched_at: cand.record.fetched_at(),
            index,
        })
        .collect();
    let label = ranked
        .iter()
        .max_by(|a, b| precedence(a, b))
        .map(|r| display_key(r.cand.record))
        .unwrap_or_default();
    let first_stored = candidates
        .iter()
        .find(|c| c.origin.source == OriginKind::Dataset)
        .map(|c| c.record);

    let mut conflicts = Vec::new();
    let mut out = Map::new();
    for key in field_names(candidates.iter().map(|c| c.record.fields())) {
        let nested = NESTED.contains(&key.as_str())
            && candidates
                .iter()
                .filter_map(|c| c.record.get(&key))
                .all(Value::is_object);
        if nested {
            let objects: Vec<Option<&Map<String, Value>>> = ranked
                .iter()
                .map(|r| r.cand.record.get(&key).and_then(Value::as_object))
                .collect();
            let old_obj = first_stored
                .and_then(|r| r.get(&key))
                .and_then(Value::as_object);
            let mut merged = Map::new();
            for sub in field_names(objects.iter().flatten().copied()) {
                let path = format!("{key}.{sub}");
                if let Some(list) = UNITED.iter().find(|l| path == format!("meta.{l}")) {
                    merged.insert(sub, united(&objects, list));
                    continue;
                }
                let values: Vec<Option<&Value>> = objects
                    .iter()
                    .map(|o| o.and_then(|o| o.get(&sub)))
                    .collect();
                let old = old_obj.and_then(|o| o.get(&sub));
                let (value, conflict) = pick(&ranked, &values, &label, &path, old);
                merged.insert(sub, value);
                conflicts.extend(conflict);
            }
            out.insert(key, Value::Object(merged));
        } else {
            let values: Vec<Option<&Value>> =
                ranked.iter().map(|r| r.cand.record.get(&key)).collect();
            let old = first_stored.and_then(|r| r.get(&key));
            let (value, conflict) = pick(&ranked, &values, &label, &key, old);
            out.insert(key, value);
            conflicts.extend(conflict);
        }
    }
    (Record::from_map(out), conflicts)
}

/// What [`resolve`] makes of an author with a single copy, without copying the record when it
/// comes out unchanged: one copy has no conflicts and keeps every field in its place; only its
/// `meta.sources` and `meta.custody` are united (duplicates dropped, put in their fixed order).
/// None when the record already is its own resolution.
pub(crate) fn resolve_alone(record: &Record) -> Option<Record> {
    let meta = record.get("meta").and_then(Value::as_object)?;
    let changed: Vec<(&str, Value)> = UNITED
        .iter()
        .filter_map(|list| {
            let stored = meta.get(*list)?;
            let value = united(&[Some(meta)], list);
            (value != *stored).then_some((*list, value))
        })
        .collect();
    if changed.is_empty() {
        return None;
    }
    let mut out = record.clone();
    for (list, value) in changed {
        out.meta_mut().insert(list.to_string(), value);
    }
    Some(out)
}

/// The union of the keys of several objects, in first-seen order.
fn field_names<'a>(maps: impl Iterator<Item = &'a Map<String, Value>>) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for m in maps {
        for k in m.keys() {
            if !names.iter().any(|n| n == k) {
                names.push(k.clone());
            }
        }
    }
    names
}

/// The winning value of one field among the copies that carry it, and the conflict if they differ.
fn pick(
    ranked: &[Ranked],
    values: &[Option<&Value>],
    label: &str,
    field: &str,
    old: Option<&Value>,
) -> (Value, Option<FieldConflict>) {
    let carrying: Vec<(&Ranked, &Value)> = ranked
        .iter()
        .zip(values)
        .filter_map(|(r, v)| v.map(|v| (r, v)))
        .collect();
    let (winner, value) = carrying
        .iter()
        .copied()
        .max_by(|a, b| precedence(a.0, b.0))
        .expect("a field is picked only when some copy carries it");
    let disagree = carrying.iter().any(|(_, v)| *v != value);
    if !disagree {
        return (value.clone(), None);
    }
    let runner_up = carrying
        .iter()
        .filter(|(r, _)| r.index != winner.index)
        .max_by(|a, b| precedence(a.0, b.0))
        .map(|(r, _)| r);
    let why = match (winner.fetched_at, runner_up.and_then(|r| r.fetched_at)) {
        (Some(w), Some(l)) if w > l => format!(
            "newest evidence: fetched {} (the next newest copy {})",
            format_time(w),
            format_time(l)
        ),
        (Some(w), None) => format!(
            "newest evidence: fetched {}; the other copies carry no fetch time",
            format_time(w)
        ),
        (Some(w), Some(_)) => format!(
            "copies fetched at the same time ({}): the later input wins",
            format_time(w)
        ),
        (None, _) => "no copy carries a fetch time: the later input wins".to_string(),
    };
    let conflict = FieldConflict {
        handle: label.to_string(),
        field: field.to_string(),
        old: old.cloned(),
        new: value.clone(),
        won: winner.cand.origin.clone(),
        why,
        values: carrying
            .iter()
            .map(|(r, v)| SeenValue {
                value: (*v).clone(),
                from: r.cand.origin.clone(),
                fetched_at: r.fetched_at.map(format_time),
            })
            .collect(),
    };
    (value.clone(), Some(conflict))
}

/// The `meta` lists a merge unites rather than picks: every source of the record's evidence,
/// and every answer it was built from (its chain of custody), so that no copy's is lost.
const UNITED: [&str; 2] = ["sources", "custody"];

/// Every distinct `meta.<list>` entry of every copy, in a fixed order (by fetch time, then by
/// text) so that merging the same evidence twice gives the same record.
fn united(objects: &[Option<&Map<String, Value>>], list: &str) -> Value {
    let mut all: Vec<Value> = Vec::new();
    for obj in objects.iter().flatten() {
        match obj.get(list) {
            Some(Value::Array(items)) => {
                for item in items {
                    if !all.contains(item) {
                        all.push(item.clone());
                    }
                }
            }
            Some(other) if !all.contains(other) => all.push(other.clone()),
            _ => {}
        }
    }
    let mut keyed: Vec<(Option<DateTime<Utc>>, String, Value)> = all
        .into_iter()
        .map(|v| {
            let at = v
                .get("fetched_at")
                .and_then(Value::as_str)
                .and_then(parse_time);
            (at, v.to_string(), v)
        })
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    Value::Array(keyed.into_iter().map(|(_, _, v)| v).collect())
}

/// How an author is named in reports: the handle as stored, else `id:<id>`.
pub(crate) fn display_key(record: &Record) -> String {
    record
        .handle()
        .map(str::to_string)
        .or_else(|| record.id().map(|id| format!("id:{id}")))
        .unwrap_or_else(|| "(no id, no handle)".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rec(v: Value) -> Record {
        Record::from_value(v).unwrap()
    }

    fn origin(kind: OriginKind, line: usize) -> Origin {
        Origin {
            source: kind,
            path: "x.jsonl".into(),
            line,
        }
    }

    #[test]
    fn the_newest_copy_wins_each_field_and_older_copies_fill_what_it_lacks() {
        let old = rec(
            json!({"handle":"a","followers_count":10,"lang_primary":"en",
            "meta":{"score":1.0,"sources":[{"method":"m","fetched_at":"2025-01-01T00:00:00Z"}]}}),
        );
        let new = rec(json!({"handle":"a","followers_count":20,
            "meta":{"score":2.0,"sources":[{"method":"m","fetched_at":"2025-02-01T00:00:00Z"}]}}));
        let (merged, conflicts) = resolve(&[
            Candidate {
                record: &new,
                origin: origin(OriginKind::Dataset, 1),
            },
            Candidate {
                record: &old,
                origin: origin(OriginKind::Batch, 1),
            },
        ]);
        assert_eq!(merged.get("followers_count"), Some(&json!(20)));
        assert_eq!(merged.get("lang_primary"), Some(&json!("en")));
        assert_eq!(merged.meta().unwrap().get("score"), Some(&json!(2.0)));
        assert_eq!(
            merged.sources().len(),
            2,
            "both pieces of evidence are kept"
        );
        let fields: Vec<&str> = conflicts.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, ["followers_count", "meta.score"]);
        assert_eq!(conflicts[0].old, Some(json!(20)));
        assert_eq!(conflicts[0].won.source, OriginKind::Dataset);
        assert!(conflicts[0].why.contains("newest evidence"));
    }

    #[test]
    fn a_single_copy_resolves_alone_to_what_resolve_makes_of_it_field_order_included() {
        let copies = [
            json!({"handle":"a","meta":{"score":1,"sources":[
                {"fetched_at":"2025-01-01T00:00:00Z"},{"fetched_at":"2025-02-01T00:00:00Z"}]}}),
            json!({"handle":"a","meta":{"sources":[
                {"fetched_at":"2025-02-01T00:00:00Z"},{"fetched_at":"2025-01-01T00:00:00Z"}],"z":1}}),
            json!({"handle":"a","meta":{"sources":[{"m":1},{"m":1},{"m":0}]}}),
            json!({"handle":"a","meta":{"sources":{"m":1}}}),
            json!({"handle":"a","meta":{"sources":null}}),
            json!({"handle":"a","meta":{"sources":[]}}),
            json!({"handle":"a","meta":{"score":2}}),
            json!({"handle":"a","meta":"not an object"}),
            json!({"x":[1,2],"handle":"a","ext":{"b":1,"a":2}}),
            json!({"handle":"a","meta":{"custody":[
                {"run":"r2","fetched_at":"2025-02-01T00:00:00Z"},{"run":"r1","fetched_at":"2025-01-01T00:00:00Z"}]}}),
            json!({"handle":"a","meta":{"custody":[{"run":"r1"},{"run":"r1"}]}}),
        ];
        for copy in copies {
            let record = rec(copy.clone());
            let (resolved, conflicts) = resolve(&[Candidate {
                record: &record,
                origin: origin(OriginKind::Batch, 1),
            }]);
            assert!(conflicts.is_empty());
            let alone = resolve_alone(&record);
            let alone = alone.as_ref().unwrap_or(&record);
            assert_eq!(alone.to_line(), resolved.to_line(), "{copy}");
            assert_eq!(alone, &resolved, "{copy}");
        }
    }

    #[test]
    fn a_merged_record_keeps_the_custody_references_of_every_copy() {
        let stored = rec(json!({"handle":"a","followers_count":10,"meta":{"custody":[
            {"run":"r1","response_line":1,"sha256":"aa","fetched_at":"2025-01-01T00:00:00.000Z"}]}}));
        let fresh = rec(json!({"handle":"a","followers_count":20,"meta":{"custody":[
            {"run":"r2","response_line":4,"sha256":"bb","fetched_at":"2025-02-01T00:00:00.000Z"}]}}));
        let (merged, _) = resolve(&[
            Candidate {
                record: &stored,
                origin: origin(OriginKind::Dataset, 1),
            },
            Candidate {
                record: &fresh,
                origin: origin(OriginKind::Batch, 1),
            },
        ]);
        let custody = merged.meta().unwrap().get("custody").unwrap();
        let runs: Vec<&str> = custody
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["run"].as_str().unwrap())
            .collect();
        assert_eq!(runs, ["r1", "r2"], "both answers, oldest first");
        assert_eq!(merged.get("followers_count"), Some(&json!(20)));
    }

    #[test]
    fn equal_copies_are_not_conflicts_and_resolving_twice_changes_nothing() {
        let a = rec(
            json!({"handle":"a","x":1,"meta":{"sources":[{"fetched_at":"2025-01-01T00:00:00Z"}]}}),
        );
        let b = rec(
            json!({"handle":"a","x":2,"meta":{"sources":[{"fetched_at":"2025-01-01T00:00:00Z"}]}}),
        );
        let (once, conflicts) = resolve(&[
            Candidate {
                record: &a,
                origin: origin(OriginKind::Batch, 1),
            },
            Candidate {
                record: &b,
                origin: origin(OriginKind::Batch, 2),
            },
        ]);
        assert_eq!(conflicts.len(), 1);
        assert!(conflicts[0].why.contains("same time"));
        assert_eq!(
            once.get("x"),
            Some(&json!(2)),
            "a tie goes to the later input"
        );
        let (twice, _) = resolve(&[
            Candidate {
                record: &once,
                origin: origin(OriginKind::Dataset, 1),
            },
            Candidate {
                record: &a,
                origin: origin(OriginKind::Batch, 1),
            },
            Candidate {
                record: &b,
                origin: origin(OriginKind::Batch, 2),
            },
        ]);
        assert_eq!(twice, once);
    }
}
