//! Ranks of a dataset version, by score: `rank_global` over every admitted, scored author, and
//! `rank_by_topic` within each of its topic tags (1 = the highest score), as the old release
//! carried them. Ranks belong to a version, not to a fetch: they are worked out when the version
//! is exported, never stored in a record (a merge would otherwise rewrite every record whose rank
//! moved, and its history with it). Not ranked: unscored or placeholder-flagged authors, and
//! authors the admission rules flagged (`meta.admission.decision` other than `admitted`).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde_json::Value;

use crate::dataset::{DatasetError, Lines, Record, parse_line};
use crate::pipeline::score::STATE_SCORED;

/// The ranks of one version, by folded handle.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Ranks {
    global: HashMap<String, u32>,
    by_topic: HashMap<String, BTreeMap<String, u32>>,
}

/// What ranking reads of one record: its score when it is ranked, and its topics.
fn rankable(record: &Record) -> Option<(String, f64, Vec<String>)> {
    let meta = record.meta()?;
    if meta.get("score_state").and_then(Value::as_str) != Some(STATE_SCORED) {
        return None;
    }
    let admitted = meta
        .get("admission")
        .and_then(|a| a.get("decision"))
        .is_none_or(|d| d == "admitted");
    if !admitted {
        return None;
    }
    let score = meta.get("score").and_then(Value::as_f64)?;
    let topics = record
        .get("topic_tags")
        .and_then(Value::as_array)
        .map(|t| {
            t.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    Some((record.handle_key()?, score, topics))
}

impl Ranks {
    #[cfg(test)]
    /// Ranks the records of a version (a handle's first row counts, as the export reads it).
    pub(crate) fn of_records<'a>(records: impl IntoIterator<Item = &'a Record>) -> Ranks {
        let mut rows: Vec<(String, f64, Vec<String>)> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for record in records {
            let Some(key) = record.handle_key() else {
                continue;
            };
            if !seen.insert(key) {
                continue;
            }
            rows.extend(rankable(record));
        }
        Ranks::of_rows(rows)
    }

    /// Ranks the stored dataset file `latest`.
    pub(crate) fn of_file(latest: &Path) -> Result<Ranks, DatasetError> {
        let mut rows = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for item in Lines::open(latest)? {
            let (n, text) = item?;
            let Ok(record) = text
                .map_err(drop)
                .and_then(|t| parse_line(n, &t).map_err(drop))
            else {
                continue;
            };
            let Some(key) = record.handle_key() else {
                continue;
            };
            if !seen.insert(key) {
                continue;
            }
            rows.extend(rankable(&record));
        }
        Ok(Ranks::of_rows(rows))
    }

    /// Highest score first; equal scores by handle, so the same version ranks the same way.
    fn of_rows(mut rows: Vec<(String, f64, Vec<String>)>) -> Ranks {
        rows.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let mut ranks = Ranks::default();
        let mut next_in_topic: HashMap<String, u32> = HashMap::new();
        for (i, (key, _, topics)) in rows.into_iter().enumerate() {
            ranks.global.insert(key.clone(), i as u32 + 1);
            let mut mine = BTreeMap::new();
            for topic in topics {
                let n = next_in_topic.entry(topic.clone()).or_insert(0);
                *n += 1;
                mine.insert(topic, *n);
            }
            ranks.by_topic.insert(key, mine);
        }
        ranks
    }

    /// The author's rank among every ranked author; `None` when not ranked.
    pub(crate) fn global(&self, handle_key: &str) -> Option<u32> {
        self.global.get(handle_key).copied()
    }

    /// The author's rank within each of its topics.
    pub(crate) fn by_topic(&self, handle_key: &str) -> Option<&BTreeMap<String, u32>> {
        self.by_topic.get(handle_key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(handle: &str, score: f64, topics: &[&str], admission: Option<&str>) -> Record {
        let mut meta = json!({"score": score, "score_state": "scored"});
        if let Some(d) = admission {
            meta["admission"] = json!({"decision": d});
        }
        Record::from_value(json!({"handle": handle, "topic_tags": topics, "meta": meta})).unwrap()
    }

    #[test]
    fn the_highest_score_ranks_first_globally_and_within_each_of_its_topics() {
        let records = [
            record("low", 20.0, &["ai_ml"], Some("admitted")),
            record("high", 90.0, &["ai_ml", "security"], Some("admitted")),
            record("mid", 50.0, &["security"], None),
        ];
        let ranks = Ranks::of_records(&records);
        assert_eq!(
            ["high", "mid", "low"].map(|h| ranks.global(h)),
            [Some(1), Some(2), Some(3)]
        );
        let high = ranks.by_topic("high").unwrap();
        assert_eq!((high["ai_ml"], high["security"]), (1, 1));
        assert_eq!(ranks.by_topic("mid").unwrap()["security"], 2);
        assert_eq!(ranks.by_topic("low").unwrap()["ai_ml"], 2);
    }

    #[test]
    fn flagged_unscored_and_later_copies_of_a_handle_are_not_ranked() {
        let mut unscored = record("u", 99.0, &[], None);
        unscored.meta_mut()["score_state"] = json!("unscored");
        let records = [
            record("brand", 95.0, &[], Some("excluded")),
            unscored,
            record("a", 40.0, &[], None),
            record("A", 80.0, &[], None),
        ];
        let ranks = Ranks::of_records(&records);
        assert_eq!(ranks.global("brand"), None);
        assert_eq!(ranks.global("u"), None);
        assert_eq!(
            ranks.global("a"),
            Some(1),
            "the first row of a handle counts"
        );
    }

    #[test]
    fn equal_scores_rank_by_handle_so_a_version_always_ranks_the_same() {
        let records = [record("b", 10.0, &[], None), record("a", 10.0, &[], None)];
        let ranks = Ranks::of_records(&records);
        assert_eq!((ranks.global("a"), ranks.global("b")), (Some(1), Some(2)));
    }
}
