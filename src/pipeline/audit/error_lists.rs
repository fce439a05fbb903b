//! Schema violations kept small: every violating record points at one of the few distinct lists
//! of messages (a generated million-record file has one: the same three missing `meta` fields),
//! so a record costs its line, its handle and an index instead of a list of strings. Not here:
//! finding the violations (`schema`) or the report's shape (`SchemaViolations`).

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use serde_json::value::RawValue;

use crate::pipeline::checks::schema::MissingRequired;

/// One record's schema violations as found: missing required fields (the raw check's answer,
/// two masks), or the validator's words.
#[derive(Debug, Clone)]
pub(crate) enum SchemaErrors {
    Missing(MissingRequired),
    Words(Vec<String>),
}

impl SchemaErrors {
    pub(super) fn is_empty(&self) -> bool {
        match self {
            SchemaErrors::Missing(m) => m.is_empty(),
            SchemaErrors::Words(w) => w.is_empty(),
        }
    }

    /// The messages, in the validator's order.
    pub(super) fn messages(&self) -> Vec<Cow<'static, str>> {
        match self {
            SchemaErrors::Missing(m) => m.messages().map(Cow::Borrowed).collect(),
            SchemaErrors::Words(w) => w.iter().map(|s| Cow::Owned(s.clone())).collect(),
        }
    }
}

/// Two answers are the same when they say the same words, however they were found.
impl PartialEq for SchemaErrors {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (SchemaErrors::Missing(a), SchemaErrors::Missing(b)) => a == b,
            _ => self.messages() == other.messages(),
        }
    }
}

/// The distinct lists of messages, in the order first met, each with how many records have it.
#[derive(Debug, Clone, Default)]
pub(crate) struct ErrorLists {
    lists: Vec<SchemaErrors>,
    records: Vec<usize>,
    by_mask: HashMap<MissingRequired, u32>,
    by_words: HashMap<Vec<String>, u32>,
    /// The list the previous record had: consecutive records usually share theirs.
    last: Option<(MissingRequired, u32)>,
}

impl ErrorLists {
    /// The index of a record's list (added when new), counting the record.
    pub(super) fn add(&mut self, errors: SchemaErrors) -> u32 {
        self.add_records(errors, 1)
    }

    fn add_records(&mut self, errors: SchemaErrors, records: usize) -> u32 {
        let k = match errors {
            SchemaErrors::Missing(m) => match self.last {
                Some((last, k)) if last == m => k,
                _ => {
                    let k = match self.by_mask.get(&m) {
                        Some(&k) => k,
                        None => {
                            let k = self.push(SchemaErrors::Missing(m));
                            self.by_mask.insert(m, k);
                            k
                        }
                    };
                    self.last = Some((m, k));
                    k
                }
            },
            SchemaErrors::Words(w) => match self.by_words.get(&w) {
                Some(&k) => k,
                None => {
                    let k = self.push(SchemaErrors::Words(w.clone()));
                    self.by_words.insert(w, k);
                    k
                }
            },
        };
        self.records[k as usize] += records;
        k
    }

    fn push(&mut self, errors: SchemaErrors) -> u32 {
        self.lists.push(errors);
        self.records.push(0);
        (self.lists.len() - 1) as u32
    }

    /// Takes in the lists of another tally; returns where each of its lists is now.
    pub(super) fn absorb(&mut self, other: ErrorLists) -> Vec<u32> {
        other
            .lists
            .into_iter()
            .zip(other.records)
            .map(|(errors, records)| self.add_records(errors, records))
            .collect()
    }

    /// How many records each distinct message hit.
    pub(super) fn by_error(&self) -> BTreeMap<String, usize> {
        let mut out: BTreeMap<String, usize> = BTreeMap::new();
        for (list, &records) in self.lists.iter().zip(&self.records) {
            for message in list.messages() {
                match out.get_mut(message.as_ref()) {
                    Some(n) => *n += records,
                    None => {
                        out.insert(message.into_owned(), records);
                    }
                }
            }
        }
        out
    }

    #[cfg(test)]
    /// The messages of list `k`.
    pub(super) fn messages(&self, k: u32) -> Vec<Cow<'static, str>> {
        self.lists[k as usize].messages()
    }

    /// Each list written once as a JSON array, for the report to copy per record.
    pub(super) fn as_json(&self) -> Vec<Box<RawValue>> {
        self.lists
            .iter()
            .map(|list| {
                let text = serde_json::to_string(&list.messages())
                    .expect("a list of strings is always JSON");
                RawValue::from_string(text).expect("serde_json writes valid JSON")
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn missing(top: u16, meta: u16) -> SchemaErrors {
        SchemaErrors::Missing(MissingRequired { top, meta })
    }

    #[test]
    fn records_with_the_same_violations_share_one_list_however_they_were_found() {
        let mut lists = ErrorLists::default();
        let a = lists.add(missing(0, 0b101));
        let words = missing(0, 0b101)
            .messages()
            .into_iter()
            .map(Cow::into_owned)
            .collect();
        let b = lists.add(SchemaErrors::Words(words));
        assert_eq!(lists.add(missing(0, 0b101)), a);
        assert_ne!(
            a, b,
            "found raw and by the validator: kept apart, said alike"
        );
        assert_eq!(lists.messages(a), lists.messages(b));
        let by = lists.by_error();
        assert_eq!(by.len(), 2);
        assert!(by.values().all(|&n| n == 3), "{by:?}");
    }

    #[test]
    fn absorbed_lists_keep_their_counts_and_are_renumbered() {
        let mut whole = ErrorLists::default();
        whole.add(missing(1, 0));
        let mut part = ErrorLists::default();
        part.add(missing(0, 1));
        part.add(missing(1, 0));
        part.add(missing(1, 0));
        assert_eq!(whole.absorb(part), vec![1, 0]);
        assert_eq!(whole.records, vec![3, 1]);
    }

    #[test]
    fn each_list_is_written_as_the_json_array_of_its_messages() {
        let mut lists = ErrorLists::default();
        let k = lists.add(SchemaErrors::Words(vec!["/id: \"x\" is bad\n".into()]));
        let json = lists.as_json();
        assert_eq!(json[k as usize].get(), r#"["/id: \"x\" is bad\n"]"#);
    }
}
