//! Handles that appear more than once (case-insensitively), with every field on which the copies
//! disagree and each copy's value, so that an operator sees what a merge would have to choose.
//! Not here: choosing; the merge does that.

use std::collections::BTreeSet;
#[cfg(test)]
use std::collections::HashMap;

use serde::Serialize;
use serde_json::Value;

use crate::dataset::Record;

/// All copies of one handle.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DuplicateGroup {
    /// The handle as first written.
    pub handle: String,
    /// Line of each copy, in file order.
    pub lines: Vec<usize>,
    /// The distinct ids the copies carry (more than one means different accounts claim the handle).
    pub ids: Vec<String>,
    /// Fields whose value differs between copies (`meta.*` compared field by field).
    pub conflicts: Vec<Conflict>,
    /// Positions of the copies in the audited slice.
    #[serde(skip)]
    pub indices: Vec<usize>,
}

/// One field the copies disagree on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conflict {
    pub field: String,
    pub values: Vec<CopyValue>,
}

/// One copy's value of a conflicting field; `null` when the copy lacks the field.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CopyValue {
    pub line: usize,
    pub value: Option<Value>,
}

#[cfg(test)]
/// The groups of records sharing a handle, in order of first appearance.
pub(crate) fn find(records: &[Record], lines: &[usize]) -> Vec<DuplicateGroup> {
    let mut order: Vec<String> = Vec::new();
    let mut by_key: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, r) in records.iter().enumerate() {
        let Some(key) = r.handle_key() else { continue };
        let slot = by_key.entry(key.clone()).or_default();
        if slot.is_empty() {
            order.push(key);
        }
        slot.push(i);
    }
    let line = |i: usize| lines.get(i).copied().unwrap_or(i + 1);
    order
        .into_iter()
        .filter_map(|key| {
            let idx = by_key.remove(&key)?;
            (idx.len() > 1).then(|| {
                let copies: Vec<&Record> = idx.iter().map(|&i| &records[i]).collect();
                group(&copies, idx.iter().map(|&i| line(i)).collect(), idx)
            })
        })
        .collect()
}

/// One handle's group from its copies (in file order), their lines and their positions.
pub(crate) fn group(copies: &[&Record], lines: Vec<usize>, indices: Vec<usize>) -> DuplicateGroup {
    let mut ids: Vec<String> = Vec::new();
    for r in copies {
        if let Some(id) = r.id()
            && !ids.iter().any(|x| x == id)
        {
            ids.push(id.to_string());
        }
    }
    let flat: Vec<Vec<(String, &Value)>> = copies.iter().map(|r| flatten(r)).collect();
    let mut fields: Vec<String> = Vec::new();
    let mut seen = BTreeSet::new();
    for copy in &flat {
        for (k, _) in copy {
            if seen.insert(k.clone()) {
                fields.push(k.clone());
            }
        }
    }
    let conflicts = fields
        .into_iter()
        .filter_map(|field| {
            let values: Vec<Option<&Value>> = flat
                .iter()
                .map(|copy| copy.iter().find(|(k, _)| *k == field).map(|(_, v)| *v))
                .collect();
            let first = values[0];
            values.iter().any(|v| *v != first).then(|| Conflict {
                values: lines
                    .iter()
                    .zip(&values)
                    .map(|(&line, v)| CopyValue {
                        line,
                        value: v.cloned(),
                    })
                    .collect(),
                field,
            })
        })
        .collect();
    DuplicateGroup {
        handle: copies[0].handle().unwrap_or_default().to_string(),
        lines,
        ids,
        conflicts,
        indices,
    }
}

/// Top-level fields, with `meta` opened one level (`meta.score`, `meta.sources`, ...).
fn flatten(record: &Record) -> Vec<(String, &Value)> {
    let mut out = Vec::new();
    for (k, v) in record.fields() {
        match (k.as_str(), v) {
            ("meta", Value::Object(m)) => {
                out.extend(m.iter().map(|(mk, mv)| (format!("meta.{mk}"), mv)));
            }
            _ => out.push((k.clone(), v)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rec(v: Value) -> Record {
        Record::from_value(v).unwrap()
    }

    #[test]
    fn copies_of_a_handle_in_any_case_are_grouped_with_their_conflicts() {
        let records = vec![
            rec(json!({"id":"1","handle":"Swyx","followers_count":10,"meta":{"score":1.0,"x":1}})),
            rec(json!({"id":"2","handle":"other"})),
            rec(json!({"id":"1","handle":"swyx","followers_count":12,"meta":{"score":1.0}})),
        ];
        let groups = find(&records, &[1, 2, 3]);
        assert_eq!(groups.len(), 1);
        let g = &groups[0];
        assert_eq!(
            (g.handle.as_str(), g.lines.clone(), g.ids.clone()),
            ("Swyx", vec![1, 3], vec!["1".to_string()])
        );
        let fields: Vec<&str> = g.conflicts.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, vec!["handle", "followers_count", "meta.x"]);
        assert_eq!(
            g.conflicts[2].values[1].value, None,
            "a missing field is shown as absent"
        );
    }
}
