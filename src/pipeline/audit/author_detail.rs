//! Everything the console's detail pane says about one author, computed once from the record
//! (its check results, its score fields and the model's feature table, its metrics and
//! sources, every field flattened), so that drawing only reads it. The console asks for it when
//! the selection changes; the pane turns it into lines.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::facts::check_details;
use crate::dataset::{Metrics, Record};
use crate::pipeline::custody::{self, AnswerIndex, Claim, Custody, CustodyRef};
use crate::pipeline::score;

/// One leaf of a record's JSON in words: a value, or the items of a list of plain values (a
/// `reasons` or `topics` array), which the pane prints as words rather than as JSON.
#[derive(Debug, Clone, PartialEq)]
pub enum Leaf {
    One(String),
    List(Vec<String>),
}

impl From<&str> for Leaf {
    fn from(s: &str) -> Leaf {
        Leaf::One(s.to_string())
    }
}

/// `(path, leaf)`: `meta.sources[0].method`, `meta.score_components.reasons`.
pub(crate) type Leaves = Vec<(String, Leaf)>;

/// One author, explained.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthorDetail {
    /// `(detector, reason)` of every placeholder flag.
    pub placeholder_flags: Vec<(String, String)>,
    pub schema_violations: Vec<String>,
    /// `meta.score`, `meta.score_state`, `meta.score_version` as written (`None`: absent).
    pub stored_score: Option<String>,
    pub score_state: Option<String>,
    pub score_version: Option<String>,
    pub components: Components,
    pub features: FeatureTable,
    pub metrics: Metrics,
    pub sources: Vec<SourceLine>,
    pub raw_answer: RawAnswer,
    pub custody: CustodyChain,
    /// Every field, one `(path, value)` per leaf, in canonical order.
    pub fields: Leaves,
}

/// `meta.score_components`, each top-level key with its leaves flattened.
#[derive(Debug, Clone, PartialEq)]
pub enum Components {
    Absent,
    /// Not an object: its leaves under `score_components`.
    Other(Leaves),
    /// By key, in the order stored; a stored `features` table is left out (the computed one
    /// stands in for it).
    Keys(Vec<(String, Leaves)>),
}

/// The per-feature table, computed with the current model (records do not store it).
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureTable {
    pub model_version: String,
    /// The rows `(feature, value, reference percentile)`, or why the record is unscored.
    pub rows: Result<Vec<(String, String, String)>, String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SourceLine {
    pub method: String,
    pub fetched_at: Option<DateTime<Utc>>,
    pub evidence: String,
}

/// The chain of custody: the answers the record names, and what proving it against them said.
#[derive(Debug, Clone, PartialEq)]
pub struct CustodyChain {
    /// `meta.custody`, newest first; `Err` with why when it does not read as references.
    pub refs: Result<Vec<CustodyRef<'static>>, String>,
    /// `None`: no answers were given to prove the record against.
    pub outcome: Option<Custody>,
}

/// Where the answer the record came from is.
#[derive(Debug, Clone, PartialEq)]
pub enum RawAnswer {
    /// Held inside the record (old pipelines did): its leaves.
    Inline(Leaves),
    /// A harvest keeps it in the run's responses.jsonl; the evidence names the batch.
    InRun {
        evidence: String,
    },
    None,
}

impl FeatureTable {
    /// When the stored score came from other tables than the current ones, the words saying so.
    pub(crate) fn version_warning(&self, stored: Option<&str>) -> Option<String> {
        let current = &self.model_version;
        match stored {
            Some(stored) if stored != current => Some(format!(
                "this table is from the current tables ({current}), not the ones that produced \
                 the stored score ({stored})"
            )),
            None => Some("no stored score_version: this table is from the current tables".into()),
            Some(_) => None,
        }
    }
}

/// The detail of one record; with `answers`, its custody proved against them
/// (`custody::verify_one`, which also reads a run written since the index was).
pub(crate) fn author_detail(record: &Record, answers: Option<&AnswerIndex>) -> AuthorDetail {
    let checks = check_details(record);
    let claim = Claim::of_record(record);
    let custody = CustodyChain {
        // A record that claims no API source has nothing to prove, answers or not.
        outcome: if claim.claims_api {
            answers.map(|a| custody::verify_one(&claim, a))
        } else {
            Some(Custody::NotClaimed)
        },
        refs: claim
            .refs
            .map(|refs| refs.into_iter().map(CustodyRef::into_owned).collect()),
    };
    let meta = record.meta();
    let field = |k: &str| meta.and_then(|m| m.get(k)).map(short_json);
    let components = match meta.and_then(|m| m.get("score_components")) {
        None => Components::Absent,
        Some(Value::Object(map)) => Components::Keys(
            map.iter()
                .filter(|(k, _)| k.as_str() != "features")
                .map(|(k, v)| (k.clone(), flat_at(k, v)))
                .collect(),
        ),
        Some(other) => Components::Other(flat_at("score_components", other)),
    };
    let model = score::model();
    let features = FeatureTable {
        model_version: model.version().to_string(),
        rows: model
            .feature_table(&record.view())
            .map(|rows| {
                rows.iter()
                    .map(|r| {
                        (
                            r.feature.key().to_string(),
                            r.value.to_string(),
                            r.reference_percentile.to_string(),
                        )
                    })
                    .collect()
            })
            .map_err(|unscored| unscored.reason.to_string()),
    };
    let sources: Vec<SourceLine> = record
        .sources()
        .into_iter()
        .map(|s| SourceLine {
            method: s.method.into_owned(),
            fetched_at: s.fetched_at,
            evidence: s.evidence.map(|e| e.into_owned()).unwrap_or_default(),
        })
        .collect();
    let raw_answer = match inline_answer(record) {
        Some(raw) => RawAnswer::Inline(flat_at("", raw)),
        None => match sources.iter().find(|s| s.method == "x-api-v2") {
            Some(api) => RawAnswer::InRun {
                evidence: if api.evidence.is_empty() {
                    "batch unknown".into()
                } else {
                    api.evidence.clone()
                },
            },
            None => RawAnswer::None,
        },
    };
    AuthorDetail {
        placeholder_flags: checks
            .placeholder_flags
            .into_iter()
            .map(|f| (f.detector.to_string(), f.reason))
            .collect(),
        schema_violations: checks.schema_violations,
        stored_score: field("score"),
        score_state: field("score_state"),
        score_version: field("score_version"),
        components,
        features,
        metrics: record.metrics(),
        sources,
        raw_answer,
        custody,
        fields: flat_at("", &record.to_canonical()),
    }
}

/// Where old pipelines kept the answer inside the record.
fn inline_answer(record: &Record) -> Option<&Value> {
    fn in_obj(v: Option<&serde_json::Map<String, Value>>) -> Option<&Value> {
        let m = v?;
        m.get("raw_response")
            .or_else(|| m.get("raw"))
            .or_else(|| m.get("api_response"))
    }
    in_obj(record.meta())
        .or_else(|| in_obj(record.get("ext").and_then(Value::as_object)))
        .or_else(|| record.get("raw_response"))
}

/// A plain value as it reads: a string without its quotes.
fn short_json(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A leaf in words: an array of plain values is a list of them (an empty one too).
fn leaf(v: &Value) -> Leaf {
    match v {
        Value::Array(items) if items.iter().all(|x| !x.is_object() && !x.is_array()) => {
            Leaf::List(items.iter().map(short_json).collect())
        }
        other => Leaf::One(short_json(other)),
    }
}

/// One `(path, value)` per leaf of `v`, which sits at `path` (`""` = the top), so nested JSON
/// reads without braces: `meta.sources[0].method`.
fn flat_at(path: &str, v: &Value) -> Leaves {
    let mut out = Vec::new();
    flatten_into(path, v, &mut out);
    out
}

fn flatten_into(path: &str, v: &Value, out: &mut Leaves) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, v) in m {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                flatten_into(&p, v, out);
            }
        }
        Value::Array(a) if !a.is_empty() && a.iter().any(|x| x.is_object()) => {
            for (i, v) in a.iter().enumerate() {
                flatten_into(&format!("{path}[{i}]"), v, out);
            }
        }
        other => out.push((path.to_string(), leaf(other))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(v: Value) -> Record {
        Record::from_value(v).unwrap()
    }

    #[test]
    fn nested_fields_flatten_to_one_path_per_leaf() {
        let r = record(
            serde_json::json!({"id":"1","meta":{"sources":[{"method":"x-api-v2"}],"score":4.5}}),
        );
        let d = author_detail(&r, None);
        assert!(
            d.fields
                .contains(&("meta.sources[0].method".into(), "x-api-v2".into()))
        );
        assert_eq!(d.stored_score.as_deref(), Some("4.5"));
        assert_eq!(
            d.raw_answer,
            RawAnswer::InRun {
                evidence: "batch unknown".into()
            }
        );
    }

    #[test]
    fn a_list_of_plain_values_is_a_list_of_words_not_json() {
        let r = record(
            serde_json::json!({"id":"1","topics":["rust","open source"],"tags":[],
            "meta":{"score_components":{"reasons":["posts 2.7 times a day (top 4%)"]}}}),
        );
        let d = author_detail(&r, None);
        let list = |items: &[&str]| Leaf::List(items.iter().map(|s| s.to_string()).collect());
        assert!(
            d.fields
                .contains(&("topics".into(), list(&["rust", "open source"])))
        );
        assert!(d.fields.contains(&("tags".into(), list(&[]))));
        let Components::Keys(keys) = &d.components else {
            panic!("score_components is an object: {:?}", d.components);
        };
        assert_eq!(
            keys[0],
            (
                "reasons".to_string(),
                vec![(
                    "reasons".to_string(),
                    list(&["posts 2.7 times a day (top 4%)"])
                )]
            )
        );
    }

    #[test]
    fn a_record_without_metrics_has_no_feature_table_and_says_why() {
        let d = author_detail(&record(serde_json::json!({"id":"1","handle":"a"})), None);
        assert!(d.features.rows.is_err());
        assert_eq!(d.components, Components::Absent);
        assert!(d.features.version_warning(None).is_some());
        assert_eq!(
            d.features
                .version_warning(Some(&d.features.model_version.clone())),
            None
        );
    }
}
